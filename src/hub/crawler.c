/*
 * crawler.c: the hub's crawler (docs/ARCHITECTURE.md, "The mirror network").
 *
 * q_hub_crawl turns the registry and the publish history into targets for
 * the crawl engine (mirror/crawl.c): every mirror × every published
 * repo/arch, plus the master, each with the SHA-256s it may serve (newest
 * first, then the alternates). One engine run fetches them all; a second,
 * small one probes the address family the first did not use (one fetch per
 * mirror and for the master), so the snapshot knows which mirrors, and
 * whether the master, an IPv6 (or IPv4) client can reach. The results are recorded in one
 * transaction, then the snapshot is rebuilt.
 *
 * The thread runs queued crawls (POST /crawls) in order and queues one
 * itself every mirror.crawl_interval.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "hub/bgthread.h"
#include "hub/hub.h"
#include "mirror/crawl.h"
#include "mirror/snapshot.h"

#include <arpa/inet.h>
#include <glib.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#define MASTER Q_SNAP_MASTER
#define MASTER_FAMILY Q_SNAP_MASTER_FAMILY

struct q_crawler {
	struct q_bgthread t;
};

/* One repo/arch as the crawl sees it. */
struct crepo {
	char *repo, *arch, *path;
	const char **accepted; /* sha256s, newest first, NULL-terminated */
};

/* What a target stands for. */
struct tinfo {
	int mirror; /* index into the mirror list, -1 for the master */
	int repo;   /* index into the repo list */
};

static void crepos_free(struct crepo *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g_free(r[i].repo);
		g_free(r[i].arch);
		g_free(r[i].path);
		g_free(r[i].accepted);
	}
	g_free(r);
}

/* The window's publishes as repos with their accepted hashes (strings owned by rows). */
static struct crepo *load_repos(json_t *rows, size_t *n)
{
	struct crepo *out = g_new0(struct crepo, json_array_size(rows) + 1);
	const char *last_key = NULL;
	char key[512];
	json_t *row;
	size_t i, na = 0;

	*n = 0;
	json_array_foreach (rows, i, row) {
		const char *sig = json_string_value(json_object_get(row, "sig"));
		const char *name = json_string_value(json_object_get(row, "repo"));
		const char *arch = json_string_value(json_object_get(row, "arch"));
		int64_t major = json_integer_value(json_object_get(row, "major"));
		struct crepo *r;

		snprintf(key, sizeof(key), "%s/%s/%" PRId64 "/%s", sig, name, major, arch);
		if (!last_key || strcmp(last_key, key)) {
			r = &out[(*n)++];
			r->repo = g_strdup_printf("sig-%s-%s-%" PRId64, sig, name, major);
			r->arch = g_strdup(arch);
			r->path =
			    g_strdup_printf("sig/%" PRId64 "/%s/%s/%s/", major, sig, arch, name);
			r->accepted = g_new0(const char *, json_array_size(rows) + 1);
			na = 0;
			g_free((char *)last_key);
			last_key = g_strdup(key);
		}
		r = &out[*n - 1];
		r->accepted[na++] = json_string_value(json_object_get(row, "sha256"));
	}
	g_free((char *)last_key);
	return out;
}

static json_t *new_summary(void)
{
	return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:[],s:[],s:{}}", "mirrors", 0, "checks", 0,
			 "up_to_date", 0, "lagging", 0, "stale", 0, "unreachable", 0, "disabled",
			 "enabled", "master");
}

static void count(json_t *summary, const char *k)
{
	json_object_set_new(summary, k,
			    json_integer(json_integer_value(json_object_get(summary, k)) + 1));
}

/* One crawl's working state: what is checked, and what came back. */
struct crawl {
	struct q_hub *hub;
	struct q_store *st;
	const char *only; /* one mirror's name, or NULL: every mirror and the master */
	int64_t now;
	json_t *rows;    /* the publish window */
	json_t *mirrors; /* the mirrors to check */
	struct crepo *repos;
	size_t nrepos, nm;
	struct q_crawl_target *t; /* every check: mirrors × repos, then the master's */
	struct tinfo *info;       /* what t[i] stands for */
	struct q_crawl_result *res;
	size_t nt;
	struct q_crawl_target *probes; /* the other address family, once per mirror */
	int *probe_mirror;
	struct q_crawl_result *pres;
	size_t np;
	int *fam;   /* per mirror, bit 1: IPv4 answered, bit 2: IPv6 */
	int *first; /* per mirror, its first target, -1 when it has none */
	struct q_crawl_opts o;
	GPtrArray *owned; /* strings the targets point to */
};

