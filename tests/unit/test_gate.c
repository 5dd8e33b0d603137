/*
 * test_gate.c: the gating policy (src/hub/gate.c): each rule allows and
 * refuses, and a refusal names the rule, the build and the check.
 */
#include "core/common.h"
#include "core/error.h"
#include "hub/gate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define DAY 86400
#define NOW 1800000000

static json_t *update(const char *state, int64_t testing_since, const char *approved_by)
{
	return json_pack("{s:i,s:s,s:s,s:s,s:I,s:s,s:[{s:i,s:s},{s:i,s:s}]}", "id", 7, "sig", "mc",
			 "project", "el9", "state", state, "testing_since",
			 (json_int_t)testing_since, "approved_by", approved_by, "builds", "id", 12,
			 "nevr", "foo-1.0-1.el9.mc", "id", 13, "nevr", "bar-2.0-1.el9.mc");
}

static json_t *policy(const char *checks, int days, int approval)
{
	return json_pack("{s:s,s:i,s:i,s:i,s:i,s:s}", "required_checks", checks, "testing_days",
			 days, "lead_approval", approval, "auto_testing", 1, "sign_testing", 0,
			 "rpmlint_config", "");
}

/* Both builds with closure and disttag in the given states. */
static json_t *checks(const char *closure13, const char *summary)
{
	return json_pack("{s:[{s:s,s:s,s:s},{s:s,s:s,s:s}],s:[{s:s,s:s,s:s},{s:s,s:s,s:s}]}", "12",
			 "name", "disttag", "state", "pass", "summary", "", "name", "closure",
			 "state", "pass", "summary", "", "13", "name", "disttag", "state", "pass",
			 "summary", "", "name", "closure", "state", closure13, "summary", summary);
}

static int gate(json_t *u, json_t *p, json_t *c, const char *to, struct q_error *err)
{
	int rc;

	memset(err, 0, sizeof(*err));
	rc = q_gate_check(u, p, c, to, NOW, err);
	json_decref(u);
	json_decref(p);
	json_decref(c);
	return rc;
}

static void test_testing_allowed(void **state)
{
	struct q_error err;

	(void)state;
	assert_int_equal(gate(update("candidate", 0, ""), policy("disttag,closure", 3, 1),
			      checks("pass", ""), "testing", &err),
			 0);
}

static void test_state_rule(void **state)
{
	struct q_error err;

	(void)state;
	assert_int_equal(
	    gate(update("testing", NOW, ""), policy("", 0, 0), checks("pass", ""), "testing", &err),
	    -1);
	assert_int_equal(err.code, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, "rule 'state'"));
	assert_non_null(strstr(err.msg, "policy of mc/el9"));
	/* To release: from a candidate only when no days in testing are asked for. */
	assert_int_equal(
	    gate(update("candidate", 0, ""), policy("", 2, 0), checks("pass", ""), "release", &err),
	    -1);
	assert_non_null(strstr(err.msg, "rule 'state'"));
	assert_int_equal(
	    gate(update("candidate", 0, ""), policy("", 0, 0), checks("pass", ""), "release", &err),
	    0);
	assert_int_equal(
	    gate(update("release", 0, ""), policy("", 0, 0), checks("pass", ""), "release", &err),
	    -1);
	assert_int_equal(gate(update("candidate", 0, ""), policy("", 0, 0), checks("pass", ""),
			      "elsewhere", &err),
			 -1);
	assert_int_equal(err.code, Q_EINVAL);
}

