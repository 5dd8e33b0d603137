/*
 * worker.c: the hub's side of the worker protocol (docs/HTTP_API.md,
 * "Worker protocol"), and what happens when a task ends: the SRPM task
 * schedules the per-arch tasks, a failed task fails the build, the last
 * closed task completes it.
 *
 * Every call names the task's attempt; the store refuses (409) an attempt
 * that is no longer current, so a worker that lost its lease can neither
 * log, upload nor report into the attempt that replaced it.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/names.h"
#include "api/api.h"
#include "build/buildtag.h"
#include "check/check.h"
#include "http/wait.h"
#include "hub/hub.h"
#include "publish/rpm.h"

#include <fcntl.h>
#include <glib.h>
#include <sys/stat.h>
#include <time.h>

#define LOG_MAX ((off_t)64 << 20)

static int task_id(const char *s, int64_t *id, struct q_error *err)
{
	char *end;

	errno = 0;
	*id = strtoll(s, &end, 10);
	if (errno || *end || end == s || *id <= 0)
		return q_error_set(err, Q_EINVAL, "task id '%.32s' is not a positive integer", s);
	return 0;
}

static int attempt_param(struct q_request *r, int64_t *attempt, struct q_error *err)
{
	char v[32];
	char *end;
	int found = q_query_get(r->query, r->query_len, "attempt", v, sizeof(v), err);

	if (found < 0)
		return -1;
	if (!found)
		return q_error_set(err, Q_EINVAL, "query parameter 'attempt' is required");
	errno = 0;
	*attempt = strtoll(v, &end, 10);
	if (errno || *end || *attempt <= 0)
		return q_error_set(err, Q_EINVAL, "attempt '%s' is not a positive integer", v);
	return 0;
}

/* The task is open, for this worker, at this attempt. */
static int fence(struct q_request *r, int64_t id, int64_t attempt, json_t **task,
		 struct q_error *err)
{
	json_t *t = NULL;

	if (q_store_task_get(r->st, id, &t, err) < 0)
		return -1;
	if (strcmp(json_string_value(json_object_get(t, "state")), "open") ||
	    json_integer_value(json_object_get(t, "attempt")) != attempt ||
	    strcmp(json_string_value(json_object_get(t, "worker")), r->who.worker)) {
		json_decref(t);
		return q_error_set(err, Q_ECONFLICT,
				   "task %" PRId64 " attempt %" PRId64
				   " is not held by worker '%s' any more; stop it",
				   id, attempt, r->who.worker);
	}
	if (task)
		*task = t;
	else
		json_decref(t);
	return 0;
}

static void log_path(struct q_request *r, int64_t id, char *out, size_t size)
{
	snprintf(out, size, "%s/%" PRId64 ".log", r->hub->logs_dir, id);
}

/* The claim request's "backend": "host" (the default) or "installroot". */
static int claim_backend(json_t *body, const char **backend, struct q_error *err)
{
	if (q_api_str(body, "backend", 0, 16, backend, err) < 0)
		return -1;
	if (!*backend)
		*backend = "host";
	if (strcmp(*backend, "host") && strcmp(*backend, "installroot"))
		return q_error_set(err, Q_EINVAL,
				   "field 'backend' must be 'host' or 'installroot', not '%.16s'",
				   *backend);
	return 0;
}

/* The claim answer's task.buildroot: the build tag of the task's arch (an
 * SRPM task: the build's first arch), else the project's '*' tag, else null
 * (the worker uses its own configuration). */
static json_t *claim_buildroot(struct q_request *r, int64_t task_id, struct q_error *err)
{
	json_t *info = NULL, *tag, *obj;

	if (q_store_task_buildtag(r->st, task_id, &info, err) < 0)
		return NULL;
	tag = json_object_get(info, "tag");
	obj = json_is_object(tag)
		  ? q_buildtag_claim_object(tag, json_string_value(json_object_get(info, "sig")),
					    json_integer_value(json_object_get(info, "major")))
		  : json_null();
	json_decref(info);
	return obj;
}

/*
 * The long-poll of a claim that found nothing: with "wait": SECONDS in the
 * body, hold the request until a task is queued (tasks_version was read
 * before the claim's transaction) and claim again. Nonzero when the request
 * is held (or was answered 503: too many held requests).
 */
