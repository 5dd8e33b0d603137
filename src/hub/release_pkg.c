/*
 * release_pkg.c: the SIG release package, sig-SIG-release (hub.h;
 * docs/ARCHITECTURE.md, "The SIG release package").
 *
 * One package per SIG and EL major: installing it sets dnf up for every
 * repo the SIG has on that major. It lives in the release_pkg.repo repo,
 * which one project of the SIG on that major holds (repo names are unique
 * there, store.h); the other projects of that major have none.
 *
 *   Name:    sig-SIG-release          Version: MAJOR
 *   Release: N + the dist tag (".el9.mc"), N one more than the highest
 *            N of a sig-SIG-release in the SIG's repos on that major, so
 *            every rebuild has a new NEVRA (a repo holds one file per NEVRA)
 *   /etc/yum.repos.d/sig-SIG.repo          %config(noreplace): a section
 *            [sig-SIG-REPO] per repo, metalink=PUBLIC_URL/metalink?repo=
 *            sig-SIG-REPO-$releasever&arch=$basearch (the names the
 *            metalink service knows, mirror/snapshot.c), gpgcheck and
 *            repo_gpgcheck on, testing repos enabled=0
 *   /etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-SIG   every public key the SIG has
 *            had, oldest first (sig_keys), so packages signed before a
 *            rotation still verify
 *
 * DESIGN
 *  - Both files are written by the hub into a private directory under
 *    DATA/tmp; the spec holds no text a SIG controls (the title is in the
 *    .repo file only, which rpmbuild copies as data), and rpmbuild runs in
 *    the sandbox anyway (no network, read-only /, the data directory
 *    hidden): the hub never runs rpmbuild outside it.
 *  - Signed before it enters the repo, as promote.c's signed copies: the
 *    unsigned and the signed file are stored, both package rows and the
 *    signed_packages row are written in the transaction that swaps the
 *    signed copy in for the previous sig-SIG-release (any version) and
 *    marks the repo dirty; then the repo is published. A crash before the
 *    commit leaves the old package; after it, the dirty flag republishes.
 *  - One build per project at a time: flock on DATA/locks/release-pkg-ID.lock
 *    around reading the counter, building and the swap, so two rebuilds
 *    (two repos created at once) never make the same NEVRA twice.
 *  - A repo the .repo file enables must answer the metalink, or dnf fails
 *    on it: repos listed that were never published are published (empty)
 *    after the swap.
 *  - The payload is gzip and the digests SHA-256, which every EL rpm (7 and
 *    up) reads; rpmbuild's defaults here (zstd) are not.
 *  - Stable URLs, so that a first install needs no NEVRA (as Copr's .repo
 *    link): DATA/pub/sig/MAJOR/SIG/ holds sig-SIG-release.noarch.rpm (a
 *    hard link to the signed package in the store), sig-SIG.repo (the same
 *    repos, with gpgkey= the URL of the key file next to it instead of the
 *    installed file) and RPM-GPG-KEY-quarry-SIG (every key, as packaged).
 *    Each is replaced by a rename of a fully written file, under the
 *    project's lock, after the transaction that swaps the package in, so
 *    a reader gets the old or the new file, never a part; key first, RPM
 *    last.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "build/sandbox.h"
#include "hub/hub.h"
#include "publish/rpm.h"
#include "sign/sign.h"

#include <fcntl.h>
#include <glib.h>
#include <sys/file.h>
#include <sys/stat.h>

#define RPMBUILD_TIMEOUT 120               /* seconds */
#define RPMBUILD_MEMORY ((int64_t)2 << 30) /* RLIMIT_AS of the step */
#define KEYS_MAX 64                        /* keys a SIG may have had, in the package */
#define LOG_TAIL 600                       /* bytes of rpmbuild's output in an error */

/* What goes into one build. */
struct relpkg {
	const char *sig;
	const char *project;
	int64_t major;
	const char *dist;   /* ".el9.mc" */
	char name[80];      /* sig-SIG-release */
	int64_t counter;    /* N of the release */
	GString *repo_file; /* the .repo */
	GString *repo_web;  /* the .repo at the stable URL: gpgkey over HTTP */
	GString *keys;      /* armored public keys */
	json_t *listed;     /* repos in the .repo file, as q_store_repo_get shows them */
};

