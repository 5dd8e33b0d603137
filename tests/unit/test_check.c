/*
 * test_check.c: the build checks (src/check/) on real RPMs built with
 * rpmbuild at test time and real repos made with createrepo_c:
 *  - disttag: a release without the dist tag fails, naming the package;
 *  - closure (libsolv): soname, file and rich requires provided by the
 *    repo; a missing capability named exactly; a requirement of a
 *    requirement (the solver); a capability only the update's other
 *    builds provide; packages of another arch are skipped;
 *  - conflicts: a file a package of another name ships differently fails,
 *    naming both and the file; identical files, a newer version of the
 *    same package, an Obsoletes, shared directories pass; two packages of
 *    the build with different modes fail;
 *  - results: merging arches, the output bound, the input as JSON;
 *  - in the sandbox when bubblewrap works: rpmlint (an error fails, the
 *    project's rpmlintrc filters it), installable (dnf), and closure run
 *    in `quarry check-run` (QUARRY_BIN);
 *  - the store: queue, take, finish fenced by the run, requeue, reset,
 *    output cut to 256 KiB of valid UTF-8.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "build/sandbox.h"
#include "check/check.h"
#include "store/store.h"

#include <setjmp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#define PATHLEN 1024
#define OK(x) assert_int_equal((x), 0)

static char tmp[256]; /* this run's directory */
static char base_repo[PATHLEN];
static int have_sandbox; /* bubblewrap works here */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* tmp/RPMS/noarch/NAME-VERSION-RELEASE.noarch.rpm (a static buffer per call slot). */
static const char *rpm(const char *name, const char *vr)
{
	static char buf[32][PATHLEN];
	static int n;
	char *out = buf[n++ % 32];

	snprintf(out, PATHLEN, "%s/top/RPMS/noarch/%s-%s.noarch.rpm", tmp, name, vr);
	return out;
}

static int build_spec(const char *name, const char *text, const char *dist)
{
	char spec[PATHLEN];
	struct q_error err = {0};

	snprintf(spec, sizeof(spec), "%s/%s.spec", tmp, name);
	if (q_fs_write_atomic(spec, text, strlen(text), 0644, &err) < 0)
		return -1;
	return sh("rpmbuild -bb --quiet --define '_topdir %s/top' --define 'dist %s' "
		  "--define '_build_id_links none' '%s' >'%s/%s.log' 2>&1",
		  tmp, dist, spec, tmp, name);
}

/* What the repo holds: libbar (a soname and a file), owner (a file and
 * its directory), mid (requires a capability nothing provides), oldname. */
static const char base_spec[] =
    "%global debug_package %{nil}\n"
    "Name: base\nVersion: 1.0\nRelease: 1%{?dist}\nSummary: Base set\nLicense: MIT\n"
    "BuildArch: noarch\n%description\nBase set.\n"
    "%package -n libbar\nSummary: libbar\nProvides: libbar.so.1()(64bit)\n"
    "%description -n libbar\nlibbar.\n"
    "%package -n owner\nSummary: owner\n%description -n owner\nowner.\n"
    "%package -n mid\nSummary: mid\nRequires: gone-capability\n%description -n mid\nmid.\n"
    "%package -n oldname\nSummary: oldname\n%description -n oldname\noldname.\n"
    "%package -n upd-provider\nSummary: upd\nProvides: update-cap\n"
    "%description -n upd-provider\nupd.\n"
    "%install\n"
    "mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/share/shared "
    "%{buildroot}/usr/share/renamed %{buildroot}/usr/share/mid %{buildroot}/usr/share/upd\n"
    "echo bar > %{buildroot}/usr/bin/bar-tool\n"
    "echo owner > %{buildroot}/usr/share/shared/README\n"
    "echo old > %{buildroot}/usr/share/renamed/file\n"
    "echo mid > %{buildroot}/usr/share/mid/file\n"
    "echo upd > %{buildroot}/usr/share/upd/file\n"
    "%files -n libbar\n/usr/bin/bar-tool\n"
    "%files -n owner\n%dir /usr/share/shared\n/usr/share/shared/README\n"
    "%files -n mid\n/usr/share/mid\n"
    "%files -n oldname\n/usr/share/renamed/file\n"
    "%files -n upd-provider\n/usr/share/upd\n";

