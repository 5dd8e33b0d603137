/*
 * page_build.c: one build: its facts, tasks per arch (state, duration,
 * log), buildroot, checks with their output, RPMs, provenance.
 */
#include "core/common.h"
#include "core/error.h"
#include "http/http.h"
#include "web/html.h"
#include "web/web.h"

static void build_facts(GString *b, json_t *x)
{
	const char *sig = q_html_jstr(x, "sig"), *proj = q_html_jstr(x, "project");

	g_string_append(b, "<dl class=\"facts\">\n<dt>State</dt><dd>");
	q_web_state(b, q_html_jstr(x, "state"));
	if (*q_html_jstr(x, "message")) {
		g_string_append(b, " — ");
		q_html_jtext(b, x, "message");
	}
	g_string_append(b, "</dd>\n<dt>Project</dt><dd>");
	q_html_link(b, sig, "sigs", sig, NULL);
	g_string_append(b, "/");
	q_html_link(b, proj, "sigs", sig, "projects", proj, NULL);
	g_string_append(b, "</dd>\n<dt>Package</dt><dd><a href=\"/builds?package=");
	q_html_url(b, q_html_jstr(x, "name"));
	g_string_append(b, "\">");
	q_html_jtext(b, x, "name");
	g_string_append(b, "</a></dd>\n<dt>Owner</dt><dd><a href=\"/builds?owner=");
	q_html_url(b, q_html_jstr(x, "owner"));
	g_string_append(b, "\">");
	q_html_jtext(b, x, "owner");
	g_string_append(b, "</a></dd>\n<dt>Dist tag</dt><dd><code>");
	q_html_jtext(b, x, "dist_tag");
	g_string_append(b, "</code></dd>\n<dt>Scratch</dt><dd>");
	q_html_jtext(b, x, "scratch");
	g_string_append(b, "</dd>\n<dt>Created</dt><dd>");
	q_html_jtime(b, x, "created");
	g_string_append(b, "</dd>\n<dt>Finished</dt><dd>");
	q_html_jtime(b, x, "finished");
	g_string_append(b, "</dd>\n</dl>\n");
}

static void task_row(GString *b, const char *bid, json_t *t)
{
	int64_t started = q_html_jint(t, "started"), finished = q_html_jint(t, "finished");
	char tid[24];

	snprintf(tid, sizeof(tid), "%" PRId64, q_html_jint(t, "id"));
	g_string_append(b, "<tr><td>");
	q_html_text(b, tid);
	g_string_append(b, "</td><td>");
	q_html_jtext(b, t, "kind");
	g_string_append(b, "</td><td>");
	q_html_jtext(b, t, "arch");
	g_string_append(b, "</td><td>");
	q_web_state(b, q_html_jstr(t, "state"));
	g_string_append(b, "</td><td>");
	q_html_jtext(b, t, "worker");
	g_string_append(b, "</td><td>");
	if (started && finished >= started)
		q_html_duration(b, finished - started);
	else
		g_string_append(b, "—");
	g_string_append(b, "</td><td>");
	q_html_jtext(b, t, "message");
	g_string_append(b, "</td><td><a href=\"");
	q_html_href(b, "api", "v1", "builds", bid, "tasks", tid, "log", NULL);
	g_string_append(b, "\">log</a></td></tr>\n");
}

static void build_tasks(GString *b, const char *bid, json_t *tasks)
{
	json_t *t;
	size_t i;

	g_string_append(b,
			"<h2>Tasks</h2>\n<div class=\"table\"><table>\n<thead><tr><th>Task</th>"
			"<th>Kind</th><th>Arch</th><th>State</th><th>Worker</th><th>Duration</th>"
			"<th>Message</th><th>Log</th></tr></thead>\n<tbody>\n");
	json_array_foreach (tasks, i, t)
		task_row(b, bid, t);
	g_string_append(b, "</tbody></table></div>\n<p class=\"muted\">A running task's log grows "
			   "at its link (plain text; reload to follow).</p>\n");
}

static void build_buildroot(GString *b, json_t *tasks)
{
	json_t *t;
	size_t i;

	g_string_append(b, "<h2>Buildroot</h2>\n");
	json_array_foreach (tasks, i, t) {
		g_string_append(b, "<h3>");
		q_html_jtext(b, t, "arch");
		g_string_append(b, " (task ");
		q_html_jtext(b, t, "id");
		g_string_append(b, ", backend ");
		q_html_jtext(b, t, "backend");
		g_string_append(b, ")</h3>\n<p>Repos: ");
		q_web_value(b, json_object_get(t, "buildroot_repos"));
		g_string_append(b, "</p>\n<p>Packages: ");
		q_web_value(b, json_object_get(t, "buildroot"));
		g_string_append(b, "</p>\n");
	}
}

