/*
 * api.c: the route table of /api/v1 and the permission helpers.
 *
 * A route is a method, a pattern of decoded path segments ('*' captures
 * one) and a handler. Authentication is done here for routes that need it,
 * so a handler that runs with need_auth can trust r->who.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "api/api.h"
#include "hub/hub.h"

struct route {
	const char *method;
	const char *pattern;
	int need_auth; /* 0: public, 1: a user token, 2: a worker token */
	q_api_handler fn;
};

static const struct route routes[] = {
    {"GET", "api/v1/whoami", 1, q_api_whoami},
    {"GET", "api/v1/users", 1, q_api_users},
    {"POST", "api/v1/users", 1, q_api_user_create},
    {"GET", "api/v1/tokens", 1, q_api_tokens},
    {"POST", "api/v1/tokens", 1, q_api_token_create},
    {"DELETE", "api/v1/tokens/*", 1, q_api_token_delete},
    {"GET", "api/v1/audit", 1, q_api_audit_list},
    {"GET", "api/v1/sigs", 0, q_api_sigs},
    {"POST", "api/v1/sigs", 1, q_api_sig_create},
    {"GET", "api/v1/sigs/*", 0, q_api_sig_get},
    {"PATCH", "api/v1/sigs/*", 1, q_api_sig_update},
    {"POST", "api/v1/sigs/*/retire", 1, q_api_sig_retire},
    {"GET", "api/v1/sigs/*/key", 0, q_api_sig_key},
    {"GET", "api/v1/sigs/*/keys", 0, q_api_sig_keys},
    {"POST", "api/v1/sigs/*/keys/rotate", 1, q_api_sig_key_rotate},
    {"PUT", "api/v1/sigs/*/members/*", 1, q_api_member_put},
    {"DELETE", "api/v1/sigs/*/members/*", 1, q_api_member_delete},
    {"GET", "api/v1/sigs/*/projects", 0, q_api_projects},
    {"POST", "api/v1/sigs/*/projects", 1, q_api_project_create},
    {"GET", "api/v1/sigs/*/projects/*", 0, q_api_project_get},
    {"GET", "api/v1/sigs/*/projects/*/repos", 0, q_api_repos},
    {"POST", "api/v1/sigs/*/projects/*/repos", 1, q_api_repo_create},
    {"GET", "api/v1/sigs/*/projects/*/repos/*", 0, q_api_repo_get},
    {"GET", "api/v1/sigs/*/projects/*/repos/*/history", 0, q_api_repo_history},
    {"POST", "api/v1/sigs/*/projects/*/repos/*/publish", 1, q_api_repo_publish},
    {"POST", "api/v1/sigs/*/projects/*/repos/*/packages", 1, q_api_packages_add},
    {"POST", "api/v1/sigs/*/projects/*/release-package", 1, q_api_release_package},
    {"POST", "api/v1/publish", 1, q_api_publish_all},
    {"POST", "api/v1/uploads", 1, q_api_upload},
    {"POST", "api/v1/upload-sessions", 1, q_api_upsession_create},
    {"PUT", "api/v1/upload-sessions/*", 1, q_api_upsession_part},
    {"DELETE", "api/v1/upload-sessions/*", 1, q_api_upsession_delete},
    {"POST", "api/v1/sigs/*/projects/*/repos/*/builds", 1, q_api_repo_add_build},
    {"POST", "api/v1/sigs/*/projects/*/builds", 1, q_api_build_create},
    {"POST", "api/v1/sigs/*/lookaside", 1, q_api_lookaside_upload},
    {"GET", "api/v1/builds", 0, q_api_builds},
    {"GET", "api/v1/builds/*", 0, q_api_build_get},
    {"POST", "api/v1/builds/*/cancel", 1, q_api_build_cancel},
    {"POST", "api/v1/builds/*/resubmit", 1, q_api_build_resubmit},
    {"GET", "api/v1/builds/*/tasks/*/log", 0, q_api_task_log},
    {"GET", "api/v1/builds/*/artifacts/*", 0, q_api_build_artifact},
    {"GET", "api/v1/builds/*/provenance", 0, q_api_build_provenance},
    {"GET", "api/v1/builds/*/checks", 0, q_api_build_checks},
    {"POST", "api/v1/builds/*/check", 1, q_api_build_check},
    {"GET", "api/v1/workers", 0, q_api_workers},
    {"GET", "api/v1/mirrors", 0, q_api_mirrors},
    {"POST", "api/v1/mirrors", 1, q_api_mirror_apply},
    {"POST", "api/v1/mirrors/import", 1, q_api_mirror_import},
    {"GET", "api/v1/mirrors/*", 0, q_api_mirror_get},
    {"DELETE", "api/v1/mirrors/*", 1, q_api_mirror_delete},
    {"POST", "api/v1/mirrors/*/approve", 1, q_api_mirror_approve},
    {"POST", "api/v1/mirrors/*/disable", 1, q_api_mirror_disable},
    {"POST", "api/v1/mirrors/*/enable", 1, q_api_mirror_enable},
    {"POST", "api/v1/sigs/*/projects/*/updates", 1, q_api_update_create},
    {"GET", "api/v1/sigs/*/projects/*/policy", 0, q_api_policy_get},
    {"PUT", "api/v1/sigs/*/projects/*/policy", 1, q_api_policy_put},
    {"GET", "api/v1/updates", 0, q_api_updates},
    {"GET", "api/v1/updates/*", 0, q_api_update_get},
    {"POST", "api/v1/updates/*/promote", 1, q_api_update_promote},
    {"POST", "api/v1/updates/*/unpush", 1, q_api_update_unpush},
    {"POST", "api/v1/updates/*/approve", 1, q_api_update_approve},
    {"POST", "api/v1/crawls", 1, q_api_crawl_start},
    {"GET", "api/v1/crawls/*", 0, q_api_crawl_get},
    {"GET", "api/v1/propagation", 0, q_api_propagation},
    {"POST", "api/v1/worker/claim", 2, q_api_worker_claim},
    {"GET", "api/v1/worker/tasks/*/input", 2, q_api_worker_input},
    {"POST", "api/v1/worker/tasks/*/heartbeat", 2, q_api_worker_heartbeat},
    {"POST", "api/v1/worker/tasks/*/log", 2, q_api_worker_log},
    {"POST", "api/v1/worker/tasks/*/artifacts", 2, q_api_worker_artifact},
    {"POST", "api/v1/worker/tasks/*/result", 2, q_api_worker_result},
    {"POST", "api/v1/worker/upload-sessions", 2, q_api_upsession_create},
    {"PUT", "api/v1/worker/upload-sessions/*", 2, q_api_upsession_part},
    {"DELETE", "api/v1/worker/upload-sessions/*", 2, q_api_upsession_delete},
};

