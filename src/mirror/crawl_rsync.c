/*
 * crawl_rsync.c: the crawl engine for rsync:// targets (crawl.h,
 * q_crawl_rsync_run), for mirrors that offer only rsync.
 *
 * DESIGN
 *  - The rsync client does the protocol: for each target it fetches
 *    repomd.xml into a private temporary directory (mkdtemp, removed
 *    after), which is then hashed and classified exactly as the libcurl
 *    engine does. When the hash is the newest publish and the target has
 *    files, a second run lists them (`--list-only --files-from`, one
 *    connection for all of them) and compares the sizes: a missing file or
 *    another size gives Q_CRAWL_PARTIAL naming the first bad path.
 *  - Never a shell: fork + execve with an argv built before the fork and a
 *    fixed environment (PATH, LC_ALL=C and the hub's QUARRY_HUB_RUN
 *    marker, so its guard finds a client left behind). RSYNC_RSH,
 *    RSYNC_CONNECT_PROG and RSYNC_PROXY never reach the client. The URL
 *    comes from a mirror's definition: it must be an rsync:// URL (so the
 *    client speaks to a daemon, never runs a remote shell), with no space,
 *    control byte, backslash or wildcard, and it follows "--", so nothing in
 *    it is an option. The child runs in its own session with stdin from
 *    /dev/null and no terminal, so a module that asks for a password fails
 *    instead of prompting.
 *  - Bounds, as the libcurl engine: at most max_parallel clients at once and
 *    per_host against one host key; --contimeout (connect_timeout_ms),
 *    --timeout (I/O) and a wall-clock kill of the client's process group
 *    at timeout_ms; --max-size keeps a repomd.xml over max_size from being
 *    transferred at all; what a client prints is read up to a bound (the
 *    listing: a line per file), beyond which it is killed.
 *  - Results: http_status is 200 when repomd.xml was fetched and 0 when it
 *    was not (so the hub's records treat an rsync answer as an HTTP one),
 *    family is the address the client reports connecting to
 *    (--debug=CONNECT2), or the forced one (-4/-6).
 */
#include "core/common.h"
#include "core/error.h"
#include "mirror/crawl.h"
#include "mirror/crawl_rsync.h"

#include <fcntl.h>
#include <glib.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define OUT_BASE (64 * 1024) /* output kept of a client, beyond a line per listed file */
#define ERR_MAX 4096         /* stderr kept of a client */

enum phase { PH_FETCH, PH_LIST };

/* One running rsync client. */
struct job {
	pid_t pid; /* 0 when the slot is free */
	size_t idx;
	size_t host;
	enum phase phase;
	int out_fd, err_fd; /* -1 once closed */
	GString *out, *err;
	size_t out_max;
	int too_much;     /* killed: printed more than out_max */
	int64_t deadline; /* monotonic ms */
	int64_t started;
	char dir[512]; /* the private temporary directory */
};

/* ---- URL and listing checks (crawl_rsync.h) ---------------------------- */

const char *q_crawl_rsync_url_problem(const char *url)
{
	const char *h, *p;

	if (strncmp(url, "rsync://", 8) != 0)
		return "not an rsync:// URL";
	for (p = url; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c == 0x7f)
			return "a space or control character";
		if (c == '\\' || c == '*' || c == '?' || c == '[')
			return "a backslash or wildcard (* ? [)";
	}
	h = url + 8;
	if (*h == '-')
		return "no host, or a host starting with '-'";
	{
		size_t auth = strcspn(h, "/");
		const char *at = memchr(h, '@', auth);

		if (at)
			h = at + 1; /* user@host */
	}
	if (*h == '-' || *h == '/' || *h == ':' || *h == '\0')
		return "no host, or a host starting with '-'";
	p = strchr(h, '/');
	if (!p || p[1] == '\0' || p[1] == '/')
		return "no module after the host";
	return NULL;
}

