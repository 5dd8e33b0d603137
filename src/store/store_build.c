/*
 * store_build.c: the SQLite driver for builds, tasks, artifacts, workers,
 * worker tokens and the lookaside index (store.h, "worker tokens …").
 *
 * A task is claimed by one UPDATE … WHERE state = 'free' inside an
 * IMMEDIATE transaction, so two workers can never hold the same task; its
 * attempt number is the fence that makes a late heartbeat, log line or
 * result from a worker that lost its lease fail with Q_ECONFLICT.
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <glib.h>

int q_store_token_create_worker(struct q_store *st, int64_t user_id, const char *hash,
				const char *worker, int64_t *id, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "INSERT INTO tokens (user_id, hash, description, created, scope, "
				  "worker) VALUES (?, ?, ?, ?, 'worker', ?)",
				  err);
	char desc[120];

	if (!s)
		return -1;
	snprintf(desc, sizeof(desc), "worker %s", worker);
	sqlite3_bind_int64(s, 1, user_id);
	sq_bind_text(s, 2, hash);
	sq_bind_text(s, 3, desc);
	sqlite3_bind_int64(s, 4, sq_now_s());
	sq_bind_text(s, 5, worker);
	if (sq_run(st, s, "creating a worker token", err) < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int q_store_token_delete_worker(struct q_store *st, const char *worker, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "DELETE FROM tokens WHERE scope = 'worker' AND worker = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, worker);
	return sq_run(st, s, "deleting worker tokens", err);
}

int q_store_lookaside_add(struct q_store *st, const char *sha256, const char *sha1, int64_t size,
			  const char *filename, const char *sig, const char *user,
			  struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO lookaside (sha256, sha1, size, filename, sig_id, user, "
		    "created) SELECT ?, ?, ?, ?, id, ?, ? FROM sigs WHERE name = ? "
		    "ON CONFLICT (sha256) DO NOTHING",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sha256);
	sq_bind_text(s, 2, sha1);
	sqlite3_bind_int64(s, 3, size);
	sq_bind_text(s, 4, filename);
	sq_bind_text(s, 5, user);
	sqlite3_bind_int64(s, 6, sq_now_s());
	sq_bind_text(s, 7, sig);
	return sq_run(st, s, "recording a lookaside file", err);
}

int q_store_build_create(struct q_store *st, const char *sig, const char *project, json_t *f,
			 int64_t *id, struct q_error *err)
{
	char *arches = sq_join_arches(json_object_get(f, "arches"));
	char *look = json_object_get(f, "lookaside")
			 ? json_dumps(json_object_get(f, "lookaside"), JSON_COMPACT)
			 : strdup("[]");
	sqlite3_stmt *s = sq_prep(
	    st,
	    "INSERT INTO builds (project_id, state, source, git_url, git_ref, git_commit, "
	    "spec_sha256, nevr, name, arches, owner, bundle_sha256, srpm_sha256, lookaside, "
	    "created, scratch, chain_id, chain_group) SELECT p.id, 'building', ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ? FROM projects "
	    "p "
	    "JOIN sigs g ON g.id = p.sig_id WHERE g.name = ? AND p.name = ?",
	    err);
	int rc = -1;

	if (!s || !arches || !look) {
		sqlite3_finalize(s);
		goto out;
	}
	sq_bind_text(s, 1, sq_jstr(f, "source"));
	sq_bind_text(s, 2, sq_jstr(f, "git_url"));
	sq_bind_text(s, 3, sq_jstr(f, "git_ref"));
	sq_bind_text(s, 4, sq_jstr(f, "git_commit"));
	sq_bind_text(s, 5, sq_jstr(f, "spec_sha256"));
	sq_bind_text(s, 6, sq_jstr(f, "nevr"));
	sq_bind_text(s, 7, sq_jstr(f, "name"));
	sq_bind_text(s, 8, arches);
	sq_bind_text(s, 9, sq_jstr(f, "owner"));
	sq_bind_text(s, 10, sq_jstr(f, "bundle_sha256"));
	sq_bind_text(s, 11, sq_jstr(f, "srpm_sha256"));
	sq_bind_text(s, 12, look);
	sqlite3_bind_int64(s, 13, sq_now_s());
	sqlite3_bind_int64(s, 14, json_is_true(json_object_get(f, "scratch")));
	sqlite3_bind_int64(s, 15, json_integer_value(json_object_get(f, "chain")));
	sqlite3_bind_int64(s, 16, json_integer_value(json_object_get(f, "chain_group")));
	sq_bind_text(s, 17, sig);
	sq_bind_text(s, 18, project);
	if (sq_run(st, s, "creating a build", err) < 0)
		goto out;
	if (sqlite3_changes(st->db) == 0) {
		q_error_set(err, Q_ENOTFOUND, "project '%s/%s' not found", sig, project);
		goto out;
	}
	*id = sqlite3_last_insert_rowid(st->db);
	rc = 0;
out:
	free(arches);
	free(look);
	return rc;
}

int q_store_task_create(struct q_store *st, int64_t build_id, const char *kind, const char *arch,
			int64_t *id, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "INSERT INTO tasks (build_id, kind, arch, state, created) "
				  "VALUES (?, ?, ?, 'free', ?)",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	sq_bind_text(s, 2, kind);
	sq_bind_text(s, 3, arch);
	sqlite3_bind_int64(s, 4, sq_now_s());
	if (sq_run(st, s, "creating a task", err) < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define BUILD_COLUMNS                                                                              \
	"b.id AS id, g.name AS sig, p.name AS project, b.state AS state, b.source AS source, "     \
	"b.git_url AS git_url, b.git_ref AS git_ref, b.git_commit AS 'commit', "                   \
	"b.spec_sha256 AS spec_sha256, b.nevr AS nevr, b.name AS name, b.arches AS arches, "       \
	"b.owner AS owner, b.bundle_sha256 AS bundle_sha256, b.srpm_sha256 AS srpm_sha256, "       \
	"b.lookaside AS lookaside, b.message AS message, b.created AS created, "                   \
	"b.finished AS finished, '.el' || p.major || '.' || g.short_name AS dist_tag, "            \
	"p.major AS major, p.variant AS variant, b.scratch AS scratch, b.expired AS expired, "     \
	"b.chain_id AS chain, b.chain_group AS chain_group "
#define BUILD_FROM                                                                                 \
	" FROM builds b JOIN projects p ON p.id = b.project_id JOIN sigs g ON g.id = p.sig_id "

/* scratch 0/1 → false/true; chain NULL → absent. */
static void build_flags(json_t *b)
{
	json_object_set_new(b, "scratch",
			    json_boolean(json_integer_value(json_object_get(b, "scratch"))));
	if (!json_is_integer(json_object_get(b, "chain"))) {
		json_object_del(b, "chain");
		json_object_del(b, "chain_group");
	}
}

