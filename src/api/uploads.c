/*
 * uploads.c: staging uploads, then adding a batch of them to a repo.
 *
 * Step 1 (POST /uploads) only stages bytes under DATA/staging; nothing is
 * part of any repo. Step 2, and tagging a build, go straight into candidate
 * repos only: testing and release repos change through updates
 * (direct_gate). Step 2 (POST …/packages) inspects every file of the
 * batch with librpm before anything is stored: one bad file refuses the
 * batch, and the batch's staged files are dropped. Accepted files are
 * linked into the content-addressed store first, then one syncfs makes them
 * (and their directories) durable, then one transaction adds them to the
 * repo and marks it dirty, then the repo is published. A crash between
 * those steps leaves at worst an unreferenced file in the store, or a dirty
 * repo that the next start publishes.
 *
 * Staging does not fsync: a staged file is not part of anything yet, and
 * one flush per file would cost more than the rest of an upload. A staged
 * file damaged by a crash is caught when its batch is added: its SHA-256,
 * computed again by the inspection, must be the one recorded at staging.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/names.h"
#include "api/api.h"
#include "hub/hub.h"
#include "publish/rpm.h"

#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#define MAX_BATCH 10000

static int check_filename(const char *s, struct q_error *err)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return q_error_set(err, Q_EINVAL, "file name must be 1 to 255 bytes long");
	if (s[0] == '.')
		return q_error_set(err, Q_EINVAL, "file name '%.64s' must not start with '.'", s);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._+~^-", c)))
			return q_error_set(err, Q_EINVAL,
					   "file name '%.64s' contains '%c'; only letters, digits "
					   "and . _ + ~ ^ - are allowed",
					   s, c);
	}
	if (n < 5 || strcmp(s + n - 4, ".rpm"))
		return q_error_set(err, Q_EINVAL, "file name '%.64s' does not end with '.rpm'", s);
	return 0;
}

void q_api_upload(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	char filename[300], what[320], sha[Q_SHA256_HEX], hex[33], id[40], path[1300];
	int64_t size = 0;
	int found, declared;

	(void)caps;
	found = q_query_get(r->query, r->query_len, "filename", filename, sizeof(filename), &err);
	if (found < 0)
		goto fail;
	if (!found) {
		q_error_set(&err, Q_EINVAL, "query parameter 'filename' is required");
		goto fail;
	}
	if (check_filename(filename, &err) < 0)
		goto fail;
	if (q_random_hex(hex, 16) < 0) {
		q_error_set(&err, Q_EINTERNAL, "cannot get random bytes");
		goto fail;
	}
	snprintf(id, sizeof(id), "u%s", hex);
	snprintf(path, sizeof(path), "%s/%s", r->hub->staging_dir, id);
	snprintf(what, sizeof(what), "upload '%s'", filename);
	/* The body, or the file of an upload session (?session=). */
	if (q_api_body_to_file(r, what, r->hub->cfg.max_upload, path, &size, sha, &declared, &err) <
	    0)
		goto fail;
	if (size == 0) {
		unlink(path);
		q_error_set(&err, Q_EINVAL, "upload '%s' is empty", filename);
		goto fail;
	}
	if (q_store_upload_put(r->st, id, r->who.user_id, filename, path, size, sha, &err) < 0) {
		unlink(path);
		goto fail;
	}
	q_http_send_json(r, 201,
			 json_pack("{s:s,s:s,s:I,s:s}", "id", id, "filename", filename, "size",
				   (json_int_t)size, "sha256", sha));
	return;
fail:
	q_http_send_error(r, &err);
}

/* Drop the staged files and rows of a batch. Only staged uploads (with an
 * "id"): the files of a tagged build are the content store's own. */
static void drop_staged(struct q_request *r, json_t *staged)
{
	size_t i;
	json_t *u;

	json_array_foreach (staged, i, u) {
		if (!json_object_get(u, "id"))
			continue;
		unlink(json_string_value(json_object_get(u, "path")));
		q_store_upload_delete(r->st, json_string_value(json_object_get(u, "id")), NULL);
	}
}

