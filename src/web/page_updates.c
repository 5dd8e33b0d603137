/*
 * page_updates.c: the update list and an update's page (builds, state,
 * the gate rule by rule, days in testing, approval, feedback, advisory).
 */
#include "core/common.h"
#include "core/error.h"
#include "http/http.h"
#include "hub/gate.h"
#include "web/html.h"
#include "web/web.h"

#define PER_PAGE 50

static void update_builds(GString *b, json_t *builds, bool table)
{
	json_t *x;
	size_t i;

	json_array_foreach (builds, i, x) {
		char id[24];

		snprintf(id, sizeof(id), "%" PRId64, q_html_jint(x, "id"));
		if (table) {
			g_string_append(b, "<tr><td>");
			q_html_link(b, id, "builds", id, NULL);
			g_string_append(b, "</td><td>");
			q_html_link(b, q_html_jstr(x, "nevr"), "builds", id, NULL);
			g_string_append(b, "</td><td>");
			q_web_state(b, q_html_jstr(x, "state"));
			g_string_append(b, "</td></tr>\n");
			continue;
		}
		if (i)
			g_string_append(b, ", ");
		q_html_link(b, q_html_jstr(x, "nevr"), "builds", id, NULL);
	}
}

static void update_row(GString *b, json_t *u)
{
	char id[24];
	const char *sig = q_html_jstr(u, "sig"), *proj = q_html_jstr(u, "project");

	snprintf(id, sizeof(id), "%" PRId64, q_html_jint(u, "id"));
	g_string_append(b, "<tr><td>");
	q_html_link(b, *q_html_jstr(u, "advisory") ? q_html_jstr(u, "advisory") : id, "updates", id,
		    NULL);
	g_string_append(b, "</td><td>");
	update_builds(b, json_object_get(u, "builds"), false);
	g_string_append(b, "</td><td>");
	q_html_link(b, sig, "sigs", sig, NULL);
	g_string_append(b, "/");
	q_html_link(b, proj, "sigs", sig, "projects", proj, NULL);
	g_string_append(b, "</td><td>");
	q_web_state(b, q_html_jstr(u, "state"));
	g_string_append(b, "</td><td>");
	q_html_jtext(b, u, "type");
	g_string_append(b, "</td><td>");
	q_html_jtime(b, u, "updated");
	g_string_append(b, "</td></tr>\n");
}