int q_store_build_get(struct q_store *st, int64_t id, int full, json_t **out, struct q_error *err)
{
	char msg[64];
	json_t *b = NULL, *tasks = NULL, *arts = NULL, *look;
	sqlite3_stmt *s = sq_prep(st, "SELECT " BUILD_COLUMNS BUILD_FROM "WHERE b.id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	snprintf(msg, sizeof(msg), "build %" PRId64 " not found", id);
	if (sq_row_one(st, s, &b, msg, err) < 0)
		return -1;
	/* lookaside is stored as JSON text */
	look = json_loads(sq_jstr(b, "lookaside"), 0, NULL);
	json_object_set_new(b, "lookaside", look ? look : json_array());
	build_flags(b);
	if (full) {
		s = sq_prep(st,
			    "SELECT id, kind, arch, state, worker, attempt, started, finished, "
			    "message, backend FROM tasks WHERE build_id = ? ORDER BY id",
			    err);
		if (s)
			sqlite3_bind_int64(s, 1, id);
		if (sq_rows_json(st, s, &tasks, "listing tasks", err) < 0 ||
		    q_store_build_artifacts(st, id, &arts, err) < 0) {
			json_decref(b);
			json_decref(tasks);
			return -1;
		}
		json_object_set_new(b, "tasks", tasks);
		json_object_set_new(b, "artifacts", arts);
	}
	*out = b;
	return 0;
}

int q_store_build_list(struct q_store *st, const struct q_build_filter *f, json_t **out,
		       struct q_error *err)
{
	/* Only the filters given become conditions, so that SQLite can use
	 * the index behind each (builds_owner, builds_name, builds_nevr). */
	const struct {
		const char *cond;
		const char *val;
	} conds[] = {
	    {"g.name = ?", f->sig},    {"p.name = ?", f->project}, {"b.state = ?", f->state},
	    {"b.owner = ?", f->owner}, {"b.name = ?", f->package},
	};
	GString *sql = g_string_new("SELECT " BUILD_COLUMNS BUILD_FROM "WHERE 1");
	sqlite3_stmt *s;
	json_t *v;
	size_t i;
	int n = 0;

	for (i = 0; i < Q_ARRAY_LEN(conds); i++)
		if (conds[i].val && conds[i].val[0])
			g_string_append_printf(sql, " AND %s", conds[i].cond);
	if (f->since > 0)
		g_string_append(sql, " AND b.created >= ?");
	if (f->before > 0)
		g_string_append(sql, " AND b.id < ?");
	g_string_append(sql, " ORDER BY b.id DESC LIMIT ?");
	s = sq_prep(st, sql->str, err);
	g_string_free(sql, TRUE);
	if (!s)
		return -1;
	for (i = 0; i < Q_ARRAY_LEN(conds); i++)
		if (conds[i].val && conds[i].val[0])
			sq_bind_text(s, ++n, conds[i].val);
	if (f->since > 0)
		sqlite3_bind_int64(s, ++n, f->since);
	if (f->before > 0)
		sqlite3_bind_int64(s, ++n, f->before);
	sqlite3_bind_int64(s, ++n, f->limit);
	if (sq_rows_json(st, s, out, "listing builds", err) < 0)
		return -1;
	json_array_foreach (*out, i, v) {
		json_t *look = json_loads(sq_jstr(v, "lookaside"), 0, NULL);
		json_object_set_new(v, "lookaside", look ? look : json_array());
		build_flags(v);
	}
	return 0;
}

int q_store_build_finish(struct q_store *st, int64_t id, const char *state, const char *message,
			 struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "UPDATE builds SET state = ?, message = ?, finished = ? "
				  "WHERE id = ? AND state = 'building'",
				  err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, state);
	sq_bind_text(s, 2, message);
	sqlite3_bind_int64(s, 3, sq_now_s());
	sqlite3_bind_int64(s, 4, id);
	return sq_run(st, s, "finishing a build", err);
}

