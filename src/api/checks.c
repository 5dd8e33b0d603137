/*
 * checks.c: a build's checks (docs/HTTP_API.md, "Builds").
 *
 *   GET  /builds/ID/checks  anyone: {"checks":[{"name","state","summary",
 *                           "output","run","started","finished","repos"}]};
 *                           repos: [{"name","url"}] the check read
 *                           ?output=0 leaves the outputs out
 *   POST /builds/ID/check   a member of the build's SIG, releng, admin:
 *                           queue all five again (run + 1), wake the checker
 *                           → 202 {"build":ID,"checks":[…]} (no outputs)
 *
 * The checks themselves run in the hub's checker thread (hub/checker.c).
 */
#include "core/common.h"
#include "core/error.h"
#include "api/api.h"
#include "check/check.h"
#include "http/wait.h"
#include "hub/hub.h"

static int build_id(const char *s, int64_t *id, struct q_error *err)
{
	char *end;

	errno = 0;
	*id = strtoll(s, &end, 10);
	if (errno || *end || end == s || *id <= 0)
		return q_error_set(err, Q_EINVAL, "build id '%.32s' is not a positive integer", s);
	return 0;
}

/* The rows as the API shows them (without "created"; without "output" unless with_output). */
static json_t *checks_json(json_t *rows, int with_output)
{
	json_t *v;
	size_t i;

	json_array_foreach (rows, i, v) {
		json_object_del(v, "created");
		json_object_set_new(
		    v, "repos",
		    q_check_repos_used(json_string_value(json_object_get(v, "output"))));
		if (!with_output)
			json_object_del(v, "output");
	}
	return rows;
}

/* A check still queued or running. */
static int unfinished(json_t *rows)
{
	json_t *v;
	size_t i;

	json_array_foreach (rows, i, v) {
		const char *s = json_string_value(json_object_get(v, "state"));

		if (s && (!strcmp(s, "queued") || !strcmp(s, "running")))
			return 1;
	}
	return 0;
}

void q_api_build_checks(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *b = NULL, *rows = NULL;
	char v[8] = "";
	uint64_t version = 0;
	int64_t id, wait = 0;
	int found;

	/* ?output=0: the states alone, for clients that poll. ?wait=SECONDS:
	 * while a check is queued or running, answer when none is (or the wait
	 * is over). */
	found = q_query_get(r->query, r->query_len, "output", v, sizeof(v), &err);
	if (found >= 0 && build_id(caps[0], &id, &err) == 0)
		version = q_event_version(Q_TOPIC_CHECKS, id); /* before the rows are read */
	if (found < 0 || build_id(caps[0], &id, &err) < 0 || q_wait_query(r, &wait, &err) < 0 ||
	    q_store_build_get(r->st, id, 0, &b, &err) < 0 ||
	    q_store_check_list(r->st, id, &rows, &err) < 0) {
		json_decref(b);
		json_decref(rows);
		q_http_send_error(r, &err);
		return;
	}
	json_decref(b);
	if (wait > 0 && unfinished(rows) &&
	    q_wait_hold(r, q_api_build_checks, caps, Q_TOPIC_CHECKS, id, version, wait)) {
		json_decref(rows);
		return;
	}
	q_http_send_json(
	    r, 200, json_pack("{s:o}", "checks", checks_json(rows, !(found && !strcmp(v, "0")))));
}

void q_api_build_check(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *b = NULL, *rows = NULL;
	const char *sig;
	int64_t id;

	if (build_id(caps[0], &id, &err) < 0 || q_store_build_get(r->st, id, 0, &b, &err) < 0)
		goto fail;
	sig = json_string_value(json_object_get(b, "sig"));
	if (q_api_need_sig(r, sig, Q_LEVEL_MEMBER, "run checks of this SIG's builds", &err) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(b, "state")), "complete")) {
		q_error_set(&err, Q_ECONFLICT,
			    "build %" PRId64 " is '%s'; only complete builds have checks", id,
			    json_string_value(json_object_get(b, "state")));
		goto fail;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_checks_queue(r->st, id, q_check_names, &err) < 0 ||
	    q_api_audit(r, "build.check", sig, json_pack("{s:I}", "build", (json_int_t)id), &err) <
		0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	q_checker_wake(r->hub);
	q_event_bump(Q_TOPIC_CHECKS, id);
	if (q_store_check_list(r->st, id, &rows, &err) < 0)
		goto fail;
	json_decref(b);
	q_http_send_json(
	    r, 202,
	    json_pack("{s:I,s:o}", "build", (json_int_t)id, "checks", checks_json(rows, 0)));
	return;
fail:
	json_decref(b);
	q_http_send_error(r, &err);
}
