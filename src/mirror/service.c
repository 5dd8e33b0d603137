/*
 * service.c: GET /metalink and GET /mirrorlist (domain.md, "Mirrorlist and
 * metalink"), answered from the current snapshot without a lock.
 *
 * A request: parse the query (query.c), find the repo in the snapshot,
 * work out the client (the peer; the last X-Forwarded-For entry that is
 * not itself a trusted proxy when the peer is one; ip= overrides both),
 * look it up in GeoIP, choose mirrors (select.c), render (metalink.c). The
 * master (the hub's own /pub) comes last, except in a monopoly answer and
 * for a client of an address family the master did not answer over.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "http/http.h"
#include "mirror/geoip.h"
#include "mirror/metalink.h"
#include "mirror/query.h"
#include "mirror/select.h"
#include "mirror/service.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_XFF_ENTRIES 32

int q_mirror_service_init(struct q_mirror_service *svc, const struct q_config *cfg,
			  struct q_error *err)
{
	const char *tor4 = cfg->geo_tor4[0] ? cfg->geo_tor4 : NULL;
	const char *tor6 = cfg->geo_tor6[0] ? cfg->geo_tor6 : NULL;
	char **items;

	if (!svc->snap.lock)
		q_snapshot_holder_init(&svc->snap);
	svc->max = (size_t)cfg->ml_max;
	/* The Debian tables are defaults: a machine without tor-geoipdb still starts. */
	if (tor4 && !strcmp(tor4, "/usr/share/tor/geoip") && access(tor4, R_OK) != 0) {
		q_warn("GeoIP: %s is missing (Debian package tor-geoipdb): no IPv4 countries",
		       tor4);
		tor4 = NULL;
	}
	if (tor6 && !strcmp(tor6, "/usr/share/tor/geoip6") && access(tor6, R_OK) != 0) {
		q_warn("GeoIP: %s is missing (Debian package tor-geoipdb): no IPv6 countries",
		       tor6);
		tor6 = NULL;
	}
	if (cfg->geo_country[0] || cfg->geo_asn[0] || tor4 || tor6) {
		svc->geo = q_geoip_open(cfg->geo_country[0] ? cfg->geo_country : NULL,
					cfg->geo_asn[0] ? cfg->geo_asn : NULL, tor4, tor6, err);
		if (!svc->geo)
			return -1;
	}
	items = g_strsplit(cfg->trusted_proxies, ",", -1);
	svc->trusted = g_new0(struct q_cidr, g_strv_length(items) + 1);
	for (char **p = items; *p; p++) {
		char *item = g_strstrip(*p);
		char buf[80];
		struct q_error e = {0};

		if (!*item)
			continue;
		/* A bare address is a host network; q_cidr_parse wants host bits clear. */
		snprintf(buf, sizeof(buf), "%s", item);
		if (q_cidr_parse(buf, &svc->trusted[svc->n_trusted], &e) < 0) {
			q_error_set(err, Q_EINVAL, "mirror.trusted_proxies: '%s': %s", item, e.msg);
			g_strfreev(items);
			return -1;
		}
		svc->n_trusted++;
	}
	g_strfreev(items);
	return 0;
}

void q_mirror_service_release(struct q_mirror_service *svc)
{
	q_snapshot_holder_release(&svc->snap);
	q_geoip_free(svc->geo);
	g_free(svc->trusted);
	svc->geo = NULL;
	svc->trusted = NULL;
}

/* An address literal (brackets and an IPv4 ":port" allowed, as proxies write them). */
static int parse_addr(const char *s, size_t len, struct q_sel_client *c)
{
	char buf[64];
	const char *colon;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');

		if (!end)
			return -1;
		*end = '\0';
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	} else if ((colon = strchr(buf, ':')) && !strchr(colon + 1, ':')) {
		buf[colon - buf] = '\0'; /* IPv4 with a port */
	}
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)c->addr)) {
			memmove(c->addr, c->addr + 12, 4);
			c->family = AF_INET;
		}
		return 0;
	}
	return -1;
}

