/*
 * keeper.c: the hub's build keeper thread, periodic duties of builds
 * (docs/BUILDS.md). It has its own database connection and, every few
 * seconds (half the shortest of build.unclaimed_timeout and
 * build.scratch_ttl, at most KEEPER_POLL) or when woken:
 *  - fails the tasks no worker claimed within build.unclaimed_timeout (the
 *    claim does it too, but with no worker at all nobody claims);
 *  - removes the outputs (logs, RPMs, SRPM, source bundle) of scratch
 *    builds finished build.scratch_ttl ago, except files something else
 *    still uses, and marks the builds expired (410 for their outputs);
 *  - moves chains on: a group whose builds are all complete is tagged into
 *    the chain's repo, which is published, and the next group starts
 *    (q_hub_chain_proceed; woken after the transaction that completed the
 *    group's last build). A chain whose build failed is failed in that
 *    transaction already; the keeper catches those failed elsewhere (lease,
 *    unclaimed, cancel).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "hub/bgthread.h"
#include "hub/hub.h"
#include "http/wait.h"
#include "publish/rpm.h"

#include <glib.h>
#include <time.h>

#define KEEPER_POLL 30 /* seconds, at most, between rounds */

struct q_keeper {
	struct q_bgthread t;
};

/* One chain at a time, whichever thread moves it. */
static GMutex chain_lock;

static void unclaimed_round(struct q_hub *hub, struct q_store *st)
{
	struct q_error err = {0};
	int64_t n = 0;

	if (q_store_begin(st, &err) < 0)
		goto fail;
	if (q_store_tasks_unclaimed(st, (int64_t)time(NULL), hub->cfg.unclaimed, &n, &err) < 0 ||
	    q_store_commit(st, &err) < 0) {
		q_store_rollback(st);
		goto fail;
	}
	if (n) {
		q_info("keeper: %" PRId64 " task(s) no worker claimed failed", n);
		q_event_bump_all(); /* their builds failed */
	}
	return;
fail:
	q_warn("keeper: unclaimed tasks: %s", err.msg);
}

static void remove_file(struct q_store *st, const char *path, const char *sha256, int64_t bid)
{
	struct q_error err = {0};
	int refs = 1;

	if (!sha256 || strlen(sha256) != 64)
		return;
	if (q_store_file_referenced(st, sha256, bid, &refs, &err) < 0) {
		q_warn("keeper: %s", err.msg);
		return;
	}
	if (refs == 0 && unlink(path) < 0 && errno != ENOENT)
		q_warn("keeper: cannot remove '%s': %s", path, strerror(errno));
}

static void expire_one(struct q_hub *hub, struct q_store *st, json_t *row)
{
	struct q_error err = {0};
	int64_t bid = json_integer_value(json_object_get(row, "id"));
	json_t *ids = NULL, *shas = NULL, *v;
	char path[1300];
	size_t i;

	if (q_store_build_task_ids(st, bid, &ids, &err) < 0 ||
	    q_store_build_artifact_shas(st, bid, &shas, &err) < 0)
		goto fail;
	json_array_foreach (ids, i, v) {
		snprintf(path, sizeof(path), "%s/%" JSON_INTEGER_FORMAT ".log", hub->logs_dir,
			 json_integer_value(v));
		if (unlink(path) < 0 && errno != ENOENT)
			q_warn("keeper: cannot remove '%s': %s", path, strerror(errno));
	}
	json_array_foreach (shas, i, v) {
		q_hub_store_path(hub, json_string_value(v), path, sizeof(path));
		remove_file(st, path, json_string_value(v), bid);
	}
	{
		const char *srpm = json_string_value(json_object_get(row, "srpm_sha256"));
		const char *bundle = json_string_value(json_object_get(row, "bundle_sha256"));

		if (srpm && *srpm) {
			q_hub_store_path(hub, srpm, path, sizeof(path));
			remove_file(st, path, srpm, bid);
		}
		if (bundle && *bundle) {
			q_hub_blob_path(hub, bundle, path, sizeof(path));
			remove_file(st, path, bundle, bid);
		}
	}
	if (q_store_begin(st, &err) < 0)
		goto fail;
	if (q_store_build_mark_expired(st, bid, &err) < 0 || q_store_commit(st, &err) < 0) {
		q_store_rollback(st);
		goto fail;
	}
	q_info("keeper: the outputs of scratch build %" PRId64 " expired and were removed", bid);
	goto out;
fail:
	q_warn("keeper: expiring scratch build %" PRId64 ": %s", bid, err.msg);
out:
	json_decref(ids);
	json_decref(shas);
}

