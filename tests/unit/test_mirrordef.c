/*
 * test_mirrordef.c: the mirror definition loader (src/mirror/mirrordef.c):
 * the domain.md example and the other samples in tests/data/mirrors.d with
 * every field; one test per schema rule (bandwidth, Quarry's extension,
 * included), each asserting the exact FILE:LINE:COL, field and message;
 * broken YAML, several documents, anchors, aliases and tags; the size
 * limits (string, list, file); every error of a file reported;
 * directories (sorted, duplicate names across files, nothing returned on
 * error); CIDR parsing and containment.
 */
#include "core/common.h"
#include "mirror/mirrordef.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* A valid definition: the rule tests append a line or replace one. */
#define BASE                                                                                       \
	"name: mirror.example.cz\n"                                                                \
	"address:\n"                                                                               \
	"  http: http://mirror.example.cz/pub/\n"                                                  \
	"  https: https://mirror.example.cz/pub/\n"                                                \
	"update_frequency: 2h\n"                                                                   \
	"sponsor: Example University\n"                                                            \
	"sponsor_url: https://www.example.cz/\n"

/* The address/update/sponsor part of BASE, for tests that change the name. */
#define REST                                                                                       \
	"address:\n"                                                                               \
	"  https: https://m.example/\n"                                                            \
	"update_frequency: 2h\n"                                                                   \
	"sponsor: S\n"                                                                             \
	"sponsor_url: https://s.example/\n"

static char *data_path(const char *name)
{
	const char *src = getenv("QUARRY_SRC");

	return g_build_filename(src ? src : ".", "tests", "data", "mirrors.d", name, NULL);
}