static void crawl_free(struct crawl *c)
{
	json_decref(c->rows);
	json_decref(c->mirrors);
	crepos_free(c->repos, c->nrepos);
	g_free(c->t);
	g_free(c->info);
	g_free(c->res);
	g_free(c->probes);
	g_free(c->probe_mirror);
	g_free(c->pres);
	g_free(c->fam);
	g_free(c->first);
	g_ptr_array_free(c->owned, TRUE);
}

/* The base URL a mirror is checked at (its /pub/ copy), or NULL. */
static const char *mirror_base(json_t *m)
{
	json_t *addr = json_object_get(json_object_get(m, "definition"), "address");
	const char *base = json_string_value(json_object_get(addr, "https"));

	if (!base)
		base = json_string_value(json_object_get(addr, "http"));
	return base;
}

/* One check of repo r at url for mirror mi (-1: the master, named who). */
static void add_target(struct crawl *c, int mi, const char *who, size_t r, char *url)
{
	g_ptr_array_add(c->owned, url);
	c->t[c->nt].mirror = who;
	c->t[c->nt].url = url;
	c->t[c->nt].host = who;
	c->t[c->nt].accepted_sha256 = c->repos[r].accepted;
	c->info[c->nt].mirror = mi;
	c->info[c->nt].repo = (int)r;
	c->nt++;
}

/* Every mirror × every published repo/arch, then the master's repos. */
static void build_targets(struct crawl *c)
{
	char master_base[600];
	json_t *m;
	size_t i;

	c->t = g_new0(struct q_crawl_target, (c->nm + 1) * c->nrepos + 1);
	c->info = g_new0(struct tinfo, (c->nm + 1) * c->nrepos + 1);
	json_array_foreach (c->mirrors, i, m) {
		const char *base = mirror_base(m);
		const char *name = json_string_value(json_object_get(m, "name"));

		if (!base)
			continue;
		for (size_t r = 0; r < c->nrepos; r++)
			add_target(
			    c, (int)i, name, r,
			    g_strconcat(base, c->repos[r].path, "repodata/repomd.xml", NULL));
	}
	if (c->only)
		return;
	snprintf(master_base, sizeof(master_base), "%s", c->hub->cfg.public_url);
	while (*master_base && master_base[strlen(master_base) - 1] == '/')
		master_base[strlen(master_base) - 1] = '\0';
	for (size_t r = 0; r < c->nrepos; r++)
		add_target(c, -1, MASTER, r,
			   g_strconcat(master_base, "/pub/", c->repos[r].path,
				       "repodata/repomd.xml", NULL));
}

/* The family of the URL's host when it is an address literal, else 0. */
static int literal_family(const char *url)
{
	const char *h = strstr(url, "://");
	char buf[64];
	unsigned char a[16];
	size_t l;

	if (!h)
		return 0;
	h += 3;
	if (*h == '[')
		return AF_INET6;
	l = strcspn(h, ":/");
	if (l == 0 || l >= sizeof(buf))
		return 0;
	memcpy(buf, h, l);
	buf[l] = '\0';
	return inet_pton(AF_INET, buf, a) == 1 ? AF_INET : 0;
}

/*
 * Reachability: which families answered; probe the other one once per
 * mirror and for the master (index nm), like a mirror: a host that is an
 * address literal has one family, a name is tried over both.
 */
