/*
 * test_cli_build.c: the build-related client commands without a hub:
 * argument parsing and exit codes of `quarry build`, `lookaside`, `tag`,
 * `workers` and `token create --worker`, and (against a fake HTTP server
 * on 127.0.0.1 answering a scripted sequence) the requests they send: the
 * git source made absolute, the arches, an SRPM staged then built, the tag
 * body, the lookaside upload's filename and X-Content-SHA256, the list's
 * query, --wait's exit status, and q_client_get_header.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>

#define ARGC(v) ((int)Q_ARRAY_LEN(v))
#define RUN(fn, ...)                                                                               \
	({                                                                                         \
		char *v_[] = {__VA_ARGS__};                                                        \
		fn(ARGC(v_), v_);                                                                  \
	})
#define NOHUB "--hub", "http://127.0.0.1:1"

static int setup(void **state)
{
	(void)state;
	unsetenv("QUARRY_HUB");
	unsetenv("QUARRY_TOKEN");
	unsetenv("QUARRY_CLIENT_CONFIG");
	setenv("HOME", "/nonexistent-quarry-test-home", 1);
	return 0;
}

/* ---- argument parsing and exit codes ---- */

static void test_help(void **state)
{
	(void)state;
	assert_int_equal(RUN(cmd_build, "build", "-h"), 0);
	assert_int_equal(RUN(cmd_build, "build", "--help"), 0);
	assert_int_equal(RUN(cmd_build, "build", "list", "-h"), 0);
	assert_int_equal(RUN(cmd_build, "build", "log", "--help"), 0);
	assert_int_equal(RUN(cmd_build, "build", "submit", "-h"), 0);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "-h"), 0);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "-h"), 0);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "upload", "-h"), 0);
	assert_int_equal(RUN(cmd_tag, "tag", "-h"), 0);
	assert_int_equal(RUN(cmd_workers, "workers", "--help"), 0);
	assert_int_equal(RUN(cmd_token, "token", "create", "-h"), 0);
}

static void test_usage_errors(void **state)
{
	(void)state;
	/* build: the implicit submit. */
	assert_int_equal(RUN(cmd_build, "build"), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "lst", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "a#b", "c", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "Bad/el9", "https://h/r.git#r9", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc", "https://h/r.git#r9", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9/common", "https://h/r.git#r9", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "https://h/r.git", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "https://h/r.git#", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "#r9", NOHUB), 2);
	assert_int_equal(
	    RUN(cmd_build, "build", "mc/el9", "https://h/r.git#r9", "--arch", "sparc", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "https://h/r.git#r9", "--arch",
			     "x86_64,x86_64", NOHUB),
			 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "https://h/r.git#r9", "--follow", NOHUB),
			 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "https://h/r.git#r9", "--arch"), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "https://h/r.git#r9", "--bogus"), 2);
	/* build subcommands. */
	assert_int_equal(RUN(cmd_build, "build", "list", "--state", "done", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "list", "--limit", "0", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "list", "--limit", "x", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "list", "--sig", "Bad", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "list", "--follow", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "list", "extra", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "show", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "show", "abc", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "show", "0", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "show", "-3", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "show", "1", "--arch", "x86_64", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "show", "1", "--wait", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "cancel", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "cancel", "1", "--wait", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "resubmit", "x", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "resubmit", "1", "--follow", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "log", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "log", "1", "x", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "log", "1", "2", "3", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "log", "1", "--wait", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "provenance", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "provenance", "1", "--follow", NOHUB), 2);
	/* tag. */
	assert_int_equal(RUN(cmd_tag, "tag", NOHUB), 2);
	assert_int_equal(RUN(cmd_tag, "tag", "1", NOHUB), 2);
	assert_int_equal(RUN(cmd_tag, "tag", "abc", "mc/el9/common", NOHUB), 2);
	assert_int_equal(RUN(cmd_tag, "tag", "1", "mc/el9", NOHUB), 2);
	assert_int_equal(RUN(cmd_tag, "tag", "1", "mc/el9/common", "x", NOHUB), 2);
	/* workers. */
	assert_int_equal(RUN(cmd_workers, "workers", "extra", NOHUB), 2);
	/* lookaside. */
	assert_int_equal(RUN(cmd_lookaside, "lookaside", NOHUB), 2);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "upload", "mc", NOHUB), 2);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "download", "mc", "f", NOHUB), 2);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "upload", "Bad", "f", NOHUB), 2);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "upload", "mc/el9", "f", NOHUB), 2);
	/* token create --worker. */
	assert_int_equal(RUN(cmd_token, "token", "create", "--worker", "Bad Name", NOHUB), 2);
	assert_int_equal(
	    RUN(cmd_token, "token", "create", "--worker", "w1", "--user", "bob", NOHUB), 2);
	assert_int_equal(RUN(cmd_token, "token", "create", "--worker", NOHUB), 2);
	assert_int_equal(RUN(cmd_token, "token", "list", "--worker", "w1", NOHUB), 2);
	/* No hub configured anywhere. */
	assert_int_equal(RUN(cmd_build, "build", "list"), 2);
	assert_int_equal(RUN(cmd_workers, "workers"), 2);
}