/* The build's side. */
static const char bset_spec[] =
    "%global debug_package %{nil}\n"
    "Name: bset\nVersion: 2.0\nRelease: 1%{?dist}\nSummary: Build set\nLicense: MIT\n"
    "URL: https://quarry.invalid/\nBuildArch: noarch\n%description\nBuild set.\n"
    "%package -n foo\nSummary: Foo\nRequires: libbar.so.1()(64bit)\nRequires: /usr/bin/bar-tool\n"
    "%description -n foo\nFoo.\n"
    "%package -n needy\nSummary: Needy\nRequires: libmissing.so.2()(64bit)\n"
    "%description -n needy\nNeedy.\n"
    "%package -n chain\nSummary: Chain\nRequires: mid\n%description -n chain\nChain.\n"
    "%package -n rich\nSummary: Rich\nRequires: (libbar.so.1()(64bit) or nothing-at-all)\n"
    "%description -n rich\nRich.\n"
    "%package -n updu\nSummary: Updu\nRequires: update-cap\n%description -n updu\nUpdu.\n"
    "%package -n clash\nSummary: Clash\n%description -n clash\nClash.\n"
    "%package -n owner\nSummary: Owner\n%description -n owner\nOwner.\n"
    "%package -n renamed\nSummary: Renamed\nObsoletes: oldname < 2\n"
    "%description -n renamed\nRenamed.\n"
    "%package -n squatter\nSummary: Squatter\n%description -n squatter\nSquatter.\n"
    "%package -n twin-a\nSummary: Twin a\n%description -n twin-a\nTwin a.\n"
    "%package -n twin-b\nSummary: Twin b\n%description -n twin-b\nTwin b.\n"
    "%package -n sharedir\nSummary: Sharedir\n%description -n sharedir\nSharedir.\n"
    "%install\n"
    "mkdir -p %{buildroot}/usr/share/shared %{buildroot}/usr/share/renamed "
    "%{buildroot}/usr/share/twins\n"
    "echo different > %{buildroot}/usr/share/shared/README\n"
    "echo other > %{buildroot}/usr/share/shared/other\n"
    "echo new > %{buildroot}/usr/share/renamed/file\n"
    "echo twin > %{buildroot}/usr/share/twins/f\n"
    "%files -n foo\n%files -n needy\n%files -n chain\n%files -n rich\n%files -n updu\n"
    "%files -n clash\n/usr/share/shared/README\n"
    "%files -n owner\n/usr/share/shared/README\n"
    "%files -n renamed\n/usr/share/renamed/file\n"
    "%files -n squatter\n/usr/share/renamed/file\n"
    "%files -n twin-a\n%attr(0644,root,root) /usr/share/twins/f\n"
    "%files -n twin-b\n%attr(0755,root,root) /usr/share/twins/f\n"
    "%files -n sharedir\n%dir /usr/share/shared\n/usr/share/shared/other\n"
    "%changelog\n* Mon Jan 01 2024 Quarry Tests <tests@quarry.invalid> - 2.0-1\n- Test.\n";

/* A file identical to owner's README. */
static const char same_spec[] =
    "%global debug_package %{nil}\n"
    "Name: same\nVersion: 1.0\nRelease: 1%{?dist}\nSummary: Same\nLicense: MIT\n"
    "BuildArch: noarch\n%description\nSame.\n"
    "%install\nmkdir -p %{buildroot}/usr/share/shared\n"
    "echo owner > %{buildroot}/usr/share/shared/README\n"
    "%files\n/usr/share/shared/README\n";

