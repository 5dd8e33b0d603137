/*
 * chains.c: chain builds (POST /sigs/S/projects/P/chains, GET /chains/ID),
 * the warning that no worker serves an arch, what follows the end of a
 * task for these features, and the answer for a scratch build whose
 * outputs expired (docs/BUILDS.md, "Scratch builds", "One NEVR, one
 * build", "Tasks no worker claims", "Chain builds").
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"
#include "api/api.h"
#include "http/wait.h"
#include "hub/hub.h"

#include <glib.h>
#include <time.h>

#define CHAIN_MAX_GROUPS 20
#define CHAIN_MAX_BUILDS 50

/* A worker counts as serving its arches if it asked for work within this
 * many leases, or holds a task whose lease runs (docs/BUILDS.md). */
#define ALIVE_LEASES 3

int q_api_outputs_expired(json_t *b, struct q_error *err)
{
	time_t t = (time_t)json_integer_value(json_object_get(b, "expired"));
	struct tm tm;
	char when[32] = "?";

	if (t <= 0)
		return 0;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return q_error_set(err, Q_EGONE,
			   "build %" JSON_INTEGER_FORMAT
			   " is a scratch build whose outputs (RPMs, logs) expired at %s "
			   "(build.scratch_ttl); build it again",
			   json_integer_value(json_object_get(b, "id")), when);
}

static int arch_unserved(struct q_request *r, const char *arch, int *unserved, struct q_error *err)
{
	int64_t n = 0;

	if (q_store_workers_serving(
		r->st, arch, (int64_t)time(NULL) - ALIVE_LEASES * r->hub->cfg.lease, &n, err) < 0)
		return -1;
	*unserved = n == 0;
	return 0;
}

static void unserved_text(struct q_request *r, const char *arch, char *out, size_t size)
{
	char dur[32];

	q_store_duration_text(r->hub->cfg.unclaimed, dur, sizeof(dur));
	if (!strcmp(arch, "src"))
		snprintf(out, size,
			 "no worker is running; the task fails after build.unclaimed_timeout (%s) "
			 "unless one comes",
			 dur);
	else
		snprintf(out, size,
			 "no worker serves %s; the task fails after build.unclaimed_timeout (%s) "
			 "unless one comes",
			 arch, dur);
}

json_t *q_api_unserved_warnings(struct q_request *r, int64_t id)
{
	struct q_error err = {0};
	json_t *b = NULL, *t, *a, *out = json_array(), *arches = json_array();
	int rpm_to_come = 0;
	size_t i;

	if (q_store_build_get(r->st, id, 1, &b, &err) < 0)
		goto done;
	if (json_array_size(json_object_get(b, "tasks")) == 0)
		json_array_append_new(arches, json_string("src")); /* a chain's later group */
	json_array_foreach (json_object_get(b, "tasks"), i, t) {
		if (strcmp(json_string_value(json_object_get(t, "state")), "free"))
			continue;
		json_array_append(arches, json_object_get(t, "arch"));
		rpm_to_come |= !strcmp(json_string_value(json_object_get(t, "kind")), "srpm");
	}
	if (rpm_to_come || json_array_size(json_object_get(b, "tasks")) == 0)
		json_array_extend(arches, json_object_get(b, "arches"));
	json_array_foreach (arches, i, a) {
		char msg[300];
		int unserved = 0;
		size_t j;
		json_t *w;
		int dup = 0;

		if (arch_unserved(r, json_string_value(a), &unserved, &err) < 0)
			break;
		if (!unserved)
			continue;
		unserved_text(r, json_string_value(a), msg, sizeof(msg));
		json_array_foreach (out, j, w)
			dup |= !strcmp(json_string_value(w), msg);
		if (!dup)
			json_array_append_new(out, json_string(msg));
	}
done:
	if (err.code)
		q_warn("build %" PRId64 ": cannot tell which arches workers serve: %s", id,
		       err.msg);
	json_decref(arches);
	json_decref(b);
	return out;
}

