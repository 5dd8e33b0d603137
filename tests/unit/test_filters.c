/*
 * test_filters.c: the list filters and the package search. --since values
 * (dates, ages, and what is refused), package names and patterns, the
 * store's build filters (each alone and combined), the package search
 * (exact, pattern, epoch in the EVR, the limit and "truncated", and the
 * packages_name index serving a prefix pattern), and the completion
 * generator on a made-up command table, completed by the real bash.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/names.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "publish/rpm.h"
#include "store/store.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#define OK(x) assert_int_equal((x), 0)

static void since_values(void **state)
{
	struct q_error err = {0};
	const int64_t now = 1796300000; /* 2026-12-03 */
	int64_t t = 0;

	(void)state;
	OK(q_cli_parse_since("7d", now, &t, &err));
	assert_int_equal(t, now - 7 * 86400);
	OK(q_cli_parse_since("12h", now, &t, &err));
	assert_int_equal(t, now - 12 * 3600);
	OK(q_cli_parse_since("30m", now, &t, &err));
	assert_int_equal(t, now - 30 * 60);
	OK(q_cli_parse_since("2w", now, &t, &err));
	assert_int_equal(t, now - 14 * 86400);
	OK(q_cli_parse_since("24181d", now, &t, &err)); /* reaches before 1970 */
	assert_int_equal(t, 0);
	OK(q_cli_parse_since("2026-12-01", now, &t, &err));
	assert_int_equal(t, 1796083200);
	OK(q_cli_parse_since("2026-12-01T10:00:00Z", now, &t, &err));
	assert_int_equal(t, 1796083200 + 36000);

	static const char *const bad[] = {
	    "",
	    "7",
	    "d",
	    "7x",
	    "-7d",
	    "+7d",
	    "7dd",
	    "0d",
	    " 7d",
	    "7 d",
	    "7D",
	    "1.5d",
	    "2026-13-01",
	    "2026-12-01T10:00",
	    "2026-02-30",
	    "yesterday",
	    "99999999999999999999d",
	    "40000d",
	};
	for (size_t i = 0; i < Q_ARRAY_LEN(bad); i++) {
		memset(&err, 0, sizeof(err));
		if (q_cli_parse_since(bad[i], now, &t, &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "neither a date"));
	}
	assert_int_equal(q_cli_parse_since(NULL, now, &t, &err), -1);
}

static void package_names(void **state)
{
	char longname[300];

	(void)state;
	assert_true(q_package_name_valid("python3-foo", 0));
	assert_true(q_package_name_valid("gcc-c++", 0));
	assert_true(q_package_name_valid("perl-Foo_Bar.1", 0));
	assert_true(q_package_name_valid("_x", 0));
	assert_true(q_package_name_valid("3proxy", 0));
	assert_false(q_package_name_valid("", 0));
	assert_false(q_package_name_valid(NULL, 0));
	assert_false(q_package_name_valid("-x", 0));
	assert_false(q_package_name_valid(".x", 0));
	assert_false(q_package_name_valid("a b", 0));
	assert_false(q_package_name_valid("a/b", 0));
	assert_false(q_package_name_valid("caf\xc3\xa9", 0));
	assert_false(q_package_name_valid("python3-*", 0));
	assert_true(q_package_name_valid("python3-*", 1));
	assert_true(q_package_name_valid("*-devel", 1));
	assert_true(q_package_name_valid("?ash", 1));
	assert_true(q_package_name_valid("*", 1));
	assert_false(q_package_name_valid("python3-[ab]*", 1));
	assert_false(q_package_name_valid("a\\*", 1));
	memset(longname, 'a', sizeof(longname));
	longname[255] = '\0';
	assert_true(q_package_name_valid(longname, 0));
	longname[255] = 'a';
	longname[256] = '\0';
	assert_false(q_package_name_valid(longname, 0));
}

/* ---- the store ---- */

