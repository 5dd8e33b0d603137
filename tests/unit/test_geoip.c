/*
 * test_geoip.c: src/mirror/geoip.c and continents.c. Tor-format tables
 * (IPv4 and IPv6) written by the test: lookups at the first and last
 * address of a range and one outside it, "??" as unknown, comments, CRLF,
 * malformed lines counted and skipped, an over-long line, unsorted input,
 * IPv4-mapped IPv6, bad literals. The Debian tor-geoipdb tables when
 * installed (a few well-known addresses get some country). .mmdb: there is
 * no mmdb writer here, so only the failures (a missing file, a garbage
 * file) are tested. The continent table: every code once, case, bad input.
 */
#include "core/common.h"
#include "core/error.h"
#include "mirror/geoip.h"

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
	    cmocka_unit_test(test_tor_tables),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_debian_tables),
	    cmocka_unit_test(test_continents),
	};
	int rc;

	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
