/*
 * server.c: the hub's HTTP server on libh2o's evloop.
 *
 * One listening socket per hub.listen address, hub.threads event loops,
 * each with its own h2o context and its own database connection; every
 * loop watches every listening socket and accepts what it can. A handler runs to completion
 * on its loop, so a slow one (an upload, a publish) delays only the
 * connections of that loop. Paths:
 *   /pub/…      h2o's file handler (content types, HEAD, conditional
 *               requests, Range) over DATA/pub
 *   everything else → our dispatcher: /healthz, /metrics, /api/v1/…, and
 *               the web pages (web/web.c) for the other paths
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "api/api.h"
#include "http/http.h"
#include "web/auth.h"
#include "http/wait.h"
#include "hub/hub.h"
#include "mirror/service.h"
#include "web/web.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#define Q_BODY_SLACK ((size_t)256 << 10) /* chunked framing; see q_server_run */

struct loop_thread {
	h2o_context_t ctx; /* first: handlers find us from req->conn->ctx */
	h2o_accept_ctx_t accept;
	struct q_hub *hub;
	struct q_store *st;
	h2o_socket_t *listeners[Q_LISTEN_MAX];
	struct q_waitq *wq; /* held requests (http/wait.h) */
	pthread_t tid;
};

static volatile sig_atomic_t stopping;
static h2o_globalconf_t globalconf;
static struct q_hub *the_hub;
static int listen_fds[Q_LISTEN_MAX];
static int n_listen;
static struct loop_thread *the_threads;
static int n_threads;

/*
 * Refused requests (401 and 403), counted by API route for /metrics:
 * [2 * route + 0] 401s, [2 * route + 1] 403s; route 0 is "no route".
 * And logged, at most REFUSED_LOG_PER_SEC a second.
 */
#define REFUSED_LOG_PER_SEC 10
static atomic_uint_fast64_t *refused_counts;
static size_t refused_routes;
static pthread_mutex_t refused_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t refused_window;
static int refused_logged;
static uint64_t refused_suppressed;

static void route_label(int route, const char **method, const char **pattern)
{
	if (route > 0)
		q_api_route_name((size_t)route - 1, method, pattern);
	else {
		*method = "";
		*pattern = "other";
	}
}

static void note_refused(struct q_request *r, int status)
{
	const char *method, *pattern;
	char peer[INET6_ADDRSTRLEN + 8] = "?";
	struct sockaddr_storage ss;
	socklen_t n;
	int64_t now = (int64_t)time(NULL);
	uint64_t dropped = 0;
	int emit = 0;

	if (refused_counts && (size_t)r->route < refused_routes)
		atomic_fetch_add(&refused_counts[2 * (size_t)r->route + (status == 403)], 1);
	pthread_mutex_lock(&refused_lock);
	if (now != refused_window) {
		dropped = refused_suppressed;
		refused_suppressed = 0;
		refused_logged = 0;
		refused_window = now;
	}
	if (refused_logged < REFUSED_LOG_PER_SEC) {
		refused_logged++;
		emit = 1;
	} else {
		refused_suppressed++;
	}
	pthread_mutex_unlock(&refused_lock);
	if (dropped)
		q_warn("%" PRIu64 " more refused requests were not logged (at most %d a second; "
		       "/metrics counts them all)",
		       dropped, REFUSED_LOG_PER_SEC);
	if (!emit)
		return;
	route_label(r->route, &method, &pattern);
	n = r->req->conn->callbacks->get_peername
		? r->req->conn->callbacks->get_peername(r->req->conn, (struct sockaddr *)&ss)
		: 0;
	if (n && ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, peer, sizeof(peer));
	else if (n && ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, peer, sizeof(peer));
	q_warn("refused %d: %s %s from %s%s%s", status, method, pattern, peer,
	       r->authed ? " as " : " (no valid token)", r->authed ? r->who.name : "");
}

