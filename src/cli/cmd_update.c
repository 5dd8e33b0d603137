/*
 * cmd_update.c: updates. `quarry update create|list|show|approve|edit|comment`,
 * `quarry promote UPDATE --to testing|release`, `quarry unpush UPDATE`,
 * `quarry revoke UPDATE --reason TEXT`,
 * `quarry policy show|set SIG/PROJECT`.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>

enum {
	O_NOTES,
	O_SIG,
	O_STATE,
	O_TO,
	O_CHECKS,
	O_DAYS,
	O_APPROVAL,
	O_AUTO,
	O_SIGN,
	O_RPMLINTRC,
	O_UP_TESTING,
	O_UP_RELEASE,
	O_PROJECT,
	O_ADD_BUILD,
	O_REMOVE_BUILD,
	O_KARMA,
	O_TEXT,
	O_STABLE_KARMA,
	O_UNSTABLE_KARMA,
	/* the advisory (advisory_body) */
	O_TYPE,
	O_SEVERITY,
	O_TITLE,
	O_REF,
	O_CLEAR_REFS,
};
#define B(o) (1u << (o))

static const struct q_cli_opt update_opts[] = {
    [O_NOTES] = {"notes", "TEXT", "what the update fixes or adds"},
    [O_SIG] = {"sig", "SIG", "only this SIG's updates"},
    [O_STATE] = {"state", "STATE",
		 "only updates in this state (candidate, testing, release, "
		 "unpushed, obsolete, revoked)"},
    [O_TO] = {"to", "testing|release", "where the update goes"},
    [O_CHECKS] = {"checks", "LIST",
		  "checks that must pass (disttag,rpmlint,closure,installable,"
		  "conflicts; empty: none)"},
    [O_DAYS] = {"testing-days", "N", "days an update stays in testing before release"},
    [O_APPROVAL] = {"lead-approval", "true|false", "a SIG lead must approve a release"},
    [O_AUTO] = {"auto-testing", "true|false", "move to testing as soon as the checks pass"},
    [O_SIGN] = {"sign-testing", "true|false", "sign packages in testing too"},
    [O_RPMLINTRC] = {"rpmlint-config", "FILE", "the project's rpmlint configuration"},
    [O_UP_TESTING] = {"uploads-testing", "true|false",
		      "RPMs that Quarry did not build (uploads) may enter testing repos (by a "
		      "release engineer's override)"},
    [O_UP_RELEASE] = {"uploads-release", "true|false",
		      "RPMs that Quarry did not build (uploads) may enter release repos (by a "
		      "release engineer's override)"},
    [O_PROJECT] = {"project", "SIG/PROJECT", "only this project's updates"},
    [O_ADD_BUILD] = {"add-build", "BUILD",
		     "add a complete build (repeatable; a build of an unpushed or obsolete "
		     "update moves)"},
    [O_REMOVE_BUILD] = {"remove-build", "BUILD", "take a build out (repeatable)"},
    [O_KARMA] = {"karma", "+1|0|-1", "your feedback: works (+1), neutral (0), broken (-1)"},
    [O_TEXT] = {"text", "TEXT", "the comment's text"},
    [O_STABLE_KARMA] = {"stable-karma", "N",
			"karma an update needs before release (0: not required)"},
    [O_UNSTABLE_KARMA] = {"unstable-karma", "N",
			  "negative karma at which an update is unpushed by itself (0: off)"},
    [O_TYPE] = {"type", "TYPE",
		"the advisory's type: bugfix (the default), security, enhancement or newpackage"},
    [O_SEVERITY] = {"severity", "LEVEL",
		    "a security advisory's severity: Low, Moderate, Important or Critical"},
    [O_TITLE] = {"title", "TEXT", "the advisory's title (default: the builds' NEVRs)"},
    [O_REF] = {"ref", "REF",
	       "a reference: a CVE id, a Bugzilla URL or another http(s) URL (repeatable)"},
    [O_CLEAR_REFS] = {"clear-refs", NULL, "drop the references the update has (before --ref)"},
};
#define ADVISORY_OPTS (B(O_TYPE) | B(O_SEVERITY) | B(O_TITLE) | B(O_REF))

static const struct q_col update_cols[] = {
    {"id", "ID"},
    {"sig", "SIG"},
    {"project", "PROJECT"},
    {"release_repo", "REPO"},
    {"state", "STATE"},
    {"build_list", "BUILDS"},
    {"advisory", "ADVISORY"},
};