struct fixture {
	char dir[128];
	char db[200];
	struct q_store *st;
	int64_t repo;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct q_error err = {0};
	json_t *sig, *proj, *proj2, *repo, *got = NULL;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/quarry-test-filters-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/quarry.db", f->dir);
	f->st = q_store_open(f->db, &err);
	if (!f->st || q_store_migrate(f->st, &err) < 0)
		return -1;
	sig = json_pack("{s:s,s:s,s:s,s:s}", "name", "mc", "short_name", "mc", "title", "MC",
			"status", "active");
	proj = json_pack("{s:s,s:i,s:s,s:[s]}", "name", "el9", "major", 9, "variant", "1", "arches",
			 "x86_64");
	proj2 = json_pack("{s:s,s:i,s:s,s:[s]}", "name", "el10", "major", 10, "variant", "1",
			  "arches", "x86_64");
	repo = json_pack("{s:s,s:s,s:[s]}", "name", "common", "channel", "candidate", "arches",
			 "x86_64");
	if (q_store_sig_create(f->st, sig, "0123456789ABCDEF0123456789ABCDEF01234567", &err) < 0 ||
	    q_store_project_create(f->st, "mc", proj, &err) < 0 ||
	    q_store_project_create(f->st, "mc", proj2, &err) < 0 ||
	    q_store_repo_create(f->st, "mc", "el9", repo, &err) < 0 ||
	    q_store_repo_get(f->st, "mc", "el9", "common", &got, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	f->repo = json_integer_value(json_object_get(got, "id"));
	json_decref(got);
	json_decref(sig);
	json_decref(proj);
	json_decref(proj2);
	json_decref(repo);
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

static int64_t add_build(struct fixture *f, const char *project, const char *name,
			 const char *owner)
{
	struct q_error err = {0};
	char nevr[128];
	int64_t id = 0;
	json_t *b;

	snprintf(nevr, sizeof(nevr), "%s-1-1.el9.mc", name);
	b = json_pack("{s:s,s:s,s:s,s:[s],s:s}", "source", "repo#r9-sig-mc-1", "nevr", nevr, "name",
		      name, "arches", "x86_64", "owner", owner);
	OK(q_store_build_create(f->st, "mc", project, b, &id, &err));
	json_decref(b);
	return id;
}

/* The ids q_store_build_list returns, newest first, as "3 1". */
static char *list_ids(struct fixture *f, const struct q_build_filter *flt)
{
	static char buf[128];
	struct q_error err = {0};
	json_t *list = NULL, *b;
	size_t i;

	buf[0] = '\0';
	OK(q_store_build_list(f->st, flt, &list, &err));
	json_array_foreach (list, i, b)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%lld", i ? " " : "",
			 (long long)json_integer_value(json_object_get(b, "id")));
	json_decref(list);
	return buf;
}

static void build_filters(void **state)
{
	struct fixture *f = *state;
	int64_t b1 = add_build(f, "el9", "foo", "alice"), b2 = add_build(f, "el9", "bar", "bob"),
		b3 = add_build(f, "el10", "foo", "bob");
	char want[64];
	sqlite3 *db;

	assert_true(b1 < b2 && b2 < b3);
	assert_string_equal(list_ids(f, &(struct q_build_filter){.limit = 50}), "3 2 1");
	assert_string_equal(list_ids(f, &(struct q_build_filter){.owner = "bob", .limit = 50}),
			    "3 2");
	assert_string_equal(list_ids(f, &(struct q_build_filter){.package = "foo", .limit = 50}),
			    "3 1");
	assert_string_equal(
	    list_ids(f, &(struct q_build_filter){.sig = "mc", .project = "el9", .limit = 50}),
	    "2 1");
	assert_string_equal(list_ids(f, &(struct q_build_filter){.sig = "mc",
								 .project = "el9",
								 .owner = "bob",
								 .package = "bar",
								 .state = "building",
								 .limit = 50}),
			    "2");
	assert_string_equal(
	    list_ids(f, &(struct q_build_filter){.owner = "bob", .package = "foo", .limit = 50}),
	    "3");
	assert_string_equal(list_ids(f, &(struct q_build_filter){.state = "complete", .limit = 50}),
			    "");
	assert_string_equal(list_ids(f, &(struct q_build_filter){.owner = "carol", .limit = 50}),
			    "");
	assert_string_equal(list_ids(f, &(struct q_build_filter){.limit = 2}), "3 2");
	/* since: build 1 made ten days old */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	snprintf(want, sizeof(want), "UPDATE builds SET created = %lld WHERE id = 1",
		 (long long)time(NULL) - 10 * 86400);
	assert_int_equal(sqlite3_exec(db, want, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_string_equal(
	    list_ids(f, &(struct q_build_filter){.since = time(NULL) - 7 * 86400, .limit = 50}),
	    "3 2");
	assert_string_equal(list_ids(f, &(struct q_build_filter){.since = time(NULL) - 7 * 86400,
								 .package = "foo",
								 .limit = 50}),
			    "3");
	/* an injection attempt is a value like any other */
	assert_string_equal(
	    list_ids(f, &(struct q_build_filter){.owner = "x' OR '1'='1", .limit = 50}), "");
}

static int64_t add_package(struct fixture *f, const char *name, const char *epoch,
			   const char *version, const char *arch)
{
	struct q_rpm_info in = {0};
	struct q_error err = {0};
	char nevra[128], file[160];
	int64_t id = 0;
	static int n;

	snprintf(nevra, sizeof(nevra), "%s-%s-1.el9.mc.%s", name, version, arch);
	snprintf(file, sizeof(file), "%s.rpm", nevra);
	in.name = (char *)name;
	in.epoch = (char *)epoch;
	in.version = (char *)version;
	in.release = (char *)"1.el9.mc";
	in.arch = (char *)arch;
	in.nevra = nevra;
	in.filename = file;
	snprintf(in.sha256, sizeof(in.sha256), "%064d", ++n);
	in.size = 1;
	in.build_archs = (char *)"";
	in.primary_xml = (char *)"";
	in.filelists_xml = (char *)"";
	in.other_xml = (char *)"";
	OK(q_store_package_put(f->st, &in, &id, &err));
	OK(q_store_repo_add_package(f->st, f->repo, id, &err));
	return id;
}

static void package_search(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *out = NULL;
	int truncated = -1;
	char *s;
	sqlite3 *db;
	sqlite3_stmt *plan;
	int indexed = 0;

	add_package(f, "python3-foo", "0", "1.0", "noarch");
	add_package(f, "python3-foo", "2", "1.1", "noarch");
	add_package(f, "python3-bar", "0", "2.0", "x86_64");
	add_package(f, "perl-baz", "0", "3.0", "x86_64");

	OK(q_store_package_search(f->st, "python3-foo", 0, 100, &out, &truncated, &err));
	s = json_dumps(out, JSON_COMPACT);
	assert_string_equal(s, "[{\"name\":\"python3-foo\",\"sig\":\"mc\",\"project\":\"el9\","
			       "\"repo\":\"common\",\"channel\":\"candidate\",\"arch\":\"noarch\","
			       "\"versions\":[\"2:1.1-1.el9.mc\",\"1.0-1.el9.mc\"]}]");
	assert_int_equal(truncated, 0);
	free(s);
	json_decref(out);

	OK(q_store_package_search(f->st, "python3-*", 1, 100, &out, &truncated, &err));
	assert_int_equal(json_array_size(out), 2); /* bar on x86_64, foo on noarch */
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "name")),
			    "python3-bar");
	json_decref(out);
	OK(q_store_package_search(f->st, "python3-*", 1, 2, &out, &truncated, &err));
	assert_int_equal(truncated, 1);
	json_decref(out);
	OK(q_store_package_search(f->st, "python3-*", 1, 3, &out, &truncated, &err));
	assert_int_equal(truncated, 0);
	json_decref(out);
	/* exact is exact: a pattern character in an exact name matches nothing */
	OK(q_store_package_search(f->st, "python3-*", 0, 100, &out, &truncated, &err));
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	OK(q_store_package_search(f->st, "PYTHON3-*", 1, 100, &out, &truncated, &err));
	assert_int_equal(json_array_size(out), 0); /* names are case-sensitive */
	json_decref(out);

	/* The prefix pattern is a range of the packages_name index. */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "EXPLAIN QUERY PLAN SELECT id FROM packages "
					    "WHERE name GLOB 'python3-*'",
					    -1, &plan, NULL),
			 SQLITE_OK);
	while (sqlite3_step(plan) == SQLITE_ROW)
		indexed |=
		    strstr((const char *)sqlite3_column_text(plan, 3), "packages_name") != NULL;
	sqlite3_finalize(plan);
	sqlite3_close(db);
	assert_true(indexed);
}

