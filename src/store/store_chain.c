/*
 * store_chain.c: what builds users expect besides building (docs/BUILDS.md):
 * one NEVR one build, which workers serve an arch, tasks nobody claims,
 * the expiry of scratch builds' outputs, and chain builds (store.h,
 * "scratch, uniqueness, unclaimed tasks, chains").
 *
 * A chain is a list of groups (numbered from 1) of builds of one project. Every build is
 * created at submit; those of later groups have no task until their group
 * starts (their SRPM task is created then, so nothing can claim it
 * earlier and the unclaimed timeout counts from then). A group is done
 * when all its builds are complete; the hub then tags them into the
 * chain's repo, publishes it and starts the next group
 * (q_store_chain_advance). A failed or canceled build fails the chain and
 * cancels the builds of the later groups (q_store_chain_check).
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

int q_store_build_nevr_taken(struct q_store *st, const char *sig, const char *project,
			     const char *nevr, int64_t *other, char *state, size_t state_size,
			     struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT b.id, b.state FROM builds b JOIN projects p ON p.id = "
		    "b.project_id JOIN sigs g ON g.id = p.sig_id WHERE g.name = ? AND "
		    "p.name = ? AND b.nevr = ? AND b.scratch = 0 AND b.state IN "
		    "('building', 'complete') ORDER BY b.id LIMIT 1",
		    err);
	int rc;

	*other = 0;
	if (state_size)
		state[0] = '\0';
	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	sq_bind_text(s, 2, project);
	sq_bind_text(s, 3, nevr);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*other = sqlite3_column_int64(s, 0);
		if (state_size)
			snprintf(state, state_size, "%s", (const char *)sqlite3_column_text(s, 1));
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_db_error(st, err, "looking for a build of the same NEVR");
	return 0;
}

int q_store_workers_serving(struct q_store *st, const char *arch, int64_t since, int64_t *n,
			    struct q_error *err)
{
	/* A worker serves src when it is alive at all (any worker makes SRPMs).
	 * Alive: it claimed (asked for work) since `since`, or it holds a task
	 * whose lease still runs (a busy worker does not ask for more). */
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT COUNT(*) FROM workers w WHERE (? = 'src' OR instr(',' || w.arches || "
		    "',', ',' || ? || ',') > 0) AND (w.last_seen >= ? OR EXISTS (SELECT 1 FROM "
		    "tasks t WHERE t.state = 'open' AND t.worker = w.name AND t.lease_until >= ?))",
		    err);
	int rc;

	*n = 0;
	if (!s)
		return -1;
	sq_bind_text(s, 1, arch);
	sq_bind_text(s, 2, arch);
	sqlite3_bind_int64(s, 3, since);
	sqlite3_bind_int64(s, 4, sq_now_s());
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return sq_db_error(st, err, "counting workers");
	return 0;
}

void q_store_duration_text(int64_t s, char *out, size_t size)
{
	if (s > 0 && s % 86400 == 0)
		snprintf(out, size, "%" PRId64 "d", s / 86400);
	else if (s > 0 && s % 3600 == 0)
		snprintf(out, size, "%" PRId64 "h", s / 3600);
	else if (s > 0 && s % 60 == 0)
		snprintf(out, size, "%" PRId64 "m", s / 60);
	else
		snprintf(out, size, "%" PRId64 "s", s);
}

int q_store_tasks_unclaimed(struct q_store *st, int64_t now, int64_t timeout, int64_t *n,
			    struct q_error *err)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *t;
	size_t i;
	char dur[32];
	int rc = -1;

	*n = 0;
	q_store_duration_text(timeout, dur, sizeof(dur));
	/* Never claimed (attempt 0): a requeued task had a worker once. */
	s = sq_prep(st,
		    "SELECT t.id AS id, t.build_id AS build, t.kind AS kind, t.arch AS arch FROM "
		    "tasks t JOIN builds b ON b.id = t.build_id WHERE t.state = 'free' AND "
		    "t.attempt = 0 AND t.created <= ? AND b.state = 'building' ORDER BY t.id",
		    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now - timeout);
	if (sq_rows_json(st, s, &rows, "finding unclaimed tasks", err) < 0)
		return -1;
	json_array_foreach (rows, i, t) {
		char msg[300], bmsg[400];
		const char *arch = sq_jstr(t, "arch");
		int64_t tid = json_integer_value(json_object_get(t, "id"));

		if (!strcmp(arch, "src"))
			snprintf(msg, sizeof(msg), "no worker claimed it within %s", dur);
		else
			snprintf(msg, sizeof(msg), "no worker serving %s claimed it within %s",
				 arch, dur);
		snprintf(bmsg, sizeof(bmsg), "task %" PRId64 " (%s %s) failed: %s", tid,
			 sq_jstr(t, "kind"), arch, msg);
		s = sq_prep(
		    st,
		    "UPDATE tasks SET state = 'failed', finished = ?, message = ? WHERE id = "
		    "? AND state = 'free'",
		    err);
		if (!s)
			goto out;
		sqlite3_bind_int64(s, 1, now);
		sq_bind_text(s, 2, msg);
		sqlite3_bind_int64(s, 3, tid);
		if (sq_run(st, s, "failing an unclaimed task", err) < 0 ||
		    q_store_build_finish(st, json_integer_value(json_object_get(t, "build")),
					 "failed", bmsg, err) < 0)
			goto out;
		(*n)++;
	}
	rc = 0;
