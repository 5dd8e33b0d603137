/*
 * test_cli.c: the client commands without a hub: SIG/PROJECT/REPO
 * splitting, client config parsing and precedence, option parsing in any
 * order, exit codes for usage errors, and (against a one-shot fake HTTP
 * server on 127.0.0.1) the request line, the token header and how an API
 * error answer becomes "quarry: MESSAGE" with exit status 1.
 */
#include "core/common.h"
#include "core/error.h"
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

static void clean_env(void)
{
	unsetenv("QUARRY_HUB");
	unsetenv("QUARRY_TOKEN");
	unsetenv("QUARRY_CLIENT_CONFIG");
	setenv("HOME", "/nonexistent-quarry-test-home", 1);
}

static int setup(void **state)
{
	(void)state;
	clean_env();
	return 0;
}

/* ---- SIG/PROJECT/REPO ---- */

static void test_split_ok(void **state)
{
	struct q_error err = {0};
	char *p[3];

	(void)state;
	assert_int_equal(q_cli_split_path("mc/el9/common", 3, p, &err), 0);
	assert_string_equal(p[0], "mc");
	assert_string_equal(p[1], "el9");
	assert_string_equal(p[2], "common");
	for (int i = 0; i < 3; i++)
		g_free(p[i]);
	assert_int_equal(q_cli_split_path("mc/el9", 2, p, &err), 0);
	assert_string_equal(p[1], "el9");
	g_free(p[0]);
	g_free(p[1]);
	assert_int_equal(q_cli_split_path("mc", 1, p, &err), 0);
	assert_string_equal(p[0], "mc");
	g_free(p[0]);
}

static void test_split_bad(void **state)
{
	static const struct {
		const char *arg;
		int n;
	} bad[] = {
	    {"mc/el9", 3},        {"mc/el9/common/x", 3},
	    {"mc//common", 3},    {"/el9/common", 3},
	    {"mc/el9/", 3},       {"", 1},
	    {"mc/el9", 1},        {"Mc", 1},
	    {"mc/../x", 3},       {"mc/..", 2},
	    {"mc/el9/Common", 3}, {"m c", 1},
	    {"mc%00", 1},         {"abcdefghijabcdefghijabcdefghijabc", 1}, /* 33 characters */
	};
	struct q_error err = {0};
	char *p[3];

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(bad); i++) {
		q_error_clear(&err);
		assert_int_equal(q_cli_split_path(bad[i].arg, bad[i].n, p, &err), -1);
		assert_int_equal(err.code, Q_EINVAL);
		assert_true(err.msg[0] != '\0');
		for (int k = 0; k < bad[i].n; k++)
			assert_null(p[k]);
	}
	assert_int_equal(q_cli_split_path(NULL, 2, p, &err), -1);
}

static void test_parse_long_and_arches(void **state)
{
	struct q_error err = {0};
	long v = 0;
	json_t *a;

	(void)state;
	assert_int_equal(q_cli_parse_long("9", 1, 99, "major", &v, &err), 0);
	assert_int_equal(v, 9);
	assert_int_equal(q_cli_parse_long("9x", 1, 99, "major", &v, &err), -1);
	assert_int_equal(q_cli_parse_long("", 1, 99, "major", &v, &err), -1);
	assert_int_equal(q_cli_parse_long("0", 1, 99, "major", &v, &err), -1);
	assert_int_equal(q_cli_parse_long("99999999999999999999", 1, 99, "major", &v, &err), -1);

	a = q_cli_parse_arches("x86_64,aarch64", &err);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 1)), "aarch64");
	json_decref(a);
	assert_null(q_cli_parse_arches("x86_64,x86_64", &err));
	assert_null(q_cli_parse_arches("x86_64,", &err));
	assert_null(q_cli_parse_arches("sparc", &err));
	assert_null(q_cli_parse_arches("", &err));
}

/* ---- client config ---- */

static void test_config_parse(void **state)
{
	static const char text[] = "# quarry client\n"
				   "[other]\nhub = http://wrong\n"
				   "[client]\n"
				   "hub = http://127.0.0.1:8080/  \n"
				   "token=qk_abc\n";
	struct q_error err = {0};
	char *hub = NULL;
	char *token = NULL;

	(void)state;
	assert_int_equal(q_client_config_parse(text, strlen(text), "t.ini", &hub, &token, &err), 0);
	assert_string_equal(hub, "http://127.0.0.1:8080/");
	assert_string_equal(token, "qk_abc");
	g_free(hub);
	g_free(token);
	hub = token = NULL;

	/* Only a hub: the token stays unset. */
	assert_int_equal(
	    q_client_config_parse("[client]\nhub=http://h\n", 21, "t.ini", &hub, &token, &err), 0);
	assert_string_equal(hub, "http://h");
	assert_null(token);
	g_free(hub);
	hub = NULL;

	/* Not INI: an error naming the file. */
	assert_int_equal(q_client_config_parse("hub = x\n", 8, "bad.ini", &hub, &token, &err), -1);
	assert_non_null(strstr(err.msg, "bad.ini"));
	assert_null(hub);
}

