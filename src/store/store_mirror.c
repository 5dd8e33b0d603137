/*
 * store_mirror.c: the SQLite driver for the mirror registry (store.h,
 * "mirrors"): one row per mirror with its definition as JSON text, its
 * state (pending, active, disabled), the reason it was disabled and its
 * count of failed checks in a row.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/isotime.h"
#include "store/store.h"
#include "store/store_internal.h"

#define MIRROR_COLUMNS                                                                             \
	"name, definition, state, reason, failures, created, updated, applied_by, auto_disabled, " \
	"ipv4, ipv6, last_crawl "

/* The definition column back to an object. */
static void parse_definition(json_t *m)
{
	json_t *d = json_loads(sq_jstr(m, "definition"), 0, NULL);

	json_object_set_new(m, "definition", d ? d : json_object());
}

int q_store_mirror_put(struct q_store *st, const char *name, json_t *definition, const char *state,
		       const char *applied_by, struct q_error *err)
{
	char *text = json_dumps(definition, JSON_COMPACT | JSON_SORT_KEYS);
	sqlite3_stmt *s;
	int64_t now = sq_now_s();
	int rc;

	if (!text)
		return q_error_set(err, Q_EINTERNAL, "cannot encode mirror '%s'", name);
	s = sq_prep(st,
		    "INSERT INTO mirrors (name, definition, state, reason, failures, created, "
		    "updated, applied_by) VALUES (?, ?, ?, '', 0, ?, ?, ?) "
		    "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, "
		    "state = excluded.state, reason = '', failures = 0, auto_disabled = 0, "
		    "updated = excluded.updated, applied_by = excluded.applied_by",
		    err);
	if (!s) {
		free(text);
		return -1;
	}
	sq_bind_text(s, 1, name);
	sq_bind_text(s, 2, text);
	sq_bind_text(s, 3, state);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, now);
	sq_bind_text(s, 6, applied_by);
	rc = sq_run(st, s, "storing a mirror", err);
	free(text);
	return rc;
}

int q_store_mirror_get(struct q_store *st, const char *name, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT " MIRROR_COLUMNS "FROM mirrors WHERE name = ?", err);
	char msg[320];

	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	snprintf(msg, sizeof(msg), "mirror '%.256s' not found", name);
	if (sq_row_one(st, s, out, msg, err) < 0)
		return -1;
	parse_definition(*out);
	return 0;
}

int q_store_mirror_list(struct q_store *st, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT " MIRROR_COLUMNS "FROM mirrors ORDER BY name", err);
	json_t *v;
	size_t i;

	if (sq_rows_json(st, s, out, "listing mirrors", err) < 0)
		return -1;
	json_array_foreach (*out, i, v)
		parse_definition(v);
	return 0;
}

/* Run a statement that must change one row of mirrors. */
static int run_one(struct q_store *st, sqlite3_stmt *s, const char *name, const char *what,
		   struct q_error *err)
{
	if (sq_run(st, s, what, err) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return q_error_set(err, Q_ENOTFOUND, "mirror '%.256s' not found", name);
	return 0;
}

int q_store_mirror_set_state(struct q_store *st, const char *name, const char *state,
			     const char *reason, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "UPDATE mirrors SET state = ?, reason = ?, updated = ?, auto_disabled = 0, "
		    "failures = CASE WHEN ? = 'active' THEN 0 ELSE failures END "
		    "WHERE name = ?",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, state);
	sq_bind_text(s, 2, reason);
	sqlite3_bind_int64(s, 3, sq_now_s());
	sq_bind_text(s, 4, state);
	sq_bind_text(s, 5, name);
	return run_one(st, s, name, "changing a mirror's state", err);
}

