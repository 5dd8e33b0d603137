/*
 * cmd_token.c: `quarry token`: create, list and revoke API tokens. A new
 * token is shown once; `token create` prints it alone on stdout so that
 * scripts can capture it. `token create --worker NAME` makes a build
 * worker's token (admin), which only the worker protocol accepts.
 * `--expires 30d|12h|DATE` makes a token that stops working then, `--scope
 * read|build|release` one that may do less than its owner (docs/HTTP_API.md).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/isotime.h"
#include "core/names.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

enum { O_USER, O_DESCRIPTION, O_WORKER, O_EXPIRES, O_SCOPE };
#define B(o) (1u << (o))

static const struct q_cli_opt token_opts[] = {
    [O_USER] = {"user", "U", "whose token (default: yourself; another user needs admin)"},
    [O_DESCRIPTION] = {"description", "D", "what the token is for, e.g. 'ci'"},
    [O_WORKER] = {"worker", "NAME",
		  "a token for build worker NAME, good only for the worker API (admin)"},
    [O_EXPIRES] = {"expires", "WHEN",
		   "the token stops working after 30d, 12h, 90m, 45s, or at a UTC date "
		   "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ); default: never"},
    [O_SCOPE] = {"scope", "SCOPE",
		 "read (GET only), build (also builds, uploads, tags, updates) or release "
		 "(all you may do); default: all you may do"},
};

static const struct q_col token_cols[] = {
    {"id", "ID"},       {"user", "USER"},       {"description", "DESCRIPTION"},
    {"scope", "SCOPE"}, {"created", "CREATED"}, {"expires", "EXPIRES"},
};

/* "30d", "12h", "90m", "45s" from now, or an ISO date/time: the ISO time in out. */
static int parse_expires(const char *s, char out[Q_ISO_TIME_LEN], struct q_error *err)
{
	int64_t t;
	char *end;
	long long n;

	if (q_time_parse(s, &t) == 0) {
		q_time_iso(t, out);
		return 0;
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	if (!errno && end != s && n > 0 && n <= 100000 && end[0] && !end[1] &&
	    strchr("dhms", end[0]) && s[0] >= '0' && s[0] <= '9') {
		int64_t unit = end[0] == 'd'   ? 86400
			       : end[0] == 'h' ? 3600
			       : end[0] == 'm' ? 60
					       : 1;

		q_time_iso((int64_t)time(NULL) + (int64_t)n * unit, out);
		return 0;
	}
	return q_error_set(
	    err, Q_EINVAL,
	    "--expires '%s' is neither a duration (30d, 12h, 90m, 45s) nor a UTC date "
	    "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
	    s);
}

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
	if (a->val[O_EXPIRES]) {
		char when[Q_ISO_TIME_LEN];

		if (parse_expires(a->val[O_EXPIRES], when, &err) < 0) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		json_object_set_new(body, "expires", json_string(when));
	}
	if (a->val[O_SCOPE]) {
		const char *sc = a->val[O_SCOPE];

		if (strcmp(sc, "read") && strcmp(sc, "build") && strcmp(sc, "release")) {
			ret = q_cli_usage_error(
			    a, "--scope '%s' is unknown; use read, build or release", sc);
			goto out;
		}
		json_object_set_new(body, "scope", json_string(sc));
	}
	if ((a->val[O_EXPIRES] || a->val[O_SCOPE]) && a->val[O_WORKER]) {
		ret = q_cli_usage_error(a, "a worker token takes no --expires or --scope");
		goto out;
	}
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

		char *exp = q_json_text(json_object_get(ans, "expires"));

		fprintf(stderr, "token %s for %s '%s'", id, a->val[O_WORKER] ? "worker" : "user",
			a->val[O_WORKER] ? q_json_str(ans, "worker") : q_json_str(ans, "user"));
		if (!a->val[O_WORKER])
			fprintf(stderr, " (scope %s, expires %s)", q_json_str(ans, "scope"),
				strcmp(exp, "-") ? exp : "never");
		fprintf(stderr, ": it is shown only once\n");
		g_free(exp);
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
     B(O_USER) | B(O_DESCRIPTION) | B(O_WORKER) | B(O_EXPIRES) | B(O_SCOPE), 0, token_create},
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
