/*
 * promote.c: moving an update between candidate, testing, release and
 * unpushed (docs/ARCHITECTURE.md, "Checks, updates and release").
 *
 * A move has three steps:
 *   1. prepare, with nothing changed: the gate (gate.c), the packages of
 *      every build (its RPM artifacts for the target repo's arches, found
 *      or recorded as package rows), and, when the target is signed, the
 *      signed copy of each (made by the signer once per package and key,
 *      stored like any package). A refusal or a signer that does not answer
 *      stops here.
 *   2. one transaction: the packages leave the source repo and enter the
 *      target repo, the update's state changes (entering testing, or
 *      release straight from candidate, the first time, it gets its
 *      advisory id), an audit row, both repos marked dirty. A crash
 *      before the commit leaves everything in its old place; after it,
 *      everything is in the new one.
 *   3. publish both repos (a crash here is healed by the republish of dirty
 *      repos at the next start).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/testphase.h"
#include "hub/gate.h"
#include "hub/hub.h"
#include "publish/rpm.h"
#include "sign/sign.h"

#include <glib.h>
#include <pthread.h>
#include <time.h>

/* One package of a build headed for a repo. */
struct ppkg {
	int64_t id;        /* the unsigned package */
	int64_t signed_id; /* its signed copy, 0 when the target is not signed */
	char nevra[300];
};

static bool arch_in(json_t *repo, const char *arch)
{
	json_t *x;
	size_t i;

	if (!strcmp(arch, "noarch"))
		return true;
	json_array_foreach (json_object_get(repo, "arches"), i, x)
		if (!strcmp(json_string_value(x), arch))
			return true;
	return false;
}

/* The package row of a stored RPM, recorded (inspected) when missing. */
static int package_of(struct q_hub *hub, struct q_store *st, const char *sha256, const char *name,
		      int64_t *id, char *nevra, size_t nsize, struct q_error *err)
{
	struct q_rpm_info info = {0};
	char path[1300];
	int rc;

	q_hub_store_path(hub, sha256, path, sizeof(path));
	if (q_rpm_inspect(path, name, &info, err) < 0)
		return -1;
	snprintf(nevra, nsize, "%s", info.nevra);
	if (q_store_package_by_sha256(st, sha256, id, err) < 0) {
		q_rpm_info_release(&info);
		return -1;
	}
	rc = *id ? 0 : q_store_package_put(st, &info, id, err);
	q_rpm_info_release(&info);
	return rc;
}

/* The copy of package pid (file sha256) signed with fpr: found, or made now. */
int q_hub_signed_copy(struct q_hub *hub, struct q_store *st, int64_t pid, const char *sha256,
		      const char *name, const char *fpr, int64_t *signed_id, struct q_error *err)
{
	struct q_rpm_info info = {0};
	char in[1300], out[1300];
	int rc = -1;

	if (q_store_signed_get(st, pid, fpr, signed_id, err) < 0)
		return -1;
	if (*signed_id)
		return 0;
	if (!hub->signer)
		return q_error_set(err, Q_EIO, "no signer: the hub cannot sign packages");
	q_hub_store_path(hub, sha256, in, sizeof(in));
	snprintf(out, sizeof(out), "%s/sign-%d-%lx-%s", hub->tmp_dir, (int)getpid(),
		 (unsigned long)pthread_self(), name);
	if (q_signer_sign_rpm(hub->signer, fpr, in, out, err) < 0) {
		unlink(out);
		return -1;
	}
	if (q_rpm_inspect(out, name, &info, err) < 0)
		goto done;
	if (!strcmp(info.sha256, sha256)) {
		/* Already signed with this key (rpmsign leaves it as it is): the
		 * package is its own signed copy (the signer verified the signature). */
		if (q_store_begin(st, err) < 0)
			goto done;
		if (q_store_signed_put(st, pid, fpr, pid, err) < 0 || q_store_commit(st, err) < 0) {
			q_store_rollback(st);
			goto done;
		}
		*signed_id = pid;
		rc = 0;
		goto done;
	}
	if (q_hub_store_file(hub, out, info.sha256, 1, err) < 0)
		goto done;
	if (q_store_begin(st, err) < 0)
		goto done;
	if (q_store_package_put(st, &info, signed_id, err) < 0 ||
	    q_store_signed_put(st, pid, fpr, *signed_id, err) < 0 || q_store_commit(st, err) < 0) {
		q_store_rollback(st);
		goto done;
	}
	rc = 0;
done:
	unlink(out);
	q_rpm_info_release(&info);
	return rc;
}