int q_store_mirror_delete(struct q_store *st, const char *name, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "DELETE FROM mirror_checks WHERE mirror = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	if (sq_run(st, s, "removing a mirror's checks", err) < 0)
		return -1;
	s = sq_prep(st, "DELETE FROM mirror_served WHERE mirror = ?", err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	if (sq_run(st, s, "removing what a mirror served", err) < 0)
		return -1;
	s = sq_prep(st, "DELETE FROM mirrors WHERE name = ?", err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	return run_one(st, s, name, "removing a mirror", err);
}

int q_store_mirror_crawl_list(struct q_store *st, const char *name, json_t **out,
			      struct q_error *err)
{
	sqlite3_stmt *s;
	json_t *v;
	size_t i;

	if (name) {
		if (q_store_mirror_get(st, name, &v, err) < 0)
			return -1;
		*out = json_array();
		json_array_append_new(*out, v);
		return 0;
	}
	s = sq_prep(st,
		    "SELECT " MIRROR_COLUMNS "FROM mirrors WHERE state = 'active' OR "
		    "(state = 'disabled' AND auto_disabled = 1) ORDER BY name",
		    err);
	if (sq_rows_json(st, s, out, "listing mirrors to crawl", err) < 0)
		return -1;
	json_array_foreach (*out, i, v)
		parse_definition(v);
	return 0;
}

int q_store_mirror_check_put(struct q_store *st, const char *mirror, const char *repo,
			     const char *arch, const char *state, const char *sha256, bool newest,
			     int http_status, const char *error, double seconds, int64_t now,
			     struct q_error *err)
{
	/* newest_since: kept while the mirror keeps serving the same newest
	 * repomd.xml, set to now when it starts serving it, 0 otherwise. */
	static const char sql[] =
	    "INSERT INTO mirror_checks (mirror, repo, arch, state, sha256, http_status, error, "
	    "seconds, last_check, last_success, newest_since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, CASE WHEN ?6 = 200 THEN ?9 ELSE 0 END, CASE WHEN ?10 THEN ?9 ELSE 0 END) "
	    "ON CONFLICT (mirror, repo, arch) DO UPDATE SET state = ?4, sha256 = ?5, "
	    "http_status = ?6, error = ?7, seconds = ?8, last_check = ?9, "
	    "last_success = CASE WHEN ?6 = 200 THEN ?9 ELSE last_success END, "
	    "newest_since = CASE WHEN NOT ?10 THEN 0 WHEN newest_since > 0 AND sha256 = ?5 "
	    "THEN newest_since ELSE ?9 END";
	sqlite3_stmt *s = sq_prep_cached(st, sql, err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, mirror);
	sq_bind_text(s, 2, repo);
	sq_bind_text(s, 3, arch);
	sq_bind_text(s, 4, state);
	sq_bind_text(s, 5, sha256);
	sqlite3_bind_int(s, 6, http_status);
	sq_bind_text(s, 7, error);
	sqlite3_bind_double(s, 8, seconds);
	sqlite3_bind_int64(s, 9, now);
	sqlite3_bind_int(s, 10, newest ? 1 : 0);
	return sq_run_cached(st, s, "recording a mirror check", err);
}

int q_store_mirror_served(struct q_store *st, const char *mirror, const char *repo,
			  const char *arch, const char *sha256, int64_t now, struct q_error *err)
{
	static const char sql[] = "INSERT INTO mirror_served (mirror, repo, arch, sha256, "
				  "first_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
	sqlite3_stmt *s = sq_prep_cached(st, sql, err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, mirror);
	sq_bind_text(s, 2, repo);
	sq_bind_text(s, 3, arch);
	sq_bind_text(s, 4, sha256);
	sqlite3_bind_int64(s, 5, now);
	return sq_run_cached(st, s, "recording what a mirror serves", err);
}

int q_store_mirror_served_prune(struct q_store *st, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st, "DELETE FROM mirror_served WHERE sha256 NOT IN (SELECT sha256 FROM publishes)",
	    err);

	if (!s)
		return -1;
	return sq_run(st, s, "pruning what mirrors served", err);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Seconds from t0 until need of the sorted since[0..n) had it; null when fewer. */
static json_t *time_to(const int64_t *since, size_t n, size_t need, int64_t t0)
{
	if (need == 0 || n < need)
		return json_null();
	return json_integer(since[need - 1] > t0 ? since[need - 1] - t0 : 0);
}

/* One repo/arch of q_store_update_propagation. */
static int propagation_arch(struct q_store *st, int64_t repo_id, const char *repo, const char *arch,
			    int64_t entered, json_t *out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT id, time, sha256 FROM publishes WHERE repo_id = ? AND "
				  "arch = ? AND time >= ? ORDER BY id LIMIT 1",
				  err);
	json_t *holders = json_array(), *row = NULL;
	int64_t pid = 0, ptime = 0, *since = NULL;
	size_t n = 0, d = 0, holding = 0, cap = 0;
	char sha[65] = "";
	int rc;

	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, repo_id);
	sq_bind_text(s, 2, arch);
	sqlite3_bind_int64(s, 3, entered);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pid = sqlite3_column_int64(s, 0);
		ptime = sqlite3_column_int64(s, 1);
		snprintf(sha, sizeof(sha), "%s", (const char *)sqlite3_column_text(s, 2));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_db_error(st, err, "reading the publish history");
		goto fail;
	}
	/* Active mirrors checked for repo/arch; holds: the last check served
	 * publish pid or a later one of this repo/arch (and was not partial). */
	s = sq_prep(
	    st,
	    "WITH later AS (SELECT sha256 FROM publishes WHERE repo_id = ?1 AND arch = ?2 "
	    "AND id >= ?3) "
	    "SELECT c.mirror, ?3 > 0 AND c.state NOT IN ('partial', 'unreachable') AND "
	    "c.sha256 IN (SELECT sha256 FROM later) AS holds, "
	    "(SELECT MIN(v.first_seen) FROM mirror_served v WHERE v.mirror = c.mirror AND "
	    "v.repo = c.repo AND v.arch = c.arch AND v.sha256 IN (SELECT sha256 FROM later)) "
	    "AS since FROM mirror_checks c JOIN mirrors m ON m.name = c.mirror "
	    "WHERE m.state = 'active' AND c.repo = ?4 AND c.arch = ?2 "
	    "ORDER BY since IS NULL, since, c.mirror",
	    err);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, repo_id);
	sq_bind_text(s, 2, arch);
	sqlite3_bind_int64(s, 3, pid);
	sq_bind_text(s, 4, repo);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		d++;
		if (!sqlite3_column_int(s, 1))
			continue;
		holding++;
		if (holding > cap) {
			int64_t *grown = realloc(since, (cap = 2 * holding) * sizeof(*since));

			if (!grown) {
				sqlite3_finalize(s);
				q_error_set(err, Q_EINTERNAL, "out of memory");
				goto fail;
			}
			since = grown;
		}
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			since[n++] = sqlite3_column_int64(s, 2);
		json_array_append_new(holders,
				      json_pack("{s:s,s:o}", "mirror",
						(const char *)sqlite3_column_text(s, 0), "since",
						sqlite3_column_type(s, 2) == SQLITE_NULL
						    ? json_null()
						    : q_json_time(sqlite3_column_int64(s, 2))));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sq_db_error(st, err, "reading mirror checks");
		goto fail;
	}
	if (n > 1)
		qsort(since, n, sizeof(*since), cmp_i64);
	row = json_pack(
	    "{s:s,s:s,s:o,s:I,s:I,s:o,s:o,s:o}", "repo", repo, "arch", arch, "publish",
	    pid ? json_pack("{s:o,s:s}", "time", q_json_time(ptime), "sha256", sha) : json_null(),
	    "mirrors", (json_int_t)d, "holding", (json_int_t)holding, "time_to_50",
	    pid ? time_to(since, n, (d + 1) / 2, ptime) : json_null(), "time_to_90",
	    pid ? time_to(since, n, (d * 9 + 9) / 10, ptime) : json_null(), "holders", holders);
	free(since);
	return json_array_append_new(out, row) == 0 ? 0 : q_error_set(err, Q_EINTERNAL, "oom");
