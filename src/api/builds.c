/*
 * builds.c: /builds, /workers, lookaside uploads and downloads — the user's
 * side of builds (docs/BUILDS.md). The worker's side is worker.c.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/isotime.h"
#include "core/names.h"
#include "api/api.h"
#include "build/buildtag.h"
#include "build/provenance.h"
#include "content/lookaside.h"
#include "http/wait.h"
#include "hub/hub.h"
#include "publish/rpm.h"

#include <fcntl.h>
#include <glib.h>
#include <sys/stat.h>

static int parse_id(const char *s, const char *what, int64_t *out, struct q_error *err)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || *end || *out <= 0 || end == s)
		return q_error_set(err, Q_EINVAL, "%s '%.32s' is not a positive integer", what, s);
	return 0;
}

/* The arches a build covers: the request's (a subset of the project's) or the project's. */
static int build_arches(json_t *body, json_t *project, json_t **out, struct q_error *err)
{
	json_t *want = json_object_get(body, "arches"), *pa = json_object_get(project, "arches"),
	       *v, *w;
	size_t i, j;

	if (!want) {
		*out = json_incref(pa);
		return 0;
	}
	if (!json_is_array(want) || json_array_size(want) == 0 || json_array_size(want) > 8)
		return q_error_set(err, Q_EINVAL, "field 'arches' must be a list of 1 to 8 arches");
	json_array_foreach (want, i, v) {
		int ok = 0;
		json_array_foreach (pa, j, w)
			ok |= json_is_string(v) &&
			      !strcmp(json_string_value(v), json_string_value(w));
		if (!ok)
			return q_error_set(err, Q_EINVAL,
					   "arch '%.32s' is not one of the project's arches",
					   json_is_string(v) ? json_string_value(v) : "?");
	}
	*out = json_incref(want);
	return 0;
}

/* Create the rpm tasks of a build whose SRPM is known (one noarch task for a
 * noarch-only SRPM). Inside the caller's transaction. */
int q_api_schedule_rpm_tasks(struct q_store *st, int64_t build_id, json_t *arches,
			     const char *build_archs, struct q_error *err)
{
	json_t *a;
	size_t i;

	if (build_archs && !strcmp(build_archs, "noarch"))
		return q_store_task_create(st, build_id, "rpm", "noarch", NULL, err);
	json_array_foreach (arches, i, a)
		if (q_store_task_create(st, build_id, "rpm", json_string_value(a), NULL, err) < 0)
			return -1;
	return 0;
}

/* Each task's buildroot ([{nevra, sha256}]) and the repos it came from
 * ([{name, url, repomd_sha256}]), as the worker reported them. */
static int add_task_buildroots(struct q_request *r, json_t *b, struct q_error *err)
{
	json_t *t;
	size_t i;

	json_array_foreach (json_object_get(b, "tasks"), i, t) {
		int64_t tid = json_integer_value(json_object_get(t, "id"));
		json_t *full = NULL;

		if (q_store_task_get(r->st, tid, &full, err) < 0)
			return -1;
		json_object_set_new(t, "buildroot",
				    q_buildtag_stored_buildroot(
					json_string_value(json_object_get(full, "buildroot"))));
		json_object_set_new(t, "buildroot_repos",
				    q_buildtag_stored_repos(json_string_value(
					json_object_get(full, "buildroot_repos"))));
		json_decref(full);
	}
	return 0;
}

static void answer_build(struct q_request *r, int status, int64_t id, json_t *warnings)
{
	struct q_error err = {0};
	json_t *b = NULL;

	if (q_store_build_get(r->st, id, 1, &b, &err) < 0 || add_task_buildroots(r, b, &err) < 0) {
		json_decref(b);
		json_decref(warnings);
		q_http_send_error(r, &err);
		return;
	}
	if (warnings && json_array_size(warnings))
		json_object_set(b, "warnings", warnings);
	json_decref(warnings);
	q_http_send_json(r, status, b);
}

void q_api_build_src_release(struct q_build_src *b)
{
	q_rpm_info_release(&b->info);
	json_decref(b->up);
	json_decref(b->fields);
	json_decref(b->arches);
	memset(b, 0, sizeof(*b));
}

