/*
 * buildroot.c: the "installroot" buildroot backend (buildroot.h): dnf
 * --installroot of the project's buildroot repos into a cached root.
 *
 * DESIGN
 *  - Two caches in one directory. A base root CACHE/KEY: KEY the SHA-256 of
 *    the repos (each with the SHA-256 of its repomd.xml when the caller
 *    fetched it, q_buildroot_repomd: a repo that changes gives a new key),
 *    the base packages, the macros, the releasever and the gpg key. A build
 *    root CACHE/KEY2: KEY2 the SHA-256 of the base KEY and the sorted
 *    BuildRequires, made by a full copy (cp -a) of the base root plus a dnf
 *    install of the BuildRequires into the copy. Both are reused while
 *    their key holds; the sandbox binds them read-only, so a build cannot
 *    change a root another build will use.
 *  - dnf runs in the sandbox (sandbox.h, map_root): uid 0 of a user
 *    namespace that maps only the build user, CAP_SYS_CHROOT of that
 *    namespace and nothing else, the host's network only when a repo is
 *    http(s) (share_net), the file:// repos shown read-only. The
 *    scriptlets of the packages it installs (a SIG's own among them) never
 *    run as the host's root; the root's files belong to the build user on
 *    the host (and to "root" inside the sandbox), which changes nothing for
 *    a build: the root is read-only there.
 *  - That namespace maps one uid only, so rpm cannot give a file to another
 *    user than root: during a dnf run the root's /etc/passwd and /etc/group
 *    name root alone and rpm falls back to root for such files (as it does
 *    for any unknown user); the packages' own passwd and group are put back
 *    afterwards (ids_squash, ids_restore).
 *  - Everything dnf needs lives in CACHE/KEY.work-PID: an empty dnf.conf
 *    (`--config /dev/null` fails with dnf 4 on Debian; an empty file
 *    works), quarry.repo with one section per URL, dnf's cachedir, and a
 *    HOME with .rpmmacros setting %_dbpath /var/lib/rpm: Debian's rpm keeps
 *    its database in ~/.rpmdb, which inside an EL root would be the wrong
 *    place (EL's rpm looks in /var/lib/rpm) and would be hidden by the
 *    sandbox's tmpfs on /root. No host repo file or config is read
 *    (reposdir=/dev/null), weak dependencies are not installed.
 *  - dnf's output goes to WORK/dnf.log (and the caller's log_fd); on
 *    failure every "No match for argument: X" names a missing dependency
 *    (all of them, with the repos searched, as mock says it), else the last
 *    "Error: …" line goes into the message.
 *  - Then `rpm --root ROOT -qa` (same HOME, so the same %_dbpath) lists the
 *    root, written to CACHE/KEY.packages, and with the SHA-256 of each
 *    package file from the repos' primary.xml (createrepo_c's parser) to
 *    CACHE/KEY.contents.json; only then is KEY.tmp-PID
 *    renamed to KEY: a root that exists is complete. Stale KEY.tmp-* and
 *    KEY.work-* (a crash) are removed under the lock.
 *  - dnf leaves an expired_repos.json under ROOT/<its cachedir path>; that
 *    litter is removed before the rename.
 *
 * LIMITS
 *  - No time limit on dnf itself (its own network timeouts apply).
 *  - The root is not fsynced: after a power loss a root may be incomplete
 *    although renamed; delete CACHE/KEY to rebuild it.
 *  - Garbage: every use of a root touches its mtime; q_buildroot_gc removes
 *    the roots not used for Q_BUILDROOT_GC_AGE (7 days), renamed away under
 *    their lock first. A task that keeps a root longer than that (time
 *    limits are far shorter) could lose it under its feet.
 *  - A build root costs a full copy of the base root on a miss (about as
 *    long as the dnf install itself for a small base set); hard links or
 *    overlayfs would be faster but would share inodes with the base root.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "build/buildroot.h"
#include "build/sandbox.h"

#include <createrepo_c/createrepo_c.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <utime.h>

#define URL_MAX 2048
#define DNF_TIMEOUT 3600
#define REPOMD_MAX ((size_t)16 << 20)
#define PRIMARY_MAX ((int64_t)1 << 30)
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

/* A BuildRequires as dnf takes it: a name, a path or "cap OP version". */
static int dep_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 512 || s[0] == '-')
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f || *p == '\\' || *p == '\'' || *p == '"')
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
	if (spec->repomd) {
		/* Each repo with the hash of its metadata: sorted pairs. */
		GPtrArray *pairs = g_ptr_array_new_with_free_func(g_free);

		for (size_t i = 0; spec->repos[i]; i++)
			g_ptr_array_add(pairs,
					g_strdup_printf("repo %s %s\n", spec->repos[i],
							spec->repomd[i] ? spec->repomd[i] : "-"));
		g_ptr_array_sort(pairs, cmp_strp);
		for (guint i = 0; i < pairs->len; i++)
			if (i == 0 || strcmp(pairs->pdata[i], pairs->pdata[i - 1]))
				g_string_append(s, pairs->pdata[i]);
		g_ptr_array_unref(pairs);
	} else {
		for (guint i = 0; i < repos->len; i++)
			g_string_append_printf(s, "repo %s\n", (char *)repos->pdata[i]);
	}
	for (guint i = 0; i < pkgs->len; i++)
		g_string_append_printf(s, "package %s\n", (char *)pkgs->pdata[i]);
	if (spec->macros && spec->macros[0]) {
		GPtrArray *m = sorted_distinct(spec->macros);

		for (guint i = 0; i < m->len; i++)
			g_string_append_printf(s, "macro %s\n", (char *)m->pdata[i]);
		g_ptr_array_unref(m);
	}
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

