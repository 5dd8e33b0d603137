/*
 * buildtags.c: a project's build tags (GET/PUT /sigs/S/projects/P/buildroot;
 * validation in src/build/buildtag.c) and whether a repo's published
 * metadata holds a build (GET …/repos/R/has-build, behind `quarry
 * wait-repo`).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "api/api.h"
#include "build/buildtag.h"
#include "hub/hub.h"

#include <glib.h>

void q_api_buildroot_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *proj = NULL, *tags = NULL;

	if (q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0 ||
	    q_store_buildtags_get(r->st, json_integer_value(json_object_get(proj, "id")), &tags,
				  &err) < 0) {
		json_decref(proj);
		q_http_send_error(r, &err);
		return;
	}
	json_decref(proj);
	q_http_send_json(r, 200, json_pack("{s:o}", "tags", tags));
}

void q_api_buildroot_put(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *proj = NULL, *repos = NULL, *names = json_array(), *tags = NULL, *v;
	char major[24];
	size_t i;

	if (q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "set this SIG's build tags", &err) < 0 ||
	    q_store_project_get(r->st, caps[0], caps[1], &proj, &err) < 0 ||
	    q_store_repo_list(r->st, caps[0], caps[1], &repos, &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body)
		goto fail;
	json_array_foreach (repos, i, v)
		json_array_append(names, json_object_get(v, "name"));
	snprintf(major, sizeof(major), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(proj, "major")));
	tags = q_buildtag_validate(body, json_object_get(proj, "arches"), names, major, &err);
	if (!tags)
		goto fail;
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_buildtags_put(r->st, json_integer_value(json_object_get(proj, "id")),
				  json_object_get(tags, "tags"), &err) < 0 ||
	    q_api_audit(
		r, "project.buildroot", caps[0],
		json_pack("{s:s,s:O}", "project", caps[1], "tags", json_object_get(tags, "tags")),
		&err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	q_http_send_json(r, 200, tags);
	tags = NULL;
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(tags);
	json_decref(names);
	json_decref(repos);
	json_decref(proj);
	json_decref(body);
}

int q_api_repo_has_build(struct q_store *st, json_t *repo, int64_t build_id, const char *arch,
			 json_t **out, struct q_error *err)
{
	json_t *b = NULL, *pkgs = NULL, *arches = json_array(), *res = NULL, *a, *p;
	const char *state;
	int64_t repo_id = json_integer_value(json_object_get(repo, "id"));
	int ready = 1, final = 0, rc = -1;
	size_t i, j;
	GString *msg = g_string_new(NULL);

	*out = NULL;
	if (q_store_build_get(st, build_id, 0, &b, err) < 0)
		goto out;
	if (strcmp(json_string_value(json_object_get(b, "sig")),
		   json_string_value(json_object_get(repo, "sig"))) ||
	    strcmp(json_string_value(json_object_get(b, "project")),
		   json_string_value(json_object_get(repo, "project")))) {
		q_error_set(err, Q_EINVAL,
			    "build %" PRId64 " belongs to project '%s/%s', not to the repo's",
			    build_id, json_string_value(json_object_get(b, "sig")),
			    json_string_value(json_object_get(b, "project")));
		goto out;
	}
	/* the arches to check: the build's that the repo publishes (or the one asked) */
	json_array_foreach (json_object_get(b, "arches"), i, a) {
		int in_repo = 0;

		json_array_foreach (json_object_get(repo, "arches"), j, p)
			in_repo |= json_equal(a, p);
		if (in_repo && (!arch || !strcmp(arch, json_string_value(a))))
			json_array_append(arches, a);
	}
	state = json_string_value(json_object_get(b, "state"));
	res = json_pack("{s:I,s:s,s:s,s:[]}", "build", (json_int_t)build_id, "build_state", state,
			"repo", json_string_value(json_object_get(repo, "name")), "arches");
	if (strcmp(state, "complete")) {
		ready = 0;
		final = strcmp(state, "building") != 0;
		g_string_printf(msg, "build %" PRId64 " is %s", build_id, state);
	} else if (json_array_size(arches) == 0) {
		ready = 0;
		final = 1;
		g_string_printf(msg, "repo '%s' publishes %s of build %" PRId64 "'s arches",
				json_string_value(json_object_get(repo, "name")),
				arch ? "not this one" : "none", build_id);
	}
	if (ready && q_store_repo_build_packages(st, repo_id, build_id, &pkgs, err) < 0)
		goto out;
	json_array_foreach (ready ? arches : NULL, i, a) {
		const char *an = json_string_value(a);
		json_t *missing = json_array();
		char repomd[65] = "";
		size_t n = 0;
		int published;

		json_array_foreach (pkgs, j, p) {
			const char *pa = json_string_value(json_object_get(p, "arch"));

			if (strcmp(pa, an) && strcmp(pa, "noarch"))
				continue;
			n++;
			if (!json_integer_value(json_object_get(p, "in_repo")))
				json_array_append(missing, json_object_get(p, "name"));
		}
		if (q_store_publish_last_repomd(st, repo_id, an, repomd, err) < 0) {
			json_decref(missing);
			goto out;
		}
		/* dirty == 0: every change of the repo's packages has been
		 * published since (q_store_repo_clear_dirty). */
		published = repomd[0] && json_integer_value(json_object_get(repo, "dirty")) == 0;
		if (n == 0) {
			final = 1;
			g_string_append_printf(msg, "%sbuild %" PRId64 " has no RPM for %s",
					       msg->len ? "; " : "", build_id, an);
		} else if (json_array_size(missing)) {
			g_string_append_printf(msg, "%s%s: %zu of %zu RPMs not in the repo (%s%s)",
					       msg->len ? "; " : "", an, json_array_size(missing),
					       n, json_string_value(json_array_get(missing, 0)),
					       json_array_size(missing) > 1 ? ", …" : "");
		} else if (!published) {
			g_string_append_printf(msg, "%s%s: tagged, not yet published",
					       msg->len ? "; " : "", an);
		}
		ready &= n > 0 && json_array_size(missing) == 0 && published;
		json_array_append_new(json_object_get(res, "arches"),
				      json_pack("{s:s,s:I,s:o,s:b,s:s}", "arch", an, "packages",
						(json_int_t)n, "missing", missing, "published",
						published, "repomd_sha256", repomd));
	}
	json_object_set_new(res, "ready", json_boolean(ready));
	json_object_set_new(res, "final", json_boolean(!ready && final));
	json_object_set_new(res, "message", json_string(ready ? "" : msg->str));
	*out = res;
	res = NULL;
	rc = 0;
