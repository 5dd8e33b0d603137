/*
 * test_snapshot.c: the mirror snapshot (src/mirror/snapshot.c).
 *
 * Parsing a valid document: repos found by key with their versions in
 * order, holders computed (a mirror serving the newest → version 0, an
 * alternate → its index, a SHA-256 that is no version → no holder, a key
 * of a repo not in the snapshot → ignored), every mirror field (country
 * upper-cased, continent, ASNs, subnets, private, monopoly, the bandwidth
 * default, IPv4/IPv6), the 404 pairs text, the master without its '/'.
 * Every refusal names its entry ("mirrors[1].subnets[0]: …") and leaves
 * *out NULL (the ASan build checks that nothing leaks on the way out).
 * Files: a write/load round trip, broken JSON reported as FILE:LINE:COL,
 * a missing file. Building from a real SQLite store: publishes in the
 * window, only active mirrors, what the crawler saw them serve (an
 * unreachable or partial check, a stale SHA-256 or another mirror's state give no
 * holder). The holder: swaps retire snapshots, old ones are freed, release
 * frees the rest.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "mirror/geoip.h"
#include "mirror/snapshot.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <glib.h>
#include <sys/socket.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* Digests of n copies of c (n + 1 bytes with the NUL). */
static void hexfill(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
}

struct digests {
	char a32[33], a40[41], a64[65], a128[129];
	char b64[65], c64[65], d64[65];
};

static void make_digests(struct digests *d)
{
	hexfill(d->a32, 'a', 32);
	hexfill(d->a40, 'a', 40);
	hexfill(d->a64, 'a', 64);
	hexfill(d->a128, 'a', 128);
	hexfill(d->b64, 'b', 64);
	hexfill(d->c64, 'c', 64);
	hexfill(d->d64, 'd', 64);
}

/*
 * Two repos (x86_64 with an alternate, aarch64 with one version) and three
 * mirrors: m1 serves x86_64's newest, a SHA-256 of aarch64 that is no
 * version, and a repo not in the snapshot; m2 (rsync only, no optional
 * fields) serves x86_64's alternate; m3 serves aarch64's newest.
 */
static json_t *valid_doc(void)
{
	struct digests d;
	json_error_t je;
	json_t *doc;
	char *text;

	make_digests(&d);
	text = g_strdup_printf(
	    "{\"format\": \"quarry-mirror-snapshot\", \"version\": 1, \"built\": 1700000000,"
	    " \"master\": \"https://hub.example.org//\","
	    " \"repos\": ["
	    "  {\"repo\": \"sig-mc-main-9\", \"arch\": \"x86_64\","
	    "   \"path\": \"sig/9/mc/x86_64/main/\","
	    "   \"versions\": [{\"timestamp\": 200, \"size\": 3001, \"md5\": \"%s\","
	    "                   \"sha1\": \"%s\", \"sha256\": \"%s\", \"sha512\": \"%s\"},"
	    "                  {\"timestamp\": 100, \"size\": 2999, \"sha256\": \"%s\"}]},"
	    "  {\"repo\": \"sig-mc-main-9\", \"arch\": \"aarch64\","
	    "   \"path\": \"sig/9/mc/aarch64/main/\","
	    "   \"versions\": [{\"timestamp\": 50, \"size\": 10, \"md5\": \"\","
	    "                   \"sha256\": \"%s\"}]}],"
	    " \"mirrors\": ["
	    "  {\"name\": \"m1.example.cz\", \"http\": \"http://m1.example.cz/pub/\","
	    "   \"https\": \"https://m1.example.cz/pub/\", \"country\": \"cz\","
	    "   \"asn\": [2852, 65000], \"subnets\": [\"147.251.0.0/16\", \"2001:718::/32\"],"
	    "   \"private\": true, \"monopoly\": true, \"bandwidth\": 1000,"
	    "   \"ipv4\": true, \"ipv6\": true,"
	    "   \"serves\": {\"sig-mc-main-9/x86_64\": \"%s\", \"sig-mc-main-9/aarch64\": \"%s\","
	    "              \"sig-gone-x-9/x86_64\": \"%s\"}},"
	    "  {\"name\": \"m2.example.org\", \"rsync\": \"rsync://m2.example.org/pub/\","
	    "   \"serves\": {\"sig-mc-main-9/x86_64\": \"%s\"}},"
	    "  {\"name\": \"m3.example.de\", \"http\": \"http://m3.example.de/\", \"country\": "
	    "\"DE\","
	    "   \"asn\": [], \"subnets\": [], \"bandwidth\": 7, \"ipv4\": true,"
	    "   \"serves\": {\"sig-mc-main-9/aarch64\": \"%s\"}}]}",
	    d.a32, d.a40, d.a64, d.a128, d.b64, d.d64, d.a64, d.c64, d.a64, d.b64, d.d64);
	doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		fail_msg("valid_doc: %d:%d: %s", je.line, je.column, je.text);
	g_free(text);
	return doc;
}

