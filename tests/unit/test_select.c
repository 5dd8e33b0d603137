/*
 * test_select.c: mirror selection (src/mirror/select.c) on snapshots built
 * by hand. One test per rule of select.h: subnets (longest prefix first,
 * a mirror's best subnet counts), ASN, country, continent, the global
 * padding below Q_SEL_MIN_BEFORE_GLOBAL, country= and country=global,
 * private mirrors only through subnet/ASN, monopoly, protocols, address
 * families, the cap (and that a capped answer is the head of the uncapped
 * one), repeatability per seed, bandwidth weighting over many seeds,
 * up-to-date before lagging across groups (and the global padding per
 * set), netblock=0; then a large snapshot.
 */
#include "core/common.h"
#include "mirror/geoip.h"
#include "mirror/mirrordef.h"
#include "mirror/query.h"
#include "mirror/select.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define CAP 1100 /* mirrors in a test snapshot */

static struct q_snapshot snap;
static struct q_snap_repo repo;
static struct q_sel_client cl;
static struct q_sel_query qy;
static struct q_sel_pick out[CAP];
static size_t n_out;
static bool mono;

static int setup(void **state)
{
	(void)state;
	memset(&snap, 0, sizeof(snap));
	memset(&repo, 0, sizeof(repo));
	snap.mirrors = g_new0(struct q_snap_mirror, CAP);
	repo.holders = g_new0(struct q_snap_holder, CAP);
	memset(&cl, 0, sizeof(cl));
	memset(&qy, 0, sizeof(qy));
	qy.protocols = Q_MLPROTO_HTTPS | Q_MLPROTO_HTTP;
	qy.netblock = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < snap.n_mirrors; i++) {
		struct q_snap_mirror *m = &snap.mirrors[i];

		g_free(m->name);
		g_free(m->http);
		g_free(m->https);
		g_free(m->rsync);
		g_free(m->asn);
		g_free(m->subnets);
	}
	g_free(snap.mirrors);
	g_free(repo.holders);
	return 0;
}

/* A public mirror with http and https, reached over both families. */
static struct q_snap_mirror *add_nohold(const char *name, const char *cc, uint32_t bw)
{
	struct q_snap_mirror *m;

	assert_true(snap.n_mirrors < CAP);
	m = &snap.mirrors[snap.n_mirrors++];
	m->name = g_strdup(name);
	m->http = g_strdup_printf("http://%s/pub/", name);
	m->https = g_strdup_printf("https://%s/pub/", name);
	g_strlcpy(m->country, cc, sizeof(m->country));
	m->continent = cc[0] ? q_continent_of(cc) : NULL;
	m->bandwidth = bw;
	m->ipv4 = m->ipv6 = true;
	return m;
}

/* The same, holding the repo's newest version. */
static struct q_snap_mirror *add(const char *name, const char *cc, uint32_t bw)
{
	struct q_snap_mirror *m = add_nohold(name, cc, bw);

	repo.holders[repo.n_holders].mirror = (uint32_t)(m - snap.mirrors);
	repo.holders[repo.n_holders].version = 0;
	repo.n_holders++;
	return m;
}

/* Mark m as serving an alternate (older) version. */
static void lagging(const struct q_snap_mirror *m, uint16_t version)
{
	for (size_t i = 0; i < repo.n_holders; i++)
		if (repo.holders[i].mirror == (uint32_t)(m - snap.mirrors))
			repo.holders[i].version = version;
}

static void subnet(struct q_snap_mirror *m, const char *cidr)
{
	struct q_error err = {0};

	m->subnets = g_renew(struct q_cidr, m->subnets, m->n_subnets + 1);
	assert_int_equal(q_cidr_parse(cidr, &m->subnets[m->n_subnets], &err), 0);
	m->n_subnets++;
}

static void asn(struct q_snap_mirror *m, uint32_t a)
{
	m->asn = g_renew(uint32_t, m->asn, m->n_asn + 1);
	m->asn[m->n_asn++] = a;
}

/* The client: ip NULL for an unknown address. */
static void client(const char *ip, const char *cc, uint32_t a)
{
	memset(&cl, 0, sizeof(cl));
	if (ip && inet_pton(AF_INET, ip, cl.addr) == 1)
		cl.family = AF_INET;
	else if (ip && inet_pton(AF_INET6, ip, cl.addr) == 1)
		cl.family = AF_INET6;
	else
		assert_null(ip);
	g_strlcpy(cl.country, cc, sizeof(cl.country));
	cl.asn = a;
}

