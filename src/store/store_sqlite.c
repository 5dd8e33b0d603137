/*
 * store_sqlite.c: the SQLite driver of store.h.
 *
 * WAL mode, foreign keys on, a busy timeout so that the hub's threads (one
 * connection each) wait for each other instead of failing. Migrations are
 * numbered and applied in one transaction each. Every statement is
 * prepared with bound parameters; none is built by string formatting.
 * Reads map rows to JSON objects by column name (row_json), so a column
 * aliased in SQL becomes the API's field name.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "publish/rpm.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <glib.h>
#include <sqlite3.h>
#include <time.h>

static const char *migrations[] = {
    /* 1: the ground schema */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('admin','releng','user')),"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE sigs ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  short_name TEXT NOT NULL UNIQUE,"
    "  title TEXT NOT NULL,"
    "  purpose TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL CHECK (status IN ('proposed','active','community-interest','retired')),"
    "  wiki TEXT NOT NULL DEFAULT '',"
    "  chat TEXT NOT NULL DEFAULT '',"
    "  mailing_list TEXT NOT NULL DEFAULT '',"
    "  key_fpr TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE TABLE sig_members ("
    "  sig_id INTEGER NOT NULL REFERENCES sigs(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  role TEXT NOT NULL CHECK (role IN ('lead','member')),"
    "  PRIMARY KEY (sig_id, user_id));"
    "CREATE TABLE projects ("
    "  id INTEGER PRIMARY KEY,"
    "  sig_id INTEGER NOT NULL REFERENCES sigs(id),"
    "  name TEXT NOT NULL,"
    "  major INTEGER NOT NULL,"
    "  variant TEXT NOT NULL,"
    "  arches TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (sig_id, name));"
    "CREATE TABLE repos ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id),"
    "  name TEXT NOT NULL,"
    "  channel TEXT NOT NULL CHECK (channel IN ('testing','release')),"
    "  arches TEXT NOT NULL,"
    "  dirty INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (project_id, name));"
    "CREATE TABLE packages ("
    "  id INTEGER PRIMARY KEY,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL, epoch TEXT NOT NULL, version TEXT NOT NULL,"
    "  release TEXT NOT NULL, arch TEXT NOT NULL,"
    "  nevra TEXT NOT NULL, filename TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  primary_xml TEXT NOT NULL, filelists_xml TEXT NOT NULL, other_xml TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE repo_packages ("
    "  repo_id INTEGER NOT NULL REFERENCES repos(id),"
    "  package_id INTEGER NOT NULL REFERENCES packages(id),"
    "  added INTEGER NOT NULL,"
    "  PRIMARY KEY (repo_id, package_id));"
    "CREATE TABLE uploads ("
    "  id TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  filename TEXT NOT NULL, path TEXT NOT NULL,"
    "  size INTEGER NOT NULL, sha256 TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE publishes ("
    "  id INTEGER PRIMARY KEY,"
    "  repo_id INTEGER NOT NULL REFERENCES repos(id),"
    "  arch TEXT NOT NULL,"
    "  time INTEGER NOT NULL,"
    "  set_digest TEXT NOT NULL,"
    "  repomd_size INTEGER NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  md5 TEXT NOT NULL, sha1 TEXT NOT NULL, sha256 TEXT NOT NULL, sha512 TEXT NOT NULL,"
    "  n_packages INTEGER NOT NULL);"
    "CREATE INDEX publishes_repo_arch ON publishes(repo_id, arch, id);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  time INTEGER NOT NULL,"
    "  user TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '');",
    /* 2: builds */
    "ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'user';"
    "ALTER TABLE tokens ADD COLUMN worker TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE lookaside ("
    "  sha256 TEXT PRIMARY KEY,"
    "  sha1 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  filename TEXT NOT NULL,"
    "  sig_id INTEGER REFERENCES sigs(id),"
    "  user TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX lookaside_sha1 ON lookaside(sha1);"
    "CREATE TABLE builds ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id),"
    "  state TEXT NOT NULL CHECK (state IN ('building','complete','failed','canceled')),"
    "  source TEXT NOT NULL,"
    "  git_url TEXT NOT NULL DEFAULT '',"
    "  git_ref TEXT NOT NULL DEFAULT '',"
    "  git_commit TEXT NOT NULL DEFAULT '',"
    "  spec_sha256 TEXT NOT NULL DEFAULT '',"
    "  nevr TEXT NOT NULL DEFAULT '',"
    "  name TEXT NOT NULL DEFAULT '',"
    "  arches TEXT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  bundle_sha256 TEXT NOT NULL DEFAULT '',"
    "  srpm_sha256 TEXT NOT NULL DEFAULT '',"
    "  lookaside TEXT NOT NULL DEFAULT '[]',"
    "  message TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  finished INTEGER);"
    "CREATE TABLE tasks ("
    "  id INTEGER PRIMARY KEY,"
    "  build_id INTEGER NOT NULL REFERENCES builds(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('srpm','rpm')),"
    "  arch TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('free','open','closed','failed','canceled')),"
    "  attempt INTEGER NOT NULL DEFAULT 0,"
    "  worker TEXT NOT NULL DEFAULT '',"
    "  lease_until INTEGER NOT NULL DEFAULT 0,"
    "  started INTEGER,"
    "  finished INTEGER,"
    "  message TEXT NOT NULL DEFAULT '',"
    "  backend TEXT NOT NULL DEFAULT '',"
    "  buildroot TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX tasks_queue ON tasks(state, arch, id);"
    "CREATE TABLE artifacts ("
    "  id INTEGER PRIMARY KEY,"
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  build_id INTEGER NOT NULL REFERENCES builds(id),"
    "  attempt INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  arch TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  UNIQUE (task_id, attempt, name));"
    "CREATE TABLE workers ("
    "  name TEXT PRIMARY KEY,"
    "  arches TEXT NOT NULL,"
    "  slots INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL);",
    /* 3: the mirror registry */
    "CREATE TABLE mirrors ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  definition TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending','active','disabled')),"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  failures INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  applied_by TEXT NOT NULL);",
    /* 4: the crawler: reachability, checks per repo, crawl runs */
    "ALTER TABLE mirrors ADD COLUMN auto_disabled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE mirrors ADD COLUMN ipv4 INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE mirrors ADD COLUMN ipv6 INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE mirrors ADD COLUMN last_crawl INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE mirror_checks ("
    "  mirror TEXT NOT NULL,"
    "  repo TEXT NOT NULL,"
    "  arch TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL DEFAULT '',"
    "  http_status INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '',"
    "  seconds REAL NOT NULL DEFAULT 0,"
    "  last_check INTEGER NOT NULL,"
    "  last_success INTEGER NOT NULL DEFAULT 0,"
    "  newest_since INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (mirror, repo, arch));"
    "CREATE TABLE crawls ("
    "  id INTEGER PRIMARY KEY,"
    "  mirror TEXT NOT NULL DEFAULT '',"
    "  requested_by TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('queued','running','done','failed')),"
    "  created INTEGER NOT NULL,"
    "  started INTEGER NOT NULL DEFAULT 0,"
    "  finished INTEGER NOT NULL DEFAULT 0,"
    "  summary TEXT NOT NULL DEFAULT '{}');",
    /* 5: checks, updates, gating policies, SIG key history, signed copies */
    "CREATE TABLE checks ("
    "  id INTEGER PRIMARY KEY,"
    "  build_id INTEGER NOT NULL REFERENCES builds(id),"
    "  name TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('queued','running','pass','fail','error')),"
    "  summary TEXT NOT NULL DEFAULT '',"
    "  output TEXT NOT NULL DEFAULT '',"
    "  run INTEGER NOT NULL DEFAULT 1,"
    "  created INTEGER NOT NULL,"
    "  started INTEGER NOT NULL DEFAULT 0,"
    "  finished INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (build_id, name));"
    "CREATE INDEX checks_queue ON checks(state, id);"
    "CREATE TABLE updates ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id),"
    "  release_repo_id INTEGER NOT NULL REFERENCES repos(id),"
    "  testing_repo_id INTEGER NOT NULL REFERENCES repos(id),"
    "  state TEXT NOT NULL CHECK (state IN ('candidate','testing','release','unpushed')),"
    "  notes TEXT NOT NULL DEFAULT '',"
    "  created_by TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  testing_since INTEGER NOT NULL DEFAULT 0,"
    "  released INTEGER NOT NULL DEFAULT 0,"
    "  approved_by TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE update_builds ("
    "  update_id INTEGER NOT NULL REFERENCES updates(id),"
    "  build_id INTEGER NOT NULL UNIQUE REFERENCES builds(id),"
    "  PRIMARY KEY (update_id, build_id));"
    "CREATE TABLE policies ("
    "  project_id INTEGER PRIMARY KEY REFERENCES projects(id),"
    "  required_checks TEXT NOT NULL DEFAULT 'disttag,rpmlint,closure,installable,conflicts',"
    "  testing_days INTEGER NOT NULL DEFAULT 0,"
    "  lead_approval INTEGER NOT NULL DEFAULT 0,"
    "  auto_testing INTEGER NOT NULL DEFAULT 1,"
    "  sign_testing INTEGER NOT NULL DEFAULT 0,"
    "  rpmlint_config TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE sig_keys ("
    "  sig_id INTEGER NOT NULL REFERENCES sigs(id),"
    "  fpr TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  retired INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (sig_id, fpr));"
    "INSERT INTO sig_keys (sig_id, fpr, created) SELECT id, key_fpr, created FROM sigs "
    "  WHERE key_fpr != '';"
    "CREATE TABLE signed_packages ("
    "  package_id INTEGER NOT NULL REFERENCES packages(id),"
    "  fpr TEXT NOT NULL,"
    "  signed_id INTEGER NOT NULL REFERENCES packages(id),"
    "  PRIMARY KEY (package_id, fpr));",
    /* 6: candidate repos, where SIG members tag and upload freely (testing and
     * release change only through updates); policies say whether RPMs that
     * Quarry did not build (uploads) may enter testing or release. SQLite
     * cannot change a CHECK in place: the repos table is rebuilt, ids kept
     * (q_store_migrate turns foreign keys off around the migrations). */
    "CREATE TABLE repos_new ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id),"
    "  name TEXT NOT NULL,"
    "  channel TEXT NOT NULL CHECK (channel IN ('candidate','testing','release')),"
    "  arches TEXT NOT NULL,"
    "  dirty INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (project_id, name));"
    "INSERT INTO repos_new (id, project_id, name, channel, arches, dirty, created) "
    "  SELECT id, project_id, name, channel, arches, dirty, created FROM repos;"
    "DROP TABLE repos;"
    "ALTER TABLE repos_new RENAME TO repos;"
    "ALTER TABLE policies ADD COLUMN uploads_testing INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE policies ADD COLUMN uploads_release INTEGER NOT NULL DEFAULT 0;",
    /* 7: build tags (what a project's buildroots are made of, per arch or '*'),
     * and the repos a task's buildroot came from. repos, packages and macros
     * are JSON text (ordered list, list, object), validated by the API. */
    "CREATE TABLE project_buildroots ("
    "  project_id INTEGER NOT NULL REFERENCES projects(id),"
    "  arch TEXT NOT NULL,"
    "  releasever TEXT NOT NULL,"
    "  repos TEXT NOT NULL DEFAULT '[]',"
    "  packages TEXT NOT NULL DEFAULT '[]',"
    "  macros TEXT NOT NULL DEFAULT '{}',"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY (project_id, arch));"
    "ALTER TABLE tasks ADD COLUMN buildroot_repos TEXT NOT NULL DEFAULT '[]';",
    /* 8: scratch builds (never tagged; their outputs expire), chain builds
     * (groups built in order, each tagged into the chain's repo before the
     * next starts) and the index behind "one NEVR, one build". */
    "CREATE TABLE chains ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id),"
    "  repo_id INTEGER NOT NULL REFERENCES repos(id),"
    "  state TEXT NOT NULL CHECK (state IN ('building','complete','failed','canceled')),"
    "  groups INTEGER NOT NULL,"
    "  current_group INTEGER NOT NULL DEFAULT 1,"
    "  owner TEXT NOT NULL,"
    "  message TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  finished INTEGER);"
    "ALTER TABLE builds ADD COLUMN scratch INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE builds ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE builds ADD COLUMN chain_id INTEGER REFERENCES chains(id);"
    "ALTER TABLE builds ADD COLUMN chain_group INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX builds_nevr ON builds(project_id, nevr);"
    "CREATE INDEX builds_chain ON builds(chain_id, chain_group);",
    /* 9: the update lifecycle without dead ends: states obsolete (a newer
     * update of the same package entered testing first) and revoked (a
     * released update taken back by a release engineer, with a reason);
     * comments with karma; the policy's stable and unstable karma. The
     * updates table is rebuilt for its CHECK, ids kept (foreign keys are off
     * around the migrations). */
    "CREATE TABLE updates_new ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id),"
    "  release_repo_id INTEGER NOT NULL REFERENCES repos(id),"
    "  testing_repo_id INTEGER NOT NULL REFERENCES repos(id),"
    "  state TEXT NOT NULL CHECK (state IN ('candidate','testing','release','unpushed',"
    "    'obsolete','revoked')),"
    "  notes TEXT NOT NULL DEFAULT '',"
    "  created_by TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  testing_since INTEGER NOT NULL DEFAULT 0,"
    "  released INTEGER NOT NULL DEFAULT 0,"
    "  approved_by TEXT NOT NULL DEFAULT '',"
    "  obsoleted_by INTEGER REFERENCES updates(id),"
    "  revoke_reason TEXT NOT NULL DEFAULT '',"
    "  revoked INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO updates_new (id, project_id, release_repo_id, testing_repo_id, state, notes, "
    "  created_by, created, updated, testing_since, released, approved_by) "
    "  SELECT id, project_id, release_repo_id, testing_repo_id, state, notes, created_by, "
    "  created, updated, testing_since, released, approved_by FROM updates;"
    "DROP TABLE updates;"
    "ALTER TABLE updates_new RENAME TO updates;"
    "CREATE TABLE update_comments ("
    "  id INTEGER PRIMARY KEY,"
    "  update_id INTEGER NOT NULL REFERENCES updates(id),"
    "  user TEXT NOT NULL,"
    "  karma INTEGER NOT NULL CHECK (karma IN (-1, 0, 1)),"
    "  text TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX update_comments_update ON update_comments(update_id, user);"
    "ALTER TABLE policies ADD COLUMN stable_karma INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE policies ADD COLUMN unstable_karma INTEGER NOT NULL DEFAULT 0;",
    /* 10: advisories: an update's type, severity (security only), title and
     * references (JSON list of {"type","id","url","title"}, validated by the
     * API), and its advisory id, assigned when it first enters testing from
     * a counter per SIG, EL major and year that never goes back. Columns
     * only (no rebuild of updates), so this does not depend on other
     * changes of that table. */
    "ALTER TABLE updates ADD COLUMN type TEXT NOT NULL DEFAULT 'bugfix' "
    "  CHECK (type IN ('bugfix','security','enhancement','newpackage'));"
    "ALTER TABLE updates ADD COLUMN severity TEXT NOT NULL DEFAULT '' "
    "  CHECK (severity IN ('','Low','Moderate','Important','Critical'));"
    "ALTER TABLE updates ADD COLUMN title TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE updates ADD COLUMN refs TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE updates ADD COLUMN advisory TEXT;"
    "ALTER TABLE updates ADD COLUMN advisory_issued INTEGER NOT NULL DEFAULT 0;"
    "CREATE UNIQUE INDEX updates_advisory ON updates(advisory);"
    "CREATE TABLE advisory_counters ("
    "  sig_id INTEGER NOT NULL REFERENCES sigs(id),"
    "  major INTEGER NOT NULL,"
    "  year INTEGER NOT NULL,"
    "  last INTEGER NOT NULL,"
    "  PRIMARY KEY (sig_id, major, year));",
    /* 11: tokens that expire (seconds since the epoch; 0: never). Their scope
     * (the column of migration 2) may now also be 'read', 'build' or
     * 'release' besides 'user' and 'worker'. */
    "ALTER TABLE tokens ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;",
    /* 12: indexes behind the list filters and the package search (builds by
     * owner or source package name, newest first; packages by name, also
     * for a prefix glob such as "python3-*"). Indexes only. */
    "CREATE INDEX builds_owner ON builds(owner);"
    "CREATE INDEX builds_name ON builds(name);"
    "CREATE INDEX packages_name ON packages(name);",
    /* 13: propagation: when the crawl first saw a mirror serve a repomd.xml
     * (of a publish still in the history), per mirror, repo and arch; the
     * publish an update first reached and these give how many mirrors hold
     * the update and since when. A table of its own, no other change. */
    "CREATE TABLE mirror_served ("
    "  mirror TEXT NOT NULL,"
    "  repo TEXT NOT NULL,"
    "  arch TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  first_seen INTEGER NOT NULL,"
    "  PRIMARY KEY (mirror, repo, arch, sha256));",
    /* 14: signing in to the web UI. A browser session is a row keyed by the
     * SHA-256 of its random cookie (the cookie itself is never stored), with
     * the CSRF token its forms carry. A sign-in in progress (the login form,
     * or an OpenID Connect round trip: state, nonce, PKCE verifier, the page
     * to go back to) is a web_logins row keyed the same way, used once.
     * users.password: an Argon2id encoded hash, NULL for no local password;
     * users.oidc_subject: ISSUER + " " + sub of the provider's account. */
    "CREATE TABLE web_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL);"
    "CREATE INDEX web_sessions_expires ON web_sessions(expires);"
    "CREATE TABLE web_logins ("
    "  id INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  csrf TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT '',"
    "  nonce TEXT NOT NULL DEFAULT '',"
    "  verifier TEXT NOT NULL DEFAULT '',"
    "  return_to TEXT NOT NULL DEFAULT '/',"
    "  expires INTEGER NOT NULL);"
    "ALTER TABLE users ADD COLUMN password TEXT;"
    "ALTER TABLE users ADD COLUMN oidc_subject TEXT;"
    "CREATE UNIQUE INDEX users_oidc_subject ON users(oidc_subject);",
};

