/*
 * store_web.c: the web UI's sign-in tables (migration 14): browser
 * sessions, sign-ins in progress, local passwords and the link of a user
 * to the OpenID Connect provider's account. See store.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

static void copy_col(sqlite3_stmt *s, int i, char *out, size_t size)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	snprintf(out, size, "%s", v ? (const char *)v : "");
}

int q_store_web_session_create(struct q_store *st, const char *hash, int64_t user_id,
			       const char *csrf, int64_t expires, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO web_sessions (hash, user_id, csrf, created, expires, "
		    "last_seen) VALUES (?, ?, ?, ?, ?, ?)",
		    err);
	int64_t now = sq_now_s();

	if (!s)
		return -1;
	sq_bind_text(s, 1, hash);
	sqlite3_bind_int64(s, 2, user_id);
	sq_bind_text(s, 3, csrf);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, expires);
	sqlite3_bind_int64(s, 6, now);
	return sq_run(st, s, "creating a session", err);
}

int q_store_web_session_get(struct q_store *st, const char *hash, int64_t now,
			    struct q_web_session *out, struct q_error *err)
{
	static const char sql[] =
	    "SELECT w.user_id, u.name, u.role, w.csrf, w.expires, w.last_seen FROM web_sessions w "
	    "JOIN users u ON u.id = w.user_id WHERE w.hash = ? AND w.expires > ?";
	static const char touch[] = "UPDATE web_sessions SET last_seen = ? WHERE hash = ?";
	sqlite3_stmt *s = sq_prep_cached(st, sql, err);
	int64_t seen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	sq_bind_text(s, 1, hash);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return q_error_set(err, Q_ENOTFOUND, "no such session");
		return sq_db_error(st, err, "reading a session");
	}
	out->user_id = sqlite3_column_int64(s, 0);
	copy_col(s, 1, out->name, sizeof(out->name));
	copy_col(s, 2, out->role, sizeof(out->role));
	copy_col(s, 3, out->csrf, sizeof(out->csrf));
	out->expires = sqlite3_column_int64(s, 4);
	seen = sqlite3_column_int64(s, 5);
	sqlite3_reset(s);
	if (now - seen < 60)
		return 0;
	if (!(s = sq_prep_cached(st, touch, err)))
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sq_bind_text(s, 2, hash);
	return sq_run_cached(st, s, "updating a session", err);
}

int q_store_web_session_delete(struct q_store *st, const char *hash, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "DELETE FROM web_sessions WHERE hash = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, hash);
	return sq_run(st, s, "deleting a session", err);
}

int q_store_web_purge(struct q_store *st, int64_t now, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "DELETE FROM web_sessions WHERE expires <= ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	if (sq_run(st, s, "removing expired sessions", err) < 0)
		return -1;
	if (!(s = sq_prep(st, "DELETE FROM web_logins WHERE expires <= ?", err)))
		return -1;
	sqlite3_bind_int64(s, 1, now);
	return sq_run(st, s, "removing expired sign-ins", err);
}

int q_store_web_login_create(struct q_store *st, const char *hash, const struct q_web_login *l,
			     int64_t expires, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "INSERT INTO web_logins (hash, csrf, state, nonce, verifier, "
				  "return_to, expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
				  err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, hash);
	sq_bind_text(s, 2, l->csrf);
	sq_bind_text(s, 3, l->state);
	sq_bind_text(s, 4, l->nonce);
	sq_bind_text(s, 5, l->verifier);
	sq_bind_text(s, 6, l->return_to);
	sqlite3_bind_int64(s, 7, expires);
	return sq_run(st, s, "recording a sign-in", err);
}

int q_store_web_login_take(struct q_store *st, const char *hash, int64_t now,
			   struct q_web_login *out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "DELETE FROM web_logins WHERE hash = ? RETURNING csrf, state, "
				  "nonce, verifier, return_to, expires",
				  err);
	int rc;
	int64_t expires;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	sq_bind_text(s, 1, hash);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return q_error_set(err, Q_ENOTFOUND, "no such sign-in");
		return sq_db_error(st, err, "reading a sign-in");
	}
	copy_col(s, 0, out->csrf, sizeof(out->csrf));
	copy_col(s, 1, out->state, sizeof(out->state));
	copy_col(s, 2, out->nonce, sizeof(out->nonce));
	copy_col(s, 3, out->verifier, sizeof(out->verifier));
	copy_col(s, 4, out->return_to, sizeof(out->return_to));
	expires = sqlite3_column_int64(s, 5);
	/* RETURNING: the delete is done once every row was stepped */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_db_error(st, err, "deleting a sign-in");
	if (expires <= now)
		return q_error_set(err, Q_ENOTFOUND, "the sign-in expired");
	return 0;
}

int q_store_user_password_get(struct q_store *st, const char *name, int64_t *id, char **hash_out,
			      struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT id, password FROM users WHERE name = ?", err);
	const unsigned char *v;
	int rc;

	*hash_out = NULL;
	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return q_error_set(err, Q_ENOTFOUND, "user '%.80s' not found", name);
		return sq_db_error(st, err, "reading a user");
	}
	*id = sqlite3_column_int64(s, 0);
	v = sqlite3_column_text(s, 1);
	if (v && !(*hash_out = strdup((const char *)v))) {
		sqlite3_finalize(s);
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	}
	sqlite3_finalize(s);
	return 0;
}

int q_store_user_password_set(struct q_store *st, const char *name, const char *encoded,
			      struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "UPDATE users SET password = ? WHERE name = ?", err);

	if (!s)
		return -1;
	if (encoded)
		sq_bind_text(s, 1, encoded);
	else
		sqlite3_bind_null(s, 1);
	sq_bind_text(s, 2, name);
	if (sq_run(st, s, "setting a password", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return q_error_set(err, Q_ENOTFOUND, "user '%.80s' not found", name);
	/* a new password ends the sessions the old one opened */
	if (!(s = sq_prep(st,
			  "DELETE FROM web_sessions WHERE user_id = (SELECT id FROM users WHERE "
			  "name = ?)",
			  err)))
		return -1;
	sq_bind_text(s, 1, name);
	return sq_run(st, s, "ending sessions", err);
}

int q_store_user_by_subject(struct q_store *st, const char *subject, int64_t *id, char name[80],
			    char role[16], struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "SELECT id, name, role FROM users WHERE oidc_subject = ?", err);
	int rc;

	if (!s)
		return -1;
	sq_bind_text(s, 1, subject);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return q_error_set(err, Q_ENOTFOUND, "no user is linked to this account");
		return sq_db_error(st, err, "reading a user");
	}
	*id = sqlite3_column_int64(s, 0);
	copy_col(s, 1, name, 80);
	copy_col(s, 2, role, 16);
	sqlite3_finalize(s);
	return 0;
}

int q_store_user_set_subject(struct q_store *st, int64_t id, const char *subject,
			     struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st, "UPDATE users SET oidc_subject = ? WHERE id = ? AND oidc_subject IS NULL", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, subject);
	sqlite3_bind_int64(s, 2, id);
	if (sq_run(st, s, "linking a user", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return q_error_set(err, Q_ECONFLICT, "the user is linked to another account");
	return 0;
}
