/*
 * update_life.c: the update lifecycle's routes beyond create, promote and
 * unpush (docs/HTTP_API.md, "Updates"):
 *   POST   /updates/ID/builds    {"add":[ids],"remove":[ids]} (SIG members)
 *   POST   /updates/ID/comments  {"karma":-1|0|1,"text"} (any user)
 *   POST   /updates/ID/revoke    {"reason"} (release engineers, admins)
 *   DELETE /sigs/S/projects/P/repos/R/builds/ID: untag a build from a
 *          candidate repo (SIG members)
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"
#include "api/api.h"
#include "hub/hub.h"

#include <glib.h>

#define MAX_EDIT 100
#define MAX_COMMENT 10000
#define MAX_REASON 1000

static int update_id(const char *cap, int64_t *id, struct q_error *err)
{
	if (q_parse_int(cap, 1, INT64_MAX, id) < 0)
		return q_error_set(err, Q_EINVAL, "update id '%.64s' is not a positive integer",
				   cap);
	return 0;
}

/* An answer {"update",…}: the update with its checks, without internal ids. */
static void send_result(struct q_request *r, json_t *res)
{
	json_t *u = json_object_get(res, "update"), *checks = NULL;
	struct q_error err = {0};

	if (u && q_store_update_checks(r->st, json_integer_value(json_object_get(u, "id")), &checks,
				       &err) == 0)
		json_object_set_new(u, "checks", checks);
	if (u) {
		json_object_del(u, "project_id");
		json_object_del(u, "release_repo_id");
		json_object_del(u, "testing_repo_id");
	}
	q_http_send_json(r, 200, res);
}

/* A complete, non-scratch build of sig/project (as an update takes). */
int q_api_update_build_fits(struct q_store *st, const char *sig, const char *project, int64_t id,
			    struct q_error *err)
{
	json_t *b = NULL;
	int rc = 0;

	if (q_store_build_get(st, id, 0, &b, err) < 0)
		return -1;
	if (strcmp(json_string_value(json_object_get(b, "sig")), sig) ||
	    strcmp(json_string_value(json_object_get(b, "project")), project) ||
	    strcmp(json_string_value(json_object_get(b, "state")), "complete"))
		rc = q_error_set(err, Q_EINVAL,
				 "build %" PRId64 " is a %s build of '%s/%s'; an update of '%s/%s' "
				 "takes complete builds of that project",
				 id, json_string_value(json_object_get(b, "state")),
				 json_string_value(json_object_get(b, "sig")),
				 json_string_value(json_object_get(b, "project")), sig, project);
	else if (json_is_true(json_object_get(b, "scratch")))
		rc = q_error_set(err, Q_EINVAL,
				 "build %" PRId64
				 " is a scratch build: scratch builds never go into "
				 "updates or repos; build %s again without --scratch",
				 id, json_string_value(json_object_get(b, "nevr")));
	json_decref(b);
	return rc;
}

/* body[key]: absent → []; else a list of build ids. */
static int id_list(json_t *body, const char *key, json_t **out, struct q_error *err)
{
	json_t *v = json_object_get(body, key), *x;
	size_t i;

	*out = NULL;
	if (!v) {
		*out = json_array();
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) > MAX_EDIT)
		return q_error_set(err, Q_EINVAL,
				   "field '%s' must be a list of at most %d build ids", key,
				   MAX_EDIT);
	json_array_foreach (v, i, x)
		if (!json_is_integer(x) || json_integer_value(x) <= 0)
			return q_error_set(err, Q_EINVAL, "%s[%zu] is not a build id", key, i);
	*out = json_incref(v);
	return 0;
}