int q_store_build_cancel(struct q_store *st, int64_t id, struct q_error *err)
{
	sqlite3_stmt *s;

	if (q_store_build_finish(st, id, "canceled", "canceled", err) < 0)
		return -1;
	s = sq_prep(st,
		    "UPDATE tasks SET state = 'canceled', finished = ? WHERE build_id = ? AND "
		    "state IN ('free', 'open')",
		    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sq_now_s());
	sqlite3_bind_int64(s, 2, id);
	return sq_run(st, s, "canceling tasks", err);
}

int q_store_tasks_expire(struct q_store *st, int64_t now, int64_t max_attempts, int64_t *n,
			 struct q_error *err)
{
	sqlite3_stmt *s;
	int64_t total = 0;

	/* Out of attempts: the task fails, and so does its build. */
	s = sq_prep(st,
		    "UPDATE builds SET state = 'failed', finished = ?, message = 'a task lost "
		    "its worker ' || ? || ' times' WHERE state = 'building' AND id IN "
		    "(SELECT build_id FROM tasks WHERE state = 'open' AND lease_until < ? AND "
		    "attempt >= ?)",
		    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, max_attempts);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, max_attempts);
	if (sq_run(st, s, "failing builds", err) < 0)
		return -1;
	s = sq_prep(
	    st,
	    "UPDATE tasks SET state = 'failed', finished = ?, message = 'the worker stopped "
	    "answering (lease ended) on every attempt' WHERE state = 'open' AND "
	    "lease_until < ? AND attempt >= ?",
	    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, max_attempts);
	if (sq_run(st, s, "failing tasks", err) < 0)
		return -1;
	total += sqlite3_changes(st->db);
	s = sq_prep(
	    st,
	    "UPDATE tasks SET state = 'free', worker = '', message = 'requeued: worker ' || "
	    "worker || ' stopped answering' WHERE state = 'open' AND lease_until < ?",
	    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	if (sq_run(st, s, "requeueing tasks", err) < 0)
		return -1;
	total += sqlite3_changes(st->db);
	if (n)
		*n = total;
	return 0;
}

