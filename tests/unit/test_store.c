/*
 * test_store.c: the SQLite store (src/store/store_sqlite.c) on a fresh
 * database file per test: migrations applied twice (idempotent) and a
 * database newer than the code refused; users and tokens (lookup by hash,
 * Q_EAUTH for an unknown or deleted token); SIGs (create, duplicate name
 * or short name → Q_ECONFLICT, update, members and roles); projects and
 * repos (dist_tag and branch derived from the SIG, arches as arrays,
 * unknown parents → Q_ENOTFOUND); packages (the same SHA-256 twice → the
 * same id) and the publish set of one arch (that arch plus noarch); the
 * dirty generation (a stale 'seen' does not clear a newer change); staged
 * uploads expiring; publish history pruned to `keep`; the audit log newest
 * first; a rolled-back transaction leaves nothing, a committed one is seen
 * by a second connection; mirrors (put inserts then updates and resets
 * the state, set_state and delete on a missing name → Q_ENOTFOUND, the
 * state CHECK refuses unknown states).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "publish/rpm.h"
#include "store/store.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

struct fixture {
	char dir[128];
	char db[200];
	struct q_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct q_error err = {0};

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/quarry-test-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/quarry.db", f->dir);
	f->st = q_store_open(f->db, &err);
	if (!f->st || q_store_migrate(f->st, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
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

#define OK(call)                                                                                   \
	do {                                                                                       \
		struct q_error err_ = {0};                                                         \
		if ((call) != 0)                                                                   \
			fail_msg("%s failed: %s", #call, err_.msg);                                \
	} while (0)
/* Use `&err_` as the error argument inside OK(). */

static void expect_code(int rc, const struct q_error *err, enum q_code code)
{
	assert_int_equal(rc, -1);
	if (err->code != code)
		fail_msg("code %s, want %s (%s)", q_code_name(err->code), q_code_name(code),
			 err->msg);
}

static const char *jget_str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	if (!v)
		fail_msg("no string field '%s'", k);
	return v;
}

static int64_t jget_int(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("no integer field '%s'", k);
	return json_integer_value(v);
}

static void make_sig(struct q_store *st, const char *name, const char *short_name)
{
	json_t *f = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "short_name", short_name, "title",
			      "A SIG", "status", "active");

	OK(q_store_sig_create(st, f, "FPR0123", &err_));
	json_decref(f);
}

static int64_t make_user(struct q_store *st, const char *name, const char *role)
{
	int64_t id = -1;

	OK(q_store_user_create(st, name, role, &id, &err_));
	assert_true(id > 0);
	return id;
}

/* sig "mc" (short "mc"), project "el9" (major 9, variant "x"), repo "main";
 * returns the repo id. */
static int64_t make_repo(struct q_store *st)
{
	json_t *p = json_pack("{s:s,s:i,s:s,s:[ss]}", "name", "el9", "major", 9, "variant", "x",
			      "arches", "x86_64", "aarch64");
	json_t *r = json_pack("{s:s,s:s,s:[ss]}", "name", "main", "channel", "testing", "arches",
			      "x86_64", "aarch64");
	json_t *repo;
	int64_t id;

	make_sig(st, "mc", "mc");
	OK(q_store_project_create(st, "mc", p, &err_));
	OK(q_store_repo_create(st, "mc", "el9", r, &err_));
	OK(q_store_repo_get(st, "mc", "el9", "main", &repo, &err_));
	id = jget_int(repo, "id");
	json_decref(repo);
	json_decref(p);
	json_decref(r);
	return id;
}

static void test_migrate(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	struct q_store *st2;
	sqlite3 *db;

	/* twice more on the same connection, and on a new one */
	OK(q_store_migrate(f->st, &err_));
	OK(q_store_migrate(f->st, &err_));
	st2 = q_store_open(f->db, &err);
	assert_non_null(st2);
	OK(q_store_migrate(st2, &err_));
	assert_int_equal(q_store_ping(st2), 0);
	q_store_close(st2);

	/* a schema from a newer quarry is refused, and not touched */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "INSERT INTO schema_version VALUES (99)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	expect_code(q_store_migrate(f->st, &err), &err, Q_EINVAL);
	assert_non_null(strstr(err.msg, "upgrade quarry"));

	st2 = q_store_open("/nonexistent-dir/quarry.db", &err);
	assert_null(st2);
	assert_int_equal(err.code, Q_EIO);
}

