/*
 * crawler.c: the hub's crawler (docs/ARCHITECTURE.md, "The mirror network").
 *
 * q_hub_crawl turns the registry and the publish history into targets for
 * the crawl engine (mirror/crawl.c): every mirror × every published
 * repo/arch, plus the master, each with the SHA-256s it may serve (newest
 * first, then the alternates). One engine run fetches them all; a second,
 * small one probes the address family the first did not use (one fetch per
 * mirror and for the master), so the snapshot knows which mirrors, and
 * whether the master, an IPv6 (or IPv4) client can reach. Mirror targets
 * carry the files a mirror must hold beside the newest repomd.xml
 * (repo_files: what it names, and a sample of packages), which the engine
 * checks with HEAD (partial). The results are recorded in one transaction
 * (checks, failure counts, the master's families, when each mirror first
 * served each repomd.xml), then the snapshot is rebuilt.
 *
 * The thread runs queued crawls (POST /crawls) in order and queues one
 * itself every mirror.crawl_interval. After a publish of a repo/arch
 * (q_crawler_published, called by the publishing thread: it only notes the
 * repo/arch and wakes this thread) it crawls that repo/arch's mirrors
 * mirror.publish_crawl_delay later, then again after twice the delay
 * before, and so on, until every mirror checked serves the newest publish,
 * the next scheduled crawl comes, or the delay passes FOLLOW_MAX. The
 * repo/arches published while one such crawl is pending join it, and the
 * repo/arches due together are crawled in one run. These crawls are
 * recorded like the others (requested_by "publish"); they record checks
 * only: a mirror's failure count and address families are for the crawls
 * of every repo.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "hub/bgthread.h"
#include "hub/hub.h"
#include "core/hash.h"
#include "mirror/crawl.h"
#include "mirror/snapshot.h"

#include <arpa/inet.h>
#include <createrepo_c/createrepo_c.h>
#include <glib.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#define MASTER Q_SNAP_MASTER
#define MASTER_FAMILY Q_SNAP_MASTER_FAMILY
#define FOLLOW_MAX 3600 /* the longest delay between two post-publish crawls */

/* A repo/arch followed after its publish. */
struct follow {
	int64_t due;   /* its next crawl */
	int64_t delay; /* the delay that led to it (doubled after each crawl) */
	bool crawled;  /* crawled at least once since its publish */
};

struct q_crawler {
	struct q_bgthread t;
	GMutex lock;         /* for what follows (publishing threads add to it) */
	GHashTable *follows; /* "REPO/ARCH" -> struct follow */
	int64_t first_due;   /* the first crawl that a publish now joins */
};

/* One repo/arch as the crawl sees it. */
struct crepo {
	char *repo, *arch, *path;
	const char **accepted;      /* sha256s, newest first, NULL-terminated */
	struct q_crawl_file *files; /* what a mirror holds beside the newest repomd.xml */
	size_t n_files;             /* (paths g_malloc'd, freed with the repo) */
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
		for (size_t f = 0; f < r[i].n_files; f++)
			g_free((char *)r[i].files[f].path);
		g_free(r[i].files);
	}
	g_free(r);
}

/* The name a repo has in the metalink and in the checks (sig-SIG-NAME-MAJOR). */
static char *repo_id(const char *sig, const char *name, int64_t major)
{
	return g_strdup_printf("sig-%s-%s-%" PRId64, sig, name, major);
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
			r->repo = repo_id(sig, name, major);
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
	return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:[],s:[],s:{}}", "mirrors", 0, "checks", 0,
			 "up_to_date", 0, "lagging", 0, "stale", 0, "partial", 0, "unreachable", 0,
			 "disabled", "enabled", "master");
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
	const char *only;        /* one mirror's name, or NULL: every mirror and the master */
	const char *const *keys; /* "REPO/ARCH"s to check (NULL-terminated), or NULL: all */
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

/*
 * The base URL a mirror is checked at (its /pub/ copy): https, else http,
 * else rsync (crawled with the rsync client: mirror/crawl_rsync.c), or NULL.
 * An rsync URL reaches the engine as it is; the engine refuses one that is
 * not a plain rsync:// URL (untrusted: it comes from the definition).
 */