/* ---- the completion generator, on a table of its own ---- */

static int run_nothing(struct q_client *c, struct q_cli_args *a)
{
	(void)c;
	(void)a;
	return 0;
}

static int fn_nothing(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void completion_generated(void **state)
{
	static const struct q_cli_opt opts[] = {
	    {"zap", "FILE", "a file"},
	    {"mode", "fast|slow", "how"},
	    {"loud", NULL, "a flag"},
	};
	static const struct q_cli_cmd cmds[] = {
	    {"spin", "", "spin", 0, 0, 1u << 0 | 1u << 2, 0, run_nothing},
	    {"knob turn", "X", "turn", 1, 1, 1u << 1, 0, run_nothing},
	};
	static const struct q_cli_family fam = {"frob", "Frob.", opts, 3, cmds, 2};
	static const struct option lo[] = {{"level", required_argument, NULL, 'l'},
					   {NULL, 0, NULL, 0}};
	static const struct q_cli_command table[] = {
	    {"frob", fn_nothing, "frob things", &fam, NULL},
	    {"serve", fn_nothing, "serve", NULL, lo},
	    {"secret", fn_nothing, NULL, NULL, NULL},
	};
	static const char *const cases[][2] = {
	    {"quarry ''", "frob serve"},
	    {"quarry fr", "frob"},
	    {"quarry frob ''", "knob spin"},
	    {"quarry frob knob ''", "turn"},
	    {"quarry frob spin --", "--client-config --help --hub --json --loud --token --zap"},
	    {"quarry frob knob turn x --", "--client-config --help --hub --json --mode --token"},
	    {"quarry frob knob turn x --mode ''", "fast slow"},
	    {"quarry --hub h frob sp", "spin"},
	    {"quarry serve --", "--level"},
	    {"quarry sec", ""},
	};
	char path[] = "/tmp/quarry-test-completion-XXXXXX";
	int fd = mkstemp(path);
	FILE *out;

	(void)state;
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	assert_non_null(out);
	q_cli_completion_bash(out, table, Q_ARRAY_LEN(table));
	assert_int_equal(fclose(out), 0);
	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++) {
		char cmd[2048], got[256] = "";
		FILE *p;

		/* the words are single-quoted, inside a single-quoted bash -c */
		{
			char esc[1024] = "";
			const char *w = cases[i][0];

			for (; *w; w++)
				if (*w == '\'')
					strncat(esc, "'\\''", sizeof(esc) - strlen(esc) - 1);
				else
					strncat(esc, (char[]){*w, 0},
						sizeof(esc) - strlen(esc) - 1);
			snprintf(cmd, sizeof(cmd),
				 "bash -c '. %s; COMP_WORDS=(%s); "
				 "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _quarry; "
				 "printf \"%%s\\n\" \"${COMPREPLY[@]}\" | sort | paste -sd\" \"'",
				 path, esc);
		}
		p = popen(cmd, "r");
		assert_non_null(p);
		if (!fgets(got, sizeof(got), p))
			got[0] = '\0';
		got[strcspn(got, "\n")] = '\0';
		assert_int_equal(pclose(p), 0);
		if (strcmp(got, cases[i][1]))
			fail_msg("%s: got '%s', want '%s'", cases[i][0], got, cases[i][1]);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(since_values),
	    cmocka_unit_test(package_names),
	    cmocka_unit_test_setup_teardown(build_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(package_search, setup, teardown),
	    cmocka_unit_test(completion_generated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
