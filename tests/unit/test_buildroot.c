/*
 * test_buildroot.c: the "installroot" backend (build/buildroot.h and the
 * sandbox's root), with the real dnf against a local repo made here: a
 * tiny RPM "qshell" (busybox-static's /bin/busybox as /usr/bin/busybox,
 * /bin/sh and /usr/bin/sh linking to it) built with rpmbuild and published
 * with createrepo_c. Checks: a root is prepared from a file:// repo and
 * lists its packages, a ready root is reused (timings printed), stale
 * KEY.tmp-* from a crash are removed, two processes preparing the same root
 * at once get the same one, a bad repo or a missing package fails with
 * dnf's message and leaves no root, bad specs are refused, and the sandbox
 * with that root as / runs a shell that cannot see the host's files nor
 * write outside the workdir. Skipped when dnf, rpmbuild, createrepo_c,
 * /bin/busybox (apt-get install busybox-static) or bubblewrap are missing.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "build/buildroot.h"
#include "build/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

static struct {
	char base[64]; /* /var/tmp/quarry-brtest-XXXXXX */
	char repo_url[128];
	int ready; /* the repo was built */
} g;

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *path_in(const char *what)
{
	return g_strdup_printf("%s/%s", g.base, what);
}

static int run(char **argv)
{
	char *out = NULL, *errout = NULL;
	int status = 0;
	int ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout,
			      &status, NULL) &&
		 g_spawn_check_wait_status(status, NULL);

	if (!ok)
		print_error("%s failed:\n%s\n%s\n", argv[0], out ? out : "", errout ? errout : "");
	g_free(out);
	g_free(errout);
	return ok ? 0 : -1;
}

static const char spec_text[] = "Name: qshell\n"
				"Version: 1\n"
				"Release: 1\n"
				"Summary: busybox as the shell of a test buildroot\n"
				"License: GPL-2.0-only\n"
				"BuildArch: x86_64\n"
				"AutoReqProv: no\n"
				"%description\n"
				"busybox as /bin/sh, for quarry's tests.\n"
				"%install\n"
				"mkdir -p %{buildroot}/usr/bin %{buildroot}/bin\n"
				"cp /bin/busybox %{buildroot}/usr/bin/busybox\n"
				"ln -s busybox %{buildroot}/usr/bin/sh\n"
				"ln -s ../usr/bin/busybox %{buildroot}/bin/sh\n"
				"%files\n"
				"/usr/bin/busybox\n"
				"/usr/bin/sh\n"
				"/bin/sh\n";

/* Build qshell-1-1.x86_64.rpm and a repo of it; 0, or -1 to skip. */
static int make_repo(void)
{
	char *spec = path_in("qshell.spec");
	char *top = path_in("top");
	char *repo = path_in("repo");
	char *topdef = g_strdup_printf("_topdir %s", top);
	char *rpm = g_strdup_printf("%s/RPMS/x86_64/qshell-1-1.x86_64.rpm", top);
	char *dst = g_strdup_printf("%s/qshell-1-1.x86_64.rpm", repo);
	char *build[] = {"rpmbuild",
			 "-bb",
			 "--quiet",
			 "--define",
			 topdef,
			 "--define",
			 "__strip /bin/true",
			 "--define",
			 "debug_package %{nil}",
			 "--define",
			 "_build_id_links none",
			 spec,
			 NULL};
	char *create[] = {"createrepo_c", "-q", repo, NULL};
	int ret = -1;

	if (q_fs_write_atomic(spec, spec_text, strlen(spec_text), 0644, NULL) < 0 ||
	    run(build) < 0 || q_fs_mkdirs(repo, 0755, NULL) < 0 ||
	    q_fs_copy_file(rpm, dst, 0644, NULL) < 0 || run(create) < 0)
		goto out;
	snprintf(g.repo_url, sizeof(g.repo_url), "file://%s", repo);
	ret = 0;
out:
	g_free(spec);
	g_free(top);
	g_free(repo);
	g_free(topdef);
	g_free(rpm);
	g_free(dst);
	return ret;
}

static int have(const char *prog)
{
	char *p = g_find_program_in_path(prog);

	g_free(p);
	return p != NULL;
}

static int group_setup(void **state)
{
	double t;

	snprintf(g.base, sizeof(g.base), "/var/tmp/quarry-brtest-XXXXXX");
	if (!mkdtemp(g.base))
		return -1;
	if (!have("dnf") || !have("rpmbuild") || !have("createrepo_c") ||
	    access("/bin/busybox", X_OK) < 0 || !q_sandbox_available()) {
		print_message("dnf, rpmbuild, createrepo_c, /bin/busybox (busybox-static) or "
			      "bubblewrap missing; skipping\n");
		return 0;
	}
	t = now_sec();
	if (make_repo() < 0)
		return -1;
	print_message("qshell RPM and repo made in %.2f s\n", now_sec() - t);
	g.ready = 1;
	return 0;
}