static int check_package(const struct q_rpm_info *info, const char *filename, json_t *repo,
			 struct q_error *err)
{
	const char *dist = json_string_value(json_object_get(repo, "dist_tag"));
	size_t rl = strlen(info->release), dl = strlen(dist);
	json_t *arches = json_object_get(repo, "arches"), *a;
	int ok = !strcmp(info->arch, "noarch");
	size_t i;

	if (info->is_source)
		return q_error_set(
		    err, Q_EINVAL,
		    "'%s' is a source RPM; repos hold binary RPMs (build it with quarry build)",
		    filename);
	if (rl < dl || strcmp(info->release + rl - dl, dist))
		return q_error_set(
		    err, Q_EINVAL,
		    "'%s' has release '%s', which does not end with the project's dist tag '%s'",
		    filename, info->release, dist);
	json_array_foreach (arches, i, a)
		ok |= !strcmp(info->arch, json_string_value(a));
	if (!ok) {
		char *list = json_dumps(arches, JSON_COMPACT);
		q_error_set(err, Q_EINVAL,
			    "'%s' is built for '%s', which is not one of the repo's arches %s",
			    filename, info->arch, list ? list : "");
		free(list);
		return -1;
	}
	return 0;
}

/* Threads that inspect the files of a batch at once (librpm's header read,
 * the SHA-256 and the XML chunks are most of an upload's CPU time). */
#define INSPECT_THREADS 4

struct inspect_job {
	json_t *staged;           /* the batch: [{"path","filename"}] */
	struct q_rpm_info *infos; /* out: one per file */
	size_t n;                 /* files */
	atomic_size_t next;       /* the next file to take */
	pthread_mutex_t lock;     /* guards bad and err */
	size_t bad;               /* the first file that failed (n: none) */
	struct q_error err;       /* its error */
};

static void *inspect_thread(void *arg)
{
	struct inspect_job *j = arg;
	size_t i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->n) {
		json_t *v = json_array_get(j->staged, i);
		struct q_error err = {0};

		if (q_rpm_inspect(json_string_value(json_object_get(v, "path")),
				  json_string_value(json_object_get(v, "filename")), &j->infos[i],
				  &err) < 0) {
			pthread_mutex_lock(&j->lock);
			if (i < j->bad) {
				j->bad = i;
				j->err = err;
			}
			pthread_mutex_unlock(&j->lock);
		}
	}
	return NULL;
}

/* Inspect every file of staged into infos, several at once. On failure,
 * returns -1 with the error of the first failing file (in batch order). */
static int inspect_all(json_t *staged, struct q_rpm_info *infos, size_t n, struct q_error *err)
{
	struct inspect_job j = {.staged = staged, .infos = infos, .n = n, .bad = n};
	pthread_t th[INSPECT_THREADS];
	size_t started = 0;

	atomic_init(&j.next, 0);
	pthread_mutex_init(&j.lock, NULL);
	for (size_t t = 1; t < INSPECT_THREADS && t < n; t++)
		if (pthread_create(&th[started], NULL, inspect_thread, &j) == 0)
			started++;
	inspect_thread(&j); /* this thread too; alone when no thread could start */
	for (size_t t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&j.lock);
	if (j.bad < n) {
		*err = j.err;
		return -1;
	}
	return 0;
}

/*
 * Direct changes (tag, upload) of repo. Candidate repos take them from any
 * SIG member (the caller's membership is checked before). Testing and
 * release repos change through updates only, which pass the project's
 * policy; release engineers and admins may override with a reason (the
 * body's "override"), which the audit log keeps: *audit is then the detail
 * of that audit row (the caller's to write; NULL otherwise). RPMs that
 * Quarry did not build (upload) enter testing or release only when the
 * project's policy allows uploads there, override or not.
 */
