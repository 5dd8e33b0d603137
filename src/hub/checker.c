/*
 * checker.c: the hub's checker thread (docs/ARCHITECTURE.md, "Checks,
 * updates and release"). It has its own database connection and runs the
 * queued checks (table checks) one at a time, oldest first; it sleeps on a
 * condition variable that q_checker_wake signals (a build completed, a
 * check was requested) and looks at the queue every CHECKER_POLL seconds
 * in any case.
 *
 * One check of one build:
 *  - DATA/tmp/check-XXXXXX is its work directory: rpms/NAME and
 *    others/BUILD/NAME are symbolic links to the content store
 *    (DATA/packages), so the sandbox reads them without being able to
 *    change them; the checks write only under the work directory.
 *  - The repos are the project's repos as published (DATA/pub/sig/MAJOR/
 *    SIG/ARCH/REPO, with repodata and Packages), every channel; a repo not
 *    yet published for an arch is left out, with a note in the output.
 *  - disttag and rpmlint look at every RPM of the build (source RPM
 *    included) once; closure, installable and conflicts run once per arch
 *    of the build with its RPMs of that arch and noarch, and their results
 *    are merged (a failure on any arch fails the check).
 *  - The sandbox hides the data directory (keys, database, staging…) and
 *    shows /pub and the content store again, read-only; the work
 *    directory is the only writable place.
 * The result is written only if the row is still running with the same
 * run number (q_store_check_finish), so a check requeued meanwhile runs
 * again. A hub that stops kills the running step and leaves the row
 * running; the next start puts it back in the queue.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "build/buildtag.h"
#include "check/check.h"
#include "hub/bgthread.h"
#include "http/wait.h"
#include "hub/hub.h"

#include <glib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>

#define CHECKER_POLL 30 /* seconds between looks at the queue without a wake */

struct q_checker {
	struct q_bgthread t; /* t.cancel, set at stop, kills the running step */
};

/* Everything one check run owns. */
struct job {
	char workdir[1200];
	GPtrArray *strings; /* g_free'd at the end */
	json_t *build, *arts, *repos, *inputs;
	json_t *tags; /* the project's build tags ([] when none) */
};

