/*
 * store.h: the database layer. Every SQL statement of Quarry is behind this
 * header; callers never see SQL or the driver. store_sqlite.c implements it
 * for SQLite (WAL, foreign keys, numbered migrations, prepared statements);
 * a PostgreSQL driver implements the same functions later.
 *
 * Reads return jansson objects shaped as the API shows them (docs/
 * HTTP_API.md), owned by the caller (json_decref). Writes that touch more
 * than one row run inside q_store_begin/q_store_commit; callers that make
 * several changes (a change and its audit row) wrap them in one
 * transaction. A q_store is used by one thread at a time: each hub thread
 * opens its own.
 */
#ifndef Q_STORE_H
#define Q_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct q_error;
struct q_rpm_info;
struct q_store;

struct q_store *q_store_open(const char *path, struct q_error *err);
void q_store_close(struct q_store *st);
/* Apply pending migrations (idempotent). */
int q_store_migrate(struct q_store *st, struct q_error *err);
int q_store_ping(struct q_store *st);

int q_store_begin(struct q_store *st, struct q_error *err);
int q_store_commit(struct q_store *st, struct q_error *err);
void q_store_rollback(struct q_store *st);

/* --- users and tokens --- */

struct q_principal {
	int64_t user_id;
	char name[80];
	char role[16];   /* admin, releng, user */
	char scope[16];  /* "user", or "worker" for a worker token */
	char worker[80]; /* the worker's name, for a worker token */
	int64_t expires; /* when the token stops working (epoch seconds); 0: never */
};

int q_store_user_create(struct q_store *st, const char *name, const char *role, int64_t *id,
			struct q_error *err);
/* *out: {"name","role","created"}; Q_ENOTFOUND when missing. */
int q_store_user_get(struct q_store *st, const char *name, json_t **out, int64_t *id,
		     struct q_error *err);
int q_store_user_list(struct q_store *st, json_t **out, struct q_error *err);
int q_store_user_count(struct q_store *st, int64_t *n, struct q_error *err);

/* hash: hex SHA-256 of the token. */
int q_store_token_create(struct q_store *st, int64_t user_id, const char *hash,
			 const char *description, int64_t *id, struct q_error *err);
/* The same with a scope ("user", "read", "build", "release") and an expiry
 * (epoch seconds; 0: never). */
int q_store_token_create_scoped(struct q_store *st, int64_t user_id, const char *hash,
				const char *description, const char *scope, int64_t expires,
				int64_t *id, struct q_error *err);
/* Q_EAUTH when no token has this hash. */
int q_store_token_lookup(struct q_store *st, const char *hash, struct q_principal *who,
			 struct q_error *err);
/* user_id < 0: every user's tokens. */
int q_store_token_list(struct q_store *st, int64_t user_id, json_t **out, struct q_error *err);
int q_store_token_owner(struct q_store *st, int64_t token_id, int64_t *user_id,
			struct q_error *err);
int q_store_token_delete(struct q_store *st, int64_t token_id, struct q_error *err);

/* --- SIGs --- */

/* fields: name, short_name, title, purpose, status, wiki, chat, mailing_list. */
int q_store_sig_create(struct q_store *st, json_t *fields, const char *key_fpr,
		       struct q_error *err);
/* The SIG as the API shows it, with members when with_members. */
int q_store_sig_get(struct q_store *st, const char *name, int with_members, json_t **out,
		    struct q_error *err);
int q_store_sig_list(struct q_store *st, json_t **out, struct q_error *err);
/* The SIG list with each SIG's "leads" (user names) and "projects" (names),
 * in three queries (the web UI's catalog; store_pages.c). */
int q_store_sig_catalog(struct q_store *st, json_t **out, struct q_error *err);
/* Update the given fields (already validated). */
int q_store_sig_update(struct q_store *st, const char *name, json_t *fields, struct q_error *err);
/* role: "lead", "member"; *role_out = "" when the user is not a member. */
int q_store_sig_member_role(struct q_store *st, const char *sig, int64_t user_id, char role_out[16],
			    struct q_error *err);
int q_store_sig_member_set(struct q_store *st, const char *sig, const char *user, const char *role,
			   struct q_error *err);
int q_store_sig_member_delete(struct q_store *st, const char *sig, const char *user,
			      struct q_error *err);
/* {"mc":"lead",…} for a user. */
int q_store_user_sigs(struct q_store *st, int64_t user_id, json_t **out, struct q_error *err);

/* --- web sign-in (store_web.c): sessions, pending sign-ins, passwords --- */

/* A browser session, found by the SHA-256 (hex) of its cookie. */
struct q_web_session {
	int64_t user_id;
	char name[80];
	char role[16];   /* admin, releng, user */
	char csrf[64];   /* the token its forms carry */
	int64_t expires; /* epoch seconds */
};
/* A sign-in in progress (web_logins), used once. */
struct q_web_login {
	char csrf[64];
	char state[64];
	char nonce[64];
	char verifier[64];
	char return_to[520];
};

