/*
 * cmd_sig.c: `quarry sig`: list, show, create, update and retire Special
 * Interest Groups, manage their members, print a SIG's public key, list
 * its keys and rotate it.
 * Names are checked locally (core/names.h) before anything is sent.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>
#include <time.h>

enum {
	O_SHORT,
	O_TITLE,
	O_PURPOSE,
	O_STATUS,
	O_WIKI,
	O_CHAT,
	O_LIST,
	O_ROLE,
};
#define B(o) (1u << (o))
#define EDITABLE (B(O_TITLE) | B(O_PURPOSE) | B(O_STATUS) | B(O_WIKI) | B(O_CHAT) | B(O_LIST))

static const struct q_cli_opt sig_opts[] = {
    [O_SHORT] = {"short-name", "S",
		 "short name, the dist tag suffix (.elX.S); cannot change later"},
    [O_TITLE] = {"title", "T", "title, e.g. 'Messaging and Communication'"},
    [O_PURPOSE] = {"purpose", "P", "what the SIG is for"},
    [O_STATUS] = {"status", "S", "proposed, active, community-interest or retired"},
    [O_WIKI] = {"wiki", "URL", "wiki page"},
    [O_CHAT] = {"chat", "URL", "chat channel"},
    [O_LIST] = {"mailing-list", "ADDR", "mailing list"},
    [O_ROLE] = {"role", "ROLE", "lead or member (default member)"},
};

/* JSON keys of the editable fields, in option order. */
static const char *const field_keys[] = {
    [O_TITLE] = "title", [O_PURPOSE] = "purpose", [O_STATUS] = "status",
    [O_WIKI] = "wiki",   [O_CHAT] = "chat",       [O_LIST] = "mailing_list",
};

static const struct q_col sig_cols[] = {
    {"name", "NAME"},
    {"short_name", "SHORT"},
    {"status", "STATUS"},
    {"title", "TITLE"},
};

static const struct q_col sig_fields[] = {
    {"name", "name"},
    {"short_name", "short name"},
    {"title", "title"},
    {"purpose", "purpose"},
    {"status", "status"},
    {"wiki", "wiki"},
    {"chat", "chat"},
    {"mailing_list", "mailing list"},
    {"key_fingerprint", "key fingerprint"},
    {"key_url", "key url"},
    {"created", "created"},
};

static const struct q_col member_cols[] = {{"user", "USER"}, {"role", "ROLE"}};

static void print_sig(const json_t *sig)
{
	const json_t *members = json_object_get(sig, "members");

	q_out_fields(sig, sig_fields, Q_ARRAY_LEN(sig_fields));
	if (json_is_array(members)) {
		printf("members:%s\n", json_array_size(members) ? "" : " -");
		if (json_array_size(members))
			q_out_table(members, member_cols, Q_ARRAY_LEN(member_cols));
	}
}

/* Print an answer that is a SIG, or its JSON; frees it. */
static int finish(struct q_client *c, json_t *ans)
{
	if (c->json)
		q_out_json(ans);
	else
		print_sig(ans);
	json_decref(ans);
	return 0;
}

