/*
 * crawl.c: the crawler's engine (see crawl.h for what it promises).
 *
 * DESIGN. Targets are grouped by host key (sorted, so each host's targets
 * are one contiguous run of `order`). A scheduler hands transfers to one
 * libcurl multi handle only while fewer than max_parallel are running and
 * the host has fewer than per_host running; hosts are visited round-robin
 * so that one big host cannot starve the others. Our own accounting rather
 * than CURLMOPT_MAX_HOST_CONNECTIONS keeps queued transfers out of libcurl,
 * so their timeouts start only when they do. Each running transfer owns an
 * easy handle, a SHA-256 context and an error buffer; the body is hashed in
 * the write callback and never stored.
 *
 * The file check. A target whose repomd.xml is the newest and that has
 * files is not done when its GET ends: it joins its host's queue of
 * targets with HEADs to run, and the scheduler takes a host's HEADs before
 * its next GET (so a target's checks finish soon after its GET), under the
 * same max_parallel and per_host limits. Each HEAD follows redirects like
 * the GET; anything but a final 200 whose Content-Length (when the answer
 * gives one) equals the file's size marks the target partial. Its first
 * bad file (lowest index) is kept in error; its HEADs not started yet are
 * dropped. The target is done when its last HEAD ends.
 */
#include "core/common.h"
#include "core/error.h"
#include "mirror/crawl.h"

#include <assert.h>
#include <curl/curl.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <strings.h>

/* One running transfer. */
struct xfer {
	CURL *h;         /* the easy handle, NULL when the slot is free */
	EVP_MD_CTX *md;  /* SHA-256 of the body so far */
	size_t idx;      /* index of its target */
	size_t file;     /* index into its target's files for a HEAD, NO_FILE for the GET */
	size_t host;     /* index into hosts[] */
	size_t got;      /* body bytes received */
	size_t max_size; /* abort beyond this */
	int too_big;     /* aborted: over max_size */
	int bad_status;  /* aborted: the final status was not 200 */
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's detailed message */
};

#define NO_FILE ((size_t)-1)

/* One host: its targets are order[start..end), not started yet from next. */
struct host {
	size_t start;    /* its first target in order */
	size_t next;     /* first target not started yet */
	size_t end;      /* one past its last target */
	size_t qhead;    /* heads[start+qhead .. start+qtail): its targets with HEADs queued */
	size_t qtail;    /* (a target enters at most once, so its region of order fits) */
	unsigned active; /* transfers running against it */
};

/* A target's file check. */
struct fcheck {
	size_t next; /* first file whose HEAD has not started */
	size_t left; /* HEADs started or queued and not ended */
	size_t bad;  /* lowest index of a bad file, NO_FILE when none */
};

/* A target's host key, for sorting. */
struct keyed {
	char *key; /* malloc'd */
	size_t idx;
};

static pthread_once_t crawl_curl_once = PTHREAD_ONCE_INIT;
static CURLcode crawl_curl_rc = CURLE_FAILED_INIT;

