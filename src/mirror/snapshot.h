/*
 * snapshot.h: the immutable picture the metalink/mirrorlist service answers
 * from (docs/ARCHITECTURE.md, "The mirror network").
 *
 * A snapshot is one JSON document (the file format below), parsed into the
 * structs here. The hub builds the JSON from the database after every
 * publish and crawl (q_snapshot_build_json), writes it to
 * DATA/mirror-snapshot.json and swaps the parsed snapshot in with one
 * atomic pointer store: a request loads the pointer and never takes a lock.
 * `quarry mirrorlist --snapshot FILE` parses the same file. Replaced
 * snapshots are freed a minute later (q_snapshot_holder_swap), far longer
 * than any request holds one.
 *
 * The file:
 *   {"format": "quarry-mirror-snapshot", "version": 1, "built": EPOCH,
 *    "master": "http://hub.example.org",             (no trailing '/')
 *    "master_families": ["ipv4"],  (optional: the families the master answered
 *                                   over at its last crawl; absent: unknown)
 *    "repos": [{"repo": "sig-mc-common-9", "arch": "x86_64",
 *               "path": "sig/9/mc/x86_64/common/",   (relative to /pub/)
 *               "versions": [{"timestamp": T, "size": N, "md5": "…",
 *                             "sha1": "…", "sha256": "…", "sha512": "…"}]}],
 *                                                    (newest first, >= 1)
 *    "mirrors": [{"name": "mirror.example.cz",
 *                 "http": "http://…/", "https": …, "rsync": …, (each optional,
 *                                                    ending in '/', mirroring /pub/)
 *                 "country": "CZ" (optional), "asn": [2852],
 *                 "subnets": ["147.251.0.0/16"], "private": false,
 *                 "monopoly": false, "bandwidth": 100 (Mbit/s, >= 1),
 *                 "ipv4": true, "ipv6": false,      (reached over that family)
 *                 "serves": {"sig-mc-common-9/x86_64": "SHA256", …}}]}
 * "serves" holds, per repo key, the SHA-256 of the repomd.xml the mirror
 * served at its last successful check of that repo. Mirrors in the file
 * are those the registry lists (active); the service lists a mirror for a
 * repo only when that SHA-256 is one of the repo's versions. The master is
 * offered to a client of a family in "master_families", and to every client
 * when the key is absent (never crawled, or it answered over no family: the
 * hub may not reach its own public address, which says nothing of clients).
 * Older readers ignore the key; older files lack it.
 */

/* The crawler's check rows for the master are under the mirror name
 * Q_SNAP_MASTER; its reachability per family under the repo
 * Q_SNAP_MASTER_FAMILY, arch "ipv4" or "ipv6" (answered when http_status > 0). */
#define Q_SNAP_MASTER ":master"
#define Q_SNAP_MASTER_FAMILY ":family"
#ifndef Q_SNAPSHOT_H
#define Q_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "mirror/metalink.h"
#include "mirror/mirrordef.h"

struct q_error;
struct q_store;

/* One mirror. Strings are g_malloc'ed; NULL when absent. */
struct q_snap_mirror {
	char *name;
	char *http, *https, *rsync; /* base URLs mirroring /pub/, ending in '/' */
	char country[3];            /* upper case, "" when unknown */
	const char *continent;      /* q_continent_of(country), NULL when unknown */
	uint32_t *asn;
	size_t n_asn;
	struct q_cidr *subnets;
	size_t n_subnets;
	bool is_private;
	bool monopoly;
	uint32_t bandwidth; /* Mbit/s, >= 1 */
	bool ipv4, ipv6;    /* reachable over that address family */
};

/* A mirror that serves one repo: which mirror, and how fresh. */
struct q_snap_holder {
	uint32_t mirror;  /* index into q_snapshot.mirrors */
	uint16_t version; /* index into the repo's versions: 0 = newest */
};

struct q_snap_repo {
	char *key;  /* "sig-mc-common-9/x86_64" */
	char *repo; /* "sig-mc-common-9" */
	char *arch;
	char *path;                        /* "sig/9/mc/x86_64/common/" (relative to /pub/) */
	struct q_repomd_version *versions; /* newest first, n_versions >= 1 */
	size_t n_versions;
	struct q_snap_holder *holders; /* mirrors serving a version of this repo, by mirror index */
	size_t n_holders;
};

struct q_snapshot {
	void *by_key; /* GHashTable: key → struct q_snap_repo */
	struct q_snap_mirror *mirrors;
	size_t n_mirrors;
	char *pairs;                   /* "repo=…&arch=…\n" lines, for 404 answers */
	int64_t built;                 /* time of building */
	char *master;                  /* the hub's public URL, no trailing '/' */
	bool master_ipv4, master_ipv6; /* offer the master to a client of that family */
	/* For the service's answer cache: every declared subnet with its mirror,
	 * and every declared ASN (sorted), so a client's matches are found
	 * without walking the mirrors. */
	struct q_snap_subnet {
		struct q_cidr net;
		uint32_t mirror;
	} * subnets;
	size_t n_subnets;
	uint32_t *asns;
	size_t n_asns;
};

/*
 * The snapshot JSON (format above) from the database: the publishes of the
 * last `window` seconds (plus each repo's newest, however old), the active
 * mirrors, and what the crawler saw them serve. New reference in *out.
 */
int q_snapshot_build_json(struct q_store *st, const char *public_url, int64_t window, json_t **out,
			  struct q_error *err);

/*
 * Parse a snapshot document (from q_snapshot_build_json or a file). Every
 * field is checked (types, URLs, CIDRs, hex digests); an error names the
 * entry (e.g. "mirrors[3].subnets[0]: …") and nothing is returned.
 */
int q_snapshot_from_json(json_t *doc, struct q_snapshot **out, struct q_error *err);

/* Read and parse a snapshot file (at most 256 MiB). */
int q_snapshot_load_file(const char *path, struct q_snapshot **out, struct q_error *err);

/* Write doc to path atomically (temporary file, fsync, rename). */
int q_snapshot_write_file(const char *path, json_t *doc, struct q_error *err);

void q_snapshot_free(struct q_snapshot *s);
const struct q_snap_repo *q_snapshot_find(const struct q_snapshot *s, const char *repo,
					  const char *arch);

struct q_snapshot_holder {
	_Atomic(struct q_snapshot *) cur;
	void *retired; /* GQueue of (snapshot, time), under lock */
	void *lock;    /* GMutex */
};

void q_snapshot_holder_init(struct q_snapshot_holder *h);
/* Free every snapshot and the holder's state (at exit, with no request running). */
void q_snapshot_holder_release(struct q_snapshot_holder *h);
/* Publish a new snapshot (takes it); frees those retired over a minute ago. */
void q_snapshot_holder_swap(struct q_snapshot_holder *h, struct q_snapshot *s);

#endif
