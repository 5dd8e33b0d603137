/*
 * publish.h: writing one repository directory (one repo, one arch) of the
 * /pub tree with createrepo_c's library, atomically.
 *
 * The caller passes the complete package set. q_publish_repo:
 *  - takes an exclusive flock on ARCH_DIR/.lock (two publishes of the same
 *    directory, in threads or processes, run one after the other);
 *  - computes the set digest (SHA-256 over the sorted package SHA-256s and
 *    the key fingerprint, and the SHA-256 of updateinfo_xml when there is
 *    one); when it equals req->last_digest and the
 *    directory is as that publish left it (repodata/repomd.xml is the file
 *    whose SHA-256 is req->last_repomd_sha256, every metadata file it
 *    lists is there with its checksum, every package of the set has its
 *    name in Packages/), writes nothing and
 *    reports changed = 0; any other state (a change on disk that no
 *    publish made) is rewritten, Packages/ checked file by file (as on
 *    force, which also replaces other bytes under a package's name);
 *  - hard-links each package from its store path to Packages/FILENAME;
 *  - writes primary/filelists/other .xml.gz (from the stored chunks, no
 *    package is re-read), updateinfo.xml.gz when req->updateinfo_xml is
 *    given, and repomd.xml into ARCH_DIR/.repodata.new-PID-N/,
 *    adds hard links to the metadata files of earlier repodata still inside
 *    the grace period, detach-signs repomd.xml (repomd.xml.asc) when a
 *    signer is given, fsyncs everything;
 *  - swaps it with repodata/ by renameat2(RENAME_EXCHANGE) (a plain rename
 *    the first time), renames the old one to .repodata.old-EPOCH, removes
 *    .repodata.old-* older than the grace period, stale .repodata.new-*,
 *    and Packages/ files no longer in the set once they are older than the
 *    grace period.
 * A crash at any instant leaves either the complete old or the complete new
 * repodata/ in place.
 */
#ifndef Q_PUBLISH_H
#define Q_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

struct q_error;
struct q_signer;

struct q_publish_pkg {
	const char *sha256;      /* of the RPM */
	const char *filename;    /* canonical N-V-R.A.rpm (placed in Packages/) */
	const char *store_path;  /* where the RPM is stored (content-addressed) */
	const char *primary_xml; /* chunks from q_rpm_inspect */
	const char *filelists_xml;
	const char *other_xml;
};

struct q_publish_req {
	const char *arch_dir; /* e.g. DATA/pub/sig/9/mc/x86_64/common */
	const struct q_publish_pkg *pkgs;
	size_t n_pkgs;
	const char *last_digest; /* set digest of the previous publish, or NULL */
	/* SHA-256 of the repomd.xml the previous publish wrote, or NULL: with
	 * it, "unchanged" also needs repodata/repomd.xml to be that file. */
	const char *last_repomd_sha256;
	int force;               /* write even when the digest is unchanged */
	struct q_signer *signer; /* NULL: do not sign */
	const char *key_fpr;     /* the SIG's key */
	int64_t grace_seconds;   /* how long old metadata/packages stay */
	/* The repo's advisories (publish/updateinfo.h), written as
	 * updateinfo.xml.gz and listed in repomd.xml as type "updateinfo";
	 * NULL or "": the repo has none. */
	const char *updateinfo_xml;
};

struct q_publish_result {
	int changed; /* 0 when nothing was written */
	char set_digest[65];
	struct q_digests repomd; /* of repodata/repomd.xml as published */
	uint64_t repomd_size;
	int64_t timestamp; /* repomd's <revision>, seconds since epoch */
};

int q_publish_repo(const struct q_publish_req *req, struct q_publish_result *res,
		   struct q_error *err);

/* The set digest alone (for tests and for deciding "dirty"). */
void q_publish_set_digest(const struct q_publish_pkg *pkgs, size_t n, const char *key_fpr,
			  char out[65]);

/* The digest of a request: q_publish_set_digest's, and with an updateinfo
 * the SHA-256 over that digest and the updateinfo's SHA-256 (without one
 * it is the set digest, so a repo without advisories keeps its digest). */
void q_publish_req_digest(const struct q_publish_req *req, char out[65]);

#endif