static void run(uint64_t seed)
{
	n_out = 999;
	mono = true;
	q_select(&snap, &repo, &cl, &qy, seed, out, &n_out, &mono);
	assert_true(n_out <= (qy.max ? qy.max : Q_SEL_MAX));
	/* Up to date before lagging; inside each, groups never go backwards;
	 * no mirror comes twice. */
	for (size_t i = 0; i < n_out; i++) {
		if (i > 0 && (out[i - 1].version > 0) == (out[i].version > 0))
			assert_true(out[i - 1].group <= out[i].group);
		if (i > 0)
			assert_true(out[i - 1].version == 0 || out[i].version > 0);
		for (size_t j = 0; j < i; j++)
			assert_ptr_not_equal(out[i].mirror, out[j].mirror);
	}
}

/* Position of the named mirror in the answer, or -1. */
static int pos(const char *name)
{
	for (size_t i = 0; i < n_out; i++)
		if (strcmp(out[i].mirror->name, name) == 0)
			return (int)i;
	return -1;
}

static bool listed(const char *name)
{
	return pos(name) >= 0;
}

static enum q_sel_group group_of(const char *name)
{
	int i = pos(name);

	if (i < 0)
		fail_msg("'%s' is not listed", name);
	return out[i].group;
}

/* The answer's names, space-separated (for exact orders). */
static const char *names(void)
{
	static char buf[4096];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n_out; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
					out[i].mirror->name);
	return buf;
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The answer's names in one group, sorted (for shuffled groups). */
static const char *names_in(enum q_sel_group g)
{
	static char buf[4096];
	GPtrArray *a = g_ptr_array_new();
	size_t len = 0;

	for (size_t i = 0; i < n_out; i++)
		if (out[i].group == g)
			g_ptr_array_add(a, out[i].mirror->name);
	g_ptr_array_sort(a, cmp_names);
	buf[0] = '\0';
	for (guint i = 0; i < a->len; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
					(const char *)a->pdata[i]);
	g_ptr_array_free(a, TRUE);
	return buf;
}

static void test_subnet(void **state)
{
	struct q_snap_mirror *m;

	(void)state;
	subnet(add("slash16", "US", 100), "10.1.0.0/16");
	subnet(add("slash24", "US", 1), "10.1.2.0/24");
	subnet(add("slash8", "US", 1000), "10.0.0.0/8");
	/* Its best subnet counts: /28 beats everything, whatever the order. */
	m = add("slash28", "JP", 1);
	subnet(m, "192.168.0.0/16");
	subnet(m, "10.1.2.0/28");
	subnet(m, "10.0.0.0/8");
	subnet(add("elsewhere", "US", 1000), "10.2.0.0/16");
	subnet(add("v6", "US", 1000), "2001:db8::/32");
	add("local", "CZ", 1);
	client("10.1.2.3", "CZ", 0);
	for (uint64_t seed = 0; seed < 50; seed++) {
		run(seed);
		assert_false(mono);
		/* Five in groups 1–4 (two subnets match nothing): no global. */
		assert_string_equal(names(), "slash28 slash24 slash16 slash8 local");
		assert_int_equal(out[0].group, Q_SEL_SUBNET);
		assert_int_equal(out[3].group, Q_SEL_SUBNET);
		assert_int_equal(out[4].group, Q_SEL_COUNTRY);
		assert_int_equal(out[0].version, 0);
	}

	/* Equal prefixes: both orders occur, both ahead of the shorter. */
	subnet(add("other24", "US", 1), "10.1.2.0/24");
	{
		bool first_seen = false, second_seen = false;

		for (uint64_t seed = 0; seed < 200; seed++) {
			run(seed);
			assert_int_equal(pos("slash28"), 0);
			assert_true(pos("slash24") >= 1 && pos("slash24") <= 2);
			assert_true(pos("other24") >= 1 && pos("other24") <= 2);
			assert_int_equal(pos("slash16"), 3);
			first_seen |= pos("slash24") == 1;
			second_seen |= pos("other24") == 1;
		}
		assert_true(first_seen && second_seen);
	}

	/* An IPv6 client matches the IPv6 subnet only. */
	client("2001:db8:1::5", "CZ", 0);
	run(1);
	assert_int_equal(group_of("v6"), Q_SEL_SUBNET);
	assert_int_equal(pos("v6"), 0);
	assert_int_equal(group_of("local"), Q_SEL_COUNTRY);
	assert_int_not_equal(group_of("slash24"), Q_SEL_SUBNET);
}