int q_store_web_session_create(struct q_store *st, const char *hash, int64_t user_id,
			       const char *csrf, int64_t expires, struct q_error *err);
/* 0 found (not expired at now; last_seen updated at most once a minute),
 * Q_ENOTFOUND otherwise. */
int q_store_web_session_get(struct q_store *st, const char *hash, int64_t now,
			    struct q_web_session *out, struct q_error *err);
int q_store_web_session_delete(struct q_store *st, const char *hash, struct q_error *err);
/* Remove expired sessions and sign-ins. */
int q_store_web_purge(struct q_store *st, int64_t now, struct q_error *err);
int q_store_web_login_create(struct q_store *st, const char *hash, const struct q_web_login *l,
			     int64_t expires, struct q_error *err);
/* Read and delete (one use): Q_ENOTFOUND when absent or expired at now. */
int q_store_web_login_take(struct q_store *st, const char *hash, int64_t now,
			   struct q_web_login *out, struct q_error *err);
/* *hash_out: the user's encoded Argon2id hash, malloc'd, NULL when none;
 * Q_ENOTFOUND for no such user. */
int q_store_user_password_get(struct q_store *st, const char *name, int64_t *id, char **hash_out,
			      struct q_error *err);
/* encoded NULL: no local password. Ends the user's browser sessions.
 * Q_ENOTFOUND for no such user. */
int q_store_user_password_set(struct q_store *st, const char *name, const char *encoded,
			      struct q_error *err);
/* The user whose oidc_subject is subject: 0 with its id, name and role,
 * Q_ENOTFOUND when none. */
int q_store_user_by_subject(struct q_store *st, const char *subject, int64_t *id, char name[80],
			    char role[16], struct q_error *err);
/* Link user id to subject (a user not yet linked). */
int q_store_user_set_subject(struct q_store *st, int64_t id, const char *subject,
			     struct q_error *err);

/* --- SIG keys (store_keys.c; rotation) --- */

/* Every key sig has had, oldest first: [{"fpr","created","retired" (time, or
 * null for the current key),"current" (bool),"url" (its /pub file)}]. An
 * unknown sig gives []. */
int q_store_sig_keys(struct q_store *st, const char *sig, json_t **out, struct q_error *err);
/* new_fpr becomes sig's key: its history row is added, every other retired
 * now, sigs.key_fpr set. Call inside a transaction (with the audit row). */
int q_store_sig_key_rotate(struct q_store *st, const char *sig, const char *new_fpr,
			   struct q_error *err);

/* --- projects and repos --- */

/* fields: name, major (int), variant, arches (array). */
int q_store_project_create(struct q_store *st, const char *sig, json_t *fields,
			   struct q_error *err);
int q_store_project_get(struct q_store *st, const char *sig, const char *project, json_t **out,
			struct q_error *err);
int q_store_project_list(struct q_store *st, const char *sig, json_t **out, struct q_error *err);
/*
 * fields: name, channel (candidate, testing, release), arches (array). A repo's published path
 * /pub/sig/MAJOR/SIG/ARCH/NAME/ and metalink id sig-SIG-NAME-MAJOR belong
 * to one project: the create is refused (Q_ECONFLICT, naming the project
 * and repo that hold them) when another project, of any SIG, on the same
 * major has a repo with the same claim (q_store_repo_claim_owner).
 */
int q_store_repo_create(struct q_store *st, const char *sig, const char *project, json_t *fields,
			struct q_error *err);
/* The repo with "id", "major", "dist_tag", "key_fingerprint" added for internal use. */
int q_store_repo_get(struct q_store *st, const char *sig, const char *project, const char *repo,
		     json_t **out, struct q_error *err);
int q_store_repo_list(struct q_store *st, const char *sig, const char *project, json_t **out,
		      struct q_error *err);
/*
 * The claim of repo NAME of SIG: "SIG-BASE", BASE being NAME without one
 * trailing "-testing" (a repo and the testing repo its updates use,
 * R-testing, are claimed together). Its metalink id is sig-CLAIM[-testing]-
 * MAJOR and, within one SIG, its path is fixed by the name: two repos of
 * different projects on one major with equal claims would share a path, a
 * metalink id or a testing repo. *owner is {"sig","project","name","id"} of
 * the first repo (lowest id) of a project other than project_id on major
 * with that claim, or NULL. before_id > 0 (a repo's id): only repos created
 * before it, of projects other than its own, count (which repo of a pair
 * that exists already, from before the rule, may publish).
 */
int q_store_repo_claim_owner(struct q_store *st, int64_t project_id, int64_t major, const char *sig,
			     const char *name, int64_t before_id, json_t **owner,
			     struct q_error *err);