int q_api_build_after_task(struct q_request *r, json_t *task, struct q_error *err)
{
	int64_t bid = json_integer_value(json_object_get(task, "build")), chain = 0;
	json_t *b = NULL, *t;
	size_t i;
	int ready = 0;

	/* New rpm tasks (after the SRPM) for an arch no worker serves: say so
	 * on the task, where `build show` and --wait print it. */
	if (q_store_build_get(r->st, bid, 1, &b, err) < 0)
		return -1;
	json_array_foreach (json_object_get(b, "tasks"), i, t) {
		char msg[300];
		int unserved = 0;
		const char *arch = json_string_value(json_object_get(t, "arch"));

		if (strcmp(json_string_value(json_object_get(t, "state")), "free") ||
		    json_integer_value(json_object_get(t, "attempt")) != 0 ||
		    json_string_length(json_object_get(t, "message")))
			continue;
		if (arch_unserved(r, arch, &unserved, err) < 0) {
			json_decref(b);
			return -1;
		}
		if (!unserved)
			continue;
		unserved_text(r, arch, msg, sizeof(msg));
		if (q_store_task_note(r->st, json_integer_value(json_object_get(t, "id")), msg,
				      err) < 0) {
			json_decref(b);
			return -1;
		}
	}
	json_decref(b);
	/* A chain's build ended: fail the chain, or its group is ready to be
	 * tagged (the keeper does it once this transaction commits). */
	if (q_store_chain_of_build(r->st, bid, &chain, err) < 0)
		return -1;
	if (!chain)
		return 0;
	if (q_store_chain_check(r->st, chain, &ready, err) < 0)
		return -1;
	q_keeper_wake(r->hub);
	return 0;
}

/* The chain's repo: `into`, or the project's one candidate repo. */
static int chain_repo(struct q_request *r, const char *sig, const char *project, const char *into,
		      json_t **repo, struct q_error *err)
{
	json_t *list = NULL, *v, *found = NULL;
	GString *names;
	size_t i, n = 0;
	const char *channel;

	*repo = NULL;
	if (into) {
		if (q_name_check(Q_NAME_REPO, "repo name", into, err) < 0 ||
		    q_store_repo_get(r->st, sig, project, into, repo, err) < 0)
			return -1;
		channel = json_string_value(json_object_get(*repo, "channel"));
		if (strcmp(channel, "candidate")) {
			q_error_set(
			    err, Q_EPERM,
			    "repo '%s/%s/%s' is a %s repo: it changes only through updates "
			    "(quarry update create, quarry promote); a chain tags its builds "
			    "into a candidate repo (--into NAME)",
			    sig, project, into, channel);
			json_decref(*repo);
			*repo = NULL;
			return -1;
		}
		return 0;
	}
	if (q_store_repo_list(r->st, sig, project, &list, err) < 0)
		return -1;
	names = g_string_new(NULL);
	json_array_foreach (list, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "channel")), "candidate"))
			continue;
		g_string_append_printf(names, "%s%s", n ? ", " : "",
				       json_string_value(json_object_get(v, "name")));
		found = v;
		n++;
	}
	if (n == 1)
		*repo = json_incref(found);
	else if (n == 0)
		q_error_set(err, Q_EINVAL,
			    "project '%s/%s' has no candidate repo for the chain's builds; create "
			    "one (quarry repo create %s/%s/NAME --channel candidate) or name one "
			    "with --into",
			    sig, project, sig, project);
	else
		q_error_set(err, Q_EINVAL,
			    "project '%s/%s' has several candidate repos (%s); name the chain's "
			    "with --into",
			    sig, project, names->str);
	g_string_free(names, TRUE);
	json_decref(list);
	return *repo ? 0 : -1;
}

static void answer_chain(struct q_request *r, int status, int64_t id, json_t *warnings)
{
	struct q_error err = {0};
	json_t *c = NULL;

	if (q_store_chain_get(r->st, id, &c, &err) < 0) {
		json_decref(warnings);
		q_http_send_error(r, &err);
		return;
	}
	if (warnings && json_array_size(warnings))
		json_object_set(c, "warnings", warnings);
	json_decref(warnings);
	q_http_send_json(r, status, c);
}