static void send_refused_metrics(GString *g)
{
	uint64_t too_big = 0;

	g_string_append(g, "# HELP quarry_http_refused_total Requests refused with 401 or 403, "
			   "by API route.\n"
			   "# TYPE quarry_http_refused_total counter\n");
	for (size_t i = 0; refused_counts && i < refused_routes; i++)
		for (int k = 0; k < 2; k++) {
			uint64_t v = atomic_load(&refused_counts[2 * i + (size_t)k]);
			const char *method, *pattern;

			if (!v)
				continue;
			route_label((int)i, &method, &pattern);
			g_string_append_printf(
			    g,
			    "quarry_http_refused_total{route=\"%s%s%s\",status=\"%d\"} %" PRIu64
			    "\n",
			    method, method[0] ? " " : "", pattern, k ? 403 : 401, v);
		}
	g_string_append_printf(g,
			       "# HELP quarry_http_held_requests Requests held now by a long-poll "
			       "(waiting for an event), by API route.\n"
			       "# TYPE quarry_http_held_requests gauge\n"
			       "quarry_http_held_requests{route=\"all\"} %ld\n",
			       q_wait_held());
	for (size_t i = 1; i < refused_routes; i++) {
		long v = q_wait_held_route((int)i);
		const char *method, *pattern;

		if (!v)
			continue;
		route_label((int)i, &method, &pattern);
		g_string_append_printf(g, "quarry_http_held_requests{route=\"%s %s\"} %ld\n",
				       method, pattern, v);
	}
	/* Bodies over the limit, refused by the server before any handler. */
	for (int i = 0; i < n_threads; i++)
		too_big += the_threads[i].ctx.emitted_error_status[H2O_STATUS_ERROR_413];
	g_string_append_printf(
	    g,
	    "# HELP quarry_http_body_too_large_total Request bodies over the limit, refused "
	    "(413) before any handler ran.\n"
	    "# TYPE quarry_http_body_too_large_total counter\n"
	    "quarry_http_body_too_large_total %" PRIu64 "\n",
	    too_big);
}

static void count_status(struct q_hub *hub, int status)
{
	int cls = status / 100;

	if (cls >= 1 && cls <= 5)
		atomic_fetch_add(&hub->metrics.requests[cls], 1);
}

static void send_metrics(struct q_request *r)
{
	struct q_metrics *m = &r->hub->metrics;
	json_t *counts = NULL;
	struct q_error err = {0};
	GString *g = g_string_new(NULL);

	g_string_append(
	    g, "# HELP quarry_http_requests_total HTTP requests answered, by status class.\n"
	       "# TYPE quarry_http_requests_total counter\n");
	for (int c = 1; c <= 5; c++)
		g_string_append_printf(
		    g, "quarry_http_requests_total{class=\"%dxx\"} %" PRIuFAST64 "\n", c,
		    atomic_load(&m->requests[c]));
	g_string_append_printf(
	    g,
	    "# HELP quarry_publishes_total Repo publishes that wrote new metadata.\n"
	    "# TYPE quarry_publishes_total counter\n"
	    "quarry_publishes_total %" PRIuFAST64 "\n"
	    "# HELP quarry_publishes_unchanged_total Publishes that found nothing to do.\n"
	    "# TYPE quarry_publishes_unchanged_total counter\n"
	    "quarry_publishes_unchanged_total %" PRIuFAST64 "\n"
	    "# HELP quarry_publish_failures_total Publishes that failed.\n"
	    "# TYPE quarry_publish_failures_total counter\n"
	    "quarry_publish_failures_total %" PRIuFAST64 "\n"
	    "# HELP quarry_publish_seconds_total Time spent publishing.\n"
	    "# TYPE quarry_publish_seconds_total counter\n"
	    "quarry_publish_seconds_total %.6f\n"
	    "# HELP quarry_uploads_total Packages accepted.\n"
	    "# TYPE quarry_uploads_total counter\n"
	    "quarry_uploads_total %" PRIuFAST64 "\n"
	    "# HELP quarry_uploads_refused_total Upload batches refused.\n"
	    "# TYPE quarry_uploads_refused_total counter\n"
	    "quarry_uploads_refused_total %" PRIuFAST64 "\n"
	    "# HELP quarry_start_time_seconds When the hub started.\n"
	    "# TYPE quarry_start_time_seconds gauge\n"
	    "quarry_start_time_seconds %" PRId64 "\n",
	    atomic_load(&m->publishes), atomic_load(&m->publishes_unchanged),
	    atomic_load(&m->publish_failures), (double)atomic_load(&m->publish_usec) / 1e6,
	    atomic_load(&m->uploads), atomic_load(&m->uploads_refused), r->hub->started);
	send_refused_metrics(g);
	if (q_store_counts(r->st, &counts, &err) == 0) {
		const char *k;
		json_t *v;

		json_object_foreach (counts, k, v) {
			g_string_append_printf(
			    g, "# TYPE quarry_%s gauge\nquarry_%s %" JSON_INTEGER_FORMAT "\n", k, k,
			    json_integer_value(v));
		}
		json_decref(counts);
	}
	q_http_send_text(r, 200, "text/plain; version=0.0.4", g->str, g->len);
	g_string_free(g, TRUE);
}