static void test_local_errors(void **state)
{
	(void)state;
	/* Errors found before anything is sent: 1. */
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "/nonexistent/x-1-1.src.rpm", NOHUB), 1);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "/", NOHUB), 2);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "no-such-dir-here#r9", NOHUB), 1);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "/etc/hostname#r9", NOHUB), 1);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "upload", "mc", "/nonexistent.tar", NOHUB),
			 1);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "upload", "mc", "/", NOHUB), 1);
	/* Transport errors: 1. */
	assert_int_equal(RUN(cmd_build, "build", "list", NOHUB), 1);
	assert_int_equal(RUN(cmd_build, "build", "mc/el9", "https://h/r.git#r9", NOHUB), 1);
	assert_int_equal(RUN(cmd_workers, "workers", NOHUB), 1);
	assert_int_equal(RUN(cmd_tag, "tag", "1", "mc/el9/common", NOHUB), 1);
}

/* ---- against a fake hub answering a script ---- */

#define FAKE_MAX 4

struct fake {
	int fd;
	int port;
	int n;                         /* answers to give */
	const char *answer[FAKE_MAX];  /* whole HTTP responses, one per connection */
	char request[FAKE_MAX][16384]; /* what the client sent, headers and body */
	pthread_t thread;
};

/* Read one request: headers, then Content-Length bytes of body. */
static void read_request(int c, char *buf, size_t size)
{
	size_t got = 0;
	size_t want = 0;
	char *end = NULL;

	while (got < size - 1) {
		ssize_t n = read(c, buf + got, size - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");

			want = (size_t)(end + 4 - buf) +
			       (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && got >= want)
			break;
	}
}

static void *fake_serve(void *arg)
{
	struct fake *f = arg;

	for (int i = 0; i < f->n; i++) {
		int c = accept(f->fd, NULL, NULL);

		if (c < 0)
			return NULL;
		read_request(c, f->request[i], sizeof(f->request[i]));
		if (write(c, f->answer[i], strlen(f->answer[i])) < 0)
			perror("fake write");
		close(c);
	}
	return NULL;
}

static char *hub_of(struct fake *f)
{
	return g_strdup_printf("http://127.0.0.1:%d", f->port);
}

static void fake_start(struct fake *f, int n, const char **answers)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);

	memset(f, 0, sizeof(*f));
	assert_true(n <= FAKE_MAX);
	f->n = n;
	for (int i = 0; i < n; i++)
		f->answer[i] = answers[i];
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->fd, FAKE_MAX), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->fd);
}

/* An HTTP answer with a JSON (or text) body and extra header lines. */
static char *answer(int status, const char *extra, const char *body)
{
	return g_strdup_printf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%s"
			       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			       status, extra ? extra : "", strlen(body), body);
}

/* The JSON body of a recorded request. */
static json_t *body_of(const char *request)
{
	const char *b = strstr(request, "\r\n\r\n");

	assert_non_null(b);
	return json_loads(b + 4, 0, NULL);
}

static const char build_json[] =
    "{\"id\":7,\"sig\":\"mc\",\"project\":\"el9\",\"state\":\"building\",\"tasks\":[]}";

