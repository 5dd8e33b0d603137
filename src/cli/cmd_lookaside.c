/*
 * cmd_lookaside.c: the lookaside cache from a packager's side, as fedpkg.
 *
 *  - `quarry lookaside upload SIG FILE…`: store source tarballs in a SIG's
 *    lookaside cache and print the lines to commit in the package's
 *    .NAME.metadata ("SHA256 SOURCES/FILE"), one per file, alone on stdout
 *    so that `>> .NAME.metadata` works. With `--checkout DIR` (fedpkg
 *    new-sources) it also writes them: DIR/.NAME.metadata then lists
 *    exactly these files (`--append`: these replace the lines of files of
 *    the same names, the others stay), and DIR/.gitignore gets
 *    "/SOURCES/FILE" for each, once.
 *  - `quarry lookaside get [DIR]` (fedpkg sources): download every file
 *    DIR/.NAME.metadata names into DIR/SOURCES/, from the hub's public
 *    /lookaside/HASH, verifying each against its hash. A file is written
 *    under a temporary name and renamed into place only when its hash is
 *    right; a wrong one is removed and named in the error. Progress goes to
 *    stderr when it is a terminal, for files of 1 MiB and more.
 *
 * NAME is the checkout's spec, SPECS/NAME.spec (the rpms layout). The
 * metadata is parsed by content/lookaside.c, which refuses any FILE that
 * is not a plain name under SOURCES/ ("../x", "/x"); SOURCES/ itself is
 * opened without following symlinks, so a checkout cannot make the
 * download write outside it.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "content/lookaside.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_FILES 1000
#define METADATA_MAX (1 << 20)             /* as the hub's import reads it */
#define PROGRESS_MIN ((curl_off_t)1 << 20) /* progress for files from 1 MiB */

enum { OPT_CHECKOUT, OPT_APPEND };
#define B(o) (1u << (o))

static const struct q_cli_opt lookaside_opts[] = {
    [OPT_CHECKOUT] = {"checkout", "DIR",
		      "also write the lines into DIR/.NAME.metadata and the files into "
		      "DIR/.gitignore (fedpkg new-sources)"},
    [OPT_APPEND] = {"append", NULL,
		    "with --checkout: keep the metadata's lines for other files (fedpkg upload)"},
};

/* NAME of the checkout's SPECS/NAME.spec (exactly one); g_free. */
static char *checkout_name(const char *dir, struct q_error *err)
{
	char *specs = g_build_filename(dir, "SPECS", NULL);
	char *name = NULL;
	int n = 0;
	DIR *d = opendir(specs);
	struct dirent *e;

	if (!d) {
		q_error_set(err, Q_EINVAL,
			    "'%s' is not a package checkout in the rpms layout: cannot open "
			    "'%s': %s",
			    dir, specs, strerror(errno));
		g_free(specs);
		return NULL;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l > 5 && e->d_name[0] != '.' && !strcmp(e->d_name + l - 5, ".spec")) {
			n++;
			g_free(name);
			name = g_strndup(e->d_name, l - 5);
		}
	}
	closedir(d);
	if (n != 1) {
		q_error_set(err, Q_EINVAL,
			    "'%s' holds %d .spec files; the rpms layout has exactly one", specs, n);
		g_free(name);
		name = NULL;
	}
	g_free(specs);
	return name;
}

/* The existing text of path ("" when it does not exist); free(). */
static char *read_text(const char *path, struct q_error *err)
{
	char *text = NULL;
	size_t len = 0;

	if (!q_fs_exists(path))
		return strdup("");
	if (q_fs_read_file(path, METADATA_MAX, &text, &len, err) < 0)
		return NULL;
	return text;
}

/* The file part of a metadata line "HASH SOURCES/FILE" (borrowed), or NULL. */
static const char *line_file(const char *line)
{
	const char *sp = strchr(line, ' ');

	return sp && !strncmp(sp + 1, "SOURCES/", 8) ? sp + 9 : NULL;
}

/* Write ans[i]["line"] into DIR/.NAME.metadata and the files into
 * DIR/.gitignore (see the head of this file). */
static int write_checkout(const char *dir, const char *name, json_t *answers, int append,
			  struct q_error *err)
{
	char *md = g_strdup_printf("%s/.%s.metadata", dir, name);
	char *gi = g_build_filename(dir, ".gitignore", NULL);
	char *old = NULL, *gold = NULL;
	GString *out = g_string_new(NULL);
	GString *gout = NULL;
	int rc = -1;
	size_t i;
	json_t *a;