static void test_users_tokens(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	struct q_principal who;
	json_t *o;
	int64_t alice, bob, tok, owner, n, id;
	char hash[65];

	alice = make_user(f->st, "alice", "admin");
	bob = make_user(f->st, "bob", "user");
	expect_code(q_store_user_create(f->st, "alice", "user", NULL, &err), &err, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, "'alice' already exists"));
	/* the CHECK on role holds even if a caller forgets to validate */
	assert_int_equal(q_store_user_create(f->st, "carol", "root", NULL, &err), -1);
	OK(q_store_user_count(f->st, &n, &err_));
	assert_int_equal(n, 2);

	OK(q_store_user_get(f->st, "bob", &o, &id, &err_));
	assert_int_equal(id, bob);
	assert_string_equal(jget_str(o, "role"), "user");
	assert_null(json_object_get(o, "id"));
	json_decref(o);
	expect_code(q_store_user_get(f->st, "nobody", &o, NULL, &err), &err, Q_ENOTFOUND);
	OK(q_store_user_list(f->st, &o, &err_));
	assert_int_equal(json_array_size(o), 2);
	assert_string_equal(jget_str(json_array_get(o, 0), "name"), "alice");
	json_decref(o);

	memset(hash, 'a', 64);
	hash[64] = '\0';
	OK(q_store_token_create(f->st, alice, hash, "laptop", &tok, &err_));
	OK(q_store_token_create(f->st, bob, "bbbb", "ci", NULL, &err_));
	expect_code(q_store_token_create(f->st, bob, hash, "dup", NULL, &err), &err, Q_ECONFLICT);
	OK(q_store_token_lookup(f->st, hash, &who, &err_));
	assert_int_equal(who.user_id, alice);
	assert_string_equal(who.name, "alice");
	assert_string_equal(who.role, "admin");
	expect_code(q_store_token_lookup(f->st, "cccc", &who, &err), &err, Q_EAUTH);
	expect_code(q_store_token_lookup(f->st, "", &who, &err), &err, Q_EAUTH);

	OK(q_store_token_list(f->st, -1, &o, &err_));
	assert_int_equal(json_array_size(o), 2);
	json_decref(o);
	OK(q_store_token_list(f->st, bob, &o, &err_));
	assert_int_equal(json_array_size(o), 1);
	assert_string_equal(jget_str(json_array_get(o, 0), "user"), "bob");
	assert_string_equal(jget_str(json_array_get(o, 0), "description"), "ci");
	json_decref(o);

	OK(q_store_token_owner(f->st, tok, &owner, &err_));
	assert_int_equal(owner, alice);
	expect_code(q_store_token_owner(f->st, 9999, &owner, &err), &err, Q_ENOTFOUND);
	OK(q_store_token_delete(f->st, tok, &err_));
	expect_code(q_store_token_lookup(f->st, hash, &who, &err), &err, Q_EAUTH);
}

