/*
 * select.h: which mirrors a client gets for one repo, best first
 * (MirrorManager2's order, with AlmaLinux's monopoly and cap; see
 * docs/ARCHITECTURE.md, "The mirror network").
 *
 * A pure function of the snapshot, the client and the query: no clock, no
 * I/O, no lock; the randomness comes from the caller's seed, so tests are
 * repeatable.
 *
 * Candidates are the repo's holders (mirrors serving a version of the repo
 * in the window), restricted to those that
 *   - have a URL of an allowed protocol (q_sel_query.protocols), and
 *   - were reached over the client's address family (mirror.ipv6 for an
 *     IPv6 client, mirror.ipv4 for an IPv4 one; any family when the client
 *     address is unknown).
 * The answer is two sets, in order: every candidate serving the repo's
 * newest version (version 0, "up to date"), then every candidate serving
 * an alternate ("lagging"), whatever their groups, so that a client gets
 * the newest publish whenever any mirror it may use has it. Inside each
 * set, the groups, in order; a mirror appears once, in its first group:
 *   1. subnets: a declared subnet contains the client address; ordered by
 *      the longest matching prefix first (ties: weighted shuffle) — only
 *      when netblock is true;
 *   2. ASN: the client's ASN is in the mirror's list — only when netblock
 *      is true and the ASN is known (non-zero);
 *   3. country: the mirror's country is one of the query's countries when
 *      given (country=), else the client's country;
 *   4. continent: the mirror's continent is the continent of one of those
 *      countries;
 *   5. global: every other candidate, added when the query asked for
 *      country=global (then groups 3–4 are skipped), else only when groups
 *      1–4 gave fewer than Q_SEL_MIN_BEFORE_GLOBAL mirrors — counted per
 *      set: the up-to-date global mirrors when groups 1–4 hold fewer than
 *      that many up-to-date mirrors (a client whose region only has
 *      lagging mirrors still gets up-to-date ones from elsewhere, ahead of
 *      them), the lagging global mirrors when groups 1–4 hold fewer than
 *      that many mirrors in all (as without the split).
 * Private mirrors appear only in groups 1–2. If any mirror of groups 1–2 is
 * private with monopoly, the answer is those monopoly mirrors alone (in
 * their order: up to date first, then group) and no master. Inside groups
 * 2–5 (and among equal prefixes in group 1) of a set the order is a
 * bandwidth-weighted random shuffle. The list is cut at max mirrors
 * (default Q_SEL_MAX), so lagging mirrors are listed only when fewer up to
 * date ones are candidates. The caller adds the master last (unless
 * monopoly).
 */
#ifndef Q_MIRROR_SELECT_H
#define Q_MIRROR_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mirror/snapshot.h"

#define Q_SEL_MAX 10
#define Q_SEL_MIN_BEFORE_GLOBAL 5

/* Who asks. */
struct q_sel_client {
	int family;             /* AF_INET, AF_INET6, or 0 when the address is unknown */
	unsigned char addr[16]; /* 4 or 16 bytes used (IPv4-mapped IPv6 given as AF_INET) */
	char country[3];        /* from GeoIP, upper case, "" when unknown */
	uint32_t asn;           /* from GeoIP, 0 when unknown */
};

/* What the query asks (from struct q_mlquery). */
struct q_sel_query {
	unsigned protocols;         /* enum q_mlproto bits */
	const char (*countries)[3]; /* country= list, upper case; n_countries may be 0 */
	size_t n_countries;
	bool country_global; /* country=global */
	bool netblock;       /* false: skip groups 1 and 2 */
	size_t max;          /* at most this many mirrors; 0 means Q_SEL_MAX */
};

/* Why a mirror was chosen (for the mirrorlist's comments and tests). */
enum q_sel_group {
	Q_SEL_SUBNET = 1,
	Q_SEL_ASN,
	Q_SEL_COUNTRY,
	Q_SEL_CONTINENT,
	Q_SEL_GLOBAL,
};

struct q_sel_pick {
	const struct q_snap_mirror *mirror;
	enum q_sel_group group;
	uint16_t version; /* which version of the repo it serves: 0 = newest */
};

/*
 * Choose for repo (which belongs to s). Fills out[0..*n) (out has room for
 * max entries, i.e. at least Q_SEL_MAX when q->max is 0). *monopoly is set
 * true when the answer is a monopoly (no master). seed: any value; the same
 * seed and inputs give the same answer. Never fails.
 */
void q_select(const struct q_snapshot *s, const struct q_snap_repo *repo,
	      const struct q_sel_client *c, const struct q_sel_query *q, uint64_t seed,
	      struct q_sel_pick *out, size_t *n, bool *monopoly);

/* Short name of a group: "subnet", "asn", "country", "continent", "global". */
const char *q_sel_group_name(enum q_sel_group g);

#endif
