/*
 * lifecycle.c: the update lifecycle beyond promote and unpush
 * (docs/ARCHITECTURE.md, "Updates like Bodhi"): obsoleting older updates of
 * the same package when a newer one enters testing, editing an update's
 * builds, revoking a released update, unpushing on unstable karma.
 *
 * Each change is one transaction (the update's state, its builds, the
 * repos' packages, an audit row, the dirty flags), then a publish of the
 * repos it touched, as in promote.c.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "hub/hub.h"

#include <glib.h>
#include <rpm/rpmver.h>

/* Compare the version-release of two N-V-R strings of package name
 * (rpmvercmp on the version, then on the release). */
static int nvr_cmp(const char *name, const char *a, const char *b)
{
	size_t n = strlen(name);
	char *x, *y, *rx, *ry;
	int c;

	if (strncmp(a, name, n) || a[n] != '-' || strncmp(b, name, n) || b[n] != '-')
		return strcmp(a, b);
	x = g_strdup(a + n + 1);
	y = g_strdup(b + n + 1);
	rx = strrchr(x, '-');
	ry = strrchr(y, '-');
	if (rx)
		*rx++ = '\0';
	if (ry)
		*ry++ = '\0';
	c = rpmvercmp(x, y);
	if (c == 0)
		c = rpmvercmp(rx ? rx : "", ry ? ry : "");
	g_free(x);
	g_free(y);
	return c;
}

static int audit_json(struct q_store *st, const char *actor, const char *action, int64_t update_id,
		      json_t *detail, struct q_error *err)
{
	char target[64];
	char *d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	json_decref(detail);
	snprintf(target, sizeof(target), "update %" PRId64, update_id);
	rc = q_store_audit(st, actor, action, target, d ? d : "", err);
	free(d);
	return rc;
}

/* Every build of u leaves repo_id; *removed counts the rows. */
static int builds_leave(struct q_store *st, json_t *u, int64_t repo_id, int *removed,
			struct q_error *err)
{
	json_t *b;
	size_t i;

	json_array_foreach (json_object_get(u, "builds"), i, b)
		if (q_store_repo_remove_build(st, repo_id,
					      json_integer_value(json_object_get(b, "id")), removed,
					      err) < 0)
			return -1;
	return 0;
}

int q_hub_obsolete_older(struct q_store *st, int64_t update_id, int64_t testing_repo_id,
			 const char *actor, struct q_error *err)
{
	json_t *rivals = NULL, *r;
	GHashTable *done = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	size_t i;
	int rc = -1;

	if (q_store_update_rivals(st, update_id, &rivals, err) < 0)
		goto out;
	json_array_foreach (rivals, i, r) {
		int64_t *rid = g_new(int64_t, 1);
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *older = json_string_value(json_object_get(r, "nevr"));
		const char *newer = json_string_value(json_object_get(r, "newer"));
		json_t *u = NULL;
		int removed = 0;

		*rid = json_integer_value(json_object_get(r, "update_id"));
		if (g_hash_table_contains(done, rid) || nvr_cmp(name, older, newer) >= 0) {
			g_free(rid);
			continue;
		}
		g_hash_table_add(done, rid);
		if (q_store_update_get(st, *rid, &u, err) < 0)
			goto out;
		if (builds_leave(st, u, testing_repo_id, &removed, err) < 0 ||
		    q_store_update_obsolete(st, *rid,
					    json_string_value(json_object_get(r, "state")),
					    update_id, err) < 0 ||
		    audit_json(st, actor, "update.obsolete", *rid,
			       json_pack("{s:I,s:s,s:s,s:s,s:i}", "obsoleted_by",
					 (json_int_t)update_id, "package", name, "older", older,
					 "newer", newer, "left_testing", removed),
			       err) < 0) {
			json_decref(u);
			goto out;
		}
		q_info("update %" PRId64 " (%s) is obsolete: update %" PRId64 " brings %s", *rid,
		       older, update_id, newer);
		json_decref(u);
	}
	rc = 0;
out:
	g_hash_table_destroy(done);
	json_decref(rivals);
	return rc;
}