static bool trusted(const struct q_mirror_service *svc, const struct q_sel_client *c)
{
	for (size_t i = 0; i < svc->n_trusted; i++)
		if (q_cidr_contains(&svc->trusted[i], c->family, c->addr))
			return true;
	return false;
}

/* The peer, or what trusted proxies say the client is. */
static void client_of(struct q_request *r, const struct q_mirror_service *svc,
		      struct q_sel_client *c)
{
	struct sockaddr_storage ss;
	socklen_t n;
	const h2o_headers_t *hs = &r->req->headers;
	GString *xff;
	ssize_t cur = -1;

	memset(c, 0, sizeof(*c));
	n = r->req->conn->callbacks->get_peername
		? r->req->conn->callbacks->get_peername(r->req->conn, (struct sockaddr *)&ss)
		: 0;
	if (n == 0)
		return;
	if (ss.ss_family == AF_INET) {
		memcpy(c->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		c->family = AF_INET;
	} else if (ss.ss_family == AF_INET6) {
		struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(c->addr, a->s6_addr + 12, 4);
			c->family = AF_INET;
		} else {
			memcpy(c->addr, a, 16);
			c->family = AF_INET6;
		}
	} else {
		return;
	}
	if (svc->n_trusted == 0 || !trusted(svc, c))
		return;
	/* Every X-Forwarded-For header, in order, as one list. */
	xff = g_string_new(NULL);
	while ((cur = h2o_find_header_by_str(hs, H2O_STRLIT("x-forwarded-for"), cur)) != -1) {
		if (xff->len)
			g_string_append_c(xff, ',');
		g_string_append_len(xff, hs->entries[cur].value.base, hs->entries[cur].value.len);
	}
	/* From the right: skip our own proxies; the first other entry is the client.
	 * A malformed entry ends the walk: what is left of it cannot be trusted. */
	for (int i = 0; xff->len && i < MAX_XFF_ENTRIES; i++) {
		char *comma = strrchr(xff->str, ',');
		const char *item = comma ? comma + 1 : xff->str;
		struct q_sel_client x = {0};

		if (parse_addr(item, strlen(item), &x) < 0)
			break;
		*c = x;
		if (!trusted(svc, &x))
			break;
		if (!comma)
			break;
		g_string_truncate(xff, (size_t)(comma - xff->str));
	}
	g_string_free(xff, TRUE);
}

static void not_found(struct q_request *r, const struct q_snapshot *s, const struct q_mlquery *q)
{
	GString *g = g_string_new(NULL);

	g_string_append_printf(g, "# repo '%s' arch '%s' is not published here; valid pairs:\n",
			       q->repo, q->arch);
	if (s && s->pairs)
		g_string_append(g, s->pairs);
	q_http_send_text(r, 404, "text/plain; charset=utf-8", g->str, g->len);
	g_string_free(g, TRUE);
}

static const char *url_of(const struct q_snap_mirror *m, unsigned proto)
{
	return proto == Q_MLPROTO_HTTPS ? m->https : proto == Q_MLPROTO_HTTP ? m->http : m->rsync;
}

static const char *proto_name(unsigned proto)
{
	return proto == Q_MLPROTO_HTTPS ? "https" : proto == Q_MLPROTO_HTTP ? "http" : "rsync";
}

static void redirect(struct q_request *r, const char *target)
{
	h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_LOCATION, NULL,
		       h2o_strdup(&r->req->pool, target, SIZE_MAX).base, strlen(target));
	q_http_send_text(r, 302, "text/plain", "", 0);
}

/* Whether the master is offered to c: a client of a family the master answered
 * over at its last crawl, or any client when that is unknown (see snapshot.h). */
