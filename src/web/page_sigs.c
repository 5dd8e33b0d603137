/*
 * page_sigs.c: the SIG catalog (home), a SIG, a project, a repo.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "http/http.h"
#include "hub/hub.h"
#include "web/html.h"
#include "web/web.h"

#include <sys/stat.h>

/* A user has no page: their name links to their builds. */
static void user_link(GString *b, const char *user)
{
	g_string_append(b, "<a href=\"/builds?owner=");
	q_html_url(b, user);
	g_string_append(b, "\">");
	q_html_text(b, user);
	g_string_append(b, "</a>");
}

/* Comma-separated links to /sigs/SIG/projects/P for each name of arr
 * (sig NULL: the names as text). */
static void name_list(GString *b, json_t *arr, const char *sig)
{
	json_t *v;
	size_t i;

	if (json_array_size(arr) == 0)
		g_string_append(b, "—");
	json_array_foreach (arr, i, v) {
		if (i)
			g_string_append(b, ", ");
		if (sig)
			q_html_link(b, json_string_value(v), "sigs", sig, "projects",
				    json_string_value(v), NULL);
		else
			user_link(b, json_string_value(v));
	}
}

void q_page_home(struct q_request *r)
{
	struct q_error err = {0};
	json_t *sigs = NULL, *s;
	GString *b;
	size_t i;

	if (q_store_sig_catalog(r->st, &sigs, &err) < 0) {
		q_web_fail(r, &err);
		return;
	}
	b = g_string_new(NULL);
	q_html_begin(b, "Special Interest Groups");
	g_string_append(b,
			"<h1>Special Interest Groups</h1>\n"
			"<form class=\"filters\" method=\"get\" action=\"/packages\">\n"
			"<label>Find a package<input type=\"search\" name=\"name\"></label>\n"
			"<button type=\"submit\">Search</button>\n</form>\n"
			"<div class=\"table\"><table>\n<thead><tr><th>SIG</th><th>Purpose</th>"
			"<th>Status</th><th>Leads</th><th>Projects</th></tr></thead>\n<tbody>\n");
	json_array_foreach (sigs, i, s) {
		const char *name = q_html_jstr(s, "name");

		g_string_append(b, "<tr><td>");
		q_html_link(b, name, "sigs", name, NULL);
		g_string_append(b, "<br><span class=\"muted\">");
		q_html_jtext(b, s, "title");
		g_string_append(b, "</span></td><td>");
		q_html_jtext(b, s, "purpose");
		g_string_append(b, "</td><td>");
		q_web_state(b, q_html_jstr(s, "status"));
		g_string_append(b, "</td><td>");
		name_list(b, json_object_get(s, "leads"), NULL);
		g_string_append(b, "</td><td>");
		name_list(b, json_object_get(s, "projects"), name);
		g_string_append(b, "</td></tr>\n");
	}
	if (json_array_size(sigs) == 0)
		g_string_append(b, "<tr><td colspan=\"5\">No SIG yet.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
	q_html_end(b);
	json_decref(sigs);
	q_html_send(r, 200, b);
}

/* A link whose target comes from data: only http(s) URLs become links. */
static void ext_link(GString *b, const char *url)
{
	if (!g_str_has_prefix(url, "https://") && !g_str_has_prefix(url, "http://")) {
		q_html_text(b, url);
		return;
	}
	g_string_append(b, "<a rel=\"nofollow\" href=\"");
	q_html_text(b, url);
	g_string_append(b, "\">");
	q_html_text(b, url);
	g_string_append(b, "</a>");
}

static void sig_facts(GString *b, json_t *sig)
{
	static const char *const links[][2] = {
	    {"wiki", "Wiki"}, {"chat", "Chat"}, {"mailing_list", "Mailing list"}};

	g_string_append(b, "<dl class=\"facts\">\n<dt>Name</dt><dd>");
	q_html_jtext(b, sig, "name");
	g_string_append(b, " (dist tag suffix <code>");
	q_html_jtext(b, sig, "short_name");
	g_string_append(b, "</code>)</dd>\n<dt>Status</dt><dd>");
	q_web_state(b, q_html_jstr(sig, "status"));
	g_string_append(b, "</dd>\n<dt>Purpose</dt><dd>");
	q_html_jtext(b, sig, "purpose");
	g_string_append(b, "</dd>\n");
	for (size_t i = 0; i < Q_ARRAY_LEN(links); i++) {
		const char *v = q_html_jstr(sig, links[i][0]);

		if (!*v)
			continue;
		g_string_append(b, "<dt>");
		q_html_text(b, links[i][1]);
		g_string_append(b, "</dt><dd>");
		ext_link(b, v);
		g_string_append(b, "</dd>\n");
	}
	g_string_append(b, "<dt>Created</dt><dd>");
	q_html_jtime(b, sig, "created");
	g_string_append(b, "</dd>\n</dl>\n");
}

static void sig_members(GString *b, json_t *members)
{
	json_t *m;
	size_t i;

	g_string_append(b, "<h2>Members</h2>\n<div class=\"table\"><table>\n"
			   "<thead><tr><th>User</th><th>Role</th></tr></thead>\n<tbody>\n");
	json_array_foreach (members, i, m) {
		g_string_append(b, "<tr><td>");
		user_link(b, q_html_jstr(m, "user"));
		g_string_append(b, "</td><td>");
		q_html_jtext(b, m, "role");
		g_string_append(b, "</td></tr>\n");
	}
	if (!json_array_size(members))
		g_string_append(b, "<tr><td colspan=\"2\">No member yet.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
}

static void sig_keys(GString *b, json_t *keys)
{
	json_t *k;
	size_t i;

	g_string_append(b, "<h2>Signing keys</h2>\n<div class=\"table\"><table>\n<thead><tr>"
			   "<th>Fingerprint</th><th>Created</th><th>Retired</th><th>Key</th>"
			   "</tr></thead>\n<tbody>\n");
	json_array_foreach (keys, i, k) {
		g_string_append(b, "<tr><td class=\"hash\">");
		q_html_jtext(b, k, "fpr");
		if (json_is_true(json_object_get(k, "current")))
			g_string_append(b, " <strong>(current)</strong>");
		g_string_append(b, "</td><td>");
		q_html_jtime(b, k, "created");
		g_string_append(b, "</td><td>");
		q_html_jtime(b, k, "retired");
		g_string_append(b, "</td><td><a href=\"");
		q_html_text(b, q_html_jstr(k, "url"));
		g_string_append(b, "\">download</a></td></tr>\n");
	}
	g_string_append(b, "</tbody></table></div>\n");
}

/* Whether the stable .repo file of sig on major exists (published). */
static bool release_file(struct q_request *r, const char *major, const char *sig)
{
	char path[1400];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/pub/sig/%s/%s/sig-%s.repo", r->hub->cfg.data_dir, major,
		 sig, sig);
	return stat(path, &sb) == 0;
}

/* How to install: the stable release package URL and .repo file per major. */
static void sig_install(struct q_request *r, GString *b, const char *sig, json_t *projects)
{
	GString *seen = g_string_new(",");
	json_t *p;
	size_t i;

	g_string_append(b, "<h2>How to install</h2>\n");
	json_array_foreach (projects, i, p) {
		char maj[32];

		snprintf(maj, sizeof(maj), "%" PRId64 ",", q_html_jint(p, "major"));
		if (strstr(seen->str, maj))
			continue;
		g_string_append(seen, maj);
		maj[strlen(maj) - 1] = '\0';
		if (!release_file(r, maj, sig)) {
			g_string_append(b, "<p>On Enterprise Linux ");
			q_html_text(b, maj);
			g_string_append(b,
					": the SIG's release package is not built yet (a project "
					"of the major needs its release repo).</p>\n");
			continue;
		}
		g_string_append(b, "<p>On Enterprise Linux ");
		q_html_text(b, maj);
		g_string_append(b, ":</p>\n<pre>dnf install ");
		q_html_text(b, r->hub->cfg.public_url);
		g_string_append(b, "/pub/sig/");
		q_html_url(b, maj);
		g_string_append(b, "/");
		q_html_url(b, sig);
		g_string_append(b, "/sig-");
		q_html_url(b, sig);
		g_string_append(b,
				"-release.noarch.rpm</pre>\n<p>or the repository file: <a href=\"");
		q_html_href(b, "pub", "sig", maj, sig, NULL);
		g_string_append(b, "/sig-");
		q_html_url(b, sig);
		g_string_append(b, ".repo\">sig-");
		q_html_text(b, sig);
		g_string_append(b, ".repo</a> (into /etc/yum.repos.d/)</p>\n");
	}
	if (!json_array_size(projects))
		g_string_append(b, "<p>The SIG has no project yet.</p>\n");
	g_string_free(seen, TRUE);
}

static void repo_rows(GString *b, json_t *repos)
{
	json_t *x;
	size_t i;

	json_array_foreach (repos, i, x) {
		const char *sig = q_html_jstr(x, "sig"), *proj = q_html_jstr(x, "project");
		const char *name = q_html_jstr(x, "name");
		json_t *a;
		size_t k;

		g_string_append(b, "<tr><td>");
		q_html_link(b, proj, "sigs", sig, "projects", proj, NULL);
		g_string_append(b, "</td><td>");
		q_html_link(b, name, "sigs", sig, "projects", proj, "repos", name, NULL);
		g_string_append(b, "</td><td>");
		q_html_jtext(b, x, "channel");
		g_string_append(b, "</td><td>");
		json_array_foreach (json_object_get(x, "arches"), k, a) {
			if (k)
				g_string_append(b, ", ");
			q_html_text(b, json_string_value(a));
		}
		g_string_append(b, "</td></tr>\n");
	}
}

static void sig_projects(struct q_request *r, GString *b, const char *sig, json_t *projects)
{
	json_t *p;
	size_t i;

	g_string_append(b, "<h2>Projects and repos</h2>\n<div class=\"table\"><table>\n<thead><tr>"
			   "<th>Project</th><th>Repo</th><th>Channel</th><th>Arches</th>"
			   "</tr></thead>\n<tbody>\n");
	json_array_foreach (projects, i, p) {
		struct q_error err = {0};
		json_t *repos = NULL;

		if (q_store_repo_list(r->st, sig, q_html_jstr(p, "name"), &repos, &err) == 0)
			repo_rows(b, repos);
		json_decref(repos);
	}
	g_string_append(b, "</tbody></table></div>\n");
}

void q_page_sig(struct q_request *r, const char *name)
{
	struct q_error err = {0};
	json_t *sig = NULL, *keys = NULL, *projects = NULL;
	GString *b;

	if (q_name_check(Q_NAME_SIG, "sig name", name, &err) < 0 ||
	    q_store_sig_get(r->st, name, 1, &sig, &err) < 0 ||
	    q_store_sig_keys(r->st, name, &keys, &err) < 0 ||
	    q_store_project_list(r->st, name, &projects, &err) < 0) {
		json_decref(sig);
		json_decref(keys);
		q_web_fail(r, &err);
		return;
	}
	b = g_string_new(NULL);
	q_html_begin(b, q_html_jstr(sig, "title"));
	g_string_append(b, "<h1>");
	q_html_jtext(b, sig, "title");
	g_string_append(b, "</h1>\n");
	sig_facts(b, sig);
	sig_install(r, b, name, projects);
	sig_projects(r, b, name, projects);
	sig_members(b, json_object_get(sig, "members"));
	sig_keys(b, keys);
	q_web_actions(b, "quarry sig edit / quarry sig member add / quarry sig key rotate");
	q_html_end(b);
	json_decref(sig);
	json_decref(keys);
	json_decref(projects);
	q_html_send(r, 200, b);
}