/* `quarry mirrorlist`: /metalink, /mirrorlist, /healthz, /metrics only. */
static void on_mirror_req(struct q_request *r)
{
	struct q_mirror_service *ml = &r->hub->ml;
	struct q_snapshot *s = atomic_load(&ml->snap.cur);
	struct q_error err = {0};

	if (r->path.n == 1 && !strcmp(r->path.seg[0], "healthz")) {
		if (s)
			q_http_send_text(r, 200, "text/plain", "ok\n", 3);
		else
			q_http_send_text(r, 503, "text/plain", "no snapshot loaded\n", 19);
	} else if (r->path.n == 1 && !strcmp(r->path.seg[0], "metrics")) {
		char buf[1024];
		int n = snprintf(buf, sizeof(buf),
				 "# TYPE quarry_mirrorlist_answers_total counter\n"
				 "quarry_mirrorlist_answers_total %" PRIuFAST64 "\n"
				 "# TYPE quarry_mirror_snapshot_built_seconds gauge\n"
				 "quarry_mirror_snapshot_built_seconds %" PRId64 "\n",
				 atomic_load(&ml->count), s ? s->built : 0);

		q_http_send_text(r, 200, "text/plain; version=0.0.4", buf, (size_t)n);
	} else if (q_mirror_handle(r, ml) != 0) {
		q_error_set(&err, Q_ENOTFOUND,
			    "no such resource; this server answers /metalink and "
			    "/mirrorlist");
		q_http_send_error(r, &err);
	}
}

/*
 * The /pub filter, in front of h2o's file handler. The publish tree keeps
 * its bookkeeping in dot-files (.lock, .packages-manifest, .mdcache/):
 * they are never served, however the path is spelled. The raw path is
 * %-decoded in full (any case of hex digits) and split on '/', ignoring
 * empty segments (so "//" and "/./" change nothing); a segment starting
 * with '.' other than "." and ".." answers 404, and so does one in h2o's
 * normalised path (what the file handler opens). A NUL, encoded or not,
 * or a malformed %-escape answers 400 (q_path_classify). Otherwise the
 * next handler (the file handler) answers.
 */
static int on_pub_filter(h2o_handler_t *self, h2o_req_t *req)
{
	size_t end = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
	enum q_path_class rc;

	(void)self;
	rc = q_path_classify(req->path.base, end);
	if (rc == Q_PATH_OK && req->path_normalized.base &&
	    q_path_classify(req->path_normalized.base, req->path_normalized.len) == Q_PATH_HIDDEN)
		rc = Q_PATH_HIDDEN;
	if (rc == Q_PATH_BAD) {
		h2o_send_error_400(req, "Bad Request", "malformed path (a NUL or a bad %-escape)\n",
				   0);
		return 0;
	}
	if (rc == Q_PATH_HIDDEN) {
		h2o_send_error_404(req, "File Not Found", "not found\n", 0);
		return 0;
	}
	return -1;
}