static const char *keep(struct job *j, char *s)
{
	g_ptr_array_add(j->strings, s);
	return s;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static bool in_array(const json_t *a, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach (a, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

/* A symbolic link dir/name → the store's file of sha256. */
static const char *link_rpm(struct q_hub *hub, struct job *j, const char *dir, const char *name,
			    const char *sha256, struct q_error *err)
{
	char target[1300];
	char *path;

	if (strchr(name, '/') || name[0] == '.' || strlen(sha256) != 64) {
		q_error_set(err, Q_EINVAL, "artifact name '%.100s' is not a file name", name);
		return NULL;
	}
	if (q_fs_mkdirs(dir, 0755, err) < 0)
		return NULL;
	q_hub_store_path(hub, sha256, target, sizeof(target));
	path = g_strdup_printf("%s/%s", dir, name);
	if (symlink(target, path) < 0 && errno != EEXIST) {
		q_error_set(err, Q_EIO, "cannot link '%s': %s", path, strerror(errno));
		g_free(path);
		return NULL;
	}
	return keep(j, path);
}

/* The build's RPMs: all (arch NULL: source RPM included) or those for arch (and noarch). */
static int build_rpms(struct q_hub *hub, struct job *j, const char *arch, GArray *out,
		      struct q_error *err)
{
	char *dir = g_strdup_printf("%s/rpms", j->workdir);
	json_t *a;
	size_t i;
	int rc = 0;

	json_array_foreach (j->arts, i, a) {
		const char *aa = jstr(a, "arch");
		struct q_check_rpm r;

		if (arch && (!strcmp(aa, "src") || (strcmp(aa, arch) && strcmp(aa, "noarch"))))
			continue;
		r.name = jstr(a, "name");
		r.path = link_rpm(hub, j, dir, r.name, jstr(a, "sha256"), err);
		if (!r.path) {
			rc = -1;
			break;
		}
		g_array_append_val(out, r);
	}
	g_free(dir);
	return rc;
}

static int other_rpms(struct q_hub *hub, struct job *j, const char *arch, GArray *out,
		      struct q_error *err)
{
	json_t *a;
	size_t i;

	json_array_foreach (json_object_get(j->inputs, "others"), i, a) {
		const char *aa = jstr(a, "arch");
		char *dir;
		struct q_check_rpm r;

		if (strcmp(aa, arch) && strcmp(aa, "noarch"))
			continue;
		dir = g_strdup_printf("%s/others/%" JSON_INTEGER_FORMAT, j->workdir,
				      json_integer_value(json_object_get(a, "build")));
		r.name = jstr(a, "name");
		r.path = link_rpm(hub, j, dir, r.name, jstr(a, "sha256"), err);
		g_free(dir);
		if (!r.path)
			return -1;
		g_array_append_val(out, r);
	}
	return 0;
}

/* A repo's location with $releasever and $basearch replaced (g_free). */
static char *expand(const char *tmpl, const char *releasever, const char *arch)
{
	GString *g = g_string_new(tmpl);

	g_string_replace(g, "$releasever", releasever, 0);
	g_string_replace(g, "$basearch", arch, 0);
	return g_string_free(g, FALSE);
}

/*
 * One repo underneath the project's (check.base_repos or the build tag):
 * loc is a local directory, a file:// URL or an http(s) URL, whose copy
 * comes from the cache (fetched first when its repomd.xml changed). A local
 * repo without repodata is left out with a note; a remote one that cannot
 * be fetched makes the check an error naming the URL. Returns 0, or -1
 * with res set.
 */
static int add_external(struct q_hub *hub, struct job *j, const char *name, const char *loc,
			GArray *out, GString *notes, struct q_check_result *res)
{
	struct q_check_repo repo = {0};
	struct q_error err = {0};
	char *dir, *md;

	if (q_check_remote_url(loc)) {
		char cache[1200], path[1400];
		int hit = 0;

		snprintf(cache, sizeof(cache), "%s/cache/check-repos", hub->cfg.data_dir);
		if (q_check_remote_repo(loc, cache, path, sizeof(path), &hit, &err) < 0) {
			if (strcmp(name, loc))
				q_check_set(res, Q_CHECK_ERROR,
					    "repo %s (%s) could not be fetched: %s", name, loc,
					    err.msg);
			else
				q_check_set(res, Q_CHECK_ERROR, "repo %s could not be fetched: %s",
					    loc, err.msg);
			return -1;
		}
		g_string_append_printf(notes, "note: repo %s: %s metadata %s\n", name,
				       hit ? "cached" : "fetched", strrchr(path, '/') + 1);
		repo.name = keep(j, g_strdup(name));
		repo.dir = keep(j, g_strdup(path));
		repo.url = keep(j, g_strdup(loc));
		g_array_append_val(out, repo);
		return 0;
	}
	dir = g_strdup(g_str_has_prefix(loc, "file://") ? loc + 7 : loc);
	while (strlen(dir) > 1 && g_str_has_suffix(dir, "/"))
		dir[strlen(dir) - 1] = '\0';
	md = g_strdup_printf("%s/repodata/repomd.xml", dir);
	if (dir[0] != '/' || !q_fs_exists(md)) {
		g_string_append_printf(notes, "note: repo %s has no repodata; left out\n", loc);
		g_free(dir);
		g_free(md);
		return 0;
	}
	g_free(md);
	repo.name = keep(j, g_strdup(name));
	repo.dir = keep(j, dir);
	g_array_append_val(out, repo);
	return 0;
}

/*
 * The repos the checks of arch read: the project's repos published for
 * arch, then the distribution underneath: check.base_repos when set, else
 * the external repos of the project's build tag for arch. Notes (a repo
 * left out, a cached copy) go to notes. Returns 0, or -1 with res set (a
 * remote repo could not be fetched).
 */
static int repos_for(struct q_hub *hub, struct job *j, const char *arch, GArray *out,
		     GString *notes, struct q_check_result *res)
{
	json_t *r;
	size_t i;
	char major[32];

	json_array_foreach (j->repos, i, r) {
		struct q_check_repo repo = {0};
		char *dir, *md;

		if (!in_array(json_object_get(r, "arches"), arch))
			continue;
		dir = g_strdup_printf("%s/sig/%" JSON_INTEGER_FORMAT "/%s/%s/%s", hub->pub_dir,
				      json_integer_value(json_object_get(r, "major")),
				      jstr(r, "sig"), arch, jstr(r, "name"));
		md = g_strdup_printf("%s/repodata/repomd.xml", dir);
		if (!q_fs_exists(md)) {
			g_string_append_printf(notes,
					       "note: repo %s is not published for %s; left out\n",
					       jstr(r, "name"), arch);
			g_free(dir);
			g_free(md);
			continue;
		}
		g_free(md);
		repo.name = jstr(r, "name");
		repo.dir = keep(j, dir);
		g_array_append_val(out, repo);
	}
	snprintf(major, sizeof(major), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(j->build, "major")));
	/* The distribution underneath (check.base_repos), for this major and arch. */
	if (hub->cfg.check_base_repos[0]) {
		char **items = g_strsplit(hub->cfg.check_base_repos, ",", -1);
		int rc = 0;

		for (char **it = items; *it && rc == 0; it++) {
			char *loc = g_strstrip(g_strdup(*it));
			char *x = expand(loc, major, arch);

			if (*x)
				rc = add_external(hub, j, x, x, out, notes, res);
			g_free(x);
			g_free(loc);
		}
		g_strfreev(items);
		return rc;
	}
	/* Else the build tag's external repos (the distribution the build was made on). */
	{
		json_t *tag = q_buildtag_pick(j->tags, arch), *e;
		const char *rv = json_string_value(json_object_get(tag, "releasever"));

		json_array_foreach (json_object_get(tag, "repos"), i, e) {
			const char *url = json_string_value(json_object_get(e, "url"));
			char *x;
			int rc;

			if (!url)
				continue; /* the project's own repo: above */
			x = expand(url, rv && *rv ? rv : major, arch);
			rc = add_external(hub, j, jstr(e, "name"), x, out, notes, res);
			g_free(x);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

/* "repo used: NAME LOCATION" lines (parsed back by the API, api/checks.c). */
static void say_repos(struct q_hub *hub, struct job *j, const char *arch, const GArray *repos,
		      struct q_check_result *res)
{
	for (guint k = 0; k < repos->len; k++) {
		const struct q_check_repo *r = &g_array_index(repos, struct q_check_repo, k);

		if (r->url && *r->url)
			q_check_out(res, "repo used: %s %s\n", r->name, r->url);
		else if (g_str_has_prefix(r->dir, hub->pub_dir))
			q_check_out(res,
				    "repo used: %s %s/pub/sig/%" JSON_INTEGER_FORMAT "/%s/%s/%s/\n",
				    r->name, hub->cfg.public_url,
				    json_integer_value(json_object_get(j->build, "major")),
				    jstr(j->build, "sig"), arch, r->name);
		else
			q_check_out(res, "repo used: %s file://%s/\n", r->name, r->dir);
	}
}

/*
 * The package's own rpmlintrc, as Fedora's dist-git has it: NAME.rpmlintrc
 * at the top of its git tree (or SPECS/NAME.rpmlintrc), read from the
 * build's source bundle (DATA/blobs) and cleaned (q_rpmlintrc_clean; notes name the
 * lines dropped). *name NULL: none (or a build uploaded as an SRPM).
 * Returns 0, or -1 with res set: a file over the size limit fails the check
 * (the package's fault), an unreadable bundle is an error.
 */
static int package_rpmlintrc(struct q_hub *hub, struct job *j, const char **name, const char **text,
			     GString *notes, struct q_check_result *res)
{
	const char *pkg = jstr(j->build, "name"), *sha = jstr(j->build, "bundle_sha256");
	char path[1300];
	char *names[3] = {NULL}, *data = NULL;
	size_t len = 0, which = 0;
	struct q_error err = {0};
	GString *clean;
	int rc = -1, found;

	*name = NULL;
	*text = NULL;
	if (!*pkg || strlen(sha) != 64)
		return 0;
	names[0] = g_strdup_printf("%s.rpmlintrc", pkg);
	names[1] = g_strdup_printf("SPECS/%s.rpmlintrc", pkg);
	q_hub_blob_path(hub, sha, path, sizeof(path));
	found = q_check_bundle_member(path, (const char *const *)names, Q_RPMLINTRC_MAX, &data,
				      &len, &which, &err);
	if (found < 0) {
		q_check_set(res, err.code == Q_ETOOBIG ? Q_CHECK_FAIL : Q_CHECK_ERROR, "%s",
			    err.msg);
		goto out;
	}
	rc = 0;
	if (found == 0)
		goto out;
	clean = g_string_new(NULL);
	if (q_rpmlintrc_clean(names[which], data, len, clean, notes, &err) < 0) {
		q_check_set(res, Q_CHECK_FAIL, "%s", err.msg);
		g_string_free(clean, TRUE);
		rc = -1;
		goto out;
	}
	*name = keep(j, g_strdup(names[which]));
	*text = keep(j, g_string_free(clean, FALSE));
out:
	g_free(names[0]);
	g_free(names[1]);
	g_free(data);
	return rc;
}

/* Run check name of the job into res. */
static void run_check(struct q_hub *hub, struct q_checker *c, struct job *j, const char *name,
		      struct q_check_result *res)
{
	const char *hide[] = {hub->cfg.data_dir, NULL};
	const char *show_fixed[] = {hub->pub_dir, hub->store_dir, NULL};
	const char **show = show_fixed;
	const json_t *arches = json_object_get(j->build, "arches");
	bool per_arch = strcmp(name, "disttag") && strcmp(name, "rpmlint");
	char self[PATH_MAX], major[32];
	struct q_error err = {0};
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const json_t *a;
	size_t i, parts = 0;

	if (n <= 0) {
		q_check_set(res, Q_CHECK_ERROR, "cannot find the quarry binary: %s",
			    strerror(errno));
		return;
	}
	self[n] = '\0';
	/* Replaced by an upgrade: the new binary at the same path. */
	if (n > 10 && !strcmp(self + n - 10, " (deleted)"))
		self[n - 10] = '\0';
	snprintf(major, sizeof(major), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(j->build, "major")));
	json_array_foreach (arches, i, a) {
		const char *arch = per_arch ? json_string_value(a) : NULL;
		GArray *rpms = g_array_new(FALSE, TRUE, sizeof(struct q_check_rpm));
		GArray *others = g_array_new(FALSE, TRUE, sizeof(struct q_check_rpm));
		GArray *repos = g_array_new(FALSE, TRUE, sizeof(struct q_check_repo));
		struct q_check_input in = {0};
		struct q_check_result part;

		q_check_result_init(&part);
		if (build_rpms(hub, j, arch, rpms, &err) < 0 ||
		    (arch && other_rpms(hub, j, arch, others, &err) < 0)) {
			q_check_set(&part, Q_CHECK_ERROR, "%s", err.msg);
			q_error_clear(&err);
		} else if (per_arch && rpms->len == 0) {
			/* An arch the build made nothing for (ExclusiveArch). */
			q_check_result_release(&part);
			goto next;
		} else {
			if (arch) {
				GString *notes = g_string_new(NULL);
				int rc = repos_for(hub, j, arch, repos, notes, &part);

				say_repos(hub, j, arch, repos, &part);
				q_check_out_raw(&part, notes->str, notes->len);
				g_string_free(notes, TRUE);
				if (rc < 0)
					goto merge;
			}
			in.arch = arch ? arch : json_string_value(a);
			in.dist_tag = jstr(j->build, "dist_tag");
			in.releasever = major;
			in.rpms = (struct q_check_rpm *)rpms->data;
			in.n_rpms = rpms->len;
			in.others = (struct q_check_rpm *)others->data;
			in.n_others = others->len;
			in.repos = (struct q_check_repo *)repos->data;
			in.n_repos = repos->len;
			in.rpmlint_config = jstr(j->inputs, "rpmlint_config");
			if (!strcmp(name, "rpmlint")) {
				GString *notes = g_string_new(NULL);
				int rc = package_rpmlintrc(hub, j, &in.rpmlintrc_name,
							   &in.rpmlintrc, notes, &part);

				q_check_out_raw(&part, notes->str, notes->len);
				g_string_free(notes, TRUE);
				if (rc < 0)
					goto merge;
			}
			in.workdir = j->workdir;
			in.hide = hide;
			/* Base repos may live anywhere (a /tmp the sandbox empties). */
			{
				GPtrArray *sh = g_ptr_array_new();

				g_ptr_array_add(sh, (gpointer)hub->pub_dir);
				g_ptr_array_add(sh, (gpointer)hub->store_dir);
				for (guint k = 0; k < repos->len; k++) {
					const char *d =
					    g_array_index(repos, struct q_check_repo, k).dir;

					if (!g_str_has_prefix(d, hub->pub_dir))
						g_ptr_array_add(sh, (gpointer)d);
				}
				g_ptr_array_add(sh, NULL);
				show = (const char **)keep(j, (char *)g_ptr_array_free(sh, FALSE));
			}
			in.show = show;
			in.cancel = &c->t.cancel;
			if (q_check_run_isolated(name, self, &in, &part, &err) < 0) {
				q_check_set(&part, Q_CHECK_ERROR, "%s", err.msg);
				q_error_clear(&err);
			}
		}
	merge:
		q_check_merge(res, &part,
			      per_arch && json_array_size(arches) > 1 ? json_string_value(a) : NULL,
			      parts++ == 0);
		q_check_result_release(&part);
	next:
		g_array_free(rpms, TRUE);
		g_array_free(others, TRUE);
		g_array_free(repos, TRUE);
		if (!per_arch)
			break;
	}
	if (parts == 0)
		q_check_set(res, Q_CHECK_ERROR, "the build has no RPM to check");
}

/* Replace a directory's path in the result's summary and output. */
static void redact_output(struct q_check_result *res, const char *dir, const char *with)
{
	size_t size;
	char *copy;

	if (!dir || !dir[0])
		return;
	q_redact_path(res->summary, sizeof(res->summary), dir, with);
	if (!strstr(res->output->str, dir))
		return;
	size = res->output->len + 1;
	copy = g_malloc(size);
	memcpy(copy, res->output->str, size);
	q_redact_path(copy, size, dir, with);
	g_string_assign(res->output, copy);
	g_free(copy);
}

static void run_one(struct q_hub *hub, struct q_checker *c, struct q_store *st, json_t *row)
{
	int64_t id = json_integer_value(json_object_get(row, "id"));
	int64_t bid = json_integer_value(json_object_get(row, "build"));
	int64_t run = json_integer_value(json_object_get(row, "run"));
	const char *name = jstr(row, "name");
	struct q_error err = {0};
	struct q_check_result res;
	struct job j;

	memset(&j, 0, sizeof(j));
	j.strings = g_ptr_array_new_with_free_func(g_free);
	q_check_result_init(&res);
	if (!q_check_known(name)) {
		q_check_set(&res, Q_CHECK_ERROR, "check '%s' is unknown to this hub", name);
		goto finish;
	}
	if (q_store_build_get(st, bid, 0, &j.build, &err) < 0 ||
	    q_store_build_artifacts(st, bid, &j.arts, &err) < 0 ||
	    q_store_repo_list(st, jstr(j.build, "sig"), jstr(j.build, "project"), &j.repos, &err) <
		0 ||
	    q_store_check_inputs(st, bid, &j.inputs, &err) < 0 ||
	    q_store_buildtags_get(st, json_integer_value(json_object_get(j.inputs, "project_id")),
				  &j.tags, &err) < 0) {
		q_check_set(&res, Q_CHECK_ERROR, "%s", err.msg);
		goto finish;
	}
	if (strcmp(jstr(j.build, "state"), "complete")) {
		q_check_set(&res, Q_CHECK_ERROR,
			    "build %" PRId64 " is '%s'; only complete builds are checked", bid,
			    jstr(j.build, "state"));
		goto finish;
	}
	snprintf(j.workdir, sizeof(j.workdir), "%s/check-XXXXXX", hub->tmp_dir);
	if (!mkdtemp(j.workdir)) {
		q_check_set(&res, Q_CHECK_ERROR, "cannot create a directory in '%s': %s",
			    hub->tmp_dir, strerror(errno));
		j.workdir[0] = '\0';
		goto finish;
	}
	chmod(j.workdir, 0755);
	run_check(hub, c, &j, name, &res);
finish:
	if (c->t.cancel) {
		q_info("check %s of build %" PRId64 " stopped: the hub is stopping", name, bid);
	} else {
		/* The output is public: the check's directory and the data directory
		 * are named, not shown. */
		redact_output(&res, j.workdir, "CHECKDIR");
		redact_output(&res, hub->cfg.data_dir, "DATA");
		q_error_clear(&err);
		if (q_store_check_finish(st, id, run, q_check_state_name(res.state), res.summary,
					 res.output->str, &err) < 0)
			q_warn("check %s of build %" PRId64 ": %s", name, bid, err.msg);
		else
			q_info("check %s of build %" PRId64 " (run %" PRId64 "): %s%s%s", name, bid,
			       run, q_check_state_name(res.state), res.summary[0] ? ": " : "",
			       res.summary);
		/* The build's update may now pass its gate: auto_testing moves it. */
		{
			int64_t uid = 0;

			q_error_clear(&err);
			if (q_store_update_of_build(st, bid, &uid, &err) == 0 && uid)
				q_hub_auto_testing(hub, st, uid);
		}
	}
	if (j.workdir[0] && !getenv("QUARRY_KEEP_CHECKS")) {
		struct q_error ignore = {0};

		q_fs_remove_tree(j.workdir, &ignore);
	}
	q_check_result_release(&res);
	json_decref(j.build);
	json_decref(j.arts);
	json_decref(j.repos);
	json_decref(j.inputs);
	json_decref(j.tags);
	g_ptr_array_unref(j.strings);
}

/*
 * Builds come first: while workers run tasks, a check waits (a second at a
 * time) for them to finish, but never more than CHECK_YIELD_MAX seconds in
 * a row, so a busy hub still checks.
 */
#define CHECK_YIELD_MAX 30

static void yield_to_builds(struct q_checker *c, struct q_store *st)
{
	for (int waited = 0; waited < CHECK_YIELD_MAX && !c->t.cancel; waited++) {
		struct q_error err = {0};
		int64_t running = 0;

		if (q_store_tasks_running(st, &running, &err) < 0 || running == 0 ||
		    !q_bgthread_sleep(&c->t, 1))
			return;
	}
}

static void run_queue(struct q_hub *hub, struct q_checker *c, struct q_store *st)
{
	while (!c->t.cancel) {
		struct q_error err = {0};
		json_t *row = NULL;

		yield_to_builds(c, st);
		if (q_store_check_take(st, &row, &err) < 0) {
			q_warn("checker: %s", err.msg);
			return;
		}
		if (!row)
			return;
		q_event_bump(Q_TOPIC_CHECKS, json_integer_value(json_object_get(row, "build")));
		run_one(hub, c, st, row);
		q_event_bump(Q_TOPIC_CHECKS, json_integer_value(json_object_get(row, "build")));
		json_decref(row);
	}
}

static void *checker_main(void *arg)
{
	struct q_hub *hub = arg;
	struct q_checker *c = hub->checker;
	struct q_error err = {0};
	struct q_store *st;

	/* Checks are background work: builds and requests come first. On Linux
	 * the nice value is per thread, and the check processes inherit it. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) < 0)
		q_warn("checker: cannot lower its priority: %s", strerror(errno));
	st = q_store_open(hub->db_path, &err);
	if (!st) {
		q_warn("checker: cannot open the database: %s", err.msg);
		return NULL;
	}
	if (q_store_check_reset(st, &err) < 0)
		q_warn("checker: %s", err.msg);
	for (;;) {
		if (!q_bgthread_wait(&c->t, CHECKER_POLL))
			break;
		run_queue(hub, c, st);
	}
	q_store_close(st);
	return NULL;
}

int q_checker_start(struct q_hub *hub, struct q_error *err)
{
	struct q_checker *c = g_new0(struct q_checker, 1);

	hub->checker = c;
	if (q_bgthread_start(&c->t, checker_main, hub, "checker", err) < 0) {
		hub->checker = NULL;
		g_free(c);
		return -1;
	}
	return 0;
}

void q_checker_wake(struct q_hub *hub)
{
	if (hub->checker)
		q_bgthread_wake(&hub->checker->t);
}

void q_checker_stop(struct q_hub *hub)
{
	if (!hub->checker)
		return;
	q_bgthread_stop(&hub->checker->t);
	g_free(hub->checker);
	hub->checker = NULL;
}