static void test_parse_valid(void **state)
{
	struct q_error err = {0};
	struct q_snapshot *s = NULL;
	const struct q_snap_repo *r;
	const struct q_snap_mirror *m;
	struct digests d;
	json_t *doc = valid_doc();

	(void)state;
	make_digests(&d);
	if (q_snapshot_from_json(doc, &s, &err) < 0)
		fail_msg("from_json: %s", err.msg);
	json_decref(doc); /* the snapshot keeps no reference into the document */
	assert_non_null(s);
	assert_int_equal(s->built, 1700000000);
	assert_string_equal(s->master, "https://hub.example.org");
	assert_string_equal(s->pairs, "repo=sig-mc-main-9&arch=x86_64\n"
				      "repo=sig-mc-main-9&arch=aarch64\n");

	r = q_snapshot_find(s, "sig-mc-main-9", "x86_64");
	assert_non_null(r);
	assert_string_equal(r->key, "sig-mc-main-9/x86_64");
	assert_string_equal(r->repo, "sig-mc-main-9");
	assert_string_equal(r->arch, "x86_64");
	assert_string_equal(r->path, "sig/9/mc/x86_64/main/");
	assert_int_equal(r->n_versions, 2);
	assert_int_equal(r->versions[0].timestamp, 200);
	assert_int_equal(r->versions[0].size, 3001);
	assert_string_equal(r->versions[0].digests.md5, d.a32);
	assert_string_equal(r->versions[0].digests.sha1, d.a40);
	assert_string_equal(r->versions[0].digests.sha256, d.a64);
	assert_string_equal(r->versions[0].digests.sha512, d.a128);
	assert_int_equal(r->versions[1].timestamp, 100);
	assert_int_equal(r->versions[1].size, 2999);
	assert_string_equal(r->versions[1].digests.sha256, d.b64);
	assert_string_equal(r->versions[1].digests.md5, ""); /* absent → empty */
	assert_string_equal(r->versions[1].digests.sha512, "");
	/* m1 serves the newest, m2 the alternate; by mirror index */
	assert_int_equal(r->n_holders, 2);
	assert_int_equal(r->holders[0].mirror, 0);
	assert_int_equal(r->holders[0].version, 0);
	assert_int_equal(r->holders[1].mirror, 1);
	assert_int_equal(r->holders[1].version, 1);

	r = q_snapshot_find(s, "sig-mc-main-9", "aarch64");
	assert_non_null(r);
	assert_int_equal(r->n_versions, 1);
	assert_string_equal(r->versions[0].digests.md5, ""); /* "" → empty */
	/* m1's SHA-256 is no version of it: only m3 */
	assert_int_equal(r->n_holders, 1);
	assert_int_equal(r->holders[0].mirror, 2);
	assert_int_equal(r->holders[0].version, 0);

	assert_null(q_snapshot_find(s, "sig-mc-main-9", "ppc64le"));
	assert_null(q_snapshot_find(s, "sig-gone-x-9", "x86_64"));
	assert_null(q_snapshot_find(s, "sig-mc-main", "9/x86_64"));
	assert_null(q_snapshot_find(NULL, "sig-mc-main-9", "x86_64"));

	assert_int_equal(s->n_mirrors, 3);
	m = &s->mirrors[0];
	assert_string_equal(m->name, "m1.example.cz");
	assert_string_equal(m->http, "http://m1.example.cz/pub/");
	assert_string_equal(m->https, "https://m1.example.cz/pub/");
	assert_null(m->rsync);
	assert_string_equal(m->country, "CZ");
	assert_non_null(m->continent);
	assert_string_equal(m->continent, q_continent_of("CZ"));
	assert_string_equal(m->continent, "EU");
	assert_int_equal(m->n_asn, 2);
	assert_int_equal(m->asn[0], 2852);
	assert_int_equal(m->asn[1], 65000);
	assert_int_equal(m->n_subnets, 2);
	assert_int_equal(m->subnets[0].family, AF_INET);
	assert_int_equal(m->subnets[0].prefix, 16);
	assert_int_equal(m->subnets[0].addr[0], 147);
	assert_int_equal(m->subnets[0].addr[1], 251);
	assert_int_equal(m->subnets[1].family, AF_INET6);
	assert_int_equal(m->subnets[1].prefix, 32);
	assert_true(m->is_private);
	assert_true(m->monopoly);
	assert_int_equal(m->bandwidth, 1000);
	assert_true(m->ipv4);
	assert_true(m->ipv6);

	m = &s->mirrors[1];
	assert_string_equal(m->name, "m2.example.org");
	assert_null(m->http);
	assert_null(m->https);
	assert_string_equal(m->rsync, "rsync://m2.example.org/pub/");
	assert_string_equal(m->country, "");
	assert_null(m->continent);
	assert_int_equal(m->n_asn, 0);
	assert_int_equal(m->n_subnets, 0);
	assert_false(m->is_private);
	assert_false(m->monopoly);
	assert_int_equal(m->bandwidth, 100); /* the default */
	assert_false(m->ipv4);
	assert_false(m->ipv6);

	m = &s->mirrors[2];
	assert_string_equal(m->country, "DE");
	assert_string_equal(m->continent, "EU");
	assert_int_equal(m->bandwidth, 7);
	assert_true(m->ipv4);
	assert_false(m->ipv6);
	q_snapshot_free(s);
	q_snapshot_free(NULL);
}

/* An empty network: no repos, no mirrors, pairs "". */
static void test_parse_empty(void **state)
{
	struct q_error err = {0};
	struct q_snapshot *s = NULL;
	json_t *doc =
	    json_pack("{s:s,s:i,s:i,s:s,s:[],s:[]}", "format", "quarry-mirror-snapshot", "version",
		      1, "built", 0, "master", "http://hub", "repos", "mirrors");

	(void)state;
	if (q_snapshot_from_json(doc, &s, &err) < 0)
		fail_msg("from_json: %s", err.msg);
	assert_int_equal(s->n_mirrors, 0);
	assert_string_equal(s->pairs, "");
	assert_string_equal(s->master, "http://hub");
	assert_null(q_snapshot_find(s, "a", "b"));
	q_snapshot_free(s);
	json_decref(doc);
}