static void crawl_curl_init(void)
{
	crawl_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *q_crawl_state_name(enum q_crawl_state s)
{
	switch (s) {
	case Q_CRAWL_UP_TO_DATE:
		return "up_to_date";
	case Q_CRAWL_LAGGING:
		return "lagging";
	case Q_CRAWL_STALE:
		return "stale";
	case Q_CRAWL_UNREACHABLE:
		return "unreachable";
	case Q_CRAWL_PARTIAL:
		return "partial";
	}
	return "unknown";
}

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The host key of a target: its host, else the URL's host name (lowercase), else its URL. */
static char *host_key(const struct q_crawl_target *t)
{
	CURLU *u;
	char *h = NULL, *out;

	if (t->host)
		return strdup(t->host);
	u = curl_url();
	if (u && curl_url_set(u, CURLUPART_URL, t->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		for (char *p = h; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		out = strdup(h);
	} else {
		out = strdup(t->url); /* unparsable: it fails on its own later */
	}
	curl_free(h);
	curl_url_cleanup(u);
	return out;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;
	long status = 0;

	if (len == 0)
		return 0;
	if (x->got == 0) {
		/* Only a 200 is worth reading: abort an error page at once. */
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200) {
			x->bad_status = 1;
			return 0;
		}
	}
	if (len > x->max_size - x->got) {
		x->too_big = 1;
		return 0;
	}
	x->got += len;
	EVP_DigestUpdate(x->md, data, len);
	return len;
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

static void classify(const struct q_crawl_target *t, struct q_crawl_result *r)
{
	const char *const *acc = t->accepted_sha256;

	if (acc) {
		for (size_t i = 0; acc[i]; i++) {
			if (strcasecmp(acc[i], r->sha256) == 0) {
				r->state = i == 0 ? Q_CRAWL_UP_TO_DATE : Q_CRAWL_LAGGING;
				return;
			}
		}
	}
	r->state = Q_CRAWL_STALE;
	snprintf(r->error, sizeof(r->error),
		 "repomd.xml sha256 %s is neither the newest publish nor an alternate", r->sha256);
}

/* A transfer is over: fill its result from what libcurl and on_body saw. */
static void finish(struct xfer *x, CURLcode rc, const struct q_crawl_target *t,
		   struct q_crawl_result *r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	long status = 0;
	double secs = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->h, CURLINFO_TOTAL_TIME, &secs);
	r->http_status = (int)status;
	r->seconds = secs;
	r->family = 0;
	{
		char *ip = NULL;

		if (curl_easy_getinfo(x->h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && *ip)
			r->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	}
	r->state = Q_CRAWL_UNREACHABLE;
	if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(r->error, sizeof(r->error), "repomd.xml is larger than %zu bytes",
			 x->max_size);
	} else if (x->bad_status || (rc == CURLE_OK && status != 200)) {
		snprintf(r->error, sizeof(r->error), "HTTP status %ld", status);
	} else if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s",
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	} else {
		EVP_DigestFinal_ex(x->md, md, &mdlen);
		to_hex(md, mdlen, r->sha256);
		classify(t, r);
	}
}

/* A HEAD has no body; anything that comes anyway is refused. */
static size_t no_body(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)size;
	(void)nmemb;
	(void)arg;
	return 0;
}

/* The URL of files[file] of t: t's URL up to its "repodata/repomd.xml" (or
 * its last '/'), then the path with every byte but [A-Za-z0-9-._~/]
 * percent-encoded. malloc'd; NULL when out of memory. */
static char *file_url(const struct q_crawl_target *t, size_t file)
{
	static const char suffix[] = "repodata/repomd.xml";
	const char *path = t->files[file].path, *slash;
	size_t ul = strlen(t->url), base, len = 0;
	char *out;

	if (ul >= sizeof(suffix) - 1 && !strcmp(t->url + ul - (sizeof(suffix) - 1), suffix))
		base = ul - (sizeof(suffix) - 1);
	else
		base = (slash = strrchr(t->url, '/')) ? (size_t)(slash - t->url) + 1 : ul;
	while (*path == '/')
		path++;
	out = malloc(base + 3 * strlen(path) + 1);
	if (!out)
		return NULL;
	memcpy(out, t->url, base);
	len = base;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			out[len++] = (char)*p;
		} else {
			snprintf(out + len, 4, "%%%02X", *p);
			len += 3;
		}
	}
	out[len] = '\0';
	return out;
}