int q_api_dispatch(struct q_request *r)
{
	const char *caps[8] = {0};
	struct q_error err = {0};
	int path_matched = 0;

	if (r->path.n < 2 || strcmp(r->path.seg[0], "api") || strcmp(r->path.seg[1], "v1"))
		return -1;
	for (size_t i = 0; i < Q_ARRAY_LEN(routes); i++) {
		if (!q_path_match(&r->path, routes[i].pattern, caps, Q_ARRAY_LEN(caps)))
			continue;
		path_matched = 1;
		if (!q_http_method_is(r, routes[i].method) &&
		    !(q_http_method_is(r, "HEAD") && !strcmp(routes[i].method, "GET")))
			continue;
		r->route = (int)i + 1;
		if (routes[i].need_auth && q_http_auth(r, &err) < 0) {
			q_http_send_error(r, &err);
			return 0;
		}
		/* need_auth 2: the worker protocol, for worker tokens only; worker
		 * tokens are refused everywhere else. */
		if (routes[i].need_auth == 2 && strcmp(r->who.scope, "worker")) {
			q_error_set(&err, Q_EPERM,
				    "this is the worker protocol: it takes a worker token "
				    "(quarry token create --worker NAME)");
			q_http_send_error(r, &err);
			return 0;
		}
		if (routes[i].need_auth == 1 && !strcmp(r->who.scope, "worker")) {
			q_error_set(&err, Q_EPERM,
				    "worker tokens may only claim and report tasks (worker '%s')",
				    r->who.worker);
			q_http_send_error(r, &err);
			return 0;
		}
		routes[i].fn(r, caps);
		return 0;
	}
	if (path_matched) {
		char allow[64] = "";

		for (size_t i = 0; i < Q_ARRAY_LEN(routes); i++)
			if (q_path_match(&r->path, routes[i].pattern, caps, Q_ARRAY_LEN(caps)) &&
			    strlen(allow) + strlen(routes[i].method) + 3 < sizeof(allow)) {
				if (allow[0])
					strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
				strncat(allow, routes[i].method, sizeof(allow) - strlen(allow) - 1);
			}
		h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_ALLOW, NULL,
			       h2o_strdup(&r->req->pool, allow, SIZE_MAX).base, strlen(allow));
		q_error_set(&err, Q_EINVAL, "method %.*s is not allowed here; use %s",
			    (int)(r->req->method.len > 16 ? 16 : r->req->method.len),
			    r->req->method.base, allow);
		q_http_send_error_status(r, 405, &err);
		return 0;
	}
	q_error_set(&err, Q_ENOTFOUND, "no API resource at this path; see docs/HTTP_API.md");
	q_http_send_error(r, &err);
	return 0;
}

