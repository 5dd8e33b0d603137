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
 *     .packages-manifest      "SHA256 FILENAME" of the Packages/ files known
 *                             to be in place (see place_packages)
 *     .mdcache/KIND-KEY-SUM.gz  compressed gzip members of blocks of
 *                             packages (see "metadata files")
 * - No package is read at publish: the XML chunks were made at upload.
 *   primary, filelists and other are built by three threads at once from
 *   cached gzip members (only blocks with a changed package are compressed
 *   again), hashing the XML for the open-checksum as they go.
 * - An incremental publish touches only what changed: packages the
 *   manifest lists are not stat'ed (one readdir of Packages/ instead), and
 *   the fsync of Packages/ and the manifest overlap the metadata threads.
 * - updateinfo.xml.gz (advisories) is made by the caller as one document
 *   (publish/updateinfo.h) and written whole: it is small next to primary.
 *   Its SHA-256 is part of the set digest, so an edit of an advisory
 *   republishes and an unchanged one does not.
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
#include "core/testphase.h"
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
#include <openssl/evp.h>

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
#define PUB_MANIFEST ".packages-manifest"
#define PUB_MANIFEST_MAGIC "quarry-packages-manifest 1\n"
#define PUB_MANIFEST_MAX (256u << 20)
#define PUB_MDCACHE ".mdcache"
#define PUB_MDCACHE_TMP ".tmp-"
/* Part of every block key: bump it when the cached members' format changes. */
#define PUB_MDCACHE_VERSION "quarry-mdcache 1"
#define PUB_BLOCK_AVG 32  /* a block ends after a sha256 = 0 mod this */
#define PUB_BLOCK_MAX 128 /* packages in one block at most */
#define PUB_MEMBER_MAX (1u << 30)

static atomic_uint pub_counter; /* N in .repodata.new-PID-N */
static pthread_once_t pub_once = PTHREAD_ONCE_INIT;

static void crc_init(void);

static void pub_init(void)
{
	/* libxml2 (repomd dump and parse) wants its parser initialised once. */
	cr_xml_dump_init();
	crc_init();
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

static int cmp_pkg_filename(const void *a, const void *b)
{
	const struct q_publish_pkg *pa = *(const struct q_publish_pkg *const *)a;
	const struct q_publish_pkg *pb = *(const struct q_publish_pkg *const *)b;
	int c = strcmp(pa->filename, pb->filename);

	return c ? c : strcmp(pa->sha256, pb->sha256);
}

/* A string and its first 8 bytes as a big-endian number (same order). */
struct keyed_str {
	uint64_t prefix;
	const char *s;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed_str *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return strcmp(x->s, y->s);
}

void q_publish_set_digest(const struct q_publish_pkg *pkgs, size_t n, const char *key_fpr,
			  char out[65])
{
	struct keyed_str *shas = NULL;
	GString *buf = g_string_sized_new(n * 65 + 128);

	if (n) {
		shas = g_new(struct keyed_str, n);
		for (size_t i = 0; i < n; i++) {
			const unsigned char *s = (const unsigned char *)pkgs[i].sha256;
			uint64_t p = 0;
			int end = 0;

			for (int k = 0; k < 8; k++) {
				unsigned c = end ? 0 : s[k];

				end = c == 0;
				p = p << 8 | c;
			}
			shas[i] = (struct keyed_str){p, pkgs[i].sha256};
		}
		qsort(shas, n, sizeof(*shas), cmp_keyed);
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(shas[i].s, shas[i - 1].s) == 0)
			continue; /* a set: duplicates count once */
		g_string_append(buf, shas[i].s);
		g_string_append_c(buf, '\n');
	}
	g_string_append_printf(buf, "key %s\n", key_fpr ? key_fpr : "");
	q_hash_sha256_buf(buf->str, buf->len, out);
	g_free(shas);
	g_string_free(buf, TRUE);
}

void q_publish_req_digest(const struct q_publish_req *req, char out[65])
{
	char ui[Q_SHA256_HEX];
	GString *buf;

	q_publish_set_digest(req->pkgs, req->n_pkgs, req->key_fpr, out);
	if (!req->updateinfo_xml || !*req->updateinfo_xml)
		return;
	q_hash_sha256_buf(req->updateinfo_xml, strlen(req->updateinfo_xml), ui);
	buf = g_string_new(NULL);
	g_string_append_printf(buf, "set %s\nupdateinfo %s\n", out, ui);
	q_hash_sha256_buf(buf->str, buf->len, out);
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
	int sorted = 1;

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
	for (size_t i = 0; i < req->n_pkgs; i++) {
		v[i] = &req->pkgs[i];
		if (i > 0 && cmp_pkg_filename(&v[i - 1], &v[i]) > 0)
			sorted = 0;
	}
	/* The store lists them by file name already: usually nothing to do. */
	if (!sorted)
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

/*
 * .packages-manifest: "SHA256 FILENAME" lines, sorted by file name, for the
 * Packages/ files a publish placed, then "end SHA256" over the lines
 * before. A listed file that is still in Packages/ (one readdir) is not
 * checked again. The manifest never claims a file that is not in place:
 * - it is renamed in only after Packages/ was fsynced; its content is not
 *   fsynced (a damaged one fails its own checksum: every file is checked
 *   again), its name is made durable by the fsync of ARCH_DIR at the swap,
 *   and a publish that fails after writing it removes it durably;
 * - it is removed durably before a file it lists gets other content or is
 *   deleted, and whenever it is not used (force, damaged, missing).
 */

struct manifest {
	char *buf;
	const char **names; /* sorted, unique */
	const char **sums;
	size_t n;
};

static void manifest_free(struct manifest *m)
{
	free(m->buf);
	g_free(m->names);
	g_free(m->sums);
	memset(m, 0, sizeof(*m));
}

/* 0 with *m filled, -1 when missing or damaged (then *m is empty). */
static int manifest_read(const char *arch_dir, struct manifest *m)
{
	const size_t magic = strlen(PUB_MANIFEST_MAGIC);
	char path[PUB_PATH_MAX], sum[Q_SHA256_HEX], *line, *nl, *end;
	struct q_error e = {0};
	size_t len = 0, cap;

	memset(m, 0, sizeof(*m));
	if (snprintf(path, sizeof(path), "%s/%s", arch_dir, PUB_MANIFEST) >= (int)sizeof(path) ||
	    q_fs_read_file(path, PUB_MANIFEST_MAX, &m->buf, &len, &e) < 0)
		return -1;
	/* The last line is "end SHA256\n". */
	if (len < magic + 69 || memcmp(m->buf, PUB_MANIFEST_MAGIC, magic) != 0 ||
	    memcmp(m->buf + len - 69, "end ", 4) != 0 || m->buf[len - 1] != '\n')
		goto bad;
	end = m->buf + len - 69;
	q_hash_sha256_buf(m->buf, (size_t)(end - m->buf), sum);
	if (memcmp(sum, end + 4, 64) != 0)
		goto bad;
	*end = '\0';
	cap = (size_t)(end - m->buf) / 70 + 1;
	m->names = g_new(const char *, cap);
	m->sums = g_new(const char *, cap);
	for (line = m->buf + magic; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl || nl - line < 66 || line[64] != ' ' || m->n == cap)
			goto bad;
		*nl = '\0';
		line[64] = '\0';
		if (m->n > 0 && strcmp(m->names[m->n - 1], line + 65) >= 0)
			goto bad;
		m->sums[m->n] = line;
		m->names[m->n++] = line + 65;
	}
	return 0;
bad:
	q_warn("ignoring the damaged '%s': checking every package", path);
	manifest_free(m);
	return -1;
}