static int claim_hold(struct q_request *r, const char **caps, json_t *body, uint64_t tasks_version)
{
	json_t *w = json_object_get(body, "wait");

	if (!json_is_integer(w) || json_integer_value(w) <= 0)
		return 0;
	return q_wait_hold(r, q_api_worker_claim, caps, Q_TOPIC_TASKS, 0, tasks_version,
			   json_integer_value(w));
}

/* After the claim's commit: who waits on what changed. */
static void claim_events(json_t *task, int64_t expired)
{
	if (expired)
		q_event_bump_all(); /* requeued or failed, in builds we do not know */
	if (task) {
		q_event_bump(Q_TOPIC_BUILD, json_integer_value(json_object_get(task, "build")));
		q_event_bump(Q_TOPIC_LOG, json_integer_value(json_object_get(task, "id")));
	}
}

void q_api_worker_claim(struct q_request *r, const char **caps)
{
	uint64_t tasks_version = q_event_version(Q_TOPIC_TASKS, 0);

	struct q_error err = {0};
	json_t *body = NULL, *arches, *task = NULL, *a, *claimable = NULL;
	const char *name, *backend = "host";
	int64_t now = (int64_t)time(NULL), slots = 1, expired = 0, unclaimed = 0;
	size_t i;

	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "name", 1, 64, &name, &err) < 0 ||
	    q_name_check(Q_NAME_USER, "worker name", name, &err) < 0 ||
	    claim_backend(body, &backend, &err) < 0)
		goto fail;
	if (strcmp(name, r->who.worker)) {
		q_error_set(&err, Q_EPERM, "this token is for worker '%s', not '%s'", r->who.worker,
			    name);
		goto fail;
	}
	arches = json_object_get(body, "arches");
	if (!json_is_array(arches) || json_array_size(arches) == 0 || json_array_size(arches) > 8) {
		q_error_set(&err, Q_EINVAL, "field 'arches' must be a list of 1 to 8 arches");
		goto fail;
	}
	claimable = json_array();
	json_array_foreach (arches, i, a) {
		const char *s = json_string_value(a);
		if (!s || (!q_arch_valid(s) && strcmp(s, "noarch"))) {
			q_error_set(&err, Q_EINVAL, "arch '%.32s' is unknown", s ? s : "?");
			goto fail;
		}
		json_array_append(claimable, a);
	}
	json_array_append_new(claimable, json_string("src")); /* any worker makes SRPMs */
	if (json_is_integer(json_object_get(body, "slots")))
		slots = json_integer_value(json_object_get(body, "slots"));
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_tasks_expire(r->st, now, r->hub->cfg.max_attempts, &expired, &err) < 0 ||
	    q_store_worker_seen(r->st, name, arches, slots, &err) < 0 ||
	    q_store_tasks_unclaimed(r->st, now, r->hub->cfg.unclaimed, &unclaimed, &err) < 0 ||
	    q_store_task_claim(r->st, name, claimable, backend, now + r->hub->cfg.lease, &task,
			       &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (expired)
		q_info("%" PRId64 " task(s) lost their worker and were requeued or failed",
		       expired);
	if (unclaimed) {
		q_info("%" PRId64 " task(s) no worker claimed failed", unclaimed);
		q_event_bump_all(); /* their builds failed */
	}
	claim_events(task, expired);
	if (!task) {
		if (claim_hold(r, caps, body, tasks_version))
			goto out;
		q_http_send_text(r, 204, "text/plain", "", 0);
		goto out;
	}
	{
		char path[1300], input[128];
		int64_t id = json_integer_value(json_object_get(task, "id"));
		json_t *answer, *broot = claim_buildroot(r, id, &err);
		int fd;

		if (!broot) /* the task is claimed: its lease ends and it is requeued */
			goto fail;

		/* A new attempt starts a new log. */
		log_path(r, id, path, sizeof(path));
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		snprintf(input, sizeof(input), "/api/v1/worker/tasks/%" PRId64 "/input", id);
		q_info("task %" PRId64 " (%s %s, attempt %" JSON_INTEGER_FORMAT ") claimed by '%s'",
		       id, json_string_value(json_object_get(task, "kind")),
		       json_string_value(json_object_get(task, "arch")),
		       json_integer_value(json_object_get(task, "attempt")), name);
		answer = json_pack(
		    "{s:{s:I,s:O,s:O,s:O,s:O,s:I,s:I,s:O,s:O,s:O,s:s}}", "task", "id",
		    (json_int_t)id, "build", json_object_get(task, "build"), "kind",
		    json_object_get(task, "kind"), "arch", json_object_get(task, "arch"), "attempt",
		    json_object_get(task, "attempt"), "lease", (json_int_t)r->hub->cfg.lease,
		    "timeout", (json_int_t)r->hub->cfg.build_timeout, "dist_tag",
		    json_object_get(task, "dist_tag"), "nevr", json_object_get(task, "nevr"),
		    "name", json_object_get(task, "name"), "input", input);
		json_object_set_new(json_object_get(answer, "task"), "buildroot", broot);
		q_http_send_json(r, 200, answer);
	}
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(claimable);
	json_decref(task);
	json_decref(body);
}

