/*
 * store_update.c: the SQLite driver for updates, gating policies, signed
 * copies of packages and removing a package from a repo (store.h,
 * "updates").
 */
#include "core/common.h"
#include "core/error.h"
#include "core/isotime.h"
#include "store/store.h"
#include "store/store_internal.h"

#define POLICY_DEFAULT_CHECKS "disttag,rpmlint,closure,installable,conflicts"

int q_store_policy_get(struct q_store *st, int64_t project_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT required_checks, testing_days, lead_approval, auto_testing, "
		    "sign_testing, rpmlint_config, uploads_testing, uploads_release, "
		    "stable_karma, unstable_karma FROM policies WHERE project_id = ?",
		    err);
	json_t *rows = NULL;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, project_id);
	if (sq_rows_json(st, s, &rows, "reading a policy", err) < 0)
		return -1;
	if (json_array_size(rows) == 1)
		*out = json_incref(json_array_get(rows, 0));
	else
		*out = json_pack("{s:s,s:i,s:i,s:i,s:i,s:s,s:i,s:i,s:i,s:i}", "required_checks",
				 POLICY_DEFAULT_CHECKS, "testing_days", 0, "lead_approval", 0,
				 "auto_testing", 1, "sign_testing", 0, "rpmlint_config", "",
				 "uploads_testing", 0, "uploads_release", 0, "stable_karma", 0,
				 "unstable_karma", 0);
	json_decref(rows);
	return 0;
}

int q_store_policy_put(struct q_store *st, int64_t project_id, json_t *p, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st,
	    "INSERT INTO policies (project_id, required_checks, testing_days, lead_approval, "
	    "auto_testing, sign_testing, rpmlint_config, uploads_testing, uploads_release, "
	    "stable_karma, unstable_karma) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (project_id) DO UPDATE SET required_checks = excluded.required_checks, "
	    "testing_days = excluded.testing_days, lead_approval = excluded.lead_approval, "
	    "auto_testing = excluded.auto_testing, sign_testing = excluded.sign_testing, "
	    "rpmlint_config = excluded.rpmlint_config, "
	    "uploads_testing = excluded.uploads_testing, "
	    "uploads_release = excluded.uploads_release, "
	    "stable_karma = excluded.stable_karma, unstable_karma = excluded.unstable_karma",
	    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, project_id);
	sq_bind_text(s, 2, sq_jstr(p, "required_checks"));
	sqlite3_bind_int64(s, 3, json_integer_value(json_object_get(p, "testing_days")));
	sqlite3_bind_int64(s, 4, json_integer_value(json_object_get(p, "lead_approval")));
	sqlite3_bind_int64(s, 5, json_integer_value(json_object_get(p, "auto_testing")));
	sqlite3_bind_int64(s, 6, json_integer_value(json_object_get(p, "sign_testing")));
	sq_bind_text(s, 7, sq_jstr(p, "rpmlint_config"));
	sqlite3_bind_int64(s, 8, json_integer_value(json_object_get(p, "uploads_testing")));
	sqlite3_bind_int64(s, 9, json_integer_value(json_object_get(p, "uploads_release")));
	sqlite3_bind_int64(s, 10, json_integer_value(json_object_get(p, "stable_karma")));
	sqlite3_bind_int64(s, 11, json_integer_value(json_object_get(p, "unstable_karma")));
	return sq_run(st, s, "storing a policy", err);
}

int q_store_update_create(struct q_store *st, int64_t project_id, int64_t release_repo_id,
			  int64_t testing_repo_id, json_t *build_ids, const char *notes,
			  const char *by, int64_t *id, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO updates (project_id, release_repo_id, testing_repo_id, "
		    "state, notes, created_by, created, updated) "
		    "VALUES (?, ?, ?, 'candidate', ?, ?, ?, ?)",
		    err);
	json_t *b;
	size_t i;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, project_id);
	sqlite3_bind_int64(s, 2, release_repo_id);
	sqlite3_bind_int64(s, 3, testing_repo_id);
	sq_bind_text(s, 4, notes);
	sq_bind_text(s, 5, by);
	sqlite3_bind_int64(s, 6, sq_now_s());
	sqlite3_bind_int64(s, 7, sq_now_s());
	if (sq_run(st, s, "creating an update", err) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	json_array_foreach (build_ids, i, b)
		if (q_store_update_take_build(st, *id, json_integer_value(b), err) < 0)
			return -1;
	return 0;
}

