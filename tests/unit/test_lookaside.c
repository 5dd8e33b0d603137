/*
 * test_lookaside.c: the .NAME.metadata parser and the lookaside store
 * (src/content/lookaside.c).
 *
 * parse: good files (both hash lengths, blank lines, no final newline) and
 * one refusal per rule, each checked for its "file:line" and reason
 * (upper-case hex is refused, not normalized; CRLF, comments, trailing or
 * leading white space, two spaces, targets outside SOURCES/, '..', a
 * target listed twice, NUL bytes, too many entries).
 * store: put fills both hashes and writes the blob and the SHA-1 index;
 * fetch by SHA-256 and by SHA-1; a corrupted blob fails naming the file
 * and both hashes and leaves nothing at dest; a missing blob without an
 * external lookaside is "not found"; max_size.
 * external: a real HTTP server (python3 -m http.server on a free port of
 * 127.0.0.1, started and killed by the test) serving a good blob, a blob
 * that does not match its hash, nothing (404) and a blob over max_size.
 */
#include "core/common.h"
#include "content/lookaside.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

static char g_tmp[256];  /* the test's temporary directory */
static char g_root[300]; /* the lookaside store */
static char g_work[300]; /* where fetched files go */
static char g_www[300];  /* what the HTTP server serves */
static pid_t g_server = -1;
static int g_port;

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *pathf(const char *fmt, ...)
{
	static char buf[4][1024];
	static int i;
	char *p = buf[i++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return p;
}

static void write_file(const char *path, const char *data)
{
	char dir[1024];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	assert_int_equal(q_fs_mkdirs(dir, 0755, NULL), 0);
	assert_int_equal(q_fs_write_atomic(path, data, strlen(data), 0644, NULL), 0);
}

static char *read_all(const char *path)
{
	char *data = NULL;
	size_t len = 0;

	if (q_fs_read_file(path, 1 << 20, &data, &len, NULL) < 0)
		return NULL;
	return data;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int free_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		return -1;
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static int server_ready(int port)
{
	struct sockaddr_in a = {0};
	int s = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

static int start_server(void)
{
	char port[16];

	g_port = free_port();
	if (g_port < 0)
		return -1;
	snprintf(port, sizeof(port), "%d", g_port);
	g_server = fork();
	if (g_server < 0)
		return -1;
	if (g_server == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		if (chdir(g_www) < 0)
			_exit(127);
		execlp("python3", "python3", "-m", "http.server", port, "--bind", "127.0.0.1",
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};

		if (server_ready(g_port))
			return 0;
		if (waitpid(g_server, NULL, WNOHANG) == g_server) {
			g_server = -1;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

static int group_setup(void **state)
{
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/quarry-test-lookaside-XXXXXX");
	if (!mkdtemp(g_tmp))
		return -1;
	snprintf(g_root, sizeof(g_root), "%s/store", g_tmp);
	snprintf(g_work, sizeof(g_work), "%s/work", g_tmp);
	snprintf(g_www, sizeof(g_www), "%s/www", g_tmp);
	if (mkdir(g_www, 0755) < 0)
		return -1;
	if (start_server() < 0) {
		fprintf(stderr, "cannot start python3 -m http.server\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	if (g_server > 0) {
		kill(g_server, SIGTERM);
		waitpid(g_server, NULL, 0);
	}
	q_fs_remove_tree(g_tmp, NULL);
	return 0;
}

/* A fresh, empty store and work directory for each test. */
static int setup(void **state)
{
	q_fs_remove_tree(g_root, NULL);
	q_fs_remove_tree(g_work, NULL);
	return q_fs_mkdirs(g_work, 0755, NULL);
}

#define H40 "0123456789abcdef0123456789abcdef01234567"
#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_parse_good(void **state)
{
	static const char text[] = "\n" H40 " SOURCES/foo-1.tar.gz\n\n" H64
				   " SOURCES/foo_data+1.zip\n" H64 " SOURCES/.hidden";
	struct q_lookaside_entry *e = NULL;
	struct q_error err = {0};
	size_t n = 99;

	assert_int_equal(q_lookaside_parse(".foo.metadata", text, strlen(text), &e, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].hash, H40);
	assert_int_equal(e[0].is_sha256, 0);
	assert_string_equal(e[0].file, "foo-1.tar.gz");
	assert_string_equal(e[1].hash, H64);
	assert_int_equal(e[1].is_sha256, 1);
	assert_string_equal(e[1].file, "foo_data+1.zip");
	assert_string_equal(e[2].file, ".hidden");
	free(e);
	/* empty: no entries, and a pointer that may be freed */
	assert_int_equal(q_lookaside_parse(".foo.metadata", "", 0, &e, &n, &err), 0);
	assert_int_equal(n, 0);
	free(e);
	assert_int_equal(q_lookaside_parse(".foo.metadata", "\n\n", 2, &e, &n, &err), 0);
	assert_int_equal(n, 0);
	free(e);
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"0123456789ABCDEF0123456789abcdef01234567 SOURCES/a",
	     ".m:1: hash '0123456789ABCDEF0123456789abcdef01234567' has upper-case hex digits"},
	    {"0123456789abcdef0123456789abcdef0123456 SOURCES/a", ".m:1: hash "},
	    {"0123456789abcdef0123456789abcdef0123456 SOURCES/a", "has 39 hex digits; expected 40"},
	    {H64 "0 SOURCES/a", "has 65 hex digits"},
	    {"0123456789abcdef0123456789abcdef0123456g SOURCES/a", "is not hexadecimal"},
	    {H40 " SOURCES/a ", ".m:1: trailing white space"},
	    {H40 " SOURCES/a\t", ".m:1: trailing white space"},
	    {H40 " SOURCES/a\r\n", ".m:1: line ends with CR; use LF line endings, not CRLF"},
	    {"# lookaside files\n", ".m:1: comments are not part of the format"},
	    {H40 "  SOURCES/a", ".m:1: expected exactly one space"},
	    {H40 "\tSOURCES/a", ".m:1: expected 'HASH SOURCES/FILE', got '" H40 "?SOURCES/a'"},
	    {H40, ".m:1: expected 'HASH SOURCES/FILE', got '" H40 "'"},
	    {H40 " ", ".m:1: trailing white space"},
	    {" " H40 " SOURCES/a", ".m:1: line starts with white space"},
	    {"\n \n", ".m:2: line starts with white space"},
	    {H40 " a.tar.gz", ".m:1: target 'a.tar.gz' is not 'SOURCES/FILE'"},
	    {H40 " ./SOURCES/a", "is not 'SOURCES/FILE'"},
	    {H40 " sources/a", "is not 'SOURCES/FILE'"},
	    {H40 " SOURCES/", ".m:1: target 'SOURCES/' is not 'SOURCES/FILE'"},
	    {H40 " SOURCES/a/b", "target 'SOURCES/a/b' is not 'SOURCES/FILE' (FILE"},
	    {H40 " SOURCES/..", "target 'SOURCES/..' is not"},
	    {H40 " SOURCES/.", "target 'SOURCES/.' is not"},
	    {H40 " SOURCES/a b", "target 'SOURCES/a b' is not"},
	    {H40 " SOURCES/a\n\n" H64 " SOURCES/a\n", ".m:3: 'SOURCES/a' is listed twice"},
	    {"\n\n\n" H40 " SOURCES/a\x01", ".m:4: target 'SOURCES/a?' is not"},
	};

	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++) {
		struct q_lookaside_entry *e = (void *)1;
		struct q_error err = {0};
		size_t n = 99;
		int rc =
		    q_lookaside_parse(".m", cases[i].text, strlen(cases[i].text), &e, &n, &err);

		if (rc != -1 || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: got %d '%s', want '%s'", i, rc, err.msg, cases[i].msg);
		assert_null(e);
		assert_int_equal(n, 0);
		assert_int_equal(err.code, Q_EINVAL);
	}
}

static void test_parse_nul_and_limits(void **state)
{
	static const char nul[] = H40 " SOURCES/a\0b\n";
	struct q_lookaside_entry *e = NULL;
	struct q_error err = {0};
	size_t n, len = 0;
	char *big;

	assert_int_equal(q_lookaside_parse(".m", nul, sizeof(nul) - 1, &e, &n, &err), -1);
	assert_string_equal(err.msg, ".m:1: NUL byte in line");
	/* 1001 entries */
	big = malloc(1001 * 80);
	assert_non_null(big);
	for (int i = 0; i < 1001; i++)
		len += (size_t)snprintf(big + len, 80, "%s SOURCES/f%d\n", H40, i);
	assert_int_equal(q_lookaside_parse(".m", big, len, &e, &n, &err), -1);
	assert_string_equal(err.msg, ".m:1001: more than 1000 entries");
	assert_int_equal(err.code, Q_ETOOBIG);
	/* 1000 are fine */
	assert_int_equal(
	    q_lookaside_parse(".m", big, len - strlen(H40 " SOURCES/f1000\n"), &e, &n, &err), 0);
	assert_int_equal(n, 1000);
	free(e);
	free(big);
}

static void put_blob(const char *content, char sha256[65], char sha1[41])
{
	struct q_lookaside_store ls = {g_root, NULL, 0};
	struct q_error err = {0};
	const char *src = pathf("%s/upload", g_tmp);

	write_file(src, content);
	if (q_lookaside_put(&ls, src, sha256, sha1, &err) < 0)
		fail_msg("%s", err.msg);
	unlink(src);
}

static void test_put_fetch(void **state)
{
	struct q_lookaside_store ls = {g_root, NULL, 1 << 20};
	struct q_lookaside_entry e = {0};
	struct q_error err = {0};
	struct q_digests d;
	char sha256[65], sha1[41], *got;
	struct stat st;

	put_blob("tarball contents\n", sha256, sha1);
	q_hash_digests_buf("tarball contents\n", 17, &d);
	assert_string_equal(sha256, d.sha256);
	assert_string_equal(sha1, d.sha1);
	got = read_all(pathf("%s/sha256/%.2s/%s", g_root, sha256, sha256));
	assert_string_equal(got, "tarball contents\n");
	free(got);
	got = read_all(pathf("%s/sha1/%.2s/%s", g_root, sha1, sha1));
	assert_non_null(got);
	assert_int_equal(strncmp(got, sha256, 64), 0);
	assert_string_equal(got + 64, "\n");
	free(got);
	/* no temporary left in the store */
	assert_int_equal(count_entries(pathf("%s/tmp", g_root)), 0);
	/* putting it again is fine */
	put_blob("tarball contents\n", sha256, sha1);

	/* by SHA-256 */
	snprintf(e.hash, sizeof(e.hash), "%s", sha256);
	e.is_sha256 = 1;
	snprintf(e.file, sizeof(e.file), "foo-1.tar.gz");
	if (q_lookaside_fetch(&ls, "foo", &e, pathf("%s/a", g_work), &err) < 0)
		fail_msg("%s", err.msg);
	got = read_all(pathf("%s/a", g_work));
	assert_string_equal(got, "tarball contents\n");
	free(got);
	assert_int_equal(stat(pathf("%s/a", g_work), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* by SHA-1, through the index */
	snprintf(e.hash, sizeof(e.hash), "%s", sha1);
	e.is_sha256 = 0;
	if (q_lookaside_fetch(&ls, "foo", &e, pathf("%s/b", g_work), &err) < 0)
		fail_msg("%s", err.msg);
	got = read_all(pathf("%s/b", g_work));
	assert_string_equal(got, "tarball contents\n");
	free(got);
	assert_int_equal(count_entries(g_work), 2);
	/* over max_size */
	ls.max_size = 5;
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/c", g_work), &err), -1);
	assert_int_equal(err.code, Q_ETOOBIG);
	assert_int_equal(count_entries(g_work), 2);
	assert_int_equal(q_lookaside_put(&ls, pathf("%s/a", g_work), sha256, sha1, &err), -1);
	assert_int_equal(err.code, Q_ETOOBIG);
}

static void test_corrupt_blob(void **state)
{
	struct q_lookaside_store ls = {g_root, NULL, 1 << 20};
	struct q_lookaside_entry e = {0};
	struct q_error err = {0};
	struct q_digests bad;
	char sha256[65], sha1[41], want[1200];

	put_blob("good contents\n", sha256, sha1);
	write_file(pathf("%s/sha256/%.2s/%s", g_root, sha256, sha256), "bad contents\n");
	q_hash_digests_buf("bad contents\n", 13, &bad);

	snprintf(e.hash, sizeof(e.hash), "%s", sha256);
	e.is_sha256 = 1;
	snprintf(e.file, sizeof(e.file), "foo-1.tar.gz");
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/a", g_work), &err), -1);
	snprintf(want, sizeof(want),
		 "lookaside file 'SOURCES/foo-1.tar.gz' of 'foo' does not match its hash: "
		 "expected sha256 %s, got %s (from the lookaside store)",
		 sha256, bad.sha256);
	assert_string_equal(err.msg, want);
	/* The source names bytes the store does not have: the request's fault,
	 * and the store's path is not shown. */
	assert_int_equal(err.code, Q_EINVAL);
	assert_null(strstr(err.msg, g_root));
	assert_int_equal(count_entries(g_work), 0);

	snprintf(e.hash, sizeof(e.hash), "%s", sha1);
	e.is_sha256 = 0;
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/a", g_work), &err), -1);
	assert_non_null(strstr(err.msg, "'SOURCES/foo-1.tar.gz'"));
	assert_non_null(strstr(err.msg, sha1));
	assert_non_null(strstr(err.msg, bad.sha1));
	assert_int_equal(count_entries(g_work), 0);

	/* a corrupt index */
	write_file(pathf("%s/sha1/%.2s/%s", g_root, sha1, sha1), "nonsense\n");
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/a", g_work), &err), -1);
	assert_non_null(strstr(err.msg, "is corrupt"));
	assert_int_equal(count_entries(g_work), 0);
}

static void test_not_found(void **state)
{
	struct q_lookaside_store ls = {g_root, NULL, 1 << 20};
	struct q_lookaside_entry e = {H64, 1, "foo-1.tar.gz"};
	struct q_error err = {0};

	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/a", g_work), &err), -1);
	assert_int_equal(err.code, Q_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'SOURCES/foo-1.tar.gz' of 'foo' (sha256 " H64 ")"));
	/* entries that did not come from the parser are checked too */
	snprintf(e.file, sizeof(e.file), "../x");
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/a", g_work), &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	snprintf(e.file, sizeof(e.file), "x");
	assert_int_equal(q_lookaside_fetch(&ls, "a/b", &e, pathf("%s/a", g_work), &err), -1);
	assert_int_equal(count_entries(g_work), 0);
}

static void serve(const char *name, const char *file, const char *type, const char *hash,
		  const char *content)
{
	write_file(pathf("%s/%s/%s/%s/%s/%s", g_www, name, file, type, hash, file), content);
}

static void test_external(void **state)
{
	char tmpl[200], want[1200], *got;
	struct q_lookaside_store ls = {g_root, tmpl, 1 << 20};
	struct q_lookaside_entry e = {0};
	struct q_error err = {0};
	struct q_digests d, bad;

	snprintf(tmpl, sizeof(tmpl),
		 "http://127.0.0.1:%d/{name}/{filename}/{hashtype}/{hash}/{filename}", g_port);
	q_hash_digests_buf("remote contents\n", 16, &d);
	q_hash_digests_buf("evil contents\n", 14, &bad);
	serve("foo", "foo-1.tar.gz", "sha256", d.sha256, "remote contents\n");
	serve("foo", "foo 2.tar.gz", "sha1", d.sha1, "remote contents\n");
	serve("foo", "evil.tar.gz", "sha256", d.sha256, "evil contents\n");

	/* a good blob, not in the local store */
	snprintf(e.hash, sizeof(e.hash), "%s", d.sha256);
	e.is_sha256 = 1;
	snprintf(e.file, sizeof(e.file), "foo-1.tar.gz");
	if (q_lookaside_fetch(&ls, "foo", &e, pathf("%s/a", g_work), &err) < 0)
		fail_msg("%s", err.msg);
	got = read_all(pathf("%s/a", g_work));
	assert_string_equal(got, "remote contents\n");
	free(got);

	/* by SHA-1 */
	snprintf(e.hash, sizeof(e.hash), "%s", d.sha1);
	e.is_sha256 = 0;
	snprintf(e.file, sizeof(e.file), "foo 2.tar.gz");
	/* the parser refuses spaces, so build the entry by hand: the template
	 * escapes what it substitutes anyway; fetch refuses it as invalid */
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/b", g_work), &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	serve("foo", "foo-2.tar.gz", "sha1", d.sha1, "remote contents\n");
	snprintf(e.file, sizeof(e.file), "foo-2.tar.gz");
	if (q_lookaside_fetch(&ls, "foo", &e, pathf("%s/b", g_work), &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(count_entries(g_work), 2);

	/* a blob that does not match its hash */
	snprintf(e.hash, sizeof(e.hash), "%s", d.sha256);
	e.is_sha256 = 1;
	snprintf(e.file, sizeof(e.file), "evil.tar.gz");
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/c", g_work), &err), -1);
	snprintf(want, sizeof(want),
		 "lookaside file 'SOURCES/evil.tar.gz' of 'foo' does not match its hash: "
		 "expected sha256 %s, got %s (from 'http://127.0.0.1:%d/foo/evil.tar.gz/sha256/%s/"
		 "evil.tar.gz')",
		 d.sha256, bad.sha256, g_port, d.sha256);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, Q_EINVAL);
	assert_false(q_fs_exists(pathf("%s/c", g_work)));
	assert_int_equal(count_entries(g_work), 2);

	/* not there */
	snprintf(e.file, sizeof(e.file), "missing.tar.gz");
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/c", g_work), &err), -1);
	assert_int_equal(err.code, Q_ENOTFOUND);
	assert_non_null(strstr(err.msg, "HTTP 404"));
	assert_non_null(strstr(err.msg, "'SOURCES/missing.tar.gz'"));
	assert_int_equal(count_entries(g_work), 2);

	/* over max_size */
	ls.max_size = 4;
	snprintf(e.file, sizeof(e.file), "foo-1.tar.gz");
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/c", g_work), &err), -1);
	assert_int_equal(err.code, Q_ETOOBIG);
	assert_int_equal(count_entries(g_work), 2);

	/* the local store wins over the external one */
	ls.max_size = 1 << 20;
	{
		char s256[65], s1[41];

		put_blob("local contents\n", s256, s1);
		snprintf(e.hash, sizeof(e.hash), "%s", s256);
		serve("foo", "foo-1.tar.gz", "sha256", s256, "something else\n");
		if (q_lookaside_fetch(&ls, "foo", &e, pathf("%s/d", g_work), &err) < 0)
			fail_msg("%s", err.msg);
		got = read_all(pathf("%s/d", g_work));
		assert_string_equal(got, "local contents\n");
		free(got);
	}

	/* only http and https */
	ls.url_template = "file:///etc/{filename}";
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/e", g_work), &err), 0);
	snprintf(e.hash, sizeof(e.hash), "%s", H64);
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/e", g_work), &err), -1);
	assert_non_null(strstr(err.msg, "is not http:// or https://"));
	/* a refused connection fails cleanly, leaving nothing */
	ls.url_template = "http://127.0.0.1:1/{hash}";
	assert_int_equal(q_lookaside_fetch(&ls, "foo", &e, pathf("%s/e", g_work), &err), -1);
	assert_non_null(strstr(err.msg, "cannot download"));
	assert_int_equal(count_entries(g_work), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_parse_nul_and_limits),
	    cmocka_unit_test_setup(test_put_fetch, setup),
	    cmocka_unit_test_setup(test_corrupt_blob, setup),
	    cmocka_unit_test_setup(test_not_found, setup),
	    cmocka_unit_test_setup(test_external, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