out:
	json_decref(rows);
	return rc;
}

int q_store_scratch_expirable(struct q_store *st, int64_t before, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT id, bundle_sha256, srpm_sha256 FROM builds WHERE scratch = "
		    "1 AND expired = 0 AND state != 'building' AND finished <= ? "
		    "ORDER BY id",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	return sq_rows_json(st, s, out, "listing scratch builds to expire", err);
}

int q_store_build_task_ids(struct q_store *st, int64_t build_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT id FROM tasks WHERE build_id = ? ORDER BY id", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	*out = json_array();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(*out, json_integer(sqlite3_column_int64(s, 0)));
	sqlite3_finalize(s);
	return 0;
}

int q_store_file_referenced(struct q_store *st, const char *sha256, int64_t build_id, int *refs,
			    struct q_error *err)
{
	/* By a package of a repo (or any recorded package), or by another build
	 * whose outputs have not expired. */
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT (SELECT COUNT(*) FROM packages WHERE sha256 = ?1) + (SELECT COUNT(*) FROM "
	    "artifacts a JOIN builds b ON b.id = a.build_id WHERE a.sha256 = ?1 AND b.id != ?2 "
	    "AND b.expired = 0) + (SELECT COUNT(*) FROM builds WHERE id != ?2 AND expired = 0 "
	    "AND (srpm_sha256 = ?1 OR bundle_sha256 = ?1))",
	    err);
	int rc;