/* The node at PATH ("repos.0.versions.1"; "" is the document). */
static json_t *walk(json_t *doc, const char *path)
{
	gchar **parts = g_strsplit(path, ".", -1);
	json_t *at = doc;

	for (gchar **p = parts; *p && **p; p++) {
		if (json_is_array(at))
			at = json_array_get(at, (size_t)g_ascii_strtoull(*p, NULL, 10));
		else
			at = json_object_get(at, *p);
		if (!at)
			fail_msg("no '%s' in '%s'", *p, path);
	}
	g_strfreev(parts);
	return at;
}

struct refusal {
	const char *path;  /* where to change the valid document */
	const char *key;   /* the member (or array index) to change */
	const char *value; /* its new value as JSON text; NULL removes it */
	const char *want;  /* the error message starts with this */
};

static const struct refusal refusals[] = {
    {"", "format", "\"quarry-other\"", "snapshot.format: 'quarry-other', expected"},
    {"", "format", NULL, "snapshot.format: missing"},
    {"", "version", "2", "snapshot.version: 2 is out of range"},
    {"", "version", "\"1\"", "snapshot.version: missing or not an integer"},
    {"", "built", "-5", "snapshot.built: -5 is out of range"},
    {"", "master", NULL, "snapshot.master: missing"},
    {"", "master", "7", "snapshot.master: not a string"},
    {"", "master", "\"ftp://hub.example.org\"", "snapshot.master: not an http(s) URL"},
    {"", "master", "\"hub.example.org\"", "snapshot.master: not an http(s) URL"},
    {"", "repos", "{}", "snapshot: 'repos' and 'mirrors' must be arrays"},
    {"", "repos", NULL, "snapshot: 'repos' and 'mirrors' must be arrays"},
    {"", "mirrors", "null", "snapshot: 'repos' and 'mirrors' must be arrays"},
    {"repos", "1", "5", "repos[1]: not an object"},
    {"repos.0", "repo", "\"sig-mc/main-9\"", "repos[0]: empty repo or arch, or one holding '/'"},
    {"repos.1", "arch", "\"\"", "repos[1]: empty repo or arch, or one holding '/'"},
    {"repos.1", "arch", NULL, "repos[1].arch: missing"},
    {"repos.0", "repo", "\"a\\u0000b\"", "repos[0].repo: longer than 100 bytes or holds NUL"},
    {"repos.1", "path", "\"/sig/9/mc/aarch64/main/\"", "repos[1].path: '/sig/9/mc/aarch64/"},
    {"repos.0", "path", "\"sig/9/../../etc/\"", "repos[0].path: 'sig/9/../../etc/' is not"},
    {"repos.0", "path", "\"..\"", "repos[0].path: '..' is not a relative directory path"},
    {"repos.0", "path", "\"sig/9/mc/x86_64/main\"", "repos[0].path: 'sig/9/mc/x86_64/main' is"},
    {"repos.0", "path", "\"\"", "repos[0].path: '' is not a relative directory path"},
    {"repos.0", "versions", "[]", "repos[0].versions: not an array of 1..1000 versions"},
    {"repos.0", "versions", NULL, "repos[0].versions: not an array of 1..1000 versions"},
    {"repos.0.versions", "1", "\"v\"", "repos[0].versions[1]: not an object"},
    {"repos.0.versions.1", "sha256",
     "\"" /* 64 bytes, not hex */
     "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"",
     "repos[0].versions[1].sha256: not 64 hex digits"},
    {"repos.0.versions.1", "sha256", "\"abc123\"", "repos[0].versions[1].sha256: not 64 hex"},
    {"repos.0.versions.1", "sha256",
     "\"" /* 65 bytes */
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
     "repos[0].versions[1].sha256: longer than 64 bytes"},
    {"repos.0.versions.0", "sha256", NULL, "repos[0].versions[0].sha256: missing"},
    {"repos.1.versions.0", "sha256", "\"\"", "repos[1].versions[0].sha256: missing"},
    {"repos.0.versions.0", "md5", "\"0123\"", "repos[0].versions[0].md5: not 32 hex digits"},
    {"repos.0.versions.0", "sha512", "5", "repos[0].versions[0].sha512: not a string"},
    {"repos.0.versions.0", "timestamp", "-1", "repos[0].versions[0].timestamp: -1 is out of"},
    {"repos.0.versions.1", "size", NULL, "repos[0].versions[1].size: missing or not an integer"},
    {"repos.1", "arch", "\"x86_64\"", "repos[1]: 'sig-mc-main-9/x86_64' appears twice"},
    {"mirrors", "2", "[]", "mirrors[2]: not an object"},
    {"mirrors.0", "name", NULL, "mirrors[0].name: missing"},
    {"mirrors.1", "rsync", NULL, "mirrors[1]: no http, https or rsync URL"},
    {"mirrors.2", "http", "null", "mirrors[2]: no http, https or rsync URL"},
    {"mirrors.0", "http", "\"http://m1.example.cz/pub\"",
     "mirrors[0].http: 'http://m1.example.cz/pub' is not a http:// URL ending in '/'"},
    {"mirrors.0", "https", "\"http://m1.example.cz/pub/\"",
     "mirrors[0].https: 'http://m1.example.cz/pub/' is not a https:// URL"},
    {"mirrors.1", "rsync", "\"rsync://\"", "mirrors[1].rsync: 'rsync://' is not"},
    {"mirrors.0", "https", "\"https://m1.example.cz/a b/\"",
     "mirrors[0].https: a space or control character in the URL"},
    {"mirrors.0", "https", "\"https://m1.example.cz/a\\u0001b/\"",
     "mirrors[0].https: a space or control character in the URL"},
    {"mirrors.2", "http", "\"http://m3.example.de/\\u007f/\"",
     "mirrors[2].http: a space or control character in the URL"},
    {"mirrors.0", "country", "\"XX\"", "mirrors[0].country: 'XX' is not a country code"},
    {"mirrors.0", "country", "\"C\"", "mirrors[0].country: 'C' is not a country code"},
    {"mirrors.0", "country", "\"CZE\"", "mirrors[0].country: longer than 2 bytes"},
    {"mirrors.0", "asn", "2852", "mirrors[0].asn: not an array"},
    {"mirrors.0", "asn", "[2852, 0]", "mirrors[0].asn[1]: not an ASN"},
    {"mirrors.0", "asn", "[4294967296]", "mirrors[0].asn[0]: not an ASN"},
    {"mirrors.0", "asn", "[\"2852\"]", "mirrors[0].asn[0]: not an ASN"},
    {"mirrors.1", "subnets", "\"10.0.0.0/8\"", "mirrors[1].subnets: not an array"},
    {"mirrors.1", "subnets", "[\"10.0.0.1/8\"]", "mirrors[1].subnets[0]: "},
    {"mirrors.1", "subnets", "[\"10.0.0.0/8\", \"300.1.0.0/16\"]", "mirrors[1].subnets[1]: "},
    {"mirrors.1", "subnets", "[\"10.0.0.0/8\", 5]", "mirrors[1].subnets[1]: not a string"},
    {"mirrors.0", "bandwidth", "0", "mirrors[0].bandwidth: 0 is out of range"},
    {"mirrors.0", "bandwidth", "\"100\"", "mirrors[0].bandwidth: missing or not an integer"},
    {"mirrors.2", "serves", "[]", "mirrors[2].serves: not an object"},
    {"", "master_families", "\"ipv4\"", "snapshot.master_families: not an array"},
    {"", "master_families", "[\"ipv4\", \"ipv6\", \"ipv4\"]",
     "snapshot.master_families: not an array"},
    {"", "master_families", "[\"ipv5\"]", "snapshot.master_families[0]: not \"ipv4\""},
    {"", "master_families", "[\"ipv6\", 4]", "snapshot.master_families[1]: not \"ipv4\""},
    {"mirrors.2", "serves", "{\"sig-mc-main-9/aarch64\": 5}",
     "mirrors[2].serves['sig-mc-main-9/aarch64']: not a string"},
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(refusals); i++) {
		const struct refusal *t = &refusals[i];
		struct q_error err = {0};
		json_t *doc = valid_doc();
		json_t *at = walk(doc, t->path);
		json_t *v = NULL;
		struct q_snapshot *s = (struct q_snapshot *)doc; /* must become NULL */
		json_error_t je;

		if (t->value) {
			v = json_loads(t->value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
			if (!v)
				fail_msg("case %zu: bad JSON '%s': %s", i, t->value, je.text);
		}
		if (json_is_array(at)) {
			size_t idx = (size_t)g_ascii_strtoull(t->key, NULL, 10);

			assert_int_equal(
			    v ? json_array_set_new(at, idx, v) : json_array_remove(at, idx), 0);
		} else if (v) {
			assert_int_equal(json_object_set_new(at, t->key, v), 0);
		} else {
			assert_int_equal(json_object_del(at, t->key), 0);
		}
		assert_int_equal(q_snapshot_from_json(doc, &s, &err), -1);
		assert_null(s);
		assert_int_equal(err.code, Q_EINVAL);
		if (strncmp(err.msg, t->want, strlen(t->want)))
			fail_msg("case %zu (%s%s%s): '%s', want '%s…'", i, t->path,
				 *t->path ? "." : "", t->key, err.msg, t->want);
		json_decref(doc);
	}
}

