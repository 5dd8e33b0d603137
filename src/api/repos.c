/*
 * repos.c: /sigs/S/projects and /sigs/S/projects/P/repos, publish history
 * and publishing.
 *
 * A project is a SIG on one EL major with a variant: its build branch is
 * rMAJOR-sig-SIG-VARIANT and its dist tag .elMAJOR.SHORT (derived, never
 * stored twice). A repo belongs to a project, has a channel and a subset of
 * the project's arches. Candidate repos take tags and uploads from SIG
 * members; testing and release repos change only through updates (gating in
 * uploads.c, moves in hub/promote.c).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "api/api.h"
#include "hub/hub.h"

/* arches must be a non-empty array of known, distinct arch names, and
 * (when allowed is not NULL) a subset of allowed. */
static int check_arches(json_t *arches, json_t *allowed, struct q_error *err)
{
	size_t i, j;
	json_t *v, *w;

	if (!json_is_array(arches) || json_array_size(arches) == 0 || json_array_size(arches) > 8)
		return q_error_set(err, Q_EINVAL, "field 'arches' must be a list of 1 to 8 arches");
	json_array_foreach (arches, i, v) {
		const char *a = json_string_value(v);
		int ok = 0;

		if (!a || !q_arch_valid(a))
			return q_error_set(
			    err, Q_EINVAL,
			    "arch '%.32s' is unknown; use x86_64, aarch64, ppc64le, s390x, "
			    "i686 or riscv64",
			    a ? a : "(not a string)");
		for (j = 0; j < i; j++)
			if (!strcmp(a, json_string_value(json_array_get(arches, j))))
				return q_error_set(err, Q_EINVAL, "arch '%s' is listed twice", a);
		if (!allowed)
			continue;
		json_array_foreach (allowed, j, w)
			ok |= !strcmp(a, json_string_value(w));
		if (!ok)
			return q_error_set(err, Q_EINVAL,
					   "arch '%s' is not one of the project's arches", a);
	}
	return 0;
}

static int check_sp(const char **caps, int n, struct q_error *err)
{
	if (q_name_check(Q_NAME_SIG, "sig name", caps[0], err) < 0)
		return -1;
	if (n > 1 && q_name_check(Q_NAME_PROJECT, "project name", caps[1], err) < 0)
		return -1;
	if (n > 2 && q_name_check(Q_NAME_REPO, "repo name", caps[2], err) < 0)
		return -1;
	return 0;
}

/* Drop internal fields before showing a repo. */
static json_t *public_repo(json_t *repo)
{
	json_object_del(repo, "id");
	json_object_del(repo, "dirty");
	json_object_del(repo, "key_fingerprint");
	json_object_del(repo, "major");
	return repo;
}

void q_api_projects(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *sig = NULL, *list = NULL;

	if (check_sp(caps, 1, &err) < 0 || q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0 ||
	    q_store_project_list(r->st, caps[0], &list, &err) < 0) {
		json_decref(sig);
		q_http_send_error(r, &err);
		return;
	}
	json_decref(sig);
	{
		json_t *v;
		size_t i;

		json_array_foreach (list, i, v)
			json_object_del(v, "id"); /* internal */
	}
	q_http_send_json(r, 200, json_pack("{s:o}", "projects", list));
}