fail:
	free(since);
	json_decref(holders);
	return -1;
}

int q_store_update_propagation(struct q_store *st, int64_t id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT r.id, 'sig-' || g.name || '-' || r.name || '-' || p.major, "
	    "CASE u.state WHEN 'testing' THEN u.testing_since ELSE u.released END "
	    "FROM updates u JOIN repos r ON r.id = CASE u.state WHEN 'testing' THEN "
	    "u.testing_repo_id ELSE u.release_repo_id END JOIN projects p ON p.id = r.project_id "
	    "JOIN sigs g ON g.id = p.sig_id WHERE u.id = ? AND u.state IN ('testing', 'release')",
	    err);
	int64_t repo_id = 0, entered = 0;
	char repo[400] = "";
	json_t *arches = NULL, *a;
	size_t i;
	int rc;

	*out = json_array();
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		repo_id = sqlite3_column_int64(s, 0);
		snprintf(repo, sizeof(repo), "%s", (const char *)sqlite3_column_text(s, 1));
		entered = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_db_error(st, err, "reading an update");
		goto fail;
	}
	if (!repo_id)
		return 0; /* in no repo now */
	s = sq_prep(st, "SELECT DISTINCT arch FROM publishes WHERE repo_id = ? ORDER BY arch", err);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, repo_id);
	if (sq_rows_json(st, s, &arches, "reading the publish history", err) < 0)
		goto fail;
	json_array_foreach (arches, i, a)
		if (propagation_arch(st, repo_id, repo, sq_jstr(a, "arch"), entered, *out, err) < 0)
			goto fail;
	json_decref(arches);
	return 0;
