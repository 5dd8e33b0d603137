/*
 * api.h: helpers shared by the API handlers (one file per resource).
 */
#ifndef Q_API_H
#define Q_API_H

#include "http/http.h"
#include "publish/rpm.h"

struct q_error;

/* Roles, weakest first, as far as one SIG is concerned. */
enum q_sig_level { Q_LEVEL_MEMBER = 1, Q_LEVEL_LEAD = 2 };

/* Admin only. */
int q_api_need_admin(struct q_request *r, const char *action, struct q_error *err);
/* Admin or releng. */
int q_api_need_releng(struct q_request *r, const char *action, struct q_error *err);
/* Admin, releng, or a member of sig with at least level. */
int q_api_need_sig(struct q_request *r, const char *sig, enum q_sig_level level, const char *action,
		   struct q_error *err);

/* Write an audit row for the authenticated user; steals detail. */
int q_api_audit(struct q_request *r, const char *action, const char *target, json_t *detail,
		struct q_error *err);

/* An optional string field: absent → NULL; not a string → error naming it. */
int q_api_str(json_t *body, const char *key, int required, size_t maxlen, const char **out,
	      struct q_error *err);

/* Create a token for a user (used by `quarry init` too); *token g_malloc'd. */
int q_api_create_token_for(struct q_store *st, int64_t user_id, const char *desc, char **token,
			   struct q_error *err);

/* Refuse a query parameter whose name is not in keys (NULL-terminated):
 * 0, or -1 with err (Q_EINVAL) naming it and the known ones. */
int q_api_query_known(struct q_request *r, const char *const *keys, struct q_error *err);
/* Query parameter key as a name of kind (core/names.h): 1 found, 0 absent,
 * -1 with err naming the parameter. */
int q_api_query_name(struct q_request *r, const char *key, int kind, char *out, size_t size,
		     struct q_error *err);

typedef void (*q_api_handler)(struct q_request *r, const char **caps);

/* Route i of the table (from 0): its method, pattern and the name of its
 * authorization rule ("public", "user", "self", "admin", "releng",
 * "sig-member", "sig-lead", "owner-or-sig-lead", "worker"; NULL when the
 * route declares none). -1 past the end. For tests and `quarry api-routes`. */
int q_api_route_info(size_t i, const char **method, const char **pattern, const char **rule);
/* The token scope route i needs: "read" (a GET), "release" (listed as
 * release-level in api.c) or "build"; NULL past the end. */
const char *q_api_route_scope(size_t i);
/* The release-level list itself ("METHOD PATTERN" each), for the tests. */
size_t q_api_release_route_count(void);
const char *q_api_release_route(size_t i);

void q_api_users(struct q_request *r, const char **caps);
void q_api_user_create(struct q_request *r, const char **caps);
/* PUT /users/NAME/password {"password": "…" or null}: the web UI's local
 * password (Argon2id), by the user themself or an admin. */
void q_api_user_password(struct q_request *r, const char **caps);
void q_api_whoami(struct q_request *r, const char **caps);
void q_api_tokens(struct q_request *r, const char **caps);
void q_api_token_create(struct q_request *r, const char **caps);
void q_api_token_delete(struct q_request *r, const char **caps);
void q_api_audit_list(struct q_request *r, const char **caps);

void q_api_sigs(struct q_request *r, const char **caps);
void q_api_sig_create(struct q_request *r, const char **caps);
void q_api_sig_get(struct q_request *r, const char **caps);
void q_api_sig_update(struct q_request *r, const char **caps);
void q_api_sig_retire(struct q_request *r, const char **caps);
void q_api_sig_key(struct q_request *r, const char **caps);
void q_api_sig_keys(struct q_request *r, const char **caps);
void q_api_sig_key_rotate(struct q_request *r, const char **caps);
void q_api_member_put(struct q_request *r, const char **caps);
void q_api_member_delete(struct q_request *r, const char **caps);

