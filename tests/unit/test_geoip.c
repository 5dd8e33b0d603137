/*
 * test_geoip.c: src/mirror/geoip.c and continents.c. Tor-format tables
 * (IPv4 and IPv6) written by the test: lookups at the first and last
 * address of a range and one outside it, "??" as unknown, comments, CRLF,
 * malformed lines counted and skipped, an over-long line, unsorted input,
 * IPv4-mapped IPv6, bad literals. The Debian tor-geoipdb tables when
 * installed (a few well-known addresses get some country). .mmdb files
 * written at run time by tests/tools/mkmmdb.py (skipped when python3 is
 * missing): the @ip-location-db country layout and MaxMind's country.iso_code
 * layout, at record sizes 24, 28 and 32, with and without the
 * ::ffff:0:0/96 alias; IPv4, IPv6 and IPv4-mapped IPv6 lookups, a more
 * specific network overriding the one around it, addresses outside every
 * network; records the reader must refuse or fall back from (a lower-case,
 * three-letter or non-string code, both layouts in one record); an ASN
 * database (uint32, uint64, int32 and string numbers); the mmdb country
 * preferred over the tor tables and the tables used when the mmdb has no
 * answer; a database with no networks and a truncated one. The failures (a
 * missing file, a garbage file). The continent table: every code once,
 * case, bad input.
 */
#include "core/common.h"
#include "core/error.h"
#include "mirror/geoip.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static char tmpdir[] = "/tmp/test_geoip.XXXXXX";

