/*
 * test_names.c: name validation (src/core/names.c) and the error type and
 * code table (src/core/error.c). For each kind of name: the shortest and
 * longest valid names, one character more, the allowed first and later
 * characters, '..', '/', NUL-truncation, upper case, spaces and NULL; the
 * error message names WHAT and is bounded. Arches and SIG statuses. For
 * errors: the code → HTTP status / API name / exit code table (with
 * out-of-range codes), q_error_set with a NULL error and with a message
 * longer than the buffer, q_error_prefix, q_error_clear; q_redact_path.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void expect_ok(enum q_name_kind kind, const char *s)
{
	struct q_error err = {0};

	if (q_name_check(kind, "name", s, &err) != 0)
		fail_msg("kind %d: '%s' refused: %s", (int)kind, s, err.msg);
}

static void expect_bad(enum q_name_kind kind, const char *s)
{
	struct q_error err = {0};

	if (q_name_check(kind, "thing", s, &err) != -1)
		fail_msg("kind %d: '%s' accepted", (int)kind, s ? s : "(null)");
	assert_int_equal(err.code, Q_EINVAL);
	assert_non_null(strstr(err.msg, "thing"));
	assert_true(strlen(err.msg) < 300);
}

static void test_length_limits(void **state)
{
	static const struct {
		enum q_name_kind kind;
		size_t max;
		char fill;
	} kinds[] = {
	    {Q_NAME_SIG, 32, 'a'},  {Q_NAME_SHORT, 16, 'a'}, {Q_NAME_PROJECT, 32, '1'},
	    {Q_NAME_REPO, 32, 'r'}, {Q_NAME_USER, 64, 'u'},  {Q_NAME_VARIANT, 16, '9'},
	};

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(kinds); i++) {
		char *s;

		s = repeat(kinds[i].fill, 1);
		expect_ok(kinds[i].kind, s);
		free(s);
		s = repeat(kinds[i].fill, kinds[i].max);
		expect_ok(kinds[i].kind, s);
		free(s);
		s = repeat(kinds[i].fill, kinds[i].max + 1);
		expect_bad(kinds[i].kind, s);
		free(s);
		s = repeat(kinds[i].fill, 5000);
		expect_bad(kinds[i].kind, s);
		free(s);
		expect_bad(kinds[i].kind, "");
		expect_bad(kinds[i].kind, NULL);
	}
}

static void test_characters(void **state)
{
	(void)state;
	expect_ok(Q_NAME_SIG, "cloud-native");
	expect_ok(Q_NAME_SIG, "a9");
	expect_bad(Q_NAME_SIG, "9a");
	expect_bad(Q_NAME_SIG, "-a");
	expect_bad(Q_NAME_SIG, "Cloud");
	expect_bad(Q_NAME_SIG, "a_b");
	expect_bad(Q_NAME_SIG, "a.b");
	expect_bad(Q_NAME_SIG, "a b");
	expect_bad(Q_NAME_SIG, "a/b");
	expect_bad(Q_NAME_SIG, "caf\xc3\xa9");

	expect_ok(Q_NAME_SHORT, "cn1");
	expect_bad(Q_NAME_SHORT, "cn-1");
	expect_bad(Q_NAME_SHORT, "1cn");

	expect_ok(Q_NAME_PROJECT, "9");
	expect_ok(Q_NAME_PROJECT, "el9.x_y-z");
	expect_bad(Q_NAME_PROJECT, ".");
	expect_bad(Q_NAME_PROJECT, "..");
	expect_bad(Q_NAME_PROJECT, "a..b");
	expect_bad(Q_NAME_PROJECT, "a/../b");
	expect_bad(Q_NAME_PROJECT, ".hidden");
	expect_bad(Q_NAME_PROJECT, "_x");

	expect_ok(Q_NAME_REPO, "main_testing-2");
	expect_bad(Q_NAME_REPO, "main.2");
	expect_bad(Q_NAME_REPO, "2main");

	expect_ok(Q_NAME_USER, "jane.doe_x-1");
	expect_bad(Q_NAME_USER, "jane..doe");
	expect_bad(Q_NAME_USER, "jane@example");
	expect_bad(Q_NAME_USER, "Jane");

	expect_ok(Q_NAME_VARIANT, "9.x_1");
	expect_bad(Q_NAME_VARIANT, "a-b");
	expect_bad(Q_NAME_VARIANT, "a..b");
	expect_bad(Q_NAME_VARIANT, "_a");
}

static void test_embedded_nul_and_control(void **state)
{
	static const char with_nul[] = "abc\0../../etc";

	(void)state;
	/* a C string ends at the NUL: what is checked is what is used */
	expect_ok(Q_NAME_SIG, with_nul);
	expect_bad(Q_NAME_SIG, "abc\n");
	expect_bad(Q_NAME_SIG, "abc\t");
	expect_bad(Q_NAME_SIG, "abc\x7f");
	expect_bad(Q_NAME_SIG, "abc\xff");
}