static const struct q_col update_fields[] = {
    {"id", "id"},
    {"sig", "sig"},
    {"project", "project"},
    {"release_repo", "release repo"},
    {"testing_repo", "testing repo"},
    {"state", "state"},
    {"notes", "notes"},
    {"created_by", "created by"},
    {"testing_since", "testing since"},
    {"released", "released"},
    {"approved_by", "approved by"},
    {"obsoleted_by", "obsoleted by"},
    {"revoked", "revoked"},
    {"revoke_reason", "revoke reason"},
    {"karma", "karma"},
    {"build_list", "builds"},
    /* the advisory (add_ref_list) */
    {"advisory", "advisory"},
    {"type", "type"},
    {"severity", "severity"},
    {"title", "title"},
    {"ref_list", "references"},
};

static const struct q_col comment_cols[] = {
    {"user", "USER"}, {"karma", "KARMA"}, {"created", "WHEN"}, {"text", "COMMENT"}};

static const struct q_col check_cols[] = {
    {"build", "BUILD"}, {"name", "CHECK"}, {"state", "STATE"}, {"summary", "SUMMARY"}};

static const struct q_col policy_fields[] = {
    {"required_checks", "required checks"},    {"testing_days", "testing days"},
    {"lead_approval", "lead approval"},        {"auto_testing", "auto testing"},
    {"sign_testing", "sign testing"},          {"uploads_testing", "uploads to testing"},
    {"uploads_release", "uploads to release"}, {"stable_karma", "stable karma"},
    {"unstable_karma", "unstable karma"},      {"rpmlint_config", "rpmlint config"},
};

/* "12 foo-1.0-1.el9.mc, 13 …" for tables. */
static void add_build_list(json_t *u)
{
	GString *g = g_string_new(NULL);
	json_t *b;
	size_t i;

	json_array_foreach (json_object_get(u, "builds"), i, b)
		g_string_append_printf(g, "%s%" JSON_INTEGER_FORMAT " %s", g->len ? ", " : "",
				       json_integer_value(json_object_get(b, "id")),
				       q_json_str(b, "nevr"));
	json_object_set_new(u, "build_list", json_string(g->str));
	g_string_free(g, TRUE);
}

/* The comments, karma signed ("+1"), after the checks. */
static void print_comments(json_t *u)
{
	json_t *rows = json_array(), *c;
	size_t i;

	json_array_foreach (json_object_get(u, "comments"), i, c) {
		json_t *row = json_deep_copy(c);
		json_int_t k = json_integer_value(json_object_get(c, "karma"));

		json_object_set_new(row, "karma", json_string(k > 0 ? "+1" : k < 0 ? "-1" : "0"));
		json_array_append_new(rows, row);
	}
	if (json_array_size(rows)) {
		printf("\n");
		q_out_table(rows, comment_cols, Q_ARRAY_LEN(comment_cols));
	}
	json_decref(rows);
}

/* "CVE-2026-1234, https://bugzilla.example.com/show_bug.cgi?id=7" for show. */
static void add_ref_list(json_t *u)
{
	GString *g = g_string_new(NULL);
	json_t *r;
	size_t i;

	json_array_foreach (json_object_get(u, "references"), i, r) {
		const char *t = q_json_str(r, "type");

		g_string_append_printf(g, "%s%s", g->len ? ", " : "",
				       !strcmp(t, "cve") ? q_json_str(r, "id")
							 : q_json_str(r, "url"));
	}
	json_object_set_new(u, "ref_list", json_string(g->str));
	g_string_free(g, TRUE);
}

static const struct q_col prop_cols[] = {
    {"repo", "REPO"},       {"arch", "ARCH"},      {"published", "PUBLISHED"},
    {"holding", "HOLDING"}, {"time_to_50", "50%"}, {"time_to_90", "90%"},
};

/* Propagation: per repo/arch, how many of the active mirrors checked hold
 * the update, and how long until half and 90% of them did. */
