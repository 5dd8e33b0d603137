/*
 * test_store_build.c: builds and tasks in the SQLite store
 * (src/store/store_build.c): a claim takes the oldest free task of the
 * worker's arches and increments its attempt; two threads with their own
 * connections claiming at once never get the same task; the attempt fences
 * heartbeats and results (a stale attempt or another worker → Q_ECONFLICT);
 * an expired lease requeues the task, and after max_attempts fails it and
 * its build; canceling a build cancels its unfinished tasks and tells the
 * worker at its heartbeat; artifacts of the current attempt only are listed.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "store/store.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

struct fixture {
	char dir[128];
	char db[200];
	struct q_store *st;
	int64_t build;
};

#define OK(x) assert_int_equal((x), 0)

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct q_error err = {0};
	json_t *sig, *proj, *b;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/quarry-test-sb-XXXXXX");
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
	b = json_pack("{s:s,s:s,s:[s,s],s:s}", "source", "repo#r9-sig-mc-1", "nevr",
		      "foo-1-1.el9.mc", "arches", "x86_64", "aarch64", "owner", "alice");
	if (q_store_sig_create(f->st, sig, "0123456789ABCDEF0123456789ABCDEF01234567", &err) < 0 ||
	    q_store_project_create(f->st, "mc", proj, &err) < 0 ||
	    q_store_build_create(f->st, "mc", "el9", b, &f->build, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	json_decref(sig);
	json_decref(proj);
	json_decref(b);
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

static json_t *arches(const char *a, const char *b)
{
	return b ? json_pack("[s,s]", a, b) : json_pack("[s]", a);
}

static void test_claim_and_fence(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *t = NULL, *wa = arches("x86_64", "src"), *b = NULL;
	int64_t now = (int64_t)time(NULL), srpm, id;
	int cancel = 0;

	OK(q_store_task_create(f->st, f->build, "srpm", "src", &srpm, &err));
	OK(q_store_task_claim(f->st, "w1", wa, NULL, now + 30, &t, &err));
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "id")), srpm);
	assert_int_equal(json_integer_value(json_object_get(t, "attempt")), 1);
	assert_string_equal(json_string_value(json_object_get(t, "dist_tag")), ".el9.mc");
	json_decref(t);
	/* nothing else to claim */
	OK(q_store_task_claim(f->st, "w2", wa, NULL, now + 30, &t, &err));
	assert_null(t);
	/* the fence */
	OK(q_store_task_heartbeat(f->st, srpm, 1, "w1", now + 60, &cancel, &err));
	assert_int_equal(cancel, 0);
	assert_int_equal(q_store_task_heartbeat(f->st, srpm, 2, "w1", now + 60, &cancel, &err), -1);
	assert_int_equal(err.code, Q_ECONFLICT);
	assert_int_equal(q_store_task_heartbeat(f->st, srpm, 1, "w2", now + 60, &cancel, &err), -1);
	assert_int_equal(err.code, Q_ECONFLICT);
	OK(q_store_artifact_add(f->st, srpm, 1, "foo-1-1.el9.mc.src.rpm", "src",
				"aa00000000000000000000000000000000000000000000000000000000000000",
				10, &err));
	OK(q_store_task_finish(f->st, srpm, 1, "w1", "closed", "", "host", "", &err));
	assert_int_equal(q_store_task_finish(f->st, srpm, 1, "w1", "closed", "", "host", "", &err),
			 -1);
	assert_int_equal(err.code, Q_ECONFLICT);
	/* arch filtering: an aarch64-only worker does not get an x86_64 task */
	OK(q_store_task_create(f->st, f->build, "rpm", "x86_64", &id, &err));
	json_decref(wa);
	wa = arches("aarch64", NULL);
	OK(q_store_task_claim(f->st, "w3", wa, NULL, now + 30, &t, &err));
	assert_null(t);
	OK(q_store_build_get(f->st, f->build, 1, &b, &err));
	assert_int_equal(json_array_size(json_object_get(b, "artifacts")), 1);
	json_decref(b);
	json_decref(wa);
}

