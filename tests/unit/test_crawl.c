/*
 * test_crawl.c: src/mirror/crawl.c against real servers on 127.0.0.1.
 * A python http.server serves mirror1 (the newest repomd.xml), mirror2 (an
 * alternate), mirror3 (one never published) and a repomd.xml over the size
 * limit; a 404, a port nobody listens on, a file:// URL and an IPv6-only
 * crawl of an IPv4 address are unreachable; a 301 is followed. A socket that listens but never
 * accepts is the slow mirror: it times out while the others finish, and
 * with per_host 4, 8 transfers to it take two rounds of the timeout (the
 * queue does not eat the timeout) unless their host keys differ. 500
 * targets against one server finish in bounded time. Files beside the
 * newest repomd.xml are checked with HEAD: all present with their sizes
 * (also a name that needs percent-encoding) is up to date; a missing one
 * or another size is partial, naming the first bad file; a lagging or
 * stale mirror's files are not checked; many files on one host keep the
 * per-host limit.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "mirror/crawl.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static char tmpdir[] = "/tmp/test_crawl.XXXXXX";
static pid_t server_pid;
static int port;      /* the http.server */
static int dead_port; /* nobody listens */
static int slow_fd = -1;
static int slow_port; /* listens, never accepts */
static char sha_new[Q_SHA256_HEX], sha_old[Q_SHA256_HEX], sha_older[Q_SHA256_HEX];
static const char *accepted[4];

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

/* A socket bound to a free 127.0.0.1 port; *p gets the port. */
static int bound_socket(int *p)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
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
	char big[5000], portstr[16];
	int fd;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	put("mirror1/9/repodata/repomd.xml", repomd_new, strlen(repomd_new));
	put("mirror2/9/repodata/repomd.xml", repomd_old, strlen(repomd_old));
	put("mirror3/9/repodata/repomd.xml", repomd_rogue, strlen(repomd_rogue));
	put("mirror1/9/repodata/abc-primary.xml.gz", "0123456789", 10);
	put("mirror1/9/Packages/f/foo-1.0-1^git+x.noarch.rpm", "rpm!", 4);
	for (int i = 0; i < 40; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "mirror1/9/Packages/n/n%02d.rpm", i);
		put(rel, "12345", 5);
	}
	memset(big, 'x', sizeof(big));
	put("big/9/repodata/repomd.xml", big, sizeof(big));
	q_hash_sha256_buf(repomd_new, strlen(repomd_new), sha_new);
	q_hash_sha256_buf(repomd_old, strlen(repomd_old), sha_old);
	q_hash_sha256_buf("older", 5, sha_older);
	accepted[0] = sha_new;
	accepted[1] = sha_older;
	accepted[2] = sha_old;
	accepted[3] = NULL;

	fd = bound_socket(&dead_port); /* closed again: connection refused */
	close(fd);
	fd = bound_socket(&port);
	close(fd);
	slow_fd = bound_socket(&slow_port);
	if (listen(slow_fd, 64) != 0)
		return -1;

	snprintf(portstr, sizeof(portstr), "%d", port);
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execl("/usr/bin/python3", "python3", "-m", "http.server", "--bind", "127.0.0.1",
		      portstr, "--directory", tmpdir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (can_connect(port))
			return 0;
		usleep(50000);
	}
	return -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	if (slow_fd >= 0)
		close(slow_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *url(int p, const char *path)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d/%s", p, path);
	return strdup(buf);
}

