/*
 * page_mirrors.c: the public mirror list by continent and country, a
 * mirror's page (its state per repo and arch, last crawl, failures), and
 * the workers.
 */
#include "core/common.h"
#include "core/error.h"
#include "http/http.h"
#include "mirror/geoip.h"
#include "web/html.h"
#include "web/web.h"

static const char *const continent_names[][2] = {
    {"AF", "Africa"},        {"AN", "Antarctica"}, {"AS", "Asia"},          {"EU", "Europe"},
    {"NA", "North America"}, {"OC", "Oceania"},    {"SA", "South America"},
};

static const char *country_of(json_t *m)
{
	const char *cc = json_string_value(json_object_get(
	    json_object_get(json_object_get(m, "definition"), "geolocation"), "country"));

	return cc ? cc : "";
}

static const char *continent_name(const char *cc)
{
	const char *c = cc[0] ? q_continent_of(cc) : NULL;

	for (size_t i = 0; c && i < Q_ARRAY_LEN(continent_names); i++)
		if (!strcmp(c, continent_names[i][0]))
			return continent_names[i][1];
	return "Unknown location";
}

static int by_place(gconstpointer a, gconstpointer b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(continent_name(country_of(x)), continent_name(country_of(y)));

	if (!c)
		c = strcmp(country_of(x), country_of(y));
	return c ? c : strcmp(q_html_jstr(x, "name"), q_html_jstr(y, "name"));
}

static void mirror_row(GString *b, json_t *m)
{
	static const char *const schemes[] = {"https", "http", "rsync", "ftp"};
	json_t *addr = json_object_get(json_object_get(m, "definition"), "address");

	g_string_append(b, "<tr><td>");
	q_html_link(b, q_html_jstr(m, "name"), "mirrors", q_html_jstr(m, "name"), NULL);
	g_string_append(b, "</td><td>");
	q_html_text(b, country_of(m)[0] ? country_of(m) : "—");
	g_string_append(b, "</td><td>");
	q_web_state(b, q_html_jstr(m, "state"));
	g_string_append(b, "</td><td>");
	for (size_t i = 0; i < Q_ARRAY_LEN(schemes); i++) {
		const char *u = json_string_value(json_object_get(addr, schemes[i]));

		if (!u)
			continue;
		g_string_append(b, "<code>");
		q_html_text(b, u);
		g_string_append(b, "</code> ");
	}
	g_string_append(b, "</td><td>");
	q_html_jtime(b, m, "last_crawl");
	g_string_append(b, "</td></tr>\n");
}

void q_page_mirrors(struct q_request *r)
{
	struct q_error err = {0};
	json_t *list = NULL, *m;
	GPtrArray *sorted;
	const char *shown = NULL;
	GString *b;
	size_t i;

	if (q_store_mirror_list(r->st, &list, &err) < 0) {
		q_web_fail(r, &err);
		return;
	}
	sorted = g_ptr_array_new();
	json_array_foreach (list, i, m)
		if (!json_is_true(json_object_get(json_object_get(m, "definition"), "private")))
			g_ptr_array_add(sorted, m);
	g_ptr_array_sort(sorted, by_place);
	b = g_string_new(NULL);
	q_html_begin(b, "Mirrors");
	g_string_append(b, "<h1>Mirrors</h1>\n");
	for (i = 0; i < sorted->len; i++) {
		const char *cont = continent_name(country_of(sorted->pdata[i]));

		if (!shown || strcmp(shown, cont)) {
			if (shown)
				g_string_append(b, "</tbody></table></div>\n");
			g_string_append(b, "<h2>");
			q_html_text(b, cont);
			g_string_append(b, "</h2>\n<div class=\"table\"><table>\n<thead><tr>"
					   "<th>Mirror</th><th>Country</th><th>State</th>"
					   "<th>Addresses</th><th>Last crawl</th></tr></thead>\n"
					   "<tbody>\n");
			shown = cont;
		}
		mirror_row(b, sorted->pdata[i]);
	}
	if (shown)
		g_string_append(b, "</tbody></table></div>\n");
	else
		g_string_append(b, "<p>No public mirror yet.</p>\n");
	q_html_end(b);
	g_ptr_array_free(sorted, TRUE);
	json_decref(list);
	q_html_send(r, 200, b);
}

