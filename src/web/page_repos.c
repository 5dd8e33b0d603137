/*
 * page_repos.c: a project (dist tag, branch, arches, repos, buildroot,
 * policy) and a repo (packages per arch, publish history).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"
#include "http/http.h"
#include "web/html.h"
#include "web/web.h"

static void arches(GString *b, json_t *o)
{
	json_t *a;
	size_t i;

	json_array_foreach (json_object_get(o, "arches"), i, a) {
		if (i)
			g_string_append(b, ", ");
		q_html_text(b, json_string_value(a));
	}
}

static void project_facts(GString *b, const char *sig, json_t *p)
{
	g_string_append(b, "<dl class=\"facts\">\n<dt>SIG</dt><dd>");
	q_html_link(b, sig, "sigs", sig, NULL);
	g_string_append(b, "</dd>\n<dt>Dist tag</dt><dd><code>");
	q_html_jtext(b, p, "dist_tag");
	g_string_append(b, "</code></dd>\n<dt>Branch</dt><dd><code>");
	q_html_jtext(b, p, "branch");
	g_string_append(b, "</code></dd>\n<dt>Major</dt><dd>");
	q_html_jtext(b, p, "major");
	g_string_append(b, "</dd>\n<dt>Arches</dt><dd>");
	arches(b, p);
	g_string_append(b, "</dd>\n<dt>Created</dt><dd>");
	q_html_jtime(b, p, "created");
	g_string_append(b, "</dd>\n</dl>\n");
}

static void project_repos(GString *b, const char *sig, const char *proj, json_t *repos)
{
	json_t *x;
	size_t i;

	g_string_append(b, "<h2>Repos</h2>\n<div class=\"table\"><table>\n<thead><tr><th>Repo</th>"
			   "<th>Channel</th><th>Arches</th><th>Published at</th></tr></thead>\n"
			   "<tbody>\n");
	json_array_foreach (repos, i, x) {
		const char *name = q_html_jstr(x, "name");

		g_string_append(b, "<tr><td>");
		q_html_link(b, name, "sigs", sig, "projects", proj, "repos", name, NULL);
		g_string_append(b, "</td><td>");
		q_html_jtext(b, x, "channel");
		g_string_append(b, "</td><td>");
		arches(b, x);
		g_string_append(b, "</td><td><code>");
		q_html_jtext(b, x, "path");
		g_string_append(b, "</code></td></tr>\n");
	}
	g_string_append(b, "</tbody></table></div>\n");
}

static void project_config(struct q_request *r, GString *b, int64_t id)
{
	struct q_error err = {0};
	json_t *tags = NULL, *policy = NULL, *t;
	size_t i;

	g_string_append(b, "<h2>Buildroot</h2>\n");
	if (q_store_buildtags_get(r->st, id, &tags, &err) < 0 || !json_array_size(tags))
		g_string_append(b, "<p>No build tag: the buildroot is the worker's default "
				   "for the major.</p>\n");
	json_array_foreach (tags, i, t)
		q_web_dl(b, t);
	g_string_append(b, "<h2>Policy</h2>\n");
	if (q_store_policy_get(r->st, id, &policy, &err) == 0)
		q_web_dl(b, policy);
	json_decref(tags);
	json_decref(policy);
}

void q_page_project(struct q_request *r, const char *sig, const char *project)
{
	struct q_error err = {0};
	json_t *p = NULL, *repos = NULL;
	GString *b;
	char title[200];

	if (q_name_check(Q_NAME_SIG, "sig name", sig, &err) < 0 ||
	    q_store_project_get(r->st, sig, project, &p, &err) < 0 ||
	    q_store_repo_list(r->st, sig, project, &repos, &err) < 0) {
		json_decref(p);
		q_web_fail(r, &err);
		return;
	}
	snprintf(title, sizeof(title), "%s/%s", sig, project);
	b = g_string_new(NULL);
	q_html_begin(b, title);
	g_string_append(b, "<h1>Project ");
	q_html_text(b, title);
	g_string_append(b, "</h1>\n");
	project_facts(b, sig, p);
	project_repos(b, sig, project, repos);
	project_config(r, b, q_html_jint(p, "id"));
	g_string_append(b, "<p><a href=\"/builds?sig=");
	q_html_url(b, sig);
	g_string_append(b, "&amp;project=");
	q_html_url(b, project);
	g_string_append(b, "\">Builds of this project</a> · <a href=\"/updates?sig=");
	q_html_url(b, sig);
	g_string_append(b, "&amp;project=");
	q_html_url(b, project);
	g_string_append(b, "\">Updates</a></p>\n");
	q_web_actions(b, "quarry policy set / quarry buildroot set / quarry repo create");
	q_html_end(b);
	json_decref(p);
	json_decref(repos);
	q_html_send(r, 200, b);
}

/* One row per package name and version; its arches side by side. */
static void repo_packages(GString *b, json_t *pkgs)
{
	json_t *x;
	size_t i;

	g_string_append(b, "<h2>Packages</h2>\n<div class=\"table\"><table>\n<thead><tr>"
			   "<th>Package</th><th>Version</th><th>Arch</th><th>Summary</th>"
			   "<th>SHA-256</th></tr></thead>\n<tbody>\n");
	json_array_foreach (pkgs, i, x) {
		const char *epoch = q_html_jstr(x, "epoch");

		g_string_append(b, "<tr><td><a href=\"/packages?name=");
		q_html_url(b, q_html_jstr(x, "name"));
		g_string_append(b, "\">");
		q_html_jtext(b, x, "name");
		g_string_append(b, "</a></td><td>");
		if (*epoch && strcmp(epoch, "0")) {
			q_html_text(b, epoch);
			g_string_append(b, ":");
		}
		q_html_text(b, q_html_jstr(x, "version"));
		g_string_append(b, "-");
		q_html_text(b, q_html_jstr(x, "release"));
		g_string_append(b, "</td><td>");
		q_html_jtext(b, x, "arch");
		g_string_append(b, "</td><td>");
		q_html_xml_text(b, q_html_jstr(x, "summary_xml"));
		g_string_append(b, "</td><td class=\"hash\">");
		q_html_jtext(b, x, "sha256");
		g_string_append(b, "</td></tr>\n");
	}
	if (!json_array_size(pkgs))
		g_string_append(b, "<tr><td colspan=\"5\">No package yet.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
}

static void repo_history(GString *b, json_t *hist)
{
	json_t *x;
	size_t i;

	g_string_append(b, "<h2>Publish history</h2>\n<div class=\"table\"><table>\n<thead><tr>"
			   "<th>Time</th><th>Arch</th><th>Packages</th><th>repomd.xml SHA-256</th>"
			   "</tr></thead>\n<tbody>\n");
	json_array_foreach (hist, i, x) {
		g_string_append(b, "<tr><td>");
		q_html_jtime(b, x, "time");
		g_string_append(b, "</td><td>");
		q_html_jtext(b, x, "arch");
		g_string_append(b, "</td><td>");
		q_html_jtext(b, x, "packages");
		g_string_append(b, "</td><td class=\"hash\">");
		q_html_jtext(b, x, "sha256");
		g_string_append(b, "</td></tr>\n");
	}
	if (!json_array_size(hist))
		g_string_append(b, "<tr><td colspan=\"4\">Never published.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
}

static void repo_facts(GString *b, const char *sig, const char *project, json_t *repo)
{
	g_string_append(b, "<dl class=\"facts\">\n<dt>Project</dt><dd>");
	q_html_link(b, project, "sigs", sig, "projects", project, NULL);
	g_string_append(b, " of ");
	q_html_link(b, sig, "sigs", sig, NULL);
	g_string_append(b, "</dd>\n<dt>Channel</dt><dd>");
	q_html_jtext(b, repo, "channel");
	g_string_append(b, "</dd>\n<dt>Dist tag</dt><dd><code>");
	q_html_jtext(b, repo, "dist_tag");
	g_string_append(b, "</code></dd>\n<dt>Arches</dt><dd>");
	arches(b, repo);
	g_string_append(b, "</dd>\n<dt>Published at</dt><dd><code>");
	q_html_jtext(b, repo, "path");
	g_string_append(b, "</code></dd>\n</dl>\n");
}

/* The mirrors' last check of this repo (key sig-S-R-MAJOR), per arch. */
static void repo_mirrors(struct q_request *r, GString *b, const char *sig, const char *repo,
			 int64_t major)
{
	struct q_error err = {0};
	json_t *checks = NULL, *c;
	char key[300];
	size_t i, n = 0;

	snprintf(key, sizeof(key), "sig-%s-%s-%" PRId64, sig, repo, major);
	g_string_append(b, "<h2>Mirrors</h2>\n<div class=\"table\"><table>\n<thead><tr>"
			   "<th>Mirror</th><th>Arch</th><th>State</th><th>Last check</th></tr>"
			   "</thead>\n<tbody>\n");
	if (q_store_mirror_checks(r->st, NULL, &checks, &err) < 0)
		q_warn("repo page: %s", err.msg);
	json_array_foreach (checks, i, c) {
		if (strcmp(q_html_jstr(c, "repo"), key))
			continue;
		n++;
		g_string_append(b, "<tr><td>");
		if (q_html_jstr(c, "mirror")[0] == ':') /* the hub itself, checked like one */
			g_string_append(b, "this hub (the master)");
		else
			q_html_link(b, q_html_jstr(c, "mirror"), "mirrors",
				    q_html_jstr(c, "mirror"), NULL);
		g_string_append(b, "</td><td>");
		q_html_jtext(b, c, "arch");
		g_string_append(b, "</td><td>");
		q_web_state(b, q_html_jstr(c, "state"));
		g_string_append(b, "</td><td>");
		q_html_jtime(b, c, "last_check");
		g_string_append(b, "</td></tr>\n");
	}
	if (!n)
		g_string_append(b, "<tr><td colspan=\"4\">No mirror has been checked for this "
				   "repo.</td></tr>\n");
	g_string_append(b, "</tbody></table></div>\n");
	json_decref(checks);
}

void q_page_repo(struct q_request *r, const char *sig, const char *project, const char *repo)
{
	struct q_error err = {0};
	json_t *x = NULL, *pkgs = NULL, *hist = NULL;
	GString *b;
	char title[300];
	int64_t id;

	if (q_name_check(Q_NAME_SIG, "sig name", sig, &err) < 0 ||
	    q_store_repo_get(r->st, sig, project, repo, &x, &err) < 0 ||
	    q_store_repo_packages_summary(r->st, id = q_html_jint(x, "id"), &pkgs, &err) < 0 ||
	    q_store_publish_history(r->st, id, 50, &hist, &err) < 0) {
		json_decref(x);
		json_decref(pkgs);
		q_web_fail(r, &err);
		return;
	}
	snprintf(title, sizeof(title), "%s/%s/%s", sig, project, repo);
	b = g_string_new(NULL);
	q_html_begin(b, title);
	g_string_append(b, "<h1>Repo ");
	q_html_text(b, title);
	g_string_append(b, "</h1>\n");
	repo_facts(b, sig, project, x);
	repo_packages(b, pkgs);
	repo_history(b, hist);
	repo_mirrors(r, b, sig, repo, q_html_jint(x, "major"));
	q_web_actions(b, "quarry upload / quarry tag / quarry publish");
	q_html_end(b);
	json_decref(x);
	json_decref(pkgs);
	json_decref(hist);
	q_html_send(r, 200, b);
}
