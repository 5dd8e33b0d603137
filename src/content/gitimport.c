/*
 * gitimport.c: taking a package's sources out of git, safely (see
 * gitimport.h).
 *
 * DESIGN
 * - URL is a local path (no ':' in it, so never scp-like ssh syntax),
 *   file://, http:// or https://; anything else is refused. Credentials in
 *   a URL ("https://user:token@host/…") are never repeated in a message.
 * - The fetch goes into a fresh bare repository "DEST.gitimport-XXXXXX"
 *   beside dest (same filesystem, same permissions as dest), with the
 *   refspecs +refs/heads/…:refs/heads/… and +refs/tags/…:refs/tags/…, and
 *   is removed whatever happens. libgit2 reads no system, global or XDG git
 *   configuration (set once, in gi_init), so the hub's ~/.gitconfig cannot
 *   rewrite URLs. The transfer is bounded by GI_FETCH_SECONDS and by
 *   max(GI_FETCH_MIN_BYTES, GI_FETCH_FACTOR * max_bytes) received bytes
 *   (history makes a pack bigger than its tree). libgit2 1.5 has no
 *   read timeout of its own: a peer that stalls without sending anything
 *   is only stopped by the OS's TCP timeouts.
 * - REF: "refs/heads/X", "refs/tags/X" or "refs/remotes/origin/X" (the
 *   same as refs/heads/X: the remote's branches are fetched as branches);
 *   a short name is tried as refs/tags/REF, then refs/heads/REF (a tag
 *   wins over a branch of the same name, as in git). Annotated tags are
 *   peeled to their commit.
 * - Two passes over the commit's tree. The first writes nothing: it refuses
 *   symlinks, submodules, unknown modes, entry names that are empty, ".",
 *   "..", ".git" (any case), hold a '/' or a control character, paths over
 *   GI_PATH_MAX bytes or GI_DEPTH_MAX levels, more than max_files files
 *   (or directories), more than max_bytes bytes (blob sizes are read from
 *   object headers, so a huge blob is never inflated), and checks the
 *   layout: exactly one SPECS/NAME.spec, a top-level .NAME.metadata that
 *   q_lookaside_parse accepts and whose targets are not committed in
 *   SOURCES/. The second pass writes: dest is created (it must not exist),
 *   directories 0755 and files 0644 or 0755 with openat(…, O_NOFOLLOW |
 *   O_EXCL) below directory fds opened with O_NOFOLLOW, so nothing can
 *   escape dest even if the first pass were wrong. A failure while writing
 *   removes dest.
 */
#include "core/common.h"
#include "content/gitimport.h"
#include "content/lookaside.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

#include <fcntl.h>
#include <git2.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#define GI_URL_MAX 2048                 /* longest URL */
#define GI_REF_MAX 200                  /* longest REF */
#define GI_PATH_MAX 1024                /* longest path inside the tree */
#define GI_DEPTH_MAX 32                 /* deepest directory */
#define GI_DEST_MAX 3000                /* longest dest */
#define GI_METADATA_MAX (1 << 20)       /* largest .NAME.metadata */
#define GI_FETCH_SECONDS 600            /* whole transfer */
#define GI_FETCH_MIN_BYTES (64LL << 20) /* received-bytes bound ... */
#define GI_FETCH_FACTOR 8               /* ... or this many times max_bytes */
#define GI_SPECS_SHOWN 4                /* files named in a "how many specs" message */

static pthread_once_t gi_once = PTHREAD_ONCE_INIT;
static int gi_init_rc = -1;

static void gi_init(void)
{
	static const int levels[] = {GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
				     GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL};

	if (git_libgit2_init() < 0)
		return;
	for (size_t i = 0; i < Q_ARRAY_LEN(levels); i++)
		if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "") < 0)
			return;
	gi_init_rc = 0;
}