static int parse(const char *text, struct q_mirror_def *d, GString *errors)
{
	g_string_truncate(errors, 0);
	return q_mirrordef_parse("t.yml", text, strlen(text), d, errors);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* text's errors are exactly lines (one or more, without the final '\n'). */
static void expect_error(const char *text, const char *line)
{
	struct q_mirror_def d;
	GString *errors = g_string_new(NULL);
	char *want = g_strconcat(line, "\n", NULL);
	int n = parse(text, &d, errors), lines = count_lines(want);

	if (n != lines || strcmp(errors->str, want) != 0)
		fprintf(stderr, "input:\n%s\nwant: %sgot %d: %s", text, want, n, errors->str);
	assert_int_equal(n, lines);
	assert_string_equal(errors->str, want);
	assert_null(d.name);
	q_mirrordef_release(&d);
	g_free(want);
	g_string_free(errors, TRUE);
}

static void expect_ok(const char *text, struct q_mirror_def *d)
{
	GString *errors = g_string_new(NULL);
	int n = parse(text, d, errors);

	if (n)
		fprintf(stderr, "input:\n%s\ngot: %s", text, errors->str);
	assert_int_equal(n, 0);
	assert_string_equal(errors->str, "");
	g_string_free(errors, TRUE);
}

static void test_domain_example(void **state)
{
	char *path = data_path("mirror.example.cz.yml"), *text, *dump;
	struct q_mirror_def d;
	GString *errors = g_string_new(NULL);
	char buf[Q_CIDR_STRLEN];
	gsize len;
	json_t *j;

	(void)state;
	assert_true(g_file_get_contents(path, &text, &len, NULL));
	assert_int_equal(q_mirrordef_parse(path, text, len, &d, errors), 0);
	assert_string_equal(errors->str, "");
	assert_string_equal(d.file, path);
	assert_int_equal(d.line, 1);
	assert_int_equal(d.name_line, 1);
	assert_int_equal(d.name_col, 7);
	assert_string_equal(d.name, "mirror.example.cz");
	assert_string_equal(d.http, "http://mirror.example.cz/pub/");
	assert_string_equal(d.https, "https://mirror.example.cz/pub/");
	assert_string_equal(d.rsync, "rsync://mirror.example.cz/pub/");
	assert_null(d.ftp);
	assert_string_equal(d.country, "CZ");
	assert_string_equal(d.state_province, "South Moravian Region");
	assert_string_equal(d.city, "Brno");
	assert_string_equal(d.update_frequency, "2h");
	assert_int_equal(d.update_seconds, 7200);
	assert_string_equal(d.sponsor, "Example University");
	assert_string_equal(d.sponsor_url, "https://www.example.cz/");
	assert_string_equal(d.email, "mirror-admin@example.cz");
	assert_false(d.is_private);
	assert_false(d.monopoly);
	assert_int_equal(d.n_asn, 1);
	assert_int_equal(d.asn[0], 2852);
	assert_int_equal(d.n_subnets, 2);
	assert_string_equal(q_cidr_format(&d.subnets[0], buf, sizeof(buf)), "147.251.0.0/16");
	assert_string_equal(q_cidr_format(&d.subnets[1], buf, sizeof(buf)), "2001:718:801::/48");
	assert_null(d.cloud_type);
	assert_int_equal(d.n_cloud_regions, 0);
	assert_int_equal(d.bandwidth, 100); /* absent: the default */

	j = q_mirrordef_to_json(&d);
	assert_non_null(j);
	dump = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(
	    dump,
	    "{\"address\":{\"http\":\"http://mirror.example.cz/pub/\",\"https\":\"https://"
	    "mirror.example.cz/pub/\",\"rsync\":\"rsync://mirror.example.cz/pub/\"},\"asn\":[2852],"
	    "\"bandwidth\":100,\"cloud_regions\":[],\"email\":\"mirror-admin@example.cz\","
	    "\"geolocation\":{\"city\":"
	    "\"Brno\",\"country\":\"CZ\",\"state_province\":\"South Moravian Region\"},"
	    "\"monopoly\":false,\"name\":\"mirror.example.cz\",\"private\":false,\"sponsor\":"
	    "\"Example University\",\"sponsor_url\":\"https://www.example.cz/\",\"subnets\":[\"147."
	    "251.0.0/16\",\"2001:718:801::/48\"],\"update_frequency\":\"2h\",\"update_seconds\":"
	    "7200}");
	free(dump);
	json_decref(j);
	q_mirrordef_release(&d);
	q_mirrordef_release(&d); /* released twice: zeroed, harmless */
	g_string_free(errors, TRUE);
	g_free(text);
	g_free(path);
}

/* private.example.net.yaml: the other fields, and the normalisations. */
static void test_private_sample(void **state)
{
	char *path = data_path("private.example.net.yaml"), *text;
	struct q_mirror_def d;
	GString *errors = g_string_new(NULL);
	char buf[Q_CIDR_STRLEN];
	gsize len;

	(void)state;
	assert_true(g_file_get_contents(path, &text, &len, NULL));
	assert_int_equal(q_mirrordef_parse(path, text, len, &d, errors), 0);
	assert_int_equal(d.line, 3);                        /* after the comment */
	assert_string_equal(d.name, "private.example.net"); /* lower-cased */
	assert_null(d.http);
	assert_string_equal(d.https, "https://private.example.net:8443/almalinux/"); /* '/' added */
	assert_string_equal(d.ftp, "ftp://ftp.example.net/pub/almalinux/");
	assert_int_equal(d.update_seconds, 1800);
	assert_string_equal(d.sponsor_url, "http://www.example.net"); /* kept as written */
	assert_null(d.email);                                         /* "email:" is absent */
	assert_string_equal(d.country, "DE");                         /* upper-cased */
	assert_null(d.state_province);
	assert_string_equal(d.city, "Berlin");
	assert_true(d.is_private);
	assert_true(d.monopoly);
	assert_int_equal(d.n_asn, 2);
	assert_int_equal(d.asn[0], 64500);
	assert_int_equal(d.asn[1], 4294967295u);
	assert_int_equal(d.n_subnets, 3);
	assert_string_equal(q_cidr_format(&d.subnets[1], buf, sizeof(buf)), "198.51.100.7/32");
	assert_string_equal(q_cidr_format(&d.subnets[2], buf, sizeof(buf)), "2001:db8::/32");
	q_mirrordef_release(&d);
	g_string_free(errors, TRUE);
	g_free(text);
	g_free(path);
}

static void test_cloud_sample(void **state)
{
	char *path = data_path("cloud.example.org.yml"), *text;
	struct q_mirror_def d;
	GString *errors = g_string_new(NULL);
	gsize len;

	(void)state;
	assert_true(g_file_get_contents(path, &text, &len, NULL));
	assert_int_equal(q_mirrordef_parse(path, text, len, &d, errors), 0);
	assert_int_equal(d.update_seconds, 86400);
	assert_string_equal(d.sponsor_url, "https://example.org/sponsor?ref=mirrors");
	assert_string_equal(d.cloud_type, "aws");
	assert_int_equal(d.n_cloud_regions, 2);
	assert_string_equal(d.cloud_regions[1], "eu-central-1");
	assert_null(d.country);
	q_mirrordef_release(&d);
	g_string_free(errors, TRUE);
	g_free(text);
	g_free(path);
}

static void test_issue_example(void **state)
{
	(void)state;
	/* The message the issue's brief gives, at 3:10. */
	expect_error("name: x.example\n"
		     "address:\n"
		     "  https: ftp://x/\n"
		     "update_frequency: 2h\n"
		     "sponsor: S\n"
		     "sponsor_url: https://s.example/\n",
		     "t.yml:3:10: 'address.https': 'ftp://x/' is not an https URL");
}

static void test_required(void **state)
{
	(void)state;
	expect_error(REST, "t.yml:1:1: 'name': missing required field");
	expect_error("name: a.example\n"
		     "update_frequency: 2h\n"
		     "sponsor: S\n"
		     "sponsor_url: https://s.example/\n",
		     "t.yml:1:1: 'address': missing required field");
	expect_error("name: a.example\n"
		     "address: {https: https://a/}\n"
		     "sponsor: S\n"
		     "sponsor_url: https://s.example/\n",
		     "t.yml:1:1: 'update_frequency': missing required field");
	expect_error("name: a.example\n"
		     "address: {https: https://a/}\n"
		     "update_frequency: 2h\n"
		     "sponsor_url: https://s.example/\n",
		     "t.yml:1:1: 'sponsor': missing required field");
	expect_error("name: a.example\n"
		     "address: {https: https://a/}\n"
		     "update_frequency: 2h\n"
		     "sponsor: S\n",
		     "t.yml:1:1: 'sponsor_url': missing required field");
	/* Present but empty: reported at the key. */
	expect_error("name: a.example\n"
		     "address: {https: https://a/}\n"
		     "update_frequency: 2h\n"
		     "sponsor: ''\n"
		     "sponsor_url: https://s.example/\n",
		     "t.yml:4:1: 'sponsor': empty value for a required field");
	/* The mapping's own line when the document does not start at line 1. */
	expect_error(
	    "# comment\n\n  sponsor: S\n  sponsor_url: https://s/\n  update_frequency: 2h\n"
	    "  address: {https: https://a/}\n",
	    "t.yml:3:3: 'name': missing required field");
}

static void test_name(void **state)
{
	(void)state;
	expect_error("name: https://mirror.example.cz\n" REST,
		     "t.yml:1:7: 'name': 'https://mirror.example.cz' is not a host name: it has a "
		     "scheme (write only the host name)");
	expect_error(
	    "name: mirror.example.cz/\n" REST,
	    "t.yml:1:7: 'name': 'mirror.example.cz/' is not a host name: it ends with '/'");
	expect_error("name: mirror.example.cz/pub\n" REST,
		     "t.yml:1:7: 'name': 'mirror.example.cz/pub' is not a host name: it has a path "
		     "(write only the host name)");
	expect_error("name: -bad.example\n" REST,
		     "t.yml:1:7: 'name': '-bad.example' is not a host name: a label starts or ends "
		     "with '-'");
	expect_error("name: a..example\n" REST,
		     "t.yml:1:7: 'name': 'a..example' is not a host name: it has an empty label");
	expect_error("name: a_b.example\n" REST,
		     "t.yml:1:7: 'name': 'a_b.example' is not a host name: it contains a character "
		     "other than letters, digits, '-' and '.'");
	expect_error(
	    "name: "
	    "a234567890123456789012345678901234567890123456789012345678901234.example\n" REST,
	    "t.yml:1:7: 'name': "
	    "'a23456789012345678901234567890123456789012345678901234567890...' is not a "
	    "host name: it has a label longer than 63 bytes");
	expect_error("name: [a.example]\n" REST,
		     "t.yml:1:7: 'name': expected a string, got a list");
}

/* BASE's address mapping with one line (KEY: VALUE at line 3) instead. */
#define ADDR(line)                                                                                 \
	"name: a.example\n"                                                                        \
	"address:\n"                                                                               \
	"  " line "\n"                                                                             \
	"update_frequency: 2h\n"                                                                   \
	"sponsor: S\n"                                                                             \
	"sponsor_url: https://s.example/\n"

static void test_address(void **state)
{
	struct q_mirror_def d;

	(void)state;
	expect_error(ADDR("ftp: ftp://a.example/pub/"),
		     "t.yml:3:3: 'address': an 'http', 'https' or 'rsync' URL is required");
	expect_error("name: a.example\n"
		     "address: https://a.example/\n"
		     "update_frequency: 2h\n"
		     "sponsor: S\n"
		     "sponsor_url: https://s.example/\n",
		     "t.yml:2:10: 'address': expected a mapping, got a scalar");
	expect_error(ADDR("http: https://a.example/"),
		     "t.yml:3:9: 'address.http': 'https://a.example/' is not an http URL");
	expect_error(ADDR("http: a.example/pub/"),
		     "t.yml:3:9: 'address.http': 'a.example/pub/' is not a URL (expected "
		     "http://HOST/...)");
	expect_error(ADDR("https: https:///pub/"),
		     "t.yml:3:10: 'address.https': 'https:///pub/' is not a valid URL: it has no "
		     "host");
	expect_error(
	    ADDR("https: https://user@a.example/"),
	    "t.yml:3:10: 'address.https': 'https://user@a.example/' is not a valid URL: it "
	    "must not contain user information ('@')");
	expect_error(ADDR("https: https://a.example:99999/"),
		     "t.yml:3:10: 'address.https': 'https://a.example:99999/' is not a valid URL: "
		     "its port is not a number 1..65535");
	expect_error(
	    ADDR("https: https://a.example/pub/?x=1"),
	    "t.yml:3:10: 'address.https': 'https://a.example/pub/?x=1': a mirror URL has no "
	    "query or fragment");
	expect_error(ADDR("https: https://a.example/pub/\n  rsync: http://a.example/pub/"),
		     "t.yml:4:10: 'address.rsync': 'http://a.example/pub/' is not an rsync URL");
	expect_error(ADDR("https: https://a.example/\n  ftp: https://a.example/"),
		     "t.yml:4:8: 'address.ftp': 'https://a.example/' is not an ftp URL");
	expect_error(ADDR("https: https://a.example/\n  gopher: gopher://a.example/"),
		     "t.yml:4:3: 'address.gopher': unknown key");
	/* Normalised: a final '/' added; IPv6 and IPv4 hosts with ports. */
	expect_ok(ADDR("https: https://[2001:db8::1]:8443/pub\n  http: http://192.0.2.1"), &d);
	assert_string_equal(d.https, "https://[2001:db8::1]:8443/pub/");
	assert_string_equal(d.http, "http://192.0.2.1/");
	q_mirrordef_release(&d);
	/* Schemes compare without case and are stored lower-case (the snapshot and
	 * the crawler compare them exactly). */
	expect_ok(ADDR("https: HTTPS://a.example/Pub/\n  http: Http://a.example/"), &d);
	assert_string_equal(d.https, "https://a.example/Pub/");
	assert_string_equal(d.http, "http://a.example/");
	q_mirrordef_release(&d);
}

static void test_update_frequency(void **state)
{
	struct q_mirror_def d;

	(void)state;
	expect_error(
	    "name: a.example\naddress: {https: 'https://a/'}\nupdate_frequency: 2x\n"
	    "sponsor: S\nsponsor_url: https://s/\n",
	    "t.yml:3:19: 'update_frequency': '2x' is not a frequency: expected a number and "
	    "a unit m, h, d or w ('2h'), from 1m to 30d");
	expect_error(
	    "name: a.example\naddress: {https: 'https://a/'}\nupdate_frequency: 31d\n"
	    "sponsor: S\nsponsor_url: https://s/\n",
	    "t.yml:3:19: 'update_frequency': '31d' is not a frequency: expected a number and "
	    "a unit m, h, d or w ('2h'), from 1m to 30d");
	expect_error(
	    "name: a.example\naddress: {https: 'https://a/'}\nupdate_frequency: 0m\n"
	    "sponsor: S\nsponsor_url: https://s/\n",
	    "t.yml:3:19: 'update_frequency': '0m' is not a frequency: expected a number and "
	    "a unit m, h, d or w ('2h'), from 1m to 30d");
	expect_error("name: a.example\naddress: {https: 'https://a/'}\nupdate_frequency: [2h]\n"
		     "sponsor: S\nsponsor_url: https://s/\n",
		     "t.yml:3:19: 'update_frequency': expected a string, got a list");
	expect_ok("name: a.example\naddress: {https: 'https://a/'}\nupdate_frequency: 1w\n"
		  "sponsor: S\nsponsor_url: https://s/\n",
		  &d);
	assert_int_equal(d.update_seconds, 7 * 86400);
	q_mirrordef_release(&d);
}

static void test_sponsor_email(void **state)
{
	(void)state;
	expect_error(BASE "sponsor: again\n",
		     "t.yml:8:1: 'sponsor': duplicate key (first at line 6, column 1)");
	expect_error("name: a.example\naddress: {https: 'https://a/'}\nupdate_frequency: 2h\n"
		     "sponsor: {name: S}\nsponsor_url: https://s/\n",
		     "t.yml:4:10: 'sponsor': expected a string, got a mapping");
	expect_error("name: a.example\naddress: {https: 'https://a/'}\nupdate_frequency: 2h\n"
		     "sponsor: S\nsponsor_url: ftp://s/\n",
		     "t.yml:5:14: 'sponsor_url': 'ftp://s/' is not an http or https URL");
	expect_error(BASE "email: admin.example.cz\n",
		     "t.yml:8:8: 'email': 'admin.example.cz' is not an email address");
	expect_error(BASE "email: \"a@b\\tc\"\n",
		     "t.yml:8:8: 'email': value contains a control character (0x09)");
}

static void test_geolocation(void **state)
{
	(void)state;
	expect_error(
	    BASE "geolocation: {country: XX}\n",
	    "t.yml:8:24: 'geolocation.country': 'XX' is not an assigned ISO 3166-1 country "
	    "code");
	expect_error(BASE "geolocation: {country: CZE}\n",
		     "t.yml:8:24: 'geolocation.country': 'CZE' is not a two-letter ISO 3166-1 "
		     "country code");
	expect_error(BASE "geolocation:\n  city: Brno\n",
		     "t.yml:9:3: 'geolocation.country': missing required field");
	expect_error(BASE "geolocation: {country: CZ, town: Brno}\n",
		     "t.yml:8:28: 'geolocation.town': unknown key");
	expect_error(BASE "geolocation: CZ\n",
		     "t.yml:8:14: 'geolocation': expected a mapping, got a scalar");
}

static void test_private_monopoly(void **state)
{
	(void)state;
	expect_error(BASE "private: yes\n",
		     "t.yml:8:10: 'private': expected true or false, got 'yes'");
	expect_error(BASE "private: 'true'\n",
		     "t.yml:8:10: 'private': expected true or false, got 'true'");
	expect_error(BASE "monopoly: true\n",
		     "t.yml:8:11: 'monopoly': 'monopoly: true' requires 'private: true'");
	expect_error(BASE "private: false\nmonopoly: true\n",
		     "t.yml:9:11: 'monopoly': 'monopoly: true' requires 'private: true'");
}

static void test_asn(void **state)
{
	(void)state;
	expect_error(BASE "asn: '2852'\n",
		     "t.yml:8:6: 'asn': expected an AS number, got the string '2852' (drop the "
		     "quotes)");
	expect_error(BASE "asn: 0\n", "t.yml:8:6: 'asn': '0' is not an AS number (1..4294967295)");
	expect_error(BASE "asn: 4294967296\n",
		     "t.yml:8:6: 'asn': '4294967296' is not an AS number (1..4294967295)");
	expect_error(BASE "asn: -5\n",
		     "t.yml:8:6: 'asn': '-5' is not an AS number (1..4294967295)");
	expect_error(BASE "asn: [1, AS2, 3]\n",
		     "t.yml:8:10: 'asn[1]': 'AS2' is not an AS number (1..4294967295)");
	expect_error(BASE "asn: {a: 1}\n", "t.yml:8:6: 'asn': expected a list, got a mapping");
}

/* bandwidth: a Quarry extension, Mbit/s, following asn's rules for integers. */
static void test_bandwidth(void **state)
{
	static const struct {
		const char *text;
		uint32_t want;
	} ok[] = {
	    {BASE, 100},
	    {BASE "bandwidth:\n", 100},
	    {BASE "bandwidth: ~\n", 100},
	    {BASE "bandwidth: 1\n", 1},
	    {BASE "bandwidth: 1000\n", 1000},
	    {BASE "bandwidth: 1000000\n", 1000000},
	    {"bandwidth: 40000\n" BASE, 40000},
	};
	struct q_mirror_def d;
	json_t *j;

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(ok); i++) {
		expect_ok(ok[i].text, &d);
		assert_int_equal(d.bandwidth, ok[i].want);
		j = q_mirrordef_to_json(&d);
		assert_non_null(j);
		assert_true(json_is_integer(json_object_get(j, "bandwidth")));
		assert_int_equal(json_integer_value(json_object_get(j, "bandwidth")), ok[i].want);
		json_decref(j);
		q_mirrordef_release(&d);
	}

	expect_error(BASE "bandwidth: 0\n",
		     "t.yml:8:12: 'bandwidth': '0' is not a bandwidth in Mbit/s (1..1000000)");
	expect_error(
	    BASE "bandwidth: 1000001\n",
	    "t.yml:8:12: 'bandwidth': '1000001' is not a bandwidth in Mbit/s (1..1000000)");
	expect_error(BASE "bandwidth: 4294967297\n",
		     "t.yml:8:12: 'bandwidth': '4294967297' is not a bandwidth in Mbit/s "
		     "(1..1000000)");
	expect_error(BASE "bandwidth: 99999999999999999999999\n",
		     "t.yml:8:12: 'bandwidth': '99999999999999999999999' is not a bandwidth in "
		     "Mbit/s (1..1000000)");
	expect_error(BASE "bandwidth: -5\n",
		     "t.yml:8:12: 'bandwidth': '-5' is not a bandwidth in Mbit/s (1..1000000)");
	expect_error(BASE "bandwidth: 0100\n",
		     "t.yml:8:12: 'bandwidth': '0100' is not a bandwidth in Mbit/s (1..1000000)");
	expect_error(BASE "bandwidth: 10.5\n",
		     "t.yml:8:12: 'bandwidth': '10.5' is not a bandwidth in Mbit/s (1..1000000)");
	expect_error(BASE "bandwidth: 1G\n",
		     "t.yml:8:12: 'bandwidth': '1G' is not a bandwidth in Mbit/s (1..1000000)");
	expect_error(BASE "bandwidth: true\n",
		     "t.yml:8:12: 'bandwidth': 'true' is not a bandwidth in Mbit/s (1..1000000)");
	expect_error(BASE "bandwidth: '1000'\n",
		     "t.yml:8:12: 'bandwidth': expected a number of Mbit/s, got the string '1000' "
		     "(drop the quotes)");
	expect_error(BASE "bandwidth: \"1000\"\n",
		     "t.yml:8:12: 'bandwidth': expected a number of Mbit/s, got the string '1000' "
		     "(drop the quotes)");
	expect_error(BASE "bandwidth: [1000]\n",
		     "t.yml:8:12: 'bandwidth': expected a number of Mbit/s, got a list");
	expect_error(BASE "bandwidth:\n  - 1000\n  - 10\n",
		     "t.yml:9:3: 'bandwidth': expected a number of Mbit/s, got a list");
	expect_error(BASE "bandwidth: {mbit: 1000}\n",
		     "t.yml:8:12: 'bandwidth': expected a number of Mbit/s, got a mapping");
	expect_error(BASE "bandwidth: 100\nbandwidth: 200\n",
		     "t.yml:9:1: 'bandwidth': duplicate key (first at line 8, column 1)");
}

