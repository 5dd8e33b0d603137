/*
 * updates.c: /updates and /sigs/S/projects/P/{updates,policy} — updates that
 * move builds from candidate to testing to release under the project's
 * gating policy (docs/HTTP_API.md, "Updates").
 *
 * Who may do what: any member of the SIG creates an update and moves it to
 * testing; a SIG lead (or releng, admin) approves, moves to release,
 * unpushes and sets the policy.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"
#include "api/advisory.h"
#include "api/api.h"
#include "hub/hub.h"

#include <glib.h>

#define MAX_BUILDS 100
#define MAX_NOTES 10000
#define MAX_RPMLINTRC 65536
static const char *const known_checks[] = {"disttag", "rpmlint", "closure", "installable",
					   "conflicts"};

/* An update id from the path. */
static int update_id(const char *cap, int64_t *id, struct q_error *err)
{
	if (q_parse_int(cap, 1, INT64_MAX, id) < 0)
		return q_error_set(err, Q_EINVAL, "update id '%.64s' is not a positive integer",
				   cap);
	return 0;
}

/* The update with its builds' checks, for answers. */
static json_t *with_checks(struct q_store *st, json_t *u)
{
	json_t *checks = NULL;
	struct q_error err = {0};

	if (q_store_update_checks(st, json_integer_value(json_object_get(u, "id")), &checks,
				  &err) == 0)
		json_object_set_new(u, "checks", checks);
	json_object_del(u, "project_id");
	json_object_del(u, "release_repo_id");
	json_object_del(u, "testing_repo_id");
	return u;
}

/* The testing repo of release repo R: R-testing, created on first use. */
static int testing_repo(struct q_request *r, const char *sig, const char *project, json_t *rel,
			json_t **out, struct q_error *err)
{
	char name[80];
	json_t *f;

	snprintf(name, sizeof(name), "%s-testing", json_string_value(json_object_get(rel, "name")));
	if (q_store_repo_get(r->st, sig, project, name, out, err) == 0) {
		if (strcmp(json_string_value(json_object_get(*out, "channel")), "testing"))
			return q_error_set(err, Q_ECONFLICT,
					   "repo '%s' exists but its channel is not testing", name);
		return 0;
	}
	if (err->code != Q_ENOTFOUND)
		return -1;
	q_error_clear(err);
	if (q_name_check(Q_NAME_REPO, "testing repo name", name, err) < 0)
		return q_error_set(err, Q_EINVAL,
				   "the testing repo of '%s' would be '%s', which is not a valid "
				   "repo name (too long?)",
				   json_string_value(json_object_get(rel, "name")), name);
	f = json_pack("{s:s,s:s,s:O}", "name", name, "channel", "testing", "arches",
		      json_object_get(rel, "arches"));
	if (q_store_repo_create(r->st, sig, project, f, err) < 0 ||
	    q_api_audit(r, "repo.create", sig,
			json_pack("{s:s,s:O,s:s}", "project", project, "repo", f, "why",
				  "testing repo of an update"),
			err) < 0) {
		json_decref(f);
		return -1;
	}
	json_decref(f);
	return q_store_repo_get(r->st, sig, project, name, out, err);
}