/* The master's families: absent (an older file) or empty, every family; else
 * only those listed. */
static void test_master_families(void **state)
{
	static const struct {
		const char *value; /* JSON, NULL: the key is absent */
		bool v4, v6;
	} cases[] = {
	    {NULL, true, true},          {"null", true, true},
	    {"[]", true, true},          {"[\"ipv4\"]", true, false},
	    {"[\"ipv6\"]", false, true}, {"[\"ipv6\", \"ipv4\"]", true, true},
	};

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++) {
		struct q_error err = {0};
		struct q_snapshot *s = NULL;
		json_t *doc = valid_doc();

		if (cases[i].value)
			json_object_set_new(doc, "master_families",
					    json_loads(cases[i].value, JSON_DECODE_ANY, NULL));
		if (q_snapshot_from_json(doc, &s, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg);
		if (s->master_ipv4 != cases[i].v4 || s->master_ipv6 != cases[i].v6)
			fail_msg("case %zu (%s): ipv4 %d ipv6 %d", i,
				 cases[i].value ? cases[i].value : "absent", s->master_ipv4,
				 s->master_ipv6);
		q_snapshot_free(s);
		json_decref(doc);
	}
}

static void test_not_an_object(void **state)
{
	struct q_error err = {0};
	struct q_snapshot *s = NULL;
	json_t *doc = json_pack("[]");

	(void)state;
	assert_int_equal(q_snapshot_from_json(doc, &s, &err), -1);
	assert_null(s);
	assert_string_equal(err.msg, "snapshot: not a JSON object");
	json_decref(doc);
}