/* A HEAD of files[x->file] is over: note it when the file is missing or differs. */
static void finish_head(struct xfer *x, CURLcode rc, const struct q_crawl_target *t,
			struct fcheck *fc, struct q_crawl_result *r)
{
	const struct q_crawl_file *f = &t->files[x->file];
	curl_off_t len = -1;
	long status = 0;
	char why[200];

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (rc != CURLE_OK)
		snprintf(why, sizeof(why), "%.180s",
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	else if (status != 200)
		snprintf(why, sizeof(why), "HTTP status %ld", status);
	else if (len >= 0 && (int64_t)len != f->size)
		snprintf(why, sizeof(why), "%" PRId64 " bytes, the publish has %" PRId64,
			 (int64_t)len, f->size);
	else
		return;
	if (fc->bad != NO_FILE && fc->bad < x->file)
		return; /* an earlier file is the one reported */
	fc->bad = x->file;
	snprintf(r->error, sizeof(r->error), "%.150s: %.100s", f->path, why);
}

static int start(CURLM *m, struct xfer *x, const struct q_crawl_target *t, size_t file,
		 const struct q_crawl_opts *o, struct q_error *err)
{
	long ipres = t->ipv4_only   ? CURL_IPRESOLVE_V4
		     : t->ipv6_only ? CURL_IPRESOLVE_V6
				    : CURL_IPRESOLVE_WHATEVER;
	char *furl = NULL;

	x->file = file;
	x->got = 0;
	x->too_big = 0;
	x->bad_status = 0;
	x->errbuf[0] = '\0';
	x->max_size = o->max_size;
	x->h = curl_easy_init();
	x->md = EVP_MD_CTX_new();
	if (!x->h || !x->md || !EVP_DigestInit_ex(x->md, EVP_sha256(), NULL))
		goto fail;
	if (file == NO_FILE) {
		curl_easy_setopt(x->h, CURLOPT_URL, t->url);
		curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(x->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
	} else {
		furl = file_url(t, file);
		if (!furl)
			goto fail;
		curl_easy_setopt(x->h, CURLOPT_URL, furl); /* libcurl keeps a copy */
		curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, no_body);
		free(furl);
	}
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(x->h, CURLOPT_MAXREDIRS, (long)Q_CRAWL_MAX_REDIRECTS);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the _STR forms */
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(x->h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, o->user_agent);
	curl_easy_setopt(x->h, CURLOPT_IPRESOLVE, ipres);
	if (curl_multi_add_handle(m, x->h) != CURLM_OK)
		goto fail;
	return 0;
fail:
	curl_easy_cleanup(x->h);
	EVP_MD_CTX_free(x->md);
	x->h = NULL;
	x->md = NULL;
	return q_error_set(err, Q_EINTERNAL, "cannot start crawling '%s'%s%s", t->url,
			   file == NO_FILE ? "" : " for ",
			   file == NO_FILE ? "" : t->files[file].path);
}

static void release(CURLM *m, struct xfer *x)
{
	if (!x->h)
		return;
	curl_multi_remove_handle(m, x->h);
	curl_easy_cleanup(x->h);
	EVP_MD_CTX_free(x->md);
	x->h = NULL;
	x->md = NULL;
}

static int crawl_http(const struct q_crawl_target *t, size_t n, const struct q_crawl_opts *o,
		      struct q_crawl_result *res, struct q_error *err)
{
	struct q_crawl_opts opt = {0};
	struct keyed *keys = NULL;
	struct host *hosts = NULL;
	struct xfer *slots = NULL;
	struct fcheck *fc = NULL;
	size_t *order = NULL, *heads = NULL;
	size_t nhosts = 0, rr = 0, queued = n, done = 0;
	unsigned active = 0;
	CURLM *m = NULL;
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
	if (!opt.user_agent)
		opt.user_agent = "quarry-crawler";
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
		memset(&res[i], 0, sizeof(res[i]));
		res[i].state = Q_CRAWL_UNREACHABLE;
	}
	if (n == 0)
		return 0;
	pthread_once(&crawl_curl_once, crawl_curl_init);
	if (crawl_curl_rc != CURLE_OK)
		return q_error_set(err, Q_EINTERNAL, "cannot initialise libcurl: %s",
				   curl_easy_strerror(crawl_curl_rc));