static void print_propagation(json_t *u)
{
	json_t *rows = json_array(), *p;
	size_t i;

	json_array_foreach (json_object_get(u, "propagation"), i, p) {
		json_t *pub = json_object_get(p, "publish");
		char holding[64], t50[32], t90[32];
		json_t *v;

		snprintf(holding, sizeof(holding), "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(p, "holding")),
			 json_integer_value(json_object_get(p, "mirrors")));
		v = json_object_get(p, "time_to_50");
		snprintf(t50, sizeof(t50), json_is_integer(v) ? "%" JSON_INTEGER_FORMAT "s" : "-",
			 json_integer_value(v));
		v = json_object_get(p, "time_to_90");
		snprintf(t90, sizeof(t90), json_is_integer(v) ? "%" JSON_INTEGER_FORMAT "s" : "-",
			 json_integer_value(v));
		json_array_append_new(
		    rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "repo", q_json_str(p, "repo"),
				    "arch", q_json_str(p, "arch"), "published",
				    json_is_object(pub) ? q_json_str(pub, "time") : "not yet",
				    "holding", holding, "time_to_50", t50, "time_to_90", t90));
	}
	if (json_array_size(rows)) {
		printf("\nmirrors holding it (of the active mirrors checked):\n");
		q_out_table(rows, prop_cols, Q_ARRAY_LEN(prop_cols));
	}
	json_decref(rows);
}

static void print_update(json_t *u)
{
	json_t *rows = json_array(), *list;
	const char *bid;

	add_build_list(u);
	add_ref_list(u);
	q_out_fields(u, update_fields, Q_ARRAY_LEN(update_fields));
	json_object_foreach (json_object_get(u, "checks"), bid, list) {
		json_t *c;
		size_t i;

		json_array_foreach (list, i, c) {
			json_t *row = json_deep_copy(c);

			json_object_set_new(row, "build", json_string(bid));
			json_array_append_new(rows, row);
		}
	}
	if (json_array_size(rows)) {
		printf("\n");
		q_out_table(rows, check_cols, Q_ARRAY_LEN(check_cols));
	}
	json_decref(rows);
	print_propagation(u);
	print_comments(u);
}

static int finish(struct q_client *c, json_t *ans, json_t *u)
{
	if (c->json)
		q_out_json(ans);
	else
		print_update(u);
	json_decref(ans);
	return 0;
}

/*
 * The advisory options into body ("type", "severity", "title", "notes",
 * "references"). Each --ref is sent as given: the hub reads a CVE id or a
 * URL (api/advisory.h). refs: the references to keep in front of the new
 * ones (an edit without --clear-refs), or NULL.
 */
static void advisory_body(const struct q_cli_args *a, json_t *refs, json_t *body)
{
	static const struct {
		int opt;
		const char *key;
	} text[] = {
	    {O_TYPE, "type"}, {O_SEVERITY, "severity"}, {O_TITLE, "title"}, {O_NOTES, "notes"}};

	for (size_t i = 0; i < Q_ARRAY_LEN(text); i++)
		if (a->val[text[i].opt])
			json_object_set_new(body, text[i].key, json_string(a->val[text[i].opt]));
	if (a->n_all[O_REF] || a->val[O_CLEAR_REFS]) {
		json_t *list = refs ? json_deep_copy(refs) : json_array();

		for (int i = 0; i < a->n_all[O_REF]; i++)
			json_array_append_new(list, json_string(a->all[O_REF][i]));
		json_object_set_new(body, "references", list);
	}
}

static int update_create(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	json_t *body = NULL, *ans = NULL, *ids = json_array();
	char *path = NULL;
	int ret;

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0) {
		json_decref(ids);
		return q_cli_usage_error(a, "%s", err.msg);
	}
	for (int i = 2; i < a->n_words; i++) {
		long id;

		if (q_cli_parse_long(a->words[i], 1, LONG_MAX, "build id", &id, &err) < 0) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		json_array_append_new(ids, json_integer(id));
	}
	body = json_pack("{s:s,s:O}", "repo", a->words[1], "builds", ids);
	advisory_body(a, NULL, body);
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "updates", NULL);
	if (q_client_call(c, "POST", path, body, &ans, &err) < 0)
		ret = q_cli_fail(&err);
	else
		ret = finish(c, ans, ans);
out:
	json_decref(body);
	json_decref(ids);
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

/* Append "?KEY=VALUE" or "&KEY=VALUE" (escaped) to a query. */
static void add_param(GString *q, const char *key, const char *value)
{
	char *e = g_uri_escape_string(value, NULL, FALSE);

	g_string_append_printf(q, "%c%s=%s", strchr(q->str, '?') ? '&' : '?', key, e);
	g_free(e);
}

