/*
 * store_advisory.c: the SQLite driver for advisories (store.h,
 * "advisories"): an update's type, severity, title, notes and references,
 * its advisory id, and what a repo's updateinfo.xml lists.
 *
 * DESIGN
 * - The advisory fields are columns of updates (a migration that only adds
 *   columns); references are a JSON list kept as text, validated by the
 *   API (api/advisory.c) before it is stored.
 * - An advisory id is SIGNAME-MAJOR-YEAR-NNNN: the SIG's name upper-cased,
 *   the project's EL major, the UTC year it was assigned, and a counter
 *   per (SIG, major, year) in advisory_counters. The counter only goes
 *   up, and a unique index on updates.advisory backs it: a number is never
 *   given twice, even after the update that had it is unpushed. The id is
 *   assigned once, in the transaction that first moves the update to
 *   testing, and kept for good.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/isotime.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <glib.h>
#include <time.h>

int q_store_update_advisory_put(struct q_store *st, int64_t id, json_t *fields, struct q_error *err)
{
	/* ?N IS NULL: the field is not given, the column keeps its value. */
	sqlite3_stmt *s =
	    sq_prep(st,
		    "UPDATE updates SET type = coalesce(?2, type), "
		    "severity = coalesce(?3, severity), title = coalesce(?4, title), "
		    "notes = coalesce(?5, notes), refs = coalesce(?6, refs), updated = ?7 "
		    "WHERE id = ?1 AND state IN ('candidate','testing','unpushed')",
		    err);
	static const char *const keys[] = {"type", "severity", "title", "notes"};
	json_t *refs = json_object_get(fields, "references");
	char *refs_text = NULL;
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	for (int i = 0; i < 4; i++) {
		const char *v = json_string_value(json_object_get(fields, keys[i]));

		if (v)
			sq_bind_text(s, 2 + i, v);
		else
			sqlite3_bind_null(s, 2 + i);
	}
	if (refs) {
		refs_text = json_dumps(refs, JSON_COMPACT);
		if (!refs_text) {
			sqlite3_finalize(s);
			return q_error_set(err, Q_EINTERNAL, "out of memory");
		}
		sq_bind_text(s, 6, refs_text);
	} else {
		sqlite3_bind_null(s, 6);
	}
	sqlite3_bind_int64(s, 7, sq_now_s());
	rc = sq_run(st, s, "storing an update's advisory", err);
	free(refs_text);
	if (rc < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1) {
		json_t *u = NULL;

		if (q_store_update_get(st, id, &u, err) < 0)
			return -1;
		q_error_set(err, Q_ECONFLICT,
			    "update %" PRId64 " is '%s': only candidate, testing and unpushed "
			    "updates can be edited",
			    id, json_string_value(json_object_get(u, "state")));
		json_decref(u);
		return -1;
	}
	return 0;
}

int q_store_update_assign_advisory(struct q_store *st, int64_t id, int64_t now, char *out,
				   size_t size, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT u.advisory, g.id, g.name, p.major FROM updates u "
				  "JOIN projects p ON p.id = u.project_id "
				  "JOIN sigs g ON g.id = p.sig_id WHERE u.id = ?",
				  err);
	int64_t sig_id, major, year, n = 0;
	char sig[128], *up;
	time_t tt = (time_t)now;
	struct tm tm;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return q_error_set(err, Q_ENOTFOUND, "update %" PRId64 " not found", id);
	}
	if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
		/* Assigned before (an earlier time in testing): kept. */
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
		return 0;
	}
	sig_id = sqlite3_column_int64(s, 1);
	snprintf(sig, sizeof(sig), "%s", (const char *)sqlite3_column_text(s, 2));
	major = sqlite3_column_int64(s, 3);
	sqlite3_finalize(s);
	gmtime_r(&tt, &tm);
	year = (int64_t)tm.tm_year + 1900;

	s = sq_prep(st,
		    "INSERT INTO advisory_counters (sig_id, major, year, last) VALUES (?, ?, ?, 1) "
		    "ON CONFLICT (sig_id, major, year) DO UPDATE SET last = last + 1 "
		    "RETURNING last",
		    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sig_id);
	sqlite3_bind_int64(s, 2, major);
	sqlite3_bind_int64(s, 3, year);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (n <= 0)
		return sq_db_error(st, err, "counting advisories");
	up = g_ascii_strup(sig, -1);
	snprintf(out, size, "%s-%" PRId64 "-%" PRId64 "-%04" PRId64, up, major, year, n);
	g_free(up);

	s = sq_prep(st,
		    "UPDATE updates SET advisory = ?, advisory_issued = ? "
		    "WHERE id = ? AND advisory IS NULL",
		    err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, out);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, id);
	if (sq_run(st, s, "assigning an advisory id", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return q_error_set(err, Q_ECONFLICT,
				   "update %" PRId64 " got an advisory id meanwhile", id);
	return 0;
}

int q_store_update_advisory_fill(struct q_store *st, json_t *u, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT type, severity, title, refs, advisory, advisory_issued "
				  "FROM updates WHERE id = ?",
				  err);
	const char *sev, *refs;
	json_t *r;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, json_integer_value(json_object_get(u, "id")));
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return sq_db_error(st, err, "reading an update's advisory");
	}
	json_object_set_new(u, "type", json_string((const char *)sqlite3_column_text(s, 0)));
	sev = (const char *)sqlite3_column_text(s, 1);
	json_object_set_new(u, "severity", sev && *sev ? json_string(sev) : json_null());
	r = json_string((const char *)sqlite3_column_text(s, 2));
	json_object_set_new(u, "title", r ? r : json_string(""));
	refs = (const char *)sqlite3_column_text(s, 3);
	r = refs ? json_loads(refs, 0, NULL) : NULL;
	json_object_set_new(u, "references", json_is_array(r) ? r : json_array());
	if (r && !json_is_array(r))
		json_decref(r);
	json_object_set_new(u, "advisory",
			    sqlite3_column_type(s, 4) == SQLITE_NULL
				? json_null()
				: json_string((const char *)sqlite3_column_text(s, 4)));
	json_object_set_new(u, "advisory_issued", q_json_time(sqlite3_column_int64(s, 5)));
	sqlite3_finalize(s);
	return 0;
}