static void test_checks_rule(void **state)
{
	struct q_error err;

	(void)state;
	assert_int_equal(gate(update("candidate", 0, ""), policy("disttag,closure", 0, 0),
			      checks("fail", "bar requires libbaz.so.1()(64bit)"), "testing", &err),
			 -1);
	assert_non_null(strstr(err.msg, "rule 'checks'"));
	assert_non_null(strstr(err.msg, "build 13 (bar-2.0-1.el9.mc)"));
	assert_non_null(
	    strstr(err.msg, "check 'closure' failed: bar requires libbaz.so.1()(64bit)"));
	assert_int_equal(gate(update("candidate", 0, ""), policy("disttag,closure", 0, 0),
			      checks("running", ""), "testing", &err),
			 -1);
	assert_non_null(strstr(err.msg, "has not finished"));
	assert_int_equal(gate(update("candidate", 0, ""), policy("disttag,closure", 0, 0),
			      checks("error", "dnf crashed"), "testing", &err),
			 -1);
	assert_non_null(strstr(err.msg, "could not run: dnf crashed"));
	/* A check that never ran. */
	assert_int_equal(gate(update("candidate", 0, ""), policy("disttag, rpmlint", 0, 0),
			      checks("pass", ""), "testing", &err),
			 -1);
	assert_non_null(
	    strstr(err.msg, "build 12 (foo-1.0-1.el9.mc): check 'rpmlint' has not run"));
	/* Not required: a failure does not matter. */
	assert_int_equal(gate(update("candidate", 0, ""), policy("disttag", 0, 0),
			      checks("fail", "x"), "testing", &err),
			 0);
	/* The checks are asked again on the way to release. */
	assert_int_equal(gate(update("testing", NOW - 10 * DAY, ""), policy("closure", 0, 0),
			      checks("fail", "x"), "release", &err),
			 -1);
	assert_non_null(strstr(err.msg, "rule 'checks'"));
}

static void test_days_rule(void **state)
{
	struct q_error err;

	(void)state;
	assert_int_equal(gate(update("testing", NOW - DAY - 5, ""), policy("", 3, 0),
			      checks("pass", ""), "release", &err),
			 -1);
	assert_non_null(strstr(err.msg, "rule 'days'"));
	assert_non_null(strstr(err.msg, "in testing 1 day;"));
	assert_non_null(strstr(err.msg, "asks for 3"));
	assert_int_equal(gate(update("testing", NOW - 3 * DAY, ""), policy("", 3, 0),
			      checks("pass", ""), "release", &err),
			 0);
}

static void test_approval_rule(void **state)
{
	struct q_error err;

	(void)state;
	assert_int_equal(gate(update("testing", NOW - 9 * DAY, ""), policy("", 3, 1),
			      checks("pass", ""), "release", &err),
			 -1);
	assert_non_null(strstr(err.msg, "rule 'approval'"));
	assert_non_null(strstr(err.msg, "quarry update approve 7"));
	assert_int_equal(gate(update("testing", NOW - 9 * DAY, "lead"), policy("", 3, 1),
			      checks("pass", ""), "release", &err),
			 0);
}

/* Unpushed moves to testing like a candidate; obsolete, revoked and
 * released do not. */
static void test_lifecycle_states(void **state)
{
	struct q_error err;

	(void)state;
	assert_int_equal(gate(update("unpushed", 0, ""), policy("disttag", 0, 0),
			      checks("pass", ""), "testing", &err),
			 0);
	assert_int_equal(
	    gate(update("obsolete", 0, ""), policy("", 0, 0), checks("pass", ""), "testing", &err),
	    -1);
	assert_non_null(strstr(err.msg, "rule 'state': update 7 is 'obsolete'"));
	assert_non_null(strstr(err.msg, "may join another update"));
	assert_int_equal(
	    gate(update("release", 0, ""), policy("", 0, 0), checks("pass", ""), "testing", &err),
	    -1);
	assert_non_null(strstr(err.msg, "(released is final)"));
	assert_int_equal(
	    gate(update("revoked", 0, ""), policy("", 0, 0), checks("pass", ""), "testing", &err),
	    -1);
	assert_non_null(strstr(err.msg, "rule 'state'"));
	assert_int_equal(
	    gate(update("unpushed", 0, ""), policy("", 0, 0), checks("pass", ""), "release", &err),
	    -1);
	assert_non_null(strstr(err.msg, "rule 'state'"));
}