static const char *mirror_base(json_t *m)
{
	json_t *addr = json_object_get(json_object_get(m, "definition"), "address");
	const char *base = json_string_value(json_object_get(addr, "https"));

	if (!base)
		base = json_string_value(json_object_get(addr, "http"));
	if (!base)
		base = json_string_value(json_object_get(addr, "rsync"));
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

/*
 * What a mirror must hold beside the newest repomd.xml (the partial check).
 * Read from the hub's own copy of the newest publish under DATA/pub, so it
 * is exactly what was published: every file repomd.xml names (its <size>),
 * repomd.xml.asc, and a sample of CRAWL_SAMPLE packages from primary
 * (<location href> and <size package>), drawn at random (reservoir
 * sampling) once per crawl and repo/arch, the same for every mirror of that
 * crawl. When the hub's repomd.xml is not the newest publish's (a publish
 * is being swapped in) nothing is checked for that repo this time.
 */
#define CRAWL_SAMPLE 5

struct sample {
	struct q_crawl_file pick[CRAWL_SAMPLE];
	size_t seen, n;
	GRand *rng;
};

static int sample_pkg(cr_Package *pkg, void *arg, GError **gerr)
{
	struct sample *s = arg;
	size_t slot = CRAWL_SAMPLE;

	(void)gerr;
	if (pkg->location_href && !pkg->location_base && pkg->size_package > 0) {
		s->seen++;
		if (s->n < CRAWL_SAMPLE)
			slot = s->n++;
		else if ((slot = (size_t)g_rand_int_range(
			      s->rng, 0, (gint32)MIN(s->seen, INT32_MAX))) >= CRAWL_SAMPLE)
			slot = CRAWL_SAMPLE;
		if (slot < CRAWL_SAMPLE) {
			g_free((char *)s->pick[slot].path);
			s->pick[slot].path = g_strdup(pkg->location_href);
			s->pick[slot].size = pkg->size_package;
		}
	}
	cr_package_free(pkg);
	return CR_CB_RET_OK;
}

static void add_file(GArray *files, const char *path, int64_t size)
{
	struct q_crawl_file f = {g_strdup(path), size};

	g_array_append_val(files, f);
}

static void repo_files(struct crawl *c, struct crepo *r, GRand *rng)
{
	char dir[1400], path[1600], sha[Q_SHA256_HEX];
	GArray *files = g_array_new(FALSE, TRUE, sizeof(struct q_crawl_file));
	struct sample smp = {.rng = rng};
	cr_Repomd *md = cr_repomd_new();
	const char *primary = NULL;
	GError *ge = NULL;
	struct stat sb;
	struct q_error e = {0};

	snprintf(dir, sizeof(dir), "%s/%s", c->hub->pub_dir, r->path);
	snprintf(path, sizeof(path), "%srepodata/repomd.xml", dir);
	if (!r->accepted[0] || q_hash_sha256_file(path, sha, &e) < 0 ||
	    strcmp(sha, r->accepted[0]) != 0 ||
	    cr_xml_parse_repomd(path, md, NULL, NULL, &ge) != CRE_OK)
		goto out;
	for (GSList *l = md->records; l; l = l->next) {
		cr_RepomdRecord *rec = l->data;

		if (!rec->location_href || rec->location_base || rec->size <= 0)
			continue;
		add_file(files, rec->location_href, rec->size);
		if (rec->type && !strcmp(rec->type, "primary"))
			primary = rec->location_href;
	}
	snprintf(path, sizeof(path), "%srepodata/repomd.xml.asc", dir);
	if (stat(path, &sb) == 0)
		add_file(files, "repodata/repomd.xml.asc", (int64_t)sb.st_size);
	if (primary) {
		snprintf(path, sizeof(path), "%s%s", dir, primary);
		if (cr_xml_parse_primary(path, NULL, NULL, sample_pkg, &smp, NULL, NULL, 0, &ge) !=
		    CRE_OK)
			q_warn("crawler: cannot sample the packages of '%s': %s", path,
			       ge ? ge->message : "unknown error");
		for (size_t i = 0; i < smp.n; i++)
			g_array_append_val(files, smp.pick[i]);
	}
out:
	if (ge)
		g_error_free(ge);
	cr_repomd_free(md);
	r->n_files = files->len;
	r->files = (struct q_crawl_file *)(void *)g_array_free(files, FALSE);
}

/* Every mirror target gets its repo's files (the master's are not checked). */
static void attach_files(struct crawl *c)
{
	GRand *rng = g_rand_new();

	for (size_t r = 0; r < c->nrepos; r++)
		repo_files(c, &c->repos[r], rng);
	g_rand_free(rng);
	for (size_t i = 0; i < c->nt; i++) {
		if (c->info[i].mirror < 0)
			continue;
		c->t[i].files = c->repos[c->info[i].repo].files;
		c->t[i].n_files = c->repos[c->info[i].repo].n_files;
	}
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
		c->probes[c->np].files = NULL; /* reachability only */
		c->probes[c->np].n_files = 0;
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
		/* Propagation: when each mirror first served each repomd.xml
		 * (pruned below to what the publish history holds). */
		if (c->info[i].mirror >= 0 && res->http_status == 200 && res->sha256[0] &&
		    res->state != Q_CRAWL_PARTIAL &&
		    q_store_mirror_served(c->st, who, r->repo, r->arch, res->sha256, c->now, err) <
			0)
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

/* Why check k was stale: a repomd.xml never published, or one older than the window. */
static int stale_reason(struct crawl *c, size_t k, char *out, size_t size, struct q_error *err)
{
	const struct crepo *r = &c->repos[c->info[k].repo];
	int64_t when = 0;

	if (q_store_publish_find_repomd(c->st, c->res[k].sha256, &when, err) < 0)
		return -1;
	if (when)
		snprintf(out, size,
			 "serves a publish older than the window: %srepodata/repomd.xml sha256 %s",
			 r->path, c->res[k].sha256);
	else
		snprintf(out, size,
			 "serves a repomd.xml that was never published: %srepodata/repomd.xml "
			 "sha256 %s",
			 r->path, c->res[k].sha256);
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
		char stale[512] = "";
		int f = c->fam[i];
		bool ok = false;
		int change = 0;

		/* A crawl counts as a success only when some check found
		 * content we can list or that is on its way (up to date,
		 * lagging, partial); one that got nothing but repomd.xml files
		 * we never published (or no answer) counts as a failure. */
		for (size_t k = 0; k < c->nt; k++) {
			enum q_crawl_state cs = c->res[k].state;

			if (c->info[k].mirror != (int)i)
				continue;
			ok |= cs == Q_CRAWL_UP_TO_DATE || cs == Q_CRAWL_LAGGING ||
			      cs == Q_CRAWL_PARTIAL;
			if (c->res[k].error[0])
				lasterr = c->res[k].error;
			if (cs == Q_CRAWL_STALE && !stale[0] &&
			    stale_reason(c, k, stale, sizeof(stale), err) < 0)
				return -1;
		}
		if (c->first[i] < 0)
			continue; /* nothing published: nothing to check */
		if (!ok && stale[0])
			lasterr = stale;
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

/* Keep only the repo/arches c->keys names. */
static void filter_repos(struct crawl *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->nrepos; i++) {
		char *key = g_strconcat(c->repos[i].repo, "/", c->repos[i].arch, NULL);
		bool keep = false;

		for (size_t j = 0; c->keys[j] && !keep; j++)
			keep = strcmp(c->keys[j], key) == 0;
		g_free(key);
		if (keep) {
			c->repos[k++] = c->repos[i];
			continue;
		}
		g_free(c->repos[i].repo);
		g_free(c->repos[i].arch);
		g_free(c->repos[i].path);
		g_free(c->repos[i].accepted);
	}
	c->nrepos = k;
}

/* For a crawl of some repo/arches: per repo/arch, how many mirrors were
 * checked and how many serve its newest publish; and the mirrors checked. */
static void summarize_repos(struct crawl *c, json_t *summary)
{
	json_t *list = json_array();
	bool *seen = g_new0(bool, c->nm + 1);
	size_t nseen = 0;

	for (size_t r = 0; r < c->nrepos; r++) {
		int64_t checked = 0, fresh = 0;

		for (size_t i = 0; i < c->nt; i++) {
			int mi = c->info[i].mirror;

			if (c->info[i].repo != (int)r || mi < 0)
				continue;
			checked++;
			fresh += c->res[i].state == Q_CRAWL_UP_TO_DATE;
			if (!seen[mi])
				seen[mi] = true, nseen++;
		}
		json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:I}", "repo", c->repos[r].repo,
						      "arch", c->repos[r].arch, "mirrors",
						      (json_int_t)checked, "up_to_date",
						      (json_int_t)fresh));
	}
	json_object_set_new(summary, "repos", list);
	json_object_set_new(summary, "mirrors", json_integer((json_int_t)nseen));
	g_free(seen);
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

