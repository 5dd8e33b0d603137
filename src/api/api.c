/*
 * api.c: the route table of /api/v1 and the permission helpers.
 *
 * A route is a method, a pattern of decoded path segments ('*' captures
 * one), its authorization rule and a handler. Authentication is done here
 * for routes that need it, so a handler of a non-public route can trust
 * r->who.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "api/api.h"
#include "core/names.h"
#include "hub/hub.h"

/*
 * Who may call a route. The dispatcher checks what it can see from the
 * token alone (none needed, a user's, a worker's); the handler checks the
 * rest (admin, releng, the SIG of the object, ownership) and must agree
 * with the rule declared here: t0321 calls every route of this table with
 * every role and checks that the roles the rule forbids are refused.
 * Q_RULE_UNDECLARED (0, a route written without a rule) is refused for
 * everyone and fails the route-table unit test.
 */
enum q_api_rule {
	Q_RULE_UNDECLARED = 0,
	Q_RULE_PUBLIC,            /* no token needed */
	Q_RULE_USER,              /* any user's token */
	Q_RULE_SELF,              /* any user on their own tokens; admins on anyone's */
	Q_RULE_ADMIN,             /* admins */
	Q_RULE_RELENG,            /* release engineers and admins */
	Q_RULE_SIG_MEMBER,        /* members and leads of the object's SIG, releng, admins */
	Q_RULE_SIG_LEAD,          /* leads of the object's SIG, releng, admins */
	Q_RULE_OWNER_OR_SIG_LEAD, /* the build's or update's owner, or as Q_RULE_SIG_LEAD */
	Q_RULE_WORKER,            /* a worker token (the worker protocol) */
};

static const char *const rule_names[] = {
    [Q_RULE_UNDECLARED] = NULL,
    [Q_RULE_PUBLIC] = "public",
    [Q_RULE_USER] = "user",
    [Q_RULE_SELF] = "self",
    [Q_RULE_ADMIN] = "admin",
    [Q_RULE_RELENG] = "releng",
    [Q_RULE_SIG_MEMBER] = "sig-member",
    [Q_RULE_SIG_LEAD] = "sig-lead",
    [Q_RULE_OWNER_OR_SIG_LEAD] = "owner-or-sig-lead",
    [Q_RULE_WORKER] = "worker",
};

struct route {
	const char *method;
	const char *pattern;
	enum q_api_rule rule;
	q_api_handler fn;
};