#define TASK_COLUMNS                                                                               \
	"t.id AS id, t.build_id AS build, t.kind AS kind, t.arch AS arch, t.state AS state, "      \
	"t.attempt AS attempt, t.worker AS worker, t.lease_until AS lease_until, "                 \
	"t.started AS started, t.finished AS finished, t.message AS message, "                     \
	"t.backend AS backend, t.buildroot AS buildroot, t.buildroot_repos AS buildroot_repos, "   \
	"b.nevr AS nevr, b.name AS name, "                                                         \
	"b.bundle_sha256 AS bundle_sha256, b.srpm_sha256 AS srpm_sha256, b.state AS "              \
	"build_state, '.el' || p.major || '.' || g.short_name AS dist_tag "
#define TASK_FROM                                                                                  \
	" FROM tasks t JOIN builds b ON b.id = t.build_id JOIN projects p ON p.id = "              \
	"b.project_id JOIN sigs g ON g.id = p.sig_id "

int q_store_task_get(struct q_store *st, int64_t id, json_t **out, struct q_error *err)
{
	char msg[64];
	sqlite3_stmt *s = sq_prep(st, "SELECT " TASK_COLUMNS TASK_FROM "WHERE t.id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	snprintf(msg, sizeof(msg), "task %" PRId64 " not found", id);
	return sq_row_one(st, s, out, msg, err);
}

int q_store_task_claim(struct q_store *st, const char *worker, json_t *arches, const char *backend,
		       int64_t lease_until, json_t **task, struct q_error *err)
{
	char *csv = sq_join_arches(arches);
	sqlite3_stmt *s;
	int64_t id = 0;
	int rc;

	*task = NULL;
	if (!csv)
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	/* ',' || arches || ',' LIKE '%,' || arch || ',%': arch is one of the list */
	s = sq_prep(
	    st,
	    "UPDATE tasks SET state = 'open', attempt = attempt + 1, worker = ?, "
	    "lease_until = ?, started = ?, message = '' WHERE id = (SELECT t.id FROM tasks t "
	    "JOIN builds b ON b.id = t.build_id WHERE t.state = 'free' AND b.state = "
	    "'building' AND instr(',' || ? || ',', ',' || t.arch || ',') > 0 AND (? = "
	    "'installroot' OR NOT EXISTS (SELECT 1 FROM project_buildroots pb WHERE "
	    "pb.project_id = b.project_id)) ORDER BY t.id LIMIT 1) RETURNING id",
	    err);
	if (!s) {
		free(csv);
		return -1;
	}
	sq_bind_text(s, 1, worker);
	sqlite3_bind_int64(s, 2, lease_until);
	sqlite3_bind_int64(s, 3, sq_now_s());
	sq_bind_text(s, 4, csv);
	sq_bind_text(s, 5, backend ? backend : "host");
	free(csv);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_db_error(st, err, "claiming a task");
	if (id == 0)
		return 0;
	return q_store_task_get(st, id, task, err);
}

/* The task is open, with this attempt, for this worker. */
static int check_fence(struct q_store *st, int64_t id, int64_t attempt, const char *worker,
		       int *canceled, struct q_error *err)
{
	json_t *t = NULL;
	int rc = 0;

	if (q_store_task_get(st, id, &t, err) < 0)
		return -1;
	if (canceled)
		*canceled = !strcmp(sq_jstr(t, "build_state"), "canceled") ||
			    !strcmp(sq_jstr(t, "state"), "canceled");
	if (canceled && *canceled)
		goto out;
	if (strcmp(sq_jstr(t, "state"), "open") ||
	    json_integer_value(json_object_get(t, "attempt")) != attempt ||
	    strcmp(sq_jstr(t, "worker"), worker))
		rc = q_error_set(err, Q_ECONFLICT,
				 "task %" PRId64 " attempt %" PRId64
				 " is no longer yours (state '%s', attempt %" JSON_INTEGER_FORMAT
				 ", worker '%s'): stop it and report nothing",
				 id, attempt, sq_jstr(t, "state"),
				 json_integer_value(json_object_get(t, "attempt")),
				 sq_jstr(t, "worker"));
out:
	json_decref(t);
	return rc;
}

int q_store_task_heartbeat(struct q_store *st, int64_t id, int64_t attempt, const char *worker,
			   int64_t lease_until, int *cancel, struct q_error *err)
{
	sqlite3_stmt *s;

	*cancel = 0;
	if (check_fence(st, id, attempt, worker, cancel, err) < 0)
		return -1;
	if (*cancel)
		return 0;
	s = sq_prep(st, "UPDATE tasks SET lease_until = ? WHERE id = ?", err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, lease_until);
	sqlite3_bind_int64(s, 2, id);
	return sq_run(st, s, "renewing a lease", err);
}

int q_store_task_finish(struct q_store *st, int64_t id, int64_t attempt, const char *worker,
			const char *state, const char *message, const char *backend,
			const char *buildroot, struct q_error *err)
{
	sqlite3_stmt *s;
	int canceled = 0;

	if (check_fence(st, id, attempt, worker, &canceled, err) < 0)
		return -1;
	if (canceled)
		return q_error_set(err, Q_ECONFLICT, "task %" PRId64 " was canceled", id);
	s = sq_prep(st,
		    "UPDATE tasks SET state = ?, message = ?, backend = ?, buildroot = ?, "
		    "finished = ? WHERE id = ?",
		    err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, state);
	sq_bind_text(s, 2, message);
	sq_bind_text(s, 3, backend);
	sq_bind_text(s, 4, buildroot);
	sqlite3_bind_int64(s, 5, sq_now_s());
	sqlite3_bind_int64(s, 6, id);
	return sq_run(st, s, "finishing a task", err);
}

int q_store_artifact_add(struct q_store *st, int64_t task_id, int64_t attempt, const char *name,
			 const char *arch, const char *sha256, int64_t size, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO artifacts (task_id, build_id, attempt, name, arch, "
		    "sha256, size) SELECT id, build_id, ?, ?, ?, ?, ? FROM tasks WHERE "
		    "id = ? ON CONFLICT (task_id, attempt, name) DO UPDATE SET sha256 = "
		    "excluded.sha256, size = excluded.size, arch = excluded.arch",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, attempt);
	sq_bind_text(s, 2, name);
	sq_bind_text(s, 3, arch);
	sq_bind_text(s, 4, sha256);
	sqlite3_bind_int64(s, 5, size);
	sqlite3_bind_int64(s, 6, task_id);
	return sq_run(st, s, "recording an artifact", err);
}

int q_store_build_artifacts(struct q_store *st, int64_t build_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT a.name AS name, a.arch AS arch, a.sha256 AS sha256, a.size "
		    "AS size, a.task_id AS task, t.kind AS kind FROM artifacts a JOIN "
		    "tasks t ON t.id = a.task_id AND t.attempt = a.attempt WHERE "
		    "a.build_id = ? AND t.state = 'closed' ORDER BY a.name",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	return sq_rows_json(st, s, out, "listing artifacts", err);
}

int q_store_build_task_states(struct q_store *st, int64_t build_id, json_t **out,
			      struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "SELECT state, COUNT(*) FROM tasks WHERE build_id = ? GROUP BY state", err);
	json_t *o;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	o = json_object();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(s, 0),
				    json_integer(sqlite3_column_int64(s, 1)));
	sqlite3_finalize(s);
	*out = o;
	return 0;
}