int q_crawl_rsync_parse_list_line(const char *line, int64_t *size, char *path, size_t path_size)
{
	const char *p = line;
	char *end;
	long long v;
	size_t o = 0;

	/* PERMS: 10 characters, '-' first for a regular file. */
	if (strlen(p) < 11 || p[0] != '-' || p[10] != ' ')
		return 0;
	p += 10;
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno || v < 0 || *end != ' ')
		return 0;
	p = end;
	/* DATE and TIME. */
	for (int f = 0; f < 2; f++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		p += strcspn(p, " ");
	}
	if (*p != ' ' || p[1] == '\0')
		return 0;
	p++;
	/* PATH, with rsync's \#ooo escapes undone. */
	while (*p) {
		char c = *p;

		if (p[0] == '\\' && p[1] == '#' && p[2] >= '0' && p[2] <= '3' && p[3] >= '0' &&
		    p[3] <= '7' && p[4] >= '0' && p[4] <= '7') {
			c = (char)((p[2] - '0') * 64 + (p[3] - '0') * 8 + (p[4] - '0'));
			p += 5;
		} else {
			p++;
		}
		if (o + 1 >= path_size)
			return 0;
		path[o++] = c;
	}
	path[o] = '\0';
	*size = (int64_t)v;
	return 1;
}

/* ---- running a client --------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The rsync program in PATH, or "" (g_free'd by the caller). */
static char *find_rsync(void)
{
	char *p = g_find_program_in_path("rsync");

	return p ? p : g_strdup("");
}

/* The repo directory of a target's URL: without "repodata/repomd.xml". */
static char *base_url(const char *url)
{
	static const char tail[] = "repodata/repomd.xml";
	size_t l = strlen(url), tl = sizeof(tail) - 1;

	if (l > tl && !strcmp(url + l - tl, tail))
		return g_strndup(url, l - tl);
	return g_strndup(url, (size_t)(strrchr(url, '/') - url) + 1);
}

