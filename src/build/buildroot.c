/*
 * buildroot.c: the "installroot" buildroot backend (buildroot.h): dnf
 * --installroot of the project's buildroot repos into a cached root.
 *
 * DESIGN
 *  - Everything dnf needs lives in CACHE/KEY.work-PID: an empty dnf.conf
 *    (`--config /dev/null` fails with dnf 4 on Debian; an empty file
 *    works), quarry.repo with one section per URL, dnf's cachedir, and a
 *    HOME with .rpmmacros setting %_dbpath /var/lib/rpm: Debian's rpm keeps
 *    its database in ~/.rpmdb, which inside an EL root would be the wrong
 *    place (EL's rpm looks in /var/lib/rpm) and would be hidden by the
 *    sandbox's tmpfs on /root. No host repo file or config is read
 *    (reposdir=/dev/null), weak dependencies are not installed.
 *  - dnf runs with a minimal environment; its stdout and stderr are kept,
 *    and on failure the last "Error: …" line goes into the message.
 *  - Then `rpm --root ROOT -qa` (same HOME, so the same %_dbpath) lists the
 *    root, written to CACHE/KEY.packages, and only then is KEY.tmp-PID
 *    renamed to KEY: a root that exists is complete. Stale KEY.tmp-* and
 *    KEY.work-* (a crash) are removed under the lock.
 *  - dnf leaves an expired_repos.json under ROOT/<its cachedir path>; that
 *    litter is removed before the rename.
 *
 * LIMITS
 *  - No time limit on dnf itself (its own network timeouts apply).
 *  - The root is not fsynced: after a power loss a root may be incomplete
 *    although renamed; delete CACHE/KEY to rebuild it.
 *  - Roots are never garbage-collected; delete the roots under CACHE at will while no
 *    worker runs.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "build/buildroot.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <sys/file.h>
#include <sys/stat.h>

#define URL_MAX 2048
#define NAME_MAX_LEN 256
#define PKGLIST_MAX ((size_t)16 << 20)

static int url_ok(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > URL_MAX)
		return 0;
	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8) && strncmp(u, "file:///", 8))
		return 0;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static int pkg_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || s[0] == '-')
		return 0;
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("._+-/", *p))
			return 0;
	return 1;
}

static int release_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("._-", *p))
			return 0;
	return 1;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted, distinct copy of a NULL-terminated list (the strings are not copied). */
static GPtrArray *sorted_distinct(const char *const *list)
{
	GPtrArray *a = g_ptr_array_new();

	for (size_t i = 0; list && list[i]; i++)
		g_ptr_array_add(a, (gpointer)list[i]);
	g_ptr_array_sort(a, cmp_strp);
	for (guint i = 1; i < a->len;)
		if (!strcmp(a->pdata[i], a->pdata[i - 1]))
			g_ptr_array_remove_index(a, i);
		else
			i++;
	return a;
}

/* The validated, sorted repos and packages of spec. 0, or -1 with err. */
static int spec_lists(const struct q_buildroot_spec *spec, char ***dflt, GPtrArray **repos,
		      GPtrArray **pkgs, struct q_error *err)
{
	const char *const *packages = spec->packages;

	*dflt = NULL;
	*repos = NULL;
	*pkgs = NULL;
	if (!spec->repos || !spec->repos[0])
		return q_error_set(err, Q_EINVAL, "buildroot: no repo given");
	if (!spec->releasever || !release_ok(spec->releasever))
		return q_error_set(err, Q_EINVAL,
				   "buildroot: releasever '%.64s' is not 1 to 32 letters, digits, "
				   "'.', '_' or '-'",
				   spec->releasever ? spec->releasever : "");
	if (spec->gpgkey && !url_ok(spec->gpgkey))
		return q_error_set(
		    err, Q_EINVAL,
		    "buildroot: gpg key '%.200s' is not an http(s):// or file:/// URL",
		    spec->gpgkey);
	if (!packages || !packages[0]) {
		*dflt = g_strsplit(Q_BUILDROOT_EL_PACKAGES, " ", -1);
		packages = (const char *const *)*dflt;
	}
	for (size_t i = 0; spec->repos[i]; i++) {
		if (i >= Q_BUILDROOT_MAX_REPOS)
			return q_error_set(err, Q_EINVAL, "buildroot: more than %d repos",
					   Q_BUILDROOT_MAX_REPOS);
		if (!url_ok(spec->repos[i]))
			return q_error_set(
			    err, Q_EINVAL,
			    "buildroot: repo '%.200s' is not an http://, https:// or "
			    "file:/// URL without spaces",
			    spec->repos[i]);
	}
	for (size_t i = 0; packages[i]; i++) {
		if (i >= Q_BUILDROOT_MAX_PACKAGES)
			return q_error_set(err, Q_EINVAL, "buildroot: more than %d packages",
					   Q_BUILDROOT_MAX_PACKAGES);
		if (!pkg_ok(packages[i]))
			return q_error_set(err, Q_EINVAL,
					   "buildroot: package '%.200s' is not a package name",
					   packages[i]);
	}
	*repos = sorted_distinct(spec->repos);
	*pkgs = sorted_distinct(packages);
	return 0;
}