/* ---- fetching repo metadata ---- */

static size_t curl_to_string(char *ptr, size_t size, size_t nmemb, void *data)
{
	GString *b = data;
	size_t n = size * nmemb;

	if (b->len + n > REPOMD_MAX)
		return 0;
	g_string_append_len(b, ptr, (gssize)n);
	return n;
}

static size_t curl_to_file(char *ptr, size_t size, size_t nmemb, void *data)
{
	return fwrite(ptr, size, nmemb, data) * size;
}

/* URL (file:// or http(s)://) into *text (REPOMD_MAX at most) or, with dest, a file. */
static int fetch(const char *url, const char *dest, GString *text, struct q_error *err)
{
	CURL *c;
	CURLcode rc;
	long code = 0;
	FILE *f = NULL;
	char cerr[CURL_ERROR_SIZE] = "";

	if (!strncmp(url, "file://", 7)) {
		char *data = NULL;
		size_t len = 0;

		if (dest)
			return q_fs_copy_file(url + 7, dest, 0644, err);
		if (q_fs_read_file(url + 7, REPOMD_MAX, &data, &len, err) < 0)
			return -1;
		g_string_append_len(text, data, (gssize)len);
		free(data);
		return 0;
	}
	c = curl_easy_init();
	if (!c)
		return q_error_set(err, Q_EINTERNAL, "cannot initialise libcurl");
	if (dest && !(f = fopen(dest, "we"))) {
		curl_easy_cleanup(c);
		return q_error_set(err, Q_EIO, "cannot create '%s': %s", dest, strerror(errno));
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PRIMARY_MAX);
	if (dest) {
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_to_file);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	} else {
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_to_string);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, text);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (f && fclose(f) != 0 && rc == CURLE_OK)
		return q_error_set(err, Q_EIO, "cannot write '%s'", dest);
	if (rc != CURLE_OK)
		return q_error_set(err, Q_EIO, "cannot fetch '%.300s': %s", url,
				   cerr[0] ? cerr : curl_easy_strerror(rc));
	if (code != 200)
		return q_error_set(err, Q_EIO, "cannot fetch '%.300s': HTTP %ld", url, code);
	return 0;
}

int q_buildroot_fetch_file(const char *url, const char *dest, struct q_error *err)
{
	return fetch(url, dest, NULL, err);
}

int q_buildroot_fetch_text(const char *url, char **text, size_t *len, struct q_error *err)
{
	GString *t = g_string_new("");

	if (fetch(url, NULL, t, err) < 0) {
		g_string_free(t, TRUE);
		return -1;
	}
	*len = t->len;
	*text = g_string_free(t, FALSE);
	return 0;
}

static char *repo_file_url(const char *base, const char *rel)
{
	return g_strdup_printf("%s%s%s", base, g_str_has_suffix(base, "/") ? "" : "/", rel);
}

int q_buildroot_repomd(const char *url, char sha[65], struct q_error *err)
{
	char *u;
	GString *t;
	int rc;

	if (!url_ok(url))
		return q_error_set(err, Q_EINVAL,
				   "buildroot: repo '%.200s' is not an http://, https:// or "
				   "file:/// URL without spaces",
				   url);
	u = repo_file_url(url, "repodata/repomd.xml");
	t = g_string_new("");
	rc = fetch(u, NULL, t, err);
	if (rc == 0)
		q_hash_sha256_buf(t->str, t->len, sha);
	else
		q_error_prefix(err, "buildroot: repo '%.200s'", url);
	g_string_free(t, TRUE);
	g_free(u);
	return rc;
}

