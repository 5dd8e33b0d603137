/*
 * store_mirror.c: the SQLite driver for the mirror registry (store.h,
 * "mirrors"): one row per mirror with its definition as JSON text, its
 * state (pending, active, disabled), the reason it was disabled and its
 * count of failed checks in a row.
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

#define MIRROR_COLUMNS "name, definition, state, reason, failures, created, updated, applied_by "

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
		    "state = excluded.state, reason = '', failures = 0, "
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
	sqlite3_stmt *s = sq_prep(st,
				  "UPDATE mirrors SET state = ?, reason = ?, updated = ?, "
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
	sqlite3_stmt *s = sq_prep(st, "DELETE FROM mirrors WHERE name = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	return run_one(st, s, name, "removing a mirror", err);
}