/* "NAME-[E:]V-R.A" names package name: what follows name is one '-' only. */
static bool nevra_is(const char *nevra, const char *name)
{
	size_t n = strlen(name);
	const char *rest;

	if (strncmp(nevra, name, n) || nevra[n] != '-')
		return false;
	rest = nevra + n + 1;
	return strchr(rest, '-') && strchr(rest, '-') == strrchr(rest, '-');
}

/* The N of "sig-SIG-release-MAJOR-N.DIST.noarch.rpm", 0 when fn is not one. */
static int64_t counter_of(const struct relpkg *rp, const char *fn)
{
	char prefix[128], suffix[128];
	size_t pl, sl, fl = strlen(fn);
	int64_t n = 0;

	snprintf(prefix, sizeof(prefix), "%s-%" PRId64 "-", rp->name, rp->major);
	snprintf(suffix, sizeof(suffix), "%s.noarch.rpm", rp->dist);
	pl = strlen(prefix);
	sl = strlen(suffix);
	if (fl <= pl + sl || strncmp(fn, prefix, pl) || strcmp(fn + fl - sl, suffix))
		return 0;
	for (size_t i = pl; i < fl - sl; i++) {
		if (fn[i] < '0' || fn[i] > '9' || n > INT64_MAX / 10 - 10)
			return 0;
		n = n * 10 + (fn[i] - '0');
	}
	return n;
}

static int cmp_repo_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

/*
 * The repos of the SIG's projects on rp->major (one per name: the published
 * tree has one directory per SIG, major and repo name), sorted by name, and
 * the next release counter from what they hold.
 */
static int gather_repos(struct q_store *st, struct relpkg *rp, struct q_error *err)
{
	json_t *projects = NULL, *p, *seen = json_object();
	GPtrArray *sorted = g_ptr_array_new();
	size_t i;
	int rc = -1;

	rp->listed = json_array();
	rp->counter = 1;
	if (q_store_project_list(st, rp->sig, &projects, err) < 0)
		goto out;
	json_array_foreach (projects, i, p) {
		json_t *repos = NULL, *r;
		size_t k;

		if (json_integer_value(json_object_get(p, "major")) != rp->major)
			continue;
		if (q_store_repo_list(st, rp->sig, json_string_value(json_object_get(p, "name")),
				      &repos, err) < 0)
			goto out;
		json_array_foreach (repos, k, r) {
			json_t *pkgs = NULL, *pk;
			size_t j;

			if (q_store_repo_packages(st, json_integer_value(json_object_get(r, "id")),
						  &pkgs, err) < 0) {
				json_decref(repos);
				goto out;
			}
			json_array_foreach (pkgs, j, pk) {
				int64_t n = counter_of(
				    rp, json_string_value(json_object_get(pk, "filename")));

				if (n >= rp->counter)
					rp->counter = n + 1;
			}
			json_decref(pkgs);
			if (json_object_get(seen, json_string_value(json_object_get(r, "name"))))
				continue;
			json_object_set_new(seen, json_string_value(json_object_get(r, "name")),
					    json_true());
			json_array_append(rp->listed, r);
		}
		json_decref(repos);
	}
	json_array_foreach (rp->listed, i, p)
		g_ptr_array_add(sorted, p);
	g_ptr_array_sort(sorted, cmp_repo_name);
	{
		json_t *a = json_array();

		for (guint n = 0; n < sorted->len; n++)
			json_array_append(a, g_ptr_array_index(sorted, n));
		json_decref(rp->listed);
		rp->listed = a;
	}
	rc = 0;
out:
	g_ptr_array_free(sorted, TRUE);
	json_decref(seen);
	json_decref(projects);
	return rc;
}

