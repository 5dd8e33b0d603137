/*
 * cmd_release_pkg.c: `quarry release-package SIG/PROJECT` rebuilds the
 * SIG's release package (sig-SIG-release: its dnf repo file and public
 * keys) for the project's EL major now, and prints the new NEVRA, the repo
 * it went to, the one it replaced and the publish results. The hub also
 * rebuilds it by itself when a repo is created or the SIG's key rotated.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

static int release_package(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	char *path = NULL;
	json_t *ans = NULL, *v;
	size_t i;
	int ret = 0;

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "release-package", NULL);
	if (q_client_call(c, "POST", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json) {
		q_out_json(ans);
		goto out;
	}
	printf("%s → %s/%s/%s\n", json_string_value(json_object_get(ans, "nevra")), parts[0],
	       parts[1], json_string_value(json_object_get(ans, "repo")));
	json_array_foreach (json_object_get(ans, "replaced"), i, v)
		printf("replaces %s\n", json_string_value(v));
	if (json_string_value(json_object_get(ans, "rpm_url")))
		printf("first install: dnf install %s\n.repo file: %s\n",
		       json_string_value(json_object_get(ans, "rpm_url")),
		       json_string_value(json_object_get(ans, "repo_url")));
	q_out_publish(json_object_get(ans, "published"));
out:
	json_decref(ans);
	g_free(path);
	for (int p = 0; p < 2; p++)
		g_free(parts[p]);
	return ret;
}

static const struct q_cli_cmd release_package_cmds[] = {
    {NULL, "SIG/PROJECT",
     "rebuild sig-SIG-release for the project's EL major now and publish it (admin, releng, "
     "lead of SIG)",
     1, 1, 0, 0, release_package},
};

const struct q_cli_family q_release_package_family = {
    "release-package",    "Rebuild a SIG's release package.", NULL, 0,
    release_package_cmds, Q_ARRAY_LEN(release_package_cmds),
};

int cmd_release_package(int argc, char **argv)
{
	return q_cli_run(&q_release_package_family, argc, argv);
}