/* Import the source of a build (git, or a staged SRPM upload; body as in
 * HTTP_API.md) for project proj, storing no build. */
int q_api_build_prepare(struct q_request *r, json_t *proj, json_t *body, struct q_build_src *b,
			struct q_error *err)
{
	const char *git = NULL, *srpm = NULL;
	json_t *scratch = json_object_get(body, "scratch");

	memset(b, 0, sizeof(*b));
	if (q_api_str(body, "git", 0, 4096, &git, err) < 0 ||
	    q_api_str(body, "srpm", 0, 64, &srpm, err) < 0 ||
	    build_arches(body, proj, &b->arches, err) < 0)
		return -1;
	if (scratch && !json_is_boolean(scratch))
		return q_error_set(err, Q_EINVAL, "field 'scratch' must be true or false");
	if (!!git == !!srpm)
		return q_error_set(err, Q_EINVAL,
				   "give exactly one of 'git' (URL#REF) and 'srpm' (an upload id)");
	if (git) {
		b->git = 1;
		if (q_hub_import_git(r->hub, proj, git, &b->fields, err) < 0)
			return -1;
	} else {
		const char *path, *fn;

		b->srpm_id = srpm;
		if (q_store_upload_get(r->st, srpm, &b->up, err) < 0)
			return -1;
		if (json_integer_value(json_object_get(b->up, "user_id")) != r->who.user_id)
			return q_error_set(err, Q_EPERM, "upload '%s' belongs to another user",
					   srpm);
		path = json_string_value(json_object_get(b->up, "path"));
		fn = json_string_value(json_object_get(b->up, "filename"));
		if (q_rpm_inspect(path, fn, &b->info, err) < 0)
			return -1;
		if (!b->info.is_source)
			return q_error_set(err, Q_EINVAL, "'%s' is not a source RPM", fn);
		/* The SRPM's release may carry another dist tag: the rebuild sets ours. */
		if (q_hub_store_file(r->hub, path, b->info.sha256, 1, err) < 0)
			return -1;
		b->fields = json_pack("{s:s,s:s,s:s,s:s}", "source", fn, "srpm_sha256",
				      b->info.sha256, "nevr", b->info.nevra, "name", b->info.name);
		/* "nevr" of an uploaded SRPM: N-V-R without ".src" */
		{
			char *nevr = g_strdup_printf("%s-%s-%s", b->info.name, b->info.version,
						     b->info.release);
			json_object_set_new(b->fields, "nevr", json_string(nevr));
			g_free(nevr);
		}
	}
	json_object_set_new(b->fields, "owner", json_string(r->who.name));
	json_object_set(b->fields, "arches", b->arches);
	json_object_set_new(b->fields, "scratch", json_boolean(json_is_true(scratch)));
	return 0;
}

/*
 * Inside the caller's transaction: create the build of b, in chain `chain`
 * (0: none) at group; start: its first tasks now (a later group of a chain
 * gets them when its group starts). One NEVR, one build: a non-scratch
 * build of a NEVR that has a building or complete non-scratch build in
 * the project is refused (409); the check runs in the transaction that
 * creates the build, so two submits cannot both pass it.
 */
int q_api_build_insert(struct q_request *r, const char *sig, const char *project,
		       struct q_build_src *b, int64_t chain, int64_t group, int start, int64_t *id,
		       struct q_error *err)
{
	const char *nevr = json_string_value(json_object_get(b->fields, "nevr"));

	if (!json_is_true(json_object_get(b->fields, "scratch"))) {
		int64_t other = 0;
		char state[16];

		if (q_store_build_nevr_taken(r->st, sig, project, nevr, &other, state,
					     sizeof(state), err) < 0)
			return -1;
		if (other)
			return q_error_set(
			    err, Q_ECONFLICT,
			    "build already exists: %s is build %" PRId64
			    " (%s) in %s/%s; bump the release, or build it with --scratch",
			    nevr, other, state, sig, project);
	}
	if (chain) {
		json_object_set_new(b->fields, "chain", json_integer(chain));
		json_object_set_new(b->fields, "chain_group", json_integer(group));
	}
	if (q_store_build_create(r->st, sig, project, b->fields, id, err) < 0)
		return -1;
	if (start && (b->git ? q_store_task_create(r->st, *id, "srpm", "src", NULL, err)
			     : q_api_schedule_rpm_tasks(r->st, *id, b->arches, b->info.build_archs,
							err)) < 0)
		return -1;
	if (b->srpm_id && q_store_upload_delete(r->st, b->srpm_id, err) < 0)
		return -1;
	return q_api_audit(r, "build.create", sig,
			   json_pack("{s:I,s:s,s:O,s:b}", "build", (json_int_t)*id, "project",
				     project, "source", json_object_get(b->fields, "source"),
				     "scratch",
				     json_is_true(json_object_get(b->fields, "scratch"))),
			   err);
}