static void test_subnets(void **state)
{
	(void)state;
	expect_error(
	    BASE "subnets: ['147.251.1.0/16']\n",
	    "t.yml:8:11: 'subnets[0]': '147.251.1.0/16' is not a network: host bits set (did "
	    "you mean '147.251.0.0/16'?)");
	expect_error(
	    BASE "subnets:\n  - 10.0.0.0/8\n  - 2001:db8::/129\n",
	    "t.yml:10:5: 'subnets[1]': '2001:db8::/129' is not a network: prefix length 129 "
	    "is out of range 0..128");
	expect_error(BASE "subnets: 10.0.0.0/8\n",
		     "t.yml:8:10: 'subnets': expected a list, got a scalar");
	expect_error(BASE "subnets: [[10.0.0.0/8]]\n",
		     "t.yml:8:11: 'subnets[0]': expected a string, got a list");
}

static void test_cloud(void **state)
{
	(void)state;
	expect_error(BASE "cloud_regions: [us-east-1]\n",
		     "t.yml:8:1: 'cloud_regions': 'cloud_regions' requires 'cloud_type'");
	expect_error(BASE "cloud_type: aws\ncloud_regions: us-east-1\n",
		     "t.yml:9:16: 'cloud_regions': expected a list, got a scalar");
}

