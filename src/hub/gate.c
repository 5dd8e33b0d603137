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

int q_gate_check(json_t *update, json_t *policy, json_t *checks, const char *to, int64_t now,
		 struct q_error *err)
{
	const char *state = str(update, "state");
	int64_t id = num(update, "id"), days = num(policy, "testing_days");
	char where[200];
	char **required;
	json_t *b;
	size_t i;
	int rc = 0;

	snprintf(where, sizeof(where), "policy of %s/%s", str(update, "sig"),
		 str(update, "project"));
	if (!strcmp(to, "testing")) {
		if (strcmp(state, "candidate") && strcmp(state, "unpushed"))
			return q_error_set(
			    err, Q_ECONFLICT,
			    "%s, rule 'state': update %" PRId64
			    " is '%s'; only a candidate or an unpushed update moves "
			    "to testing%s",
			    where, id, state,
			    !strcmp(state, "release") ? " (released is final)"
			    : !strcmp(state, "obsolete")
				? " (a newer update replaced it; its builds may join "
				  "another update)"
				: "");
	} else if (!strcmp(to, "release")) {
		if (strcmp(state, "testing") && !(days == 0 && !strcmp(state, "candidate")))
			return q_error_set(err, Q_ECONFLICT,
					   "%s, rule 'state': update %" PRId64
					   " is '%s'; it moves to release from testing%s",
					   where, id, state, days == 0 ? " or as a candidate" : "");
	} else {
		return q_error_set(err, Q_EINVAL, "unknown target '%s' (testing or release)", to);
	}

	if (json_array_size(json_object_get(update, "builds")) == 0)
		return q_error_set(err, Q_ECONFLICT,
				   "%s, rule 'builds': update %" PRId64
				   " has no builds; add some with 'quarry update edit %" PRId64
				   " --add-build BUILD'",
				   where, id, id);

	/* Checks: every required one passed for every build. */
	required = g_strsplit(str(policy, "required_checks"), ",", -1);
	json_array_foreach (json_object_get(update, "builds"), i, b) {
		char key[32];
		json_t *list;

		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(b, "id")));
		list = json_object_get(checks, key);
		for (char **r = required; *r && rc == 0; r++) {
			const char *name = g_strstrip(*r);
			json_t *c = NULL, *x;
			size_t k;

			if (!*name)
				continue;
			json_array_foreach (list, k, x)
				if (!strcmp(str(x, "name"), name))
					c = x;
			if (!c)
				rc =
				    q_error_set(err, Q_ECONFLICT,
						"%s, rule 'checks': build %" JSON_INTEGER_FORMAT
						" (%s): check '%s' has not run",
						where, json_integer_value(json_object_get(b, "id")),
						str(b, "nevr"), name);
			else if (strcmp(str(c, "state"), "pass"))
				rc = q_error_set(
				    err, Q_ECONFLICT,
				    "%s, rule 'checks': build %" JSON_INTEGER_FORMAT
				    " (%s): check '%s' %s%s%s",
				    where, json_integer_value(json_object_get(b, "id")),
				    str(b, "nevr"), name,
				    !strcmp(str(c, "state"), "fail")    ? "failed"
				    : !strcmp(str(c, "state"), "error") ? "could not run"
									: "has not finished",
				    *str(c, "summary") ? ": " : "", str(c, "summary"));
		}
		if (rc)
			break;
	}
	g_strfreev(required);
	if (rc)
		return rc;
	if (!strcmp(to, "release")) {
		int64_t since = num(update, "testing_since");

		if (days > 0 && (since == 0 || now - since < days * 86400)) {
			int64_t had = since ? (now - since) / 86400 : 0;

			return q_error_set(err, Q_ECONFLICT,
					   "%s, rule 'days': update %" PRId64
					   " has been in testing "
					   "%" PRId64 " day%s; the policy asks for %" PRId64,
					   where, id, had, had == 1 ? "" : "s", days);
		}
		if (num(policy, "stable_karma") > 0 &&
		    num(update, "karma") < num(policy, "stable_karma"))
			return q_error_set(
			    err, Q_ECONFLICT,
			    "%s, rule 'karma': update %" PRId64 " has karma %" PRId64
			    "; the policy asks for %" PRId64 " ('quarry update comment %" PRId64
			    " --karma +1' by users other than its creator)",
			    where, id, num(update, "karma"), num(policy, "stable_karma"), id);
		if (num(policy, "lead_approval") && !*str(update, "approved_by"))
			return q_error_set(
			    err, Q_ECONFLICT,
			    "%s, rule 'approval': update %" PRId64
			    " needs a SIG lead's approval ('quarry update approve %" PRId64 "')",
			    where, id, id);
	}
	return 0;
}