static int group_teardown(void **state)
{
	q_fs_remove_tree(g.base, NULL);
	return 0;
}

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (g_str_has_prefix(de->d_name, prefix))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void spec_of(struct q_buildroot_spec *spec, const char **repos, const char **pkgs,
		    const char *releasever)
{
	memset(spec, 0, sizeof(*spec));
	spec->repos = repos;
	spec->packages = pkgs;
	spec->releasever = releasever;
}

static void test_prepare_and_reuse(void **state)
{
	const char *repos[] = {g.repo_url, NULL};
	const char *pkgs[] = {"qshell", NULL};
	struct q_buildroot_spec spec;
	struct q_error err = {0};
	char *cache = path_in("cache");
	char root[PATH_MAX], again[PATH_MAX], key[65];
	char *expect, *busybox, *list_path, *list = NULL;
	size_t len;
	double t, first, second;

	if (!g.ready)
		skip();
	spec_of(&spec, repos, pkgs, "9");
	assert_int_equal(q_buildroot_key(&spec, key, &err), 0);
	t = now_sec();
	if (q_buildroot_prepare(&spec, cache, root, sizeof(root), &err) < 0)
		fail_msg("prepare: %s", err.msg);
	first = now_sec() - t;
	expect = g_strdup_printf("%s/%s", cache, key);
	assert_string_equal(root, expect);
	busybox = g_strdup_printf("%s/usr/bin/busybox", root);
	assert_int_equal(access(busybox, X_OK), 0);
	list_path = g_strdup_printf("%s.packages", root);
	assert_int_equal(q_fs_read_file(list_path, 1 << 20, &list, &len, NULL), 0);
	assert_string_equal(list, "qshell-1-1.x86_64\n");
	/* The database is where an EL rpm looks, not in Debian's ~/.rpmdb. */
	{
		char *db = g_strdup_printf("%s/var/lib/rpm", root);
		char *home_db = g_strdup_printf("%s/root/.rpmdb", root);

		/* dnf's cache litter (ROOT/<its cachedir>) is gone: nothing under var/tmp. */
		char *litter = g_strdup_printf("%s/var/tmp", root);

		assert_true(q_fs_exists(db));
		assert_false(q_fs_exists(home_db));
		assert_false(q_fs_exists(litter));
		g_free(db);
		g_free(home_db);
		g_free(litter);
	}
	assert_int_equal(count_prefixed(cache, ".tmp-"), 0);
	{
		char *tmp = g_strdup_printf("%s.tmp-", key);
		char *work = g_strdup_printf("%s.work-", key);

		assert_int_equal(count_prefixed(cache, tmp), 0);
		assert_int_equal(count_prefixed(cache, work), 0);
		g_free(tmp);
		g_free(work);
	}

	t = now_sec();
	assert_int_equal(q_buildroot_prepare(&spec, cache, again, sizeof(again), &err), 0);
	second = now_sec() - t;
	assert_string_equal(again, root);
	assert_true(second < 0.1);
	print_message("root prepared in %.2f s, reused in %.4f s\n", first, second);

	free(list);
	g_free(list_path);
	g_free(busybox);
	g_free(expect);
	g_free(cache);
}

/* A crash left KEY.tmp-N and KEY.work-N: removed, and the root is made. */
static void test_stale_tmp_removed(void **state)
{
	const char *repos[] = {g.repo_url, NULL};
	const char *pkgs[] = {"qshell", NULL};
	struct q_buildroot_spec spec;
	struct q_error err = {0};
	char *cache = path_in("cache-stale");
	char root[PATH_MAX], key[65];
	char *stale, *junk, *work;

	if (!g.ready)
		skip();
	spec_of(&spec, repos, pkgs, "9");
	assert_int_equal(q_buildroot_key(&spec, key, &err), 0);
	stale = g_strdup_printf("%s/%s.tmp-999999/usr", cache, key);
	work = g_strdup_printf("%s/%s.work-999999", cache, key);
	assert_int_equal(q_fs_mkdirs(stale, 0755, NULL), 0);
	assert_int_equal(q_fs_mkdirs(work, 0755, NULL), 0);
	junk = g_strdup_printf("%s/half", stale);
	assert_int_equal(q_fs_write_atomic(junk, "x", 1, 0644, NULL), 0);
	if (q_buildroot_prepare(&spec, cache, root, sizeof(root), &err) < 0)
		fail_msg("prepare: %s", err.msg);
	assert_false(q_fs_exists(stale));
	assert_false(q_fs_exists(work));
	{
		char *half = g_strdup_printf("%s/usr/half", root);

		assert_false(q_fs_exists(half));
		g_free(half);
	}
	g_free(stale);
	g_free(work);
	g_free(junk);
	g_free(cache);
}