/* No dist tag, no changelog. */
static const char nodist_spec[] = "%global debug_package %{nil}\n"
				  "Name: nodist\nVersion: 1.0\nRelease: 1\nSummary: Nodist\n"
				  "License: MIT\nBuildArch: noarch\n%description\nNodist.\n"
				  "%files\n";

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/quarry-test-check-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	/* Shown to the sandbox, whose build user must read the RPMs and repos in it. */
	chmod(tmp, 0755);
	if (build_spec("base", base_spec, ".el9.mc") || build_spec("bset", bset_spec, ".el9.mc") ||
	    build_spec("same", same_spec, ".el9.mc") ||
	    build_spec("nodist", nodist_spec, "%{nil}")) {
		fprintf(stderr, "rpmbuild failed; see %s/*.log\n", tmp);
		return -1;
	}
	snprintf(base_repo, sizeof(base_repo), "%s/repo-base", tmp);
	if (sh("mkdir -p '%s' && cp '%s' '%s' '%s' '%s' '%s/' && createrepo_c --quiet '%s'",
	       base_repo, rpm("libbar", "1.0-1.el9.mc"), rpm("owner", "1.0-1.el9.mc"),
	       rpm("mid", "1.0-1.el9.mc"), rpm("oldname", "1.0-1.el9.mc"), base_repo,
	       base_repo) != 0) {
		fprintf(stderr, "createrepo_c failed\n");
		return -1;
	}
	have_sandbox = q_sandbox_available();
	return 0;
}

static int teardown(void **state)
{
	struct q_error err = {0};

	(void)state;
	if (!getenv("QUARRY_KEEP"))
		q_fs_remove_tree(tmp, &err);
	return 0;
}

/* An input for arch x86_64 with the repo base and rpms (name, version-release pairs). */
struct input {
	struct q_check_input in;
	struct q_check_rpm rpms[8];
	struct q_check_rpm others[4];
	struct q_check_repo repos[2];
};

static void input_init(struct input *x, const char *const *names)
{
	memset(x, 0, sizeof(*x));
	for (size_t i = 0; names && names[i] && i < 8; i += 2) {
		x->rpms[i / 2].path = strdup(rpm(names[i], names[i + 1]));
		x->rpms[i / 2].name = names[i];
		x->in.n_rpms++;
	}
	x->repos[0].name = "base";
	x->repos[0].dir = base_repo;
	x->in.arch = "x86_64";
	x->in.dist_tag = ".el9.mc";
	x->in.releasever = "9";
	x->in.rpms = x->rpms;
	x->in.repos = x->repos;
	x->in.n_repos = 1;
	x->in.others = x->others;
}

static void input_release(struct input *x)
{
	for (size_t i = 0; i < x->in.n_rpms; i++)
		free((char *)x->rpms[i].path);
	for (size_t i = 0; i < x->in.n_others; i++)
		free((char *)x->others[i].path);
}

/* Run check name on names (pairs NAME, VERSION-RELEASE) and return its state; *res kept. */
static enum q_check_state run(const char *name, struct input *x, struct q_check_result *res)
{
	struct q_error err = {0};