/* Every repo, as q_store_repo_get shows them, plus "sig" and "project". */
int q_store_repo_list_all(struct q_store *st, int only_dirty, json_t **out, struct q_error *err);
/* A change generation: mark_dirty increments it; clear_dirty resets it to 0
 * only if it still equals seen (so a change made during a publish is not
 * forgotten). */
int q_store_repo_mark_dirty(struct q_store *st, int64_t repo_id, struct q_error *err);
int q_store_repo_clear_dirty(struct q_store *st, int64_t repo_id, int64_t seen,
			     struct q_error *err);

/* --- packages --- */

/* Insert (or find, by SHA-256) a package; *id is its row. */
int q_store_package_put(struct q_store *st, const struct q_rpm_info *info, int64_t *id,
			struct q_error *err);
int q_store_repo_add_package(struct q_store *st, int64_t repo_id, int64_t package_id,
			     struct q_error *err);
/* [{"nevra","sha256","size","arch"}] */
int q_store_repo_packages(struct q_store *st, int64_t repo_id, json_t **out, struct q_error *err);
/* The same with "name","epoch","version","release" and "summary_xml" (the
 * summary as primary.xml holds it, XML-escaped), by name and arch (the web
 * UI's repo page; store_pages.c). */
int q_store_repo_packages_summary(struct q_store *st, int64_t repo_id, json_t **out,
				  struct q_error *err);
/* One package of a publish set; the strings live in the set's arena. */
struct q_store_pubpkg {
	const char *sha256;
	const char *filename;
	const char *primary; /* createrepo_c XML chunks */
	const char *filelists;
	const char *other;
};

struct q_store_pubset {
	size_t n;
	struct q_store_pubpkg *pkgs; /* g_malloc'd */
	void *arena;                 /* GStringChunk holding every string */
};

/* Packages for publishing one arch (arch or noarch), sorted by file name.
 * Plain C, no JSON: a publish reads megabytes of chunks. Free with
 * q_store_pubset_release. */
int q_store_repo_publish_set(struct q_store *st, int64_t repo_id, const char *arch,
			     struct q_store_pubset *out, struct q_error *err);
void q_store_pubset_release(struct q_store_pubset *set);

/* --- staged uploads --- */

/* Committed without waiting for the disk: durable with the next synchronous commit. */
int q_store_upload_put(struct q_store *st, const char *id, int64_t user_id, const char *filename,
		       const char *path, int64_t size, const char *sha256, struct q_error *err);
/* {"id","user_id","filename","path","size","sha256","created"} */
int q_store_upload_get(struct q_store *st, const char *id, json_t **out, struct q_error *err);
int q_store_upload_delete(struct q_store *st, const char *id, struct q_error *err);
/* Paths of uploads older than before (for the caller to unlink). */
int q_store_upload_expire(struct q_store *st, int64_t before, json_t **paths, struct q_error *err);

/* --- publish history --- */

struct q_publish_row {
	int64_t repo_id;
	const char *arch;
	int64_t time;
	const char *set_digest;
	int64_t repomd_size;
	int64_t revision; /* repomd.xml's timestamp */
	const char *md5, *sha1, *sha256, *sha512;
	int64_t n_packages;
};

int q_store_publish_add(struct q_store *st, const struct q_publish_row *row, int64_t keep,
			struct q_error *err);
/* The last set digest for (repo, arch), "" when never published. */
int q_store_publish_last_digest(struct q_store *st, int64_t repo_id, const char *arch, char out[65],
				struct q_error *err);
/* The repomd.xml SHA-256 the last publish of (repo, arch) recorded, "" when
 * never published. */
int q_store_publish_last_repomd(struct q_store *st, int64_t repo_id, const char *arch, char out[65],
				struct q_error *err);
int q_store_publish_history(struct q_store *st, int64_t repo_id, int64_t limit, json_t **out,
			    struct q_error *err);

/* --- audit --- */

int q_store_audit(struct q_store *st, const char *user, const char *action, const char *target,
		  const char *detail, struct q_error *err);
int q_store_audit_list(struct q_store *st, int64_t limit, json_t **out, struct q_error *err);

/* --- worker tokens, lookaside, builds, tasks (store_build.c) --- */

/* A token of scope "worker" for the worker NAME, owned by user_id. */
int q_store_token_create_worker(struct q_store *st, int64_t user_id, const char *hash,
				const char *worker, int64_t *id, struct q_error *err);
/* Remove every worker token of NAME (the embedded worker's, at hub start). */
int q_store_token_delete_worker(struct q_store *st, const char *worker, struct q_error *err);

int q_store_lookaside_add(struct q_store *st, const char *sha256, const char *sha1, int64_t size,
			  const char *filename, const char *sig, const char *user,
			  struct q_error *err);

