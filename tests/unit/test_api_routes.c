/*
 * test_api_routes.c: every route of the API's table declares an
 * authorization rule, and no method + pattern is listed twice; the token
 * scope each route needs follows from its method and the release-level
 * list, and that list names only routes of the table.
 * (t0321 checks each rule against the roles on a real hub.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/common.h"
#include "api/api.h"

static void every_route_has_a_rule(void **state)
{
	const char *method, *pattern, *rule;
	size_t i;

	(void)state;
	for (i = 0; q_api_route_info(i, &method, &pattern, &rule) == 0; i++) {
		if (!rule)
			fail_msg("route %s %s declares no authorization rule", method, pattern);
		assert_non_null(pattern);
		assert_true(!strcmp(method, "GET") || !strcmp(method, "POST") ||
			    !strcmp(method, "PUT") || !strcmp(method, "PATCH") ||
			    !strcmp(method, "DELETE"));
		/* Reads by workers and the public are GETs; a public write would be a hole. */
		if (!strcmp(rule, "public") && strcmp(method, "GET"))
			fail_msg("route %s %s is public but not a GET", method, pattern);
	}
	assert_true(i > 50);
}

static void no_route_twice(void **state)
{
	const char *m1, *p1, *r1, *m2, *p2, *r2;

	(void)state;
	for (size_t i = 0; q_api_route_info(i, &m1, &p1, &r1) == 0; i++)
		for (size_t j = i + 1; q_api_route_info(j, &m2, &p2, &r2) == 0; j++)
			if (!strcmp(m1, m2) && !strcmp(p1, p2))
				fail_msg("route %s %s is listed twice", m1, p1);
}

static void scopes_follow_the_method(void **state)
{
	const char *method, *pattern, *rule, *scope;
	size_t n_release = 0;

	(void)state;
	for (size_t i = 0; q_api_route_info(i, &method, &pattern, &rule) == 0; i++) {
		scope = q_api_route_scope(i);
		assert_non_null(scope);
		if (!strcmp(method, "GET") && strcmp(scope, "read"))
			fail_msg("route GET %s needs scope %s, not read", pattern, scope);
		if (strcmp(method, "GET") && !strcmp(scope, "read"))
			fail_msg("route %s %s changes things but needs only scope read", method,
				 pattern);
		if (!strcmp(scope, "release"))
			n_release++;
	}
	assert_null(q_api_route_scope(SIZE_MAX));
	/* Promotion, key rotation and membership are release-level; a build is not. */
	for (size_t i = 0; q_api_route_info(i, &method, &pattern, &rule) == 0; i++) {
		if (!strcmp(method, "POST") && !strcmp(pattern, "api/v1/updates/*/promote"))
			assert_string_equal(q_api_route_scope(i), "release");
		if (!strcmp(method, "POST") && !strcmp(pattern, "api/v1/sigs/*/keys/rotate"))
			assert_string_equal(q_api_route_scope(i), "release");
		if (!strcmp(method, "PUT") && !strcmp(pattern, "api/v1/sigs/*/members/*"))
			assert_string_equal(q_api_route_scope(i), "release");
		if (!strcmp(method, "POST") && !strcmp(pattern, "api/v1/sigs/*/projects/*/builds"))
			assert_string_equal(q_api_route_scope(i), "build");
	}
	/* Every entry of the release-level list is a route (no typo lets a
	 * release-level route fall back to "build"). */
	assert_int_equal(n_release, q_api_release_route_count());
	for (size_t k = 0; k < q_api_release_route_count(); k++)
		assert_non_null(q_api_release_route(k));
	assert_null(q_api_release_route(q_api_release_route_count()));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_route_has_a_rule),
	    cmocka_unit_test(no_route_twice),
	    cmocka_unit_test(scopes_follow_the_method),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