fail:
	json_decref(arches);
	json_decref(*out);
	*out = NULL;
	return -1;
}

int q_store_publish_find_repomd(struct q_store *st, const char *sha256, int64_t *when,
				struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep_cached(st, "SELECT MIN(time) FROM publishes WHERE sha256 = ?", err);
	int rc;

	*when = 0;
	if (!s)
		return -1;
	sq_bind_text(s, 1, sha256);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*when = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_error(st, err, "looking up a publish");
	return 0;
}

int q_store_mirror_crawled(struct q_store *st, const char *name, bool ok, int ipv4, int ipv6,
			   int max_failures, const char *error, int *change, struct q_error *err)
{
	json_t *m = NULL;
	const char *state;
	int64_t failures, autod;
	sqlite3_stmt *s;
	char reason[600];

	static const char get_sql[] = "SELECT " MIRROR_COLUMNS "FROM mirrors WHERE name = ?";
	static const char set_sql[] =
	    "UPDATE mirrors SET state = ?, reason = ?, failures = ?, auto_disabled = ?, "
	    "ipv4 = CASE WHEN ? < 0 THEN ipv4 ELSE ? END, "
	    "ipv6 = CASE WHEN ? < 0 THEN ipv6 ELSE ? END, last_crawl = ?, "
	    "updated = CASE WHEN ? THEN ? ELSE updated END WHERE name = ?";

	*change = 0;
	s = sq_prep_cached(st, get_sql, err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return q_error_set(err, Q_ENOTFOUND, "mirror '%.256s' not found", name);
	}
	m = sq_row_json(s);
	sqlite3_reset(s);
	state = sq_jstr(m, "state");
	failures = json_integer_value(json_object_get(m, "failures"));
	autod = json_integer_value(json_object_get(m, "auto_disabled"));
	reason[0] = '\0';
	if (ok) {
		failures = 0;
		if (!strcmp(state, "disabled") && autod) {
			state = "active";
			autod = 0;
			*change = 2;
		}
	} else {
		failures++;
		if (!strcmp(state, "active") && failures >= max_failures) {
			state = "disabled";
			autod = 1;
			*change = 1;
		}
	}
	if (*change == 1)
		snprintf(reason, sizeof(reason), "%" PRId64 " failed crawls in a row: %.500s",
			 failures, error ? error : "");
	else if (!(*change == 2))
		snprintf(reason, sizeof(reason), "%.500s", sq_jstr(m, "reason"));
	s = sq_prep_cached(st, set_sql, err);
	if (!s) {
		json_decref(m);
		return -1;
	}
	sq_bind_text(s, 1, state);
	sq_bind_text(s, 2, reason);
	sqlite3_bind_int64(s, 3, failures);
	sqlite3_bind_int64(s, 4, autod);
	sqlite3_bind_int(s, 5, ipv4);
	sqlite3_bind_int(s, 6, ipv4);
	sqlite3_bind_int(s, 7, ipv6);
	sqlite3_bind_int(s, 8, ipv6);
	sqlite3_bind_int64(s, 9, sq_now_s());
	sqlite3_bind_int(s, 10, *change != 0);
	sqlite3_bind_int64(s, 11, sq_now_s());
	sq_bind_text(s, 12, name);
	json_decref(m);
	if (sq_run_cached(st, s, "recording a crawl", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return q_error_set(err, Q_ENOTFOUND, "mirror '%.256s' not found", name);
	return 0;
}

int q_store_mirror_checks(struct q_store *st, const char *mirror, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT mirror, repo, arch, state, sha256, http_status, error, seconds, last_check, "
	    "last_success, newest_since FROM mirror_checks WHERE ?1 IS NULL OR mirror = ?1 "
	    "ORDER BY mirror, repo, arch",
	    err);

	if (!s)
		return -1;
	if (mirror)
		sq_bind_text(s, 1, mirror);
	else
		sqlite3_bind_null(s, 1);
	return sq_rows_json(st, s, out, "reading mirror checks", err);
}

#define CRAWL_COLUMNS "id, mirror, requested_by, state, created, started, finished, summary "

int q_store_crawl_add(struct q_store *st, const char *mirror, const char *requested_by, int64_t *id,
		      struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "INSERT INTO crawls (mirror, requested_by, state, created) "
				  "VALUES (?, ?, 'queued', ?)",
				  err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, mirror ? mirror : "");
	sq_bind_text(s, 2, requested_by);
	sqlite3_bind_int64(s, 3, sq_now_s());
	if (sq_run(st, s, "queueing a crawl", err) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void parse_summary(json_t *c)
{
	json_t *d = json_loads(sq_jstr(c, "summary"), 0, NULL);

	json_object_set_new(c, "summary", d ? d : json_object());
}

int q_store_crawl_take(struct q_store *st, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s;
	json_t *rows = NULL;
	int64_t id;

	*out = NULL;
	s = sq_prep(
	    st, "SELECT " CRAWL_COLUMNS "FROM crawls WHERE state = 'queued' ORDER BY id LIMIT 1",
	    err);
	if (sq_rows_json(st, s, &rows, "reading the crawl queue", err) < 0)
		return -1;
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return 0;
	}
	*out = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	id = json_integer_value(json_object_get(*out, "id"));
	s = sq_prep(st,
		    "UPDATE crawls SET state = 'running', started = ? WHERE id = ? AND "
		    "state = 'queued'",
		    err);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, sq_now_s());
	sqlite3_bind_int64(s, 2, id);
	if (sq_run(st, s, "starting a crawl", err) < 0)
		goto fail;
	json_object_set_new(*out, "state", json_string("running"));
	json_object_set_new(*out, "started", json_integer(sq_now_s()));
	parse_summary(*out);
	return 0;
fail:
	json_decref(*out);
	*out = NULL;
	return -1;
}