out:
	g_string_free(msg, TRUE);
	json_decref(res);
	json_decref(pkgs);
	json_decref(arches);
	json_decref(b);
	return rc;
}

void q_api_repo_has_build_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *repo = NULL, *ans = NULL;
	char bv[32], av[32];
	char *end;
	int64_t build;
	int found, has_arch;

	if (q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0)
		goto fail;
	found = q_query_get(r->query, r->query_len, "build", bv, sizeof(bv), &err);
	if (found < 0)
		goto fail;
	errno = 0;
	build = found ? strtoll(bv, &end, 10) : 0;
	if (!found || errno || *end || build <= 0) {
		q_error_set(&err, Q_EINVAL, "query parameter 'build' must be a build id");
		goto fail;
	}
	has_arch = q_query_get(r->query, r->query_len, "arch", av, sizeof(av), &err);
	if (has_arch < 0)
		goto fail;
	if (has_arch && !q_arch_valid(av)) {
		q_error_set(&err, Q_EINVAL, "arch '%s' is unknown", av);
		goto fail;
	}
	if (q_api_repo_has_build(r->st, repo, build, has_arch ? av : NULL, &ans, &err) < 0)
		goto fail;
	json_decref(repo);
	q_http_send_json(r, 200, ans);
	return;
fail:
	json_decref(repo);
	q_http_send_error(r, &err);
}