/* Two processes prepare the same new root at once: one builds, both get it. */
static void test_concurrent(void **state)
{
	const char *repos[] = {g.repo_url, NULL};
	const char *pkgs[] = {"qshell", NULL};
	struct q_buildroot_spec spec;
	struct q_error err = {0};
	char *cache = path_in("cache-race");
	char root[PATH_MAX], key[65];
	pid_t kids[2];

	if (!g.ready)
		skip();
	spec_of(&spec, repos, pkgs, "8");
	assert_int_equal(q_buildroot_key(&spec, key, &err), 0);
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			char r[PATH_MAX];

			_exit(q_buildroot_prepare(&spec, cache, r, sizeof(r), NULL) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st = 0;

		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(q_buildroot_prepare(&spec, cache, root, sizeof(root), &err), 0);
	/* KEY, KEY.lock, KEY.packages, KEY.contents.json */
	assert_int_equal(count_prefixed(cache, key), 4);
	g_free(cache);
}

/* A failure: -1 with msg_part in the message, and nothing under cache for the key. */
static void expect_failure(struct q_buildroot_spec *spec, const char *cache, const char *msg_part)
{
	struct q_error err = {0};
	char root[PATH_MAX], key[65];
	char *path;

	assert_int_equal(q_buildroot_key(spec, key, &err), 0);
	assert_int_equal(q_buildroot_prepare(spec, cache, root, sizeof(root), &err), -1);
	print_message("expected failure: %s\n", err.msg);
	if (strstr(msg_part, "No matching")) {
		assert_int_equal(err.code, Q_ENOTFOUND);
	} else {
		assert_int_equal(err.code, Q_EIO);
		assert_non_null(strstr(err.msg, "dnf failed"));
	}
	assert_non_null(strstr(err.msg, msg_part));
	path = g_strdup_printf("%s/%s", cache, key);
	assert_false(q_fs_exists(path));
	g_free(path);
	path = g_strdup_printf("%s.tmp-", key);
	assert_int_equal(count_prefixed(cache, path), 0);
	g_free(path);
	path = g_strdup_printf("%s.work-", key);
	assert_int_equal(count_prefixed(cache, path), 0);
	g_free(path);
}

static void test_bad_repo(void **state)
{
	char *url = g_strdup_printf("file://%s/no-such-repo", g.base);
	const char *repos[] = {url, NULL};
	const char *pkgs[] = {"qshell", NULL};
	struct q_buildroot_spec spec;
	char *cache = path_in("cache-bad");

	if (!g.ready)
		skip();
	spec_of(&spec, repos, pkgs, "9");
	expect_failure(&spec, cache, "Failed to download metadata");
	g_free(cache);
	g_free(url);
}

static void test_missing_package(void **state)
{
	const char *repos[] = {g.repo_url, NULL};
	const char *pkgs[] = {"qshell", "no-such-package", NULL};
	struct q_buildroot_spec spec;
	char *cache = path_in("cache-missing");

	if (!g.ready)
		skip();
	spec_of(&spec, repos, pkgs, "9");
	expect_failure(&spec, cache,
		       "No matching package to install: no-such-package (searched: repo file:///");
	g_free(cache);
}

static void test_bad_spec(void **state)
{
	const char *good[] = {"https://example.org/repo", NULL};
	const char *spaced[] = {"https://example.org/a repo", NULL};
	const char *ftp[] = {"ftp://example.org/repo", NULL};
	const char *none[] = {NULL};
	const char *dash[] = {"-x", NULL};
	struct q_buildroot_spec spec;
	struct q_error err = {0};
	char root[PATH_MAX];
	char key1[65], key2[65];
	char *cache = path_in("cache-spec");

	spec_of(&spec, spaced, NULL, "9");
	assert_int_equal(q_buildroot_prepare(&spec, cache, root, sizeof(root), &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	spec_of(&spec, ftp, NULL, "9");
	assert_int_equal(q_buildroot_prepare(&spec, cache, root, sizeof(root), &err), -1);
	spec_of(&spec, none, NULL, "9");
	assert_int_equal(q_buildroot_prepare(&spec, cache, root, sizeof(root), &err), -1);
	assert_non_null(strstr(err.msg, "no repo"));
	spec_of(&spec, good, dash, "9");
	assert_int_equal(q_buildroot_prepare(&spec, cache, root, sizeof(root), &err), -1);
	assert_non_null(strstr(err.msg, "'-x'"));
	spec_of(&spec, good, NULL, "9\n");
	assert_int_equal(q_buildroot_prepare(&spec, cache, root, sizeof(root), &err), -1);
	assert_false(q_fs_exists(cache));

	/* The key: order and duplicates do not matter; the releasever does. */
	{
		const char *r1[] = {"file:///a", "file:///b", NULL};
		const char *r2[] = {"file:///b", "file:///a", "file:///b", NULL};
		const char *p1[] = {"x", "y", NULL};
		const char *p2[] = {"y", "x", NULL};

		spec_of(&spec, r1, p1, "9");
		assert_int_equal(q_buildroot_key(&spec, key1, &err), 0);
		spec_of(&spec, r2, p2, "9");
		assert_int_equal(q_buildroot_key(&spec, key2, &err), 0);
		assert_string_equal(key1, key2);
		spec_of(&spec, r2, p2, "8");
		assert_int_equal(q_buildroot_key(&spec, key2, &err), 0);
		assert_string_not_equal(key1, key2);
		/* No packages: the EL default set, a key of its own. */
		spec_of(&spec, r1, NULL, "9");
		assert_int_equal(q_buildroot_key(&spec, key2, &err), 0);
		assert_string_not_equal(key1, key2);
	}
	g_free(cache);
}

/* Run `sh -c script` with root as /, in workdir; the step's status. */
static int sandbox_sh(const char *root, const char *workdir, const char *script, int log_fd)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;
	struct q_error err = {0};

	sb.backend = "installroot";
	sb.root = root;
	sb.workdir = workdir;
	sb.argv = argv;
	sb.log_fd = log_fd;
	sb.timeout_sec = 30;
	if (q_sandbox_run(&sb, &res, NULL, &err) < 0)
		fail_msg("sandbox: %s", err.msg);
	return res.status;
}

static void test_sandbox_in_root(void **state)
{
	const char *repos[] = {g.repo_url, NULL};
	const char *pkgs[] = {"qshell", NULL};
	struct q_buildroot_spec spec;
	struct q_error err = {0};
	char *cache = path_in("cache");
	char *wd = path_in("wd");
	char *logp = path_in("sb.log");
	char *out = g_strdup_printf("%s/out", wd);
	char root[PATH_MAX];
	char *log = NULL;
	size_t len;
	int fd;

	if (!g.ready)
		skip();
	spec_of(&spec, repos, pkgs, "9");
	if (q_buildroot_prepare(&spec, cache, root, sizeof(root), &err) < 0)
		fail_msg("prepare: %s", err.msg);
	assert_int_equal(q_fs_mkdirs(wd, 0755, NULL), 0);
	fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	assert_true(fd >= 0);

	/* In the root: its shell runs, the host's dnf (and /etc/os-release) are not there. */
	assert_int_equal(sandbox_sh(root, wd,
				    "echo hi; test ! -e /usr/bin/dnf && test ! -e /etc/os-release "
				    "&& test -x /usr/bin/busybox",
				    fd),
			 Q_SANDBOX_OK);
	/* Read-only: the root's /usr, the sandbox's / itself, /var on the way to the workdir. */
	assert_int_equal(sandbox_sh(root, wd, "echo x > /usr/x", fd), Q_SANDBOX_FAILED);
	assert_int_equal(sandbox_sh(root, wd, "echo x > /x", fd), Q_SANDBOX_FAILED);
	assert_int_equal(sandbox_sh(root, wd, "echo x > /var/x", fd), Q_SANDBOX_FAILED);
	assert_int_equal(sandbox_sh(root, wd, "mkdir /usr/bin/d", fd), Q_SANDBOX_FAILED);
	/* Writable: the workdir (the cwd) and a fresh /tmp. */
	assert_int_equal(sandbox_sh(root, wd, "echo ok > out && echo t > /tmp/t && pwd", fd),
			 Q_SANDBOX_OK);
	assert_true(q_fs_exists(out));
	close(fd);
	assert_int_equal(q_fs_read_file(logp, 1 << 20, &log, &len, NULL), 0);
	assert_non_null(strstr(log, "hi\n"));
	assert_non_null(strstr(log, wd));
	/* The root itself was not touched. */
	{
		char *x = g_strdup_printf("%s/usr/x", root);

		assert_false(q_fs_exists(x));
		g_free(x);
	}
	free(log);
	g_free(out);
	g_free(logp);
	g_free(wd);
	g_free(cache);
}

static void test_sandbox_root_errors(void **state)
{
	const char *argv[] = {"sh", "-c", "true", NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;
	struct q_error err = {0};

	sb.workdir = g.base;
	sb.argv = argv;
	sb.log_fd = -1;
	sb.backend = "installroot";
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "needs a root"));
	sb.root = "relative/root";
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "not an absolute directory"));
	sb.backend = "mock";
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_spec),          cmocka_unit_test(test_sandbox_root_errors),
	    cmocka_unit_test(test_prepare_and_reuse), cmocka_unit_test(test_stale_tmp_removed),
	    cmocka_unit_test(test_concurrent),        cmocka_unit_test(test_bad_repo),
	    cmocka_unit_test(test_missing_package),   cmocka_unit_test(test_sandbox_in_root),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