static int key_of(const struct q_buildroot_spec *spec, GPtrArray *repos, GPtrArray *pkgs,
		  char key[65])
{
	GString *s = g_string_new("quarry-buildroot-v1\n");

	g_string_append_printf(s, "releasever %s\ngpgkey %s\n", spec->releasever,
			       spec->gpgkey ? spec->gpgkey : "-");
	for (guint i = 0; i < repos->len; i++)
		g_string_append_printf(s, "repo %s\n", (char *)repos->pdata[i]);
	for (guint i = 0; i < pkgs->len; i++)
		g_string_append_printf(s, "package %s\n", (char *)pkgs->pdata[i]);
	q_hash_sha256_buf(s->str, s->len, key);
	g_string_free(s, TRUE);
	return 0;
}

int q_buildroot_key(const struct q_buildroot_spec *spec, char key[65], struct q_error *err)
{
	char **dflt;
	GPtrArray *repos, *pkgs;
	int ret = spec_lists(spec, &dflt, &repos, &pkgs, err);

	if (ret == 0)
		key_of(spec, repos, pkgs, key);
	if (repos)
		g_ptr_array_unref(repos);
	if (pkgs)
		g_ptr_array_unref(pkgs);
	g_strfreev(dflt);
	return ret;
}

static int is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Remove CACHE/KEY.tmp-* and CACHE/KEY.work-* (with the lock held). */
static void remove_stale(const char *cache, const char *key)
{
	DIR *d = opendir(cache);
	struct dirent *de;
	char *tmp = g_strdup_printf("%s.tmp-", key);
	char *work = g_strdup_printf("%s.work-", key);

	while (d && (de = readdir(d))) {
		if (g_str_has_prefix(de->d_name, tmp) || g_str_has_prefix(de->d_name, work)) {
			char *p = g_strdup_printf("%s/%s", cache, de->d_name);

			q_fs_remove_tree(p, NULL);
			g_free(p);
		}
	}
	if (d)
		closedir(d);
	g_free(tmp);
	g_free(work);
}

/* The line of a failed tool's output worth a message: the last "Error…", else the last. */
static void pick_error(const char *errout, const char *out, char *buf, size_t size)
{
	const char *texts[] = {errout, out};

	buf[0] = '\0';
	for (size_t t = 0; t < 2 && !buf[0]; t++) {
		char **lines = g_strsplit(texts[t] ? texts[t] : "", "\n", -1);
		const char *last = NULL, *error = NULL;

		for (size_t i = 0; lines[i]; i++) {
			g_strstrip(lines[i]);
			if (!lines[i][0])
				continue;
			last = lines[i];
			if (g_str_has_prefix(lines[i], "Error"))
				error = lines[i];
		}
		if (error || last)
			snprintf(buf, size, "%s", error ? error : last);
		g_strfreev(lines);
	}
	if (!buf[0])
		snprintf(buf, size, "no message");
}

