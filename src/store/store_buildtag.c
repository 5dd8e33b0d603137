/*
 * store_buildtag.c: build tags (project_buildroots, migration 7), the tag a
 * task's buildroot is made from, the repos a task's buildroot came from,
 * and whether a repo holds a build's packages (for wait-repo).
 *
 * A tag's repos, packages and macros are stored as JSON text, as the API
 * validated them (src/build/buildtag.c); reads give them back as JSON.
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <sqlite3.h>

static json_t *col_json(sqlite3_stmt *s, int i, int object)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	json_t *v = t ? json_loads(t, 0, NULL) : NULL;

	if (object ? json_is_object(v) : json_is_array(v))
		return v;
	json_decref(v);
	return object ? json_object() : json_array();
}

static int read_tags(struct q_store *st, sqlite3_stmt *s, json_t **out, struct q_error *err)
{
	json_t *a = json_array();
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o,s:o}", "arch",
						   sqlite3_column_text(s, 0), "releasever",
						   sqlite3_column_text(s, 1), "repos",
						   col_json(s, 2, 0), "packages", col_json(s, 3, 0),
						   "macros", col_json(s, 4, 1)));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return sq_db_error(st, err, "reading build tags");
	}
	*out = a;
	return 0;
}

#define TAG_COLUMNS "arch, releasever, repos, packages, macros"
/* '*' first, then by arch */
#define TAG_ORDER " ORDER BY arch != '*', arch"

int q_store_buildtags_get(struct q_store *st, int64_t project_id, json_t **out, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(
	    st, "SELECT " TAG_COLUMNS " FROM project_buildroots WHERE project_id = ?" TAG_ORDER,
	    err);

	*out = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, project_id);
	return read_tags(st, s, out, err);
}

int q_store_buildtags_put(struct q_store *st, int64_t project_id, json_t *tags, struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "DELETE FROM project_buildroots WHERE project_id = ?", err);
	json_t *t;
	size_t i;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, project_id);
	if (sq_run(st, s, "replacing build tags", err) < 0)
		return -1;
	json_array_foreach (tags, i, t) {
		char *repos = json_dumps(json_object_get(t, "repos"), JSON_COMPACT);
		char *pkgs = json_dumps(json_object_get(t, "packages"), JSON_COMPACT);
		char *macros =
		    json_dumps(json_object_get(t, "macros"), JSON_COMPACT | JSON_SORT_KEYS);
		int rc = -1;

		s = sq_prep(st,
			    "INSERT INTO project_buildroots (project_id, arch, releasever, repos, "
			    "packages, macros, updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
			    err);
		if (s && repos && pkgs && macros) {
			sqlite3_bind_int64(s, 1, project_id);
			sq_bind_text(s, 2, json_string_value(json_object_get(t, "arch")));
			sq_bind_text(s, 3, json_string_value(json_object_get(t, "releasever")));
			sq_bind_text(s, 4, repos);
			sq_bind_text(s, 5, pkgs);
			sq_bind_text(s, 6, macros);
			sqlite3_bind_int64(s, 7, sq_now_s());
			rc = sq_run(st, s, "storing a build tag", err);
		} else if (s) {
			sqlite3_finalize(s);
			q_error_set(err, Q_EINTERNAL, "out of memory");
		}
		free(repos);
		free(pkgs);
		free(macros);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int q_store_task_buildtag(struct q_store *st, int64_t task_id, json_t **out, struct q_error *err)
{
	json_t *row = NULL, *tags = NULL, *t = NULL;
	const char *arch;
	char first[32] = "";
	size_t i;
	char msg[64];
	sqlite3_stmt *s =
	    sq_prep(st,
		    "SELECT t.kind AS kind, t.arch AS arch, b.arches AS arches, "
		    "p.id AS project_id, p.major AS major, g.name AS sig FROM tasks t "
		    "JOIN builds b ON b.id = t.build_id JOIN projects p ON p.id = "
		    "b.project_id JOIN sigs g ON g.id = p.sig_id WHERE t.id = ?",
		    err);

	*out = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, task_id);
	snprintf(msg, sizeof(msg), "task %" PRId64 " not found", task_id);
	if (sq_row_one(st, s, &row, msg, err) < 0)
		return -1;
	if (q_store_buildtags_get(st, json_integer_value(json_object_get(row, "project_id")), &tags,
				  err) < 0) {
		json_decref(row);
		return -1;
	}
	arch = sq_jstr(row, "arch");
	if (!strcmp(sq_jstr(row, "kind"), "srpm")) {
		/* an SRPM is made in the buildroot of the build's first arch */
		json_t *ba = json_object_get(row, "arches");
		snprintf(first, sizeof(first), "%s",
			 json_string_value(json_array_get(ba, 0))
			     ? json_string_value(json_array_get(ba, 0))
			     : "*");
		arch = first;
	}
	json_array_foreach (tags, i, t) {
		const char *a = sq_jstr(t, "arch");

		if (!strcmp(a, arch)) {
			json_object_set(row, "tag", t);
			break;
		}
		if (!strcmp(a, "*"))
			json_object_set(row, "tag", t);
	}
	json_object_set_new(row, "tag_arch", json_string(arch));
	if (!json_object_get(row, "tag"))
		json_object_set_new(row, "tag", json_null());
	json_decref(tags);
	*out = row;
	return 0;
}

int q_store_task_set_buildroot_repos(struct q_store *st, int64_t task_id, const char *repos,
				     struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "UPDATE tasks SET buildroot_repos = ? WHERE id = ?", err);

	if (!s)
		return -1;
	sq_bind_text(s, 1, repos ? repos : "[]");
	sqlite3_bind_int64(s, 2, task_id);
	return sq_run(st, s, "recording a task's buildroot repos", err);
}

int q_store_task_buildroot_repos(struct q_store *st, int64_t task_id, json_t **out,
				 struct q_error *err)
{
	sqlite3_stmt *s = sq_prep(st, "SELECT buildroot_repos FROM tasks WHERE id = ?", err);
	int rc;

	*out = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, task_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = col_json(s, 0, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_error(st, err, "reading a task's buildroot repos");
	if (!*out)
		*out = json_array();
	return 0;
}

int q_store_repo_build_packages(struct q_store *st, int64_t repo_id, int64_t build_id, json_t **out,
				struct q_error *err)
{
	/* A build's RPMs (current attempts of closed rpm tasks), and whether
	 * the repo holds each, itself or a signed copy of it. */
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT a.name AS name, a.arch AS arch, a.sha256 AS sha256, "
	    "(EXISTS (SELECT 1 FROM packages p JOIN repo_packages rp ON rp.package_id = p.id "
	    "  WHERE p.sha256 = a.sha256 AND rp.repo_id = ?1) OR "
	    " EXISTS (SELECT 1 FROM packages p JOIN signed_packages sp ON sp.package_id = p.id "
	    "  JOIN repo_packages rp ON rp.package_id = sp.signed_id "
	    "  WHERE p.sha256 = a.sha256 AND rp.repo_id = ?1)) AS in_repo "
	    "FROM artifacts a JOIN tasks t ON t.id = a.task_id AND t.attempt = a.attempt "
	    "WHERE a.build_id = ?2 AND t.state = 'closed' AND t.kind = 'rpm' ORDER BY a.name",
	    err);

	*out = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	sqlite3_bind_int64(s, 2, build_id);
	return sq_rows_json(st, s, out, "reading a build's packages in a repo", err);
}