static void test_sigs_members(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *o, *fields, *m;
	int64_t bob;
	char role[16];

	make_sig(f->st, "mc", "mc");
	bob = make_user(f->st, "bob", "user");
	make_user(f->st, "carol", "user");

	fields = json_pack("{s:s,s:s,s:s,s:s}", "name", "mc", "short_name", "other", "title", "t",
			   "status", "active");
	expect_code(q_store_sig_create(f->st, fields, "F", &err), &err, Q_ECONFLICT);
	json_decref(fields);
	fields = json_pack("{s:s,s:s,s:s,s:s}", "name", "other", "short_name", "mc", "title", "t",
			   "status", "active");
	expect_code(q_store_sig_create(f->st, fields, "F", &err), &err, Q_ECONFLICT);
	json_decref(fields);

	OK(q_store_sig_get(f->st, "mc", 0, &o, &err_));
	assert_string_equal(jget_str(o, "title"), "A SIG");
	assert_string_equal(jget_str(o, "key_fingerprint"), "FPR0123");
	assert_string_equal(jget_str(o, "key_url"), "/api/v1/sigs/mc/key");
	assert_string_equal(jget_str(o, "purpose"), "");
	assert_null(json_object_get(o, "members"));
	json_decref(o);
	expect_code(q_store_sig_get(f->st, "nope", 0, &o, &err), &err, Q_ENOTFOUND);

	fields = json_pack("{s:s,s:s,s:s}", "title", "Multi Cloud", "status", "retired", "name",
			   "ignored");
	OK(q_store_sig_update(f->st, "mc", fields, &err_));
	json_decref(fields);
	OK(q_store_sig_get(f->st, "mc", 0, &o, &err_));
	assert_string_equal(jget_str(o, "title"), "Multi Cloud");
	assert_string_equal(jget_str(o, "status"), "retired");
	assert_string_equal(jget_str(o, "name"), "mc");
	json_decref(o);

	OK(q_store_sig_member_set(f->st, "mc", "bob", "member", &err_));
	OK(q_store_sig_member_set(f->st, "mc", "carol", "lead", &err_));
	OK(q_store_sig_member_set(f->st, "mc", "bob", "lead", &err_)); /* role change */
	expect_code(q_store_sig_member_set(f->st, "mc", "nobody", "lead", &err), &err, Q_ENOTFOUND);
	OK(q_store_sig_member_role(f->st, "mc", bob, role, &err_));
	assert_string_equal(role, "lead");
	OK(q_store_sig_member_role(f->st, "other", bob, role, &err_));
	assert_string_equal(role, "");

	OK(q_store_sig_get(f->st, "mc", 1, &o, &err_));
	m = json_object_get(o, "members");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(jget_str(json_array_get(m, 0), "user"), "bob");
	assert_string_equal(jget_str(json_array_get(m, 0), "role"), "lead");
	json_decref(o);

	OK(q_store_user_sigs(f->st, bob, &o, &err_));
	assert_string_equal(jget_str(o, "mc"), "lead");
	json_decref(o);

	OK(q_store_sig_member_delete(f->st, "mc", "bob", &err_));
	expect_code(q_store_sig_member_delete(f->st, "mc", "bob", &err), &err, Q_ENOTFOUND);
	OK(q_store_sig_member_role(f->st, "mc", bob, role, &err_));
	assert_string_equal(role, "");
	OK(q_store_sig_list(f->st, &o, &err_));
	assert_int_equal(json_array_size(o), 1);
	json_decref(o);
}

