/*
 * test_store_chain.c: the store side of what builds users expect
 * (src/store/store_chain.c): a building or complete non-scratch build holds
 * its NEVR, a scratch, failed or canceled one does not; a worker serves its
 * arches while alive (recent claim or a running lease), any live worker
 * serves src; a task never claimed fails after the timeout with its arch
 * named and fails its build, a requeued one does not; a chain starts its
 * next group's SRPM tasks only once, completes after its last group, and a
 * failed build fails it and cancels the later groups; scratch builds are
 * listed for expiry only when finished long enough and not yet expired.
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
	int64_t repo;
};

#define OK(x) assert_int_equal((x), 0)

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct q_error err = {0};
	json_t *sig, *proj, *r, *repo = NULL;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/quarry-test-sc-XXXXXX");
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
	r = json_pack("{s:s,s:s,s:[s]}", "name", "cand", "channel", "candidate", "arches",
		      "x86_64");
	if (q_store_sig_create(f->st, sig, "0123456789ABCDEF0123456789ABCDEF01234567", &err) < 0 ||
	    q_store_project_create(f->st, "mc", proj, &err) < 0 ||
	    q_store_repo_create(f->st, "mc", "el9", r, &err) < 0 ||
	    q_store_repo_get(f->st, "mc", "el9", "cand", &repo, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	f->repo = json_integer_value(json_object_get(repo, "id"));
	json_decref(repo);
	json_decref(sig);
	json_decref(proj);
	json_decref(r);
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

static int64_t build(struct fixture *f, const char *nevr, int scratch, int64_t chain, int64_t group)
{
	struct q_error err = {0};
	json_t *b =
	    json_pack("{s:s,s:s,s:[s],s:s,s:b,s:I,s:I}", "source", "repo#r9-sig-mc-1", "nevr", nevr,
		      "arches", "x86_64", "owner", "alice", "scratch", scratch, "chain",
		      (json_int_t)chain, "chain_group", (json_int_t)group);
	int64_t id = 0;

	OK(q_store_build_create(f->st, "mc", "el9", b, &id, &err));
	json_decref(b);
	return id;
}

static const char *build_state(struct fixture *f, int64_t id, char *msg, size_t size)
{
	static char state[32];
	struct q_error err = {0};
	json_t *b = NULL;

	OK(q_store_build_get(f->st, id, 0, &b, &err));
	snprintf(state, sizeof(state), "%s", json_string_value(json_object_get(b, "state")));
	if (msg)
		snprintf(msg, size, "%s", json_string_value(json_object_get(b, "message")));
	json_decref(b);
	return state;
}

static size_t task_count(struct fixture *f, int64_t id)
{
	struct q_error err = {0};
	json_t *ids = NULL;
	size_t n;

	OK(q_store_build_task_ids(f->st, id, &ids, &err));
	n = json_array_size(ids);
	json_decref(ids);
	return n;
}

static void test_nevr_once(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	char st[16];
	int64_t other = -1, b1, s1;
	json_t *b = NULL;

	s1 = build(f, "foo-1-1.el9.mc", 1, 0, 0);
	OK(q_store_build_nevr_taken(f->st, "mc", "el9", "foo-1-1.el9.mc", &other, st, sizeof(st),
				    &err));
	assert_int_equal(other, 0); /* a scratch build holds nothing */
	OK(q_store_build_get(f->st, s1, 0, &b, &err));
	assert_true(json_is_true(json_object_get(b, "scratch")));
	assert_null(json_object_get(b, "chain"));
	json_decref(b);
	b1 = build(f, "foo-1-1.el9.mc", 0, 0, 0);
	OK(q_store_build_nevr_taken(f->st, "mc", "el9", "foo-1-1.el9.mc", &other, st, sizeof(st),
				    &err));
	assert_int_equal(other, b1);
	assert_string_equal(st, "building");
	OK(q_store_build_nevr_taken(f->st, "mc", "el9", "foo-1-2.el9.mc", &other, st, sizeof(st),
				    &err));
	assert_int_equal(other, 0);
	OK(q_store_build_finish(f->st, b1, "complete", "", &err));
	OK(q_store_build_nevr_taken(f->st, "mc", "el9", "foo-1-1.el9.mc", &other, st, sizeof(st),
				    &err));
	assert_int_equal(other, b1);
	assert_string_equal(st, "complete");
	/* Failed and canceled builds let the NEVR go. */
	b1 = build(f, "bar-1-1.el9.mc", 0, 0, 0);
	OK(q_store_build_finish(f->st, b1, "failed", "x", &err));
	OK(q_store_build_nevr_taken(f->st, "mc", "el9", "bar-1-1.el9.mc", &other, st, sizeof(st),
				    &err));
	assert_int_equal(other, 0);
	b1 = build(f, "bar-1-1.el9.mc", 0, 0, 0);
	OK(q_store_build_cancel(f->st, b1, &err));
	OK(q_store_build_nevr_taken(f->st, "mc", "el9", "bar-1-1.el9.mc", &other, st, sizeof(st),
				    &err));
	assert_int_equal(other, 0);
}

