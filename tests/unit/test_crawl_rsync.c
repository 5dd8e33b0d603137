/*
 * test_crawl_rsync.c: src/mirror/crawl_rsync.c against a real rsync daemon
 * on 127.0.0.1. Module m serves mirror1 (the newest repomd.xml and the
 * files it names), mirror2 (an alternate), mirror3 (one never published)
 * and a repomd.xml over the size limit; a port nobody listens on, a module
 * that does not exist and a missing file are unreachable with rsync's
 * reason; URLs that could be options or wildcards are refused without
 * running anything. The files check: right sizes stay up to date, a
 * missing file or another size is partial, naming the path; it is not run
 * for a lagging mirror. A socket that listens but never answers is killed
 * at the wall-clock limit. q_crawl_run hands rsync:// targets over and
 * keeps the others on libcurl, results in the targets' order. The
 * listing parser on rsync's own lines.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "mirror/crawl.h"
#include "mirror/crawl_rsync.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static char tmpdir[] = "/tmp/test_crawl_rsync.XXXXXX";
static pid_t daemon_pid;
static int port, dead_port, slow_port, slow_fd = -1;
static char sha_new[Q_SHA256_HEX], sha_old[Q_SHA256_HEX];
static const char *accepted[3];
static int have_rsync;

static const char repomd_new[] = "<repomd><revision>3</revision></repomd>\n";
static const char repomd_old[] = "<repomd><revision>2</revision></repomd>\n";
static const char repomd_rogue[] = "<repomd><revision>666</revision></repomd>\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put(const char *rel, const char *text, size_t len)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int bound_socket(int *p)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
		return -1;
	*p = ntohs(a.sin_port);
	return fd;
}

static int can_connect(int p)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)p);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int setup(void **state)
{
	char big[5000], conf[600], opt[700];
	int fd;
	FILE *f;

	(void)state;
	have_rsync = system("command -v rsync >/dev/null 2>&1") == 0;
	if (!mkdtemp(tmpdir))
		return -1;
	put("m/mirror1/9/repodata/repomd.xml", repomd_new, strlen(repomd_new));
	put("m/mirror1/9/repodata/abc-primary.xml.gz", "0123456789", 10);
	put("m/mirror1/9/Packages/a/a-1-1.noarch.rpm", "package bytes", 13);
	put("m/mirror2/9/repodata/repomd.xml", repomd_old, strlen(repomd_old));
	put("m/mirror3/9/repodata/repomd.xml", repomd_rogue, strlen(repomd_rogue));
	memset(big, 'x', sizeof(big));
	put("m/big/9/repodata/repomd.xml", big, sizeof(big));
	q_hash_sha256_buf(repomd_new, strlen(repomd_new), sha_new);
	q_hash_sha256_buf(repomd_old, strlen(repomd_old), sha_old);
	accepted[0] = sha_new;
	accepted[1] = sha_old;
	accepted[2] = NULL;

	fd = bound_socket(&dead_port);
	close(fd);
	fd = bound_socket(&port);
	close(fd);
	slow_fd = bound_socket(&slow_port);
	if (slow_fd < 0 || listen(slow_fd, 64) != 0)
		return -1;
	if (!have_rsync)
		return 0;
	snprintf(conf, sizeof(conf), "%s/rsyncd.conf", tmpdir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f,
		"pid file = %s/rsyncd.pid\nlog file = %s/rsyncd.log\naddress = 127.0.0.1\n"
		"port = %d\nuse chroot = no\n[m]\npath = %s/m\nread only = yes\n",
		tmpdir, tmpdir, port, tmpdir);
	fclose(f);
	snprintf(opt, sizeof(opt), "--config=%s", conf);
	daemon_pid = fork();
	if (daemon_pid < 0)
		return -1;
	if (daemon_pid == 0) {
		execlp("rsync", "rsync", "--daemon", "--no-detach", opt, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (can_connect(port))
			return 0;
		usleep(25000);
	}
	return -1;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
	}
	if (slow_fd >= 0)
		close(slow_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *url(int p, const char *rest)
{
	static char bufs[16][256];
	static int next;
	char *b = bufs[next++ % 16];

	snprintf(b, 256, "rsync://127.0.0.1:%d/%s", p, rest);
	return b;
}

static void test_states(void **state)
{
	struct q_crawl_target t[7] = {0};
	struct q_crawl_result r[7];
	struct q_crawl_opts o = {.timeout_ms = 10000, .max_size = 4096};
	struct q_error err = {0};

	(void)state;
	if (!have_rsync)
		skip();
	t[0].url = url(port, "m/mirror1/9/repodata/repomd.xml");
	t[1].url = url(port, "m/mirror2/9/repodata/repomd.xml");
	t[2].url = url(port, "m/mirror3/9/repodata/repomd.xml");
	t[3].url = url(dead_port, "m/mirror1/9/repodata/repomd.xml");
	t[4].url = url(port, "nosuch/9/repodata/repomd.xml");
	t[5].url = url(port, "m/mirror1/8/repodata/repomd.xml");
	t[6].url = url(port, "m/big/9/repodata/repomd.xml");
	for (int i = 0; i < 7; i++)
		t[i].accepted_sha256 = accepted;
	assert_int_equal(q_crawl_rsync_run(t, 7, &o, r, &err), 0);
	assert_int_equal(r[0].state, Q_CRAWL_UP_TO_DATE);
	assert_string_equal(r[0].sha256, sha_new);
	assert_int_equal(r[0].http_status, 200);
	assert_int_equal(r[0].family, AF_INET);
	assert_string_equal(r[0].error, "");
	assert_int_equal(r[1].state, Q_CRAWL_LAGGING);
	assert_int_equal(r[2].state, Q_CRAWL_STALE);
	assert_non_null(strstr(r[2].error, "neither the newest publish nor an alternate"));
	assert_int_equal(r[3].state, Q_CRAWL_UNREACHABLE);
	assert_int_equal(r[3].http_status, 0);
	assert_non_null(strstr(r[3].error, "Connection refused"));
	assert_int_equal(r[4].state, Q_CRAWL_UNREACHABLE);
	assert_non_null(strstr(r[4].error, "Unknown module 'nosuch'"));
	assert_int_equal(r[5].state, Q_CRAWL_UNREACHABLE);
	assert_non_null(strstr(r[5].error, "No such file or directory"));
	assert_int_equal(r[6].state, Q_CRAWL_UNREACHABLE);
	assert_non_null(strstr(r[6].error, "larger than 4096 bytes"));
}

static void test_refused_urls(void **state)
{
	static const char *bad[] = {
	    "rsync://-oProxyCommand=x/m/repodata/repomd.xml",
	    "rsync://127.0.0.1/m/a b/repodata/repomd.xml",
	    "rsync://127.0.0.1/m/*/repodata/repomd.xml",
	    "rsync://127.0.0.1/m/x\n/repodata/repomd.xml",
	    "rsync://127.0.0.1/",
	    "rsync://user@-x/m/repodata/repomd.xml",
	    "host::m/repodata/repomd.xml",
	};
	struct q_crawl_target t[Q_ARRAY_LEN(bad)] = {{0}};
	struct q_crawl_result r[Q_ARRAY_LEN(bad)];
	struct q_error err = {0};
	double t0 = now();

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(bad); i++) {
		t[i].url = bad[i];
		t[i].accepted_sha256 = accepted;
		assert_non_null(q_crawl_rsync_url_problem(bad[i]));
	}
	assert_null(q_crawl_rsync_url_problem("rsync://127.0.0.1:873/m/sig/9/repodata/repomd.xml"));
	assert_null(q_crawl_rsync_url_problem("rsync://user@mirror.example.org/m/"));
	assert_int_equal(q_crawl_rsync_run(t, Q_ARRAY_LEN(bad), NULL, r, &err), 0);
	for (size_t i = 0; i < Q_ARRAY_LEN(bad); i++) {
		assert_int_equal(r[i].state, Q_CRAWL_UNREACHABLE);
		assert_non_null(strstr(r[i].error, "refused URL"));
	}
	assert_true(now() - t0 < 1.0); /* nothing was run */
}