	if (!(old = read_text(md, err)) || !(gold = read_text(gi, err)))
		goto done;
	if (append) {
		char **lines = g_strsplit(old, "\n", -1);

		for (char **l = lines; *l; l++) {
			const char *f = line_file(*l);
			int replaced = 0;

			if (!**l)
				continue;
			json_array_foreach (answers, i, a) {
				const char *nf = line_file(q_json_str(a, "line"));

				if (f && nf && !strcmp(f, nf))
					replaced = 1;
			}
			if (!replaced)
				g_string_append_printf(out, "%s\n", *l);
		}
		g_strfreev(lines);
	}
	json_array_foreach (answers, i, a) {
		g_string_append_printf(out, "%s\n", q_json_str(a, "line"));
	}
	/* .gitignore: "/SOURCES/FILE" once (an existing "SOURCES/FILE" counts). */
	gout = g_string_new(gold);
	if (gout->len && gout->str[gout->len - 1] != '\n')
		g_string_append_c(gout, '\n');
	json_array_foreach (answers, i, a) {
		const char *f = line_file(q_json_str(a, "line"));
		char **lines = g_strsplit(gout->str, "\n", -1);
		int seen = 0;

		for (char **l = lines; f && *l; l++) {
			const char *p = **l == '/' ? *l + 1 : *l;

			if (!strncmp(p, "SOURCES/", 8) && !strcmp(p + 8, f))
				seen = 1;
		}
		g_strfreev(lines);
		if (f && !seen)
			g_string_append_printf(gout, "/SOURCES/%s\n", f);
	}
	if (q_fs_write_atomic(md, out->str, out->len, 0644, err) < 0 ||
	    q_fs_write_atomic(gi, gout->str, gout->len, 0644, err) < 0)
		goto done;
	rc = 0;
done:
	if (gout)
		g_string_free(gout, TRUE);
	g_string_free(out, TRUE);
	free(old);
	free(gold);
	g_free(md);
	g_free(gi);
	return rc;
}

/* POST sigs/SIG/lookaside?filename=BASENAME with file streamed from disk. */
static int upload_one(struct q_client *c, const char *sig, const char *file, json_t **out,
		      struct q_error *err)
{
	char sha[Q_SHA256_HEX];
	char fdpath[64];
	struct stat st;
	char *base = NULL;
	char *ebase = NULL;
	char *spath = NULL;
	char *path = NULL;
	long status = 0;
	int fd;
	int ret = -1;