int sq_db_error(struct q_store *st, struct q_error *err, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);
	enum q_code code = Q_EINTERNAL;

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		code = Q_ECONFLICT;
	else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		code = Q_ECONFLICT;
	return q_error_set(err, code, "database error while %s: %s", what, sqlite3_errmsg(st->db));
}

sqlite3_stmt *sq_prep(struct q_store *st, const char *sql, struct q_error *err)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		sq_db_error(st, err, "preparing a statement");
		return NULL;
	}
	return stmt;
}

int64_t sq_now_s(void)
{
	return (int64_t)time(NULL);
}

void sq_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* Execute a statement that returns no rows; finalizes it. */
int sq_run(struct q_store *st, sqlite3_stmt *s, const char *what, struct q_error *err)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_db_error(st, err, what);
	return 0;
}

sqlite3_stmt *sq_prep_cached(struct q_store *st, const char *sql, struct q_error *err)
{
	size_t i;

	for (i = 0; i < SQ_CACHED_MAX && st->cached_sql[i]; i++)
		if (st->cached_sql[i] == sql) {
			sqlite3_reset(st->cached[i]);
			sqlite3_clear_bindings(st->cached[i]);
			return st->cached[i];
		}
	if (i == SQ_CACHED_MAX) {
		q_error_set(err, Q_EINTERNAL, "too many cached statements");
		return NULL;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->cached[i], NULL) !=
	    SQLITE_OK) {
		sq_db_error(st, err, "preparing a statement");
		st->cached[i] = NULL;
		return NULL;
	}
	st->cached_sql[i] = sql;
	return st->cached[i];
}