void q_api_projects(struct q_request *r, const char **caps);
void q_api_project_create(struct q_request *r, const char **caps);
void q_api_project_get(struct q_request *r, const char **caps);
void q_api_repos(struct q_request *r, const char **caps);
void q_api_repo_create(struct q_request *r, const char **caps);
void q_api_repo_get(struct q_request *r, const char **caps);
void q_api_repo_history(struct q_request *r, const char **caps);
void q_api_repo_publish(struct q_request *r, const char **caps);
void q_api_publish_all(struct q_request *r, const char **caps);
/* the SIG release package of a project (hub/release_pkg.c) */
void q_api_release_package(struct q_request *r, const char **caps);

void q_api_upload(struct q_request *r, const char **caps);
void q_api_packages_add(struct q_request *r, const char **caps);
void q_api_repo_add_build(struct q_request *r, const char **caps);

/* builds.c */
void q_api_build_create(struct q_request *r, const char **caps);
void q_api_builds(struct q_request *r, const char **caps);
void q_api_build_get(struct q_request *r, const char **caps);
void q_api_build_cancel(struct q_request *r, const char **caps);
void q_api_build_resubmit(struct q_request *r, const char **caps);
void q_api_task_log(struct q_request *r, const char **caps);
void q_api_build_artifact(struct q_request *r, const char **caps);
void q_api_build_provenance(struct q_request *r, const char **caps);
void q_api_workers(struct q_request *r, const char **caps);
void q_api_lookaside_upload(struct q_request *r, const char **caps);
/* GET /lookaside/HASH outside /api/v1; -1 when the path is not that. */
int q_api_lookaside_get(struct q_request *r);
/* A build's source, imported and checked, not yet a build (builds.c). */
struct q_build_src {
	json_t *fields; /* for q_store_build_create */
	json_t *arches;
	json_t *up; /* the staged upload of an SRPM */
	struct q_rpm_info info;
	int git;
	const char *srpm_id; /* the upload id (in the request body) */
};
int q_api_build_prepare(struct q_request *r, json_t *proj, json_t *body, struct q_build_src *b,
			struct q_error *err);
int q_api_build_insert(struct q_request *r, const char *sig, const char *project,
		       struct q_build_src *b, int64_t chain, int64_t group, int start, int64_t *id,
		       struct q_error *err);
void q_api_build_src_release(struct q_build_src *b);

/* chains.c: chain builds, warnings about arches no worker serves, what
 * follows the end of a task, the scratch builds' expired outputs. */
void q_api_chain_create(struct q_request *r, const char **caps);
void q_api_chain_get(struct q_request *r, const char **caps);
/* ["no worker serves aarch64; …"] for the free tasks (and the arches to
 * come) of build id; never NULL. */
json_t *q_api_unserved_warnings(struct q_request *r, int64_t id);
/* Inside the transaction that ended a task (after advance_build): note on
 * new free tasks that no worker serves their arch; a chain build that
 * ended fails its chain or makes its group ready. */
int q_api_build_after_task(struct q_request *r, json_t *task, struct q_error *err);
/* 0, or -1 with a 410 when build b's outputs expired (a scratch build). */
int q_api_outputs_expired(json_t *b, struct q_error *err);

/* Inside a transaction: the rpm tasks of a build whose SRPM is known. */
int q_api_schedule_rpm_tasks(struct q_store *st, int64_t build_id, json_t *arches,
			     const char *build_archs, struct q_error *err);

/* checks.c: a build's checks */
void q_api_build_checks(struct q_request *r, const char **caps);
void q_api_build_check(struct q_request *r, const char **caps);