/* Create a build from git or from a staged SRPM upload (body as in HTTP_API.md). */
static int create_build(struct q_request *r, const char *sig, const char *project, json_t *body,
			int64_t *id_out, struct q_error *err)
{
	json_t *proj = NULL;
	struct q_build_src b;
	int64_t id = 0;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	if (q_store_project_get(r->st, sig, project, &proj, err) < 0 ||
	    q_api_build_prepare(r, proj, body, &b, err) < 0)
		goto out;
	if (q_store_begin(r->st, err) < 0)
		goto out;
	if (q_api_build_insert(r, sig, project, &b, 0, 0, 1, &id, err) < 0 ||
	    q_store_commit(r->st, err) < 0) {
		q_store_rollback(r->st);
		goto out;
	}
	if (b.srpm_id)
		unlink(json_string_value(json_object_get(b.up, "path")));
	q_info("build %" PRId64 " of %s/%s queued%s: %s", id, sig, project,
	       json_is_true(json_object_get(b.fields, "scratch")) ? " (scratch)" : "",
	       json_string_value(json_object_get(b.fields, "source")));
	*id_out = id;
	rc = 0;
out:
	q_api_build_src_release(&b);
	json_decref(proj);
	return rc;
}

/* A build was queued (committed): its first tasks are claimable. */
static void queued_events(int64_t id)
{
	q_event_bump(Q_TOPIC_TASKS, 0);
	q_event_bump(Q_TOPIC_BUILD, id);
}

void q_api_build_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL;
	int64_t id = 0;

	if (q_name_check(Q_NAME_SIG, "sig name", caps[0], &err) < 0 ||
	    q_name_check(Q_NAME_PROJECT, "project name", caps[1], &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_MEMBER, "build in this SIG", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || create_build(r, caps[0], caps[1], body, &id, &err) < 0)
		goto fail;
	json_decref(body);
	queued_events(id);
	answer_build(r, 201, id, q_api_unserved_warnings(r, id));
	return;
fail:
	json_decref(body);
	q_http_send_error(r, &err);
}

/*
 * GET /builds[?sig=&project=&state=&owner=&package=&since=&limit=]: newest
 * first. A parameter that is unknown or malformed is refused (400) by name.
 */