static bool master_for(const struct q_snapshot *s, const struct q_sel_client *c)
{
	if (c->family == AF_INET6)
		return s->master_ipv6;
	if (c->family == AF_INET)
		return s->master_ipv4;
	return true;
}

/*
 * The answer for one client: the chosen mirrors' URLs, best first, the
 * master last (when master_for). Rendered as a metalink or a mirrorlist into *body (malloc'd)
 * unless redirect_to is given: then *redirect_to gets the first http(s)
 * URL (g_malloc'd, NULL when none) and nothing is rendered.
 */
static char *answer(const struct q_snapshot *s, const struct q_snap_repo *repo,
		    const struct q_mlquery *q, const struct q_sel_client *c, const char *ipbuf,
		    bool metalink, size_t max, uint64_t seed, size_t *len, char **redirect_to)
{
	static const unsigned order[] = {Q_MLPROTO_HTTPS, Q_MLPROTO_HTTP, Q_MLPROTO_RSYNC};
	struct q_sel_query sq = {0};
	struct q_sel_pick picks[100];
	size_t n = 0, nurls = 0, nlines = 0;
	bool monopoly = false;
	GPtrArray *owned = g_ptr_array_new_with_free_func(g_free);
	struct q_mlurl *urls;
	const char **lines;
	char *body = NULL;

	*len = 0;
	sq.protocols = q->protocols;
	sq.countries = (const char(*)[3])q->country;
	sq.n_countries = q->n_country;
	sq.country_global = q->country_global;
	sq.netblock = q->netblock;
	sq.max = max && max <= Q_ARRAY_LEN(picks) ? max : Q_SEL_MAX;
	q_select(s, repo, c, &sq, seed, picks, &n, &monopoly);

	urls = g_new0(struct q_mlurl, n * 3 + 1);
	lines = g_new0(const char *, n + 2);
	for (size_t i = 0; i < n; i++) {
		const struct q_snap_mirror *m = picks[i].mirror;
		bool listed = false;

		for (size_t k = 0; k < Q_ARRAY_LEN(order); k++) {
			const char *base = url_of(m, order[k]);
			char *dir;

			if (!(q->protocols & order[k]) || !base)
				continue;
			dir = g_strconcat(base, repo->path, NULL);
			g_ptr_array_add(owned, dir);
			if (!listed &&
			    (order[k] != Q_MLPROTO_RSYNC || !(q->protocols & ~Q_MLPROTO_RSYNC)))
				lines[nlines++] = dir, listed = true;
			if (metalink) {
				char *full = g_strconcat(dir, "repodata/repomd.xml", NULL);

				g_ptr_array_add(owned, full);
				urls[nurls].protocol = proto_name(order[k]);
				memcpy(urls[nurls].country, m->country, 3);
				urls[nurls].preference = 100 - (int)i;
				urls[nurls].url = full;
				nurls++;
			}
		}
	}
	if (!monopoly && master_for(s, c)) {
		unsigned mproto =
		    !strncmp(s->master, "https://", 8) ? Q_MLPROTO_HTTPS : Q_MLPROTO_HTTP;

		if (q->protocols & mproto) {
			char *dir = g_strconcat(s->master, "/pub/", repo->path, NULL);
			char *full = g_strconcat(dir, "repodata/repomd.xml", NULL);

			g_ptr_array_add(owned, dir);
			g_ptr_array_add(owned, full);
			lines[nlines++] = dir;
			urls[nurls].protocol = proto_name(mproto);
			urls[nurls].preference = 1;
			urls[nurls].url = full;
			nurls++;
		}
	}
	if (redirect_to) {
		*redirect_to = NULL;
		for (size_t i = 0; i < nlines && !*redirect_to; i++)
			if (!strncmp(lines[i], "http", 4))
				*redirect_to = g_strconcat(
				    lines[i], metalink ? "repodata/repomd.xml" : "", NULL);
	} else if (metalink) {
		body = q_metalink_render(&repo->versions[0], repo->versions + 1,
					 repo->n_versions - 1, urls, nurls, time(NULL), len);
	} else {
		char comment[300];

		snprintf(comment, sizeof(comment), "client = %s country = %s asn = %u%s",
			 ipbuf[0] ? ipbuf : "unknown", c->country[0] ? c->country : "unknown",
			 c->asn, monopoly ? " (monopoly)" : "");
		body = q_mirrorlist_render(q->repo, q->arch, lines, nlines, comment, len);
	}
	g_free(urls);
	g_free(lines);
	g_ptr_array_free(owned, TRUE);
	return body;
}