static int direct_gate(struct q_request *r, const char **caps, json_t *repo, json_t *body,
		       const char *action, json_t **audit, struct q_error *err)
{
	const char *channel = json_string_value(json_object_get(repo, "channel"));
	const char *reason = NULL, *rel;
	char relname[80];
	json_t *proj = NULL, *pol = NULL;
	int upload = !strcmp(action, "upload"), allowed;
	size_t n;

	*audit = NULL;
	if (!channel || !strcmp(channel, "candidate"))
		return 0;
	if (q_api_str(body, "override", 0, 1000, &reason, err) < 0)
		return -1;
	/* The release repo an update of this repo names: R for R-testing. */
	rel = json_string_value(json_object_get(repo, "name"));
	n = strlen(rel);
	if (!strcmp(channel, "testing") && n > 8 && !strcmp(rel + n - 8, "-testing"))
		snprintf(relname, sizeof(relname), "%.*s", (int)(n - 8), rel);
	else
		snprintf(relname, sizeof(relname), "%s",
			 !strcmp(channel, "testing") ? "REPO" : rel);
	if (strcmp(r->who.role, "admin") && strcmp(r->who.role, "releng"))
		return q_error_set(
		    err, Q_EPERM,
		    "repo '%s/%s/%s' is a %s repo: it changes only through updates, which pass "
		    "the project's policy (quarry update create %s/%s %s BUILD, then quarry "
		    "promote UPDATE --to testing|release); %s go to candidate repos (quarry repo "
		    "create %s/%s/NAME --channel candidate)",
		    caps[0], caps[1], caps[2], channel, caps[0], caps[1], relname,
		    upload ? "uploads" : "tags", caps[0], caps[1]);
	while (reason && (*reason == ' ' || *reason == '\t'))
		reason++;
	if (!reason || !*reason)
		return q_error_set(
		    err, Q_EPERM,
		    "repo '%s/%s/%s' is a %s repo: it changes only through updates (quarry update "
		    "create %s/%s %s BUILD); release engineers and admins may override with a "
		    "reason (--override \"REASON\"), which the audit log keeps",
		    caps[0], caps[1], caps[2], channel, caps[0], caps[1], relname);
	if (upload) {
		if (q_store_project_get(r->st, caps[0], caps[1], &proj, err) < 0 ||
		    q_store_policy_get(r->st, json_integer_value(json_object_get(proj, "id")), &pol,
				       err) < 0) {
			json_decref(proj);
			return -1;
		}
		allowed = json_integer_value(json_object_get(pol, !strcmp(channel, "testing")
								      ? "uploads_testing"
								      : "uploads_release")) != 0;
		json_decref(proj);
		json_decref(pol);
		if (!allowed)
			return q_error_set(
			    err, Q_ECONFLICT,
			    "policy of %s/%s, rule 'uploads': RPMs that Quarry did not build "
			    "(uploads) may not enter %s repos, override or not; a SIG lead may "
			    "allow "
			    "it (quarry policy set %s/%s --uploads-%s true)",
			    caps[0], caps[1], channel, caps[0], caps[1], channel);
	}
	*audit = json_pack("{s:s,s:s,s:s}", "action", action, "channel", channel, "reason", reason);
	return 0;
}

/*
 * Inspect, check, store and record a batch, then publish the repo and
 * answer the request. staged: [{"path","filename"[,"id"]}]; entries with an
 * "id" are staged uploads: dropped when the batch is refused, deleted with
 * the commit. Used by uploads and by tagging a build into a repo.
 * override: the detail of a "repo.override" audit row written with the
 * batch (direct_gate), or NULL; taken.
 */