static void test_states(void **state)
{
	struct q_crawl_target t[10] = {0};
	struct q_crawl_result r[10];
	struct q_crawl_opts o = {.max_size = 4096};
	struct q_error err = {0};

	(void)state;
	t[0].url = url(port, "mirror1/9/repodata/repomd.xml");
	t[1].url = url(port, "mirror2/9/repodata/repomd.xml");
	t[2].url = url(port, "mirror3/9/repodata/repomd.xml");
	t[3].url = url(port, "nope/9/repodata/repomd.xml");
	t[4].url = url(dead_port, "mirror1/9/repodata/repomd.xml");
	t[5].url = url(port, "big/9/repodata/repomd.xml");
	t[6].url = strdup("file:///etc/passwd");
	t[7].url = url(port, "mirror1/9/repodata/repomd.xml");
	t[7].ipv4_only = 1;
	t[8].url = url(port, "mirror1/9/repodata/repomd.xml");
	t[8].ipv6_only = 1;
	t[9].url = url(port, "mirror1/9/repodata"); /* 301 to the listing */
	for (size_t i = 0; i < Q_ARRAY_LEN(t); i++) {
		t[i].mirror = "m";
		t[i].accepted_sha256 = accepted;
	}
	assert_int_equal(q_crawl_run(t, Q_ARRAY_LEN(t), &o, r, &err), 0);

	assert_int_equal(r[0].state, Q_CRAWL_UP_TO_DATE);
	assert_int_equal(r[0].http_status, 200);
	assert_string_equal(r[0].sha256, sha_new);
	assert_string_equal(r[0].error, "");
	assert_true(r[0].seconds >= 0 && r[0].seconds < 5);

	assert_int_equal(r[1].state, Q_CRAWL_LAGGING);
	assert_string_equal(r[1].sha256, sha_old);

	assert_int_equal(r[2].state, Q_CRAWL_STALE);
	assert_int_equal(r[2].http_status, 200);
	assert_non_null(strstr(r[2].error, "neither the newest"));

	assert_int_equal(r[3].state, Q_CRAWL_UNREACHABLE);
	assert_int_equal(r[3].http_status, 404);
	assert_string_equal(r[3].error, "HTTP status 404");
	assert_string_equal(r[3].sha256, "");

	assert_int_equal(r[4].state, Q_CRAWL_UNREACHABLE);
	assert_int_equal(r[4].http_status, 0);
	assert_true(r[4].error[0] != '\0');

	assert_int_equal(r[5].state, Q_CRAWL_UNREACHABLE);
	assert_string_equal(r[5].error, "repomd.xml is larger than 4096 bytes");

	assert_int_equal(r[6].state, Q_CRAWL_UNREACHABLE);
	assert_true(r[6].error[0] != '\0');

	assert_int_equal(r[7].state, Q_CRAWL_UP_TO_DATE);
	assert_int_equal(r[8].state, Q_CRAWL_UNREACHABLE);
	assert_int_equal(r[9].state, Q_CRAWL_STALE); /* followed: a 200 listing */
	assert_int_equal(r[9].http_status, 200);

	/* No accepted list at all: any 200 is stale. */
	t[0].accepted_sha256 = NULL;
	assert_int_equal(q_crawl_run(t, 1, NULL, r, &err), 0);
	assert_int_equal(r[0].state, Q_CRAWL_STALE);

	/* Bad input. */
	t[0].ipv6_only = 1;
	t[0].ipv4_only = 1;
	assert_int_equal(q_crawl_run(t, 1, NULL, r, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_int_equal(q_crawl_run(t, 0, NULL, r, &err), 0);
	for (size_t i = 0; i < Q_ARRAY_LEN(t); i++)
		free((char *)t[i].url);
	assert_string_equal(q_crawl_state_name(Q_CRAWL_LAGGING), "lagging");
}

/* The slow mirror times out; the others finish long before. */
static void test_files(void **state)
{
	static const struct q_crawl_file good[] = {
	    {"repodata/abc-primary.xml.gz", 10},
	    {"Packages/f/foo-1.0-1^git+x.noarch.rpm", 4},
	};
	static const struct q_crawl_file bad[] = {
	    {"repodata/abc-primary.xml.gz", 10},
	    {"Packages/f/missing-1-1.noarch.rpm", 4},
	    {"Packages/f/foo-1.0-1^git+x.noarch.rpm", 5},
	};
	struct q_crawl_file many[40];
	char names[40][64];
	struct q_crawl_target t[5] = {0};
	struct q_crawl_result r[5];
	struct q_crawl_opts o = {.per_host = 2};
	struct q_error err = {0};

	(void)state;
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "Packages/n/n%02d.rpm", i);
		many[i].path = names[i];
		many[i].size = 5;
	}
	t[0].url = url(port, "mirror1/9/repodata/repomd.xml");
	t[0].files = good;
	t[0].n_files = Q_ARRAY_LEN(good);
	t[1].url = url(port, "mirror1/9/repodata/repomd.xml");
	t[1].files = bad;
	t[1].n_files = Q_ARRAY_LEN(bad);
	t[2].url = url(port, "mirror2/9/repodata/repomd.xml"); /* lagging: not checked */
	t[2].files = bad;
	t[2].n_files = Q_ARRAY_LEN(bad);
	t[3].url = url(port, "mirror1/9/repodata/repomd.xml");
	t[3].files = many;
	t[3].n_files = Q_ARRAY_LEN(many);
	t[4].url = url(port, "mirror1/9/repodata/repomd.xml");
	t[4].files = &bad[2]; /* only another size */
	t[4].n_files = 1;
	for (size_t i = 0; i < Q_ARRAY_LEN(t); i++) {
		t[i].mirror = "m";
		t[i].accepted_sha256 = accepted;
	}
	assert_int_equal(q_crawl_run(t, Q_ARRAY_LEN(t), &o, r, &err), 0);
	assert_int_equal(r[0].state, Q_CRAWL_UP_TO_DATE);
	assert_string_equal(r[0].error, "");
	assert_string_equal(r[0].sha256, sha_new);
	assert_int_equal(r[1].state, Q_CRAWL_PARTIAL);
	assert_string_equal(r[1].error, "Packages/f/missing-1-1.noarch.rpm: HTTP status 404");
	assert_string_equal(r[1].sha256, sha_new);
	assert_int_equal(r[2].state, Q_CRAWL_LAGGING);
	assert_int_equal(r[3].state, Q_CRAWL_UP_TO_DATE);
	assert_int_equal(r[4].state, Q_CRAWL_PARTIAL);
	assert_string_equal(r[4].error,
			    "Packages/f/foo-1.0-1^git+x.noarch.rpm: 4 bytes, the publish has 5");
	assert_string_equal(q_crawl_state_name(Q_CRAWL_PARTIAL), "partial");

	/* A file missing among many: partial too. */
	many[33].path = "Packages/n/none.rpm";
	assert_int_equal(q_crawl_run(&t[3], 1, &o, r, &err), 0);
	assert_int_equal(r[0].state, Q_CRAWL_PARTIAL);
	assert_string_equal(r[0].error, "Packages/n/none.rpm: HTTP status 404");
	for (size_t i = 0; i < Q_ARRAY_LEN(t); i++)
		free((char *)t[i].url);
}