int q_store_crawl_finish(struct q_store *st, int64_t id, const char *state, json_t *summary,
			 struct q_error *err)
{
	char *text = json_dumps(summary, JSON_COMPACT);
	sqlite3_stmt *s;
	int rc;

	if (!text)
		return q_error_set(err, Q_EINTERNAL, "cannot encode a crawl summary");
	s = sq_prep(st, "UPDATE crawls SET state = ?, finished = ?, summary = ? WHERE id = ?", err);
	if (!s) {
		free(text);
		return -1;
	}
	sq_bind_text(s, 1, state);
	sqlite3_bind_int64(s, 2, sq_now_s());
	sq_bind_text(s, 3, text);
	sqlite3_bind_int64(s, 4, id);
	rc = sq_run(st, s, "finishing a crawl", err);
	free(text);
	return rc;
}

int q_store_crawl_get(struct q_store *st, int64_t id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT " CRAWL_COLUMNS "FROM crawls WHERE id = ?", err);
	char msg[64];

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	snprintf(msg, sizeof(msg), "crawl %" PRId64 " not found", id);
	if (sq_row_one(st, s, out, msg, err) < 0)
		return -1;
	parse_summary(*out);
	return 0;
}

int q_store_crawl_reset(struct q_store *st, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "UPDATE crawls SET state = 'failed', finished = ?, "
				  "summary = '{\"error\":\"the hub stopped during the crawl\"}' "
				  "WHERE state = 'running'",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sq_now_s());
	return sq_run(st, s, "resetting crawls", err);
}