static void test_projects_repos(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *o, *p, *r, *a;
	int64_t repo_id = make_repo(f->st);

	OK(q_store_project_get(f->st, "mc", "el9", &o, &err_));
	assert_string_equal(jget_str(o, "dist_tag"), ".el9.mc");
	assert_string_equal(jget_str(o, "branch"), "r9-sig-mc-x");
	assert_int_equal(jget_int(o, "major"), 9);
	a = json_object_get(o, "arches");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 1)), "aarch64");
	json_decref(o);
	expect_code(q_store_project_get(f->st, "mc", "el8", &o, &err), &err, Q_ENOTFOUND);

	p = json_pack("{s:s,s:i,s:s,s:[s]}", "name", "el9", "major", 9, "variant", "x", "arches",
		      "x86_64");
	expect_code(q_store_project_create(f->st, "mc", p, &err), &err, Q_ECONFLICT);
	expect_code(q_store_project_create(f->st, "nosig", p, &err), &err, Q_ENOTFOUND);
	json_object_set_new(p, "name", json_string("el10"));
	json_object_set_new(p, "major", json_integer(10));
	json_object_set_new(p, "arches", json_array());
	OK(q_store_project_create(f->st, "mc", p, &err_));
	json_decref(p);
	OK(q_store_project_get(f->st, "mc", "el10", &o, &err_));
	assert_int_equal(json_array_size(json_object_get(o, "arches")), 0);
	assert_string_equal(jget_str(o, "dist_tag"), ".el10.mc");
	json_decref(o);
	OK(q_store_project_list(f->st, "mc", &o, &err_));
	assert_int_equal(json_array_size(o), 2);
	assert_string_equal(jget_str(json_array_get(o, 0), "name"), "el10");
	json_decref(o);

	OK(q_store_repo_get(f->st, "mc", "el9", "main", &o, &err_));
	assert_int_equal(jget_int(o, "id"), repo_id);
	assert_string_equal(jget_str(o, "dist_tag"), ".el9.mc");
	assert_string_equal(jget_str(o, "key_fingerprint"), "FPR0123");
	assert_string_equal(jget_str(o, "channel"), "testing");
	assert_string_equal(jget_str(o, "path"), "/pub/sig/9/mc/ARCH/main/");
	assert_int_equal(json_array_size(json_object_get(o, "arches")), 2);
	assert_int_equal(jget_int(o, "dirty"), 0);
	json_decref(o);
	expect_code(q_store_repo_get(f->st, "mc", "el9", "nope", &o, &err), &err, Q_ENOTFOUND);

	r = json_pack("{s:s,s:s,s:[s]}", "name", "main", "channel", "release", "arches", "x86_64");
	expect_code(q_store_repo_create(f->st, "mc", "el9", r, &err), &err, Q_ECONFLICT);
	expect_code(q_store_repo_create(f->st, "mc", "el8", r, &err), &err, Q_ENOTFOUND);
	expect_code(q_store_repo_create(f->st, "zz", "el9", r, &err), &err, Q_ENOTFOUND);
	json_object_set_new(r, "channel", json_string("bogus"));
	json_object_set_new(r, "name", json_string("extras"));
	assert_int_equal(q_store_repo_create(f->st, "mc", "el9", r, &err), -1); /* CHECK */
	json_object_set_new(r, "channel", json_string("release"));
	OK(q_store_repo_create(f->st, "mc", "el9", r, &err_));
	json_decref(r);
	OK(q_store_repo_list(f->st, "mc", "el9", &o, &err_));
	assert_int_equal(json_array_size(o), 2);
	assert_string_equal(jget_str(json_array_get(o, 0), "name"), "extras");
	json_decref(o);
	OK(q_store_repo_list_all(f->st, 0, &o, &err_));
	assert_int_equal(json_array_size(o), 2);
	assert_string_equal(jget_str(json_array_get(o, 1), "sig"), "mc");
	assert_string_equal(jget_str(json_array_get(o, 1), "project"), "el9");
	json_decref(o);
}

/* Repo claims: a path / metalink id, and R with R-testing, belong to one
 * project on a major; a branch (major, variant) to one project. */
