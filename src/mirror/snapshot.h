/*
 * snapshot.h: the immutable picture the metalink/mirrorlist service answers
 * from (issue 4, design.md "Parts and processes").
 *
 * A snapshot maps "sig-SIG-REPO-MAJOR/ARCH" to the repo's path under /pub
 * and its repomd.xml versions, newest first (the newest is the metalink's
 * main entry, the others inside the window its alternates). It is built
 * from the database after every publish and swapped in with one atomic
 * pointer store: a request loads the pointer and never takes a lock.
 * Replaced snapshots are freed a minute later (q_snapshot_holder_swap), far
 * longer than any request holds one. Mirrors are added by the mirror
 * registry and crawler (later); today every answer lists the master.
 */
#ifndef Q_SNAPSHOT_H
#define Q_SNAPSHOT_H

#include <stdatomic.h>
#include <stdint.h>

#include "mirror/metalink.h"

struct q_error;
struct q_store;

struct q_snap_repo {
	char *key;  /* "sig-mc-common-9/x86_64" */
	char *repo; /* "sig-mc-common-9" */
	char *arch;
	char *path;                        /* "/pub/sig/9/mc/x86_64/common/" */
	struct q_repomd_version *versions; /* newest first */
	size_t n_versions;
};

struct q_snapshot {
	void *by_key;  /* GHashTable: key → struct q_snap_repo */
	char *pairs;   /* "repo=…&arch=…\n" lines, for 404 answers */
	int64_t built; /* time of building */
	char *master;  /* the hub's public URL, no trailing '/' */
};

int q_snapshot_build(struct q_store *st, const char *public_url, int64_t window,
		     struct q_snapshot **out, struct q_error *err);
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