static void test_submit_git(void **state)
{
	char *ans = answer(201, NULL, build_json);
	char *tmp = g_dir_make_tmp("quarry-cli-build-XXXXXX", NULL);
	char *parent = g_path_get_dirname(tmp);
	char *base = g_path_get_basename(tmp);
	char *rel = g_strdup_printf("%s#r9-sig-mc-1", base);
	char *want = g_strdup_printf("%s#r9-sig-mc-1", tmp);
	char *cwd = g_get_current_dir();
	const char *answers[] = {ans};
	struct fake f;
	char *hub;
	json_t *j;
	int ret;

	(void)state;
	assert_non_null(tmp);
	/* A relative directory is sent as an absolute path, with the arches. */
	assert_int_equal(chdir(parent), 0);
	fake_start(&f, 1, answers);
	hub = hub_of(&f);
	ret = RUN(cmd_build, "build", "mc/el9", rel, "--arch", "x86_64", "--hub", hub, "--token",
		  "qk_t");
	fake_stop(&f);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(ret, 0);
	assert_non_null(
	    strstr(f.request[0], "POST /api/v1/sigs/mc/projects/el9/builds HTTP/1.1\r\n"));
	assert_non_null(strstr(f.request[0], "Authorization: Bearer qk_t\r\n"));
	j = body_of(f.request[0]);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "git")), want);
	assert_int_equal(json_array_size(json_object_get(j, "arches")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "arches"), 0)),
			    "x86_64");
	assert_null(json_object_get(j, "srpm"));
	json_decref(j);
	g_free(hub);

	/* Options before the words; a URL is sent as is; "submit" may be said. */
	fake_start(&f, 1, answers);
	hub = hub_of(&f);
	ret = RUN(cmd_build, "build", "--hub", hub, "--json", "mc/el9",
		  "https://git.example.org/rpms/foo.git#imports/r9-sig-mc-1/foo-1-1.el9.mc");
	fake_stop(&f);
	assert_int_equal(ret, 0);
	j = body_of(f.request[0]);
	assert_string_equal(
	    json_string_value(json_object_get(j, "git")),
	    "https://git.example.org/rpms/foo.git#imports/r9-sig-mc-1/foo-1-1.el9.mc");
	assert_null(json_object_get(j, "arches"));
	json_decref(j);
	g_free(hub);

	fake_start(&f, 1, answers);
	hub = hub_of(&f);
	ret = RUN(cmd_build, "build", "submit", "mc/el9", "file:///srv/git/foo#r9-sig-mc-1",
		  "--hub", hub);
	fake_stop(&f);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(f.request[0], "\"git\":\"file:///srv/git/foo#r9-sig-mc-1\""));
	g_free(hub);

	/* The hub's refusal: exit 1. */
	{
		char *bad = answer(400, NULL,
				   "{\"error\":{\"code\":\"invalid\",\"message\":\"branch 'main' "
				   "never builds\"}}");
		const char *bads[] = {bad};

		fake_start(&f, 1, bads);
		hub = hub_of(&f);
		ret = RUN(cmd_build, "build", "mc/el9", "https://h/r.git#main", "--hub", hub);
		fake_stop(&f);
		assert_int_equal(ret, 1);
		g_free(hub);
		g_free(bad);
	}
	rmdir(tmp);
	g_free(cwd);
	g_free(want);
	g_free(rel);
	g_free(base);
	g_free(parent);
	g_free(tmp);
	g_free(ans);
}

static void test_submit_srpm(void **state)
{
	char *staged = answer(201, NULL, "{\"id\":\"u42\",\"size\":5,\"sha256\":\"x\"}");
	char *built = answer(201, NULL, build_json);
	const char *answers[] = {staged, built};
	char *dir = g_dir_make_tmp("quarry-cli-srpm-XXXXXX", NULL);
	char *file = g_build_filename(dir, "foo-1-1.src.rpm", NULL);
	struct fake f;
	char *hub;
	json_t *j;
	int ret;

	(void)state;
	assert_true(g_file_set_contents(file, "srpm!", 5, NULL));
	fake_start(&f, 2, answers);
	hub = hub_of(&f);
	ret = RUN(cmd_build, "build", "mc/el9", file, "--arch", "x86_64,aarch64", "--hub", hub);
	fake_stop(&f);
	assert_int_equal(ret, 0);
	assert_non_null(
	    strstr(f.request[0], "POST /api/v1/uploads?filename=foo-1-1.src.rpm HTTP/1.1\r\n"));
	assert_non_null(strstr(f.request[0], "srpm!"));
	assert_non_null(strstr(f.request[1], "POST /api/v1/sigs/mc/projects/el9/builds HTTP/1.1"));
	j = body_of(f.request[1]);
	assert_string_equal(json_string_value(json_object_get(j, "srpm")), "u42");
	assert_null(json_object_get(j, "git"));
	assert_int_equal(json_array_size(json_object_get(j, "arches")), 2);
	json_decref(j);
	unlink(file);
	rmdir(dir);
	g_free(hub);
	g_free(file);
	g_free(dir);
	g_free(built);
	g_free(staged);
}