static void test_unknown_and_duplicate_keys(void **state)
{
	(void)state;
	expect_error(BASE "sponser: typo\n", "t.yml:8:1: 'sponser': unknown key");
	expect_error(BASE "name: other.example\n",
		     "t.yml:8:1: 'name': duplicate key (first at line 1, column 1)");
	expect_error(BASE "? [a, b]\n: c\n", "t.yml:8:3: a key must be a string, not a list");
}

static void test_broken_yaml(void **state)
{
	(void)state;
	expect_error(
	    "name: a.example\naddress: {https: x\nsponsor: S\n",
	    "t.yml:3:8: yaml: did not find expected ',' or '}' (while parsing a flow mapping "
	    "at line 2, column 10)");
	expect_error("name: a\n\tsponsor: S\n",
		     "t.yml:2:1: yaml: found a tab character that violates indentation (while "
		     "scanning a plain scalar at line 1, column 7)");
	expect_error("", "t.yml:1:1: file is empty: expected a mapping");
	expect_error("# nothing\n", "t.yml:1:1: file is empty: expected a mapping");
	expect_error("- a\n- b\n", "t.yml:1:1: the top level must be a mapping, not a list");
}

static void test_yaml_features_refused(void **state)
{
	(void)state;
	expect_error(BASE "---\nname: second.example\n",
		     "t.yml:8:1: more than one YAML document (one mirror per file)");
	expect_error(BASE "email: &e a@b.example\n",
		     "t.yml:8:8: anchor '&e' not allowed (no anchors or aliases)");
	expect_error("name: a.example\naddress: {https: 'https://a/'}\nupdate_frequency: 2h\n"
		     "sponsor: S\nsponsor_url: https://s/\ncity: &c x\n",
		     "t.yml:6:1: 'city': unknown key\n"
		     "t.yml:6:7: anchor '&c' not allowed (no anchors or aliases)");
	expect_error(BASE "email: *e\n", "t.yml:8:8: alias not allowed (no anchors or aliases)");
	expect_error(BASE "email: !!str a@b.example\n",
		     "t.yml:8:8: explicit tag 'tag:yaml.org,2002:str' not allowed");
	expect_error(BASE "city: !foo x\n",
		     "t.yml:8:1: 'city': unknown key\nt.yml:8:7: explicit tag '!foo' not allowed");
}