int q_store_update_take_build(struct q_store *st, int64_t update_id, int64_t build_id,
			      struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT x.update_id, u.state FROM update_builds x JOIN updates u "
				  "ON u.id = x.update_id WHERE x.build_id = ?",
				  err);
	int64_t other = 0;
	char state[16] = "";

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		other = sqlite3_column_int64(s, 0);
		snprintf(state, sizeof(state), "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	if (other == update_id)
		return q_error_set(err, Q_ECONFLICT,
				   "build %" PRId64 " is already in update %" PRId64, build_id,
				   other);
	if (other && strcmp(state, "unpushed") && strcmp(state, "obsolete"))
		return q_error_set(err, Q_ECONFLICT,
				   "build %" PRId64 " is already in update %" PRId64
				   " (%s); only the builds of an unpushed or obsolete update may "
				   "join another",
				   build_id, other, state);
	/* A build of an unpushed or obsolete update moves to this one. */
	s = sq_prep(st,
		    other ? "UPDATE update_builds SET update_id = ?1 WHERE build_id = ?2"
			  : "INSERT INTO update_builds (update_id, build_id) VALUES (?1, ?2)",
		    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, update_id);
	sqlite3_bind_int64(s, 2, build_id);
	return sq_run(st, s, "adding a build to an update", err);
}

int q_store_update_drop_build(struct q_store *st, int64_t update_id, int64_t build_id,
			      struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "DELETE FROM update_builds WHERE update_id = ? AND build_id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, update_id);
	sqlite3_bind_int64(s, 2, build_id);
	if (sq_run(st, s, "removing a build from an update", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return q_error_set(err, Q_EINVAL, "build %" PRId64 " is not in update %" PRId64,
				   build_id, update_id);
	return 0;
}

int q_store_repo_remove_build(struct q_store *st, int64_t repo_id, int64_t build_id, int *removed,
			      struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st,
	    "DELETE FROM repo_packages WHERE repo_id = ?1 AND package_id IN ("
	    "SELECT k.id FROM artifacts a JOIN tasks t ON t.id = a.task_id AND "
	    "t.attempt = a.attempt AND t.state = 'closed' AND t.kind = 'rpm' "
	    "JOIN packages k ON k.sha256 = a.sha256 WHERE a.build_id = ?2 "
	    "UNION SELECT sp.signed_id FROM artifacts a JOIN tasks t ON t.id = a.task_id AND "
	    "t.attempt = a.attempt AND t.state = 'closed' AND t.kind = 'rpm' "
	    "JOIN packages k ON k.sha256 = a.sha256 JOIN signed_packages sp ON "
	    "sp.package_id = k.id WHERE a.build_id = ?2)",
	    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sqlite3_bind_int64(s, 2, build_id);
	if (sq_run(st, s, "removing a build's packages from a repo", err) < 0)
		return -1;
	*removed += sqlite3_changes(st->db);
	return 0;
}

int q_store_update_obsolete(struct q_store *st, int64_t id, const char *from, int64_t by,
			    struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "UPDATE updates SET state = 'obsolete', obsoleted_by = ?1, "
				  "updated = ?2 WHERE id = ?3 AND state = ?4",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, by);
	sqlite3_bind_int64(s, 2, sq_now_s());
	sqlite3_bind_int64(s, 3, id);
	sq_bind_text(s, 4, from);
	if (sq_run(st, s, "making an update obsolete", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return q_error_set(err, Q_ECONFLICT,
				   "update %" PRId64 " is no longer '%s' (changed meanwhile)", id,
				   from);
	return 0;
}

int q_store_update_revoke(struct q_store *st, int64_t id, const char *reason, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "UPDATE updates SET state = 'revoked', revoke_reason = ?1, "
				  "revoked = ?2, updated = ?2 WHERE id = ?3 AND state = 'release'",
				  err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, reason);
	sqlite3_bind_int64(s, 2, sq_now_s());
	sqlite3_bind_int64(s, 3, id);
	if (sq_run(st, s, "revoking an update", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return q_error_set(err, Q_ECONFLICT,
				   "update %" PRId64 " is no longer 'release' (changed meanwhile)",
				   id);
	return 0;
}

int q_store_update_rivals(struct q_store *st, int64_t update_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT DISTINCT o.id AS update_id, o.state AS state, ob.name AS name, "
	    "ob.nevr AS nevr, mb.nevr AS newer FROM updates m "
	    "JOIN update_builds mx ON mx.update_id = m.id JOIN builds mb ON mb.id = mx.build_id "
	    "JOIN updates o ON o.release_repo_id = m.release_repo_id AND o.id != m.id "
	    "AND o.state IN ('candidate', 'testing') "
	    "JOIN update_builds ox ON ox.update_id = o.id JOIN builds ob ON ob.id = ox.build_id "
	    "AND ob.name = mb.name WHERE m.id = ? ORDER BY o.id",
	    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, update_id);
	return sq_rows_json(st, s, out, "finding older updates of the same packages", err);
}

int q_store_update_comment(struct q_store *st, int64_t update_id, const char *user, int karma,
			   const char *text, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "INSERT INTO update_comments (update_id, user, karma, text, "
				  "created) VALUES (?, ?, ?, ?, ?)",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, update_id);
	sq_bind_text(s, 2, user);
	sqlite3_bind_int64(s, 3, karma);
	sq_bind_text(s, 4, text);
	sqlite3_bind_int64(s, 5, sq_now_s());
	return sq_run(st, s, "adding a comment", err);
}

int q_store_update_karma(struct q_store *st, int64_t update_id, int64_t *karma, struct q_error *err)
{
	/* Each user's latest comment counts, the creator's never. */
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT COALESCE(SUM(c.karma), 0) FROM update_comments c JOIN updates u ON "
	    "u.id = c.update_id WHERE c.update_id = ?1 AND c.user != u.created_by AND c.id = "
	    "(SELECT MAX(d.id) FROM update_comments d WHERE d.update_id = ?1 AND d.user = c.user)",
	    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, update_id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sq_db_error(st, err, "counting karma");
		sqlite3_finalize(s);
		return -1;
	}
	*karma = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

#define UPDATE_SELECT                                                                              \
	"SELECT u.id AS id, g.name AS sig, p.name AS project, p.id AS project_id, "                \
	"rr.name AS release_repo, tr.name AS testing_repo, u.release_repo_id AS release_repo_id, " \
	"u.testing_repo_id AS testing_repo_id, u.state AS state, u.notes AS notes, "               \
	"u.created_by AS created_by, u.created AS created, u.updated AS updated, "                 \
	"u.testing_since AS testing_since, u.released AS released, u.approved_by AS approved_by, " \
	"u.obsoleted_by AS obsoleted_by, u.revoke_reason AS revoke_reason, u.revoked AS revoked "  \
	"FROM updates u JOIN projects p ON p.id = u.project_id JOIN sigs g ON g.id = p.sig_id "    \
	"JOIN repos rr ON rr.id = u.release_repo_id JOIN repos tr ON tr.id = u.testing_repo_id "

/* "comments" (oldest first), "karma" (their sum as it counts) and
 * "revoked"; the times as the API shows them (q_json_time). */
static int add_comments(struct q_store *st, json_t *u, struct q_error *err)
{
	int64_t id = json_integer_value(json_object_get(u, "id")), karma = 0;
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT user, karma, text, created FROM update_comments "
				  "WHERE update_id = ? ORDER BY id",
				  err);
	json_t *rows = NULL, *c;
	size_t i;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sq_rows_json(st, s, &rows, "reading an update's comments", err) < 0)
		return -1;
	json_array_foreach (rows, i, c)
		json_object_set_new(c, "created",
				    q_json_time(json_integer_value(json_object_get(c, "created"))));
	json_object_set_new(u, "comments", rows);
	json_object_set_new(u, "revoked",
			    q_json_time(json_integer_value(json_object_get(u, "revoked"))));
	if (q_store_update_karma(st, id, &karma, err) < 0)
		return -1;
	json_object_set_new(u, "karma", json_integer(karma));
	return 0;
}