	*refs = 1;
	if (!s)
		return -1;
	sq_bind_text(s, 1, sha256);
	sqlite3_bind_int64(s, 2, build_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*refs = (int)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return sq_db_error(st, err, "counting references to a file");
	return 0;
}

int q_store_build_mark_expired(struct q_store *st, int64_t build_id, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "UPDATE builds SET expired = ? WHERE id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sq_now_s());
	sqlite3_bind_int64(s, 2, build_id);
	return sq_run(st, s, "marking a build expired", err);
}

/* ---- chains ---- */

int q_store_chain_create(struct q_store *st, int64_t project_id, int64_t repo_id, int64_t groups,
			 const char *owner, int64_t *id, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "INSERT INTO chains (project_id, repo_id, state, groups, owner, "
				  "created) VALUES (?, ?, 'building', ?, ?, ?)",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, project_id);
	sqlite3_bind_int64(s, 2, repo_id);
	sqlite3_bind_int64(s, 3, groups);
	sq_bind_text(s, 4, owner);
	sqlite3_bind_int64(s, 5, sq_now_s());
	if (sq_run(st, s, "creating a chain", err) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int q_store_chain_get(struct q_store *st, int64_t id, json_t **out, struct q_error *err)
{
	char msg[64];
	json_t *c = NULL, *builds = NULL;
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT c.id AS id, g.name AS sig, p.name AS project, r.name AS repo, c.state AS "
	    "state, c.groups AS groups, c.current_group AS current_group, c.owner AS owner, "
	    "c.message AS message, c.created AS created, c.finished AS finished FROM chains c "
	    "JOIN projects p ON p.id = c.project_id JOIN sigs g ON g.id = p.sig_id JOIN repos r "
	    "ON r.id = c.repo_id WHERE c.id = ?",
	    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	snprintf(msg, sizeof(msg), "chain %" PRId64 " not found", id);
	if (sq_row_one(st, s, &c, msg, err) < 0)
		return -1;
	s = sq_prep(st,
		    "SELECT id, chain_group AS 'group', nevr, state, source, message FROM builds "
		    "WHERE chain_id = ? ORDER BY chain_group, id",
		    err);
	if (s)
		sqlite3_bind_int64(s, 1, id);
	if (sq_rows_json(st, s, &builds, "listing a chain's builds", err) < 0) {
		json_decref(c);
		return -1;
	}
	json_object_set_new(c, "builds", builds);
	*out = c;
	return 0;
}

int q_store_chains_building(struct q_store *st, json_t **ids, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "SELECT id FROM chains WHERE state = 'building' ORDER BY id", err);

	if (!s)
		return -1;
	*ids = json_array();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(*ids, json_integer(sqlite3_column_int64(s, 0)));
	sqlite3_finalize(s);
	return 0;
}

int q_store_chain_of_build(struct q_store *st, int64_t build_id, int64_t *chain_id,
			   struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT chain_id FROM builds WHERE id = ?", err);
	int rc;

	*chain_id = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*chain_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_error(st, err, "reading a build's chain");
	return 0;
}

int q_store_chain_fail(struct q_store *st, int64_t id, const char *message, struct q_error *err)
{
	sqlite3_stmt *s;
	char why[600];

	s = sq_prep(
	    st,
	    "UPDATE chains SET state = 'failed', message = ?, finished = ? WHERE id = ? AND "
	    "state = 'building'",
	    err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, message);
	sqlite3_bind_int64(s, 2, sq_now_s());
	sqlite3_bind_int64(s, 3, id);
	if (sq_run(st, s, "failing a chain", err) < 0)
		return -1;
	/* The builds that have not started (later groups): canceled, saying why. */
	snprintf(why, sizeof(why), "chain %" PRId64 " failed: %.500s", id, message);
	s = sq_prep(st,
		    "UPDATE builds SET state = 'canceled', message = ?, finished = ? WHERE "
		    "chain_id = ? AND state = 'building' AND chain_group > (SELECT current_group "
		    "FROM chains WHERE id = ?)",
		    err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, why);
	sqlite3_bind_int64(s, 2, sq_now_s());
	sqlite3_bind_int64(s, 3, id);
	sqlite3_bind_int64(s, 4, id);
	return sq_run(st, s, "canceling a chain's later builds", err);
}

int q_store_chain_check(struct q_store *st, int64_t id, int *ready, struct q_error *err)
{
	json_t *c = NULL, *b;
	size_t i;
	int64_t cur, total = 0, complete = 0;
	int rc = -1;

	*ready = 0;
	if (q_store_chain_get(st, id, &c, err) < 0)
		return -1;
	if (strcmp(sq_jstr(c, "state"), "building")) {
		rc = 0;
		goto out;
	}
	cur = json_integer_value(json_object_get(c, "current_group"));
	json_array_foreach (json_object_get(c, "builds"), i, b) {
		const char *state = sq_jstr(b, "state");
		int64_t g = json_integer_value(json_object_get(b, "group"));

		if (!strcmp(state, "failed") || !strcmp(state, "canceled")) {
			char msg[600];

			snprintf(msg, sizeof(msg),
				 "build %" JSON_INTEGER_FORMAT " (%s, group %" PRId64
				 ") %s: %.400s; later groups canceled",
				 json_integer_value(json_object_get(b, "id")), sq_jstr(b, "nevr"),
				 g, state, sq_jstr(b, "message"));
			rc = q_store_chain_fail(st, id, msg, err);
			goto out;
		}
		if (g == cur) {
			total++;
			complete += !strcmp(state, "complete");
		}
	}
	*ready = total > 0 && total == complete;
	rc = 0;
out:
	json_decref(c);
	return rc;
}

int q_store_chain_advance(struct q_store *st, int64_t id, int64_t group, int *advanced,
			  struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "UPDATE chains SET current_group = current_group + 1, state = CASE "
		    "WHEN current_group >= groups THEN 'complete' ELSE state END, "
		    "finished = CASE WHEN current_group >= groups THEN ? ELSE "
		    "finished END WHERE id = ? AND current_group = ? AND state = "
		    "'building'",
		    err);
	json_t *ids = NULL, *v;
	size_t i;

	*advanced = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sq_now_s());
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_int64(s, 3, group);
	if (sq_run(st, s, "advancing a chain", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 0;
	*advanced = 1;
	/* The next group's builds get their SRPM task now. */
	s = sq_prep(st,
		    "SELECT id FROM builds WHERE chain_id = ? AND chain_group = ? AND state = "
		    "'building' ORDER BY id",
		    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, group + 1);
	ids = json_array();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(ids, json_integer(sqlite3_column_int64(s, 0)));
	sqlite3_finalize(s);
	json_array_foreach (ids, i, v)
		if (q_store_task_create(st, json_integer_value(v), "srpm", "src", NULL, err) < 0) {
			json_decref(ids);
			return -1;
		}
	json_decref(ids);
	return 0;
}

int q_store_task_note(struct q_store *st, int64_t id, const char *message, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "UPDATE tasks SET message = ? WHERE id = ? AND state = 'free'", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, message);
	sqlite3_bind_int64(s, 2, id);
	return sq_run(st, s, "noting a task", err);
}

int q_store_build_artifact_shas(struct q_store *st, int64_t build_id, json_t **out,
				struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st, "SELECT DISTINCT sha256 FROM artifacts WHERE build_id = ? ORDER BY sha256", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	*out = json_array();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(*out, json_string((const char *)sqlite3_column_text(s, 0)));
	sqlite3_finalize(s);
	return 0;
}