static void test_nul_and_bad_utf8(void **state)
{
	struct q_mirror_def d;
	GString *errors = g_string_new(NULL);

	(void)state;
	assert_int_equal(q_mirrordef_parse("t.yml", "name: a\0b\n", 10, &d, errors), 1);
	assert_string_equal(errors->str,
			    "t.yml:1:8: yaml: control characters are not allowed (byte 0x00)\n");
	g_string_truncate(errors, 0);
	assert_int_equal(q_mirrordef_parse("t.yml", "a: b\nname: \xff\n", 12, &d, errors), 1);
	assert_string_equal(errors->str,
			    "t.yml:2:7: yaml: invalid leading UTF-8 octet (byte 0xff)\n");
	g_string_truncate(errors, 0);
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(q_mirrordef_parse(NULL, "name: [", 4, &d, errors), 1);
	assert_string_equal(errors->str, "<input>:1:1: the top level must be a mapping, not a "
					 "scalar\n");
	g_string_free(errors, TRUE);
}

static void test_limits(void **state)
{
	GString *text = g_string_new(BASE "city: x\n"), *errors = g_string_new(NULL);
	struct q_mirror_def d;
	char *big;
	int n;

	(void)state;
	/* A string of 1024 bytes is fine, 1025 is not. */
	g_string_assign(text, BASE "email: a@");
	for (int i = 0; i < 1022; i++)
		g_string_append_c(text, 'x');
	g_string_append_c(text, '\n');
	expect_ok(text->str, &d);
	assert_int_equal(strlen(d.email), 1024);
	q_mirrordef_release(&d);
	g_string_insert_c(text, text->len - 1, 'x');
	expect_error(text->str, "t.yml:8:8: 'email': value is longer than 1024 bytes");

	/* A list of 1000 entries is fine, 1001 is not. */
	g_string_assign(text, BASE "cloud_type: x\ncloud_regions: [");
	for (int i = 0; i < 1000; i++)
		g_string_append_printf(text, "%sr%d", i ? "," : "", i);
	g_string_append(text, "]\n");
	expect_ok(text->str, &d);
	assert_int_equal(d.n_cloud_regions, 1000);
	q_mirrordef_release(&d);
	g_string_insert(text, text->len - 2, ",one-more");
	expect_error(text->str, "t.yml:9:16: 'cloud_regions': more than 1000 entries");

	/* Nesting past 8 levels. */
	expect_error(BASE "x: [[[[[[[[[1]]]]]]]]]\n",
		     "t.yml:8:1: 'x': unknown key\nt.yml:8:11: nesting deeper than 8 levels");

	/* More than 100000 values in all (lists of lists, each under the limit). */
	g_string_assign(text, BASE "x:\n");
	for (int i = 0; i < 101; i++) {
		g_string_append(text, "- [1");
		for (int j = 1; j < 1000; j++)
			g_string_append(text, ",1");
		g_string_append(text, "]\n");
	}
	g_string_truncate(errors, 0);
	n = q_mirrordef_parse("t.yml", text->str, text->len, &d, errors);
	assert_int_equal(n, 2);
	assert_non_null(strstr(errors->str, "t.yml:8:1: 'x': unknown key\n"));
	assert_non_null(strstr(errors->str, ": more than 100000 values in the file\n"));

	/* A file over 1 MiB, even if it is valid YAML. */
	big = g_malloc(Q_MIRRORDEF_MAX_FILE + 1);
	memset(big, '#', Q_MIRRORDEF_MAX_FILE + 1);
	g_string_truncate(errors, 0);
	n = q_mirrordef_parse("big.yml", big, Q_MIRRORDEF_MAX_FILE + 1, &d, errors);
	assert_int_equal(n, 1);
	assert_string_equal(errors->str,
			    "big.yml:1:1: file is larger than 1 MiB (1048577 bytes)\n");
	g_free(big);

	/* Many errors: all counted, the first 100 written, then a summary. */
	g_string_assign(text, BASE "asn: [");
	for (int i = 0; i < 150; i++)
		g_string_append_printf(text, "%sx", i ? "," : "");
	g_string_append(text, "]\n");
	g_string_truncate(errors, 0);
	n = q_mirrordef_parse("t.yml", text->str, text->len, &d, errors);
	assert_int_equal(n, 150);
	assert_int_equal(count_lines(errors->str), 101);
	assert_non_null(strstr(errors->str, "t.yml: 50 more errors not shown\n"));
	g_string_free(text, TRUE);
	g_string_free(errors, TRUE);
}