void q_page_updates(struct q_request *r)
{
	struct q_error err = {0};
	char sig[64], project[64], state[32], page[16];
	json_t *list = NULL, *u;
	int64_t pg = 1;
	GString *b;
	size_t i, n;

	if (q_web_query(r, "sig", sig, sizeof(sig)) < 0 ||
	    q_web_query(r, "project", project, sizeof(project)) < 0 ||
	    q_web_query(r, "state", state, sizeof(state)) < 0 ||
	    q_web_query(r, "page", page, sizeof(page)) < 0 ||
	    (page[0] && (pg = g_ascii_strtoll(page, NULL, 10)) < 1)) {
		q_html_error(r, 400, "a filter of the update list is malformed");
		return;
	}
	if (q_store_update_list(r->st, sig[0] ? sig : NULL, sig[0] && project[0] ? project : NULL,
				state[0] ? state : NULL, &list, &err) < 0) {
		q_web_fail(r, &err);
		return;
	}
	n = json_array_size(list);
	b = g_string_new(NULL);
	q_html_begin(b, "Updates");
	g_string_append(b, "<h1>Updates</h1>\n<form class=\"filters\" method=\"get\" "
			   "action=\"/updates\">\n<label>SIG<input name=\"sig\" value=\"");
	q_html_text(b, sig);
	g_string_append(b, "\"></label>\n<label>Project<input name=\"project\" value=\"");
	q_html_text(b, project);
	g_string_append(b, "\"></label>\n<label>State<input name=\"state\" value=\"");
	q_html_text(b, state);
	g_string_append(b, "\"></label>\n<button type=\"submit\">Filter</button>\n</form>\n"
			   "<div class=\"table\"><table>\n<thead><tr><th>Update</th><th>Builds</th>"
			   "<th>SIG/project</th><th>State</th><th>Type</th><th>Updated</th></tr>"
			   "</thead>\n<tbody>\n");
	json_array_foreach (list, i, u)
		if ((int64_t)i >= (pg - 1) * PER_PAGE && (int64_t)i < pg * PER_PAGE)
			update_row(b, u);
	if (!n)
		g_string_append(b, "<tr><td colspan=\"6\">No update matches.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
	if ((int64_t)n > pg * PER_PAGE) {
		g_string_append(b, "<nav class=\"pager\"><a rel=\"next\" href=\"/updates?sig=");
		q_html_url(b, sig);
		g_string_append(b, "&amp;project=");
		q_html_url(b, project);
		g_string_append(b, "&amp;state=");
		q_html_url(b, state);
		g_string_append_printf(b, "&amp;page=%" PRId64 "\">Older updates</a></nav>\n",
				       pg + 1);
	}
	q_html_end(b);
	json_decref(list);
	q_html_send(r, 200, b);
}

static void update_facts(GString *b, json_t *u, int64_t now)
{
	const char *sig = q_html_jstr(u, "sig"), *proj = q_html_jstr(u, "project");
	int64_t since = q_html_jint(u, "testing_since");
	const char *repos[] = {"release_repo", "testing_repo"};

	g_string_append(b, "<dl class=\"facts\">\n<dt>State</dt><dd>");
	q_web_state(b, q_html_jstr(u, "state"));
	g_string_append(b, "</dd>\n<dt>Project</dt><dd>");
	q_html_link(b, sig, "sigs", sig, NULL);
	g_string_append(b, "/");
	q_html_link(b, proj, "sigs", sig, "projects", proj, NULL);
	for (size_t i = 0; i < Q_ARRAY_LEN(repos); i++) {
		const char *x = q_html_jstr(u, repos[i]);

		g_string_append(b, i ? "</dd>\n<dt>Testing repo</dt><dd>"
				     : "</dd>\n<dt>Release repo</dt><dd>");
		q_html_link(b, x, "sigs", sig, "projects", proj, "repos", x, NULL);
	}
	g_string_append(b, "</dd>\n<dt>Created</dt><dd>");
	q_html_jtime(b, u, "created");
	g_string_append(b, " by ");
	q_html_jtext(b, u, "created_by");
	g_string_append(b, "</dd>\n<dt>In testing since</dt><dd>");
	q_html_time(b, since);
	if (since > 0)
		g_string_append_printf(b, " (%" PRId64 " days)", (now - since) / 86400);
	g_string_append(b, "</dd>\n<dt>Released</dt><dd>");
	q_html_jtime(b, u, "released");
	g_string_append(b, "</dd>\n<dt>Approved by</dt><dd>");
	q_html_jtext(b, u, "approved_by");
	g_string_append(b, "</dd>\n<dt>Karma</dt><dd>");
	q_html_jtext(b, u, "karma");
	if (*q_html_jstr(u, "revoke_reason")) {
		g_string_append(b, "</dd>\n<dt>Revoked</dt><dd>");
		q_html_jtext(b, u, "revoke_reason");
	}
	g_string_append(b, "</dd>\n<dt>Notes</dt><dd>");
	q_html_jtext(b, u, "notes");
	g_string_append(b, "</dd>\n</dl>\n");
}

static void update_advisory(GString *b, json_t *u)
{
	json_t *ref;
	size_t i;

	g_string_append(b, "<h2>Advisory</h2>\n<dl class=\"facts\">\n<dt>ID</dt><dd>");
	q_html_jtext(b, u, "advisory");
	g_string_append(b, "</dd>\n<dt>Type</dt><dd>");
	q_html_jtext(b, u, "type");
	g_string_append(b, "</dd>\n<dt>Severity</dt><dd>");
	q_html_jtext(b, u, "severity");
	g_string_append(b, "</dd>\n<dt>Title</dt><dd>");
	q_html_jtext(b, u, "title");
	g_string_append(b, "</dd>\n<dt>Issued</dt><dd>");
	q_html_jtime(b, u, "advisory_issued");
	g_string_append(b, "</dd>\n<dt>References</dt><dd>");
	json_array_foreach (json_object_get(u, "references"), i, ref) {
		if (i)
			g_string_append(b, ", ");
		q_web_value(b, ref);
	}
	if (!json_array_size(json_object_get(u, "references")))
		g_string_append(b, "—");
	g_string_append(b, "</dd>\n</dl>\n");
}

static void gate_table(GString *b, json_t *u, json_t *policy, json_t *checks, int64_t now)
{
	const char *to = !strcmp(q_html_jstr(u, "state"), "testing") ? "release" : "testing";
	struct q_error err = {0};
	json_t *rules = NULL, *x;
	size_t i;

	g_string_append(b, "<h2>The gate: to ");
	q_html_text(b, to);
	g_string_append(b, "</h2>\n");
	if (q_gate_status(u, policy, checks, to, now, &rules, &err) < 0) {
		g_string_append(b, "<p class=\"error\">");
		q_html_text(b, err.msg);
		g_string_append(b, "</p>\n");
		return;
	}
	g_string_append(b, "<div class=\"table\"><table>\n<thead><tr><th>Rule</th><th>Asks</th>"
			   "<th>Status</th></tr></thead>\n<tbody>\n");
	json_array_foreach (rules, i, x) {
		bool met = json_is_true(json_object_get(x, "met"));

		g_string_append(b, "<tr><td>");
		q_html_jtext(b, x, "rule");
		g_string_append(b, "</td><td>");
		q_html_jtext(b, x, "asks");
		g_string_append(b,
				met ? "</td><td class=\"met\">met" : "</td><td class=\"unmet\">");
		q_html_text(b, q_html_jstr(x, "reason"));
		g_string_append(b, "</td></tr>\n");
	}
	g_string_append(b, "</tbody></table></div>\n");
	json_decref(rules);
}

static void update_feedback(GString *b, json_t *comments)
{
	json_t *c;
	size_t i;

	g_string_append(b, "<h2>Feedback</h2>\n");
	if (!json_array_size(comments))
		g_string_append(b, "<p>No comment yet.</p>\n");
	json_array_foreach (comments, i, c) {
		g_string_append(b, "<div class=\"comment\"><p><strong>");
		q_html_jtext(b, c, "user");
		g_string_append_printf(b, "</strong> (karma %+" PRId64 ", ",
				       q_html_jint(c, "karma"));
		q_html_jtime(b, c, "created");
		g_string_append(b, ")</p>\n<p>");
		q_html_jtext(b, c, "text");
		g_string_append(b, "</p></div>\n");
	}
}

void q_page_update(struct q_request *r, const char *id)
{
	struct q_error err = {0};
	json_t *u = NULL, *checks = NULL, *proj = NULL, *policy = NULL;
	int64_t now = (int64_t)time(NULL), n = g_ascii_strtoll(id, NULL, 10);
	char title[300];
	GString *b;

	if (n < 1 || q_store_update_get(r->st, n, &u, &err) < 0 ||
	    q_store_update_checks(r->st, n, &checks, &err) < 0 ||
	    q_store_policy_get(r->st, q_html_jint(u, "project_id"), &policy, &err) < 0) {
		if (n < 1)
			q_error_set(&err, Q_ENOTFOUND, "an update's address is /updates/ID");
		json_decref(u);
		json_decref(checks);
		q_web_fail(r, &err);
		return;
	}
	snprintf(title, sizeof(title), "Update %s%s%s", id, *q_html_jstr(u, "advisory") ? " " : "",
		 q_html_jstr(u, "advisory"));
	b = g_string_new(NULL);
	q_html_begin(b, title);
	g_string_append(b, "<h1>");
	q_html_text(b, title);
	g_string_append(b, "</h1>\n");
	update_facts(b, u, now);
	g_string_append(b, "<h2>Builds</h2>\n<div class=\"table\"><table>\n<thead><tr><th>ID</th>"
			   "<th>Build</th><th>State</th></tr></thead>\n<tbody>\n");
	update_builds(b, json_object_get(u, "builds"), true);
	g_string_append(b, "</tbody></table></div>\n");
	gate_table(b, u, policy, checks, now);
	update_advisory(b, u);
	update_feedback(b, json_object_get(u, "comments"));
	q_web_actions(b, "quarry update approve / quarry promote / quarry update unpush / "
			 "quarry update edit / quarry update comment");
	q_html_end(b);
	json_decref(u);
	json_decref(checks);
	json_decref(proj);
	json_decref(policy);
	q_html_send(r, 200, b);
}