static void test_slow(void **state)
{
	struct q_crawl_target t[4] = {0};
	struct q_crawl_result r[4];
	struct q_crawl_opts o = {.timeout_ms = 2000};
	struct q_error err = {0};
	double t0;

	(void)state;
	t[0].url = url(slow_port, "slow/9/repodata/repomd.xml");
	for (int i = 1; i < 4; i++)
		t[i].url = url(port, "mirror1/9/repodata/repomd.xml");
	for (int i = 0; i < 4; i++)
		t[i].accepted_sha256 = accepted;
	t0 = now();
	assert_int_equal(q_crawl_run(t, 4, &o, r, &err), 0);
	assert_true(now() - t0 < 3.5);
	assert_int_equal(r[0].state, Q_CRAWL_UNREACHABLE);
	assert_true(r[0].seconds >= 1.9 && r[0].seconds < 3.0);
	assert_non_null(strstr(r[0].error, "imed out"));
	for (int i = 1; i < 4; i++) {
		assert_int_equal(r[i].state, Q_CRAWL_UP_TO_DATE);
		assert_true(r[i].seconds < 1.5);
	}
	for (int i = 0; i < 4; i++)
		free((char *)t[i].url);
}

/* per_host 4: 8 hanging transfers to one host take two timeouts; to two hosts, one. */
static void test_per_host(void **state)
{
	struct q_crawl_target t[8] = {0};
	struct q_crawl_result r[8];
	struct q_crawl_opts o = {.timeout_ms = 1000, .per_host = 4};
	struct q_error err = {0};
	double t0, el;

	(void)state;
	for (int i = 0; i < 8; i++)
		t[i].url = url(slow_port, "x/repodata/repomd.xml");
	t0 = now();
	assert_int_equal(q_crawl_run(t, 8, &o, r, &err), 0);
	el = now() - t0;
	assert_true(el >= 1.9 && el < 3.5);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(r[i].state, Q_CRAWL_UNREACHABLE);
		assert_true(r[i].seconds < 1.5); /* the queue did not count */
	}

	for (int i = 0; i < 8; i++)
		t[i].host = i % 2 ? "a.example" : "b.example";
	t0 = now();
	assert_int_equal(q_crawl_run(t, 8, &o, r, &err), 0);
	el = now() - t0;
	assert_true(el >= 0.9 && el < 1.9);
	for (int i = 0; i < 8; i++)
		free((char *)t[i].url);
}

static void test_many(void **state)
{
	enum { N = 500 };
	struct q_crawl_target *t = calloc(N, sizeof(*t));
	struct q_crawl_result *r = calloc(N, sizeof(*r));
	struct q_crawl_opts o = {.per_host = 4};
	struct q_error err = {0};
	char *u = url(port, "mirror1/9/repodata/repomd.xml");
	double t0, el;

	(void)state;
	for (int i = 0; i < N; i++) {
		t[i].url = u;
		t[i].accepted_sha256 = accepted;
	}
	t0 = now();
	assert_int_equal(q_crawl_run(t, N, &o, r, &err), 0);
	el = now() - t0;
	for (int i = 0; i < N; i++)
		assert_int_equal(r[i].state, Q_CRAWL_UP_TO_DATE);
	print_message("500 targets, per_host 4: %.2f s\n", el);
	assert_true(el < 30);
	free(u);
	free(t);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_states), cmocka_unit_test(test_files),
	    cmocka_unit_test(test_slow),   cmocka_unit_test(test_per_host),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