/* fields: source, git_url, git_ref, git_commit, spec_sha256, nevr, name, arches (array),
 * owner, bundle_sha256, srpm_sha256, lookaside (array). */
int q_store_build_create(struct q_store *st, const char *sig, const char *project, json_t *fields,
			 int64_t *id, struct q_error *err);
int q_store_task_create(struct q_store *st, int64_t build_id, const char *kind, const char *arch,
			int64_t *id, struct q_error *err);
/* The build as the API shows it, plus "dist_tag", "major", "sig", "project",
 * "project_arches"; with tasks and artifacts when full. */
int q_store_build_get(struct q_store *st, int64_t id, int full, json_t **out, struct q_error *err);
/* Which builds q_store_build_list returns: each string "" or NULL for any,
 * since 0 for any; newest first, at most limit. */
struct q_build_filter {
	const char *sig;
	const char *project; /* within sig */
	const char *state;
	const char *owner;
	const char *package; /* the source package's name */
	int64_t since;       /* created at or after (seconds) */
	int64_t before;      /* id below this (a page of a list), 0 for any */
	int64_t limit;
};
int q_store_build_list(struct q_store *st, const struct q_build_filter *f, json_t **out,
		       struct q_error *err);
/*
 * Which repos hold package NAME (exact, or a GLOB pattern when glob): an
 * array of {"name","sig","project","repo","channel","arch","versions"}
 * (versions: "[EPOCH:]VERSION-RELEASE", the newest added first), sorted by
 * sig, project, repo, name, arch. At most limit versions in all; *truncated
 * is 1 when more matched.
 */
int q_store_package_search(struct q_store *st, const char *name, int glob, int64_t limit,
			   json_t **out, int *truncated, struct q_error *err);
int q_store_build_finish(struct q_store *st, int64_t id, const char *state, const char *message,
			 struct q_error *err);
int q_store_build_set_srpm(struct q_store *st, int64_t id, const char *sha256, struct q_error *err);
/* Cancel a build and its unfinished tasks. */
int q_store_build_cancel(struct q_store *st, int64_t id, struct q_error *err);

/* Requeue open tasks whose lease ended before now; fail those out of attempts
 * (and their builds). Returns the number requeued or failed in *n. */
int q_store_tasks_expire(struct q_store *st, int64_t now, int64_t max_attempts, int64_t *n,
			 struct q_error *err);
/* Claim the oldest free task of one of arches (JSON array) for worker; *task
 * is NULL when there is none. The claim increments the attempt. Tasks of a
 * project with a build tag go only to a worker whose backend is
 * "installroot" (backend NULL: "host"). */
int q_store_task_claim(struct q_store *st, const char *worker, json_t *arches, const char *backend,
		       int64_t lease_until, json_t **task, struct q_error *err);
/* The task with its build's fields ("dist_tag", "nevr", "bundle_sha256",
 * "srpm_sha256", "build_state"); "buildroot" and "buildroot_repos" as the
 * stored text (src/build/buildtag.h reads both). */
int q_store_task_get(struct q_store *st, int64_t id, json_t **out, struct q_error *err);
/* Q_ECONFLICT unless the task is open with this attempt for this worker;
 * *cancel = 1 when its build was canceled. */
int q_store_task_heartbeat(struct q_store *st, int64_t id, int64_t attempt, const char *worker,
			   int64_t lease_until, int *cancel, struct q_error *err);
int q_store_task_finish(struct q_store *st, int64_t id, int64_t attempt, const char *worker,
			const char *state, const char *message, const char *backend,
			const char *buildroot, struct q_error *err);
int q_store_artifact_add(struct q_store *st, int64_t task_id, int64_t attempt, const char *name,
			 const char *arch, const char *sha256, int64_t size, struct q_error *err);
/* Artifacts of the current attempts of a build's tasks:
 * [{"name","arch","sha256","size","task","kind"}]. */
int q_store_build_artifacts(struct q_store *st, int64_t build_id, json_t **out,
			    struct q_error *err);
/* Counts of the build's tasks by state: {"free":N,"open":N,…}. */
int q_store_build_task_states(struct q_store *st, int64_t build_id, json_t **out,
			      struct q_error *err);

int q_store_worker_seen(struct q_store *st, const char *name, json_t *arches, int64_t slots,
			struct q_error *err);
int q_store_worker_list(struct q_store *st, json_t **out, struct q_error *err);

/* --- scratch builds, one NEVR one build, unclaimed tasks, chains (store_chain.c) --- */
/* The non-scratch build of nevr in the project that is building or
 * complete: *other its id (0: none), state its state. */
int q_store_build_nevr_taken(struct q_store *st, const char *sig, const char *project,
			     const char *nevr, int64_t *other, char *state, size_t state_size,
			     struct q_error *err);
/* *n workers that serve arch ("src": any) and are alive: claimed since
 * `since`, or hold a task whose lease runs. */
