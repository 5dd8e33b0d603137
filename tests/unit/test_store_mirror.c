/*
 * test_store_mirror.c: the crawler's side of the mirror store
 * (src/store/store_mirror.c; store.h, "the crawler"), on a fresh database
 * per test.
 *
 * q_store_mirror_crawled's state machine: failures below max_failures
 * leave an active mirror active and counted; reaching it disables the
 * mirror with auto_disabled and "N failed crawls in a row: ERR" (change 1);
 * a success re-enables an auto-disabled mirror (change 2, count reset) but
 * never one an admin disabled; a pending mirror stays pending; ipv4/ipv6
 * -1 keep the previous value. q_store_mirror_crawl_list: active and
 * auto-disabled mirrors, or one by name whatever its state. Check rows:
 * newest_since set when the newest publish is first seen, kept while the
 * same SHA-256 stays newest, 0 when not newest, reset when a new newest
 * appears; last_success only on HTTP 200; delete takes the rows with the
 * mirror. The crawl queue: add, take (oldest first, marked running),
 * finish with a summary, get, reset of running crawls at start.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "store/store.h"

#include <setjmp.h>
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
	snprintf(f->dir, sizeof(f->dir), "/tmp/quarry-test-store-mirror-XXXXXX");
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

static void put(struct fixture *f, const char *name, const char *state)
{
	json_t *def = json_pack("{s:s,s:{s:s}}", "name", name, "address", "https", "https://x/");
	char url[128];

	snprintf(url, sizeof(url), "https://%s/", name);
	json_object_set_new(json_object_get(def, "address"), "https", json_string(url));
	OK(q_store_mirror_put(f->st, name, def, state, "admin", &err_));
	json_decref(def);
}

/* The mirror as _get shows it (the caller decrefs). */
static json_t *get(struct fixture *f, const char *name)
{
	json_t *o = NULL;

	OK(q_store_mirror_get(f->st, name, &o, &err_));
	return o;
}

/* One crawl's outcome; returns *change. */
static int crawled(struct fixture *f, const char *name, bool ok, int ipv4, int ipv6, int max,
		   const char *error)
{
	int change = -1;

	OK(q_store_mirror_crawled(f->st, name, ok, ipv4, ipv6, max, error, &change, &err_));
	return change;
}

static void expect_mirror(struct fixture *f, const char *name, const char *state, int64_t failures,
			  int64_t autod, const char *reason)
{
	json_t *o = get(f, name);

	assert_string_equal(jget_str(o, "state"), state);
	assert_int_equal(jget_int(o, "failures"), failures);
	assert_int_equal(jget_int(o, "auto_disabled"), autod);
	assert_string_equal(jget_str(o, "reason"), reason);
	json_decref(o);
}

static void expect_ip(struct fixture *f, const char *name, int64_t ipv4, int64_t ipv6)
{
	json_t *o = get(f, name);

	assert_int_equal(jget_int(o, "ipv4"), ipv4);
	assert_int_equal(jget_int(o, "ipv6"), ipv6);
	json_decref(o);
}

static void test_crawled_auto_disable(void **state)
{
	struct fixture *f = *state;
	int64_t before = (int64_t)time(NULL);
	json_t *o;

	put(f, "m.example.org", "active");
	o = get(f, "m.example.org");
	assert_int_equal(jget_int(o, "last_crawl"), 0);
	json_decref(o);

	/* below max_failures: still active, counted */
	assert_int_equal(crawled(f, "m.example.org", false, 1, 0, 3, "timeout"), 0);
	expect_mirror(f, "m.example.org", "active", 1, 0, "");
	expect_ip(f, "m.example.org", 1, 0);
	o = get(f, "m.example.org");
	assert_true(jget_int(o, "last_crawl") >= before);
	json_decref(o);
	/* -1: the family was not tried, the last value stays */
	assert_int_equal(crawled(f, "m.example.org", false, -1, -1, 3, "timeout"), 0);
	expect_mirror(f, "m.example.org", "active", 2, 0, "");
	expect_ip(f, "m.example.org", 1, 0);

	/* the third failure in a row disables it */
	assert_int_equal(crawled(f, "m.example.org", false, -1, 1, 3, "connection refused"), 1);
	expect_mirror(f, "m.example.org", "disabled", 3, 1,
		      "3 failed crawls in a row: connection refused");
	expect_ip(f, "m.example.org", 1, 1);

	/* failing on while disabled: no new change, the reason stays */
	assert_int_equal(crawled(f, "m.example.org", false, 0, 0, 3, "timeout"), 0);
	expect_mirror(f, "m.example.org", "disabled", 4, 1,
		      "3 failed crawls in a row: connection refused");
	expect_ip(f, "m.example.org", 0, 0);

	/* a success re-enables it */
	assert_int_equal(crawled(f, "m.example.org", true, 1, -1, 3, NULL), 2);
	expect_mirror(f, "m.example.org", "active", 0, 0, "");
	expect_ip(f, "m.example.org", 1, 0);
	assert_int_equal(crawled(f, "m.example.org", true, 1, 1, 3, NULL), 0);
	expect_mirror(f, "m.example.org", "active", 0, 0, "");

	/* a success in between resets the count */
	assert_int_equal(crawled(f, "m.example.org", false, 0, 0, 2, "e1"), 0);
	assert_int_equal(crawled(f, "m.example.org", true, 1, 0, 2, NULL), 0);
	assert_int_equal(crawled(f, "m.example.org", false, 0, 0, 2, "e2"), 0);
	expect_mirror(f, "m.example.org", "active", 1, 0, "");
	/* max_failures 1: the first failure disables; a NULL error is "" */
	assert_int_equal(crawled(f, "m.example.org", false, 0, 0, 1, NULL), 1);
	expect_mirror(f, "m.example.org", "disabled", 2, 1, "2 failed crawls in a row: ");
}