static void mirror_checks(GString *b, json_t *checks)
{
	json_t *c;
	size_t i;

	g_string_append(b, "<h2>State per repo</h2>\n<div class=\"table\"><table>\n<thead><tr>"
			   "<th>Repo</th><th>Arch</th><th>State</th><th>Last check</th>"
			   "<th>Last success</th><th>Error</th></tr></thead>\n<tbody>\n");
	json_array_foreach (checks, i, c) {
		g_string_append(b, "<tr><td>");
		q_html_jtext(b, c, "repo");
		g_string_append(b, "</td><td>");
		q_html_jtext(b, c, "arch");
		g_string_append(b, "</td><td>");
		q_web_state(b, q_html_jstr(c, "state"));
		g_string_append(b, "</td><td>");
		q_html_jtime(b, c, "last_check");
		g_string_append(b, "</td><td>");
		q_html_jtime(b, c, "last_success");
		g_string_append(b, "</td><td>");
		q_html_jtext(b, c, "error");
		g_string_append(b, "</td></tr>\n");
	}
	if (!json_array_size(checks))
		g_string_append(b, "<tr><td colspan=\"6\">Not crawled yet.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
}

static void mirror_facts(GString *b, json_t *m)
{
	json_t *def = json_object_get(m, "definition");

	g_string_append(b, "<dl class=\"facts\">\n<dt>State</dt><dd>");
	q_web_state(b, q_html_jstr(m, "state"));
	if (*q_html_jstr(m, "reason")) {
		g_string_append(b, " — ");
		q_html_jtext(b, m, "reason");
	}
	g_string_append(b, "</dd>\n<dt>Country</dt><dd>");
	q_html_text(b, country_of(m)[0] ? country_of(m) : "—");
	g_string_append(b, " (");
	q_html_text(b, continent_name(country_of(m)));
	g_string_append(b, ")</dd>\n<dt>Sponsor</dt><dd>");
	q_html_jtext(b, def, "sponsor");
	g_string_append(b, "</dd>\n<dt>Addresses</dt><dd>");
	q_web_value(b, json_object_get(def, "address"));
	g_string_append(b, "</dd>\n<dt>Update frequency</dt><dd>");
	q_html_jtext(b, def, "update_frequency");
	g_string_append(b, "</dd>\n<dt>Last crawl</dt><dd>");
	q_html_jtime(b, m, "last_crawl");
	g_string_append(b, "</dd>\n<dt>Failures in a row</dt><dd>");
	q_html_jtext(b, m, "failures");
	g_string_append(b, "</dd>\n</dl>\n");
}

void q_page_mirror(struct q_request *r, const char *name)
{
	struct q_error err = {0};
	char *lower = g_ascii_strdown(name, -1);
	json_t *m = NULL, *checks = NULL;
	GString *b;

	if (q_store_mirror_get(r->st, lower, &m, &err) < 0 ||
	    q_store_mirror_checks(r->st, lower, &checks, &err) < 0) {
		g_free(lower);
		json_decref(m);
		q_web_fail(r, &err);
		return;
	}
	b = g_string_new(NULL);
	q_html_begin(b, lower);
	g_string_append(b, "<h1>Mirror ");
	q_html_text(b, lower);
	g_string_append(b, "</h1>\n");
	mirror_facts(b, m);
	mirror_checks(b, checks);
	q_web_actions(b, "quarry mirror approve / disable / enable (release engineers)");
	q_html_end(b);
	g_free(lower);
	json_decref(m);
	json_decref(checks);
	q_html_send(r, 200, b);
}

void q_page_workers(struct q_request *r)
{
	struct q_error err = {0};
	json_t *list = NULL, *w;
	GString *b;
	size_t i;

	if (q_store_worker_list(r->st, &list, &err) < 0) {
		q_web_fail(r, &err);
		return;
	}
	b = g_string_new(NULL);
	q_html_begin(b, "Workers");
	g_string_append(b, "<h1>Workers</h1>\n<div class=\"table\"><table>\n<thead><tr>"
			   "<th>Worker</th><th>Arches</th><th>Slots</th><th>Last seen</th>"
			   "<th>Running</th></tr></thead>\n<tbody>\n");
	json_array_foreach (list, i, w) {
		json_t *t;
		size_t k;

		g_string_append(b, "<tr><td>");
		q_html_jtext(b, w, "name");
		g_string_append(b, "</td><td>");
		q_web_value(b, json_object_get(w, "arches"));
		g_string_append(b, "</td><td>");
		q_html_jtext(b, w, "slots");
		g_string_append(b, "</td><td>");
		q_html_jtime(b, w, "last_seen");
		g_string_append(b, "</td><td>");
		json_array_foreach (json_object_get(w, "running"), k, t) {
			g_string_append(b, k ? ", task " : "task ");
			q_web_value(b, t);
		}
		if (!json_array_size(json_object_get(w, "running")))
			g_string_append(b, "idle");
		g_string_append(b, "</td></tr>\n");
	}
	if (!json_array_size(list))
		g_string_append(b, "<tr><td colspan=\"5\">No worker has been seen.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
	q_html_end(b);
	json_decref(list);
	q_html_send(r, 200, b);
}
