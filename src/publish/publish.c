/*
 * publish.c: q_publish_repo, writing one repo/arch directory of /pub
 * atomically (the algorithm is in publish.h).
 *
 * DESIGN
 * - Layout of ARCH_DIR:
 *     .lock                   flock'ed for the whole publish
 *     Packages/FILENAME       hard links into the package store
 *     repodata/               what dnf and mirrors read
 *     .repodata.new-PID-N/    being written (stale if we are not running)
 *     .repodata.old-EPOCH-N/  the repodata replaced at EPOCH, kept for the
 *                             grace period
 *     .packages-gone          "EPOCH FILENAME" lines: when each Packages/
 *                             file left the set, so it can stay for the grace
 *                             period (its mtime is the upload's, not that)
 * - No package is read at publish: the XML chunks were made at upload.
 *   primary, filelists and other are written by three threads at once, and
 *   createrepo_c's content stat gives the open-size/open-checksum while
 *   writing, so each .xml.gz is read back only once (its own checksum).
 * - No sqlite databases: dnf (libdnf/libsolv) reads only the XML, and the
 *   databases are the slowest part of a createrepo_c run.
 * - Mirrors that fetched the previous repomd.xml must still find its
 *   files: the new repodata gets hard links to the metadata files named by
 *   repodata/repomd.xml and by every .repodata.old-EPOCH-N/repomd.xml still
 *   inside the grace period. Only files a repomd.xml names are carried, so
 *   carried files expire with their own repodata.
 * - The swap is renameat2(RENAME_EXCHANGE); repodata/ is always complete.
 *   A crash between the exchange and the rename to .repodata.old-* leaves
 *   the old metadata in a .repodata.new-* that the next publish removes: it
 *   loses the grace period of that one generation, never the repo.
 * - flock is per open file description, so each call opens .lock itself:
 *   that serialises threads of one process as well as processes.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "publish/publish.h"
#include "sign/sign.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include <createrepo_c/createrepo_c.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define PUB_PATH_MAX 4096

/* Milliseconds since t0, for the debug log of a publish's phases. */
static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}
#define PUB_NAME_MAX 255
#define PUB_LOCK ".lock"
#define PUB_REPODATA "repodata"
#define PUB_PACKAGES "Packages"
#define PUB_NEW_PREFIX ".repodata.new-"
#define PUB_OLD_PREFIX ".repodata.old-"
#define PUB_GONE ".packages-gone"
#define PUB_GONE_MAX (64u << 20) /* bound on the .packages-gone journal */

static atomic_uint pub_counter; /* N in .repodata.new-PID-N */
static pthread_once_t pub_once = PTHREAD_ONCE_INIT;

static void pub_init(void)
{
	/* libxml2 (repomd dump and parse) wants its parser initialised once. */
	cr_xml_dump_init();
}

/* glibc has a wrapper since 2.28; the system call works everywhere. */
static int pub_renameat2(int olddir, const char *oldname, int newdir, const char *newname,
			 unsigned flags)
{
	return (int)syscall(SYS_renameat2, olddir, oldname, newdir, newname, flags);
}

