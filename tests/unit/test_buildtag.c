/*
 * test_buildtag.c: build tags. The validation (src/build/buildtag.c) takes
 * the contract's shape, normalizes it ('*' first, defaults filled) and
 * refuses, naming the field: a URL scheme other than http, https, file; a
 * relative file URL; a variable the worker does not replace; an own repo
 * the project lacks; two entries of one name; a package name dnf would
 * read as an option; a macro name outside [A-Za-z_][A-Za-z0-9_]*, %dist,
 * a value with a newline; an arch the project lacks or given twice; counts
 * over the limits. The claim object makes own repos /pub paths. Result
 * buildroots in both shapes, and the stored text in both forms. The store
 * (src/store/store_buildtag.c): tags are replaced as a whole and read back
 * in order; a task gets the tag of its arch, else '*'; an SRPM task the
 * tag of the build's first arch; a host-backend claim skips tagged
 * projects' tasks, an installroot one takes them.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "build/buildtag.h"
#include "store/store.h"

#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#define OK(x) assert_int_equal((x), 0)

static json_t *validate(const char *body, struct q_error *err)
{
	json_t *b = json_loads(body, 0, NULL);
	json_t *arches = json_pack("[s,s]", "x86_64", "aarch64");
	json_t *repos = json_pack("[s,s]", "candidate", "extras");
	json_t *out;

	assert_non_null(b);
	memset(err, 0, sizeof(*err));
	out = q_buildtag_validate(b, arches, repos, "9", err);
	json_decref(b);
	json_decref(arches);
	json_decref(repos);
	return out;
}

static void refused(const char *body, const char *msg)
{
	struct q_error err;
	json_t *out = validate(body, &err);

	if (out || !strstr(err.msg, msg))
		fail_msg("%s: want an error with '%s', got %s '%s'", body, msg,
			 out ? "success" : "error", err.msg);
	assert_int_equal(err.code, Q_EINVAL);
}

static void test_validate_contract_shape(void **state)
{
	struct q_error err;
	json_t *out = validate(
	    "{\"tags\":[{\"arch\":\"x86_64\",\"packages\":[\"gcc\"]},{\"arch\":\"*\","
	    "\"releasever\":\"9\",\"repos\":[{\"name\":\"baseos\",\"url\":\"file:///srv/el/"
	    "$releasever/BaseOS/$basearch/\"},{\"name\":\"cand\",\"repo\":\"candidate\"},"
	    "{\"repo\":\"extras\"}],\"packages\":[\"bash\",\"coreutils\",\"rpm-build\","
	    "\"bash\"],\"macros\":{\"vendor\":\"My SIG\"}}]}",
	    &err);
	json_t *t0, *t1;

	(void)state;
	if (!out)
		fail_msg("%s", err.msg);
	t0 = json_array_get(json_object_get(out, "tags"), 0);
	t1 = json_array_get(json_object_get(out, "tags"), 1);
	assert_string_equal(json_string_value(json_object_get(t0, "arch")), "*");
	assert_string_equal(json_string_value(json_object_get(t1, "arch")), "x86_64");
	/* defaults: the releasever is the major, no repos, no macros */
	assert_string_equal(json_string_value(json_object_get(t1, "releasever")), "9");
	assert_int_equal(json_array_size(json_object_get(t1, "repos")), 0);
	assert_int_equal(json_object_size(json_object_get(t1, "macros")), 0);
	/* order kept; an own repo's name defaults to the repo; duplicates once */
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(t0, "repos"), 2), "name")),
			    "extras");
	assert_int_equal(json_array_size(json_object_get(t0, "packages")), 3);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(t0, "macros"), "vendor")), "My SIG");
	json_decref(out);
	out = validate("{\"tags\":[]}", &err);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "tags")), 0);
	json_decref(out);
}

