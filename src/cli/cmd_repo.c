/*
 * cmd_repo.c: `quarry repo`: list, show and create the repositories of a
 * project, and show a repository's publish history (every repomd.xml with
 * its size, timestamp and md5/sha1/sha256/sha512, as the metalink needs).
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

enum { O_ARCH, O_CHANNEL };
#define B(o) (1u << (o))

static const struct q_cli_opt repo_opts[] = {
    [O_ARCH] = {"arch", "LIST", "comma-separated arches, a subset of the project's"},
    [O_CHANNEL] = {"channel", "C",
		   "candidate (tags and uploads by SIG members), testing or release (changed "
		   "by updates only); default: release"},
};

static const struct q_col repo_cols[] = {
    {"name", "REPO"},
    {"channel", "CHANNEL"},
    {"arches", "ARCHES"},
    {"path", "PATH"},
};

static const struct q_col repo_fields[] = {
    {"sig", "sig"},       {"project", "project"}, {"name", "name"},       {"channel", "channel"},
    {"arches", "arches"}, {"path", "path"},       {"created", "created"},
};

static const struct q_col package_cols[] = {
    {"nevra", "NEVRA"},
    {"size", "SIZE"},
    {"sha256", "SHA256"},
};

static void print_repo(const json_t *r)
{
	const json_t *pkgs = json_object_get(r, "packages");

	q_out_fields(r, repo_fields, Q_ARRAY_LEN(repo_fields));
	if (json_is_array(pkgs)) {
		printf("packages:%s\n", json_array_size(pkgs) ? "" : " -");
		if (json_array_size(pkgs))
			q_out_table(pkgs, package_cols, Q_ARRAY_LEN(package_cols));
	}
}

static void print_history(const json_t *pubs)
{
	static const char *const hashes[] = {"md5", "sha1", "sha256", "sha512"};
	size_t i;
	json_t *p;

	if (!json_array_size(pubs)) {
		printf("never published\n");
		return;
	}
	json_array_foreach (pubs, i, p) {
		static const struct q_col when[] = {{"time", "time"}};
		char *size = q_json_text(json_object_get(p, "repomd_size"));
		char *ts = q_json_text(json_object_get(p, "timestamp"));
		char *n = q_json_text(json_object_get(p, "packages"));

		printf("%s%s  ", i ? "\n" : "", q_json_str(p, "arch"));
		q_out_cell(p, &when[0]);
		printf("  repomd.xml %s bytes  timestamp %s  %s packages\n", size, ts, n);
		for (size_t h = 0; h < Q_ARRAY_LEN(hashes); h++)
			printf("  %-7s %s\n", hashes[h], q_json_str(p, hashes[h]));
		g_free(size);
		g_free(ts);
		g_free(n);
	}
}

/* GET a path built from SIG/PROJECT[/REPO] and print it. */
static int get_and_print(struct q_client *c, struct q_cli_args *a, int nparts, const char *tail,
			 void (*print)(const json_t *), const char *member)
{
	struct q_error err = {0};
	char *parts[3] = {NULL, NULL, NULL};
	char *path = NULL;
	json_t *ans = NULL;
	int ret = 0;

	if (q_cli_split_path(a->words[0], nparts, parts, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	path = nparts == 2 ? q_client_path(c, "sigs", parts[0], "projects", parts[1], tail, NULL)
			   : q_client_path(c, "sigs", parts[0], "projects", parts[1], "repos",
					   parts[2], tail, NULL);
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		print(member ? json_object_get(ans, member) : ans);
out:
	json_decref(ans);
	g_free(path);
	for (int i = 0; i < 3; i++)
		g_free(parts[i]);
	return ret;
}

static void print_repo_table(const json_t *repos)
{
	q_out_table(repos, repo_cols, Q_ARRAY_LEN(repo_cols));
}

static int repo_list(struct q_client *c, struct q_cli_args *a)
{
	return get_and_print(c, a, 2, "repos", print_repo_table, "repos");
}

static int repo_show(struct q_client *c, struct q_cli_args *a)
{
	return get_and_print(c, a, 3, NULL, print_repo, NULL);
}

static int repo_history(struct q_client *c, struct q_cli_args *a)
{
	return get_and_print(c, a, 3, "history", print_history, "publishes");
}

static int repo_create(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[3] = {NULL, NULL, NULL};
	char *path = NULL;
	const char *channel = a->val[O_CHANNEL];
	json_t *arches = NULL;
	json_t *body = NULL;
	json_t *ans = NULL;
	int ret = 0;

	if (q_cli_split_path(a->words[0], 3, parts, &err) < 0 ||
	    !(arches = q_cli_parse_arches(a->val[O_ARCH], &err))) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	if (channel && strcmp(channel, "candidate") && strcmp(channel, "testing") &&
	    strcmp(channel, "release")) {
		ret = q_cli_usage_error(
		    a, "channel '%s' is unknown; use candidate, testing or release", channel);
		goto out;
	}
	body = json_pack("{s:s, s:O}", "name", parts[2], "arches", arches);
	if (channel)
		json_object_set_new(body, "channel", json_string(channel));
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "repos", NULL);
	if (q_client_call(c, "POST", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		print_repo(ans);
out:
	json_decref(ans);
	json_decref(body);
	json_decref(arches);
	g_free(path);
	for (int i = 0; i < 3; i++)
		g_free(parts[i]);
	return ret;
}

static const struct q_cli_cmd repo_cmds[] = {
    {"list", "SIG/PROJECT", "list the repositories of a project", 1, 1, 0, 0, repo_list},
    {"show", "SIG/PROJECT/REPO", "show a repository and its packages", 1, 1, 0, 0, repo_show},
    {"create", "SIG/PROJECT/REPO", "create a repository (admin, releng, lead of the SIG)", 1, 1,
     B(O_ARCH) | B(O_CHANNEL), B(O_ARCH), repo_create},
    {"history", "SIG/PROJECT/REPO",
     "show every publish: arch, time, repomd.xml size, timestamp and hashes", 1, 1, 0, 0,
     repo_history},
};

const struct q_cli_family q_repo_family = {
    "repo",    "Repositories of a project, published under /pub/sig/MAJOR/SIG/ARCH/REPO/.",
    repo_opts, Q_ARRAY_LEN(repo_opts),
    repo_cmds, Q_ARRAY_LEN(repo_cmds),
};

int cmd_repo(int argc, char **argv)
{
	return q_cli_run(&q_repo_family, argc, argv);
}
