/*
 * select.c: which mirrors a client gets for one repo (the contract is in
 * select.h).
 *
 * DESIGN. This runs on every /metalink and /mirrorlist request, for repos
 * held by up to a few thousand mirrors, so it is two linear passes over
 * the holders and no allocation in the usual case:
 *   1. classify every holder (candidate or not, and its group) and count
 *      groups 1–4 and the matched monopoly mirrors: that decides whether
 *      the global group is wanted and whether the answer is a monopoly;
 *   2. classify again and keep the best `max` of the wanted candidates in
 *      a bounded heap (worst on top), then sort those few.
 * That is O(holders · log max) whatever the snapshot holds; the heap needs
 * max entries (on the stack up to Q_SEL_MAX, one g_malloc above).
 *
 * The order is one total order over (lagging, group, longest prefix,
 * random key, mirror index): every mirror serving the newest version
 * before every one serving an alternate, the location order inside each. The random key implements
 * Efraimidis and Spirakis' weighted sampling without replacement: with u uniform in (0, 1], sorting
 * by log(u) / bandwidth descending is a shuffle in which a mirror comes first with probability
 * bandwidth / total. u comes from the splitmix64 sequence of the caller's seed at the mirror's
 * index, so the answer depends on the seed and the inputs only (not on the order of evaluation),
 * and there is no state shared between calls.
 */
#include "core/common.h"

#include <math.h>
#include <sys/socket.h>

#include <glib.h>

#include "mirror/geoip.h"
#include "mirror/query.h"
#include "mirror/select.h"

/* A country code "AA".."ZZ" as 0..675, or -1 (lower case accepted). */
static int cc_index(const char *cc)
{
	int a, b;

	if (!cc || !cc[0] || !cc[1] || cc[2])
		return -1;
	a = (cc[0] | 0x20) - 'a'; /* ASCII letters to lower case, then 0..25 */
	b = (cc[1] | 0x20) - 'a';
	if (a < 0 || a > 25 || b < 0 || b > 25)
		return -1;
	return a * 26 + b;
}

/* A continent code (as q_continent_of returns) as one bit; 0 when unknown. */
static unsigned continent_bit(const char *ct)
{
	static const char codes[][3] = {"AF", "AN", "AS", "EU", "NA", "OC", "SA"};

	if (!ct)
		return 0;
	for (size_t i = 0; i < Q_ARRAY_LEN(codes); i++)
		if (ct[0] == codes[i][0] && ct[1] == codes[i][1] && ct[2] == '\0')
			return 1u << i;
	return 0;
}

/* Everything about the client and the query that classification needs. */
struct ctx {
	const struct q_snapshot *s;
	const struct q_sel_client *c;
	unsigned protocols;
	bool netblock;
	bool local;                          /* groups 3 and 4 apply (not country=global) */
	uint64_t countries[(676 + 63) / 64]; /* bit per cc_index: group 3 */
	unsigned continents;                 /* continent_bit set: group 4 */
	uint64_t seed;                       /* the caller's, mixed */
};

/* One candidate, with everything its place in the order depends on. */
struct entry {
	const struct q_snap_mirror *m;
	uint32_t index;   /* into s->mirrors: the last tie-break */
	uint16_t version; /* 0 = newest */
	uint8_t group;    /* enum q_sel_group */
	uint8_t prefix;   /* longest matching subnet (group 1 only) */
	double key;       /* weighted random key: larger first */
};

static bool country_in(const struct ctx *x, const char *cc)
{
	int i = cc_index(cc);

	return i >= 0 && (x->countries[i / 64] >> (i % 64) & 1);
}

static bool has_url(const struct q_snap_mirror *m, unsigned protocols)
{
	return ((protocols & Q_MLPROTO_HTTPS) && m->https) ||
	       ((protocols & Q_MLPROTO_HTTP) && m->http) ||
	       ((protocols & Q_MLPROTO_RSYNC) && m->rsync);
}

static bool reachable(const struct q_snap_mirror *m, int family)
{
	if (family == AF_INET6)
		return m->ipv6;
	if (family == AF_INET)
		return m->ipv4;
	return true;
}