	keys = calloc(n, sizeof(*keys));
	order = calloc(n, sizeof(*order));
	hosts = calloc(n, sizeof(*hosts));
	slots = calloc(opt.max_parallel, sizeof(*slots));
	fc = calloc(n, sizeof(*fc));
	heads = calloc(n, sizeof(*heads));
	if (!keys || !order || !hosts || !slots || !fc || !heads) {
		q_error_set(err, Q_EINTERNAL, "out of memory crawling %zu targets", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		keys[i].idx = i;
		keys[i].key = host_key(&t[i]);
		if (!keys[i].key) {
			q_error_set(err, Q_EINTERNAL, "out of memory crawling %zu targets", n);
			goto out;
		}
	}
	qsort(keys, n, sizeof(*keys), keyed_cmp);
	for (size_t i = 0; i < n; i++) {
		order[i] = keys[i].idx;
		if (i == 0 || strcmp(keys[i].key, keys[i - 1].key) != 0) {
			if (nhosts)
				hosts[nhosts - 1].end = i;
			hosts[nhosts].start = i;
			hosts[nhosts++].next = i;
		}
	}
	hosts[nhosts - 1].end = n;

	m = curl_multi_init();
	if (!m) {
		q_error_set(err, Q_EINTERNAL, "cannot create a libcurl multi handle");
		goto out;
	}
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)opt.max_parallel);

	while (done < n) {
		CURLMsg *msg;
		int left, running;
		size_t i;

		/* Fill free slots, visiting hosts round-robin; a host's HEADs
		 * go before its next GET. */
		for (size_t scanned = 0;
		     queued > 0 && active < opt.max_parallel && scanned < nhosts;) {
			struct host *h = &hosts[rr];
			struct xfer *x = NULL;
			size_t idx = 0, file = NO_FILE;

			/* Drop targets whose HEADs are all started (or dropped). */
			while (h->qhead < h->qtail && fc[heads[h->start + h->qhead]].next >=
							  t[heads[h->start + h->qhead]].n_files)
				h->qhead++;
			if (h->active < opt.per_host && h->qhead < h->qtail) {
				idx = heads[h->start + h->qhead];
				file = fc[idx].next++;
			} else if (h->active < opt.per_host && h->next < h->end) {
				idx = order[h->next++];
			} else {
				scanned++;
				rr = (rr + 1) % nhosts;
				continue;
			}
			for (unsigned s = 0; s < opt.max_parallel; s++)
				if (!slots[s].h) {
					x = &slots[s];
					break;
				}
			assert(x); /* active < max_parallel */
			x->idx = idx;
			x->host = rr;
			if (start(m, x, &t[idx], file, &opt, err) < 0)
				goto out;
			h->active++;
			active++;
			queued--;
			scanned = 0;
			rr = (rr + 1) % nhosts;
		}

		if (curl_multi_perform(m, &running) != CURLM_OK) {
			q_error_set(err, Q_EINTERNAL, "libcurl multi_perform failed");
			goto out;
		}
		while ((msg = curl_multi_info_read(m, &left))) {
			struct xfer *x = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			i = x->idx;
			if (x->file == NO_FILE) {
				finish(x, msg->data.result, &t[i], &res[i]);
				if (res[i].state == Q_CRAWL_UP_TO_DATE && t[i].n_files > 0) {
					/* Not done: its files are checked first. */
					struct host *h = &hosts[x->host];

					fc[i].bad = NO_FILE;
					fc[i].left = t[i].n_files;
					heads[h->start + h->qtail++] = i;
					queued += t[i].n_files;
				} else {
					done++;
				}
			} else {
				finish_head(x, msg->data.result, &t[i], &fc[i], &res[i]);
				if (fc[i].bad != NO_FILE && fc[i].next < t[i].n_files) {
					/* Partial already: its other HEADs are not needed. */
					fc[i].left -= t[i].n_files - fc[i].next;
					queued -= t[i].n_files - fc[i].next;
					fc[i].next = t[i].n_files;
				}
				if (--fc[i].left == 0) {
					if (fc[i].bad != NO_FILE)
						res[i].state = Q_CRAWL_PARTIAL;
					done++;
				}
			}
			release(m, x);
			hosts[x->host].active--;
			active--;
		}
		if (done < n && running > 0 &&
		    curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK) {
			q_error_set(err, Q_EINTERNAL, "libcurl multi_poll failed");
			goto out;
		}
	}
	ret = 0;
