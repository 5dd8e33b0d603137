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

enum { O_MAJOR, O_VARIANT, O_ARCH };
#define B(o) (1u << (o))

static const struct q_cli_opt project_opts[] = {
    [O_MAJOR] = {"major", "N", "Enterprise Linux major version, e.g. 9"},
    [O_VARIANT] = {"variant", "V", "variant of the project (default 1; branch rN-sig-SIG-V)"},
    [O_ARCH] = {"arch", "LIST", "comma-separated arches, e.g. x86_64,aarch64"},
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

static const struct q_cli_cmd project_cmds[] = {
    {"list", "SIG", "list the projects of a SIG", 1, 1, 0, 0, project_list},
    {"show", "SIG/PROJECT", "show a project with its repositories", 1, 1, 0, 0, project_show},
    {"create", "SIG/PROJECT", "create a project (admin, releng, lead of the SIG)", 1, 1,
     B(O_MAJOR) | B(O_VARIANT) | B(O_ARCH), B(O_MAJOR) | B(O_ARCH), project_create},
};

static const struct q_cli_family project_family = {
    "project",    "Projects of a SIG: one per EL major and variant, with their arches.",
    project_opts, Q_ARRAY_LEN(project_opts),
    project_cmds, Q_ARRAY_LEN(project_cmds),
};

int cmd_project(int argc, char **argv)
{
	return q_cli_run(&project_family, argc, argv);
}