int sq_run_cached(struct q_store *st, sqlite3_stmt *s, const char *what, struct q_error *err)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		sq_db_error(st, err, what);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

static json_t *split_arches(const char *csv)
{
	json_t *a = json_array();
	const char *p = csv;

	while (p && *p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		json_array_append_new(a, json_stringn(p, n));
		p = c ? c + 1 : NULL;
	}
	return a;
}

/* One row to an object; columns named "arches" become arrays. */
json_t *sq_row_json(sqlite3_stmt *s)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(s);

	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(s, i);
		json_t *v;

		switch (sqlite3_column_type(s, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(s, i));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(s, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default:
			if (!strcmp(name, "arches"))
				v = split_arches((const char *)sqlite3_column_text(s, i));
			else
				v = json_stringn((const char *)sqlite3_column_text(s, i),
						 (size_t)sqlite3_column_bytes(s, i));
			if (!v) /* not UTF-8: never let a bad byte kill a response */
				v = json_string("?");
			break;
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

/* All rows as an array; finalizes. */
int sq_rows_json(struct q_store *st, sqlite3_stmt *s, json_t **out, const char *what,
		 struct q_error *err)
{
	json_t *a;
	int rc;

	if (!s)
		return -1;
	a = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(a, sq_row_json(s));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return sq_db_error(st, err, what);
	}
	*out = a;
	return 0;
}

/* The first row as an object, Q_ENOTFOUND with notfound_msg otherwise; finalizes. */
int sq_row_one(struct q_store *st, sqlite3_stmt *s, json_t **out, const char *notfound_msg,
	       struct q_error *err)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sq_row_json(s);
		sqlite3_finalize(s);
		return 0;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return q_error_set(err, Q_ENOTFOUND, "%s", notfound_msg);
	return sq_db_error(st, err, "reading");
}

struct q_store *q_store_open(const char *path, struct q_error *err)
{
	struct q_store *st = calloc(1, sizeof(*st));
	char *msg = NULL;

	if (!st) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		return NULL;
	}
	snprintf(st->path, sizeof(st->path), "%s", path);
	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		q_error_set(err, Q_EIO, "cannot open database '%s': %s", path,
			    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		q_store_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(st->db, 30000);
	if (sqlite3_exec(st->db,
			 "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
			 "PRAGMA synchronous=FULL;",
			 NULL, NULL, &msg) != SQLITE_OK) {
		q_error_set(err, Q_EIO, "cannot configure database '%s': %s", path,
			    msg ? msg : "?");
		sqlite3_free(msg);
		q_store_close(st);
		return NULL;
	}
	return st;
}

void q_store_close(struct q_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < SQ_CACHED_MAX; i++)
		sqlite3_finalize(st->cached[i]);
	sqlite3_close(st->db);
	free(st);
}