static void test_tag_token_list(void **state)
{
	char *tagged = answer(200, NULL,
			      "{\"packages\":[{\"nevra\":\"foo-1-1.el9.mc.x86_64\"}],"
			      "\"published\":[{\"arch\":\"x86_64\",\"changed\":true}]}");
	char *token = answer(201, NULL, "{\"id\":3,\"worker\":\"w1\",\"token\":\"qk_w\"}");
	char *list = answer(200, NULL, "{\"builds\":[]}");
	char *workers = answer(200, NULL,
			       "{\"workers\":[{\"name\":\"w1\",\"arches\":[\"x86_64\"],\"slots\":2,"
			       "\"last_seen\":1795303428,\"running\":[12]}]}");
	const char *answers[] = {tagged, token, list, workers};
	struct fake f;
	char *hub;
	json_t *j;

	(void)state;
	fake_start(&f, 4, answers);
	hub = hub_of(&f);
	assert_int_equal(RUN(cmd_tag, "tag", "7", "mc/el9/common", "--hub", hub), 0);
	assert_int_equal(RUN(cmd_token, "token", "create", "--worker", "w1", "--hub", hub), 0);
	assert_int_equal(RUN(cmd_build, "build", "list", "--sig", "mc", "--state", "failed",
			     "--limit", "5", "--hub", hub),
			 0);
	assert_int_equal(RUN(cmd_workers, "workers", "--hub", hub), 0);
	fake_stop(&f);
	assert_non_null(
	    strstr(f.request[0], "POST /api/v1/sigs/mc/projects/el9/repos/common/builds HTTP/1.1"));
	j = body_of(f.request[0]);
	assert_int_equal(json_integer_value(json_object_get(j, "build")), 7);
	json_decref(j);
	assert_non_null(strstr(f.request[1], "POST /api/v1/tokens HTTP/1.1"));
	j = body_of(f.request[1]);
	assert_string_equal(json_string_value(json_object_get(j, "worker")), "w1");
	assert_null(json_object_get(j, "user"));
	json_decref(j);
	assert_non_null(
	    strstr(f.request[2], "GET /api/v1/builds?sig=mc&state=failed&limit=5 HTTP/1.1"));
	assert_non_null(strstr(f.request[3], "GET /api/v1/workers HTTP/1.1"));
	g_free(hub);
	g_free(workers);
	g_free(list);
	g_free(token);
	g_free(tagged);
}

static void test_lookaside_upload(void **state)
{
	char *la = answer(201, NULL,
			  "{\"filename\":\"a.tar.gz\",\"size\":4,\"sha256\":\"x\",\"sha1\":\"y\","
			  "\"line\":\"x SOURCES/a.tar.gz\"}");
	const char *answers[] = {la};
	char *dir = g_dir_make_tmp("quarry-cli-la-XXXXXX", NULL);
	char *file = g_build_filename(dir, "a.tar.gz", NULL);
	char sha[Q_SHA256_HEX];
	char *hdr;
	struct fake f;
	char *hub;

	(void)state;
	assert_true(g_file_set_contents(file, "data", 4, NULL));
	q_hash_sha256_buf("data", 4, sha);
	fake_start(&f, 1, answers);
	hub = hub_of(&f);
	assert_int_equal(RUN(cmd_lookaside, "lookaside", "upload", "mc", file, "--hub", hub), 0);
	fake_stop(&f);
	assert_non_null(
	    strstr(f.request[0], "POST /api/v1/sigs/mc/lookaside?filename=a.tar.gz HTTP/1.1\r\n"));
	hdr = g_strdup_printf("X-Content-SHA256: %s\r\n", sha);
	assert_non_null(strstr(f.request[0], hdr));
	assert_non_null(strstr(f.request[0], "\r\n\r\ndata"));
	unlink(file);
	rmdir(dir);
	g_free(hdr);
	g_free(hub);
	g_free(file);
	g_free(dir);
	g_free(la);
}

static void test_get_header(void **state)
{
	char *log = g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				    "x-quarry-task-state: open\r\nContent-Length: 5\r\n"
				    "Connection: close\r\n\r\nhello");
	const char *answers[] = {log};
	struct q_cli_args a = {0};
	struct q_client c;
	struct q_error err = {0};
	struct fake f;
	char *hub;
	char *text = NULL;
	char *value = NULL;
	size_t len = 0;

	(void)state;
	fake_start(&f, 1, answers);
	hub = hub_of(&f);
	a.hub = hub;
	assert_int_equal(q_client_init(&c, &a, &err), 0);
	assert_int_equal(q_client_get_header(&c, "builds/7/tasks/12/log?offset=3",
					     "X-Quarry-Task-State", &text, &len, &value, &err),
			 0);
	fake_stop(&f);
	assert_non_null(
	    strstr(f.request[0], "GET /api/v1/builds/7/tasks/12/log?offset=3 HTTP/1.1"));
	assert_int_equal(len, 5);
	assert_string_equal(text, "hello");
	assert_string_equal(value, "open");
	q_client_release(&c);
	g_free(text);
	g_free(value);
	g_free(hub);
	g_free(log);
}