static void test_asn(void **state)
{
	struct q_snap_mirror *m;

	(void)state;
	m = add("asn-de", "DE", 1000);
	asn(m, 64500);
	asn(m, 2852);
	subnet(add("net", "US", 1), "147.251.0.0/16");
	add("cz", "CZ", 1000);
	asn(add("other-asn", "CZ", 1000), 1);
	client("147.251.4.37", "CZ", 2852);
	run(7);
	assert_string_equal(names_in(Q_SEL_SUBNET), "net");
	assert_string_equal(names_in(Q_SEL_ASN), "asn-de");
	assert_string_equal(names_in(Q_SEL_COUNTRY), "cz other-asn");
	assert_int_equal(pos("net"), 0);
	assert_int_equal(pos("asn-de"), 1);

	/* A subnet match wins over an ASN match of the same mirror. */
	asn(&snap.mirrors[1], 2852);
	run(7);
	assert_int_equal(group_of("net"), Q_SEL_SUBNET);

	/* Unknown ASN (0): no ASN group. */
	client("147.251.4.37", "CZ", 0);
	run(7);
	assert_int_equal(group_of("asn-de"), Q_SEL_CONTINENT);
}

static void test_country_continent(void **state)
{
	(void)state;
	add("cz1", "CZ", 100);
	add("cz2", "CZ", 100);
	add("de", "DE", 100);
	add("fr", "FR", 100);
	add("us", "US", 100);
	add("jp", "JP", 100);
	add("nowhere", "", 100);
	add_nohold("not-holding", "CZ", 100);
	client("192.0.2.1", "CZ", 0);
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_string_equal(names_in(Q_SEL_COUNTRY), "cz1 cz2");
		assert_string_equal(names_in(Q_SEL_CONTINENT), "de fr");
		/* Four in groups 1–4: the global group pads. */
		assert_string_equal(names_in(Q_SEL_GLOBAL), "jp nowhere us");
		assert_int_equal(n_out, 7);
		assert_false(listed("not-holding"));
	}

	/* Unknown client country: no country or continent group. */
	client("192.0.2.1", "", 0);
	run(3);
	assert_int_equal(n_out, 7);
	assert_string_equal(names_in(Q_SEL_GLOBAL), "cz1 cz2 de fr jp nowhere us");
	client(NULL, "", 0);
	run(3);
	assert_int_equal(n_out, 7);
	assert_string_equal(names_in(Q_SEL_GLOBAL), "cz1 cz2 de fr jp nowhere us");
}

static void test_global_padding(void **state)
{
	(void)state;
	add("cz1", "CZ", 1);
	add("cz2", "CZ", 1);
	add("cz3", "CZ", 1);
	add("at", "AT", 1);
	add("us1", "US", 1000);
	add("us2", "US", 1000);
	client("192.0.2.1", "CZ", 0);
	/* 4 in groups 1–4: global added. */
	run(1);
	assert_int_equal(n_out, 6);
	assert_string_equal(names_in(Q_SEL_GLOBAL), "us1 us2");
	assert_int_equal(pos("cz1") < 3 && pos("cz2") < 3 && pos("cz3") < 3, 1);
	assert_int_equal(pos("at"), 3);

	/* 5: not. */
	add("pl", "PL", 1);
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_int_equal(n_out, 5);
		assert_false(listed("us1"));
		assert_false(listed("us2"));
		assert_string_equal(names_in(Q_SEL_CONTINENT), "at pl");
	}

	/* Subnet and ASN matches count toward the 5. */
	teardown(NULL);
	setup(NULL);
	subnet(add("net", "JP", 1), "192.0.2.0/24");
	asn(add("asn", "JP", 1), 64500);
	add("cz1", "CZ", 1);
	add("cz2", "CZ", 1);
	add("us", "US", 1);
	client("192.0.2.1", "CZ", 64500);
	run(1);
	assert_true(listed("us"));
	add("at", "AT", 1);
	run(1);
	assert_false(listed("us"));
	assert_int_equal(pos("net"), 0);
	assert_int_equal(pos("asn"), 1);
	assert_int_equal(pos("at"), 4);
}