/* fork + execve rsync with argv; stdout and stderr to pipes; own session. */
static int spawn(struct job *j, const char *prog, GPtrArray *argv, char **envp)
{
	int out[2] = {-1, -1}, errp[2] = {-1, -1};
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
		goto fail;
	g_ptr_array_add(argv, NULL);
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		/* Only async-signal-safe calls: the hub has threads. */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setsid();
		if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(127);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execve(prog, (char **)argv->pdata, envp);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	j->pid = pid;
	j->out_fd = out[0];
	j->err_fd = errp[0];
	fcntl(j->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(j->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return -1;
}

/* The common options: no motd, timeouts, the forced family. */
static GPtrArray *common_argv(const char *prog, const struct q_crawl_target *t,
			      const struct q_crawl_opts *o)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	long ct = (o->connect_timeout_ms + 999) / 1000, io = (o->timeout_ms + 999) / 1000;

	g_ptr_array_add(a, g_strdup(prog));
	g_ptr_array_add(a, g_strdup("--no-motd"));
	g_ptr_array_add(a, g_strdup_printf("--contimeout=%ld", ct > 0 ? ct : 1));
	g_ptr_array_add(a, g_strdup_printf("--timeout=%ld", io > 0 ? io : 1));
	if (t->ipv4_only)
		g_ptr_array_add(a, g_strdup("--ipv4"));
	if (t->ipv6_only)
		g_ptr_array_add(a, g_strdup("--ipv6"));
	return a;
}

static int start_fetch(struct job *j, const char *prog, const struct q_crawl_target *t,
		       const struct q_crawl_opts *o, char **envp)
{
	GPtrArray *a = common_argv(prog, t, o);
	int rc;

	g_ptr_array_add(a, g_strdup("--debug=CONNECT2"));
	g_ptr_array_add(a, g_strdup_printf("--max-size=%zu", o->max_size));
	g_ptr_array_add(a, g_strdup("--"));
	g_ptr_array_add(a, g_strdup(t->url));
	g_ptr_array_add(a, g_strdup_printf("%s/repomd.xml", j->dir));
	j->phase = PH_FETCH;
	j->out_max = OUT_BASE;
	rc = spawn(j, prog, a, envp);
	g_ptr_array_free(a, TRUE);
	return rc;
}

static int start_list(struct job *j, const char *prog, const struct q_crawl_target *t,
		      const struct q_crawl_opts *o, char **envp)
{
	GPtrArray *a;
	GString *list = g_string_new(NULL);
	char path[600];
	char *base;
	int rc;

	for (size_t i = 0; i < t->n_files; i++)
		g_string_append_len(list, t->files[i].path, (gssize)strlen(t->files[i].path) + 1);
	snprintf(path, sizeof(path), "%s/files", j->dir);
	if (!g_file_set_contents(path, list->str, (gssize)list->len, NULL)) {
		g_string_free(list, TRUE);
		return -1;
	}
	j->out_max = OUT_BASE + list->len * 5 + t->n_files * 64;
	g_string_free(list, TRUE);
	a = common_argv(prog, t, o);
	base = base_url(t->url);
	g_ptr_array_add(a, g_strdup("--list-only"));
	g_ptr_array_add(a, g_strdup("--no-human-readable"));
	g_ptr_array_add(a, g_strdup("--copy-links")); /* what an HTTP server would serve */
	g_ptr_array_add(a, g_strdup("--from0"));
	g_ptr_array_add(a, g_strdup_printf("--files-from=%s", path));
	g_ptr_array_add(a, g_strdup("--"));
	g_ptr_array_add(a, base);
	g_ptr_array_add(a, g_strdup_printf("%s/", j->dir)); /* required; nothing is written */
	j->phase = PH_LIST;
	rc = spawn(j, prog, a, envp);
	g_ptr_array_free(a, TRUE);
	return rc;
}

/* Read what is there; 1 when both pipes are closed. */
static int drain(struct job *j)
{
	char buf[8192];

	for (int which = 0; which < 2; which++) {
		int *fd = which ? &j->err_fd : &j->out_fd;
		GString *s = which ? j->err : j->out;
		size_t max = which ? ERR_MAX : j->out_max;

		while (*fd >= 0) {
			ssize_t n = read(*fd, buf, sizeof(buf));

			if (n > 0) {
				if (s->len < max)
					g_string_append_len(s, buf,
							    (gssize)MIN((size_t)n, max - s->len));
				else if (!which)
					j->too_much = 1;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			close(*fd);
			*fd = -1;
		}
	}
	return j->out_fd < 0 && j->err_fd < 0;
}

/* The first message of a client's stderr (the reason; rsync's own summary
 * line "rsync error: …" comes last and says less), for result.error. */
static void first_error(const GString *e, char *out, size_t size, const char *fallback)
{
	const char *p = e->str, *end = e->str + e->len, *pick = NULL;
	size_t l = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (ll && !pick)
			pick = p, l = ll;
		if (ll && strncmp(p, "rsync error:", 12) != 0) {
			pick = p;
			l = ll;
			break;
		}
		p += ll + 1;
	}
	if (pick)
		snprintf(out, size, "%.*s", (int)MIN(l, (size_t)INT_MAX), pick);
	else
		snprintf(out, size, "%s", fallback);
}

static void to_hex(const unsigned char *in, unsigned len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Hash DIR/repomd.xml into r->sha256; -1 with r->error when it is not there. */
static int hash_file(const struct job *j, size_t max, struct q_crawl_result *r)
{
	char path[600], buf[65536];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx;
	struct stat sb;
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/repomd.xml", j->dir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		snprintf(r->error, sizeof(r->error),
			 "repomd.xml was not transferred: larger than %zu bytes, or not a file",
			 max);
		return -1;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		close(fd);
		snprintf(r->error, sizeof(r->error), "cannot hash repomd.xml");
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 && got <= max) {
		got += (size_t)n;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	close(fd);
	if (n < 0 || got > max) {
		EVP_MD_CTX_free(ctx);
		snprintf(r->error, sizeof(r->error), "repomd.xml is larger than %zu bytes", max);
		return -1;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	to_hex(md, mdlen, r->sha256);
	return 0;
}

/* As crawl.c's classify. */
static void classify(const struct q_crawl_target *t, struct q_crawl_result *r)
{
	const char *const *acc = t->accepted_sha256;

	if (acc)
		for (size_t i = 0; acc[i]; i++)
			if (strcasecmp(acc[i], r->sha256) == 0) {
				r->state = i == 0 ? Q_CRAWL_UP_TO_DATE : Q_CRAWL_LAGGING;
				return;
			}
	r->state = Q_CRAWL_STALE;
	snprintf(r->error, sizeof(r->error),
		 "repomd.xml sha256 %s is neither the newest publish nor an alternate", r->sha256);
}

/* The address the client said it connected to: "Connected to HOST (ADDR)". */
static int family_of(const struct q_crawl_target *t, const GString *out)
{
	const char *p = strstr(out->str, "Connected to ");
	const char *open, *nl;

	if (t->ipv4_only)
		return AF_INET;
	if (t->ipv6_only)
		return AF_INET6;
	if (!p)
		return 0;
	nl = strchr(p, '\n');
	open = strrchr(p, '(');
	if (!open || (nl && open > nl))
		return 0;
	for (const char *c = open; *c && *c != ')' && c != nl; c++)
		if (*c == ':')
			return AF_INET6;
	return AF_INET;
}

/* Compare the listing with the target's files. */
static void check_listing(const struct q_crawl_target *t, const GString *out,
			  struct q_crawl_result *r)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	char *copy = g_strndup(out->str, out->len), *save = NULL;
	char path[4096];
	int64_t size;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (q_crawl_rsync_parse_list_line(line, &size, path, sizeof(path)))
			g_hash_table_replace(seen, g_strdup(path), g_memdup2(&size, sizeof(size)));
	for (size_t i = 0; i < t->n_files; i++) {
		const int64_t *got = g_hash_table_lookup(seen, t->files[i].path);

		if (!got || *got != t->files[i].size) {
			r->state = Q_CRAWL_PARTIAL;
			if (!got)
				snprintf(r->error, sizeof(r->error), "%s: missing",
					 t->files[i].path);
			else
				snprintf(r->error, sizeof(r->error),
					 "%s: %" PRId64 " bytes, expected %" PRId64,
					 t->files[i].path, *got, t->files[i].size);
			break;
		}
	}
	g_free(copy);
	g_hash_table_destroy(seen);
}

static void remove_dir(const char *dir)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/repomd.xml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/files", dir);
	unlink(path);
	rmdir(dir);
}