static int add_builds(struct q_store *st, json_t *u, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT b.id AS id, b.nevr AS nevr, b.name AS name, b.state AS state FROM "
		    "update_builds x JOIN builds b ON b.id = x.build_id WHERE x.update_id = ? "
		    "ORDER BY b.id",
		    err);
	json_t *rows = NULL;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, json_integer_value(json_object_get(u, "id")));
	if (sq_rows_json(st, s, &rows, "reading an update's builds", err) < 0)
		return -1;
	json_object_set_new(u, "builds", rows);
	return add_comments(st, u, err);
}

int q_store_update_get(struct q_store *st, int64_t id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, UPDATE_SELECT "WHERE u.id = ?", err);
	char msg[64];

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	snprintf(msg, sizeof(msg), "update %" PRId64 " not found", id);
	if (sq_row_one(st, s, out, msg, err) < 0)
		return -1;
	if (add_builds(st, *out, err) < 0 || q_store_update_advisory_fill(st, *out, err) < 0) {
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int q_store_update_list(struct q_store *st, const char *sig, const char *project, const char *state,
			json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  UPDATE_SELECT "WHERE (?1 IS NULL OR g.name = ?1) AND "
						"(?3 IS NULL OR p.name = ?3) AND "
						"(?2 IS NULL OR u.state = ?2) ORDER BY u.id DESC",
				  err);
	json_t *u;
	size_t i;

	if (!s)
		return -1;
	if (sig)
		sq_bind_text(s, 1, sig);
	else
		sqlite3_bind_null(s, 1);
	if (state)
		sq_bind_text(s, 2, state);
	else
		sqlite3_bind_null(s, 2);
	if (project)
		sq_bind_text(s, 3, project);
	else
		sqlite3_bind_null(s, 3);
	if (sq_rows_json(st, s, out, "listing updates", err) < 0)
		return -1;
	json_array_foreach (*out, i, u)
		if (add_builds(st, u, err) < 0 || q_store_update_advisory_fill(st, u, err) < 0) {
			json_decref(*out);
			*out = NULL;
			return -1;
		}
	return 0;
}

