/*
 * test_worker.c: the build worker without a hub: `quarry worker` options,
 * the claimed task's parsing and checks, the command lines of the steps
 * (tar, rpmbuild -bs, rpmbuild --rebuild with and without --target), the
 * buildroot list, the result messages, and a worker that cannot reach its
 * hub stopping cleanly on its stop flag.
 */
#include "core/common.h"
#include "core/error.h"
#include "build/sandbox.h"
#include "build/worker.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>
#include <pthread.h>
#include <setjmp.h>
#include <time.h>

#include <cmocka.h>

#define ARGC(v) ((int)Q_ARRAY_LEN(v))

/* cmd_worker's option table, as q_cli_parse sees it. */
static const struct q_cli_opt opts[] = {
    {"arch", "ARCHES", ""}, {"slots", "N", ""}, {"name", "NAME", ""},
    {"workdir", "DIR", ""}, {"once", NULL, ""}, {"max-memory", "SIZE", ""},
};
static const struct q_cli_cmd cmds[] = {{NULL, "", "", 0, 0, 0x3f, 1, NULL}};
static const struct q_cli_family family = {"worker",          "",   opts,
					   Q_ARRAY_LEN(opts), cmds, Q_ARRAY_LEN(cmds)};

static int parse(int argc, char **argv, struct q_worker_config *cfg, struct q_error *err)
{
	struct q_cli_args a;
	int rc;

	assert_int_equal(q_cli_parse(&family, argc, argv, &a), 0);
	rc = q_worker_config_from_args(&a, cfg, err);
	q_cli_args_release(&a);
	return rc;
}

static void test_args(void **state)
{
	char *argv[] = {"worker",       "--arch", "x86_64,noarch", "--slots",      "3",
			"--name",       "w1",     "--workdir",     "/var/tmp/wk/", "--once",
			"--max-memory", "2G"};
	struct q_worker_config cfg;
	struct q_error err = {0};

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &cfg, &err), 0);
	assert_string_equal(cfg.arches[0], "x86_64");
	assert_string_equal(cfg.arches[1], "noarch");
	assert_null(cfg.arches[2]);
	assert_int_equal(cfg.slots, 3);
	assert_string_equal(cfg.name, "w1");
	assert_string_equal(cfg.workdir, "/var/tmp/wk");
	assert_int_equal(cfg.once, 1);
	assert_int_equal(cfg.max_memory, (int64_t)2 << 30);
	q_worker_config_release(&cfg);
}

static void test_args_defaults(void **state)
{
	char *argv[] = {"worker", "--arch", "aarch64"};
	struct q_worker_config cfg;
	struct q_error err = {0};

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &cfg, &err), 0);
	assert_int_equal(cfg.slots, 1);
	assert_int_equal(cfg.once, 0);
	assert_int_equal(cfg.max_memory, 0);
	assert_string_equal(cfg.workdir, Q_WORKER_DEFAULT_DIR);
	assert_true(strlen(cfg.name) > 0 && !strchr(cfg.name, '.'));
	q_worker_config_release(&cfg);
}