static char *write_temp(const char *content)
{
	char *path = g_strdup("/tmp/quarry-test-cli-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	fchmod(fd, 0600);
	close(fd);
	return path;
}

static void test_config_precedence(void **state)
{
	static const struct q_cli_cmd cmds[] = {{NULL, "", "t", 0, 0, 0, 0, NULL}};
	static const struct q_cli_family fam = {"whoami", "t", NULL, 0, cmds, 1};
	char *path = write_temp("[client]\nhub = http://from-file:1///\ntoken = qk_file\n");
	char *argv1[] = {"whoami", "--client-config", path};
	char *argv2[] = {"whoami",         "--client-config", path,     "--hub",
			 "https://flag:2", "--token",         "qk_flag"};
	char *argv3[] = {"whoami", "--client-config", "/nonexistent/client.ini"};
	char *argv4[] = {"whoami"};
	struct q_cli_args a;
	struct q_client c;
	struct q_error err = {0};

	(void)state;
	assert_int_equal(q_cli_parse(&fam, ARGC(argv1), argv1, &a), 0);
	assert_int_equal(q_client_init(&c, &a, &err), 0);
	assert_string_equal(c.hub, "http://from-file:1");
	assert_string_equal(c.token, "qk_file");
	q_client_release(&c);

	/* The environment beats the file, flags beat the environment. */
	setenv("QUARRY_TOKEN", "qk_env", 1);
	assert_int_equal(q_client_init(&c, &a, &err), 0);
	assert_string_equal(c.token, "qk_env");
	q_client_release(&c);
	q_cli_args_release(&a);

	assert_int_equal(q_cli_parse(&fam, ARGC(argv2), argv2, &a), 0);
	assert_int_equal(q_client_init(&c, &a, &err), 0);
	assert_string_equal(c.hub, "https://flag:2");
	assert_string_equal(c.token, "qk_flag");
	q_client_release(&c);
	q_cli_args_release(&a);

	/* A named config file that is missing is an error; the default is not. */
	assert_int_equal(q_cli_parse(&fam, ARGC(argv3), argv3, &a), 0);
	assert_int_equal(q_client_init(&c, &a, &err), -1);
	q_cli_args_release(&a);

	clean_env();
	assert_int_equal(q_cli_parse(&fam, ARGC(argv4), argv4, &a), 0);
	assert_int_equal(q_client_init(&c, &a, &err), -1);
	assert_non_null(strstr(err.msg, "no hub"));
	setenv("QUARRY_HUB", "ftp://x", 1);
	assert_int_equal(q_client_init(&c, &a, &err), -1);
	setenv("QUARRY_CLIENT_CONFIG", path, 1);
	unsetenv("QUARRY_HUB");
	assert_int_equal(q_client_init(&c, &a, &err), 0);
	assert_string_equal(c.hub, "http://from-file:1");
	q_client_release(&c);
	q_cli_args_release(&a);

	clean_env();
	unlink(path);
	g_free(path);
}

/* ---- option parsing and exit codes ---- */

static void test_options_anywhere(void **state)
{
	static const struct q_cli_opt opts[] = {{"title", "T", "t"}};
	static const struct q_cli_cmd cmds[] = {{"list", "", "l", 0, 0, 1, 0, NULL}};
	static const struct q_cli_family fam = {"sig", "s", opts, 1, cmds, 1};
	char *argv1[] = {"sig", "list", "--json"};
	char *argv2[] = {"sig", "--hub", "http://x", "--json", "list", "--title=a b", "w"};
	struct q_cli_args a;

	(void)state;
	assert_int_equal(q_cli_parse(&fam, ARGC(argv1), argv1, &a), 0);
	assert_true(a.json);
	assert_int_equal(a.n_words, 1);
	assert_string_equal(a.words[0], "list");
	q_cli_args_release(&a);

	assert_int_equal(q_cli_parse(&fam, ARGC(argv2), argv2, &a), 0);
	assert_true(a.json);
	assert_string_equal(a.hub, "http://x");
	assert_string_equal(a.val[0], "a b");
	assert_int_equal(a.n_words, 2);
	assert_string_equal(a.words[0], "list");
	assert_string_equal(a.words[1], "w");
	q_cli_args_release(&a);
}

static void test_hoist(void **state)
{
	char *v1[] = {"quarry", "--hub", "http://x", "--json", "sig", "list"};
	char *v2[] = {"quarry", "sig", "list", "--json"};
	char *v3[] = {"quarry", "--token=qk_1", "whoami"};
	char *v4[] = {"quarry", "--help"};
	char *v5[] = {"quarry", "--hub"};
	char *v6[] = {"quarry", "--json", "--bogus", "sig"};

	(void)state;
	assert_string_equal(q_cli_hoist_command(ARGC(v1), v1), "sig");
	assert_string_equal(v1[1], "sig");
	assert_string_equal(v1[2], "--hub");
	assert_string_equal(v1[3], "http://x");
	assert_string_equal(v1[4], "--json");
	assert_string_equal(v1[5], "list");
	assert_string_equal(q_cli_hoist_command(ARGC(v2), v2), "sig");
	assert_string_equal(v2[2], "list");
	assert_string_equal(q_cli_hoist_command(ARGC(v3), v3), "whoami");
	assert_string_equal(v3[2], "--token=qk_1");
	assert_string_equal(q_cli_hoist_command(ARGC(v4), v4), "--help");
	assert_string_equal(q_cli_hoist_command(ARGC(v5), v5), "--hub");
	assert_string_equal(q_cli_hoist_command(ARGC(v6), v6), "--json");
	assert_string_equal(v6[2], "--bogus");
	assert_null(q_cli_hoist_command(1, v4));
}

#define RUN(fn, ...)                                                                               \
	({                                                                                         \
		char *v_[] = {__VA_ARGS__};                                                        \
		fn(ARGC(v_), v_);                                                                  \
	})

static void test_exit_codes(void **state)
{
	(void)state;
	/* Help: 0, for families, subcommands and groups. */
	assert_int_equal(RUN(cmd_sig, "sig", "-h"), 0);
	assert_int_equal(RUN(cmd_sig, "sig", "--help"), 0);
	assert_int_equal(RUN(cmd_sig, "sig", "create", "--help"), 0);
	assert_int_equal(RUN(cmd_sig, "sig", "member", "-h"), 0);
	assert_int_equal(RUN(cmd_sig, "sig", "member", "add", "-h"), 0);
	assert_int_equal(RUN(cmd_upload, "upload", "-h"), 0);
	assert_int_equal(RUN(cmd_whoami, "whoami", "--help"), 0);
	assert_int_equal(RUN(cmd_token, "token", "create", "-h"), 0);

	/* Usage errors: 2, before any network access (no hub is configured). */
	assert_int_equal(RUN(cmd_sig, "sig"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "bogus"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "member"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "show"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "show", "a", "b"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "list", "--title", "x"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "list", "--nope"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "list", "-x"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "show", "--hub"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "create", "mc", "--title", "T", "--purpose", "P"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "update", "mc", "--hub", "http://127.0.0.1:1"), 2);
	assert_int_equal(
	    RUN(cmd_sig, "sig", "update", "mc", "--status", "dead", "--hub", "http://127.0.0.1:1"),
	    2);
	assert_int_equal(RUN(cmd_sig, "sig", "show", "Bad/Name", "--hub", "http://127.0.0.1:1"), 2);
	assert_int_equal(RUN(cmd_sig, "sig", "member", "add", "mc", "bob", "--role", "king",
			     "--hub", "http://127.0.0.1:1"),
			 2);
	assert_int_equal(RUN(cmd_project, "project", "create", "mc/el9", "--major", "x",
			     "--variant", "1", "--arch", "x86_64", "--hub", "http://127.0.0.1:1"),
			 2);
	assert_int_equal(RUN(cmd_project, "project", "create", "mc/el9", "--major", "9",
			     "--variant", "1", "--arch", "sparc", "--hub", "http://127.0.0.1:1"),
			 2);
	assert_int_equal(RUN(cmd_project, "project", "show", "mc", "--hub", "http://127.0.0.1:1"),
			 2);
	assert_int_equal(RUN(cmd_repo, "repo", "show", "mc/el9", "--hub", "http://127.0.0.1:1"), 2);
	assert_int_equal(RUN(cmd_repo, "repo", "create", "mc/el9/common", "--hub", "http://h"), 2);
	assert_int_equal(RUN(cmd_repo, "repo", "create", "mc/el9/common", "--arch", "x86_64",
			     "--channel", "beta", "--hub", "http://h"),
			 2);
	assert_int_equal(RUN(cmd_upload, "upload", "mc/el9/common"), 2);
	assert_int_equal(RUN(cmd_upload, "upload", "mc/el9", "x.rpm", "--hub", "http://h"), 2);
	assert_int_equal(RUN(cmd_publish, "publish", "a/b/c", "d"), 2);
	assert_int_equal(RUN(cmd_token, "token", "revoke", "abc", "--hub", "http://h"), 2);
	assert_int_equal(RUN(cmd_user, "user", "create", "bob", "--hub", "http://h"), 2);
	assert_int_equal(
	    RUN(cmd_user, "user", "create", "bob", "--role", "god", "--hub", "http://h"), 2);
	assert_int_equal(RUN(cmd_audit, "audit", "--limit", "-1", "--hub", "http://h"), 2);
	assert_int_equal(RUN(cmd_whoami, "whoami", "extra"), 2);
	/* No hub configured anywhere. */
	assert_int_equal(RUN(cmd_whoami, "whoami"), 2);

	/* Transport error: 1. Port 1 on localhost refuses. */
	assert_int_equal(RUN(cmd_whoami, "whoami", "--hub", "http://127.0.0.1:1"), 1);
	/* A missing file is an error before anything is sent. */
	assert_int_equal(RUN(cmd_upload, "upload", "mc/el9/common", "/nonexistent.rpm", "--hub",
			     "http://127.0.0.1:1"),
			 1);
}

/* ---- against a one-shot fake hub ---- */

struct fake {
	int fd; /* listening socket */
	int port;
	const char *answer; /* the whole HTTP response */
	char request[8192]; /* what the client sent (headers and start of body) */
	pthread_t thread;
};

static void *fake_serve(void *arg)
{
	struct fake *f = arg;
	size_t got = 0;
	int c = accept(f->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	while (got < sizeof(f->request) - 1) {
		ssize_t n = read(c, f->request + got, sizeof(f->request) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		f->request[got] = '\0';
		if (strstr(f->request, "\r\n\r\n"))
			break;
	}
	if (write(c, f->answer, strlen(f->answer)) < 0)
		perror("fake write");
	close(c);
	return NULL;
}

static void fake_start(struct fake *f, const char *answer)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->answer = answer;
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->fd, 1), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->fd);
}