static void scratch_round(struct q_hub *hub, struct q_store *st)
{
	struct q_error err = {0};
	json_t *rows = NULL, *row;
	size_t i;

	if (q_store_scratch_expirable(st, (int64_t)time(NULL) - hub->cfg.scratch_ttl, &rows, &err) <
	    0) {
		q_warn("keeper: scratch builds: %s", err.msg);
		return;
	}
	json_array_foreach (rows, i, row)
		expire_one(hub, st, row);
	json_decref(rows);
}

/* Tag a complete build's RPMs (the repo's arches and noarch) into repo. */
static int tag_build(struct q_hub *hub, struct q_store *st, json_t *repo, int64_t bid,
		     const char *actor, struct q_error *err)
{
	json_t *arts = NULL, *have = NULL, *a, *p;
	int64_t repo_id = json_integer_value(json_object_get(repo, "id"));
	char target[300];
	size_t i, k;
	int rc = -1, began = 0;

	snprintf(target, sizeof(target), "%s/%s/%s",
		 json_string_value(json_object_get(repo, "sig")),
		 json_string_value(json_object_get(repo, "project")),
		 json_string_value(json_object_get(repo, "name")));
	if (q_store_build_artifacts(st, bid, &arts, err) < 0 ||
	    q_store_repo_packages(st, repo_id, &have, err) < 0)
		goto out;
	if (q_store_begin(st, err) < 0)
		goto out;
	began = 1;
	json_array_foreach (arts, i, a) {
		const char *arch = json_string_value(json_object_get(a, "arch"));
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		struct q_rpm_info info = {0};
		char path[1300], detail[400];
		int64_t pid = 0;
		json_t *x;
		int ok = !strcmp(arch, "noarch");

		if (strcmp(json_string_value(json_object_get(a, "kind")), "rpm"))
			continue;
		json_array_foreach (json_object_get(repo, "arches"), k, x)
			ok |= !strcmp(arch, json_string_value(x));
		if (!ok)
			continue;
		json_array_foreach (have, k, p)
			if (!strcmp(json_string_value(json_object_get(p, "filename")), name) &&
			    strcmp(json_string_value(json_object_get(p, "sha256")), sha)) {
				q_error_set(err, Q_ECONFLICT,
					    "repo '%s' already has %s with different contents",
					    target, name);
				goto out;
			}
		q_hub_store_path(hub, sha, path, sizeof(path));
		if (q_rpm_inspect(path, name, &info, err) < 0)
			goto out;
		{
			json_t *d = json_pack("{s:s,s:s,s:I}", "nevra", info.nevra, "sha256",
					      info.sha256, "build", (json_int_t)bid);
			char *txt = d ? json_dumps(d, JSON_COMPACT) : NULL;

			snprintf(detail, sizeof(detail), "%s", txt ? txt : "{}");
			free(txt);
			json_decref(d);
		}
		rc = q_store_package_put(st, &info, &pid, err) < 0 ||
			     q_store_repo_add_package(st, repo_id, pid, err) < 0 ||
			     q_store_audit(st, actor, "package.add", target, detail, err) < 0
			 ? -1
			 : 0;
		q_rpm_info_release(&info);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (q_store_repo_mark_dirty(st, repo_id, err) < 0 || q_store_commit(st, err) < 0)
		goto out;
	began = 0;
	rc = 0;
out:
	if (began)
		q_store_rollback(st);
	json_decref(arts);
	json_decref(have);
	return rc;
}

int q_hub_chain_proceed(struct q_hub *hub, struct q_store *st, int64_t id)
{
	struct q_error err = {0};
	json_t *c = NULL, *repo = NULL, *b, *results = NULL;
	int64_t group;
	int ready = 0, advanced = 0;
	size_t i;
	char actor[80];

	g_mutex_lock(&chain_lock);
	if (q_store_begin(st, &err) < 0)
		goto fail;
	if (q_store_chain_check(st, id, &ready, &err) < 0 || q_store_commit(st, &err) < 0) {
		q_store_rollback(st);
		goto fail;
	}
	if (!ready)
		goto out;
	if (q_store_chain_get(st, id, &c, &err) < 0)
		goto fail;
	group = json_integer_value(json_object_get(c, "current_group"));
	snprintf(actor, sizeof(actor), "%s (chain %" PRId64 ")",
		 json_string_value(json_object_get(c, "owner")), id);
	if (q_store_repo_get(st, json_string_value(json_object_get(c, "sig")),
			     json_string_value(json_object_get(c, "project")),
			     json_string_value(json_object_get(c, "repo")), &repo, &err) < 0)
		goto chain_failed;
	json_array_foreach (json_object_get(c, "builds"), i, b) {
		if (json_integer_value(json_object_get(b, "group")) != group)
			continue;
		if (tag_build(hub, st, repo, json_integer_value(json_object_get(b, "id")), actor,
			      &err) < 0) {
			q_error_prefix(&err, "tagging build %" JSON_INTEGER_FORMAT " (%s) into %s",
				       json_integer_value(json_object_get(b, "id")),
				       json_string_value(json_object_get(b, "nevr")),
				       json_string_value(json_object_get(c, "repo")));
			goto chain_failed;
		}
	}
	json_decref(repo);
	repo = NULL;
	if (q_store_repo_get(st, json_string_value(json_object_get(c, "sig")),
			     json_string_value(json_object_get(c, "project")),
			     json_string_value(json_object_get(c, "repo")), &repo, &err) < 0 ||
	    q_hub_publish_repo(hub, st, repo, 0, &results, &err) < 0) {
		q_error_prefix(&err, "publishing %s",
			       json_string_value(json_object_get(c, "repo")));
		goto chain_failed;
	}
	if (q_store_begin(st, &err) < 0)
		goto fail;
	if (q_store_chain_advance(st, id, group, &advanced, &err) < 0 ||
	    q_store_commit(st, &err) < 0) {
		q_store_rollback(st);
		goto fail;
	}
	if (advanced) {
		q_event_bump_all(); /* the next group's tasks are queued */
		q_info("chain %" PRId64 ": group %" PRId64 " tagged into %s and published; %s", id,
		       group, json_string_value(json_object_get(c, "repo")),
		       group >= json_integer_value(json_object_get(c, "groups"))
			   ? "the chain is complete"
			   : "the next group starts");
	}
	goto out;
chain_failed : {
	char msg[700];
	struct q_error e2 = {0};

	snprintf(msg, sizeof(msg), "%.600s; later groups canceled", err.msg);
	q_warn("chain %" PRId64 ": %s", id, msg);
	if (q_store_begin(st, &e2) == 0) {
		if (q_store_chain_fail(st, id, msg, &e2) < 0 || q_store_commit(st, &e2) < 0)
			q_store_rollback(st);
	}
	if (e2.code)
		q_warn("chain %" PRId64 ": cannot record the failure: %s", id, e2.msg);
	q_event_bump_all(); /* later groups canceled */
	goto out;
}
fail:
	q_warn("chain %" PRId64 ": %s", id, err.msg);
out:
	g_mutex_unlock(&chain_lock);
	json_decref(results);
	json_decref(repo);
	json_decref(c);
	return err.code ? -1 : 0;
}

static void chain_round(struct q_hub *hub, struct q_store *st)
{
	struct q_error err = {0};
	json_t *ids = NULL, *v;
	size_t i;

	if (q_store_chains_building(st, &ids, &err) < 0) {
		q_warn("keeper: chains: %s", err.msg);
		return;
	}
	json_array_foreach (ids, i, v)
		q_hub_chain_proceed(hub, st, json_integer_value(v));
	json_decref(ids);
}

static void *keeper_main(void *arg)
{
	struct q_hub *hub = arg;
	struct q_keeper *k = hub->keeper;
	struct q_error err = {0};
	struct q_store *st;
	int64_t period = MIN(hub->cfg.unclaimed, hub->cfg.scratch_ttl) / 2;

	period = MAX(1, MIN(period, KEEPER_POLL));
	st = q_store_open(hub->db_path, &err);
	if (!st) {
		q_warn("keeper: cannot open the database: %s", err.msg);
		return NULL;
	}
	for (;;) {
		if (!q_bgthread_wait(&k->t, period))
			break;
		unclaimed_round(hub, st);
		scratch_round(hub, st);
		chain_round(hub, st);
	}
	q_store_close(st);
	return NULL;
}

int q_keeper_start(struct q_hub *hub, struct q_error *err)
{
	struct q_keeper *k = g_new0(struct q_keeper, 1);

	hub->keeper = k;
	if (q_bgthread_start(&k->t, keeper_main, hub, "build keeper", err) < 0) {
		hub->keeper = NULL;
		g_free(k);
		return -1;
	}
	return 0;
}

void q_keeper_wake(struct q_hub *hub)
{
	if (hub->keeper)
		q_bgthread_wake(&hub->keeper->t);
}

void q_keeper_stop(struct q_hub *hub)
{
	if (!hub->keeper)
		return;
	q_bgthread_stop(&hub->keeper->t);
	g_free(hub->keeper);
	hub->keeper = NULL;
}