static void test_crawled_admin_disabled(void **state)
{
	struct fixture *f = *state;

	put(f, "m.example.org", "active");
	OK(q_store_mirror_set_state(f->st, "m.example.org", "disabled", "maintenance", &err_));
	assert_int_equal(crawled(f, "m.example.org", true, 1, 1, 3, NULL), 0);
	expect_mirror(f, "m.example.org", "disabled", 0, 0, "maintenance");
	expect_ip(f, "m.example.org", 1, 1);
	assert_int_equal(crawled(f, "m.example.org", false, 0, 0, 1, "timeout"), 0);
	expect_mirror(f, "m.example.org", "disabled", 1, 0, "maintenance");

	/* auto-disabled, then disabled by an admin: the crawler no longer undoes it */
	put(f, "n.example.org", "active");
	assert_int_equal(crawled(f, "n.example.org", false, 0, 0, 1, "timeout"), 1);
	OK(q_store_mirror_set_state(f->st, "n.example.org", "disabled", "broken", &err_));
	expect_mirror(f, "n.example.org", "disabled", 1, 0, "broken");
	assert_int_equal(crawled(f, "n.example.org", true, 1, 1, 3, NULL), 0);
	expect_mirror(f, "n.example.org", "disabled", 0, 0, "broken");

	/* enabled by the admin: the count starts again */
	put(f, "o.example.org", "active");
	assert_int_equal(crawled(f, "o.example.org", false, 0, 0, 5, "timeout"), 0);
	OK(q_store_mirror_set_state(f->st, "o.example.org", "disabled", "x", &err_));
	OK(q_store_mirror_set_state(f->st, "o.example.org", "active", "", &err_));
	expect_mirror(f, "o.example.org", "active", 0, 0, "");
}

static void test_crawled_pending(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	int change = -1;

	put(f, "p.example.org", "pending");
	assert_int_equal(crawled(f, "p.example.org", false, 0, 1, 1, "timeout"), 0);
	expect_mirror(f, "p.example.org", "pending", 1, 0, "");
	assert_int_equal(crawled(f, "p.example.org", false, -1, -1, 1, "timeout"), 0);
	expect_mirror(f, "p.example.org", "pending", 2, 0, "");
	expect_ip(f, "p.example.org", 0, 1);
	assert_int_equal(crawled(f, "p.example.org", true, 1, 0, 1, NULL), 0);
	expect_mirror(f, "p.example.org", "pending", 0, 0, "");

	expect_code(
	    q_store_mirror_crawled(f->st, "no.example.org", true, 1, 1, 3, NULL, &change, &err),
	    &err, Q_ENOTFOUND);
	assert_int_equal(change, 0);
}

static void expect_names(json_t *list, const char *const *names, size_t n)
{
	assert_int_equal(json_array_size(list), n);
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(list, i);

		assert_string_equal(jget_str(m, "name"), names[i]);
		assert_true(json_is_object(json_object_get(m, "definition")));
	}
}