/* The href of the primary metadata in a repomd.xml (g_free), or NULL. */
static char *primary_href(const char *repomd)
{
	const char *p = strstr(repomd, "type=\"primary\"");
	const char *h, *e;

	if (!p)
		return NULL;
	h = strstr(p, "<location");
	h = h ? strstr(h, "href=\"") : NULL;
	if (!h)
		return NULL;
	h += 6;
	e = strchr(h, '"');
	if (!e || e == h || memchr(h, '/', 1) || strstr(h, ".."))
		return NULL;
	return g_strndup(h, (gsize)(e - h));
}

static int primary_pkg(cr_Package *pkg, void *data, GError **gerr)
{
	GHashTable *sums = data;
	const char *epoch = pkg->epoch && strcmp(pkg->epoch, "0") ? pkg->epoch : NULL;
	char *nevra = g_strdup_printf("%s-%s%s%s-%s.%s", pkg->name, epoch ? epoch : "",
				      epoch ? ":" : "", pkg->version, pkg->release, pkg->arch);

	(void)gerr;
	if (pkg->checksum_type && !strcmp(pkg->checksum_type, "sha256") && pkg->pkgId)
		g_hash_table_insert(sums, nevra, g_strdup(pkg->pkgId));
	else
		g_free(nevra);
	cr_package_free(pkg);
	return CR_CB_RET_OK;
}

/* NEVRA -> sha256 of every package of the repo at url, into sums. */
static int repo_sums(const char *url, const char *work, GHashTable *sums, struct q_error *err)
{
	char *u = repo_file_url(url, "repodata/repomd.xml");
	char *dest = g_strdup_printf("%s/primary.xml", work);
	GString *t = g_string_new("");
	char *href = NULL, *pu = NULL;
	GError *gerr = NULL;
	int rc = -1;

	if (fetch(u, NULL, t, err) < 0)
		goto out;
	href = primary_href(t->str);
	if (!href) {
		q_error_set(err, Q_EIO, "buildroot: '%.300s' names no primary metadata", u);
		goto out;
	}
	/* Keep the compression suffix: the parser detects it from the name. */
	g_free(dest);
	dest = g_strdup_printf("%s/primary-%s", work,
			       strrchr(href, '/') ? strrchr(href, '/') + 1 : href);
	pu = repo_file_url(url, href);
	if (fetch(pu, dest, NULL, err) < 0)
		goto out;
	if (cr_xml_parse_primary(dest, NULL, NULL, primary_pkg, sums, NULL, NULL, FALSE, &gerr) !=
	    CRE_OK) {
		q_error_set(err, Q_EIO, "buildroot: cannot parse '%.300s': %s", pu,
			    gerr ? gerr->message : "?");
		goto out;
	}
	rc = 0;
out:
	if (gerr)
		g_error_free(gerr);
	unlink(dest);
	g_string_free(t, TRUE);
	g_free(href);
	g_free(pu);
	g_free(dest);
	g_free(u);
	return rc;
}

/* ---- dnf in the sandbox ---- */

/* The directory of a file:// URL (to show in the sandbox), or NULL. */
static const char *file_dir(const char *url)
{
	return !strncmp(url, "file://", 7) ? url + 7 : NULL;
}

/* What dnf says is missing: every "No match for argument: X". */
static GPtrArray *dnf_missing(const char *text)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	char **lines = g_strsplit(text ? text : "", "\n", -1);

	for (size_t i = 0; lines[i]; i++) {
		const char *m = strstr(lines[i], "No match for argument: ");

		if (m) {
			char *x = g_strstrip(g_strdup(m + strlen("No match for argument: ")));
			int dup = 0;

			for (guint j = 0; j < a->len; j++)
				dup |= !strcmp(a->pdata[j], x);
			if (dup || !x[0])
				g_free(x);
			else
				g_ptr_array_add(a, x);
		}
	}
	g_strfreev(lines);
	return a;
}

