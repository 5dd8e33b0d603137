/*
 * test_provenance.c: the provenance statement's helpers
 * (src/build/provenance.c): RFC 3339 times in UTC and their limits;
 * package URLs of NEVRAs (version-release, arch and epoch qualifiers,
 * percent-encoding of what purl does not allow, NEVRAs that do not parse);
 * task buildroots of every stored shape (old text, JSON of strings, JSON of
 * {nevra, sha256}, garbage); and a statement built from rows: subjects,
 * URIs under a case-normalised public URL, the builder of one worker or
 * several, packages shared by tasks listed once, repos with repomd.xml, no
 * statement without output.
 */
#include "build/provenance.h"
#include "core/common.h"
#include "core/error.h"

#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void time_is(int64_t t, const char *want)
{
	char out[Q_PROV_TIME_LEN];

	assert_int_equal(q_prov_time(t, out), 0);
	assert_string_equal(out, want);
}

static void test_time(void **state)
{
	char out[Q_PROV_TIME_LEN] = "x";

	(void)state;
	time_is(0, "1970-01-01T00:00:00Z");
	time_is(1700000000, "2023-11-14T22:13:20Z");
	time_is(951782400, "2000-02-29T00:00:00Z"); /* a leap day */
	time_is(1796303817, "2026-12-03T13:16:57Z");
	time_is(-1, "1969-12-31T23:59:59Z");
	time_is(253402300799LL, "9999-12-31T23:59:59Z");
	time_is(-62167219200LL, "0000-01-01T00:00:00Z");
	/* five-digit and negative years: RFC 3339 cannot write them */
	assert_int_equal(q_prov_time(253402300800LL, out), -1);
	assert_string_equal(out, "");
	assert_int_equal(q_prov_time(-62167219201LL, out), -1);
	assert_int_equal(q_prov_time(INT64_MAX, out), -1);
	assert_int_equal(q_prov_time(INT64_MIN, out), -1);
}

static void purl_is(const char *nevra, const char *want)
{
	char *got = q_prov_purl_rpm(nevra);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	g_free(got);
}

static void test_purl(void **state)
{
	(void)state;
	purl_is("gcc-12.2.0-14.el9.x86_64", "pkg:rpm/gcc@12.2.0-14.el9?arch=x86_64");
	purl_is("glibc-devel-2.34-60.el9.x86_64", "pkg:rpm/glibc-devel@2.34-60.el9?arch=x86_64");
	purl_is("python3-rpm-macros-3.9-52.el9.noarch",
		"pkg:rpm/python3-rpm-macros@3.9-52.el9?arch=noarch");
	/* the epoch is a qualifier, after arch; epoch 0 is rpm's "none" */
	purl_is("perl-libs-4:5.32.1-480.el9.x86_64",
		"pkg:rpm/perl-libs@5.32.1-480.el9?arch=x86_64&epoch=4");
	purl_is("bash-0:5.1.8-6.el9.x86_64", "pkg:rpm/bash@5.1.8-6.el9?arch=x86_64");
	/* percent-encoding: + ^ and others; ':' and ".-_~" stay */
	purl_is("libstdc++-devel-11.3.1-4.el9.x86_64",
		"pkg:rpm/libstdc%2B%2B-devel@11.3.1-4.el9?arch=x86_64");
	purl_is("foo-1.0^git20230101.abc-1~rc1.el9.x86_64",
		"pkg:rpm/foo@1.0%5Egit20230101.abc-1~rc1.el9?arch=x86_64");
	purl_is("a b-1-2.x86_64", "pkg:rpm/a%20b@1-2?arch=x86_64");
	purl_is("na%me-1@2-3#4.x86_64", "pkg:rpm/na%25me@1%402-3%234?arch=x86_64");
	purl_is("weird-1-2.x86_64?x=y", "pkg:rpm/weird@1-2?arch=x86_64%3Fx%3Dy");
	purl_is("caf\xc3\xa9-1-2.noarch", "pkg:rpm/caf%C3%A9@1-2?arch=noarch");
	/* no arch after the release (gpg-pubkey); the dot belongs to the release */
	purl_is("gpg-pubkey-fd431d51-4ae0493b", "pkg:rpm/gpg-pubkey@fd431d51-4ae0493b");
	purl_is("foo-1.0-1", "pkg:rpm/foo@1.0-1");
	/* a non-numeric "epoch" is part of the version */
	purl_is("foo-x:1-2.x86_64", "pkg:rpm/foo@x:1-2?arch=x86_64");
	/* not a NEVRA */
	purl_is("", NULL);
	purl_is("bash", NULL);
	purl_is("bash-5.1", NULL);
	purl_is("-1-2.x86_64", NULL);
	purl_is("foo--2.x86_64", NULL);
	purl_is("foo-1-.x86_64", NULL);
	purl_is("foo-1-2.", NULL);
}