static void pub_filter_register(h2o_pathconf_t *pc)
{
	h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));

	h->on_req = on_pub_filter;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct loop_thread *t = (struct loop_thread *)req->conn->ctx;
	struct q_request *r = h2o_mem_alloc_pool(&req->pool, sizeof(*r));
	struct q_error err = {0};
	size_t qat = req->query_at;

	memset(r, 0, sizeof(*r));
	r->req = req;
	r->hub = t->hub;
	r->st = t->st;
	r->wq = t->wq;
	r->query = qat != SIZE_MAX ? req->path.base + qat + 1 : "";
	r->query_len = qat != SIZE_MAX ? req->path.len - qat - 1 : 0;
	if (q_path_split(req->path.base, qat != SIZE_MAX ? qat : req->path.len, &r->path, &err) < 0)
		q_http_send_error(r, &err);
	else if (t->hub->mirror_only)
		on_mirror_req(r);
	else if (r->path.n == 1 && !strcmp(r->path.seg[0], "healthz")) {
		if (q_store_ping(r->st) == 0)
			q_http_send_text(r, 200, "text/plain", "ok\n", 3);
		else
			q_http_send_text(r, 503, "text/plain", "database unavailable\n", 21);
	} else if (r->path.n == 1 && !strcmp(r->path.seg[0], "metrics"))
		send_metrics(r);
	else if (q_mirror_handle(r, &t->hub->ml) == 0)
		;
	else if (r->path.n >= 1 && !strcmp(r->path.seg[0], "lookaside") &&
		 q_api_lookaside_get(r) == 0)
		;
	else if (q_web_auth_dispatch(r) == 0 || q_api_dispatch(r) == 0 || q_web_dispatch(r) == 0)
		;
	else {
		q_error_set(&err, Q_ENOTFOUND,
			    "no such resource; the API is under /api/v1/, "
			    "published files under /pub/");
		q_http_send_error(r, &err);
	}
	count_status(t->hub, req->res.status);
	if (req->res.status == 401 || req->res.status == 403)
		note_refused(r, req->res.status);
	return 0;
}

static void on_accept(h2o_socket_t *listener, const char *e)
{
	struct loop_thread *t = listener->data;
	h2o_socket_t *sock;

	if (e)
		return;
	if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
		return;
	h2o_accept(&t->accept, sock);
}

/* A listening socket on addr ("HOST:PORT", "[V6]:PORT"); an IPv6 one is
 * IPv6-only when v6only (another address of the list is IPv4: [::] and
 * 0.0.0.0 on one port then coexist), else the system's default. */
static int open_listener(const char *addr, bool v6only, struct q_error *err)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = {0}, *res = NULL;
	int fd, on = 1, rc;
	size_t hl;

	if (!colon)
		return q_error_set(err, Q_EINVAL, "listen address '%s' has no port", addr);
	hl = (size_t)(colon - addr);
	if (hl >= sizeof(host))
		return q_error_set(err, Q_EINVAL, "listen address '%s' is too long", addr);
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0)
		return q_error_set(err, Q_EINVAL, "cannot resolve listen address '%s': %s", addr,
				   gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    (res->ai_family == AF_INET6 && v6only &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return q_error_set(err, Q_EIO, "cannot listen on '%s': %s", addr, strerror(e));
	}
	freeaddrinfo(res);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

/* A listening socket per address of the list; an error names the address. */
static int open_listeners(const char *list, struct q_error *err)
{
	char addr[256];
	bool has_v4 = false;

	for (size_t i = 0; q_config_listen_addr(list, i, addr, sizeof(addr)) == 0; i++)
		has_v4 |= addr[0] != '[' && strchr(addr, ':') == strrchr(addr, ':');
	n_listen = 0;
	for (size_t i = 0; q_config_listen_addr(list, i, addr, sizeof(addr)) == 0; i++) {
		int fd;

		if (n_listen == Q_LISTEN_MAX) {
			fd = q_error_set(err, Q_EINVAL, "more than %d listen addresses",
					 Q_LISTEN_MAX);
		} else {
			fd = open_listener(addr, has_v4, err);
		}
		if (fd < 0) {
			for (int k = 0; k < n_listen; k++)
				close(listen_fds[k]);
			n_listen = 0;
			return -1;
		}
		listen_fds[n_listen++] = fd;
	}
	if (n_listen == 0)
		return q_error_set(err, Q_EINVAL, "hub.listen '%s' holds no address", list);
	return 0;
}

/* Connections, or timers of connections being closed (h2o's lingering
 * close waits on one_sec_timeout), still on this context. */
static bool ctx_busy(h2o_context_t *ctx)
{
	h2o_timeout_t *timeouts[] = {
	    &ctx->zero_timeout,
	    &ctx->one_sec_timeout,
	    &ctx->hundred_ms_timeout,
	    &ctx->handshake_timeout,
	    &ctx->http1.req_timeout,
	    &ctx->http2.idle_timeout,
	    &ctx->http2.graceful_shutdown_timeout,
	    &ctx->proxy.io_timeout,
	};

	if (!h2o_linklist_is_empty(&ctx->http1._conns) ||
	    !h2o_linklist_is_empty(&ctx->http2._conns))
		return true;
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++)
		if (!h2o_linklist_is_empty(&timeouts[i]->_entries))
			return true;
	return false;
}