/* Every package of the update's builds for repo; signed with fpr when fpr. */
static int collect(struct q_hub *hub, struct q_store *st, json_t *update, json_t *repo,
		   const char *fpr, GArray *pkgs, struct q_error *err)
{
	json_t *b;
	size_t i;

	json_array_foreach (json_object_get(update, "builds"), i, b) {
		int64_t bid = json_integer_value(json_object_get(b, "id"));
		json_t *arts = NULL, *a;
		size_t k, before = pkgs->len;

		if (strcmp(json_string_value(json_object_get(b, "state")), "complete"))
			return q_error_set(err, Q_ECONFLICT,
					   "build %" PRId64 " is '%s', not complete", bid,
					   json_string_value(json_object_get(b, "state")));
		if (q_store_build_artifacts(st, bid, &arts, err) < 0)
			return -1;
		json_array_foreach (arts, k, a) {
			const char *sha = json_string_value(json_object_get(a, "sha256"));
			const char *name = json_string_value(json_object_get(a, "name"));
			struct ppkg p = {0};

			if (strcmp(json_string_value(json_object_get(a, "kind")), "rpm") ||
			    !arch_in(repo, json_string_value(json_object_get(a, "arch"))))
				continue;
			if (package_of(hub, st, sha, name, &p.id, p.nevra, sizeof(p.nevra), err) <
				0 ||
			    (fpr && q_hub_signed_copy(hub, st, p.id, sha, name, fpr, &p.signed_id,
						      err) < 0)) {
				json_decref(arts);
				return -1;
			}
			g_array_append_val(pkgs, p);
		}
		json_decref(arts);
		if (pkgs->len == before)
			return q_error_set(err, Q_EINVAL,
					   "build %" PRId64
					   " has no RPM for the arches of repo '%s'",
					   bid, json_string_value(json_object_get(repo, "name")));
	}
	return 0;
}

static int repo_by_id(struct q_store *st, json_t *update, const char *which, json_t **out,
		      struct q_error *err)
{
	return q_store_repo_get(st, json_string_value(json_object_get(update, "sig")),
				json_string_value(json_object_get(update, "project")),
				json_string_value(json_object_get(update, which)), out, err);
}

/* Publish the repos (their names in the update's fields) after a move. */
static void publish_after(struct q_hub *hub, struct q_store *st, json_t *update,
			  const char *const *which, json_t *published)
{
	for (; *which; which++) {
		json_t *repo = NULL, *res = NULL;
		struct q_error err = {0};

		if (repo_by_id(st, update, *which, &repo, &err) < 0 ||
		    q_hub_publish_repo(hub, st, repo, 0, &res, &err) < 0) {
			q_warn("update %" JSON_INTEGER_FORMAT
			       ": publishing %s failed (retried at the "
			       "next publish or start): %s",
			       json_integer_value(json_object_get(update, "id")), *which, err.msg);
			json_array_append_new(
			    published, json_pack("{s:s,s:s}", "repo", *which, "error", err.msg));
		} else {
			json_array_append_new(
			    published, json_pack("{s:s,s:o}", "repo",
						 json_string_value(json_object_get(repo, "name")),
						 "results", res));
		}
		json_decref(repo);
	}
}

/* After a committed move: publish the repos named by which, then
 * *result = {"update" (as it is now), "published"}. */
int q_hub_update_finish(struct q_hub *hub, struct q_store *st, json_t *update, int64_t update_id,
			const char *const *which, json_t **result, struct q_error *err)
{
	json_t *published = json_array(), *now = NULL;

	publish_after(hub, st, update, which, published);
	if (q_store_update_get(st, update_id, &now, err) < 0) {
		json_decref(published);
		return -1;
	}
	*result = json_pack("{s:o,s:o}", "update", now, "published", published);
	return 0;
}