/* A crawl of every mirror (mirror NULL) or one, of every repo/arch (keys
 * NULL) or those keys name. */
static int crawl_run(struct q_hub *hub, struct q_store *st, const char *mirror,
		     const char *const *keys, json_t **summary, struct q_error *err)
{
	struct crawl c = {
	    .hub = hub, .st = st, .only = mirror, .keys = keys, .now = (int64_t)time(NULL)};
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
	if (keys)
		filter_repos(&c);
	c.nm = json_array_size(c.mirrors);
	build_targets(&c);
	attach_files(&c);
	c.o.max_parallel = (unsigned)hub->cfg.crawl_parallel;
	c.o.per_host = (unsigned)hub->cfg.crawl_per_host;
	c.o.timeout_ms = hub->cfg.crawl_timeout * 1000;
	c.o.connect_timeout_ms = c.o.timeout_ms / 3 < 10000 ? c.o.timeout_ms / 3 : 10000;
	c.res = g_new0(struct q_crawl_result, c.nt + 1);
	if (c.nt && q_crawl_run(c.t, c.nt, &c.o, c.res, err) < 0)
		goto out;
	/* A crawl of some repo/arches leaves the mirrors' state alone. */
	if (!keys && probe_families(&c, err) < 0)
		goto out;
	/* Record everything in one transaction. */
	*summary = new_summary();
	if (q_store_begin(st, err) < 0)
		goto out;
	if (record_checks(&c, *summary, results_list, err) < 0 ||
	    q_store_mirror_served_prune(st, err) < 0 ||
	    (!keys && record_mirrors(&c, *summary, err) < 0) ||
	    (!keys && record_master_families(&c, *summary, err) < 0) ||
	    q_store_commit(st, err) < 0) {
		q_store_rollback(st);
		goto out;
	}
	if (keys)
		summarize_repos(&c, *summary);
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

int q_hub_crawl(struct q_hub *hub, struct q_store *st, const char *mirror, json_t **summary,
		struct q_error *err)
{
	return crawl_run(hub, st, mirror, NULL, summary, err);
}

int q_hub_crawl_repos(struct q_hub *hub, struct q_store *st, const char *const *keys,
		      json_t **summary, struct q_error *err)
{
	return crawl_run(hub, st, NULL, keys, summary, err);
}

/* Run every queued crawl; returns when the queue is empty. The crawl
 * numbered keys_id checks only the repo/arches keys names; its summary goes
 * to *keys_summary (NULL when it failed). */
static void run_queue(struct q_hub *hub, struct q_store *st, int64_t keys_id,
		      const char *const *keys, json_t **keys_summary)
{
	for (;;) {
		struct q_error err = {0};
		json_t *c = NULL, *summary = NULL;
		const char *mirror;
		int64_t id;
		int rc;

		if (q_store_crawl_take(st, &c, &err) < 0) {
			q_warn("crawler: %s", err.msg);
			return;
		}
		if (!c)
			return;
		id = json_integer_value(json_object_get(c, "id"));
		mirror = json_string_value(json_object_get(c, "mirror"));
		if (keys && id == keys_id)
			rc = q_hub_crawl_repos(hub, st, keys, &summary, &err);
		else
			rc =
			    q_hub_crawl(hub, st, mirror && *mirror ? mirror : NULL, &summary, &err);
		if (rc < 0) {
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
			if (keys && id == keys_id && keys_summary)
				*keys_summary = json_incref(summary);
		}
		json_decref(summary);
		json_decref(c);
	}
}

/* The repo/arches whose post-publish crawl is due (NULL-terminated, g_strfreev). */
static char **follows_due(struct q_crawler *cr, int64_t now)
{
	GPtrArray *due = g_ptr_array_new();
	GHashTableIter it;
	gpointer k, v;

	g_mutex_lock(&cr->lock);
	g_hash_table_iter_init(&it, cr->follows);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (((struct follow *)v)->due <= now)
			g_ptr_array_add(due, g_strdup(k));
	g_mutex_unlock(&cr->lock);
	g_ptr_array_add(due, NULL);
	return (char **)g_ptr_array_free(due, FALSE);
}

/* When the next post-publish crawl is due, INT64_MAX when none is. */
static int64_t follows_next(struct q_crawler *cr)
{
	int64_t next = INT64_MAX;
	GHashTableIter it;
	gpointer v;

	g_mutex_lock(&cr->lock);
	g_hash_table_iter_init(&it, cr->follows);
	while (g_hash_table_iter_next(&it, NULL, &v))
		next = MIN(next, ((struct follow *)v)->due);
	g_mutex_unlock(&cr->lock);
	return next;
}

/*
 * After the post-publish crawl of keys (summary NULL when it failed): a
 * repo/arch every mirror serves is no longer followed; the others are due
 * again after twice their delay, unless that passes the next scheduled
 * crawl (next) or FOLLOW_MAX. A repo/arch published again meanwhile (its
 * follow reset) keeps its new schedule.
 */
static void follows_done(struct q_crawler *cr, char **keys, json_t *summary, int64_t now,
			 int64_t next)
{
	json_t *repos = json_object_get(summary, "repos"), *r;
	size_t i;

	g_mutex_lock(&cr->lock);
	for (char **k = keys; *k; k++) {
		struct follow *f = g_hash_table_lookup(cr->follows, *k);
		bool all = false, found = false;

		if (!f || f->due > now)
			continue; /* published again during the crawl: its own schedule */
		json_array_foreach (repos, i, r) {
			char *key =
			    g_strconcat(json_string_value(json_object_get(r, "repo")), "/",
					json_string_value(json_object_get(r, "arch")), NULL);

			if (!strcmp(key, *k) && (found = true))
				all = json_integer_value(json_object_get(r, "up_to_date")) ==
				      json_integer_value(json_object_get(r, "mirrors"));
			g_free(key);
		}
		f->crawled = true;
		f->delay *= 2;
		f->due = now + f->delay;
		/* A repo/arch no longer in the window is not in repos: done too. */
		if ((summary && (all || !found)) || f->due >= next || f->delay > FOLLOW_MAX)
			g_hash_table_remove(cr->follows, *k);
	}
	g_mutex_unlock(&cr->lock);
}

/* The scheduled crawl checks everything: stop following what was crawled
 * since its publish (a repo/arch still waiting for its first crawl keeps it). */
static void follows_scheduled(struct q_crawler *cr)
{
	GHashTableIter it;
	gpointer v;

	g_mutex_lock(&cr->lock);
	g_hash_table_iter_init(&it, cr->follows);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (((struct follow *)v)->crawled)
			g_hash_table_iter_remove(&it);
	g_mutex_unlock(&cr->lock);
}

/* Run the post-publish crawl of what is due, if anything is. */
static void run_follows(struct q_hub *hub, struct q_store *st, int64_t next)
{
	struct q_crawler *cr = hub->crawler;
	int64_t now = (int64_t)time(NULL), id;
	char **keys = follows_due(cr, now);
	json_t *summary = NULL;
	struct q_error err = {0};

	if (!keys[0]) {
		g_strfreev(keys);
		return;
	}
	if (q_store_crawl_add(st, NULL, "publish", &id, &err) < 0) {
		q_warn("crawler: cannot queue a post-publish crawl: %s", err.msg);
		id = -1;
	} else {
		run_queue(hub, st, id, (const char *const *)keys, &summary);
	}
	follows_done(cr, keys, summary, (int64_t)time(NULL), next);
	json_decref(summary);
	g_strfreev(keys);
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
		int64_t now = (int64_t)time(NULL), wake = MIN(next, follows_next(c));

		/* Until woken (a queued crawl, a publish) or a schedule says so. */
		if (!q_bgthread_wait(&c->t, wake > now ? MIN(wake - now, 3600) : 0))
			break;
		now = (int64_t)time(NULL);
		if (now >= next) {
			int64_t id;

			q_error_clear(&err);
			if (q_store_crawl_add(st, NULL, "schedule", &id, &err) < 0)
				q_warn("crawler: cannot queue a crawl: %s", err.msg);
			else
				follows_scheduled(c);
			next = now + hub->cfg.crawl_interval;
		}
		run_queue(hub, st, -1, NULL, NULL);
		run_follows(hub, st, next);
	}
	q_store_close(st);
	return NULL;
}