static void test_country_override(void **state)
{
	static const char us[][3] = {"US"};
	static const char two[][3] = {"US", "JP"};

	(void)state;
	add("cz1", "CZ", 1);
	add("cz2", "CZ", 1);
	add("de", "DE", 1);
	add("us", "US", 1);
	add("ca", "CA", 1);
	add("jp", "JP", 1);
	add("kr", "KR", 1);
	add("br", "BR", 1);
	client("192.0.2.1", "CZ", 0);

	qy.countries = us;
	qy.n_countries = 1;
	run(5);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "us");
	assert_string_equal(names_in(Q_SEL_CONTINENT), "ca");
	assert_string_equal(names_in(Q_SEL_GLOBAL), "br cz1 cz2 de jp kr");
	assert_int_equal(n_out, 8);

	qy.countries = two;
	qy.n_countries = 2;
	run(5);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "jp us");
	assert_string_equal(names_in(Q_SEL_CONTINENT), "ca kr");
	assert_int_equal(n_out, 8); /* 4 < 5: all the rest in global */

	/* country=global: everyone in the global group, groups 3–4 skipped. */
	qy.countries = NULL;
	qy.n_countries = 0;
	qy.country_global = true;
	run(5);
	assert_int_equal(n_out, 8);
	assert_string_equal(names_in(Q_SEL_GLOBAL), "br ca cz1 cz2 de jp kr us");

	/* ... even with five subnet matches in front: global always added. */
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "net%d", i);
		subnet(add(name, "CZ", 1), "192.0.2.0/24");
	}
	run(5);
	assert_int_equal(n_out, 10);
	assert_int_equal(out[4].group, Q_SEL_SUBNET);
	assert_int_equal(out[5].group, Q_SEL_GLOBAL);
	qy.country_global = false;
	run(5);
	assert_int_equal(n_out, 8); /* 5 subnet, cz1, cz2, de: no global */
	assert_int_equal(out[6].group, Q_SEL_COUNTRY);
	assert_string_equal(out[7].mirror->name, "de");
}

static void test_private(void **state)
{
	struct q_snap_mirror *p;

	(void)state;
	p = add("private", "CZ", 1000);
	p->is_private = true;
	add("public", "CZ", 1);
	client("192.0.2.1", "CZ", 64500);
	/* Same country, no subnet or ASN: not listed, at any seed. */
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_false(listed("private"));
		assert_true(listed("public"));
	}
	qy.country_global = true;
	run(1);
	assert_false(listed("private"));
	qy.country_global = false;

	/* Through its subnet: listed, and not alone (no monopoly). */
	subnet(p, "192.0.2.0/24");
	run(1);
	assert_false(mono);
	assert_string_equal(names(), "private public");
	assert_int_equal(out[0].group, Q_SEL_SUBNET);

	/* Through its ASN. */
	p->n_subnets = 0;
	asn(p, 64500);
	run(1);
	assert_false(mono);
	assert_string_equal(names(), "private public");
	assert_int_equal(out[0].group, Q_SEL_ASN);

	/* A client from elsewhere does not get it. */
	client("198.51.100.1", "CZ", 1);
	run(1);
	assert_string_equal(names(), "public");
}