static void test_crawl_list(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *o = NULL;

	OK(q_store_mirror_crawl_list(f->st, NULL, &o, &err_));
	assert_int_equal(json_array_size(o), 0);
	json_decref(o);

	put(f, "e.example.org", "active");
	put(f, "a.example.org", "active");
	put(f, "b.example.org", "pending");
	put(f, "c.example.org", "active");
	OK(q_store_mirror_set_state(f->st, "c.example.org", "disabled", "by admin", &err_));
	put(f, "d.example.org", "active");
	assert_int_equal(crawled(f, "d.example.org", false, 0, 0, 1, "timeout"), 1);

	OK(q_store_mirror_crawl_list(f->st, NULL, &o, &err_));
	expect_names(o, (const char *const[]){"a.example.org", "d.example.org", "e.example.org"},
		     3);
	assert_string_equal(jget_str(json_array_get(o, 2), "state"), "active");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(json_array_get(o, 0), "definition"), "address"),
		"https")),
	    "https://a.example.org/");
	json_decref(o);

	/* by name: whatever its state */
	OK(q_store_mirror_crawl_list(f->st, "b.example.org", &o, &err_));
	expect_names(o, (const char *const[]){"b.example.org"}, 1);
	json_decref(o);
	OK(q_store_mirror_crawl_list(f->st, "c.example.org", &o, &err_));
	expect_names(o, (const char *const[]){"c.example.org"}, 1);
	assert_string_equal(jget_str(json_array_get(o, 0), "state"), "disabled");
	json_decref(o);
	expect_code(q_store_mirror_crawl_list(f->st, "z.example.org", &o, &err), &err, Q_ENOTFOUND);

	/* re-enabled by a success: still listed, now active */
	assert_int_equal(crawled(f, "d.example.org", true, 1, 0, 1, NULL), 2);
	OK(q_store_mirror_crawl_list(f->st, NULL, &o, &err_));
	expect_names(o, (const char *const[]){"a.example.org", "d.example.org", "e.example.org"},
		     3);
	assert_string_equal(jget_str(json_array_get(o, 1), "state"), "active");
	json_decref(o);
}

/* The check row of (mirror, repo, arch); the caller decrefs. */
static json_t *check_row(struct fixture *f, const char *mirror, const char *arch)
{
	json_t *rows = NULL, *r, *found = NULL;
	size_t i;

	OK(q_store_mirror_checks(f->st, mirror, &rows, &err_));
	json_array_foreach (rows, i, r)
		if (!strcmp(jget_str(r, "repo"), "sig-mc-main-9") &&
		    !strcmp(jget_str(r, "arch"), arch))
			found = json_incref(r);
	json_decref(rows);
	if (!found)
		fail_msg("no check row for %s %s", mirror, arch);
	return found;
}