static const char *gi_liberr(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

/* Everything the two passes share. */
struct gi {
	git_repository *repo;
	const struct q_git_limits *lim;
	char shown[GI_URL_MAX + GI_REF_MAX + 8]; /* "URL#REF" for messages, no credentials */
	int64_t files, dirs, bytes;              /* counted by the first pass */
	int nspecs;                              /* SPECS/?*.spec blobs */
	git_oid spec_oid;                        /* the first one */
	char spec_file[256];                     /* its file name */
	char specs_seen[600];                    /* "'SPECS/a.spec', …" for messages */
	char specs_dir[400];                     /* what SPECS/ holds, for messages */
	int has_specs_dir;
	int64_t written_files, written_bytes; /* by the second pass */
};

static int gi_fail(struct gi *g, struct q_error *err, enum q_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int gi_fail(struct gi *g, struct q_error *err, enum q_code code, const char *fmt, ...)
{
	char why[Q_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return q_error_set(err, code, "cannot import '%s': %s", g->shown, why);
}

/* s (at most n bytes) with control characters as '?', for a message. */
static void gi_printable(char *dst, size_t sz, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && s[i] && o + 1 < sz; i++)
		dst[o++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	dst[o] = '\0';
}

/* URL with any "user:password@" left out, for a message. */
static void gi_show_url(char *dst, size_t sz, const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : NULL;
	const char *slash = host ? strchr(host, '/') : NULL;
	const char *at =
	    host ? memchr(host, '@', slash ? (size_t)(slash - host) : strlen(host)) : NULL;
	size_t plen = host ? (size_t)(host - url) : 0;

	if (at && plen < sz) {
		memcpy(dst, url, plen);
		gi_printable(dst + plen, sz - plen, at + 1, strlen(at + 1));
	} else {
		gi_printable(dst, sz, url, strlen(url));
	}
}

/* "URL#REF" for messages. */
static void gi_show_source(char *dst, size_t sz, const char *url, const char *ref)
{
	char u[GI_URL_MAX + 1], r[GI_REF_MAX + 1];

	gi_show_url(u, sizeof(u), url);
	gi_printable(r, sizeof(r), ref, strlen(ref));
	snprintf(dst, sz, "%s#%s", u, r);
}

int q_git_split_source(const char *s, char **url, char **ref, struct q_error *err)
{
	const char *hash = strrchr(s, '#');

	*url = *ref = NULL;
	if (!hash || hash == s || !hash[1])
		return q_error_set(err, Q_EINVAL, "git source '%s' is not 'URL#REF'", s);
	*url = strndup(s, (size_t)(hash - s));
	*ref = strdup(hash + 1);
	if (!*url || !*ref) {
		free(*url);
		free(*ref);
		*url = *ref = NULL;
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	}
	return 0;
}

static int gi_check_url(const char *url, const char *ref, struct q_error *err)
{
	size_t n = strlen(url);
	char shown[GI_URL_MAX + 1];

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
			return q_error_set(err, Q_EINVAL, "git URL has a control character");
	if (n == 0 || n > GI_URL_MAX)
		return q_error_set(err, Q_EINVAL, "git URL is empty or longer than %d bytes",
				   GI_URL_MAX);
	gi_show_url(shown, sizeof(shown), url);
	if (strstr(url, "://")) {
		if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0 &&
		    strncasecmp(url, "file://", 7) != 0)
			return q_error_set(err, Q_EINVAL,
					   "git URL '%.200s' is not supported; use a local path, "
					   "file://, http:// or https://",
					   shown);
	} else if (strchr(url, ':')) {
		return q_error_set(err, Q_EINVAL,
				   "git URL '%.200s' is not supported (a local path has no ':'; "
				   "ssh is not supported); use a local path, file://, http:// or "
				   "https://",
				   shown);
	}
	n = strlen(ref);
	if (n == 0 || n > GI_REF_MAX)
		return q_error_set(err, Q_EINVAL, "git ref is empty or longer than %d bytes",
				   GI_REF_MAX);
	return 0;
}

struct gi_fetch {
	int64_t max_bytes; /* received bytes */
	time_t deadline;
	int over_size, over_time;
};

static int gi_on_progress(const git_indexer_progress *p, void *payload)
{
	struct gi_fetch *f = payload;

	if ((int64_t)p->received_bytes > f->max_bytes) {
		f->over_size = 1;
		return -1;
	}
	if (time(NULL) > f->deadline) {
		f->over_time = 1;
		return -1;
	}
	return 0;
}

static int gi_fetch(struct gi *g, const char *url, struct q_error *err)
{
	char *specs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
	git_strarray refspecs = {specs, 2};
	git_remote_create_options ro;
	git_fetch_options fo;
	git_remote *remote = NULL;
	struct gi_fetch f;
	int64_t maxb = g->lim->max_bytes;
	int rc;

	f.max_bytes =
	    maxb > 0 && maxb < INT64_MAX / GI_FETCH_FACTOR ? maxb * GI_FETCH_FACTOR : INT64_MAX;
	if (f.max_bytes < GI_FETCH_MIN_BYTES)
		f.max_bytes = GI_FETCH_MIN_BYTES;
	if (git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION) < 0)
		return gi_fail(g, err, Q_EINTERNAL, "%s", gi_liberr());
	f.deadline = time(NULL) + GI_FETCH_SECONDS;
	f.over_size = f.over_time = 0;
	fo.callbacks.transfer_progress = gi_on_progress;
	fo.callbacks.payload = &f;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	/* Not git_remote_create_anonymous: its url.*.insteadOf lookup leaks a
	 * pcre2 match (about 20 KiB) per call in libgit2 1.5, and an empty
	 * configuration has no insteadOf to apply anyway. */
	if (git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION) < 0)
		return gi_fail(g, err, Q_EINTERNAL, "%s", gi_liberr());
	ro.repository = g->repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, url, &ro) < 0)
		return gi_fail(g, err, Q_EINVAL, "bad git URL: %s", gi_liberr());
	rc = git_remote_fetch(remote, &refspecs, &fo, NULL);
	git_remote_free(remote);
	if (rc == 0)
		return 0;
	if (f.over_size)
		return gi_fail(g, err, Q_ETOOBIG, "the fetch is larger than %" PRId64 " bytes",
			       f.max_bytes);
	if (f.over_time)
		return gi_fail(g, err, Q_EINVAL, "the fetch took longer than %d seconds",
			       GI_FETCH_SECONDS);
	return gi_fail(g, err, Q_EINVAL, "cannot fetch: %s", gi_liberr());
}