void q_api_builds(struct q_request *r, const char **caps)
{
	static const char *const keys[] = {"sig",     "project", "state", "owner",
					   "package", "since",   "limit", NULL};
	static const char *const states[] = {"building", "complete", "failed", "canceled"};
	struct q_error err = {0};
	char sig[64] = "", project[64] = "", state[32] = "", owner[128] = "", package[256] = "",
	     since[32] = "", lim[16] = "";
	struct q_build_filter f = {.limit = 50};
	json_t *list = NULL;
	int known = 0;

	(void)caps;
	if (q_api_query_known(r, keys, &err) < 0 ||
	    q_api_query_name(r, "sig", Q_NAME_SIG, sig, sizeof(sig), &err) < 0 ||
	    q_api_query_name(r, "project", Q_NAME_PROJECT, project, sizeof(project), &err) < 0 ||
	    q_api_query_name(r, "owner", Q_NAME_USER, owner, sizeof(owner), &err) < 0 ||
	    q_query_get(r->query, r->query_len, "state", state, sizeof(state), &err) < 0 ||
	    q_query_get(r->query, r->query_len, "package", package, sizeof(package), &err) < 0 ||
	    q_query_get(r->query, r->query_len, "since", since, sizeof(since), &err) < 0 ||
	    q_query_get(r->query, r->query_len, "limit", lim, sizeof(lim), &err) < 0)
		goto fail;
	if (project[0] && !sig[0]) {
		q_error_set(&err, Q_EINVAL, "query parameter 'project' needs 'sig' (its SIG)");
		goto fail;
	}
	for (size_t i = 0; i < Q_ARRAY_LEN(states); i++)
		known |= !strcmp(state, states[i]);
	if (state[0] && !known) {
		q_error_set(&err, Q_EINVAL,
			    "query parameter 'state' '%.32s' is unknown; use building, complete, "
			    "failed or canceled",
			    state);
		goto fail;
	}
	if (package[0] && !q_package_name_valid(package, 0)) {
		q_error_set(&err, Q_EINVAL,
			    "query parameter 'package' '%.64s' is not a package name", package);
		goto fail;
	}
	if (since[0] && q_time_parse(since, &f.since) < 0) {
		q_error_set(&err, Q_EINVAL,
			    "query parameter 'since' '%.32s' is not an ISO 8601 UTC time "
			    "(2026-12-01 or 2026-12-01T10:00:00Z)",
			    since);
		goto fail;
	}
	if (lim[0] &&
	    (parse_id(lim, "query parameter 'limit'", &f.limit, &err) < 0 || f.limit > 1000)) {
		if (f.limit > 1000)
			q_error_set(&err, Q_EINVAL,
				    "query parameter 'limit' must be from 1 to 1000");
		goto fail;
	}
	f.sig = sig;
	f.project = project;
	f.state = state;
	f.owner = owner;
	f.package = package;
	if (q_store_build_list(r->st, &f, &list, &err) < 0)
		goto fail;
	q_http_send_json(r, 200, json_pack("{s:o}", "builds", list));
	return;
fail:
	q_http_send_error(r, &err);
}

/*
 * GET /builds/ID[?wait=SECONDS&since=VERSION]: the answer carries the
 * build's event version (X-Quarry-Version); with wait and since, the
 * answer waits until the version differs from since (the build or one of
 * its tasks changed) or the wait is over.
 */
void q_api_build_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	uint64_t version;
	int64_t id, wait = 0;
	char since[32] = "", vs[32];
	int found;

	if (parse_id(caps[0], "build id", &id, &err) < 0 || q_wait_query(r, &wait, &err) < 0 ||
	    (found = q_query_get(r->query, r->query_len, "since", since, sizeof(since), &err)) <
		0) {
		q_http_send_error(r, &err);
		return;
	}
	version = q_event_version(Q_TOPIC_BUILD, id);
	snprintf(vs, sizeof(vs), "%" PRIu64, version);
	if (found && !strcmp(since, vs) &&
	    q_wait_hold(r, q_api_build_get, caps, Q_TOPIC_BUILD, id, version, wait))
		return;
	h2o_add_header_by_str(&r->req->pool, &r->req->res.headers, H2O_STRLIT("x-quarry-version"),
			      0, NULL, h2o_strdup(&r->req->pool, vs, SIZE_MAX).base, strlen(vs));
	answer_build(r, 200, id, NULL);
}