int q_store_workers_serving(struct q_store *st, const char *arch, int64_t since, int64_t *n,
			    struct q_error *err);
/* 3600 → "1h", 90 → "90s", 1209600 → "14d". */
void q_store_duration_text(int64_t s, char *out, size_t size);
/* Fail the free tasks never claimed, created timeout seconds or more before
 * now, and their builds, naming the arch; *n how many. */
int q_store_tasks_unclaimed(struct q_store *st, int64_t now, int64_t timeout, int64_t *n,
			    struct q_error *err);
/* Scratch builds finished at or before `before` whose outputs are still
 * there: [{"id","bundle_sha256","srpm_sha256"}]. */
int q_store_scratch_expirable(struct q_store *st, int64_t before, json_t **out,
			      struct q_error *err);
/* The ids of a build's tasks (a JSON array of integers). */
int q_store_build_task_ids(struct q_store *st, int64_t build_id, json_t **out, struct q_error *err);
/* *refs > 0 when a recorded package, or a build other than build_id whose
 * outputs have not expired, uses the stored file sha256. */
int q_store_file_referenced(struct q_store *st, const char *sha256, int64_t build_id, int *refs,
			    struct q_error *err);
int q_store_build_mark_expired(struct q_store *st, int64_t build_id, struct q_error *err);
/* A note on a free task (why it may wait). */
int q_store_task_note(struct q_store *st, int64_t id, const char *message, struct q_error *err);
/* The SHA-256 of every file any attempt of the build's tasks uploaded. */
int q_store_build_artifact_shas(struct q_store *st, int64_t build_id, json_t **out,
				struct q_error *err);
int q_store_chain_create(struct q_store *st, int64_t project_id, int64_t repo_id, int64_t groups,
			 const char *owner, int64_t *id, struct q_error *err);
/* {"id","sig","project","repo","state","groups","current_group","owner",
 * "message","created","finished","builds":[{"id","group","nevr","state",
 * "source","message"}]}; groups are numbered from 1. */
int q_store_chain_get(struct q_store *st, int64_t id, json_t **out, struct q_error *err);
int q_store_chains_building(struct q_store *st, json_t **ids, struct q_error *err);
/* *chain_id 0 when the build is in no chain. */
int q_store_chain_of_build(struct q_store *st, int64_t build_id, int64_t *chain_id,
			   struct q_error *err);
/* The chain fails with message; its builds of later groups are canceled. */
int q_store_chain_fail(struct q_store *st, int64_t id, const char *message, struct q_error *err);
/* Look at a building chain: a failed or canceled build fails it (later
 * groups canceled); *ready = 1 when every build of the current group is
 * complete (the hub tags them, publishes and calls q_store_chain_advance). */
int q_store_chain_check(struct q_store *st, int64_t id, int *ready, struct q_error *err);
/* If the chain is still at group: go to the next one (its builds get
 * their SRPM task) or, after the last, complete it. *advanced 0 when
 * another thread did it first. */
int q_store_chain_advance(struct q_store *st, int64_t id, int64_t group, int *advanced,
			  struct q_error *err);

/* Publishes for the metalink service: each repo/arch's newest, and the ones
 * at or after since; [{"sig","repo","major","arch","time","revision","size",
 * "md5","sha1","sha256","sha512","newest"}] grouped by repo/arch, newest first. */
int q_store_publish_window(struct q_store *st, int64_t since, json_t **out, struct q_error *err);

/* --- mirrors (store_mirror.c) --- */

/* Insert or update the mirror NAME: definition is its JSON (q_mirrordef_to_json,
 * stored as text), state "pending", "active" or "disabled"; an update also
 * sets the state, clears the reason and the failure count. */
int q_store_mirror_put(struct q_store *st, const char *name, json_t *definition, const char *state,
		       const char *applied_by, struct q_error *err);
/* {"name","definition" (object),"state","reason","failures","created","updated",
 * "applied_by"}; Q_ENOTFOUND when missing. */
int q_store_mirror_get(struct q_store *st, const char *name, json_t **out, struct q_error *err);
/* Every mirror as _get shows it, by name. */
int q_store_mirror_list(struct q_store *st, json_t **out, struct q_error *err);
/* Set the state and reason ("" clears it); Q_ENOTFOUND when missing. */
int q_store_mirror_set_state(struct q_store *st, const char *name, const char *state,
			     const char *reason, struct q_error *err);
/* Q_ENOTFOUND when missing. Its check rows go with it. */
int q_store_mirror_delete(struct q_store *st, const char *name, struct q_error *err);

/* --- the crawler (store_mirror.c) --- */

/* The crawl saw mirror serve sha256 for (repo, arch) at now: kept as its
 * first_seen unless an earlier one is recorded. */
int q_store_mirror_served(struct q_store *st, const char *mirror, const char *repo,
			  const char *arch, const char *sha256, int64_t now, struct q_error *err);
