/*
 * cmd_publish.c: `quarry publish [SIG/PROJECT/REPO]`: publish one
 * repository (every arch), or every repository (admin, releng). A repo
 * whose package set did not change is reported "unchanged" and its
 * repodata is left untouched.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

static int publish(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[3] = {NULL, NULL, NULL};
	char *path = NULL;
	json_t *ans = NULL;
	int ret = 0;

	if (a->n_words == 1) {
		if (q_cli_split_path(a->words[0], 3, parts, &err) < 0)
			return q_cli_usage_error(a, "%s", err.msg);
		path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "repos", parts[2],
				     "publish", NULL);
	} else {
		path = g_strdup("publish");
	}
	if (q_client_call(c, "POST", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		q_out_publish(json_object_get(ans, "results"));
out:
	json_decref(ans);
	g_free(path);
	for (int i = 0; i < 3; i++)
		g_free(parts[i]);
	return ret;
}

static const struct q_cli_cmd publish_cmds[] = {
    {NULL, "[SIG/PROJECT/REPO]",
     "publish a repository, or every repository when none is named (admin, releng)", 0, 1, 0, 0,
     publish},
};

const struct q_cli_family q_publish_family = {
    "publish", "Publish repositories.", NULL, 0, publish_cmds, Q_ARRAY_LEN(publish_cmds),
};

int cmd_publish(int argc, char **argv)
{
	return q_cli_run(&q_publish_family, argc, argv);
}