static void test_message(void **state)
{
	struct q_error err = {0};
	char *longname = repeat('a', 200);

	(void)state;
	longname[100] = 'A';
	assert_int_equal(q_name_check(Q_NAME_USER, "user name", longname, &err), -1);
	assert_non_null(strstr(err.msg, "user name is longer than 64 characters"));
	longname[10] = '\0';
	longname[5] = 'A';
	assert_int_equal(q_name_check(Q_NAME_USER, "user name", longname, &err), -1);
	assert_non_null(strstr(err.msg, "user name 'aaaaaAaaaa' is invalid"));
	assert_int_equal(q_name_check(Q_NAME_SIG, "sig", "", &err), -1);
	assert_non_null(strstr(err.msg, "sig is empty"));
	/* no error struct: still -1, no crash */
	assert_int_equal(q_name_check(Q_NAME_SIG, "sig", "A", NULL), -1);
	free(longname);
}

static void test_arch_and_status(void **state)
{
	(void)state;
	assert_true(q_arch_valid("x86_64"));
	assert_true(q_arch_valid("aarch64"));
	assert_true(q_arch_valid("ppc64le"));
	assert_true(q_arch_valid("s390x"));
	assert_true(q_arch_valid("i686"));
	assert_true(q_arch_valid("riscv64"));
	assert_false(q_arch_valid("X86_64"));
	assert_false(q_arch_valid("x86_64 "));
	assert_false(q_arch_valid("x86"));
	assert_false(q_arch_valid(""));
	assert_false(q_arch_valid("../x86_64"));

	assert_true(q_sig_status_valid("proposed"));
	assert_true(q_sig_status_valid("active"));
	assert_true(q_sig_status_valid("community-interest"));
	assert_true(q_sig_status_valid("retired"));
	assert_false(q_sig_status_valid("Active"));
	assert_false(q_sig_status_valid(""));
	assert_false(q_sig_status_valid("deleted"));
}

static void test_code_table(void **state)
{
	static const struct {
		enum q_code code;
		int http;
		const char *name;
		int exit_code;
	} want[] = {
	    {Q_OK, 200, "ok", 0},
	    {Q_EINVAL, 400, "invalid", 1},
	    {Q_EAUTH, 401, "unauthorized", 1},
	    {Q_EPERM, 403, "forbidden", 1},
	    {Q_ENOTFOUND, 404, "not_found", 1},
	    {Q_ECONFLICT, 409, "conflict", 1},
	    {Q_ETOOBIG, 413, "too_large", 1},
	    {Q_EIO, 500, "io_error", 1},
	    {Q_EINTERNAL, 500, "internal", 1},
	    {Q_EGONE, 410, "gone", 1},
	};

	(void)state;
	assert_int_equal(Q_ARRAY_LEN(want), Q_CODE_COUNT);
	for (size_t i = 0; i < Q_ARRAY_LEN(want); i++) {
		assert_int_equal(q_code_http_status(want[i].code), want[i].http);
		assert_string_equal(q_code_name(want[i].code), want[i].name);
		assert_int_equal(q_code_exit(want[i].code), want[i].exit_code);
	}
	/* every code has an entry (a missing one would be {0, NULL, 0}) */
	for (int c = 0; c < Q_CODE_COUNT; c++) {
		assert_true(q_code_http_status((enum q_code)c) >= 200);
		assert_non_null(q_code_name((enum q_code)c));
	}
	assert_int_equal(q_code_http_status(Q_CODE_COUNT), 500);
	assert_int_equal(q_code_http_status((enum q_code) - 1), 500);
	assert_string_equal(q_code_name((enum q_code)1000), "internal");
	assert_int_equal(q_code_exit((enum q_code) - 7), 1);
}