static void build_checks(GString *b, json_t *checks)
{
	json_t *c;
	size_t i;

	g_string_append(b, "<h2>Checks</h2>\n");
	if (!json_array_size(checks))
		g_string_append(b, "<p>No check has run.</p>\n");
	json_array_foreach (checks, i, c) {
		g_string_append(b, "<details>\n<summary><strong>");
		q_html_jtext(b, c, "name");
		g_string_append(b, "</strong> ");
		q_web_state(b, q_html_jstr(c, "state"));
		g_string_append(b, ": ");
		q_html_jtext(b, c, "summary");
		g_string_append(b, "</summary>\n<pre>");
		q_html_text(b, q_html_jstr(c, "output"));
		g_string_append(b, "</pre>\n</details>\n");
	}
}

static void build_rpms(GString *b, const char *bid, json_t *arts)
{
	json_t *a;
	size_t i;

	g_string_append(b, "<h2>RPMs</h2>\n<div class=\"table\"><table>\n<thead><tr><th>File</th>"
			   "<th>Arch</th><th>Size</th><th>SHA-256</th></tr></thead>\n<tbody>\n");
	json_array_foreach (arts, i, a) {
		g_string_append(b, "<tr><td><a href=\"");
		q_html_href(b, "api", "v1", "builds", bid, "artifacts", q_html_jstr(a, "name"),
			    NULL);
		g_string_append(b, "\">");
		q_html_jtext(b, a, "name");
		g_string_append(b, "</a></td><td>");
		q_html_jtext(b, a, "arch");
		g_string_append(b, "</td><td>");
		q_html_jtext(b, a, "size");
		g_string_append(b, "</td><td class=\"hash\">");
		q_html_jtext(b, a, "sha256");
		g_string_append(b, "</td></tr>\n");
	}
	if (!json_array_size(arts))
		g_string_append(b, "<tr><td colspan=\"4\">No RPM (yet).</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
}

static void build_provenance(GString *b, const char *bid, json_t *x)
{
	static const char *const keys[][2] = {
	    {"source", "Source"},
	    {"git_url", "Git repository"},
	    {"git_ref", "Git ref"},
	    {"commit", "Commit"},
	    {"spec_sha256", "Spec SHA-256"},
	    {"bundle_sha256", "Source bundle SHA-256"},
	    {"srpm_sha256", "SRPM SHA-256"},
	};

	g_string_append(b, "<h2>Provenance</h2>\n<dl class=\"facts\">\n");
	for (size_t i = 0; i < Q_ARRAY_LEN(keys); i++) {
		if (!*q_html_jstr(x, keys[i][0]))
			continue;
		g_string_append(b, "<dt>");
		q_html_text(b, keys[i][1]);
		g_string_append(b, "</dt><dd class=\"hash\">");
		q_html_jtext(b, x, keys[i][0]);
		g_string_append(b, "</dd>\n");
	}
	g_string_append(b, "<dt>Lookaside</dt><dd>");
	q_web_value(b, json_object_get(x, "lookaside"));
	g_string_append(b, "</dd>\n</dl>\n<p>The signed-off statement (in-toto, SLSA provenance): "
			   "<a href=\"");
	q_html_href(b, "api", "v1", "builds", bid, "provenance", NULL);
	g_string_append(b, "\">provenance JSON</a></p>\n");
}

void q_page_build(struct q_request *r, const char *id)
{
	struct q_error err = {0};
	json_t *x = NULL, *checks = NULL;
	GString *b;
	char *end, title[300];
	int64_t n = strtoll(id, &end, 10);

	if (*end || n < 1) {
		q_html_error(r, 404, "a build's address is /builds/ID, ID a number");
		return;
	}
	if (q_store_build_get(r->st, n, 1, &x, &err) < 0 ||
	    q_store_check_list(r->st, n, &checks, &err) < 0) {
		json_decref(x);
		q_web_fail(r, &err);
		return;
	}
	snprintf(title, sizeof(title), "Build %s: %s", id,
		 *q_html_jstr(x, "nevr") ? q_html_jstr(x, "nevr") : q_html_jstr(x, "name"));
	b = g_string_new(NULL);
	q_html_begin(b, title);
	g_string_append(b, "<h1>");
	q_html_text(b, title);
	g_string_append(b, "</h1>\n");
	build_facts(b, x);
	build_tasks(b, id, json_object_get(x, "tasks"));
	build_rpms(b, id, json_object_get(x, "artifacts"));
	build_checks(b, checks);
	build_buildroot(b, json_object_get(x, "tasks"));
	build_provenance(b, id, x);
	q_web_actions(b, "quarry build cancel / quarry build resubmit / quarry check");
	q_html_end(b);
	json_decref(x);
	json_decref(checks);
	q_html_send(r, 200, b);
}