static void test_three_errors(void **state)
{
	(void)state;
	/* All reported, sorted by position, not just the first. */
	expect_error(
	    "name: a.example/\n"
	    "address:\n"
	    "  http: http://a.example/\n"
	    "update_frequency: 2h\n"
	    "sponsor: S\n"
	    "sponsor_url: https://s/\n"
	    "asn: '1'\n"
	    "country: CZ\n",
	    "t.yml:1:7: 'name': 'a.example/' is not a host name: it ends with '/'\n"
	    "t.yml:7:6: 'asn': expected an AS number, got the string '1' (drop the quotes)\n"
	    "t.yml:8:1: 'country': unknown key");
}

/* ------------------------------------------------------------ directories */

static char *make_dir(void)
{
	char *dir = g_dir_make_tmp("test_mirrordef-XXXXXX", NULL);

	assert_non_null(dir);
	return dir;
}

static void put(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(path);
}

static void remove_dir(char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		assert_int_equal(unlink(path), 0);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
	assert_int_equal(rmdir(dir), 0);
	g_free(dir);
}

#define DEF(name)                                                                                  \
	"name: " name "\naddress: {https: 'https://" name "/'}\nupdate_frequency: 2h\n"            \
	"sponsor: S\nsponsor_url: https://s/\n"

