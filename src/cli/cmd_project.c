/*
 * cmd_project.c: `quarry project`: list, show and create the projects of a
 * SIG (a SIG × an EL major × a variant, e.g. mc on EL9: branch
 * r9-sig-mc-1, dist tag .el9.mc).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

enum { O_MAJOR, O_VARIANT, O_ARCH, O_FILE, O_RELEASEVER, O_REPO, O_PACKAGES, O_MACRO };
#define B(o) (1u << (o))
#define TAG_FLAGS (B(O_RELEASEVER) | B(O_REPO) | B(O_PACKAGES) | B(O_MACRO))

static const struct q_cli_opt project_opts[] = {
    [O_MAJOR] = {"major", "N", "Enterprise Linux major version, e.g. 9"},
    [O_VARIANT] = {"variant", "V", "variant of the project (default 1; branch rN-sig-SIG-V)"},
    [O_ARCH] = {"arch", "LIST",
		"create: comma-separated arches, e.g. x86_64,aarch64; buildroot set: the "
		"tag's one arch, or '*' for every arch (the default)"},
    [O_FILE] = {"file", "FILE",
		"buildroot set: the whole build tag list as JSON, {\"tags\":[…]} as "
		"GET …/buildroot gives it (replaces every arch's tag; instead of the options "
		"below)"},
    [O_RELEASEVER] = {"releasever", "V", "buildroot set: dnf's $releasever (default: the major)"},
    [O_REPO] =
	{"repo", "NAME=URL|NAME=@REPO",
	 "buildroot set: a repo, in order, repeatable: an external URL (http://, https://, "
	 "file://; $releasever and $basearch are replaced) or @REPO, a repo of this project"},
    [O_PACKAGES] = {"packages", "\"A B C\"", "buildroot set: the base packages of every build"},
    [O_MACRO] = {"macro", "NAME=VALUE",
		 "buildroot set: an rpm macro, repeatable (not dist: it is always the "
		 "project's dist tag)"},
};

static const struct q_col project_cols[] = {
    {"name", "NAME"},     {"major", "MAJOR"},   {"variant", "VARIANT"},
    {"dist_tag", "DIST"}, {"branch", "BRANCH"}, {"arches", "ARCHES"},
};

static const struct q_col project_fields[] = {
    {"sig", "sig"},       {"name", "name"},         {"major", "major"},   {"variant", "variant"},
    {"branch", "branch"}, {"dist_tag", "dist tag"}, {"arches", "arches"}, {"created", "created"},
};

static const struct q_col repo_cols[] = {
    {"name", "REPO"},
    {"channel", "CHANNEL"},
    {"arches", "ARCHES"},
    {"path", "PATH"},
};

static void print_project(const json_t *p)
{
	const json_t *repos = json_object_get(p, "repos");

	q_out_fields(p, project_fields, Q_ARRAY_LEN(project_fields));
	if (json_is_array(repos)) {
		printf("repos:%s\n", json_array_size(repos) ? "" : " -");
		if (json_array_size(repos))
			q_out_table(repos, repo_cols, Q_ARRAY_LEN(repo_cols));
	}
}

static int project_list(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *sig = NULL;
	char *path = NULL;
	json_t *ans = NULL;
	int ret = 0;

	if (q_cli_split_path(a->words[0], 1, &sig, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	path = q_client_path(c, "sigs", sig, "projects", NULL);
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		q_out_table(json_object_get(ans, "projects"), project_cols,
			    Q_ARRAY_LEN(project_cols));
out:
	json_decref(ans);
	g_free(path);
	g_free(sig);
	return ret;
}

static int project_show(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	char *path = NULL;
	json_t *ans = NULL;
	int ret = 0;

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], NULL);
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		print_project(ans);
out:
	json_decref(ans);
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

static int project_create(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	char *path = NULL;
	json_t *arches = NULL;
	json_t *body = NULL;
	json_t *ans = NULL;
	long major = 0;
	int ret = 0;

	const char *variant = a->val[O_VARIANT] ? a->val[O_VARIANT] : "1";

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0 ||
	    q_cli_parse_long(a->val[O_MAJOR], 1, 99, "major", &major, &err) < 0 ||
	    q_name_check(Q_NAME_VARIANT, "variant", variant, &err) < 0 ||
	    !(arches = q_cli_parse_arches(a->val[O_ARCH], &err))) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	body = json_pack("{s:s, s:I, s:s, s:O}", "name", parts[1], "major", (json_int_t)major,
			 "variant", variant, "arches", arches);
	path = q_client_path(c, "sigs", parts[0], "projects", NULL);
	if (q_client_call(c, "POST", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		print_project(ans);
out:
	json_decref(ans);
	json_decref(body);
	json_decref(arches);
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

static void print_tags(const json_t *ans)
{
	const json_t *tags = json_object_get(ans, "tags"), *t, *r;
	size_t i, j;

	if (!json_array_size(tags)) {
		printf("no build tag: workers build with their own configuration\n");
		return;
	}
	json_array_foreach (tags, i, t) {
		const json_t *m;
		const char *k;

		printf("%sarch: %s\nreleasever: %s\nrepos:%s\n", i ? "\n" : "",
		       json_string_value(json_object_get(t, "arch")),
		       json_string_value(json_object_get(t, "releasever")),
		       json_array_size(json_object_get(t, "repos")) ? "" : " -");
		json_array_foreach (json_object_get(t, "repos"), j, r) {
			if (json_object_get(r, "repo"))
				printf("  %-20s @%s (this project's repo)\n",
				       json_string_value(json_object_get(r, "name")),
				       json_string_value(json_object_get(r, "repo")));
			else
				printf("  %-20s %s\n",
				       json_string_value(json_object_get(r, "name")),
				       json_string_value(json_object_get(r, "url")));
		}
		printf("packages:");
		json_array_foreach (json_object_get(t, "packages"), j, r)
			printf(" %s", json_string_value(r));
		printf("%s\nmacros:%s\n",
		       json_array_size(json_object_get(t, "packages")) ? "" : " -",
		       json_object_size(json_object_get(t, "macros")) ? "" : " -");
		m = json_object_get(t, "macros");
		json_object_foreach ((json_t *)m, k, r)
			printf("  %%%s %s\n", k, json_string_value(r));
		printf("dist: always the project's dist tag\n");
	}
}

static int buildroot_show(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	char *path = NULL;
	json_t *ans = NULL;
	int ret = 0;

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "buildroot", NULL);
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		print_tags(ans);
out:
	json_decref(ans);
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

/* One tag from the options; NULL + a usage message in err. */
static json_t *tag_from_options(struct q_cli_args *a, struct q_error *err)
{
	const char *arch = a->val[O_ARCH] ? a->val[O_ARCH] : "*";
	json_t *tag =
	    json_pack("{s:s,s:[],s:[],s:{}}", "arch", arch, "repos", "packages", "macros");

	if (a->val[O_RELEASEVER])
		json_object_set_new(tag, "releasever", json_string(a->val[O_RELEASEVER]));
	for (int i = 0; i < a->n_all[O_REPO]; i++) {
		const char *v = a->all[O_REPO][i], *eq = strchr(v, '=');
		char *name;

		if (!eq || eq == v || !eq[1]) {
			q_error_set(err, Q_EINVAL, "--repo '%s': give NAME=URL or NAME=@REPO", v);
			json_decref(tag);
			return NULL;
		}
		name = g_strndup(v, (size_t)(eq - v));
		json_array_append_new(json_object_get(tag, "repos"),
				      eq[1] == '@'
					  ? json_pack("{s:s,s:s}", "name", name, "repo", eq + 2)
					  : json_pack("{s:s,s:s}", "name", name, "url", eq + 1));
		g_free(name);
	}
	if (a->val[O_PACKAGES]) {
		char **w = g_strsplit_set(a->val[O_PACKAGES], " \t,", -1);

		for (char **p = w; *p; p++)
			if (**p)
				json_array_append_new(json_object_get(tag, "packages"),
						      json_string(*p));
		g_strfreev(w);
	}
	for (int i = 0; i < a->n_all[O_MACRO]; i++) {
		const char *v = a->all[O_MACRO][i], *eq = strchr(v, '=');
		char *name;

		if (!eq || eq == v) {
			q_error_set(err, Q_EINVAL, "--macro '%s': give NAME=VALUE", v);
			json_decref(tag);
			return NULL;
		}
		name = g_strndup(v[0] == '%' ? v + 1 : v, (size_t)(eq - v) - (v[0] == '%'));
		json_object_set_new(json_object_get(tag, "macros"), name, json_string(eq + 1));
		g_free(name);
	}
	return tag;
}