static void test_repo_claims(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *o = NULL, *p, *r;
	int64_t main_id = make_repo(f->st), el9b_id;

	p = json_pack("{s:s,s:i,s:s,s:[s]}", "name", "el9b", "major", 9, "variant", "x", "arches",
		      "x86_64");
	expect_code(q_store_project_create(f->st, "mc", p, &err), &err, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, "project 'mc/el9' already builds from branch r9-sig-mc-x"));
	json_object_set_new(p, "variant", json_string("y"));
	OK(q_store_project_create(f->st, "mc", p, &err_));
	OK(q_store_project_get(f->st, "mc", "el9b", &o, &err_));
	el9b_id = jget_int(o, "id");
	json_decref(o);
	json_object_set_new(p, "name", json_string("el8"));
	json_object_set_new(p, "major", json_integer(8));
	json_object_set_new(p, "variant", json_string("x"));
	OK(q_store_project_create(f->st, "mc", p, &err_));
	json_decref(p);

	r = json_pack("{s:s,s:s,s:[s]}", "name", "main", "channel", "release", "arches", "x86_64");
	expect_code(q_store_repo_create(f->st, "mc", "el9b", r, &err), &err, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, "repo 'main' is taken on EL 9: project 'mc/el9'"));
	json_object_set_new(r, "name", json_string("main-testing"));
	expect_code(q_store_repo_create(f->st, "mc", "el9b", r, &err), &err, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, "repo 'main' of project 'mc/el9'"));
	OK(q_store_repo_create(f->st, "mc", "el9", r, &err_)); /* its own testing repo */
	OK(q_store_repo_create(f->st, "mc", "el8", r, &err_)); /* another major */
	json_object_set_new(r, "name", json_string("testing"));
	OK(q_store_repo_create(f->st, "mc", "el9b", r, &err_)); /* "testing" is a plain name */

	/* Across SIGs: sig-mc-x-y-9 is one metalink id. */
	make_sig(f->st, "mc-x", "mcx");
	p = json_pack("{s:s,s:i,s:s,s:[s]}", "name", "el9", "major", 9, "variant", "x", "arches",
		      "x86_64");
	OK(q_store_project_create(f->st, "mc-x", p, &err_));
	json_decref(p);
	json_object_set_new(r, "name", json_string("y"));
	OK(q_store_repo_create(f->st, "mc-x", "el9", r, &err_));
	json_object_set_new(r, "name", json_string("x-y"));
	expect_code(q_store_repo_create(f->st, "mc", "el9b", r, &err), &err, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, "sig-mc-x-y-9 and sig-mc-x-y-9"));
	json_decref(r);

	/* The owner of a claim, and only older repos with before_id. */
	OK(q_store_repo_claim_owner(f->st, el9b_id, 9, "mc", "main", 0, &o, &err_));
	assert_non_null(o);
	assert_int_equal(jget_int(o, "id"), main_id);
	assert_string_equal(jget_str(o, "project"), "el9");
	json_decref(o);
	OK(q_store_repo_claim_owner(f->st, el9b_id, 9, "mc", "other", 0, &o, &err_));
	assert_null(o);
	OK(q_store_repo_claim_owner(f->st, -1, 9, "mc", "main", main_id, &o, &err_));
	assert_null(o); /* nothing older than itself */
}

static void test_dirty_generation(void **state)
{
	struct fixture *f = *state;
	json_t *o;
	int64_t id = make_repo(f->st), seen;

	OK(q_store_repo_list_all(f->st, 1, &o, &err_));
	assert_int_equal(json_array_size(o), 0);
	json_decref(o);
	OK(q_store_repo_mark_dirty(f->st, id, &err_));
	OK(q_store_repo_list_all(f->st, 1, &o, &err_));
	assert_int_equal(json_array_size(o), 1);
	seen = jget_int(json_array_get(o, 0), "dirty");
	assert_int_equal(seen, 1);
	json_decref(o);

	/* a change lands while the publish of generation 1 runs */
	OK(q_store_repo_mark_dirty(f->st, id, &err_));
	OK(q_store_repo_clear_dirty(f->st, id, seen, &err_));
	OK(q_store_repo_list_all(f->st, 1, &o, &err_));
	assert_int_equal(json_array_size(o), 1);
	assert_int_equal(jget_int(json_array_get(o, 0), "dirty"), 2);
	json_decref(o);

	OK(q_store_repo_clear_dirty(f->st, id, 2, &err_));
	OK(q_store_repo_list_all(f->st, 1, &o, &err_));
	assert_int_equal(json_array_size(o), 0);
	json_decref(o);
}

static void fill_rpm(struct q_rpm_info *i, char *buf, size_t bufsize, const char *name,
		     const char *arch, char shachar)
{
	size_t n = 0;

	memset(i, 0, sizeof(*i));
#define FIELD(dst, ...)                                                                            \
	do {                                                                                       \
		dst = buf + n;                                                                     \
		n += (size_t)snprintf(buf + n, bufsize - n, __VA_ARGS__) + 1;                      \
		assert_true(n < bufsize);                                                          \
	} while (0)
	FIELD(i->name, "%s", name);
	FIELD(i->epoch, "0");
	FIELD(i->version, "1.0");
	FIELD(i->release, "1.el9.mc");
	FIELD(i->arch, "%s", arch);
	FIELD(i->nevra, "%s-1.0-1.el9.mc.%s", name, arch);
	FIELD(i->filename, "%s-1.0-1.el9.mc.%s.rpm", name, arch);
	FIELD(i->primary_xml, "<package><name>%s</name></package>", name);
	FIELD(i->filelists_xml, "<filelists/>");
	FIELD(i->other_xml, "<other/>");
#undef FIELD
	memset(i->sha256, shachar, 64);
	i->sha256[64] = '\0';
	i->size = 1234;
}