int q_hub_promote(struct q_hub *hub, struct q_store *st, int64_t update_id, const char *to,
		  const char *actor, json_t **result, struct q_error *err)
{
	json_t *update = NULL, *policy = NULL, *checks = NULL, *src = NULL, *dst = NULL;
	GArray *pkgs = g_array_new(FALSE, TRUE, sizeof(struct ppkg));
	const char *from, *fpr = NULL;
	bool sign;
	int rc = -1;

	*result = NULL;
	if (q_store_update_get(st, update_id, &update, err) < 0 ||
	    q_store_policy_get(st, json_integer_value(json_object_get(update, "project_id")),
			       &policy, err) < 0 ||
	    q_store_update_checks(st, update_id, &checks, err) < 0)
		goto out;
	if (q_gate_check(update, policy, checks, to, (int64_t)time(NULL), err) < 0)
		goto out;
	from = json_string_value(json_object_get(update, "state"));
	if (repo_by_id(st, update, !strcmp(to, "release") ? "release_repo" : "testing_repo", &dst,
		       err) < 0 ||
	    (!strcmp(from, "testing") && repo_by_id(st, update, "testing_repo", &src, err) < 0))
		goto out;
	sign = !strcmp(to, "release") ||
	       json_integer_value(json_object_get(policy, "sign_testing")) != 0;
	if (sign) {
		fpr = json_string_value(json_object_get(dst, "key_fingerprint"));
		if (!fpr || !*fpr) {
			q_error_set(err, Q_ECONFLICT, "repo '%s' has no signing key",
				    json_string_value(json_object_get(dst, "name")));
			goto out;
		}
	}
	q_test_phase("promote-begin", to);
	if (collect(hub, st, update, dst, fpr, pkgs, err) < 0)
		goto out;
	q_test_phase("promote-before-commit", to);

	/* The move: one transaction. */
	if (q_store_begin(st, err) < 0)
		goto out;
	for (guint i = 0; i < pkgs->len; i++) {
		struct ppkg *p = &g_array_index(pkgs, struct ppkg, i);
		int64_t src_id = src ? json_integer_value(json_object_get(src, "id")) : 0;

		if ((src_id && (q_store_repo_remove_package(st, src_id, p->id, err) < 0 ||
				(p->signed_id && q_store_repo_remove_package(
						     st, src_id, p->signed_id, err) < 0))) ||
		    q_store_repo_add_package(st, json_integer_value(json_object_get(dst, "id")),
					     p->signed_id ? p->signed_id : p->id, err) < 0)
			goto rollback;
	}
	{
		char target[64], detail[600];

		snprintf(target, sizeof(target), "update %" PRId64, update_id);
		snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":\"%s\",\"packages\":%u}",
			 from, to, pkgs->len);
		char advisory[128];

		if (q_store_update_set_state(st, update_id, from, to, err) < 0 ||
		    (!strcmp(to, "testing") &&
		     q_hub_obsolete_older(st, update_id,
					  json_integer_value(json_object_get(dst, "id")), actor,
					  err) < 0) ||
		    q_store_update_assign_advisory(st, update_id, (int64_t)time(NULL), advisory,
						   sizeof(advisory), err) < 0 ||
		    q_store_repo_mark_dirty(st, json_integer_value(json_object_get(dst, "id")),
					    err) < 0 ||
		    (src && q_store_repo_mark_dirty(
				st, json_integer_value(json_object_get(src, "id")), err) < 0) ||
		    q_store_audit(st, actor, "update.promote", target, detail, err) < 0 ||
		    q_store_commit(st, err) < 0)
			goto rollback;
	}
	q_test_phase("promote-after-commit", to);
	{
		static const char *const both[] = {"testing_repo", "release_repo", NULL};
		static const char *const testing_only[] = {"testing_repo", NULL};
		static const char *const release_only[] = {"release_repo", NULL};

		if (q_hub_update_finish(hub, st, update, update_id,
					src                      ? both
					: !strcmp(to, "release") ? release_only
								 : testing_only,
					result, err) < 0)
			goto out;
	}
	q_test_phase("promote-end", to);
	rc = 0;
	goto out;
rollback:
	q_store_rollback(st);
