/*
 * remote.c: remote repos (http://, https://) for the checks (check.h,
 * q_check_remote_repo). The checks run in a sandbox without network, so
 * the hub copies what they read beforehand, into a cache keyed by the
 * SHA-256 of the repo's repomd.xml, as dnf keeps its metadata:
 *
 *   CACHE/SHA/repodata/repomd.xml   as fetched
 *   CACHE/SHA/repodata/…            the primary, filelists and modules
 *                                   files it lists (checksums verified;
 *                                   "other" and the sqlite databases are
 *                                   not needed by libsolv nor dnf)
 *   CACHE/SHA/Packages/…            package files the installable check
 *                                   asked for (q_check_remote_file)
 *   CACHE/SHA/url                   where it came from
 *
 * repomd.xml is fetched every time (a few KiB); when CACHE/SHA exists the
 * rest is not. A copy is made in CACHE/SHA.tmp-XXXXXX and renamed into
 * place only when complete, so a failed fetch never leaves a copy that
 * looks ready. Every href is checked to stay inside the repo.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "build/buildroot.h"
#include "check/check.h"

#include <createrepo_c/createrepo_c.h>
#include <sys/stat.h>

int q_check_remote_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* A relative path inside the repo: no "..", no leading '/', plain characters. */
static int href_ok(const char *h)
{
	if (!h || !*h || *h == '/' || strlen(h) > 1024)
		return 0;
	for (const char *p = h; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\\' || *p == '?' ||
		    *p == '#' || *p == '%')
			return 0;
	for (const char *p = h; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (!strncmp(p, "..", 2) && (p[2] == '/' || p[2] == '\0'))
			return 0;
	return 1;
}

static char *join_url(const char *base, const char *rel)
{
	return g_strdup_printf("%s%s%s", base, g_str_has_suffix(base, "/") ? "" : "/", rel);
}

/* Make the parent directories of dir/rel. */
static int mkparents(const char *dir, const char *rel, struct q_error *err)
{
	char *path = g_strdup_printf("%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	int rc = 0;

	*slash = '\0';
	rc = q_fs_mkdirs(path, 0755, err);
	g_free(path);
	return rc;
}

static int fetch_record(const char *url, const char *tmp, cr_RepomdRecord *rec, struct q_error *err)
{
	char *u, *dest;
	char sha[Q_SHA256_HEX];
	int rc = -1;

	if (!href_ok(rec->location_href) || strncmp(rec->location_href, "repodata/", 9))
		return q_error_set(err, Q_EIO,
				   "repo '%.300s': repomd.xml names '%.200s' for %s, outside "
				   "repodata/",
				   url, rec->location_href ? rec->location_href : "", rec->type);
	if (rec->location_base && *rec->location_base)
		return q_error_set(err, Q_EIO,
				   "repo '%.300s': repomd.xml puts %s at another base (xml:base)",
				   url, rec->type);
	if (mkparents(tmp, rec->location_href, err) < 0)
		return -1;
	u = join_url(url, rec->location_href);
	dest = g_strdup_printf("%s/%s", tmp, rec->location_href);
	if (q_buildroot_fetch_file(u, dest, err) < 0)
		goto out;
	if (rec->checksum_type && !strcmp(rec->checksum_type, "sha256") && rec->checksum) {
		if (q_hash_sha256_file(dest, sha, err) < 0)
			goto out;
		if (strcmp(sha, rec->checksum)) {
			q_error_set(err, Q_EIO,
				    "'%.300s' has SHA-256 %s, but repomd.xml says %.64s (the repo "
				    "changed while it was read?)",
				    u, sha, rec->checksum);
			goto out;
		}
	}
	chmod(dest, 0644);
	rc = 0;
out:
	g_free(u);
	g_free(dest);
	return rc;
}

int q_check_remote_repo(const char *url, const char *cache, char *dir, size_t size, int *hit,
			struct q_error *err)
{
	char *md_url = join_url(url, "repodata/repomd.xml");
	char *text = NULL, *tmp = NULL, *path = NULL;
	char sha[Q_SHA256_HEX];
	size_t len = 0;
	cr_Repomd *repomd = NULL;
	GError *gerr = NULL;
	int rc = -1;

	*hit = 0;
	if (!q_check_remote_url(url))
		return q_error_set(err, Q_EINVAL, "'%.300s' is not an http:// or https:// URL",
				   url);
	if (q_buildroot_fetch_text(md_url, &text, &len, err) < 0)
		goto out;
	q_hash_sha256_buf(text, len, sha);
	if (snprintf(dir, size, "%s/%s", cache, sha) >= (int)size) {
		q_error_set(err, Q_EINVAL, "the cache directory '%s' is too long", cache);
		goto out;
	}
	path = g_strdup_printf("%s/repodata/repomd.xml", dir);
	if (q_fs_exists(path)) {
		*hit = 1;
		rc = 0;
		goto out;
	}
	if (q_fs_mkdirs(cache, 0755, err) < 0)
		goto out;
	tmp = g_strdup_printf("%s/%s.tmp-XXXXXX", cache, sha);
	if (!mkdtemp(tmp)) {
		q_error_set(err, Q_EIO, "cannot create a directory in '%s': %s", cache,
			    strerror(errno));
		g_free(tmp);
		tmp = NULL;
		goto out;
	}
	chmod(tmp, 0755);
	g_free(path);
	path = g_strdup_printf("%s/repodata", tmp);
	if (q_fs_mkdirs(path, 0755, err) < 0)
		goto out;
	g_free(path);
	path = g_strdup_printf("%s/repodata/repomd.xml", tmp);
	if (q_fs_write_atomic(path, text, len, 0644, err) < 0)
		goto out;
	repomd = cr_repomd_new();
	if (cr_xml_parse_repomd(path, repomd, NULL, NULL, &gerr) != CRE_OK) {
		q_error_set(err, Q_EIO, "cannot parse '%.300s': %s", md_url,
			    gerr ? gerr->message : "?");
		goto out;
	}
	{
		int primary = 0;

		for (GSList *l = repomd->records; l; l = l->next) {
			cr_RepomdRecord *rec = l->data;

			if (!rec->type ||
			    (strcmp(rec->type, "primary") && strcmp(rec->type, "filelists") &&
			     strcmp(rec->type, "modules")))
				continue;
			if (fetch_record(url, tmp, rec, err) < 0)
				goto out;
			primary |= !strcmp(rec->type, "primary");
		}
		if (!primary) {
			q_error_set(err, Q_EIO, "'%.300s' lists no primary metadata", md_url);
			goto out;
		}
	}
	g_free(path);
	path = g_strdup_printf("%s/url", tmp);
	if (q_fs_write_atomic(path, url, strlen(url), 0644, err) < 0)
		goto out;
	if (rename(tmp, dir) < 0) {
		/* Another hub made it meanwhile: theirs is as good. */
		if (errno != EEXIST && errno != ENOTEMPTY) {
			q_error_set(err, Q_EIO, "cannot rename '%s': %s", tmp, strerror(errno));
			goto out;
		}
	} else {
		g_free(tmp);
		tmp = NULL;
	}
	rc = 0;
out:
	if (tmp) {
		struct q_error ignore = {0};

		q_fs_remove_tree(tmp, &ignore);
	}
	if (gerr)
		g_error_free(gerr);
	if (repomd)
		cr_repomd_free(repomd);
	g_free(tmp);
	g_free(path);
	g_free(md_url);
	g_free(text);
	return rc;
}

int q_check_remote_file(const char *url, const char *dir, const char *rel, struct q_error *err)
{
	char *u, *dest, *part;
	int rc = -1;

	if (!href_ok(rel))
		return q_error_set(err, Q_EINVAL, "'%.200s' is not a path inside the repo", rel);
	dest = g_strdup_printf("%s/%s", dir, rel);
	if (q_fs_exists(dest)) {
		g_free(dest);
		return 0;
	}
	u = join_url(url, rel);
	part = g_strdup_printf("%s.part-%ld", dest, (long)getpid());
	if (mkparents(dir, rel, err) < 0 || q_buildroot_fetch_file(u, part, err) < 0)
		goto out;
	chmod(part, 0644);
	if (rename(part, dest) < 0) {
		q_error_set(err, Q_EIO, "cannot rename '%s': %s", part, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	unlink(part);
	g_free(part);
	g_free(u);
	g_free(dest);
	return rc;
}