/*
 * On the loop's own thread, once stopping: no more accepts; connections
 * finish the response in hand (up to 0.3 s), then idle keep-alive ones
 * are closed by expiring their request timeout at once, and closing ones
 * get their lingering second; then the context and the loop are freed. A
 * context still busy after that is left as it is (h2o asserts when one
 * with live timers is disposed of), and logged.
 */
static void loop_teardown(struct loop_thread *t)
{
	h2o_evloop_t *loop = t->ctx.loop;

	for (int i = 0; i < n_listen; i++) {
		h2o_socket_read_stop(t->listeners[i]);
		h2o_socket_close(t->listeners[i]);
		t->listeners[i] = NULL;
	}
	q_waitq_release_all(t->wq); /* every held request answers now */
	h2o_context_request_shutdown(&t->ctx);
	for (int i = 0; i < 3 && ctx_busy(&t->ctx); i++)
		h2o_evloop_run(loop, 100);
	t->ctx.http1.req_timeout.timeout = 0;
	for (int i = 0; i < 30 && ctx_busy(&t->ctx); i++)
		h2o_evloop_run(loop, 100);
	q_waitq_destroy(t->wq);
	t->wq = NULL;
	h2o_evloop_run(loop, 0); /* frees the sockets closed just now */
	if (ctx_busy(&t->ctx)) {
		q_warn("connections still open at shutdown; their loop is not freed");
		return;
	}
	h2o_context_dispose(&t->ctx);
	h2o_evloop_destroy(loop);
	t->ctx.loop = NULL;
}

