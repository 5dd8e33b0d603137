/*
 * store_internal.h: what the SQLite driver's files share (store_sqlite.c,
 * store_build.c). Not for callers of the store: they use store.h.
 */
#ifndef Q_STORE_INTERNAL_H
#define Q_STORE_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

struct q_error;

#define SQ_CACHED_MAX 32

struct q_store {
	sqlite3 *db;     /* one connection, used by one thread at a time */
	char path[1024]; /* for messages */
	/* Statements prepared once (sq_prep_cached), keyed by their SQL's address. */
	sqlite3_stmt *cached[SQ_CACHED_MAX];
	const char *cached_sql[SQ_CACHED_MAX];
};

int sq_db_error(struct q_store *st, struct q_error *err, const char *what);
sqlite3_stmt *sq_prep(struct q_store *st, const char *sql, struct q_error *err);
int64_t sq_now_s(void);
void sq_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Execute a statement that returns no rows; finalizes it. */
int sq_run(struct q_store *st, sqlite3_stmt *s, const char *what, struct q_error *err);
/* For statements run many times in a row (a crawl records thousands of
 * rows): prepared once per connection, keyed by the address of sql (a
 * string literal), returned reset with no bindings. Never finalize it; run
 * it with sq_run_cached (step, then reset) or step and sqlite3_reset. */
sqlite3_stmt *sq_prep_cached(struct q_store *st, const char *sql, struct q_error *err);
int sq_run_cached(struct q_store *st, sqlite3_stmt *s, const char *what, struct q_error *err);
json_t *sq_row_json(sqlite3_stmt *s);
/* All rows as an array; finalizes. */
int sq_rows_json(struct q_store *st, sqlite3_stmt *s, json_t **out, const char *what,
		 struct q_error *err);
/* The first row, Q_ENOTFOUND with notfound_msg otherwise; finalizes. */
int sq_row_one(struct q_store *st, sqlite3_stmt *s, json_t **out, const char *notfound_msg,
	       struct q_error *err);
const char *sq_jstr(json_t *o, const char *k);
/* A JSON array of strings as "a,b,c" (malloc'd). */
char *sq_join_arches(json_t *arr);

#endif