/* Run argv with env; 0, or -1 with err naming what and the tool's message. */
static int run_tool(const char *what, char **argv, char **env, char **out, struct q_error *err)
{
	char *o = NULL, *e = NULL;
	GError *gerr = NULL;
	int status = 0;
	int ret = -1;

	if (!g_spawn_sync(NULL, argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &o, &e, &status,
			  &gerr)) {
		q_error_set(err, Q_EIO, "buildroot: cannot run %s: %s", what, gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		char line[600];

		pick_error(e, o, line, sizeof(line));
		q_error_set(err, Q_EIO, "buildroot: %s failed: %s", what, line);
		goto out;
	}
	ret = 0;
	if (out) {
		*out = o;
		o = NULL;
	}
out:
	g_free(o);
	g_free(e);
	return ret;
}

static int write_text(const char *path, const char *text, struct q_error *err)
{
	return q_fs_write_atomic(path, text, strlen(text), 0644, err);
}

/* The package list of rpm -qa: sorted, distinct, one a line. */
static char *sorted_lines(const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	GPtrArray *a = g_ptr_array_new();
	GString *s = g_string_new("");

	for (size_t i = 0; lines[i]; i++)
		if (lines[i][0])
			g_ptr_array_add(a, lines[i]);
	g_ptr_array_add(a, NULL);
	{
		GPtrArray *d = sorted_distinct((const char *const *)a->pdata);

		for (guint i = 0; i < d->len; i++)
			g_string_append_printf(s, "%s\n", (char *)d->pdata[i]);
		g_ptr_array_unref(d);
	}
	g_ptr_array_unref(a);
	g_strfreev(lines);
	return g_string_free(s, FALSE);
}

/* Build the root of spec in tmp (work: dnf's files). 0, or -1 with err. */
static int build_root(const struct q_buildroot_spec *spec, GPtrArray *repos, GPtrArray *pkgs,
		      const char *tmp, const char *work, const char *packages_file,
		      struct q_error *err)
{
	char *conf = g_strdup_printf("%s/dnf.conf", work);
	char *repo = g_strdup_printf("%s/quarry.repo", work);
	char *cachedir = g_strdup_printf("%s/cache", work);
	char *home = g_strdup_printf("%s/home", work);
	char *macros = g_strdup_printf("%s/.rpmmacros", home);
	char *home_env = g_strdup_printf("HOME=%s", home);
	char *env[] = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C.UTF-8", home_env, NULL};
	GString *r = g_string_new("");
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	char *list = NULL, *sorted = NULL;
	int ret = -1;

	if (q_fs_mkdirs(tmp, 0755, err) < 0 || q_fs_mkdirs(home, 0700, err) < 0 ||
	    q_fs_mkdirs(cachedir, 0700, err) < 0)
		goto out;
	for (guint i = 0; i < repos->len; i++) {
		g_string_append_printf(r,
				       "[quarry-%u]\nname=quarry buildroot repo %u\nbaseurl=%s\n",
				       i, i, (char *)repos->pdata[i]);
		if (spec->gpgkey)
			g_string_append_printf(r, "gpgcheck=1\ngpgkey=%s\n", spec->gpgkey);
		else
			g_string_append(r, "gpgcheck=0\n");
		g_string_append(r, "enabled=1\nskip_if_unavailable=False\n\n");
	}
	if (write_text(conf, "", err) < 0 || write_text(repo, r->str, err) < 0 ||
	    write_text(macros, "%_dbpath /var/lib/rpm\n", err) < 0)
		goto out;

	g_ptr_array_add(argv, g_strdup("dnf"));
	g_ptr_array_add(argv, g_strdup("-y"));
	g_ptr_array_add(argv, g_strdup("--installroot"));
	g_ptr_array_add(argv, g_strdup(tmp));
	g_ptr_array_add(argv, g_strdup("--releasever"));
	g_ptr_array_add(argv, g_strdup(spec->releasever));
	g_ptr_array_add(argv, g_strdup("--setopt=reposdir=/dev/null"));
	g_ptr_array_add(argv, g_strdup("--config"));
	g_ptr_array_add(argv, g_strdup(conf));
	g_ptr_array_add(argv, g_strdup_printf("--setopt=cachedir=%s", cachedir));
	g_ptr_array_add(argv, g_strdup("--setopt=install_weak_deps=False"));
	if (!spec->gpgkey)
		g_ptr_array_add(argv, g_strdup("--nogpgcheck"));
	g_ptr_array_add(argv, g_strdup("-c"));
	g_ptr_array_add(argv, g_strdup(repo));
	g_ptr_array_add(argv, g_strdup("install"));
	for (guint i = 0; i < pkgs->len; i++)
		g_ptr_array_add(argv, g_strdup(pkgs->pdata[i]));
	g_ptr_array_add(argv, NULL);
	if (run_tool("dnf", (char **)argv->pdata, env, NULL, err) < 0)
		goto out;

	{
		char *qa[] = {"rpm", "--root", (char *)tmp, "-qa", "--qf", "%{NEVRA}\\n", NULL};

		if (run_tool("rpm -qa", qa, env, &list, err) < 0)
			goto out;
	}
	sorted = sorted_lines(list);
	if (!sorted[0]) {
		q_error_set(err, Q_EIO, "buildroot: dnf installed nothing into '%.200s'", tmp);
		goto out;
	}
	if (write_text(packages_file, sorted, err) < 0)
		goto out;
	/* dnf's litter: ROOT/<cachedir>/expired_repos.json and its parents. */
	{
		char *litter = g_strdup_printf("%s%s", tmp, cachedir);

		q_fs_remove_tree(litter, NULL);
		while (strlen(litter) > strlen(tmp)) {
			char *up = g_path_get_dirname(litter);

			g_free(litter);
			litter = up;
			if (strlen(litter) <= strlen(tmp) || rmdir(litter) < 0)
				break;
		}
		g_free(litter);
	}
	ret = 0;
out:
	g_ptr_array_unref(argv);
	g_string_free(r, TRUE);
	g_free(list);
	g_free(sorted);
	g_free(conf);
	g_free(repo);
	g_free(cachedir);
	g_free(home);
	g_free(macros);
	g_free(home_env);
	return ret;
}

int q_buildroot_prepare(const struct q_buildroot_spec *spec, const char *cache_dir, char *root_out,
			size_t size, struct q_error *err)
{
	char **dflt = NULL;
	GPtrArray *repos = NULL, *pkgs = NULL;
	char key[65];
	char *cache = NULL, *root = NULL, *lock = NULL, *tmp = NULL, *work = NULL;
	char *packages = NULL;
	int lock_fd = -1;
	int ret = -1;

	if (!cache_dir || !cache_dir[0]) {
		q_error_set(err, Q_EINVAL, "buildroot: no cache directory given");
		goto out;
	}
	if (spec_lists(spec, &dflt, &repos, &pkgs, err) < 0)
		goto out;
	key_of(spec, repos, pkgs, key);
	cache = g_canonicalize_filename(cache_dir, NULL);
	root = g_strdup_printf("%s/%s", cache, key);
	if (strlen(root) >= size) {
		q_error_set(err, Q_EINVAL, "buildroot: the path '%.200s' is too long", root);
		goto out;
	}
	if (is_dir(root))
		goto ready;
	if (q_fs_mkdirs(cache, 0755, err) < 0)
		goto out;
	lock = g_strdup_printf("%s.lock", root);
	lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (lock_fd < 0) {
		q_error_set(err, Q_EIO, "buildroot: cannot open '%s': %s", lock, strerror(errno));
		goto out;
	}
	while (flock(lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			q_error_set(err, Q_EIO, "buildroot: cannot lock '%s': %s", lock,
				    strerror(errno));
			goto out;
		}
	}
	if (is_dir(root)) /* another process made it while we waited */
		goto ready;
	remove_stale(cache, key);
	tmp = g_strdup_printf("%s.tmp-%d", root, (int)getpid());
	work = g_strdup_printf("%s.work-%d", root, (int)getpid());
	packages = g_strdup_printf("%s.packages", root);
	if (build_root(spec, repos, pkgs, tmp, work, packages, err) < 0)
		goto out;
	if (rename(tmp, root) < 0) {
		q_error_set(err, Q_EIO, "buildroot: cannot rename '%s' to '%s': %s", tmp, root,
			    strerror(errno));
		goto out;
	}
	q_fs_fsync_parent(root, NULL);
ready:
	snprintf(root_out, size, "%s", root);
	ret = 0;
out:
	if (tmp)
		q_fs_remove_tree(tmp, NULL);
	if (work)
		q_fs_remove_tree(work, NULL);
	if (lock_fd >= 0)
		close(lock_fd); /* releases the lock */
	if (repos)
		g_ptr_array_unref(repos);
	if (pkgs)
		g_ptr_array_unref(pkgs);
	g_strfreev(dflt);
	g_free(cache);
	g_free(root);
	g_free(lock);
	g_free(tmp);
	g_free(work);
	g_free(packages);
	return ret;
}