/* ", "-joined "NAME URL" of the spec's repos (the "searched:" of a message). */
static char *searched(const struct q_buildroot_spec *spec)
{
	GString *s = g_string_new("");

	for (size_t i = 0; spec->repos[i]; i++)
		g_string_append_printf(s, "%s%s %s", i ? ", " : "",
				       spec->repo_names && spec->repo_names[i] ? spec->repo_names[i]
									       : "repo",
				       spec->repos[i]);
	return g_string_free(s, FALSE);
}

/*
 * The user namespace dnf runs in maps one uid (the build user, as 0): rpm
 * cannot chown a file to any other user and fails the transaction. So
 * during a dnf run the root's /etc/passwd and /etc/group name root only:
 * rpm then gives such files to root ("user X does not exist - using root").
 * Afterwards the packages' own files come back (their .rpmnew when the
 * run installed setup over ours, which is %config(noreplace)).
 */
static const char *const id_files[] = {"passwd", "group", NULL};

static void ids_squash(const char *root)
{
	for (size_t i = 0; id_files[i]; i++) {
		char *f = g_strdup_printf("%s/etc/%s", root, id_files[i]);
		char *saved = g_strdup_printf("%s.quarry-saved", f);
		char *etc = g_strdup_printf("%s/etc", root);

		q_fs_mkdirs(etc, 0755, NULL);
		if (rename(f, saved) < 0 && errno != ENOENT)
			q_debug("buildroot: cannot move '%s': %s", f, strerror(errno));
		q_fs_write_atomic(f, i == 0 ? "root:x:0:0:root:/root:/bin/bash\n" : "root:x:0:\n",
				  i == 0 ? 32 : 10, 0644, NULL);
		g_free(etc);
		g_free(saved);
		g_free(f);
	}
}

static void ids_restore(const char *root)
{
	for (size_t i = 0; id_files[i]; i++) {
		char *f = g_strdup_printf("%s/etc/%s", root, id_files[i]);
		char *saved = g_strdup_printf("%s.quarry-saved", f);
		char *rpmnew = g_strdup_printf("%s.rpmnew", f);

		if (rename(rpmnew, f) == 0)
			unlink(saved);
		else if (rename(saved, f) < 0 && errno == ENOENT)
			q_debug("buildroot: no package gives '%s'", f);
		g_free(rpmnew);
		g_free(saved);
		g_free(f);
	}
}

/*
 * dnf install pkgs into work/root (the sandbox's workdir is work). 0, or -1
 * with err (Q_ENOTFOUND: some of pkgs match nothing).
 */
static int dnf_install(const struct q_buildroot_spec *spec, const char *work, GPtrArray *pkgs,
		       struct q_error *err)
{
	char *root = g_strdup_printf("%s/root", work);
	char *conf = g_strdup_printf("%s/dnf.conf", work);
	char *repo = g_strdup_printf("%s/quarry.repo", work);
	char *cachedir = g_strdup_printf("%s/cache", work);
	char *home = g_strdup_printf("%s/home", work);
	char *macros = g_strdup_printf("%s/.rpmmacros", home);
	char *home_env = g_strdup_printf("HOME=%s", home);
	char *log = g_strdup_printf("%s/dnf.log", work);
	const char *env[] = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C.UTF-8", home_env, NULL};
	GPtrArray *show = g_ptr_array_new();
	GString *r = g_string_new("");
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	struct q_sandbox sb = {0};
	struct q_sandbox_result res = {0};
	char *text = NULL;
	size_t len = 0;
	int fd = -1, net = 0;
	int ret = -1;

	if (q_fs_mkdirs(root, 0755, err) < 0 || q_fs_mkdirs(home, 0700, err) < 0 ||
	    q_fs_mkdirs(cachedir, 0700, err) < 0)
		goto out;
	for (size_t i = 0; spec->repos[i]; i++) {
		g_string_append_printf(
		    r, "[quarry-%zu]\nname=%s\nbaseurl=%s\nmetadata_expire=0\n", i,
		    spec->repo_names && spec->repo_names[i] ? spec->repo_names[i]
							    : "quarry buildroot repo",
		    spec->repos[i]);
		if (spec->gpgkey)
			g_string_append_printf(r, "gpgcheck=1\ngpgkey=%s\n", spec->gpgkey);
		else
			g_string_append(r, "gpgcheck=0\n");
		g_string_append(r, "enabled=1\nskip_if_unavailable=False\n\n");
		if (file_dir(spec->repos[i]))
			g_ptr_array_add(show, (gpointer)file_dir(spec->repos[i]));
		else
			net = 1;
	}
	if (spec->gpgkey) {
		if (file_dir(spec->gpgkey))
			g_ptr_array_add(show, (gpointer)file_dir(spec->gpgkey));
		else
			net = 1;
	}
	g_ptr_array_add(show, NULL);
	if (write_text(conf, "", err) < 0 || write_text(repo, r->str, err) < 0 ||
	    write_text(macros, "%_dbpath /var/lib/rpm\n", err) < 0)
		goto out;