/* Resolve REF to a commit; fills out->ref, short_ref, is_tag, commit. */
static int gi_resolve(struct gi *g, const char *ref, git_commit **commit, struct q_git_source *out,
		      struct q_error *err)
{
	static const struct {
		const char *given; /* REF's prefix, when it is a full name */
		const char *local; /* where the fetch put it, and what out->ref says */
		int is_tag;
	} tries[] = {
	    {"refs/tags/", "refs/tags/", 1},
	    {"refs/heads/", "refs/heads/", 0},
	    {"refs/remotes/origin/", "refs/heads/", 0},
	};
	char full[GI_REF_MAX + 32];
	git_reference *r = NULL;
	git_object *obj = NULL;
	const char *short_ref = ref;
	size_t first = 0, last = 2; /* a short name: a tag, then a branch */
	int valid = 0, rc;

	if (strncmp(ref, "refs/", 5) == 0) {
		for (first = 0; first < Q_ARRAY_LEN(tries); first++)
			if (strncmp(ref, tries[first].given, strlen(tries[first].given)) == 0)
				break;
		if (first == Q_ARRAY_LEN(tries))
			return gi_fail(g, err, Q_EINVAL,
				       "ref '%s' is neither a branch (refs/heads/…) nor a tag "
				       "(refs/tags/…)",
				       ref);
		short_ref = ref + strlen(tries[first].given);
		last = first + 1;
	}
	if (!*short_ref || short_ref[0] == '-')
		return gi_fail(g, err, Q_EINVAL, "ref '%s' is not a valid ref name", ref);
	for (size_t i = first; i < last; i++) {
		snprintf(full, sizeof(full), "%s%s", tries[i].local, short_ref);
		if (git_reference_name_is_valid(&valid, full) < 0 || !valid)
			return gi_fail(g, err, Q_EINVAL, "ref '%s' is not a valid ref name", ref);
		rc = git_reference_lookup(&r, g->repo, full);
		if (rc == GIT_ENOTFOUND)
			continue;
		if (rc < 0)
			return gi_fail(g, err, Q_EINTERNAL, "cannot read ref '%s': %s", full,
				       gi_liberr());
		rc = git_reference_peel(&obj, r, GIT_OBJECT_COMMIT);
		git_reference_free(r);
		if (rc < 0)
			return gi_fail(g, err, Q_EINVAL, "ref '%s' does not point to a commit: %s",
				       ref, gi_liberr());
		*commit = (git_commit *)obj;
		snprintf(out->ref, sizeof(out->ref), "%s%s", tries[i].local, short_ref);
		snprintf(out->short_ref, sizeof(out->short_ref), "%s", short_ref);
		out->is_tag = tries[i].is_tag;
		git_oid_tostr(out->commit, sizeof(out->commit), git_commit_id(*commit));
		return 0;
	}
	return gi_fail(g, err, Q_EINVAL, "ref '%s' not found (neither a tag nor a branch)", ref);
}