void q_api_worker_input(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *t = NULL;
	char path[1300];
	int64_t id;

	if (task_id(caps[0], &id, &err) < 0 || q_store_task_get(r->st, id, &t, &err) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(t, "worker")), r->who.worker)) {
		q_error_set(&err, Q_EPERM, "task %" PRId64 " is not held by worker '%s'", id,
			    r->who.worker);
		goto fail;
	}
	if (!strcmp(json_string_value(json_object_get(t, "kind")), "srpm"))
		q_hub_blob_path(r->hub, json_string_value(json_object_get(t, "bundle_sha256")),
				path, sizeof(path));
	else
		q_hub_store_path(r->hub, json_string_value(json_object_get(t, "srpm_sha256")), path,
				 sizeof(path));
	json_decref(t);
	q_http_send_file(r, path, "application/octet-stream");
	return;
fail:
	json_decref(t);
	q_http_send_error(r, &err);
}

void q_api_worker_heartbeat(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	int64_t id, attempt;
	int cancel = 0;

	if (task_id(caps[0], &id, &err) < 0 || attempt_param(r, &attempt, &err) < 0 ||
	    q_store_task_heartbeat(r->st, id, attempt, r->who.worker,
				   (int64_t)time(NULL) + r->hub->cfg.lease, &cancel, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	q_http_send_json(r, 200, json_pack("{s:b}", "cancel", cancel));
}

void q_api_worker_log(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	int64_t id, attempt;
	char path[1300];
	struct stat st;
	h2o_iovec_t b = r->req->entity;
	int fd;

	if (task_id(caps[0], &id, &err) < 0 || attempt_param(r, &attempt, &err) < 0 ||
	    fence(r, id, attempt, NULL, &err) < 0)
		goto fail;
	log_path(r, id, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		q_error_set(&err, Q_EIO, "cannot open the log of task %" PRId64 ": %s", id,
			    strerror(errno));
		goto fail;
	}
	if ((int64_t)b.len > r->hub->cfg.upload_part) {
		close(fd);
		q_error_set(&err, Q_ETOOBIG,
			    "a log chunk is %zu bytes; the limit is %" PRId64
			    " (hub.upload_part_size)",
			    b.len, r->hub->cfg.upload_part);
		goto fail;
	}
	if (fstat(fd, &st) == 0 && st.st_size + (off_t)b.len > LOG_MAX) {
		close(fd);
		q_error_set(&err, Q_ETOOBIG, "the log of task %" PRId64 " is over 64 MiB", id);
		goto fail;
	}
	if (b.len && write(fd, b.base, b.len) != (ssize_t)b.len) {
		close(fd);
		q_error_set(&err, Q_EIO, "cannot append to the log of task %" PRId64, id);
		goto fail;
	}
	close(fd);
	q_event_bump(Q_TOPIC_LOG, id);
	q_http_send_json(r, 200, json_pack("{s:I}", "appended", (json_int_t)b.len));
	return;
fail:
	q_http_send_error(r, &err);
}

/* "N-V-R.ARCH.rpm" → ARCH ("src" for a source RPM). */
static int artifact_arch(const char *name, char *arch, size_t size)
{
	size_t n = strlen(name);
	const char *end, *dot;

	if (n < 5 || strcmp(name + n - 4, ".rpm"))
		return -1;
	end = name + n - 4;
	for (dot = end - 1; dot > name && *dot != '.'; dot--)
		;
	if (dot <= name || (size_t)(end - dot - 1) >= size || end - dot - 1 == 0)
		return -1;
	memcpy(arch, dot + 1, (size_t)(end - dot - 1));
	arch[end - dot - 1] = '\0';
	return 0;
}

void q_api_worker_artifact(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	int64_t id, attempt;
	char name[300], arch[32], sha[Q_SHA256_HEX], tmp[1300], what[320], hex[33];
	int64_t size = 0;
	int found, declared;

	if (task_id(caps[0], &id, &err) < 0 || attempt_param(r, &attempt, &err) < 0)
		goto fail;
	found = q_query_get(r->query, r->query_len, "name", name, sizeof(name), &err);
	if (found <= 0) {
		if (!found)
			q_error_set(&err, Q_EINVAL, "query parameter 'name' is required");
		goto fail;
	}
	if (name[0] == '.' || strchr(name, '/') ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+~^-") !=
		strlen(name) ||
	    artifact_arch(name, arch, sizeof(arch)) < 0) {
		q_error_set(&err, Q_EINVAL, "artifact name '%.100s' is not an RPM file name", name);
		goto fail;
	}
	if (fence(r, id, attempt, NULL, &err) < 0)
		goto fail;
	/* The body, or the file of an upload session (?session=). */
	snprintf(what, sizeof(what), "artifact '%s'", name);
	if (q_random_hex(hex, 16) < 0) {
		q_error_set(&err, Q_EINTERNAL, "cannot get random bytes");
		goto fail;
	}
	snprintf(tmp, sizeof(tmp), "%s/artifact-%s", r->hub->tmp_dir, hex);
	if (q_api_body_to_file(r, what, r->hub->cfg.max_upload, tmp, &size, sha, &declared, &err) <
	    0)
		goto fail;
	if (!declared) {
		unlink(tmp);
		q_error_set(&err, Q_EINVAL,
			    "artifact '%s' has no X-Content-SHA256 (its SHA-256 is %s)", name, sha);
		goto fail;
	}
	if (q_hub_store_file(r->hub, tmp, sha, 1, &err) < 0) {
		unlink(tmp);
		goto fail;
	}
	unlink(tmp);
	if (q_store_artifact_add(r->st, id, attempt, name, arch, sha, size, &err) < 0)
		goto fail;
	q_http_send_json(
	    r, 201,
	    json_pack("{s:s,s:s,s:I}", "name", name, "sha256", sha, "size", (json_int_t)size));
	return;
fail:
	q_http_send_error(r, &err);
}

/* After a task ended (inside the transaction): move its build on. */
static int advance_build(struct q_request *r, json_t *task, const char *state, const char *message,
			 struct q_error *err)
{
	int64_t bid = json_integer_value(json_object_get(task, "build"));
	int64_t tid = json_integer_value(json_object_get(task, "id"));
	json_t *build = NULL, *arts = NULL, *states = NULL, *a;
	size_t i;
	int rc = -1;

	if (strcmp(state, "closed")) {
		char msg[600];

		snprintf(msg, sizeof(msg), "task %" PRId64 " (%s %s) failed: %.500s", tid,
			 json_string_value(json_object_get(task, "kind")),
			 json_string_value(json_object_get(task, "arch")), message);
		return q_store_build_finish(r->st, bid, "failed", msg, err);
	}
	if (q_store_build_get(r->st, bid, 0, &build, err) < 0)
		goto out;
	if (!strcmp(json_string_value(json_object_get(task, "kind")), "srpm")) {
		struct q_rpm_info info = {0};
		const char *srpm = NULL;
		char path[1300];

		if (q_store_build_artifacts(r->st, bid, &arts, err) < 0)
			goto out;
		json_array_foreach (arts, i, a)
			if (json_integer_value(json_object_get(a, "task")) == tid &&
			    !strcmp(json_string_value(json_object_get(a, "arch")), "src"))
				srpm = json_string_value(json_object_get(a, "sha256"));
		if (!srpm) {
			rc = q_store_build_finish(
			    r->st, bid, "failed",
			    "the SRPM task ended without uploading a .src.rpm", err);
			goto out;
		}
		q_hub_store_path(r->hub, srpm, path, sizeof(path));
		if (q_rpm_inspect(path, "the built SRPM", &info, err) < 0) {
			char msg[600];
			snprintf(msg, sizeof(msg), "%.580s", err->msg);
			q_error_clear(err);
			rc = q_store_build_finish(r->st, bid, "failed", msg, err);
			goto out;
		}
		rc = q_store_build_set_srpm(r->st, bid, srpm, err) < 0 ||
			     q_api_schedule_rpm_tasks(r->st, bid, json_object_get(build, "arches"),
						      info.build_archs, err) < 0
			 ? -1
			 : 0;
		q_rpm_info_release(&info);
		goto out;
	}
	if (q_store_build_task_states(r->st, bid, &states, err) < 0)
		goto out;
	/* The last task closed: the build is complete and its checks are queued
	 * in the same transaction (the checker is woken after the commit). */
	if (json_object_size(states) == 1 && json_object_get(states, "closed") &&
	    !strcmp(json_string_value(json_object_get(build, "state")), "building"))
		rc = q_store_build_finish(r->st, bid, "complete", "", err) < 0 ||
			     q_store_checks_queue(r->st, bid, q_check_names, err) < 0
			 ? -1
			 : 0;
	else
		rc = 0;
out:
	json_decref(states);
	json_decref(arts);
	json_decref(build);
	return rc;
}

/* After a task's result was committed: its log ended, its build moved on,
 * and tasks or checks may have been queued. */
static void result_events(json_t *task)
{
	int64_t bid = json_integer_value(json_object_get(task, "build"));

	q_event_bump(Q_TOPIC_LOG, json_integer_value(json_object_get(task, "id")));
	q_event_bump(Q_TOPIC_BUILD, bid);
	q_event_bump(Q_TOPIC_CHECKS, bid);
	q_event_bump(Q_TOPIC_TASKS, 0);
}

void q_api_worker_result(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *task = NULL, *root = NULL, *repos = NULL;
	const char *state, *message = "", *backend = "host";
	char *br = NULL, *brepos = NULL;
	int64_t id, attempt;

	body = q_http_json_body(r, &err);
	if (task_id(caps[0], &id, &err) < 0 || !body ||
	    q_api_str(body, "state", 1, 16, &state, &err) < 0 ||
	    q_api_str(body, "message", 0, 4000, &message, &err) < 0 ||
	    q_api_str(body, "backend", 0, 32, &backend, &err) < 0)
		goto fail;
	if (!message)
		message = "";
	if (!backend)
		backend = "host";
	if (strcmp(state, "closed") && strcmp(state, "failed")) {
		q_error_set(&err, Q_EINVAL, "state '%.16s' must be 'closed' or 'failed'", state);
		goto fail;
	}
	if (!json_is_integer(json_object_get(body, "attempt"))) {
		q_error_set(&err, Q_EINVAL, "field 'attempt' is required");
		goto fail;
	}
	attempt = json_integer_value(json_object_get(body, "attempt"));
	/* [{nevra, sha256}] (or the old list of NEVRA strings) and the repos */
	if (!(root = q_buildtag_result_buildroot(json_object_get(body, "buildroot"), &err)) ||
	    !(repos = q_buildtag_result_repos(json_object_get(body, "buildroot_repos"), &err)))
		goto fail;
	br = json_dumps(root, JSON_COMPACT);
	brepos = json_dumps(repos, JSON_COMPACT);
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (fence(r, id, attempt, &task, &err) < 0 ||
	    q_store_task_finish(r->st, id, attempt, r->who.worker, state, message, backend, br,
				&err) < 0 ||
	    q_store_task_set_buildroot_repos(r->st, id, brepos, &err) < 0 ||
	    advance_build(r, task, state, message, &err) < 0 ||
	    q_api_build_after_task(r, task, &err) < 0 || q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	q_info("task %" PRId64 " %s by '%s'%s%s", id, state, r->who.worker, *message ? ": " : "",
	       message);
	q_checker_wake(r->hub); /* cheap; checks may have been queued */
	result_events(task);
	q_http_send_json(r, 200, json_pack("{s:I,s:s}", "task", (json_int_t)id, "state", state));
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	free(br);
	free(brepos);
	json_decref(root);
	json_decref(repos);
	json_decref(task);
	json_decref(body);
}