int q_store_worker_seen(struct q_store *st, const char *name, json_t *arches, int64_t slots,
			struct q_error *err)
{
	char *csv = sq_join_arches(arches);
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO workers (name, arches, slots, last_seen) VALUES (?,?,?,?) "
		    "ON CONFLICT (name) DO UPDATE SET arches = excluded.arches, slots = "
		    "excluded.slots, last_seen = excluded.last_seen",
		    err);

	if (!s || !csv) {
		free(csv);
		sqlite3_finalize(s);
		return -1;
	}
	sq_bind_text(s, 1, name);
	sq_bind_text(s, 2, csv);
	sqlite3_bind_int64(s, 3, slots);
	sqlite3_bind_int64(s, 4, sq_now_s());
	free(csv);
	return sq_run(st, s, "recording a worker", err);
}

int q_store_worker_list(struct q_store *st, json_t **out, struct q_error *err)
{
	json_t *v;
	size_t i;

	if (sq_rows_json(st,
			 sq_prep(st,
				 "SELECT name, arches, slots, last_seen FROM workers ORDER BY name",
				 err),
			 out, "listing workers", err) < 0)
		return -1;
	json_array_foreach (*out, i, v) {
		json_t *running = NULL;
		sqlite3_stmt *s = sq_prep(
		    st, "SELECT id FROM tasks WHERE state = 'open' AND worker = ? ORDER BY id",
		    err);

		if (!s)
			return -1;
		sq_bind_text(s, 1, sq_jstr(v, "name"));
		running = json_array();
		while (sqlite3_step(s) == SQLITE_ROW)
			json_array_append_new(running, json_integer(sqlite3_column_int64(s, 0)));
		sqlite3_finalize(s);
		json_object_set_new(v, "running", running);
	}
	return 0;
}

