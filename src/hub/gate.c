/*
 * gate.c: see gate.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "hub/gate.h"

#include <glib.h>

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int64_t num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* One rule: 0 when met, -1 with err (Q_ECONFLICT) saying why not. */
struct gate_ctx {
	json_t *update, *policy, *checks;
	const char *to, *state;
	int64_t now, id, days;
	char where[200];
};

static int rule_state(struct gate_ctx *g, struct q_error *err)
{
	const char *state = g->state;

	if (!strcmp(g->to, "testing")) {
		if (strcmp(state, "candidate") && strcmp(state, "unpushed"))
			return q_error_set(
			    err, Q_ECONFLICT,
			    "%s, rule 'state': update %" PRId64
			    " is '%s'; only a candidate or an unpushed update moves "
			    "to testing%s",
			    g->where, g->id, state,
			    !strcmp(state, "release") ? " (released is final)"
			    : !strcmp(state, "obsolete")
				? " (a newer update replaced it; its builds may join "
				  "another update)"
				: "");
	} else if (strcmp(state, "testing") && !(g->days == 0 && !strcmp(state, "candidate")))
		return q_error_set(err, Q_ECONFLICT,
				   "%s, rule 'state': update %" PRId64
				   " is '%s'; it moves to release from testing%s",
				   g->where, g->id, state,
				   g->days == 0 ? " or as a candidate" : "");
	return 0;
}

static int rule_builds(struct gate_ctx *g, struct q_error *err)
{
	if (json_array_size(json_object_get(g->update, "builds")) == 0)
		return q_error_set(err, Q_ECONFLICT,
				   "%s, rule 'builds': update %" PRId64
				   " has no builds; add some with 'quarry update edit %" PRId64
				   " --add-build BUILD'",
				   g->where, g->id, g->id);
	return 0;
}

static int check_one(struct gate_ctx *g, json_t *b, const char *name, struct q_error *err)
{
	char key[32];
	json_t *c = NULL, *x;
	size_t k;

	snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(b, "id")));
	json_array_foreach (json_object_get(g->checks, key), k, x)
		if (!strcmp(str(x, "name"), name))
			c = x;
	if (!c)
		return q_error_set(err, Q_ECONFLICT,
				   "%s, rule 'checks': build %" JSON_INTEGER_FORMAT
				   " (%s): check '%s' has not run",
				   g->where, json_integer_value(json_object_get(b, "id")),
				   str(b, "nevr"), name);
	if (strcmp(str(c, "state"), "pass"))
		return q_error_set(
		    err, Q_ECONFLICT,
		    "%s, rule 'checks': build %" JSON_INTEGER_FORMAT " (%s): check '%s' %s%s%s",
		    g->where, json_integer_value(json_object_get(b, "id")), str(b, "nevr"), name,
		    !strcmp(str(c, "state"), "fail")    ? "failed"
		    : !strcmp(str(c, "state"), "error") ? "could not run"
							: "has not finished",
		    *str(c, "summary") ? ": " : "", str(c, "summary"));
	return 0;
}

/* Checks: every required one passed for every build. */
static int rule_checks(struct gate_ctx *g, struct q_error *err)
{
	char **required = g_strsplit(str(g->policy, "required_checks"), ",", -1);
	json_t *b;
	size_t i;
	int rc = 0;

	json_array_foreach (json_object_get(g->update, "builds"), i, b) {
		for (char **r = required; *r && rc == 0; r++) {
			const char *name = g_strstrip(*r);

			if (*name)
				rc = check_one(g, b, name, err);
		}
		if (rc)
			break;
	}
	g_strfreev(required);
	return rc;
}

static int rule_days(struct gate_ctx *g, struct q_error *err)
{
	int64_t since = num(g->update, "testing_since");

	if (g->days > 0 && (since == 0 || g->now - since < g->days * 86400)) {
		int64_t had = since ? (g->now - since) / 86400 : 0;

		return q_error_set(err, Q_ECONFLICT,
				   "%s, rule 'days': update %" PRId64 " has been in testing "
				   "%" PRId64 " day%s; the policy asks for %" PRId64,
				   g->where, g->id, had, had == 1 ? "" : "s", g->days);
	}
	return 0;
}