static void test_files(void **state)
{
	const struct q_crawl_file good[] = {{"repodata/abc-primary.xml.gz", 10},
					    {"Packages/a/a-1-1.noarch.rpm", 13}};
	const struct q_crawl_file wrong_size[] = {{"repodata/abc-primary.xml.gz", 10},
						  {"Packages/a/a-1-1.noarch.rpm", 14}};
	const struct q_crawl_file missing[] = {{"Packages/b/b-1-1.noarch.rpm", 5},
					       {"repodata/abc-primary.xml.gz", 10}};
	struct q_crawl_target t[4] = {0};
	struct q_crawl_result r[4];
	struct q_error err = {0};

	(void)state;
	if (!have_rsync)
		skip();
	for (int i = 0; i < 4; i++) {
		t[i].url = url(port, "m/mirror1/9/repodata/repomd.xml");
		t[i].accepted_sha256 = accepted;
	}
	t[0].files = good;
	t[0].n_files = 2;
	t[1].files = wrong_size;
	t[1].n_files = 2;
	t[2].files = missing;
	t[2].n_files = 2;
	t[3].url = url(port, "m/mirror2/9/repodata/repomd.xml"); /* lagging: not checked */
	t[3].files = missing;
	t[3].n_files = 2;
	assert_int_equal(q_crawl_rsync_run(t, 4, NULL, r, &err), 0);
	assert_int_equal(r[0].state, Q_CRAWL_UP_TO_DATE);
	assert_string_equal(r[0].error, "");
	assert_int_equal(r[1].state, Q_CRAWL_PARTIAL);
	assert_string_equal(r[1].error, "Packages/a/a-1-1.noarch.rpm: 13 bytes, expected 14");
	assert_int_equal(r[2].state, Q_CRAWL_PARTIAL);
	assert_string_equal(r[2].error, "Packages/b/b-1-1.noarch.rpm: missing");
	assert_string_equal(r[2].sha256, sha_new);
	assert_int_equal(r[3].state, Q_CRAWL_LAGGING);
	/* A path that leaves the repo is the caller's bug: refused. */
	{
		const struct q_crawl_file up[] = {{"../x", 1}};

		t[0].files = up;
		t[0].n_files = 1;
		assert_int_equal(q_crawl_rsync_run(t, 1, NULL, r, &err), -1);
		assert_non_null(strstr(err.msg, "not a relative path"));
	}
}

