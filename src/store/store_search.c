/*
 * store_search.c: the package search (GET /packages?name=…): which SIG,
 * project, repo and arch hold which versions of a package.
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <glib.h>

/* "EPOCH:VERSION-RELEASE", without "0:" or ":" for an empty epoch. */
static char *evr_of(json_t *row)
{
	const char *e = sq_jstr(row, "epoch");

	if (!e[0] || !strcmp(e, "0"))
		return g_strdup_printf("%s-%s", sq_jstr(row, "version"), sq_jstr(row, "release"));
	return g_strdup_printf("%s:%s-%s", e, sq_jstr(row, "version"), sq_jstr(row, "release"));
}

int q_store_package_search(struct q_store *st, const char *name, int glob, int64_t limit,
			   json_t **out, int *truncated, struct q_error *err)
{
	/* GLOB is case-sensitive like package names, and a pattern with a
	 * literal prefix ("python3-*") is a range of the packages_name index. */
	sqlite3_stmt *s = sq_prep(
	    st,
	    glob ? "SELECT g.name AS sig, p.name AS project, r.name AS repo, r.channel AS channel, "
		   "pk.name AS name, pk.arch AS arch, pk.epoch AS epoch, pk.version AS version, "
		   "pk.release AS release, max(pk.id) AS newest "
		   "FROM packages pk JOIN repo_packages rp ON rp.package_id = pk.id "
		   "JOIN repos r ON r.id = rp.repo_id JOIN projects p ON p.id = r.project_id "
		   "JOIN sigs g ON g.id = p.sig_id WHERE pk.name GLOB ? "
		   "GROUP BY g.name, p.name, r.name, pk.name, pk.arch, pk.epoch, pk.version, "
		   "pk.release ORDER BY g.name, p.name, r.name, pk.name, pk.arch, newest DESC "
		   "LIMIT ?"
		 : "SELECT g.name AS sig, p.name AS project, r.name AS repo, r.channel AS channel, "
		   "pk.name AS name, pk.arch AS arch, pk.epoch AS epoch, pk.version AS version, "
		   "pk.release AS release, max(pk.id) AS newest "
		   "FROM packages pk JOIN repo_packages rp ON rp.package_id = pk.id "
		   "JOIN repos r ON r.id = rp.repo_id JOIN projects p ON p.id = r.project_id "
		   "JOIN sigs g ON g.id = p.sig_id WHERE pk.name = ? "
		   "GROUP BY g.name, p.name, r.name, pk.name, pk.arch, pk.epoch, pk.version, "
		   "pk.release ORDER BY g.name, p.name, r.name, pk.name, pk.arch, newest DESC "
		   "LIMIT ?",
	    err);
	json_t *rows = NULL, *groups, *row, *last = NULL;
	size_t i;

	*out = NULL;
	*truncated = 0;
	if (!s)
		return -1;
	sq_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, limit + 1); /* one more: was anything left out? */
	if (sq_rows_json(st, s, &rows, "searching packages", err) < 0)
		return -1;
	if (json_array_size(rows) > (size_t)limit) {
		*truncated = 1;
		json_array_remove(rows, (size_t)limit);
	}
	groups = json_array();
	json_array_foreach (rows, i, row) {
		static const char *const keys[] = {"sig", "project", "repo", "name", "arch"};
		int same = last != NULL;
		char *evr = evr_of(row);

		for (size_t k = 0; same && k < Q_ARRAY_LEN(keys); k++)
			same = !strcmp(sq_jstr(last, keys[k]), sq_jstr(row, keys[k]));
		if (!same) {
			last = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "name",
					 sq_jstr(row, "name"), "sig", sq_jstr(row, "sig"),
					 "project", sq_jstr(row, "project"), "repo",
					 sq_jstr(row, "repo"), "channel", sq_jstr(row, "channel"),
					 "arch", sq_jstr(row, "arch"), "versions");
			json_array_append_new(groups, last);
		}
		json_array_append_new(json_object_get(last, "versions"), json_string(evr));
		g_free(evr);
	}
	json_decref(rows);
	*out = groups;
	return 0;
}