	g_ptr_array_add(argv, g_strdup("dnf"));
	g_ptr_array_add(argv, g_strdup("-y"));
	g_ptr_array_add(argv, g_strdup("--installroot"));
	g_ptr_array_add(argv, g_strdup(root));
	g_ptr_array_add(argv, g_strdup("--releasever"));
	g_ptr_array_add(argv, g_strdup(spec->releasever));
	g_ptr_array_add(argv, g_strdup("--setopt=reposdir=/dev/null"));
	g_ptr_array_add(argv, g_strdup("--config"));
	g_ptr_array_add(argv, g_strdup(conf));
	g_ptr_array_add(argv, g_strdup_printf("--setopt=cachedir=%s", cachedir));
	g_ptr_array_add(argv, g_strdup("--setopt=install_weak_deps=False"));
	g_ptr_array_add(argv, g_strdup("--noplugins"));
	if (!spec->gpgkey)
		g_ptr_array_add(argv, g_strdup("--nogpgcheck"));
	g_ptr_array_add(argv, g_strdup("-c"));
	g_ptr_array_add(argv, g_strdup(repo));
	g_ptr_array_add(argv, g_strdup("install"));
	for (guint i = 0; i < pkgs->len; i++)
		g_ptr_array_add(argv, g_strdup(pkgs->pdata[i]));
	g_ptr_array_add(argv, NULL);

	fd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		q_error_set(err, Q_EIO, "buildroot: cannot create '%s': %s", log, strerror(errno));
		goto out;
	}
	sb.backend = "host";
	sb.workdir = work;
	sb.argv = (const char *const *)argv->pdata;
	sb.env = env;
	sb.show = (const char *const *)show->pdata;
	sb.log_fd = fd;
	sb.timeout_sec = DNF_TIMEOUT;
	sb.max_files = 16384;
	sb.map_root = 1;
	sb.share_net = net;
	ids_squash(root);
	if (q_sandbox_run(&sb, &res, NULL, err) < 0) {
		ids_restore(root);
		q_error_prefix(err, "buildroot: cannot run dnf in the sandbox");
		goto out;
	}
	ids_restore(root);
	if (q_fs_read_file(log, (size_t)64 << 20, &text, &len, NULL) < 0)
		text = NULL;
	if (spec->log_fd > 0 && text && write(spec->log_fd, text, len) < 0)
		(void)0;
	if (res.status != Q_SANDBOX_OK) {
		GPtrArray *missing = dnf_missing(text);

		if (missing->len) {
			char *where = searched(spec);

			g_ptr_array_add(missing, NULL);
			{
				char *names = g_strjoinv(", ", (char **)missing->pdata);

				q_error_set(err, Q_ENOTFOUND,
					    "No matching package to install: %.1500s (searched: "
					    "%.1500s)",
					    names, where);
				g_free(names);
			}
			g_free(where);
		} else {
			char line[600];

			pick_error(text, NULL, line, sizeof(line));
			q_error_set(err, Q_EIO, "buildroot: dnf failed%s: %s",
				    res.status == Q_SANDBOX_TIMEOUT ? " (time limit)" : "", line);
		}
		g_ptr_array_unref(missing);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	g_ptr_array_unref(argv);
	g_ptr_array_unref(show);
	g_string_free(r, TRUE);
	g_free(root);
	g_free(conf);
	g_free(repo);
	g_free(cachedir);
	g_free(home);
	g_free(macros);
	g_free(home_env);
	g_free(log);
	return ret;
}

/*
 * List work/root (rpm -qa) into packages_file (NEVRA lines) and
 * contents_file ([{nevra, sha256}] from the repos' primary.xml); remove
 * dnf's litter. 0, or -1 with err.
 */