static void test_load_dir(void **state)
{
	char *dir = make_dir(), *src = data_path("");
	GString *errors = g_string_new(NULL);
	struct q_mirror_def *defs;
	size_t n;

	(void)state;
	/* The samples: sorted by file name. */
	assert_int_equal(q_mirrordef_load_dir(src, &defs, &n, errors), 0);
	assert_string_equal(errors->str, "");
	assert_int_equal(n, 3);
	assert_string_equal(defs[0].name, "cloud.example.org");
	assert_string_equal(defs[1].name, "mirror.example.cz");
	assert_string_equal(defs[2].name, "private.example.net");
	q_mirrordef_free_array(defs, n);

	/* Only *.yml and *.yaml, no hidden files. */
	put(dir, "b.yaml", DEF("b.example"));
	put(dir, "a.yml", DEF("a.example"));
	put(dir, "README", "not yaml");
	put(dir, ".hidden.yml", "broken: [");
	put(dir, "c.yml.orig", "broken: [");
	assert_int_equal(q_mirrordef_load_dir(dir, &defs, &n, errors), 0);
	assert_int_equal(n, 2);
	assert_string_equal(defs[0].name, "a.example");
	assert_string_equal(defs[1].name, "b.example");
	q_mirrordef_free_array(defs, n);

	/* The same name (in another case) twice: an error naming both files. */
	put(dir, "c.yml", "# the same mirror again\n" DEF("A.Example"));
	assert_int_equal(q_mirrordef_load_dir(dir, &defs, &n, errors), 1);
	assert_null(defs);
	assert_int_equal(n, 0);
	{
		char *want = g_strdup_printf(
		    "%s/c.yml:2:7: 'name': mirror 'a.example' is already defined in %s/a.yml:1:7\n",
		    dir, dir);

		assert_string_equal(errors->str, want);
		g_free(want);
	}

	/* Errors in two files: all reported, nothing returned. */
	g_string_truncate(errors, 0);
	put(dir, "c.yml", DEF("c.example") "private: maybe\n");
	put(dir, "d.yml", "name: [\n");
	assert_int_equal(q_mirrordef_load_dir(dir, &defs, &n, errors), 2);
	assert_null(defs);
	assert_int_equal(count_lines(errors->str), 2);
	assert_non_null(strstr(errors->str, "/c.yml:6:10: 'private': expected true or false"));
	assert_non_null(strstr(errors->str, "/d.yml:2:1: yaml: "));

	/* A missing directory. */
	g_string_truncate(errors, 0);
	assert_int_equal(q_mirrordef_load_dir("/nonexistent/mirrors.d", &defs, &n, errors), 1);
	assert_null(defs);
	assert_string_equal(
	    errors->str,
	    "/nonexistent/mirrors.d: cannot open directory: No such file or directory\n");
	remove_dir(dir);

	/* An empty directory: nothing to import, no error. */
	dir = make_dir();
	assert_int_equal(q_mirrordef_load_dir(dir, &defs, &n, errors), 0);
	assert_int_equal(n, 0);
	q_mirrordef_free_array(defs, n);
	remove_dir(dir);
	g_free(src);
	g_string_free(errors, TRUE);
}

/* ------------------------------------------------------------ CIDR */

static void cidr_bad(const char *s, const char *why)
{
	struct q_cidr c;
	struct q_error err;

	if (q_cidr_parse(s, &c, &err) == 0)
		fail_msg("'%s' parsed", s);
	assert_string_equal(err.msg, why);
	assert_int_equal(err.code, Q_EINVAL);
}

static void cidr_ok(const char *s, const char *formatted)
{
	struct q_cidr c;
	char buf[Q_CIDR_STRLEN];

	assert_int_equal(q_cidr_parse(s, &c, NULL), 0);
	assert_string_equal(q_cidr_format(&c, buf, sizeof(buf)), formatted);
}

