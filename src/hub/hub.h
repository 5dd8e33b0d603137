/*
 * hub.h: the hub's shared state and the services its API calls.
 *
 * One struct q_hub per process, shared read-only by the event-loop threads
 * (the signer serialises itself; counters are atomic). The data directory:
 *
 *   DATA/quarry.db            the database (store.h)
 *   DATA/keys/                GnuPG home with every SIG's key (0700), used by
 *                             the forked signer; absent with signing.socket
 *   DATA/packages/sha256/AB/  the content-addressed RPM store
 *   DATA/staging/             uploads waiting to be added to a repo
 *   DATA/locks/               one lock file per repo and arch
 *   DATA/pub/                 the published tree, served at /pub/
 */
#ifndef Q_HUB_H
#define Q_HUB_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "mirror/service.h"
#include "mirror/snapshot.h"
#include "store/store.h"

struct q_checker;
struct q_crawler;
struct q_keeper;
struct q_error;
struct q_signer;

struct q_metrics {
	atomic_uint_fast64_t requests[6]; /* by status class: [1]=1xx … [5]=5xx */
	atomic_uint_fast64_t publishes;   /* repo/arch publishes that wrote */
	atomic_uint_fast64_t publishes_unchanged;
	atomic_uint_fast64_t publish_failures;
	atomic_uint_fast64_t publish_usec;    /* total time spent publishing */
	atomic_uint_fast64_t uploads;         /* packages accepted */
	atomic_uint_fast64_t uploads_refused; /* batches refused */
};

struct q_hub {
	struct q_config cfg;
	char db_path[1100];
	char keys_dir[1100];
	char store_dir[1100];
	char staging_dir[1100];
	char locks_dir[1100];
	char pub_dir[1100];
	char blobs_dir[1100];
	char logs_dir[1100];
	char tmp_dir[1100];
	char lookaside_dir[1100];
	struct q_signer *signer; /* NULL until q_hub_open_signer */
	struct q_metrics metrics;
	int64_t started;            /* time(NULL) at start */
	struct q_mirror_service ml; /* /metalink and /mirrorlist */
	char snapshot_path[1100];   /* DATA/mirror-snapshot.json */
	void *snapshot_lock;        /* GMutex: one snapshot refresh at a time */
	struct q_crawler *crawler;  /* the crawler thread, NULL when not running */
	struct q_checker *checker;  /* the checker thread (checker.c), NULL when not running */
	struct q_keeper *keeper;    /* the build keeper thread (keeper.c), NULL when not running */
	int mirror_only;            /* `quarry mirrorlist`: no database, no /pub, no API */
	pid_t rsyncd_pid;           /* the rsync daemon (rsyncd.c), 0 when not running */
};

/* Fill paths from cfg.data_dir and create the directories. */
int q_hub_init(struct q_hub *hub, const struct q_config *cfg, struct q_error *err);
int q_hub_open_signer(struct q_hub *hub, struct q_error *err);
void q_hub_release(struct q_hub *hub);

/* DATA/blobs/sha256/AB/HASH: source bundles (tar) of builds. */
void q_hub_blob_path(const struct q_hub *hub, const char *sha256, char *out, size_t size);
/* Move a file into the blob store (or the package store when rpm is 1),
 * content-addressed; fsyncs. sha256 is the file's. */
int q_hub_store_file(const struct q_hub *hub, const char *src, const char *sha256, int rpm,
		     struct q_error *err);
/* The same for a package, without the fsyncs: for a batch, which then makes
 * everything durable at once with q_fs_syncfs before recording it. */
int q_hub_store_file_unsynced(const struct q_hub *hub, const char *src, const char *sha256,
			      struct q_error *err);
/*
 * Mark this process's environment and fork the guard (guard.c): when the
 * hub ends, however it ends, the guard ends every program the hub executed.
 * Call first, before any thread or child.
 */
int q_hub_guard_start(struct q_error *err);

/* Start `quarry worker` beside the hub, with a fresh worker token. */
int q_hub_start_embedded_worker(struct q_hub *hub, struct q_store *st, struct q_error *err);

/* DATA/packages/sha256/AB/HASH.rpm */
void q_hub_store_path(const struct q_hub *hub, const char *sha256, char *out, size_t size);

/*
 * Publish every arch of a repo (repo as q_store_repo_get returns it). Takes
 * a lock per repo and arch (DATA/locks) around reading the package set,
 * writing the tree and recording history, so concurrent publishes of one
 * repo never interleave. *results: [{"arch","changed","sha256","packages",
 * "path"}], owned by the caller. force: rewrite the metadata even when the
 * package set did not change.
 */