static void test_validate_refusals(void **state)
{
	GString *many = g_string_new("{\"tags\":[{\"packages\":[");

	(void)state;
	refused("{}", "tags: must be a list");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"x\",\"url\":\"ftp://e/el/\"}]}]}",
		"tags[0].repos[0].url: 'ftp://e/el/' must start with http://, https:// or file://");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"x\",\"url\":\"file://srv/el/\"}]}]}",
		"tags[0].repos[0].url: 'file://srv/el/': a file URL names an absolute path");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"x\",\"url\":\"https:///el/\"}]}]}",
		"has no host");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"x\",\"url\":\"https://e/$arch/\"}]}]}",
		"'$arch/' is not a variable Quarry replaces");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"x\",\"url\":\"https://e/a b/\"}]}]}",
		"holds a space");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"x\",\"repo\":\"nope\"}]}]}",
		"tags[0].repos[0].repo: 'nope' is not a repo of this project");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"x\",\"repo\":\"candidate\",\"url\":\"https://"
		"e/\"}]}]}",
		"give exactly one of 'url'");
	refused("{\"tags\":[{\"repos\":[{\"url\":\"https://e/\"}]}]}",
		"tags[0].repos[0].name: an external repo needs a name");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"a\",\"url\":\"https://e/\"},{\"name\":\"a\","
		"\"url\":\"https://f/\"}]}]}",
		"tags[0].repos[1].name: 'a' is used twice");
	refused("{\"tags\":[{\"repos\":[{\"name\":\"a/b\",\"url\":\"https://e/\"}]}]}",
		"tags[0].repos[0].name: must be");
	refused("{\"tags\":[{\"packages\":[\"--installroot=/\"]}]}",
		"tags[0].packages[0]: '--installroot=/' is not a package name");
	refused("{\"tags\":[{\"packages\":[\"a b\"]}]}", "is not a package name");
	refused("{\"tags\":[{\"macros\":{\"dist\":\".el9\"}}]}",
		"tags[0].macros.dist: %dist is always the project's dist tag");
	refused("{\"tags\":[{\"macros\":{\"9x\":\"1\"}}]}", "'9x' is not a macro name");
	refused("{\"tags\":[{\"macros\":{\"a-b\":\"1\"}}]}", "'a-b' is not a macro name");
	refused("{\"tags\":[{\"macros\":{\"v\":\"a\\nb\"}}]}",
		"tags[0].macros.v: the value must be one line");
	refused("{\"tags\":[{\"macros\":{\"v\":1}}]}",
		"tags[0].macros.v: the value must be a string");
	refused("{\"tags\":[{\"arch\":\"ppc64le\"}]}", "tags[0].arch: 'ppc64le' must be '*'");
	refused("{\"tags\":[{\"arch\":\"x86_64\"},{\"arch\":\"x86_64\"}]}",
		"tags[1].arch: 'x86_64' has two tags");
	refused("{\"tags\":[{},{}]}", "tags[1].arch: '*' has two tags");
	refused("{\"tags\":[{\"releasever\":\"9 1\"}]}", "tags[0].releasever: must be");
	refused("{\"tags\":[{\"bogus\":1}]}", "tags[0]: unknown field 'bogus'");
	for (int i = 0; i <= Q_BUILDTAG_MAX_PACKAGES; i++)
		g_string_append_printf(many, "%s\"p%d\"", i ? "," : "", i);
	g_string_append(many, "]}]}");
	refused(many->str, "tags[0].packages: must be a list of at most");
	g_string_free(many, TRUE);
}

static void test_claim_object(void **state)
{
	struct q_error err;
	json_t *out = validate("{\"tags\":[{\"repos\":[{\"name\":\"baseos\",\"url\":\"https://e/"
			       "$basearch/\"},{\"name\":\"c\",\"repo\":\"candidate\"}],"
			       "\"packages\":[\"bash\"],\"macros\":{\"a\":\"b\"}}]}",
			       &err);
	json_t *tags = json_object_get(out, "tags"), *o;
	char *s;

	(void)state;
	assert_non_null(out);
	assert_ptr_equal(q_buildtag_pick(tags, "aarch64"), json_array_get(tags, 0));
	o = q_buildtag_claim_object(q_buildtag_pick(tags, "x86_64"), "mc", 9);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"macros\":{\"a\":\"b\"},\"packages\":[\"bash\"],\"releasever\":"
			       "\"9\",\"repos\":[{\"name\":\"baseos\",\"url\":\"https://e/"
			       "$basearch/\"},{\"name\":\"sig-mc-candidate\",\"pub\":\"sig/9/mc/"
			       "$basearch/candidate/\"}]}");
	free(s);
	json_decref(o);
	json_decref(out);
}