static void test_error_set(void **state)
{
	struct q_error err = {0};
	char *big = repeat('z', 3000);

	(void)state;
	assert_int_equal(q_error_set(NULL, Q_EIO, "x %d", 1), -1);
	assert_int_equal(q_error_set(&err, Q_ENOTFOUND, "sig '%s' not found", "mc"), -1);
	assert_int_equal(err.code, Q_ENOTFOUND);
	assert_string_equal(err.msg, "sig 'mc' not found");
	/* truncated, still terminated */
	q_error_set(&err, Q_EINVAL, "%s", big);
	assert_int_equal(strlen(err.msg), Q_ERROR_MSG_MAX - 1);

	q_error_set(&err, Q_EIO, "disk full");
	q_error_prefix(&err, "cannot publish '%s'", "mc/el9/main");
	assert_string_equal(err.msg, "cannot publish 'mc/el9/main': disk full");
	assert_int_equal(err.code, Q_EIO);
	/* prefix over a full message: truncated, terminated */
	q_error_set(&err, Q_EINVAL, "%s", big);
	q_error_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), Q_ERROR_MSG_MAX - 1);
	q_error_prefix(NULL, "x");

	q_error_clear(&err);
	assert_int_equal(err.code, Q_OK);
	assert_string_equal(err.msg, "");
	q_error_clear(NULL);
	free(big);
}

/* q_redact_path: whole path components only, every occurrence, bounded. */
static void test_redact_path(void **state)
{
	char s[64];
	struct q_error err = {0};

	(void)state;
	snprintf(s, sizeof(s), "cannot read '/srv/q/tmp/x': /srv/q gone");
	assert_int_equal(q_redact_path(s, sizeof(s), "/srv/q", "DATA"), 2);
	assert_string_equal(s, "cannot read 'DATA/tmp/x': DATA gone");
	/* A longer name that only starts like the prefix is left alone. */
	snprintf(s, sizeof(s), "/srv/qq/x and /srv/q");
	assert_int_equal(q_redact_path(s, sizeof(s), "/srv/q/", "D"), 1);
	assert_string_equal(s, "/srv/qq/x and D");
	/* Growing past the buffer truncates, never overflows. */
	snprintf(s, 8, "/a/b");
	assert_int_equal(q_redact_path(s, 8, "/a", "LONGER-THAN-EIGHT"), 1);
	assert_int_equal(strlen(s), 7);
	assert_memory_equal(s, "LONGER-", 7);
	/* Nothing to do: a NULL or too short prefix. */
	snprintf(s, sizeof(s), "/x");
	assert_int_equal(q_redact_path(s, sizeof(s), NULL, "D"), 0);
	assert_int_equal(q_redact_path(s, sizeof(s), "/", "D"), 0);
	assert_string_equal(s, "/x");
	q_error_set(&err, Q_EIO, "cannot write '/d/t/import-1/src/SOURCES': full");
	q_error_redact(&err, "/d/t/import-1/src", ".");
	assert_string_equal(err.msg, "cannot write './SOURCES': full");
	q_error_redact(NULL, "/d", ".");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_length_limits),
	    cmocka_unit_test(test_characters),
	    cmocka_unit_test(test_embedded_nul_and_control),
	    cmocka_unit_test(test_message),
	    cmocka_unit_test(test_arch_and_status),
	    cmocka_unit_test(test_code_table),
	    cmocka_unit_test(test_error_set),
	    cmocka_unit_test(test_redact_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