int q_store_update_set_state(struct q_store *st, int64_t id, const char *from, const char *to,
			     struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "UPDATE updates SET state = ?1, updated = ?3, "
		    "testing_since = CASE WHEN ?1 = 'testing' THEN ?3 ELSE testing_since END, "
		    "released = CASE WHEN ?1 = 'release' THEN ?3 ELSE released END "
		    "WHERE id = ?2 AND state = ?4",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, to);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_int64(s, 3, sq_now_s());
	sq_bind_text(s, 4, from);
	if (sq_run(st, s, "changing an update's state", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return q_error_set(err, Q_ECONFLICT,
				   "update %" PRId64 " is no longer '%s' (changed meanwhile)", id,
				   from);
	return 0;
}

int q_store_update_approve(struct q_store *st, int64_t id, const char *by, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "UPDATE updates SET approved_by = ?, updated = ? WHERE id = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, by);
	sqlite3_bind_int64(s, 2, sq_now_s());
	sqlite3_bind_int64(s, 3, id);
	if (sq_run(st, s, "approving an update", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return q_error_set(err, Q_ENOTFOUND, "update %" PRId64 " not found", id);
	return 0;
}

int q_store_update_of_build(struct q_store *st, int64_t build_id, int64_t *update_id,
			    struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "SELECT update_id FROM update_builds WHERE build_id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, build_id);
	*update_id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

int q_store_repo_remove_package(struct q_store *st, int64_t repo_id, int64_t package_id,
				struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "DELETE FROM repo_packages WHERE repo_id = ? AND package_id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sqlite3_bind_int64(s, 2, package_id);
	return sq_run(st, s, "removing a package from a repo", err);
}

int q_store_repo_has_package(struct q_store *st, int64_t repo_id, int64_t package_id, bool *has,
			     struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "SELECT 1 FROM repo_packages WHERE repo_id = ? AND package_id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sqlite3_bind_int64(s, 2, package_id);
	*has = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return 0;
}

int q_store_signed_get(struct q_store *st, int64_t package_id, const char *fpr, int64_t *signed_id,
		       struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st, "SELECT signed_id FROM signed_packages WHERE package_id = ? AND fpr = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, package_id);
	sq_bind_text(s, 2, fpr);
	*signed_id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

int q_store_signed_put(struct q_store *st, int64_t package_id, const char *fpr, int64_t signed_id,
		       struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT OR REPLACE INTO signed_packages (package_id, fpr, signed_id) "
		    "VALUES (?, ?, ?)",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, package_id);
	sq_bind_text(s, 2, fpr);
	sqlite3_bind_int64(s, 3, signed_id);
	return sq_run(st, s, "recording a signed package", err);
}

int q_store_package_by_sha256(struct q_store *st, const char *sha256, int64_t *id,
			      struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT id FROM packages WHERE sha256 = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sha256);
	*id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

int q_store_update_checks(struct q_store *st, int64_t update_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT c.build_id AS build_id, c.name AS name, c.state AS state, "
		    "c.summary AS summary FROM checks c JOIN update_builds x ON "
		    "x.build_id = c.build_id WHERE x.update_id = ? ORDER BY c.id",
		    err);
	json_t *rows = NULL, *r;
	size_t i;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, update_id);
	if (sq_rows_json(st, s, &rows, "reading an update's checks", err) < 0)
		return -1;
	*out = json_object();
	json_array_foreach (rows, i, r) {
		char key[32];
		json_t *list;

		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(r, "build_id")));
		list = json_object_get(*out, key);
		if (!list) {
			list = json_array();
			json_object_set_new(*out, key, list);
		}
		json_object_del(r, "build_id");
		json_array_append(list, r);
	}
	json_decref(rows);
	return 0;
}

int q_store_repo_remove_signed(struct q_store *st, int64_t repo_id, int64_t package_id,
			       struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "DELETE FROM repo_packages WHERE repo_id = ? AND package_id IN "
				  "(SELECT signed_id FROM signed_packages WHERE package_id = ?)",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sqlite3_bind_int64(s, 2, package_id);
	return sq_run(st, s, "removing signed copies from a repo", err);
}

int q_store_package_sha256(struct q_store *st, int64_t id, char out[65], struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT sha256 FROM packages WHERE id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return q_error_set(err, Q_ENOTFOUND, "package %" PRId64 " not found", id);
	}
	snprintf(out, 65, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return 0;
}
