/*
 * test_query.c: the /metalink and /mirrorlist query parser
 * (src/mirror/query.c), one test per rule: repo and arch required and
 * checked, country lists (case, global, duplicates, the 10 limit, bad
 * codes), protocol lists and the default, ip literals (v4, v6, canonical
 * form, junk), netblock=0, redirect, unknown parameters ignored, the last
 * of repeated parameters winning, empty values, and the hostile cases: bad
 * escapes, NUL raw and escaped, an over-long value and query, each named in
 * the error.
 */
#include "core/common.h"
#include "core/error.h"
#include "mirror/query.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static struct q_mlquery q;
static struct q_error err;

static int parse(const char *s)
{
	memset(&err, 0, sizeof(err));
	return q_mlquery_parse(s, strlen(s), &q, &err);
}

/* Parsing fails with Q_EINVAL and a message containing needle. */
static void refused(const char *s, const char *needle)
{
	assert_int_equal(parse(s), -1);
	assert_int_equal(err.code, Q_EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("'%s': message '%s' lacks '%s'", s, err.msg, needle);
	assert_string_equal(q.repo, ""); /* zeroed on failure */
}

static void test_minimal(void **state)
{
	(void)state;
	assert_int_equal(parse("repo=sig-cloud-openstack-9&arch=x86_64"), 0);
	assert_string_equal(q.repo, "sig-cloud-openstack-9");
	assert_string_equal(q.arch, "x86_64");
	assert_false(q.country_global);
	assert_int_equal(q.n_country, 0);
	assert_int_equal(q.protocols, Q_MLPROTO_HTTPS | Q_MLPROTO_HTTP);
	assert_false(q.has_ip);
	assert_true(q.netblock);
	assert_false(q.redirect);
}

static void test_repo(void **state)
{
	char buf[300];

	(void)state;
	refused("arch=x86_64", "'repo' is required");
	refused("repo=&arch=x86_64", "'repo' is required");
	refused("repo&arch=x86_64", "'repo' is required");
	refused("repo=Sig&arch=x86_64", "'repo'");
	refused("repo=a/b&arch=x86_64", "'repo'");
	refused("repo=a%2fb&arch=x86_64", "'repo'");
	refused("repo=a+b&arch=x86_64", "'repo'");
	assert_int_equal(parse("repo=a.b_c-9&arch=noarch"), 0);
	assert_string_equal(q.repo, "a.b_c-9");
	assert_int_equal(parse("repo=%61bc&arch=noarch"), 0);
	assert_string_equal(q.repo, "abc");
	/* 100 characters exactly, then 101 */
	snprintf(buf, sizeof(buf), "repo=%0100d&arch=x86_64", 0);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(strlen(q.repo), 100);
	snprintf(buf, sizeof(buf), "repo=%0101d&arch=x86_64", 0);
	refused(buf, "'repo' must be 1 to 100");
}

static void test_arch(void **state)
{
	static const char *const ok[] = {"x86_64", "aarch64", "ppc64le", "s390x",
					 "noarch", "source",  "i686"};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(ok); i++) {
		snprintf(buf, sizeof(buf), "repo=r&arch=%s", ok[i]);
		assert_int_equal(parse(buf), 0);
		assert_string_equal(q.arch, ok[i]);
	}
	refused("repo=r", "'arch' is required");
	refused("repo=r&arch=", "'arch' is required");
	refused("repo=r&arch=X86_64", "'arch': 'X86_64' is not a known arch");
	refused("repo=r&arch=sparc", "not a known arch");
	refused("repo=r&arch=x86_64%3Cscript%3E", "'arch': 'x86_64?script?'");
	assert_int_equal(q_mlquery_arch_valid("noarch"), 1);
	assert_int_equal(q_mlquery_arch_valid("src"), 0);
}