static void test_monopoly(void **state)
{
	struct q_snap_mirror *m, *m2, *p;

	(void)state;
	m = add("mono", "CZ", 1);
	m->is_private = m->monopoly = true;
	subnet(m, "10.0.0.0/8");
	p = add("private", "CZ", 1000);
	p->is_private = true;
	subnet(p, "10.1.0.0/16");
	subnet(add("public-net", "CZ", 1000), "10.1.2.0/24");
	add("cz", "CZ", 1000);
	add("us", "US", 1000);

	/* Not matched: nothing special, the monopoly mirror absent. */
	client("192.0.2.1", "CZ", 0);
	run(1);
	assert_false(mono);
	assert_false(listed("mono"));
	assert_false(listed("private"));
	assert_true(listed("cz"));

	/* Matched: alone, even though better subnets match too. */
	client("10.1.2.3", "CZ", 0);
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_true(mono);
		assert_string_equal(names(), "mono");
		assert_int_equal(out[0].group, Q_SEL_SUBNET);
	}

	/* Two monopoly mirrors (subnet, ASN): both, in group order. */
	m2 = add("mono-asn", "DE", 1000);
	m2->is_private = m2->monopoly = true;
	asn(m2, 64500);
	client("10.1.2.3", "CZ", 64500);
	run(1);
	assert_true(mono);
	assert_string_equal(names(), "mono mono-asn");
	assert_int_equal(out[1].group, Q_SEL_ASN);

	/* netblock=0: no match, so no monopoly. */
	qy.netblock = false;
	run(1);
	assert_false(mono);
	assert_false(listed("mono"));
	assert_false(listed("mono-asn"));

	/* A monopoly mirror filtered out by protocol does not count. */
	qy.netblock = true;
	qy.protocols = Q_MLPROTO_RSYNC;
	snap.mirrors[3].rsync = g_strdup("rsync://cz/pub/");
	run(1);
	assert_false(mono);
	assert_string_equal(names(), "cz");
}

static void test_protocols(void **state)
{
	struct q_snap_mirror *m;

	(void)state;
	m = add("http-only", "CZ", 1);
	g_clear_pointer(&m->https, g_free);
	m = add("https-only", "CZ", 1);
	g_clear_pointer(&m->http, g_free);
	add("both", "CZ", 1);
	m = add("rsync-only", "CZ", 1);
	g_clear_pointer(&m->http, g_free);
	g_clear_pointer(&m->https, g_free);
	m->rsync = g_strdup("rsync://rsync-only/pub/");
	m = add("all", "CZ", 1);
	m->rsync = g_strdup("rsync://all/pub/");
	client("192.0.2.1", "CZ", 0);

	run(1); /* the default: https and http */
	assert_string_equal(names_in(Q_SEL_COUNTRY), "all both http-only https-only");
	qy.protocols = Q_MLPROTO_HTTPS;
	run(1);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "all both https-only");
	qy.protocols = Q_MLPROTO_HTTP;
	run(1);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "all both http-only");
	qy.protocols = Q_MLPROTO_RSYNC;
	run(1);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "all rsync-only");
	assert_int_equal(n_out, 2);
	qy.protocols = Q_MLPROTO_HTTPS | Q_MLPROTO_RSYNC;
	run(1);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "all both https-only rsync-only");
}

static void test_family(void **state)
{
	struct q_snap_mirror *m;

	(void)state;
	m = add("v4", "CZ", 1);
	m->ipv6 = false;
	m = add("v6", "CZ", 1);
	m->ipv4 = false;
	add("dual", "CZ", 1);

	client("2001:db8::1", "CZ", 0);
	run(1);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "dual v6");
	assert_int_equal(n_out, 2);
	client("192.0.2.1", "CZ", 0);
	run(1);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "dual v4");
	assert_int_equal(n_out, 2);
	client(NULL, "CZ", 0);
	run(1);
	assert_string_equal(names_in(Q_SEL_COUNTRY), "dual v4 v6");

	/* The family filter applies to subnet matches too. */
	subnet(&snap.mirrors[1], "2001:db8::/32");
	subnet(&snap.mirrors[0], "2001:db8::/32");
	client("2001:db8::1", "CZ", 0);
	run(1);
	assert_string_equal(names_in(Q_SEL_SUBNET), "v6");
	assert_false(listed("v4"));
}

static void test_cap(void **state)
{
	struct q_sel_pick full[32];
	size_t n_full;

	(void)state;
	for (int i = 0; i < 20; i++) {
		char name[16];
		struct q_snap_mirror *m;

		snprintf(name, sizeof(name), "m%02d", i);
		m = add(name, i < 12 ? "CZ" : "DE", (uint32_t)(1 + i * 37 % 200));
		if (i % 3 == 0)
			lagging(m, 1);
	}
	client("192.0.2.1", "CZ", 0);
	run(1);
	assert_int_equal(n_out, Q_SEL_MAX);
	qy.max = 100;
	run(1);
	assert_int_equal(n_out, 20);
	qy.max = 15; /* above Q_SEL_MAX */
	run(1);
	assert_int_equal(n_out, 15);

	/* A capped answer is the head of the full one, for every cap. */
	for (uint64_t seed = 0; seed < 30; seed++) {
		qy.max = 32;
		run(seed);
		assert_int_equal(n_out, 20);
		memcpy(full, out, sizeof(full[0]) * n_out);
		n_full = n_out;
		for (size_t max = 1; max <= 21; max++) {
			qy.max = max;
			run(seed);
			assert_int_equal(n_out, MIN(max, n_full));
			for (size_t i = 0; i < n_out; i++) {
				assert_ptr_equal(out[i].mirror, full[i].mirror);
				assert_int_equal(out[i].group, full[i].group);
				assert_int_equal(out[i].version, full[i].version);
			}
		}
	}
}

