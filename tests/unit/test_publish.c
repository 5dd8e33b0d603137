/*
 * test_publish.c: RPM inspection (src/publish/rpm.c) and repo publishing
 * (src/publish/publish.c) against real files: tiny RPMs built with rpmbuild
 * at test time, the real dnf reading the result, gpg checking signatures,
 * and publishes racing in threads and in a forked process.
 *
 * QUARRY_BENCH_N=2000 adds a benchmark: N packages (one spec, N
 * subpackages), a full and an incremental publish, timed against
 * createrepo_c and createrepo_c --update on the same files.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "publish/publish.h"
#include "publish/rpm.h"
#include "sign/sign.h"

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <createrepo_c/createrepo_c.h>

#define PATHLEN 1024

static char tmp[256]; /* this run's directory */
static int have_dnf;

/* The packages the tests publish. */
enum { PKG_A, PKG_B, PKG_C, PKG_A2, PKG_SRC, PKG_COUNT };
static char rpm_path[PKG_COUNT][PATHLEN];
static struct q_rpm_info info[PKG_COUNT];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* snprintf that fails the test instead of truncating. */
static int pathf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < cap);
	return n;
}

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

/* Output of a shell command (at most cap-1 bytes). */
static int sh_out(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int sh_out(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[8192];
	size_t got = 0;
	va_list ap;
	FILE *p;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (got + 1 < cap) {
		size_t n = fread(out + got, 1, cap - 1 - got, p);
		if (n == 0)
			break;
		got += n;
	}
	out[got] = '\0';
	rc = pclose(p);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void write_text(const char *path, const char *text)
{
	struct q_error err = {0};

	assert_int_equal(q_fs_write_atomic(path, text, strlen(text), 0644, &err), 0);
}

/* Build NAME-VERSION-1.el9.mc.ARCH.rpm (or the SRPM) into out. */
static int build_rpm(const char *name, const char *version, const char *arch, const char *text,
		     int source, char *out)
{
	static int seq;
	char top[PATHLEN], spec[PATHLEN], body[4096];
	struct q_error err = {0};

	pathf(top, sizeof(top), "%s/build-%d", tmp, seq++);
	pathf(spec, sizeof(spec), "%s.spec", top);
	pathf(body, sizeof(body),
	      "%%global debug_package %%{nil}\n"
	      "Name: %s\nVersion: %s\nRelease: 1%%{?dist}\n"
	      "Summary: Quarry test package %s\nLicense: MIT\nBuildArch: %s\n"
	      "%%description\n%s\n"
	      "%%install\nmkdir -p %%{buildroot}/usr/share/%s\n"
	      "echo '%s' > %%{buildroot}/usr/share/%s/README\n"
	      "%%files\n/usr/share/%s/README\n"
	      "%%changelog\n* Mon Jan 01 2024 Quarry Tests <tests@example.org> - %s-1\n- test\n",
	      name, version, name, arch, text, name, text, name, name, version);
	if (q_fs_write_atomic(spec, body, strlen(body), 0644, &err) < 0)
		return -1;
	if (sh("rpmbuild %s --quiet --define '_topdir %s' --define 'dist .el9.mc' "
	       "--define '_build_id_links none' '%s' >'%s.log' 2>&1",
	       source ? "-bs" : "-bb", top, spec, top) != 0)
		return -1;
	if (source)
		pathf(out, PATHLEN, "%s/SRPMS/%s-%s-1.el9.mc.src.rpm", top, name, version);
	else
		pathf(out, PATHLEN, "%s/RPMS/%s/%s-%s-1.el9.mc.%s.rpm", top, arch, name, version,
		      arch);
	return q_fs_exists(out) ? 0 : -1;
}

static int setup(void **state)
{
	struct q_error err = {0};

	(void)state;
	pathf(tmp, sizeof(tmp), "/tmp/quarry-test-publish-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	if (build_rpm("quarry-a", "1.0", "noarch", "package a", 0, rpm_path[PKG_A]) < 0 ||
	    build_rpm("quarry-b", "2.1", "x86_64", "package b", 0, rpm_path[PKG_B]) < 0 ||
	    build_rpm("quarry-c", "0.3", "noarch", "package c", 0, rpm_path[PKG_C]) < 0 ||
	    build_rpm("quarry-a", "1.0", "noarch", "package a, rebuilt", 0, rpm_path[PKG_A2]) < 0 ||
	    build_rpm("quarry-a", "1.0", "noarch", "package a", 1, rpm_path[PKG_SRC]) < 0) {
		fprintf(stderr, "rpmbuild failed, see %s/build-*.log\n", tmp);
		return -1;
	}
	for (int i = 0; i < PKG_COUNT; i++) {
		const char *base = strrchr(rpm_path[i], '/') + 1;

		if (q_rpm_inspect(rpm_path[i], base, &info[i], &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return -1;
		}
	}
	have_dnf = sh("command -v dnf >/dev/null") == 0;
	return 0;
}

static int teardown(void **state)
{
	struct q_error err = {0};
	char keys[PATHLEN], verify[PATHLEN];

	(void)state;
	for (int i = 0; i < PKG_COUNT; i++)
		q_rpm_info_release(&info[i]);
	pathf(keys, sizeof(keys), "%s/keys", tmp);
	pathf(verify, sizeof(verify), "%s/verify", tmp);
	q_signer_shutdown_agent(keys);
	q_signer_shutdown_agent(verify);
	q_fs_remove_tree(tmp, &err);
	return 0;
}

static struct q_publish_pkg pkg_of(int i)
{
	return (struct q_publish_pkg){
	    .sha256 = info[i].sha256,
	    .filename = info[i].filename,
	    .store_path = rpm_path[i],
	    .primary_xml = info[i].primary_xml,
	    .filelists_xml = info[i].filelists_xml,
	    .other_xml = info[i].other_xml,
	};
}

static void arch_dir(char *out, const char *name)
{
	pathf(out, PATHLEN, "%s/pub/sig/9/mc/x86_64/%s", tmp, name);
}

/* "name-version-release.arch" lines dnf sees in dir, sorted. */
static int dnf_list(const char *dir, char *out, size_t cap)
{
	static int seq;
	char root[PATHLEN], conf[PATHLEN];
	int n = seq++;

	pathf(root, sizeof(root), "%s/dnf-%d", tmp, n);
	pathf(conf, sizeof(conf), "%s/dnf-%d.conf", tmp, n);
	write_text(conf, "[main]\n");
	return sh_out(
	    out, cap,
	    "dnf -q --installroot '%s' --releasever 9 --setopt=reposdir=/dev/null "
	    "--config '%s' --setopt=cachedir='%s.cache' --repofrompath=t,file://%s "
	    "--repo=t repoquery --available --qf '%%{name}-%%{version}-%%{release}.%%{arch}' "
	    "2>&1 | sort",
	    root, conf, root, dir);
}

static void assert_dnf_sees(const char *dir, const char *expected)
{
	char out[8192];

	if (!have_dnf) {
		print_message("dnf not installed: skipping the dnf check\n");
		return;
	}
	assert_int_equal(dnf_list(dir, out, sizeof(out)), 0);
	assert_string_equal(out, expected);
}

static int publish(const char *dir, const int *which, size_t n, const char *last,
		   struct q_signer *signer, const char *fpr, int64_t grace,
		   struct q_publish_result *res, struct q_error *err)
{
	struct q_publish_pkg pkgs[PKG_COUNT];
	struct q_publish_req req = {
	    .arch_dir = dir,
	    .pkgs = pkgs,
	    .n_pkgs = n,
	    .last_digest = last,
	    .signer = signer,
	    .key_fpr = fpr,
	    .grace_seconds = grace,
	};

	for (size_t i = 0; i < n; i++)
		pkgs[i] = pkg_of(which[i]);
	return q_publish_repo(&req, res, err);
}

/* Names of the files under DIR/repodata a repomd.xml lists, one string. */
static void repomd_files(const char *repomd_path, char *out, size_t cap)
{
	char *xml = NULL, *p;
	struct q_error err = {0};
	size_t used = 0;

	assert_int_equal(q_fs_read_file(repomd_path, 1 << 20, &xml, NULL, &err), 0);
	out[0] = '\0';
	for (p = xml; (p = strstr(p, "href=\"repodata/"));) {
		char *end;

		p += strlen("href=\"repodata/");
		end = strchr(p, '"');
		assert_non_null(end);
		used += (size_t)pathf(out + used, cap - used, "%.*s\n", (int)(end - p), p);
		assert_true(used < cap);
	}
	free(xml);
}

/* ---- inspection --------------------------------------------------------- */

static void test_inspect(void **state)
{
	char sum[Q_SHA256_HEX], href[PATHLEN];
	struct q_error err = {0};
	struct stat st;

	(void)state;
	assert_string_equal(info[PKG_A].nevra, "quarry-a-1.0-1.el9.mc.noarch");
	assert_string_equal(info[PKG_A].filename, "quarry-a-1.0-1.el9.mc.noarch.rpm");
	assert_string_equal(info[PKG_A].epoch, "0");
	assert_string_equal(info[PKG_B].nevra, "quarry-b-2.1-1.el9.mc.x86_64");
	assert_string_equal(info[PKG_B].arch, "x86_64");
	for (int i = 0; i < PKG_COUNT; i++) {
		assert_int_equal(q_hash_sha256_file(rpm_path[i], sum, &err), 0);
		assert_string_equal(info[i].sha256, sum);
		assert_int_equal(stat(rpm_path[i], &st), 0);
		assert_int_equal(info[i].size, (uint64_t)st.st_size);
		assert_non_null(strstr(info[i].primary_xml, "<package type=\"rpm\">"));
		assert_non_null(strstr(info[i].primary_xml, sum));
		pathf(href, sizeof(href), "<location href=\"Packages/%s\"/>", info[i].filename);
		assert_non_null(strstr(info[i].primary_xml, href));
		/* A source package lists its spec, a binary one what it installs. */
		assert_non_null(strstr(info[i].filelists_xml,
				       i == PKG_SRC ? ".spec</file>" : "/README</file>"));
		assert_non_null(strstr(info[i].other_xml, "<changelog"));
	}
	assert_int_equal(info[PKG_A].is_source, 0);
	assert_int_equal(info[PKG_SRC].is_source, 1);
	assert_string_equal(info[PKG_SRC].filename, "quarry-a-1.0-1.el9.mc.src.rpm");
	/* Same NEVRA, different bytes. */
	assert_string_equal(info[PKG_A2].filename, info[PKG_A].filename);
	assert_string_not_equal(info[PKG_A2].sha256, info[PKG_A].sha256);
}

static void expect_refused(const char *path, const char *display, const char *why)
{
	struct q_rpm_info bad;
	struct q_error err = {0};
	char quoted[PATHLEN];

	assert_int_equal(q_rpm_inspect(path, display, &bad, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	pathf(quoted, sizeof(quoted), "'%s'", display);
	if (!strstr(err.msg, quoted) || !strstr(err.msg, why))
		fail_msg("message '%s' does not name %s and '%s'", err.msg, quoted, why);
	assert_null(bad.name);
	assert_null(bad.primary_xml);
}

static void test_inspect_refuses(void **state)
{
	char path[PATHLEN], *data = NULL;
	struct q_error err = {0};
	size_t len = 0;

	(void)state;
	pathf(path, sizeof(path), "%s/junk.rpm", tmp);
	write_text(path, "this is not an rpm, just some text that is long enough\n");
	expect_refused(path, "junk.rpm", "not an RPM");
	write_text(path, "");
	expect_refused(path, "empty.rpm", "not an RPM");

	assert_int_equal(q_fs_read_file(rpm_path[PKG_B], 1 << 24, &data, &len, &err), 0);
	pathf(path, sizeof(path), "%s/trunc.rpm", tmp);
	/* Cut in the payload, in the main header, in the signature header. */
	assert_int_equal(q_fs_write_atomic(path, data, len - 100, 0644, &err), 0);
	expect_refused(path, "quarry-b-2.1-1.el9.mc.x86_64.rpm", "truncated");
	assert_int_equal(q_fs_write_atomic(path, data, len / 2 + 1200, 0644, &err), 0);
	expect_refused(path, "b.rpm", "truncated");
	assert_int_equal(q_fs_write_atomic(path, data, 300, 0644, &err), 0);
	expect_refused(path, "c.rpm", "truncated");
	assert_int_equal(q_fs_write_atomic(path, data, 90, 0644, &err), 0);
	expect_refused(path, "d.rpm", "truncated");
	/* Trailing bytes after the payload. */
	{
		char *more = malloc(len + 10);

		assert_non_null(more);
		memcpy(more, data, len);
		memset(more + len, 'x', 10);
		assert_int_equal(q_fs_write_atomic(path, more, len + 10, 0644, &err), 0);
		free(more);
	}
	expect_refused(path, "e.rpm", "trailing");
	/* A changed byte in the main header fails librpm's header digest. */
	{
		char *summary = memmem(data, len, "Quarry test package", 19);

		assert_non_null(summary);
		summary[0] = 'q';
		assert_int_equal(q_fs_write_atomic(path, data, len, 0644, &err), 0);
		expect_refused(path, "f.rpm", "not a valid RPM");
	}
	free(data);
}

struct inspect_job {
	int ok;
};

static void *inspect_thread(void *arg)
{
	struct inspect_job *j = arg;
	struct q_error err = {0};

	j->ok = 1;
	for (int round = 0; round < 20 && j->ok; round++) {
		for (int i = 0; i < PKG_COUNT && j->ok; i++) {
			struct q_rpm_info got;

			if (q_rpm_inspect(rpm_path[i], "x.rpm", &got, &err) < 0) {
				j->ok = 0;
				break;
			}
			j->ok = strcmp(got.primary_xml, info[i].primary_xml) == 0;
			q_rpm_info_release(&got);
		}
	}
	return NULL;
}

/* The hub inspects uploads on several event-loop threads at once. */
static void test_inspect_threads(void **state)
{
	struct inspect_job jobs[4];
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, inspect_thread, &jobs[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(jobs[i].ok);
	}
}

/* ---- publishing --------------------------------------------------------- */

static void test_set_digest(void **state)
{
	struct q_publish_pkg p[3] = {pkg_of(PKG_A), pkg_of(PKG_B), pkg_of(PKG_A)};
	struct q_publish_pkg q[2] = {pkg_of(PKG_B), pkg_of(PKG_A)};
	char d1[65], d2[65], d3[65], d4[65];

	(void)state;
	q_publish_set_digest(p, 3, NULL, d1);
	q_publish_set_digest(q, 2, NULL, d2);
	assert_string_equal(d1, d2); /* order and duplicates do not matter */
	q_publish_set_digest(q, 2, "0123456789ABCDEF0123456789ABCDEF01234567", d3);
	assert_string_not_equal(d1, d3); /* the key does */
	q_publish_set_digest(q, 1, NULL, d4);
	assert_string_not_equal(d1, d4);
	assert_true(q_is_hex(d1, 64));
}

static void test_publish_flow(void **state)
{
	const int ab[] = {PKG_A, PKG_B}, abc[] = {PKG_A, PKG_B, PKG_C};
	struct q_publish_result r1, r2, r3;
	struct q_digests dg;
	struct q_error err = {0};
	char dir[PATHLEN], repomd[PATHLEN], path[PATHLEN], first[4096], now_files[4096];
	struct stat st1, st2;
	size_t size;

	(void)state;
	arch_dir(dir, "flow");
	assert_int_equal(publish(dir, ab, 2, NULL, NULL, NULL, 3600, &r1, &err), 0);
	assert_int_equal(r1.changed, 1);
	pathf(repomd, sizeof(repomd), "%s/repodata/repomd.xml", dir);
	assert_true(q_fs_exists(repomd));
	assert_int_equal(q_hash_digests_file(repomd, &dg, &size, &err), 0);
	assert_string_equal(dg.sha256, r1.repomd.sha256);
	assert_string_equal(dg.sha512, r1.repomd.sha512);
	assert_int_equal(size, r1.repomd_size);
	assert_true(r1.timestamp > 1700000000);
	pathf(path, sizeof(path), "%s/Packages/%s", dir, info[PKG_A].filename);
	assert_true(q_fs_exists(path));
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n");
	repomd_files(repomd, first, sizeof(first));
	assert_non_null(strstr(first, "-primary.xml.gz\n"));
	assert_non_null(strstr(first, "-filelists.xml.gz\n"));
	assert_non_null(strstr(first, "-other.xml.gz\n"));

	/* The same set again: nothing is written. */
	assert_int_equal(stat(repomd, &st1), 0);
	assert_int_equal(publish(dir, ab, 2, r1.set_digest, NULL, NULL, 3600, &r2, &err), 0);
	assert_int_equal(r2.changed, 0);
	assert_string_equal(r2.set_digest, r1.set_digest);
	assert_string_equal(r2.repomd.sha256, r1.repomd.sha256);
	assert_int_equal(r2.timestamp, r1.timestamp);
	assert_int_equal(stat(repomd, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st1.st_mtim.tv_sec, st2.st_mtim.tv_sec);
	assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);

	/* One more package: a new repodata, the old files kept for the grace. */
	assert_int_equal(publish(dir, abc, 3, r1.set_digest, NULL, NULL, 3600, &r3, &err), 0);
	assert_int_equal(r3.changed, 1);
	assert_string_not_equal(r3.set_digest, r1.set_digest);
	assert_string_not_equal(r3.repomd.sha256, r1.repomd.sha256);
	assert_int_equal(stat(repomd, &st2), 0);
	assert_int_not_equal(st1.st_ino, st2.st_ino);
	for (char *line = first, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		pathf(path, sizeof(path), "%s/repodata/%.*s", dir, (int)(nl - line), line);
		if (!q_fs_exists(path))
			fail_msg("'%s' of the previous repodata is gone", path);
	}
	repomd_files(repomd, now_files, sizeof(now_files));
	assert_string_not_equal(now_files, first);
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n"
			     "quarry-c-0.3-1.el9.mc.noarch\n");

	/* Drop c with a grace period: Packages/ keeps it, the journal says when. */
	assert_int_equal(publish(dir, ab, 2, r3.set_digest, NULL, NULL, 3600, &r2, &err), 0);
	assert_int_equal(r2.changed, 1);
	pathf(path, sizeof(path), "%s/Packages/%s", dir, info[PKG_C].filename);
	assert_true(q_fs_exists(path));
	pathf(path, sizeof(path), "%s/.packages-gone", dir);
	assert_true(q_fs_exists(path));
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n");
	/* Two generations later the first one's files are still there. */
	for (char *line = first, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		pathf(path, sizeof(path), "%s/repodata/%.*s", dir, (int)(nl - line), line);
		if (!q_fs_exists(path))
			fail_msg("'%s' is gone inside the grace period", path);
	}

	/* Without a grace period: c and every old metadata file go. */
	assert_int_equal(publish(dir, ab, 2, NULL, NULL, NULL, 0, &r2, &err), 0);
	pathf(path, sizeof(path), "%s/Packages/%s", dir, info[PKG_C].filename);
	assert_false(q_fs_exists(path));
	pathf(path, sizeof(path), "%s/.packages-gone", dir);
	assert_false(q_fs_exists(path));
	repomd_files(repomd, now_files, sizeof(now_files));
	{
		DIR *d;
		struct dirent *de;
		int files = 0, olds = 0;

		pathf(path, sizeof(path), "%s/repodata", dir);
		d = opendir(path);
		assert_non_null(d);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				files++;
		closedir(d);
		assert_int_equal(files, 4); /* 3 metadata files + repomd.xml */
		d = opendir(dir);
		assert_non_null(d);
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, ".repodata.", 10))
				olds++;
		closedir(d);
		assert_int_equal(olds, 0);
	}
}

static void test_publish_replaced_package(void **state)
{
	const int a[] = {PKG_A}, a2[] = {PKG_A2};
	struct q_publish_result r;
	struct q_error err = {0};
	char dir[PATHLEN], path[PATHLEN], sum[Q_SHA256_HEX];

	(void)state;
	arch_dir(dir, "replaced");
	assert_int_equal(publish(dir, a, 1, NULL, NULL, NULL, 3600, &r, &err), 0);
	assert_int_equal(publish(dir, a2, 1, r.set_digest, NULL, NULL, 3600, &r, &err), 0);
	assert_int_equal(r.changed, 1);
	pathf(path, sizeof(path), "%s/Packages/%s", dir, info[PKG_A2].filename);
	assert_int_equal(q_hash_sha256_file(path, sum, &err), 0);
	assert_string_equal(sum, info[PKG_A2].sha256);
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\n");
}

static void test_publish_refuses(void **state)
{
	struct q_publish_pkg p[2] = {pkg_of(PKG_A), pkg_of(PKG_A2)};
	struct q_publish_req req = {.pkgs = p, .n_pkgs = 2, .grace_seconds = 60};
	struct q_publish_result r;
	struct q_error err = {0};
	char dir[PATHLEN];

	(void)state;
	arch_dir(dir, "refused");
	req.arch_dir = dir;
	/* Two different files under one name. */
	assert_int_equal(q_publish_repo(&req, &r, &err), -1);
	assert_int_equal(err.code, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, info[PKG_A].filename));
	/* A file name that would leave Packages/. */
	p[1] = pkg_of(PKG_B);
	p[1].filename = "../../evil.rpm";
	assert_int_equal(q_publish_repo(&req, &r, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	p[1] = pkg_of(PKG_B);
	p[1].sha256 = "nothex";
	assert_int_equal(q_publish_repo(&req, &r, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	pathf(dir, sizeof(dir), "%s/pub/sig/9/mc/x86_64/refused/repodata", tmp);
	assert_false(q_fs_exists(dir));
}

static void test_publish_empty(void **state)
{
	struct q_publish_result r;
	struct q_error err = {0};
	char dir[PATHLEN];

	(void)state;
	arch_dir(dir, "empty");
	assert_int_equal(publish(dir, NULL, 0, NULL, NULL, NULL, 60, &r, &err), 0);
	assert_int_equal(r.changed, 1);
	assert_dnf_sees(dir, "");
}

static void test_publish_signed(void **state)
{
	const int ab[] = {PKG_A, PKG_B};
	struct q_publish_result r;
	struct q_error err = {0};
	struct q_signer *s;
	char dir[PATHLEN], keys[PATHLEN], verify[PATHLEN], pubpath[PATHLEN];
	char *fpr = NULL, *pub = NULL, digest_unsigned[65];

	(void)state;
	pathf(keys, sizeof(keys), "%s/keys", tmp);
	pathf(verify, sizeof(verify), "%s/verify", tmp);
	assert_int_equal(mkdir(verify, 0700), 0);
	s = q_signer_open(keys, &err);
	assert_non_null(s);
	assert_int_equal(
	    q_signer_keygen(s, "Quarry MC SIG", "mc@example.org", "rsa2048", &fpr, &err), 0);
	assert_int_equal(q_signer_export_public(s, fpr, &pub, NULL, &err), 0);
	pathf(pubpath, sizeof(pubpath), "%s/mc.asc", tmp);
	write_text(pubpath, pub);

	arch_dir(dir, "signed");
	assert_int_equal(publish(dir, ab, 2, NULL, NULL, NULL, 60, &r, &err), 0);
	pathf(digest_unsigned, sizeof(digest_unsigned), "%s", r.set_digest);
	/* The same packages, now signed: the digest changes, so it republishes. */
	assert_int_equal(publish(dir, ab, 2, digest_unsigned, s, fpr, 60, &r, &err), 0);
	assert_int_equal(r.changed, 1);
	assert_string_not_equal(r.set_digest, digest_unsigned);
	assert_int_equal(
	    sh("gpg --homedir '%s' --batch --quiet --import '%s' 2>/dev/null", verify, pubpath), 0);
	assert_int_equal(sh("gpg --homedir '%s' --batch --verify '%s/repodata/repomd.xml.asc' "
			    "'%s/repodata/repomd.xml' 2>/dev/null",
			    verify, dir, dir),
			 0);
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n");
	/* A signer without a key is refused. */
	assert_int_equal(publish(dir, ab, 2, NULL, s, NULL, 60, &r, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	free(fpr);
	free(pub);
	q_signer_close(s);
}

struct race {
	const char *dir;
	int which[3];
	size_t n;
	int rc;
	struct q_error err;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	struct q_publish_result res;

	for (int i = 0; i < 3 && r->rc == 0; i++)
		r->rc = publish(r->dir, r->which, r->n, NULL, NULL, NULL, 60, &res, &r->err);
	return NULL;
}

static void test_publish_concurrent(void **state)
{
	struct race r[2];
	pthread_t t[2];
	char dir[PATHLEN];
	pid_t pid;
	int status;

	(void)state;
	arch_dir(dir, "race");
	for (int i = 0; i < 2; i++) {
		r[i] = (struct race){.dir = dir, .which = {PKG_A, PKG_B, PKG_C}, .n = 3};
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, &r[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		if (r[i].rc != 0)
			fail_msg("thread %d: %s", i, r[i].err.msg);
	}
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n"
			     "quarry-c-0.3-1.el9.mc.noarch\n");

	/* A process and a thread of this one, publishing different sets. */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct race c = {.dir = dir, .which = {PKG_A, PKG_B}, .n = 2};
		race_thread(&c);
		if (c.rc != 0)
			fprintf(stderr, "child: %s\n", c.err.msg);
		_exit(c.rc == 0 ? 0 : 1);
	}
	r[0] = (struct race){.dir = dir, .which = {PKG_A, PKG_B}, .n = 2};
	race_thread(&r[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (r[0].rc != 0)
		fail_msg("parent: %s", r[0].err.msg);
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n");
}

static void test_publish_crash_leftovers(void **state)
{
	const int ab[] = {PKG_A, PKG_B}, abc[] = {PKG_A, PKG_B, PKG_C};
	struct q_publish_result r;
	struct q_error err = {0};
	char dir[PATHLEN], junk[PATHLEN], path[PATHLEN];

	(void)state;
	arch_dir(dir, "crash");
	assert_int_equal(publish(dir, ab, 2, NULL, NULL, NULL, 60, &r, &err), 0);
	/* A publish that died half-way: a partial new repodata. */
	pathf(junk, sizeof(junk), "%s/.repodata.new-999999-0", dir);
	assert_int_equal(mkdir(junk, 0755), 0);
	pathf(path, sizeof(path), "%s/primary.xml.gz", junk);
	write_text(path, "half a file");
	pathf(path, sizeof(path), "%s/repomd.xml", junk);
	write_text(path, "<repomd");
	/* Unchanged publish: the leftover goes, repodata/ is untouched. */
	assert_int_equal(publish(dir, ab, 2, r.set_digest, NULL, NULL, 60, &r, &err), 0);
	assert_int_equal(r.changed, 0);
	assert_false(q_fs_exists(junk));
	/* Again, then a changed publish. */
	assert_int_equal(mkdir(junk, 0755), 0);
	assert_int_equal(publish(dir, abc, 3, r.set_digest, NULL, NULL, 60, &r, &err), 0);
	assert_int_equal(r.changed, 1);
	assert_false(q_fs_exists(junk));
	pathf(path, sizeof(path), "%s/repodata/primary.xml.gz", dir);
	assert_false(q_fs_exists(path));
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n"
			     "quarry-c-0.3-1.el9.mc.noarch\n");

	/* A damaged repomd.xml with an unchanged set is written again. */
	pathf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
	write_text(path, "<repomd");
	assert_int_equal(publish(dir, abc, 3, r.set_digest, NULL, NULL, 60, &r, &err), 0);
	assert_int_equal(r.changed, 1);
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n"
			     "quarry-c-0.3-1.el9.mc.noarch\n");
}

/* ---- metadata cache and package manifest -------------------------------- */

/* The current FILE (e.g. "-primary.xml.gz") of DIR/repodata as a path. */
static void current_md(const char *dir, const char *suffix, char *out)
{
	char repomd[PATHLEN], files[4096], *p, *nl;

	pathf(repomd, sizeof(repomd), "%s/repodata/repomd.xml", dir);
	repomd_files(repomd, files, sizeof(files));
	for (p = files; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		if (strlen(p) > strlen(suffix) && !strcmp(p + strlen(p) - strlen(suffix), suffix)) {
			pathf(out, PATHLEN, "%s/repodata/%s", dir, p);
			return;
		}
	}
	fail_msg("no '%s' in %s", suffix, repomd);
}

/* What createrepo_c's own writer makes of these packages' chunks. */
static void reference_xml(const int *which, size_t n, int kind, const char *path)
{
	static const cr_XmlFileType types[3] = {CR_XMLFILE_PRIMARY, CR_XMLFILE_FILELISTS,
						CR_XMLFILE_OTHER};
	GError *ge = NULL;
	cr_XmlFile *f;

	unlink(path);
	f = cr_xmlfile_sopen(path, types[kind], CR_CW_NO_COMPRESSION, NULL, &ge);
	assert_non_null(f);
	assert_int_equal(cr_xmlfile_set_num_of_pkgs(f, (long)n, &ge), CRE_OK);
	for (size_t i = 0; i < n; i++) {
		const struct q_rpm_info *in = &info[which[i]];
		const char *chunk = kind == 0   ? in->primary_xml
				    : kind == 1 ? in->filelists_xml
						: in->other_xml;
		assert_int_equal(cr_xmlfile_add_chunk(f, chunk, &ge), CRE_OK);
	}
	assert_int_equal(cr_xmlfile_close(f, &ge), CRE_OK);
}

/*
 * DIR's three metadata files, gunzipped (by zlib's gzip, Python's gzip and
 * createrepo_c's reader), are byte for byte what cr_xmlfile writes for the
 * packages (which[] sorted by file name), and repomd.xml has their sizes
 * and checksums.
 */
static void assert_xml_is_reference(const char *dir, const int *which, size_t n)
{
	static const char *const kinds[3] = {"primary", "filelists", "other"};
	char gz[PATHLEN], ref[PATHLEN], suffix[64], sum[Q_SHA256_HEX], *repomd = NULL;
	char path[PATHLEN];
	struct q_error err = {0};

	pathf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
	assert_int_equal(q_fs_read_file(path, 1 << 20, &repomd, NULL, &err), 0);
	for (int k = 0; k < 3; k++) {
		pathf(suffix, sizeof(suffix), "-%s.xml.gz", kinds[k]);
		current_md(dir, suffix, gz);
		pathf(ref, sizeof(ref), "%s/ref-%s.xml", tmp, kinds[k]);
		reference_xml(which, n, k, ref);
		if (sh("zcat '%s' | cmp -s - '%s'", gz, ref) != 0)
			fail_msg("gunzip of %s differs from createrepo_c's %s", gz, ref);
		assert_int_equal(sh("python3 -c 'import gzip,sys; "
				    "sys.exit(gzip.open(sys.argv[1]).read() != "
				    "open(sys.argv[2], \"rb\").read())' '%s' '%s'",
				    gz, ref),
				 0);
		assert_int_equal(q_hash_sha256_file(ref, sum, &err), 0);
		if (!strstr(repomd, sum))
			fail_msg("repomd.xml lacks the open-checksum %s of %s", sum, kinds[k]);
		assert_int_equal(q_hash_sha256_file(gz, sum, &err), 0);
		if (!strstr(gz, sum))
			fail_msg("%s is not named by its checksum", gz);
	}
	free(repomd);
	/* createrepo_c's parser reads every member: mergerepo_c keeps them all. */
	assert_int_equal(sh("rm -rf '%s/merged' && mergerepo_c --no-database --repo 'file://%s' "
			    "-o '%s/merged' >/dev/null 2>&1 && test \"$(zcat %s/merged/repodata/"
			    "*-primary.xml.gz | grep -c '<package type=')\" = %zu",
			    tmp, dir, tmp, tmp, n),
			 0);
}

static void test_publish_incremental_identical(void **state)
{
	const int a[] = {PKG_A}, ab[] = {PKG_A, PKG_B}, abc[] = {PKG_A, PKG_B, PKG_C};
	struct q_publish_result r;
	struct q_error err = {0};
	char incr[PATHLEN], scratch[PATHLEN], path[PATHLEN], f1[4096], f2[4096];

	(void)state;
	arch_dir(incr, "incremental");
	arch_dir(scratch, "scratch");
	assert_int_equal(publish(incr, a, 1, NULL, NULL, NULL, 3600, &r, &err), 0);
	assert_int_equal(publish(incr, ab, 2, r.set_digest, NULL, NULL, 3600, &r, &err), 0);
	assert_int_equal(publish(incr, abc, 3, r.set_digest, NULL, NULL, 3600, &r, &err), 0);
	assert_int_equal(publish(scratch, abc, 3, NULL, NULL, NULL, 3600, &r, &err), 0);
	/* Same members, so the same files (their names are their checksums). */
	pathf(path, sizeof(path), "%s/repodata/repomd.xml", incr);
	repomd_files(path, f1, sizeof(f1));
	pathf(path, sizeof(path), "%s/repodata/repomd.xml", scratch);
	repomd_files(path, f2, sizeof(f2));
	assert_string_equal(f1, f2);
	assert_xml_is_reference(incr, abc, 3);
	assert_xml_is_reference(scratch, abc, 3);
	/* Back to fewer packages (the cached blocks of before), and none. */
	assert_int_equal(publish(incr, ab, 2, r.set_digest, NULL, NULL, 3600, &r, &err), 0);
	assert_xml_is_reference(incr, ab, 2);
	assert_int_equal(publish(incr, NULL, 0, r.set_digest, NULL, NULL, 3600, &r, &err), 0);
	assert_xml_is_reference(incr, NULL, 0);
	assert_int_equal(publish(incr, abc, 3, r.set_digest, NULL, NULL, 3600, &r, &err), 0);
	assert_xml_is_reference(incr, abc, 3);

	/* The real dnf installs from the multi-member files. */
	if (have_dnf) {
		char root[PATHLEN], conf[PATHLEN], out[4096];

		pathf(root, sizeof(root), "%s/install-root", tmp);
		pathf(conf, sizeof(conf), "%s/install.conf", tmp);
		write_text(conf, "[main]\n");
		assert_int_equal(
		    sh("dnf -y -q --installroot '%s' --releasever 9 --setopt=reposdir=/dev/null "
		       "--config '%s' --setopt=cachedir='%s.cache' --repofrompath=t,file://%s "
		       "--repo=t --nogpgcheck install quarry-c quarry-b >'%s.log' 2>&1",
		       root, conf, root, incr, root),
		    0);
		assert_int_equal(sh_out(out, sizeof(out), "rpm --root '%s' -qa | sort", root), 0);
		assert_string_equal(out,
				    "quarry-b-2.1-1.el9.mc.x86_64\nquarry-c-0.3-1.el9.mc.noarch\n");
	} else {
		print_message("dnf not installed: skipping the dnf install\n");
	}
}

/* The .mdcache files of DIR, as paths. */
static size_t cache_files(const char *dir, char paths[][PATHLEN], size_t cap)
{
	char cdir[PATHLEN];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	pathf(cdir, sizeof(cdir), "%s/.mdcache", dir);
	d = opendir(cdir);
	assert_non_null(d);
	while ((de = readdir(d)) && n < cap)
		if (de->d_name[0] != '.')
			pathf(paths[n++], PATHLEN, "%s/%s", cdir, de->d_name);
	closedir(d);
	return n;
}

static void test_publish_cache_damaged(void **state)
{
	const int ab[] = {PKG_A, PKG_B};
	struct q_publish_pkg pkgs[2] = {pkg_of(PKG_A), pkg_of(PKG_B)};
	struct q_publish_req req = {.pkgs = pkgs, .n_pkgs = 2, .grace_seconds = 3600, .force = 1};
	struct q_publish_result r;
	struct q_error err = {0};
	char dir[PATHLEN], path[PATHLEN], before[4096], after[4096], files[16][PATHLEN];
	char sum[Q_SHA256_HEX], *data = NULL;
	size_t n, len = 0;

	(void)state;
	arch_dir(dir, "damaged");
	req.arch_dir = dir;
	assert_int_equal(publish(dir, ab, 2, NULL, NULL, NULL, 3600, &r, &err), 0);
	pathf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
	repomd_files(path, before, sizeof(before));
	n = cache_files(dir, files, 16);
	assert_true(n >= 3); /* a block of each kind at least */
	/* Short, changed, empty: every one is caught and compressed again. */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(q_fs_read_file(files[i], 1 << 24, &data, &len, &err), 0);
		if (i % 3 == 0)
			len /= 2;
		else if (i % 3 == 1)
			data[len / 2] ^= 0x55;
		else
			len = 0;
		assert_int_equal(q_fs_write_atomic(files[i], data, len, 0644, &err), 0);
		free(data);
	}
	assert_int_equal(q_publish_repo(&req, &r, &err), 0);
	assert_int_equal(r.changed, 1);
	repomd_files(path, after, sizeof(after));
	assert_string_equal(after, before); /* the same bytes again */
	assert_xml_is_reference(dir, ab, 2);
	n = cache_files(dir, files, 16);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(q_hash_sha256_file(files[i], sum, &err), 0);
		if (!strstr(files[i], sum))
			fail_msg("'%s' is still damaged", files[i]);
	}
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n");
}

static void test_publish_manifest(void **state)
{
	const int ab[] = {PKG_A, PKG_B}, abc[] = {PKG_A, PKG_B, PKG_C};
	const int a[] = {PKG_A}, a2[] = {PKG_A2};
	struct q_publish_result r;
	struct q_error err = {0};
	char dir[PATHLEN], path[PATHLEN], manifest[PATHLEN], sum[Q_SHA256_HEX];
	char *text = NULL;

	(void)state;
	arch_dir(dir, "manifest");
	pathf(manifest, sizeof(manifest), "%s/.packages-manifest", dir);
	assert_int_equal(publish(dir, ab, 2, NULL, NULL, NULL, 3600, &r, &err), 0);
	assert_int_equal(q_fs_read_file(manifest, 1 << 20, &text, NULL, &err), 0);
	assert_non_null(strstr(text, info[PKG_A].sha256));
	assert_non_null(strstr(text, info[PKG_B].filename));
	free(text);

	/* A listed file removed behind our back is put back. */
	pathf(path, sizeof(path), "%s/Packages/%s", dir, info[PKG_B].filename);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(publish(dir, abc, 3, r.set_digest, NULL, NULL, 3600, &r, &err), 0);
	assert_true(q_fs_exists(path));

	/* A damaged manifest is ignored (every package checked) and rewritten. */
	write_text(manifest, "quarry-packages-manifest 1\nnot a line\n");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(publish(dir, ab, 2, r.set_digest, NULL, NULL, 0, &r, &err), 0);
	assert_true(q_fs_exists(path));
	assert_int_equal(q_fs_read_file(manifest, 1 << 20, &text, NULL, &err), 0);
	assert_null(strstr(text, "not a line"));
	/* c left the set (grace 0: its file is gone): not listed any more. */
	assert_null(strstr(text, info[PKG_C].filename));
	pathf(path, sizeof(path), "%s/Packages/%s", dir, info[PKG_C].filename);
	assert_false(q_fs_exists(path));
	free(text);
	assert_dnf_sees(dir, "quarry-a-1.0-1.el9.mc.noarch\nquarry-b-2.1-1.el9.mc.x86_64\n");

	/* Same name, other bytes, and back: the file follows every time. */
	arch_dir(dir, "manifest-replaced");
	pathf(path, sizeof(path), "%s/Packages/%s", dir, info[PKG_A].filename);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(publish(dir, a, 1, NULL, NULL, NULL, 3600, &r, &err), 0);
		assert_int_equal(q_hash_sha256_file(path, sum, &err), 0);
		assert_string_equal(sum, info[PKG_A].sha256);
		assert_int_equal(publish(dir, a2, 1, NULL, NULL, NULL, 3600, &r, &err), 0);
		assert_int_equal(q_hash_sha256_file(path, sum, &err), 0);
		assert_string_equal(sum, info[PKG_A2].sha256);
	}
}

/* ---- benchmark (QUARRY_BENCH_N) ----------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_pkg_name(const void *a, const void *b)
{
	return strcmp(((const struct q_publish_pkg *)a)->filename,
		      ((const struct q_publish_pkg *)b)->filename);
}

static void test_bench(void **state)
{
	const char *env = getenv("QUARRY_BENCH_N");
	long n = env ? strtol(env, NULL, 10) : 0;
	char top[PATHLEN], spec[PATHLEN], rpms[PATHLEN], dir[PATHLEN], extra[PATHLEN];
	struct q_rpm_info *inf;
	struct q_publish_pkg *pkgs;
	struct q_publish_req req = {0};
	struct q_publish_result res;
	struct q_error err = {0};
	char **paths;
	FILE *f;
	double t;

	(void)state;
	if (n <= 0) {
		skip();
		return;
	}
	q_log_set_level(Q_LOG_DEBUG); /* publish.c logs the time of each phase */
	/* QUARRY_BENCH_DIR keeps the built RPMs across runs (rpmbuild is slow). */
	if (getenv("QUARRY_BENCH_DIR"))
		pathf(top, sizeof(top), "%s", getenv("QUARRY_BENCH_DIR"));
	else
		pathf(top, sizeof(top), "%s/bench", tmp);
	pathf(spec, sizeof(spec), "%s/bench.spec", tmp);
	f = fopen(spec, "w");
	assert_non_null(f);
	fprintf(f, "%%global debug_package %%{nil}\nName: bench\nVersion: 1\nRelease: 1%%{?dist}\n"
		   "Summary: bench\nLicense: MIT\nBuildArch: noarch\n%%description\nbench\n");
	for (long i = 0; i < n; i++)
		fprintf(f,
			"%%package -n bench-%ld\nSummary: bench %ld\n%%description -n bench-%ld\n"
			"Benchmark package %ld.\n",
			i, i, i, i);
	fprintf(f,
		"%%install\nfor i in $(seq 0 %ld); do mkdir -p %%{buildroot}/usr/share/bench/$i; "
		"echo $i > %%{buildroot}/usr/share/bench/$i/f; done\n",
		n - 1);
	for (long i = 0; i < n; i++)
		fprintf(f, "%%files -n bench-%ld\n/usr/share/bench/%ld/f\n", i, i);
	fclose(f);
	t = now_s();
	pathf(rpms, sizeof(rpms), "%s/RPMS/noarch/bench-%ld-1-1.el9.mc.noarch.rpm", top, n - 1);
	if (!q_fs_exists(rpms))
		assert_int_equal(
		    sh("rpmbuild -bb --quiet --define '_topdir %s' --define 'dist .el9.mc' "
		       "--define '_build_id_links none' '%s' >'%s.log' 2>&1",
		       top, spec, top),
		    0);
	print_message("rpmbuild of %ld packages: %.1fs\n", n, now_s() - t);

	inf = calloc((size_t)n + 3, sizeof(*inf));
	pkgs = calloc((size_t)n + 3, sizeof(*pkgs));
	paths = calloc((size_t)n + 3, sizeof(*paths));
	pathf(rpms, sizeof(rpms), "%s/RPMS/noarch", top);
	t = now_s();
	for (long i = 0; i < n; i++) {
		char p[PATHLEN];

		pathf(p, sizeof(p), "%s/bench-%ld-1-1.el9.mc.noarch.rpm", rpms, i);
		paths[i] = strdup(p);
		assert_int_equal(q_rpm_inspect(p, p, &inf[i], &err), 0);
		pkgs[i] = (struct q_publish_pkg){
		    inf[i].sha256,      inf[i].filename,      paths[i],
		    inf[i].primary_xml, inf[i].filelists_xml, inf[i].other_xml};
	}
	print_message("inspect (upload side) of %ld packages: %.2fs\n", n, now_s() - t);
	/* The hub passes them sorted by file name (the store's ORDER BY). */
	qsort(pkgs, (size_t)n, sizeof(*pkgs), cmp_pkg_name);
	/* The one more package is the tests' quarry-a. */
	pathf(extra, sizeof(extra), "%s", rpm_path[PKG_A]);
	pkgs[n] = pkg_of(PKG_A);
	pkgs[n + 1] = pkg_of(PKG_B);
	pkgs[n + 2] = pkg_of(PKG_C);

	arch_dir(dir, "bench");
	req = (struct q_publish_req){
	    .arch_dir = dir, .pkgs = pkgs, .n_pkgs = (size_t)n, .grace_seconds = 3600};
	/*
	 * Incremental publishes, one new package each time: N-10 packages,
	 * then the 10 left out (spread over the sorted list) one by one.
	 */
	if (n < 20) {
		t = now_s();
		assert_int_equal(q_publish_repo(&req, &res, &err), 0);
		print_message("quarry full publish: %.3fs\n", now_s() - t);
	} else {
		struct q_publish_pkg *sub = calloc((size_t)n, sizeof(*sub));
		double times[10];

		assert_non_null(sub);
		for (int step = 0; step <= 10; step++) {
			size_t m = 0;

			for (long i = 0; i < n; i++)
				if (i % (n / 10) != n / 20 || i / (n / 10) < step)
					sub[m++] = pkgs[i];
			req.pkgs = sub;
			req.n_pkgs = m;
			t = now_s();
			assert_int_equal(q_publish_repo(&req, &res, &err), 0);
			if (step > 0)
				times[step - 1] = now_s() - t;
			else
				print_message("quarry full publish of %zu: %.3fs\n", m,
					      now_s() - t);
		}
		qsort(times, 10, sizeof(times[0]), cmp_double);
		print_message("quarry incremental publish of ~%ld (+1, 10 times): min %.3fs median "
			      "%.3fs max %.3fs\n",
			      n, times[0], (times[4] + times[5]) / 2, times[9]);
		req.pkgs = pkgs;
		free(sub);
	}
	req.n_pkgs = (size_t)n + 1;
	t = now_s();
	assert_int_equal(q_publish_repo(&req, &res, &err), 0);
	print_message("quarry incremental publish (+1): %.3fs\n", now_s() - t);
	req.last_digest = res.set_digest;
	t = now_s();
	assert_int_equal(q_publish_repo(&req, &res, &err), 0);
	assert_int_equal(res.changed, 0);
	print_message("quarry unchanged publish: %.3fs\n", now_s() - t);
	req.last_digest = NULL;
	for (int k = 2; k <= 3; k++) {
		req.n_pkgs = (size_t)n + (size_t)k;
		t = now_s();
		assert_int_equal(q_publish_repo(&req, &res, &err), 0);
		print_message("quarry incremental publish (+%d): %.3fs\n", k, now_s() - t);
	}
	/* The same set from scratch gives the same files (same members). */
	{
		char dir2[PATHLEN], a[4096], b[4096], path[PATHLEN];

		pathf(dir2, sizeof(dir2), "%s2", dir);
		req.arch_dir = dir2;
		t = now_s();
		assert_int_equal(q_publish_repo(&req, &res, &err), 0);
		print_message("quarry full publish of %zu: %.3fs\n", req.n_pkgs, now_s() - t);
		req.arch_dir = dir;
		pathf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
		repomd_files(path, a, sizeof(a));
		pathf(path, sizeof(path), "%s/repodata/repomd.xml", dir2);
		repomd_files(path, b, sizeof(b));
		assert_string_equal(a, b);
		/* createrepo_c's parser reads every member: mergerepo_c keeps all. */
		assert_int_equal(
		    sh("mergerepo_c --no-database --repo 'file://%s' -o '%s/merged' "
		       ">/dev/null 2>&1 && test \"$(zcat %s/merged/repodata/*-primary.xml.gz "
		       "| grep -c '<package type=')\" = %zu",
		       dir, tmp, tmp, req.n_pkgs),
		    0);
	}

	/* createrepo_c over the same files (a copy of Packages/ without the extra). */
	assert_int_equal(sh("mkdir -p %s/cr && cp -l %s/*.rpm %s/cr/", tmp, rpms, tmp), 0);
	t = now_s();
	assert_int_equal(sh("createrepo_c -q %s/cr >/dev/null 2>&1", tmp), 0);
	print_message("createrepo_c full: %.3fs\n", now_s() - t);
	assert_int_equal(sh("cp -l %s %s/cr/", extra, tmp), 0);
	t = now_s();
	assert_int_equal(sh("createrepo_c -q --update %s/cr >/dev/null 2>&1", tmp), 0);
	print_message("createrepo_c --update (+1): %.3fs\n", now_s() - t);
	assert_int_equal(sh("rm -rf %s/cr/repodata", tmp), 0);
	t = now_s();
	assert_int_equal(sh("createrepo_c -q --no-database %s/cr >/dev/null 2>&1", tmp), 0);
	print_message("createrepo_c --no-database full: %.3fs\n", now_s() - t);
	t = now_s();
	assert_int_equal(sh("createrepo_c -q --no-database --update %s/cr >/dev/null 2>&1", tmp),
			 0);
	print_message("createrepo_c --no-database --update (nothing new): %.3fs\n", now_s() - t);
	if (have_dnf) {
		char *out = malloc(1 << 20);
		assert_int_equal(dnf_list(dir, out, 1 << 20), 0);
		size_t lines = 0;
		for (char *p = out; (p = strchr(p, '\n')); p++)
			lines++;
		assert_int_equal(lines, (size_t)n + 3);
		free(out);
	}
	for (long i = 0; i < n; i++) {
		q_rpm_info_release(&inf[i]);
		free(paths[i]);
	}
	free(inf);
	free(pkgs);
	free(paths);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inspect),
	    cmocka_unit_test(test_inspect_refuses),
	    cmocka_unit_test(test_inspect_threads),
	    cmocka_unit_test(test_set_digest),
	    cmocka_unit_test(test_publish_flow),
	    cmocka_unit_test(test_publish_replaced_package),
	    cmocka_unit_test(test_publish_refuses),
	    cmocka_unit_test(test_publish_empty),
	    cmocka_unit_test(test_publish_signed),
	    cmocka_unit_test(test_publish_concurrent),
	    cmocka_unit_test(test_publish_crash_leftovers),
	    cmocka_unit_test(test_publish_incremental_identical),
	    cmocka_unit_test(test_publish_cache_damaged),
	    cmocka_unit_test(test_publish_manifest),
	    cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