out:
	if (slots)
		for (unsigned s = 0; s < opt.max_parallel; s++)
			release(m, &slots[s]);
	if (m)
		curl_multi_cleanup(m);
	if (keys)
		for (size_t i = 0; i < n; i++)
			free(keys[i].key);
	free(keys);
	free(order);
	free(hosts);
	free(slots);
	free(fc);
	free(heads);
	return ret;
}

/* The rsync side of a mixed crawl, in its own thread. */
struct rsync_side {
	const struct q_crawl_target *t;
	size_t n;
	const struct q_crawl_opts *o;
	struct q_crawl_result *res;
	struct q_error err;
	int rc;
};

static void *rsync_side_main(void *arg)
{
	struct rsync_side *s = arg;

	s->rc = q_crawl_rsync_run(s->t, s->n, s->o, s->res, &s->err);
	return NULL;
}

/*
 * rsync:// targets go to the rsync engine (crawl_rsync.c), the others to
 * libcurl; when there are both, the two run at once (each within the
 * bounds of o), and the results are put back in the targets' order.
 */
int q_crawl_run(const struct q_crawl_target *t, size_t n, const struct q_crawl_opts *o,
		struct q_crawl_result *res, struct q_error *err)
{
	struct q_crawl_target *tr = NULL, *th = NULL;
	struct q_crawl_result *rr = NULL, *rh = NULL;
	size_t *ir = NULL, *ih = NULL, nr = 0, nh = 0;
	struct rsync_side side = {0};
	pthread_t thr;
	int rc = -1, threaded = 0;

	for (size_t i = 0; i < n; i++)
		if (t[i].url && !strncmp(t[i].url, "rsync://", 8))
			nr++;
	if (nr == 0)
		return crawl_http(t, n, o, res, err);
	if (nr == n)
		return q_crawl_rsync_run(t, n, o, res, err);
	nh = n - nr;
	tr = calloc(nr, sizeof(*tr));
	th = calloc(nh, sizeof(*th));
	rr = calloc(nr, sizeof(*rr));
	rh = calloc(nh, sizeof(*rh));
	ir = calloc(nr, sizeof(*ir));
	ih = calloc(nh, sizeof(*ih));
	if (!tr || !th || !rr || !rh || !ir || !ih) {
		q_error_set(err, Q_EINTERNAL, "out of memory crawling %zu targets", n);
		goto out;
	}
	nr = nh = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i].url && !strncmp(t[i].url, "rsync://", 8)) {
			ir[nr] = i;
			tr[nr++] = t[i];
		} else {
			ih[nh] = i;
			th[nh++] = t[i];
		}
	}
	side = (struct rsync_side){.t = tr, .n = nr, .o = o, .res = rr};
	if (pthread_create(&thr, NULL, rsync_side_main, &side) == 0)
		threaded = 1;
	else
		rsync_side_main(&side);
	rc = crawl_http(th, nh, o, rh, err);
	if (threaded)
		pthread_join(thr, NULL);
	if (rc == 0 && side.rc < 0) {
		q_error_set(err, side.err.code, "%s", side.err.msg);
		rc = -1;
	}
	if (rc == 0) {
		for (size_t i = 0; i < nr; i++)
			res[ir[i]] = rr[i];
		for (size_t i = 0; i < nh; i++)
			res[ih[i]] = rh[i];
	}
out:
	free(tr);
	free(th);
	free(rr);
	free(rh);
	free(ir);
	free(ih);
	return rc;
}