static void test_expire_and_cancel(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *t = NULL, *wa = arches("x86_64", NULL), *b = NULL;
	int64_t now = (int64_t)time(NULL), id, n = 0;
	int cancel = 0;

	OK(q_store_task_create(f->st, f->build, "rpm", "x86_64", &id, &err));
	for (int attempt = 1; attempt <= 2; attempt++) {
		OK(q_store_task_claim(f->st, "w1", wa, NULL, now - 1, &t,
				      &err)); /* lease already over */
		assert_non_null(t);
		assert_int_equal(json_integer_value(json_object_get(t, "attempt")), attempt);
		json_decref(t);
		OK(q_store_tasks_expire(f->st, now, 3, &n, &err));
		assert_int_equal(n, 1);
	}
	OK(q_store_task_get(f->st, id, &t, &err));
	assert_string_equal(json_string_value(json_object_get(t, "state")), "free");
	json_decref(t);
	/* the third loss fails the task and the build */
	OK(q_store_task_claim(f->st, "w1", wa, NULL, now - 1, &t, &err));
	json_decref(t);
	OK(q_store_tasks_expire(f->st, now, 3, &n, &err));
	OK(q_store_task_get(f->st, id, &t, &err));
	assert_string_equal(json_string_value(json_object_get(t, "state")), "failed");
	json_decref(t);
	OK(q_store_build_get(f->st, f->build, 0, &b, &err));
	assert_string_equal(json_string_value(json_object_get(b, "state")), "failed");
	json_decref(b);
	(void)cancel;
	json_decref(wa);
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	json_t *t = NULL, *wa = arches("x86_64", NULL);
	int64_t now = (int64_t)time(NULL), a, b;
	int cancel = 0;

	OK(q_store_task_create(f->st, f->build, "rpm", "x86_64", &a, &err));
	OK(q_store_task_create(f->st, f->build, "rpm", "x86_64", &b, &err));
	OK(q_store_task_claim(f->st, "w1", wa, NULL, now + 30, &t, &err));
	json_decref(t);
	OK(q_store_build_cancel(f->st, f->build, &err));
	OK(q_store_task_heartbeat(f->st, a, 1, "w1", now + 30, &cancel, &err));
	assert_int_equal(cancel, 1);
	OK(q_store_task_claim(f->st, "w2", wa, NULL, now + 30, &t, &err));
	assert_null(t);
	json_decref(wa);
}

struct claimer {
	const char *db;
	const char *name;
	int64_t got[64];
	int n;
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	struct q_error err = {0};
	struct q_store *st = q_store_open(c->db, &err);
	json_t *wa = arches("x86_64", NULL);

	for (;;) {
		json_t *t = NULL;

		if (q_store_begin(st, &err) < 0)
			break;
		if (q_store_task_claim(st, c->name, wa, NULL, (int64_t)time(NULL) + 30, &t, &err) <
		    0) {
			q_store_rollback(st);
			break;
		}
		q_store_commit(st, &err);
		if (!t)
			break;
		c->got[c->n++] = json_integer_value(json_object_get(t, "id"));
		json_decref(t);
	}
	json_decref(wa);
	q_store_close(st);
	return NULL;
}

static void test_concurrent_claims(void **state)
{
	struct fixture *f = *state;
	struct q_error err = {0};
	struct claimer c[2] = {{f->db, "w1", {0}, 0}, {f->db, "w2", {0}, 0}};
	pthread_t th[2];

	for (int i = 0; i < 40; i++)
		OK(q_store_task_create(f->st, f->build, "rpm", "x86_64", NULL, &err));
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, claim_all, &c[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(c[0].n + c[1].n, 40);
	for (int i = 0; i < c[0].n; i++)
		for (int j = 0; j < c[1].n; j++)
			assert_true(c[0].got[i] != c[1].got[j]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_claim_and_fence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expire_and_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_claims, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