static void add_batch(struct q_request *r, const char **caps, json_t *repo_in, json_t *staged,
		      json_t *override)
{
	struct q_error err = {0};
	json_t *v, *accepted = json_array(), *results = NULL, *repo = json_incref(repo_in);
	struct q_rpm_info *infos = NULL;
	GHashTable *names = NULL;
	size_t i, n = 0;
	int64_t repo_id = json_integer_value(json_object_get(repo, "id"));
	char target[300];

	snprintf(target, sizeof(target), "%s/%s/%s", caps[0], caps[1], caps[2]);
	n = json_array_size(staged);
	infos = calloc(n, sizeof(*infos));
	if (!infos) {
		q_error_set(&err, Q_EINTERNAL, "out of memory");
		goto refuse;
	}
	if (inspect_all(staged, infos, n, &err) < 0)
		goto refuse;
	/* File name -> SHA-256 of the batch's files so far (pointers into infos). */
	names = g_hash_table_new(g_str_hash, g_str_equal);
	json_array_foreach (staged, i, v) {
		const char *fn = json_string_value(json_object_get(v, "filename"));
		const char *staged_sha = json_string_value(json_object_get(v, "sha256"));

		if (check_package(&infos[i], fn, repo, &err) < 0)
			goto refuse;
		if (json_object_get(v, "id") &&
		    (!staged_sha || strcmp(staged_sha, infos[i].sha256))) {
			q_error_set(&err, Q_EINVAL,
				    "upload '%s' changed after it was staged (SHA-256 %.12s…, "
				    "staged as %.12s…); upload it again",
				    fn, infos[i].sha256, staged_sha ? staged_sha : "?");
			goto refuse;
		}
		{
			const char *seen = g_hash_table_lookup(names, infos[i].filename);

			if (seen && strcmp(seen, infos[i].sha256)) {
				q_error_set(&err, Q_EINVAL,
					    "'%s' and another file of the batch are both %s "
					    "with different contents",
					    fn, infos[i].nevra);
				goto refuse;
			}
			g_hash_table_insert(names, infos[i].filename, infos[i].sha256);
		}
	}
	g_hash_table_destroy(names); /* its pointers into infos may not outlive them */
	names = NULL;
	/* Release repos hold signed packages only: each file goes in as the copy
	 * the signer makes with the repo's key (found again for the same file). */
	if (!strcmp(json_string_value(json_object_get(repo, "channel")), "release")) {
		const char *fpr = json_string_value(json_object_get(repo, "key_fingerprint"));

		if (!fpr || !*fpr) {
			q_error_set(&err, Q_ECONFLICT, "repo '%s' has no signing key", target);
			goto refuse;
		}
		for (i = 0; i < n; i++) {
			json_t *sv = json_array_get(staged, i);
			const char *fn = json_string_value(json_object_get(sv, "filename"));
			int64_t pid = 0, sid = 0;
			char ssha[65], spath[1300];

			if (q_hub_store_file(r->hub, json_string_value(json_object_get(sv, "path")),
					     infos[i].sha256, 1, &err) < 0)
				goto refuse;
			if (q_store_begin(r->st, &err) < 0)
				goto refuse;
			if (q_store_package_put(r->st, &infos[i], &pid, &err) < 0 ||
			    q_store_commit(r->st, &err) < 0) {
				q_store_rollback(r->st);
				goto refuse;
			}
			if (q_hub_signed_copy(r->hub, r->st, pid, infos[i].sha256,
					      infos[i].filename, fpr, &sid, &err) < 0 ||
			    q_store_package_sha256(r->st, sid, ssha, &err) < 0)
				goto refuse;
			q_hub_store_path(r->hub, ssha, spath, sizeof(spath));
			q_rpm_info_release(&infos[i]);
			memset(&infos[i], 0, sizeof(infos[i]));
			/* From here on the batch is the signed copies (already stored: the
			 * store step below finds them there). */
			if (q_rpm_inspect(spath, fn, &infos[i], &err) < 0)
				goto refuse;
		}
	}
	/* A repo holds one file per NEVRA: the same name with other bytes is refused. */
	{
		json_t *have = NULL, *p;
		size_t k;

		if (q_store_repo_packages(r->st, repo_id, &have, &err) < 0)
			goto refuse;
		for (i = 0; i < n; i++)
			json_array_foreach (have, k, p) {
				if (!strcmp(json_string_value(json_object_get(p, "filename")),
					    infos[i].filename) &&
				    strcmp(json_string_value(json_object_get(p, "sha256")),
					   infos[i].sha256)) {
					q_error_set(
					    &err, Q_ECONFLICT,
					    "'%s': repo '%s' already has %s with different "
					    "contents "
					    "(sha256 %.12s…); bump the release to publish a new "
					    "build",
					    json_string_value(json_object_get(
						json_array_get(staged, i), "filename")),
					    target, infos[i].nevra,
					    json_string_value(json_object_get(p, "sha256")));
					json_decref(have);
					goto refuse;
				}
			}
		json_decref(have);
	}
	/* Everything checked: store the files, make them durable at once (one
	 * syncfs, not one fsync per file and directory), then record them in one
	 * transaction. */
	for (i = 0; i < n; i++) {
		const char *src =
		    json_string_value(json_object_get(json_array_get(staged, i), "path"));

		if (q_hub_store_file_unsynced(r->hub, src, infos[i].sha256, &err) < 0)
			goto fail;
	}
	if (q_fs_syncfs(r->hub->store_dir, &err) < 0)
		goto fail;
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (override && q_api_audit(r, "repo.override", target, json_incref(override), &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		int64_t pid;
		const char *uid =
		    json_string_value(json_object_get(json_array_get(staged, i), "id"));

		if (q_store_package_put(r->st, &infos[i], &pid, &err) < 0 ||
		    q_store_repo_add_package(r->st, repo_id, pid, &err) < 0 ||
		    (uid && q_store_upload_delete(r->st, uid, &err) < 0) ||
		    q_api_audit(
			r, "package.add", target,
			json_pack("{s:s,s:s}", "nevra", infos[i].nevra, "sha256", infos[i].sha256),
			&err) < 0) {
			q_store_rollback(r->st);
			goto fail;
		}
		json_array_append_new(accepted, json_pack("{s:s,s:s,s:I}", "nevra", infos[i].nevra,
							  "sha256", infos[i].sha256, "size",
							  (json_int_t)infos[i].size));
	}
	if (q_store_repo_mark_dirty(r->st, repo_id, &err) < 0 || q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	json_array_foreach (staged, i, v)
		if (json_object_get(v, "id"))
			unlink(json_string_value(json_object_get(v, "path")));
	atomic_fetch_add(&r->hub->metrics.uploads, n);
	/* Publish now, with the repo as it is after our commit (its new dirty generation). */
	json_decref(repo);
	repo = NULL;
	if (q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0 ||
	    q_hub_publish_repo(r->hub, r->st, repo, 0, &results, &err) < 0) {
		q_error_prefix(&err,
			       "the packages were stored, but publishing failed (it is retried "
			       "at the next publish or hub start)");
		goto fail;
	}
	q_http_send_json(r, 200,
			 json_pack("{s:o,s:o}", "packages", accepted, "published", results));
	accepted = NULL;
	goto out;
refuse:
	atomic_fetch_add(&r->hub->metrics.uploads_refused, 1);
	drop_staged(r, staged);
fail:
	q_http_send_error(r, &err);
out:
	if (names)
		g_hash_table_destroy(names);
	for (i = 0; infos && i < n; i++)
		q_rpm_info_release(&infos[i]);
	free(infos);
	json_decref(override);
	json_decref(accepted);
	json_decref(repo);
}

void q_api_packages_add(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *repo = NULL, *ids, *v, *staged = json_array(), *override = NULL;
	size_t i;

	if (q_name_check(Q_NAME_SIG, "sig name", caps[0], &err) < 0 ||
	    q_name_check(Q_NAME_PROJECT, "project name", caps[1], &err) < 0 ||
	    q_name_check(Q_NAME_REPO, "repo name", caps[2], &err) < 0 ||
	    q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_MEMBER, "upload to this SIG's repos", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || direct_gate(r, caps, repo, body, "upload", &override, &err) < 0)
		goto fail;
	ids = json_object_get(body, "uploads");
	if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > MAX_BATCH) {
		q_error_set(&err, Q_EINVAL, "field 'uploads' must be a list of 1 to %d upload ids",
			    MAX_BATCH);
		goto fail;
	}
	json_array_foreach (ids, i, v) {
		json_t *u = NULL;
		const char *id = json_string_value(v);

		if (!id || strlen(id) != 33 || id[0] != 'u' || !q_is_hex(id + 1, 32)) {
			q_error_set(
			    &err, Q_EINVAL,
			    "upload id %zu ('%.40s') is malformed: expected 'u' and 32 hex digits",
			    i + 1, id ? id : "(not a string)");
			goto refuse;
		}
		if (q_store_upload_get(r->st, id, &u, &err) < 0)
			goto refuse;
		json_array_append_new(staged, u);
		if (json_integer_value(json_object_get(u, "user_id")) != r->who.user_id) {
			q_error_set(&err, Q_EPERM, "upload '%s' belongs to another user", id);
			goto refuse;
		}
	}
	add_batch(r, caps, repo, staged, override);
	override = NULL;
	goto out;
refuse:
	atomic_fetch_add(&r->hub->metrics.uploads_refused, 1);
	drop_staged(r, staged);
fail:
	q_http_send_error(r, &err);
out:
	json_decref(override);
	json_decref(staged);
	json_decref(body);
	json_decref(repo);
}

void q_api_repo_add_build(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *repo = NULL, *build = NULL, *arts = NULL, *staged = json_array(), *a,
	       *id, *override = NULL;
	size_t i;

	if (q_name_check(Q_NAME_SIG, "sig name", caps[0], &err) < 0 ||
	    q_name_check(Q_NAME_PROJECT, "project name", caps[1], &err) < 0 ||
	    q_name_check(Q_NAME_REPO, "repo name", caps[2], &err) < 0 ||
	    q_store_repo_get(r->st, caps[0], caps[1], caps[2], &repo, &err) < 0 ||
	    q_api_need_sig(r, caps[0], Q_LEVEL_MEMBER, "tag builds into this SIG's repos", &err) <
		0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || direct_gate(r, caps, repo, body, "tag", &override, &err) < 0)
		goto fail;
	id = json_object_get(body, "build");
	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		q_error_set(&err, Q_EINVAL, "field 'build' must be a build id");
		goto fail;
	}
	if (q_store_build_get(r->st, json_integer_value(id), 0, &build, &err) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(build, "sig")), caps[0]) ||
	    strcmp(json_string_value(json_object_get(build, "project")), caps[1])) {
		q_error_set(
		    &err, Q_EINVAL,
		    "build %" JSON_INTEGER_FORMAT " belongs to project '%s/%s', not '%s/%s'",
		    json_integer_value(id), json_string_value(json_object_get(build, "sig")),
		    json_string_value(json_object_get(build, "project")), caps[0], caps[1]);
		goto fail;
	}
	if (json_is_true(json_object_get(build, "scratch"))) {
		q_error_set(&err, Q_ECONFLICT,
			    "build %" JSON_INTEGER_FORMAT
			    " is a scratch build: scratch builds can never be tagged; build %s "
			    "again without --scratch",
			    json_integer_value(id),
			    json_string_value(json_object_get(build, "nevr")));
		goto fail;
	}
	if (strcmp(json_string_value(json_object_get(build, "state")), "complete")) {
		q_error_set(
		    &err, Q_ECONFLICT,
		    "build %" JSON_INTEGER_FORMAT " is '%s'; only complete builds can be tagged",
		    json_integer_value(id), json_string_value(json_object_get(build, "state")));
		goto fail;
	}
	if (q_store_build_artifacts(r->st, json_integer_value(id), &arts, &err) < 0)
		goto fail;
	json_array_foreach (arts, i, a) {
		const char *arch = json_string_value(json_object_get(a, "arch"));
		json_t *ra = json_object_get(repo, "arches"), *x;
		size_t j;
		int ok = !strcmp(arch, "noarch");
		char path[1300];

		if (strcmp(json_string_value(json_object_get(a, "kind")), "rpm"))
			continue;
		json_array_foreach (ra, j, x)
			ok |= !strcmp(arch, json_string_value(x));
		if (!ok)
			continue;
		q_hub_store_path(r->hub, json_string_value(json_object_get(a, "sha256")), path,
				 sizeof(path));
		json_array_append_new(staged, json_pack("{s:s,s:O}", "path", path, "filename",
							json_object_get(a, "name")));
	}
	if (json_array_size(staged) == 0) {
		q_error_set(&err, Q_EINVAL,
			    "build %" JSON_INTEGER_FORMAT
			    " has no RPM for the arches of repo '%s/%s/%s'",
			    json_integer_value(id), caps[0], caps[1], caps[2]);
		goto fail;
	}
	if (override)
		json_object_set(override, "build", id);
	add_batch(r, caps, repo, staged, override);
	override = NULL;
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(override);
	json_decref(arts);
	json_decref(build);
	json_decref(staged);
	json_decref(body);
	json_decref(repo);
}
