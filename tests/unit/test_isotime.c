/*
 * test_isotime.c: the one time format (src/core/isotime.c). q_time_iso and
 * q_json_time on known instants, the epoch, unset (0, negative) times and
 * a leap day; q_time_parse on both accepted forms, round trips, and bad
 * input (NULL, empty, trailing text, missing Z, lower-case t, fields out of
 * range, Feb 30 and Feb 29 of a common year, before 1970, signs and
 * spaces); q_json_times_iso on nested answers (only integers under time
 * names change; 0 becomes null; strings and other members stay).
 */
#include "core/common.h"
#include "core/isotime.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static void test_iso(void **state)
{
	char buf[Q_ISO_TIME_LEN];
	json_t *j;

	(void)state;
	assert_string_equal(q_time_iso(1, buf), "1970-01-01T00:00:01Z");
	assert_string_equal(q_time_iso(1796312320, buf), "2026-12-03T15:38:40Z");
	assert_string_equal(q_time_iso(951782400, buf), "2000-02-29T00:00:00Z");
	assert_string_equal(q_time_iso(0, buf), "");
	assert_string_equal(q_time_iso(-5, buf), "");
	assert_ptr_equal(q_time_iso(1, buf), buf);
	j = q_json_time(1796312320);
	assert_true(json_is_string(j));
	assert_string_equal(json_string_value(j), "2026-12-03T15:38:40Z");
	json_decref(j);
	j = q_json_time(0);
	assert_true(json_is_null(j));
	json_decref(j);
	j = q_json_time(-1);
	assert_true(json_is_null(j));
	json_decref(j);
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
	    "",
	    "2026",
	    "2026-12-3",
	    "2026-12-03T15:38:40",
	    "2026-12-03T15:38:40Z ",
	    " 2026-12-03T15:38:40Z",
	    "2026-12-03t15:38:40Z",
	    "2026-12-03 15:38:40Z",
	    "2026-12-03T15:38:40+00:00",
	    "2026-12-03T15:38:40.5Z",
	    "2026-12-03x",
	    "2026/12/03",
	    "2026-13-01",
	    "2026-00-01",
	    "2026-12-00",
	    "2026-12-32",
	    "2026-02-30",
	    "2026-02-29",
	    "2026-04-31",
	    "2026-12-03T24:00:00Z",
	    "2026-12-03T23:60:00Z",
	    "2026-12-03T23:59:61Z",
	    "1969-12-31",
	    "0000-01-01",
	    "+026-12-03",
	    "-026-12-03",
	    "2026-+1-03",
	    "2026-1-003",
	    "2026-12-03T1:38:40ZZ",
	    "abcd-ef-gh",
	};
	int64_t t = 42;
	char buf[Q_ISO_TIME_LEN];

	(void)state;
	assert_int_equal(q_time_parse("2026-12-03T15:38:40Z", &t), 0);
	assert_int_equal(t, 1796312320);
	assert_int_equal(q_time_parse("2026-12-03", &t), 0);
	assert_int_equal(t, 1796256000);
	assert_int_equal(q_time_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(q_time_parse("2000-02-29", &t), 0);
	assert_int_equal(t, 951782400);
	assert_int_equal(q_time_parse("2024-02-29T23:59:59Z", &t), 0);
	/* round trip */
	for (int64_t v = 1; v < 4102444800; v += 987654321) {
		assert_int_equal(q_time_parse(q_time_iso(v, buf), &t), 0);
		assert_int_equal(t, v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		if (q_time_parse(bad[i], &t) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(t, 42); /* untouched on failure */
	}
	assert_int_equal(q_time_parse(NULL, &t), -1);
}

static void test_times_iso(void **state)
{
	json_t *v = json_pack(
	    "{s:I,s:I,s:s,s:I,s:[{s:I,s:n,s:s},{s:I}],s:{s:I,s:b},s:I,s:I}", "created",
	    (json_int_t)1796312320, "id", (json_int_t)7, "updated", "2026-12-03T15:38:40Z",
	    "testing_since", (json_int_t)0, "tasks", "started", (json_int_t)1, "finished", "state",
	    "done", "last_seen", (json_int_t)951782400, "mirror", "last_crawl", (json_int_t)-3,
	    "enabled", 1, "size", (json_int_t)1796312320, "released", (json_int_t)1796312320);
	char *s;

	(void)state;
	assert_non_null(v);
	q_json_times_iso(v);
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(
	    s, "{\"created\":\"2026-12-03T15:38:40Z\",\"id\":7,\"mirror\":{\"enabled\":true,"
	       "\"last_crawl\":null},\"released\":\"2026-12-03T15:38:40Z\",\"size\":1796312320,"
	       "\"tasks\":[{\"finished\":null,\"started\":\"1970-01-01T00:00:01Z\",\"state\":"
	       "\"done\"},{\"last_seen\":\"2000-02-29T00:00:00Z\"}],\"testing_since\":null,"
	       "\"updated\":\"2026-12-03T15:38:40Z\"}");
	free(s);
	/* idempotent */
	q_json_times_iso(v);
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(strstr(s, "\"created\":\"2026-12-03T15:38:40Z\""));
	free(s);
	json_decref(v);
	q_json_times_iso(NULL);
	assert_true(q_time_key("testing_since"));
	assert_false(q_time_key("size"));
	assert_false(q_time_key("timeout"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iso),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_times_iso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
