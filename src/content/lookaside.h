/*
 * lookaside.h: the `.NAME.metadata` format and fetching its files.
 *
 * A metadata file has lines "HASH SOURCES/FILE" (HASH: 40 hex = SHA-1 or
 * 64 hex = SHA-256, lower case; FILE a plain name, no '/' after SOURCES/,
 * no '..'); blank lines are allowed; anything else is an error naming the
 * file and line. Fetching looks in the hub's own lookaside store first
 * (DATA/lookaside/sha256/AB/HASH, and by SHA-1 through an index), then at
 * the external URL template when one is configured; every downloaded blob
 * is hashed and a mismatch is an error that names the file and both hashes.
 */
#ifndef Q_LOOKASIDE_H
#define Q_LOOKASIDE_H

#include <stddef.h>
#include <stdint.h>

struct q_error;

struct q_lookaside_entry {
	char hash[65];  /* lower-case hex */
	int is_sha256;  /* 0: SHA-1 */
	char file[256]; /* FILE, the part after "SOURCES/" */
};

/* Parse text (len bytes) of metadata file `name`; *out is malloc'd (free()). */
int q_lookaside_parse(const char *name, const char *text, size_t len,
		      struct q_lookaside_entry **out, size_t *n, struct q_error *err);

/* Where a blob with this hash would be stored (by SHA-256), given the store
 * root DATA/lookaside; for SHA-1 the index DATA/lookaside/sha1/AB/HASH is a
 * symlink-free small file holding the SHA-256. */
struct q_lookaside_store {
	const char *root;         /* DATA/lookaside */
	const char *url_template; /* external, or NULL: "{name}", "{filename}",
				   * "{hashtype}" (sha1|sha256), "{hash}" are replaced */
	int64_t max_size;         /* largest accepted blob */
};

/* Store a blob (already on disk at path) content-addressed; fills both hashes. */
int q_lookaside_put(const struct q_lookaside_store *ls, const char *path, char sha256[65],
		    char sha1[41], struct q_error *err);

/* Fetch entry e of package `name` into dest_path, verifying its hash. */
int q_lookaside_fetch(const struct q_lookaside_store *ls, const char *name,
		      const struct q_lookaside_entry *e, const char *dest_path,
		      struct q_error *err);

#endif