/* A refusal after repos and some mirrors were parsed frees them all. */
static void test_refusal_late(void **state)
{
	struct q_error err = {0};
	struct q_snapshot *s = NULL;
	json_t *doc = valid_doc();
	json_t *ms = json_object_get(doc, "mirrors");

	(void)state;
	json_array_append_new(ms,
			      json_pack("{s:s,s:s,s:[s]}", "name", "late.example.org", "https",
					"https://late.example.org/", "subnets", "192.0.2.0/33"));
	assert_int_equal(q_snapshot_from_json(doc, &s, &err), -1);
	assert_null(s);
	assert_true(g_str_has_prefix(err.msg, "mirrors[3].subnets[0]: "));
	/* a bad serves value after every mirror parsed, holders partly added */
	json_array_remove(ms, 3);
	json_object_set_new(json_object_get(json_array_get(ms, 2), "serves"), "zzz", json_true());
	assert_int_equal(q_snapshot_from_json(doc, &s, &err), -1);
	assert_null(s);
	assert_string_equal(err.msg, "mirrors[2].serves['zzz']: not a string");
	json_decref(doc);
}

struct tmpdir {
	char dir[64];
	char path[128];
};

static void make_tmpdir(struct tmpdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/quarry-test-snapshot-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/mirror-snapshot.json", t->dir);
}

static void write_text(const char *path, const char *text)
{
	struct q_error err = {0};

	if (q_fs_write_atomic(path, text, strlen(text), 0644, &err) < 0)
		fail_msg("write %s: %s", path, err.msg);
}