/* Forget what mirrors served that no publish in the history has (any more). */
int q_store_mirror_served_prune(struct q_store *st, struct q_error *err);
/* Where update id has reached, mirror by mirror: for the repo it is in now
 * (testing: its testing repo since testing_since; release: its release
 * repo since released; other states: none), per arch, the first publish
 * recorded at or after that time, the active mirrors checked for that
 * repo/arch (the denominator), those holding the update now (their last
 * check served that publish or a later one, not partial), since when each
 * (the first time the crawl saw it serve one of them) and the seconds from
 * the publish until half and nine tenths of the denominator held it (null
 * while not reached). Times as the API shows them (q_json_time).
 * [{"repo","arch","publish":{"time","sha256"}|null,"mirrors","holding",
 *   "time_to_50","time_to_90","holders":[{"mirror","since"}]}] */
int q_store_update_propagation(struct q_store *st, int64_t id, json_t **out, struct q_error *err);
/* When a publish (of any repo, in the history kept) had this repomd.xml
 * SHA-256: *when its time, 0 when none had. */
int q_store_publish_find_repomd(struct q_store *st, const char *sha256, int64_t *when,
				struct q_error *err);

/* The mirrors a crawl checks, as _get shows them: with name NULL every
 * active mirror and every one the crawler disabled itself (auto_disabled);
 * with a name, that mirror whatever its state (Q_ENOTFOUND when missing). */
int q_store_mirror_crawl_list(struct q_store *st, const char *name, json_t **out,
			      struct q_error *err);
/* Record one check of (mirror, repo, arch): state is a q_crawl_state name,
 * sha256 "" when nothing was received. newest: sha256 is the newest publish;
 * newest_since is set to now when it starts being so, 0 when it is not. */
int q_store_mirror_check_put(struct q_store *st, const char *mirror, const char *repo,
			     const char *arch, const char *state, const char *sha256, bool newest,
			     int http_status, const char *error, double seconds, int64_t now,
			     struct q_error *err);
/* After a crawl of mirror NAME: ok when the crawl counts as a success (the
 * hub's rule: some check was up to date, lagging or partial; docs/MIRRORS.md)
 * the failure count is reset and an auto-disabled mirror re-enabled; otherwise the
 * count grows and at max_failures an active mirror is disabled with
 * auto_disabled set and the reason "N failed crawls in a row: ERROR".
 * ipv4/ipv6: 1 reachable, 0 not, -1 unknown (unchanged). *change: 0, or
 * 1 disabled now, 2 re-enabled now. Pending and admin-disabled mirrors keep
 * their state. */
int q_store_mirror_crawled(struct q_store *st, const char *name, bool ok, int ipv4, int ipv6,
			   int max_failures, const char *error, int *change, struct q_error *err);
/* Check rows ({"mirror","repo","arch","state","sha256","http_status","error",
 * "seconds","last_check","last_success","newest_since"}) of one mirror
 * (mirror NULL: all), by mirror, repo, arch. */
int q_store_mirror_checks(struct q_store *st, const char *mirror, json_t **out,
			  struct q_error *err);

/* Crawl runs: queued by POST /crawls or the schedule, run by the crawler thread. */
int q_store_crawl_add(struct q_store *st, const char *mirror, const char *requested_by, int64_t *id,
		      struct q_error *err);
/* The oldest queued crawl, now marked running ({"id","mirror",…}); *out NULL when none. */
int q_store_crawl_take(struct q_store *st, json_t **out, struct q_error *err);
/* state "done" or "failed"; summary is stored as JSON text. */
int q_store_crawl_finish(struct q_store *st, int64_t id, const char *state, json_t *summary,
			 struct q_error *err);
/* {"id","mirror","requested_by","state","created","started","finished","summary"(object)} */
int q_store_crawl_get(struct q_store *st, int64_t id, json_t **out, struct q_error *err);
/* Crawls left running by a hub that stopped are marked failed (at start). */
int q_store_crawl_reset(struct q_store *st, struct q_error *err);

/* Build tasks claimed by a worker right now (state open). */
int q_store_tasks_running(struct q_store *st, int64_t *n, struct q_error *err);

/* --- updates, gating policies, signed copies (store_update.c) --- */

/* {"required_checks":"a,b","testing_days","lead_approval","auto_testing",
 * "sign_testing","rpmlint_config","uploads_testing","uploads_release",
 * "stable_karma","unstable_karma"}: the
 * project's row, or the defaults. */
int q_store_policy_get(struct q_store *st, int64_t project_id, json_t **out, struct q_error *err);
/* p: every field of _get (already validated). */
int q_store_policy_put(struct q_store *st, int64_t project_id, json_t *p, struct q_error *err);
/* A candidate update of build_ids (JSON integers); a build already in an
 * update → Q_ECONFLICT naming it. Call inside a transaction. */