out:
	g_array_free(pkgs, TRUE);
	json_decref(update);
	json_decref(policy);
	json_decref(checks);
	json_decref(src);
	json_decref(dst);
	return rc;
}

int q_hub_unpush(struct q_hub *hub, struct q_store *st, int64_t update_id, const char *actor,
		 const char *why, json_t **result, struct q_error *err)
{
	static const char *const fields[] = {"testing_repo_id", "release_repo_id"};
	static const char *const names[] = {"testing_repo", "release_repo"};
	json_t *update = NULL, *b;
	const char *from, *publish[3] = {NULL, NULL, NULL};
	int removed[2] = {0, 0}, n = 0, rc = -1;
	size_t i;

	*result = NULL;
	if (q_store_update_get(st, update_id, &update, err) < 0)
		goto out;
	from = json_string_value(json_object_get(update, "state"));
	if (!strcmp(from, "release")) {
		q_error_set(err, Q_ECONFLICT,
			    "update %" PRId64 " is released, and released is final: it cannot be "
			    "unpushed; a release engineer takes a released update's builds out of "
			    "the release repo with 'quarry revoke %" PRId64 " --reason TEXT'",
			    update_id, update_id);
		goto out;
	}
	if (strcmp(from, "candidate") && strcmp(from, "testing")) {
		q_error_set(err, Q_ECONFLICT,
			    "update %" PRId64
			    " is '%s'; only a candidate or testing update can be unpushed",
			    update_id, from);
		goto out;
	}
	/* The builds leave the testing repo and also the release repo, where a
	 * release engineer's override may have tagged them. */
	if (q_store_begin(st, err) < 0)
		goto out;
	for (int k = 0; k < 2; k++)
		json_array_foreach (json_object_get(update, "builds"), i, b)
			if (q_store_repo_remove_build(
				st, json_integer_value(json_object_get(update, fields[k])),
				json_integer_value(json_object_get(b, "id")), &removed[k], err) < 0)
				goto rollback;
	{
		char target[64];
		json_t *detail = json_pack("{s:s,s:s,s:i,s:i}", "from", from, "why", why ? why : "",
					   "left_testing", removed[0], "left_release", removed[1]);
		char *d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);

		json_decref(detail);
		snprintf(target, sizeof(target), "update %" PRId64, update_id);
		if (q_store_update_set_state(st, update_id, from, "unpushed", err) < 0 ||
		    q_store_audit(st, actor, "update.unpush", target, d, err) < 0) {
			free(d);
			goto rollback;
		}
		free(d);
	}
	for (int k = 0; k < 2; k++)
		if (removed[k]) {
			if (q_store_repo_mark_dirty(
				st, json_integer_value(json_object_get(update, fields[k])), err) <
			    0)
				goto rollback;
			publish[n++] = names[k];
		}
	if (q_store_commit(st, err) < 0)
		goto rollback;
	if (q_hub_update_finish(hub, st, update, update_id, publish, result, err) < 0)
		goto out;
	rc = 0;
	goto out;
rollback:
	q_store_rollback(st);
out:
	json_decref(update);
	return rc;
}

void q_hub_auto_testing(struct q_hub *hub, struct q_store *st, int64_t update_id)
{
	json_t *update = NULL, *policy = NULL, *checks = NULL, *res = NULL;
	struct q_error err = {0};

	if (q_store_update_get(st, update_id, &update, &err) < 0 ||
	    strcmp(json_string_value(json_object_get(update, "state")), "candidate") ||
	    q_store_policy_get(st, json_integer_value(json_object_get(update, "project_id")),
			       &policy, &err) < 0 ||
	    !json_integer_value(json_object_get(policy, "auto_testing")) ||
	    q_store_update_checks(st, update_id, &checks, &err) < 0 ||
	    q_gate_check(update, policy, checks, "testing", (int64_t)time(NULL), &err) < 0)
		goto out;
	if (q_hub_promote(hub, st, update_id, "testing", "auto-testing", &res, &err) < 0)
		q_warn("update %" PRId64 ": moving to testing failed: %s", update_id, err.msg);
	else
		q_info("update %" PRId64 ": checks passed, moved to testing", update_id);
out:
	json_decref(update);
	json_decref(policy);
	json_decref(checks);
	json_decref(res);
}