static void test_seed(void **state)
{
	const struct q_snap_mirror *first[Q_SEL_MAX];
	GHashTable *orders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	(void)state;
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "m%d", i);
		add(name, "CZ", 100);
	}
	client("192.0.2.1", "CZ", 0);
	run(42);
	for (size_t i = 0; i < n_out; i++)
		first[i] = out[i].mirror;
	for (int k = 0; k < 5; k++) {
		run(42);
		assert_int_equal(n_out, 10);
		for (size_t i = 0; i < n_out; i++)
			assert_ptr_equal(out[i].mirror, first[i]);
	}
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		g_hash_table_add(orders, g_strdup(names()));
	}
	/* 10! orders: twenty seeds give (nearly) twenty of them. */
	assert_true(g_hash_table_size(orders) >= 18);
	g_hash_table_destroy(orders);
}

static void test_bandwidth(void **state)
{
	int first_big = 0, first_small = 0, first_zero = 0, first_300 = 0;

	(void)state;
	add("big", "CZ", 1000);
	add("small", "CZ", 10);
	add("zero", "CZ", 0); /* treated as 1: listed, rarely first */
	client("192.0.2.1", "CZ", 0);
	for (uint64_t seed = 0; seed < 2000; seed++) {
		run(seed);
		assert_int_equal(n_out, 3);
		first_big += pos("big") == 0;
		first_small += pos("small") == 0;
		first_zero += pos("zero") == 0;
	}
	/* Expected: 2000 · 1000/1011 ≈ 1978, 2000 · 10/1011 ≈ 20, ≈ 2. */
	assert_true(first_big > 1900);
	assert_true(first_small < 100);
	assert_true(first_zero < 30);
	assert_int_equal(first_big + first_small + first_zero, 2000);

	/* A milder ratio: 300 against 100 is first 3 times in 4 (1500 ± 8 sigma). */
	teardown(NULL);
	setup(NULL);
	add("w300", "CZ", 300);
	add("w100", "CZ", 100);
	client("192.0.2.1", "CZ", 0);
	for (uint64_t seed = 0; seed < 2000; seed++) {
		run(seed);
		first_300 += pos("w300") == 0;
	}
	assert_true(first_300 > 1350 && first_300 < 1650);
}

static void test_lagging(void **state)
{
	struct q_snap_mirror *a, *b;

	(void)state;
	lagging(add("old1", "CZ", 1000), 1);
	lagging(add("old2", "CZ", 1000), 2);
	lagging(add("old3", "CZ", 1000), 1);
	add("new1", "CZ", 1);
	add("new2", "CZ", 1);
	lagging(add("old-de", "DE", 1000), 1);
	add("new-de", "DE", 1);
	a = add("old-net24", "US", 1);
	subnet(a, "192.0.2.0/24");
	lagging(a, 1);
	b = add("new-net16", "US", 1000);
	subnet(b, "192.0.0.0/16");
	client("192.0.2.1", "CZ", 0);
	qy.max = 20;
	for (uint64_t seed = 0; seed < 50; seed++) {
		run(seed);
		assert_int_equal(n_out, 9);
		/* Up to date first, in their group order: subnet, country, continent. */
		assert_int_equal(pos("new-net16"), 0);
		assert_true(pos("new1") >= 1 && pos("new1") <= 2);
		assert_true(pos("new2") >= 1 && pos("new2") <= 2);
		assert_int_equal(pos("new-de"), 3);
		assert_int_equal(out[pos("new1")].version, 0);
		/* Then the lagging ones, in theirs: the longer prefix does not
		 * put a lagging mirror ahead, nor does the bandwidth. */
		assert_int_equal(pos("old-net24"), 4);
		assert_int_equal(out[4].version, 1);
		assert_true(pos("old1") >= 5 && pos("old1") <= 7);
		assert_true(pos("old2") >= 5 && pos("old2") <= 7);
		assert_int_equal(out[pos("old2")].version, 2);
		assert_int_equal(pos("old-de"), 8);
	}
}