int q_store_update_create(struct q_store *st, int64_t project_id, int64_t release_repo_id,
			  int64_t testing_repo_id, json_t *build_ids, const char *notes,
			  const char *by, int64_t *id, struct q_error *err);
/* {"id","sig","project","project_id","release_repo","testing_repo","release_repo_id",
 * "testing_repo_id","state","notes","created_by","created","updated","testing_since",
 * "released","approved_by","obsoleted_by" (null: none),"revoke_reason","revoked"
 * (ISO time or null),
 * "builds":[{"id","nevr","name","state"}],"comments":[{"user","karma","text",
 * "created" (ISO time)}],"karma"} */
int q_store_update_get(struct q_store *st, int64_t id, json_t **out, struct q_error *err);
/* sig, state: filters or NULL; newest first. */
int q_store_update_list(struct q_store *st, const char *sig, const char *project, const char *state,
			json_t **out, struct q_error *err);
/* from → to, only if the update is still in from (else Q_ECONFLICT); sets
 * testing_since / released when entering those states. */
int q_store_update_set_state(struct q_store *st, int64_t id, const char *from, const char *to,
			     struct q_error *err);
int q_store_update_approve(struct q_store *st, int64_t id, const char *by, struct q_error *err);
/* Put build_id in update_id: a build in no update joins; a build of an
 * unpushed or obsolete update moves (it leaves that update); any other →
 * Q_ECONFLICT naming the update. Inside a transaction. */
int q_store_update_take_build(struct q_store *st, int64_t update_id, int64_t build_id,
			      struct q_error *err);
/* Take build_id out of update_id (Q_EINVAL when it is not there). */
int q_store_update_drop_build(struct q_store *st, int64_t update_id, int64_t build_id,
			      struct q_error *err);
/* Remove the build's RPMs and their signed copies from repo_id; adds the
 * number of rows removed to *removed. */
int q_store_repo_remove_build(struct q_store *st, int64_t repo_id, int64_t build_id, int *removed,
			      struct q_error *err);
/* from (candidate or testing) → obsolete, obsoleted_by = by. */
int q_store_update_obsolete(struct q_store *st, int64_t id, const char *from, int64_t by,
			    struct q_error *err);
/* release → revoked with the reason. */
int q_store_update_revoke(struct q_store *st, int64_t id, const char *reason, struct q_error *err);
/* [{"update_id","state","name","nevr","newer"}]: builds of the other
 * candidate and testing updates of the same release repo that share a
 * package (source) name with a build ("newer": its nevr) of update_id. */
int q_store_update_rivals(struct q_store *st, int64_t update_id, json_t **out, struct q_error *err);
/* A comment with karma -1, 0 or 1. */
int q_store_update_comment(struct q_store *st, int64_t update_id, const char *user, int karma,
			   const char *text, struct q_error *err);
/* The sum of each user's latest karma, the creator's excluded. */
int q_store_update_karma(struct q_store *st, int64_t update_id, int64_t *karma,
			 struct q_error *err);
/* *update_id 0 when the build is in no update. */
int q_store_update_of_build(struct q_store *st, int64_t build_id, int64_t *update_id,
			    struct q_error *err);
int q_store_repo_remove_package(struct q_store *st, int64_t repo_id, int64_t package_id,
				struct q_error *err);
int q_store_repo_has_package(struct q_store *st, int64_t repo_id, int64_t package_id, bool *has,
			     struct q_error *err);
/* Remove every signed copy of package_id (any key) from the repo. */
int q_store_repo_remove_signed(struct q_store *st, int64_t repo_id, int64_t package_id,
			       struct q_error *err);
/* The copy of package_id signed with fpr; *signed_id 0 when none yet. */
int q_store_signed_get(struct q_store *st, int64_t package_id, const char *fpr, int64_t *signed_id,
		       struct q_error *err);
int q_store_signed_put(struct q_store *st, int64_t package_id, const char *fpr, int64_t signed_id,
		       struct q_error *err);
/* {"BUILD_ID":[{"name","state","summary"}…]} for the builds of an update. */
int q_store_update_checks(struct q_store *st, int64_t update_id, json_t **out, struct q_error *err);
/* The SHA-256 of package id. */
int q_store_package_sha256(struct q_store *st, int64_t id, char out[65], struct q_error *err);
/* *id 0 when no package has that SHA-256. */
int q_store_package_by_sha256(struct q_store *st, const char *sha256, int64_t *id,
			      struct q_error *err);

/* --- advisories (store_advisory.c) --- */

/* Set the advisory fields given in fields (validated by the API): any of
 * "type", "severity", "title", "notes" (strings), "references" (list);
 * others keep their values. Only in candidate, testing and unpushed (else
 * Q_ECONFLICT naming the state). Call inside a transaction. */