void q_api_build_cancel(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *b = NULL;
	int64_t id;

	if (parse_id(caps[0], "build id", &id, &err) < 0 ||
	    q_store_build_get(r->st, id, 0, &b, &err) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(b, "owner")), r->who.name) &&
	    q_api_need_sig(r, json_string_value(json_object_get(b, "sig")), Q_LEVEL_LEAD,
			   "cancel other people's builds", &err) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(b, "state")), "building")) {
		q_error_set(&err, Q_ECONFLICT, "build %" PRId64 " is already '%s'", id,
			    json_string_value(json_object_get(b, "state")));
		goto fail;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_build_cancel(r->st, id, &err) < 0 ||
	    q_api_audit(r, "build.cancel", json_string_value(json_object_get(b, "sig")),
			json_pack("{s:I}", "build", (json_int_t)id), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	q_event_bump_all(); /* the build and each of its tasks' logs */
	json_decref(b);
	q_keeper_wake(r->hub); /* a chain's build: the chain fails now */
	answer_build(r, 200, id, NULL);
	return;
fail:
	json_decref(b);
	q_http_send_error(r, &err);
}

void q_api_build_resubmit(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *b = NULL, *body = NULL;
	int64_t id, nid = 0;
	const char *sig, *project;

	if (parse_id(caps[0], "build id", &id, &err) < 0 ||
	    q_store_build_get(r->st, id, 0, &b, &err) < 0)
		goto fail;
	sig = json_string_value(json_object_get(b, "sig"));
	project = json_string_value(json_object_get(b, "project"));
	if (q_api_need_sig(r, sig, Q_LEVEL_MEMBER, "build in this SIG", &err) < 0)
		goto fail;
	if (!json_string_length(json_object_get(b, "git_url"))) {
		q_error_set(&err, Q_EINVAL,
			    "build %" PRId64 " was made from an uploaded SRPM; upload it again",
			    id);
		goto fail;
	}
	/* A scratch build is resubmitted as a scratch build; one NEVR, one
	 * build refuses to rebuild a complete (or building) non-scratch one. */
	body = json_pack("{s:O,s:O,s:O}", "git", json_object_get(b, "source"), "arches",
			 json_object_get(b, "arches"), "scratch", json_object_get(b, "scratch"));
	if (create_build(r, sig, project, body, &nid, &err) < 0)
		goto fail;
	json_decref(b);
	json_decref(body);
	queued_events(nid);
	answer_build(r, 201, nid, q_api_unserved_warnings(r, nid));
	return;
fail:
	json_decref(b);
	json_decref(body);
	q_http_send_error(r, &err);
}

/*
 * Who may read a build's outputs (task logs, artifacts, provenance): anyone
 * once the build is complete (its RPMs are the project's candidates, like
 * Koji's); while it is building, and when it failed or was canceled, only
 * members of its SIG, release engineers and admins (its outputs never went
 * through anything, and may hold whatever the spec put in them). 0 when
 * r may read them, else -1 with err (401 without a token, 403 otherwise).
 */
static int outputs_readable(struct q_request *r, int64_t id, struct q_error *err)
{
	json_t *b = NULL;
	int rc = -1;

	if (q_store_build_get(r->st, id, 0, &b, err) < 0)
		return -1;
	if (!strcmp(json_string_value(json_object_get(b, "state")), "complete")) {
		rc = 0;
	} else if (q_http_auth(r, err) == 0) {
		if (!strcmp(r->who.scope, "worker"))
			q_error_set(err, Q_EPERM,
				    "worker tokens may only claim and report tasks (worker '%s')",
				    r->who.worker);
		else
			rc = q_api_need_sig(
			    r, json_string_value(json_object_get(b, "sig")), Q_LEVEL_MEMBER,
			    "read the outputs of a build that is not complete", err);
	}
	if (rc == 0)
		rc = q_api_outputs_expired(b, err);
	json_decref(b);
	return rc;
}

void q_api_task_log(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	uint64_t version = 0;
	json_t *t = NULL;
	int64_t bid, tid, off = 0, wait = 0;
	char path[1300], offs[32] = "", *buf = NULL;
	const char *state;
	struct stat st;
	ssize_t got = 0;
	int fd = -1, found;

	if (parse_id(caps[0], "build id", &bid, &err) < 0 ||
	    parse_id(caps[1], "task id", &tid, &err) < 0 || q_wait_query(r, &wait, &err) < 0)
		goto fail;
	version = q_event_version(Q_TOPIC_LOG, tid); /* before the task is read */
	if (q_store_task_get(r->st, tid, &t, &err) < 0)
		goto fail;
	if (json_integer_value(json_object_get(t, "build")) != bid) {
		q_error_set(&err, Q_ENOTFOUND, "task %" PRId64 " is not part of build %" PRId64,
			    tid, bid);
		goto fail;
	}
	if (outputs_readable(r, bid, &err) < 0)
		goto fail;
	found = q_query_get(r->query, r->query_len, "offset", offs, sizeof(offs), &err);
	if (found < 0)
		goto fail;
	if (found) {
		char *end;
		errno = 0;
		off = strtoll(offs, &end, 10);
		if (errno || *end || off < 0) {
			q_error_set(&err, Q_EINVAL, "offset '%s' must be a byte offset", offs);
			goto fail;
		}
	}
	state = json_string_value(json_object_get(t, "state"));
	snprintf(path, sizeof(path), "%s/%" PRId64 ".log", r->hub->logs_dir, tid);
	/* ?wait: nothing past offset yet and the task still runs: wait for more. */
	if (wait > 0 && (!strcmp(state, "free") || !strcmp(state, "open")) &&
	    (stat(path, &st) < 0 || st.st_size <= off) &&
	    q_wait_hold(r, q_api_task_log, caps, Q_TOPIC_LOG, tid, version, wait))
		goto out;
	h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
		       H2O_STRLIT("no-store"));
	h2o_add_header_by_str(&r->req->pool, &r->req->res.headers,
			      H2O_STRLIT("x-quarry-task-state"), 0, NULL,
			      h2o_strdup(&r->req->pool, state, SIZE_MAX).base, strlen(state));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || off >= st.st_size) {
		q_http_send_text(r, 200, "text/plain; charset=utf-8", "", 0);
		goto out;
	}
	{
		size_t want = (size_t)(st.st_size - off);
		if (want > (1 << 20))
			want = 1 << 20;
		buf = malloc(want);
		if (buf)
			got = pread(fd, buf, want, off);
	}
	q_http_send_text(r, 200, "text/plain; charset=utf-8", buf ? buf : "",
			 got > 0 ? (size_t)got : 0);
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	json_decref(t);
}