/* A client ended (or was killed): fill the result; 1 when a listing follows. */
static int job_done(struct job *j, int status, int timed_out, const struct q_crawl_target *t,
		    const struct q_crawl_opts *o, struct q_crawl_result *r)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

	r->seconds += (double)(now_ms() - j->started) / 1000.0;
	if (j->phase == PH_FETCH) {
		r->family = family_of(t, j->out);
		if (timed_out) {
			snprintf(r->error, sizeof(r->error), "rsync timed out after %ld ms",
				 o->timeout_ms);
			return 0;
		}
		if (code != 0) {
			first_error(j->err, r->error, sizeof(r->error), "rsync failed");
			if (code == 127 && !j->err->len)
				snprintf(r->error, sizeof(r->error), "cannot run rsync");
			return 0;
		}
		if (hash_file(j, o->max_size, r) < 0)
			return 0;
		r->http_status = 200;
		classify(t, r);
		return r->state == Q_CRAWL_UP_TO_DATE && t->files && t->n_files > 0;
	}
	/* PH_LIST: rsync exits 23 when some of the files are missing. */
	if (timed_out || j->too_much || (code != 0 && code != 23)) {
		r->state = Q_CRAWL_UNREACHABLE;
		if (timed_out)
			snprintf(r->error, sizeof(r->error),
				 "listing the files repomd.xml names timed out after %ld ms",
				 o->timeout_ms);
		else if (j->too_much)
			snprintf(r->error, sizeof(r->error),
				 "the listing of %zu files is too large", t->n_files);
		else {
			char e[200] = "";

			first_error(j->err, e, sizeof(e), "rsync failed");
			snprintf(r->error, sizeof(r->error), "listing the files: %s", e);
		}
		return 0;
	}
	check_listing(t, j->out, r);
	return 0;
}

static void job_reset(struct job *j)
{
	if (j->out_fd >= 0)
		close(j->out_fd);
	if (j->err_fd >= 0)
		close(j->err_fd);
	j->out_fd = j->err_fd = -1;
	g_string_truncate(j->out, 0);
	g_string_truncate(j->err, 0);
	j->too_much = 0;
	j->pid = 0;
}

/* ---- the scheduler ------------------------------------------------------ */