static json_t *root_of(const char *json_or_text, int is_text)
{
	json_t *v = is_text ? json_string(json_or_text) : json_loads(json_or_text, 0, NULL);
	json_t *out = q_prov_buildroot(v);

	json_decref(v);
	return out;
}

static void equal_json(json_t *got, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);

	assert_non_null(w);
	if (!json_equal(got, w)) {
		char *s = json_dumps(got, JSON_COMPACT);

		print_error("got  %s\nwant %s\n", s, want);
		free(s);
		fail();
	}
	json_decref(w);
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_buildroot_shapes(void **state)
{
	json_t *r;

	(void)state;
	/* old text: one NEVRA a line, blank lines and CRs ignored */
	r = root_of("bash-5.1-1.el9.x86_64\n\ngcc-12-1.el9.x86_64\r\n", 1);
	equal_json(r,
		   "[{\"nevra\":\"bash-5.1-1.el9.x86_64\"},{\"nevra\":\"gcc-12-1.el9.x86_64\"}]");
	json_decref(r);
	/* JSON text of strings (the old shape sent as JSON) */
	r = root_of("[\"bash-5.1-1.el9.x86_64\"]", 1);
	equal_json(r, "[{\"nevra\":\"bash-5.1-1.el9.x86_64\"}]");
	json_decref(r);
	/* JSON text of objects, a bad hash dropped, a bad entry skipped */
	r = root_of("[{\"nevra\":\"bash-5.1-1.el9.x86_64\",\"sha256\":\"" SHA_A "\"},"
		    "{\"nevra\":\"gcc-12-1.el9.x86_64\",\"sha256\":\"ABC\"},"
		    "{\"sha256\":\"" SHA_B "\"}, 7, \"\", {\"nevra\":3}]",
		    1);
	equal_json(r, "[{\"nevra\":\"bash-5.1-1.el9.x86_64\",\"sha256\":\"" SHA_A "\"},"
		      "{\"nevra\":\"gcc-12-1.el9.x86_64\"}]");
	json_decref(r);
	/* an array as it is, mixed */
	r = root_of("[\"a-1-1.noarch\",{\"nevra\":\"b-1-1.noarch\",\"sha256\":\"" SHA_B "\"}]", 0);
	equal_json(r,
		   "[{\"nevra\":\"a-1-1.noarch\"},{\"nevra\":\"b-1-1.noarch\",\"sha256\":\"" SHA_B
		   "\"}]");
	json_decref(r);
	/* nothing */
	r = q_prov_buildroot(NULL);
	equal_json(r, "[]");
	json_decref(r);
	r = root_of("", 1);
	equal_json(r, "[]");
	json_decref(r);
	r = root_of("{\"nevra\":\"a-1-1.noarch\"}", 0);
	equal_json(r, "[]");
	json_decref(r);

	/* repos: JSON text or array; no url, no entry; bad repomd hash dropped */
	{
		json_t *v = json_string(
		    "[{\"name\":\"baseos\",\"url\":\"file:///r/\",\"repomd_sha256\":\"" SHA_A
		    "\"},{\"name\":\"x\"},{\"url\":\"http://m/\",\"repomd_sha256\":\"zz\"}]");

		r = q_prov_buildroot_repos(v);
		equal_json(r,
			   "[{\"name\":\"baseos\",\"url\":\"file:///r/\",\"repomd_sha256\":\"" SHA_A
			   "\"},{\"url\":\"http://m/\"}]");
		json_decref(r);
		json_decref(v);
		r = q_prov_buildroot_repos(NULL);
		equal_json(r, "[]");
		json_decref(r);
		v = json_string("not json");
		r = q_prov_buildroot_repos(v);
		equal_json(r, "[]");
		json_decref(r);
		json_decref(v);
	}
}

#define COMMIT "0123456789abcdef0123456789abcdef01234567"