void q_api_build_artifact(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *arts = NULL, *a;
	int64_t id;
	size_t i;

	if (parse_id(caps[0], "build id", &id, &err) < 0 || outputs_readable(r, id, &err) < 0 ||
	    q_store_build_artifacts(r->st, id, &arts, &err) < 0)
		goto fail;
	json_array_foreach (arts, i, a) {
		char path[1300];

		if (strcmp(json_string_value(json_object_get(a, "name")), caps[1]))
			continue;
		q_hub_store_path(r->hub, json_string_value(json_object_get(a, "sha256")), path,
				 sizeof(path));
		json_decref(arts);
		q_http_send_file(r, path, "application/x-rpm");
		return;
	}
	q_error_set(&err, Q_ENOTFOUND, "build %" PRId64 " has no artifact '%.100s'", id, caps[1]);
fail:
	json_decref(arts);
	q_http_send_error(r, &err);
}

void q_api_build_provenance(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *b = NULL, *tasks = json_array(), *t, *stmt = NULL;
	size_t i;
	int64_t id;

	if (parse_id(caps[0], "build id", &id, &err) < 0 || outputs_readable(r, id, &err) < 0 ||
	    q_store_build_get(r->st, id, 1, &b, &err) < 0)
		goto fail;
	json_array_foreach (json_object_get(b, "tasks"), i, t) {
		json_t *full = NULL, *repos = NULL;

		if (q_store_task_get(r->st, json_integer_value(json_object_get(t, "id")), &full,
				     &err) < 0)
			goto fail;
		json_array_append_new(tasks, full);
		if (q_store_task_buildroot_repos(
			r->st, json_integer_value(json_object_get(t, "id")), &repos, &err) < 0)
			goto fail;
		json_object_set_new(full, "buildroot_repos", repos);
	}
	if (q_prov_statement(b, tasks, r->hub->cfg.public_url, &stmt, &err) < 0)
		goto fail;
	json_decref(b);
	json_decref(tasks);
	q_http_send_json(r, 200, stmt);
	return;
fail:
	json_decref(tasks);
	json_decref(b);
	q_http_send_error(r, &err);
}

