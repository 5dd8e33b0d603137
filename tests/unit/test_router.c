/*
 * test_router.c: the request-target parsers (src/http/router.c), which see
 * untrusted bytes. q_url_decode: escapes in both cases, '%' at the end or
 * one digit short, bad hex, "%00" and raw NUL, '+', an output buffer
 * exactly full and one byte short. q_path_split: empty segments, the query
 * cut off, "%2F" / "%2f" in a segment, "%2e%2e", the segment count and
 * segment length limits exactly and one past, a length shorter than the
 * string. q_path_match: literals, captures, too few capture slots, longer
 * and shorter paths. q_query_get: first of repeated keys, empty and
 * missing values, keys that are prefixes of others, '=' in a value, bad
 * escapes naming the parameter, a value exactly filling the buffer.
 */
#include "core/common.h"
#include "core/error.h"
#include "http/router.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static long decode(const char *s, char *out, size_t outsize, int plus)
{
	return q_url_decode(s, strlen(s), out, outsize, plus);
}

static void test_url_decode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(decode("abc", out, sizeof(out), 0), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(decode("", out, sizeof(out), 0), 0);
	assert_string_equal(out, "");
	assert_int_equal(decode("%41%4a%4A%7e", out, sizeof(out), 0), 4);
	assert_string_equal(out, "AJJ~");
	assert_int_equal(decode("a+b%2B", out, sizeof(out), 1), 4);
	assert_string_equal(out, "a b+");
	assert_int_equal(decode("a+b", out, sizeof(out), 0), 3);
	assert_string_equal(out, "a+b");
	assert_int_equal(decode("%2F", out, sizeof(out), 0), 1);
	assert_string_equal(out, "/");
	assert_int_equal(decode("%ff", out, sizeof(out), 0), 1);
	assert_int_equal((unsigned char)out[0], 0xff);

	assert_int_equal(decode("%", out, sizeof(out), 0), -1);
	assert_int_equal(decode("a%", out, sizeof(out), 0), -1);
	assert_int_equal(decode("a%4", out, sizeof(out), 0), -1);
	assert_int_equal(decode("%4g", out, sizeof(out), 0), -1);
	assert_int_equal(decode("%g4", out, sizeof(out), 0), -1);
	assert_int_equal(decode("%-1", out, sizeof(out), 0), -1);
	assert_int_equal(decode("% 1", out, sizeof(out), 0), -1);
	assert_int_equal(decode("%00", out, sizeof(out), 0), -1);
	assert_int_equal(q_url_decode("a\0b", 3, out, sizeof(out), 0), -1);
	/* the length is respected: a '%' just past it is not read */
	assert_int_equal(q_url_decode("ab%41", 2, out, sizeof(out), 0), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(q_url_decode("a%41", 3, out, sizeof(out), 0), -1);

	/* buffer limits: 3 bytes need 4 */
	assert_int_equal(decode("abc", out, 4, 0), 3);
	assert_int_equal(decode("abc", out, 3, 0), -1);
	assert_int_equal(decode("%41%42%43", out, 4, 0), 3);
	assert_int_equal(decode("%41%42%43", out, 3, 0), -1);
	assert_int_equal(decode("", out, 1, 0), 0);
	assert_int_equal(decode("a", out, 0, 0), -1);
	assert_int_equal(decode("", out, 0, 0), -1);
}

static int split(const char *s, struct q_path *p, struct q_error *err)
{
	return q_path_split(s, strlen(s), p, err);
}

static void test_path_split(void **state)
{
	static struct q_path p;
	struct q_error err = {0};

	(void)state;
	assert_int_equal(split("/api/v1/sigs", &p, &err), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.seg[0], "api");
	assert_string_equal(p.seg[2], "sigs");
	assert_int_equal(split("//api//v1///", &p, &err), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(split("", &p, &err), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(split("/", &p, &err), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(split("?a/b", &p, &err), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(split("/a?b/c%zz", &p, &err), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.seg[0], "a");
	assert_int_equal(split("/a%20b/%C3%A9", &p, &err), 0);
	assert_string_equal(p.seg[0], "a b");
	assert_string_equal(p.seg[1], "\xc3\xa9");
	assert_int_equal(split("/a+b", &p, &err), 0); /* '+' is literal in a path */
	assert_string_equal(p.seg[0], "a+b");
	/* ".." is just a name here; names are checked by q_name_check */
	assert_int_equal(split("/x/%2e%2e/", &p, &err), 0);
	assert_string_equal(p.seg[1], "..");

	err.code = Q_OK;
	assert_int_equal(split("/api/v1/sigs/a%2Fb", &p, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_non_null(strstr(err.msg, "segment 4"));
	assert_int_equal(split("/a%2fb", &p, &err), -1);
	assert_int_equal(split("/%2F", &p, &err), -1);
	assert_int_equal(split("/a%00", &p, &err), -1);
	assert_int_equal(split("/a%", &p, &err), -1);
	assert_int_equal(split("/a%2", &p, &err), -1);
	assert_int_equal(split("/a%2/b", &p, &err), -1);
	assert_int_equal(q_path_split("/a\0b", 4, &p, &err), -1);
	/* the given length, not the NUL, ends the target */
	assert_int_equal(q_path_split("/abc/def", 4, &p, &err), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.seg[0], "abc");
	assert_int_equal(q_path_split("/ab%41", 4, &p, &err), -1);
	assert_int_equal(q_path_split("/a/b", 4, &p, NULL), 0);
	assert_int_equal(q_path_split("/a%2Fb", 6, &p, NULL), -1);
}

static void test_path_limits(void **state)
{
	static struct q_path p;
	struct q_error err = {0};
	char buf[2000];
	size_t o = 0;

	(void)state;
	/* exactly Q_ROUTE_MAX_SEGS segments, then one more */
	for (int i = 0; i < Q_ROUTE_MAX_SEGS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "/s%d", i);
	assert_int_equal(split(buf, &p, &err), 0);
	assert_int_equal(p.n, Q_ROUTE_MAX_SEGS);
	assert_string_equal(p.seg[Q_ROUTE_MAX_SEGS - 1], "s15");
	snprintf(buf + o, sizeof(buf) - o, "/%s", "more");
	assert_int_equal(split(buf, &p, &err), -1);
	assert_non_null(strstr(err.msg, "more than 16 segments"));
	/* trailing slashes do not count */
	snprintf(buf + o, sizeof(buf) - o, "////");
	assert_int_equal(split(buf, &p, &err), 0);

	/* a segment of Q_ROUTE_SEG_MAX - 1 bytes fits, one more does not */
	buf[0] = '/';
	memset(buf + 1, 'x', Q_ROUTE_SEG_MAX - 1);
	buf[Q_ROUTE_SEG_MAX] = '\0';
	assert_int_equal(split(buf, &p, &err), 0);
	assert_int_equal(strlen(p.seg[0]), Q_ROUTE_SEG_MAX - 1);
	buf[Q_ROUTE_SEG_MAX] = 'x';
	buf[Q_ROUTE_SEG_MAX + 1] = '\0';
	assert_int_equal(split(buf, &p, &err), -1);
	/* escapes count after decoding: 255 "%41" fit */
	o = 0;
	buf[o++] = '/';
	for (int i = 0; i < Q_ROUTE_SEG_MAX - 1; i++, o += 3)
		memcpy(buf + o, "%41", 3);
	buf[o] = '\0';
	assert_true(o < sizeof(buf));
	assert_int_equal(split(buf, &p, &err), 0);
	assert_int_equal(strlen(p.seg[0]), Q_ROUTE_SEG_MAX - 1);
}

static void test_path_match(void **state)
{
	static struct q_path p;
	const char *caps[4] = {0};

	(void)state;
	assert_int_equal(split("/api/v1/sigs/mc/projects/el9", &p, NULL), 0);
	assert_int_equal(q_path_match(&p, "api/v1/sigs/*/projects/*", caps, 4), 1);
	assert_string_equal(caps[0], "mc");
	assert_string_equal(caps[1], "el9");
	assert_int_equal(q_path_match(&p, "api/v1/sigs/*", caps, 4), 0);
	assert_int_equal(q_path_match(&p, "api/v1/sigs/*/projects/*/repos", caps, 4), 0);
	assert_int_equal(q_path_match(&p, "api/v1/sigs/*/project/*", caps, 4), 0);
	assert_int_equal(q_path_match(&p, "api/v1/sigs/*/projects/el", caps, 4), 0);
	assert_int_equal(q_path_match(&p, "api/v1/sigs/*/projects/el99", caps, 4), 0);
	assert_int_equal(q_path_match(&p, "*/*/*/*/*/*", caps, 4), 1);
	/* fewer capture slots than '*': no overflow, first ones filled */
	caps[1] = NULL;
	assert_int_equal(q_path_match(&p, "*/*/*/*/*/*", caps, 1), 1);
	assert_string_equal(caps[0], "api");
	assert_null(caps[1]);
	assert_int_equal(q_path_match(&p, "api/v1/sigs/*/projects/*", NULL, 0), 1);
	/* a '*' matches one whole segment, not a literal "*" elsewhere */
	assert_int_equal(q_path_match(&p, "api/v1/sig*/mc/projects/el9", caps, 4), 0);

	assert_int_equal(split("/", &p, NULL), 0);
	assert_int_equal(q_path_match(&p, "", caps, 4), 1);
	assert_int_equal(q_path_match(&p, "*", caps, 4), 0);
	assert_int_equal(split("/healthz", &p, NULL), 0);
	assert_int_equal(q_path_match(&p, "", caps, 4), 0);
	assert_int_equal(q_path_match(&p, "healthz", caps, 4), 1);
}

static int qget(const char *q, const char *key, char *out, size_t outsize, struct q_error *err)
{
	return q_query_get(q, strlen(q), key, out, outsize, err);
}

/* q_path_classify: dot-segments however spelled, NULs, bad escapes. */
static void test_path_classify(void **state)
{
	static const struct {
		const char *path;
		enum q_path_class want;
	} cases[] = {
	    {"/pub/sig/9/mc/x86_64/common/repodata/repomd.xml", Q_PATH_OK},
	    {"/pub/sig/./9/../9/x", Q_PATH_OK},
	    {"/pub//sig/", Q_PATH_OK},
	    {"", Q_PATH_OK},
	    {"/pub/a.b/.../c", Q_PATH_HIDDEN},
	    {"/pub/x/.lock", Q_PATH_HIDDEN},
	    {"/pub/x/%2elock", Q_PATH_HIDDEN},
	    {"/pub/x/%2Elock", Q_PATH_HIDDEN},
	    {"/pub/x/%2E%6Cock", Q_PATH_HIDDEN},
	    {"/pub/x/.mdcache/", Q_PATH_HIDDEN},
	    {"/pub/x//.packages-manifest", Q_PATH_HIDDEN},
	    {"/pub/x%2f.lock", Q_PATH_HIDDEN},
	    {"/pub/x/..%2f.lock", Q_PATH_HIDDEN},
	    {".lock", Q_PATH_HIDDEN},
	    {"/pub/x.lock", Q_PATH_OK},
	    {"/pub/sig/%00/", Q_PATH_BAD},
	    {"/pub/.lock/%00", Q_PATH_BAD},
	    {"/pub/x%", Q_PATH_BAD},
	    {"/pub/x%2", Q_PATH_BAD},
	    {"/pub/x%zz", Q_PATH_BAD},
	};

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++) {
		enum q_path_class got = q_path_classify(cases[i].path, strlen(cases[i].path));

		if (got != cases[i].want)
			fail_msg("'%s': %d, want %d", cases[i].path, got, cases[i].want);
	}
	/* A raw NUL, and the length bounds the scan. */
	assert_int_equal(q_path_classify("/pub/a\0b", 8), Q_PATH_BAD);
	assert_int_equal(q_path_classify("/pub/a/.lock", 6), Q_PATH_OK);
}

static void test_query_get(void **state)
{
	char out[16];
	struct q_error err = {0};

	(void)state;
	assert_int_equal(qget("a=1&b=2", "b", out, sizeof(out), &err), 1);
	assert_string_equal(out, "2");
	assert_int_equal(qget("a=1&b=2", "c", out, sizeof(out), &err), 0);
	assert_int_equal(qget("", "a", out, sizeof(out), &err), 0);
	assert_int_equal(qget("a=1&a=2", "a", out, sizeof(out), &err), 1);
	assert_string_equal(out, "1"); /* the first one wins */
	assert_int_equal(qget("ab=1&a=2", "a", out, sizeof(out), &err), 1);
	assert_string_equal(out, "2");
	assert_int_equal(qget("ab=1", "a", out, sizeof(out), &err), 0);
	assert_int_equal(qget("a=1", "ab", out, sizeof(out), &err), 0);
	assert_int_equal(qget("a", "a", out, sizeof(out), &err), 1);
	assert_string_equal(out, "");
	assert_int_equal(qget("a=", "a", out, sizeof(out), &err), 1);
	assert_string_equal(out, "");
	assert_int_equal(qget("&&a=x&", "a", out, sizeof(out), &err), 1);
	assert_string_equal(out, "x");
	assert_int_equal(qget("a=1=2", "a", out, sizeof(out), &err), 1);
	assert_string_equal(out, "1=2");
	assert_int_equal(qget("f=a%20b+c%2B", "f", out, sizeof(out), &err), 1);
	assert_string_equal(out, "a b c+");
	/* keys are compared as sent, not decoded */
	assert_int_equal(qget("%61=1", "a", out, sizeof(out), &err), 0);
	/* the length is respected */
	assert_int_equal(q_query_get("a=1&b=2", 3, "b", out, sizeof(out), &err), 0);
	assert_int_equal(q_query_get("a=12", 3, "a", out, sizeof(out), &err), 1);
	assert_string_equal(out, "1");

	err.code = Q_OK;
	assert_int_equal(qget("filename=%", "filename", out, sizeof(out), &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_non_null(strstr(err.msg, "'filename'"));
	assert_int_equal(qget("a=x%4", "a", out, sizeof(out), &err), -1);
	assert_int_equal(qget("a=%00", "a", out, sizeof(out), &err), -1);
	assert_int_equal(q_query_get("a=x\0y", 5, "a", out, sizeof(out), &err), -1);
	/* a malformed value of another key does not matter */
	assert_int_equal(qget("b=%&a=1", "a", out, sizeof(out), &err), 1);

	/* 15 bytes fill out[16]; 16 do not */
	assert_int_equal(qget("a=123456789012345", "a", out, sizeof(out), &err), 1);
	assert_string_equal(out, "123456789012345");
	assert_int_equal(qget("a=1234567890123456", "a", out, sizeof(out), &err), -1);
	assert_non_null(strstr(err.msg, "longer than 15 bytes"));
	/* a zero-sized buffer is refused without a bogus size in the message */
	assert_int_equal(qget("a=1", "a", out, 0, &err), -1);
	assert_null(strstr(err.msg, "18446744073709551615"));
	assert_int_equal(qget("a=1", "a", out, sizeof(out), NULL), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_decode),  cmocka_unit_test(test_path_split),
	    cmocka_unit_test(test_path_limits), cmocka_unit_test(test_path_match),
	    cmocka_unit_test(test_query_get),   cmocka_unit_test(test_path_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