static const struct route routes[] = {
    {"GET", "api/v1/whoami", Q_RULE_USER, q_api_whoami},
    {"GET", "api/v1/users", Q_RULE_ADMIN, q_api_users},
    {"POST", "api/v1/users", Q_RULE_ADMIN, q_api_user_create},
    {"PUT", "api/v1/users/*/password", Q_RULE_SELF, q_api_user_password},
    {"GET", "api/v1/tokens", Q_RULE_USER, q_api_tokens},
    {"POST", "api/v1/tokens", Q_RULE_SELF, q_api_token_create},
    {"DELETE", "api/v1/tokens/*", Q_RULE_SELF, q_api_token_delete},
    {"GET", "api/v1/audit", Q_RULE_ADMIN, q_api_audit_list},
    {"GET", "api/v1/sigs", Q_RULE_PUBLIC, q_api_sigs},
    {"POST", "api/v1/sigs", Q_RULE_ADMIN, q_api_sig_create},
    {"GET", "api/v1/sigs/*", Q_RULE_PUBLIC, q_api_sig_get},
    {"PATCH", "api/v1/sigs/*", Q_RULE_SIG_LEAD, q_api_sig_update},
    {"POST", "api/v1/sigs/*/retire", Q_RULE_ADMIN, q_api_sig_retire},
    {"GET", "api/v1/sigs/*/key", Q_RULE_PUBLIC, q_api_sig_key},
    {"GET", "api/v1/sigs/*/keys", Q_RULE_PUBLIC, q_api_sig_keys},
    {"POST", "api/v1/sigs/*/keys/rotate", Q_RULE_SIG_LEAD, q_api_sig_key_rotate},
    {"PUT", "api/v1/sigs/*/members/*", Q_RULE_SIG_LEAD, q_api_member_put},
    {"DELETE", "api/v1/sigs/*/members/*", Q_RULE_SIG_LEAD, q_api_member_delete},
    {"GET", "api/v1/sigs/*/projects", Q_RULE_PUBLIC, q_api_projects},
    {"POST", "api/v1/sigs/*/projects", Q_RULE_SIG_LEAD, q_api_project_create},
    {"GET", "api/v1/sigs/*/projects/*", Q_RULE_PUBLIC, q_api_project_get},
    {"GET", "api/v1/sigs/*/projects/*/repos", Q_RULE_PUBLIC, q_api_repos},
    {"POST", "api/v1/sigs/*/projects/*/repos", Q_RULE_SIG_LEAD, q_api_repo_create},
    {"GET", "api/v1/sigs/*/projects/*/repos/*", Q_RULE_PUBLIC, q_api_repo_get},
    {"GET", "api/v1/sigs/*/projects/*/repos/*/history", Q_RULE_PUBLIC, q_api_repo_history},
    {"POST", "api/v1/sigs/*/projects/*/repos/*/publish", Q_RULE_SIG_MEMBER, q_api_repo_publish},
    {"POST", "api/v1/sigs/*/projects/*/repos/*/packages", Q_RULE_SIG_MEMBER, q_api_packages_add},
    {"POST", "api/v1/sigs/*/projects/*/release-package", Q_RULE_SIG_LEAD, q_api_release_package},
    {"POST", "api/v1/publish", Q_RULE_RELENG, q_api_publish_all},
    {"POST", "api/v1/uploads", Q_RULE_USER, q_api_upload},
    {"POST", "api/v1/upload-sessions", Q_RULE_USER, q_api_upsession_create},
    {"PUT", "api/v1/upload-sessions/*", Q_RULE_USER, q_api_upsession_part},
    {"DELETE", "api/v1/upload-sessions/*", Q_RULE_USER, q_api_upsession_delete},
    {"POST", "api/v1/sigs/*/projects/*/repos/*/builds", Q_RULE_SIG_MEMBER, q_api_repo_add_build},
    {"POST", "api/v1/sigs/*/projects/*/builds", Q_RULE_SIG_MEMBER, q_api_build_create},
    {"POST", "api/v1/sigs/*/projects/*/chains", Q_RULE_SIG_MEMBER, q_api_chain_create},
    {"GET", "api/v1/chains/*", Q_RULE_PUBLIC, q_api_chain_get},
    {"POST", "api/v1/sigs/*/lookaside", Q_RULE_SIG_MEMBER, q_api_lookaside_upload},
    {"GET", "api/v1/builds", Q_RULE_PUBLIC, q_api_builds},
    {"GET", "api/v1/builds/*", Q_RULE_PUBLIC, q_api_build_get},
    {"POST", "api/v1/builds/*/cancel", Q_RULE_OWNER_OR_SIG_LEAD, q_api_build_cancel},
    {"POST", "api/v1/builds/*/resubmit", Q_RULE_SIG_MEMBER, q_api_build_resubmit},
    {"GET", "api/v1/builds/*/tasks/*/log", Q_RULE_PUBLIC, q_api_task_log},
    {"GET", "api/v1/builds/*/artifacts/*", Q_RULE_PUBLIC, q_api_build_artifact},
    {"GET", "api/v1/builds/*/provenance", Q_RULE_PUBLIC, q_api_build_provenance},
    {"GET", "api/v1/builds/*/checks", Q_RULE_PUBLIC, q_api_build_checks},
    {"POST", "api/v1/builds/*/check", Q_RULE_SIG_MEMBER, q_api_build_check},
    {"GET", "api/v1/workers", Q_RULE_PUBLIC, q_api_workers},
    {"GET", "api/v1/mirrors", Q_RULE_PUBLIC, q_api_mirrors},
    {"POST", "api/v1/mirrors", Q_RULE_USER, q_api_mirror_apply},
    {"POST", "api/v1/mirrors/import", Q_RULE_RELENG, q_api_mirror_import},
    {"GET", "api/v1/mirrors/*", Q_RULE_PUBLIC, q_api_mirror_get},
    {"DELETE", "api/v1/mirrors/*", Q_RULE_RELENG, q_api_mirror_delete},
    {"POST", "api/v1/mirrors/*/approve", Q_RULE_RELENG, q_api_mirror_approve},
    {"POST", "api/v1/mirrors/*/disable", Q_RULE_RELENG, q_api_mirror_disable},
    {"POST", "api/v1/mirrors/*/enable", Q_RULE_RELENG, q_api_mirror_enable},
    {"POST", "api/v1/sigs/*/projects/*/updates", Q_RULE_SIG_MEMBER, q_api_update_create},
    {"GET", "api/v1/sigs/*/projects/*/policy", Q_RULE_PUBLIC, q_api_policy_get},
    {"PUT", "api/v1/sigs/*/projects/*/policy", Q_RULE_SIG_LEAD, q_api_policy_put},
    {"GET", "api/v1/sigs/*/projects/*/buildroot", Q_RULE_PUBLIC, q_api_buildroot_get},
    {"PUT", "api/v1/sigs/*/projects/*/buildroot", Q_RULE_SIG_LEAD, q_api_buildroot_put},
    {"GET", "api/v1/sigs/*/projects/*/repos/*/has-build", Q_RULE_PUBLIC, q_api_repo_has_build_get},
    {"GET", "api/v1/updates", Q_RULE_PUBLIC, q_api_updates},
    {"GET", "api/v1/packages", Q_RULE_PUBLIC, q_api_packages_search},
    {"GET", "api/v1/updates/*", Q_RULE_PUBLIC, q_api_update_get},
    {"POST", "api/v1/updates/*/promote", Q_RULE_SIG_MEMBER, q_api_update_promote},
    {"POST", "api/v1/updates/*/unpush", Q_RULE_SIG_LEAD, q_api_update_unpush},
    {"POST", "api/v1/updates/*/approve", Q_RULE_SIG_LEAD, q_api_update_approve},
    {"POST", "api/v1/updates/*/builds", Q_RULE_SIG_MEMBER, q_api_update_builds},
    {"POST", "api/v1/updates/*/comments", Q_RULE_USER, q_api_update_comment},
    {"POST", "api/v1/updates/*/revoke", Q_RULE_RELENG, q_api_update_revoke},
    {"DELETE", "api/v1/sigs/*/projects/*/repos/*/builds/*", Q_RULE_SIG_MEMBER, q_api_repo_untag},
    {"PATCH", "api/v1/updates/*", Q_RULE_OWNER_OR_SIG_LEAD, q_api_update_edit},
    {"POST", "api/v1/crawls", Q_RULE_RELENG, q_api_crawl_start},
    {"GET", "api/v1/crawls/*", Q_RULE_PUBLIC, q_api_crawl_get},
    {"GET", "api/v1/propagation", Q_RULE_PUBLIC, q_api_propagation},
    {"POST", "api/v1/worker/claim", Q_RULE_WORKER, q_api_worker_claim},
    {"GET", "api/v1/worker/tasks/*/input", Q_RULE_WORKER, q_api_worker_input},
    {"POST", "api/v1/worker/tasks/*/heartbeat", Q_RULE_WORKER, q_api_worker_heartbeat},
    {"POST", "api/v1/worker/tasks/*/log", Q_RULE_WORKER, q_api_worker_log},
    {"POST", "api/v1/worker/tasks/*/artifacts", Q_RULE_WORKER, q_api_worker_artifact},
    {"POST", "api/v1/worker/tasks/*/result", Q_RULE_WORKER, q_api_worker_result},
    {"POST", "api/v1/worker/upload-sessions", Q_RULE_WORKER, q_api_upsession_create},
    {"PUT", "api/v1/worker/upload-sessions/*", Q_RULE_WORKER, q_api_upsession_part},
    {"DELETE", "api/v1/worker/upload-sessions/*", Q_RULE_WORKER, q_api_upsession_delete},
};