/* A build of two tasks as the store gives it; worker2 names the rpm task's worker. */
static json_t *build_row(const char *worker2)
{
	json_t *b = json_pack(
	    "{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:[{s:s,s:s,s:s}],"
	    "s:[{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I},{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I}],"
	    "s:[{s:s,s:s},{s:s,s:s}]}",
	    "id", (json_int_t)7, "sig", "mc", "project", "el9", "state", "complete", "source",
	    "/srv/git/mc hello#r9-sig-mc-1", "git_url", "/srv/git/mc hello", "git_ref",
	    "refs/heads/r9-sig-mc-1", "commit", COMMIT, "spec_sha256", SHA_A, "name", "mc-hello",
	    "arches", "x86_64,aarch64", "bundle_sha256", SHA_B, "dist_tag", ".el9.mc", "created",
	    (json_int_t)1700000000, "finished", (json_int_t)1700000100, "lookaside", "file",
	    "src.tar.gz", "type", "sha1", "hash", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	    "tasks", "id", (json_int_t)12, "kind", "srpm", "arch", "src", "state", "closed",
	    "worker", "w1", "attempt", (json_int_t)1, "started", (json_int_t)1700000001, "finished",
	    (json_int_t)1700000002, "id", (json_int_t)13, "kind", "rpm", "arch", "x86_64", "state",
	    "closed", "worker", worker2, "attempt", (json_int_t)2, "started",
	    (json_int_t)1700000003, "finished", (json_int_t)1700000099, "artifacts", "name",
	    "mc-hello-1-1.el9.mc.src.rpm", "sha256", SHA_A, "name",
	    "mc-hello-1-1.el9.mc.x86_64.rpm", "sha256", SHA_B);

	assert_non_null(b);
	return b;
}

/* The full task rows: 12 with the old text, 13 with {nevra, sha256} and repos. */
static json_t *task_rows(void)
{
	json_t *t =
	    json_pack("[{s:I,s:s,s:s,s:s},{s:I,s:s,s:s}]", "id", (json_int_t)13, "backend",
		      "installroot", "buildroot",
		      "[{\"nevra\":\"bash-5.1-1.el9.x86_64\",\"sha256\":\"" SHA_A "\"},"
		      "{\"nevra\":\"gcc-c++-12-1.el9.x86_64\",\"sha256\":\"" SHA_B "\"},"
		      "{\"nevra\":\"make-1:4.3-7.el9.x86_64\",\"sha256\":\"" SHA_B "\"}]",
		      "buildroot_repos",
		      "[{\"name\":\"baseos\",\"url\":\"HTTP://Mirror.Example/9/BaseOS/x86_64/os/\","
		      "\"repomd_sha256\":\"" SHA_A "\"}]",
		      "id", (json_int_t)12, "backend", "host", "buildroot",
		      "bash-5.1-1.el9.x86_64\nmake-1:4.3-7.el9.x86_64\n");

	assert_non_null(t);
	return t;
}

static json_t *dep_named(json_t *stmt, const char *name, size_t nth)
{
	json_t *deps = json_object_get(
		   json_object_get(json_object_get(stmt, "predicate"), "buildDefinition"),
		   "resolvedDependencies"),
	       *d;
	size_t i;

	json_array_foreach (deps, i, d)
		if (json_is_string(json_object_get(d, "name")) &&
		    !strcmp(json_string_value(json_object_get(d, "name")), name) && !nth--)
			return d;
	return NULL;
}

static const char *str_at(json_t *v, const char *path)
{
	gchar **parts = g_strsplit(path, ".", -1);
	const char *s;

	for (gchar **p = parts; *p; p++)
		v = json_is_array(v) ? json_array_get(v, (size_t)g_ascii_strtoull(*p, NULL, 10))
				     : json_object_get(v, *p);
	g_strfreev(parts);
	s = json_string_value(v);
	return s ? s : "(none)";
}