void q_api_project_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *sig = NULL, *proj = NULL, *major, *f = NULL;
	const char *name, *variant;

	if (check_sp(caps, 1, &err) < 0 || q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "create projects in this SIG", &err) < 0)
		goto fail;
	if (!strcmp(json_string_value(json_object_get(sig, "status")), "retired")) {
		q_error_set(&err, Q_ECONFLICT, "sig '%s' is retired; it takes no new projects",
			    caps[0]);
		goto fail;
	}
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "name", 1, 64, &name, &err) < 0 ||
	    q_api_str(body, "variant", 0, 32, &variant, &err) < 0 ||
	    q_name_check(Q_NAME_PROJECT, "project name", name, &err) < 0)
		goto fail;
	if (!variant)
		variant = "1";
	if (q_name_check(Q_NAME_VARIANT, "variant", variant, &err) < 0)
		goto fail;
	major = json_object_get(body, "major");
	if (!json_is_integer(major) || json_integer_value(major) < 7 ||
	    json_integer_value(major) > 99) {
		q_error_set(&err, Q_EINVAL,
			    "field 'major' must be an EL major version from 7 to 99");
		goto fail;
	}
	if (check_arches(json_object_get(body, "arches"), NULL, &err) < 0)
		goto fail;
	f = json_pack("{s:s,s:O,s:s,s:O}", "name", name, "major", major, "variant", variant,
		      "arches", json_object_get(body, "arches"));
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_project_create(r->st, caps[0], f, &err) < 0 ||
	    q_api_audit(r, "project.create", caps[0], json_incref(f), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_store_project_get(r->st, caps[0], name, &proj, &err) < 0)
		goto fail;
	json_decref(f);
	json_decref(sig);
	json_decref(body);
	json_object_del(proj, "id"); /* internal */
	q_http_send_json(r, 201, proj);
	return;
fail:
	json_decref(f);
	json_decref(sig);
	json_decref(body);
	q_http_send_error(r, &err);
}

void q_api_project_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *proj = NULL, *repos = NULL, *v;
	size_t i;

	if (check_sp(caps, 2, &err) < 0 ||
	    q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0 ||
	    q_store_repo_list(r->st, caps[0], caps[1], &repos, &err) < 0) {
		json_decref(proj);
		q_http_send_error(r, &err);
		return;
	}
	json_array_foreach (repos, i, v)
		public_repo(v);
	json_object_del(proj, "id"); /* internal */
	json_object_set_new(proj, "repos", repos);
	q_http_send_json(r, 200, proj);
}

void q_api_repos(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *proj = NULL, *repos = NULL, *v;
	size_t i;

	if (check_sp(caps, 2, &err) < 0 ||
	    q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0 ||
	    q_store_repo_list(r->st, caps[0], caps[1], &repos, &err) < 0) {
		json_decref(proj);
		q_http_send_error(r, &err);
		return;
	}
	json_decref(proj);
	json_array_foreach (repos, i, v)
		public_repo(v);
	q_http_send_json(r, 200, json_pack("{s:o}", "repos", repos));
}

void q_api_repo_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *proj = NULL, *repo = NULL, *f = NULL;
	const char *name, *channel;

	if (check_sp(caps, 2, &err) < 0 ||
	    q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "create repos in this SIG", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "name", 1, 64, &name, &err) < 0 ||
	    q_api_str(body, "channel", 0, 16, &channel, &err) < 0 ||
	    q_name_check(Q_NAME_REPO, "repo name", name, &err) < 0)
		goto fail;
	if (!channel)
		channel = "release";
	if (strcmp(channel, "candidate") && strcmp(channel, "testing") &&
	    strcmp(channel, "release")) {
		q_error_set(&err, Q_EINVAL,
			    "channel '%.16s' is unknown; use candidate, testing or release",
			    channel);
		goto fail;
	}
	if (!json_object_get(body, "arches"))
		json_object_set(body, "arches", json_object_get(proj, "arches"));
	if (check_arches(json_object_get(body, "arches"), json_object_get(proj, "arches"), &err) <
	    0)
		goto fail;
	f = json_pack("{s:s,s:s,s:O}", "name", name, "channel", channel, "arches",
		      json_object_get(body, "arches"));
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_repo_create(r->st, caps[0], caps[1], f, &err) < 0 ||
	    q_api_audit(r, "repo.create", caps[0],
			json_pack("{s:s,s:O}", "project", caps[1], "repo", f), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	/* The SIG's release package lists its repos: rebuild it (logged, never fatal). */
	q_hub_release_pkg_refresh(r->hub, r->st, caps[0],
				  json_integer_value(json_object_get(proj, "major")), r->who.name);
	if (q_store_repo_get(r->st, caps[0], caps[1], name, &repo, &err) < 0)
		goto fail;
	json_decref(f);
	json_decref(proj);
	json_decref(body);
	q_http_send_json(r, 201, public_repo(repo));
	return;
fail:
	json_decref(f);
	json_decref(proj);
	json_decref(body);
	q_http_send_error(r, &err);
}