int q_hub_publish_repo(struct q_hub *hub, struct q_store *st, json_t *repo, int force,
		       json_t **results, struct q_error *err);

/* The updateinfo.xml of repo (as q_store_repo_get gives it) for arch:
 * the advisories of the updates it carries (advisory.c). *xml NULL when
 * there are none (candidate repos never have any); g_free it. */
int q_hub_updateinfo(struct q_store *st, json_t *repo, const char *arch, char **xml,
		     struct q_error *err);

/* Publish every repo marked dirty (after a crash between commit and publish). */
int q_hub_publish_dirty(struct q_hub *hub, struct q_store *st, struct q_error *err);

/* Write SIG's current key from the signer to DATA/pub/sig/keys/:
 * RPM-GPG-KEY-quarry-SIG and RPM-GPG-KEY-quarry-SIG-FPR16 (the last 16 hex
 * digits of fpr). */
int q_hub_export_key(struct q_hub *hub, const char *sig, const char *fpr, struct q_error *err);
/* Only RPM-GPG-KEY-quarry-SIG-FPR16: a key SIG had (rotation keeps it published). */
int q_hub_export_key_fpr(struct q_hub *hub, const char *sig, const char *fpr, struct q_error *err);

/*
 * Import "GIT_URL#REF" for a project (as q_store_project_get shows it):
 * checkout, layout and ref checks, lookaside fetch and verification, the
 * spec's NEVR from rpmspec in the sandbox, the source bundle stored. On
 * success *fields holds what q_store_build_create needs (without "owner"
 * and "arches"); on failure nothing is stored (import.c).
 */
int q_hub_import_git(struct q_hub *hub, json_t *project, const char *source, json_t **fields,
		     struct q_error *err);

/* Rebuild the metalink snapshot from the database, write it to
 * DATA/mirror-snapshot.json and swap it in. */
int q_hub_refresh_snapshot(struct q_hub *hub, struct q_store *st, struct q_error *err);

/*
 * The crawler (crawler.c): a thread with its own database connection that
 * runs queued crawls (q_store_crawl_add, then q_crawler_wake) and, every
 * mirror.crawl_interval, a scheduled one.
 */
int q_crawler_start(struct q_hub *hub, struct q_error *err);
void q_crawler_wake(struct q_hub *hub);
void q_crawler_stop(struct q_hub *hub);
/* After a publish that changed repo/arch (any thread; never blocks on a
 * crawl): its mirrors are crawled mirror.publish_crawl_delay later, then
 * with a doubling delay until all serve it (crawler.c). No-op when the
 * crawler does not run or the delay is 0. */
void q_crawler_published(struct q_hub *hub, const char *sig, const char *name, int64_t major,
			 const char *arch);
/* One crawl now, in this thread: every mirror (mirror NULL) or one. */
int q_hub_crawl(struct q_hub *hub, struct q_store *st, const char *mirror, json_t **summary,
		struct q_error *err);
/* One crawl now of every mirror, for the repo/arches keys names
 * ("sig-SIG-NAME-MAJOR/ARCH", NULL-terminated) only: records their checks
 * (not the mirrors' failure counts or families); the summary also has
 * "repos": [{repo, arch, mirrors, up_to_date}]. */
int q_hub_crawl_repos(struct q_hub *hub, struct q_store *st, const char *const *keys,
		      json_t **summary, struct q_error *err);

/*
 * Updates (promote.c): move update_id to "testing" or "release" if the
 * project's gate allows it (the refusal names the rule); release (and
 * testing when the policy says so) gets copies signed by the signer.
 * *result: {"update","published"}. actor: for the audit row.
 */
int q_hub_promote(struct q_hub *hub, struct q_store *st, int64_t update_id, const char *to,
		  const char *actor, json_t **result, struct q_error *err);
/* The copy of package pid (stored file sha256, named name in messages)
 * signed with key fpr by the signer: found, or made, stored and recorded
 * now. Fails (nothing recorded) when the signer does not answer. */
int q_hub_signed_copy(struct q_hub *hub, struct q_store *st, int64_t pid, const char *sha256,
		      const char *name, const char *fpr, int64_t *signed_id, struct q_error *err);
/* A candidate update whose checks pass and whose policy says auto_testing
 * moves to testing now (failures are logged). */
void q_hub_auto_testing(struct q_hub *hub, struct q_store *st, int64_t update_id);
/* A candidate or testing update's builds leave its testing repo (and its
 * release repo, where an override may have put them); state unpushed. A
 * released update is refused (released is final: q_hub_revoke). why: a
 * note for the audit log (NULL: none). */