int q_crawler_start(struct q_hub *hub, struct q_error *err)
{
	struct q_crawler *c = g_new0(struct q_crawler, 1);

	g_mutex_init(&c->lock);
	c->follows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	hub->crawler = c;
	if (q_bgthread_start(&c->t, crawler_main, hub, "crawler", err) < 0) {
		hub->crawler = NULL;
		g_hash_table_destroy(c->follows);
		g_mutex_clear(&c->lock);
		g_free(c);
		return -1;
	}
	return 0;
}

void q_crawler_published(struct q_hub *hub, const char *sig, const char *name, int64_t major,
			 const char *arch)
{
	struct q_crawler *c = hub->crawler;
	int64_t now = (int64_t)time(NULL), delay = hub->cfg.publish_crawl_delay;
	struct follow *f;
	char *id;

	if (!c || delay <= 0)
		return;
	id = repo_id(sig, name, major);
	f = g_new0(struct follow, 1);
	g_mutex_lock(&c->lock);
	/* Publishes in a row join the first crawl still to come. */
	if (c->first_due <= now)
		c->first_due = now + delay;
	f->due = c->first_due;
	f->delay = delay;
	g_hash_table_replace(c->follows, g_strconcat(id, "/", arch, NULL), f);
	g_mutex_unlock(&c->lock);
	g_free(id);
	q_bgthread_wake(&c->t);
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
	g_hash_table_destroy(hub->crawler->follows);
	g_mutex_clear(&hub->crawler->lock);
	g_free(hub->crawler);
	hub->crawler = NULL;
}