static int buildroot_set(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	char *path = NULL, *text = NULL;
	json_t *body = NULL, *ans = NULL, *tag = NULL;
	int ret = 0, flags = 0;

	for (int i = O_RELEASEVER; i <= O_MACRO; i++)
		flags |= a->val[i] != NULL;
	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	if (!!a->val[O_FILE] == !!flags || (a->val[O_FILE] && a->val[O_ARCH])) {
		ret = q_cli_usage_error(a, "give either --file FILE, or the tag's options (--repo, "
					   "--packages, --macro, --releasever, --arch)");
		goto out;
	}
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "buildroot", NULL);
	if (a->val[O_FILE]) {
		json_error_t je;
		GError *ge = NULL;

		if (!g_file_get_contents(a->val[O_FILE], &text, NULL, &ge)) {
			q_error_set(&err, Q_EINVAL, "cannot read '%s': %s", a->val[O_FILE],
				    ge->message);
			g_error_free(ge);
			ret = q_cli_fail(&err);
			goto out;
		}
		body = json_loads(text, 0, &je);
		if (!json_is_object(body)) {
			q_error_set(&err, Q_EINVAL, "'%s' line %d: %s", a->val[O_FILE], je.line,
				    body ? "not a JSON object" : je.text);
			ret = q_cli_fail(&err);
			goto out;
		}
		if (!json_object_get(body, "tags")) /* one tag alone */
			body = json_pack("{s:[o]}", "tags", body);
	} else {
		json_t *t;
		size_t i;

		if (!(tag = tag_from_options(a, &err))) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		/* the other arches' tags stay as they are */
		if (q_client_call(c, "GET", path, NULL, &body, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
		json_array_foreach (json_object_get(body, "tags"), i, t)
			if (json_equal(json_object_get(t, "arch"), json_object_get(tag, "arch"))) {
				json_array_remove(json_object_get(body, "tags"), i);
				break;
			}
		json_array_append(json_object_get(body, "tags"), tag);
	}
	if (q_client_call(c, "PUT", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		print_tags(ans);
out:
	json_decref(tag);
	json_decref(ans);
	json_decref(body);
	g_free(text);
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

static int buildroot_unset(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	char *path = NULL;
	json_t *body = NULL, *ans = NULL, *t;
	const char *arch = a->val[O_ARCH] ? a->val[O_ARCH] : "*";
	size_t i;
	int ret = 0, found = 0;

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "buildroot", NULL);
	if (q_client_call(c, "GET", path, NULL, &body, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	json_array_foreach (json_object_get(body, "tags"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "arch")), arch)) {
			json_array_remove(json_object_get(body, "tags"), i);
			found = 1;
			break;
		}
	if (!found) {
		q_error_set(&err, Q_ENOTFOUND, "project '%s/%s' has no build tag for arch '%s'",
			    parts[0], parts[1], arch);
		ret = q_cli_fail(&err);
		goto out;
	}
	if (q_client_call(c, "PUT", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		print_tags(ans);
out:
	json_decref(ans);
	json_decref(body);
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

static const struct q_cli_cmd project_cmds[] = {
    {"list", "SIG", "list the projects of a SIG", 1, 1, 0, 0, project_list},
    {"show", "SIG/PROJECT", "show a project with its repositories", 1, 1, 0, 0, project_show},
    {"create", "SIG/PROJECT", "create a project (admin, releng, lead of the SIG)", 1, 1,
     B(O_MAJOR) | B(O_VARIANT) | B(O_ARCH), B(O_MAJOR) | B(O_ARCH), project_create},
    {"buildroot show", "SIG/PROJECT",
     "show the project's build tags: the repos, base packages and macros of its buildroots", 1, 1,
     0, 0, buildroot_show},
    {"buildroot set", "SIG/PROJECT",
     "set the build tag of one arch (--arch, default '*') from the options, or every tag "
     "from --file (lead of the SIG, releng, admin)",
     1, 1, B(O_ARCH) | B(O_FILE) | TAG_FLAGS, 0, buildroot_set},
    {"buildroot unset", "SIG/PROJECT",
     "remove the build tag of one arch (--arch, default '*'); without tags workers use "
     "their own configuration",
     1, 1, B(O_ARCH), 0, buildroot_unset},
};

const struct q_cli_family q_project_family = {
    "project",
    "Projects of a SIG: one per EL major and variant, with their arches and build tags.",
    project_opts,
    Q_ARRAY_LEN(project_opts),
    project_cmds,
    Q_ARRAY_LEN(project_cmds),
};

int cmd_project(int argc, char **argv)
{
	return q_cli_run(&q_project_family, argc, argv);
}