/* The published case: the mirror of the client's country lags, one of the
 * continent is up to date; and global up-to-date mirrors for a region
 * whose mirrors all lag. */
static void test_fresh_across_groups(void **state)
{
	(void)state;
	lagging(add("cz-old", "CZ", 1000), 1);
	add("de-new", "DE", 1);
	client("192.0.2.1", "CZ", 0);
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_string_equal(names(), "de-new cz-old");
		assert_int_equal(group_of("de-new"), Q_SEL_CONTINENT);
		assert_int_equal(group_of("cz-old"), Q_SEL_COUNTRY);
	}

	/* Five lagging mirrors in the country: enough for the old rule, but
	 * not one up to date, so the up-to-date global ones come first; no
	 * lagging global one (five lagging local ones are enough). */
	teardown(NULL);
	setup(NULL);
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cz-old%d", i);
		lagging(add(name, "CZ", 1000), 1);
	}
	add("us-new1", "US", 1);
	add("us-new2", "US", 1);
	lagging(add("us-old", "US", 1000), 1);
	client("192.0.2.1", "CZ", 0);
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_int_equal(n_out, 7);
		assert_string_equal(names_in(Q_SEL_GLOBAL), "us-new1 us-new2");
		assert_int_equal(group_of("us-new1"), Q_SEL_GLOBAL);
		assert_true(pos("us-new1") < 2 && pos("us-new2") < 2);
		assert_false(listed("us-old"));
		for (size_t i = 2; i < n_out; i++) {
			assert_int_equal(out[i].group, Q_SEL_COUNTRY);
			assert_int_equal(out[i].version, 1);
		}
	}
	/* One up-to-date mirror in the country: it first, then the global ones. */
	add("cz-new", "CZ", 1);
	qy.max = 20;
	run(1);
	assert_int_equal(n_out, 8);
	assert_int_equal(pos("cz-new"), 0);
	assert_true(pos("us-new1") < 3 && pos("us-new2") < 3);
	assert_false(listed("us-old"));

	/* Five up-to-date mirrors in groups 1–4: no global one at all. */
	teardown(NULL);
	setup(NULL);
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cz-new%d", i);
		add(name, i < 3 ? "CZ" : "AT", 1);
	}
	add("us-new", "US", 1000);
	lagging(add("us-old", "US", 1000), 1);
	lagging(add("cz-old", "CZ", 1000), 1);
	client("192.0.2.1", "CZ", 0);
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_int_equal(n_out, 6);
		assert_false(listed("us-new"));
		assert_false(listed("us-old"));
		assert_int_equal(pos("cz-old"), 5);
	}

	/* Three lagging and one up-to-date local: up-to-date global ones come
	 * before the lagging local ones, and the lagging global one (four in
	 * groups 1–4) after them. */
	teardown(NULL);
	setup(NULL);
	add("cz-new", "CZ", 1);
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cz-old%d", i);
		lagging(add(name, "CZ", 1000), 1);
	}
	add("us-new", "US", 1);
	lagging(add("us-old", "US", 1000), 1);
	client("192.0.2.1", "CZ", 0);
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_int_equal(n_out, 6);
		assert_int_equal(pos("cz-new"), 0);
		assert_int_equal(pos("us-new"), 1);
		assert_true(pos("cz-old0") >= 2 && pos("cz-old0") <= 4);
		assert_int_equal(pos("us-old"), 5);
	}
}

