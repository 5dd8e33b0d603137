/*
 * test_api_routes.c: every route of the API's table declares an
 * authorization rule, and no method + pattern is listed twice.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_route_has_a_rule),
	    cmocka_unit_test(no_route_twice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
