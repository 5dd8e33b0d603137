/*
 * cmd_tag.c: `quarry tag BUILD SIG/PROJECT/REPO` adds a complete build's
 * RPMs (those of the repo's arches and noarch) to a repository, which the
 * hub publishes right away (the answer is printed like `quarry upload`'s).
 * Candidate repos only, unless a release engineer overrides with a reason:
 * testing and release repos change through updates. `quarry untag BUILD
 * SIG/PROJECT/REPO` takes a build's RPMs out of a candidate repo again.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

enum { O_OVERRIDE };
#define B(o) (1u << (o))

static const struct q_cli_opt tag_opts[] = {
    [O_OVERRIDE] = {"override", "REASON",
		    "tag into a testing or release repo without an update (release engineers "
		    "and admins; the reason goes to the audit log)"},
};

static int tag(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[3] = {NULL, NULL, NULL};
	char *path = NULL;
	json_t *body = NULL;
	json_t *ans = NULL;
	long id;
	int ret = 0;

	if (q_cli_parse_long(a->words[0], 1, LONG_MAX, "build id", &id, &err) < 0 ||
	    q_cli_split_path(a->words[1], 3, parts, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	body = json_pack("{s:I}", "build", (json_int_t)id);
	if (a->val[O_OVERRIDE])
		json_object_set_new(body, "override", json_string(a->val[O_OVERRIDE]));
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "repos", parts[2], "builds",
			     NULL);
	if (q_client_call(c, "POST", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json) {
		q_out_json(ans);
		goto out;
	}
	q_out_accepted(ans);
out:
	json_decref(ans);
	json_decref(body);
	g_free(path);
	for (int p = 0; p < 3; p++)
		g_free(parts[p]);
	return ret;
}

static const struct q_cli_cmd tag_cmds[] = {
    {NULL, "BUILD SIG/PROJECT/REPO",
     "add a complete build's RPMs (the repo's arches and noarch) to a candidate repository and "
     "publish it (testing and release repos change through updates)",
     2, 2, B(O_OVERRIDE), 0, tag},
};

const struct q_cli_family q_tag_family = {
    "tag",    "Tag builds into candidate repositories.",
    tag_opts, Q_ARRAY_LEN(tag_opts),
    tag_cmds, Q_ARRAY_LEN(tag_cmds),
};

int cmd_tag(int argc, char **argv)
{
	return q_cli_run(&q_tag_family, argc, argv);
}

/* --- untag --- */

static int untag(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[3] = {NULL, NULL, NULL};
	char *path = NULL;
	json_t *ans = NULL;
	long id;
	int ret = 0;

	if (q_cli_parse_long(a->words[0], 1, LONG_MAX, "build id", &id, &err) < 0 ||
	    q_cli_split_path(a->words[1], 3, parts, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "repos", parts[2], "builds",
			     a->words[0], NULL);
	if (q_client_call(c, "DELETE", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json) {
		q_out_json(ans);
		goto out;
	}
	printf("untagged %s from %s (%" JSON_INTEGER_FORMAT " package%s)\n",
	       q_json_str(ans, "nevr"), a->words[1],
	       json_integer_value(json_object_get(ans, "removed")),
	       json_integer_value(json_object_get(ans, "removed")) == 1 ? "" : "s");
	if (json_array_size(json_object_get(ans, "published")))
		q_out_publish(json_object_get(ans, "published"));
out:
	json_decref(ans);
	g_free(path);
	for (int p = 0; p < 3; p++)
		g_free(parts[p]);
	return ret;
}

static const struct q_cli_cmd untag_cmds[] = {
    {NULL, "BUILD SIG/PROJECT/REPO",
     "take a build's RPMs out of a candidate repository and publish it (Koji's untag-build; "
     "testing and release repos change through updates)",
     2, 2, 0, 0, untag},
};

const struct q_cli_family q_untag_family = {
    "untag",    "Untag builds from candidate repositories.",
    NULL,       0,
    untag_cmds, Q_ARRAY_LEN(untag_cmds),
};

int cmd_untag(int argc, char **argv)
{
	return q_cli_run(&q_untag_family, argc, argv);
}