static void test_packages(void **state)
{
	struct fixture *f = *state;
	struct q_rpm_info a, b, c, d;
	char ba[512], bb[512], bc[512], bd[512];
	int64_t repo = make_repo(f->st), ia, ia2, ib, ic, id;
	json_t *o;

	fill_rpm(&a, ba, sizeof(ba), "foo", "x86_64", '1');
	fill_rpm(&b, bb, sizeof(bb), "doc", "noarch", '2');
	fill_rpm(&c, bc, sizeof(bc), "foo", "aarch64", '3');
	fill_rpm(&d, bd, sizeof(bd), "bar", "src", '4');
	OK(q_store_package_put(f->st, &a, &ia, &err_));
	OK(q_store_package_put(f->st, &a, &ia2, &err_));
	assert_int_equal(ia, ia2);
	OK(q_store_package_put(f->st, &b, &ib, &err_));
	OK(q_store_package_put(f->st, &c, &ic, &err_));
	OK(q_store_package_put(f->st, &d, &id, &err_));
	assert_true(ib != ia && ic != ia && ic != ib);

	OK(q_store_repo_add_package(f->st, repo, ia, &err_));
	OK(q_store_repo_add_package(f->st, repo, ia, &err_)); /* idempotent */
	OK(q_store_repo_add_package(f->st, repo, ib, &err_));
	OK(q_store_repo_add_package(f->st, repo, ic, &err_));
	OK(q_store_repo_add_package(f->st, repo, id, &err_));

	OK(q_store_repo_packages(f->st, repo, &o, &err_));
	assert_int_equal(json_array_size(o), 4);
	assert_string_equal(jget_str(json_array_get(o, 0), "nevra"), "bar-1.0-1.el9.mc.src");
	assert_int_equal(jget_int(json_array_get(o, 0), "size"), 1234);
	json_decref(o);

	{
		struct q_store_pubset set;

		OK(q_store_repo_publish_set(f->st, repo, "x86_64", &set, &err_));
		assert_int_equal(set.n, 2);
		assert_string_equal(set.pkgs[0].filename, "doc-1.0-1.el9.mc.noarch.rpm");
		assert_string_equal(set.pkgs[1].filename, "foo-1.0-1.el9.mc.x86_64.rpm");
		assert_string_equal(set.pkgs[1].primary, "<package><name>foo</name></package>");
		assert_string_equal(set.pkgs[1].filelists, "<filelists/>");
		assert_string_equal(set.pkgs[1].other, "<other/>");
		q_store_pubset_release(&set);
		OK(q_store_repo_publish_set(f->st, repo, "aarch64", &set, &err_));
		assert_int_equal(set.n, 2);
		assert_string_equal(set.pkgs[1].sha256, c.sha256);
		q_store_pubset_release(&set);
		OK(q_store_repo_publish_set(f->st, repo, "s390x", &set, &err_));
		assert_int_equal(set.n, 1);
		q_store_pubset_release(&set);
		OK(q_store_repo_publish_set(f->st, repo + 100, "x86_64", &set, &err_));
		assert_int_equal(set.n, 0);
		q_store_pubset_release(&set);
	}

	OK(q_store_counts(f->st, &o, &err_));
	assert_int_equal(jget_int(o, "packages"), 4);
	assert_int_equal(jget_int(o, "repos"), 1);
	json_decref(o);
}

