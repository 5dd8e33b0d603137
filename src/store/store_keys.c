/*
 * store_keys.c: the SQLite driver for a SIG's key history (store.h, "SIG
 * keys"): table sig_keys (migration 5), one row per key a SIG has had.
 * sigs.key_fpr is the current key; every other row has its retired time.
 * A rotation changes both in the caller's transaction.
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

int q_store_sig_keys(struct q_store *st, const char *sig, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s;
	json_t *a = NULL, *k;
	size_t i;

	s = sq_prep(st,
		    "SELECT k.fpr AS fpr, k.created AS created, NULLIF(k.retired, 0) AS retired, "
		    "k.fpr = g.key_fpr AS current, "
		    "'/pub/sig/keys/RPM-GPG-KEY-quarry-' || g.name || '-' || substr(k.fpr, -16) "
		    "AS url "
		    "FROM sig_keys k JOIN sigs g ON g.id = k.sig_id WHERE g.name = ? "
		    "ORDER BY k.created, k.rowid",
		    err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	if (sq_rows_json(st, s, &a, "listing a SIG's keys", err) < 0)
		return -1;
	json_array_foreach (a, i, k)
		json_object_set_new(
		    k, "current", json_boolean(json_integer_value(json_object_get(k, "current"))));
	*out = a;
	return 0;
}

int q_store_sig_key_rotate(struct q_store *st, const char *sig, const char *new_fpr,
			   struct q_error *err)
{
	sqlite3_stmt *s;
	int64_t sig_id, created, now = sq_now_s();
	char old[80];
	int rc;

	s = sq_prep(st, "SELECT id, key_fpr, created FROM sigs WHERE name = ?", err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return q_error_set(err, Q_ENOTFOUND, "sig '%.64s' not found", sig);
		return sq_db_error(st, err, "reading a SIG");
	}
	sig_id = sqlite3_column_int64(s, 0);
	snprintf(old, sizeof(old), "%s", (const char *)sqlite3_column_text(s, 1));
	created = sqlite3_column_int64(s, 2);
	sqlite3_finalize(s);
	if (!strcmp(old, new_fpr))
		return q_error_set(err, Q_ECONFLICT, "key '%s' is already sig '%.64s''s key",
				   new_fpr, sig);

	/* A SIG whose current key has no history row (never expected): record it. */
	if (old[0]) {
		s = sq_prep(
		    st, "INSERT OR IGNORE INTO sig_keys (sig_id, fpr, created) VALUES (?, ?, ?)",
		    err);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, sig_id);
		sq_bind_text(s, 2, old);
		sqlite3_bind_int64(s, 3, created);
		if (sq_run(st, s, "recording a SIG key", err) < 0)
			return -1;
	}
	s = sq_prep(st, "UPDATE sig_keys SET retired = ? WHERE sig_id = ? AND retired = 0", err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, sig_id);
	if (sq_run(st, s, "retiring a SIG key", err) < 0)
		return -1;
	s = sq_prep(st, "INSERT INTO sig_keys (sig_id, fpr, created) VALUES (?, ?, ?)", err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sig_id);
	sq_bind_text(s, 2, new_fpr);
	sqlite3_bind_int64(s, 3, now);
	if (sq_run(st, s, "recording a SIG key", err) < 0) {
		if (err && err->code == Q_ECONFLICT)
			q_error_set(err, Q_ECONFLICT, "sig '%.64s' already had key '%s'", sig,
				    new_fpr);
		return -1;
	}
	s = sq_prep(st, "UPDATE sigs SET key_fpr = ?, updated = ? WHERE id = ?", err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, new_fpr);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, sig_id);
	return sq_run(st, s, "changing a SIG's key", err);
}