/*
 * The group of holder h for this client (prefix gets the longest matching
 * prefix in group 1), or 0 when it is no candidate: no URL of an allowed
 * protocol, not reached over the client's family, or private and not
 * matched by subnet or ASN.
 */
static int classify(const struct ctx *x, const struct q_snap_holder *h, int *prefix)
{
	const struct q_snap_mirror *m;
	const struct q_sel_client *c = x->c;

	*prefix = 0;
	if (h->mirror >= x->s->n_mirrors)
		return 0;
	m = &x->s->mirrors[h->mirror];
	if (!has_url(m, x->protocols) || !reachable(m, c->family))
		return 0;
	if (x->netblock) {
		int best = -1;

		if (c->family == AF_INET || c->family == AF_INET6)
			for (size_t i = 0; i < m->n_subnets; i++)
				if (m->subnets[i].prefix > best &&
				    q_cidr_contains(&m->subnets[i], c->family, c->addr))
					best = m->subnets[i].prefix;
		if (best >= 0) {
			*prefix = best;
			return Q_SEL_SUBNET;
		}
		if (c->asn)
			for (size_t i = 0; i < m->n_asn; i++)
				if (m->asn[i] == c->asn)
					return Q_SEL_ASN;
	}
	if (m->is_private)
		return 0;
	if (x->local) {
		if (country_in(x, m->country))
			return Q_SEL_COUNTRY;
		if (x->continents &
		    continent_bit(m->continent ? m->continent : q_continent_of(m->country)))
			return Q_SEL_CONTINENT;
	}
	return Q_SEL_GLOBAL;
}

/* splitmix64's output function (a bijection with good avalanche). */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]: element i of the splitmix64 sequence from state. */
static double unit(uint64_t state, uint64_t i)
{
	uint64_t z = mix64(state + (i + 1) * UINT64_C(0x9e3779b97f4a7c15));

	return (double)((z >> 11) + 1) * 0x1.0p-53;
}

/* The order without the random key: fresh first, then group, longest prefix. */
static int rank_cmp(const struct entry *a, const struct entry *b)
{
	if ((a->version > 0) != (b->version > 0))
		return a->version > 0 ? 1 : -1;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->prefix != b->prefix)
		return a->prefix > b->prefix ? -1 : 1;
	return 0;
}

/* Negative when a comes before b in the answer; never 0 for two mirrors. */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int r = rank_cmp(a, b);

	if (r)
		return r;
	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	return 0;
}

/* Restore the heap (the entry that comes last on top) below slot i. */
static void sift_down(struct entry *heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		struct entry t;

		if (l < n && entry_cmp(&heap[l], &heap[w]) > 0)
			w = l;
		if (r < n && entry_cmp(&heap[r], &heap[w]) > 0)
			w = r;
		if (w == i)
			return;
		t = heap[i];
		heap[i] = heap[w];
		heap[w] = t;
		i = w;
	}
}

static void sift_up(struct entry *heap, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct entry t;

		if (entry_cmp(&heap[i], &heap[p]) <= 0)
			return;
		t = heap[i];
		heap[i] = heap[p];
		heap[p] = t;
		i = p;
	}
}

void q_select(const struct q_snapshot *s, const struct q_snap_repo *repo,
	      const struct q_sel_client *c, const struct q_sel_query *q, uint64_t seed,
	      struct q_sel_pick *out, size_t *n, bool *monopoly)
{
	struct entry stack[Q_SEL_MAX], *heap = stack;
	uint16_t cls_stack[4096], *cls = cls_stack; /* group | prefix << 8, per holder */
	/* Mixed first so that related seeds (s, s + gamma) give unrelated orders. */
	struct ctx x = {.s = s, .c = c, .seed = mix64(seed)};
	size_t max = q->max ? q->max : Q_SEL_MAX;
	size_t local = 0, local_fresh = 0, n_mono = 0, kept = 0;
	bool global, global_fresh;

	*n = 0;
	*monopoly = false;
	if (!s || !repo || !repo->n_holders)
		return;