static void put_check(struct fixture *f, const char *mirror, const char *arch, const char *state,
		      const char *sha, bool newest, int status, const char *error, int64_t now)
{
	OK(q_store_mirror_check_put(f->st, mirror, "sig-mc-main-9", arch, state, sha, newest,
				    status, error, 0.5, now, &err_));
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static void expect_row(struct fixture *f, const char *arch, const char *state, const char *sha,
		       int64_t last_check, int64_t last_success, int64_t newest_since)
{
	json_t *r = check_row(f, "m.example.org", arch);

	assert_string_equal(jget_str(r, "state"), state);
	assert_string_equal(jget_str(r, "sha256"), sha);
	assert_int_equal(jget_int(r, "last_check"), last_check);
	assert_int_equal(jget_int(r, "last_success"), last_success);
	assert_int_equal(jget_int(r, "newest_since"), newest_since);
	json_decref(r);
}

static void test_check_newest_since(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	put(f, "m.example.org", "active");
	/* first seen serving the newest publish */
	put_check(f, "m.example.org", "x86_64", "up_to_date", SHA_A, true, 200, "", 1000);
	expect_row(f, "x86_64", "up_to_date", SHA_A, 1000, 1000, 1000);
	r = check_row(f, "m.example.org", "x86_64");
	assert_string_equal(jget_str(r, "mirror"), "m.example.org");
	assert_int_equal(jget_int(r, "http_status"), 200);
	assert_string_equal(jget_str(r, "error"), "");
	/* "seconds" is not checked: sq_row_json turns REAL columns into strings */
	assert_non_null(json_object_get(r, "seconds"));
	json_decref(r);
	/* the same newest: kept */
	put_check(f, "m.example.org", "x86_64", "up_to_date", SHA_A, true, 200, "", 2000);
	expect_row(f, "x86_64", "up_to_date", SHA_A, 2000, 2000, 1000);
	/* a newer publish appears; the mirror still serves A: not newest */
	put_check(f, "m.example.org", "x86_64", "lagging", SHA_A, false, 200, "", 3000);
	expect_row(f, "x86_64", "lagging", SHA_A, 3000, 3000, 0);
	/* it catches up with B */
	put_check(f, "m.example.org", "x86_64", "up_to_date", SHA_B, true, 200, "", 4000);
	expect_row(f, "x86_64", "up_to_date", SHA_B, 4000, 4000, 4000);
	put_check(f, "m.example.org", "x86_64", "up_to_date", SHA_B, true, 200, "", 4500);
	expect_row(f, "x86_64", "up_to_date", SHA_B, 4500, 4500, 4000);
	/* newest to newest: C replaced B between two checks */
	put_check(f, "m.example.org", "x86_64", "up_to_date", SHA_C, true, 200, "", 5000);
	expect_row(f, "x86_64", "up_to_date", SHA_C, 5000, 5000, 5000);
	/* a failed check: no success, not newest */
	put_check(f, "m.example.org", "x86_64", "unreachable", "", false, 0, "timeout", 6000);
	expect_row(f, "x86_64", "unreachable", "", 6000, 5000, 0);
	r = check_row(f, "m.example.org", "x86_64");
	assert_int_equal(jget_int(r, "http_status"), 0);
	assert_string_equal(jget_str(r, "error"), "timeout");
	json_decref(r);
	/* back, with the same C: newest again since now */
	put_check(f, "m.example.org", "x86_64", "up_to_date", SHA_C, true, 200, "", 7000);
	expect_row(f, "x86_64", "up_to_date", SHA_C, 7000, 7000, 7000);

	/* a first check that is not newest, and one that failed */
	put_check(f, "m.example.org", "aarch64", "stale", SHA_B, false, 200, "", 1000);
	expect_row(f, "aarch64", "stale", SHA_B, 1000, 1000, 0);
	put_check(f, "m.example.org", "ppc64le", "unreachable", "", false, 404, "HTTP 404", 1000);
	expect_row(f, "ppc64le", "unreachable", "", 1000, 0, 0);
	put_check(f, "m.example.org", "ppc64le", "unreachable", "", false, 404, "HTTP 404", 1100);
	expect_row(f, "ppc64le", "unreachable", "", 1100, 0, 0);
}

static void test_checks_and_delete(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *rows = NULL;

	put(f, "m.example.org", "active");
	put(f, "a.example.org", "active");
	put_check(f, "m.example.org", "x86_64", "up_to_date", SHA_A, true, 200, "", 10);
	put_check(f, "m.example.org", "aarch64", "up_to_date", SHA_A, true, 200, "", 10);
	put_check(f, "a.example.org", "x86_64", "lagging", SHA_B, false, 200, "", 10);
	/* the crawler records the hub itself as ":master" */
	put_check(f, ":master", "x86_64", "up_to_date", SHA_A, true, 200, "", 10);

	/* all, by mirror, repo, arch */
	OK(q_store_mirror_checks(f->st, NULL, &rows, &err_));
	assert_int_equal(json_array_size(rows), 4);
	assert_string_equal(jget_str(json_array_get(rows, 0), "mirror"), ":master");
	assert_string_equal(jget_str(json_array_get(rows, 1), "mirror"), "a.example.org");
	assert_string_equal(jget_str(json_array_get(rows, 2), "mirror"), "m.example.org");
	assert_string_equal(jget_str(json_array_get(rows, 2), "arch"), "aarch64");
	assert_string_equal(jget_str(json_array_get(rows, 3), "mirror"), "m.example.org");
	assert_string_equal(jget_str(json_array_get(rows, 3), "arch"), "x86_64");
	json_decref(rows);
	OK(q_store_mirror_checks(f->st, "m.example.org", &rows, &err_));
	assert_int_equal(json_array_size(rows), 2);
	json_decref(rows);

	/* delete takes its rows, and only its rows */
	OK(q_store_mirror_delete(f->st, "m.example.org", &err_));
	OK(q_store_mirror_checks(f->st, "m.example.org", &rows, &err_));
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	OK(q_store_mirror_checks(f->st, NULL, &rows, &err_));
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(jget_str(json_array_get(rows, 0), "mirror"), ":master");
	assert_string_equal(jget_str(json_array_get(rows, 1), "mirror"), "a.example.org");
	json_decref(rows);
	expect_code(q_store_mirror_delete(f->st, "m.example.org", &err), &err, Q_ENOTFOUND);

	/* a mirror put again under the same name starts with no checks */
	put(f, "m.example.org", "active");
	OK(q_store_mirror_checks(f->st, "m.example.org", &rows, &err_));
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
}

static json_t *crawl(struct fixture *f, int64_t id)
{
	json_t *o = NULL;

	OK(q_store_crawl_get(f->st, id, &o, &err_));
	return o;
}

static void test_crawl_queue(void **state)
{
	struct fixture *f = *state;
	int64_t before = (int64_t)time(NULL);
	struct q_error err = {0};
	int64_t id1 = 0, id2 = 0, id3 = 0;
	json_t *o = (json_t *)f, *summary;

	/* an empty queue */
	OK(q_store_crawl_take(f->st, &o, &err_));
	assert_null(o);

	OK(q_store_crawl_add(f->st, NULL, "schedule", &id1, &err_));
	OK(q_store_crawl_add(f->st, "m.example.org", "alice", &id2, &err_));
	assert_true(id1 > 0);
	assert_true(id2 > id1);
	o = crawl(f, id1);
	assert_int_equal(jget_int(o, "id"), id1);
	assert_string_equal(jget_str(o, "mirror"), ""); /* every mirror */
	assert_string_equal(jget_str(o, "requested_by"), "schedule");
	assert_string_equal(jget_str(o, "state"), "queued");
	assert_true(jget_int(o, "created") >= before);
	assert_int_equal(jget_int(o, "started"), 0);
	assert_int_equal(jget_int(o, "finished"), 0);
	assert_true(json_is_object(json_object_get(o, "summary")));
	assert_int_equal(json_object_size(json_object_get(o, "summary")), 0);
	json_decref(o);

	/* oldest first, marked running */
	OK(q_store_crawl_take(f->st, &o, &err_));
	assert_non_null(o);
	assert_int_equal(jget_int(o, "id"), id1);
	assert_string_equal(jget_str(o, "state"), "running");
	assert_true(json_is_object(json_object_get(o, "summary")));
	json_decref(o);
	o = crawl(f, id1);
	assert_string_equal(jget_str(o, "state"), "running");
	assert_true(jget_int(o, "started") >= before);
	json_decref(o);
	OK(q_store_crawl_take(f->st, &o, &err_));
	assert_non_null(o);
	assert_int_equal(jget_int(o, "id"), id2);
	assert_string_equal(jget_str(o, "mirror"), "m.example.org");
	assert_string_equal(jget_str(o, "requested_by"), "alice");
	json_decref(o);
	OK(q_store_crawl_take(f->st, &o, &err_));
	assert_null(o);

	/* finished with a summary */
	summary = json_pack("{s:i,s:[s]}", "checked", 3, "disabled", "m.example.org");
	OK(q_store_crawl_finish(f->st, id1, "done", summary, &err_));
	json_decref(summary);
	o = crawl(f, id1);
	assert_string_equal(jget_str(o, "state"), "done");
	assert_true(jget_int(o, "finished") >= jget_int(o, "started"));
	assert_int_equal(jget_int(json_object_get(o, "summary"), "checked"), 3);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(o, "summary"), "disabled"), 0)),
			    "m.example.org");
	json_decref(o);

	/* the hub stopped during id2: reset fails it, a queued crawl stays queued */
	OK(q_store_crawl_add(f->st, NULL, "bob", &id3, &err_));
	OK(q_store_crawl_reset(f->st, &err_));
	o = crawl(f, id2);
	assert_string_equal(jget_str(o, "state"), "failed");
	assert_true(jget_int(o, "finished") >= before);
	assert_string_equal(jget_str(json_object_get(o, "summary"), "error"),
			    "the hub stopped during the crawl");
	json_decref(o);
	o = crawl(f, id1);
	assert_string_equal(jget_str(o, "state"), "done");
	json_decref(o);
	o = crawl(f, id3);
	assert_string_equal(jget_str(o, "state"), "queued");
	json_decref(o);
	OK(q_store_crawl_take(f->st, &o, &err_));
	assert_non_null(o);
	assert_int_equal(jget_int(o, "id"), id3);
	json_decref(o);
	summary = json_object();
	OK(q_store_crawl_finish(f->st, id3, "failed", summary, &err_));
	json_decref(summary);

	expect_code(q_store_crawl_get(f->st, id3 + 100, &o, &err), &err, Q_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_crawled_auto_disable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crawled_admin_disabled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crawled_pending, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crawl_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_newest_since, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_checks_and_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crawl_queue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