	q_check_result_init(res);
	if (q_check_run(name, &x->in, res, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
	if (getenv("QUARRY_TEST_VERBOSE"))
		fprintf(stderr, "--- %s: %s: %s\n%s\n", name, q_check_state_name(res->state),
			res->summary, res->output->str);
	return res->state;
}

static enum q_check_state run_on(const char *name, const char *const *names,
				 struct q_check_result *res)
{
	struct input x;
	enum q_check_state s;

	input_init(&x, names);
	s = run(name, &x, res);
	input_release(&x);
	return s;
}

static void test_disttag(void **state)
{
	struct q_check_result res;

	(void)state;
	assert_int_equal(
	    run_on("disttag",
		   (const char *[]){"foo", "2.0-1.el9.mc", "clash", "2.0-1.el9.mc", NULL}, &res),
	    Q_CHECK_PASS);
	assert_non_null(strstr(res.output->str, "ok   foo-2.0-1.el9.mc.noarch"));
	q_check_result_release(&res);
	assert_int_equal(run_on("disttag",
				(const char *[]){"foo", "2.0-1.el9.mc", "nodist", "1.0-1", NULL},
				&res),
			 Q_CHECK_FAIL);
	assert_string_equal(res.summary, "nodist-1.0-1.noarch has release '1', which does not end "
					 "with the project's dist tag '.el9.mc'");
	q_check_result_release(&res);
	/* An unreadable file is the check's error, not the package's fault. */
	{
		struct input x;
		char junk[PATHLEN];

		snprintf(junk, sizeof(junk), "%s/junk.rpm", tmp);
		OK(q_fs_write_atomic(junk, "not an rpm", 10, 0644, NULL));
		input_init(&x, NULL);
		x.rpms[0].path = strdup(junk);
		x.rpms[0].name = "junk.rpm";
		x.in.n_rpms = 1;
		assert_int_equal(run("disttag", &x, &res), Q_CHECK_ERROR);
		assert_non_null(strstr(res.summary, "cannot read junk.rpm"));
		q_check_result_release(&res);
		input_release(&x);
	}
}

static void test_closure(void **state)
{
	struct q_check_result res;

	(void)state;
	/* Soname, file and rich requires, all from the repo. */
	assert_int_equal(
	    run_on("closure", (const char *[]){"foo", "2.0-1.el9.mc", "rich", "2.0-1.el9.mc", NULL},
		   &res),
	    Q_CHECK_PASS);
	assert_non_null(strstr(res.output->str,
			       "requires /usr/bin/bar-tool: libbar-1.0-1.el9.mc.noarch (base)"));
	assert_non_null(strstr(res.output->str, "requires libbar.so.1()(64bit): libbar"));
	assert_string_equal(res.summary, "every requirement of 2 packages is provided on x86_64");
	q_check_result_release(&res);
	/* The missing capability, exactly. */
	assert_int_equal(
	    run_on("closure",
		   (const char *[]){"foo", "2.0-1.el9.mc", "needy", "2.0-1.el9.mc", NULL}, &res),
	    Q_CHECK_FAIL);
	assert_string_equal(res.summary, "needy-2.0-1.el9.mc.noarch requires "
					 "libmissing.so.2()(64bit), which nothing provides");
	q_check_result_release(&res);
	/* A requirement of a requirement. */
	assert_int_equal(run_on("closure", (const char *[]){"chain", "2.0-1.el9.mc", NULL}, &res),
			 Q_CHECK_FAIL);
	assert_non_null(strstr(res.summary, "chain-2.0-1.el9.mc.noarch cannot be installed: "));
	assert_non_null(strstr(res.summary, "gone-capability"));
	assert_non_null(strstr(res.summary, "mid-1.0-1.el9.mc.noarch"));
	q_check_result_release(&res);
	/* Provided only by another build of the update. */
	{
		struct input x;

		input_init(&x, (const char *[]){"updu", "2.0-1.el9.mc", NULL});
		assert_int_equal(run("closure", &x, &res), Q_CHECK_FAIL);
		assert_string_equal(res.summary, "updu-2.0-1.el9.mc.noarch requires update-cap, "
						 "which nothing provides");
		q_check_result_release(&res);
		x.others[0].path = strdup(rpm("upd-provider", "1.0-1.el9.mc"));
		x.others[0].name = "upd-provider-1.0-1.el9.mc.noarch.rpm";
		x.in.n_others = 1;
		assert_int_equal(run("closure", &x, &res), Q_CHECK_PASS);
		assert_non_null(
		    strstr(res.output->str, "upd-provider-1.0-1.el9.mc.noarch (update)"));
		q_check_result_release(&res);
		/* A repo that cannot be read is an error. */
		x.repos[0].dir = "/nonexistent/repo";
		assert_int_equal(run("closure", &x, &res), Q_CHECK_ERROR);
		assert_non_null(strstr(res.summary, "repo 'base': cannot open"));
		q_check_result_release(&res);
		input_release(&x);
	}
}

static void test_conflicts(void **state)
{
	struct q_check_result res;

	(void)state;
	/* clash differs from owner-1.0 in the repo; owner-2.0 is the same package. */
	assert_int_equal(
	    run_on("conflicts",
		   (const char *[]){"clash", "2.0-1.el9.mc", "owner", "2.0-1.el9.mc", NULL}, &res),
	    Q_CHECK_FAIL);
	assert_string_equal(res.summary, "clash-2.0-1.el9.mc.noarch and owner-1.0-1.el9.mc.noarch "
					 "(in repo 'base') both ship /usr/share/shared/README");
	assert_null(strstr(res.output->str, "and 1 more"));
	q_check_result_release(&res);
	/* Identical files, shared directories, an Obsoletes (owner-2.0, the newer
	 * version above, differs from same's file: not together). */
	assert_int_equal(run_on("conflicts",
				(const char *[]){"same", "1.0-1.el9.mc", "sharedir", "2.0-1.el9.mc",
						 "renamed", "2.0-1.el9.mc", NULL},
				&res),
			 Q_CHECK_PASS);
	q_check_result_release(&res);
	/* The same file without the Obsoletes. */
	assert_int_equal(
	    run_on("conflicts", (const char *[]){"squatter", "2.0-1.el9.mc", NULL}, &res),
	    Q_CHECK_FAIL);
	assert_string_equal(res.summary, "squatter-2.0-1.el9.mc.noarch and "
					 "oldname-1.0-1.el9.mc.noarch (in repo 'base') both ship "
					 "/usr/share/renamed/file");
	q_check_result_release(&res);
	/* Two packages of the build: one file, two modes. */
	assert_int_equal(
	    run_on("conflicts",
		   (const char *[]){"twin-a", "2.0-1.el9.mc", "twin-b", "2.0-1.el9.mc", NULL},
		   &res),
	    Q_CHECK_FAIL);
	assert_string_equal(res.summary, "twin-a-2.0-1.el9.mc.noarch and "
					 "twin-b-2.0-1.el9.mc.noarch (both of the build) both ship "
					 "/usr/share/twins/f");
	q_check_result_release(&res);
}

static void test_results(void **state)
{
	struct q_check_result all, a, b;
	char *big = g_malloc(Q_CHECK_OUTPUT_MAX + 10);

	(void)state;
	q_check_result_init(&all);
	q_check_result_init(&a);
	q_check_result_init(&b);
	q_check_set(&a, Q_CHECK_PASS, "fine on x86_64");
	q_check_out(&a, "a's output\n");
	q_check_set(&b, Q_CHECK_FAIL, "foo requires bar\nsecond line");
	q_check_out(&b, "b's output\n");
	q_check_merge(&all, &a, "x86_64", 1);
	assert_int_equal(all.state, Q_CHECK_PASS);
	q_check_merge(&all, &b, "aarch64", 0);
	assert_int_equal(all.state, Q_CHECK_FAIL);
	assert_string_equal(all.summary, "aarch64: foo requires bar");
	assert_string_equal(all.output->str,
			    "== x86_64 ==\na's output\n\n== aarch64 ==\nb's output\n");
	/* An error does not hide a failure; a failure wins over an error. */
	q_check_set(&a, Q_CHECK_ERROR, "could not run");
	q_check_merge(&all, &a, "ppc64le", 0);
	assert_int_equal(all.state, Q_CHECK_FAIL);
	/* The output is bounded. */
	memset(big, 'x', Q_CHECK_OUTPUT_MAX + 9);
	big[Q_CHECK_OUTPUT_MAX + 9] = '\0';
	q_check_out(&all, "%s", big);
	assert_true(all.truncated);
	assert_true(all.output->len < Q_CHECK_OUTPUT_MAX + 64);
	q_check_result_release(&all);
	q_check_result_release(&a);
	q_check_result_release(&b);
	g_free(big);
	assert_true(q_check_known("closure"));
	assert_false(q_check_known("rpmlint2"));
	assert_string_equal(q_check_names[4], "conflicts");
	assert_null(q_check_names[5]);
}

static void test_input_json(void **state)
{
	struct input x;
	struct q_check_input back;
	struct q_error err = {0};
	const char *hide[] = {"/secret", NULL};
	json_t *j;

	(void)state;
	input_init(&x, (const char *[]){"foo", "2.0-1.el9.mc", NULL});
	x.in.hide = hide;
	x.in.rpmlint_config = "addFilter(\"x\")\n";
	x.in.workdir = "/w";
	x.in.timeout = 7;
	j = q_check_input_to_json(&x.in);
	OK(q_check_input_from_json(j, &back, &err));
	assert_string_equal(back.arch, "x86_64");
	assert_string_equal(back.dist_tag, ".el9.mc");
	assert_int_equal(back.n_rpms, 1);
	assert_string_equal(back.rpms[0].path, x.rpms[0].path);
	assert_int_equal(back.n_repos, 1);
	assert_string_equal(back.repos[0].dir, base_repo);
	assert_string_equal(back.hide[0], "/secret");
	assert_null(back.hide[1]);
	assert_string_equal(back.rpmlint_config, "addFilter(\"x\")\n");
	assert_int_equal(back.timeout, 7);
	q_check_input_release(&back);
	json_decref(j);
	j = json_pack("{s:i}", "rpms", 3);
	assert_int_equal(q_check_input_from_json(j, &back, &err), -1);
	json_decref(j);
	input_release(&x);
}

/* rpmlint, dnf and check-run need the sandbox; the test's files live in /tmp,
 * which the sandbox replaces, so they are bound back read-only. */
static void sandbox_input(struct input *x, const char *work, const char *const *show)
{
	struct q_error err = {0};

	OK(q_fs_mkdirs(work, 0755, &err));
	x->in.workdir = work;
	x->in.show = show;
	x->in.timeout = 120;
}

static void test_rpmlint(void **state)
{
	struct q_check_result res;
	const char *show[] = {tmp, NULL};
	char work[PATHLEN];
	struct input x;

	(void)state;
	if (!have_sandbox || sh("command -v rpmlint >/dev/null") != 0)
		skip();
	snprintf(work, sizeof(work), "%s/work-rpmlint", tmp);
	input_init(&x, (const char *[]){"foo", "2.0-1.el9.mc", NULL});
	sandbox_input(&x, work, show);
	assert_int_equal(run("rpmlint", &x, &res), Q_CHECK_PASS);
	assert_non_null(strstr(res.output->str, "1 packages and 0 specfiles checked"));
	q_check_result_release(&res);
	input_release(&x);
	/* No %changelog: an rpmlint error … */
	input_init(&x, (const char *[]){"nodist", "1.0-1", NULL});
	sandbox_input(&x, work, show);
	assert_int_equal(run("rpmlint", &x, &res), Q_CHECK_FAIL);
	assert_non_null(strstr(res.summary, "nodist.noarch: E: no-changelogname-tag"));
	q_check_result_release(&res);
	/* … that the project's rpmlintrc may filter. */
	x.in.rpmlint_config = "addFilter(\"no-changelogname-tag\")\naddFilter(\"unused-filter\")\n";
	assert_int_equal(run("rpmlint", &x, &res), Q_CHECK_PASS);
	q_check_result_release(&res);
	input_release(&x);
}

static void test_installable(void **state)
{
	struct q_check_result res;
	const char *show[] = {tmp, NULL};
	char work[PATHLEN];
	struct input x;

	(void)state;
	if (!have_sandbox || sh("command -v dnf >/dev/null") != 0)
		skip();
	snprintf(work, sizeof(work), "%s/work-dnf", tmp);
	input_init(&x, (const char *[]){"foo", "2.0-1.el9.mc", "rich", "2.0-1.el9.mc", NULL});
	sandbox_input(&x, work, show);
	assert_int_equal(run("installable", &x, &res), Q_CHECK_PASS);
	assert_non_null(strstr(res.output->str, "Transaction test succeeded"));
	q_check_result_release(&res);
	input_release(&x);
	input_init(&x, (const char *[]){"needy", "2.0-1.el9.mc", NULL});
	sandbox_input(&x, work, show);
	assert_int_equal(run("installable", &x, &res), Q_CHECK_FAIL);
	assert_string_equal(res.summary, "nothing provides libmissing.so.2()(64bit) needed by "
					 "needy-2.0-1.el9.mc.noarch");
	q_check_result_release(&res);
	input_release(&x);
	/* A file another package ships is not dnf's business unless both are installed. */
	input_init(&x, (const char *[]){"clash", "2.0-1.el9.mc", NULL});
	sandbox_input(&x, work, show);
	assert_int_equal(run("installable", &x, &res), Q_CHECK_PASS);
	q_check_result_release(&res);
	input_release(&x);
	/* The update's other builds are a repo too. */
	input_init(&x, (const char *[]){"updu", "2.0-1.el9.mc", NULL});
	sandbox_input(&x, work, show);
	x.others[0].path = strdup(rpm("upd-provider", "1.0-1.el9.mc"));
	x.others[0].name = "upd-provider-1.0-1.el9.mc.noarch.rpm";
	x.in.n_others = 1;
	assert_int_equal(run("installable", &x, &res), Q_CHECK_PASS);
	q_check_result_release(&res);
	input_release(&x);
}

static void test_isolated(void **state)
{
	struct q_check_result res;
	struct q_error err = {0};
	const char *show[] = {tmp, NULL};
	const char *self = getenv("QUARRY_BIN");
	char work[PATHLEN];
	struct input x;

	(void)state;
	if (!have_sandbox || !self || self[0] != '/')
		skip();
	snprintf(work, sizeof(work), "%s/work-isolated", tmp);
	input_init(&x, (const char *[]){"foo", "2.0-1.el9.mc", "needy", "2.0-1.el9.mc", NULL});
	sandbox_input(&x, work, show);
	q_check_result_init(&res);
	OK(q_check_run_isolated("closure", self, &x.in, &res, &err));
	assert_int_equal(res.state, Q_CHECK_FAIL);
	assert_string_equal(res.summary, "needy-2.0-1.el9.mc.noarch requires "
					 "libmissing.so.2()(64bit), which nothing provides");
	assert_non_null(strstr(res.output->str, "repo base:"));
	q_check_result_release(&res);
	/* A child that cannot start (a binary that is not quarry) is an error result. */
	q_check_result_init(&res);
	OK(q_check_run_isolated("conflicts", "/bin/false", &x.in, &res, &err));
	assert_int_equal(res.state, Q_CHECK_ERROR);
	assert_non_null(strstr(res.summary, "without a result"));
	q_check_result_release(&res);
	input_release(&x);
}

/* ---- the store ---- */

static void test_store(void **state)
{
	struct q_error err = {0};
	char db[PATHLEN];
	struct q_store *st;
	json_t *sig, *proj, *b, *rows = NULL, *row = NULL;
	int64_t build = 0;
	GString *big;

	(void)state;
	snprintf(db, sizeof(db), "%s/quarry.db", tmp);
	st = q_store_open(db, &err);
	assert_non_null(st);
	OK(q_store_migrate(st, &err));
	sig = json_pack("{s:s,s:s,s:s,s:s}", "name", "mc", "short_name", "mc", "title", "MC",
			"status", "active");
	proj = json_pack("{s:s,s:i,s:s,s:[s]}", "name", "el9", "major", 9, "variant", "1", "arches",
			 "x86_64");
	b = json_pack("{s:s,s:s,s:[s],s:s}", "source", "repo#r9-sig-mc-1", "nevr", "foo-1-1.el9.mc",
		      "arches", "x86_64", "owner", "alice");
	OK(q_store_sig_create(st, sig, "0123456789ABCDEF0123456789ABCDEF01234567", &err));
	OK(q_store_project_create(st, "mc", proj, &err));
	OK(q_store_build_create(st, "mc", "el9", b, &build, &err));
	json_decref(sig);
	json_decref(proj);
	json_decref(b);

	/* Nothing queued. */
	OK(q_store_check_take(st, &row, &err));
	assert_null(row);
	OK(q_store_checks_queue(st, build, q_check_names, &err));
	OK(q_store_check_list(st, build, &rows, &err));
	assert_int_equal(json_array_size(rows), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "name")),
			    "disttag");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 4), "state")),
			    "queued");
	json_decref(rows);

	/* The oldest first, now running with run 1. */
	OK(q_store_check_take(st, &row, &err));
	assert_string_equal(json_string_value(json_object_get(row, "name")), "disttag");
	assert_int_equal(json_integer_value(json_object_get(row, "run")), 1);
	assert_int_equal(json_integer_value(json_object_get(row, "build")), build);
	/* Requeued while it runs: run 2; the old run's result changes nothing. */
	OK(q_store_checks_queue(st, build, q_check_names, &err));
	OK(q_store_check_finish(st, json_integer_value(json_object_get(row, "id")), 1, "pass",
				"old", "", &err));
	OK(q_store_check_list(st, build, &rows, &err));
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "state")),
			    "queued");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "run")), 2);
	json_decref(rows);
	json_decref(row);

	/* Run 2 finishes: summary one line, output cut to 256 KiB of valid UTF-8. */
	OK(q_store_check_take(st, &row, &err));
	assert_int_equal(json_integer_value(json_object_get(row, "run")), 2);
	big = g_string_new(NULL);
	while (big->len < Q_STORE_CHECK_OUTPUT_MAX + 100)
		g_string_append(big, "\xff\xc3\xa9 ok\n");
	OK(q_store_check_finish(st, json_integer_value(json_object_get(row, "id")), 2, "fail",
				"foo requires bar\nand more", big->str, &err));
	g_string_free(big, TRUE);
	assert_int_equal(q_store_check_finish(st, json_integer_value(json_object_get(row, "id")), 2,
					      "maybe", "", "", &err),
			 -1);
	json_decref(row);
	OK(q_store_check_list(st, build, &rows, &err));
	row = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(row, "state")), "fail");
	assert_string_equal(json_string_value(json_object_get(row, "summary")), "foo requires bar");
	assert_true(json_string_length(json_object_get(row, "output")) <= Q_STORE_CHECK_OUTPUT_MAX);
	assert_true(json_string_length(json_object_get(row, "output")) >
		    Q_STORE_CHECK_OUTPUT_MAX - 16);
	assert_true(g_utf8_validate(json_string_value(json_object_get(row, "output")), -1, NULL));
	assert_true(json_integer_value(json_object_get(row, "finished")) > 0);
	json_decref(rows);

	/* A hub that stopped mid-check: the row goes back to the queue. */
	OK(q_store_check_take(st, &row, &err));
	assert_string_equal(json_string_value(json_object_get(row, "name")), "rpmlint");
	json_decref(row);
	OK(q_store_check_reset(st, &err));
	OK(q_store_check_take(st, &row, &err));
	assert_string_equal(json_string_value(json_object_get(row, "name")), "rpmlint");
	json_decref(row);

	/* The inputs: no policy, no update. */
	OK(q_store_check_inputs(st, build, &row, &err));
	assert_string_equal(json_string_value(json_object_get(row, "rpmlint_config")), "");
	assert_int_equal(json_integer_value(json_object_get(row, "update_id")), 0);
	assert_int_equal(json_array_size(json_object_get(row, "others")), 0);
	json_decref(row);
	assert_int_equal(q_store_check_inputs(st, 999, &row, &err), -1);
	assert_int_equal(err.code, Q_ENOTFOUND);
	q_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_disttag),     cmocka_unit_test(test_closure),
	    cmocka_unit_test(test_conflicts),   cmocka_unit_test(test_results),
	    cmocka_unit_test(test_input_json),  cmocka_unit_test(test_rpmlint),
	    cmocka_unit_test(test_installable), cmocka_unit_test(test_isolated),
	    cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