static void test_files(void **state)
{
	struct q_error err = {0};
	struct q_snapshot *s = NULL;
	const struct q_snap_repo *r;
	struct tmpdir t;
	json_t *doc = valid_doc();
	char want[256];

	(void)state;
	make_tmpdir(&t);
	if (q_snapshot_write_file(t.path, doc, &err) < 0)
		fail_msg("write_file: %s", err.msg);
	if (q_snapshot_load_file(t.path, &s, &err) < 0)
		fail_msg("load_file: %s", err.msg);
	assert_string_equal(s->master, "https://hub.example.org");
	assert_int_equal(s->n_mirrors, 3);
	r = q_snapshot_find(s, "sig-mc-main-9", "x86_64");
	assert_non_null(r);
	assert_int_equal(r->n_versions, 2);
	assert_int_equal(r->n_holders, 2);
	assert_int_equal(r->holders[1].version, 1);
	q_snapshot_free(s);

	/* written again over the old file (atomically) */
	json_object_set_new(doc, "built", json_integer(1800000000));
	if (q_snapshot_write_file(t.path, doc, &err) < 0)
		fail_msg("write_file: %s", err.msg);
	if (q_snapshot_load_file(t.path, &s, &err) < 0)
		fail_msg("load_file: %s", err.msg);
	assert_int_equal(s->built, 1800000000);
	q_snapshot_free(s);

	/* broken JSON: FILE:LINE:COL */
	s = (struct q_snapshot *)doc;
	write_text(t.path, "{\"format\": \"quarry-mirror-snapshot\",\n \"version\": 1,\n"
			   " \"built\": x}\n");
	assert_int_equal(q_snapshot_load_file(t.path, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, Q_EINVAL);
	snprintf(want, sizeof(want), "%s:3:", t.path);
	if (!g_str_has_prefix(err.msg, want))
		fail_msg("'%s', want '%s COL: …'", err.msg, want);
	assert_true(g_ascii_isdigit(err.msg[strlen(want)]));

	/* a duplicate key is refused by the loader */
	s = (struct q_snapshot *)doc;
	write_text(t.path, "{\"format\": \"quarry-mirror-snapshot\",\n"
			   " \"format\": \"quarry-mirror-snapshot\"}");
	assert_int_equal(q_snapshot_load_file(t.path, &s, &err), -1);
	assert_null(s);
	snprintf(want, sizeof(want), "%s:2:", t.path);
	if (!g_str_has_prefix(err.msg, want))
		fail_msg("'%s', want '%s COL: …'", err.msg, want);

	/* valid JSON, not a snapshot: the file name, then the entry */
	s = (struct q_snapshot *)doc;
	write_text(t.path, "{\"format\": \"other\"}");
	assert_int_equal(q_snapshot_load_file(t.path, &s, &err), -1);
	assert_null(s);
	snprintf(want, sizeof(want), "%s: snapshot.format: 'other'", t.path);
	if (!g_str_has_prefix(err.msg, want))
		fail_msg("'%s', want '%s…'", err.msg, want);

	/* a missing file */
	s = (struct q_snapshot *)doc;
	snprintf(t.path, sizeof(t.path), "%s/missing.json", t.dir);
	assert_int_equal(q_snapshot_load_file(t.path, &s, &err), -1);
	assert_null(s);
	assert_int_not_equal(err.code, Q_OK);
	assert_non_null(strstr(err.msg, "missing.json"));

	/* a directory that does not exist: write fails */
	snprintf(t.path, sizeof(t.path), "%s/no/such/dir.json", t.dir);
	assert_int_equal(q_snapshot_write_file(t.path, doc, &err), -1);

	json_decref(doc);
	q_fs_remove_tree(t.dir, NULL);
}

/* --- building from the store --- */

struct fixture {
	char dir[128];
	char db[200];
	struct q_store *st;
	int64_t repo;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct q_error err = {0};
	json_t *sig, *proj, *repo, *o = NULL;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/quarry-test-snapshot-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/quarry.db", f->dir);
	f->st = q_store_open(f->db, &err);
	if (!f->st || q_store_migrate(f->st, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	sig = json_pack("{s:s,s:s,s:s,s:s}", "name", "mc", "short_name", "mc", "title", "MC",
			"status", "active");
	proj = json_pack("{s:s,s:i,s:s,s:[s,s]}", "name", "el9", "major", 9, "variant", "x",
			 "arches", "x86_64", "aarch64");
	repo = json_pack("{s:s,s:s,s:[s,s]}", "name", "main", "channel", "testing", "arches",
			 "x86_64", "aarch64");
	if (q_store_sig_create(f->st, sig, "FPR0123", &err) < 0 ||
	    q_store_project_create(f->st, "mc", proj, &err) < 0 ||
	    q_store_repo_create(f->st, "mc", "el9", repo, &err) < 0 ||
	    q_store_repo_get(f->st, "mc", "el9", "main", &o, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	f->repo = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	json_decref(sig);
	json_decref(proj);
	json_decref(repo);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	q_store_close(f->st);
	q_fs_remove_tree(f->dir, NULL);
	free(f);
	return 0;
}

#define OK(call)                                                                                   \
	do {                                                                                       \
		struct q_error err_ = {0};                                                         \
		if ((call) != 0)                                                                   \
			fail_msg("%s failed: %s", #call, err_.msg);                                \
	} while (0)
/* Use `&err_` as the error argument inside OK(). */

/* One publish of the repo: every digest made of c. */
static void publish(struct fixture *f, const char *arch, int64_t time, int64_t revision, char c)
{
	char md5[33], sha1[41], sha256[65], sha512[129];
	struct q_publish_row row = {
	    .repo_id = f->repo,
	    .arch = arch,
	    .time = time,
	    .set_digest = "digest",
	    .repomd_size = 1000 + revision,
	    .revision = revision,
	    .md5 = md5,
	    .sha1 = sha1,
	    .sha256 = sha256,
	    .sha512 = sha512,
	    .n_packages = 1,
	};

	hexfill(md5, c, 32);
	hexfill(sha1, c, 40);
	hexfill(sha256, c, 64);
	hexfill(sha512, c, 128);
	OK(q_store_publish_add(f->st, &row, 10, &err_));
}

/* A mirror definition as q_mirrordef_to_json makes it. */
static json_t *mirror_def(const char *name, const char *country, json_int_t asn, const char *subnet,
			  json_int_t bandwidth)
{
	char http[128], https[128];

	snprintf(http, sizeof(http), "http://%s/pub/", name);
	snprintf(https, sizeof(https), "https://%s/pub/", name);
	return json_pack("{s:s,s:{s:s,s:s},s:s,s:i,s:s,s:s,s:{s:s},s:b,s:b,s:[I],s:[s],s:[],s:I}",
			 "name", name, "address", "http", http, "https", https, "update_frequency",
			 "1h", "update_seconds", 3600, "sponsor", "Example", "sponsor_url",
			 "https://example.org/", "geolocation", "country", country, "private", 0,
			 "monopoly", 0, "asn", asn, "subnets", subnet, "cloud_regions", "bandwidth",
			 bandwidth);
}

static void put_mirror(struct fixture *f, const char *name, const char *state, const char *cc,
		       json_int_t asn, const char *subnet, json_int_t bandwidth)
{
	json_t *def = mirror_def(name, cc, asn, subnet, bandwidth);

	assert_non_null(def);
	OK(q_store_mirror_put(f->st, name, def, state, "admin", &err_));
	json_decref(def);
}

static void check(struct fixture *f, const char *mirror, const char *arch, const char *state,
		  char c, bool newest, int64_t now)
{
	char sha[65];

	hexfill(sha, c, c ? 64 : 0);
	OK(q_store_mirror_check_put(f->st, mirror, "sig-mc-main-9", arch, state, sha, newest,
				    c ? 200 : 0, c ? "" : "timeout", 0.25, now, &err_));
}

static json_t *find_mirror_json(json_t *doc, const char *name)
{
	json_t *m;
	size_t i;

	json_array_foreach (json_object_get(doc, "mirrors"), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "name")), name))
			return m;
	return NULL;
}

static void test_build(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	struct q_snapshot *s = NULL;
	const struct q_snap_repo *r;
	const struct q_snap_mirror *m;
	struct q_error err = {0};
	json_t *doc = NULL, *j, *v;
	char sha[65], sha512[129];
	int change;

	/* x86_64: one too old for the window, then two inside it; aarch64: one
	 * publish, older than the window but its newest */
	publish(f, "x86_64", now - 100000, 100, 'e');
	publish(f, "x86_64", now - 100, 200, 'b');
	publish(f, "x86_64", now - 10, 300, 'a');
	publish(f, "aarch64", now - 100000, 50, 'd');

	put_mirror(f, "m1.example.se", "active", "SE", 3301, "192.0.2.0/24", 250);
	put_mirror(f, "m2.example.se", "active", "SE", 3302, "198.51.100.0/24", 100);
	put_mirror(f, "pending.example.se", "pending", "SE", 3303, "203.0.113.0/24", 100);
	put_mirror(f, "off.example.se", "active", "SE", 3304, "203.0.113.0/25", 100);
	OK(q_store_mirror_set_state(f->st, "off.example.se", "disabled", "maintenance", &err_));
	OK(q_store_mirror_crawled(f->st, "m1.example.se", true, 1, 0, 3, NULL, &change, &err_));
	OK(q_store_mirror_crawled(f->st, "m2.example.se", true, 1, 1, 3, NULL, &change, &err_));

	check(f, "m1.example.se", "x86_64", "up_to_date", 'a', true, now);
	check(f, "m1.example.se", "aarch64", "unreachable", 'd', false, now); /* no holder */
	hexfill(sha, 'a', 64);
	OK(q_store_mirror_check_put(f->st, "m1.example.se", "sig-gone-x-9", "x86_64", "up_to_date",
				    sha, true, 200, "", 0.1, now, &err_)); /* not published */
	check(f, "m2.example.se", "x86_64", "lagging", 'b', false, now);
	check(f, "m2.example.se", "aarch64", "stale", 'f', false, now); /* no version */
	check(f, "pending.example.se", "x86_64", "up_to_date", 'a', true, now);
	check(f, "off.example.se", "x86_64", "up_to_date", 'a', true, now);
	check(f, ":master", "x86_64", "up_to_date", 'a', true, now); /* the hub itself */

	if (q_snapshot_build_json(f->st, "https://hub.example.org/", 3600, &doc, &err) < 0)
		fail_msg("build_json: %s", err.msg);

	/* the document itself */
	assert_string_equal(json_string_value(json_object_get(doc, "format")),
			    "quarry-mirror-snapshot");
	assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
	assert_true(json_integer_value(json_object_get(doc, "built")) >= now);
	assert_string_equal(json_string_value(json_object_get(doc, "master")),
			    "https://hub.example.org");
	assert_int_equal(json_array_size(json_object_get(doc, "repos")), 2);
	assert_int_equal(json_array_size(json_object_get(doc, "mirrors")), 2);
	assert_null(find_mirror_json(doc, "pending.example.se"));
	assert_null(find_mirror_json(doc, "off.example.se"));
	assert_null(find_mirror_json(doc, ":master"));
	j = find_mirror_json(doc, "m1.example.se");
	assert_non_null(j);
	v = json_object_get(j, "serves");
	assert_int_equal(json_object_size(v), 1); /* unreachable and unpublished left out */
	hexfill(sha, 'a', 64);
	assert_string_equal(json_string_value(json_object_get(v, "sig-mc-main-9/x86_64")), sha);

	if (q_snapshot_from_json(doc, &s, &err) < 0)
		fail_msg("from_json: %s", err.msg);
	assert_string_equal(s->master, "https://hub.example.org");
	assert_non_null(strstr(s->pairs, "repo=sig-mc-main-9&arch=x86_64\n"));
	assert_non_null(strstr(s->pairs, "repo=sig-mc-main-9&arch=aarch64\n"));

	r = q_snapshot_find(s, "sig-mc-main-9", "x86_64");
	assert_non_null(r);
	assert_string_equal(r->path, "sig/9/mc/x86_64/main/");
	assert_int_equal(r->n_versions, 2); /* 'e' is outside the window */
	assert_int_equal(r->versions[0].timestamp, 300);
	assert_int_equal(r->versions[0].size, 1300);
	hexfill(sha, 'a', 64);
	assert_string_equal(r->versions[0].digests.sha256, sha);
	hexfill(sha512, 'a', 128);
	assert_string_equal(r->versions[0].digests.sha512, sha512);
	assert_int_equal(r->versions[1].timestamp, 200);
	assert_int_equal(r->n_holders, 2);
	assert_string_equal(s->mirrors[r->holders[0].mirror].name, "m1.example.se");
	assert_int_equal(r->holders[0].version, 0);
	assert_string_equal(s->mirrors[r->holders[1].mirror].name, "m2.example.se");
	assert_int_equal(r->holders[1].version, 1);

	r = q_snapshot_find(s, "sig-mc-main-9", "aarch64");
	assert_non_null(r);
	assert_int_equal(r->n_versions, 1); /* the newest, however old */
	assert_int_equal(r->versions[0].timestamp, 50);
	assert_string_equal(r->path, "sig/9/mc/aarch64/main/");
	assert_int_equal(r->n_holders, 0); /* m1 unreachable, m2 stale */

	assert_int_equal(s->n_mirrors, 2);
	m = &s->mirrors[0];
	assert_string_equal(m->name, "m1.example.se");
	assert_string_equal(m->http, "http://m1.example.se/pub/");
	assert_string_equal(m->https, "https://m1.example.se/pub/");
	assert_null(m->rsync);
	assert_string_equal(m->country, "SE");
	assert_string_equal(m->continent, "EU");
	assert_int_equal(m->n_asn, 1);
	assert_int_equal(m->asn[0], 3301);
	assert_int_equal(m->n_subnets, 1);
	assert_int_equal(m->subnets[0].prefix, 24);
	assert_false(m->is_private);
	assert_false(m->monopoly);
	assert_int_equal(m->bandwidth, 250);
	assert_true(m->ipv4);
	assert_false(m->ipv6);
	m = &s->mirrors[1];
	assert_string_equal(m->name, "m2.example.se");
	assert_true(m->ipv4);
	assert_true(m->ipv6);
	q_snapshot_free(s);
	json_decref(doc);

	/* the mirror's next check failed: no holder any more */
	check(f, "m2.example.se", "x86_64", "unreachable", 0, false, now + 1);
	if (q_snapshot_build_json(f->st, "https://hub.example.org", 3600, &doc, &err) < 0 ||
	    q_snapshot_from_json(doc, &s, &err) < 0)
		fail_msg("rebuild: %s", err.msg);
	r = q_snapshot_find(s, "sig-mc-main-9", "x86_64");
	assert_int_equal(r->n_holders, 1);
	assert_string_equal(s->mirrors[r->holders[0].mirror].name, "m1.example.se");
	q_snapshot_free(s);
	json_decref(doc);

	/* partial: the newest repomd.xml but not all its files: no holder;
	 * the same hash up to date: a holder */
	for (int whole = 0; whole < 2; whole++) {
		check(f, "m2.example.se", "aarch64", whole ? "up_to_date" : "partial", 'd', whole,
		      now + 2);
		if (q_snapshot_build_json(f->st, "https://hub.example.org", 3600, &doc, &err) < 0 ||
		    q_snapshot_from_json(doc, &s, &err) < 0)
			fail_msg("rebuild: %s", err.msg);
		r = q_snapshot_find(s, "sig-mc-main-9", "aarch64");
		assert_int_equal(r->n_holders, whole ? 1 : 0);
		q_snapshot_free(s);
		json_decref(doc);
	}
}

/* Nothing published, no mirrors: a valid, empty snapshot. */
static void test_build_empty(void **state)
{
	struct fixture *f = *state;
	struct q_snapshot *s = NULL;
	struct q_error err = {0};
	json_t *doc = NULL;

	if (q_snapshot_build_json(f->st, "http://hub.example.org", 3600, &doc, &err) < 0 ||
	    q_snapshot_from_json(doc, &s, &err) < 0)
		fail_msg("build: %s", err.msg);
	assert_int_equal(json_array_size(json_object_get(doc, "repos")), 0);
	assert_int_equal(s->n_mirrors, 0);
	assert_string_equal(s->pairs, "");
	q_snapshot_free(s);
	json_decref(doc);
}

/* The master's families come from its family check rows: those that
 * answered; none answered (or no rows) leaves the key out. */
static void test_build_master_families(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	static const struct {
		int v4, v6;       /* http_status of each family's row, -1: no row */
		const char *want; /* the key as JSON, NULL: absent */
		bool s4, s6;      /* parsed */
	} cases[] = {
	    {-1, -1, NULL, true, true},
	    {200, 0, "[\"ipv4\"]", true, false},
	    {0, 404, "[\"ipv6\"]", false, true},
	    {200, 200, "[\"ipv4\",\"ipv6\"]", true, true},
	    {0, 0, NULL, true, true},
	};

	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++) {
		struct q_snapshot *s = NULL;
		struct q_error err = {0};
		json_t *doc = NULL;
		char *got;

		for (int fam = 0; fam < 2; fam++) {
			int st = fam ? cases[i].v6 : cases[i].v4;

			if (st >= 0)
				OK(q_store_mirror_check_put(
				    f->st, Q_SNAP_MASTER, Q_SNAP_MASTER_FAMILY,
				    fam ? "ipv6" : "ipv4", st ? "up_to_date" : "unreachable", "",
				    false, st, st ? "" : "no answer", 0.1, now + (int64_t)i,
				    &err_));
		}
		if (q_snapshot_build_json(f->st, "http://hub.example.org", 3600, &doc, &err) < 0 ||
		    q_snapshot_from_json(doc, &s, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg);
		got = json_object_get(doc, "master_families")
			  ? json_dumps(json_object_get(doc, "master_families"), JSON_COMPACT)
			  : NULL;
		if (cases[i].want ? !got || strcmp(got, cases[i].want) != 0 : got != NULL)
			fail_msg("case %zu: master_families %s, want %s", i, got ? got : "absent",
				 cases[i].want ? cases[i].want : "absent");
		assert_int_equal(s->master_ipv4, cases[i].s4);
		assert_int_equal(s->master_ipv6, cases[i].s6);
		free(got);
		q_snapshot_free(s);
		json_decref(doc);
	}
}

/* --- the holder --- */

static struct q_snapshot *parsed(void)
{
	struct q_error err = {0};
	struct q_snapshot *s = NULL;
	json_t *doc = valid_doc();

	if (q_snapshot_from_json(doc, &s, &err) < 0)
		fail_msg("from_json: %s", err.msg);
	json_decref(doc);
	return s;
}

/* The layout of snapshot.c's retired entries, to age them in the test. */
struct retired_view {
	struct q_snapshot *s;
	int64_t when;
};

static void test_holder(void **state)
{
	struct q_snapshot_holder h = {0};
	struct q_snapshot *a = parsed(), *b = parsed(), *c = parsed(), *d = parsed();
	struct retired_view *old;

	(void)state;
	q_snapshot_holder_release(&h); /* never initialised: nothing to do */
	q_snapshot_holder_init(&h);
	assert_null(atomic_load(&h.cur));
	q_snapshot_holder_swap(&h, a);
	assert_ptr_equal(atomic_load(&h.cur), a);
	assert_int_equal(g_queue_get_length(h.retired), 0);
	q_snapshot_holder_swap(&h, b);
	q_snapshot_holder_swap(&h, c);
	assert_ptr_equal(atomic_load(&h.cur), c);
	/* a and b are kept a minute for requests that may still hold them */
	assert_int_equal(g_queue_get_length(h.retired), 2);
	old = g_queue_peek_head(h.retired);
	assert_ptr_equal(old->s, a);
	/* a retired two minutes ago is freed at the next swap, b is not */
	old->when -= 120;
	q_snapshot_holder_swap(&h, d);
	assert_ptr_equal(atomic_load(&h.cur), d);
	assert_int_equal(g_queue_get_length(h.retired), 2);
	old = g_queue_peek_head(h.retired);
	assert_ptr_equal(old->s, b);
	/* swapping NULL in retires d */
	q_snapshot_holder_swap(&h, NULL);
	assert_null(atomic_load(&h.cur));
	assert_int_equal(g_queue_get_length(h.retired), 3);
	q_snapshot_holder_release(&h);
	assert_null(h.lock);
	q_snapshot_holder_release(&h); /* twice is harmless */

	/* released with a current snapshot and nothing retired */
	q_snapshot_holder_init(&h);
	q_snapshot_holder_swap(&h, parsed());
	q_snapshot_holder_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_valid),
	    cmocka_unit_test(test_parse_empty),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_not_an_object),
	    cmocka_unit_test(test_master_families),
	    cmocka_unit_test(test_refusal_late),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test_setup_teardown(test_build, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_build_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_build_master_families, setup, teardown),
	    cmocka_unit_test(test_holder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