/* The host part of an rsync URL (lowercase), or the whole URL. */
static char *host_key(const struct q_crawl_target *t)
{
	const char *h = t->url + (strncmp(t->url, "rsync://", 8) ? 0 : 8), *at;
	size_t l;

	if (t->host)
		return g_strdup(t->host);
	l = strcspn(h, "/");
	at = memchr(h, '@', l);
	if (at) {
		l -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	return g_ascii_strdown(h, (gssize)l);
}

int q_crawl_rsync_run(const struct q_crawl_target *t, size_t n, const struct q_crawl_opts *o,
		      struct q_crawl_result *res, struct q_error *err)
{
	struct q_crawl_opts opt = {0};
	GHashTable *hosts_by_key = NULL;
	size_t *host_of = NULL, done = 0, next = 0;
	char *started = NULL; /* per target: a client was started for it */
	unsigned *host_active = NULL, active = 0;
	struct job *jobs = NULL;
	struct pollfd *pfd = NULL;
	char *prog = NULL, *env_run = NULL;
	char *envp[4] = {NULL};
	int ret = -1;

	if (o)
		opt = *o;
	if (!opt.max_parallel)
		opt.max_parallel = Q_CRAWL_DEFAULT_PARALLEL;
	if (!opt.per_host)
		opt.per_host = Q_CRAWL_DEFAULT_PER_HOST;
	if (opt.connect_timeout_ms <= 0)
		opt.connect_timeout_ms = Q_CRAWL_DEFAULT_CONNECT_MS;
	if (opt.timeout_ms <= 0)
		opt.timeout_ms = Q_CRAWL_DEFAULT_TIMEOUT_MS;
	if (!opt.max_size)
		opt.max_size = Q_CRAWL_DEFAULT_MAX_SIZE;
	if (opt.max_parallel > n && n > 0)
		opt.max_parallel = (unsigned)n;

	for (size_t i = 0; i < n; i++) {
		if (!t[i].url)
			return q_error_set(err, Q_EINVAL, "crawl target %zu ('%s') has no url", i,
					   t[i].mirror ? t[i].mirror : "?");
		if (t[i].ipv4_only && t[i].ipv6_only)
			return q_error_set(err, Q_EINVAL,
					   "crawl target '%s' is both ipv4-only and ipv6-only",
					   t[i].url);
		for (size_t f = 0; f < t[i].n_files; f++) {
			const char *p = t[i].files[f].path;

			if (!p || !*p || *p == '/' || strstr(p, "..") || strchr(p, '\n'))
				return q_error_set(err, Q_EINVAL,
						   "crawl target '%s': file '%s' is not a relative "
						   "path inside the repo",
						   t[i].url, p ? p : "(null)");
		}
		memset(&res[i], 0, sizeof(res[i]));
		res[i].state = Q_CRAWL_UNREACHABLE;
	}
	if (n == 0)
		return 0;

	prog = find_rsync();
	envp[0] = g_strdup("PATH=/usr/local/bin:/usr/bin:/bin");
	envp[1] = g_strdup("LC_ALL=C");
	if (getenv("QUARRY_HUB_RUN"))
		env_run = envp[2] = g_strdup_printf("QUARRY_HUB_RUN=%s", getenv("QUARRY_HUB_RUN"));
	hosts_by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	host_of = g_new0(size_t, n);
	started = g_new0(char, n);
	host_active = g_new0(unsigned, n);
	jobs = g_new0(struct job, opt.max_parallel);
	pfd = g_new0(struct pollfd, 2 * (size_t)opt.max_parallel);
	for (unsigned s = 0; s < opt.max_parallel; s++) {
		jobs[s].out = g_string_new(NULL);
		jobs[s].err = g_string_new(NULL);
		jobs[s].out_fd = jobs[s].err_fd = -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *k = host_key(&t[i]);
		gpointer v;

		if (g_hash_table_lookup_extended(hosts_by_key, k, NULL, &v)) {
			host_of[i] = GPOINTER_TO_SIZE(v);
			g_free(k);
		} else {
			host_of[i] = g_hash_table_size(hosts_by_key);
			g_hash_table_insert(hosts_by_key, k, GSIZE_TO_POINTER(host_of[i]));
		}
	}

	/* Targets the client cannot be run for are done at once. */
	for (size_t i = 0; i < n; i++) {
		const char *why = q_crawl_rsync_url_problem(t[i].url);

		if (why) {
			snprintf(res[i].error, sizeof(res[i].error), "refused URL '%.150s': %s",
				 t[i].url, why);
			res[i].state = Q_CRAWL_UNREACHABLE;
		} else if (!*prog) {
			snprintf(res[i].error, sizeof(res[i].error),
				 "the rsync client is not installed (apt-get install rsync)");
		} else {
			continue;
		}
		host_of[i] = SIZE_MAX; /* marks it done */
		done++;
	}

	while (done < n) {
		size_t np = 0;
		int64_t now = now_ms(), wait = 1000;

		/* Start clients in free slots, first come first served within the bounds. */
		for (unsigned s = 0; s < opt.max_parallel && next < n; s++) {
			struct job *j = &jobs[s];

			if (j->pid)
				continue;
			while (next < n && (host_of[next] == SIZE_MAX || started[next]))
				next++;
			for (size_t i = next; i < n; i++) {
				if (host_of[i] == SIZE_MAX || started[i] ||
				    host_active[host_of[i]] >= opt.per_host)
					continue;
				snprintf(j->dir, sizeof(j->dir), "%s/quarry-crawl-XXXXXX",
					 g_get_tmp_dir());
				if (!mkdtemp(j->dir)) {
					q_error_set(err, Q_EIO,
						    "cannot create a directory in /tmp: %s",
						    strerror(errno));
					goto out;
				}
				j->idx = i;
				j->host = host_of[i];
				j->started = now_ms();
				j->deadline = j->started + opt.timeout_ms;
				if (start_fetch(j, prog, &t[i], &opt, envp) < 0) {
					remove_dir(j->dir);
					q_error_set(err, Q_EIO, "cannot start rsync: %s",
						    strerror(errno));
					goto out;
				}
				started[i] = 1;
				host_active[j->host]++;
				active++;
				break;
			}
		}

		/* Wait for output, an exit or the nearest deadline. */
		for (unsigned s = 0; s < opt.max_parallel; s++) {
			struct job *j = &jobs[s];

			if (!j->pid)
				continue;
			if (j->out_fd >= 0)
				pfd[np++] = (struct pollfd){.fd = j->out_fd, .events = POLLIN};
			if (j->err_fd >= 0)
				pfd[np++] = (struct pollfd){.fd = j->err_fd, .events = POLLIN};
			wait = MIN(wait, MAX(j->deadline - now, 0));
		}
		if (np)
			poll(pfd, (nfds_t)np, (int)wait);
		else if (active)
			poll(NULL, 0, (int)MIN(wait, 20));

		for (unsigned s = 0; s < opt.max_parallel; s++) {
			struct job *j = &jobs[s];
			struct q_crawl_result *r;
			int status = 0, timed_out = 0, closed;

			if (!j->pid)
				continue;
			r = &res[j->idx];
			closed = drain(j);
			if (j->too_much || now_ms() >= j->deadline) {
				timed_out = !j->too_much;
				kill(-j->pid, SIGKILL); /* its session (rsync forks) */
				kill(j->pid, SIGKILL);  /* in case it has not called setsid yet */
				waitpid(j->pid, &status, 0);
			} else if (!closed || waitpid(j->pid, &status, WNOHANG) != j->pid) {
				continue;
			}
			if (job_done(j, status, timed_out, &t[j->idx], &opt, r)) {
				job_reset(j);
				j->started = now_ms();
				j->deadline = j->started + opt.timeout_ms;
				if (start_list(j, prog, &t[j->idx], &opt, envp) == 0)
					continue;
				r->state = Q_CRAWL_UNREACHABLE;
				snprintf(r->error, sizeof(r->error),
					 "cannot start rsync --list-only");
			}
			remove_dir(j->dir);
			job_reset(j);
			host_active[j->host]--;
			active--;
			done++;
		}
	}
	ret = 0;
out:
	if (jobs) {
		for (unsigned s = 0; s < opt.max_parallel; s++) {
			if (jobs[s].pid) {
				int status;

				kill(-jobs[s].pid, SIGKILL);
				kill(jobs[s].pid, SIGKILL);
				waitpid(jobs[s].pid, &status, 0);
				remove_dir(jobs[s].dir);
			}
			job_reset(&jobs[s]);
			g_string_free(jobs[s].out, TRUE);
			g_string_free(jobs[s].err, TRUE);
		}
	}
	g_free(started);
	g_free(jobs);
	g_free(pfd);
	g_free(host_of);
	g_free(host_active);
	if (hosts_by_key)
		g_hash_table_destroy(hosts_by_key);
	g_free(prog);
	g_free(envp[0]);
	g_free(envp[1]);
	g_free(env_run);
	return ret;
}