int q_hub_update_edit(struct q_hub *hub, struct q_store *st, int64_t update_id, json_t *add,
		      json_t *remove, const char *actor, json_t **result, struct q_error *err)
{
	json_t *u = NULL, *b, *gate = json_null();
	const char *state;
	bool testing;
	int removed = 0, rc = -1;
	size_t i;

	*result = NULL;
	if (q_store_update_get(st, update_id, &u, err) < 0)
		goto out;
	state = json_string_value(json_object_get(u, "state"));
	if (strcmp(state, "candidate") && strcmp(state, "testing") && strcmp(state, "unpushed")) {
		q_error_set(
		    err, Q_ECONFLICT,
		    "update %" PRId64
		    " is '%s'; only candidate, testing and unpushed updates can be edited%s",
		    update_id, state,
		    !strcmp(state, "obsolete") ? " (its builds may join another update)" : "");
		goto out;
	}
	testing = !strcmp(state, "testing");
	if (q_store_begin(st, err) < 0)
		goto out;
	json_array_foreach (remove, i, b)
		if (q_store_update_drop_build(st, update_id, json_integer_value(b), err) < 0)
			goto rollback;
	json_array_foreach (add, i, b)
		if (q_store_update_take_build(st, update_id, json_integer_value(b), err) < 0)
			goto rollback;
	/* In testing, the update goes back through the gate: its builds leave
	 * the testing repo (the removed ones for good) and it is a candidate. */
	if (testing) {
		int64_t tid = json_integer_value(json_object_get(u, "testing_repo_id"));

		if (builds_leave(st, u, tid, &removed, err) < 0 ||
		    q_store_update_set_state(st, update_id, "testing", "candidate", err) < 0 ||
		    (removed && q_store_repo_mark_dirty(st, tid, err) < 0))
			goto rollback;
	}
	if (audit_json(st, actor, "update.edit", update_id,
		       json_pack("{s:O,s:O,s:s}", "add", add, "remove", remove, "state", state),
		       err) < 0 ||
	    q_store_commit(st, err) < 0)
		goto rollback;
	if (testing) {
		struct q_error gerr = {0};

		if (q_hub_promote(hub, st, update_id, "testing", actor, result, &gerr) == 0)
			goto done;
		q_info("update %" PRId64 ": edited in testing, back to candidate: %s", update_id,
		       gerr.msg);
		json_decref(gate);
		gate = json_string(gerr.msg);
		{
			const char *const which[] = {"testing_repo", NULL};

			if (q_hub_update_finish(hub, st, u, update_id, removed ? which : which + 1,
						result, err) < 0)
				goto out;
		}
	} else {
		const char *const none[] = {NULL};

		if (!strcmp(state, "candidate"))
			q_hub_auto_testing(hub, st, update_id);
		if (q_hub_update_finish(hub, st, u, update_id, none, result, err) < 0)
			goto out;
	}
done:
	json_object_set(*result, "gate", gate);
	rc = 0;
	goto out;
rollback:
	q_store_rollback(st);
out:
	json_decref(gate);
	json_decref(u);
	return rc;
}

int q_hub_revoke(struct q_hub *hub, struct q_store *st, int64_t update_id, const char *reason,
		 const char *actor, json_t **result, struct q_error *err)
{
	static const char *const which[] = {"release_repo", NULL};
	json_t *u = NULL;
	const char *state;
	int64_t rid;
	int removed = 0, rc = -1;

	*result = NULL;
	if (q_store_update_get(st, update_id, &u, err) < 0)
		goto out;
	state = json_string_value(json_object_get(u, "state"));
	if (strcmp(state, "release")) {
		q_error_set(err, Q_ECONFLICT,
			    "update %" PRId64 " is '%s'; only a released update can be revoked%s",
			    update_id, state,
			    !strcmp(state, "candidate") || !strcmp(state, "testing")
				? " (take a candidate or testing update back with 'quarry unpush')"
				: "");
		goto out;
	}
	rid = json_integer_value(json_object_get(u, "release_repo_id"));
	if (q_store_begin(st, err) < 0)
		goto out;
	if (builds_leave(st, u, rid, &removed, err) < 0 ||
	    q_store_update_revoke(st, update_id, reason, err) < 0 ||
	    q_store_repo_mark_dirty(st, rid, err) < 0 ||
	    audit_json(st, actor, "update.revoke", update_id,
		       json_pack("{s:s,s:i}", "reason", reason, "left_release", removed),
		       err) < 0 ||
	    q_store_commit(st, err) < 0) {
		q_store_rollback(st);
		goto out;
	}
	q_info("update %" PRId64 " revoked by %s: %s", update_id, actor, reason);
	rc = q_hub_update_finish(hub, st, u, update_id, which, result, err);
out:
	json_decref(u);
	return rc;
}

int q_hub_karma_check(struct q_hub *hub, struct q_store *st, int64_t update_id, bool *unpushed,
		      struct q_error *err)
{
	json_t *u = NULL, *policy = NULL, *res = NULL;
	const char *state;
	int64_t karma, limit;
	int rc = -1;

	*unpushed = false;
	if (q_store_update_get(st, update_id, &u, err) < 0 ||
	    q_store_policy_get(st, json_integer_value(json_object_get(u, "project_id")), &policy,
			       err) < 0)
		goto out;
	state = json_string_value(json_object_get(u, "state"));
	karma = json_integer_value(json_object_get(u, "karma"));
	limit = json_integer_value(json_object_get(policy, "unstable_karma"));
	if (limit < 0 && karma <= limit &&
	    (!strcmp(state, "candidate") || !strcmp(state, "testing"))) {
		char why[160];

		snprintf(why, sizeof(why),
			 "unstable karma: %" PRId64 " reached the policy's unstable_karma %" PRId64,
			 karma, limit);
		if (q_hub_unpush(hub, st, update_id, "auto-karma", why, &res, err) < 0)
			goto out;
		q_info("update %" PRId64 " unpushed: %s", update_id, why);
		*unpushed = true;
	}
	rc = 0;
out:
	json_decref(u);
	json_decref(policy);
	json_decref(res);
	return rc;
}