int q_hub_unpush(struct q_hub *hub, struct q_store *st, int64_t update_id, const char *actor,
		 const char *why, json_t **result, struct q_error *err);
/* After a committed change of update_id: publish the repos named by the
 * update's fields in which ("testing_repo", "release_repo"; NULL-ended),
 * then *result = {"update" (as it is now), "published"}. */
int q_hub_update_finish(struct q_hub *hub, struct q_store *st, json_t *update, int64_t update_id,
			const char *const *which, json_t **result, struct q_error *err);
/* Inside the transaction that moves update_id into testing (repo
 * testing_repo_id): every other candidate or testing update of the same
 * release repo holding a build of the same package with a lower
 * version-release becomes obsolete (obsoleted_by = update_id); its builds
 * leave the testing repo (the caller marks it dirty and publishes it). */
int q_hub_obsolete_older(struct q_store *st, int64_t update_id, int64_t testing_repo_id,
			 const char *actor, struct q_error *err);
/* Add and remove builds (JSON lists of ids, already validated) of a
 * candidate, testing or unpushed update. In testing the update goes back
 * through the gate: its builds leave testing, it becomes a candidate and is
 * moved to testing again at once when the gate passes; *result
 * {"update","published","gate" (the refusal, or null)}. */
int q_hub_update_edit(struct q_hub *hub, struct q_store *st, int64_t update_id, json_t *add,
		      json_t *remove, const char *actor, json_t **result, struct q_error *err);
/* release → revoked: the builds leave the release repo, audited with the
 * reason, the release repo republished. */
int q_hub_revoke(struct q_hub *hub, struct q_store *st, int64_t update_id, const char *reason,
		 const char *actor, json_t **result, struct q_error *err);
/* After a comment: a candidate or testing update whose karma reached the
 * policy's unstable_karma (< 0) is unpushed (audited as "unstable karma").
 * *unpushed true when it was. */
int q_hub_karma_check(struct q_hub *hub, struct q_store *st, int64_t update_id, bool *unpushed,
		      struct q_error *err);

/*
 * The checker (checker.c): a thread with its own database connection that
 * runs queued checks (q_store_checks_queue, then q_checker_wake) one at a
 * time; stop kills the running step and waits for the thread.
 */
int q_checker_start(struct q_hub *hub, struct q_error *err);
void q_checker_wake(struct q_hub *hub);
void q_checker_stop(struct q_hub *hub);

/*
 * The SIG release package (release_pkg.c): sig-SIG-release, version the
 * project's major, release "N" + dist tag (N one more than any it had),
 * holding /etc/yum.repos.d/sig-SIG.repo (a section per repo of the SIG's
 * projects on that major) and the SIG's public keys, built by rpmbuild in
 * the sandbox, signed with the repo's key and put into the project's repo
 * named by release_pkg.repo in place of the previous one, then published.
 * Q_ENOTFOUND when the project has no such repo (nothing is built).
 * Also updates the stable files DATA/pub/sig/MAJOR/SIG/sig-SIG-release.noarch.rpm,
 * sig-SIG.repo and RPM-GPG-KEY-quarry-SIG (each renamed into place).
 * *result: {"sig","project","repo","nevra","sha256","replaced":[NEVRA…],
 * "published":[publish results],"rpm_url","repo_url"}, owned by the caller. actor: for the
 * audit row ("release_pkg.build").
 */
int q_hub_release_pkg_build(struct q_hub *hub, struct q_store *st, const char *sig,
			    const char *project, const char *actor, json_t **result,
			    struct q_error *err);
/* After a change of the SIG's repos (major: that EL major's projects) or
 * keys (major 0: every project): rebuild; failures are logged, not returned. */
void q_hub_release_pkg_refresh(struct q_hub *hub, struct q_store *st, const char *sig,
			       int64_t major, const char *actor);

/*
 * The build keeper (keeper.c): a thread with its own database connection
 * that fails tasks no worker claimed, expires scratch builds' outputs and
 * moves chain builds on; woken when a chain build ends.
 */
int q_keeper_start(struct q_hub *hub, struct q_error *err);
void q_keeper_wake(struct q_hub *hub);
void q_keeper_stop(struct q_hub *hub);
/* If chain id's current group is all complete: tag its builds into the
 * chain's repo, publish it, start the next group (or complete the chain);
 * a failure fails the chain. Serialised across threads. */
int q_hub_chain_proceed(struct q_hub *hub, struct q_store *st, int64_t id);

/* Serve until SIGINT/SIGTERM (http/server.c). */
int q_server_run(struct q_hub *hub, struct q_error *err);

#endif