static void test_netblock_off(void **state)
{
	struct q_snap_mirror *p;

	(void)state;
	subnet(add("net", "US", 1), "192.0.2.0/24");
	asn(add("asn", "CZ", 1), 64500);
	p = add("private-net", "CZ", 1);
	p->is_private = true;
	subnet(p, "192.0.2.0/24");
	p = add("private-asn", "CZ", 1);
	p->is_private = true;
	asn(p, 64500);
	client("192.0.2.1", "CZ", 64500);
	run(1);
	assert_int_equal(group_of("net"), Q_SEL_SUBNET);
	assert_int_equal(group_of("asn"), Q_SEL_ASN);
	assert_true(listed("private-net"));
	assert_true(listed("private-asn"));

	qy.netblock = false;
	for (uint64_t seed = 0; seed < 20; seed++) {
		run(seed);
		assert_false(mono);
		assert_int_equal(group_of("asn"), Q_SEL_COUNTRY);
		assert_int_equal(group_of("net"), Q_SEL_GLOBAL);
		assert_false(listed("private-net"));
		assert_false(listed("private-asn"));
		assert_int_equal(n_out, 2);
	}
}

static void test_empty(void **state)
{
	(void)state;
	add_nohold("idle", "CZ", 1);
	client("192.0.2.1", "CZ", 0);
	run(1);
	assert_int_equal(n_out, 0);
	assert_false(mono);
	/* Nothing allowed: no candidate. */
	add("cz", "CZ", 1);
	qy.protocols = Q_MLPROTO_RSYNC;
	run(1);
	assert_int_equal(n_out, 0);
}

/* 1000 mirrors over a few countries, as the service sees them. */
static void test_large(void **state)
{
	static const char *ccs[] = {"CZ", "DE", "US", "JP", "BR", "ZA", "AU", "FR"};
	size_t counts[Q_SEL_GLOBAL + 1] = {0};

	(void)state;
	for (int i = 0; i < 1000; i++) {
		char name[16];
		struct q_snap_mirror *m;

		snprintf(name, sizeof(name), "m%03d", i);
		m = add(name, ccs[i % Q_ARRAY_LEN(ccs)], (uint32_t)(1 + i % 97));
		if (i % 3 == 0)
			lagging(m, 1);
		if (i % 11 == 0)
			m->ipv6 = false;
		if (i % 50 == 0)
			subnet(m, i % 100 ? "10.0.0.0/8" : "10.1.0.0/16");
		if (i % 250 == 7)
			m->is_private = true;
	}
	client("10.1.2.3", "JP", 0);
	for (uint64_t seed = 0; seed < 200; seed++) {
		run(seed);
		assert_int_equal(n_out, Q_SEL_MAX);
		/* 20 subnet matches, 13 of them up to date: the 6 fresh /16s
		 * first, then 4 of the 7 fresh /8s (no lagging one). */
		for (size_t i = 0; i < n_out; i++) {
			assert_int_equal(out[i].group, Q_SEL_SUBNET);
			assert_int_equal(out[i].mirror->subnets[0].prefix, i < 6 ? 16 : 8);
			assert_int_equal(out[i].version, 0);
			assert_true(out[i].mirror->ipv4);
			counts[out[i].group]++;
		}
	}
	client("192.0.2.1", "JP", 0);
	run(3);
	assert_int_equal(n_out, Q_SEL_MAX);
	for (size_t i = 0; i < n_out; i++) {
		assert_int_equal(out[i].group, Q_SEL_COUNTRY);
		assert_string_equal(out[i].mirror->country, "JP");
		assert_false(out[i].mirror->is_private);
	}
	assert_int_equal(counts[Q_SEL_SUBNET], 200 * Q_SEL_MAX);
}

static void test_group_names(void **state)
{
	(void)state;
	assert_string_equal(q_sel_group_name(Q_SEL_SUBNET), "subnet");
	assert_string_equal(q_sel_group_name(Q_SEL_ASN), "asn");
	assert_string_equal(q_sel_group_name(Q_SEL_COUNTRY), "country");
	assert_string_equal(q_sel_group_name(Q_SEL_CONTINENT), "continent");
	assert_string_equal(q_sel_group_name(Q_SEL_GLOBAL), "global");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_subnet),
	    T(test_asn),
	    T(test_country_continent),
	    T(test_global_padding),
	    T(test_country_override),
	    T(test_private),
	    T(test_monopoly),
	    T(test_protocols),
	    T(test_family),
	    T(test_cap),
	    T(test_seed),
	    T(test_bandwidth),
	    T(test_lagging),
	    T(test_fresh_across_groups),
	    T(test_netblock_off),
	    T(test_empty),
	    T(test_large),
	    T(test_group_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