/*
 * The answer cache. Rendering an answer costs tens of microseconds (the
 * selection walks every mirror holding the repo); a static file costs a
 * few. Each event-loop thread keeps, per distinct question, CACHE_VARIANTS
 * answers rendered with different seeds and serves them in turn; a variant
 * is rendered again after CACHE_REUSE uses or CACHE_TTL seconds, so the
 * bandwidth-weighted shuffle keeps spreading clients over every mirror.
 * A question is everything the answer depends on: the snapshot, the
 * endpoint, the repo, the query's choices, and of the client only its
 * address family, country, ASN when a mirror declares it, and the mirrors
 * whose subnets hold it. A new snapshot empties the cache. No lock: the
 * cache belongs to its thread.
 */
#define CACHE_VARIANTS 8
#define CACHE_REUSE 32
#define CACHE_TTL 60
#define CACHE_MAX_BYTES ((size_t)32 << 20)

struct variant {
	char *body;
	size_t len;
	uint32_t uses;
	int64_t born;
};

struct centry {
	struct variant v[CACHE_VARIANTS];
	unsigned n, next;
};

struct tcache {
	GHashTable *t; /* key → struct centry */
	const struct q_snapshot *snap;
	size_t bytes;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void centry_free(gpointer p)
{
	struct centry *e = p;

	for (unsigned i = 0; i < e->n; i++)
		free(e->v[i].body);
	g_free(e);
}

static void tcache_free(void *p)
{
	struct tcache *c = p;

	if (c->t)
		g_hash_table_destroy(c->t);
	g_free(c);
}

static void cache_key_init(void)
{
	pthread_key_create(&cache_key, tcache_free);
}

static struct tcache *thread_cache(const struct q_snapshot *s)
{
	struct tcache *c;