/* Which updates a repo carries: in testing for its testing repo, released
 * for its release repo. ?1 the repo. */
#define CARRIED                                                                                    \
	"u.advisory IS NOT NULL AND ((u.state = 'testing' AND u.testing_repo_id = ?1) OR "         \
	"(u.state = 'release' AND u.release_repo_id = ?1))"

int q_store_repo_advisories(struct q_store *st, int64_t repo_id, const char *arch, json_t **out,
			    struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT u.id AS id, u.advisory AS advisory, u.type AS type, u.severity AS severity, "
	    "u.title AS title, u.notes AS notes, u.refs AS refs, u.advisory_issued AS issued, "
	    "u.updated AS updated, CASE u.state WHEN 'testing' THEN 'testing' ELSE 'stable' END "
	    "AS status, (SELECT group_concat(nevr, ', ') FROM (SELECT b.nevr AS nevr FROM "
	    "update_builds x JOIN builds b ON b.id = x.build_id WHERE x.update_id = u.id "
	    "ORDER BY b.id)) AS default_title FROM updates u WHERE " CARRIED " ORDER BY u.id",
	    err);
	json_t *list = NULL, *pkgs = NULL, *byid = NULL, *a, *p;
	size_t i;

	*out = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	if (sq_rows_json(st, s, &list, "reading a repo's advisories", err) < 0)
		return -1;
	if (json_array_size(list) == 0) {
		*out = list;
		return 0;
	}
	/* The packages of each update's builds that are in the repo for arch:
	 * the build's own RPMs or their signed copies (release, sign_testing). */
	s = sq_prep(
	    st,
	    "WITH cand(update_id, build_id, pid) AS ("
	    " SELECT x.update_id, x.build_id, k.id FROM updates u "
	    " JOIN update_builds x ON x.update_id = u.id "
	    " JOIN artifacts a ON a.build_id = x.build_id "
	    " JOIN packages k ON k.sha256 = a.sha256 WHERE " CARRIED " UNION "
	    " SELECT x.update_id, x.build_id, sp.signed_id FROM updates u "
	    " JOIN update_builds x ON x.update_id = u.id "
	    " JOIN artifacts a ON a.build_id = x.build_id "
	    " JOIN packages k ON k.sha256 = a.sha256 "
	    " JOIN signed_packages sp ON sp.package_id = k.id WHERE " CARRIED ") "
	    "SELECT DISTINCT c.update_id AS update_id, k.name AS name, k.epoch AS epoch, "
	    "k.version AS version, k.release AS release, k.arch AS arch, "
	    "k.filename AS filename, k.sha256 AS sha256, "
	    "(SELECT s.name FROM artifacts s WHERE s.build_id = c.build_id AND "
	    "s.name LIKE '%.src.rpm' ORDER BY s.id DESC LIMIT 1) AS src "
	    "FROM cand c JOIN repo_packages rp ON rp.repo_id = ?1 AND rp.package_id = c.pid "
	    "JOIN packages k ON k.id = c.pid WHERE (k.arch = ?2 OR k.arch = 'noarch') "
	    "ORDER BY c.update_id, k.filename",
	    err);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, repo_id);
	sq_bind_text(s, 2, arch);
	if (sq_rows_json(st, s, &pkgs, "reading the packages of a repo's advisories", err) < 0)
		goto fail;
	byid = json_object();
	json_array_foreach (list, i, a) {
		char key[32];
		const char *refs = json_string_value(json_object_get(a, "refs"));
		json_t *r = refs ? json_loads(refs, 0, NULL) : NULL;

		json_object_set_new(a, "references", json_is_array(r) ? r : json_array());
		if (r && !json_is_array(r))
			json_decref(r);
		json_object_del(a, "refs");
		json_object_set_new(a, "packages", json_array());
		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(a, "id")));
		json_object_set(byid, key, a);
	}
	json_array_foreach (pkgs, i, p) {
		char key[32];

		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(p, "update_id")));
		a = json_object_get(byid, key);
		json_object_del(p, "update_id");
		if (a)
			json_array_append(json_object_get(a, "packages"), p);
	}
	json_decref(byid);
	json_decref(pkgs);
	*out = list;
	return 0;
fail:
	json_decref(list);
	return -1;
}