static void test_statement(void **state)
{
	struct q_error err = {0};
	json_t *b = build_row("w1"), *tasks = task_rows(), *stmt = NULL, *d;

	(void)state;
	assert_int_equal(q_prov_statement(b, tasks, "HTTPS://Hub.Example:8443/", &stmt, &err), 0);
	assert_string_equal(str_at(stmt, "_type"), Q_PROV_STATEMENT_TYPE);
	assert_string_equal(str_at(stmt, "predicateType"), Q_PROV_PREDICATE_TYPE);
	assert_string_equal(str_at(stmt, "predicate.buildDefinition.buildType"), Q_PROV_BUILD_TYPE);
	/* subjects: the artifacts */
	assert_int_equal(json_array_size(json_object_get(stmt, "subject")), 2);
	assert_string_equal(str_at(stmt, "subject.1.name"), "mc-hello-1-1.el9.mc.x86_64.rpm");
	assert_string_equal(str_at(stmt, "subject.1.digest.sha256"), SHA_B);
	assert_string_equal(
	    str_at(stmt, "subject.1.downloadLocation"),
	    "https://hub.example:8443/api/v1/builds/7/artifacts/mc-hello-1-1.el9.mc.x86_64.rpm");
	/* run details: one worker, times in UTC */
	assert_string_equal(str_at(stmt, "predicate.runDetails.builder.id"),
			    "https://hub.example:8443/workers/w1");
	assert_string_equal(str_at(stmt, "predicate.runDetails.metadata.startedOn"),
			    "2023-11-14T22:13:20Z");
	assert_string_equal(str_at(stmt, "predicate.runDetails.metadata.finishedOn"),
			    "2023-11-14T22:15:00Z");
	assert_string_equal(str_at(stmt, "predicate.runDetails.metadata.invocationId"),
			    "https://hub.example:8443/api/v1/builds/7");
	assert_string_equal(str_at(stmt, "predicate.runDetails.byproducts.1.uri"),
			    "https://hub.example:8443/api/v1/builds/7/tasks/13/log");
	assert_string_equal(str_at(stmt, "predicate.runDetails.byproducts.1.annotations.backend"),
			    "installroot");
	assert_string_equal(
	    str_at(stmt, "predicate.runDetails.byproducts.1.annotations.finishedOn"),
	    "2023-11-14T22:14:59Z");
	/* external parameters */
	equal_json(
	    json_object_get(json_object_get(json_object_get(stmt, "predicate"), "buildDefinition"),
			    "externalParameters"),
	    "{\"sig\":\"mc\",\"project\":\"el9\",\"arches\":[\"x86_64\",\"aarch64\"],"
	    "\"repository\":\"/srv/git/mc hello\",\"ref\":\"refs/heads/r9-sig-mc-1\"}");
	/* the source, the spec, the lookaside file, the bundle */
	d = dep_named(stmt, "source", 0);
	equal_json(d, "{\"name\":\"source\",\"uri\":\"git+file:///srv/git/mc%20hello@refs/heads/"
		      "r9-sig-mc-1\",\"digest\":{\"gitCommit\":\"" COMMIT "\"}}");
	assert_string_equal(str_at(dep_named(stmt, "SPECS/mc-hello.spec", 0), "uri"),
			    "git+file:///srv/git/mc%20hello@" COMMIT "#SPECS/mc-hello.spec");
	assert_string_equal(str_at(dep_named(stmt, "SOURCES/src.tar.gz", 0), "digest.sha1"),
			    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_string_equal(str_at(dep_named(stmt, "SOURCES/src.tar.gz", 0), "uri"),
			    "https://hub.example:8443/lookaside/"
			    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_string_equal(str_at(dep_named(stmt, "source-bundle.tar", 0), "digest.sha256"),
			    SHA_B);
	/* packages: the old shape's bash (no digest) apart from the hashed one */
	equal_json(
	    dep_named(stmt, "bash-5.1-1.el9.x86_64", 0),
	    "{\"name\":\"bash-5.1-1.el9.x86_64\",\"uri\":\"pkg:rpm/bash@5.1-1.el9?arch=x86_64\","
	    "\"annotations\":{\"kind\":\"buildroot-package\",\"tasks\":[12]}}");
	equal_json(
	    dep_named(stmt, "bash-5.1-1.el9.x86_64", 1),
	    "{\"name\":\"bash-5.1-1.el9.x86_64\",\"uri\":\"pkg:rpm/bash@5.1-1.el9?arch=x86_64\","
	    "\"digest\":{\"sha256\":\"" SHA_A "\"},"
	    "\"annotations\":{\"kind\":\"buildroot-package\",\"tasks\":[13]}}");
	assert_null(dep_named(stmt, "bash-5.1-1.el9.x86_64", 2));
	assert_string_equal(str_at(dep_named(stmt, "gcc-c++-12-1.el9.x86_64", 0), "uri"),
			    "pkg:rpm/gcc-c%2B%2B@12-1.el9?arch=x86_64");
	assert_string_equal(str_at(dep_named(stmt, "make-1:4.3-7.el9.x86_64", 1), "uri"),
			    "pkg:rpm/make@4.3-7.el9?arch=x86_64&epoch=1");
	/* the repo: repomd.xml under the normalised URL, its sha256 */
	equal_json(
	    dep_named(stmt, "baseos", 0),
	    "{\"name\":\"baseos\",\"uri\":\"http://mirror.example/9/BaseOS/x86_64/os/repodata/"
	    "repomd.xml\",\"digest\":{\"sha256\":\"" SHA_A
	    "\"},\"annotations\":{\"kind\":\"buildroot-repo\",\"baseurl\":\"HTTP://"
	    "Mirror.Example/9/BaseOS/x86_64/os/\",\"tasks\":[13]}}");
	json_decref(stmt);
	json_decref(b);

	/* the same package in two tasks is listed once, with both tasks */
	b = build_row("w2");
	json_decref(tasks);
	tasks = json_pack("[{s:I,s:s},{s:I,s:s}]", "id", (json_int_t)12, "buildroot",
			  "[{\"nevra\":\"m-1-1.noarch\",\"sha256\":\"" SHA_A "\"}]", "id",
			  (json_int_t)13, "buildroot",
			  "[{\"nevra\":\"m-1-1.noarch\",\"sha256\":\"" SHA_A "\"}]");
	assert_int_equal(q_prov_statement(b, tasks, "http://hub", &stmt, &err), 0);
	equal_json(json_object_get(
		       json_object_get(dep_named(stmt, "m-1-1.noarch", 0), "annotations"), "tasks"),
		   "[12,13]");
	assert_null(dep_named(stmt, "m-1-1.noarch", 1));
	/* two workers: the hub and its workers */
	assert_string_equal(str_at(stmt, "predicate.runDetails.builder.id"), "http://hub/workers");
	json_decref(stmt);

	/* still building: no finishedOn; repos that only the build's task shows */
	json_object_set_new(b, "finished", json_null());
	json_object_set_new(json_array_get(json_object_get(b, "tasks"), 1), "buildroot_repos",
			    json_string("[{\"name\":\"appstream\",\"url\":\"file:///r/as/\","
					"\"repomd_sha256\":\"" SHA_B "\"}]"));
	assert_int_equal(q_prov_statement(b, tasks, "http://hub", &stmt, &err), 0);
	assert_string_equal(str_at(dep_named(stmt, "appstream", 0), "uri"),
			    "file:///r/as/repodata/repomd.xml");
	assert_string_equal(str_at(dep_named(stmt, "appstream", 0), "digest.sha256"), SHA_B);
	assert_string_equal(str_at(stmt, "predicate.runDetails.metadata.finishedOn"), "(none)");
	assert_string_equal(str_at(stmt, "predicate.runDetails.metadata.startedOn"),
			    "2023-11-14T22:13:20Z");
	json_decref(stmt);

	/* an uploaded SRPM: externalParameters name it, it is a dependency */
	json_object_set_new(b, "git_url", json_string(""));
	json_object_set_new(b, "source", json_string("mc-hello-1-1.src.rpm"));
	json_object_set_new(b, "srpm_sha256", json_string(SHA_A));
	assert_int_equal(q_prov_statement(b, tasks, "http://hub", &stmt, &err), 0);
	assert_string_equal(str_at(stmt, "predicate.buildDefinition.externalParameters.srpm"),
			    "mc-hello-1-1.src.rpm");
	assert_null(json_object_get(
	    json_object_get(json_object_get(json_object_get(stmt, "predicate"), "buildDefinition"),
			    "externalParameters"),
	    "repository"));
	assert_string_equal(str_at(dep_named(stmt, "mc-hello-1-1.src.rpm", 0), "digest.sha256"),
			    SHA_A);
	assert_null(dep_named(stmt, "source", 0));
	json_decref(stmt);

	/* no output: no statement */
	json_object_set_new(b, "artifacts", json_array());
	stmt = json_true();
	assert_int_equal(q_prov_statement(b, tasks, "http://hub", &stmt, &err), -1);
	assert_null(stmt);
	assert_int_equal(err.code, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, "at least one subject"));
	json_decref(b);
	json_decref(tasks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_purl),
	    cmocka_unit_test(test_buildroot_shapes),
	    cmocka_unit_test(test_statement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