static int update_list(struct q_client *c, struct q_cli_args *a)
{
	static const char *const states[] = {"candidate", "testing",  "release",
					     "unpushed",  "obsolete", "revoked"};
	struct q_error err = {0};
	GString *q = g_string_new("updates");
	json_t *ans = NULL, *u;
	char *parts[2] = {NULL, NULL};
	size_t i;
	int known = 0;

	if (a->val[O_PROJECT]) {
		if (q_cli_split_path(a->val[O_PROJECT], 2, parts, &err) < 0) {
			g_string_free(q, TRUE);
			return q_cli_usage_error(a, "%s", err.msg);
		}
		if (a->val[O_SIG] && strcmp(a->val[O_SIG], parts[0])) {
			g_string_free(q, TRUE);
			g_free(parts[0]);
			g_free(parts[1]);
			return q_cli_usage_error(a, "--sig %s and --project %s name different SIGs",
						 a->val[O_SIG], a->val[O_PROJECT]);
		}
		add_param(q, "sig", parts[0]);
		add_param(q, "project", parts[1]);
		g_free(parts[0]);
		g_free(parts[1]);
	} else if (a->val[O_SIG]) {
		add_param(q, "sig", a->val[O_SIG]);
	}
	if (a->val[O_STATE]) {
		for (i = 0; i < Q_ARRAY_LEN(states); i++)
			known |= !strcmp(a->val[O_STATE], states[i]);
		if (!known) {
			g_string_free(q, TRUE);
			return q_cli_usage_error(a,
						 "state '%s' is unknown; use candidate, testing, "
						 "release, unpushed, obsolete or revoked",
						 a->val[O_STATE]);
		}
		add_param(q, "state", a->val[O_STATE]);
	}
	if (q_client_call(c, "GET", q->str, NULL, &ans, &err) < 0) {
		g_string_free(q, TRUE);
		return q_cli_fail(&err);
	}
	g_string_free(q, TRUE);
	if (c->json) {
		q_out_json(ans);
	} else {
		json_array_foreach (json_object_get(ans, "updates"), i, u)
			add_build_list(u);
		q_out_table(json_object_get(ans, "updates"), update_cols, Q_ARRAY_LEN(update_cols));
	}
	json_decref(ans);
	return 0;
}

/* METHOD updates/ID[/ACTION] with an optional body; prints the update. */
static int update_call(struct q_client *c, const char *word, const char *method, const char *action,
		       json_t *body)
{
	struct q_error err = {0};
	json_t *ans = NULL;
	char *path;
	long id;
	int ret;

	if (q_cli_parse_long(word, 1, LONG_MAX, "update id", &id, &err) < 0)
		return q_cli_fail(&err);
	path = q_client_path(c, "updates", word, action, NULL);
	if (q_client_call(c, method, path, body, &ans, &err) < 0)
		ret = q_cli_fail(&err);
	else
		ret = finish(c, ans,
			     json_object_get(ans, "update") ? json_object_get(ans, "update") : ans);
	g_free(path);
	return ret;
}

static int update_show(struct q_client *c, struct q_cli_args *a)
{
	return update_call(c, a->words[0], "GET", NULL, NULL);
}

static int update_approve(struct q_client *c, struct q_cli_args *a)
{
	return update_call(c, a->words[0], "POST", "approve", NULL);
}

/* --add-build and --remove-build of `update edit`: *body gets "add" and
 * "remove" lists (absent when not given). */
static int edit_builds_body(struct q_cli_args *a, json_t **body)
{
	static const int opts[] = {O_ADD_BUILD, O_REMOVE_BUILD};
	static const char *const keys[] = {"add", "remove"};
	struct q_error err = {0};

	*body = NULL;
	for (int k = 0; k < 2; k++) {
		json_t *list;

		if (!a->n_all[opts[k]])
			continue;
		list = json_array();
		for (int i = 0; i < a->n_all[opts[k]]; i++) {
			long id;

			if (q_cli_parse_long(a->all[opts[k]][i], 1, LONG_MAX, "build id", &id,
					     &err) < 0) {
				json_decref(list);
				json_decref(*body);
				*body = NULL;
				return q_cli_usage_error(a, "--%s: %s", update_opts[opts[k]].name,
							 err.msg);
			}
			json_array_append_new(list, json_integer(id));
		}
		if (!*body)
			*body = json_object();
		json_object_set_new(*body, keys[k], list);
	}
	return 0;
}