static int probe_families(struct crawl *c, struct q_error *err)
{
	size_t i;

	c->fam = g_new0(int, c->nm + 1);
	c->first = g_new(int, c->nm + 1);
	for (i = 0; i <= c->nm; i++)
		c->first[i] = -1;
	for (i = 0; i < c->nt; i++) {
		size_t mi = c->info[i].mirror < 0 ? c->nm : (size_t)c->info[i].mirror;

		if (c->first[mi] < 0)
			c->first[mi] = (int)i;
		if (c->res[i].http_status > 0)
			c->fam[mi] |= c->res[i].family == AF_INET6 ? 2 : 1;
	}
	c->probes = g_new0(struct q_crawl_target, c->nm + 1);
	c->probe_mirror = g_new0(int, c->nm + 1);
	for (i = 0; i <= c->nm; i++) {
		int f = c->fam[i];

		if (c->first[i] < 0 || !f || f == 3 || literal_family(c->t[c->first[i]].url))
			continue;
		c->probes[c->np] = c->t[c->first[i]];
		c->probes[c->np].ipv4_only = f == 2;
		c->probes[c->np].ipv6_only = f == 1;
		c->probe_mirror[c->np++] = (int)i;
	}
	c->pres = g_new0(struct q_crawl_result, c->np + 1);
	if (c->np && q_crawl_run(c->probes, c->np, &c->o, c->pres, err) < 0)
		return -1;
	for (i = 0; i < c->np; i++)
		if (c->pres[i].http_status > 0)
			c->fam[c->probe_mirror[i]] |= c->probes[i].ipv6_only ? 2 : 1;
	return 0;
}

/* One row per check (inside the caller's transaction). */
static int record_checks(struct crawl *c, json_t *summary, json_t *results_list,
			 struct q_error *err)
{
	for (size_t i = 0; i < c->nt; i++) {
		const struct crepo *r = &c->repos[c->info[i].repo];
		const struct q_crawl_result *res = &c->res[i];
		const char *state = q_crawl_state_name(res->state);
		const char *who = c->t[i].mirror;

		if (q_store_mirror_check_put(c->st, who, r->repo, r->arch, state,
					     res->http_status == 200 ? res->sha256 : "",
					     res->state == Q_CRAWL_UP_TO_DATE, res->http_status,
					     res->error, res->seconds, c->now, err) < 0)
			return -1;
		if (c->info[i].mirror < 0) {
			char key[300];

			snprintf(key, sizeof(key), "%s/%s", r->repo, r->arch);
			json_object_set_new(json_object_get(summary, "master"), key,
					    json_string(state));
			continue;
		}
		count(summary, "checks");
		count(summary, state);
		if (c->only)
			json_array_append_new(results_list,
					      json_pack("{s:s,s:s,s:s,s:s,s:s}", "mirror", who,
							"repo", r->repo, "arch", r->arch, "state",
							state, "error", res->error));
	}
	return 0;
}

/* Each mirror's failure count, state and families (inside the transaction). */
static int record_mirrors(struct crawl *c, json_t *summary, struct q_error *err)
{
	json_t *m;
	size_t i;

	json_array_foreach (c->mirrors, i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *lasterr = "no repo is published yet";
		int f = c->fam[i];
		bool ok = false;
		int change = 0;

		for (size_t k = 0; k < c->nt; k++) {
			if (c->info[k].mirror != (int)i)
				continue;
			ok |= c->res[k].http_status == 200;
			if (c->res[k].error[0])
				lasterr = c->res[k].error;
		}
		if (c->first[i] < 0)
			continue; /* nothing published: nothing to check */
		if (q_store_mirror_crawled(c->st, name, ok, f ? (f & 1) != 0 : -1,
					   f ? (f & 2) != 0 : -1, (int)c->hub->cfg.max_failures,
					   lasterr, &change, err) < 0)
			return -1;
		count(summary, "mirrors");
		if (change == 1) {
			json_array_append_new(json_object_get(summary, "disabled"),
					      json_string(name));
			q_warn("mirror %s disabled after %" PRId64 " failed crawls: %s", name,
			       c->hub->cfg.max_failures, lasterr);
		} else if (change == 2) {
			json_array_append_new(json_object_get(summary, "enabled"),
					      json_string(name));
			q_info("mirror %s answers again: enabled", name);
		}
	}
	return 0;
}