/*
 * Token scopes. A token of scope "read" may call GET routes only; "build"
 * also every route that is not release-level (builds, uploads, lookaside,
 * tags, update edits and comments); "release" and "user" (the default) all
 * that their owner may do. The scope a route needs follows from its method
 * and this list of release-level routes (what changes who may do what, what
 * users of the repositories receive, or the hub itself). A new route is
 * "read" as a GET and "build" otherwise unless it is listed here.
 */
static const char *const release_routes[] = {
    "POST api/v1/users",
    "PUT api/v1/users/*/password",
    "POST api/v1/tokens",
    "DELETE api/v1/tokens/*",
    "POST api/v1/sigs",
    "PATCH api/v1/sigs/*",
    "POST api/v1/sigs/*/retire",
    "POST api/v1/sigs/*/keys/rotate",
    "PUT api/v1/sigs/*/members/*",
    "DELETE api/v1/sigs/*/members/*",
    "POST api/v1/sigs/*/projects",
    "POST api/v1/sigs/*/projects/*/repos",
    "POST api/v1/sigs/*/projects/*/release-package",
    "POST api/v1/publish",
    "POST api/v1/mirrors/import",
    "DELETE api/v1/mirrors/*",
    "POST api/v1/mirrors/*/approve",
    "POST api/v1/mirrors/*/disable",
    "POST api/v1/mirrors/*/enable",
    "PUT api/v1/sigs/*/projects/*/policy",
    "PUT api/v1/sigs/*/projects/*/buildroot",
    "POST api/v1/updates/*/promote",
    "POST api/v1/updates/*/unpush",
    "POST api/v1/updates/*/approve",
    "POST api/v1/updates/*/revoke",
    "POST api/v1/crawls",
};