static void test_uploads(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	int64_t bob = make_user(f->st, "bob", "user");
	json_t *o;

	OK(q_store_upload_put(f->st, "u1", bob, "a.rpm", "/data/up/u1", 10, "ab", &err_));
	OK(q_store_upload_put(f->st, "u2", bob, "b.rpm", "/data/up/u2", 20, "cd", &err_));
	expect_code(q_store_upload_put(f->st, "u1", bob, "c.rpm", "/x", 1, "x", &err), &err,
		    Q_ECONFLICT);
	OK(q_store_upload_get(f->st, "u1", &o, &err_));
	assert_string_equal(jget_str(o, "filename"), "a.rpm");
	assert_int_equal(jget_int(o, "size"), 10);
	assert_int_equal(jget_int(o, "user_id"), bob);
	json_decref(o);

	/* nothing is older than the epoch */
	OK(q_store_upload_expire(f->st, 0, &o, &err_));
	assert_int_equal(json_array_size(o), 0);
	json_decref(o);
	OK(q_store_upload_delete(f->st, "u2", &err_));
	expect_code(q_store_upload_get(f->st, "u2", &o, &err), &err, Q_ENOTFOUND);
	OK(q_store_upload_expire(f->st, (int64_t)time(NULL) + 10, &o, &err_));
	assert_int_equal(json_array_size(o), 1);
	assert_string_equal(jget_str(json_array_get(o, 0), "path"), "/data/up/u1");
	json_decref(o);
	expect_code(q_store_upload_get(f->st, "u1", &o, &err), &err, Q_ENOTFOUND);
}

static void test_publish_history(void **state)
{
	struct fixture *f = *state;
	int64_t repo = make_repo(f->st);
	char digest[65], last[65];
	json_t *o;
	struct q_publish_row row = {
	    .repo_id = repo,
	    .arch = "x86_64",
	    .time = 1000,
	    .set_digest = "",
	    .repomd_size = 3000,
	    .revision = 1000,
	    .md5 = "m",
	    .sha1 = "s1",
	    .sha256 = "s2",
	    .sha512 = "s5",
	    .n_packages = 3,
	};

	OK(q_store_publish_last_digest(f->st, repo, "x86_64", last, &err_));
	assert_string_equal(last, "");
	for (int i = 0; i < 5; i++) {
		snprintf(digest, sizeof(digest), "digest%d", i);
		row.set_digest = digest;
		row.revision = 1000 + i;
		OK(q_store_publish_add(f->st, &row, 3, &err_));
	}
	row.arch = "aarch64";
	row.set_digest = "other";
	OK(q_store_publish_add(f->st, &row, 3, &err_));

	OK(q_store_publish_last_digest(f->st, repo, "x86_64", last, &err_));
	assert_string_equal(last, "digest4");
	OK(q_store_publish_last_digest(f->st, repo, "aarch64", last, &err_));
	assert_string_equal(last, "other");
	OK(q_store_publish_history(f->st, repo, 100, &o, &err_));
	assert_int_equal(json_array_size(o), 4); /* 3 kept for x86_64, 1 aarch64 */
	assert_string_equal(jget_str(json_array_get(o, 0), "arch"), "aarch64");
	assert_int_equal(jget_int(json_array_get(o, 1), "timestamp"), 1004);
	assert_int_equal(jget_int(json_array_get(o, 3), "timestamp"), 1002);
	assert_int_equal(jget_int(json_array_get(o, 3), "packages"), 3);
	json_decref(o);
	OK(q_store_publish_history(f->st, repo, 1, &o, &err_));
	assert_int_equal(json_array_size(o), 1);
	json_decref(o);
}