static int record_root(const struct q_buildroot_spec *spec, const char *work,
		       const char *packages_file, const char *contents_file, struct q_error *err)
{
	char *root = g_strdup_printf("%s/root", work);
	char *cachedir = g_strdup_printf("%s/cache", work);
	char *home_env = g_strdup_printf("HOME=%s/home", work);
	char *env[] = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C.UTF-8", home_env, NULL};
	GHashTable *sums = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	json_t *contents = json_array();
	char *list = NULL, *sorted = NULL, *text = NULL;
	int ret = -1;

	{
		char *qa[] = {
		    "rpm",  "--root",
		    root,   "-qa",
		    "--qf", "%{NAME}-%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}.%{ARCH}\\n",
		    NULL};

		if (run_tool("rpm -qa", qa, env, &list, err) < 0)
			goto out;
	}
	sorted = sorted_lines(list);
	if (!sorted[0]) {
		q_error_set(err, Q_EIO, "buildroot: dnf installed nothing into '%.200s'", root);
		goto out;
	}
	for (size_t i = 0; spec->repos[i]; i++) {
		struct q_error e2 = {0};

		/* A repo whose metadata cannot be read again leaves sha256 "" (not fatal). */
		if (repo_sums(spec->repos[i], work, sums, &e2) < 0)
			q_debug("%s", e2.msg);
	}
	{
		char **lines = g_strsplit(sorted, "\n", -1);

		for (size_t i = 0; lines[i]; i++) {
			const char *sha;

			if (!lines[i][0])
				continue;
			sha = g_hash_table_lookup(sums, lines[i]);
			json_array_append_new(contents, json_pack("{ss ss}", "nevra", lines[i],
								  "sha256", sha ? sha : ""));
		}
		g_strfreev(lines);
	}
	text = json_dumps(contents, JSON_INDENT(1));
	if (!text || write_text(contents_file, text, err) < 0 ||
	    write_text(packages_file, sorted, err) < 0)
		goto out;
	/* dnf's litter: ROOT/<cachedir>/expired_repos.json and its parents. */
	{
		char *litter = g_strdup_printf("%s%s", root, cachedir);

		q_fs_remove_tree(litter, NULL);
		while (strlen(litter) > strlen(root)) {
			char *up = g_path_get_dirname(litter);

			g_free(litter);
			litter = up;
			if (strlen(litter) <= strlen(root) || rmdir(litter) < 0)
				break;
		}
		g_free(litter);
	}
	ret = 0;
out:
	free(text);
	json_decref(contents);
	g_hash_table_unref(sums);
	g_free(list);
	g_free(sorted);
	g_free(root);
	g_free(cachedir);
	g_free(home_env);
	return ret;
}

static double now_sec(void)
{
	return (double)g_get_monotonic_time() / G_USEC_PER_SEC;
}

/* Lock CACHE/KEY.lock (exclusive); the fd, or -1 with err. */
static int lock_key(const char *root, int nonblock, struct q_error *err)
{
	char *lock = g_strdup_printf("%s.lock", root);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0) {
		q_error_set(err, Q_EIO, "buildroot: cannot open '%s': %s", lock, strerror(errno));
		g_free(lock);
		return -1;
	}
	while (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0) {
		if (errno != EINTR) {
			q_error_set(err, Q_EIO, "buildroot: cannot lock '%s': %s", lock,
				    strerror(errno));
			close(fd);
			g_free(lock);
			return -1;
		}
	}
	g_free(lock);
	return fd;
}

typedef int (*make_fn)(const void *arg, const char *work, struct q_error *err);

/*
 * CACHE/KEY ready (hit), or made by make(arg, WORK) in CACHE/KEY.work-PID
 * (which leaves WORK/root) and renamed into place. 0, or -1 with err.
 */
static int cached_root(const struct q_buildroot_spec *spec, const char *cache_dir, const char *key,
		       make_fn make, const void *arg, struct q_buildroot_info *info,
		       struct q_error *err)
{
	char *cache = g_canonicalize_filename(cache_dir, NULL);
	char *root = g_strdup_printf("%s/%s", cache, key);
	char *work = NULL, *made = NULL, *packages = NULL, *contents = NULL;
	double start = now_sec();
	int lock_fd = -1;
	int ret = -1;

