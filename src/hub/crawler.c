/*
 * crawler.c: the hub's crawler (docs/ARCHITECTURE.md, "The mirror network").
 *
 * q_hub_crawl turns the registry and the publish history into targets for
 * the crawl engine (mirror/crawl.c): every mirror × every published
 * repo/arch, plus the master, each with the SHA-256s it may serve (newest
 * first, then the alternates). One engine run fetches them all; a second,
 * small one probes the address family the first did not use (one fetch per
 * mirror), so the snapshot knows which mirrors an IPv6 (or IPv4) client
 * can reach. The results are recorded in one transaction, then the
 * snapshot is rebuilt.
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

#include <arpa/inet.h>
#include <glib.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#define MASTER ":master" /* not a host name: never a mirror's */

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

/* Whether the URL's host is an address literal of the other family than fam. */
static bool host_is_literal(const char *url)
{
	const char *h = strstr(url, "://");
	char buf[64];
	unsigned char a[16];
	size_t l;

	if (!h)
		return false;
	h += 3;
	if (*h == '[')
		return true;
	l = strcspn(h, ":/");
	if (l == 0 || l >= sizeof(buf))
		return false;
	memcpy(buf, h, l);
	buf[l] = '\0';
	return inet_pton(AF_INET, buf, a) == 1;
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

int q_hub_crawl(struct q_hub *hub, struct q_store *st, const char *mirror, json_t **summary,
		struct q_error *err)
{
	json_t *rows = NULL, *mirrors = NULL, *m, *results_list = NULL;
	struct crepo *repos = NULL;
	size_t nrepos = 0, nm, i, nt = 0, np = 0;
	struct q_crawl_target *t = NULL, *probes = NULL;
	struct tinfo *info = NULL;
	int *probe_mirror = NULL;
	struct q_crawl_result *res = NULL, *pres = NULL;
	struct q_crawl_opts o = {0};
	GPtrArray *owned = g_ptr_array_new_with_free_func(g_free);
	int64_t now = (int64_t)time(NULL);
	struct timespec t0, t1;
	char master_base[600];
	int rc = -1;

	*summary = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (q_store_publish_window(st, now - hub->cfg.ml_window, &rows, err) < 0 ||
	    q_store_mirror_crawl_list(st, mirror, &mirrors, err) < 0)
		goto out;
	repos = load_repos(rows, &nrepos);
	nm = json_array_size(mirrors);
	t = g_new0(struct q_crawl_target, (nm + 1) * nrepos + 1);
	info = g_new0(struct tinfo, (nm + 1) * nrepos + 1);
	json_array_foreach (mirrors, i, m) {
		json_t *addr = json_object_get(json_object_get(m, "definition"), "address");
		const char *base = json_string_value(json_object_get(addr, "https"));

		if (!base)
			base = json_string_value(json_object_get(addr, "http"));
		if (!base)
			continue;
		for (size_t r = 0; r < nrepos; r++) {
			char *url = g_strconcat(base, repos[r].path, "repodata/repomd.xml", NULL);

			g_ptr_array_add(owned, url);
			t[nt].mirror = json_string_value(json_object_get(m, "name"));
			t[nt].url = url;
			t[nt].host = t[nt].mirror;
			t[nt].accepted_sha256 = repos[r].accepted;
			info[nt].mirror = (int)i;
			info[nt].repo = (int)r;
			nt++;
		}
	}
	snprintf(master_base, sizeof(master_base), "%s", hub->cfg.public_url);
	while (*master_base && master_base[strlen(master_base) - 1] == '/')
		master_base[strlen(master_base) - 1] = '\0';
	if (!mirror) {
		for (size_t r = 0; r < nrepos; r++) {
			char *url = g_strconcat(master_base, "/pub/", repos[r].path,
						"repodata/repomd.xml", NULL);

			g_ptr_array_add(owned, url);
			t[nt].mirror = MASTER;
			t[nt].url = url;
			t[nt].host = MASTER;
			t[nt].accepted_sha256 = repos[r].accepted;
			info[nt].mirror = -1;
			info[nt].repo = (int)r;
			nt++;
		}
	}
	o.max_parallel = (unsigned)hub->cfg.crawl_parallel;
	o.per_host = (unsigned)hub->cfg.crawl_per_host;
	o.timeout_ms = hub->cfg.crawl_timeout * 1000;
	o.connect_timeout_ms = o.timeout_ms / 3 < 10000 ? o.timeout_ms / 3 : 10000;
	res = g_new0(struct q_crawl_result, nt + 1);
	if (nt && q_crawl_run(t, nt, &o, res, err) < 0)
		goto out;

	/* Reachability: which families answered; probe the other one once per mirror. */
	{
		int *fam = g_new0(int, nm + 1); /* bit 1: IPv4 answered, bit 2: IPv6 */
		int *first = g_new(int, nm + 1);

		for (i = 0; i < nm; i++)
			first[i] = -1;
		for (i = 0; i < nt; i++) {
			int mi = info[i].mirror;

			if (mi < 0)
				continue;
			if (first[mi] < 0)
				first[mi] = (int)i;
			if (res[i].http_status > 0)
				fam[mi] |= res[i].family == AF_INET6 ? 2 : 1;
		}
		probes = g_new0(struct q_crawl_target, nm + 1);
		probe_mirror = g_new0(int, nm + 1);
		for (i = 0; i < nm; i++) {
			if (first[i] < 0 || !fam[i] || fam[i] == 3 ||
			    host_is_literal(t[first[i]].url))
				continue;
			probes[np] = t[first[i]];
			probes[np].ipv4_only = fam[i] == 2;
			probes[np].ipv6_only = fam[i] == 1;
			probe_mirror[np++] = (int)i;
		}
		pres = g_new0(struct q_crawl_result, np + 1);
		if (np && q_crawl_run(probes, np, &o, pres, err) < 0) {
			g_free(fam);
			g_free(first);
			goto out;
		}
		for (i = 0; i < np; i++)
			if (pres[i].http_status > 0)
				fam[probe_mirror[i]] |= probes[i].ipv6_only ? 2 : 1;
		/* Record everything in one transaction. */
		*summary = new_summary();
		results_list = json_array();
		if (q_store_begin(st, err) < 0) {
			g_free(fam);
			g_free(first);
			goto out;
		}
		for (i = 0; i < nt; i++) {
			const struct crepo *r = &repos[info[i].repo];
			const char *state = q_crawl_state_name(res[i].state);
			const char *who = t[i].mirror;

			if (q_store_mirror_check_put(st, who, r->repo, r->arch, state,
						     res[i].http_status == 200 ? res[i].sha256 : "",
						     res[i].state == Q_CRAWL_UP_TO_DATE,
						     res[i].http_status, res[i].error,
						     res[i].seconds, now, err) < 0)
				break;
			if (info[i].mirror < 0) {
				char key[300];

				snprintf(key, sizeof(key), "%s/%s", r->repo, r->arch);
				json_object_set_new(json_object_get(*summary, "master"), key,
						    json_string(state));
				continue;
			}
			count(*summary, "checks");
			count(*summary, state);
			if (mirror)
				json_array_append_new(
				    results_list, json_pack("{s:s,s:s,s:s,s:s,s:s}", "mirror", who,
							    "repo", r->repo, "arch", r->arch,
							    "state", state, "error", res[i].error));
		}
		if (i < nt) {
			q_store_rollback(st);
			g_free(fam);
			g_free(first);
			goto out;
		}
		json_array_foreach (mirrors, i, m) {
			const char *name = json_string_value(json_object_get(m, "name"));
			const char *lasterr = "no repo is published yet";
			bool ok = false;
			int change = 0;

			for (size_t k = 0; k < nt; k++) {
				if (info[k].mirror != (int)i)
					continue;
				ok |= res[k].http_status == 200;
				if (res[k].error[0])
					lasterr = res[k].error;
			}
			if (first[i] < 0)
				continue; /* nothing published: nothing to check */
			if (q_store_mirror_crawled(st, name, ok, fam[i] ? (fam[i] & 1) != 0 : -1,
						   fam[i] ? (fam[i] & 2) != 0 : -1,
						   (int)hub->cfg.max_failures, lasterr, &change,
						   err) < 0)
				break;
			count(*summary, "mirrors");
			if (change == 1) {
				json_array_append_new(json_object_get(*summary, "disabled"),
						      json_string(name));
				q_warn("mirror %s disabled after %" PRId64 " failed crawls: %s",
				       name, hub->cfg.max_failures, lasterr);
			} else if (change == 2) {
				json_array_append_new(json_object_get(*summary, "enabled"),
						      json_string(name));
				q_info("mirror %s answers again: enabled", name);
			}
		}
		g_free(fam);
		g_free(first);
		if (i < nm || q_store_commit(st, err) < 0) {
			q_store_rollback(st);
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	json_object_set_new(
	    *summary, "seconds",
	    json_real((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	json_object_set_new(*summary, "fetches", json_integer((json_int_t)(nt + np)));
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
	json_decref(rows);
	json_decref(mirrors);
	crepos_free(repos, nrepos);
	g_free(t);
	g_free(info);
	g_free(res);
	g_free(probes);
	g_free(probe_mirror);
	g_free(pres);
	g_ptr_array_free(owned, TRUE);
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
