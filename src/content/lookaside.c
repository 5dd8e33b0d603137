/*
 * lookaside.c: the `.NAME.metadata` parser and the lookaside store (see
 * lookaside.h).
 *
 * DESIGN
 * - Parsing is strict, because the file decides what gets downloaded and
 *   where it lands: one "HASH SOURCES/FILE" per line, exactly one space,
 *   lower-case hex only (upper case is refused, not normalized: the hash is
 *   a file name in the lookaside, and two spellings of one name invite two
 *   blobs), no comments, no CR (CRLF files are refused with a hint), no
 *   trailing or leading white space, and only empty lines as blank lines.
 *   FILE is printable ASCII without '/', not "." or "..", at most 255 bytes;
 *   a FILE listed twice is refused. At most LA_MAX_ENTRIES lines and
 *   LA_MAX_TEXT bytes.
 * - The store is content-addressed by SHA-256: ROOT/sha256/AB/HASH. SHA-1
 *   names (old metadata files) go through ROOT/sha1/AB/SHA1, a small
 *   regular file holding the SHA-256 and a newline. Blobs are written to
 *   ROOT/tmp and renamed into place; the index is written atomically.
 * - A fetch never trusts its source: the local store's blob and a download
 *   are both hashed with the entry's algorithm while being written to a
 *   temporary file beside dest_path, and only a match is renamed to
 *   dest_path. A mismatch names the file and both hashes and leaves
 *   dest_path untouched (absent when it was absent).
 * - A blob missing from the local store is looked for at the external URL
 *   template (http or https only, redirects too), with libcurl's timeouts
 *   and max_size. A corrupted local blob is an error, not a reason to ask
 *   the external lookaside.
 */
#include "core/common.h"
#include "content/lookaside.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sys/stat.h>

#define LA_MAX_TEXT (1 << 20)  /* largest metadata file */
#define LA_MAX_ENTRIES 1000    /* lines with a hash */
#define LA_FILE_MAX 255        /* longest FILE */
#define LA_PATH_MAX 4096       /* paths we build */
#define LA_URL_MAX 4096        /* a URL built from the template */
#define LA_SHOW_MAX 80         /* bytes of untrusted text quoted in a message */
#define LA_CONNECT_TIMEOUT 30L /* seconds */
#define LA_TOTAL_TIMEOUT 3600L /* seconds for one download */
#define LA_LOW_SPEED 1024L     /* bytes/s below which ... */
#define LA_LOW_SPEED_TIME 60L  /* ... for this many seconds a download fails */
#define LA_MAX_REDIRS 5L

/* Untrusted bytes as something printable for a message: non-printable bytes
 * become '?', and long input is cut with "...". */
static const char *la_show(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < dstsz && i < LA_SHOW_MAX; i++)
		dst[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < n && o + 3 < dstsz) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