static void test_api_error(void **state)
{
	static const char body[] =
	    "{\"error\":{\"code\":\"not_found\",\"message\":\"sig 'foo' not found\"}}";
	char *answer =
	    g_strdup_printf("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			    strlen(body), body);
	char *hub;
	struct fake f;
	int ret;

	(void)state;
	fake_start(&f, answer);
	hub = g_strdup_printf("http://127.0.0.1:%d/", f.port);
	ret = RUN(cmd_sig, "sig", "show", "foo", "--hub", hub, "--token", "qk_secret");
	fake_stop(&f);
	assert_int_equal(ret, 1);
	assert_non_null(strstr(f.request, "GET /api/v1/sigs/foo HTTP/1.1\r\n"));
	assert_non_null(strstr(f.request, "Authorization: Bearer qk_secret\r\n"));
	g_free(hub);
	g_free(answer);
}

static void test_api_ok_json(void **state)
{
	static const char body[] = "{\"user\":\"admin\",\"role\":\"admin\",\"sigs\":{}}";
	char *answer = g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				       strlen(body), body);
	char *hub;
	struct fake f;
	int ret;

	(void)state;
	fake_start(&f, answer);
	hub = g_strdup_printf("http://127.0.0.1:%d", f.port);
	ret = RUN(cmd_whoami, "whoami", "--json", "--hub", hub);
	fake_stop(&f);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(f.request, "GET /api/v1/whoami HTTP/1.1\r\n"));
	assert_null(strstr(f.request, "Authorization:"));
	g_free(hub);
	g_free(answer);
}

