/*
 * store_pages.c: reads of the web pages that no API call makes in one go.
 */
#include "core/common.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_internal.h"

/* Append each row's value column to the array key of the SIG it names. */
static int attach(struct q_store *st, json_t *by_name, const char *sql, const char *key,
		  struct q_error *err)
{
	json_t *rows = NULL, *row;
	size_t i;

	if (sq_rows_json(st, sq_prep(st, sql, err), &rows, "listing the SIG catalog", err) < 0)
		return -1;
	json_array_foreach (rows, i, row) {
		json_t *sig = json_object_get(by_name, sq_jstr(row, "sig"));

		if (sig)
			json_array_append(json_object_get(sig, key), json_object_get(row, "v"));
	}
	json_decref(rows);
	return 0;
}

int q_store_sig_catalog(struct q_store *st, json_t **out, struct q_error *err)
{
	json_t *by_name = json_object(), *sig;
	size_t i;
	int rc;

	if (q_store_sig_list(st, out, err) < 0) {
		json_decref(by_name);
		return -1;
	}
	json_array_foreach (*out, i, sig) {
		json_object_set_new(sig, "leads", json_array());
		json_object_set_new(sig, "projects", json_array());
		json_object_set(by_name, sq_jstr(sig, "name"), sig);
	}
	rc = attach(st, by_name,
		    "SELECT g.name AS sig, u.name AS v FROM sig_members m "
		    "JOIN users u ON u.id = m.user_id JOIN sigs g ON g.id = m.sig_id "
		    "WHERE m.role = 'lead' ORDER BY g.name, u.name",
		    "leads", err);
	if (rc == 0)
		rc = attach(st, by_name,
			    "SELECT g.name AS sig, p.name AS v FROM projects p "
			    "JOIN sigs g ON g.id = p.sig_id ORDER BY g.name, p.name",
			    "projects", err);
	json_decref(by_name);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int q_store_repo_packages_summary(struct q_store *st, int64_t repo_id, json_t **out,
				  struct q_error *err)
{
	/* The summary as primary.xml holds it (XML-escaped), between its tags. */
	sqlite3_stmt *s = sq_prep(
	    st,
	    "SELECT k.name AS name, k.epoch AS epoch, k.version AS version, k.release AS release, "
	    "k.nevra AS nevra, k.arch AS arch, k.sha256 AS sha256, k.size AS size, "
	    "k.filename AS filename, "
	    "CASE WHEN instr(k.primary_xml, '<summary>') > 0 THEN "
	    "substr(k.primary_xml, instr(k.primary_xml, '<summary>') + 9, "
	    "instr(k.primary_xml, '</summary>') - instr(k.primary_xml, '<summary>') - 9) "
	    "ELSE '' END AS summary_xml "
	    "FROM repo_packages rp JOIN packages k ON k.id = rp.package_id "
	    "WHERE rp.repo_id = ? ORDER BY k.name, k.arch, k.nevra",
	    err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, repo_id);
	return sq_rows_json(st, s, out, "listing packages", err);
}