/* Why name cannot be a tree entry we write, or NULL. */
static const char *gi_bad_name(const char *name)
{
	if (!*name)
		return "has an empty name";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "is a '.' or '..' entry";
	if (strcasecmp(name, ".git") == 0)
		return "is a '.git' entry";
	for (const char *p = name; *p; p++) {
		if (*p == '/')
			return "has a '/' in an entry name";
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "has a control character in its name";
	}
	return NULL;
}

static void gi_list_add(char *list, size_t sz, const char *item)
{
	size_t n = strlen(list), k = strlen(item);

	/* Items that do not fit are left out: the list is for a message. */
	if (n + k + 5 > sz)
		return;
	if (n) {
		memcpy(list + n, ", ", 2);
		n += 2;
	}
	list[n++] = '\'';
	memcpy(list + n, item, k);
	n += k;
	list[n++] = '\'';
	list[n] = '\0';
}

static int gi_scan_tree(struct gi *g, const git_tree *tree, char *path, size_t plen, int depth,
			struct q_error *err)
{
	size_t count = git_tree_entrycount(tree);
	char shown[GI_PATH_MAX + 1];

	for (size_t i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		size_t nlen = strlen(name), len = plen + (plen ? 1 : 0) + nlen;
		const char *why = gi_bad_name(name);

		if (len > GI_PATH_MAX) {
			gi_printable(shown, sizeof(shown), path, plen);
			return gi_fail(g, err, Q_EINVAL,
				       "a path in '%.200s' is longer than %d bytes", shown,
				       GI_PATH_MAX);
		}
		if (plen)
			path[plen] = '/';
		memcpy(path + len - nlen, name, nlen + 1);
		gi_printable(shown, sizeof(shown), path, len);
		if (why)
			return gi_fail(g, err, Q_EINVAL, "path '%s' %s", shown, why);
		if (depth == 0 && strcmp(name, "SPECS") == 0 && mode == GIT_FILEMODE_TREE)
			g->has_specs_dir = 1;
		switch (mode) {
		case GIT_FILEMODE_LINK:
			return gi_fail(g, err, Q_EINVAL, "'%s' is a symlink; symlinks are refused",
				       shown);
		case GIT_FILEMODE_COMMIT:
			return gi_fail(g, err, Q_EINVAL,
				       "'%s' is a submodule; submodules are refused", shown);
		case GIT_FILEMODE_TREE: {
			git_tree *sub = NULL;
			int rc;

			if (depth + 1 >= GI_DEPTH_MAX)
				return gi_fail(g, err, Q_EINVAL,
					       "'%s' is nested deeper than %d directories", shown,
					       GI_DEPTH_MAX);
			if (++g->dirs > g->lim->max_files)
				return gi_fail(g, err, Q_ETOOBIG,
					       "the tree has more than %" PRId64 " directories",
					       g->lim->max_files);
			if (git_tree_lookup(&sub, g->repo, git_tree_entry_id(e)) < 0)
				return gi_fail(g, err, Q_EINVAL, "cannot read tree '%s': %s", shown,
					       gi_liberr());
			rc = gi_scan_tree(g, sub, path, len, depth + 1, err);
			git_tree_free(sub);
			if (rc < 0)
				return rc;
			break;
		}
		case GIT_FILEMODE_BLOB:
		case GIT_FILEMODE_BLOB_EXECUTABLE: {
			git_odb *odb = NULL;
			git_object_t type;
			size_t size = 0;
			int rc;

			if (++g->files > g->lim->max_files)
				return gi_fail(g, err, Q_ETOOBIG,
					       "the tree has more than %" PRId64 " files",
					       g->lim->max_files);
			if (git_repository_odb(&odb, g->repo) < 0)
				return gi_fail(g, err, Q_EINTERNAL, "%s", gi_liberr());
			rc = git_odb_read_header(&size, &type, odb, git_tree_entry_id(e));
			git_odb_free(odb);
			if (rc < 0 || type != GIT_OBJECT_BLOB)
				return gi_fail(g, err, Q_EINVAL, "cannot read blob '%s': %s", shown,
					       rc < 0 ? gi_liberr() : "not a blob");
			if ((int64_t)size > g->lim->max_bytes - g->bytes)
				return gi_fail(g, err, Q_ETOOBIG,
					       "the tree is larger than %" PRId64
					       " bytes (at '%s')",
					       g->lim->max_bytes, shown);
			g->bytes += (int64_t)size;
			if (depth == 1 && strncmp(path, "SPECS/", 6) == 0) {
				if (nlen > 5 && strcmp(name + nlen - 5, ".spec") == 0) {
					if (g->nspecs++ == 0) {
						git_oid_cpy(&g->spec_oid, git_tree_entry_id(e));
						snprintf(g->spec_file, sizeof(g->spec_file), "%s",
							 name);
					}
					if (g->nspecs <= GI_SPECS_SHOWN)
						gi_list_add(g->specs_seen, sizeof(g->specs_seen),
							    shown);
				} else {
					gi_list_add(g->specs_dir, sizeof(g->specs_dir), shown);
				}
			}
			break;
		}
		default:
			return gi_fail(g, err, Q_EINVAL, "'%s' has an unsupported file mode %06o",
				       shown, (unsigned)mode);
		}
		path[plen] = '\0';
	}
	return 0;
}

