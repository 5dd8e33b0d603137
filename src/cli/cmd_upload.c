/*
 * cmd_upload.c: `quarry upload SIG/PROJECT/REPO FILE.rpm…`.
 *
 * Two steps, as the API wants them: every file is first staged
 * (POST /uploads, UPLOAD_PARALLEL at a time over kept-alive connections,
 * each file read once, with its SHA-256 computed here so that the hub can
 * check nothing was lost on the way), then the whole
 * batch is added to the repository in one request, which the hub accepts
 * whole or not at all and publishes right away.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

#define MAX_FILES 10000
/* Staging requests in flight at once: enough to keep a hub's threads busy
 * while each request waits on the network or the disk. */
#define UPLOAD_PARALLEL 4

enum { O_OVERRIDE };
#define B(o) (1u << (o))

static const struct q_cli_opt upload_opts[] = {
    [O_OVERRIDE] = {"override", "REASON",
		    "upload into a testing or release repo without an update (release engineers "
		    "and admins, when the project's policy allows uploads there; the reason goes "
		    "to the audit log)"},
};

static int upload(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[3] = {NULL, NULL, NULL};
	char *path = NULL;
	char **ids_tmp = NULL;
	json_t *ids = json_array();
	json_t *body = NULL;
	json_t *ans = NULL;
	int ret = 0;

	if (q_cli_split_path(a->words[0], 3, parts, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	if (a->n_words - 1 > MAX_FILES) {
		ret = q_cli_usage_error(a, "at most %d files per upload", MAX_FILES);
		goto out;
	}
	/* Check every file before sending anything. */
	if (q_cli_check_files(a->words, 1, a->n_words, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	ids_tmp = g_new0(char *, a->n_words);
	if (q_client_upload_files(c, a->words + 1, a->n_words - 1, UPLOAD_PARALLEL, ids_tmp,
				  !c->json && isatty(STDERR_FILENO), &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	for (int f = 0; f < a->n_words - 1; f++)
		json_array_append_new(ids, json_string(ids_tmp[f]));
	body = json_pack("{s:O}", "uploads", ids);
	if (a->val[O_OVERRIDE])
		json_object_set_new(body, "override", json_string(a->val[O_OVERRIDE]));
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "repos", parts[2],
			     "packages", NULL);
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
	json_decref(ids);
	for (int f = 0; ids_tmp && f < a->n_words - 1; f++)
		g_free(ids_tmp[f]);
	g_free(ids_tmp);
	g_free(path);
	for (int p = 0; p < 3; p++)
		g_free(parts[p]);
	return ret;
}

static const struct q_cli_cmd upload_cmds[] = {
    {NULL, "SIG/PROJECT/REPO FILE.rpm...",
     "upload RPMs to a candidate repository and publish it; the batch is accepted whole or not "
     "at all (testing and release repos change through updates)",
     2, -1, B(O_OVERRIDE), 0, upload},
};

const struct q_cli_family q_upload_family = {
    "upload",    "Upload RPMs.",           upload_opts, Q_ARRAY_LEN(upload_opts),
    upload_cmds, Q_ARRAY_LEN(upload_cmds),
};

int cmd_upload(int argc, char **argv)
{
	return q_cli_run(&q_upload_family, argc, argv);
}