static void test_result_shapes(void **state)
{
	struct q_error err = {0};
	const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	json_t *in =
	    json_pack("[s,{s:s,s:s},{s:s}]", "bash-5.1-1.el9.x86_64", "nevra",
		      "gcc-12-1.el9.x86_64", "sha256", sha, "nevra", "make-4-1.el9.x86_64");
	json_t *out = q_buildtag_result_buildroot(in, &err), *bad;
	char *s;

	(void)state;
	assert_non_null(out);
	assert_int_equal(json_array_size(out), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "nevra")),
			    "bash-5.1-1.el9.x86_64");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 1), "sha256")),
			    sha);
	/* stored as JSON text, read back the same; the old text form too */
	s = json_dumps(out, JSON_COMPACT);
	json_decref(in);
	in = q_buildtag_stored_buildroot(s);
	assert_true(json_equal(in, out));
	free(s);
	json_decref(in);
	in = q_buildtag_stored_buildroot("a-1-1.x86_64\nb-1-1.noarch\n");
	assert_int_equal(json_array_size(in), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(in, 1), "nevra")),
			    "b-1-1.noarch");
	json_decref(in);
	in = q_buildtag_stored_buildroot("");
	assert_int_equal(json_array_size(in), 0);
	json_decref(in);
	json_decref(out);
	/* absent → []; refusals */
	out = q_buildtag_result_buildroot(NULL, &err);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	bad = json_pack("[{s:s,s:s}]", "nevra", "x", "sha256", "zz");
	assert_null(q_buildtag_result_buildroot(bad, &err));
	assert_non_null(strstr(err.msg, "buildroot[0].sha256"));
	json_decref(bad);
	bad = json_pack("[i]", 3);
	assert_null(q_buildtag_result_buildroot(bad, &err));
	json_decref(bad);
	bad = json_pack("[s]", "a\nb");
	assert_null(q_buildtag_result_buildroot(bad, &err));
	json_decref(bad);
	in = json_pack("[{s:s,s:s,s:s}]", "name", "baseos", "url", "file:///x/", "repomd_sha256",
		       sha);
	out = q_buildtag_result_repos(in, &err);
	assert_true(json_equal(in, out));
	json_decref(out);
	json_decref(in);
	bad = json_pack("[{s:i}]", "url", 1);
	assert_null(q_buildtag_result_repos(bad, &err));
	assert_non_null(strstr(err.msg, "buildroot_repos[0].url"));
	json_decref(bad);
}

/* ---- the store ---- */