/* The SIG's title as one line of an ini file: no control characters, bounded. */
static void append_title(GString *s, const char *title)
{
	size_t n = 0;

	/* Cut at 300 bytes (the API's limit), never inside a UTF-8 sequence. */
	for (const unsigned char *p = (const unsigned char *)title;
	     *p && (n < 300 || (*p & 0xc0) == 0x80); p++, n++)
		g_string_append_c(s, (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p);
}

static GString *repo_text(const char *url, const struct relpkg *rp, const char *title,
			  const char *gpgkey)
{
	GString *out = g_string_new(NULL);
	size_t i;
	json_t *r;

	g_string_append_printf(
	    out,
	    "# The repositories of SIG %s for EL %" PRId64 ", from package %s (made by Quarry).\n"
	    "# Candidate and testing repositories are disabled; enable one with\n"
	    "#   dnf config-manager --set-enabled sig-%s-REPO\n",
	    rp->sig, rp->major, rp->name, rp->sig);
	json_array_foreach (rp->listed, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *channel = json_string_value(json_object_get(r, "channel"));

		g_string_append_printf(out, "\n[sig-%s-%s]\nname=SIG ", rp->sig, name);
		append_title(out, title);
		g_string_append_printf(
		    out,
		    " - %s ($basearch)\n"
		    "metalink=%s/metalink?repo=sig-%s-%s-$releasever&arch=$basearch\n"
		    "enabled=%d\n"
		    "gpgcheck=1\n"
		    "repo_gpgcheck=1\n"
		    "gpgkey=%s\n",
		    name, url, rp->sig, name, strcmp(channel, "release") ? 0 : 1, gpgkey);
	}
	return out;
}

static void make_repo_file(const struct q_hub *hub, struct relpkg *rp, const char *title)
{
	char url[600], key[1200];
	size_t ul;

	snprintf(url, sizeof(url), "%s", hub->cfg.public_url);
	ul = strlen(url);
	while (ul && url[ul - 1] == '/')
		url[--ul] = '\0';
	snprintf(key, sizeof(key), "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-%s", rp->sig);
	rp->repo_file = repo_text(url, rp, title, key);
	snprintf(key, sizeof(key), "%s/pub/sig/%" PRId64 "/%s/RPM-GPG-KEY-quarry-%s", url,
		 rp->major, rp->sig, rp->sig);
	rp->repo_web = repo_text(url, rp, title, key);
}

/*
 * The stable files of DATA/pub/sig/MAJOR/SIG/ (see the head of this file):
 * the key, the .repo, then the RPM (a hard link to the store's signed_sha
 * under a dot name, renamed over the old one).
 */
static int write_stable(struct q_hub *hub, const struct relpkg *rp, const char *signed_sha,
			struct q_error *err)
{
	char dir[1300], path[1500], tmp[1600], stored[1300];

	snprintf(dir, sizeof(dir), "%s/sig/%" PRId64 "/%s", hub->pub_dir, rp->major, rp->sig);
	if (q_fs_mkdirs(dir, 0755, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/RPM-GPG-KEY-quarry-%s", dir, rp->sig);
	if (q_fs_write_atomic(path, rp->keys->str, rp->keys->len, 0644, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/sig-%s.repo", dir, rp->sig);
	if (q_fs_write_atomic(path, rp->repo_web->str, rp->repo_web->len, 0644, err) < 0)
		return -1;
	q_hub_store_path(hub, signed_sha, stored, sizeof(stored));
	snprintf(path, sizeof(path), "%s/%s.noarch.rpm", dir, rp->name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.noarch.rpm.new-%ld", dir, rp->name, (long)getpid());
	if (unlink(tmp) < 0 && errno != ENOENT)
		return q_error_set(err, Q_EIO, "cannot remove '%s': %s", tmp, strerror(errno));
	if (q_fs_link_or_copy(stored, tmp, err) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		q_error_set(err, Q_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
			    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return q_fs_fsync_parent(path, err);
}

/* Every public key the SIG has had, oldest first (current last). */
static int make_keys(struct q_hub *hub, struct q_store *st, struct relpkg *rp, const char *current,
		     struct q_error *err)
{
	json_t *keys = NULL, *k;
	size_t i;
	bool have_current = false;
	int rc = -1;

	rp->keys = g_string_new(NULL);
	if (q_store_sig_keys(st, rp->sig, &keys, err) < 0)
		return -1;
	if (json_array_size(keys) > KEYS_MAX) {
		q_error_set(err, Q_EINVAL,
			    "sig '%s' has had %zu keys; the release package holds %d", rp->sig,
			    json_array_size(keys), KEYS_MAX);
		goto out;
	}
	json_array_foreach (keys, i, k)
		have_current |= !strcmp(json_string_value(json_object_get(k, "fpr")), current);
	if (!have_current)
		json_array_append_new(keys, json_pack("{s:s}", "fpr", current));
	json_array_foreach (keys, i, k) {
		const char *fpr = json_string_value(json_object_get(k, "fpr"));
		char *armored = NULL;
		size_t len = 0;

		if (q_signer_export_public(hub->signer, fpr, &armored, &len, err) < 0) {
			q_error_prefix(err, "cannot export key %s of sig '%s'", fpr, rp->sig);
			goto out;
		}
		g_string_append_len(rp->keys, armored, (gssize)len);
		if (len && armored[len - 1] != '\n')
			g_string_append_c(rp->keys, '\n');
		free(armored);
	}
	rc = 0;
out:
	json_decref(keys);
	return rc;
}

static int write_file(const char *dir, const char *name, const char *data, size_t len,
		      struct q_error *err)
{
	char path[1700];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return q_fs_write_atomic(path, data, len, 0644, err);
}

/* The spec: only names and numbers Quarry validated, no SIG-written text. */
static char *make_spec(const struct relpkg *rp)
{
	return g_strdup_printf(
	    "%%global debug_package %%{nil}\n"
	    "%%define __os_install_post %%{nil}\n"
	    "%%define _build_id_links none\n"
	    "\n"
	    "Name: %s\n"
	    "Version: %" PRId64 "\n"
	    "Release: %" PRId64 "%s\n"
	    "Summary: Repository configuration and public keys of SIG %s\n"
	    "License: MIT\n"
	    "BuildArch: noarch\n"
	    "Source0: sig-%s.repo\n"
	    "Source1: RPM-GPG-KEY-quarry-%s\n"
	    "\n"
	    "%%description\n"
	    "The dnf repository definitions of SIG %s on EL %" PRId64 " (metalink, gpgcheck\n"
	    "and repo_gpgcheck; testing repositories disabled) and every public key\n"
	    "the SIG has signed with. Made by Quarry.\n"
	    "\n"
	    "%%prep\n"
	    "\n"
	    "%%build\n"
	    "\n"
	    "%%install\n"
	    "install -D -m 0644 %%{SOURCE0} %%{buildroot}/etc/yum.repos.d/sig-%s.repo\n"
	    "install -D -m 0644 %%{SOURCE1} %%{buildroot}/etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-%s\n"
	    "\n"
	    "%%files\n"
	    "%%config(noreplace) /etc/yum.repos.d/sig-%s.repo\n"
	    "/etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-%s\n",
	    rp->name, rp->major, rp->counter, rp->dist, rp->sig, rp->sig, rp->sig, rp->sig,
	    rp->major, rp->sig, rp->sig, rp->sig, rp->sig);
}

/* rpmbuild -bb in the sandbox, in dir (SPECS, SOURCES, RPMS); *rpm_out is the RPM. */
static int run_rpmbuild(struct q_hub *hub, const struct relpkg *rp, const char *dir, char *rpm_out,
			size_t size, struct q_error *err)
{
	char top[1500], tmp[1500], spec[1500], log_path[1500];
	const char *argv[] = {"rpmbuild",
			      "-bb",
			      "--quiet",
			      "--define",
			      top,
			      "--define",
			      tmp,
			      "--define",
			      "_binary_payload w9.gzdio",
			      "--define",
			      "_binary_filedigest_algorithm 8",
			      "--define",
			      "_buildhost quarry",
			      spec,
			      NULL};
	const char *hide[] = {hub->cfg.data_dir, NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res = {0};
	char *out = NULL;
	size_t len = 0;
	int fd, rc = -1;

	snprintf(top, sizeof(top), "_topdir %s", dir);
	snprintf(tmp, sizeof(tmp), "_tmppath %s/tmp", dir);
	snprintf(spec, sizeof(spec), "%s/SPECS/%s.spec", dir, rp->name);
	snprintf(log_path, sizeof(log_path), "%s/rpmbuild.log", dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot create '%s': %s", log_path, strerror(errno));
	sb.backend = "host";
	sb.workdir = dir;
	sb.hide = hide;
	sb.argv = argv;
	sb.log_fd = fd;
	sb.timeout_sec = RPMBUILD_TIMEOUT;
	sb.max_memory = RPMBUILD_MEMORY;
	if (q_sandbox_run(&sb, &res, NULL, err) < 0) {
		close(fd);
		q_error_prefix(err, "cannot build %s", rp->name);
		return -1;
	}
	close(fd);
	snprintf(rpm_out, size, "%s/RPMS/noarch/%s-%" PRId64 "-%" PRId64 "%s.noarch.rpm", dir,
		 rp->name, rp->major, rp->counter, rp->dist);
	if (res.status == Q_SANDBOX_OK && q_fs_exists(rpm_out))
		return 0;
	if (q_fs_read_file_nofollow(log_path, 1 << 20, &out, &len, NULL) < 0)
		out = NULL;
	q_error_set(err, Q_EIO, "rpmbuild of %s %s: %s", rp->name,
		    res.status == Q_SANDBOX_TIMEOUT ? "timed out"
		    : res.status == Q_SANDBOX_OK    ? "made no RPM"
						    : "failed",
		    out && len ? out + (len > LOG_TAIL ? len - LOG_TAIL : 0) : "no output");
	free(out);
	return rc;
}

/* Inspect a built or signed RPM and check it is the package we meant. */
static int inspect(const struct relpkg *rp, const char *path, struct q_rpm_info *info,
		   struct q_error *err)
{
	char want[160];

	snprintf(want, sizeof(want), "%s-%" PRId64 "-%" PRId64 "%s.noarch.rpm", rp->name, rp->major,
		 rp->counter, rp->dist);
	if (q_rpm_inspect(path, want, info, err) < 0)
		return -1;
	if (strcmp(info->filename, want))
		return q_error_set(err, Q_EIO, "rpmbuild made '%s', not '%s'", info->filename,
				   want);
	return 0;
}

static int lock_project(struct q_hub *hub, int64_t project_id, struct q_error *err)
{
	char path[1300];

	snprintf(path, sizeof(path), "%s/release-pkg-%" PRId64 ".lock", hub->locks_dir, project_id);
	return q_fs_lock_file(path, err);
}

/*
 * The swap, one transaction: both package rows, the signed copy's row, the
 * previous sig-SIG-release out, the new one in, dirty, audit.
 */
static int swap_in(struct q_store *st, const struct relpkg *rp, json_t *repo, const char *fpr,
		   const struct q_rpm_info *unsigned_info, const struct q_rpm_info *signed_info,
		   const char *actor, json_t *replaced, struct q_error *err)
{
	int64_t repo_id = json_integer_value(json_object_get(repo, "id")), uid, sid;
	json_t *pkgs = NULL, *p, *detail;
	char target[300], *d;
	size_t i;
	int rc;

	if (q_store_begin(st, err) < 0)
		return -1;
	if (q_store_package_put(st, unsigned_info, &uid, err) < 0 ||
	    q_store_package_put(st, signed_info, &sid, err) < 0 ||
	    q_store_signed_put(st, uid, fpr, sid, err) < 0 ||
	    q_store_repo_packages(st, repo_id, &pkgs, err) < 0)
		goto rollback;
	json_array_foreach (pkgs, i, p) {
		const char *nevra = json_string_value(json_object_get(p, "nevra"));
		int64_t old = 0;

		if (!nevra_is(nevra, rp->name))
			continue;
		if (q_store_package_by_sha256(st, json_string_value(json_object_get(p, "sha256")),
					      &old, err) < 0 ||
		    (old && q_store_repo_remove_package(st, repo_id, old, err) < 0))
			goto rollback;
		json_array_append_new(replaced, json_string(nevra));
	}
	snprintf(target, sizeof(target), "%s/%s/%s", rp->sig, rp->project,
		 json_string_value(json_object_get(repo, "name")));
	detail = json_pack("{s:s,s:s,s:s,s:O}", "nevra", signed_info->nevra, "sha256",
			   signed_info->sha256, "key", fpr, "replaced", replaced);
	d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(detail);
	rc = q_store_repo_add_package(st, repo_id, sid, err) < 0 ||
		     q_store_repo_mark_dirty(st, repo_id, err) < 0 ||
		     q_store_audit(st, actor, "release_pkg.build", target, d ? d : "", err) < 0 ||
		     q_store_commit(st, err) < 0
		 ? -1
		 : 0;
	free(d);
	if (rc < 0)
		goto rollback;
	json_decref(pkgs);
	return 0;
rollback:
	q_store_rollback(st);
	json_decref(pkgs);
	return -1;
}

/* Publish the listed repos that never were, so the metalink knows them. */
static void publish_new_repos(struct q_hub *hub, struct q_store *st, const struct relpkg *rp,
			      const char *skip)
{
	json_t *r;
	size_t i;

	json_array_foreach (rp->listed, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		json_t *hist = NULL, *repo = NULL, *res = NULL;
		struct q_error err = {0};

		if (!strcmp(name, skip))
			continue;
		if (q_store_publish_history(st, json_integer_value(json_object_get(r, "id")), 1,
					    &hist, &err) < 0 ||
		    json_array_size(hist) > 0) {
			json_decref(hist);
			continue;
		}
		json_decref(hist);
		if (q_store_repo_get(st, rp->sig, json_string_value(json_object_get(r, "project")),
				     name, &repo, &err) < 0 ||
		    q_hub_publish_repo(hub, st, repo, 0, &res, &err) < 0)
			q_warn("%s: publishing the new repo '%s/%s' failed (retried at the next "
			       "publish): %s",
			       rp->name, rp->sig, name, err.msg);
		json_decref(repo);
		json_decref(res);
	}
}

int q_hub_release_pkg_build(struct q_hub *hub, struct q_store *st, const char *sig,
			    const char *project, const char *actor, json_t **result,
			    struct q_error *err)
{
	const char *repo_name = hub->cfg.release_pkg_repo;
	json_t *proj = NULL, *repo = NULL, *sigj = NULL, *replaced = json_array(), *pub = NULL;
	struct relpkg rp = {0};
	struct q_rpm_info iu = {0}, is = {0};
	char dir[1300], rpm[1600], signed_path[1400], stored[1300];
	char *spec = NULL;
	const char *fpr;
	int lock = -1, rc = -1;

	*result = NULL;
	dir[0] = '\0';
	if (!*repo_name) {
		q_error_set(err, Q_ECONFLICT,
			    "release packages are off here (release_pkg.repo is empty)");
		goto out;
	}
	if (q_store_project_get(st, sig, project, &proj, err) < 0 ||
	    q_store_sig_get(st, sig, 0, &sigj, err) < 0)
		goto out;
	if (q_store_repo_get(st, sig, project, repo_name, &repo, err) < 0) {
		json_t *o = NULL;
		struct q_error oe = {0};

		if (!err || err->code != Q_ENOTFOUND)
			goto out;
		/* One per SIG and major: another project may hold it. */
		if (q_store_repo_claim_owner(st, json_integer_value(json_object_get(proj, "id")),
					     json_integer_value(json_object_get(proj, "major")),
					     sig, repo_name, 0, &o, &oe) == 0 &&
		    o && !strcmp(json_string_value(json_object_get(o, "sig")), sig) &&
		    !strcmp(json_string_value(json_object_get(o, "name")), repo_name))
			q_error_set(err, Q_ENOTFOUND,
				    "sig-%s-release of EL %" JSON_INTEGER_FORMAT
				    " (one per SIG and major) is built in repo '%s/%s/%s', not in "
				    "project '%s/%s'; rebuild it there",
				    sig, json_integer_value(json_object_get(proj, "major")), sig,
				    json_string_value(json_object_get(o, "project")), repo_name,
				    sig, project);
		else
			q_error_set(err, Q_ENOTFOUND,
				    "project '%s/%s' has no repo '%s' (release_pkg.repo) to hold "
				    "sig-%s-release; create it",
				    sig, project, repo_name, sig);
		json_decref(o);
		goto out;
	}
	fpr = json_string_value(json_object_get(repo, "key_fingerprint"));
	if (!fpr || !*fpr) {
		q_error_set(err, Q_ECONFLICT, "repo '%s/%s/%s' has no signing key", sig, project,
			    repo_name);
		goto out;
	}
	if (!hub->signer) {
		q_error_set(err, Q_EIO, "no signer: the hub cannot sign sig-%s-release", sig);
		goto out;
	}
	rp.sig = sig;
	rp.project = project;
	rp.major = json_integer_value(json_object_get(proj, "major"));
	rp.dist = json_string_value(json_object_get(proj, "dist_tag"));
	snprintf(rp.name, sizeof(rp.name), "sig-%s-release", sig);

	lock = lock_project(hub, json_integer_value(json_object_get(proj, "id")), err);
	if (lock < 0)
		goto out;
	if (gather_repos(st, &rp, err) < 0 || make_keys(hub, st, &rp, fpr, err) < 0)
		goto out;
	make_repo_file(hub, &rp, json_string_value(json_object_get(sigj, "title")));
	spec = make_spec(&rp);

	snprintf(dir, sizeof(dir), "%s/release-%s-XXXXXX", hub->tmp_dir, sig);
	if (!mkdtemp(dir)) {
		q_error_set(err, Q_EIO, "cannot create a directory in '%s': %s", hub->tmp_dir,
			    strerror(errno));
		dir[0] = '\0';
		goto out;
	}
	{
		char sub[1400], fname[200];

		for (const char *const *d = (const char *const[]){"SPECS", "SOURCES", "tmp", NULL};
		     *d; d++) {
			snprintf(sub, sizeof(sub), "%s/%s", dir, *d);
			if (q_fs_mkdirs(sub, 0755, err) < 0)
				goto out;
		}
		snprintf(sub, sizeof(sub), "%s/SOURCES", dir);
		snprintf(fname, sizeof(fname), "sig-%s.repo", sig);
		if (write_file(sub, fname, rp.repo_file->str, rp.repo_file->len, err) < 0)
			goto out;
		snprintf(fname, sizeof(fname), "RPM-GPG-KEY-quarry-%s", sig);
		if (write_file(sub, fname, rp.keys->str, rp.keys->len, err) < 0)
			goto out;
		snprintf(sub, sizeof(sub), "%s/SPECS", dir);
		snprintf(fname, sizeof(fname), "%s.spec", rp.name);
		if (write_file(sub, fname, spec, strlen(spec), err) < 0)
			goto out;
	}
	if (run_rpmbuild(hub, &rp, dir, rpm, sizeof(rpm), err) < 0 ||
	    inspect(&rp, rpm, &iu, err) < 0 || q_fs_fsync_path(rpm, err) < 0 ||
	    q_hub_store_file(hub, rpm, iu.sha256, 1, err) < 0)
		goto out;

	/* Signed from the store, as promote.c's signed copies. */
	q_hub_store_path(hub, iu.sha256, stored, sizeof(stored));
	snprintf(signed_path, sizeof(signed_path), "%s/signed.rpm", dir);
	if (q_signer_sign_rpm(hub->signer, fpr, stored, signed_path, err) < 0) {
		q_error_prefix(err, "cannot sign %s", iu.nevra);
		goto out;
	}
	if (inspect(&rp, signed_path, &is, err) < 0)
		goto out;
	if (!strcmp(is.sha256, iu.sha256)) {
		q_error_set(err, Q_EIO, "the signer returned '%s' unchanged", iu.filename);
		goto out;
	}
	if (q_hub_store_file(hub, signed_path, is.sha256, 1, err) < 0 ||
	    swap_in(st, &rp, repo, fpr, &iu, &is, actor, replaced, err) < 0)
		goto out;
	if (write_stable(hub, &rp, is.sha256, err) < 0) {
		q_error_prefix(err,
			       "%s is in repo '%s/%s/%s', but its stable URL was not updated (it "
			       "is at the next rebuild)",
			       is.nevra, sig, project, repo_name);
		goto out;
	}
	close(lock);
	lock = -1;

	/* Published now, with the repo as it is after the commit. */
	json_decref(repo);
	repo = NULL;
	if (q_store_repo_get(st, sig, project, repo_name, &repo, err) < 0 ||
	    q_hub_publish_repo(hub, st, repo, 0, &pub, err) < 0) {
		q_error_prefix(err,
			       "%s is in repo '%s/%s/%s', but publishing failed (it is retried "
			       "at the next publish or hub start)",
			       is.nevra, sig, project, repo_name);
		goto out;
	}
	publish_new_repos(hub, st, &rp, repo_name);
	{
		char base[700];
		char *rpm_url, *repo_url;
		size_t bl;

		snprintf(base, sizeof(base), "%s", hub->cfg.public_url);
		bl = strlen(base);
		while (bl && base[bl - 1] == '/')
			base[--bl] = '\0';
		rpm_url = g_strdup_printf("%s/pub/sig/%" PRId64 "/%s/%s.noarch.rpm", base, rp.major,
					  sig, rp.name);
		repo_url = g_strdup_printf("%s/pub/sig/%" PRId64 "/%s/sig-%s.repo", base, rp.major,
					   sig, sig);
		*result = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:o,s:s,s:s}", "sig", sig, "project",
				    project, "repo", repo_name, "nevra", is.nevra, "sha256",
				    is.sha256, "replaced", replaced, "published", pub, "rpm_url",
				    rpm_url, "repo_url", repo_url);
		g_free(rpm_url);
		g_free(repo_url);
	}
	pub = NULL;
	rc = 0;
out:
	if (lock >= 0)
		close(lock);
	if (dir[0])
		q_fs_remove_tree(dir, NULL);
	q_rpm_info_release(&iu);
	q_rpm_info_release(&is);
	g_free(spec);
	if (rp.repo_file)
		g_string_free(rp.repo_file, TRUE);
	if (rp.repo_web)
		g_string_free(rp.repo_web, TRUE);
	if (rp.keys)
		g_string_free(rp.keys, TRUE);
	json_decref(rp.listed);
	json_decref(proj);
	json_decref(repo);
	json_decref(sigj);
	json_decref(replaced);
	json_decref(pub);
	return rc;
}

static bool has_release_repo(struct q_hub *hub, struct q_store *st, const char *sig,
			     const char *project)
{
	json_t *r = NULL;
	struct q_error e = {0};

	if (q_store_repo_get(st, sig, project, hub->cfg.release_pkg_repo, &r, &e) < 0)
		return false;
	json_decref(r);
	return true;
}

void q_hub_release_pkg_refresh(struct q_hub *hub, struct q_store *st, const char *sig,
			       int64_t major, const char *actor)
{
	json_t *projects = NULL, *p;
	struct q_error err = {0};
	size_t i;

	if (!*hub->cfg.release_pkg_repo)
		return; /* off */
	if (q_store_project_list(st, sig, &projects, &err) < 0) {
		q_warn("sig-%s-release not rebuilt: %s", sig, err.msg);
		return;
	}
	json_array_foreach (projects, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		int64_t pm = json_integer_value(json_object_get(p, "major"));
		json_t *res = NULL;

		if (major && pm != major)
			continue;
		/* Built once per major, in the project that holds the repo; the
		 * others of that major are skipped quietly. */
		if (!has_release_repo(hub, st, sig, name)) {
			json_t *other;
			size_t j;
			bool elsewhere = false;

			json_array_foreach (projects, j, other)
				elsewhere |=
				    j != i &&
				    json_integer_value(json_object_get(other, "major")) == pm &&
				    has_release_repo(
					hub, st, sig,
					json_string_value(json_object_get(other, "name")));
			if (elsewhere)
				continue;
		}
		q_error_clear(&err);
		if (q_hub_release_pkg_build(hub, st, sig, name, actor, &res, &err) < 0)
			q_warn("sig-%s-release of project '%s/%s' not rebuilt: %s", sig, sig, name,
			       err.msg);
		else
			q_info("sig-%s-release: %s in repo '%s/%s/%s'", sig,
			       json_string_value(json_object_get(res, "nevra")), sig, name,
			       hub->cfg.release_pkg_repo);
		json_decref(res);
	}
	json_decref(projects);
}
