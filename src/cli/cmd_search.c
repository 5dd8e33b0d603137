/*
 * cmd_search.c: `quarry search NAME`: which SIG, project, repo and arch hold
 * which versions of a package (GET /packages?name=NAME). NAME is a package
 * name or a shell-style pattern ("python3-*"; quote it from the shell).
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

enum { O_LIMIT };

static const struct q_cli_opt search_opts[] = {
    [O_LIMIT] = {"limit", "N", "at most N versions in all (default 200, at most 2000)"},
};

static const struct q_col search_cols[] = {
    {"name", "NAME"},       {"sig", "SIG"},   {"project", "PROJECT"},   {"repo", "REPO"},
    {"channel", "CHANNEL"}, {"arch", "ARCH"}, {"versions", "VERSIONS"},
};

static int search(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL, *rows;
	char *name = q_client_escape(c, a->words[0]);
	char *path;
	long limit = 0;
	int ret = 0;

	if (a->val[O_LIMIT] &&
	    q_cli_parse_long(a->val[O_LIMIT], 1, 2000, "limit", &limit, &err) < 0) {
		g_free(name);
		return q_cli_usage_error(a, "%s", err.msg);
	}
	path = limit ? g_strdup_printf("packages?name=%s&limit=%ld", name, limit)
		     : g_strdup_printf("packages?name=%s", name);
	g_free(name);
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
		g_free(path);
		return q_cli_fail(&err);
	}
	g_free(path);
	rows = json_object_get(ans, "packages");
	if (c->json) {
		q_out_json(ans);
	} else if (json_array_size(rows) == 0) {
		fprintf(stderr, "quarry: no repository holds a package named '%s'\n", a->words[0]);
		ret = 1;
	} else {
		q_out_table(rows, search_cols, Q_ARRAY_LEN(search_cols));
		if (json_is_true(json_object_get(ans, "truncated")))
			fprintf(stderr,
				"(only the first %" JSON_INTEGER_FORMAT
				" versions are shown; narrow NAME or raise --limit)\n",
				json_integer_value(json_object_get(ans, "limit")));
	}
	json_decref(ans);
	return ret;
}

static const struct q_cli_cmd search_cmds[] = {
    {NULL, "NAME",
     "which SIG, project, repo and arch hold which versions of package NAME (a name, or a "
     "pattern such as 'python3-*')",
     1, 1, 1u << O_LIMIT, 0, search},
};

const struct q_cli_family q_search_family = {
    "search",    "Search the repositories for a package.",
    search_opts, Q_ARRAY_LEN(search_opts),
    search_cmds, Q_ARRAY_LEN(search_cmds),
};

int cmd_search(int argc, char **argv)
{
	return q_cli_run(&q_search_family, argc, argv);
}