void q_api_update_builds(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *u = NULL, *add = NULL, *remove = NULL, *res = NULL, *x;
	int64_t id;
	size_t i;

	if (update_id(caps[0], &id, &err) < 0 || q_store_update_get(r->st, id, &u, &err) < 0 ||
	    q_api_need_sig(r, json_string_value(json_object_get(u, "sig")), Q_LEVEL_MEMBER,
			   "edit this SIG's updates", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || id_list(body, "add", &add, &err) < 0 ||
	    id_list(body, "remove", &remove, &err) < 0)
		goto fail;
	if (json_array_size(add) + json_array_size(remove) == 0) {
		q_error_set(&err, Q_EINVAL, "nothing to do: give 'add' or 'remove' build ids");
		goto fail;
	}
	json_array_foreach (add, i, x)
		if (q_api_update_build_fits(r->st, json_string_value(json_object_get(u, "sig")),
					    json_string_value(json_object_get(u, "project")),
					    json_integer_value(x), &err) < 0)
			goto fail;
	if (q_hub_update_edit(r->hub, r->st, id, add, remove, r->who.name, &res, &err) < 0)
		goto fail;
	send_result(r, res);
	res = NULL;
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(res);
	json_decref(add);
	json_decref(remove);
	json_decref(body);
	json_decref(u);
}

void q_api_update_comment(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *u = NULL, *k, *res = NULL;
	const char *text = NULL;
	int64_t id, karma = 0;
	bool unpushed = false;

	if (update_id(caps[0], &id, &err) < 0 || q_store_update_get(r->st, id, &u, &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "text", 0, MAX_COMMENT, &text, &err) < 0)
		goto fail;
	k = json_object_get(body, "karma");
	if (k && (!json_is_integer(k) || json_integer_value(k) < -1 || json_integer_value(k) > 1)) {
		q_error_set(&err, Q_EINVAL, "field 'karma' must be -1, 0 or 1");
		goto fail;
	}
	karma = k ? json_integer_value(k) : 0;
	if (!k && (!text || !*text)) {
		q_error_set(&err, Q_EINVAL, "a comment needs 'karma' (-1, 0 or 1) or 'text'");
		goto fail;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	{
		char target[64];

		snprintf(target, sizeof(target), "update %" PRId64, id);
		if (q_store_update_comment(r->st, id, r->who.name, (int)karma, text ? text : "",
					   &err) < 0 ||
		    q_api_audit(r, "update.comment", target, json_pack("{s:I}", "karma", karma),
				&err) < 0 ||
		    q_store_commit(r->st, &err) < 0) {
			q_store_rollback(r->st);
			goto fail;
		}
	}
	/* The policy's unstable karma unpushes at once. */
	if (q_hub_karma_check(r->hub, r->st, id, &unpushed, &err) < 0)
		q_warn("update %" PRId64 ": checking its karma failed: %s", id, err.msg);
	q_error_clear(&err);
	json_decref(u);
	u = NULL;
	if (q_store_update_get(r->st, id, &u, &err) < 0)
		goto fail;
	res = json_pack("{s:O,s:b}", "update", u, "unpushed", unpushed);
	send_result(r, res);
	res = NULL;
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(res);
	json_decref(body);
	json_decref(u);
}

void q_api_update_revoke(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *res = NULL;
	const char *reason = NULL;
	int64_t id;

	if (q_api_need_releng(r, "revoke released updates", &err) < 0 ||
	    update_id(caps[0], &id, &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "reason", 0, MAX_REASON, &reason, &err) < 0)
		goto fail;
	{
		char *t = g_strstrip(g_strdup(reason ? reason : ""));
		bool blank = !*t;

		g_free(t);
		if (blank) {
			q_error_set(&err, Q_EINVAL,
				    "a revoke needs a reason (field 'reason', --reason TEXT): it "
				    "goes to the audit log");
			goto fail;
		}
	}
	if (q_hub_revoke(r->hub, r->st, id, reason, r->who.name, &res, &err) < 0)
		goto fail;
	send_result(r, res);
	res = NULL;
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(res);
	json_decref(body);
}

void q_api_repo_untag(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *repo = NULL, *build = NULL, *results = NULL;
	const char *channel;
	int64_t bid, repo_id;
	int removed = 0;

	if (q_name_check(Q_NAME_SIG, "sig name", caps[0], &err) < 0 ||
	    q_name_check(Q_NAME_PROJECT, "project name", caps[1], &err) < 0 ||
	    q_name_check(Q_NAME_REPO, "repo name", caps[2], &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_MEMBER, "untag builds from this SIG's repos", &err) <
		0 ||
	    q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0)
		goto fail;
	if (q_parse_int(caps[3], 1, INT64_MAX, &bid) < 0) {
		q_error_set(&err, Q_EINVAL, "build id '%.64s' is not a positive integer", caps[3]);
		goto fail;
	}
	channel = json_string_value(json_object_get(repo, "channel"));
	if (strcmp(channel, "candidate")) {
		q_error_set(
		    &err, Q_ECONFLICT,
		    "repo '%s/%s/%s' is a %s repo: its packages change only through "
		    "updates (take a testing update back with 'quarry unpush UPDATE', a "
		    "released one with 'quarry revoke UPDATE --reason TEXT'); untag works on "
		    "candidate repos",
		    caps[0], caps[1], caps[2], channel);
		goto fail;
	}
	if (q_store_build_get(r->st, bid, 0, &build, &err) < 0)
		goto fail;
	repo_id = json_integer_value(json_object_get(repo, "id"));
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_repo_remove_build(r->st, repo_id, bid, &removed, &err) < 0)
		goto rollback;
	if (removed == 0) {
		q_error_set(&err, Q_ENOTFOUND, "build %" PRId64 " (%s) is not in repo '%s/%s/%s'",
			    bid, json_string_value(json_object_get(build, "nevr")), caps[0],
			    caps[1], caps[2]);
		goto rollback;
	}
	{
		char target[200];

		snprintf(target, sizeof(target), "%s/%s/%s", caps[0], caps[1], caps[2]);
		if (q_store_repo_mark_dirty(r->st, repo_id, &err) < 0 ||
		    q_api_audit(r, "repo.untag", target,
				json_pack("{s:I,s:s,s:i}", "build", (json_int_t)bid, "nevr",
					  json_string_value(json_object_get(build, "nevr")),
					  "packages", removed),
				&err) < 0 ||
		    q_store_commit(r->st, &err) < 0)
			goto rollback;
	}
	json_decref(repo);
	repo = NULL;
	if (q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0 ||
	    q_hub_publish_repo(r->hub, r->st, repo, 0, &results, &err) < 0) {
		q_error_prefix(&err, "the build was untagged, but publishing failed (it is retried "
				     "at the next publish or hub start)");
		goto fail;
	}
	q_http_send_json(r, 200,
			 json_pack("{s:I,s:s,s:i,s:o}", "build", (json_int_t)bid, "nevr",
				   json_string_value(json_object_get(build, "nevr")), "removed",
				   removed, "published", results));
	goto out;
rollback:
	q_store_rollback(r->st);
fail:
	q_http_send_error(r, &err);
out:
	json_decref(repo);
	json_decref(build);
}