static void *loop_main(void *arg)
{
	struct loop_thread *t = arg;

	/*
	 * On the loop's own thread: the queue's pipe is an h2o socket, and an
	 * h2o socket takes its input buffers from the creating thread's
	 * buffer recycler (thread-local, unlocked). Made on another thread,
	 * every wakeup would allocate and free from that thread's recycler
	 * concurrently with it.
	 */
	t->wq = q_waitq_create(t->ctx.loop, t->hub);
	if (!t->wq)
		q_err("cannot set up waiting on an event loop: out of memory");
	while (!stopping)
		h2o_evloop_run(t->ctx.loop, 200);
	loop_teardown(t);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int q_server_run(struct q_hub *hub, struct q_error *err)
{
	h2o_hostconf_t *host;
	h2o_pathconf_t *pc;
	h2o_handler_t *h;
	h2o_mimemap_t *mm, *keymm;
	struct loop_thread *threads;
	int n = (int)hub->cfg.threads, fd;
	char pubroot[1200];

	the_hub = hub;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	h2o_config_init(&globalconf);
	/*
	 * h2o reads a request's whole body before our handler runs (it cannot
	 * stream one to us), so this cap is what one request can make us hold:
	 * a JSON body or one part of an upload session, never a whole file. A
	 * larger body, with a Content-Length or chunked, is answered 413 by h2o,
	 * which then closes the connection. The slack covers the chunked
	 * framing, which h2o counts too, and lets a body a little over a limit
	 * reach its handler, which answers with its exact limit in JSON.
	 */
	globalconf.max_request_entity_size =
	    (size_t)(hub->cfg.max_json > hub->cfg.upload_part ? hub->cfg.max_json
							      : hub->cfg.upload_part) +
	    Q_BODY_SLACK;
	globalconf.server_name = h2o_iovec_init(H2O_STRLIT("quarry"));
	host = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);

	mm = h2o_mimemap_create();
	h2o_mimemap_define_mimetype(mm, "rpm", "application/x-rpm", NULL);
	h2o_mimemap_define_mimetype(mm, "asc", "application/pgp-signature", NULL);
	h2o_mimemap_define_mimetype(mm, "gz", "application/gzip", NULL);
	h2o_mimemap_define_mimetype(mm, "xml", "text/xml", NULL);
	h2o_mimemap_define_mimetype(mm, "bz2", "application/x-bzip2", NULL);
	h2o_mimemap_define_mimetype(mm, "xz", "application/x-xz", NULL);
	h2o_mimemap_define_mimetype(mm, "zst", "application/zstd", NULL);
	h2o_mimemap_define_mimetype(mm, "sqlite", "application/vnd.sqlite3", NULL);
	h2o_mimemap_set_default_type(mm, "application/octet-stream", NULL);
	/* Public keys have no extension; registered first, so matched first. */
	keymm = h2o_mimemap_create();
	h2o_mimemap_set_default_type(keymm, "application/pgp-keys", NULL);
	if (hub->mirror_only) {
		h2o_mem_release_shared(mm);
		goto handlers;
	}
	snprintf(pubroot, sizeof(pubroot), "%s/sig/keys/", hub->pub_dir);
	pc = h2o_config_register_path(host, "/pub/sig/keys", 0);
	pub_filter_register(pc);
	h2o_file_register(pc, pubroot, NULL, keymm, 0);
	h2o_mem_release_shared(keymm);

	snprintf(pubroot, sizeof(pubroot), "%s/", hub->pub_dir);
	pc = h2o_config_register_path(host, "/pub", 0);
	pub_filter_register(pc);
	h2o_file_register(pc, pubroot, NULL, mm, H2O_FILE_FLAG_DIR_LISTING);
	h2o_mem_release_shared(mm);

handlers:
	pc = h2o_config_register_path(host, "/", 0);
	h = h2o_create_handler(pc, sizeof(*h));
	h->on_req = on_req;

	if (open_listeners(hub->cfg.listen, err) < 0)
		return -1;

	threads = calloc((size_t)n, sizeof(*threads));
	refused_routes = q_api_route_count() + 1;
	refused_counts = calloc(2 * refused_routes, sizeof(*refused_counts));
	if (!threads || !refused_counts)
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	for (int i = 0; i < n; i++) {
		struct loop_thread *t = &threads[i];

		t->hub = hub;
		if (!hub->mirror_only && !(t->st = q_store_open(hub->db_path, err)))
			return -1;
		h2o_context_init(&t->ctx, h2o_evloop_create(), &globalconf);
		t->accept.ctx = &t->ctx;
		t->accept.hosts = globalconf.hosts;
		/* Each loop's socket owns its own descriptor: each closes it. */
		for (int k = 0; k < n_listen; k++) {
			fd = dup(listen_fds[k]);
			if (fd < 0)
				return q_error_set(err, Q_EIO,
						   "cannot dup the listening socket: %s",
						   strerror(errno));
			t->listeners[k] =
			    h2o_evloop_socket_create(t->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
			t->listeners[k]->data = t;
			h2o_socket_read_start(t->listeners[k], on_accept);
		}
	}
	if (hub->mirror_only)
		q_info("mirrorlist listening on %s (%d threads)", hub->cfg.listen, n);
	else
		q_info("hub listening on %s (%d threads), public URL %s", hub->cfg.listen, n,
		       hub->cfg.public_url);
	the_threads = threads;
	n_threads = n;
	for (int i = 1; i < n; i++)
		pthread_create(&threads[i].tid, NULL, loop_main, &threads[i]);
	loop_main(&threads[0]);
	for (int i = 1; i < n; i++)
		pthread_join(threads[i].tid, NULL);
	q_info("hub stopping");
	for (int i = 0; i < n; i++)
		q_store_close(threads[i].st);
	for (int k = 0; k < n_listen; k++)
		close(listen_fds[k]);
	n_listen = 0;
	free(threads);
	h2o_config_dispose(&globalconf);
	return 0;
}