	*out = NULL;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error_set(err, Q_EINVAL, "cannot open '%s': %s", file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		q_error_set(err, Q_EINVAL, "'%s' is not a regular file", file);
		goto out;
	}
	/* Hash the file we opened, not whatever the name points to later. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (q_hash_sha256_file(q_fs_exists(fdpath) ? fdpath : file, sha, err) < 0)
		goto out;
	base = g_path_get_basename(file);
	ebase = q_client_escape(c, base);
	spath = q_client_path(c, "sigs", sig, "lookaside", NULL);
	if (!ebase || !spath) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	path = g_strdup_printf("%s?filename=%s", spath, ebase);
	if (q_client_post_fd(c, path, "application/octet-stream", fd, (int64_t)st.st_size, sha,
			     &status, out, err) < 0) {
		if (!status)
			q_error_prefix(err, "cannot upload '%s'", file);
		goto out;
	}
	if (!*out || !json_string_value(json_object_get(*out, "line"))) {
		json_decref(*out);
		*out = NULL;
		q_error_set(err, Q_EINTERNAL, "the hub's answer for '%s' has no metadata line",
			    file);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	g_free(path);
	g_free(spath);
	g_free(ebase);
	g_free(base);
	return ret;
}

static int lookaside_upload(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *sig[1] = {NULL};
	char *name = NULL;
	json_t *all = json_array();
	int ret = 0;

	if (q_cli_split_path(a->words[0], 1, sig, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	if (a->val[OPT_APPEND] && !a->val[OPT_CHECKOUT]) {
		ret = q_cli_usage_error(a, "--append goes with --checkout DIR");
		goto out;
	}
	/* Know where the lines go before sending anything. */
	if (a->val[OPT_CHECKOUT] && !(name = checkout_name(a->val[OPT_CHECKOUT], &err))) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (a->n_words - 1 > MAX_FILES) {
		ret = q_cli_usage_error(a, "at most %d files at a time", MAX_FILES);
		goto out;
	}
	/* Check every file before sending anything. */
	if (q_cli_check_files(a->words, 1, a->n_words, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	for (int f = 1; f < a->n_words; f++) {
		json_t *ans = NULL;

		if (upload_one(c, sig[0], a->words[f], &ans, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
		if (!c->json) {
			printf("%s\n", q_json_str(ans, "line"));
			fflush(stdout);
		}
		json_array_append_new(all, ans);
	}
	if (name) {
		if (write_checkout(a->val[OPT_CHECKOUT], name, all, a->val[OPT_APPEND] != NULL,
				   &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
		if (!c->json && isatty(STDERR_FILENO))
			fprintf(stderr, "wrote %s/.%s.metadata and .gitignore: commit them\n",
				a->val[OPT_CHECKOUT], name);
	}
	if (c->json)
		q_out_json(all);
	else if (!name && isatty(STDOUT_FILENO))
		fprintf(stderr, "commit the line%s above in .NAME.metadata\n",
			a->n_words > 2 ? "s" : "");
out:
	json_decref(all);
	g_free(name);
	g_free(sig[0]);
	return ret;
}

/* ---- lookaside get ---- */

struct dl {
	int fd;
	EVP_MD_CTX *md;
	int64_t got;
	int64_t max;
	int failed; /* a write failed: errno in err_no */
	int err_no;
	int progress; /* stderr is a terminal */
	int shown;    /* a progress line was printed */
	const char *file;
	time_t last;
};

static size_t dl_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct dl *d = ud;
	size_t n = size * nmemb, off = 0;

	if (d->got + (int64_t)n > d->max)
		return 0;
	while (off < n) {
		ssize_t w = write(d->fd, ptr + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			d->failed = 1;
			d->err_no = errno;
			return 0;
		}
		off += (size_t)w;
	}
	EVP_DigestUpdate(d->md, ptr, n);
	d->got += (int64_t)n;
	return n;
}

static int dl_progress(void *ud, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	struct dl *d = ud;
	time_t t = time(NULL);

	(void)ut;
	(void)un;
	if (!d->progress || total < PROGRESS_MIN || (t == d->last && now != total))
		return 0;
	d->last = t;
	fprintf(stderr,
		"\r%s: %3d%% %" CURL_FORMAT_CURL_OFF_T " of %" CURL_FORMAT_CURL_OFF_T " MiB",
		d->file, (int)(now * 100 / total), now >> 20, total >> 20);
	d->shown = 1;
	return 0;
}

/* Download one entry into SOURCES/ (sfd) through a temporary name. */
static int get_one(struct q_client *c, int sfd, const struct q_lookaside_entry *e, int progress,
		   struct q_error *err)
{
	char tmp[300], hex[EVP_MAX_MD_SIZE * 2 + 1];
	char *url = g_strdup_printf("%s/lookaside/%s", c->hub, e->hash);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	struct dl d = {0};
	long status = 0;
	CURLcode cc;
	int rc = -1;

	snprintf(tmp, sizeof(tmp), ".%s.part-%ld", e->file, (long)getpid());
	d.fd = openat(sfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (d.fd < 0) {
		q_error_set(err, Q_EIO, "cannot write 'SOURCES/%s': %s", tmp, strerror(errno));
		g_free(url);
		return -1;
	}
	d.md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(d.md, e->is_sha256 ? EVP_sha256() : EVP_sha1(), NULL);
	d.max = (int64_t)1 << 40;
	d.progress = progress;
	d.file = e->file;
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, Q_CLIENT_CONNECT_TIMEOUT);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, dl_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, dl_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, &d);
	curl_easy_setopt(c->curl, CURLOPT_FAILONERROR, 1L);
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (d.shown)
		fprintf(stderr, "\n");
	if (cc != CURLE_OK) {
		if (status == 404)
			q_error_set(err, Q_ENOTFOUND,
				    "'SOURCES/%s' (%s) is not in the hub's lookaside: upload it "
				    "(quarry lookaside upload SIG FILE --checkout DIR)",
				    e->file, e->hash);
		else if (d.failed)
			q_error_set(err, Q_EIO, "cannot write 'SOURCES/%s': %s", e->file,
				    strerror(d.err_no));
		else
			q_error_set(err, Q_EIO, "cannot download 'SOURCES/%s' from %s: %s", e->file,
				    url, status ? "HTTP error" : curl_easy_strerror(cc));
		if (status && status != 404)
			q_error_prefix(err, "HTTP %ld", status);
		goto out;
	}
	if (fsync(d.fd) < 0 || close(d.fd) < 0) {
		d.fd = -1;
		q_error_set(err, Q_EIO, "cannot write 'SOURCES/%s': %s", e->file, strerror(errno));
		goto out;
	}
	d.fd = -1;
	EVP_DigestFinal_ex(d.md, md, &mdlen);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, e->hash)) {
		q_error_set(err, Q_EINVAL,
			    "'SOURCES/%s' downloaded from %s has %s %s, but the metadata says %s: "
			    "not kept",
			    e->file, url, e->is_sha256 ? "SHA-256" : "SHA-1", hex, e->hash);
		goto out;
	}
	if (renameat(sfd, tmp, sfd, e->file) < 0) {
		q_error_set(err, Q_EIO, "cannot rename into 'SOURCES/%s': %s", e->file,
			    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (d.fd >= 0)
		close(d.fd);
	if (rc < 0)
		unlinkat(sfd, tmp, 0);
	EVP_MD_CTX_free(d.md);
	g_free(url);
	return rc;
}

/* 1 when SOURCES/FILE (under sfd) already has the entry's hash. */
static int have_already(int sfd, const struct q_lookaside_entry *e)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	char hex[EVP_MAX_MD_SIZE * 2 + 1];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd = openat(sfd, e->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, e->is_sha256 ? EVP_sha256() : EVP_sha1(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	close(fd);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (n < 0)
		return 0;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return !strcmp(hex, e->hash);
}

static int lookaside_get(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	const char *dir = a->n_words ? a->words[0] : ".";
	struct q_lookaside_entry *ents = NULL;
	char *name = NULL, *md = NULL, *text = NULL, *mdname = NULL;
	size_t n = 0, len = 0;
	int dfd = -1, sfd = -1, ret = 0;
	int progress = isatty(STDERR_FILENO) && !c->json;
	json_t *got = json_array();

	if (!(name = checkout_name(dir, &err)))
		goto fail;
	mdname = g_strdup_printf(".%s.metadata", name);
	md = g_build_filename(dir, mdname, NULL);
	if (q_fs_read_file(md, METADATA_MAX, &text, &len, &err) < 0)
		goto fail;
	if (q_lookaside_parse(mdname, text, len, &ents, &n, &err) < 0)
		goto fail;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		q_error_set(&err, Q_EIO, "cannot open '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if (n && mkdirat(dfd, "SOURCES", 0755) < 0 && errno != EEXIST) {
		q_error_set(&err, Q_EIO, "cannot create '%s/SOURCES': %s", dir, strerror(errno));
		goto fail;
	}
	if (n) {
		sfd = openat(dfd, "SOURCES", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			q_error_set(&err, Q_EINVAL,
				    "cannot open '%s/SOURCES' (%s): it must be a directory, not a "
				    "symlink",
				    dir, strerror(errno));
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++) {
		int had = have_already(sfd, &ents[i]);

		if (!had && get_one(c, sfd, &ents[i], progress, &err) < 0)
			goto fail;
		json_array_append_new(got, json_pack("{s:s,s:s,s:b}", "file", ents[i].file, "hash",
						     ents[i].hash, "downloaded", !had));
		if (!c->json)
			printf("%s SOURCES/%s\n", had ? "have" : "got ", ents[i].file);
	}
	if (c->json)
		q_out_json(got);
	goto out;
fail:
	ret = q_cli_fail(&err);
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	json_decref(got);
	free(ents);
	free(text);
	g_free(md);
	g_free(mdname);
	g_free(name);
	return ret;
}

static const struct q_cli_cmd lookaside_cmds[] = {
    {"upload", "SIG FILE...",
     "store source files in the SIG's lookaside cache; prints the .NAME.metadata lines "
     "(--checkout DIR: writes them there, and .gitignore)",
     2, -1, B(OPT_CHECKOUT) | B(OPT_APPEND), 0, lookaside_upload},
    {"get", "[DIR]",
     "download the sources a checkout's .NAME.metadata names into DIR/SOURCES, checking "
     "their hashes (default DIR: .)",
     0, 1, 0, 0, lookaside_get},
};

const struct q_cli_family q_lookaside_family = {
    "lookaside",    "The lookaside cache of source tarballs.",
    lookaside_opts, Q_ARRAY_LEN(lookaside_opts),
    lookaside_cmds, Q_ARRAY_LEN(lookaside_cmds),
};

int cmd_lookaside(int argc, char **argv)
{
	return q_cli_run(&q_lookaside_family, argc, argv);
}