	snprintf(info->key, sizeof(info->key), "%s", key);
	info->hit = 0;
	if (strlen(root) >= sizeof(info->root)) {
		q_error_set(err, Q_EINVAL, "buildroot: the path '%.200s' is too long", root);
		goto out;
	}
	snprintf(info->root, sizeof(info->root), "%s", root);
	if (is_dir(root)) {
		info->hit = 1;
		goto ready;
	}
	if (q_fs_mkdirs(cache, 0755, err) < 0)
		goto out;
	lock_fd = lock_key(root, 0, err);
	if (lock_fd < 0)
		goto out;
	if (is_dir(root)) { /* another process made it while we waited */
		info->hit = 1;
		goto ready;
	}
	remove_stale(cache, key);
	work = g_strdup_printf("%s.work-%d", root, (int)getpid());
	made = g_strdup_printf("%s/root", work);
	packages = g_strdup_printf("%s.packages", root);
	contents = g_strdup_printf("%s.contents.json", root);
	if (q_fs_mkdirs(work, 0755, err) < 0 || make(arg, work, err) < 0 ||
	    record_root(spec, work, packages, contents, err) < 0)
		goto out;
	if (rename(made, root) < 0) {
		q_error_set(err, Q_EIO, "buildroot: cannot rename '%s' to '%s': %s", made, root,
			    strerror(errno));
		goto out;
	}
	q_fs_fsync_parent(root, NULL);
ready:
	utime(root, NULL); /* used now: the garbage collector's clock */
	info->seconds = now_sec() - start;
	ret = 0;
out:
	if (work)
		q_fs_remove_tree(work, NULL);
	if (lock_fd >= 0)
		close(lock_fd); /* releases the lock */
	g_free(cache);
	g_free(root);
	g_free(work);
	g_free(made);
	g_free(packages);
	g_free(contents);
	return ret;
}

struct base_arg {
	const struct q_buildroot_spec *spec;
	GPtrArray *pkgs;
};

static int make_base(const void *arg, const char *work, struct q_error *err)
{
	const struct base_arg *b = arg;

	return dnf_install(b->spec, work, b->pkgs, err);
}

int q_buildroot_prepare_base(const struct q_buildroot_spec *spec, const char *cache_dir,
			     struct q_buildroot_info *info, struct q_error *err)
{
	char **dflt = NULL;
	GPtrArray *repos = NULL, *pkgs = NULL;
	char key[65];
	int ret = -1;

	memset(info, 0, sizeof(*info));
	if (!cache_dir || !cache_dir[0]) {
		q_error_set(err, Q_EINVAL, "buildroot: no cache directory given");
		goto out;
	}
	if (spec_lists(spec, &dflt, &repos, &pkgs, err) < 0)
		goto out;
	key_of(spec, repos, pkgs, key);
	{
		struct base_arg b = {spec, pkgs};

		ret = cached_root(spec, cache_dir, key, make_base, &b, info, err);
	}
out:
	if (repos)
		g_ptr_array_unref(repos);
	if (pkgs)
		g_ptr_array_unref(pkgs);
	g_strfreev(dflt);
	return ret;
}

int q_buildroot_prepare(const struct q_buildroot_spec *spec, const char *cache_dir, char *root_out,
			size_t size, struct q_error *err)
{
	struct q_buildroot_info info;

	if (q_buildroot_prepare_base(spec, cache_dir, &info, err) < 0)
		return -1;
	if (strlen(info.root) >= size)
		return q_error_set(err, Q_EINVAL, "buildroot: the path '%.200s' is too long",
				   info.root);
	snprintf(root_out, size, "%s", info.root);
	return 0;
}

struct deps_arg {
	const struct q_buildroot_spec *spec;
	const char *base;
	GPtrArray *deps;
	char **installed;
};

static int make_deps(const void *arg, const char *work, struct q_error *err)
{
	const struct deps_arg *d = arg;
	char *root = g_strdup_printf("%s/root", work);
	char *before = NULL, *after = NULL;
	char *cp[] = {"cp", "-a", "--reflink=auto", (char *)d->base, root, NULL};
	char *env[] = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL};
	int ret = -1;

	if (run_tool("cp -a of the base root", cp, env, NULL, err) < 0)
		goto out;
	if (dnf_install(d->spec, work, d->deps, err) < 0)
		goto out;
	if (d->installed) {
		/* What dnf added: the root's list against the base root's. */
		char *bp = g_strdup_printf("%s.packages", d->base);
		char *qa[] = {
		    "rpm",  "--root",
		    root,   "-qa",
		    "--qf", "%{NAME}-%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}.%{ARCH}\\n",
		    NULL};
		char *home_env = g_strdup_printf("HOME=%s/home", work);
		char *qenv[] = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", home_env, NULL};
		size_t len;

		if (q_fs_read_file(bp, (size_t)16 << 20, &before, &len, NULL) == 0 &&
		    run_tool("rpm -qa", qa, qenv, &after, NULL) == 0) {
			char *sorted = sorted_lines(after);
			char **lines = g_strsplit(sorted, "\n", -1);
			GString *s = g_string_new("");
			GHashTable *had = g_hash_table_new(g_str_hash, g_str_equal);
			char **bl = g_strsplit(before, "\n", -1);

			for (size_t i = 0; bl[i]; i++)
				g_hash_table_add(had, bl[i]);
			for (size_t i = 0; lines[i]; i++)
				if (lines[i][0] && !g_hash_table_contains(had, lines[i]))
					g_string_append_printf(s, "%s\n", lines[i]);
			*d->installed = g_string_free(s, FALSE);
			g_hash_table_unref(had);
			g_strfreev(bl);
			g_strfreev(lines);
			g_free(sorted);
		}
		g_free(bp);
		g_free(home_env);
	}
	ret = 0;
