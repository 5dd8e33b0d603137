/*
 * page_builds.c: the build list (filtered, paginated) and a build's page
 * (tasks with their logs, buildroot, checks, RPMs, provenance).
 */
#include "core/common.h"
#include "core/error.h"
#include "http/http.h"
#include "web/html.h"
#include "web/web.h"

#define PER_PAGE_DEFAULT 50
#define PER_PAGE_MAX 200

struct list_query {
	char sig[64], project[64], state[32], owner[128], package[256], per[16], before[24];
	struct q_build_filter f;
};

static int list_query(struct q_request *r, struct list_query *q)
{
	char *end;

	memset(q, 0, sizeof(*q));
	if (q_web_query(r, "sig", q->sig, sizeof(q->sig)) < 0 ||
	    q_web_query(r, "project", q->project, sizeof(q->project)) < 0 ||
	    q_web_query(r, "state", q->state, sizeof(q->state)) < 0 ||
	    q_web_query(r, "owner", q->owner, sizeof(q->owner)) < 0 ||
	    q_web_query(r, "package", q->package, sizeof(q->package)) < 0 ||
	    q_web_query(r, "per_page", q->per, sizeof(q->per)) < 0 ||
	    q_web_query(r, "before", q->before, sizeof(q->before)) < 0)
		return -1;
	q->f = (struct q_build_filter){.sig = q->sig,
				       .project = q->sig[0] ? q->project : NULL,
				       .state = q->state,
				       .owner = q->owner,
				       .package = q->package,
				       .limit = PER_PAGE_DEFAULT};
	if (q->per[0]) {
		q->f.limit = strtoll(q->per, &end, 10);
		if (*end || q->f.limit < 1 || q->f.limit > PER_PAGE_MAX)
			return -1;
	}
	if (q->before[0]) {
		q->f.before = strtoll(q->before, &end, 10);
		if (*end || q->f.before < 1)
			return -1;
	}
	return 0;
}

static void filter_field(GString *b, const char *label, const char *name, const char *value)
{
	g_string_append(b, "<label>");
	q_html_text(b, label);
	g_string_append(b, "<input name=\"");
	q_html_text(b, name);
	g_string_append(b, "\" value=\"");
	q_html_text(b, value);
	g_string_append(b, "\"></label>\n");
}

static void filter_form(GString *b, const struct list_query *q)
{
	static const char *const states[] = {"", "building", "complete", "failed", "canceled"};

	g_string_append(b, "<form class=\"filters\" method=\"get\" action=\"/builds\">\n");
	filter_field(b, "SIG", "sig", q->sig);
	filter_field(b, "Project", "project", q->project);
	filter_field(b, "Owner", "owner", q->owner);
	filter_field(b, "Package", "package", q->package);
	g_string_append(b, "<label>State<select name=\"state\">\n");
	for (size_t i = 0; i < Q_ARRAY_LEN(states); i++) {
		g_string_append(b, "<option value=\"");
		q_html_text(b, states[i]);
		g_string_append(b, !strcmp(states[i], q->state) ? "\" selected>" : "\">");
		q_html_text(b, states[i][0] ? states[i] : "any");
		g_string_append(b, "</option>\n");
	}
	g_string_append(b, "</select></label>\n<button type=\"submit\">Filter</button>\n</form>\n");
}

/* The link to the next page: the same filters, before the last id shown. */
static void next_link(GString *b, const struct list_query *q, int64_t last)
{
	const char *keys[] = {"sig", "project", "state", "owner", "package", "per_page"};
	const char *vals[] = {q->sig, q->project, q->state, q->owner, q->package, q->per};

	g_string_append(b,
			"<nav class=\"pager\" aria-label=\"pages\"><a href=\"/builds\">Newest</a>"
			"<a rel=\"next\" href=\"/builds?");
	for (size_t i = 0; i < Q_ARRAY_LEN(keys); i++) {
		if (!vals[i][0])
			continue;
		q_html_text(b, keys[i]);
		g_string_append_c(b, '=');
		q_html_url(b, vals[i]);
		g_string_append(b, "&amp;");
	}
	g_string_append_printf(b, "before=%" PRId64 "\">Older builds</a></nav>\n", last);
}

static void build_row(GString *b, json_t *x)
{
	char id[24];
	const char *sig = q_html_jstr(x, "sig"), *proj = q_html_jstr(x, "project");

	snprintf(id, sizeof(id), "%" PRId64, q_html_jint(x, "id"));
	g_string_append(b, "<tr><td>");
	q_html_link(b, id, "builds", id, NULL);
	g_string_append(b, "</td><td>");
	q_html_link(b, q_html_jstr(x, "nevr")[0] ? q_html_jstr(x, "nevr") : q_html_jstr(x, "name"),
		    "builds", id, NULL);
	g_string_append(b, "</td><td>");
	q_html_link(b, sig, "sigs", sig, NULL);
	g_string_append(b, "/");
	q_html_link(b, proj, "sigs", sig, "projects", proj, NULL);
	g_string_append(b, "</td><td>");
	q_web_state(b, q_html_jstr(x, "state"));
	g_string_append(b, "</td><td>");
	q_html_jtext(b, x, "owner");
	g_string_append(b, "</td><td>");
	q_html_jtime(b, x, "created");
	g_string_append(b, "</td></tr>\n");
}

void q_page_builds(struct q_request *r)
{
	struct q_error err = {0};
	struct list_query q;
	json_t *list = NULL, *x;
	GString *b;
	size_t i, n;

	if (list_query(r, &q) < 0) {
		q_html_error(r, 400,
			     "a filter of the build list is malformed (per_page: 1 to 200; "
			     "before: a build id)");
		return;
	}
	q.f.limit++; /* one more: is there a next page? */
	if (q_store_build_list(r->st, &q.f, &list, &err) < 0) {
		q_web_fail(r, &err);
		return;
	}
	n = json_array_size(list);
	b = g_string_new(NULL);
	q_html_begin(b, "Builds");
	g_string_append(b, "<h1>Builds</h1>\n");
	filter_form(b, &q);
	g_string_append(b, "<div class=\"table\"><table>\n<thead><tr><th>ID</th><th>Build</th>"
			   "<th>SIG/project</th><th>State</th><th>Owner</th><th>Created</th></tr>"
			   "</thead>\n<tbody>\n");
	json_array_foreach (list, i, x)
		if ((int64_t)i < q.f.limit - 1)
			build_row(b, x);
	if (n == 0)
		g_string_append(b, "<tr><td colspan=\"6\">No build matches.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
	if ((int64_t)n == q.f.limit)
		next_link(b, &q, q_html_jint(json_array_get(list, n - 2), "id"));
	q_html_end(b);
	json_decref(list);
	q_html_send(r, 200, b);
}