static int gi_valid_pkgname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 200 || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._+-", s[i])))
			return 0;
	return 1;
}

/* A top-level entry by a linear search (byname assumes sorted trees). */
static const git_tree_entry *gi_find(const git_tree *tree, const char *name)
{
	size_t count = git_tree_entrycount(tree);

	for (size_t i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		if (strcmp(git_tree_entry_name(e), name) == 0)
			return e;
	}
	return NULL;
}

static int gi_check_layout(struct gi *g, const git_tree *root, struct q_git_source *out,
			   struct q_error *err)
{
	struct q_lookaside_entry *ents = NULL;
	const git_tree_entry *meta, *sources;
	git_tree *srctree = NULL;
	git_blob *blob = NULL;
	char mname[300];
	size_t n = 0;
	int rc = -1;

	if (g->nspecs == 0) {
		if (!g->has_specs_dir)
			return gi_fail(g, err, Q_EINVAL,
				       "no 'SPECS/NAME.spec' (there is no SPECS directory)");
		return gi_fail(g, err, Q_EINVAL, "no 'SPECS/NAME.spec' (SPECS holds %s)",
			       g->specs_dir[0] ? g->specs_dir : "no files");
	}
	if (g->nspecs > 1)
		return gi_fail(g, err, Q_EINVAL, "%d spec files (%s%s); expected exactly one",
			       g->nspecs, g->specs_seen, g->nspecs > GI_SPECS_SHOWN ? ", …" : "");
	snprintf(out->name, sizeof(out->name), "%.*s", (int)(strlen(g->spec_file) - 5),
		 g->spec_file);
	if (!gi_valid_pkgname(out->name))
		return gi_fail(g, err, Q_EINVAL,
			       "spec 'SPECS/%s' does not give a valid package name (letters, "
			       "digits, '._+-')",
			       g->spec_file);
	snprintf(mname, sizeof(mname), ".%s.metadata", out->name);
	meta = gi_find(root, mname);
	if (!meta)
		return gi_fail(g, err, Q_EINVAL,
			       "missing '%s' (required next to SPECS/%s; empty when nothing comes "
			       "from the lookaside)",
			       mname, g->spec_file);
	if (git_tree_entry_type(meta) != GIT_OBJECT_BLOB)
		return gi_fail(g, err, Q_EINVAL, "'%s' is not a file", mname);
	if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(meta)) < 0)
		return gi_fail(g, err, Q_EINVAL, "cannot read '%s': %s", mname, gi_liberr());
	if (git_blob_rawsize(blob) > GI_METADATA_MAX) {
		gi_fail(g, err, Q_ETOOBIG, "'%s' is larger than %d bytes", mname, GI_METADATA_MAX);
		goto out;
	}
	if (q_lookaside_parse(mname, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
			      &ents, &n, err) < 0) {
		q_error_prefix(err, "cannot import '%s'", g->shown);
		goto out;
	}
	sources = gi_find(root, "SOURCES");
	if (n && sources && git_tree_entry_type(sources) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&srctree, g->repo, git_tree_entry_id(sources)) < 0) {
			gi_fail(g, err, Q_EINVAL, "cannot read 'SOURCES': %s", gi_liberr());
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (gi_find(srctree, ents[i].file)) {
				gi_fail(g, err, Q_EINVAL,
					"'SOURCES/%s' is both committed and listed in '%s'; keep "
					"one",
					ents[i].file, mname);
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(ents);
	git_tree_free(srctree);
	git_blob_free(blob);
	return rc;
}

static int gi_write_all(int fd, const void *data, size_t len)
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

static int gi_write_tree(struct gi *g, const git_tree *tree, int dirfd, const char *dest,
			 struct q_error *err)
{
	size_t count = git_tree_entrycount(tree);

	for (size_t i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		int fd, rc;

		/* The first pass refused everything else; check again anyway. */
		if (gi_bad_name(name))
			return gi_fail(g, err, Q_EINTERNAL, "unexpected entry '%s'", name);
		if (mode == GIT_FILEMODE_TREE) {
			git_tree *sub = NULL;

			if (mkdirat(dirfd, name, 0755) < 0)
				return gi_fail(g, err, Q_EIO,
					       "cannot create directory '%s' in '%s': %s", name,
					       dest, strerror(errno));
			fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || fchmod(fd, 0755) < 0) {
				rc = errno;
				if (fd >= 0)
					close(fd);
				return gi_fail(g, err, Q_EIO,
					       "cannot open directory '%s' in '%s': %s", name, dest,
					       strerror(rc));
			}
			if (git_tree_lookup(&sub, g->repo, git_tree_entry_id(e)) < 0) {
				close(fd);
				return gi_fail(g, err, Q_EINTERNAL, "cannot read tree '%s': %s",
					       name, gi_liberr());
			}
			rc = gi_write_tree(g, sub, fd, dest, err);
			git_tree_free(sub);
			close(fd);
			if (rc < 0)
				return rc;
		} else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
			mode_t m = mode == GIT_FILEMODE_BLOB ? 0644 : 0755;
			git_blob *blob = NULL;
			git_object_size_t size;
			int e2 = 0;

			if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(e)) < 0)
				return gi_fail(g, err, Q_EINTERNAL, "cannot read blob '%s': %s",
					       name, gi_liberr());
			size = git_blob_rawsize(blob);
			fd = openat(dirfd, name,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, m);
			if (fd < 0 || fchmod(fd, m) < 0 ||
			    gi_write_all(fd, git_blob_rawcontent(blob), (size_t)size) < 0)
				e2 = errno;
			if (fd >= 0 && close(fd) < 0 && !e2)
				e2 = errno;
			git_blob_free(blob);
			if (e2)
				return gi_fail(g, err, Q_EIO, "cannot write '%s' in '%s': %s", name,
					       dest, strerror(e2));
			g->written_files++;
			g->written_bytes += (int64_t)size;
		} else {
			return gi_fail(g, err, Q_EINTERNAL, "unexpected entry '%s'", name);
		}
	}
	return 0;
}