/* The builds part of `update edit`: POST updates/ID/builds; says when the
 * edit took a testing update back to candidate (the gate refused). */
static int edit_builds(struct q_client *c, struct q_cli_args *a, json_t *body)
{
	struct q_error err = {0};
	json_t *ans = NULL;
	char *path;
	long id;
	int ret;

	if (q_cli_parse_long(a->words[0], 1, LONG_MAX, "update id", &id, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	path = q_client_path(c, "updates", a->words[0], "builds", NULL);
	if (q_client_call(c, "POST", path, body, &ans, &err) < 0) {
		g_free(path);
		return q_cli_fail(&err);
	}
	g_free(path);
	if (!c->json && json_is_string(json_object_get(ans, "gate")))
		fprintf(stderr,
			"note: the update left testing and is a candidate again until the gate "
			"passes: %s\n",
			json_string_value(json_object_get(ans, "gate")));
	ret = finish(c, json_incref(ans), json_object_get(ans, "update"));
	json_decref(ans);
	return ret;
}

static int update_comment(struct q_client *c, struct q_cli_args *a)
{
	json_t *body = json_object();
	int ret;

	if (a->val[O_KARMA]) {
		const char *k = a->val[O_KARMA];
		int v = !strcmp(k, "+1") || !strcmp(k, "1") ? 1
			: !strcmp(k, "0")                   ? 0
			: !strcmp(k, "-1")                  ? -1
							    : 2;

		if (v == 2) {
			json_decref(body);
			return q_cli_usage_error(a, "--karma wants +1, 0 or -1, not '%s'", k);
		}
		json_object_set_new(body, "karma", json_integer(v));
	}
	if (a->val[O_TEXT])
		json_object_set_new(body, "text", json_string(a->val[O_TEXT]));
	if (!a->val[O_KARMA] && !a->val[O_TEXT]) {
		json_decref(body);
		return q_cli_usage_error(a, "give --karma or --text");
	}
	ret = update_call(c, a->words[0], "POST", "comments", body);
	json_decref(body);
	return ret;
}

/*
 * The advisory part of `update edit ID`: PATCH the advisory fields given
 * (--ref adds to the update's references unless --clear-refs). *done is
 * set when there was something to send; print: show the answer (else the
 * builds part that follows shows the update). Returns the exit status.
 */
static int edit_advisory(struct q_client *c, struct q_cli_args *a, int print, int *done)
{
	struct q_error err = {0};
	json_t *body = json_object(), *cur = NULL;
	char *path = NULL;
	int ret = 0;

	*done = 0;
	if (a->n_all[O_REF] && !a->val[O_CLEAR_REFS]) {
		path = q_client_path(c, "updates", a->words[0], NULL);
		if (q_client_call(c, "GET", path, NULL, &cur, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
	}
	advisory_body(a, cur ? json_object_get(cur, "references") : NULL, body);
	if (json_object_size(body) > 0) {
		*done = 1;
		if (print) {
			ret = update_call(c, a->words[0], "PATCH", NULL, body);
		} else {
			json_t *ans = NULL;

			g_free(path);
			path = q_client_path(c, "updates", a->words[0], NULL);
			if (q_client_call(c, "PATCH", path, body, &ans, &err) < 0)
				ret = q_cli_fail(&err);
			json_decref(ans);
		}
	}
out:
	json_decref(body);
	json_decref(cur);
	g_free(path);
	return ret;
}

/* `update edit ID`: each part of an update that options name (the
 * advisory first, then the builds, whose answer is shown). */
static int update_edit(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *builds = NULL;
	long id;
	int done = 0, ret;

	if (q_cli_parse_long(a->words[0], 1, LONG_MAX, "update id", &id, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	if (edit_builds_body(a, &builds))
		return 2;
	ret = edit_advisory(c, a, !builds, &done);
	if (ret == 0 && builds)
		ret = edit_builds(c, a, builds);
	json_decref(builds);
	if (ret || done || builds)
		return ret;
	return q_cli_usage_error(a, "nothing to change: give --add-build, --remove-build, --type, "
				    "--severity, --title, --notes, --ref or --clear-refs");
}

static const struct q_cli_cmd update_cmds[] = {
    {"create", "SIG/PROJECT REPO BUILD...",
     "group complete builds into an update headed for release repo REPO (SIG members)", 3, -1,
     B(O_NOTES) | ADVISORY_OPTS, 0, update_create},
    {"list", "", "list updates, newest first; the filters combine", 0, 0,
     B(O_SIG) | B(O_PROJECT) | B(O_STATE), 0, update_list},
    {"show", "UPDATE", "show an update, its builds and their checks", 1, 1, 0, 0, update_show},
    {"approve", "UPDATE", "approve an update for release (SIG lead)", 1, 1, 0, 0, update_approve},
    {"edit", "UPDATE",
     "change a candidate, testing or unpushed update: its builds (SIG members; in testing the "
     "update goes back through the gate) and its advisory (type, severity, title, notes, "
     "references: its creator or a SIG lead)",
     1, 1, B(O_ADD_BUILD) | B(O_REMOVE_BUILD) | B(O_NOTES) | ADVISORY_OPTS | B(O_CLEAR_REFS), 0,
     update_edit},
    {"comment", "UPDATE",
     "comment on an update with karma +1, 0 or -1 (signed-in users; your latest karma counts, "
     "the creator's does not)",
     1, 1, B(O_KARMA) | B(O_TEXT), 0, update_comment},
};

const struct q_cli_family q_update_family = {
    "update",    "Updates: builds that move together from candidate to testing to release.",
    update_opts, Q_ARRAY_LEN(update_opts),
    update_cmds, Q_ARRAY_LEN(update_cmds),
};

int cmd_update(int argc, char **argv)
{
	return q_cli_run(&q_update_family, argc, argv);
}

static int promote(struct q_client *c, struct q_cli_args *a)
{
	json_t *body = json_pack("{s:s}", "to", a->val[O_TO]);
	int ret = update_call(c, a->words[0], "POST", "promote", body);

	json_decref(body);
	return ret;
}

static const struct q_cli_cmd promote_cmds[] = {
    {NULL, "UPDATE",
     "move an update to testing (SIG members) or release (SIG leads), if the "
     "project's gating policy allows it",
     1, 1, B(O_TO), B(O_TO), promote},
};

const struct q_cli_family q_promote_family = {
    "promote",    "Promote updates.",        update_opts, Q_ARRAY_LEN(update_opts),
    promote_cmds, Q_ARRAY_LEN(promote_cmds),
};

int cmd_promote(int argc, char **argv)
{
	return q_cli_run(&q_promote_family, argc, argv);
}

static int unpush(struct q_client *c, struct q_cli_args *a)
{
	return update_call(c, a->words[0], "POST", "unpush", NULL);
}

static const struct q_cli_cmd unpush_cmds[] = {
    {NULL, "UPDATE",
     "take a candidate or testing update's packages out of its repos (SIG leads); a released "
     "update is final (see quarry revoke)",
     1, 1, 0, 0, unpush},
};

const struct q_cli_family q_unpush_family = {
    "unpush", "Unpush updates.", NULL, 0, unpush_cmds, Q_ARRAY_LEN(unpush_cmds),
};

int cmd_unpush(int argc, char **argv)
{
	return q_cli_run(&q_unpush_family, argc, argv);
}

/* --- revoke --- */

enum { R_REASON };

static const struct q_cli_opt revoke_opts[] = {
    [R_REASON] = {"reason", "TEXT", "why (required; kept in the audit log)"},
};

static int revoke_update(struct q_client *c, struct q_cli_args *a)
{
	json_t *body = json_pack("{s:s}", "reason", a->val[R_REASON]);
	int ret = update_call(c, a->words[0], "POST", "revoke", body);

	json_decref(body);
	return ret;
}

static const struct q_cli_cmd revoke_cmds[] = {
    {NULL, "UPDATE",
     "take a released update's builds out of its release repo and republish it (release "
     "engineers and admins)",
     1, 1, B(R_REASON), B(R_REASON), revoke_update},
};

const struct q_cli_family q_revoke_family = {
    "revoke",    "Revoke released updates.", revoke_opts, Q_ARRAY_LEN(revoke_opts),
    revoke_cmds, Q_ARRAY_LEN(revoke_cmds),
};

int cmd_revoke(int argc, char **argv)
{
	return q_cli_run(&q_revoke_family, argc, argv);
}

/* --- policy --- */

static int policy_call(struct q_client *c, struct q_cli_args *a, const char *method, json_t *body)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	json_t *ans = NULL;
	char *path;
	int ret;

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "policy", NULL);
	if (q_client_call(c, method, path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
	} else {
		if (c->json)
			q_out_json(ans);
		else
			q_out_fields(ans, policy_fields, Q_ARRAY_LEN(policy_fields));
		json_decref(ans);
		ret = 0;
	}
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

static int policy_show(struct q_client *c, struct q_cli_args *a)
{
	return policy_call(c, a, "GET", NULL);
}

static int bool_opt(struct q_cli_args *a, int o, const char *key, json_t *body)
{
	if (!a->val[o])
		return 0;
	if (!strcmp(a->val[o], "true") || !strcmp(a->val[o], "yes"))
		json_object_set_new(body, key, json_true());
	else if (!strcmp(a->val[o], "false") || !strcmp(a->val[o], "no"))
		json_object_set_new(body, key, json_false());
	else
		return q_cli_usage_error(a, "--%s wants true or false", update_opts[o].name);
	return 0;
}

/* --stable-karma N (0 or more) and --unstable-karma N (0 or less). */
static int karma_opts(struct q_cli_args *a, json_t *body)
{
	struct q_error err = {0};
	long v;

	if (a->val[O_STABLE_KARMA]) {
		if (q_cli_parse_long(a->val[O_STABLE_KARMA], 0, 1000, "--stable-karma", &v, &err) <
		    0)
			return q_cli_usage_error(a, "%s", err.msg);
		json_object_set_new(body, "stable_karma", json_integer(v));
	}
	if (a->val[O_UNSTABLE_KARMA]) {
		if (q_cli_parse_long(a->val[O_UNSTABLE_KARMA], -1000, 0, "--unstable-karma", &v,
				     &err) < 0)
			return q_cli_usage_error(a, "%s", err.msg);
		json_object_set_new(body, "unstable_karma", json_integer(v));
	}
	return 0;
}

static int policy_set(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *body = json_object();
	int ret;

	if (a->val[O_CHECKS])
		json_object_set_new(body, "required_checks", json_string(a->val[O_CHECKS]));
	if (a->val[O_DAYS]) {
		long d;

		if (q_cli_parse_long(a->val[O_DAYS], 0, 365, "--testing-days", &d, &err) < 0) {
			json_decref(body);
			return q_cli_usage_error(a, "%s", err.msg);
		}
		json_object_set_new(body, "testing_days", json_integer(d));
	}
	if (karma_opts(a, body)) {
		json_decref(body);
		return 2;
	}
	if (bool_opt(a, O_APPROVAL, "lead_approval", body) ||
	    bool_opt(a, O_AUTO, "auto_testing", body) ||
	    bool_opt(a, O_SIGN, "sign_testing", body) ||
	    bool_opt(a, O_UP_TESTING, "uploads_testing", body) ||
	    bool_opt(a, O_UP_RELEASE, "uploads_release", body)) {
		json_decref(body);
		return 2;
	}
	if (a->val[O_RPMLINTRC]) {
		gchar *text = NULL;
		GError *gerr = NULL;

		if (!g_file_get_contents(a->val[O_RPMLINTRC], &text, NULL, &gerr)) {
			q_error_set(&err, Q_EIO, "cannot read '%s': %s", a->val[O_RPMLINTRC],
				    gerr->message);
			g_error_free(gerr);
			json_decref(body);
			return q_cli_fail(&err);
		}
		json_object_set_new(body, "rpmlint_config", json_string(text));
		g_free(text);
	}
	ret = policy_call(c, a, "PUT", body);
	json_decref(body);
	return ret;
}

static const struct q_cli_cmd policy_cmds[] = {
    {"show", "SIG/PROJECT", "show a project's gating policy", 1, 1, 0, 0, policy_show},
    {"set", "SIG/PROJECT", "change a project's gating policy (SIG leads)", 1, 1,
     B(O_CHECKS) | B(O_DAYS) | B(O_APPROVAL) | B(O_AUTO) | B(O_SIGN) | B(O_RPMLINTRC) |
	 B(O_UP_TESTING) | B(O_UP_RELEASE) | B(O_STABLE_KARMA) | B(O_UNSTABLE_KARMA),
     0, policy_set},
};

const struct q_cli_family q_policy_family = {
    "policy",    "Gating policies: what an update needs to move on.",
    update_opts, Q_ARRAY_LEN(update_opts),
    policy_cmds, Q_ARRAY_LEN(policy_cmds),
};

int cmd_policy(int argc, char **argv)
{
	return q_cli_run(&q_policy_family, argc, argv);
}