static int la_valid_file(const char *f, size_t n)
{
	if (n == 0 || n > LA_FILE_MAX)
		return 0;
	if ((n == 1 && f[0] == '.') || (n == 2 && f[0] == '.' && f[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (f[i] <= 0x20 || f[i] >= 0x7f || f[i] == '/')
			return 0;
	return 1;
}

static int la_hexkind(const char *h, size_t n)
{
	int upper = 0;

	for (size_t i = 0; i < n; i++) {
		if ((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'))
			continue;
		if (h[i] >= 'A' && h[i] <= 'F') {
			upper = 1;
			continue;
		}
		return -1; /* not hex at all */
	}
	return upper ? 1 : 0;
}

static int la_parse_line(const char *name, size_t lineno, const char *p, size_t n,
			 struct q_lookaside_entry *e, struct q_error *err)
{
	char a[LA_SHOW_MAX + 8];
	const char *sp, *target, *file;
	size_t hl, tl;
	int kind;

	if (memchr(p, '\0', n))
		return q_error_set(err, Q_EINVAL, "%s:%zu: NUL byte in line", name, lineno);
	if (p[n - 1] == '\r')
		return q_error_set(err, Q_EINVAL,
				   "%s:%zu: line ends with CR; use LF line endings, not CRLF", name,
				   lineno);
	if (p[0] == '#')
		return q_error_set(err, Q_EINVAL,
				   "%s:%zu: comments are not part of the format; expected "
				   "'HASH SOURCES/FILE'",
				   name, lineno);
	if (p[0] == ' ' || p[0] == '\t')
		return q_error_set(
		    err, Q_EINVAL,
		    "%s:%zu: line starts with white space; expected 'HASH SOURCES/FILE' "
		    "(blank lines must be empty)",
		    name, lineno);
	if (p[n - 1] == ' ' || p[n - 1] == '\t')
		return q_error_set(err, Q_EINVAL, "%s:%zu: trailing white space in '%s'", name,
				   lineno, la_show(a, sizeof(a), p, n));
	sp = memchr(p, ' ', n);
	if (!sp)
		return q_error_set(err, Q_EINVAL, "%s:%zu: expected 'HASH SOURCES/FILE', got '%s'",
				   name, lineno, la_show(a, sizeof(a), p, n));
	hl = (size_t)(sp - p);
	kind = la_hexkind(p, hl);
	if (kind < 0)
		return q_error_set(err, Q_EINVAL, "%s:%zu: hash '%s' is not hexadecimal", name,
				   lineno, la_show(a, sizeof(a), p, hl));
	if (kind > 0)
		return q_error_set(
		    err, Q_EINVAL,
		    "%s:%zu: hash '%s' has upper-case hex digits; write it in lower case", name,
		    lineno, la_show(a, sizeof(a), p, hl));
	if (hl != 40 && hl != 64)
		return q_error_set(
		    err, Q_EINVAL,
		    "%s:%zu: hash '%s' has %zu hex digits; expected 40 (SHA-1) or 64 "
		    "(SHA-256)",
		    name, lineno, la_show(a, sizeof(a), p, hl), hl);
	target = sp + 1;
	tl = n - hl - 1;
	if (tl == 0 || target[0] == ' ' || target[0] == '\t')
		return q_error_set(err, Q_EINVAL,
				   "%s:%zu: expected exactly one space between the hash and "
				   "'SOURCES/FILE'",
				   name, lineno);
	if (tl < 8 || memcmp(target, "SOURCES/", 8) != 0)
		return q_error_set(err, Q_EINVAL, "%s:%zu: target '%s' is not 'SOURCES/FILE'", name,
				   lineno, la_show(a, sizeof(a), target, tl));
	file = target + 8;
	if (!la_valid_file(file, tl - 8))
		return q_error_set(err, Q_EINVAL,
				   "%s:%zu: target '%s' is not 'SOURCES/FILE' (FILE: 1 to %d "
				   "printable characters, no '/', no space, not '.' or '..')",
				   name, lineno, la_show(a, sizeof(a), target, tl), LA_FILE_MAX);
	memset(e, 0, sizeof(*e));
	memcpy(e->hash, p, hl);
	e->is_sha256 = hl == 64;
	memcpy(e->file, file, tl - 8);
	return 0;
}

int q_lookaside_parse(const char *name, const char *text, size_t len,
		      struct q_lookaside_entry **out, size_t *n, struct q_error *err)
{
	struct q_lookaside_entry *v = NULL;
	size_t count = 0, lineno = 0, pos = 0;

	*out = NULL;
	*n = 0;
	if (len > LA_MAX_TEXT)
		return q_error_set(err, Q_ETOOBIG, "'%s' is larger than %d bytes", name,
				   LA_MAX_TEXT);
	/* Never NULL on success, so that callers may test the pointer. */
	v = calloc(1, sizeof(*v));
	if (!v)
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	while (pos < len) {
		const char *p = text + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - p) : len - pos;
		struct q_lookaside_entry *grown;

		lineno++;
		pos += ll + (nl ? 1 : 0);
		if (ll == 0)
			continue;
		if (count == LA_MAX_ENTRIES) {
			q_error_set(err, Q_ETOOBIG, "%s:%zu: more than %d entries", name, lineno,
				    LA_MAX_ENTRIES);
			goto fail;
		}
		grown = realloc(v, (count + 1) * sizeof(*v));
		if (!grown) {
			q_error_set(err, Q_EINTERNAL, "out of memory");
			goto fail;
		}
		v = grown;
		if (la_parse_line(name, lineno, p, ll, &v[count], err) < 0)
			goto fail;
		for (size_t i = 0; i < count; i++) {
			if (strcmp(v[i].file, v[count].file) == 0) {
				q_error_set(err, Q_EINVAL,
					    "%s:%zu: 'SOURCES/%s' is listed twice (first on an "
					    "earlier line)",
					    name, lineno, v[count].file);
				goto fail;
			}
		}
		count++;
	}
	*out = v;
	*n = count;
	return 0;
fail:
	free(v);
	return -1;
}

/* ---- the store ---- */

static pthread_once_t la_curl_once = PTHREAD_ONCE_INIT;
static CURLcode la_curl_rc = CURLE_FAILED_INIT;

static void la_curl_init(void)
{
	la_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void la_hex(const unsigned char *md, unsigned len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * len] = '\0';
}

static int la_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* "ROOT/KIND/AB/HASH" */
static int la_store_path(char *buf, size_t sz, const char *root, const char *kind, const char *hash)
{
	return snprintf(buf, sz, "%s/%s/%.2s/%s", root, kind, hash, hash) < (int)sz ? 0 : -1;
}

static int la_mkdir_for(const char *path, struct q_error *err)
{
	char dir[LA_PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	return q_fs_mkdirs(dirname(dir), 0755, err);
}

int q_lookaside_put(const struct q_lookaside_store *ls, const char *path, char sha256[65],
		    char sha1[41], struct q_error *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	char tmp[LA_PATH_MAX], final[LA_PATH_MAX], index[LA_PATH_MAX], line[66];
	EVP_MD_CTX *c256 = NULL, *c1 = NULL;
	int64_t total = 0;
	unsigned mdlen;
	struct stat st;
	int in = -1, fd = -1, rc = -1;
	ssize_t r;

	tmp[0] = '\0';
	if (!ls->root || !*ls->root)
		return q_error_set(err, Q_EINVAL, "no lookaside store configured");
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		q_error_set(err, Q_EINVAL, "'%s' is not a regular file", path);
		goto out;
	}
	if (ls->max_size > 0 && st.st_size > ls->max_size) {
		q_error_set(err, Q_ETOOBIG,
			    "'%s' is larger than the lookaside limit (%" PRId64 " bytes)", path,
			    ls->max_size);
		goto out;
	}
	if (snprintf(tmp, sizeof(tmp), "%s/tmp/put-XXXXXX", ls->root) >= (int)sizeof(tmp)) {
		tmp[0] = '\0';
		q_error_set(err, Q_EINVAL, "lookaside root '%s' is too long", ls->root);
		goto out;
	}
	if (la_mkdir_for(tmp, err) < 0) {
		tmp[0] = '\0';
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		q_error_set(err, Q_EIO, "cannot create '%s': %s", tmp, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	c256 = EVP_MD_CTX_new();
	c1 = EVP_MD_CTX_new();
	if (!c256 || !c1 || !EVP_DigestInit_ex(c256, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(c1, EVP_sha1(), NULL)) {
		q_error_set(err, Q_EINTERNAL, "cannot initialize digests");
		goto out;
	}
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			q_error_set(err, Q_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		total += r;
		if (ls->max_size > 0 && total > ls->max_size) {
			q_error_set(err, Q_ETOOBIG,
				    "'%s' grew larger than the lookaside limit (%" PRId64 " bytes)",
				    path, ls->max_size);
			goto out;
		}
		EVP_DigestUpdate(c256, buf, (size_t)r);
		EVP_DigestUpdate(c1, buf, (size_t)r);
		if (la_write_all(fd, buf, (size_t)r) < 0) {
			q_error_set(err, Q_EIO, "cannot write '%s': %s", tmp, strerror(errno));
			goto out;
		}
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		q_error_set(err, Q_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	mdlen = 0;
	EVP_DigestFinal_ex(c256, md, &mdlen);
	la_hex(md, mdlen, sha256);
	mdlen = 0;
	EVP_DigestFinal_ex(c1, md, &mdlen);
	la_hex(md, mdlen, sha1);
	if (la_store_path(final, sizeof(final), ls->root, "sha256", sha256) < 0 ||
	    la_store_path(index, sizeof(index), ls->root, "sha1", sha1) < 0) {
		q_error_set(err, Q_EINVAL, "lookaside root '%s' is too long", ls->root);
		goto out;
	}
	if (la_mkdir_for(final, err) < 0)
		goto out;
	if (rename(tmp, final) < 0) {
		q_error_set(err, Q_EIO, "cannot rename '%s' to '%s': %s", tmp, final,
			    strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (q_fs_fsync_parent(final, err) < 0 || la_mkdir_for(index, err) < 0)
		goto out;
	snprintf(line, sizeof(line), "%s\n", sha256);
	if (q_fs_write_atomic(index, line, 65, 0644, err) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp);
	close(in);
	EVP_MD_CTX_free(c256);
	EVP_MD_CTX_free(c1);
	return rc;
}

/* A temporary file beside dest_path being written and hashed. */
struct la_sink {
	char tmp[LA_PATH_MAX]; /* "" once renamed or removed */
	int fd;
	EVP_MD_CTX *ctx; /* the entry's algorithm */
	int64_t bytes;   /* written so far */
	int64_t max;     /* 0: no limit */
	int too_big;     /* set by the curl callback */
	int write_errno; /* set by the curl callback */
};

static int la_sink_open(struct la_sink *s, const char *dest_path, const struct q_lookaside_entry *e,
			int64_t max, struct q_error *err)
{
	char copy[LA_PATH_MAX], copy2[LA_PATH_MAX];

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->max = max;
	if (snprintf(copy, sizeof(copy), "%s", dest_path) >= (int)sizeof(copy))
		return q_error_set(err, Q_EINVAL, "path '%s' is too long", dest_path);
	memcpy(copy2, copy, sizeof(copy));
	if (snprintf(s->tmp, sizeof(s->tmp), "%s/.%s.part-XXXXXX", dirname(copy),
		     basename(copy2)) >= (int)sizeof(s->tmp)) {
		s->tmp[0] = '\0';
		return q_error_set(err, Q_EINVAL, "path '%s' is too long", dest_path);
	}
	s->fd = mkostemp(s->tmp, O_CLOEXEC);
	if (s->fd < 0) {
		q_error_set(err, Q_EIO, "cannot create '%s': %s", s->tmp, strerror(errno));
		s->tmp[0] = '\0';
		return -1;
	}
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !EVP_DigestInit_ex(s->ctx, e->is_sha256 ? EVP_sha256() : EVP_sha1(), NULL))
		return q_error_set(err, Q_EINTERNAL, "cannot initialize a digest");
	return 0;
}

static int la_sink_write(struct la_sink *s, const void *data, size_t n)
{
	if (s->max > 0 && (int64_t)n > s->max - s->bytes) {
		s->too_big = 1;
		return -1;
	}
	EVP_DigestUpdate(s->ctx, data, n);
	if (la_write_all(s->fd, data, n) < 0) {
		s->write_errno = errno;
		return -1;
	}
	s->bytes += (int64_t)n;
	return 0;
}

static void la_sink_close(struct la_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->tmp[0])
		unlink(s->tmp);
	s->tmp[0] = '\0';
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}

/* Compare the digest with the entry's hash; rename into place on a match. */
static int la_sink_finish(struct la_sink *s, const struct q_lookaside_entry *e, const char *name,
			  const char *from, enum q_code mismatch_code, const char *dest_path,
			  struct q_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char got[129];

	EVP_DigestFinal_ex(s->ctx, md, &mdlen);
	la_hex(md, mdlen, got);
	if (strcmp(got, e->hash) != 0)
		return q_error_set(err, mismatch_code,
				   "lookaside file 'SOURCES/%s' of '%s' does not match its hash: "
				   "expected %s %s, got %s (from %s)",
				   e->file, name, e->is_sha256 ? "sha256" : "sha1", e->hash, got,
				   from);
	if (fchmod(s->fd, 0644) < 0)
		return q_error_set(err, Q_EIO, "cannot chmod '%s': %s", s->tmp, strerror(errno));
	if (close(s->fd) < 0) {
		s->fd = -1;
		return q_error_set(err, Q_EIO, "cannot write '%s': %s", s->tmp, strerror(errno));
	}
	s->fd = -1;
	if (rename(s->tmp, dest_path) < 0)
		return q_error_set(err, Q_EIO, "cannot rename '%s' to '%s': %s", s->tmp, dest_path,
				   strerror(errno));
	s->tmp[0] = '\0';
	return 0;
}

/* The SHA-256 a SHA-1 maps to: 1 found, 0 not in the index, -1 error. */
static int la_read_index(const struct q_lookaside_store *ls, const char *sha1, char sha256[65],
			 struct q_error *err)
{
	char path[LA_PATH_MAX], buf[80];
	ssize_t n;
	int fd;

	if (la_store_path(path, sizeof(path), ls->root, "sha1", sha1) < 0)
		return q_error_set(err, Q_EINVAL, "lookaside root '%s' is too long", ls->root);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return q_error_set(err, Q_EIO, "cannot read '%s': %s", path, strerror(errno));
	buf[n] = '\0';
	if (n == 65 && buf[64] == '\n')
		buf[64] = '\0';
	if (!q_is_hex(buf, 64))
		return q_error_set(err, Q_EIO, "lookaside index '%s' is corrupt", path);
	memcpy(sha256, buf, 65);
	return 1;
}

/* 1 fetched, 0 not in the store, -1 error. */
static int la_fetch_local(const struct q_lookaside_store *ls, const char *name,
			  const struct q_lookaside_entry *e, const char *dest_path,
			  struct q_error *err)
{
	char sha256[65], path[LA_PATH_MAX];
	unsigned char buf[65536];
	struct la_sink s;
	struct stat st;
	int fd, rc;
	ssize_t r;

	if (e->is_sha256) {
		memcpy(sha256, e->hash, 65);
	} else {
		rc = la_read_index(ls, e->hash, sha256, err);
		if (rc <= 0)
			return rc;
	}
	if (la_store_path(path, sizeof(path), ls->root, "sha256", sha256) < 0)
		return q_error_set(err, Q_EINVAL, "lookaside root '%s' is too long", ls->root);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return q_error_set(err, Q_EIO, "lookaside blob '%s' is not a regular file", path);
	}
	if (la_sink_open(&s, dest_path, e, ls->max_size, err) < 0) {
		la_sink_close(&s);
		close(fd);
		return -1;
	}
	rc = -1;
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			q_error_set(err, Q_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (la_sink_write(&s, buf, (size_t)r) < 0) {
			if (s.too_big)
				q_error_set(err, Q_ETOOBIG,
					    "lookaside blob '%s' is larger than the limit (%" PRId64
					    " bytes)",
					    path, ls->max_size);
			else
				q_error_set(err, Q_EIO, "cannot write '%s': %s", s.tmp,
					    strerror(s.write_errno));
			goto out;
		}
	}
	/* The message names the store, never its path on the server. */
	if (la_sink_finish(&s, e, name, "the lookaside store", Q_EINVAL, dest_path, err) == 0)
		rc = 1;
out:
	close(fd);
	la_sink_close(&s);
	return rc;
}

static size_t la_on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct la_sink *s = ud;
	size_t n = size * nmemb;

	return la_sink_write(s, ptr, n) < 0 ? 0 : n;
}

/* Append src (n bytes) to the URL being built, %-escaped when asked. */
static int la_url_append(CURL *c, char *url, size_t *o, const char *src, size_t n, int escape)
{
	char *esc = NULL;
	size_t len;

	if (escape) {
		esc = curl_easy_escape(c, src, (int)n);
		if (!esc)
			return -1;
		src = esc;
		n = strlen(esc);
	}
	len = *o + n;
	if (len >= LA_URL_MAX) {
		curl_free(esc);
		return -1;
	}
	memcpy(url + *o, src, n);
	*o = len;
	url[len] = '\0';
	curl_free(esc);
	return 0;
}

static int la_build_url(CURL *c, const char *tmpl, const char *name,
			const struct q_lookaside_entry *e, char url[LA_URL_MAX])
{
	size_t o = 0;

	url[0] = '\0';
	for (const char *p = tmpl; *p;) {
		int rc;

		if (strncmp(p, "{name}", 6) == 0) {
			rc = la_url_append(c, url, &o, name, strlen(name), 1);
			p += 6;
		} else if (strncmp(p, "{filename}", 10) == 0) {
			rc = la_url_append(c, url, &o, e->file, strlen(e->file), 1);
			p += 10;
		} else if (strncmp(p, "{hashtype}", 10) == 0) {
			rc = la_url_append(c, url, &o, e->is_sha256 ? "sha256" : "sha1",
					   e->is_sha256 ? 6 : 4, 0);
			p += 10;
		} else if (strncmp(p, "{hash}", 6) == 0) {
			rc = la_url_append(c, url, &o, e->hash, strlen(e->hash), 0);
			p += 6;
		} else {
			rc = la_url_append(c, url, &o, p, 1, 0);
			p++;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int la_fetch_external(const struct q_lookaside_store *ls, const char *name,
			     const struct q_lookaside_entry *e, const char *dest_path,
			     struct q_error *err)
{
	char url[LA_URL_MAX], cerr[CURL_ERROR_SIZE];
	struct la_sink s;
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc = -1;

	pthread_once(&la_curl_once, la_curl_init);
	if (la_curl_rc != CURLE_OK)
		return q_error_set(err, Q_EINTERNAL, "cannot initialize libcurl");
	c = curl_easy_init();
	if (!c)
		return q_error_set(err, Q_EINTERNAL, "cannot initialize libcurl");
	if (la_build_url(c, ls->url_template, name, e, url) < 0) {
		curl_easy_cleanup(c);
		return q_error_set(err, Q_EINVAL, "lookaside URL for 'SOURCES/%s' is too long",
				   e->file);
	}
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		curl_easy_cleanup(c);
		return q_error_set(err, Q_EINVAL,
				   "lookaside URL template '%s' is not http:// or https://",
				   ls->url_template);
	}
	if (la_sink_open(&s, dest_path, e, ls->max_size, err) < 0)
		goto out;
	cerr[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, LA_MAX_REDIRS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, LA_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, LA_TOTAL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, LA_LOW_SPEED);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, LA_LOW_SPEED_TIME);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "quarry-lookaside");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if (ls->max_size > 0)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ls->max_size);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, la_on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		q_error_set(err, Q_ETOOBIG,
			    "lookaside file 'SOURCES/%s' of '%s' at '%s' is larger than the limit "
			    "(%" PRId64 " bytes)",
			    e->file, name, url, ls->max_size);
		goto out;
	}
	if (cc == CURLE_HTTP_RETURNED_ERROR) {
		q_error_set(
		    err, status == 404 ? Q_ENOTFOUND : Q_EINVAL,
		    "cannot download lookaside file 'SOURCES/%s' of '%s' from '%s': HTTP %ld",
		    e->file, name, url, status);
		goto out;
	}
	if (cc != CURLE_OK) {
		if (s.write_errno)
			q_error_set(err, Q_EIO, "cannot write '%s': %s", s.tmp,
				    strerror(s.write_errno));
		else
			q_error_set(
			    err, Q_EINVAL,
			    "cannot download lookaside file 'SOURCES/%s' of '%s' from '%s': "
			    "%s",
			    e->file, name, url, cerr[0] ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	{
		char from[LA_URL_MAX + 2];

		snprintf(from, sizeof(from), "'%s'", url);
		rc = la_sink_finish(&s, e, name, from, Q_EINVAL, dest_path, err);
	}
out:
	la_sink_close(&s);
	curl_easy_cleanup(c);
	return rc;
}

int q_lookaside_fetch(const struct q_lookaside_store *ls, const char *name,
		      const struct q_lookaside_entry *e, const char *dest_path, struct q_error *err)
{
	int rc;

	if (!name || !*name || strchr(name, '/') || strlen(name) > LA_FILE_MAX)
		return q_error_set(err, Q_EINVAL, "invalid package name '%s'", name ? name : "");
	if (!q_is_hex(e->hash, e->is_sha256 ? 64 : 40) ||
	    !la_valid_file(e->file, strnlen(e->file, sizeof(e->file))))
		return q_error_set(err, Q_EINVAL, "invalid lookaside entry for '%s'", name);
	if (ls->root && *ls->root) {
		rc = la_fetch_local(ls, name, e, dest_path, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	if (ls->url_template && *ls->url_template)
		return la_fetch_external(ls, name, e, dest_path, err);
	return q_error_set(err, Q_ENOTFOUND,
			   "lookaside file 'SOURCES/%s' of '%s' (%s %s) is not in the lookaside "
			   "store and no external lookaside is configured",
			   e->file, name, e->is_sha256 ? "sha256" : "sha1", e->hash);
}