static void test_slow(void **state)
{
	struct q_crawl_target t[2] = {0};
	struct q_crawl_result r[2];
	struct q_crawl_opts o = {.timeout_ms = 1500, .connect_timeout_ms = 1000};
	struct q_error err = {0};
	double t0;

	(void)state;
	if (!have_rsync)
		skip();
	t[0].url = url(slow_port, "m/mirror1/9/repodata/repomd.xml");
	t[1].url = url(port, "m/mirror1/9/repodata/repomd.xml");
	t[0].accepted_sha256 = t[1].accepted_sha256 = accepted;
	t0 = now();
	assert_int_equal(q_crawl_rsync_run(t, 2, &o, r, &err), 0);
	assert_true(now() - t0 < 5.0);
	assert_int_equal(r[0].state, Q_CRAWL_UNREACHABLE);
	assert_true(r[0].error[0] != '\0');
	assert_int_equal(r[1].state, Q_CRAWL_UP_TO_DATE);
}

static void test_mixed(void **state)
{
	struct q_crawl_target t[3] = {0};
	struct q_crawl_result r[3];
	struct q_error err = {0};
	char http[128];

	(void)state;
	if (!have_rsync)
		skip();
	snprintf(http, sizeof(http), "http://127.0.0.1:%d/repodata/repomd.xml", dead_port);
	t[0].url = http;
	t[1].url = url(port, "m/mirror2/9/repodata/repomd.xml");
	t[2].url = url(port, "m/mirror1/9/repodata/repomd.xml");
	for (int i = 0; i < 3; i++)
		t[i].accepted_sha256 = accepted;
	assert_int_equal(q_crawl_run(t, 3, NULL, r, &err), 0);
	assert_int_equal(r[0].state, Q_CRAWL_UNREACHABLE);
	assert_null(strstr(r[0].error, "refused URL")); /* libcurl's, not the rsync side's */
	assert_int_equal(r[1].state, Q_CRAWL_LAGGING);
	assert_int_equal(r[2].state, Q_CRAWL_UP_TO_DATE);
}

static void test_parse_list_line(void **state)
{
	char path[64];
	int64_t size = -1;

	(void)state;
	assert_int_equal(q_crawl_rsync_parse_list_line(
			     "-rw-r--r--        1234567 2026/12/03 19:11:32 Packages/foo.rpm",
			     &size, path, sizeof(path)),
			 1);
	assert_int_equal(size, 1234567);
	assert_string_equal(path, "Packages/foo.rpm");
	assert_int_equal(q_crawl_rsync_parse_list_line(
			     "-rw-r--r--              6 2026/12/03 19:11:32 a b\\#012c", &size,
			     path, sizeof(path)),
			 1);
	assert_string_equal(path, "a b\nc");
	assert_int_equal(
	    q_crawl_rsync_parse_list_line("drwxr-xr-x           4096 2026/12/03 19:11:32 Packages",
					  &size, path, sizeof(path)),
	    0);
	assert_int_equal(
	    q_crawl_rsync_parse_list_line("-rw-r--r--          1,234 2026/12/03 19:11:32 x", &size,
					  path, sizeof(path)),
	    0); /* digit separators: --no-h was not given */
	assert_int_equal(q_crawl_rsync_parse_list_line("rsync: [sender] link_stat failed", &size,
						       path, sizeof(path)),
			 0);
	assert_int_equal(
	    q_crawl_rsync_parse_list_line("-rw-r--r-- 5 d t", &size, path, sizeof(path)), 0);
	assert_int_equal(q_crawl_rsync_parse_list_line(
			     "-rw-r--r--              6 2026/12/03 19:11:32 "
			     "a-name-longer-than-the-buffer-the-caller-gave-us-for-this-line",
			     &size, path, 16),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_states), cmocka_unit_test(test_refused_urls),
	    cmocka_unit_test(test_files),  cmocka_unit_test(test_slow),
	    cmocka_unit_test(test_mixed),  cmocka_unit_test(test_parse_list_line),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