static void test_cidr_parse(void **state)
{
	(void)state;
	cidr_ok("147.251.0.0/16", "147.251.0.0/16");
	cidr_ok("2001:718:801::/48", "2001:718:801::/48");
	cidr_ok("0.0.0.0/0", "0.0.0.0/0");
	cidr_ok("::/0", "::/0");
	cidr_ok("192.0.2.1/32", "192.0.2.1/32");
	cidr_ok("192.0.2.1", "192.0.2.1/32");
	cidr_ok("2001:DB8::1/128", "2001:db8::1/128");
	cidr_ok("2001:db8::1", "2001:db8::1/128");
	cidr_ok("10.128.0.0/9", "10.128.0.0/9");
	cidr_bad("147.251.1.0/16", "host bits set (did you mean '147.251.0.0/16'?)");
	cidr_bad("10.0.0.1/31", "host bits set (did you mean '10.0.0.0/31'?)");
	cidr_bad("2001:db8::1/64", "host bits set (did you mean '2001:db8::/64'?)");
	cidr_bad("1.0.0.0/0", "host bits set (did you mean '0.0.0.0/0'?)");
	cidr_bad("10.0.0.0/33", "prefix length 33 is out of range 0..32");
	cidr_bad("::/129", "prefix length 129 is out of range 0..128");
	cidr_bad("10.0.0.0/", "missing prefix length after '/'");
	cidr_bad("/8", "missing address before '/'");
	cidr_bad("10.0.0.0/-1", "prefix length must be a number 0..32");
	cidr_bad("10.0.0.0/+8", "prefix length must be a number 0..32");
	cidr_bad("10.0.0.0/08", "prefix length has a leading zero");
	cidr_bad("10.0.0.0/8 ", "prefix length must be a number 0..32");
	cidr_bad("10.0.0.0/8/8", "prefix length must be a number 0..32");
	cidr_bad("10.0.0/8", "bad IPv4 address");
	cidr_bad("010.0.0.0/8", "bad IPv4 address");
	cidr_bad("256.0.0.0/8", "bad IPv4 address");
	cidr_bad(" 10.0.0.0/8", "bad IPv4 address");
	cidr_bad("2001:db8:::/48", "bad IPv6 address");
	cidr_bad("fe80::1%eth0", "bad IPv6 address");
	cidr_bad("::ffff:192.0.2.0/120", "IPv4-mapped IPv6 address (write IPv4 networks as IPv4)");
	cidr_bad("garbage", "bad IPv4 address");
	cidr_bad("", "empty network");
}

static void test_cidr_contains(void **state)
{
	struct q_cidr c;
	unsigned char a4[4], a6[16];

	(void)state;
	assert_int_equal(q_cidr_parse("147.251.0.0/16", &c, NULL), 0);
	inet_pton(AF_INET, "147.251.42.7", a4);
	assert_true(q_cidr_contains(&c, AF_INET, a4));
	inet_pton(AF_INET, "147.252.0.0", a4);
	assert_false(q_cidr_contains(&c, AF_INET, a4));
	inet_pton(AF_INET6, "2001:718:801::1", a6);
	assert_false(q_cidr_contains(&c, AF_INET6, a6)); /* other family */

	assert_int_equal(q_cidr_parse("10.128.0.0/9", &c, NULL), 0);
	inet_pton(AF_INET, "10.255.255.255", a4);
	assert_true(q_cidr_contains(&c, AF_INET, a4));
	inet_pton(AF_INET, "10.127.255.255", a4);
	assert_false(q_cidr_contains(&c, AF_INET, a4));

	assert_int_equal(q_cidr_parse("0.0.0.0/0", &c, NULL), 0);
	inet_pton(AF_INET, "203.0.113.9", a4);
	assert_true(q_cidr_contains(&c, AF_INET, a4));

	assert_int_equal(q_cidr_parse("203.0.113.9/32", &c, NULL), 0);
	assert_true(q_cidr_contains(&c, AF_INET, a4));
	inet_pton(AF_INET, "203.0.113.8", a4);
	assert_false(q_cidr_contains(&c, AF_INET, a4));

	assert_int_equal(q_cidr_parse("2001:718:801::/48", &c, NULL), 0);
	assert_true(q_cidr_contains(&c, AF_INET6, a6));
	inet_pton(AF_INET6, "2001:718:802::1", a6);
	assert_false(q_cidr_contains(&c, AF_INET6, a6));

	assert_int_equal(q_cidr_parse("::/0", &c, NULL), 0);
	assert_true(q_cidr_contains(&c, AF_INET6, a6));
	assert_false(q_cidr_contains(&c, AF_INET, a4));

	assert_int_equal(q_cidr_parse("2001:db8::1/128", &c, NULL), 0);
	inet_pton(AF_INET6, "2001:db8::1", a6);
	assert_true(q_cidr_contains(&c, AF_INET6, a6));
	inet_pton(AF_INET6, "2001:db8::2", a6);
	assert_false(q_cidr_contains(&c, AF_INET6, a6));
	assert_false(q_cidr_contains(&c, AF_INET6, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_domain_example),
	    cmocka_unit_test(test_private_sample),
	    cmocka_unit_test(test_cloud_sample),
	    cmocka_unit_test(test_issue_example),
	    cmocka_unit_test(test_required),
	    cmocka_unit_test(test_name),
	    cmocka_unit_test(test_address),
	    cmocka_unit_test(test_update_frequency),
	    cmocka_unit_test(test_sponsor_email),
	    cmocka_unit_test(test_geolocation),
	    cmocka_unit_test(test_private_monopoly),
	    cmocka_unit_test(test_asn),
	    cmocka_unit_test(test_bandwidth),
	    cmocka_unit_test(test_subnets),
	    cmocka_unit_test(test_cloud),
	    cmocka_unit_test(test_unknown_and_duplicate_keys),
	    cmocka_unit_test(test_broken_yaml),
	    cmocka_unit_test(test_nul_and_bad_utf8),
	    cmocka_unit_test(test_yaml_features_refused),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_three_errors),
	    cmocka_unit_test(test_load_dir),
	    cmocka_unit_test(test_cidr_parse),
	    cmocka_unit_test(test_cidr_contains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