static void test_workers_and_unclaimed(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	int64_t n = -1, now = (int64_t)time(NULL), b1, b2, tid = 0;
	json_t *a = json_pack("[s,s]", "x86_64", "noarch"), *task = NULL;
	char msg[400];

	OK(q_store_workers_serving(f->st, "src", now - 10, &n, &err));
	assert_int_equal(n, 0);
	OK(q_store_worker_seen(f->st, "w1", a, 1, &err));
	OK(q_store_workers_serving(f->st, "x86_64", now - 10, &n, &err));
	assert_int_equal(n, 1);
	OK(q_store_workers_serving(f->st, "src", now - 10, &n, &err));
	assert_int_equal(n, 1);
	OK(q_store_workers_serving(f->st, "aarch64", now - 10, &n, &err));
	assert_int_equal(n, 0);
	OK(q_store_workers_serving(f->st, "x86_64", now + 100, &n, &err));
	assert_int_equal(n, 0); /* not seen since */

	b1 = build(f, "foo-1-1.el9.mc", 0, 0, 0);
	OK(q_store_task_create(f->st, b1, "rpm", "aarch64", &tid, &err));
	/* A task claimed once and requeued is not "unclaimed". */
	b2 = build(f, "bar-1-1.el9.mc", 0, 0, 0);
	OK(q_store_task_create(f->st, b2, "rpm", "x86_64", NULL, &err));
	OK(q_store_task_claim(f->st, "w1", a, NULL, now - 1, &task, &err));
	assert_non_null(task);
	json_decref(task);
	OK(q_store_tasks_expire(f->st, now, 3, &n, &err));
	assert_int_equal(n, 1);

	OK(q_store_tasks_unclaimed(f->st, now, 3600, &n, &err));
	assert_int_equal(n, 0); /* not old enough */
	assert_string_equal(build_state(f, b1, NULL, 0), "building");
	OK(q_store_tasks_unclaimed(f->st, now + 3600, 3600, &n, &err));
	assert_int_equal(n, 1);
	OK(q_store_task_get(f->st, tid, &task, &err));
	assert_string_equal(json_string_value(json_object_get(task, "state")), "failed");
	assert_string_equal(json_string_value(json_object_get(task, "message")),
			    "no worker serving aarch64 claimed it within 1h");
	json_decref(task);
	assert_string_equal(build_state(f, b1, msg, sizeof(msg)), "failed");
	assert_non_null(strstr(msg, "(rpm aarch64) failed: no worker serving aarch64"));
	assert_string_equal(build_state(f, b2, NULL, 0), "building");
	json_decref(a);
}

