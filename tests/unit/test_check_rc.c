/*
 * test_check_rc.c: the pure parts of the checks' repos and rpmlintrc
 * (src/check/rpmlintrc.c, check.c): a package's rpmlintrc keeps exactly
 * addFilter("…") and setBadness("…", N) lines, drops anything else (code,
 * a call followed by more, bad UTF-8, NUL bytes) naming each line, and
 * refuses a file over the limit; a tar member is found by name ("./"
 * aside), refused over its bound, absent when missing; the repos a check
 * used are read only from the block the checker writes first.
 */
#include "core/common.h"
#include "core/error.h"
#include "check/check.h"

#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>

#include <cmocka.h>

static void test_clean(void **state)
{
	static const char text[] = "# comment\n"
				   "addFilter(\"no-changelogname-tag\")\n"
				   "  addFilter( r'E: foo .*' )  # trailing comment\r\n"
				   "setBadness('some-check', 10)\n"
				   "\n"
				   "import os\n"
				   "addFilter(\"x\") or __import__('os').system('id')\n"
				   "addFilter(\"a\\\"b\")\n"
				   "setBadness(\"x y\", 1)\n"
				   "addFilter(\"\")\n";
	GString *out = g_string_new(NULL), *notes = g_string_new(NULL);
	struct q_error err = {0};

	(void)state;
	assert_int_equal(q_rpmlintrc_clean("p.rpmlintrc", text, strlen(text), out, notes, &err), 0);
	assert_string_equal(out->str, "addFilter(\"no-changelogname-tag\")\n"
				      "addFilter(\"E: foo .*\")\n"
				      "setBadness(\"some-check\", 10)\n");
	assert_non_null(strstr(notes->str, "p.rpmlintrc line 6 ignored"));
	assert_non_null(strstr(notes->str, "p.rpmlintrc line 7 ignored"));
	assert_non_null(strstr(notes->str, "p.rpmlintrc line 8 ignored"));
	assert_non_null(strstr(notes->str, "p.rpmlintrc line 9 ignored"));
	assert_non_null(strstr(notes->str, "p.rpmlintrc line 10 ignored"));
	assert_null(strstr(notes->str, "line 2 ignored"));
	assert_null(strstr(notes->str, "line 3 ignored"));
	assert_non_null(strstr(notes->str, "p.rpmlintrc: 3 lines read"));

	/* A NUL byte inside a line, bad UTF-8: dropped. */
	g_string_truncate(out, 0);
	g_string_truncate(notes, 0);
	assert_int_equal(q_rpmlintrc_clean("p", "addFilter(\"a\")\0x\naddFilter(\"\xff\")\n", 29,
					   out, notes, &err),
			 0);
	assert_string_equal(out->str, "");
	assert_non_null(strstr(notes->str, "line 1 ignored"));
	assert_non_null(strstr(notes->str, "line 2 ignored"));

	/* Over the limit: refused whole. */
	{
		char *big = g_malloc0(Q_RPMLINTRC_MAX + 1);

		memset(big, '#', Q_RPMLINTRC_MAX + 1);
		assert_int_equal(q_rpmlintrc_clean("p", big, Q_RPMLINTRC_MAX + 1, out, notes, &err),
				 -1);
		assert_int_equal(err.code, Q_ETOOBIG);
		assert_non_null(strstr(err.msg, "at most 65536"));
		g_free(big);
	}
	g_string_free(out, TRUE);
	g_string_free(notes, TRUE);
}

/* One ustar header + data for name. */
static void tar_add(GByteArray *t, const char *name, const char *data)
{
	unsigned char h[512] = {0};
	size_t len = strlen(data), pad = (512 - len % 512) % 512;
	unsigned sum = 0;
	static const unsigned char zeros[512];

	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)(len & 0777777));
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	g_byte_array_append(t, h, 512);
	g_byte_array_append(t, (const guint8 *)data, (guint)len);
	g_byte_array_append(t, zeros, (guint)pad);
}

static int tar_fd(GByteArray *t)
{
	int fd = memfd_create("t", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, t->data, t->len), (ssize_t)t->len);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_tar(void **state)
{
	static const char *const names[] = {"p.rpmlintrc", "SPECS/p.rpmlintrc", NULL};
	GByteArray *t = g_byte_array_new();
	struct q_error err = {0};
	char *out = NULL;
	size_t len = 0, which = 9;
	int fd;

	(void)state;
	tar_add(t, "./SOURCES/a.c", "int x;\n");
	tar_add(t, "./SPECS/p.rpmlintrc", "addFilter(\"x\")\n");
	{
		static const guint8 end[1024];

		g_byte_array_append(t, end, sizeof(end));
	}
	fd = tar_fd(t);
	assert_int_equal(q_check_tar_member_fd(fd, names, 1024, &out, &len, &which, &err), 1);
	assert_int_equal(which, 1);
	assert_string_equal(out, "addFilter(\"x\")\n");
	assert_int_equal(len, 15);
	g_free(out);
	close(fd);

	/* Over the bound. */
	fd = tar_fd(t);
	assert_int_equal(q_check_tar_member_fd(fd, names, 10, &out, &len, &which, &err), -1);
	assert_int_equal(err.code, Q_ETOOBIG);
	assert_non_null(strstr(err.msg, "SPECS/p.rpmlintrc is 15 bytes"));
	close(fd);

	/* Not there. */
	{
		static const char *const other[] = {"q.rpmlintrc", NULL};

		fd = tar_fd(t);
		assert_int_equal(q_check_tar_member_fd(fd, other, 1024, &out, &len, &which, &err),
				 0);
		assert_null(out);
		close(fd);
	}
	g_byte_array_free(t, TRUE);
}

static void test_repos_used(void **state)
{
	json_t *r;

	(void)state;
	r = q_check_repos_used("repo used: common http://h/pub/sig/9/mc/x86_64/common/\n"
			       "repo used: http://d/9/x86_64/ http://d/9/x86_64/\n"
			       "note: repo x is not published for x86_64; left out\n"
			       "$ dnf install\n"
			       "repo used: fake http://evil/\n");
	assert_int_equal(json_array_size(r), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "name")),
			    "common");
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 1), "url")),
			    "http://d/9/x86_64/");
	json_decref(r);
	/* Per arch parts: each part's block, the same repo once. */
	r = q_check_repos_used(
	    "== x86_64 ==\nrepo used: a file:///a/\nout\n"
	    "\n== aarch64 ==\nrepo used: a file:///a/\nrepo used: b file:///b/\n");
	assert_int_equal(json_array_size(r), 2);
	json_decref(r);
	r = q_check_repos_used("");
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean),
	    cmocka_unit_test(test_tar),
	    cmocka_unit_test(test_repos_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