void q_api_workers(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *list = NULL;

	if (q_store_worker_list(r->st, &list, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	q_http_send_json(r, 200, json_pack("{s:o}", "workers", list));
}

/* ---- lookaside ---- */

void q_api_lookaside_upload(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	struct q_lookaside_store ls = {r->hub->lookaside_dir, NULL, r->hub->cfg.lookaside_max};
	char filename[300], path[1300], sha256[65], sha1[41], line[400], what[320], hex[33];
	char have[Q_SHA256_HEX];
	int64_t size = 0;
	json_t *sig = NULL;
	int found, declared;

	if (q_name_check(Q_NAME_SIG, "sig name", caps[0], &err) < 0 ||
	    q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_MEMBER, "upload to this SIG's lookaside", &err) < 0)
		goto fail;
	found = q_query_get(r->query, r->query_len, "filename", filename, sizeof(filename), &err);
	if (found <= 0) {
		if (!found)
			q_error_set(&err, Q_EINVAL, "query parameter 'filename' is required");
		goto fail;
	}
	if (!filename[0] || filename[0] == '.' || strchr(filename, '/') || strlen(filename) > 255 ||
	    strspn(filename,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+~-") !=
		strlen(filename)) {
		q_error_set(&err, Q_EINVAL,
			    "file name '%.64s' is invalid: use letters, digits and . _ + ~ -, not "
			    "starting with '.'",
			    filename);
		goto fail;
	}
	/* The body, or the file of an upload session (?session=). */
	snprintf(what, sizeof(what), "lookaside file '%s'", filename);
	if (q_random_hex(hex, 16) < 0) {
		q_error_set(&err, Q_EINTERNAL, "cannot get random bytes");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/lookaside-upload-%s", r->hub->tmp_dir, hex);
	if (q_api_body_to_file(r, what, r->hub->cfg.lookaside_max, path, &size, have, &declared,
			       &err) < 0)
		goto fail;
	if (q_lookaside_put(&ls, path, sha256, sha1, &err) < 0)
		goto fail_unlink;
	unlink(path);
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_lookaside_add(r->st, sha256, sha1, size, filename, caps[0], r->who.name, &err) <
		0 ||
	    q_api_audit(r, "lookaside.upload", caps[0],
			json_pack("{s:s,s:s}", "filename", filename, "sha256", sha256), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	snprintf(line, sizeof(line), "%s SOURCES/%s", sha256, filename);
	json_decref(sig);
	q_http_send_json(r, 201,
			 json_pack("{s:s,s:I,s:s,s:s,s:s}", "filename", filename, "size",
				   (json_int_t)size, "sha256", sha256, "sha1", sha1, "line", line));
	return;
fail_unlink:
	unlink(path);
fail:
	json_decref(sig);
	q_http_send_error(r, &err);
}

/* GET /lookaside/HASH: by SHA-256, or SHA-1 through the index. */
int q_api_lookaside_get(struct q_request *r)
{
	struct q_error err = {0};
	const char *h;
	char path[1300], sha256[65];
	size_t len;

	if (r->path.n != 2 || strcmp(r->path.seg[0], "lookaside"))
		return -1;
	h = r->path.seg[1];
	len = strlen(h);
	if (!((len == 64 && q_is_hex(h, 64)) || (len == 40 && q_is_hex(h, 40)))) {
		q_error_set(&err, Q_EINVAL, "'%.70s' is not a SHA-1 or SHA-256 in lower-case hex",
			    h);
		q_http_send_error(r, &err);
		return 0;
	}
	if (len == 40) {
		char idx[1300], *text = NULL;
		size_t tl = 0;

		snprintf(idx, sizeof(idx), "%s/sha1/%.2s/%.40s", r->hub->lookaside_dir, h, h);
		if (text == NULL && q_fs_read_file(idx, 128, &text, &tl, &err) == 0 && tl == 65 &&
		    text[64] == '\n')
			text[64] = '\0'; /* the index holds "SHA256\n" */
		if (!text || tl < 64 || !q_is_hex(text, 64)) {
			free(text);
			q_error_set(&err, Q_ENOTFOUND, "lookaside has no file with SHA-1 %s", h);
			q_http_send_error(r, &err);
			return 0;
		}
		memcpy(sha256, text, 64);
		sha256[64] = '\0';
		free(text);
	} else {
		memcpy(sha256, h, 65);
	}
	snprintf(path, sizeof(path), "%s/sha256/%.2s/%s", r->hub->lookaside_dir, sha256, sha256);
	if (!q_fs_exists(path)) {
		q_error_set(&err, Q_ENOTFOUND, "lookaside has no file %s", h);
		q_http_send_error(r, &err);
		return 0;
	}
	q_http_send_file(r, path, "application/octet-stream");
	return 0;
}
