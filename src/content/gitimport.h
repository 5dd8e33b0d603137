/*
 * gitimport.h: taking a package's sources out of git, safely.
 *
 * q_git_checkout clones or fetches URL (a local path, file://, http(s)://)
 * with libgit2 into a temporary bare repository, resolves REF (a branch or
 * a tag, full "refs/…" or short), and writes the tree of that commit into
 * dest (which must not exist) — refusing the whole tree, before writing
 * anything, when it holds a symlink, a submodule, a path with "..", more
 * than max_files files or more than max_bytes bytes. Then it checks the
 * "rpms" layout: exactly one SPECS/NAME.spec and the .NAME.metadata file.
 */
#ifndef Q_GITIMPORT_H
#define Q_GITIMPORT_H

#include <stddef.h>
#include <stdint.h>

struct q_error;

struct q_git_limits {
	int64_t max_files;
	int64_t max_bytes;
};

struct q_git_source {
	char commit[41];      /* the resolved commit id */
	char ref[256];        /* the full ref name, "refs/heads/…" or "refs/tags/…" */
	int is_tag;           /* 1 when REF named a tag */
	char short_ref[256];  /* branch name or tag name without refs/… */
	char name[256];       /* NAME, from SPECS/NAME.spec */
	char spec_path[4096]; /* dest/SPECS/NAME.spec */
	char spec_sha256[65];
	int64_t files, bytes; /* what was written */
};

/* Split "URL#REF" (the last '#'); both parts malloc'd. */
int q_git_split_source(const char *s, char **url, char **ref, struct q_error *err);

int q_git_checkout(const char *url, const char *ref, const char *dest,
		   const struct q_git_limits *lim, struct q_git_source *out, struct q_error *err);

/*
 * Check REF against the project: a branch must be rMAJOR-sig-SIG-VARIANT
 * ("main" never builds); a tag must be imports/rMAJOR-sig-SIG-VARIANT/NEVR
 * and, when nevr is not NULL, end with exactly nevr.
 */
int q_git_check_ref(const struct q_git_source *src, int64_t major, const char *sig,
		    const char *variant, const char *nevr, struct q_error *err);

#endif