struct fixture {
	char dir[128];
	char db[200];
	struct q_store *st;
	int64_t project, build, tagged_build;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct q_error err = {0};
	json_t *sig, *proj, *proj2, *b, *b2, *p = NULL;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/quarry-test-bt-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/quarry.db", f->dir);
	f->st = q_store_open(f->db, &err);
	if (!f->st || q_store_migrate(f->st, &err) < 0)
		return -1;
	sig = json_pack("{s:s,s:s,s:s,s:s}", "name", "mc", "short_name", "mc", "title", "MC",
			"status", "active");
	proj = json_pack("{s:s,s:i,s:s,s:[s,s]}", "name", "el9", "major", 9, "variant", "1",
			 "arches", "x86_64", "aarch64");
	proj2 = json_pack("{s:s,s:i,s:s,s:[s]}", "name", "plain", "major", 9, "variant", "2",
			  "arches", "x86_64");
	/* the plain project's build first: a host claim must skip nothing else */
	b2 = json_pack("{s:s,s:s,s:[s],s:s}", "source", "r#b", "nevr", "bar-1-1.el9.mc", "arches",
		       "x86_64", "owner", "alice");
	b = json_pack("{s:s,s:s,s:[s,s],s:s}", "source", "r#a", "nevr", "foo-1-1.el9.mc", "arches",
		      "aarch64", "x86_64", "owner", "alice");
	if (q_store_sig_create(f->st, sig, "0123456789ABCDEF0123456789ABCDEF01234567", &err) < 0 ||
	    q_store_project_create(f->st, "mc", proj, &err) < 0 ||
	    q_store_project_create(f->st, "mc", proj2, &err) < 0 ||
	    q_store_build_create(f->st, "mc", "el9", b, &f->tagged_build, &err) < 0 ||
	    q_store_build_create(f->st, "mc", "plain", b2, &f->build, &err) < 0 ||
	    q_store_project_get(f->st, "mc", "el9", &p, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	f->project = json_integer_value(json_object_get(p, "id"));
	json_decref(p);
	json_decref(sig);
	json_decref(proj);
	json_decref(proj2);
	json_decref(b);
	json_decref(b2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	q_store_close(f->st);
	q_fs_remove_tree(f->dir, NULL);
	free(f);
	return 0;
}

static void put_tags(struct fixture *f, const char *body)
{
	struct q_error err;
	json_t *v = validate(body, &err);

	if (!v)
		fail_msg("%s", err.msg);
	OK(q_store_begin(f->st, &err));
	OK(q_store_buildtags_put(f->st, f->project, json_object_get(v, "tags"), &err));
	OK(q_store_commit(f->st, &err));
	json_decref(v);
}

static void test_store_tags(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *tags = NULL, *info = NULL;
	int64_t srpm_task, rpm_task, other;

	OK(q_store_buildtags_get(f->st, f->project, &tags, &err));
	assert_int_equal(json_array_size(tags), 0);
	json_decref(tags);
	put_tags(f, "{\"tags\":[{\"arch\":\"x86_64\",\"packages\":[\"gcc\"]},{\"repos\":[{"
		    "\"repo\":\"candidate\"}],\"macros\":{\"b\":\"2\",\"a\":\"1\"}}]}");
	OK(q_store_buildtags_get(f->st, f->project, &tags, &err));
	assert_int_equal(json_array_size(tags), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 0), "arch")),
			    "*");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(json_array_get(tags, 0), "repos"), 0), "repo")),
	    "candidate");
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_array_get(tags, 0), "macros"), "a")),
			    "1");
	json_decref(tags);

	/* the task's tag: its arch's, else '*'; an SRPM task's: the first arch's */
	OK(q_store_task_create(f->st, f->tagged_build, "srpm", "src", &srpm_task, &err));
	OK(q_store_task_create(f->st, f->tagged_build, "rpm", "x86_64", &rpm_task, &err));
	OK(q_store_task_create(f->st, f->tagged_build, "rpm", "aarch64", &other, &err));
	OK(q_store_task_buildtag(f->st, srpm_task, &info, &err));
	assert_string_equal(json_string_value(json_object_get(info, "tag_arch")), "aarch64");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(info, "tag"), "arch")), "*");
	assert_string_equal(json_string_value(json_object_get(info, "sig")), "mc");
	assert_int_equal(json_integer_value(json_object_get(info, "major")), 9);
	json_decref(info);
	OK(q_store_task_buildtag(f->st, rpm_task, &info, &err));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(info, "tag"), "arch")), "x86_64");
	json_decref(info);

	/* replaced as a whole; no tag → null */
	put_tags(f, "{\"tags\":[{\"arch\":\"aarch64\"}]}");
	OK(q_store_task_buildtag(f->st, rpm_task, &info, &err));
	assert_true(json_is_null(json_object_get(info, "tag")));
	json_decref(info);
	OK(q_store_task_buildtag(f->st, other, &info, &err));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(info, "tag"), "arch")), "aarch64");
	json_decref(info);

	/* buildroot repos per task */
	OK(q_store_task_set_buildroot_repos(f->st, rpm_task, "[{\"name\":\"b\"}]", &err));
	OK(q_store_task_buildroot_repos(f->st, rpm_task, &info, &err));
	assert_string_equal(json_string_value(json_object_get(json_array_get(info, 0), "name")),
			    "b");
	json_decref(info);
	OK(q_store_task_buildroot_repos(f->st, other, &info, &err));
	assert_int_equal(json_array_size(info), 0);
	json_decref(info);
}

static void test_claim_backend(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *wa = json_pack("[s,s]", "x86_64", "src"), *t = NULL;
	int64_t tagged, plain, now = (int64_t)time(NULL);

	/* the tagged project's task is older than the plain one's */
	OK(q_store_task_create(f->st, f->tagged_build, "rpm", "x86_64", &tagged, &err));
	OK(q_store_task_create(f->st, f->build, "rpm", "x86_64", &plain, &err));
	put_tags(f, "{\"tags\":[{\"packages\":[\"bash\"]}]}");
	OK(q_store_task_claim(f->st, "w1", wa, "host", now + 30, &t, &err));
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "id")), plain);
	json_decref(t);
	OK(q_store_task_claim(f->st, "w1", wa, NULL, now + 30, &t, &err));
	assert_null(t); /* NULL is host: the tagged task waits for an installroot worker */
	OK(q_store_task_claim(f->st, "w2", wa, "installroot", now + 30, &t, &err));
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "id")), tagged);
	json_decref(t);
	json_decref(wa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_validate_contract_shape),
	    cmocka_unit_test(test_validate_refusals),
	    cmocka_unit_test(test_claim_object),
	    cmocka_unit_test(test_result_shapes),
	    cmocka_unit_test_setup_teardown(test_store_tags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claim_backend, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