static void test_chain(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	int64_t c = 0, a1, b1, b2, c1;
	int ready = -1, adv = -1;
	char msg[600];
	json_t *ch = NULL;

	OK(q_store_chain_create(f->st, 1, f->repo, 3, "alice", &c, &err));
	a1 = build(f, "a-1-1.el9.mc", 0, c, 1);
	b1 = build(f, "b-1-1.el9.mc", 0, c, 2);
	b2 = build(f, "c-1-1.el9.mc", 0, c, 2);
	c1 = build(f, "d-1-1.el9.mc", 0, c, 3);
	OK(q_store_chain_check(f->st, c, &ready, &err));
	assert_int_equal(ready, 0);
	OK(q_store_build_finish(f->st, a1, "complete", "", &err));
	OK(q_store_chain_check(f->st, c, &ready, &err));
	assert_int_equal(ready, 1);
	/* Advancing twice from group 1 starts group 2 once. */
	OK(q_store_chain_advance(f->st, c, 1, &adv, &err));
	assert_int_equal(adv, 1);
	OK(q_store_chain_advance(f->st, c, 1, &adv, &err));
	assert_int_equal(adv, 0);
	assert_int_equal(task_count(f, b1), 1);
	assert_int_equal(task_count(f, b2), 1);
	assert_int_equal(task_count(f, c1), 0);
	OK(q_store_build_finish(f->st, b1, "complete", "", &err));
	OK(q_store_chain_check(f->st, c, &ready, &err));
	assert_int_equal(ready, 0); /* b2 still building */
	/* b2 fails: the chain fails, group 3 is canceled, saying why. */
	OK(q_store_build_finish(f->st, b2, "failed", "task 9 (rpm x86_64) failed: boom", &err));
	OK(q_store_chain_check(f->st, c, &ready, &err));
	assert_int_equal(ready, 0);
	OK(q_store_chain_get(f->st, c, &ch, &err));
	assert_string_equal(json_string_value(json_object_get(ch, "state")), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(ch, "message")),
			       "(c-1-1.el9.mc, group 2) failed: task 9"));
	json_decref(ch);
	assert_string_equal(build_state(f, c1, msg, sizeof(msg)), "canceled");
	assert_non_null(strstr(msg, "failed: build"));
	assert_string_equal(build_state(f, b1, NULL, 0), "complete");
	/* A failed chain never advances. */
	OK(q_store_chain_advance(f->st, c, 2, &adv, &err));
	assert_int_equal(adv, 0);
	assert_int_equal(task_count(f, c1), 0);
}

static void test_chain_completes(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	int64_t c = 0, a1;
	int ready = 0, adv = 0;
	json_t *ch = NULL, *ids = NULL;

	OK(q_store_chain_create(f->st, 1, f->repo, 1, "alice", &c, &err));
	a1 = build(f, "a-1-1.el9.mc", 0, c, 1);
	OK(q_store_build_finish(f->st, a1, "complete", "", &err));
	OK(q_store_chain_check(f->st, c, &ready, &err));
	assert_int_equal(ready, 1);
	OK(q_store_chain_advance(f->st, c, 1, &adv, &err));
	assert_int_equal(adv, 1);
	OK(q_store_chain_get(f->st, c, &ch, &err));
	assert_string_equal(json_string_value(json_object_get(ch, "state")), "complete");
	assert_true(json_is_integer(json_object_get(ch, "finished")));
	json_decref(ch);
	OK(q_store_chains_building(f->st, &ids, &err));
	assert_int_equal(json_array_size(ids), 0);
	json_decref(ids);
}

static void test_scratch_expirable(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	int64_t s1, s2, n1, now = (int64_t)time(NULL);
	json_t *rows = NULL, *b = NULL;
	int refs = -1;

	s1 = build(f, "foo-1-1.el9.mc", 1, 0, 0);
	s2 = build(f, "foo-1-1.el9.mc", 1, 0, 0);
	n1 = build(f, "foo-1-1.el9.mc", 0, 0, 0);
	OK(q_store_build_finish(f->st, s1, "complete", "", &err));
	OK(q_store_build_finish(f->st, n1, "complete", "", &err));
	OK(q_store_scratch_expirable(f->st, now - 100, &rows, &err));
	assert_int_equal(json_array_size(rows), 0); /* not finished long enough */
	json_decref(rows);
	OK(q_store_scratch_expirable(f->st, now + 1, &rows, &err));
	assert_int_equal(json_array_size(rows), 1); /* s2 is building, n1 not scratch */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "id")), s1);
	json_decref(rows);
	OK(q_store_build_finish(f->st, s2, "failed", "x", &err));
	OK(q_store_scratch_expirable(f->st, now + 1, &rows, &err));
	assert_int_equal(json_array_size(rows), 2); /* failed ones expire too */
	json_decref(rows);
	OK(q_store_build_mark_expired(f->st, s2, &err));
	OK(q_store_build_mark_expired(f->st, s1, &err));
	OK(q_store_scratch_expirable(f->st, now + 1, &rows, &err));
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	OK(q_store_build_get(f->st, s1, 0, &b, &err));
	assert_true(json_integer_value(json_object_get(b, "expired")) >= now);
	json_decref(b);
	/* A file nobody else uses is free to go. */
	OK(q_store_file_referenced(
	    f->st, "0000000000000000000000000000000000000000000000000000000000000000", s1, &refs,
	    &err));
	assert_int_equal(refs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_nevr_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_workers_and_unclaimed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_completes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scratch_expirable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