int q_git_checkout(const char *url, const char *ref, const char *dest,
		   const struct q_git_limits *lim, struct q_git_source *out, struct q_error *err)
{
	char tmp[GI_DEST_MAX + 32], path[GI_PATH_MAX + 1];
	git_commit *commit = NULL;
	git_tree *root = NULL;
	git_blob *spec = NULL;
	struct gi *g;
	int dirfd = -1, made_dest = 0, rc = -1;

	if (!lim || lim->max_files < 0 || lim->max_bytes < 0)
		return q_error_set(err, Q_EINVAL, "git import limits are not set");
	if (gi_check_url(url, ref, err) < 0)
		return -1;
	if (strlen(dest) == 0 || strlen(dest) > GI_DEST_MAX)
		return q_error_set(err, Q_EINVAL, "destination '%.100s' is empty or too long",
				   dest);
	if (q_fs_exists(dest))
		return q_error_set(err, Q_ECONFLICT, "destination '%s' already exists", dest);
	pthread_once(&gi_once, gi_init);
	if (gi_init_rc < 0)
		return q_error_set(err, Q_EINTERNAL, "cannot initialize libgit2");
	g = calloc(1, sizeof(*g));
	if (!g)
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	memset(out, 0, sizeof(*out));
	g->lim = lim;
	gi_show_source(g->shown, sizeof(g->shown), url, ref);

	snprintf(tmp, sizeof(tmp), "%s.gitimport-XXXXXX", dest);
	if (!mkdtemp(tmp)) {
		q_error_set(err, Q_EIO, "cannot create a temporary directory beside '%s': %s", dest,
			    strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (git_repository_init(&g->repo, tmp, 1) < 0) {
		gi_fail(g, err, Q_EINTERNAL, "cannot create a repository in '%s': %s", tmp,
			gi_liberr());
		goto out;
	}
	if (gi_fetch(g, url, err) < 0 || gi_resolve(g, ref, &commit, out, err) < 0)
		goto out;
	if (git_commit_tree(&root, commit) < 0) {
		gi_fail(g, err, Q_EINVAL, "cannot read the tree of commit %s: %s", out->commit,
			gi_liberr());
		goto out;
	}
	path[0] = '\0';
	if (gi_scan_tree(g, root, path, 0, 0, err) < 0 || gi_check_layout(g, root, out, err) < 0)
		goto out;
	if (git_blob_lookup(&spec, g->repo, &g->spec_oid) < 0) {
		gi_fail(g, err, Q_EINTERNAL, "cannot read 'SPECS/%s': %s", g->spec_file,
			gi_liberr());
		goto out;
	}
	q_hash_sha256_buf(git_blob_rawcontent(spec), (size_t)git_blob_rawsize(spec),
			  out->spec_sha256);
	if (snprintf(out->spec_path, sizeof(out->spec_path), "%s/SPECS/%s", dest, g->spec_file) >=
	    (int)sizeof(out->spec_path)) {
		q_error_set(err, Q_EINVAL, "destination '%.100s' is too long", dest);
		goto out;
	}

	if (mkdir(dest, 0755) < 0) {
		q_error_set(err, errno == EEXIST ? Q_ECONFLICT : Q_EIO,
			    "cannot create destination '%s': %s", dest, strerror(errno));
		goto out;
	}
	made_dest = 1;
	dirfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0 || fchmod(dirfd, 0755) < 0) {
		q_error_set(err, Q_EIO, "cannot open '%s': %s", dest, strerror(errno));
		goto out;
	}
	if (gi_write_tree(g, root, dirfd, dest, err) < 0)
		goto out;
	out->files = g->written_files;
	out->bytes = g->written_bytes;
	rc = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	if (rc < 0 && made_dest)
		q_fs_remove_tree(dest, NULL);
	git_blob_free(spec);
	git_tree_free(root);
	git_commit_free(commit);
	git_repository_free(g->repo);
	if (tmp[0])
		q_fs_remove_tree(tmp, NULL);
	free(g);
	return rc;
}

/* "rN…" → N; -1 when b does not start with 'r' and 1 to 3 digits. */
static long long gi_branch_major(const char *b)
{
	long long m = 0;
	int i;

	if (b[0] != 'r')
		return -1;
	for (i = 1; i <= 3 && b[i] >= '0' && b[i] <= '9'; i++)
		m = m * 10 + (b[i] - '0');
	if (i == 1 || (b[i] != '\0' && b[i] != '-'))
		return -1;
	return m;
}

int q_git_check_ref(const struct q_git_source *src, int64_t major, const char *sig,
		    const char *variant, const char *nevr, struct q_error *err)
{
	char want[256], part[256];
	const char *r = src->short_ref, *rest, *slash;
	long long m;

	if (snprintf(want, sizeof(want), "r%" PRId64 "-sig-%s-%s", major, sig, variant) >=
	    (int)sizeof(want))
		return q_error_set(err, Q_EINVAL, "project branch name is too long");
	if (!src->is_tag) {
		if (strcmp(r, want) == 0)
			return 0;
		m = gi_branch_major(r);
		if (m < 0)
			return q_error_set(err, Q_EINVAL, "branch '%s' never builds; use '%s'", r,
					   want);
		if (m != major)
			return q_error_set(err, Q_EINVAL,
					   "branch '%s' is for EL%lld, not project %s/el%" PRId64
					   " (%s)",
					   r, m, sig, major, want);
		return q_error_set(err, Q_EINVAL,
				   "branch '%s' is not the branch of this project; use '%s'", r,
				   want);
	}
	if (strncmp(r, "imports/", 8) != 0 || !(slash = strchr(r + 8, '/')))
		return q_error_set(err, Q_EINVAL,
				   "tag '%s' is not an import tag; expected 'imports/%s/NEVR'", r,
				   want);
	rest = slash + 1;
	snprintf(part, sizeof(part), "%.*s", (int)(slash - (r + 8)), r + 8);
	if (strcmp(part, want) != 0) {
		m = gi_branch_major(part);
		if (m >= 0 && m != major)
			return q_error_set(err, Q_EINVAL,
					   "tag '%s' is for EL%lld, not project %s/el%" PRId64
					   " (%s)",
					   r, m, sig, major, want);
		return q_error_set(err, Q_EINVAL,
				   "tag '%s' is not an import tag of this project; expected "
				   "'imports/%s/NEVR'",
				   r, want);
	}
	if (!*rest || strchr(rest, '/'))
		return q_error_set(err, Q_EINVAL,
				   "tag '%s' is not 'imports/%s/NEVR' (one NEVR after the branch)",
				   r, want);
	if (nevr && strcmp(rest, nevr) != 0)
		return q_error_set(err, Q_EINVAL, "tag '%s' does not match the spec's NEVR '%s'", r,
				   nevr);
	return 0;
}
