/*
 * cmd_audit.c: `quarry audit [--limit N]`: the newest entries of the audit
 * log (admin): who did what to which target, and when.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

enum { O_LIMIT };
#define B(o) (1u << (o))

static const struct q_cli_opt audit_opts[] = {
    [O_LIMIT] = {"limit", "N", "how many entries, newest first (default: the hub's)"},
};

static const struct q_col audit_cols[] = {
    {"id", "ID"},         {"time", "TIME"},     {"user", "USER"},
    {"action", "ACTION"}, {"target", "TARGET"}, {"detail", "DETAIL"},
};

static int audit(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *path = NULL;
	json_t *ans = NULL;
	long limit = 0;
	int ret = 0;

	if (a->val[O_LIMIT]) {
		if (q_cli_parse_long(a->val[O_LIMIT], 1, 100000, "limit", &limit, &err) < 0)
			return q_cli_usage_error(a, "%s", err.msg);
		path = g_strdup_printf("audit?limit=%ld", limit);
	} else {
		path = g_strdup("audit");
	}
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		q_out_table(json_object_get(ans, "entries"), audit_cols, Q_ARRAY_LEN(audit_cols));
out:
	json_decref(ans);
	g_free(path);
	return ret;
}

static const struct q_cli_cmd audit_cmds[] = {
    {NULL, "", "read the audit log (admin)", 0, 0, B(O_LIMIT), 0, audit},
};

const struct q_cli_family q_audit_family = {
    "audit",    "The audit log.",        audit_opts, Q_ARRAY_LEN(audit_opts),
    audit_cmds, Q_ARRAY_LEN(audit_cmds),
};

int cmd_audit(int argc, char **argv)
{
	return q_cli_run(&q_audit_family, argc, argv);
}
