/*
 * store_check.c: the SQLite driver for a build's checks (store.h,
 * "checks"): one row per (build, check name) in table checks, which the
 * checker thread (hub/checker.c) works through oldest first.
 *
 * A row's run number is the fence between runs: queueing a row again
 * (POST /builds/ID/check while it runs) increments run and sets it back to
 * queued, so the result of the older run, reported later, changes nothing
 * (q_store_check_finish matches state 'running' and the run it took).
 *
 * What is stored is bounded and valid UTF-8: the output is cut to
 * Q_STORE_CHECK_OUTPUT_MAX bytes and the summary to one line of at most
 * Q_STORE_CHECK_SUMMARY_MAX bytes, invalid bytes and NULs replaced, so a
 * package's odd description in rpmlint's output can never make the row
 * unreadable as JSON.
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <glib.h>

int q_store_checks_queue(struct q_store *st, int64_t build_id, const char *const *names,
			 struct q_error *err)
{
	int64_t now = sq_now_s();

	for (size_t i = 0; names[i]; i++) {
		sqlite3_stmt *s = sq_prep(
		    st,
		    "INSERT INTO checks (build_id, name, state, run, created) "
		    "VALUES (?1, ?2, 'queued', 1, ?3) "
		    "ON CONFLICT (build_id, name) DO UPDATE SET state = 'queued', run = run + 1, "
		    "summary = '', output = '', started = 0, finished = 0",
		    err);

		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, build_id);
		sq_bind_text(s, 2, names[i]);
		sqlite3_bind_int64(s, 3, now);
		if (sq_run(st, s, "queueing a check", err) < 0)
			return -1;
	}
	return 0;
}

int q_store_check_take(struct q_store *st, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s;
	int64_t id = 0;
	char msg[64];
	int rc;

	*out = NULL;
	s = sq_prep(st,
		    "UPDATE checks SET state = 'running', started = ?, finished = 0 WHERE id = "
		    "(SELECT id FROM checks WHERE state = 'queued' ORDER BY id LIMIT 1) "
		    "RETURNING id",
		    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sq_now_s());
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_db_error(st, err, "taking a check");
	if (id == 0)
		return 0;
	s = sq_prep(st, "SELECT id, build_id AS build, name, run FROM checks WHERE id = ?", err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	snprintf(msg, sizeof(msg), "check %" PRId64 " not found", id);
	return sq_row_one(st, s, out, msg, err);
}

/*
 * text as valid UTF-8 of at most max bytes (g_free): invalid sequences
 * become U+FFFD, NULs '?', and with one_line the text stops at the first
 * line break. A cut never splits a character.
 */
static char *clean_text(const char *text, size_t max, int one_line)
{
	size_t n = strlen(text), cut;
	char *valid, *p;

	if (one_line)
		n = strcspn(text, "\r\n");
	/* Invalid bytes grow to 3 bytes at most: never look at more than needed. */
	if (n > max)
		n = max;
	valid = g_utf8_make_valid(text, (gssize)n);
	for (p = valid; one_line && *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	cut = strlen(valid);
	if (cut > max) {
		cut = max;
		/* Back to the start of a character. */
		while (cut > 0 && ((unsigned char)valid[cut] & 0xC0) == 0x80)
			cut--;
		valid[cut] = '\0';
	}
	return valid;
}

int q_store_check_finish(struct q_store *st, int64_t id, int64_t run, const char *state,
			 const char *summary, const char *output, struct q_error *err)
{
	char *sum = clean_text(summary ? summary : "", Q_STORE_CHECK_SUMMARY_MAX, 1);
	char *out = clean_text(output ? output : "", Q_STORE_CHECK_OUTPUT_MAX, 0);
	sqlite3_stmt *s;
	int rc = -1;

	if (strcmp(state, "pass") && strcmp(state, "fail") && strcmp(state, "error")) {
		q_error_set(err, Q_EINVAL, "check state '%.32s' is not pass, fail or error", state);
		goto out;
	}
	s = sq_prep(st,
		    "UPDATE checks SET state = ?, summary = ?, output = ?, finished = ? "
		    "WHERE id = ? AND run = ? AND state = 'running'",
		    err);
	if (!s)
		goto out;
	sq_bind_text(s, 1, state);
	sq_bind_text(s, 2, sum);
	sq_bind_text(s, 3, out);
	sqlite3_bind_int64(s, 4, sq_now_s());
	sqlite3_bind_int64(s, 5, id);
	sqlite3_bind_int64(s, 6, run);
	rc = sq_run(st, s, "finishing a check", err);
out:
	g_free(sum);
	g_free(out);
	return rc;
}

int q_store_check_list(struct q_store *st, int64_t build_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT name, state, summary, output, run, created, started, "
				  "finished FROM checks WHERE build_id = ? ORDER BY id",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	return sq_rows_json(st, s, out, "listing checks", err);
}

int q_store_check_reset(struct q_store *st, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st, "UPDATE checks SET state = 'queued', started = 0 WHERE state = 'running'", err);

	if (!s)
		return -1;
	return sq_run(st, s, "requeueing interrupted checks", err);
}

int q_store_check_inputs(struct q_store *st, int64_t build_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s;
	json_t *o = NULL, *others = NULL;
	char msg[64];

	*out = NULL;
	/* The policy row is optional: defaults when the project has none. */
	s = sq_prep(
	    st,
	    "SELECT COALESCE((SELECT y.rpmlint_config FROM policies y WHERE "
	    "y.project_id = b.project_id), '') AS rpmlint_config, "
	    "COALESCE((SELECT u.update_id FROM update_builds u WHERE u.build_id = b.id), 0) "
	    "AS update_id, b.project_id AS project_id FROM builds b WHERE b.id = ?",
	    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	snprintf(msg, sizeof(msg), "build %" PRId64 " not found", build_id);
	if (sq_row_one(st, s, &o, msg, err) < 0)
		return -1;
	/* The RPMs of the other builds of the same update, current attempts only. */
	s = sq_prep(
	    st,
	    "SELECT a.build_id AS build, a.name AS name, a.arch AS arch, a.sha256 AS sha256 "
	    "FROM update_builds u JOIN update_builds v ON v.update_id = u.update_id AND "
	    "v.build_id != u.build_id JOIN artifacts a ON a.build_id = v.build_id "
	    "JOIN tasks t ON t.id = a.task_id AND t.attempt = a.attempt "
	    "WHERE u.build_id = ? AND t.state = 'closed' AND t.kind = 'rpm' AND a.arch != 'src' "
	    "ORDER BY a.build_id, a.name",
	    err);
	if (s)
		sqlite3_bind_int64(s, 1, build_id);
	if (sq_rows_json(st, s, &others, "listing the update's other builds", err) < 0) {
		json_decref(o);
		return -1;
	}
	json_object_set_new(o, "others", others);
	*out = o;
	return 0;
}

int q_store_tasks_running(struct q_store *st, int64_t *n, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT COUNT(*) FROM tasks WHERE state = 'open'", err);

	if (!s)
		return -1;
	*n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}
