/*
 * cmd_user.c: `quarry whoami` (who a token belongs to, with their role and
 * SIG memberships) and `quarry user` (list and create users, admin; set a
 * web sign-in password).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>
#include <termios.h>
#include <unistd.h>

enum { O_ROLE };
#define B(o) (1u << (o))

static int whoami(struct q_client *c, struct q_cli_args *a)
{
	static const struct q_col fields[] = {{"user", "user"},
					      {"role", "role"},
					      {"sigs", "sigs"},
					      {"token_scope", "token scope"},
					      {"token_expires", "token expires"}};
	struct q_error err = {0};
	json_t *ans = NULL;

	if (q_client_call(c, "GET", "whoami", NULL, &ans, &err) < 0)
		return q_cli_fail(&err);
	if (c->json)
		q_out_json(ans);
	else
		q_out_fields(ans, fields, Q_ARRAY_LEN(fields));
	json_decref(ans);
	return 0;
}

static const struct q_cli_cmd whoami_cmds[] = {
    {NULL, "", "show the user the token belongs to, their role and SIGs", 0, 0, 0, 0, whoami},
};

const struct q_cli_family q_whoami_family = {
    "whoami", "Show who the token belongs to.", NULL, 0, whoami_cmds, Q_ARRAY_LEN(whoami_cmds),
};

int cmd_whoami(int argc, char **argv)
{
	return q_cli_run(&q_whoami_family, argc, argv);
}

static const struct q_cli_opt user_opts[] = {
    [O_ROLE] = {"role", "ROLE", "admin, releng or user"},
};

static const struct q_col user_cols[] = {
    {"name", "NAME"},
    {"role", "ROLE"},
    {"created", "CREATED"},
};

static const struct q_col user_fields[] = {
    {"name", "name"},
    {"role", "role"},
    {"created", "created"},
};

static int user_list(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL;

	if (q_client_call(c, "GET", "users", NULL, &ans, &err) < 0)
		return q_cli_fail(&err);
	if (c->json)
		q_out_json(ans);
	else
		q_out_table(json_object_get(ans, "users"), user_cols, Q_ARRAY_LEN(user_cols));
	json_decref(ans);
	return 0;
}

static int user_create(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	const char *role = a->val[O_ROLE];
	json_t *body = NULL;
	json_t *ans = NULL;
	int ret = 0;

	if (q_name_check(Q_NAME_USER, "user name", a->words[0], &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	if (strcmp(role, "admin") && strcmp(role, "releng") && strcmp(role, "user"))
		return q_cli_usage_error(a, "role '%s' is unknown; use admin, releng or user",
					 role);
	body = json_pack("{s:s, s:s}", "name", a->words[0], "role", role);
	if (q_client_call(c, "POST", "users", body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		q_out_fields(ans, user_fields, Q_ARRAY_LEN(user_fields));
out:
	json_decref(ans);
	json_decref(body);
	return ret;
}
/* One line of stdin into buf without its newline; no echo on a terminal. */
static int read_secret(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *ok;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)size, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!ok)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int user_passwd(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char pw[1024], again[1024], *path;
	json_t *body, *ans = NULL;
	int ret = 0;

	if (read_secret("New password: ", pw, sizeof(pw)) < 0)
		return q_cli_usage_error(a, "no password on standard input");
	if (isatty(STDIN_FILENO) &&
	    (read_secret("Again: ", again, sizeof(again)) < 0 || strcmp(pw, again)))
		return q_cli_usage_error(a, "the two passwords differ");
	body = json_pack("{s:s}", "password", pw);
	path = g_strdup_printf("users/%s/password", a->words[0]);
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	if (q_client_call(c, "PUT", path, body, &ans, &err) < 0)
		ret = q_cli_fail(&err);
	else if (c->json)
		q_out_json(ans);
	else
		printf("password set for %s\n", a->words[0]);
	g_free(path);
	json_decref(ans);
	json_decref(body);
	return ret;
}

static const struct q_cli_cmd user_cmds[] = {
    {"list", "", "list users (admin)", 0, 0, 0, 0, user_list},
    {"create", "NAME", "create a user (admin); then 'quarry token create --user NAME'", 1, 1,
     B(O_ROLE), B(O_ROLE), user_create},
    {"passwd", "NAME",
     "set NAME's password for the web UI's sign-in form (yourself, or anyone as admin); "
     "read from standard input",
     1, 1, 0, 0, user_passwd},
};

const struct q_cli_family q_user_family = {
    "user",    "Users of the hub (admin).", user_opts, Q_ARRAY_LEN(user_opts),
    user_cmds, Q_ARRAY_LEN(user_cmds),
};

int cmd_user(int argc, char **argv)
{
	return q_cli_run(&q_user_family, argc, argv);
}