static void test_country(void **state)
{
	(void)state;
	assert_int_equal(parse("repo=r&arch=x86_64&country=de,Us,cz"), 0);
	assert_int_equal(q.n_country, 3);
	assert_string_equal(q.country[0], "DE");
	assert_string_equal(q.country[1], "US");
	assert_string_equal(q.country[2], "CZ");
	assert_false(q.country_global);

	assert_int_equal(parse("repo=r&arch=x86_64&country=DE,global"), 0);
	assert_true(q.country_global);
	assert_int_equal(q.n_country, 1);
	assert_int_equal(parse("repo=r&arch=x86_64&country=GLOBAL"), 0);
	assert_true(q.country_global);
	assert_int_equal(q.n_country, 0);

	/* duplicates dropped, empty items skipped, empty value = absent */
	assert_int_equal(parse("repo=r&arch=x86_64&country=de,,DE,de,"), 0);
	assert_int_equal(q.n_country, 1);
	assert_int_equal(parse("repo=r&arch=x86_64&country="), 0);
	assert_int_equal(q.n_country, 0);
	assert_int_equal(parse("repo=r&arch=x86_64&country=de%2Cfr"), 0);
	assert_int_equal(q.n_country, 2);

	/* ten is the limit */
	assert_int_equal(parse("repo=r&arch=x86_64&country=aa,bb,cc,dd,ee,ff,gg,hh,ii,jj"), 0);
	assert_int_equal(q.n_country, 10);
	refused("repo=r&arch=x86_64&country=aa,bb,cc,dd,ee,ff,gg,hh,ii,jj,kk",
		"'country' has more than 10");
	/* global does not count */
	assert_int_equal(parse("repo=r&arch=x86_64&country=aa,bb,cc,dd,ee,ff,gg,hh,ii,jj,global"),
			 0);

	refused("repo=r&arch=x86_64&country=deu", "'country': 'deu' is not a two-letter");
	refused("repo=r&arch=x86_64&country=d", "'country'");
	refused("repo=r&arch=x86_64&country=d1", "'country'");
	refused("repo=r&arch=x86_64&country=de+fr", "'country': 'de?fr'");
	refused("repo=r&arch=x86_64&country=%C3%A9e", "'country'");
}

static void test_protocol(void **state)
{
	(void)state;
	assert_int_equal(parse("repo=r&arch=x86_64&protocol=https"), 0);
	assert_int_equal(q.protocols, Q_MLPROTO_HTTPS);
	assert_int_equal(parse("repo=r&arch=x86_64&protocol=rsync,HTTP"), 0);
	assert_int_equal(q.protocols, Q_MLPROTO_RSYNC | Q_MLPROTO_HTTP);
	assert_int_equal(parse("repo=r&arch=x86_64&protocol=https,http,rsync"), 0);
	assert_int_equal(q.protocols, Q_MLPROTO_HTTPS | Q_MLPROTO_HTTP | Q_MLPROTO_RSYNC);
	assert_int_equal(parse("repo=r&arch=x86_64&protocol="), 0);
	assert_int_equal(q.protocols, Q_MLPROTO_HTTPS | Q_MLPROTO_HTTP);
	assert_int_equal(parse("repo=r&arch=x86_64&protocol=,"), 0);
	assert_int_equal(q.protocols, Q_MLPROTO_HTTPS | Q_MLPROTO_HTTP);
	refused("repo=r&arch=x86_64&protocol=ftp", "'protocol': 'ftp' is not https");
	refused("repo=r&arch=x86_64&protocol=https,gopher", "'gopher'");
}

static void test_ip(void **state)
{
	(void)state;
	assert_int_equal(parse("repo=r&arch=x86_64&ip=89.160.20.113"), 0);
	assert_true(q.has_ip);
	assert_int_equal(q.ip_family, AF_INET);
	assert_string_equal(q.ip, "89.160.20.113");
	assert_int_equal(parse("repo=r&arch=x86_64&ip=2001:0718:0801:0000::0001"), 0);
	assert_int_equal(q.ip_family, AF_INET6);
	assert_string_equal(q.ip, "2001:718:801::1"); /* canonical */
	assert_int_equal(parse("repo=r&arch=x86_64&ip=2001%3A718%3A801%3A%3A1"), 0);
	assert_string_equal(q.ip, "2001:718:801::1");
	assert_int_equal(parse("repo=r&arch=x86_64&ip="), 0);
	assert_false(q.has_ip);
	refused("repo=r&arch=x86_64&ip=1.2.3", "'ip' is not an IPv4 or IPv6");
	refused("repo=r&arch=x86_64&ip=1.2.3.256", "'ip'");
	refused("repo=r&arch=x86_64&ip=example.org", "'ip'");
	refused("repo=r&arch=x86_64&ip=fe80::1%25eth0", "'ip'");
	refused("repo=r&arch=x86_64&ip=[::1]", "'ip'");
	refused("repo=r&arch=x86_64&ip=+1.2.3.4", "'ip'");
}

static void test_flags(void **state)
{
	(void)state;
	assert_int_equal(parse("repo=r&arch=x86_64&netblock=0"), 0);
	assert_false(q.netblock);
	assert_int_equal(parse("repo=r&arch=x86_64&netblock=1"), 0);
	assert_true(q.netblock);
	assert_int_equal(parse("repo=r&arch=x86_64&netblock"), 0);
	assert_true(q.netblock);
	assert_int_equal(parse("repo=r&arch=x86_64&redirect"), 0);
	assert_true(q.redirect);
	assert_int_equal(parse("redirect=1&repo=r&arch=x86_64"), 0);
	assert_true(q.redirect);
	assert_int_equal(parse("repo=r&arch=x86_64&redirect="), 0);
	assert_true(q.redirect);
	assert_int_equal(parse("repo=r&arch=x86_64&redirect=0"), 0);
	assert_false(q.redirect);
	assert_int_equal(parse("repo=r&arch=x86_64&redirect=False"), 0);
	assert_false(q.redirect);
}