static void write_file(const char *name, const char *text, char *path, size_t pathsize)
{
	FILE *f;

	snprintf(path, pathsize, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static const char *cc_of(const struct q_geoip *g, const char *ip)
{
	static char cc[3];
	int64_t asn = -1;

	assert_int_equal(q_geoip_lookup(g, ip, cc, &asn), 0);
	assert_int_equal(asn, 0);
	return cc;
}

/* The country and the ASN of ip, which must be an address literal. */
static const char *lookup(const struct q_geoip *g, const char *ip, int64_t *asn)
{
	static char cc[3];

	assert_int_equal(q_geoip_lookup(g, ip, cc, asn), 0);
	return cc;
}

static int64_t asn_of(const struct q_geoip *g, const char *ip)
{
	int64_t asn = -1;

	lookup(g, ip, &asn);
	return asn;
}

/* Run argv[0] (looked up in PATH); its exit status, 127 when it could not start. */
static int run(const char *const argv[])
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Skip the calling test when there is no python3 to run mkmmdb.py. */
static void need_python(void)
{
	static int have = -1;
	static const char *const probe[] = {"python3", "-c", "", NULL};

	if (have < 0)
		have = run(probe) != 127; /* a python3 that fails otherwise fails the test */
	if (!have)
		skip();
}

/* tests/tools/mkmmdb.py: in $QUARRY_SRC (ctest), else next to this file. */
static const char *mkmmdb_script(void)
{
	static char path[PATH_MAX];
	const char *src = getenv("QUARRY_SRC");
	char *slash;

	if (src) {
		snprintf(path, sizeof(path), "%s/tests/tools/mkmmdb.py", src);
		return path;
	}
	snprintf(path, sizeof(path), "%s", __FILE__); /* .../tests/unit/test_geoip.c */
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		slash = strrchr(path, '/');
	}
	if (slash)
		snprintf(slash, sizeof(path) - (size_t)(slash - path), "/tools/mkmmdb.py");
	else
		snprintf(path, sizeof(path), "../tests/tools/mkmmdb.py");
	return path;
}

/*
 * Write tmpdir/name with mkmmdb.py --type type [opt] (opt may be NULL),
 * from the "CIDR=VALUE" arguments that follow, up to a NULL. The path goes
 * into path.
 */
static void mkmmdb(const char *type, const char *opt, const char *name, char *path, size_t size,
		   ...)
{
	const char *argv[64];
	size_t n = 0;
	va_list ap;
	const char *net;

	snprintf(path, size, "%s/%s", tmpdir, name);
	argv[n++] = "python3";
	argv[n++] = mkmmdb_script();
	argv[n++] = "--epoch=1700000000";
	argv[n++] = "--type";
	argv[n++] = type;
	if (opt)
		argv[n++] = opt;
	argv[n++] = path;
	va_start(ap, size);
	while ((net = va_arg(ap, const char *)) != NULL) {
		assert_true(n < Q_ARRAY_LEN(argv) - 1);
		argv[n++] = net;
	}
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(run(argv), 0);
}

static struct q_geoip *open_ok(const char *country, const char *asn, const char *tor4,
			       const char *tor6)
{
	struct q_error err = {0};
	struct q_geoip *g = q_geoip_open(country, asn, tor4, tor6, &err);

	if (!g)
		fprintf(stderr, "q_geoip_open: %s\n", err.msg);
	assert_non_null(g);
	return g;
}

/*
 * The networks of the country tests, more specific ones first on purpose;
 * jp, USA and 1A are there for the reader to upper-case or refuse.
 */
#define COUNTRY_NETS                                                                               \
	"10.1.0.0/16=DE", "10.0.0.0/8=SE", "10.1.2.3=NO", "2001:db8:1::/48=CZ",                    \
	    "2001:db8::/32=FR", "192.0.2.0/24=jp", "198.51.100.0/24=USA", "203.0.113.0/24=1A",     \
	    "2000::/3=AQ", "0.0.0.0/1=AR"

/* What every country database of COUNTRY_NETS answers. */
static void check_country(const struct q_geoip *g)
{
	assert_string_equal(cc_of(g, "10.0.0.0"), "SE");
	assert_string_equal(cc_of(g, "10.0.255.255"), "SE");
	assert_string_equal(cc_of(g, "10.1.0.0"), "DE"); /* more specific wins */
	assert_string_equal(cc_of(g, "10.1.2.2"), "DE");
	assert_string_equal(cc_of(g, "10.1.2.3"), "NO"); /* and a /32 inside that */
	assert_string_equal(cc_of(g, "10.1.2.4"), "DE");
	assert_string_equal(cc_of(g, "10.1.255.255"), "DE");
	assert_string_equal(cc_of(g, "10.2.0.0"), "SE");
	assert_string_equal(cc_of(g, "10.255.255.255"), "SE");
	assert_string_equal(cc_of(g, "9.255.255.255"), "AR"); /* 0.0.0.0/1 around it all */
	assert_string_equal(cc_of(g, "127.0.0.1"), "AR");
	assert_string_equal(cc_of(g, "128.0.0.0"), ""); /* outside every IPv4 network */
	assert_string_equal(cc_of(g, "255.255.255.255"), "");
	assert_string_equal(cc_of(g, "192.0.2.200"), "JP");     /* upper-cased */
	assert_string_equal(cc_of(g, "198.51.100.1"), "");      /* not two letters */
	assert_string_equal(cc_of(g, "203.0.113.1"), "");       /* not letters */
	assert_string_equal(cc_of(g, "::ffff:10.1.2.3"), "NO"); /* looked up as IPv4 */
	assert_string_equal(cc_of(g, "::ffff:10.9.0.1"), "SE");
	assert_string_equal(cc_of(g, "::FFFF:192.0.2.1"), "JP");
	assert_string_equal(cc_of(g, "::ffff:200.0.0.1"), "");

	assert_string_equal(cc_of(g, "2001:db8::"), "FR");
	assert_string_equal(cc_of(g, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), "FR");
	assert_string_equal(cc_of(g, "2001:db8:1::1"), "CZ");
	assert_string_equal(cc_of(g, "2001:db8:1:ffff::"), "CZ");
	assert_string_equal(cc_of(g, "2001:db8:2::"), "FR");
	assert_string_equal(cc_of(g, "2001:db9::"), "AQ"); /* only 2000::/3 around it */
	assert_string_equal(cc_of(g, "3fff:ffff::"), "AQ");
	assert_string_equal(cc_of(g, "4000::"), ""); /* outside every IPv6 network */
	assert_string_equal(cc_of(g, "fe80::1"), "");
	/* ::/96 is where the IPv4 tree sits: ::1 is 0.0.0.1 there */
	assert_string_equal(cc_of(g, "::1"), "AR");
}

static void test_mmdb_country(void **state)
{
	static const char *const opts[] = {NULL, "--record-size=28", "--record-size=32",
					   "--no-ipv4-alias"};
	char p[256];

	(void)state;
	need_python();
	for (size_t i = 0; i < Q_ARRAY_LEN(opts); i++) {
		struct q_geoip *g;

		print_message("country_code layout, %s\n", opts[i] ? opts[i] : "defaults");
		mkmmdb("country", opts[i], "country.mmdb", p, sizeof(p), COUNTRY_NETS, NULL);
		g = open_ok(p, NULL, NULL, NULL);
		check_country(g);
		q_geoip_free(g);
		unlink(p);
	}
}

static void test_mmdb_country_iso(void **state)
{
	static const char *const opts[] = {NULL, "--record-size=28", "--no-ipv4-alias"};
	char p[256];

	(void)state;
	need_python();
	for (size_t i = 0; i < Q_ARRAY_LEN(opts); i++) {
		struct q_geoip *g;

		print_message("country.iso_code layout, %s\n", opts[i] ? opts[i] : "defaults");
		mkmmdb("country-iso", opts[i], "iso.mmdb", p, sizeof(p), COUNTRY_NETS, NULL);
		g = open_ok(p, NULL, NULL, NULL);
		check_country(g);
		q_geoip_free(g);
		unlink(p);
	}
}

/* Records with both layouts, or with a country the reader must not take. */
static void test_mmdb_country_paths(void **state)
{
	char p[256];
	struct q_geoip *g;

	(void)state;
	need_python();
	mkmmdb("json", NULL, "paths.mmdb", p, sizeof(p),
	       "10.0.0.1={\"country_code\": \"SE\", \"country\": {\"iso_code\": \"DE\"}}",
	       "10.0.0.2={\"country_code\": 752, \"country\": {\"iso_code\": \"NO\"}}",
	       "10.0.0.4={\"country\": {\"iso_code\": [\"FI\"]}}", "10.0.0.5={\"country\": \"IS\"}",
	       "10.0.0.6={\"city\": \"Brno\"}", "10.0.0.7={\"country_code\": \"S\"}", NULL);
	g = open_ok(p, NULL, NULL, NULL);
	assert_string_equal(cc_of(g, "10.0.0.1"), "SE"); /* ip-location-db's path first */
	assert_string_equal(cc_of(g, "10.0.0.2"), "NO"); /* not a string: the other path */
	assert_string_equal(cc_of(g, "10.0.0.4"), "");
	assert_string_equal(cc_of(g, "10.0.0.5"), "");
	assert_string_equal(cc_of(g, "10.0.0.6"), "");
	assert_string_equal(cc_of(g, "10.0.0.7"), "");
	assert_string_equal(cc_of(g, "10.0.0.8"), "");
	q_geoip_free(g);
	unlink(p);
}

static void test_mmdb_asn(void **state)
{
	char pa[256], pc[256], pj[256];
	struct q_geoip *g;
	int64_t asn = -1;

	(void)state;
	need_python();
	mkmmdb("asn", NULL, "asn.mmdb", pa, sizeof(pa), "10.0.0.0/24=64500,Inner Net",
	       "10.0.0.0/8=2852,CESNET z.s.p.o.", "10.0.0.128/25=AS64501",
	       "2001:718::/32=2852,CESNET z.s.p.o.", "2001:718:1::/48=4294967295,Largest",
	       "192.0.2.0/24=0,Zero", NULL);
	g = open_ok(NULL, pa, NULL, NULL);
	assert_int_equal(asn_of(g, "10.0.0.1"), 64500);
	assert_int_equal(asn_of(g, "10.0.0.127"), 64500);
	assert_int_equal(asn_of(g, "10.0.0.128"), 64501);
	assert_int_equal(asn_of(g, "10.0.1.0"), 2852);
	assert_int_equal(asn_of(g, "10.255.255.255"), 2852);
	assert_int_equal(asn_of(g, "11.0.0.0"), 0);
	assert_int_equal(asn_of(g, "192.0.2.1"), 0);
	assert_int_equal(asn_of(g, "::ffff:10.0.0.200"), 64501);
	assert_int_equal(asn_of(g, "2001:718::1"), 2852);
	assert_int_equal(asn_of(g, "2001:718:1::1"), 4294967295);
	assert_int_equal(asn_of(g, "2001:718:2::1"), 2852);
	assert_int_equal(asn_of(g, "2001:719::"), 0);
	assert_int_equal(asn_of(g, "::"), 0);
	assert_string_equal(lookup(g, "10.0.0.1", &asn), ""); /* no country source */
	assert_int_equal(asn, 64500);
	q_geoip_free(g);

	/* Both databases at once; each answers its own question. */
	mkmmdb("country", NULL, "c.mmdb", pc, sizeof(pc), "10.0.0.0/16=CZ", "2001:718::/32=CZ",
	       NULL);
	g = open_ok(pc, pa, NULL, NULL);
	assert_string_equal(lookup(g, "10.0.0.1", &asn), "CZ");
	assert_int_equal(asn, 64500);
	assert_string_equal(lookup(g, "10.1.0.1", &asn), "");
	assert_int_equal(asn, 2852);
	assert_string_equal(lookup(g, "::ffff:10.0.0.129", &asn), "CZ");
	assert_int_equal(asn, 64501);
	assert_string_equal(lookup(g, "2001:718:1::", &asn), "CZ");
	assert_int_equal(asn, 4294967295);
	assert_string_equal(lookup(g, "2001:db8::", &asn), "");
	assert_int_equal(asn, 0);
	/* asn may be NULL */
	{
		char cc[3];

		assert_int_equal(q_geoip_lookup(g, "10.0.0.1", cc, NULL), 0);
		assert_string_equal(cc, "CZ");
	}
	q_geoip_free(g);

	/* Other integer types than uint32, and numbers that are not. */
	mkmmdb("json", NULL, "asnj.mmdb", pj, sizeof(pj),
	       "10.0.0.1={\"autonomous_system_number\": 1099511627776}",        /* uint64 */
	       "10.0.0.2={\"autonomous_system_number\": 18446744073709551615}", /* > INT64_MAX */
	       "10.0.0.3={\"autonomous_system_number\": -5}",                   /* int32 */
	       "10.0.0.4={\"autonomous_system_number\": \"2852\"}",
	       "10.0.0.5={\"autonomous_system_number\": 1.5}",
	       "10.0.0.6={\"autonomous_system_organization\": \"No number\"}", NULL);
	g = open_ok(NULL, pj, NULL, NULL);
	assert_int_equal(asn_of(g, "10.0.0.1"), 1099511627776);
	assert_int_equal(asn_of(g, "10.0.0.2"), 0);
	assert_int_equal(asn_of(g, "10.0.0.3"), 0);
	assert_int_equal(asn_of(g, "10.0.0.4"), 0);
	assert_int_equal(asn_of(g, "10.0.0.5"), 0);
	assert_int_equal(asn_of(g, "10.0.0.6"), 0);
	q_geoip_free(g);
	unlink(pa);
	unlink(pc);
	unlink(pj);
}

/* The mmdb answers first; the tor tables answer what it does not know. */
static void test_mmdb_and_tor(void **state)
{
	char pm[256], p4[256], p6[256];
	struct q_geoip *g;
	int64_t asn;

	(void)state;
	need_python();
	mkmmdb("country-iso", NULL, "cc.mmdb", pm, sizeof(pm), "10.0.0.0/8=SE", "10.1.0.0/16=USA",
	       "2001:db8::/32=FR", NULL);
	/* 10.0.0.0/8 = 167772160-184549375, 11.0.0.0/8 = 184549376-201326591 */
	write_file("geoip", "167772160,184549375,DE\n184549376,201326591,no\n", p4, sizeof(p4));
	write_file("geoip6",
		   "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,IT\n"
		   "2001:db9::,2001:db9:ffff:ffff:ffff:ffff:ffff:ffff,PL\n",
		   p6, sizeof(p6));
	g = open_ok(pm, NULL, p4, p6);
	assert_string_equal(cc_of(g, "10.0.0.1"), "SE"); /* mmdb, not DE */
	assert_string_equal(cc_of(g, "10.1.0.1"), "DE"); /* mmdb record unusable */
	assert_string_equal(cc_of(g, "11.0.0.1"), "NO"); /* mmdb has no network */
	assert_string_equal(cc_of(g, "::ffff:10.0.0.1"), "SE");
	assert_string_equal(cc_of(g, "::ffff:11.0.0.1"), "NO");
	assert_string_equal(cc_of(g, "12.0.0.1"), ""); /* nobody knows */
	assert_string_equal(cc_of(g, "2001:db8::1"), "FR");
	assert_string_equal(cc_of(g, "2001:db9::1"), "PL");
	assert_string_equal(cc_of(g, "2001:dba::1"), "");
	/* no ASN database: asn is 0 whatever the country source */
	asn = -1;
	assert_string_equal(lookup(g, "10.0.0.1", &asn), "SE");
	assert_int_equal(asn, 0);
	q_geoip_free(g);
	unlink(pm);
	unlink(p4);
	unlink(p6);
}

/* A database with no networks is valid; a truncated one is not. */
static void test_mmdb_empty_truncated(void **state)
{
	char p[256];
	struct q_error err = {0};
	struct q_geoip *g;
	struct stat st;

	(void)state;
	need_python();
	mkmmdb("country", NULL, "empty.mmdb", p, sizeof(p), NULL);
	g = open_ok(p, p, NULL, NULL);
	assert_string_equal(lookup(g, "10.0.0.1", NULL), "");
	assert_string_equal(lookup(g, "2001:db8::1", NULL), "");
	q_geoip_free(g);

	mkmmdb("country", NULL, "cut.mmdb", p, sizeof(p), "10.0.0.0/8=SE", NULL);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(truncate(p, st.st_size / 2), 0); /* the metadata is gone */
	assert_null(q_geoip_open(p, NULL, NULL, NULL, &err));
	assert_int_equal(err.code, Q_EINVAL);
	assert_non_null(strstr(err.msg, "cut.mmdb"));
	unlink(p);
	snprintf(p, sizeof(p), "%s/empty.mmdb", tmpdir);
	unlink(p);
}

static void test_tor_tables(void **state)
{
	char p4[256], p6[256];
	struct q_error err = {0};
	struct q_geoip *g;
	size_t n4, n6;
	char cc[3];
	char longline[600];

	(void)state;
	memset(longline, '1', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	/* 10.0.0.0-10.0.0.255 = 167772160-167772415; 1.0.0.0 = 16777216 */
	write_file("geoip",
		   "# a comment\n"
		   "\n"
		   "167772416,167772671,de\n" /* 10.0.1.0/24, unsorted on purpose */
		   "167772160,167772415,SE\r\n"
		   "16777216,16777216,??\n"
		   "0,0,US\n"
		   "4294967295,4294967295,JP\n"
		   "5,4,XX\n"                   /* low > high */
		   "1,2\n"                      /* two fields */
		   "1,2,USA\n"                  /* three-letter code */
		   "a,2,US\n"                   /* not a number */
		   "4294967296,4294967296,US\n" /* > 32 bits */
		   "1,2,U1,\n",                 /* four fields */
		   p4, sizeof(p4));
	{
		/* an over-long line in the middle, then one more good line */
		FILE *f = fopen(p4, "a");

		assert_non_null(f);
		fputs(longline, f);
		fputs("3232235520,3232301055,CZ", f); /* 192.168.0.0/16, no final newline */
		fclose(f);
	}
	write_file("geoip6",
		   "# v6\n"
		   "2001:718::,2001:718:ffff:ffff:ffff:ffff:ffff:ffff,CZ\n"
		   "2001:db8::,2001:db8::ff,FR\n"
		   "2001:db8::1:0,2001:db8::1:0,??\n"
		   "2001:db8::2,2001:db8::1,FR\n" /* low > high */
		   "zz::,2001:db8::1,FR\n"
		   "1.2.3.4,1.2.3.5,FR\n",
		   p6, sizeof(p6));
	g = q_geoip_open(NULL, NULL, p4, p6, &err);
	assert_non_null(g);
	q_geoip_tor_counts(g, &n4, &n6);
	assert_int_equal(n4, 6);
	assert_int_equal(n6, 3);
	assert_int_equal(q_geoip_malformed(g), 6 + 1 + 3);

	assert_string_equal(cc_of(g, "10.0.0.0"), "SE");
	assert_string_equal(cc_of(g, "10.0.0.255"), "SE");
	assert_string_equal(cc_of(g, "10.0.1.0"), "DE");
	assert_string_equal(cc_of(g, "10.0.1.255"), "DE");
	assert_string_equal(cc_of(g, "10.0.2.0"), "");
	assert_string_equal(cc_of(g, "9.255.255.255"), "");
	assert_string_equal(cc_of(g, "1.0.0.0"), ""); /* "??" */
	assert_string_equal(cc_of(g, "0.0.0.0"), "US");
	assert_string_equal(cc_of(g, "0.0.0.1"), "");
	assert_string_equal(cc_of(g, "255.255.255.255"), "JP");
	assert_string_equal(cc_of(g, "255.255.255.254"), "");
	assert_string_equal(cc_of(g, "192.168.0.0"), "CZ");
	assert_string_equal(cc_of(g, "192.168.255.255"), "CZ");
	assert_string_equal(cc_of(g, "192.169.0.0"), "");
	assert_string_equal(cc_of(g, "::ffff:10.0.0.7"), "SE");

	assert_string_equal(cc_of(g, "2001:718::"), "CZ");
	assert_string_equal(cc_of(g, "2001:718:801::1"), "CZ");
	assert_string_equal(cc_of(g, "2001:718:ffff:ffff:ffff:ffff:ffff:ffff"), "CZ");
	assert_string_equal(cc_of(g, "2001:719::"), "");
	assert_string_equal(cc_of(g, "2001:717:ffff:ffff:ffff:ffff:ffff:ffff"), "");
	assert_string_equal(cc_of(g, "2001:db8::"), "FR");
	assert_string_equal(cc_of(g, "2001:DB8::FF"), "FR");
	assert_string_equal(cc_of(g, "2001:db8::100"), "");
	assert_string_equal(cc_of(g, "2001:db8::1:0"), "");
	assert_string_equal(cc_of(g, "::"), "");

	assert_int_equal(q_geoip_lookup(g, "10.0.0.256", cc, NULL), -1);
	assert_string_equal(cc, "");
	assert_int_equal(q_geoip_lookup(g, "", cc, NULL), -1);
	assert_int_equal(q_geoip_lookup(g, "example.org", cc, NULL), -1);
	assert_int_equal(q_geoip_lookup(g, "fe80::1%eth0", cc, NULL), -1);
	assert_int_equal(q_geoip_lookup(g, " 10.0.0.1", cc, NULL), -1);
	q_geoip_free(g);

	/* nothing configured: everything unknown */
	g = q_geoip_open(NULL, NULL, NULL, NULL, &err);
	assert_non_null(g);
	assert_string_equal(cc_of(g, "10.0.0.1"), "");
	assert_string_equal(cc_of(g, "2001:718::1"), "");
	q_geoip_free(g);
	unlink(p4);
	unlink(p6);
}

static void test_open_errors(void **state)
{
	char p[256], missing[256];
	struct q_error err = {0};

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-such-file", tmpdir);
	assert_null(q_geoip_open(NULL, NULL, missing, NULL, &err));
	assert_int_equal(err.code, Q_EIO);
	assert_non_null(strstr(err.msg, "no-such-file"));

	assert_null(q_geoip_open(missing, NULL, NULL, NULL, &err));
	assert_int_equal(err.code, Q_EIO);
	assert_null(q_geoip_open(NULL, missing, NULL, NULL, &err));
	assert_int_equal(err.code, Q_EIO);

	write_file("garbage.mmdb", "this is not a maxmind database\n", p, sizeof(p));
	assert_null(q_geoip_open(p, NULL, NULL, NULL, &err));
	assert_int_equal(err.code, Q_EINVAL);
	assert_non_null(strstr(err.msg, "garbage.mmdb"));
	assert_null(q_geoip_open(NULL, p, NULL, NULL, &err));
	assert_int_equal(err.code, Q_EINVAL);
	unlink(p);

	/* a directory is not a table */
	assert_null(q_geoip_open(NULL, NULL, NULL, tmpdir, &err));
	assert_int_equal(err.code, Q_EIO);
}

static void test_debian_tables(void **state)
{
	static const char *const ips[] = {"8.8.8.8", "1.1.1.1", "89.160.20.113",
					  "2001:4860:4860::8888", "2001:718:801::1"};
	struct q_error err = {0};
	struct q_geoip *g;
	size_t n4, n6;

	(void)state;
	if (access("/usr/share/tor/geoip", R_OK) != 0 || access("/usr/share/tor/geoip6", R_OK) != 0)
		skip(); /* tor-geoipdb not installed */
	g = q_geoip_open(NULL, NULL, "/usr/share/tor/geoip", "/usr/share/tor/geoip6", &err);
	assert_non_null(g);
	q_geoip_tor_counts(g, &n4, &n6);
	assert_true(n4 > 100000);
	assert_true(n6 > 10000);
	assert_int_equal(q_geoip_malformed(g), 0);
	for (size_t i = 0; i < Q_ARRAY_LEN(ips); i++) {
		const char *cc = cc_of(g, ips[i]);

		print_message("%s -> %s\n", ips[i], cc);
		assert_int_equal(strlen(cc), 2);
		assert_non_null(q_continent_of(cc));
	}
	assert_string_equal(cc_of(g, "127.0.0.1"), "");
	q_geoip_free(g);
}

static void test_continents(void **state)
{
	size_t n = 0;
	char cc[3] = {0};

	(void)state;
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			const char *c;

			cc[0] = a;
			cc[1] = b;
			c = q_continent_of(cc);
			if (!c)
				continue;
			n++;
			assert_true(strcmp(c, "AF") == 0 || strcmp(c, "AN") == 0 ||
				    strcmp(c, "AS") == 0 || strcmp(c, "EU") == 0 ||
				    strcmp(c, "NA") == 0 || strcmp(c, "OC") == 0 ||
				    strcmp(c, "SA") == 0);
		}
	}
	assert_int_equal(n, 249 + 1); /* every ISO 3166-1 code, plus XK */
	assert_string_equal(q_continent_of("DE"), "EU");
	assert_string_equal(q_continent_of("de"), "EU");
	assert_string_equal(q_continent_of("Us"), "NA");
	assert_string_equal(q_continent_of("BR"), "SA");
	assert_string_equal(q_continent_of("JP"), "AS");
	assert_string_equal(q_continent_of("AU"), "OC");
	assert_string_equal(q_continent_of("AQ"), "AN");
	assert_string_equal(q_continent_of("ZA"), "AF");
	assert_string_equal(q_continent_of("AD"), "EU"); /* first */
	assert_string_equal(q_continent_of("ZW"), "AF"); /* last */
	assert_string_equal(q_continent_of("XK"), "EU");
	assert_null(q_continent_of("ZZ"));
	assert_null(q_continent_of("UK")); /* GB is the code */
	assert_null(q_continent_of(""));
	assert_null(q_continent_of("D"));
	assert_null(q_continent_of("DEU"));
	assert_null(q_continent_of("1A"));
	assert_null(q_continent_of("??"));
	assert_null(q_continent_of(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tor_tables),         cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_mmdb_country),       cmocka_unit_test(test_mmdb_country_iso),
	    cmocka_unit_test(test_mmdb_country_paths), cmocka_unit_test(test_mmdb_asn),
	    cmocka_unit_test(test_mmdb_and_tor),       cmocka_unit_test(test_mmdb_empty_truncated),
	    cmocka_unit_test(test_debian_tables),      cmocka_unit_test(test_continents),
	};
	int rc;

	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