/* We hold the lock, so without RENAME_NOREPLACE a check before is enough. */
static int rename_noreplace(int dfd, const char *from, const char *to)
{
	struct stat st;

	if (pub_renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (fstatat(dfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(dfd, from, dfd, to);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_pkg_filename(const void *a, const void *b)
{
	const struct q_publish_pkg *pa = *(const struct q_publish_pkg *const *)a;
	const struct q_publish_pkg *pb = *(const struct q_publish_pkg *const *)b;
	int c = strcmp(pa->filename, pb->filename);

	return c ? c : strcmp(pa->sha256, pb->sha256);
}

void q_publish_set_digest(const struct q_publish_pkg *pkgs, size_t n, const char *key_fpr,
			  char out[65])
{
	const char **shas = NULL;
	GString *buf = g_string_sized_new(n * 65 + 128);

	if (n) {
		shas = g_new(const char *, n);
		for (size_t i = 0; i < n; i++)
			shas[i] = pkgs[i].sha256;
		qsort(shas, n, sizeof(*shas), cmp_str);
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(shas[i], shas[i - 1]) == 0)
			continue; /* a set: duplicates count once */
		g_string_append(buf, shas[i]);
		g_string_append_c(buf, '\n');
	}
	g_string_append_printf(buf, "key %s\n", key_fpr ? key_fpr : "");
	q_hash_sha256_buf(buf->str, buf->len, out);
	g_free(shas);
	g_string_free(buf, TRUE);
}

static int join(char *out, const char *a, const char *b, struct q_error *err)
{
	if (snprintf(out, PUB_PATH_MAX, "%s/%s", a, b) >= PUB_PATH_MAX)
		return q_error_set(err, Q_EINVAL, "path '%s/%s' is too long", a, b);
	return 0;
}

/* A file name we create in Packages/: one plain component ending in .rpm. */
static int valid_filename(const char *f)
{
	size_t n = f ? strlen(f) : 0;

	return n > 4 && n <= PUB_NAME_MAX && f[0] != '.' && !strchr(f, '/') &&
	       strcmp(f + n - 4, ".rpm") == 0;
}

/*
 * Validate the request and return the packages sorted by file name with
 * duplicates dropped (*out, g_free'd by the caller, pointing into req).
 */
static int sort_packages(const struct q_publish_req *req, const struct q_publish_pkg ***out,
			 size_t *n_out, struct q_error *err)
{
	const struct q_publish_pkg **v = NULL;
	size_t n = 0;

	*out = NULL;
	*n_out = 0;
	if (req->n_pkgs && !req->pkgs)
		return q_error_set(err, Q_EINVAL, "no packages given for '%s'", req->arch_dir);
	for (size_t i = 0; i < req->n_pkgs; i++) {
		const struct q_publish_pkg *p = &req->pkgs[i];

		if (!p->sha256 || !q_is_hex(p->sha256, 64))
			return q_error_set(err, Q_EINVAL, "package '%s' has an invalid sha256",
					   p->filename ? p->filename : "");
		if (!valid_filename(p->filename))
			return q_error_set(err, Q_EINVAL, "invalid package file name '%s'",
					   p->filename ? p->filename : "");
		if (!p->store_path || !p->primary_xml || !p->filelists_xml || !p->other_xml)
			return q_error_set(err, Q_EINVAL,
					   "package '%s' has no stored file or metadata",
					   p->filename);
	}
	v = g_new(const struct q_publish_pkg *, req->n_pkgs ? req->n_pkgs : 1);
	for (size_t i = 0; i < req->n_pkgs; i++)
		v[i] = &req->pkgs[i];
	qsort(v, req->n_pkgs, sizeof(*v), cmp_pkg_filename);
	for (size_t i = 0; i < req->n_pkgs; i++) {
		if (n > 0 && strcmp(v[n - 1]->filename, v[i]->filename) == 0) {
			if (strcmp(v[n - 1]->sha256, v[i]->sha256) == 0)
				continue;
			q_error_set(err, Q_ECONFLICT, "two different packages named '%s' in '%s'",
				    v[i]->filename, req->arch_dir);
			g_free(v);
			return -1;
		}
		v[n++] = v[i];
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* ---- Packages/ ---------------------------------------------------------- */

/* Put the store file at Packages/NAME, atomically replacing other content. */
static int replace_package(int pkgfd, const char *pkgdir, const struct q_publish_pkg *p,
			   struct q_error *err)
{
	char tmp[PUB_NAME_MAX + 64], path[PUB_PATH_MAX];

	snprintf(tmp, sizeof(tmp), ".%s.tmp-%ld", p->filename, (long)getpid());
	unlinkat(pkgfd, tmp, 0);
	if (join(path, pkgdir, tmp, err) < 0)
		return -1;
	if (q_fs_link_or_copy(p->store_path, path, err) < 0)
		return -1;
	if (renameat(pkgfd, tmp, pkgfd, p->filename) < 0) {
		int e = errno;
		unlinkat(pkgfd, tmp, 0);
		return q_error_set(err, Q_EIO, "cannot rename '%s' to '%s': %s", path, p->filename,
				   strerror(e));
	}
	return 0;
}

/*
 * Make Packages/FILENAME the store file. The usual case, a link that is
 * already there, costs two stats. A different file under the same name (a
 * package rebuilt with the same NEVRA) is replaced by a rename, never left.
 */
static int place_package(int pkgfd, const char *pkgdir, const struct q_publish_pkg *p,
			 struct q_error *err)
{
	struct stat dst, src;
	char path[PUB_PATH_MAX], sum[Q_SHA256_HEX];

	if (fstatat(pkgfd, p->filename, &dst, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return q_error_set(err, Q_EIO, "cannot stat '%s/%s': %s", pkgdir,
					   p->filename, strerror(errno));
		if (join(path, pkgdir, p->filename, err) < 0)
			return -1;
		return q_fs_link_or_copy(p->store_path, path, err);
	}
	if (stat(p->store_path, &src) < 0)
		return q_error_set(err, Q_EIO, "cannot stat package '%s' at '%s': %s", p->filename,
				   p->store_path, strerror(errno));
	if (src.st_dev == dst.st_dev && src.st_ino == dst.st_ino)
		return 0;
	/* A copy (store on another filesystem): same bytes is fine. */
	if (S_ISREG(dst.st_mode) && src.st_dev != dst.st_dev && src.st_size == dst.st_size) {
		if (join(path, pkgdir, p->filename, err) < 0)
			return -1;
		if (q_hash_sha256_file(path, sum, err) < 0)
			return -1;
		if (strcmp(sum, p->sha256) == 0)
			return 0;
	}
	q_info("replacing '%s/%s': its content changed", pkgdir, p->filename);
	return replace_package(pkgfd, pkgdir, p, err);
}

/* ---- metadata files ----------------------------------------------------- */

struct md_job {
	const char *type; /* "primary", "filelists", "other" */
	cr_XmlFileType xtype;
	size_t chunk_off;                  /* offset of the chunk in q_publish_pkg */
	const struct q_publish_pkg **pkgs; /* sorted */
	size_t n;
	char path[PUB_PATH_MAX]; /* DIR/TYPE.xml.gz */
	int64_t timestamp;       /* record timestamp and file mtime */
	cr_RepomdRecord *rec;    /* result: owned until moved to repomd */
	struct q_error err;      /* when rec is NULL */
};

static const char *job_chunk(const struct md_job *j, size_t i)
{
	return *(const char *const *)((const char *)j->pkgs[i] + j->chunk_off);
}

static void *md_write(void *arg)
{
	struct md_job *j = arg;
	cr_ContentStat *stat = NULL;
	cr_XmlFile *f = NULL;
	cr_RepomdRecord *rec = NULL;
	GError *ge = NULL;
	const char *what = "create";

	stat = cr_contentstat_new(CR_CHECKSUM_SHA256, &ge);
	if (!stat)
		goto fail;
	f = cr_xmlfile_sopen(j->path, j->xtype, CR_CW_GZ_COMPRESSION, stat, &ge);
	if (!f)
		goto fail;
	what = "write";
	if (cr_xmlfile_set_num_of_pkgs(f, (long)j->n, &ge) != CRE_OK)
		goto fail;
	for (size_t i = 0; i < j->n; i++)
		if (cr_xmlfile_add_chunk(f, job_chunk(j, i), &ge) != CRE_OK)
			goto fail;
	what = "close";
	if (cr_xmlfile_close(f, &ge) != CRE_OK) {
		f = NULL;
		goto fail;
	}
	f = NULL;

	what = "checksum";
	rec = cr_repomd_record_new(j->type, j->path);
	cr_repomd_record_load_contentstat(rec, stat);
	if (cr_repomd_record_fill(rec, CR_CHECKSUM_SHA256, &ge) != CRE_OK)
		goto fail;
	what = "rename";
	if (cr_repomd_record_rename_file(rec, &ge) != CRE_OK)
		goto fail;
	cr_repomd_record_set_timestamp(rec, j->timestamp);
	if (q_fs_fsync_path(rec->location_real, &j->err) < 0)
		goto fail_msg;
	cr_contentstat_free(stat, NULL);
	j->rec = rec;
	return NULL;

fail:
	q_error_set(&j->err, Q_EIO, "cannot %s '%s': %s", what, j->path,
		    ge ? ge->message : "unknown error");
fail_msg:
	if (ge)
		g_error_free(ge);
	if (f)
		cr_xmlfile_close(f, NULL);
	cr_repomd_record_free(rec);
	if (stat)
		cr_contentstat_free(stat, NULL);
	return NULL;
}

/*
 * The file names a repomd.xml lists (basenames under repodata/), and its
 * revision. *names is a GPtrArray of g_strdup'ed names; free it with
 * g_ptr_array_unref.
 */
static int read_repomd(const char *path, GPtrArray **names, int64_t *revision, struct q_error *err)
{
	cr_Repomd *md = cr_repomd_new();
	GError *ge = NULL;
	int ret = -1;

	if (names)
		*names = g_ptr_array_new_with_free_func(g_free);
	if (cr_xml_parse_repomd(path, md, NULL, NULL, &ge) != CRE_OK) {
		q_error_set(err, Q_EIO, "cannot read '%s': %s", path,
			    ge ? g_strchomp(g_strdelimit(ge->message, "\n", ' '))
			       : "unknown error");
		goto out;
	}
	if (revision)
		*revision = md->revision ? g_ascii_strtoll(md->revision, NULL, 10) : 0;
	for (GSList *l = md->records; names && l; l = l->next) {
		cr_RepomdRecord *rec = l->data;
		const char *h = rec->location_href;

		if (!h || strncmp(h, PUB_REPODATA "/", sizeof(PUB_REPODATA)) != 0)
			continue;
		h += sizeof(PUB_REPODATA);
		if (!*h || strchr(h, '/') || h[0] == '.')
			continue;
		g_ptr_array_add(*names, g_strdup(h));
	}
	ret = 0;
out:
	if (ge)
		g_error_free(ge);
	cr_repomd_free(md);
	if (ret < 0 && names) {
		g_ptr_array_unref(*names);
		*names = NULL;
	}
	return ret;
}

/* EPOCH of ".repodata.old-EPOCH-N", or -1. */
static int64_t old_epoch(const char *name)
{
	char *end;
	long long v;

	if (strncmp(name, PUB_OLD_PREFIX, strlen(PUB_OLD_PREFIX)) != 0)
		return -1;
	errno = 0;
	v = strtoll(name + strlen(PUB_OLD_PREFIX), &end, 10);
	if (errno || end == name + strlen(PUB_OLD_PREFIX) || (*end && *end != '-'))
		return -1;
	return v;
}

static int within_grace(int64_t epoch, int64_t now, int64_t grace)
{
	return epoch >= 0 && now - epoch < grace;
}

/* Hard-link into newdir the metadata files of one earlier repodata. */
static void carry_dir(const char *arch_dir, int archfd, const char *dname, int newfd)
{
	char path[PUB_PATH_MAX];
	GPtrArray *names = NULL;
	struct q_error e = {0};
	int dfd;

	if (snprintf(path, sizeof(path), "%s/%s/repomd.xml", arch_dir, dname) >= (int)sizeof(path))
		return;
	if (access(path, F_OK) < 0)
		return; /* the first publish, or a leftover without one */
	if (read_repomd(path, &names, NULL, &e) < 0) {
		q_warn("%s; not keeping its files", e.msg);
		return;
	}
	dfd = openat(archfd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto out;
	for (guint i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];

		if (linkat(dfd, n, newfd, n, 0) < 0 && errno != EEXIST && errno != ENOENT)
			q_warn("cannot keep '%s/%s/%s': %s", arch_dir, dname, n, strerror(errno));
	}
	close(dfd);
out:
	g_ptr_array_unref(names);
}

static void carry_forward(const char *arch_dir, int archfd, int newfd, int64_t now, int64_t grace)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (grace <= 0)
		return;
	carry_dir(arch_dir, archfd, PUB_REPODATA, newfd);
	fd = openat(archfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (within_grace(old_epoch(de->d_name), now, grace))
			carry_dir(arch_dir, archfd, de->d_name, newfd);
	closedir(d);
}

/* ---- cleanup ------------------------------------------------------------ */

static void remove_dir(const char *arch_dir, const char *name)
{
	char path[PUB_PATH_MAX];
	struct q_error e = {0};

	if (snprintf(path, sizeof(path), "%s/%s", arch_dir, name) >= (int)sizeof(path))
		return;
	if (q_fs_remove_tree(path, &e) < 0)
		q_warn("%s", e.msg);
}

/*
 * Remove every .repodata.new-* (we hold the lock: nobody is writing one)
 * and, when expired is set, every .repodata.old-* past the grace period.
 */
static void cleanup_dirs(const char *arch_dir, int archfd, int expired, int64_t now, int64_t grace)
{
	GPtrArray *doomed = g_ptr_array_new_with_free_func(g_free);
	struct dirent *de;
	DIR *d;
	int fd = openat(archfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		g_ptr_array_unref(doomed);
		return;
	}
	while ((de = readdir(d))) {
		int64_t ep;

		if (strncmp(de->d_name, PUB_NEW_PREFIX, strlen(PUB_NEW_PREFIX)) == 0) {
			q_info("removing '%s/%s' left by an interrupted publish", arch_dir,
			       de->d_name);
			g_ptr_array_add(doomed, g_strdup(de->d_name));
		} else if (expired && (ep = old_epoch(de->d_name)) >= 0 &&
			   !within_grace(ep, now, grace)) {
			g_ptr_array_add(doomed, g_strdup(de->d_name));
		}
	}
	closedir(d);
	for (guint i = 0; i < doomed->len; i++)
		remove_dir(arch_dir, doomed->pdata[i]);
	g_ptr_array_unref(doomed);
}

/*
 * Packages/ files that are not in the set: note when they left (in
 * .packages-gone) and remove them once that is older than the grace period.
 */
static void cleanup_packages(const char *arch_dir, int archfd, const struct q_publish_pkg **pkgs,
			     size_t n, int64_t now, int64_t grace)
{
	GHashTable *in_set = g_hash_table_new(g_str_hash, g_str_equal);
	/* file name -> g_malloc'd int64_t: when it left the set */
	GHashTable *gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GString *out = g_string_new(NULL);
	char path[PUB_PATH_MAX], *journal = NULL;
	struct q_error e = {0};
	GHashTableIter it;
	gpointer k, v;
	struct dirent *de;
	int changed = 0, pkgfd;
	DIR *d = NULL;

	for (size_t i = 0; i < n; i++)
		g_hash_table_add(in_set, (gpointer)pkgs[i]->filename);
	if (snprintf(path, sizeof(path), "%s/%s", arch_dir, PUB_GONE) >= (int)sizeof(path))
		goto out;
	if (q_fs_read_file(path, PUB_GONE_MAX, &journal, NULL, &e) == 0) {
		char *line = journal, *nl, *sp, *end;
		int64_t t;

		for (; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			sp = strchr(line, ' ');
			if (!sp)
				continue;
			*sp = '\0';
			t = strtoll(line, &end, 10);
			if (*end || !valid_filename(sp + 1))
				continue;
			g_hash_table_replace(gone, g_strdup(sp + 1), g_memdup2(&t, sizeof(t)));
		}
	}

	pkgfd = openat(archfd, PUB_PACKAGES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pkgfd < 0)
		goto out;
	d = fdopendir(pkgfd);
	if (!d) {
		close(pkgfd);
		goto out;
	}
	while ((de = readdir(d))) {
		int64_t *t;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    g_hash_table_contains(in_set, de->d_name))
			continue;
		t = g_hash_table_lookup(gone, de->d_name);
		if (!t) {
			t = g_memdup2(&now, sizeof(now));
			g_hash_table_replace(gone, g_strdup(de->d_name), t);
			changed = 1;
		}
		if (now - *t < grace) {
			g_string_append_printf(out, "%" PRId64 " %s\n", *t, de->d_name);
			continue;
		}
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			q_warn("cannot remove '%s/%s/%s': %s", arch_dir, PUB_PACKAGES, de->d_name,
			       strerror(errno));
			g_string_append_printf(out, "%" PRId64 " %s\n", *t, de->d_name);
			continue;
		}
		q_debug("removed '%s/%s/%s'", arch_dir, PUB_PACKAGES, de->d_name);
		changed = 1;
	}
	/* Entries whose file is back in the set or gone by other means. */
	g_hash_table_iter_init(&it, gone);
	while (!changed && g_hash_table_iter_next(&it, &k, &v)) {
		struct stat st;
		if (g_hash_table_contains(in_set, k) ||
		    fstatat(dirfd(d), k, &st, AT_SYMLINK_NOFOLLOW) < 0)
			changed = 1;
	}
	if (!changed)
		goto out;
	if (out->len == 0) {
		if (unlinkat(archfd, PUB_GONE, 0) < 0 && errno != ENOENT)
			q_warn("cannot remove '%s': %s", path, strerror(errno));
	} else if (q_fs_write_atomic(path, out->str, out->len, 0644, &e) < 0) {
		q_warn("%s", e.msg);
	}
out:
	if (d)
		closedir(d);
	g_string_free(out, TRUE);
	free(journal);
	g_hash_table_destroy(gone);
	g_hash_table_destroy(in_set);
}

/* ---- the publish -------------------------------------------------------- */

static int lock_dir(const char *arch_dir, int *lockfd, struct q_error *err)
{
	char path[PUB_PATH_MAX];
	int fd;

	if (join(path, arch_dir, PUB_LOCK, err) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return q_error_set(err, Q_EIO, "cannot lock '%s': %s", path, strerror(errno));
	}
	*lockfd = fd;
	return 0;
}

/* Fill res->repomd, repomd_size and timestamp from ARCH_DIR/repodata. */
static int describe_current(const char *arch_dir, struct q_publish_result *res, struct q_error *err)
{
	char path[PUB_PATH_MAX];
	size_t size = 0;

	if (snprintf(path, sizeof(path), "%s/%s/repomd.xml", arch_dir, PUB_REPODATA) >=
	    (int)sizeof(path))
		return q_error_set(err, Q_EINVAL, "path '%s' is too long", arch_dir);
	if (read_repomd(path, NULL, &res->timestamp, err) < 0)
		return -1;
	if (q_hash_digests_file(path, &res->repomd, &size, err) < 0)
		return -1;
	res->repomd_size = size;
	return 0;
}

static int fsync_fd(int fd, const char *what, struct q_error *err)
{
	if (fsync(fd) < 0 && errno != EINVAL)
		return q_error_set(err, Q_EIO, "cannot fsync '%s': %s", what, strerror(errno));
	return 0;
}

/*
 * Swap newname in as repodata/ and move the old one aside. On failure
 * repodata/ is what it was and newname is still the new one.
 */
static int swap_in(const char *arch_dir, int archfd, const char *newname, int64_t now,
		   struct q_error *err)
{
	char oldname[128];
	int had_old = 1, moved;

	if (pub_renameat2(archfd, newname, archfd, PUB_REPODATA, RENAME_EXCHANGE) < 0) {
		if (errno == ENOENT) {
			had_old = 0; /* the first publish */
			if (rename_noreplace(archfd, newname, PUB_REPODATA) < 0)
				return q_error_set(err, Q_EIO, "cannot rename '%s/%s' to '%s': %s",
						   arch_dir, newname, PUB_REPODATA,
						   strerror(errno));
		} else if (errno == EINVAL || errno == ENOSYS) {
			/* No RENAME_EXCHANGE here (some network filesystems). */
			q_warn("'%s' does not support an atomic exchange; repodata/ is briefly "
			       "missing",
			       arch_dir);
			snprintf(oldname, sizeof(oldname), "%s%" PRId64 "-x%ld", PUB_OLD_PREFIX,
				 now, (long)getpid());
			moved = renameat(archfd, PUB_REPODATA, archfd, oldname) == 0;
			if (!moved && errno != ENOENT)
				return q_error_set(err, Q_EIO, "cannot swap '%s/%s' in: %s",
						   arch_dir, newname, strerror(errno));
			if (renameat(archfd, newname, archfd, PUB_REPODATA) < 0) {
				int e = errno;
				if (moved) /* put it back */
					renameat(archfd, oldname, archfd, PUB_REPODATA);
				return q_error_set(err, Q_EIO, "cannot swap '%s/%s' in: %s",
						   arch_dir, newname, strerror(e));
			}
			had_old = 0;
		} else {
			return q_error_set(err, Q_EIO, "cannot swap '%s/%s' with '%s': %s",
					   arch_dir, newname, PUB_REPODATA, strerror(errno));
		}
	}
	if (had_old) {
		/* newname now holds the previous repodata. */
		for (int i = 0;; i++) {
			snprintf(oldname, sizeof(oldname), "%s%" PRId64 "-%d", PUB_OLD_PREFIX, now,
				 i);
			if (rename_noreplace(archfd, newname, oldname) == 0)
				break;
			if ((errno != EEXIST && errno != ENOTEMPTY) || i > 1000) {
				/* The new repodata is live; the next publish removes this. */
				q_warn("cannot rename '%s/%s' to '%s': %s", arch_dir, newname,
				       oldname, strerror(errno));
				break;
			}
		}
	}
	/* The swap happened: from here on the publish has succeeded. */
	if (fsync(archfd) < 0)
		q_warn("cannot fsync '%s': %s", arch_dir, strerror(errno));
	return 0;
}

int q_publish_repo(const struct q_publish_req *req, struct q_publish_result *res,
		   struct q_error *err)
{
	static const struct {
		const char *type;
		cr_XmlFileType xtype;
		size_t off;
	} kinds[3] = {
	    {"primary", CR_XMLFILE_PRIMARY, offsetof(struct q_publish_pkg, primary_xml)},
	    {"filelists", CR_XMLFILE_FILELISTS, offsetof(struct q_publish_pkg, filelists_xml)},
	    {"other", CR_XMLFILE_OTHER, offsetof(struct q_publish_pkg, other_xml)},
	};
	const struct q_publish_pkg **pkgs = NULL;
	struct md_job *jobs = NULL;
	pthread_t tids[3];
	int started[3] = {0};
	cr_Repomd *md = NULL;
	GError *ge = NULL;
	char *xml = NULL;
	char newname[128], newdir[PUB_PATH_MAX], pkgdir[PUB_PATH_MAX];
	char repomd[PUB_PATH_MAX], asc[PUB_PATH_MAX], rev[32], last[Q_SHA256_HEX] = "";
	const char *arch_dir = req->arch_dir;
	int lockfd = -1, archfd = -1, pkgfd = -1, newfd = -1, made_new = 0;
	int ret = -1;
	size_t n = 0, size = 0;
	int64_t now;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* last_digest may point into *res (the previous result): copy it first. */
	if (req->last_digest && strlen(req->last_digest) == Q_SHA256_HEX - 1)
		memcpy(last, req->last_digest, Q_SHA256_HEX);
	memset(res, 0, sizeof(*res));
	pthread_once(&pub_once, pub_init);
	if (!arch_dir || !*arch_dir)
		return q_error_set(err, Q_EINVAL, "no directory to publish to");
	if (req->signer && (!req->key_fpr || !*req->key_fpr))
		return q_error_set(err, Q_EINVAL, "no key to sign '%s' with", arch_dir);
	if (sort_packages(req, &pkgs, &n, err) < 0)
		return -1;
	q_publish_set_digest(req->pkgs, req->n_pkgs, req->key_fpr, res->set_digest);

	if (q_fs_mkdirs(arch_dir, 0755, err) < 0)
		goto out;
	archfd = open(arch_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (archfd < 0) {
		q_error_set(err, Q_EIO, "cannot open '%s': %s", arch_dir, strerror(errno));
		goto out;
	}
	if (lock_dir(arch_dir, &lockfd, err) < 0)
		goto out;
	now = (int64_t)time(NULL);

	/* Leftovers of a crash are never served and never reused. */
	cleanup_dirs(arch_dir, archfd, 0, now, req->grace_seconds);

	if (!req->force && last[0] && strcmp(last, res->set_digest) == 0 &&
	    faccessat(archfd, PUB_REPODATA "/repomd.xml", F_OK, 0) == 0) {
		struct q_error cur = {0};

		if (describe_current(arch_dir, res, &cur) == 0) {
			res->changed = 0;
			cleanup_dirs(arch_dir, archfd, 1, now, req->grace_seconds);
			cleanup_packages(arch_dir, archfd, pkgs, n, now, req->grace_seconds);
			ret = 0;
			goto out;
		}
		/* An unreadable repomd.xml is healed by publishing again. */
		q_warn("%s; publishing '%s' again", cur.msg, arch_dir);
		memset(&res->repomd, 0, sizeof(res->repomd));
	}

	/* Packages first: new metadata never names a missing file. */
	if (join(pkgdir, arch_dir, PUB_PACKAGES, err) < 0)
		goto out;
	if (mkdirat(archfd, PUB_PACKAGES, 0755) < 0 && errno != EEXIST) {
		q_error_set(err, Q_EIO, "cannot create directory '%s': %s", pkgdir,
			    strerror(errno));
		goto out;
	}
	pkgfd = openat(archfd, PUB_PACKAGES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pkgfd < 0) {
		q_error_set(err, Q_EIO, "cannot open '%s': %s", pkgdir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (place_package(pkgfd, pkgdir, pkgs[i], err) < 0)
			goto out;
	if (fsync_fd(pkgfd, pkgdir, err) < 0)
		goto out;
	q_debug("publish '%s': %zu packages placed at %.1f ms", arch_dir, n, ms_since(&t0));

	snprintf(newname, sizeof(newname), "%s%ld-%u", PUB_NEW_PREFIX, (long)getpid(),
		 atomic_fetch_add(&pub_counter, 1));
	if (join(newdir, arch_dir, newname, err) < 0)
		goto out;
	if (mkdirat(archfd, newname, 0755) < 0) {
		q_error_set(err, Q_EIO, "cannot create directory '%s': %s", newdir,
			    strerror(errno));
		goto out;
	}
	made_new = 1;
	newfd = openat(archfd, newname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (newfd < 0) {
		q_error_set(err, Q_EIO, "cannot open '%s': %s", newdir, strerror(errno));
		goto out;
	}

	/* primary, filelists and other in parallel. */
	jobs = g_new0(struct md_job, 3);
	for (int i = 0; i < 3; i++) {
		struct md_job *j = &jobs[i];

		j->type = kinds[i].type;
		j->xtype = kinds[i].xtype;
		j->chunk_off = kinds[i].off;
		j->pkgs = pkgs;
		j->n = n;
		j->timestamp = now;
		if (snprintf(j->path, sizeof(j->path), "%s/%s.xml.gz", newdir, j->type) >=
		    (int)sizeof(j->path)) {
			q_error_set(err, Q_EINVAL, "path '%s' is too long", newdir);
			goto out;
		}
	}
	for (int i = 1; i < 3; i++)
		started[i] = pthread_create(&tids[i], NULL, md_write, &jobs[i]) == 0;
	md_write(&jobs[0]);
	for (int i = 1; i < 3; i++) {
		if (started[i])
			pthread_join(tids[i], NULL);
		else
			md_write(&jobs[i]); /* no thread: do it here */
	}
	for (int i = 0; i < 3; i++) {
		if (!jobs[i].rec) {
			if (err)
				*err = jobs[i].err;
			goto out;
		}
	}

	q_debug("publish '%s': metadata written at %.1f ms", arch_dir, ms_since(&t0));
	carry_forward(arch_dir, archfd, newfd, now, req->grace_seconds);
	q_debug("publish '%s': old metadata carried at %.1f ms", arch_dir, ms_since(&t0));

	md = cr_repomd_new();
	snprintf(rev, sizeof(rev), "%" PRId64, now);
	cr_repomd_set_revision(md, rev);
	for (int i = 0; i < 3; i++) {
		cr_repomd_set_record(md, jobs[i].rec); /* md owns it now */
		jobs[i].rec = NULL;
	}
	cr_repomd_sort_records(md);
	xml = cr_xml_dump_repomd(md, &ge);
	if (!xml) {
		q_error_set(err, Q_EINTERNAL, "cannot write repomd.xml for '%s': %s", arch_dir,
			    ge ? ge->message : "unknown error");
		goto out;
	}
	if (join(repomd, newdir, "repomd.xml", err) < 0 ||
	    q_fs_write_atomic(repomd, xml, strlen(xml), 0644, err) < 0)
		goto out;
	if (req->signer) {
		if (join(asc, newdir, "repomd.xml.asc", err) < 0 ||
		    q_signer_sign_detached(req->signer, req->key_fpr, repomd, asc, err) < 0)
			goto out;
	}
	q_debug("publish '%s': repomd.xml written and signed at %.1f ms", arch_dir, ms_since(&t0));
	if (q_hash_digests_file(repomd, &res->repomd, &size, err) < 0)
		goto out;
	res->repomd_size = size;
	res->timestamp = now;
	if (fsync_fd(newfd, newdir, err) < 0)
		goto out;

	if (swap_in(arch_dir, archfd, newname, now, err) < 0)
		goto out;
	made_new = 0;
	res->changed = 1;
	ret = 0;
	q_debug("publish '%s': swapped in at %.1f ms", arch_dir, ms_since(&t0));

	/* After the swap nothing can fail the publish. */
	cleanup_dirs(arch_dir, archfd, 1, now, req->grace_seconds);
	cleanup_packages(arch_dir, archfd, pkgs, n, now, req->grace_seconds);
out:
	if (made_new)
		remove_dir(arch_dir, newname);
	if (jobs)
		for (int i = 0; i < 3; i++)
			cr_repomd_record_free(jobs[i].rec);
	g_free(jobs);
	cr_repomd_free(md);
	g_free(xml);
	if (ge)
		g_error_free(ge);
	if (newfd >= 0)
		close(newfd);
	if (pkgfd >= 0)
		close(pkgfd);
	if (lockfd >= 0)
		close(lockfd); /* releases the flock */
	if (archfd >= 0)
		close(archfd);
	g_free(pkgs);
	return ret;
}