void q_api_repo_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *repo = NULL, *pkgs = NULL;

	if (check_sp(caps, 3, &err) < 0 ||
	    q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0 ||
	    q_store_repo_packages(r->st, json_integer_value(json_object_get(repo, "id")), &pkgs,
				  &err) < 0) {
		json_decref(repo);
		q_http_send_error(r, &err);
		return;
	}
	json_object_set_new(repo, "packages", pkgs);
	q_http_send_json(r, 200, public_repo(repo));
}

void q_api_repo_history(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *repo = NULL, *hist = NULL;

	if (check_sp(caps, 3, &err) < 0 ||
	    q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0 ||
	    q_store_publish_history(r->st, json_integer_value(json_object_get(repo, "id")), 1000,
				    &hist, &err) < 0) {
		json_decref(repo);
		q_http_send_error(r, &err);
		return;
	}
	json_decref(repo);
	q_http_send_json(r, 200, json_pack("{s:o}", "publishes", hist));
}

/* ?force=1 rewrites metadata even when nothing changed. */
static int force_param(struct q_request *r, int *force, struct q_error *err)
{
	char v[8];
	int found = q_query_get(r->query, r->query_len, "force", v, sizeof(v), err);

	*force = 0;
	if (found < 0)
		return -1;
	if (found && strcmp(v, "0") && strcmp(v, "1"))
		return q_error_set(err, Q_EINVAL, "query parameter 'force' must be 0 or 1");
	*force = found && !strcmp(v, "1");
	return 0;
}

void q_api_repo_publish(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *repo = NULL, *results = NULL;
	int force = 0;

	if (force_param(r, &force, &err) < 0 || check_sp(caps, 3, &err) < 0 ||
	    q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_MEMBER, "publish this SIG's repos", &err) < 0 ||
	    q_hub_publish_repo(r->hub, r->st, repo, force, &results, &err) < 0) {
		json_decref(repo);
		q_http_send_error(r, &err);
		return;
	}
	json_decref(repo);
	q_http_send_json(r, 200, json_pack("{s:o}", "results", results));
}

void q_api_publish_all(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *repos = NULL, *all = json_array(), *repo;
	size_t i;
	int force = 0;

	if (force_param(r, &force, &err) < 0 ||
	    q_api_need_releng(r, "publish every repo", &err) < 0 ||
	    q_store_repo_list_all(r->st, 0, &repos, &err) < 0)
		goto fail;
	json_array_foreach (repos, i, repo) {
		json_t *results = NULL, *v;
		size_t j;

		if (q_hub_publish_repo(r->hub, r->st, repo, force, &results, &err) < 0)
			goto fail;
		json_array_foreach (results, j, v) {
			json_object_set(v, "sig", json_object_get(repo, "sig"));
			json_object_set(v, "project", json_object_get(repo, "project"));
			json_object_set(v, "repo", json_object_get(repo, "name"));
		}
		json_array_extend(all, results);
		json_decref(results);
	}
	json_decref(repos);
	q_http_send_json(r, 200, json_pack("{s:o}", "results", all));
	return;
fail:
	json_decref(repos);
	json_decref(all);
	q_http_send_error(r, &err);
}

/* POST /sigs/S/projects/P/release-package: rebuild sig-S-release now (release_pkg.c). */
void q_api_release_package(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *proj = NULL, *res = NULL;

	if (check_sp(caps, 2, &err) < 0 ||
	    q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "rebuild this SIG's release package", &err) <
		0 ||
	    q_hub_release_pkg_build(r->hub, r->st, caps[0], caps[1], r->who.name, &res, &err) < 0) {
		json_decref(proj);
		q_http_send_error(r, &err);
		return;
	}
	json_decref(proj);
	q_http_send_json(r, 200, res);
}