int q_store_ping(struct q_store *st)
{
	return sqlite3_exec(st->db, "SELECT 1", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int q_store_begin(struct q_store *st, struct q_error *err)
{
	/* IMMEDIATE: take the write lock now, so that a busy database makes us
	 * wait here (busy timeout) rather than fail at the first write. */
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sq_db_error(st, err, "starting a transaction");
	return 0;
}

int q_store_commit(struct q_store *st, struct q_error *err)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sq_db_error(st, err, "committing");
		q_store_rollback(st);
		return -1;
	}
	return 0;
}

void q_store_rollback(struct q_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int migrate(struct q_store *st, struct q_error *err)
{
	sqlite3_stmt *s;
	int64_t version = 0;
	char *msg = NULL;

	if (q_store_begin(st, err) < 0)
		return -1;
	if (sqlite3_exec(st->db,
			 "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	s = sq_prep(st, "SELECT COALESCE(MAX(version), 0) FROM schema_version", err);
	if (!s)
		goto fail_set;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (version > (int64_t)Q_ARRAY_LEN(migrations)) {
		q_store_rollback(st);
		return q_error_set(err, Q_EINVAL,
				   "database '%s' has schema version %" PRId64
				   ", newer than this quarry knows (%zu); upgrade quarry",
				   st->path, version, Q_ARRAY_LEN(migrations));
	}
	for (int64_t v = version; v < (int64_t)Q_ARRAY_LEN(migrations); v++) {
		if (sqlite3_exec(st->db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
			q_store_rollback(st);
			q_error_set(err, Q_EINTERNAL, "migration %" PRId64 " failed: %s", v + 1,
				    msg ? msg : "?");
			sqlite3_free(msg);
			return -1;
		}
		s = sq_prep(st, "INSERT INTO schema_version (version) VALUES (?)", err);
		if (!s)
			goto fail_set;
		sqlite3_bind_int64(s, 1, v + 1);
		if (sq_run(st, s, "recording a migration", err) < 0)
			goto fail_set;
		q_info("database '%s' migrated to schema version %" PRId64, st->path, v + 1);
	}
	s = sq_prep(st, "PRAGMA foreign_key_check", err);
	if (!s)
		goto fail_set;
	if (sqlite3_step(s) == SQLITE_ROW) {
		q_error_set(err, Q_EINTERNAL,
			    "after migrating, table '%s' row %lld refers to a missing row of '%s'",
			    (const char *)sqlite3_column_text(s, 0),
			    (long long)sqlite3_column_int64(s, 1),
			    (const char *)sqlite3_column_text(s, 2));
		sqlite3_finalize(s);
		goto fail_set;
	}
	sqlite3_finalize(s);
	return q_store_commit(st, err);
fail:
	sq_db_error(st, err, "migrating");
fail_set:
	q_store_rollback(st);
	return -1;
}

/* A migration may rebuild a table that others reference (SQLite's way to
 * change a constraint): foreign keys are off while migrating, checked before
 * the commit, and on again after it. The pragma is a no-op inside a
 * transaction, hence out here. */
int q_store_migrate(struct q_store *st, struct q_error *err)
{
	int rc;

	sqlite3_exec(st->db, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
	rc = migrate(st, err);
	sqlite3_exec(st->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	return rc;
}

/* --- users and tokens --- */

int q_store_user_create(struct q_store *st, const char *name, const char *role, int64_t *id,
			struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st, "INSERT INTO users (name, role, created) VALUES (?, ?, ?)", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	sq_bind_text(s, 2, role);
	sqlite3_bind_int64(s, 3, sq_now_s());
	if (sq_run(st, s, "creating a user", err) < 0) {
		if (err && err->code == Q_ECONFLICT)
			q_error_set(err, Q_ECONFLICT, "user '%s' already exists", name);
		return -1;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int q_store_user_get(struct q_store *st, const char *name, json_t **out, int64_t *id,
		     struct q_error *err)
{
	char msg[256];
	json_t *o = NULL;
	sqlite3_stmt *s =
	    sq_prep(st, "SELECT id, name, role, created FROM users WHERE name = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	snprintf(msg, sizeof(msg), "user '%.80s' not found", name);
	if (sq_row_one(st, s, &o, msg, err) < 0)
		return -1;
	if (id)
		*id = json_integer_value(json_object_get(o, "id"));
	json_object_del(o, "id");
	if (out)
		*out = o;
	else
		json_decref(o);
	return 0;
}

int q_store_user_list(struct q_store *st, json_t **out, struct q_error *err)
{
	return sq_rows_json(st,
			    sq_prep(st, "SELECT name, role, created FROM users ORDER BY name", err),
			    out, "listing users", err);
}

int q_store_user_count(struct q_store *st, int64_t *n, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT COUNT(*) FROM users", err);

	if (!s)
		return -1;
	*n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

int q_store_token_create(struct q_store *st, int64_t user_id, const char *hash,
			 const char *description, int64_t *id, struct q_error *err)
{
	return q_store_token_create_scoped(st, user_id, hash, description, "user", 0, id, err);
}

int q_store_token_create_scoped(struct q_store *st, int64_t user_id, const char *hash,
				const char *description, const char *scope, int64_t expires,
				int64_t *id, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO tokens (user_id, hash, description, created, scope, expires) "
		    "VALUES (?, ?, ?, ?, ?, ?)",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	sq_bind_text(s, 2, hash);
	sq_bind_text(s, 3, description);
	sqlite3_bind_int64(s, 4, sq_now_s());
	sq_bind_text(s, 5, scope);
	sqlite3_bind_int64(s, 6, expires > 0 ? expires : 0);
	if (sq_run(st, s, "creating a token", err) < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int q_store_token_lookup(struct q_store *st, const char *hash, struct q_principal *who,
			 struct q_error *err)
{
	/* Every authenticated request asks: prepared once per connection. */
	static const char sql[] =
	    "SELECT u.id, u.name, u.role, t.scope, t.worker, t.expires FROM tokens t JOIN users u "
	    "ON u.id = t.user_id WHERE t.hash = ?";
	sqlite3_stmt *s = sq_prep_cached(st, sql, err);
	int rc;

	if (!s)
		return -1;
	sq_bind_text(s, 1, hash);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return q_error_set(err, Q_EAUTH,
					   "the token is not valid; ask an admin for "
					   "a new one (quarry token create)");
		return sq_db_error(st, err, "checking a token");
	}
	who->user_id = sqlite3_column_int64(s, 0);
	snprintf(who->name, sizeof(who->name), "%s", (const char *)sqlite3_column_text(s, 1));
	snprintf(who->role, sizeof(who->role), "%s", (const char *)sqlite3_column_text(s, 2));
	snprintf(who->scope, sizeof(who->scope), "%s", (const char *)sqlite3_column_text(s, 3));
	snprintf(who->worker, sizeof(who->worker), "%s", (const char *)sqlite3_column_text(s, 4));
	who->expires = sqlite3_column_int64(s, 5);
	sqlite3_reset(s);
	return 0;
}

int q_store_token_list(struct q_store *st, int64_t user_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT t.id AS id, u.name AS user, t.description AS description, "
		    "t.created AS created, t.scope AS scope, t.expires AS expires, "
		    "t.worker AS worker FROM tokens t JOIN users u ON u.id = t.user_id "
		    "WHERE ? < 0 OR t.user_id = ? ORDER BY t.id",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, user_id);
	return sq_rows_json(st, s, out, "listing tokens", err);
}

int q_store_token_owner(struct q_store *st, int64_t token_id, int64_t *user_id, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT user_id FROM tokens WHERE id = ?", err);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, token_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*user_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return q_error_set(err, Q_ENOTFOUND, "token %" PRId64 " not found", token_id);
	return 0;
}

int q_store_token_delete(struct q_store *st, int64_t token_id, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "DELETE FROM tokens WHERE id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, token_id);
	return sq_run(st, s, "deleting a token", err);
}

/* --- SIGs --- */

const char *sq_jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

int q_store_sig_create(struct q_store *st, json_t *f, const char *key_fpr, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO sigs (name, short_name, title, purpose, status, wiki, "
		    "chat, mailing_list, key_fpr, created, updated) "
		    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sq_jstr(f, "name"));
	sq_bind_text(s, 2, sq_jstr(f, "short_name"));
	sq_bind_text(s, 3, sq_jstr(f, "title"));
	sq_bind_text(s, 4, sq_jstr(f, "purpose"));
	sq_bind_text(s, 5, sq_jstr(f, "status"));
	sq_bind_text(s, 6, sq_jstr(f, "wiki"));
	sq_bind_text(s, 7, sq_jstr(f, "chat"));
	sq_bind_text(s, 8, sq_jstr(f, "mailing_list"));
	sq_bind_text(s, 9, key_fpr);
	sqlite3_bind_int64(s, 10, sq_now_s());
	sqlite3_bind_int64(s, 11, sq_now_s());
	if (sq_run(st, s, "creating a SIG", err) < 0) {
		if (err && err->code == Q_ECONFLICT)
			q_error_set(err, Q_ECONFLICT,
				    "a SIG named '%s' or with short name '%s' already exists",
				    sq_jstr(f, "name"), sq_jstr(f, "short_name"));
		return -1;
	}
	if (!key_fpr || !*key_fpr)
		return 0;
	/* The key history (rotation): the first key. */
	s = sq_prep(
	    st, "INSERT INTO sig_keys (sig_id, fpr, created) VALUES (last_insert_rowid(), ?, ?)",
	    err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, key_fpr);
	sqlite3_bind_int64(s, 2, sq_now_s());
	return sq_run(st, s, "recording a SIG key", err);
}

#define SIG_COLUMNS                                                                                \
	"name, short_name, title, purpose, status, wiki, chat, mailing_list, "                     \
	"key_fpr AS key_fingerprint, '/api/v1/sigs/' || name || '/key' AS key_url, created, "      \
	"updated"

int q_store_sig_get(struct q_store *st, const char *name, int with_members, json_t **out,
		    struct q_error *err)
{
	char msg[256];
	json_t *o, *members;
	sqlite3_stmt *s = sq_prep(st, "SELECT " SIG_COLUMNS " FROM sigs WHERE name = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	snprintf(msg, sizeof(msg), "sig '%.64s' not found", name);
	if (sq_row_one(st, s, &o, msg, err) < 0)
		return -1;
	if (with_members) {
		s = sq_prep(st,
			    "SELECT u.name AS user, m.role AS role FROM sig_members m "
			    "JOIN users u ON u.id = m.user_id JOIN sigs g ON g.id = m.sig_id "
			    "WHERE g.name = ? ORDER BY m.role, u.name",
			    err);
		if (s)
			sq_bind_text(s, 1, name);
		if (sq_rows_json(st, s, &members, "listing members", err) < 0) {
			json_decref(o);
			return -1;
		}
		json_object_set_new(o, "members", members);
	}
	*out = o;
	return 0;
}

int q_store_sig_list(struct q_store *st, json_t **out, struct q_error *err)
{
	return sq_rows_json(st, sq_prep(st, "SELECT " SIG_COLUMNS " FROM sigs ORDER BY name", err),
			    out, "listing SIGs", err);
}

int q_store_sig_update(struct q_store *st, const char *name, json_t *fields, struct q_error *err)
{
	/* Column names come from this fixed list, never from the request. */
	static const char *updatable[] = {"title", "purpose", "status",
					  "wiki",  "chat",    "mailing_list"};
	static const char *sql[] = {
	    "UPDATE sigs SET title = ?, updated = ? WHERE name = ?",
	    "UPDATE sigs SET purpose = ?, updated = ? WHERE name = ?",
	    "UPDATE sigs SET status = ?, updated = ? WHERE name = ?",
	    "UPDATE sigs SET wiki = ?, updated = ? WHERE name = ?",
	    "UPDATE sigs SET chat = ?, updated = ? WHERE name = ?",
	    "UPDATE sigs SET mailing_list = ?, updated = ? WHERE name = ?",
	};

	for (size_t i = 0; i < Q_ARRAY_LEN(updatable); i++) {
		json_t *v = json_object_get(fields, updatable[i]);
		sqlite3_stmt *s;

		if (!v)
			continue;
		s = sq_prep(st, sql[i], err);
		if (!s)
			return -1;
		sq_bind_text(s, 1, json_string_value(v));
		sqlite3_bind_int64(s, 2, sq_now_s());
		sq_bind_text(s, 3, name);
		if (sq_run(st, s, "updating a SIG", err) < 0)
			return -1;
	}
	return 0;
}

int q_store_sig_member_role(struct q_store *st, const char *sig, int64_t user_id, char role_out[16],
			    struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT m.role FROM sig_members m JOIN sigs g ON g.id = m.sig_id "
				  "WHERE g.name = ? AND m.user_id = ?",
				  err);

	role_out[0] = '\0';
	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	sqlite3_bind_int64(s, 2, user_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(role_out, 16, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return 0;
}

int q_store_sig_member_set(struct q_store *st, const char *sig, const char *user, const char *role,
			   struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO sig_members (sig_id, user_id, role) "
		    "SELECT g.id, u.id, ? FROM sigs g, users u WHERE g.name = ? AND u.name = ? "
		    "ON CONFLICT (sig_id, user_id) DO UPDATE SET role = excluded.role",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, role);
	sq_bind_text(s, 2, sig);
	sq_bind_text(s, 3, user);
	if (sq_run(st, s, "setting a member", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return q_error_set(err, Q_ENOTFOUND, "user '%s' not found", user);
	return 0;
}

int q_store_sig_member_delete(struct q_store *st, const char *sig, const char *user,
			      struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "DELETE FROM sig_members WHERE sig_id = (SELECT id FROM sigs WHERE name = ?) "
		    "AND user_id = (SELECT id FROM users WHERE name = ?)",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	sq_bind_text(s, 2, user);
	if (sq_run(st, s, "removing a member", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return q_error_set(err, Q_ENOTFOUND, "user '%s' is not a member of sig '%s'", user,
				   sig);
	return 0;
}

int q_store_user_sigs(struct q_store *st, int64_t user_id, json_t **out, struct q_error *err)
{
	json_t *o = json_object();
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT g.name, m.role FROM sig_members m JOIN sigs g ON g.id = m.sig_id "
		    "WHERE m.user_id = ? ORDER BY g.name",
		    err);

	if (!s) {
		json_decref(o);
		return -1;
	}
	sqlite3_bind_int64(s, 1, user_id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(s, 0),
				    json_string((const char *)sqlite3_column_text(s, 1)));
	sqlite3_finalize(s);
	*out = o;
	return 0;
}

/* --- projects and repos --- */

char *sq_join_arches(json_t *arr)
{
	size_t i;
	json_t *v;
	char *out;
	size_t cap = 1;

	json_array_foreach (arr, i, v)
		cap += strlen(json_string_value(v)) + 1;
	out = calloc(1, cap);
	if (!out)
		return NULL;
	json_array_foreach (arr, i, v) {
		if (i)
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, json_string_value(v), cap - strlen(out) - 1);
	}
	return out;
}

#define PROJECT_COLUMNS                                                                            \
	"g.name AS sig, p.name AS name, p.major AS major, p.variant AS variant, "                  \
	"'r' || p.major || '-sig-' || g.name || '-' || p.variant AS branch, "                      \
	"'.el' || p.major || '.' || g.short_name AS dist_tag, p.arches AS arches, "                \
	"p.created AS created, p.id AS id"

/*
 * A project's build branch rMAJOR-sig-SIG-VARIANT (and its import tags) is
 * its own: another project of the SIG with the same major and variant is
 * refused, naming it.
 */
static int project_branch_free(struct q_store *st, const char *sig, json_t *f, struct q_error *err)
{
	int64_t major = json_integer_value(json_object_get(f, "major"));
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT p.name FROM projects p JOIN sigs g ON g.id = p.sig_id "
				  "WHERE g.name = ? AND p.major = ? AND p.variant = ? LIMIT 1",
				  err);
	int rc;

	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	sqlite3_bind_int64(s, 2, major);
	sq_bind_text(s, 3, sq_jstr(f, "variant"));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		q_error_set(err, Q_ECONFLICT,
			    "project '%s/%s' already builds from branch r%" PRId64
			    "-sig-%s-%s (EL %" PRId64 ", variant %s); a project owns its "
			    "branch: give '%s/%s' another variant",
			    sig, (const char *)sqlite3_column_text(s, 0), major, sig,
			    sq_jstr(f, "variant"), major, sq_jstr(f, "variant"), sig,
			    sq_jstr(f, "name"));
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : sq_db_error(st, err, "reading projects");
}

int q_store_project_create(struct q_store *st, const char *sig, json_t *f, struct q_error *err)
{
	char *arches;
	sqlite3_stmt *s;
	int rc;

	if (project_branch_free(st, sig, f, err) < 0)
		return -1;
	arches = sq_join_arches(json_object_get(f, "arches"));
	s = sq_prep(st,
		    "INSERT INTO projects (sig_id, name, major, variant, arches, created) "
		    "SELECT id, ?, ?, ?, ?, ? FROM sigs WHERE name = ?",
		    err);
	if (!s || !arches) {
		free(arches);
		sqlite3_finalize(s);
		return -1;
	}
	sq_bind_text(s, 1, sq_jstr(f, "name"));
	sqlite3_bind_int64(s, 2, json_integer_value(json_object_get(f, "major")));
	sq_bind_text(s, 3, sq_jstr(f, "variant"));
	sq_bind_text(s, 4, arches);
	sqlite3_bind_int64(s, 5, sq_now_s());
	sq_bind_text(s, 6, sig);
	free(arches);
	rc = sq_run(st, s, "creating a project", err);
	if (rc < 0 && err && err->code == Q_ECONFLICT)
		q_error_set(err, Q_ECONFLICT, "project '%s/%s' already exists", sig,
			    sq_jstr(f, "name"));
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		return q_error_set(err, Q_ENOTFOUND, "sig '%s' not found", sig);
	return rc;
}

int q_store_project_get(struct q_store *st, const char *sig, const char *project, json_t **out,
			struct q_error *err)
{
	char msg[256];
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT " PROJECT_COLUMNS " FROM projects p JOIN sigs g ON g.id = p.sig_id "
		    "WHERE g.name = ? AND p.name = ?",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	sq_bind_text(s, 2, project);
	snprintf(msg, sizeof(msg), "project '%.64s/%.64s' not found", sig, project);
	return sq_row_one(st, s, out, msg, err);
}

int q_store_project_list(struct q_store *st, const char *sig, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT " PROJECT_COLUMNS " FROM projects p JOIN sigs g ON g.id = p.sig_id "
		    "WHERE g.name = ? ORDER BY p.name",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	return sq_rows_json(st, s, out, "listing projects", err);
}

/* NAME without one trailing "-testing". */
static size_t claim_base_len(const char *name)
{
	static const char sfx[] = "-testing";
	size_t n = strlen(name), k = sizeof(sfx) - 1;

	return n > k && !strcmp(name + n - k, sfx) ? n - k : n;
}

int q_store_repo_claim_owner(struct q_store *st, int64_t project_id, int64_t major, const char *sig,
			     const char *name, int64_t before_id, json_t **owner,
			     struct q_error *err)
{
	struct q_error e = {0};
	char claim[200];
	sqlite3_stmt *s;
	int rc;

	*owner = NULL;
	snprintf(claim, sizeof(claim), "%s-%.*s", sig, (int)claim_base_len(name), name);
	s = sq_prep(st,
		    "SELECT g.name AS sig, p.name AS project, r.name AS name, r.id AS id "
		    "FROM repos r JOIN projects p ON p.id = r.project_id "
		    "JOIN sigs g ON g.id = p.sig_id "
		    "WHERE p.major = ? AND p.id != ? AND (? <= 0 OR (r.id < ? AND p.id != "
		    "COALESCE((SELECT project_id FROM repos WHERE id = ?), -1))) AND "
		    "g.name || '-' || CASE WHEN length(r.name) > 8 AND "
		    "substr(r.name, -8) = '-testing' THEN substr(r.name, 1, length(r.name) - 8) "
		    "ELSE r.name END = ? ORDER BY r.id LIMIT 1",
		    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, major);
	sqlite3_bind_int64(s, 2, project_id);
	sqlite3_bind_int64(s, 3, before_id);
	sqlite3_bind_int64(s, 4, before_id);
	sqlite3_bind_int64(s, 5, before_id);
	sq_bind_text(s, 6, claim);
	rc = sq_row_one(st, s, owner, "", &e);
	if (rc < 0 && e.code == Q_ENOTFOUND)
		return 0;
	if (rc < 0)
		return q_error_set(err, e.code, "%s", e.msg);
	return 0;
}

/* Q_ECONFLICT naming the repo of another project that holds what NAME would take. */
static int repo_claim_free(struct q_store *st, const char *sig, const char *project,
			   const char *name, struct q_error *err)
{
	json_t *proj = NULL, *o = NULL;
	int64_t major;
	const char *osig, *oproj, *oname;

	if (q_store_project_get(st, sig, project, &proj, err) < 0)
		return -1;
	major = json_integer_value(json_object_get(proj, "major"));
	if (q_store_repo_claim_owner(st, json_integer_value(json_object_get(proj, "id")), major,
				     sig, name, 0, &o, err) < 0) {
		json_decref(proj);
		return -1;
	}
	json_decref(proj);
	if (!o)
		return 0;
	osig = json_string_value(json_object_get(o, "sig"));
	oproj = json_string_value(json_object_get(o, "project"));
	oname = json_string_value(json_object_get(o, "name"));
	if (!strcmp(osig, sig) && !strcmp(oname, name))
		q_error_set(err, Q_ECONFLICT,
			    "repo '%s' is taken on EL %" PRId64 ": project '%s/%s' publishes "
			    "/pub/sig/%" PRId64 "/%s/ARCH/%s/ (metalink repo sig-%s-%s-%" PRId64
			    "); a repo name is unique among a SIG's projects on one major, "
			    "choose another name",
			    name, major, osig, oproj, major, sig, name, sig, name, major);
	else if (!strcmp(osig, sig))
		q_error_set(err, Q_ECONFLICT,
			    "repo '%s' would clash with repo '%s' of project '%s/%s' on EL %" PRId64
			    ": a repo R and R-testing (the testing repo of R's updates) belong to "
			    "one project; choose another name",
			    name, oname, osig, oproj, major);
	else
		q_error_set(err, Q_ECONFLICT,
			    "repo '%s' would clash with repo '%s' of project '%s/%s' on EL %" PRId64
			    ": sig-%s-%s-%" PRId64 " and sig-%s-%s-%" PRId64
			    " name the same metalink repo (or its testing repo); choose another "
			    "name",
			    name, oname, osig, oproj, major, sig, name, major, osig, oname, major);
	json_decref(o);
	return -1;
}

int q_store_repo_create(struct q_store *st, const char *sig, const char *project, json_t *f,
			struct q_error *err)
{
	char *arches;
	sqlite3_stmt *s;
	int rc;

	if (repo_claim_free(st, sig, project, sq_jstr(f, "name"), err) < 0)
		return -1;
	arches = sq_join_arches(json_object_get(f, "arches"));
	s = sq_prep(st,
		    "INSERT INTO repos (project_id, name, channel, arches, created) "
		    "SELECT p.id, ?, ?, ?, ? FROM projects p JOIN sigs g ON g.id = p.sig_id "
		    "WHERE g.name = ? AND p.name = ?",
		    err);
	if (!s || !arches) {
		free(arches);
		sqlite3_finalize(s);
		return -1;
	}
	sq_bind_text(s, 1, sq_jstr(f, "name"));
	sq_bind_text(s, 2, sq_jstr(f, "channel"));
	sq_bind_text(s, 3, arches);
	sqlite3_bind_int64(s, 4, sq_now_s());
	sq_bind_text(s, 5, sig);
	sq_bind_text(s, 6, project);
	free(arches);
	rc = sq_run(st, s, "creating a repo", err);
	if (rc < 0 && err && err->code == Q_ECONFLICT)
		q_error_set(err, Q_ECONFLICT, "repo '%s/%s/%s' already exists", sig, project,
			    sq_jstr(f, "name"));
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		return q_error_set(err, Q_ENOTFOUND, "project '%s/%s' not found", sig, project);
	return rc;
}

#define REPO_COLUMNS                                                                               \
	"r.id AS id, g.name AS sig, p.name AS project, r.name AS name, r.channel AS channel, "     \
	"r.arches AS arches, '/pub/sig/' || p.major || '/' || g.name || '/ARCH/' || r.name || "    \
	"'/' "                                                                                     \
	"AS path, p.major AS major, '.el' || p.major || '.' || g.short_name AS dist_tag, "         \
	"g.key_fpr AS key_fingerprint, r.dirty AS dirty, r.created AS created"
#define REPO_FROM                                                                                  \
	" FROM repos r JOIN projects p ON p.id = r.project_id JOIN sigs g ON g.id = p.sig_id "

int q_store_repo_get(struct q_store *st, const char *sig, const char *project, const char *repo,
		     json_t **out, struct q_error *err)
{
	char msg[300];
	sqlite3_stmt *s = sq_prep(
	    st, "SELECT " REPO_COLUMNS REPO_FROM "WHERE g.name = ? AND p.name = ? AND r.name = ?",
	    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	sq_bind_text(s, 2, project);
	sq_bind_text(s, 3, repo);
	snprintf(msg, sizeof(msg), "repo '%.64s/%.64s/%.64s' not found", sig, project, repo);
	return sq_row_one(st, s, out, msg, err);
}

int q_store_repo_list(struct q_store *st, const char *sig, const char *project, json_t **out,
		      struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st, "SELECT " REPO_COLUMNS REPO_FROM "WHERE g.name = ? AND p.name = ? ORDER BY r.name",
	    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, sig);
	sq_bind_text(s, 2, project);
	return sq_rows_json(st, s, out, "listing repos", err);
}

int q_store_repo_list_all(struct q_store *st, int only_dirty, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT " REPO_COLUMNS REPO_FROM
				  "WHERE ? = 0 OR r.dirty > 0 ORDER BY g.name, p.name, r.name",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, only_dirty);
	return sq_rows_json(st, s, out, "listing repos", err);
}

int q_store_repo_mark_dirty(struct q_store *st, int64_t repo_id, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "UPDATE repos SET dirty = dirty + 1 WHERE id = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	return sq_run(st, s, "marking a repo", err);
}

int q_store_repo_clear_dirty(struct q_store *st, int64_t repo_id, int64_t seen, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "UPDATE repos SET dirty = 0 WHERE id = ? AND dirty = ?", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sqlite3_bind_int64(s, 2, seen);
	return sq_run(st, s, "marking a repo clean", err);
}

/* --- packages --- */

int q_store_package_put(struct q_store *st, const struct q_rpm_info *in, int64_t *id,
			struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO packages (sha256, name, epoch, version, release, arch, "
		    "nevra, filename, size, primary_xml, filelists_xml, other_xml, created) "
		    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (sha256) DO NOTHING",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, in->sha256);
	sq_bind_text(s, 2, in->name);
	sq_bind_text(s, 3, in->epoch);
	sq_bind_text(s, 4, in->version);
	sq_bind_text(s, 5, in->release);
	sq_bind_text(s, 6, in->arch);
	sq_bind_text(s, 7, in->nevra);
	sq_bind_text(s, 8, in->filename);
	sqlite3_bind_int64(s, 9, (int64_t)in->size);
	sq_bind_text(s, 10, in->primary_xml);
	sq_bind_text(s, 11, in->filelists_xml);
	sq_bind_text(s, 12, in->other_xml);
	sqlite3_bind_int64(s, 13, sq_now_s());
	if (sq_run(st, s, "storing a package", err) < 0)
		return -1;
	s = sq_prep(st, "SELECT id FROM packages WHERE sha256 = ?", err);
	if (!s)
		return -1;
	sq_bind_text(s, 1, in->sha256);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return sq_db_error(st, err, "finding a package");
	}
	*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int q_store_repo_add_package(struct q_store *st, int64_t repo_id, int64_t package_id,
			     struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO repo_packages (repo_id, package_id, added) VALUES (?,?,?) "
		    "ON CONFLICT DO NOTHING",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sqlite3_bind_int64(s, 2, package_id);
	sqlite3_bind_int64(s, 3, sq_now_s());
	return sq_run(st, s, "adding a package to a repo", err);
}

int q_store_repo_packages(struct q_store *st, int64_t repo_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT k.nevra AS nevra, k.arch AS arch, k.sha256 AS sha256, "
				  "k.size AS size, k.filename AS filename FROM repo_packages rp "
				  "JOIN packages k ON k.id = rp.package_id WHERE rp.repo_id = ? "
				  "ORDER BY k.nevra",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	return sq_rows_json(st, s, out, "listing packages", err);
}

int q_store_repo_publish_set(struct q_store *st, int64_t repo_id, const char *arch,
			     struct q_store_pubset *out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT k.sha256, k.filename, k.primary_xml, k.filelists_xml, "
				  "k.other_xml FROM repo_packages rp "
				  "JOIN packages k ON k.id = rp.package_id "
				  "WHERE rp.repo_id = ? AND (k.arch = ? OR k.arch = 'noarch') "
				  "ORDER BY k.filename",
				  err);
	GStringChunk *arena;
	size_t cap = 64;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sq_bind_text(s, 2, arch);
	arena = g_string_chunk_new(1 << 20);
	out->arena = arena;
	out->pkgs = g_new0(struct q_store_pubpkg, cap);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct q_store_pubpkg *p;
		const char **dst[5];

		if (out->n == cap) {
			cap *= 2;
			out->pkgs = g_renew(struct q_store_pubpkg, out->pkgs, cap);
		}
		p = &out->pkgs[out->n++];
		dst[0] = &p->sha256;
		dst[1] = &p->filename;
		dst[2] = &p->primary;
		dst[3] = &p->filelists;
		dst[4] = &p->other;
		for (int i = 0; i < 5; i++)
			*dst[i] = g_string_chunk_insert_len(arena,
							    (const char *)sqlite3_column_text(s, i),
							    sqlite3_column_bytes(s, i));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		q_store_pubset_release(out);
		return sq_db_error(st, err, "reading a repo's packages");
	}
	return 0;
}

void q_store_pubset_release(struct q_store_pubset *set)
{
	if (set->arena)
		g_string_chunk_free(set->arena);
	g_free(set->pkgs);
	memset(set, 0, sizeof(*set));
}

/* --- staged uploads --- */

int q_store_upload_put(struct q_store *st, const char *id, int64_t user_id, const char *filename,
		       const char *path, int64_t size, const char *sha256, struct q_error *err)
{
	static const char sql[] =
	    "INSERT INTO uploads (id, user_id, filename, path, size, sha256, created) "
	    "VALUES (?,?,?,?,?,?,?)";
	sqlite3_stmt *s = sq_prep_cached(st, sql, err);
	int rc;

	if (!s)
		return -1;
	sq_bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, user_id);
	sq_bind_text(s, 3, filename);
	sq_bind_text(s, 4, path);
	sqlite3_bind_int64(s, 5, size);
	sq_bind_text(s, 6, sha256);
	sqlite3_bind_int64(s, 7, sq_now_s());
	/* A staged upload is not yet part of anything, so its row need not
	 * reach the disk now: committed without waiting for the WAL's fsync
	 * (synchronous=NORMAL keeps the database consistent), it becomes
	 * durable with the next fully synchronous commit of the hub, at the
	 * latest the one that adds the batch to a repo. Lost in a power cut,
	 * it is only an upload to make again; one fsync per staged file would
	 * cost more than the rest of an upload. */
	sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	rc = sq_run_cached(st, s, "staging an upload", err);
	if (sqlite3_exec(st->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK &&
	    rc == 0)
		rc = q_error_set(err, Q_EIO, "cannot configure the database: %s",
				 sqlite3_errmsg(st->db));
	return rc;
}

int q_store_upload_get(struct q_store *st, const char *id, json_t **out, struct q_error *err)
{
	char msg[200];
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT id, user_id, filename, path, size, sha256, created FROM uploads "
		    "WHERE id = ?",
		    err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, id);
	snprintf(msg, sizeof(msg), "upload '%.64s' not found (expired or never staged)", id);
	return sq_row_one(st, s, out, msg, err);
}

int q_store_upload_delete(struct q_store *st, const char *id, struct q_error *err)
{
	static const char sql[] = "DELETE FROM uploads WHERE id = ?";
	sqlite3_stmt *s = sq_prep_cached(st, sql, err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, id);
	return sq_run_cached(st, s, "deleting an upload", err);
}

int q_store_upload_expire(struct q_store *st, int64_t before, json_t **paths, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "DELETE FROM uploads WHERE created < ? RETURNING path", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	return sq_rows_json(st, s, paths, "expiring uploads", err);
}

/* --- publish history --- */

int q_store_publish_add(struct q_store *st, const struct q_publish_row *r, int64_t keep,
			struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "INSERT INTO publishes (repo_id, arch, time, set_digest, repomd_size, "
		    "revision, md5, sha1, sha256, sha512, n_packages) "
		    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, r->repo_id);
	sq_bind_text(s, 2, r->arch);
	sqlite3_bind_int64(s, 3, r->time);
	sq_bind_text(s, 4, r->set_digest);
	sqlite3_bind_int64(s, 5, r->repomd_size);
	sqlite3_bind_int64(s, 6, r->revision);
	sq_bind_text(s, 7, r->md5);
	sq_bind_text(s, 8, r->sha1);
	sq_bind_text(s, 9, r->sha256);
	sq_bind_text(s, 10, r->sha512);
	sqlite3_bind_int64(s, 11, r->n_packages);
	if (sq_run(st, s, "recording a publish", err) < 0)
		return -1;
	s = sq_prep(
	    st,
	    "DELETE FROM publishes WHERE repo_id = ? AND arch = ? AND id NOT IN "
	    "(SELECT id FROM publishes WHERE repo_id = ? AND arch = ? ORDER BY id DESC LIMIT ?)",
	    err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, r->repo_id);
	sq_bind_text(s, 2, r->arch);
	sqlite3_bind_int64(s, 3, r->repo_id);
	sq_bind_text(s, 4, r->arch);
	sqlite3_bind_int64(s, 5, keep);
	return sq_run(st, s, "pruning publish history", err);
}

/* One column of the last publish of (repo, arch) into out ("" when none). */
static int publish_last(struct q_store *st, int64_t repo_id, const char *arch, const char *sql,
			char out[65], struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, sql, err);

	out[0] = '\0';
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sq_bind_text(s, 2, arch);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(out, 65, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return 0;
}

int q_store_publish_last_digest(struct q_store *st, int64_t repo_id, const char *arch, char out[65],
				struct q_error *err)
{
	return publish_last(st, repo_id, arch,
			    "SELECT set_digest FROM publishes WHERE repo_id = ? AND arch = ? "
			    "ORDER BY id DESC LIMIT 1",
			    out, err);
}

int q_store_publish_last_repomd(struct q_store *st, int64_t repo_id, const char *arch, char out[65],
				struct q_error *err)
{
	return publish_last(st, repo_id, arch,
			    "SELECT sha256 FROM publishes WHERE repo_id = ? AND arch = ? "
			    "ORDER BY id DESC LIMIT 1",
			    out, err);
}

int q_store_publish_history(struct q_store *st, int64_t repo_id, int64_t limit, json_t **out,
			    struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT arch, time, repomd_size, revision AS timestamp, md5, sha1, "
		    "sha256, sha512, n_packages AS packages FROM publishes WHERE repo_id = ? "
		    "ORDER BY id DESC LIMIT ?",
		    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sqlite3_bind_int64(s, 2, limit);
	return sq_rows_json(st, s, out, "reading publish history", err);
}

/* --- audit --- */

int q_store_audit(struct q_store *st, const char *user, const char *action, const char *target,
		  const char *detail, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st, "INSERT INTO audit (time, user, action, target, detail) VALUES (?,?,?,?,?)", err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sq_now_s());
	sq_bind_text(s, 2, user);
	sq_bind_text(s, 3, action);
	sq_bind_text(s, 4, target);
	sq_bind_text(s, 5, detail);
	return sq_run(st, s, "writing the audit log", err);
}

int q_store_audit_list(struct q_store *st, int64_t limit, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st,
				  "SELECT id, time, user, action, target, detail FROM audit "
				  "ORDER BY id DESC LIMIT ?",
				  err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, limit);
	return sq_rows_json(st, s, out, "reading the audit log", err);
}

int q_store_counts(struct q_store *st, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT (SELECT COUNT(*) FROM sigs) AS sigs, "
		    "(SELECT COUNT(*) FROM projects) AS projects, "
		    "(SELECT COUNT(*) FROM repos) AS repos, "
		    "(SELECT COUNT(*) FROM packages) AS packages, "
		    "(SELECT COUNT(*) FROM publishes) AS publishes, "
		    "(SELECT COUNT(*) FROM builds WHERE state = 'building') AS builds_building, "
		    "(SELECT COUNT(*) FROM tasks WHERE state = 'free') AS tasks_queued, "
		    "(SELECT COUNT(*) FROM tasks WHERE state = 'open') AS tasks_running, "
		    "(SELECT COUNT(*) FROM workers WHERE last_seen > strftime('%s','now') - 60) "
		    "AS workers_active",
		    err);

	return sq_row_one(st, s, out, "no counts", err);
}