void q_api_chain_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *proj = NULL, *repo = NULL, *groups, *g, *src, *warnings = NULL;
	const char *into = NULL;
	struct q_build_src *srcs = NULL;
	size_t gi, si, n = 0, k = 0;
	int64_t chain = 0;

	if (q_name_check(Q_NAME_SIG, "sig name", caps[0], &err) < 0 ||
	    q_name_check(Q_NAME_PROJECT, "project name", caps[1], &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_MEMBER, "build in this SIG", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "into", 0, 64, &into, &err) < 0 ||
	    q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0)
		goto fail;
	if (json_object_get(body, "scratch")) {
		q_error_set(&err, Q_EINVAL,
			    "a chain cannot be scratch: its builds are tagged into a repo");
		goto fail;
	}
	groups = json_object_get(body, "groups");
	if (!json_is_array(groups) || json_array_size(groups) == 0 ||
	    json_array_size(groups) > CHAIN_MAX_GROUPS) {
		q_error_set(&err, Q_EINVAL,
			    "field 'groups' must be a list of 1 to %d groups, each a list of "
			    "\"URL#REF\"",
			    CHAIN_MAX_GROUPS);
		goto fail;
	}
	json_array_foreach (groups, gi, g) {
		if (!json_is_array(g) || json_array_size(g) == 0) {
			q_error_set(&err, Q_EINVAL,
				    "group %zu must be a list of 1 or more \"URL#REF\"", gi + 1);
			goto fail;
		}
		n += json_array_size(g);
	}
	if (n > CHAIN_MAX_BUILDS) {
		q_error_set(&err, Q_EINVAL, "a chain holds at most %d builds (this one %zu)",
			    CHAIN_MAX_BUILDS, n);
		goto fail;
	}
	if (chain_repo(r, caps[0], caps[1], into, &repo, &err) < 0)
		goto fail;
	/* Every source imported and checked before anything is stored. */
	srcs = g_new0(struct q_build_src, n);
	json_array_foreach (groups, gi, g) {
		json_array_foreach (g, si, src) {
			json_t *one;
			int rc;

			if (!json_is_string(src)) {
				q_error_set(&err, Q_EINVAL,
					    "group %zu, source %zu is not a string \"URL#REF\"",
					    gi + 1, si + 1);
				goto fail;
			}
			one = json_pack("{s:O}", "git", src);
			if (json_object_get(body, "arches"))
				json_object_set(one, "arches", json_object_get(body, "arches"));
			rc = q_api_build_prepare(r, proj, one, &srcs[k++], &err);
			json_decref(one);
			if (rc < 0) {
				q_error_prefix(&err, "group %zu, %s", gi + 1,
					       json_string_value(src));
				goto fail;
			}
		}
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	k = 0;
	if (q_store_chain_create(r->st, json_integer_value(json_object_get(proj, "id")),
				 json_integer_value(json_object_get(repo, "id")),
				 (int64_t)json_array_size(groups), r->who.name, &chain, &err) < 0)
		goto rollback;
	json_array_foreach (groups, gi, g) {
		json_array_foreach (g, si, src) {
			int64_t id = 0;

			if (q_api_build_insert(r, caps[0], caps[1], &srcs[k++], chain,
					       (int64_t)gi + 1, gi == 0, &id, &err) < 0) {
				q_error_prefix(&err, "group %zu, %s", gi + 1,
					       json_string_value(src));
				goto rollback;
			}
		}
	}
	if (q_api_audit(r, "chain.create", caps[0],
			json_pack("{s:I,s:s,s:O,s:O}", "chain", (json_int_t)chain, "project",
				  caps[1], "repo", json_object_get(repo, "name"), "groups", groups),
			&err) < 0 ||
	    q_store_commit(r->st, &err) < 0)
		goto rollback;
	q_event_bump(Q_TOPIC_TASKS, 0);
	q_info("chain %" PRId64 " of %s/%s queued: %zu builds in %zu groups, into %s", chain,
	       caps[0], caps[1], n, json_array_size(groups),
	       json_string_value(json_object_get(repo, "name")));
	/* Warnings for the arches every build will need. */
	{
		json_t *c = NULL, *b;

		warnings = json_array();
		if (q_store_chain_get(r->st, chain, &c, &err) == 0) {
			b = json_array_get(json_object_get(c, "builds"), 0);
			if (b) {
				json_t *w = q_api_unserved_warnings(
				    r, json_integer_value(json_object_get(b, "id")));
				json_array_extend(warnings, w);
				json_decref(w);
			}
		}
		json_decref(c);
	}
	answer_chain(r, 201, chain, warnings);
	goto out;
rollback:
	q_store_rollback(r->st);
fail:
	q_http_send_error(r, &err);
out:
	for (size_t i = 0; srcs && i < n; i++)
		q_api_build_src_release(&srcs[i]);
	g_free(srcs);
	json_decref(repo);
	json_decref(proj);
	json_decref(body);
}

void q_api_chain_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	char *end;
	int64_t id;

	errno = 0;
	id = strtoll(caps[0], &end, 10);
	if (errno || *end || end == caps[0] || id <= 0) {
		q_error_set(&err, Q_EINVAL, "chain id '%.32s' is not a positive integer", caps[0]);
		q_http_send_error(r, &err);
		return;
	}
	answer_chain(r, 200, id, NULL);
}