out:
	free(before);
	g_free(after);
	g_free(root);
	return ret;
}

int q_buildroot_prepare_deps(const struct q_buildroot_spec *spec,
			     const struct q_buildroot_info *base, const char *const *deps,
			     const char *cache_dir, struct q_buildroot_info *info, char **installed,
			     struct q_error *err)
{
	GPtrArray *d = NULL;
	char key[65];
	int ret = -1;

	if (installed)
		*installed = NULL;
	memset(info, 0, sizeof(*info));
	for (size_t i = 0; deps && deps[i]; i++) {
		if (i >= Q_BUILDROOT_MAX_PACKAGES)
			return q_error_set(err, Q_EINVAL, "buildroot: more than %d BuildRequires",
					   Q_BUILDROOT_MAX_PACKAGES);
		if (!dep_ok(deps[i]))
			return q_error_set(err, Q_EINVAL,
					   "buildroot: BuildRequires '%.200s' is not a package "
					   "name or capability",
					   deps[i]);
	}
	if (!deps || !deps[0]) {
		*info = *base;
		info->hit = 1;
		info->seconds = 0;
		if (installed)
			*installed = g_strdup("");
		return 0;
	}
	d = sorted_distinct(deps);
	{
		GString *s = g_string_new("quarry-buildroot-deps-v1\n");

		g_string_append_printf(s, "base %s\n", base->key);
		for (guint i = 0; i < d->len; i++)
			g_string_append_printf(s, "dep %s\n", (char *)d->pdata[i]);
		q_hash_sha256_buf(s->str, s->len, key);
		g_string_free(s, TRUE);
	}
	{
		struct deps_arg a = {spec, base->root, d, installed};

		ret = cached_root(spec, cache_dir, key, make_deps, &a, info, err);
	}
	if (ret == 0 && installed && !*installed)
		*installed = g_strdup("");
	g_ptr_array_unref(d);
	return ret;
}

json_t *q_buildroot_contents(const char *root, struct q_error *err)
{
	char *path = g_strdup_printf("%s.contents.json", root);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	if (!json_is_array(j)) {
		q_error_set(err, Q_EIO, "buildroot: cannot read '%s': %s", path, jerr.text);
		json_decref(j);
		j = NULL;
	}
	g_free(path);
	return j;
}

static int is_key(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!g_ascii_isxdigit(*s))
			return 0;
	return 1;
}

int q_buildroot_gc(const char *cache_dir, long max_age)
{
	DIR *d = opendir(cache_dir);
	struct dirent *de;
	time_t now = time(NULL);
	int removed = 0;

	while (d && (de = readdir(d))) {
		char *root, *gone;
		struct stat st;
		int fd;

		if (!is_key(de->d_name))
			continue;
		root = g_strdup_printf("%s/%s", cache_dir, de->d_name);
		if (lstat(root, &st) < 0 || !S_ISDIR(st.st_mode) || now - st.st_mtime < max_age) {
			g_free(root);
			continue;
		}
		fd = lock_key(root, 1, NULL);
		gone = g_strdup_printf("%s.gc-%d", root, (int)getpid());
		if (fd >= 0 && lstat(root, &st) == 0 && now - st.st_mtime >= max_age &&
		    rename(root, gone) == 0) {
			const char *ext[] = {".packages", ".contents.json", NULL};

			q_fs_remove_tree(gone, NULL);
			for (size_t i = 0; ext[i]; i++) {
				char *f = g_strdup_printf("%s%s", root, ext[i]);

				unlink(f);
				g_free(f);
			}
			removed++;
		}
		if (fd >= 0)
			close(fd);
		g_free(gone);
		g_free(root);
	}
	if (d)
		closedir(d);
	return removed;
}