static void test_unknown_and_repeated(void **state)
{
	(void)state;
	/* dnf's countme, other unknown names, empty pairs */
	assert_int_equal(parse("repo=r&arch=x86_64&countme=1&infra=stock&&content=centos&"), 0);
	assert_int_equal(parse("&&repo=r&&arch=x86_64"), 0);
	assert_int_equal(parse("Repo=x&repo=r&arch=x86_64"), 0); /* names are case-sensitive */
	assert_string_equal(q.repo, "r");
	/* the last one wins, even over an invalid earlier value */
	assert_int_equal(parse("repo=a&arch=sparc&repo=b&arch=aarch64"), 0);
	assert_string_equal(q.repo, "b");
	assert_string_equal(q.arch, "aarch64");
	assert_int_equal(parse("repo=r&arch=x86_64&country=de&country=fr"), 0);
	assert_int_equal(q.n_country, 1);
	assert_string_equal(q.country[0], "FR");
	assert_int_equal(parse("repo=r&arch=x86_64&netblock=0&netblock=1"), 0);
	assert_true(q.netblock);
	refused("repo=r&repo=&arch=x86_64", "'repo' is required");
	/* an escaped name is decoded */
	assert_int_equal(parse("%72epo=r&arch=x86_64"), 0);
	assert_string_equal(q.repo, "r");
}

static void test_hostile(void **state)
{
	char *big;
	char buf[600];

	(void)state;
	refused("repo=r&arch=x86_64&country=%zz", "'country' is malformed");
	refused("repo=r&arch=x86_64&country=%4", "'country' is malformed");
	refused("repo=r&arch=x86_64&country=de%", "'country' is malformed");
	refused("repo=r%00&arch=x86_64", "'repo' is malformed");
	refused("repo=r&arch=x86_64&countme=%00", "'countme' is malformed");
	refused("repo=r&arch=x86_64&co%zzuntry=de", "name 'co?zzuntry' is malformed");
	refused("repo=r&arch=x86_64&%3Cx%3E=%", "'?x?' is malformed");
	assert_int_equal(q_mlquery_parse("repo=r\0&arch=x86_64", 19, &q, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));

	/* a value of 256 decoded bytes is fine, 257 is not */
	snprintf(buf, sizeof(buf), "repo=r&arch=x86_64&countme=%0256d", 0);
	assert_int_equal(parse(buf), 0);
	snprintf(buf, sizeof(buf), "repo=r&arch=x86_64&countme=%0257d", 0);
	refused(buf, "'countme' is malformed (a bad %-escape, a NUL, or longer than 256 bytes)");
	snprintf(buf, sizeof(buf), "repo=r&arch=x86_64&%0257d=1", 0);
	refused(buf, "parameter name '000000");

	/* the whole query: 4096 bytes accepted, 4097 refused */
	big = malloc(8192);
	assert_non_null(big);
	memset(big, 0, 8192);
	memcpy(big, "repo=r&arch=x86_64", 18);
	for (size_t n = 18; n < 4096;) {
		size_t room = 4096 - n, k = room > 203 ? 200 : room - 3;

		if (room <= 3) {
			big[n++] = '&';
			memset(big + n, 'z', room - 1);
			n += room - 1;
			continue;
		}
		memcpy(big + n, "&x=", 3);
		memset(big + n + 3, 'a', k);
		n += 3 + k;
	}
	assert_int_equal(strlen(big), 4096);
	assert_int_equal(parse(big), 0);
	big[4096] = '4';
	refused(big, "query string is longer than 4096 bytes");
	free(big);

	/* a NULL or empty query is a missing repo, not a crash */
	assert_int_equal(q_mlquery_parse(NULL, 5, &q, &err), -1);
	assert_int_equal(q_mlquery_parse("", 0, &q, &err), -1);
	refused("&&&", "'repo' is required");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal),  cmocka_unit_test(test_repo),
	    cmocka_unit_test(test_arch),     cmocka_unit_test(test_country),
	    cmocka_unit_test(test_protocol), cmocka_unit_test(test_ip),
	    cmocka_unit_test(test_flags),    cmocka_unit_test(test_unknown_and_repeated),
	    cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