	x.protocols = q->protocols;
	x.netblock = q->netblock;
	x.local = !q->country_global;
	if (x.local) {
		const char(*cc)[3] = q->countries;
		size_t n_cc = q->n_countries;

		if (!n_cc) {
			cc = &c->country;
			n_cc = 1;
		}
		for (size_t i = 0; i < n_cc; i++) {
			int k = cc_index(cc[i]);

			if (k < 0)
				continue;
			x.countries[k / 64] |= UINT64_C(1) << (k % 64);
			x.continents |= continent_bit(q_continent_of(cc[i]));
		}
	}

	/* Pass 1: how many in groups 1–4 (and how many of them serve the
	 * newest version), and is a monopoly mirror matched?
	 * Each holder's group and prefix are kept for pass 2 (on the stack for
	 * the usual sizes). */
	if (repo->n_holders > Q_ARRAY_LEN(cls_stack))
		cls = g_new(uint16_t, repo->n_holders);
	for (size_t i = 0; i < repo->n_holders; i++) {
		int prefix, g = classify(&x, &repo->holders[i], &prefix);

		cls[i] = (uint16_t)(g | prefix << 8);
		if (g == 0 || g == Q_SEL_GLOBAL)
			continue;
		local++;
		local_fresh += repo->holders[i].version == 0;
		if (g <= Q_SEL_ASN) {
			const struct q_snap_mirror *m = &s->mirrors[repo->holders[i].mirror];

			if (m->is_private && m->monopoly)
				n_mono++;
		}
	}
	*monopoly = n_mono > 0;
	/* The global group, per set: the up-to-date one when groups 1–4 hold
	 * too few up-to-date mirrors (a client whose region only lags still
	 * gets the newest publish), the lagging one as before. */
	global = q->country_global || local < Q_SEL_MIN_BEFORE_GLOBAL;
	global_fresh = q->country_global || local_fresh < Q_SEL_MIN_BEFORE_GLOBAL;

	/* Pass 2: keep the best max of what is wanted. */
	if (max > Q_SEL_MAX)
		heap = g_new(struct entry, MIN(max, repo->n_holders));
	for (size_t i = 0; i < repo->n_holders; i++) {
		const struct q_snap_holder *h = &repo->holders[i];
		const struct q_snap_mirror *m;
		struct entry e;
		int prefix = cls[i] >> 8, g = cls[i] & 0xff;

		if (g == 0 || (g == Q_SEL_GLOBAL && !(h->version == 0 ? global_fresh : global)))
			continue;
		m = &s->mirrors[h->mirror];
		if (*monopoly && !(g <= Q_SEL_ASN && m->is_private && m->monopoly))
			continue;
		e.m = m;
		e.index = h->mirror;
		e.version = h->version;
		e.group = (uint8_t)g;
		e.prefix = (uint8_t)prefix;
		/* A full heap that ranks every entry ahead: no log() needed. */
		if (kept == max && rank_cmp(&e, &heap[0]) > 0)
			continue;
		e.key = log(unit(x.seed, h->mirror)) / (double)(m->bandwidth ? m->bandwidth : 1);
		if (kept < max) {
			heap[kept] = e;
			sift_up(heap, kept++);
		} else if (entry_cmp(&e, &heap[0]) < 0) {
			heap[0] = e;
			sift_down(heap, kept, 0);
		}
	}

	qsort(heap, kept, sizeof(*heap), entry_cmp);
	for (size_t i = 0; i < kept; i++) {
		out[i].mirror = heap[i].m;
		out[i].group = (enum q_sel_group)heap[i].group;
		out[i].version = heap[i].version;
	}
	*n = kept;
	if (heap != stack)
		g_free(heap);
	if (cls != cls_stack)
		g_free(cls);
}

const char *q_sel_group_name(enum q_sel_group g)
{
	switch (g) {
	case Q_SEL_SUBNET:
		return "subnet";
	case Q_SEL_ASN:
		return "asn";
	case Q_SEL_COUNTRY:
		return "country";
	case Q_SEL_CONTINENT:
		return "continent";
	case Q_SEL_GLOBAL:
		return "global";
	}
	return "?";
}