void q_api_update_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *proj = NULL, *rel = NULL, *test = NULL, *builds, *b,
	       *ids = json_array();
	json_t *u = NULL, *res = NULL, *adv = NULL;
	const char *repo = NULL, *notes = NULL;
	int64_t id = 0;
	size_t i;

	if (q_api_need_sig(r, caps[0], Q_LEVEL_MEMBER, "create updates in this SIG", &err) < 0 ||
	    q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "repo", 1, 64, &repo, &err) < 0 ||
	    q_api_str(body, "notes", 0, MAX_NOTES, &notes, &err) < 0 ||
	    q_advisory_fields(body, NULL, 0, &adv, &err) < 0)
		goto fail;
	builds = json_object_get(body, "builds");
	if (!json_is_array(builds) || json_array_size(builds) == 0 ||
	    json_array_size(builds) > MAX_BUILDS) {
		q_error_set(&err, Q_EINVAL, "field 'builds' must be a list of 1 to %d build ids",
			    MAX_BUILDS);
		goto fail;
	}
	if (q_store_repo_get(r->st, caps[0], caps[1], repo, &rel, &err) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(rel, "channel")), "release")) {
		q_error_set(&err, Q_EINVAL,
			    "repo '%s' is a %s repo; an update names the release repo it goes to",
			    repo, json_string_value(json_object_get(rel, "channel")));
		goto fail;
	}
	json_array_foreach (builds, i, b) {
		if (!json_is_integer(b) || json_integer_value(b) <= 0) {
			q_error_set(&err, Q_EINVAL, "builds[%zu] is not a build id", i);
			goto fail;
		}
		if (q_api_update_build_fits(r->st, caps[0], caps[1], json_integer_value(b), &err) <
		    0)
			goto fail;
		json_array_append(ids, b);
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (testing_repo(r, caps[0], caps[1], rel, &test, &err) < 0 ||
	    q_store_update_create(r->st, json_integer_value(json_object_get(proj, "id")),
				  json_integer_value(json_object_get(rel, "id")),
				  json_integer_value(json_object_get(test, "id")), ids,
				  notes ? notes : "", r->who.name, &id, &err) < 0 ||
	    q_store_update_advisory_put(r->st, id, adv, &err) < 0 ||
	    q_api_audit(r, "update.create", caps[0],
			json_pack("{s:I,s:s,s:s,s:O}", "update", (json_int_t)id, "project", caps[1],
				  "repo", repo, "builds", ids),
			&err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	/* Checks already passed and the policy moves to testing by itself: do it now. */
	q_hub_auto_testing(r->hub, r->st, id);
	if (q_store_update_get(r->st, id, &u, &err) < 0)
		goto fail;
	q_http_send_json(r, 201, with_checks(r->st, u));
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(res);
	json_decref(adv);
	json_decref(body);
	json_decref(proj);
	json_decref(rel);
	json_decref(test);
	json_decref(ids);
}

/* GET /updates[?sig=&project=&state=]: newest first; a parameter that is
 * unknown or malformed is refused (400) by name. */
void q_api_updates(struct q_request *r, const char **caps)
{
	static const char *const keys[] = {"sig", "project", "state", NULL};
	static const char *const states[] = {"candidate", "testing",  "release",
					     "unpushed",  "obsolete", "revoked"};
	struct q_error err = {0};
	char sig[64] = "", project[64] = "", state[32] = "";
	json_t *list = NULL, *u;
	size_t i;
	int known = 0;

	(void)caps;
	if (q_api_query_known(r, keys, &err) < 0 ||
	    q_api_query_name(r, "sig", Q_NAME_SIG, sig, sizeof(sig), &err) < 0 ||
	    q_api_query_name(r, "project", Q_NAME_PROJECT, project, sizeof(project), &err) < 0 ||
	    q_query_get(r->query, r->query_len, "state", state, sizeof(state), &err) < 0)
		goto fail;
	if (project[0] && !sig[0]) {
		q_error_set(&err, Q_EINVAL, "query parameter 'project' needs 'sig' (its SIG)");
		goto fail;
	}
	for (i = 0; i < Q_ARRAY_LEN(states); i++)
		known |= !strcmp(state, states[i]);
	if (state[0] && !known) {
		q_error_set(&err, Q_EINVAL,
			    "query parameter 'state' '%.32s' is unknown; use candidate, testing, "
			    "release, unpushed, obsolete or revoked",
			    state);
		goto fail;
	}
	if (q_store_update_list(r->st, sig[0] ? sig : NULL, project[0] ? project : NULL,
				state[0] ? state : NULL, &list, &err) < 0)
		goto fail;
	json_array_foreach (list, i, u)
		with_checks(r->st, u);
	q_http_send_json(r, 200, json_pack("{s:o}", "updates", list));
	return;
fail:
	q_http_send_error(r, &err);
}

void q_api_update_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *u = NULL, *prop = NULL;
	int64_t id;

	if (update_id(caps[0], &id, &err) < 0 || q_store_update_get(r->st, id, &u, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	with_checks(r->st, u);
	/* Where its builds are on the mirrors (nothing more when that fails). */
	if (q_store_update_propagation(r->st, id, &prop, &err) == 0)
		json_object_set_new(u, "propagation", prop);
	else
		q_warn("update %" PRId64 ": propagation: %s", id, err.msg);
	q_http_send_json(r, 200, u);
}

/* The update, after checking that the caller has level in its SIG. */
static int load_for(struct q_request *r, const char *cap, enum q_sig_level level,
		    const char *action, int64_t *id, json_t **u, struct q_error *err)
{
	*u = NULL;
	if (update_id(cap, id, err) < 0 || q_store_update_get(r->st, *id, u, err) < 0)
		return -1;
	return q_api_need_sig(r, json_string_value(json_object_get(*u, "sig")), level, action, err);
}

void q_api_update_promote(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *u = NULL, *res = NULL;
	const char *to = NULL;
	int64_t id;

	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "to", 1, 16, &to, &err) < 0)
		goto fail;
	if (strcmp(to, "testing") && strcmp(to, "release")) {
		q_error_set(&err, Q_EINVAL, "field 'to' must be 'testing' or 'release', not '%s'",
			    to);
		goto fail;
	}
	if (load_for(r, caps[0], !strcmp(to, "release") ? Q_LEVEL_LEAD : Q_LEVEL_MEMBER,
		     !strcmp(to, "release") ? "release this SIG's updates"
					    : "move this SIG's updates to testing",
		     &id, &u, &err) < 0)
		goto fail;
	if (q_hub_promote(r->hub, r->st, id, to, r->who.name, &res, &err) < 0)
		goto fail;
	with_checks(r->st, json_object_get(res, "update"));
	q_http_send_json(r, 200, res);
	res = NULL;
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(body);
	json_decref(u);
	json_decref(res);
}

void q_api_update_unpush(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *u = NULL, *res = NULL;
	int64_t id;

	if (load_for(r, caps[0], Q_LEVEL_LEAD, "unpush this SIG's updates", &id, &u, &err) < 0 ||
	    q_hub_unpush(r->hub, r->st, id, r->who.name, NULL, &res, &err) < 0) {
		q_http_send_error(r, &err);
		json_decref(u);
		return;
	}
	json_decref(u);
	with_checks(r->st, json_object_get(res, "update"));
	q_http_send_json(r, 200, res);
}

void q_api_update_approve(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *u = NULL;
	int64_t id;
	char target[64];

	if (load_for(r, caps[0], Q_LEVEL_LEAD, "approve this SIG's updates", &id, &u, &err) < 0)
		goto fail;
	json_decref(u);
	u = NULL;
	snprintf(target, sizeof(target), "update %" PRId64, id);
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_update_approve(r->st, id, r->who.name, &err) < 0 ||
	    q_api_audit(r, "update.approve", target, NULL, &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_store_update_get(r->st, id, &u, &err) < 0)
		goto fail;
	q_http_send_json(r, 200, with_checks(r->st, u));
	return;
fail:
	json_decref(u);
	q_http_send_error(r, &err);
}

void q_api_policy_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *proj = NULL, *p = NULL;

	if (q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0 ||
	    q_store_policy_get(r->st, json_integer_value(json_object_get(proj, "id")), &p, &err) <
		0) {
		json_decref(proj);
		q_http_send_error(r, &err);
		return;
	}
	json_decref(proj);
	q_http_send_json(r, 200, p);
}

