/*
 * page_packages.c: package search (/packages?name=), as `quarry search`:
 * every SIG, project, repo and arch that holds the name, with versions.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "http/http.h"
#include "web/html.h"
#include "web/web.h"

#define SEARCH_LIMIT 200

static void result_rows(GString *b, json_t *list)
{
	json_t *x, *v;
	size_t i, k;

	json_array_foreach (list, i, x) {
		const char *sig = q_html_jstr(x, "sig"), *proj = q_html_jstr(x, "project");
		const char *repo = q_html_jstr(x, "repo");

		g_string_append(b, "<tr><td><a href=\"/builds?package=");
		q_html_url(b, q_html_jstr(x, "name"));
		g_string_append(b, "\">");
		q_html_jtext(b, x, "name");
		g_string_append(b, "</a></td><td>");
		q_html_link(b, sig, "sigs", sig, NULL);
		g_string_append(b, "</td><td>");
		q_html_link(b, proj, "sigs", sig, "projects", proj, NULL);
		g_string_append(b, "</td><td>");
		q_html_link(b, repo, "sigs", sig, "projects", proj, "repos", repo, NULL);
		g_string_append(b, " (");
		q_html_jtext(b, x, "channel");
		g_string_append(b, ")</td><td>");
		q_html_jtext(b, x, "arch");
		g_string_append(b, "</td><td>");
		json_array_foreach (json_object_get(x, "versions"), k, v) {
			if (k)
				g_string_append(b, ", ");
			q_html_text(b, json_string_value(v));
		}
		g_string_append(b, "</td></tr>\n");
	}
}

void q_page_packages(struct q_request *r)
{
	struct q_error err = {0};
	char name[256];
	json_t *list = NULL;
	int truncated = 0, glob, valid;
	GString *b;

	if (q_web_query(r, "name", name, sizeof(name)) < 0) {
		q_html_error(r, 400, "the package name is malformed");
		return;
	}
	glob = strpbrk(name, "*?[") != NULL;
	valid = !name[0] || q_package_name_valid(name, glob);
	if (valid && name[0] &&
	    q_store_package_search(r->st, name, glob, SEARCH_LIMIT, &list, &truncated, &err) < 0) {
		q_web_fail(r, &err);
		return;
	}
	b = g_string_new(NULL);
	q_html_begin(b, name[0] ? name : "Package search");
	g_string_append(b, "<h1>Package search</h1>\n<form class=\"filters\" method=\"get\" "
			   "action=\"/packages\">\n<label>Name (or a glob: python3-*)"
			   "<input type=\"search\" name=\"name\" value=\"");
	q_html_text(b, name);
	g_string_append(b, "\"></label>\n<button type=\"submit\">Search</button>\n</form>\n");
	if (!valid)
		g_string_append(b, "<p class=\"error\">That is not a package name (nor a glob "
				   "pattern of one).</p>\n");
	else if (name[0]) {
		g_string_append(b, "<div class=\"table\"><table>\n<thead><tr><th>Package</th>"
				   "<th>SIG</th><th>Project</th><th>Repo</th><th>Arch</th>"
				   "<th>Versions</th></tr></thead>\n<tbody>\n");
		result_rows(b, list);
		if (!json_array_size(list))
			g_string_append(b, "<tr><td colspan=\"6\">No repo holds it.</td></tr>\n");
		g_string_append(b, "</tbody></table></div>\n");
		if (truncated)
			g_string_append(b, "<p>More versions matched than are shown; narrow the "
					   "name.</p>\n");
	}
	q_html_end(b);
	json_decref(list);
	q_html_send(r, valid ? 200 : 400, b);
}