	pthread_once(&cache_once, cache_key_init);
	c = pthread_getspecific(cache_key);
	if (!c) {
		c = g_new0(struct tcache, 1);
		pthread_setspecific(cache_key, c);
	}
	if (!c->t || c->snap != s || c->bytes > CACHE_MAX_BYTES) {
		if (c->t)
			g_hash_table_destroy(c->t);
		c->t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, centry_free);
		c->snap = s;
		c->bytes = 0;
	}
	return c;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The question as a string (see above). */
static char *question(const struct q_snapshot *s, const struct q_snap_repo *repo,
		      const struct q_mlquery *q, const struct q_sel_client *c, bool metalink)
{
	GString *k = g_string_new(NULL);
	uint32_t asn = c->asn;

	if (asn && !bsearch(&asn, s->asns, s->n_asns, sizeof(*s->asns), cmp_u32))
		asn = 0; /* no mirror declares it: the same answer as no ASN */
	g_string_append_printf(k, "%d|%s|%u|%d|%d|%s|%u|%d|", metalink, repo->key, q->protocols,
			       q->netblock, c->family, c->country, asn, q->country_global);
	for (size_t i = 0; i < q->n_country; i++)
		g_string_append(k, q->country[i]);
	g_string_append_c(k, '|');
	if (q->netblock && c->family)
		for (size_t i = 0; i < s->n_subnets; i++)
			if (q_cidr_contains(&s->subnets[i].net, c->family, c->addr))
				g_string_append_printf(k, "%u/%d,", s->subnets[i].mirror,
						       s->subnets[i].net.prefix);
	/* The mirrorlist's comment names the client: its address is part of it. */
	if (!metalink)
		g_string_append_len(k, (const char *)c->addr, c->family == AF_INET6 ? 16 : 4);
	return g_string_free(k, FALSE);
}

int q_mirror_handle(struct q_request *r, struct q_mirror_service *svc)
{
	struct q_error err = {0};
	struct q_mlquery q;
	const struct q_snapshot *s;
	const struct q_snap_repo *repo;
	struct q_sel_client c = {0}; /* parse_addr fills only the address */
	char ipbuf[INET6_ADDRSTRLEN] = "";
	bool metalink;
	const char *ctype;
	uint64_t seed;

	if (r->path.n != 1 ||
	    (strcmp(r->path.seg[0], "metalink") && strcmp(r->path.seg[0], "mirrorlist")))
		return -1;
	atomic_fetch_add(&svc->count, 1);
	metalink = !strcmp(r->path.seg[0], "metalink");
	ctype = metalink ? "application/metalink+xml" : "text/plain; charset=utf-8";
	if (q_mlquery_parse(r->query, r->query_len, &q, &err) < 0) {
		char msg[1100];
		int k = snprintf(msg, sizeof(msg), "# %s\n", err.msg);

		q_http_send_text(r, 400, "text/plain; charset=utf-8", msg,
				 (size_t)k < sizeof(msg) ? (size_t)k : sizeof(msg) - 1);
		return 0;
	}
	s = atomic_load(&svc->snap.cur);
	repo = q_snapshot_find(s, q.repo, q.arch);
	if (!repo || repo->n_versions == 0) {
		not_found(r, s, &q);
		return 0;
	}

	/* Who asks, and where that is. */
	if (q.has_ip)
		parse_addr(q.ip, strlen(q.ip), &c);
	else
		client_of(r, svc, &c);
	if (c.family)
		inet_ntop(c.family, c.addr, ipbuf, sizeof(ipbuf));
	if (svc->geo && c.family) {
		int64_t asn = 0;

		q_geoip_lookup(svc->geo, ipbuf, c.country, &asn);
		c.asn = asn > 0 && asn <= UINT32_MAX ? (uint32_t)asn : 0;
	}
	seed = atomic_fetch_add(&svc->seq, 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)s->built;

	if (q.redirect) {
		char *target = NULL;
		size_t len;

		answer(s, repo, &q, &c, ipbuf, metalink, svc->max, seed, &len, &target);
		if (target)
			redirect(r, target);
		else
			not_found(r, s, &q);
		g_free(target);
		return 0;
	}
	{
		struct tcache *tc = thread_cache(s);
		char *key = question(s, repo, &q, &c, metalink);
		struct centry *e = g_hash_table_lookup(tc->t, key);
		struct variant *v;
		int64_t now = (int64_t)time(NULL);

		if (!e) {
			e = g_new0(struct centry, 1);
			g_hash_table_insert(tc->t, key, e);
		} else {
			g_free(key);
		}
		if (e->n < CACHE_VARIANTS) {
			v = &e->v[e->n++];
		} else {
			v = &e->v[e->next++ % CACHE_VARIANTS];
			if (v->uses >= CACHE_REUSE || v->born < now - CACHE_TTL) {
				tc->bytes -= v->len;
				free(v->body);
				v->body = NULL;
			}
		}
		if (!v->body) {
			v->body =
			    answer(s, repo, &q, &c, ipbuf, metalink, svc->max, seed, &v->len, NULL);
			v->uses = 0;
			v->born = now;
			if (!v->body) {
				q_error_set(&err, Q_EINTERNAL, "cannot render the %s",
					    metalink ? "metalink" : "mirrorlist");
				q_http_send_error(r, &err);
				return 0;
			}
			tc->bytes += v->len;
		}
		v->uses++;
		q_http_send_text(r, 200, ctype, v->body, v->len);
	}
	return 0;
}