/* A boolean or 0/1 field into p (absent: unchanged). */
static int bool_field(json_t *body, json_t *p, const char *k, struct q_error *err)
{
	json_t *v = json_object_get(body, k);

	if (!v)
		return 0;
	if (json_is_boolean(v))
		json_object_set_new(p, k, json_integer(json_is_true(v)));
	else
		return q_error_set(err, Q_EINVAL, "field '%s' must be true or false", k);
	return 0;
}

/* stable_karma (0 = not required, else the karma a release needs) and
 * unstable_karma (0 = off, else the negative karma that unpushes). */
static int karma_fields(json_t *body, json_t *p, struct q_error *err)
{
	json_t *v;

	if ((v = json_object_get(body, "stable_karma"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 1000)
			return q_error_set(err, Q_EINVAL,
					   "field 'stable_karma' must be 0 (not required) to 1000");
		json_object_set(p, "stable_karma", v);
	}
	if ((v = json_object_get(body, "unstable_karma"))) {
		if (!json_is_integer(v) || json_integer_value(v) > 0 ||
		    json_integer_value(v) < -1000)
			return q_error_set(err, Q_EINVAL,
					   "field 'unstable_karma' must be 0 (off) or a negative "
					   "threshold down to -1000");
		json_object_set(p, "unstable_karma", v);
	}
	return 0;
}

void q_api_policy_put(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *proj = NULL, *p = NULL, *v;
	const char *checks = NULL, *rc = NULL;

	if (q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "set this SIG's gating policies", &err) < 0 ||
	    q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0 ||
	    q_store_policy_get(r->st, json_integer_value(json_object_get(proj, "id")), &p, &err) <
		0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "required_checks", 0, 200, &checks, &err) < 0 ||
	    q_api_str(body, "rpmlint_config", 0, MAX_RPMLINTRC, &rc, &err) < 0 ||
	    bool_field(body, p, "lead_approval", &err) < 0 ||
	    bool_field(body, p, "auto_testing", &err) < 0 ||
	    bool_field(body, p, "sign_testing", &err) < 0 ||
	    bool_field(body, p, "uploads_testing", &err) < 0 ||
	    bool_field(body, p, "uploads_release", &err) < 0)
		goto fail;
	if (checks) {
		char **items = g_strsplit(checks, ",", -1);
		GString *norm = g_string_new(NULL);

		for (char **c = items; *c; c++) {
			const char *name = g_strstrip(*c);
			bool known = false;

			if (!*name)
				continue;
			for (size_t k = 0; k < Q_ARRAY_LEN(known_checks); k++)
				known |= !strcmp(name, known_checks[k]);
			if (!known) {
				q_error_set(
				    &err, Q_EINVAL,
				    "unknown check '%s' in required_checks (disttag, rpmlint, "
				    "closure, installable, conflicts)",
				    name);
				g_strfreev(items);
				g_string_free(norm, TRUE);
				goto fail;
			}
			g_string_append_printf(norm, "%s%s", norm->len ? "," : "", name);
		}
		g_strfreev(items);
		json_object_set_new(p, "required_checks", json_string(norm->str));
		g_string_free(norm, TRUE);
	}
	if (rc)
		json_object_set_new(p, "rpmlint_config", json_string(rc));
	if ((v = json_object_get(body, "testing_days"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 365) {
			q_error_set(&err, Q_EINVAL, "field 'testing_days' must be 0 to 365");
			goto fail;
		}
		json_object_set(p, "testing_days", v);
	}
	if (karma_fields(body, p, &err) < 0)
		goto fail;
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_policy_put(r->st, json_integer_value(json_object_get(proj, "id")), p, &err) <
		0 ||
	    q_api_audit(r, "policy.set", caps[0],
			json_pack("{s:s,s:O}", "project", caps[1], "policy", p), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	q_http_send_json(r, 200, p);
	p = NULL;
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(body);
	json_decref(proj);
	json_decref(p);
}