/*
 * The master's reachability per family (inside the transaction): a check
 * row per family under the name MASTER, repo MASTER_FAMILY, arch "ipv4" or
 * "ipv6", whose http_status says whether it answered (> 0) and whose error
 * says why not. The snapshot offers the master to clients of the families
 * that answered.
 */
static int record_master_families(struct crawl *c, json_t *summary, struct q_error *err)
{
	const struct q_crawl_result *over[2] = {NULL, NULL}; /* an answer per family */
	json_t *fams = json_object();
	size_t mi = c->nm;
	int lit;

	json_object_set_new(summary, "master_families", fams);
	if (c->only || c->first[mi] < 0)
		return 0; /* not checked: what was known stays */
	lit = literal_family(c->t[c->first[mi]].url);
	for (size_t i = 0; i < c->nt; i++)
		if (c->info[i].mirror < 0 && c->res[i].http_status > 0 &&
		    !over[c->res[i].family == AF_INET6])
			over[c->res[i].family == AF_INET6] = &c->res[i];
	for (size_t i = 0; i < c->np; i++)
		if (c->probe_mirror[i] == (int)mi && c->pres[i].http_status > 0)
			over[c->probes[i].ipv6_only != 0] = &c->pres[i];
	for (int f = 0; f < 2; f++) {
		const char *name = f ? "ipv6" : "ipv4";
		const struct q_crawl_result *r = over[f];
		char why[300];

		if (lit && lit != (f ? AF_INET6 : AF_INET))
			snprintf(why, sizeof(why), "the public URL's host is an %s address",
				 f ? "IPv4" : "IPv6");
		else
			snprintf(why, sizeof(why), "no answer over %s", f ? "IPv6" : "IPv4");
		for (size_t i = 0; !r && i < c->np; i++)
			if (c->probe_mirror[i] == (int)mi && (c->probes[i].ipv6_only != 0) == f &&
			    c->pres[i].error[0])
				snprintf(why, sizeof(why), "no answer over %s: %s",
					 f ? "IPv6" : "IPv4", c->pres[i].error);
		if (q_store_mirror_check_put(c->st, MASTER, MASTER_FAMILY, name,
					     q_crawl_state_name(r ? r->state : Q_CRAWL_UNREACHABLE),
					     "", false, r ? r->http_status : 0, r ? r->error : why,
					     r ? r->seconds : 0, c->now, err) < 0)
			return -1;
		json_object_set_new(fams, name, json_boolean(r != NULL));
	}
	return 0;
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int q_hub_crawl(struct q_hub *hub, struct q_store *st, const char *mirror, json_t **summary,
		struct q_error *err)
{
	struct crawl c = {.hub = hub, .st = st, .only = mirror, .now = (int64_t)time(NULL)};
	json_t *results_list = json_array();
	struct timespec t0;
	int rc = -1;

	*summary = NULL;
	c.owned = g_ptr_array_new_with_free_func(g_free);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (q_store_publish_window(st, c.now - hub->cfg.ml_window, &c.rows, err) < 0 ||
	    q_store_mirror_crawl_list(st, mirror, &c.mirrors, err) < 0)
		goto out;
	c.repos = load_repos(c.rows, &c.nrepos);
	c.nm = json_array_size(c.mirrors);
	build_targets(&c);
	c.o.max_parallel = (unsigned)hub->cfg.crawl_parallel;
	c.o.per_host = (unsigned)hub->cfg.crawl_per_host;
	c.o.timeout_ms = hub->cfg.crawl_timeout * 1000;
	c.o.connect_timeout_ms = c.o.timeout_ms / 3 < 10000 ? c.o.timeout_ms / 3 : 10000;
	c.res = g_new0(struct q_crawl_result, c.nt + 1);
	if (c.nt && q_crawl_run(c.t, c.nt, &c.o, c.res, err) < 0)
		goto out;
	if (probe_families(&c, err) < 0)
		goto out;
	/* Record everything in one transaction. */
	*summary = new_summary();
	if (q_store_begin(st, err) < 0)
		goto out;
	if (record_checks(&c, *summary, results_list, err) < 0 ||
	    record_mirrors(&c, *summary, err) < 0 ||
	    record_master_families(&c, *summary, err) < 0 || q_store_commit(st, err) < 0) {
		q_store_rollback(st);
		goto out;
	}
	json_object_set_new(*summary, "seconds", json_real(since(&t0)));
	json_object_set_new(*summary, "fetches", json_integer((json_int_t)(c.nt + c.np)));
	if (mirror)
		json_object_set(*summary, "results", results_list);
	if (q_hub_refresh_snapshot(hub, st, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		json_decref(*summary);
		*summary = NULL;
	}
	json_decref(results_list);
	crawl_free(&c);
	return rc;
}

/* Run every queued crawl; returns when the queue is empty. */
static void run_queue(struct q_hub *hub, struct q_store *st)
{
	for (;;) {
		struct q_error err = {0};
		json_t *c = NULL, *summary = NULL;
		const char *mirror;
		int64_t id;

		if (q_store_crawl_take(st, &c, &err) < 0) {
			q_warn("crawler: %s", err.msg);
			return;
		}
		if (!c)
			return;
		id = json_integer_value(json_object_get(c, "id"));
		mirror = json_string_value(json_object_get(c, "mirror"));
		if (q_hub_crawl(hub, st, mirror && *mirror ? mirror : NULL, &summary, &err) < 0) {
			struct q_error e2 = {0};

			q_warn("crawl %" PRId64 " failed: %s", id, err.msg);
			summary = json_pack("{s:s}", "error", err.msg);
			q_store_crawl_finish(st, id, "failed", summary, &e2);
		} else {
			struct q_error e2 = {0};

			q_info("crawl %" PRId64 ": %" JSON_INTEGER_FORMAT
			       " mirrors, %" JSON_INTEGER_FORMAT " checks, %" JSON_INTEGER_FORMAT
			       " up to date",
			       id, json_integer_value(json_object_get(summary, "mirrors")),
			       json_integer_value(json_object_get(summary, "checks")),
			       json_integer_value(json_object_get(summary, "up_to_date")));
			if (q_store_crawl_finish(st, id, "done", summary, &e2) < 0)
				q_warn("crawl %" PRId64 ": %s", id, e2.msg);
		}
		json_decref(summary);
		json_decref(c);
	}
}

static void *crawler_main(void *arg)
{
	struct q_hub *hub = arg;
	struct q_crawler *c = hub->crawler;
	struct q_error err = {0};
	struct q_store *st = q_store_open(hub->db_path, &err);
	int64_t next = hub->cfg.crawl_interval > 0 ? (int64_t)time(NULL) + 10 : INT64_MAX;

	if (!st) {
		q_warn("crawler: cannot open the database: %s", err.msg);
		return NULL;
	}
	q_store_crawl_reset(st, &err);
	for (;;) {
		int64_t now = (int64_t)time(NULL);

		/* Until woken (a queued crawl) or the schedule says so. */
		if (!q_bgthread_wait(&c->t, next > now ? MIN(next - now, 3600) : 0))
			break;
		now = (int64_t)time(NULL);
		if (now >= next) {
			int64_t id;

			q_error_clear(&err);
			if (q_store_crawl_add(st, NULL, "schedule", &id, &err) < 0)
				q_warn("crawler: cannot queue a crawl: %s", err.msg);
			next = now + hub->cfg.crawl_interval;
		}
		run_queue(hub, st);
	}
	q_store_close(st);
	return NULL;
}

int q_crawler_start(struct q_hub *hub, struct q_error *err)
{
	struct q_crawler *c = g_new0(struct q_crawler, 1);

	hub->crawler = c;
	if (q_bgthread_start(&c->t, crawler_main, hub, "crawler", err) < 0) {
		hub->crawler = NULL;
		g_free(c);
		return -1;
	}
	return 0;
}

void q_crawler_wake(struct q_hub *hub)
{
	if (hub->crawler)
		q_bgthread_wake(&hub->crawler->t);
}

void q_crawler_stop(struct q_hub *hub)
{
	if (!hub->crawler)
		return;
	q_bgthread_stop(&hub->crawler->t);
	g_free(hub->crawler);
	hub->crawler = NULL;
}
