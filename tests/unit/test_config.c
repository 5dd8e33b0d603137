/*
 * test_config.c: the hub's INI configuration (src/core/config.c): the
 * defaults, a full valid file, every error reported as FILE:LINE (all of
 * them, not just the first, and a bad value never half-applied), lines at
 * and past the line buffer's limit, NUL bytes, CRLF, a missing final
 * newline, section header edge cases, string fields at their buffer size,
 * q_config_load (missing file, a file of exactly 1 MiB and one byte more),
 * and q_parse_size / q_parse_duration / q_parse_int on boundaries and
 * 64-bit overflow ("99999999999999999999G", "8388608T"); release_pkg.repo
 * (a repo name or empty).
 */
#include "core/common.h"
#include "core/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* Parse text; return the error count and the error output (caller frees). */
static int parse(const char *text, size_t len, struct q_config *cfg, char **errors)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);
	int n;

	assert_non_null(f);
	q_config_defaults(cfg);
	n = q_config_parse("test.ini", text, len, cfg, f);
	fclose(f);
	if (errors)
		*errors = buf;
	else
		free(buf);
	return n;
}

static int parse_str(const char *text, struct q_config *cfg, char **errors)
{
	return parse(text, strlen(text), cfg, errors);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_defaults(void **state)
{
	struct q_config cfg;

	(void)state;
	q_config_defaults(&cfg);
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	assert_string_equal(cfg.data_dir, "/var/lib/quarry");
	assert_string_equal(cfg.public_url, ""); /* derived by q_config_finish */
	assert_int_equal(cfg.threads, 4);
	assert_int_equal(cfg.max_upload, (int64_t)1 << 30);
	assert_int_equal(cfg.max_json, 1 << 20);
	assert_int_equal(cfg.upload_ttl, 3600);
	assert_int_equal(cfg.grace, 3600);
	assert_int_equal(cfg.history_keep, 50);
	assert_string_equal(cfg.key_algo, "rsa3072");
	assert_string_equal(cfg.log_level, "info");
}

static void test_valid_file(void **state)
{
	struct q_config cfg;
	char *errors;
	const char *text = "# a comment\n"
			   "; another\n"
			   "\n"
			   "[hub]\n"
			   "  listen = [::1]:8443  \n"
			   "data_dir=/srv/quarry\n"
			   "public_url = https://quarry.example.org/?a=b\n"
			   "threads = 64\n"
			   "max_upload_size = 1T\n"
			   "max_json_body = 512k\n"
			   "upload_ttl = 2h\n"
			   "[ publish ]\n"
			   "grace_period = 0\n"
			   "history_keep = 100000\n"
			   "[signing]\n"
			   "key_algo = rsa4096\n"
			   "[log]\n"
			   "level = debug"; /* no final newline */

	(void)state;
	assert_int_equal(parse_str(text, &cfg, &errors), 0);
	assert_string_equal(errors, "");
	free(errors);
	assert_string_equal(cfg.listen, "[::1]:8443");
	assert_string_equal(cfg.data_dir, "/srv/quarry");
	assert_string_equal(cfg.public_url, "https://quarry.example.org/?a=b");
	assert_int_equal(cfg.threads, 64);
	assert_int_equal(cfg.max_upload, (int64_t)1 << 40);
	assert_int_equal(cfg.max_json, 512 * 1024);
	assert_int_equal(cfg.upload_ttl, 7200);
	assert_int_equal(cfg.grace, 0);
	assert_int_equal(cfg.history_keep, 100000);
	assert_string_equal(cfg.key_algo, "rsa4096");
	assert_string_equal(cfg.log_level, "debug");
}

static void test_crlf_and_empty(void **state)
{
	struct q_config cfg;

	(void)state;
	assert_int_equal(parse("", 0, &cfg, NULL), 0);
	assert_int_equal(parse_str("\n\n\r\n", &cfg, NULL), 0);
	assert_int_equal(parse_str("[hub]\r\nthreads = 7\r\n", &cfg, NULL), 0);
	assert_int_equal(cfg.threads, 7);
}

static void test_every_error_with_line(void **state)
{
	struct q_config cfg;
	char *errors;
	const char *text = "orphan = 1\n" /* 1: outside a section */
			   "[hub]\n"
			   "threads = 0\n"                           /* 3: out of range */
			   "threads = 65\n"                          /* 4 */
			   "threads = 4x\n"                          /* 5 */
			   "nosuchkey = 1\n"                         /* 6 */
			   "just words\n"                            /* 7: no '=' */
			   "listen = nohostport\n"                   /* 8 */
			   "listen = host:0\n"                       /* 9 */
			   "listen = host:65536\n"                   /* 10 */
			   "listen = :80\n"                          /* 11 */
			   "listen = [::1]\n"                        /* 12 */
			   "public_url = ftp://x\n"                  /* 13 */
			   "data_dir =\n"                            /* 14: empty */
			   "max_upload_size = 1023\n"                /* 15: below min */
			   "max_upload_size = 1025G\n"               /* 16: above max */
			   "max_json_body = 99999999999999999999G\n" /* 17: overflow */
			   "upload_ttl = 59\n"                       /* 18 */
			   "upload_ttl = 1y\n"                       /* 19 */
			   "[nope]\n"                                /* 20: unknown section */
			   "x = 1\n"                                 /* 21: unknown key in [nope] */
			   "[hub\n"                                  /* 22: malformed */
			   "threads = 5\n"      /* 23: outside (section reset) */
			   "[]\n"               /* 24 */
			   "[hub] # trailing\n" /* 25 */
			   "[log]\n"
			   "level = loud\n" /* 27 */
			   "[signing]\n"
			   "key_algo = dsa\n"; /* 29 */
	static const int want[] = {1,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
				   15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 29};
	char needle[32];

	(void)state;
	assert_int_equal(parse_str(text, &cfg, &errors), (int)Q_ARRAY_LEN(want));
	assert_int_equal(count_lines(errors), (int)Q_ARRAY_LEN(want));
	for (size_t i = 0; i < Q_ARRAY_LEN(want); i++) {
		snprintf(needle, sizeof(needle), "test.ini:%d: ", want[i]);
		if (!strstr(errors, needle))
			fail_msg("no error for line %d in:\n%s", want[i], errors);
	}
	assert_non_null(strstr(errors, "test.ini:21: unknown key 'x' in [nope]"));
	assert_non_null(strstr(errors, "test.ini:1: key 'orphan' is outside any [section]"));
	/* nothing bad was applied */
	assert_int_equal(cfg.threads, 4);
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	assert_string_equal(cfg.data_dir, "/var/lib/quarry");
	assert_int_equal(cfg.max_upload, (int64_t)1 << 30);
	assert_int_equal(cfg.max_json, 1 << 20);
	assert_string_equal(cfg.log_level, "info");
	free(errors);
}

static void test_section_header_edges(void **state)
{
	struct q_config cfg;
	char text[200], *errors;

	(void)state;
	/* 63 characters fit the section buffer (unknown, but not malformed) */
	snprintf(text, sizeof(text), "[%063d]\n", 0);
	assert_int_equal(parse_str(text, &cfg, &errors), 1);
	assert_non_null(strstr(errors, "unknown section"));
	free(errors);
	snprintf(text, sizeof(text), "[%064d]\n", 0);
	assert_int_equal(parse_str(text, &cfg, &errors), 1);
	assert_non_null(strstr(errors, "malformed section header"));
	free(errors);
	assert_int_equal(parse_str("[hub]]\n", &cfg, NULL), 1);
	assert_int_equal(parse_str("[[hub]\n", &cfg, NULL), 1);
	assert_int_equal(parse_str("[ ]\n", &cfg, NULL), 1);
}

/* A line of n bytes: "#" and padding. */
static char *comment_line(size_t n, const char *after)
{
	size_t alen = strlen(after);
	char *s = malloc(n + 1 + alen + 1);

	assert_non_null(s);
	s[0] = '#';
	memset(s + 1, 'x', n - 1);
	s[n] = '\n';
	memcpy(s + n + 1, after, alen + 1);
	return s;
}

static void test_line_limit(void **state)
{
	struct q_config cfg;
	char *text, *errors;

	(void)state;
	/* 4095 bytes is the longest line accepted */
	text = comment_line(4095, "[hub]\nthreads = 9\n");
	assert_int_equal(parse_str(text, &cfg, &errors), 0);
	assert_int_equal(cfg.threads, 9);
	free(errors);
	free(text);

	/* 4096 bytes is refused, and the message states the real limit;
	 * the next lines keep their numbers */
	text = comment_line(4096, "[hub]\nthreads = 0\n");
	assert_int_equal(parse_str(text, &cfg, &errors), 2);
	assert_non_null(strstr(errors, "test.ini:1: line is longer than 4095 bytes\n"));
	assert_non_null(strstr(errors, "test.ini:3: hub.threads"));
	free(errors);
	free(text);

	/* far longer, with no newline at all */
	text = malloc(100000);
	assert_non_null(text);
	memset(text, 'a', 100000);
	assert_int_equal(parse(text, 100000, &cfg, NULL), 1);
	free(text);
}

static void test_nul_byte(void **state)
{
	struct q_config cfg;
	static const char text[] = "[hub]\nlisten = a\0b:80\nthreads = 3\n\0\n";
	char *errors;

	(void)state;
	assert_int_equal(parse(text, sizeof(text) - 1, &cfg, &errors), 2);
	assert_non_null(strstr(errors, "test.ini:2: line contains a NUL byte"));
	assert_non_null(strstr(errors, "test.ini:4: line contains a NUL byte"));
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	assert_int_equal(cfg.threads, 3);
	free(errors);
}

static void test_string_lengths(void **state)
{
	struct q_config cfg;
	char text[2000];
	char val[1100];

	(void)state;
	/* data_dir is char[1024]: 1023 characters fit, 1024 do not */
	memset(val, 'd', 1023);
	val[0] = '/';
	val[1023] = '\0';
	snprintf(text, sizeof(text), "[hub]\ndata_dir = %s\n", val);
	assert_int_equal(parse_str(text, &cfg, NULL), 0);
	assert_int_equal(strlen(cfg.data_dir), 1023);
	memset(val, 'd', 1024);
	val[0] = '/';
	val[1024] = '\0';
	snprintf(text, sizeof(text), "[hub]\ndata_dir = %s\n", val);
	assert_int_equal(parse_str(text, &cfg, NULL), 1);
	assert_string_equal(cfg.data_dir, "/var/lib/quarry");
	/* log.level is char[16]: a 16-character value is refused, not truncated */
	assert_int_equal(parse_str("[log]\nlevel = debugdebugdebugd\n", &cfg, NULL), 1);
	assert_string_equal(cfg.log_level, "info");
}

static char *write_temp(const char *content, size_t len)
{
	char *path = strdup("/tmp/quarry-test-config-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, content + off, len - off);
		assert_true(n > 0);
		off += (size_t)n;
	}
	close(fd);
	return path;
}

static void test_load(void **state)
{
	struct q_config cfg;
	char *buf = NULL, *path, *text;
	size_t sz = 0;
	FILE *f;
	const size_t mib = 1 << 20;

	(void)state;
	f = open_memstream(&buf, &sz);
	q_config_defaults(&cfg);
	assert_int_equal(q_config_load("/nonexistent/quarry.ini", &cfg, f), -1);
	fclose(f);
	assert_non_null(strstr(buf, "/nonexistent/quarry.ini: cannot open"));
	free(buf);

	path = write_temp("[hub]\nthreads = 12\n", 19);
	q_config_defaults(&cfg);
	assert_int_equal(q_config_load(path, &cfg, stderr), 0);
	assert_int_equal(cfg.threads, 12);
	unlink(path);
	free(path);

	/* exactly 1 MiB is accepted; one byte more is refused */
	text = malloc(mib + 1);
	assert_non_null(text);
	memset(text, '\n', mib + 1);
	memcpy(text, "[hub]\nthreads = 13\n#", 20);
	path = write_temp(text, mib);
	q_config_defaults(&cfg);
	assert_int_equal(q_config_load(path, &cfg, stderr), 0);
	assert_int_equal(cfg.threads, 13);
	unlink(path);
	free(path);
	path = write_temp(text, mib + 1);
	buf = NULL;
	f = open_memstream(&buf, &sz);
	assert_int_equal(q_config_load(path, &cfg, f), -1);
	fclose(f);
	assert_non_null(strstr(buf, "larger than 1 MiB"));
	free(buf);
	unlink(path);
	free(path);
	free(text);
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int64_t want;
	} cases[] = {
	    {"0", 0, 0},
	    {"10", 0, 10},
	    {"10b", 0, 10},
	    {"1k", 0, 1024},
	    {"1K", 0, 1024},
	    {"5M", 0, 5 << 20},
	    {"5m", 0, 5 << 20},
	    {"1G", 0, (int64_t)1 << 30},
	    {"3g", 0, (int64_t)3 << 30},
	    {"2T", 0, (int64_t)2 << 40},
	    {"9223372036854775807", 0, INT64_MAX},
	    {"8388607T", 0, (int64_t)8388607 << 40},
	    {"8388608T", -1, 0},
	    {"8589934591G", 0, (int64_t)8589934591 << 30},
	    {"8589934592G", -1, 0},
	    {"9223372036854775808", -1, 0},
	    {"99999999999999999999G", -1, 0},
	    {"99999999999999999999", -1, 0},
	    {"", -1, 0},
	    {"k", -1, 0},
	    {"-1", -1, 0},
	    {"+1", -1, 0},
	    {" 1", -1, 0},
	    {"1 ", -1, 0},
	    {"1 k", -1, 0},
	    {"1kk", -1, 0},
	    {"1.5G", -1, 0},
	    {"1x", -1, 0},
	    {"0x10", -1, 0},
	    {"1P", -1, 0},
	};

	(void)state;
	assert_int_equal(q_parse_size(NULL, &(int64_t){0}), -1);
	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++) {
		int64_t v = -42;
		int rc = q_parse_size(cases[i].in, &v);

		if (rc != cases[i].rc)
			fail_msg("q_parse_size('%s') = %d, want %d", cases[i].in, rc, cases[i].rc);
		if (rc == 0 && v != cases[i].want)
			fail_msg("q_parse_size('%s') gave %" PRId64, cases[i].in, v);
		if (rc < 0 && v != -42)
			fail_msg("q_parse_size('%s') wrote its output on failure", cases[i].in);
	}
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int64_t want;
	} cases[] = {
	    {"30", 0, 30},
	    {"30s", 0, 30},
	    {"15m", 0, 900},
	    {"2h", 0, 7200},
	    {"4d", 0, 345600},
	    {"1w", 0, 604800},
	    {"0", 0, 0},
	    {"1y", -1, 0},
	    {"1H", -1, 0},
	    {"h", -1, 0},
	    {"", -1, 0},
	    {"-5s", -1, 0},
	    {"5 s", -1, 0},
	    {"15250284452471w", 0, (int64_t)15250284452471 * 604800},
	    {"15250284452472w", -1, 0},
	    {"99999999999999999999d", -1, 0},
	};

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++) {
		int64_t v = -42;
		int rc = q_parse_duration(cases[i].in, &v);

		if (rc != cases[i].rc)
			fail_msg("q_parse_duration('%s') = %d, want %d", cases[i].in, rc,
				 cases[i].rc);
		if (rc == 0 && v != cases[i].want)
			fail_msg("q_parse_duration('%s') gave %" PRId64, cases[i].in, v);
	}
}