static int rule_karma(struct gate_ctx *g, struct q_error *err)
{
	if (num(g->policy, "stable_karma") > 0 &&
	    num(g->update, "karma") < num(g->policy, "stable_karma"))
		return q_error_set(err, Q_ECONFLICT,
				   "%s, rule 'karma': update %" PRId64 " has karma %" PRId64
				   "; the policy asks for %" PRId64
				   " ('quarry update comment %" PRId64
				   " --karma +1' by users other than its creator)",
				   g->where, g->id, num(g->update, "karma"),
				   num(g->policy, "stable_karma"), g->id);
	return 0;
}

static int rule_approval(struct gate_ctx *g, struct q_error *err)
{
	if (num(g->policy, "lead_approval") && !*str(g->update, "approved_by"))
		return q_error_set(err, Q_ECONFLICT,
				   "%s, rule 'approval': update %" PRId64
				   " needs a SIG lead's approval ('quarry update approve %" PRId64
				   "')",
				   g->where, g->id, g->id);
	return 0;
}

/* The rules in their order; release_only: asked only of a move to release. */
static const struct {
	const char *name;
	const char *asks;
	int (*fn)(struct gate_ctx *g, struct q_error *err);
	bool release_only;
} rules[] = {
    {"state", "the update is in the state the move starts from", rule_state, false},
    {"builds", "the update has at least one build", rule_builds, false},
    {"checks", "every required check passed for every build", rule_checks, false},
    {"days", "the days in testing the policy asks for", rule_days, true},
    {"karma", "the karma the policy asks for", rule_karma, true},
    {"approval", "a SIG lead's approval when the policy asks for it", rule_approval, true},
};

static int gate_init(struct gate_ctx *g, json_t *update, json_t *policy, json_t *checks,
		     const char *to, int64_t now, struct q_error *err)
{
	if (strcmp(to, "testing") && strcmp(to, "release"))
		return q_error_set(err, Q_EINVAL, "unknown target '%s' (testing or release)", to);
	*g = (struct gate_ctx){.update = update,
			       .policy = policy,
			       .checks = checks,
			       .to = to,
			       .state = str(update, "state"),
			       .now = now,
			       .id = num(update, "id"),
			       .days = num(policy, "testing_days")};
	snprintf(g->where, sizeof(g->where), "policy of %s/%s", str(update, "sig"),
		 str(update, "project"));
	return 0;
}

int q_gate_check(json_t *update, json_t *policy, json_t *checks, const char *to, int64_t now,
		 struct q_error *err)
{
	struct gate_ctx g;

	if (gate_init(&g, update, policy, checks, to, now, err) < 0)
		return -1;
	for (size_t i = 0; i < Q_ARRAY_LEN(rules); i++)
		if ((!rules[i].release_only || !strcmp(to, "release")) && rules[i].fn(&g, err) < 0)
			return -1;
	return 0;
}

int q_gate_status(json_t *update, json_t *policy, json_t *checks, const char *to, int64_t now,
		  json_t **out, struct q_error *err)
{
	struct gate_ctx g;

	if (gate_init(&g, update, policy, checks, to, now, err) < 0)
		return -1;
	*out = json_array();
	for (size_t i = 0; i < Q_ARRAY_LEN(rules); i++) {
		struct q_error why = {0};
		int met;

		if (rules[i].release_only && strcmp(to, "release"))
			continue;
		met = rules[i].fn(&g, &why) == 0;
		json_array_append_new(*out, json_pack("{s:s,s:b,s:s,s:s}", "rule", rules[i].name,
						      "met", met, "asks", rules[i].asks, "reason",
						      met ? "" : why.msg));
	}
	return 0;
}