static void test_builds_rule(void **state)
{
	struct q_error err;
	json_t *u = update("unpushed", 0, "");

	(void)state;
	json_object_set_new(u, "builds", json_array());
	assert_int_equal(gate(u, policy("", 0, 0), checks("pass", ""), "testing", &err), -1);
	assert_non_null(strstr(err.msg, "rule 'builds': update 7 has no builds"));
	assert_non_null(strstr(err.msg, "quarry update edit 7 --add-build BUILD"));
}

static void test_karma_rule(void **state)
{
	struct q_error err;
	json_t *u = update("testing", NOW, ""), *p = policy("", 0, 0);

	(void)state;
	json_object_set_new(u, "karma", json_integer(1));
	json_object_set_new(p, "stable_karma", json_integer(2));
	assert_int_equal(gate(json_incref(u), json_incref(p), checks("pass", ""), "release", &err),
			 -1);
	assert_non_null(
	    strstr(err.msg, "rule 'karma': update 7 has karma 1; the policy asks for 2"));
	assert_non_null(strstr(err.msg, "quarry update comment 7 --karma +1"));
	/* Not a rule for testing. */
	assert_int_equal(gate(json_incref(u), json_incref(p), checks("pass", ""), "testing", &err),
			 -1);
	assert_null(strstr(err.msg, "karma"));
	json_object_set_new(u, "karma", json_integer(2));
	assert_int_equal(gate(json_incref(u), json_incref(p), checks("pass", ""), "release", &err),
			 0);
	/* 0: not required. */
	json_object_set_new(u, "karma", json_integer(-3));
	json_object_set_new(p, "stable_karma", json_integer(0));
	assert_int_equal(gate(u, p, checks("pass", ""), "release", &err), 0);
}

/* Every rule on its own: several unmet at once, each with its reason. */
static void test_status_rule_by_rule(void **state)
{
	struct q_error err = {0};
	json_t *u = update("testing", NOW - DAY, ""), *p = policy("disttag,closure", 3, 1);
	json_t *c = checks("fail", "nothing provides libfoo"), *rules = NULL;
	const char *want[][2] = {{"state", ""},
				 {"builds", ""},
				 {"checks", "check 'closure' failed: nothing provides libfoo"},
				 {"days", "in testing 1 day;"},
				 {"karma", ""},
				 {"approval", "rule 'approval'"}};

	(void)state;
	assert_int_equal(q_gate_status(u, p, c, "release", NOW, &rules, &err), 0);
	assert_int_equal(json_array_size(rules), 6);
	for (size_t i = 0; i < 6; i++) {
		json_t *x = json_array_get(rules, i);
		const char *reason = json_string_value(json_object_get(x, "reason"));

		assert_string_equal(json_string_value(json_object_get(x, "rule")), want[i][0]);
		assert_int_equal(json_is_true(json_object_get(x, "met")), want[i][1][0] == '\0');
		assert_non_null(strstr(reason, want[i][1]));
	}
	json_decref(rules);
	/* To testing: the first three rules only. */
	assert_int_equal(q_gate_status(u, p, c, "testing", NOW, &rules, &err), 0);
	assert_int_equal(json_array_size(rules), 3);
	json_decref(rules);
	assert_int_equal(q_gate_status(u, p, c, "nowhere", NOW, &rules, &err), -1);
	json_decref(u);
	json_decref(p);
	json_decref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_testing_allowed),     cmocka_unit_test(test_state_rule),
	    cmocka_unit_test(test_checks_rule),         cmocka_unit_test(test_days_rule),
	    cmocka_unit_test(test_approval_rule),       cmocka_unit_test(test_lifecycle_states),
	    cmocka_unit_test(test_builds_rule),         cmocka_unit_test(test_karma_rule),
	    cmocka_unit_test(test_status_rule_by_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
