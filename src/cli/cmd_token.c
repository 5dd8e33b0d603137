/*
 * cmd_token.c: `quarry token`: create, list and revoke API tokens. A new
 * token is shown once; `token create` prints it alone on stdout so that
 * scripts can capture it. `token create --worker NAME` makes a build
 * worker's token (admin), which only the worker protocol accepts.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

enum { O_USER, O_DESCRIPTION, O_WORKER };
#define B(o) (1u << (o))

static const struct q_cli_opt token_opts[] = {
    [O_USER] = {"user", "U", "whose token (default: yourself; another user needs admin)"},
    [O_DESCRIPTION] = {"description", "D", "what the token is for, e.g. 'ci'"},
    [O_WORKER] = {"worker", "NAME",
		  "a token for build worker NAME, good only for the worker API (admin)"},
};

static const struct q_col token_cols[] = {
    {"id", "ID"},
    {"user", "USER"},
    {"description", "DESCRIPTION"},
    {"created", "CREATED"},
};

static int token_create(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *body = json_object();
	json_t *ans = NULL;
	const char *tok;
	int ret = 0;

	if (a->val[O_USER]) {
		if (q_name_check(Q_NAME_USER, "user name", a->val[O_USER], &err) < 0) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		json_object_set_new(body, "user", json_string(a->val[O_USER]));
	}
	if (a->val[O_WORKER]) {
		if (a->val[O_USER]) {
			ret = q_cli_usage_error(a, "give --user or --worker, not both");
			goto out;
		}
		if (q_name_check(Q_NAME_USER, "worker name", a->val[O_WORKER], &err) < 0) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		json_object_set_new(body, "worker", json_string(a->val[O_WORKER]));
	}
	if (a->val[O_DESCRIPTION])
		json_object_set_new(body, "description", json_string(a->val[O_DESCRIPTION]));
	if (q_client_call(c, "POST", "tokens", body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json) {
		q_out_json(ans);
		goto out;
	}
	tok = json_string_value(json_object_get(ans, "token"));
	if (!tok) {
		q_error_set(&err, Q_EINTERNAL, "the hub's answer has no token");
		ret = q_cli_fail(&err);
		goto out;
	}
	printf("%s\n", tok);
	if (isatty(STDOUT_FILENO)) {
		char *id = q_json_text(json_object_get(ans, "id"));

		fprintf(stderr, "token %s for %s '%s': it is shown only once\n", id,
			a->val[O_WORKER] ? "worker" : "user",
			a->val[O_WORKER] ? q_json_str(ans, "worker") : q_json_str(ans, "user"));
		g_free(id);
	}
out:
	json_decref(ans);
	json_decref(body);
	return ret;
}

static int token_list(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL;

	if (q_client_call(c, "GET", "tokens", NULL, &ans, &err) < 0)
		return q_cli_fail(&err);
	if (c->json)
		q_out_json(ans);
	else
		q_out_table(json_object_get(ans, "tokens"), token_cols, Q_ARRAY_LEN(token_cols));
	json_decref(ans);
	return 0;
}

static int token_revoke(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *path = NULL;
	json_t *ans = NULL;
	long id = 0;
	int ret = 0;

	if (q_cli_parse_long(a->words[0], 1, LONG_MAX, "token id", &id, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	path = g_strdup_printf("tokens/%ld", id);
	if (q_client_call(c, "DELETE", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		printf("revoked token %ld\n", id);
out:
	json_decref(ans);
	g_free(path);
	return ret;
}

static const struct q_cli_cmd token_cmds[] = {
    {"create", "", "create a token and print it (shown once)", 0, 0,
     B(O_USER) | B(O_DESCRIPTION) | B(O_WORKER), 0, token_create},
    {"list", "", "list your tokens (admin: everyone's); never the secrets", 0, 0, 0, 0, token_list},
    {"revoke", "ID", "revoke a token", 1, 1, 0, 0, token_revoke},
};

const struct q_cli_family q_token_family = {
    "token",    "API tokens.",           token_opts, Q_ARRAY_LEN(token_opts),
    token_cmds, Q_ARRAY_LEN(token_cmds),
};

int cmd_token(int argc, char **argv)
{
	return q_cli_run(&q_token_family, argc, argv);
}