static void test_parse_int(void **state)
{
	int64_t v = 0;

	(void)state;
	assert_int_equal(q_parse_int("5", 1, 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(q_parse_int("1", 1, 10, &v), 0);
	assert_int_equal(q_parse_int("10", 1, 10, &v), 0);
	assert_int_equal(q_parse_int("-3", -5, 10, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(q_parse_int("0", 1, 10, &v), -1);
	assert_int_equal(q_parse_int("11", 1, 10, &v), -1);
	assert_int_equal(q_parse_int("", 1, 10, &v), -1);
	assert_int_equal(q_parse_int(NULL, 1, 10, &v), -1);
	assert_int_equal(q_parse_int(" 5", 1, 10, &v), -1);
	assert_int_equal(q_parse_int("5 ", 1, 10, &v), -1);
	assert_int_equal(q_parse_int("0x5", 0, 10, &v), -1);
	assert_int_equal(q_parse_int("5k", 0, 10, &v), -1);
	assert_int_equal(q_parse_int("9223372036854775807", 0, INT64_MAX, &v), 0);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(q_parse_int("9223372036854775808", 0, INT64_MAX, &v), -1);
	assert_int_equal(q_parse_int("-9223372036854775809", INT64_MIN, 0, &v), -1);
	assert_int_equal(q_parse_int("99999999999999999999", 0, INT64_MAX, &v), -1);
}

static void test_reference(void **state)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);

	(void)state;
	q_config_print_reference(f);
	fclose(f);
	assert_non_null(strstr(buf, "## [hub]"));
	assert_non_null(strstr(buf, "| `max_upload_size` | `1G` |"));
	assert_non_null(strstr(buf, "## [log]"));
	free(buf);
}

/* release_pkg.repo: a repo name, or empty (off); anything else is an error. */
static void test_release_pkg_repo(void **state)
{
	struct q_config cfg;
	char *errors = NULL;

	(void)state;
	q_config_defaults(&cfg);
	assert_string_equal(cfg.release_pkg_repo, "common");
	assert_int_equal(parse_str("[release_pkg]\nrepo = extras_1\n", &cfg, NULL), 0);
	assert_string_equal(cfg.release_pkg_repo, "extras_1");
	assert_int_equal(parse_str("[release_pkg]\nrepo =\n", &cfg, NULL), 0);
	assert_string_equal(cfg.release_pkg_repo, "");
	assert_int_equal(parse_str("[release_pkg]\nrepo = Common\n", &cfg, &errors), 1);
	assert_non_null(strstr(errors, "test.ini:2: release_pkg.repo = 'Common': expected empty or "
				       "a repo name"));
	assert_string_equal(cfg.release_pkg_repo, "common");
	free(errors);
	assert_int_equal(parse_str("[release_pkg]\nrepo = ../x\n", &cfg, NULL), 1);
}

/* hub.listen's addresses, one by one; values with a bad one are refused. */
static void test_listen_list(void **state)
{
	static const char *const good[] = {"127.0.0.1:1", "  a:1 \t[::1]:2,b:3,  c:4  ",
					   "[::]:80,0.0.0.0:80"};
	static const char *const bad[] = {"",
					  "127.0.0.1:80 [::1]",
					  "a:1 a:1",
					  "a:1,,b:0",
					  "a:1 b:2 c:3 d:4 e:5 f:6 g:7 h:8 i:9 "
					  "j:10 k:11 l:12 m:13 n:14 o:15 p:16 q:17",
					  " , "};
	char buf[64], *errors, text[300];
	struct q_config cfg;

	(void)state;
	assert_int_equal(q_config_listen_addr(good[1], 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a:1");
	assert_int_equal(q_config_listen_addr(good[1], 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[::1]:2");
	assert_int_equal(q_config_listen_addr(good[1], 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "c:4");
	assert_int_equal(q_config_listen_addr(good[1], 4, buf, sizeof(buf)), -1);
	assert_int_equal(q_config_listen_addr("", 0, buf, sizeof(buf)), -1);
	assert_int_equal(q_config_listen_addr("abcdef:1", 0, buf, 4), -1); /* does not fit */
	for (size_t i = 0; i < Q_ARRAY_LEN(good); i++) {
		snprintf(text, sizeof(text), "[hub]\nlisten = %s\n", good[i]);
		if (parse_str(text, &cfg, &errors) != 0)
			fail_msg("'%s' refused: %s", good[i], errors);
		free(errors);
	}
	for (size_t i = 0; i < Q_ARRAY_LEN(bad); i++) {
		snprintf(text, sizeof(text), "[hub]\nlisten = %s\n", bad[i]);
		if (parse_str(text, &cfg, &errors) != 1 || !strstr(errors, "expected HOST:PORT"))
			fail_msg("'%s' not refused: %s", bad[i], errors);
		free(errors);
		assert_string_equal(cfg.listen, "127.0.0.1:8080");
	}
}

/* The public URL follows listen when unset; a set one is compared with it. */
static void test_finish_public_url(void **state)
{
	static const struct {
		const char *listen, *url, *want, *note;
	} cases[] = {
	    {"127.0.0.1:8080", "", "http://127.0.0.1:8080", NULL},
	    {"192.0.2.7:9000", "", "http://192.0.2.7:9000", NULL},
	    {"[::1]:8081", "", "http://[::1]:8081", NULL},
	    {"quarry.example.org:80", "", "http://quarry.example.org:80", NULL},
	    {"0.0.0.0:8080", "", NULL, "this host's name"},
	    {"[::]:8080", "", NULL, "this host's name"},
	    {"127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8080", NULL},
	    {"127.0.0.1:8080", "http://localhost:8080/", "http://localhost:8080/", NULL},
	    {"0.0.0.0:8080", "http://quarry.example.org:8080/x", NULL, NULL},
	    {"127.0.0.1:8080", "http://127.0.0.1:9090", NULL, "(port 9090)"},
	    {"0.0.0.0:8080", "http://quarry.example.org", NULL, "(port 80)"},
	    {"192.0.2.7:8080", "http://192.0.2.8:8080", NULL, "(host 192.0.2.8)"},
	    {"[::1]:8080", "http://[::2]:8080", NULL, "(host [::2])"},
	    /* https: the hub speaks plain HTTP, so a proxy is in front */
	    {"127.0.0.1:8080", "https://quarry.example.org", "https://quarry.example.org", NULL},
	    /* several addresses: derived from the first, agreeing with any */
	    {"127.0.0.1:8080 [::1]:8080", "", "http://127.0.0.1:8080", NULL},
	    {"[::1]:8081,127.0.0.1:8080", "", "http://[::1]:8081", NULL},
	    {"0.0.0.0:8080, [::]:8080", "", NULL, "'0.0.0.0:8080' is every address"},
	    {"127.0.0.1:8080 192.0.2.7:9000", "http://192.0.2.7:9000", "http://192.0.2.7:9000",
	     NULL},
	    {"127.0.0.1:8080 192.0.2.7:9000", "http://192.0.2.7:8080", NULL, "(host 192.0.2.7)"},
	    {"127.0.0.1:8080 192.0.2.7:9000", "http://192.0.2.8:9090", NULL, "(port 9090)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct q_config cfg;
		char note[2048];
		int rc;

		q_config_defaults(&cfg);
		snprintf(cfg.listen, sizeof(cfg.listen), "%s", cases[i].listen);
		snprintf(cfg.public_url, sizeof(cfg.public_url), "%s", cases[i].url);
		rc = q_config_finish(&cfg, note, sizeof(note));
		if (cases[i].want)
			assert_string_equal(cfg.public_url, cases[i].want);
		assert_int_equal(rc, cases[i].note != NULL);
		if (cases[i].note)
			assert_non_null(strstr(note, cases[i].note));
		else
			assert_string_equal(note, "");
		assert_int_equal(strncmp(cfg.public_url, "http", 4), 0);
	}
	{
		struct q_config cfg;
		char note[2048];

		q_config_defaults(&cfg);
		snprintf(cfg.listen, sizeof(cfg.listen), "0.0.0.0:8123");
		assert_int_equal(q_config_finish(&cfg, note, sizeof(note)), 1);
		assert_int_equal(strncmp(cfg.public_url, "http://", 7), 0);
		assert_null(strstr(cfg.public_url, "0.0.0.0"));
		assert_string_equal(cfg.public_url + strlen(cfg.public_url) - 5, ":8123");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_finish_public_url),
	    cmocka_unit_test(test_listen_list),
	    cmocka_unit_test(test_valid_file),
	    cmocka_unit_test(test_crlf_and_empty),
	    cmocka_unit_test(test_every_error_with_line),
	    cmocka_unit_test(test_section_header_edges),
	    cmocka_unit_test(test_line_limit),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_string_lengths),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_parse_size),
	    cmocka_unit_test(test_parse_duration),
	    cmocka_unit_test(test_parse_int),
	    cmocka_unit_test(test_reference),
	    cmocka_unit_test(test_release_pkg_repo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