size_t q_api_route_count(void)
{
	return Q_ARRAY_LEN(routes);
}

void q_api_route_name(size_t i, const char **method, const char **pattern)
{
	*method = i < Q_ARRAY_LEN(routes) ? routes[i].method : "";
	*pattern = i < Q_ARRAY_LEN(routes) ? routes[i].pattern : "";
}

int q_api_need_admin(struct q_request *r, const char *action, struct q_error *err)
{
	if (!strcmp(r->who.role, "admin"))
		return 0;
	return q_error_set(err, Q_EPERM, "user '%s' may not %s: only admins may", r->who.name,
			   action);
}

int q_api_need_releng(struct q_request *r, const char *action, struct q_error *err)
{
	if (!strcmp(r->who.role, "admin") || !strcmp(r->who.role, "releng"))
		return 0;
	return q_error_set(err, Q_EPERM,
			   "user '%s' may not %s: only admins and release engineers may",
			   r->who.name, action);
}

int q_api_need_sig(struct q_request *r, const char *sig, enum q_sig_level level, const char *action,
		   struct q_error *err)
{
	char role[16];

	if (!strcmp(r->who.role, "admin") || !strcmp(r->who.role, "releng"))
		return 0;
	if (q_store_sig_member_role(r->st, sig, r->who.user_id, role, err) < 0)
		return -1;
	if (!strcmp(role, "lead") || (level == Q_LEVEL_MEMBER && !strcmp(role, "member")))
		return 0;
	if (level == Q_LEVEL_LEAD)
		return q_error_set(
		    err, Q_EPERM,
		    "user '%s' may not %s: only leads of sig '%s', release engineers "
		    "and admins may%s",
		    r->who.name, action, sig, role[0] ? " (you are a member, not a lead)" : "");
	return q_error_set(err, Q_EPERM,
			   "user '%s' may not %s: only members of sig '%s', release engineers and "
			   "admins may",
			   r->who.name, action, sig);
}

int q_api_audit(struct q_request *r, const char *action, const char *target, json_t *detail,
		struct q_error *err)
{
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = q_store_audit(r->st, r->who.name, action, target, d ? d : "", err);

	free(d);
	json_decref(detail);
	return rc;
}

int q_api_str(json_t *body, const char *key, int required, size_t maxlen, const char **out,
	      struct q_error *err)
{
	json_t *v = json_object_get(body, key);

	*out = NULL;
	if (!v) {
		if (required)
			return q_error_set(err, Q_EINVAL, "field '%s' is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return q_error_set(err, Q_EINVAL, "field '%s' must be a string", key);
	if (json_string_length(v) > maxlen)
		return q_error_set(err, Q_EINVAL, "field '%s' is longer than %zu bytes", key,
				   maxlen);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return q_error_set(err, Q_EINVAL, "field '%s' contains a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}