/* Remove the manifest, durably (also its absence), before files change. */
static int manifest_drop(const char *arch_dir, int archfd, struct q_error *err)
{
	if (unlinkat(archfd, PUB_MANIFEST, 0) < 0 && errno != ENOENT)
		return q_error_set(err, Q_EIO, "cannot remove '%s/%s': %s", arch_dir, PUB_MANIFEST,
				   strerror(errno));
	if (fsync(archfd) < 0 && errno != EINVAL)
		return q_error_set(err, Q_EIO, "cannot fsync '%s': %s", arch_dir, strerror(errno));
	return 0;
}

/* Write it under a temporary name and rename it in (see above: no fsync). */
static int manifest_write(const char *arch_dir, int archfd, const struct q_publish_pkg **pkgs,
			  size_t n, struct q_error *err)
{
	GString *out = g_string_sized_new(strlen(PUB_MANIFEST_MAGIC) + n * 128 + 80);
	char tmpname[64], sum[Q_SHA256_HEX];
	int fd = -1, ret = -1;

	g_string_append(out, PUB_MANIFEST_MAGIC);
	for (size_t i = 0; i < n; i++) {
		g_string_append_len(out, pkgs[i]->sha256, 64);
		g_string_append_c(out, ' ');
		g_string_append(out, pkgs[i]->filename);
		g_string_append_c(out, '\n');
	}
	q_hash_sha256_buf(out->str, out->len, sum);
	g_string_append_printf(out, "end %s\n", sum);
	snprintf(tmpname, sizeof(tmpname), "%s.tmp-%ld", PUB_MANIFEST, (long)getpid());
	fd = openat(archfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		q_error_set(err, Q_EIO, "cannot create '%s/%s': %s", arch_dir, tmpname,
			    strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < out->len;) {
		ssize_t w = write(fd, out->str + off, out->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			q_error_set(err, Q_EIO, "cannot write '%s/%s': %s", arch_dir, tmpname,
				    w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0) {
		fd = -1;
		q_error_set(err, Q_EIO, "cannot write '%s/%s': %s", arch_dir, tmpname,
			    strerror(errno));
		goto out;
	}
	fd = -1;
	if (renameat(archfd, tmpname, archfd, PUB_MANIFEST) < 0) {
		q_error_set(err, Q_EIO, "cannot rename '%s/%s': %s", arch_dir, tmpname,
			    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlinkat(archfd, tmpname, 0);
	g_string_free(out, TRUE);
	return ret;
}

/* The names in a directory but . and .. (keys in *names, freed with it). */
static GHashTable *dir_names(int dfd, GStringChunk **names)
{
	GHashTable *set;
	struct dirent *de;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	*names = NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	set = g_hash_table_new(g_str_hash, g_str_equal);
	*names = g_string_chunk_new(1 << 16);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			g_hash_table_add(set, g_string_chunk_insert(*names, de->d_name));
	closedir(d);
	return set;
}

/*
 * Packages/ is listed by a thread (under the lock) while the publish
 * computes the set digest and reads the manifest; placing packages and
 * cleaning Packages/ up use the listing.
 */
struct dir_scan {
	int dfd;
	int started, done;
	pthread_t tid;
	GHashTable *set; /* NULL when the directory could not be read */
	GStringChunk *names;
};

static void *dir_scan_run(void *arg)
{
	struct dir_scan *s = arg;

	s->set = dir_names(s->dfd, &s->names);
	return NULL;
}

static void dir_scan_start(struct dir_scan *s, int dfd)
{
	s->dfd = dfd;
	s->started = pthread_create(&s->tid, NULL, dir_scan_run, s) == 0;
}

static GHashTable *dir_scan_wait(struct dir_scan *s)
{
	if (!s->done) {
		if (s->started)
			pthread_join(s->tid, NULL);
		else
			dir_scan_run(s); /* no thread: list it here */
		s->done = 1;
	}
	return s->set;
}

static void dir_scan_free(struct dir_scan *s)
{
	if (s->started && !s->done)
		pthread_join(s->tid, NULL);
	if (s->set)
		g_hash_table_destroy(s->set);
	if (s->names)
		g_string_chunk_free(s->names);
	memset(s, 0, sizeof(*s));
}

/*
 * Put every package in Packages/. With a manifest (not on force or repair), a
 * package it lists with the same sha256 whose file is there is skipped;
 * everything else goes through place_package. *touched is set when
 * place_package ran (Packages/ then needs an fsync).
 */
static int place_packages(const struct q_publish_req *req, int repair, int archfd, int pkgfd,
			  const char *pkgdir, const struct q_publish_pkg **pkgs, size_t n,
			  struct dir_scan *scan, int *touched, struct q_error *err)
{
	struct manifest m = {0};
	GHashTable *present = NULL;
	int have = 0, dropped = 0, ret = -1;
	size_t skipped = 0, k = 0;

	*touched = 0;
	if (!req->force && !repair && manifest_read(req->arch_dir, &m) == 0) {
		present = dir_scan_wait(scan);
		have = present != NULL;
	}
	/* Not used: it must not outlive the changes we make. */
	if (!have) {
		if (manifest_drop(req->arch_dir, archfd, err) < 0)
			goto out;
		dropped = 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *sum = NULL;
		int c = 1;

		/* Both are sorted by file name: walk them together. */
		while (have && k < m.n && (c = strcmp(m.names[k], pkgs[i]->filename)) < 0)
			k++;
		if (have && k < m.n && c == 0)
			sum = m.sums[k];
		if (sum && strcmp(sum, pkgs[i]->sha256) == 0 &&
		    g_hash_table_contains(present, pkgs[i]->filename)) {
			skipped++;
			continue;
		}
		/* A listed name may get other content: the manifest goes first. */
		if (sum && strcmp(sum, pkgs[i]->sha256) != 0 && !dropped) {
			if (manifest_drop(req->arch_dir, archfd, err) < 0)
				goto out;
			dropped = 1;
		}
		*touched = 1;
		if (place_package(pkgfd, pkgdir, pkgs[i], err) < 0)
			goto out;
	}
	q_debug("publish '%s': %zu of %zu packages known from the manifest", req->arch_dir, skipped,
		n);
	ret = 0;
out:
	manifest_free(&m);
	return ret;
}

/* ---- metadata files ----------------------------------------------------- */

/*
 * Each .xml.gz is a gzip file of several members (RFC 1952 2.2; zlib's
 * gzread, libsolv, createrepo_c and Python read them as one stream):
 *   member(header with packages="N") + one member per block + member(footer)
 * The packages (sorted by file name) are cut into blocks after each one
 * whose sha256, as a number, is 0 mod 32 (or after PUB_BLOCK_MAX), so one
 * added or removed package changes one block. A block's member is
 * compressed once (by createrepo_c's gzip writer, its level) and kept in
 * ARCH_DIR/.mdcache/KIND-KEY-SUM.gz: KEY is the SHA-256 over the cache
 * version, the kind and each package's sha256 and chunk length (a chunk
 * is a function of the RPM), SUM the SHA-256 of the member itself, checked
 * at every use, so a damaged or short file is compressed again, never
 * served. Cache files are written under a temporary name and renamed; they
 * need no fsync, as the published .xml.gz (a copy) is fsynced. The header
 * and footer, which change with N, are stored (not compressed) members.
 * The XML is byte for byte what cr_xmlfile writes for the same chunks.
 */

static const char *const md_header[3] = {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata "
    "xmlns=\"http://linux.duke.edu/metadata/common\" "
    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" ",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filelists "
    "xmlns=\"http://linux.duke.edu/metadata/filelists\" ",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<otherdata "
    "xmlns=\"http://linux.duke.edu/metadata/other\" ",
};
static const char *const md_footer[3] = {"</metadata>", "</filelists>", "</otherdata>"};

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32_of(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t c = 0xFFFFFFFFu;

	while (len--)
		c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static void put_le32(GByteArray *out, uint32_t v)
{
	const guint8 b[4] = {(guint8)v, (guint8)(v >> 8), (guint8)(v >> 16), (guint8)(v >> 24)};

	g_byte_array_append(out, b, 4);
}

/* A gzip member holding data in stored (uncompressed) deflate blocks. */
static void gz_stored_member(GByteArray *out, const char *data, size_t len)
{
	static const guint8 hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	uint32_t crc = crc32_of(data, len);
	size_t left = len;
	const char *p = data;

	g_byte_array_append(out, hdr, sizeof(hdr));
	do {
		size_t k = left < 65535 ? left : 65535;
		const guint8 b[5] = {left == k ? 1 : 0, (guint8)k, (guint8)(k >> 8), (guint8)~k,
				     (guint8)(~k >> 8)};

		g_byte_array_append(out, b, 5);
		g_byte_array_append(out, (const guint8 *)p, (guint)k);
		p += k;
		left -= k;
	} while (left);
	put_le32(out, crc);
	put_le32(out, (uint32_t)len);
}

static void sha_hex(EVP_MD_CTX *ctx, char out[Q_SHA256_HEX]);

/* SHA-256 of a buffer with the job's context (no per-call algorithm fetch). */
static void sha_buf(EVP_MD_CTX *ctx, const EVP_MD *md, const void *data, size_t len,
		    char out[Q_SHA256_HEX])
{
	EVP_DigestInit_ex(ctx, md, NULL);
	EVP_DigestUpdate(ctx, data, len);
	sha_hex(ctx, out);
}

static void sha_hex(EVP_MD_CTX *ctx, char out[Q_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_DigestFinal_ex(ctx, md, &len);
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* " N" in decimal (printf is slow for thousands of small numbers). */
static void append_size(GString *s, size_t v)
{
	char d[24];
	int k = (int)sizeof(d);

	do {
		d[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	d[--k] = ' ';
	g_string_append_len(s, d + k, (gssize)sizeof(d) - k);
}

struct md_job {
	const char *type;                  /* "primary", "filelists", "other" */
	int kind;                          /* index into md_header */
	size_t chunk_off;                  /* offset of the chunk in q_publish_pkg */
	const struct q_publish_pkg **pkgs; /* sorted */
	size_t n;
	const size_t *bstart; /* block b is [bstart[b], bstart[b + 1]) */
	size_t n_blocks;
	const char *cachedir;
	int cachefd;
	GHashTable *cached; /* "KIND-KEY" -> file name in .mdcache (read only) */
	const char *newdir;
	int newfd;
	const EVP_MD *md;     /* SHA-256, fetched once */
	EVP_MD_CTX *ctx;      /* for one-shot digests */
	int64_t timestamp;    /* record timestamp and file mtime */
	int fd;               /* result: the written file, to fsync */
	GPtrArray *used;      /* result: .mdcache names this publish uses */
	size_t reused;        /* blocks found in the cache */
	cr_RepomdRecord *rec; /* result: owned until moved to repomd */
	struct q_error err;   /* when rec is NULL */
};

static const char *job_chunk(const struct md_job *j, size_t i)
{
	return *(const char *const *)((const char *)j->pkgs[i] + j->chunk_off);
}

/* Read .mdcache/NAME and check it against the SUM its name ends with. */
static int member_load(struct md_job *j, const char *name, GByteArray *out)
{
	size_t nl = strlen(name), start = out->len;
	char sum[Q_SHA256_HEX];
	struct stat st;
	ssize_t got = 0;
	int fd;

	if (nl < 64 + 3)
		return -1;
	/* No atime update: reading the cache must not dirty its inodes. */
	fd = openat(j->cachefd, name, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(j->cachefd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > PUB_MEMBER_MAX) {
		close(fd);
		return -1;
	}
	g_byte_array_set_size(out, (guint)(start + (size_t)st.st_size));
	for (size_t off = 0; off < (size_t)st.st_size; off += (size_t)got) {
		got = read(fd, out->data + start + off, (size_t)st.st_size - off);
		if (got < 0 && errno == EINTR) {
			got = 0;
			continue;
		}
		if (got <= 0) {
			close(fd);
			g_byte_array_set_size(out, (guint)start);
			return -1;
		}
	}
	close(fd);
	sha_buf(j->ctx, j->md, out->data + start, (size_t)st.st_size, sum);
	if (memcmp(sum, name + nl - 3 - 64, 64) != 0) {
		g_byte_array_set_size(out, (guint)start);
		return -1;
	}
	return 0;
}

/* Compress block b into the cache; *name gets the new file's name. */
static int member_make(struct md_job *j, size_t b, const size_t *lens, const char *key, char **name)
{
	char tmpname[128], path[PUB_PATH_MAX], sum[Q_SHA256_HEX];
	char *data = NULL;
	size_t len = 0;
	GError *ge = NULL;
	CR_FILE *f;

	*name = NULL;
	snprintf(tmpname, sizeof(tmpname), "%s%s-%ld", PUB_MDCACHE_TMP, j->type, (long)getpid());
	if (join(path, j->cachedir, tmpname, &j->err) < 0)
		return -1;
	unlinkat(j->cachefd, tmpname, 0);
	f = cr_open(path, CR_CW_MODE_WRITE, CR_CW_GZ_COMPRESSION, &ge);
	if (!f)
		goto fail;
	for (size_t i = j->bstart[b]; i < j->bstart[b + 1]; i++) {
		const char *c = job_chunk(j, i);

		for (size_t off = 0; off < lens[i - j->bstart[b]];) {
			size_t k = lens[i - j->bstart[b]] - off;

			k = k > (1u << 30) ? 1u << 30 : k;
			if (cr_write(f, c + off, (unsigned)k, &ge) < 0) {
				cr_close(f, NULL);
				goto fail;
			}
			off += k;
		}
	}
	if (cr_close(f, &ge) != CRE_OK)
		goto fail;
	if (q_fs_read_file(path, PUB_MEMBER_MAX, &data, &len, &j->err) < 0)
		goto fail_unlink;
	sha_buf(j->ctx, j->md, data, len, sum);
	free(data);
	*name = g_strdup_printf("%s-%s-%s.gz", j->type, key, sum);
	if (renameat(j->cachefd, tmpname, j->cachefd, *name) < 0) {
		q_error_set(&j->err, Q_EIO, "cannot rename '%s' to '%s': %s", path, *name,
			    strerror(errno));
		g_free(*name);
		*name = NULL;
		goto fail_unlink;
	}
	return 0;
fail:
	q_error_set(&j->err, Q_EIO, "cannot compress '%s': %s", path,
		    ge ? ge->message : "unknown error");
	if (ge)
		g_error_free(ge);
fail_unlink:
	unlinkat(j->cachefd, tmpname, 0);
	return -1;
}

static char *md_header_text(int kind, size_t n)
{
	return g_strdup_printf("%spackages=\"%zu\">\n", md_header[kind], n);
}

/*
 * The open-checksum and open-size of one kind: SHA-256 of the whole XML,
 * in its own thread (the largest part of the work, and serial).
 */
struct open_job {
	const struct md_job *j;
	char sum[Q_SHA256_HEX]; /* empty on failure */
	size_t size;
};

static void *open_hash(void *arg)
{
	struct open_job *o = arg;
	const struct md_job *j = o->j;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *head = md_header_text(j->kind, j->n);
	size_t len = strlen(head);

	o->sum[0] = '\0';
	if (ctx && EVP_DigestInit_ex(ctx, j->md, NULL)) {
		EVP_DigestUpdate(ctx, head, len);
		o->size = len;
		for (size_t i = 0; i < j->n; i++) {
			const char *c = job_chunk(j, i);

			len = strlen(c);
			EVP_DigestUpdate(ctx, c, len);
			o->size += len;
		}
		len = strlen(md_footer[j->kind]);
		EVP_DigestUpdate(ctx, md_footer[j->kind], len);
		o->size += len;
		sha_hex(ctx, o->sum);
	}
	EVP_MD_CTX_free(ctx);
	g_free(head);
	return NULL;
}

static void *md_write(void *arg)
{
	struct md_job *j = arg;
	GString *keytext = g_string_sized_new(PUB_BLOCK_MAX * 96);
	GByteArray *gz = g_byte_array_sized_new(1 << 18);
	size_t *lens = NULL, nlen;
	char *text = NULL, sum[Q_SHA256_HEX], key[Q_SHA256_HEX];
	char fname[128], path[PUB_PATH_MAX], *made = NULL;
	cr_RepomdRecord *rec = NULL;
	int fd = -1;

	j->ctx = EVP_MD_CTX_new();
	if (!j->ctx) {
		q_error_set(&j->err, Q_EINTERNAL, "cannot start a SHA-256");
		goto out;
	}
	text = md_header_text(j->kind, j->n);
	nlen = strlen(text);
	gz_stored_member(gz, text, nlen);
	g_free(text);
	text = NULL;

	lens = g_new(size_t, PUB_BLOCK_MAX);
	for (size_t b = 0; b < j->n_blocks; b++) {
		size_t first = j->bstart[b], count = j->bstart[b + 1] - first;
		char lookup[160];
		const char *name;

		g_string_assign(keytext, PUB_MDCACHE_VERSION "\n");
		g_string_append(keytext, j->type);
		for (size_t i = 0; i < count; i++) {
			const char *c = job_chunk(j, first + i);

			lens[i] = strlen(c);
			g_string_append_c(keytext, '\n');
			g_string_append_len(keytext, j->pkgs[first + i]->sha256, 64);
			append_size(keytext, lens[i]);
		}
		sha_buf(j->ctx, j->md, keytext->str, keytext->len, key);
		snprintf(lookup, sizeof(lookup), "%s-%s", j->type, key);
		name = g_hash_table_lookup(j->cached, lookup);
		if (name && member_load(j, name, gz) == 0) {
			j->reused++;
			g_ptr_array_add(j->used, g_strdup(name));
			continue;
		}
		if (name) {
			q_warn("'%s/%s' is damaged: compressing its packages again", j->cachedir,
			       name);
			unlinkat(j->cachefd, name, 0);
		}
		if (member_make(j, b, lens, key, &made) < 0)
			goto out;
		g_ptr_array_add(j->used, made);
		if (member_load(j, made, gz) < 0) {
			q_error_set(&j->err, Q_EIO, "cannot read back '%s/%s'", j->cachedir, made);
			goto out;
		}
	}

	gz_stored_member(gz, md_footer[j->kind], strlen(md_footer[j->kind]));
	sha_buf(j->ctx, j->md, gz->data, gz->len, sum);

	snprintf(fname, sizeof(fname), "%s-%s.xml.gz", sum, j->type);
	if (join(path, j->newdir, fname, &j->err) < 0)
		goto out;
	fd = openat(j->newfd, fname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		q_error_set(&j->err, Q_EIO, "cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < gz->len;) {
		ssize_t w = write(fd, gz->data + off, gz->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			q_error_set(&j->err, Q_EIO, "cannot write '%s': %s", path,
				    w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	rec = cr_repomd_record_new(j->type, path);
	rec->checksum = g_string_chunk_insert(rec->chunk, sum);
	rec->checksum_type = g_string_chunk_insert(rec->chunk, "sha256");
	rec->size = (gint64)gz->len; /* the open-size and -checksum: open_hash */
	cr_repomd_record_set_timestamp(rec, j->timestamp);
	j->rec = rec;
	j->fd = fd; /* fsynced by the caller */
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	g_free(lens);
	g_free(text);
	g_byte_array_unref(gz);
	EVP_MD_CTX_free(j->ctx);
	j->ctx = NULL;
	g_string_free(keytext, TRUE);
	return NULL;
}

/* Cut the sorted packages into blocks (see above); returns the count. */
static size_t cut_blocks(const struct q_publish_pkg **pkgs, size_t n, size_t **bstart)
{
	size_t nb = 0, start = 0;

	*bstart = g_new(size_t, n + 2);
	for (size_t i = 0; i < n; i++) {
		const char *s = pkgs[i]->sha256;
		unsigned lo = ((unsigned)g_ascii_xdigit_value(s[63]) |
			       (unsigned)g_ascii_xdigit_value(s[62]) << 4) &
			      (PUB_BLOCK_AVG - 1);

		if (lo == 0 || i + 1 - start == PUB_BLOCK_MAX || i + 1 == n) {
			(*bstart)[nb++] = start;
			start = i + 1;
		}
	}
	(*bstart)[nb] = n;
	return nb;
}

/*
 * The .mdcache files by "KIND-KEY" (values are the names). Leftover
 * temporary files (we hold the lock) are removed.
 */
static GHashTable *cache_index(int cachefd)
{
	GHashTable *idx = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	struct dirent *de;
	int fd = openat(cachefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return idx;
	}
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);

		if (strncmp(de->d_name, PUB_MDCACHE_TMP, strlen(PUB_MDCACHE_TMP)) == 0) {
			unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (nl < 64 + 1 + 64 + 3 || strcmp(de->d_name + nl - 3, ".gz") != 0)
			continue;
		g_hash_table_replace(idx, g_strndup(de->d_name, nl - 3 - 65), g_strdup(de->d_name));
	}
	closedir(d);
	return idx;
}

/* Remove .mdcache files this publish did not use, once past the grace. */
static void cache_prune(const char *arch_dir, int archfd, GHashTable *used, int64_t now,
			int64_t grace)
{
	GPtrArray *doomed = g_ptr_array_new_with_free_func(g_free);
	struct dirent *de;
	struct stat st;
	int cfd = openat(archfd, PUB_MDCACHE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = cfd >= 0 ? fdopendir(cfd) : NULL;

	if (!d) {
		if (cfd >= 0)
			close(cfd);
		g_ptr_array_unref(doomed);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || g_hash_table_contains(used, de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now - (int64_t)st.st_mtime < grace)
			continue;
		g_ptr_array_add(doomed, g_strdup(de->d_name));
	}
	for (guint i = 0; i < doomed->len; i++)
		if (unlinkat(dirfd(d), doomed->pdata[i], 0) < 0 && errno != ENOENT)
			q_warn("cannot remove '%s/%s/%s': %s", arch_dir, PUB_MDCACHE,
			       (char *)doomed->pdata[i], strerror(errno));
	closedir(d);
	g_ptr_array_unref(doomed);
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
 * manifest_safe: the manifest on disk lists files of the set only (else
 * it is removed before the first file is).
 */
static void cleanup_packages(const char *arch_dir, int archfd, const struct q_publish_pkg **pkgs,
			     size_t n, int64_t now, int64_t grace, int manifest_safe,
			     GHashTable *listing)
{
	GHashTable *in_set = g_hash_table_new(g_str_hash, g_str_equal);
	/* file name -> g_malloc'd int64_t: when it left the set */
	GHashTable *gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GString *out = g_string_new(NULL);
	char path[PUB_PATH_MAX], *journal = NULL;
	struct q_error e = {0};
	GHashTableIter it, li;
	gpointer k, v, name_p;
	GStringChunk *names = NULL;
	int changed = 0, pkgfd = -1;

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
	/* The publish listed Packages/ already (under the lock); or list it now. */
	if (!listing) {
		listing = dir_names(pkgfd, &names);
		if (!listing)
			goto out;
	}
	g_hash_table_iter_init(&li, listing);
	while (g_hash_table_iter_next(&li, &name_p, NULL)) {
		const char *d_name = name_p;
		int64_t *t;

		if (g_hash_table_contains(in_set, d_name))
			continue;
		t = g_hash_table_lookup(gone, d_name);
		if (!t) {
			t = g_memdup2(&now, sizeof(now));
			g_hash_table_replace(gone, g_strdup(d_name), t);
			changed = 1;
		}
		if (now - *t < grace) {
			g_string_append_printf(out, "%" PRId64 " %s\n", *t, d_name);
			continue;
		}
		/* The manifest must not list a file we delete: one of the set only. */
		if (!manifest_safe) {
			if (manifest_drop(arch_dir, archfd, &e) < 0) {
				q_warn("%s", e.msg);
				g_string_append_printf(out, "%" PRId64 " %s\n", *t, d_name);
				continue;
			}
			manifest_safe = 1;
		}
		if (unlinkat(pkgfd, d_name, 0) < 0 && errno != ENOENT) {
			q_warn("cannot remove '%s/%s/%s': %s", arch_dir, PUB_PACKAGES, d_name,
			       strerror(errno));
			g_string_append_printf(out, "%" PRId64 " %s\n", *t, d_name);
			continue;
		}
		q_debug("removed '%s/%s/%s'", arch_dir, PUB_PACKAGES, d_name);
		changed = 1;
	}
	/* Entries whose file is back in the set or gone by other means. */
	g_hash_table_iter_init(&it, gone);
	while (!changed && g_hash_table_iter_next(&it, &k, &v)) {
		if (g_hash_table_contains(in_set, k) || !g_hash_table_contains(listing, k))
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
	if (pkgfd >= 0)
		close(pkgfd);
	if (names) {
		g_hash_table_destroy(listing);
		g_string_chunk_free(names);
	}
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
	fd = q_fs_lock_file(path, err);
	if (fd < 0)
		return -1;
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

/*
 * Is ARCH_DIR as the last publish left it? res holds repodata/repomd.xml's
 * digests (describe_current). Checked: repomd.xml is the file the last
 * publish recorded (when the caller knows it), every metadata file it lists
 * is in repodata/ with its size and checksum (the metadata only: a few
 * files), and every package of the set has its name in Packages/ (the
 * listing, one readdir). Packages are not stat'ed: two stats per package
 * cost 20x the whole unchanged publish on 20000 packages (440 ms against
 * 22 ms here); other bytes under a package's name are put right by a
 * publish with force (place_package compares inodes). On a difference
 * *why says what.
 */
static int current_intact(const struct q_publish_req *req, int archfd, int pkgfd,
			  const struct q_publish_pkg **pkgs, size_t n, GHashTable *listing,
			  const struct q_publish_result *res, char *why, size_t whylen)
{
	char path[PUB_PATH_MAX];
	cr_Repomd *md = NULL;
	GError *ge = NULL;
	int ok = 0;

	if (req->last_repomd_sha256 && strcmp(req->last_repomd_sha256, res->repomd.sha256)) {
		snprintf(why, whylen, "repodata/repomd.xml is not the one the last publish wrote");
		return 0;
	}
	if (snprintf(path, sizeof(path), "%s/%s/repomd.xml", req->arch_dir, PUB_REPODATA) >=
	    (int)sizeof(path)) {
		snprintf(why, whylen, "its path is too long");
		return 0;
	}
	md = cr_repomd_new();
	if (cr_xml_parse_repomd(path, md, NULL, NULL, &ge) != CRE_OK) {
		snprintf(why, whylen, "repodata/repomd.xml cannot be read");
		goto out;
	}
	for (GSList *l = md->records; l; l = l->next) {
		cr_RepomdRecord *rec = l->data;
		const char *h = rec->location_href;
		struct stat st;
		char *sum;

		if (!h || strncmp(h, PUB_REPODATA "/", sizeof(PUB_REPODATA)) != 0 ||
		    !h[sizeof(PUB_REPODATA)] || strchr(h + sizeof(PUB_REPODATA), '/') ||
		    !rec->checksum || !rec->checksum_type) {
			snprintf(why, whylen, "repomd.xml lists '%.200s', not a file of repodata/",
				 h ? h : "(nothing)");
			goto out;
		}
		if (fstatat(archfd, h, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
		    (rec->size > 0 && st.st_size != rec->size)) {
			snprintf(why, whylen, "%.200s is missing or has another size", h);
			goto out;
		}
		if (join(path, req->arch_dir, h, NULL) < 0) {
			snprintf(why, whylen, "its path is too long");
			goto out;
		}
		sum = cr_checksum_file(path, cr_checksum_type(rec->checksum_type), NULL);
		if (!sum || strcmp(sum, rec->checksum)) {
			g_free(sum);
			snprintf(why, whylen, "%.200s does not match its checksum in repomd.xml",
				 h);
			goto out;
		}
		g_free(sum);
	}
	if (!listing) {
		snprintf(why, whylen, "Packages/ cannot be listed");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!g_hash_table_contains(listing, pkgs[i]->filename)) {
			snprintf(why, whylen, "Packages/%.200s is missing", pkgs[i]->filename);
			goto out;
		}
	}
	ok = 1;
out:
	if (ge)
		g_error_free(ge);
	cr_repomd_free(md);
	return ok;
}

static int fsync_fd(int fd, const char *what, struct q_error *err)
{
	if (fsync(fd) < 0 && errno != EINVAL)
		return q_error_set(err, Q_EIO, "cannot fsync '%s': %s", what, strerror(errno));
	return 0;
}

/*
 * Write xml as NEWDIR/SUM-updateinfo.xml.gz (gzip by createrepo_c, as the
 * other metadata files), fsynced; *out gets its repomd record (type
 * "updateinfo", checksums and sizes of the file and of the XML).
 */
static int write_updateinfo(const char *newdir, int newfd, const char *xml, int64_t now,
			    cr_RepomdRecord **out, struct q_error *err)
{
	char tmp[PUB_PATH_MAX], path[PUB_PATH_MAX], sum[Q_SHA256_HEX], open_sum[Q_SHA256_HEX];
	char fname[128];
	size_t len = strlen(xml);
	cr_RepomdRecord *rec;
	GError *ge = NULL;
	struct stat st;
	CR_FILE *f;
	int fd;

	*out = NULL;
	if (len > PUB_MEMBER_MAX)
		return q_error_set(err, Q_EINVAL, "updateinfo.xml is larger than %u bytes",
				   PUB_MEMBER_MAX);
	if (join(tmp, newdir, ".updateinfo.xml.gz", err) < 0)
		return -1;
	f = cr_open(tmp, CR_CW_MODE_WRITE, CR_CW_GZ_COMPRESSION, &ge);
	if (f && cr_write(f, xml, (unsigned)len, &ge) < 0) {
		cr_close(f, NULL);
		f = NULL;
	}
	if (!f || cr_close(f, &ge) != CRE_OK) {
		q_error_set(err, Q_EIO, "cannot write '%s': %s", tmp,
			    ge ? ge->message : "unknown error");
		if (ge)
			g_error_free(ge);
		unlinkat(newfd, ".updateinfo.xml.gz", 0);
		return -1;
	}
	if (q_hash_sha256_file(tmp, sum, err) < 0)
		return -1;
	q_hash_sha256_buf(xml, len, open_sum);
	snprintf(fname, sizeof(fname), "%s-updateinfo.xml.gz", sum);
	if (join(path, newdir, fname, err) < 0)
		return -1;
	if (renameat(newfd, ".updateinfo.xml.gz", newfd, fname) < 0)
		return q_error_set(err, Q_EIO, "cannot rename '%s': %s", tmp, strerror(errno));
	fd = openat(newfd, fname, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || fsync_fd(fd, path, err) < 0) {
		if (fd >= 0)
			close(fd);
		return q_error_set(err, Q_EIO, "cannot sync '%s': %s", path, strerror(errno));
	}
	close(fd);
	rec = cr_repomd_record_new("updateinfo", path);
	rec->checksum = g_string_chunk_insert(rec->chunk, sum);
	rec->checksum_type = g_string_chunk_insert(rec->chunk, "sha256");
	rec->checksum_open = g_string_chunk_insert(rec->chunk, open_sum);
	rec->checksum_open_type = g_string_chunk_insert(rec->chunk, "sha256");
	rec->size = (gint64)st.st_size;
	rec->size_open = (gint64)len;
	cr_repomd_record_set_timestamp(rec, now);
	*out = rec;
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
		q_test_phase("publish-mid-swap", arch_dir);
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
		size_t off;
	} kinds[3] = {
	    {"primary", offsetof(struct q_publish_pkg, primary_xml)},
	    {"filelists", offsetof(struct q_publish_pkg, filelists_xml)},
	    {"other", offsetof(struct q_publish_pkg, other_xml)},
	};
	const struct q_publish_pkg **pkgs = NULL;
	struct md_job *jobs = NULL;
	GHashTable *cached = NULL, *used = NULL;
	size_t *bstart = NULL, n_blocks = 0;
	char cachedir[PUB_PATH_MAX];
	int cachefd = -1, touched = 0, manifest_ok = 0, pkg_synced = 1, repair = 0;
	struct q_error pkg_err = {0};
	EVP_MD *sha256_md = NULL;
	struct dir_scan scan = {0};
	pthread_t tids[6];
	int started[6] = {0};
	struct open_job opens[3];
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

	if (q_fs_mkdirs(arch_dir, 0755, err) < 0)
		goto out;
	archfd = open(arch_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (archfd < 0) {
		q_error_set(err, Q_EIO, "cannot open '%s': %s", arch_dir, strerror(errno));
		goto out;
	}
	if (lock_dir(arch_dir, &lockfd, err) < 0)
		goto out;
	q_test_phase("publish-begin", arch_dir);
	now = (int64_t)time(NULL);

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
	dir_scan_start(&scan, pkgfd);
	q_publish_req_digest(req, res->set_digest);

	/* Leftovers of a crash are never served and never reused. */
	cleanup_dirs(arch_dir, archfd, 0, now, req->grace_seconds);

	if (!req->force && last[0] && strcmp(last, res->set_digest) == 0 &&
	    faccessat(archfd, PUB_REPODATA "/repomd.xml", F_OK, 0) == 0) {
		struct q_error cur = {0};

		char why[300] = "";

		if (describe_current(arch_dir, res, &cur) == 0 &&
		    current_intact(req, archfd, pkgfd, pkgs, n, dir_scan_wait(&scan), res, why,
				   sizeof(why))) {
			res->changed = 0;
			cleanup_dirs(arch_dir, archfd, 1, now, req->grace_seconds);
			cleanup_packages(arch_dir, archfd, pkgs, n, now, req->grace_seconds, 0,
					 dir_scan_wait(&scan));
			ret = 0;
			goto out;
		}
		/* What no publish wrote (an unreadable or foreign repomd.xml, a
		 * missing or changed file) is healed by publishing again, every
		 * package checked (not taken from the manifest). */
		q_warn("%s; publishing '%s' again", why[0] ? why : cur.msg, arch_dir);
		memset(&res->repomd, 0, sizeof(res->repomd));
		repair = 1;
	}

	/* Packages first: new metadata never names a missing file. */
	if (place_packages(req, repair, archfd, pkgfd, pkgdir, pkgs, n, &scan, &touched, err) < 0)
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

	if (join(cachedir, arch_dir, PUB_MDCACHE, err) < 0)
		goto out;
	if (mkdirat(archfd, PUB_MDCACHE, 0755) < 0 && errno != EEXIST) {
		q_error_set(err, Q_EIO, "cannot create directory '%s': %s", cachedir,
			    strerror(errno));
		goto out;
	}
	cachefd = openat(archfd, PUB_MDCACHE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cachefd < 0) {
		q_error_set(err, Q_EIO, "cannot open '%s': %s", cachedir, strerror(errno));
		goto out;
	}
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!sha256_md) {
		q_error_set(err, Q_EINTERNAL, "cannot fetch SHA-256 from OpenSSL");
		goto out;
	}
	cached = cache_index(cachefd);
	n_blocks = cut_blocks(pkgs, n, &bstart);

	/* primary, filelists and other in threads; the manifest meanwhile. */
	jobs = g_new0(struct md_job, 3);
	for (int i = 0; i < 3; i++) {
		struct md_job *j = &jobs[i];

		j->type = kinds[i].type;
		j->kind = i;
		j->chunk_off = kinds[i].off;
		j->pkgs = pkgs;
		j->n = n;
		j->bstart = bstart;
		j->n_blocks = n_blocks;
		j->cachedir = cachedir;
		j->cachefd = cachefd;
		j->cached = cached;
		j->newdir = newdir;
		j->newfd = newfd;
		j->timestamp = now;
		j->used = g_ptr_array_new_with_free_func(g_free);
		j->fd = -1;
		j->md = sha256_md;
	}
	for (int i = 0; i < 3; i++) {
		opens[i] = (struct open_job){.j = &jobs[i]};
		started[i] = pthread_create(&tids[i], NULL, md_write, &jobs[i]) == 0;
		started[3 + i] = pthread_create(&tids[3 + i], NULL, open_hash, &opens[i]) == 0;
	}
	if (touched)
		pkg_synced = fsync_fd(pkgfd, pkgdir, &pkg_err) == 0;
	/*
	 * Meanwhile: Packages/ is made durable (files the manifest lists were
	 * fsynced by the publish that wrote it), then the manifest written.
	 */
	if (pkg_synced) {
		struct q_error me = {0};

		manifest_ok = manifest_write(arch_dir, archfd, pkgs, n, &me) == 0;
		if (!manifest_ok)
			q_warn("%s", me.msg);
	}
	for (int i = 0; i < 3; i++) {
		if (started[i])
			pthread_join(tids[i], NULL);
		else
			md_write(&jobs[i]); /* no thread: do it here */
		if (started[3 + i])
			pthread_join(tids[3 + i], NULL);
		else
			open_hash(&opens[i]);
	}
	if (!pkg_synced) {
		if (err)
			*err = pkg_err;
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		cr_RepomdRecord *rec = jobs[i].rec;

		if (!rec) {
			if (err)
				*err = jobs[i].err;
			goto out;
		}
		if (!opens[i].sum[0]) {
			q_error_set(err, Q_EINTERNAL, "cannot hash the %s metadata of '%s'",
				    jobs[i].type, arch_dir);
			goto out;
		}
		rec->checksum_open = g_string_chunk_insert(rec->chunk, opens[i].sum);
		rec->checksum_open_type = g_string_chunk_insert(rec->chunk, "sha256");
		rec->size_open = (gint64)opens[i].size;
	}
	/* One journal commit makes all three durable; the rest is cheap. */
	for (int i = 0; i < 3; i++)
		if (fsync_fd(jobs[i].fd, jobs[i].rec->location_real, err) < 0)
			goto out;
	q_debug("publish '%s': %zu blocks, %zu/%zu/%zu from the cache", arch_dir, n_blocks,
		jobs[0].reused, jobs[1].reused, jobs[2].reused);

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
	if (req->updateinfo_xml && *req->updateinfo_xml) {
		cr_RepomdRecord *ui = NULL;

		if (write_updateinfo(newdir, newfd, req->updateinfo_xml, now, &ui, err) < 0)
			goto out;
		cr_repomd_set_record(md, ui);
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

	q_test_phase("publish-before-swap", arch_dir);
	if (swap_in(arch_dir, archfd, newname, now, err) < 0)
		goto out;
	made_new = 0;
	q_test_phase("publish-after-swap", arch_dir);
	res->changed = 1;
	ret = 0;
	q_debug("publish '%s': swapped in at %.1f ms", arch_dir, ms_since(&t0));

	/* After the swap nothing can fail the publish. */
	cleanup_dirs(arch_dir, archfd, 1, now, req->grace_seconds);
	/* Listed before placing: placing only adds files of the set. */
	cleanup_packages(arch_dir, archfd, pkgs, n, now, req->grace_seconds, manifest_ok,
			 dir_scan_wait(&scan));
	used = g_hash_table_new(g_str_hash, g_str_equal);
	for (int i = 0; i < 3; i++)
		for (guint k = 0; k < jobs[i].used->len; k++)
			g_hash_table_add(used, jobs[i].used->pdata[k]);
	cache_prune(arch_dir, archfd, used, now, req->grace_seconds);
	q_test_phase("publish-end", arch_dir);
out:
	if (made_new)
		remove_dir(arch_dir, newname);
	if (ret < 0 && manifest_ok) {
		struct q_error me = {0};

		/* Its name would become durable with nothing to vouch for it. */
		if (manifest_drop(arch_dir, archfd, &me) < 0)
			q_warn("%s", me.msg);
	}
	if (used)
		g_hash_table_destroy(used);
	if (jobs)
		for (int i = 0; i < 3; i++) {
			cr_repomd_record_free(jobs[i].rec);
			if (jobs[i].fd >= 0)
				close(jobs[i].fd);
			if (jobs[i].used)
				g_ptr_array_unref(jobs[i].used);
		}
	g_free(jobs);
	g_free(bstart);
	EVP_MD_free(sha256_md);
	if (cached)
		g_hash_table_destroy(cached);
	if (cachefd >= 0)
		close(cachefd);
	cr_repomd_free(md);
	g_free(xml);
	if (ge)
		g_error_free(ge);
	if (newfd >= 0)
		close(newfd);
	dir_scan_free(&scan); /* before its directory is closed */
	if (pkgfd >= 0)
		close(pkgfd);
	if (lockfd >= 0)
		close(lockfd); /* releases the flock */
	if (archfd >= 0)
		close(archfd);
	g_free(pkgs);
	return ret;
}