enum q_scope_level { Q_SCOPE_READ = 1, Q_SCOPE_BUILD = 2, Q_SCOPE_RELEASE = 3 };

static const char *const scope_names[] = {
    [Q_SCOPE_READ] = "read",
    [Q_SCOPE_BUILD] = "build",
    [Q_SCOPE_RELEASE] = "release",
};

static enum q_scope_level route_scope(const struct route *rt)
{
	size_t ml = strlen(rt->method);

	if (!strcmp(rt->method, "GET"))
		return Q_SCOPE_READ;
	for (size_t i = 0; i < Q_ARRAY_LEN(release_routes); i++)
		if (!strncmp(release_routes[i], rt->method, ml) && release_routes[i][ml] == ' ' &&
		    !strcmp(release_routes[i] + ml + 1, rt->pattern))
			return Q_SCOPE_RELEASE;
	return Q_SCOPE_BUILD;
}

/* What a token's scope allows; 0 for a scope that is not a user's. */
static enum q_scope_level token_scope(const char *scope)
{
	if (!strcmp(scope, "read"))
		return Q_SCOPE_READ;
	if (!strcmp(scope, "build"))
		return Q_SCOPE_BUILD;
	if (!strcmp(scope, "release") || !strcmp(scope, "user"))
		return Q_SCOPE_RELEASE;
	return 0;
}

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
		if (routes[i].rule == Q_RULE_UNDECLARED) {
			q_error_set(
			    &err, Q_EPERM,
			    "this route declares no authorization rule: nobody may call it");
			q_http_send_error(r, &err);
			return 0;
		}
		if (routes[i].rule != Q_RULE_PUBLIC && q_http_auth(r, &err) < 0) {
			q_http_send_error(r, &err);
			return 0;
		}
		/* The worker protocol, for worker tokens only; worker tokens are
		 * refused everywhere else. */
		if (routes[i].rule == Q_RULE_WORKER && strcmp(r->who.scope, "worker")) {
			q_error_set(&err, Q_EPERM,
				    "this is the worker protocol: it takes a worker token "
				    "(quarry token create --worker NAME)");
			q_http_send_error(r, &err);
			return 0;
		}
		if (routes[i].rule != Q_RULE_PUBLIC && routes[i].rule != Q_RULE_WORKER &&
		    !strcmp(r->who.scope, "worker")) {
			q_error_set(&err, Q_EPERM,
				    "worker tokens may only claim and report tasks (worker '%s')",
				    r->who.worker);
			q_http_send_error(r, &err);
			return 0;
		}
		if (routes[i].rule != Q_RULE_PUBLIC && routes[i].rule != Q_RULE_WORKER &&
		    token_scope(r->who.scope) < route_scope(&routes[i])) {
			enum q_scope_level need = route_scope(&routes[i]);

			q_error_set(&err, Q_EPERM,
				    "this token's scope is '%s'; %s %s needs a token of scope "
				    "'%s'%s (quarry token create --scope %s)",
				    r->who.scope, routes[i].method, routes[i].pattern + 7,
				    scope_names[need], need == Q_SCOPE_BUILD ? " or 'release'" : "",
				    scope_names[need]);
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

int q_api_route_info(size_t i, const char **method, const char **pattern, const char **rule)
{
	if (i >= Q_ARRAY_LEN(routes))
		return -1;
	*method = routes[i].method;
	*pattern = routes[i].pattern;
	*rule =
	    (size_t)routes[i].rule < Q_ARRAY_LEN(rule_names) ? rule_names[routes[i].rule] : NULL;
	return 0;
}

const char *q_api_route_scope(size_t i)
{
	if (i >= Q_ARRAY_LEN(routes))
		return NULL;
	return scope_names[route_scope(&routes[i])];
}

size_t q_api_release_route_count(void)
{
	return Q_ARRAY_LEN(release_routes);
}

const char *q_api_release_route(size_t i)
{
	return i < Q_ARRAY_LEN(release_routes) ? release_routes[i] : NULL;
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

int q_api_query_known(struct q_request *r, const char *const *keys, struct q_error *err)
{
	const char *q = r->query;
	size_t len = r->query_len, i = 0;

	while (i < len) {
		size_t j = i, klen;
		int known = 0;

		while (j < len && q[j] != '&')
			j++;
		for (klen = 0; i + klen < j && q[i + klen] != '='; klen++)
			;
		for (size_t k = 0; klen && keys[k]; k++)
			known |= strlen(keys[k]) == klen && !memcmp(keys[k], q + i, klen);
		if (klen && !known) {
			char list[256] = "";

			for (size_t k = 0; keys[k]; k++) {
				if (k)
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
				strncat(list, keys[k], sizeof(list) - strlen(list) - 1);
			}
			return q_error_set(err, Q_EINVAL,
					   "query parameter '%.*s' is unknown here; known: %s",
					   (int)(klen > 64 ? 64 : klen), q + i, list);
		}
		i = j + 1;
	}
	return 0;
}

int q_api_query_name(struct q_request *r, const char *key, int kind, char *out, size_t size,
		     struct q_error *err)
{
	char what[64];
	int found = q_query_get(r->query, r->query_len, key, out, size, err);

	if (found <= 0)
		return found;
	snprintf(what, sizeof(what), "query parameter '%s'", key);
	if (q_name_check((enum q_name_kind)kind, what, out, err) < 0)
		return -1;
	return 1;
}