int q_store_update_advisory_put(struct q_store *st, int64_t id, json_t *fields,
				struct q_error *err);
/* The update's advisory id into out: the one it has, or a new one
 * (SIGNAME-MAJOR-YEAR-NNNN, YEAR of now in UTC) from the SIG's counter.
 * Call inside the transaction that moves the update to testing. */
int q_store_update_assign_advisory(struct q_store *st, int64_t id, int64_t now, char *out,
				   size_t size, struct q_error *err);
/* Add "type", "severity" (null when none), "title", "references" (list of
 * {"type","id","url","title"}), "advisory" (null until assigned) and
 * "advisory_issued" (q_json_time) to update u (which has "id"). */
int q_store_update_advisory_fill(struct q_store *st, json_t *u, struct q_error *err);
/* The advisories a repo carries for arch (updates in testing for a testing
 * repo, released ones for a release repo, with an advisory id), oldest
 * first, as publish/updateinfo.h takes them: {"id","advisory","type",
 * "severity","title","default_title","notes","references","issued",
 * "updated","status","packages":[…]}, packages those of the repo's set. */
int q_store_repo_advisories(struct q_store *st, int64_t repo_id, const char *arch, json_t **out,
			    struct q_error *err);

/* --- build tags (store_buildtag.c) --- */

/* The project's tags, "*" first then by arch: [{"arch","releasever","repos",
 * "packages","macros"}] (src/build/buildtag.h); [] when it has none. */
int q_store_buildtags_get(struct q_store *st, int64_t project_id, json_t **out,
			  struct q_error *err);
/* Replace the project's tags with tags (validated, normalized). Call inside
 * a transaction (with the audit row). */
int q_store_buildtags_put(struct q_store *st, int64_t project_id, json_t *tags,
			  struct q_error *err);
/* For a task: {"kind","arch","arches" (the build's),"project_id","major",
 * "sig","tag_arch" (the task's arch; an SRPM task's is the build's first
 * arch),"tag" (the tag of tag_arch, else "*", else null)}. */
int q_store_task_buildtag(struct q_store *st, int64_t task_id, json_t **out, struct q_error *err);
/* tasks.buildroot_repos (JSON text; NULL stores "[]"). */
int q_store_task_set_buildroot_repos(struct q_store *st, int64_t task_id, const char *repos,
				     struct q_error *err);
/* tasks.buildroot_repos as JSON ([] when unknown). */
int q_store_task_buildroot_repos(struct q_store *st, int64_t task_id, json_t **out,
				 struct q_error *err);
/* The build's RPMs (closed rpm tasks' current attempts) and whether the repo
 * holds each (or a signed copy): [{"name","arch","sha256","in_repo" (0/1)}]. */
int q_store_repo_build_packages(struct q_store *st, int64_t repo_id, int64_t build_id, json_t **out,
				struct q_error *err);

/* --- checks (store_check.c) --- */

/* Bounds of what a check row stores (longer text is cut). */
#define Q_STORE_CHECK_OUTPUT_MAX ((size_t)256 << 10)
#define Q_STORE_CHECK_SUMMARY_MAX ((size_t)500)

/* Queue the checks names (NULL-terminated, e.g. q_check_names) of a build:
 * a new row is queued with run 1; an existing one goes back to queued with
 * run + 1 and its result cleared. Runs in the caller's transaction. */
int q_store_checks_queue(struct q_store *st, int64_t build_id, const char *const *names,
			 struct q_error *err);
/* The oldest queued check, now running: {"id","build","name","run"}; *out
 * NULL when none is queued. */
int q_store_check_take(struct q_store *st, json_t **out, struct q_error *err);
/* state "pass", "fail" or "error"; summary (first line) and output are cut
 * to the bounds above and made valid UTF-8. Changes nothing unless the row
 * is still running with this run (a requeue meanwhile wins). */
int q_store_check_finish(struct q_store *st, int64_t id, int64_t run, const char *state,
			 const char *summary, const char *output, struct q_error *err);
/* [{"name","state","summary","output","run","created","started","finished"}]
 * of a build, in the order they were first queued. */
int q_store_check_list(struct q_store *st, int64_t build_id, json_t **out, struct q_error *err);
/* Checks left running by a hub that stopped go back to the queue (at start). */
int q_store_check_reset(struct q_store *st, struct q_error *err);
/* What the checker needs besides the build: {"rpmlint_config" (the
 * project's policy, "" by default), "update_id" (0: none), "project_id", "others":
 * [{"build","name","arch","sha256"}] the binary RPMs of the other builds of
 * the build's update}. */
int q_store_check_inputs(struct q_store *st, int64_t build_id, json_t **out, struct q_error *err);

/* --- metrics --- */

/* {"sigs":N,"projects":N,"repos":N,"packages":N,"publishes":N} */
int q_store_counts(struct q_store *st, json_t **out, struct q_error *err);

#endif