static void test_escaping(void **state)
{
	static const char body[] = "{\"sig\":\"mc\"}";
	char *answer = g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
				       "Connection: close\r\n\r\n%s",
				       strlen(body), body);
	struct fake f;
	char *hub;
	char *path;
	int ret;

	(void)state;
	path = q_client_path(NULL, "sigs", "a b/..", "x?y", NULL);
	assert_string_equal(path, "sigs/a%20b%2F../x%3Fy");
	g_free(path);
	fake_start(&f, answer);
	hub = g_strdup_printf("http://127.0.0.1:%d", f.port);
	ret = RUN(cmd_repo, "repo", "history", "mc/el9.x/common_1", "--hub", hub);
	fake_stop(&f);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(
	    f.request, "GET /api/v1/sigs/mc/projects/el9.x/repos/common_1/history HTTP/1.1"));
	g_free(hub);
	g_free(answer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_split_ok, setup),
	    cmocka_unit_test_setup(test_split_bad, setup),
	    cmocka_unit_test_setup(test_parse_long_and_arches, setup),
	    cmocka_unit_test_setup(test_config_parse, setup),
	    cmocka_unit_test_setup(test_config_precedence, setup),
	    cmocka_unit_test_setup(test_options_anywhere, setup),
	    cmocka_unit_test_setup(test_hoist, setup),
	    cmocka_unit_test_setup(test_exit_codes, setup),
	    cmocka_unit_test_setup(test_api_error, setup),
	    cmocka_unit_test_setup(test_api_ok_json, setup),
	    cmocka_unit_test_setup(test_escaping, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