/* mirrors.c: the mirror registry */
void q_api_mirrors(struct q_request *r, const char **caps);
void q_api_mirror_get(struct q_request *r, const char **caps);
void q_api_mirror_apply(struct q_request *r, const char **caps);
void q_api_mirror_import(struct q_request *r, const char **caps);
void q_api_mirror_approve(struct q_request *r, const char **caps);
void q_api_mirror_disable(struct q_request *r, const char **caps);
void q_api_mirror_enable(struct q_request *r, const char **caps);
void q_api_mirror_delete(struct q_request *r, const char **caps);
/* updates.c: updates and gating policies */
void q_api_update_create(struct q_request *r, const char **caps);
void q_api_updates(struct q_request *r, const char **caps);
void q_api_packages_search(struct q_request *r, const char **caps);
void q_api_update_get(struct q_request *r, const char **caps);
void q_api_update_promote(struct q_request *r, const char **caps);
void q_api_update_unpush(struct q_request *r, const char **caps);
void q_api_update_approve(struct q_request *r, const char **caps);
/* update_life.c: editing builds, comments and karma, revoke, untag */
/* Whether build id may join an update of sig/project: a complete, not
 * scratch build of that project; else Q_EINVAL naming why. */
int q_api_update_build_fits(struct q_store *st, const char *sig, const char *project, int64_t id,
			    struct q_error *err);
void q_api_update_builds(struct q_request *r, const char **caps);
void q_api_update_comment(struct q_request *r, const char **caps);
void q_api_update_revoke(struct q_request *r, const char **caps);
void q_api_repo_untag(struct q_request *r, const char **caps);
/* PATCH an update's advisory fields (advisory.c). */
void q_api_update_edit(struct q_request *r, const char **caps);
void q_api_policy_get(struct q_request *r, const char **caps);

/* Build tags and waiting for a repo (buildtags.c). */
void q_api_buildroot_get(struct q_request *r, const char **caps);
void q_api_buildroot_put(struct q_request *r, const char **caps);
void q_api_repo_has_build_get(struct q_request *r, const char **caps);
/*
 * Whether repo (as q_store_repo_get gives it) has published build_id's RPMs
 * for every arch of the build it publishes (arch: only that one): *out is
 * {"build","build_state","repo","ready","final" (waiting is pointless: the
 * build failed, or has no RPM for an arch),"message" (what is missing),
 * "arches":[{"arch","packages","missing":[file names],"published","repomd_sha256"}]}.
 * The one check behind has-build, for waiting callers to reuse.
 */
int q_api_repo_has_build(struct q_store *st, json_t *repo, int64_t build_id, const char *arch,
			 json_t **out, struct q_error *err);
void q_api_policy_put(struct q_request *r, const char **caps);
void q_api_crawl_start(struct q_request *r, const char **caps);
void q_api_crawl_get(struct q_request *r, const char **caps);
void q_api_propagation(struct q_request *r, const char **caps);

/* upload_sessions.c: files larger than one request body (docs/HTTP_API.md) */
void q_api_upsession_create(struct q_request *r, const char **caps);
void q_api_upsession_part(struct q_request *r, const char **caps);
void q_api_upsession_delete(struct q_request *r, const char **caps);
/* Remove the upload sessions older than hub.upload_ttl, with their files. */
void q_api_upsession_expire(struct q_hub *hub);
/*
 * The file a request carries, put at dest (which must not exist): the
 * request's body, or, with ?session=ID and no body, the file of a complete
 * upload session of the same token, checked against its declared size and
 * SHA-256 (the session is used up; a wrong SHA-256 removes it). Either way
 * at most max bytes (else Q_ETOOBIG), and X-Content-SHA256, when given,
 * must match. *declared: whether a SHA-256 was declared (header or
 * session). what names the file in messages ("upload 'x.rpm'").
 */
int q_api_body_to_file(struct q_request *r, const char *what, int64_t max, const char *dest,
		       int64_t *size, char sha256[65], int *declared, struct q_error *err);

/* The route table, for /metrics: how many routes, and route i's method and
 * pattern (q_request.route is i + 1 once dispatched). */
size_t q_api_route_count(void);
void q_api_route_name(size_t i, const char **method, const char **pattern);

/* worker.c: the worker protocol */
void q_api_worker_claim(struct q_request *r, const char **caps);
void q_api_worker_input(struct q_request *r, const char **caps);
void q_api_worker_heartbeat(struct q_request *r, const char **caps);
void q_api_worker_log(struct q_request *r, const char **caps);
void q_api_worker_artifact(struct q_request *r, const char **caps);
void q_api_worker_result(struct q_request *r, const char **caps);

#endif