static const char build8[] =
    "{\"id\":8,\"sig\":\"mc\",\"project\":\"el9\",\"state\":\"building\",\"tasks\":[]}";

static void test_wait(void **state)
{
	char *resub = answer(201, NULL, build8);
	char *done = answer(200, NULL,
			    "{\"id\":8,\"sig\":\"mc\",\"project\":\"el9\",\"state\":\"complete\","
			    "\"tasks\":[{\"id\":12,\"kind\":\"srpm\",\"arch\":\"src\",\"state\":"
			    "\"closed\",\"worker\":\"w1\",\"attempt\":1}],\"artifacts\":[]}");
	char *failed = answer(200, NULL,
			      "{\"id\":8,\"sig\":\"mc\",\"project\":\"el9\",\"state\":\"failed\","
			      "\"message\":\"task 12 failed\",\"tasks\":[{\"id\":12,\"kind\":"
			      "\"srpm\",\"arch\":\"src\",\"state\":\"failed\",\"attempt\":1}]}");
	char *log = g_strdup_printf("HTTP/1.1 200 OK\r\nX-Quarry-Task-State: failed\r\n"
				    "Content-Length: 5\r\nConnection: close\r\n\r\nboom\n");
	char *empty = g_strdup_printf("HTTP/1.1 200 OK\r\nX-Quarry-Task-State: failed\r\n"
				      "Content-Length: 0\r\nConnection: close\r\n\r\n");
	const char *ok_answers[] = {resub, done};
	const char *failed_answers[] = {resub, failed, log, empty};
	const char *log_answers[] = {log, empty};
	struct fake f;
	char *hub;

	(void)state;
	/* Complete: exit 0. */
	fake_start(&f, 2, ok_answers);
	hub = hub_of(&f);
	assert_int_equal(RUN(cmd_build, "build", "resubmit", "7", "--wait", "--hub", hub), 0);
	fake_stop(&f);
	assert_non_null(strstr(f.request[0], "POST /api/v1/builds/7/resubmit HTTP/1.1"));
	assert_non_null(strstr(f.request[1], "GET /api/v1/builds/8 HTTP/1.1"));
	g_free(hub);

	/* Failed: exit 1, after reading the failed task's log to its end. */
	fake_start(&f, 4, failed_answers);
	hub = hub_of(&f);
	assert_int_equal(RUN(cmd_build, "build", "resubmit", "7", "--wait", "--hub", hub), 1);
	fake_stop(&f);
	assert_non_null(
	    strstr(f.request[2], "GET /api/v1/builds/8/tasks/12/log?offset=0 HTTP/1.1"));
	assert_non_null(
	    strstr(f.request[3], "GET /api/v1/builds/8/tasks/12/log?offset=5 HTTP/1.1"));
	g_free(hub);

	/* build log ID TASK reads until an empty chunk. */
	fake_start(&f, 2, log_answers);
	hub = hub_of(&f);
	assert_int_equal(RUN(cmd_build, "build", "log", "7", "12", "--hub", hub), 0);
	fake_stop(&f);
	assert_non_null(
	    strstr(f.request[0], "GET /api/v1/builds/7/tasks/12/log?offset=0 HTTP/1.1"));
	assert_non_null(
	    strstr(f.request[1], "GET /api/v1/builds/7/tasks/12/log?offset=5 HTTP/1.1"));
	g_free(hub);

	g_free(empty);
	g_free(log);
	g_free(failed);
	g_free(done);
	g_free(resub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_help, setup),
	    cmocka_unit_test_setup(test_usage_errors, setup),
	    cmocka_unit_test_setup(test_local_errors, setup),
	    cmocka_unit_test_setup(test_submit_git, setup),
	    cmocka_unit_test_setup(test_submit_srpm, setup),
	    cmocka_unit_test_setup(test_tag_token_list, setup),
	    cmocka_unit_test_setup(test_lookaside_upload, setup),
	    cmocka_unit_test_setup(test_get_header, setup),
	    cmocka_unit_test_setup(test_wait, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