static void expect_bad(char **argv, int argc, const char *needle)
{
	struct q_worker_config cfg;
	struct q_error err = {0};

	assert_int_equal(parse(argc, argv, &cfg, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void test_args_bad(void **state)
{
	char *a1[] = {"worker", "--arch", "x86_64,sparc"};
	char *a2[] = {"worker", "--arch", "x86_64,x86_64"};
	char *a3[] = {"worker", "--arch", "x86_64", "--slots", "0"};
	char *a4[] = {"worker", "--arch", "x86_64", "--slots", "65"};
	char *a5[] = {"worker", "--arch", "x86_64", "--name", "a b"};
	char *a6[] = {"worker", "--arch", ""};
	char *a7[] = {"worker", "--arch", "x86_64", "--max-memory", "1M"};
	char *a8[] = {"worker", "--arch", "x86_64,"};

	(void)state;
	expect_bad(a1, ARGC(a1), "'sparc' is unknown");
	expect_bad(a2, ARGC(a2), "given twice");
	expect_bad(a3, ARGC(a3), "--slots '0'");
	expect_bad(a4, ARGC(a4), "--slots '65'");
	expect_bad(a5, ARGC(a5), "worker name 'a b'");
	expect_bad(a6, ARGC(a6), "no arch");
	expect_bad(a7, ARGC(a7), "--max-memory");
	expect_bad(a8, ARGC(a8), "arch '' is unknown");
}

/* The command itself: usage errors exit 2 before any network. */
static void test_cmd_usage(void **state)
{
	char *no_arch[] = {"worker", "--hub", "http://127.0.0.1:9", "--token", "t"};
	char *no_token[] = {"worker", "--hub", "http://127.0.0.1:9", "--arch", "x86_64"};
	char *help[] = {"worker", "--help"};

	(void)state;
	unsetenv("QUARRY_TOKEN");
	unsetenv("QUARRY_HUB");
	setenv("HOME", "/nonexistent-quarry-test-home", 1);
	assert_int_equal(cmd_worker(ARGC(no_arch), no_arch), 2);
	assert_int_equal(cmd_worker(ARGC(no_token), no_token), 2);
	assert_int_equal(cmd_worker(ARGC(help), help), 0);
}

static void test_task_parse(void **state)
{
	struct q_worker_task t;
	struct q_error err = {0};
	json_t *j = json_loads(
	    "{\"task\":{\"id\":12,\"build\":3,\"kind\":\"srpm\",\"arch\":\"x86_64\","
	    "\"attempt\":2,\"lease\":30,\"timeout\":600,\"dist_tag\":\".el9.mc\","
	    "\"nevr\":\"hello-1.0-1.el9.mc\",\"input\":\"/api/v1/worker/tasks/12/input\"}}",
	    0, NULL);

	(void)state;
	assert_non_null(j);
	assert_int_equal(q_worker_task_parse(j, &t, &err), 0);
	assert_int_equal(t.id, 12);
	assert_int_equal(t.build, 3);
	assert_int_equal(t.attempt, 2);
	assert_int_equal(t.timeout, 600);
	assert_string_equal(t.kind, "srpm");
	assert_string_equal(t.dist, ".el9.mc");
	assert_string_equal(t.input, "worker/tasks/12/input");
	json_decref(j);

	j = json_loads("{\"task\":{\"id\":7,\"kind\":\"srpm\",\"arch\":\"src\",\"attempt\":1}}", 0,
		       NULL);
	assert_int_equal(q_worker_task_parse(j, &t, &err), 0);
	assert_string_equal(t.arch, "src");
	json_decref(j);

	/* Defaults: no input, lease or timeout given. */
	j = json_loads("{\"task\":{\"id\":5,\"kind\":\"rpm\",\"arch\":\"noarch\",\"attempt\":0}}",
		       0, NULL);
	assert_int_equal(q_worker_task_parse(j, &t, &err), 0);
	assert_string_equal(t.input, "worker/tasks/5/input");
	assert_int_equal(t.lease, 30);
	assert_int_equal(t.timeout, 7200);
	assert_string_equal(t.dist, "");
	json_decref(j);
}

static void test_task_parse_bad(void **state)
{
	static const char *const bad[] = {
	    "{}",
	    "{\"task\":{\"kind\":\"rpm\",\"arch\":\"x86_64\",\"attempt\":0}}",
	    "{\"task\":{\"id\":1,\"kind\":\"image\",\"arch\":\"x86_64\",\"attempt\":0}}",
	    "{\"task\":{\"id\":1,\"kind\":\"rpm\",\"arch\":\"vax\",\"attempt\":0}}",
	    "{\"task\":{\"id\":1,\"kind\":\"rpm\",\"arch\":\"x86_64\",\"attempt\":0,"
	    "\"dist_tag\":\"%(rm -rf /)\"}}",
	    "{\"task\":{\"id\":1,\"kind\":\"rpm\",\"arch\":\"x86_64\",\"attempt\":0,"
	    "\"input\":\"http://elsewhere/x\"}}",
	    "{\"task\":{\"id\":1,\"kind\":\"rpm\",\"arch\":\"x86_64\",\"attempt\":0,"
	    "\"input\":\"/etc/passwd\"}}",
	};
	struct q_worker_task t;

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(bad); i++) {
		struct q_error err = {0};
		json_t *j = json_loads(bad[i], 0, NULL);

		assert_non_null(j);
		if (q_worker_task_parse(j, &t, &err) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_true(err.msg[0] != '\0');
		json_decref(j);
	}
}

static void assert_argv(char **argv, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	g_strfreev(argv);
}

static void test_argv(void **state)
{
	static const char *const tar[] = {"tar", "--no-same-owner", "-xf", "/w/t/input.tar",
					  "-C",  "/w/t/root/src",   NULL};
	static const char *const srpm[] = {"rpmbuild",
					   "-bs",
					   "--define",
					   "_topdir /r/rpmbuild",
					   "--define",
					   "_sourcedir /r/src/SOURCES",
					   "--define",
					   "_specdir /r/src/SPECS",
					   "--define",
					   "_tmppath /tmp",
					   "--define",
					   "dist .el9.mc",
					   "/r/src/SPECS/hello.spec",
					   NULL};
	static const char *const rpm[] = {
	    "rpmbuild", "--rebuild",     "--define",      "_topdir /r/rpmbuild",
	    "--define", "_tmppath /tmp", "--define",      "dist .el9.mc",
	    "--target", "aarch64",       "/w/in.src.rpm", NULL};
	static const char *const noarch[] = {
	    "rpmbuild",      "--rebuild", "--define",    "_topdir /r/rpmbuild", "--define",
	    "_tmppath /tmp", "--define",  "dist %{nil}", "/w/in.src.rpm",       NULL};

	(void)state;
	assert_argv(q_worker_tar_argv("/w/t/input.tar", "/w/t/root/src"), tar);
	assert_argv(q_worker_srpm_argv("/r", "hello.spec", ".el9.mc"), srpm);
	assert_argv(q_worker_rpm_argv("/r", "/w/in.src.rpm", "aarch64", ".el9.mc"), rpm);
	assert_argv(q_worker_rpm_argv("/r", "/w/in.src.rpm", "noarch", ""), noarch);
}

static void test_pkglist(void **state)
{
	json_t *j = q_worker_pkglist_parse("zlib-1.2-1.x86_64\nbash-5.1-1.x86_64\n\n"
					   "bash-5.1-1.x86_64\nacl-2.3-1.x86_64\n");
	json_t *empty = q_worker_pkglist_parse("");
	char *text = json_dumps(j, JSON_COMPACT);

	(void)state;
	assert_string_equal(text,
			    "[\"acl-2.3-1.x86_64\",\"bash-5.1-1.x86_64\",\"zlib-1.2-1.x86_64\"]");
	assert_int_equal(json_array_size(empty), 0);
	free(text);
	json_decref(j);
	json_decref(empty);
}

/* The host's list: sorted, one entry per line of rpm -qa. */
static void test_buildroot(void **state)
{
	struct q_error err = {0};
	json_t *j;
	char *out = NULL;
	char *argv[] = {"sh", "-c", "rpm -qa | sort -u | grep -c .", NULL};
	size_t i;
	json_t *v;
	const char *prev = "";
	char *rpm = g_find_program_in_path("rpm");

	(void)state;

	if (!rpm)
		skip();
	g_free(rpm);
	j = q_worker_buildroot(&err);
	assert_non_null(j);
	json_array_foreach (j, i, v) {
		assert_true(strcmp(prev, json_string_value(v)) < 0);
		prev = json_string_value(v);
	}
	assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
				 NULL, NULL));
	assert_int_equal(json_array_size(j), strtoul(out, NULL, 10));
	print_message("buildroot: %zu packages\n", json_array_size(j));
	g_free(out);
	json_decref(j);
}

static void test_messages(void **state)
{
	struct q_sandbox_result r = {0};
	char buf[256];

	(void)state;
	r.status = Q_SANDBOX_FAILED;
	r.exit_code = 1;
	q_worker_step_message("rpmbuild", &r, 600, buf, sizeof(buf));
	assert_string_equal(buf, "rpmbuild failed with exit code 1; see the log");
	r.status = Q_SANDBOX_TIMEOUT;
	r.signal = SIGTERM;
	q_worker_step_message("rpmbuild", &r, 600, buf, sizeof(buf));
	assert_string_equal(buf, "rpmbuild was killed after the time limit of 600 s");
	r.status = Q_SANDBOX_FAILED;
	r.signal = SIGKILL;
	q_worker_step_message("tar", &r, 600, buf, sizeof(buf));
	assert_string_equal(buf, "tar was killed by signal 9; see the log");
}

struct stopper {
	volatile int *stop;
	int after_ms;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;

	usleep((useconds_t)s->after_ms * 1000);
	*s->stop = 1;
	return NULL;
}

/* No hub at the address: the worker retries, and stops when told. */
/* The host backend names every BuildRequires rpmbuild found missing, and why. */
static void test_missing_deps(void **state)
{
	const char *log = "Executing(%prep): ...\n"
			  "error: Failed build dependencies:\n"
			  "\tgcc is needed by hello-sig-1.0-1.el9.msg.x86_64\n"
			  "\tfoo >= 2 is needed by hello-sig-1.0-1.el9.msg.x86_64\n"
			  "\tmake is needed by hello-sig-1.0-1.el9.msg.x86_64\n"
			  "== quarry worker: rpmbuild failed with exit code 1; see the log\n";
	char *m;

	(void)state;
	m = q_worker_missing_deps_message(log);
	assert_non_null(m);
	assert_non_null(strstr(m, ": gcc, foo >= 2, make ("));
	assert_non_null(strstr(m, "host's rpm database"));
	assert_non_null(strstr(m, "build tag"));
	assert_non_null(strstr(m, "installroot worker"));
	assert_null(strstr(m, "quarry worker"));
	g_free(m);
	assert_null(
	    q_worker_missing_deps_message("error: Bad exit status from /var/tmp/x (%build)\n"));
	assert_null(q_worker_missing_deps_message(NULL));
	assert_null(q_worker_missing_deps_message("error: Failed build dependencies:\n"));
}

/* rpmspec/rpm output into BuildRequires: noise and rpmlib() out, dynamic seen. */
static void test_deps_parse(void **state)
{
	int dyn = 0;
	char **d = q_worker_deps_parse("warning: bogus date in %changelog\n"
				       "gcc\n make \n\nrpmlib(CompressedFileNames) <= 3.0.4-1\n"
				       "foo >= 2\ngcc\nrpmlib(DynamicBuildRequires) <= 4.15.0-1\n",
				       &dyn);

	(void)state;
	assert_int_equal(g_strv_length(d), 3);
	assert_string_equal(d[0], "gcc");
	assert_string_equal(d[1], "make");
	assert_string_equal(d[2], "foo >= 2");
	assert_int_equal(dyn, 1);
	g_strfreev(d);
	d = q_worker_deps_parse("gcc\n", &dyn);
	assert_int_equal(dyn, 0);
	assert_int_equal(g_strv_length(d), 1);
	g_strfreev(d);
}

/* A claim answer's build tag is kept; a non-object is refused. */
static void test_task_buildroot(void **state)
{
	struct q_worker_task t;
	struct q_error err = {0};
	json_t *j =
	    json_loads("{\"task\":{\"id\":5,\"kind\":\"rpm\",\"arch\":\"x86_64\",\"attempt\":0,"
		       "\"buildroot\":{\"releasever\":\"9\",\"repos\":[{\"name\":\"b\","
		       "\"url\":\"file:///x/$basearch/\"}],\"packages\":[\"bash\"]}}}",
		       0, NULL);

	(void)state;
	assert_int_equal(q_worker_task_parse(j, &t, &err), 0);
	assert_non_null(t.buildroot);
	assert_string_equal(json_string_value(json_object_get(t.buildroot, "releasever")), "9");
	q_worker_task_release(&t);
	assert_null(t.buildroot);
	json_decref(j);
	j = json_loads("{\"task\":{\"id\":5,\"kind\":\"rpm\",\"arch\":\"x86_64\",\"attempt\":0,"
		       "\"buildroot\":null}}",
		       0, NULL);
	assert_int_equal(q_worker_task_parse(j, &t, &err), 0);
	assert_null(t.buildroot);
	json_decref(j);
	j = json_loads("{\"task\":{\"id\":5,\"kind\":\"rpm\",\"arch\":\"x86_64\",\"attempt\":0,"
		       "\"buildroot\":\"x\"}}",
		       0, NULL);
	assert_int_equal(q_worker_task_parse(j, &t, &err), -1);
	assert_non_null(strstr(err.msg, "buildroot"));
	json_decref(j);
}

static void test_run_no_hub(void **state)
{
	struct q_worker_config cfg = {0};
	struct q_error err = {0};
	volatile int stop = 0;
	struct stopper s = {&stop, 1500};
	char *arches[] = {"x86_64", NULL};
	char dir[] = "/var/tmp/quarry-wktest-XXXXXX";
	pthread_t t;
	gint64 start;

	(void)state;
	if (!q_sandbox_available())
		skip();
	assert_non_null(mkdtemp(dir));
	cfg.hub = "http://127.0.0.1:9";
	cfg.token = "qk_test";
	cfg.name = "wtest";
	cfg.arches = arches;
	cfg.slots = 1;
	cfg.workdir = dir;
	start = g_get_monotonic_time();
	assert_int_equal(pthread_create(&t, NULL, stop_later, &s), 0);
	assert_int_equal(q_worker_run(&cfg, &stop, &err), 0);
	pthread_join(t, NULL);
	assert_true(g_get_monotonic_time() - start < 3 * G_USEC_PER_SEC);
	{
		char *sub = g_strdup_printf("%s/wtest", dir);

		assert_int_equal(rmdir(sub), 0);
		g_free(sub);
	}
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_args),       cmocka_unit_test(test_args_defaults),
	    cmocka_unit_test(test_args_bad),   cmocka_unit_test(test_cmd_usage),
	    cmocka_unit_test(test_task_parse), cmocka_unit_test(test_task_parse_bad),
	    cmocka_unit_test(test_argv),       cmocka_unit_test(test_pkglist),
	    cmocka_unit_test(test_buildroot),  cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_run_no_hub), cmocka_unit_test(test_missing_deps),
	    cmocka_unit_test(test_deps_parse), cmocka_unit_test(test_task_buildroot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