int q_store_build_set_srpm(struct q_store *st, int64_t id, const char *sha256, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "UPDATE builds SET srpm_sha256 = ? WHERE id = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sha256);
	sqlite3_bind_int64(s, 2, id);
	return sq_run(st, s, "recording a build's SRPM", err);
}

int q_store_publish_window(struct q_store *st, int64_t since, json_t **out, struct q_error *err)
{
	/* Every repo/arch's newest publish, and the older ones since `since`. */
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT g.name AS sig, r.name AS repo, p.major AS major, x.arch AS arch, x.time AS "
	    "time, "
	    "x.revision AS revision, x.repomd_size AS size, x.md5 AS md5, x.sha1 AS sha1, "
	    "x.sha256 AS sha256, x.sha512 AS sha512, x.id = (SELECT MAX(id) FROM publishes y WHERE "
	    "y.repo_id = x.repo_id AND y.arch = x.arch) AS newest FROM publishes x JOIN repos r ON "
	    "r.id = x.repo_id JOIN projects p ON p.id = r.project_id JOIN sigs g ON g.id = "
	    "p.sig_id "
	    "WHERE x.time >= ? OR x.id = (SELECT MAX(id) FROM publishes y WHERE y.repo_id = "
	    "x.repo_id AND y.arch = x.arch) ORDER BY g.name, r.name, p.major, x.arch, x.id DESC",
	    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, since);
	return sq_rows_json(st, s, out, "reading the publish window", err);
}