/* Check a SIG name argument; fills *name (g_free). */
static int sig_arg(struct q_cli_args *a, const char *arg, char **name)
{
	struct q_error err = {0};

	if (q_cli_split_path(arg, 1, name, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	return 0;
}

/* Add the editable fields given on the command line to body. */
static int add_fields(struct q_cli_args *a, json_t *body)
{
	for (int o = O_TITLE; o <= O_LIST; o++) {
		const char *v = a->val[o];

		if (!v)
			continue;
		if (o == O_STATUS && !q_sig_status_valid(v))
			return q_cli_usage_error(a,
						 "status '%s' is unknown; use proposed, active, "
						 "community-interest or retired",
						 v);
		if ((o == O_TITLE || o == O_PURPOSE) && !*v)
			return q_cli_usage_error(a, "--%s cannot be empty", sig_opts[o].name);
		json_object_set_new(body, field_keys[o], json_string(v));
	}
	return 0;
}

static int sig_list(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL;

	if (q_client_call(c, "GET", "sigs", NULL, &ans, &err) < 0)
		return q_cli_fail(&err);
	if (c->json)
		q_out_json(ans);
	else
		q_out_table(json_object_get(ans, "sigs"), sig_cols, Q_ARRAY_LEN(sig_cols));
	json_decref(ans);
	return 0;
}

static int sig_show(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *name = NULL;
	char *path = NULL;
	json_t *ans = NULL;
	int ret;

	ret = sig_arg(a, a->words[0], &name);
	if (ret)
		goto out;
	path = q_client_path(c, "sigs", name, NULL);
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	ret = finish(c, ans);
out:
	g_free(path);
	g_free(name);
	return ret;
}

static int sig_create(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *name = NULL;
	json_t *body = json_object();
	json_t *ans = NULL;
	int ret;

	ret = sig_arg(a, a->words[0], &name);
	if (ret)
		goto out;
	if (q_name_check(Q_NAME_SHORT, "short name", a->val[O_SHORT], &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	json_object_set_new(body, "name", json_string(name));
	json_object_set_new(body, "short_name", json_string(a->val[O_SHORT]));
	ret = add_fields(a, body);
	if (ret)
		goto out;
	if (q_client_call(c, "POST", "sigs", body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	ret = finish(c, ans);
out:
	json_decref(body);
	g_free(name);
	return ret;
}

static int sig_update(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *name = NULL;
	char *path = NULL;
	json_t *body = json_object();
	json_t *ans = NULL;
	int ret;

	ret = sig_arg(a, a->words[0], &name);
	if (ret)
		goto out;
	ret = add_fields(a, body);
	if (ret)
		goto out;
	if (json_object_size(body) == 0) {
		ret = q_cli_usage_error(a, "nothing to change; give at least one of --title, "
					   "--purpose, --status, --wiki, --chat, --mailing-list");
		goto out;
	}
	path = q_client_path(c, "sigs", name, NULL);
	if (q_client_call(c, "PATCH", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	ret = finish(c, ans);
out:
	json_decref(body);
	g_free(path);
	g_free(name);
	return ret;
}

static int sig_retire(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *name = NULL;
	char *path = NULL;
	json_t *ans = NULL;
	int ret;

	ret = sig_arg(a, a->words[0], &name);
	if (ret)
		goto out;
	path = q_client_path(c, "sigs", name, "retire", NULL);
	if (q_client_call(c, "POST", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	ret = finish(c, ans);
out:
	g_free(path);
	g_free(name);
	return ret;
}

static int member_change(struct q_client *c, struct q_cli_args *a, int add)
{
	struct q_error err = {0};
	const char *user = a->words[1];
	const char *role = a->val[O_ROLE] ? a->val[O_ROLE] : "member";
	char *name = NULL;
	char *path = NULL;
	json_t *body = NULL;
	json_t *ans = NULL;
	int ret;

	ret = sig_arg(a, a->words[0], &name);
	if (ret)
		goto out;
	if (q_name_check(Q_NAME_USER, "user name", user, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	if (strcmp(role, "lead") && strcmp(role, "member")) {
		ret = q_cli_usage_error(a, "role '%s' is unknown; use lead or member", role);
		goto out;
	}
	path = q_client_path(c, "sigs", name, "members", user, NULL);
	if (add)
		body = json_pack("{s:s}", "role", role);
	if (q_client_call(c, add ? "PUT" : "DELETE", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	ret = finish(c, ans);
out:
	json_decref(body);
	g_free(path);
	g_free(name);
	return ret;
}

static int sig_member_add(struct q_client *c, struct q_cli_args *a)
{
	return member_change(c, a, 1);
}

static int sig_member_remove(struct q_client *c, struct q_cli_args *a)
{
	return member_change(c, a, 0);
}

static int sig_key(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *name = NULL;
	char *path = NULL;
	char *key = NULL;
	size_t len = 0;
	int ret;

	ret = sig_arg(a, a->words[0], &name);
	if (ret)
		goto out;
	path = q_client_path(c, "sigs", name, "key", NULL);
	if (q_client_get_raw(c, path, &key, &len, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json) {
		json_t *j = json_pack("{s:s, s:s%}", "sig", name, "key", key, len);

		q_out_json(j);
		json_decref(j);
	} else {
		fwrite(key, 1, len, stdout);
		if (len && key[len - 1] != '\n')
			fputc('\n', stdout);
	}
out:
	g_free(key);
	g_free(path);
	g_free(name);
	return ret;
}

static const struct q_col key_cols[] = {
    {"fpr", "FINGERPRINT"}, {"created", "CREATED"}, {"retired_at", "RETIRED"}, {"url", "FILE"}};

/* The key history as a table: "retired" (a time, or null: "current"). */
static void print_keys(json_t *keys)
{
	json_t *k;
	size_t i;

	json_array_foreach (keys, i, k) {
		json_t *r = json_object_get(k, "retired");

		if (json_is_string(r))
			json_object_set(k, "retired_at", r);
		else
			json_object_set_new(k, "retired_at", json_string("current"));
	}
	q_out_table(keys, key_cols, Q_ARRAY_LEN(key_cols));
}

static int sig_keys(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *name = NULL, *path = NULL;
	json_t *ans = NULL;
	int ret;

	ret = sig_arg(a, a->words[0], &name);
	if (ret)
		goto out;
	path = q_client_path(c, "sigs", name, "keys", NULL);
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else
		print_keys(json_object_get(ans, "keys"));
	json_decref(ans);
out:
	g_free(path);
	g_free(name);
	return ret;
}

static int sig_key_rotate(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *name = NULL, *path = NULL;
	json_t *ans = NULL;
	int ret;

	ret = sig_arg(a, a->words[0], &name);
	if (ret)
		goto out;
	path = q_client_path(c, "sigs", name, "keys", "rotate", NULL);
	if (q_client_call(c, "POST", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json) {
		q_out_json(ans);
	} else {
		printf("sig '%s' signs with key %s from now on (was %s); both public keys stay "
		       "published\n",
		       name, q_json_str(ans, "key_fingerprint"), q_json_str(ans, "previous"));
		print_keys(json_object_get(ans, "keys"));
	}
	json_decref(ans);
out:
	g_free(path);
	g_free(name);
	return ret;
}

static const struct q_cli_cmd sig_cmds[] = {
    {"list", "", "list every SIG", 0, 0, 0, 0, sig_list},
    {"show", "NAME", "show a SIG with its members", 1, 1, 0, 0, sig_show},
    {"create", "NAME", "create a SIG and its signing key (admin)", 1, 1, B(O_SHORT) | EDITABLE,
     B(O_SHORT) | B(O_TITLE) | B(O_PURPOSE), sig_create},
    {"update", "NAME",
     "change a SIG's title, purpose, status or links (the short name cannot change)", 1, 1,
     EDITABLE, 0, sig_update},
    {"retire", "NAME", "retire a SIG (admin)", 1, 1, 0, 0, sig_retire},
    {"member add", "NAME USER", "add a member to a SIG, or change their role", 2, 2, B(O_ROLE), 0,
     sig_member_add},
    {"member remove", "NAME USER", "remove a member from a SIG", 2, 2, 0, 0, sig_member_remove},
    {"key", "NAME", "print the SIG's armored public key", 1, 1, 0, 0, sig_key},
    {"keys", "NAME", "list every key the SIG has had (the current one signs)", 1, 1, 0, 0,
     sig_keys},
    {"key-rotate", "NAME",
     "give the SIG a new signing key (admin, releng, SIG lead); the old one stays published", 1, 1,
     0, 0, sig_key_rotate},
};

const struct q_cli_family q_sig_family = {
    "sig",    "Special Interest Groups: their details, members and public keys.",
    sig_opts, Q_ARRAY_LEN(sig_opts),
    sig_cmds, Q_ARRAY_LEN(sig_cmds),
};

int cmd_sig(int argc, char **argv)
{
	return q_cli_run(&q_sig_family, argc, argv);
}