static void test_audit(void **state)
{
	struct fixture *f = *state;
	json_t *o;

	OK(q_store_audit(f->st, "alice", "sig.create", "mc", "{}", &err_));
	OK(q_store_audit(f->st, "alice", "sig.update", "mc", NULL, &err_));
	OK(q_store_audit(f->st, "bob", "repo.publish", "mc/el9/main", "x", &err_));
	OK(q_store_audit_list(f->st, 2, &o, &err_));
	assert_int_equal(json_array_size(o), 2);
	assert_string_equal(jget_str(json_array_get(o, 0), "action"), "repo.publish");
	assert_string_equal(jget_str(json_array_get(o, 1), "action"), "sig.update");
	assert_string_equal(jget_str(json_array_get(o, 1), "detail"), "");
	assert_true(jget_int(json_array_get(o, 0), "id") > jget_int(json_array_get(o, 1), "id"));
	json_decref(o);
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	struct q_store *st2;
	json_t *o;
	int64_t n;

	OK(q_store_begin(f->st, &err_));
	make_user(f->st, "ghost", "user");
	make_sig(f->st, "ghostsig", "gs");
	OK(q_store_audit(f->st, "ghost", "user.create", "ghost", NULL, &err_));
	q_store_rollback(f->st);
	q_store_rollback(f->st); /* a second rollback is harmless */
	expect_code(q_store_user_get(f->st, "ghost", &o, NULL, &err), &err, Q_ENOTFOUND);
	expect_code(q_store_sig_get(f->st, "ghostsig", 0, &o, &err), &err, Q_ENOTFOUND);
	OK(q_store_audit_list(f->st, 10, &o, &err_));
	assert_int_equal(json_array_size(o), 0);
	json_decref(o);

	/* a failure inside a transaction, then rollback: nothing from before it stays */
	OK(q_store_begin(f->st, &err_));
	make_user(f->st, "dave", "user");
	expect_code(q_store_user_create(f->st, "dave", "user", NULL, &err), &err, Q_ECONFLICT);
	q_store_rollback(f->st);
	OK(q_store_user_count(f->st, &n, &err_));
	assert_int_equal(n, 0);

	/* committed: a second connection (another hub thread) sees it */
	OK(q_store_begin(f->st, &err_));
	make_user(f->st, "erin", "user");
	OK(q_store_commit(f->st, &err_));
	st2 = q_store_open(f->db, &err);
	assert_non_null(st2);
	OK(q_store_user_get(st2, "erin", NULL, NULL, &err_));
	q_store_close(st2);
}

static void test_mirrors(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *def = json_pack("{s:s,s:{s:s}}", "name", "m.example.org", "address", "https",
				"https://m.example.org/");
	json_t *o;

	OK(q_store_mirror_put(f->st, "m.example.org", def, "active", "admin", &err_));
	OK(q_store_mirror_put(f->st, "a.example.org", def, "pending", "alice", &err_));
	OK(q_store_mirror_set_state(f->st, "m.example.org", "disabled", "stale", &err_));
	OK(q_store_mirror_get(f->st, "m.example.org", &o, &err_));
	assert_string_equal(jget_str(o, "state"), "disabled");
	assert_string_equal(jget_str(o, "reason"), "stale");
	assert_string_equal(jget_str(o, "applied_by"), "admin");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(o, "definition"), "address"), "https")),
	    "https://m.example.org/");
	json_decref(o);
	/* put again: the definition and state are replaced, the reason cleared */
	OK(q_store_mirror_put(f->st, "m.example.org", def, "pending", "bob", &err_));
	OK(q_store_mirror_get(f->st, "m.example.org", &o, &err_));
	assert_string_equal(jget_str(o, "state"), "pending");
	assert_string_equal(jget_str(o, "reason"), "");
	assert_string_equal(jget_str(o, "applied_by"), "bob");
	json_decref(o);
	OK(q_store_mirror_list(f->st, &o, &err_));
	assert_int_equal(json_array_size(o), 2);
	assert_string_equal(jget_str(json_array_get(o, 0), "name"), "a.example.org");
	assert_true(json_is_object(json_object_get(json_array_get(o, 1), "definition")));
	json_decref(o);
	expect_code(q_store_mirror_set_state(f->st, "a.example.org", "gone", "", &err), &err,
		    Q_ECONFLICT);
	expect_code(q_store_mirror_set_state(f->st, "no.example.org", "active", "", &err), &err,
		    Q_ENOTFOUND);
	OK(q_store_mirror_delete(f->st, "a.example.org", &err_));
	expect_code(q_store_mirror_delete(f->st, "a.example.org", &err), &err, Q_ENOTFOUND);
	expect_code(q_store_mirror_get(f->st, "a.example.org", &o, &err), &err, Q_ENOTFOUND);
	json_decref(def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_users_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sigs_members, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_projects_repos, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repo_claims, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirty_generation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_packages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uploads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publish_history, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mirrors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
