/*
 * snapshot.c: see snapshot.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "mirror/geoip.h"
#include "mirror/snapshot.h"
#include "store/store.h"

#include <glib.h>
#include <time.h>

#define SNAPSHOT_FORMAT "quarry-mirror-snapshot"
#define SNAPSHOT_MAX_FILE ((size_t)256 << 20)
#define MAX_VERSIONS 1000

struct q_snap_mirror;
static int parse_mirror(json_t *j, size_t idx, struct q_snap_mirror *m, json_t **serves,
			struct q_error *err);
static void mirror_release(struct q_snap_mirror *m);

/* --- building the document from the database --- */

static json_t *version_json(json_t *row)
{
	return json_pack("{s:I,s:I,s:O,s:O,s:O,s:O}", "timestamp",
			 json_integer_value(json_object_get(row, "revision")), "size",
			 json_integer_value(json_object_get(row, "size")), "md5",
			 json_object_get(row, "md5"), "sha1", json_object_get(row, "sha1"),
			 "sha256", json_object_get(row, "sha256"), "sha512",
			 json_object_get(row, "sha512"));
}

static void copy_member(json_t *dst, json_t *src, const char *k)
{
	json_t *v = json_object_get(src, k);

	if (v && !json_is_null(v))
		json_object_set(dst, k, v);
}

static json_t *mirror_json(json_t *row, json_t *serves)
{
	json_t *d = json_object_get(row, "definition");
	json_t *m = json_object();
	json_t *bw = json_object_get(d, "bandwidth");
	json_t *addr = json_object_get(d, "address");

	json_object_set(m, "name", json_object_get(row, "name"));
	for (const char *const *k = (const char *const[]){"http", "https", "rsync", NULL}; *k; k++)
		copy_member(m, addr, *k);
	copy_member(m, json_object_get(d, "geolocation"), "country");
	json_object_set_new(m, "asn", json_deep_copy(json_object_get(d, "asn")));
	json_object_set_new(m, "subnets", json_deep_copy(json_object_get(d, "subnets")));
	json_object_set_new(m, "private",
			    json_boolean(json_is_true(json_object_get(d, "private"))));
	json_object_set_new(m, "monopoly",
			    json_boolean(json_is_true(json_object_get(d, "monopoly"))));
	json_object_set_new(m, "bandwidth",
			    json_integer(json_is_integer(bw) && json_integer_value(bw) > 0
					     ? json_integer_value(bw)
					     : 100));
	json_object_set_new(m, "ipv4",
			    json_boolean(json_integer_value(json_object_get(row, "ipv4")) != 0));
	json_object_set_new(m, "ipv6",
			    json_boolean(json_integer_value(json_object_get(row, "ipv6")) != 0));
	/* A new empty object is handed over; a borrowed one gets its own reference. */
	json_object_set_new(m, "serves", serves ? json_incref(serves) : json_object());
	if (!json_is_array(json_object_get(m, "asn")))
		json_object_set_new(m, "asn", json_array());
	if (!json_is_array(json_object_get(m, "subnets")))
		json_object_set_new(m, "subnets", json_array());
	return m;
}

int q_snapshot_build_json(struct q_store *st, const char *public_url, int64_t window, json_t **out,
			  struct q_error *err)
{
	json_t *rows = NULL, *mirrors = NULL, *checks = NULL, *row;
	json_t *repos = json_array(), *mlist = json_array(), *by_key = json_object();
	json_t *serves_by = json_object(), *mfam = json_array();
	int64_t now = (int64_t)time(NULL);
	char *master;
	size_t i;

	*out = NULL;
	if (q_store_publish_window(st, now - window, &rows, err) < 0 ||
	    q_store_mirror_list(st, &mirrors, err) < 0 ||
	    q_store_mirror_checks(st, NULL, &checks, err) < 0)
		goto fail;
	json_array_foreach (rows, i, row) {
		const char *sig = json_string_value(json_object_get(row, "sig"));
		const char *name = json_string_value(json_object_get(row, "repo"));
		const char *arch = json_string_value(json_object_get(row, "arch"));
		int64_t major = json_integer_value(json_object_get(row, "major"));
		char *repo = g_strdup_printf("sig-%s-%s-%" PRId64, sig, name, major);
		char *key = g_strdup_printf("%s/%s", repo, arch);
		json_t *r = json_object_get(by_key, key);

		if (!r) {
			char *path =
			    g_strdup_printf("sig/%" PRId64 "/%s/%s/%s/", major, sig, arch, name);

			r = json_pack("{s:s,s:s,s:s,s:[]}", "repo", repo, "arch", arch, "path",
				      path, "versions");
			g_free(path);
			json_object_set_new(by_key, key, r);
			json_array_append(repos, r);
		}
		json_array_append_new(json_object_get(r, "versions"), version_json(row));
		g_free(repo);
		g_free(key);
	}
	json_array_foreach (checks, i, row) {
		const char *sha = json_string_value(json_object_get(row, "sha256"));
		const char *mirror = json_string_value(json_object_get(row, "mirror"));
		const char *cs = json_string_value(json_object_get(row, "state"));
		json_t *sv;
		char key[512];

		if (!strcmp(mirror, Q_SNAP_MASTER) &&
		    !strcmp(json_string_value(json_object_get(row, "repo")),
			    Q_SNAP_MASTER_FAMILY)) {
			if (json_integer_value(json_object_get(row, "http_status")) > 0)
				json_array_append_new(mfam, json_string(json_string_value(
								json_object_get(row, "arch"))));
			continue;
		}
		/* A partial mirror has the newest repomd.xml but not all its
		 * files: it holds nothing a client can use. */
		if (!sha || !*sha || !strcmp(cs, "unreachable") || !strcmp(cs, "partial"))
			continue;
		snprintf(key, sizeof(key), "%s/%s", json_string_value(json_object_get(row, "repo")),
			 json_string_value(json_object_get(row, "arch")));
		if (!json_object_get(by_key, key))
			continue; /* a repo no longer published */
		sv = json_object_get(serves_by, mirror);
		if (!sv) {
			sv = json_object();
			json_object_set_new(serves_by, mirror, sv);
		}
		json_object_set_new(sv, key, json_string(sha));
	}
	json_array_foreach (mirrors, i, row) {
		const char *name = json_string_value(json_object_get(row, "name"));

		if (strcmp(json_string_value(json_object_get(row, "state")), "active"))
			continue;
		json_t *mj = mirror_json(row, json_object_get(serves_by, name));
		struct q_snap_mirror probe = {0};
		struct q_error perr = {0};
		json_t *ps = NULL;

		/* One mirror the service cannot use must not stop every refresh. */
		if (parse_mirror(mj, json_array_size(mlist), &probe, &ps, &perr) < 0) {
			q_warn("mirror %s left out of the snapshot: %s", name, perr.msg);
			json_decref(mj);
		} else {
			json_array_append_new(mlist, mj);
		}
		mirror_release(&probe);
	}
	master = g_strdup(public_url);
	while (*master && master[strlen(master) - 1] == '/')
		master[strlen(master) - 1] = '\0';
	*out =
	    json_pack("{s:s,s:i,s:I,s:s,s:o,s:o}", "format", SNAPSHOT_FORMAT, "version", 1, "built",
		      (json_int_t)now, "master", master, "repos", repos, "mirrors", mlist);
	g_free(master);
	if (json_array_size(mfam))
		json_object_set(*out, "master_families", mfam);
	repos = mlist = NULL;
fail:
	json_decref(rows);
	json_decref(mirrors);
	json_decref(checks);
	json_decref(repos);
	json_decref(mlist);
	json_decref(by_key);
	json_decref(serves_by);
	json_decref(mfam);
	if (!*out && err && !err->msg[0])
		q_error_set(err, Q_EINTERNAL, "cannot build the mirror snapshot");
	return *out ? 0 : -1;
}

/* --- parsing --- */

static void repo_free(gpointer p)
{
	struct q_snap_repo *r = p;

	g_free(r->key);
	g_free(r->repo);
	g_free(r->arch);
	g_free(r->path);
	g_free(r->versions);
	g_free(r->holders);
	g_free(r);
}

static void mirror_release(struct q_snap_mirror *m)
{
	g_free(m->name);
	g_free(m->http);
	g_free(m->https);
	g_free(m->rsync);
	g_free(m->asn);
	g_free(m->subnets);
}

void q_snapshot_free(struct q_snapshot *s)
{
	if (!s)
		return;
	if (s->by_key)
		g_hash_table_destroy(s->by_key);
	for (size_t i = 0; i < s->n_mirrors; i++)
		mirror_release(&s->mirrors[i]);
	g_free(s->mirrors);
	g_free(s->pairs);
	g_free(s->master);
	g_free(s->subnets);
	g_free(s->asns);
	g_free(s);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The flat subnet and ASN indexes (see struct q_snapshot). */
static void index_networks(struct q_snapshot *s)
{
	size_t ns = 0, na = 0;

	for (size_t i = 0; i < s->n_mirrors; i++) {
		ns += s->mirrors[i].n_subnets;
		na += s->mirrors[i].n_asn;
	}
	s->subnets = g_new0(struct q_snap_subnet, ns + 1);
	s->asns = g_new0(uint32_t, na + 1);
	for (size_t i = 0; i < s->n_mirrors; i++) {
		const struct q_snap_mirror *m = &s->mirrors[i];

		for (size_t k = 0; k < m->n_subnets; k++) {
			s->subnets[s->n_subnets].net = m->subnets[k];
			s->subnets[s->n_subnets++].mirror = (uint32_t)i;
		}
		for (size_t k = 0; k < m->n_asn; k++)
			s->asns[s->n_asns++] = m->asn[k];
	}
	qsort(s->asns, s->n_asns, sizeof(*s->asns), cmp_u32);
}

/* A string member: required or optional (NULL when absent), at most max bytes. */
static int get_str(json_t *o, const char *k, bool required, size_t max, const char *where,
		   const char **out, struct q_error *err)
{
	json_t *v = json_object_get(o, k);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return q_error_set(err, Q_EINVAL, "%s.%s: missing", where, k);
		return 0;
	}
	if (!json_is_string(v))
		return q_error_set(err, Q_EINVAL, "%s.%s: not a string", where, k);
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return q_error_set(err, Q_EINVAL, "%s.%s: longer than %zu bytes or holds NUL",
				   where, k, max);
	*out = json_string_value(v);
	return 0;
}

static int get_int(json_t *o, const char *k, int64_t min, int64_t max, const char *where,
		   int64_t *out, struct q_error *err)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		return q_error_set(err, Q_EINVAL, "%s.%s: missing or not an integer", where, k);
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return q_error_set(err, Q_EINVAL, "%s.%s: %" PRId64 " is out of range", where, k,
				   *out);
	return 0;
}

/* A base URL: http(s)/rsync scheme, no control characters or spaces, ending in '/'. */
static int check_url(const char *u, const char *scheme, const char *where, const char *k,
		     struct q_error *err)
{
	size_t n = strlen(scheme);

	if (g_ascii_strncasecmp(u, scheme, n) || strncmp(u + n, "://", 3) || !u[n + 3] ||
	    u[n + 3] == '/' || u[strlen(u) - 1] != '/')
		return q_error_set(err, Q_EINVAL,
				   "%s.%s: '%.200s' is not a %s:// URL ending in '/'", where, k, u,
				   scheme);
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return q_error_set(err, Q_EINVAL,
					   "%s.%s: a space or control character in the URL", where,
					   k);
	return 0;
}

static int hex_field(json_t *o, const char *k, size_t want, char *dst, size_t size,
		     const char *where, struct q_error *err)
{
	const char *v;

	if (get_str(o, k, false, want, where, &v, err) < 0)
		return -1;
	if (!v || !*v) {
		dst[0] = '\0';
		return 0;
	}
	if (strlen(v) != want || !q_is_hex(v, want))
		return q_error_set(err, Q_EINVAL, "%s.%s: not %zu hex digits", where, k, want);
	snprintf(dst, size, "%s", v);
	for (char *p = dst; *p; p++)
		*p = g_ascii_tolower(*p);
	return 0;
}

static int parse_repo(json_t *j, size_t idx, struct q_snap_repo **out, struct q_error *err)
{
	struct q_snap_repo *r = g_new0(struct q_snap_repo, 1);
	const char *repo, *arch, *path;
	json_t *vers, *v;
	char where[64];
	size_t i;

	snprintf(where, sizeof(where), "repos[%zu]", idx);
	*out = NULL;
	if (!json_is_object(j)) {
		q_error_set(err, Q_EINVAL, "%s: not an object", where);
		goto fail;
	}
	if (get_str(j, "repo", true, 100, where, &repo, err) < 0 ||
	    get_str(j, "arch", true, 31, where, &arch, err) < 0 ||
	    get_str(j, "path", true, 1000, where, &path, err) < 0)
		goto fail;
	if (!*repo || !*arch || strchr(repo, '/') || strchr(arch, '/')) {
		q_error_set(err, Q_EINVAL, "%s: empty repo or arch, or one holding '/'", where);
		goto fail;
	}
	if (path[0] == '/' || !*path || path[strlen(path) - 1] != '/' || strstr(path, "..") ||
	    strpbrk(path, " \t\r\n?#")) {
		q_error_set(err, Q_EINVAL, "%s.path: '%.200s' is not a relative directory path",
			    where, path);
		goto fail;
	}
	vers = json_object_get(j, "versions");
	if (!json_is_array(vers) || json_array_size(vers) == 0 ||
	    json_array_size(vers) > MAX_VERSIONS) {
		q_error_set(err, Q_EINVAL, "%s.versions: not an array of 1..%d versions", where,
			    MAX_VERSIONS);
		goto fail;
	}
	r->repo = g_strdup(repo);
	r->arch = g_strdup(arch);
	r->path = g_strdup(path);
	r->key = g_strdup_printf("%s/%s", repo, arch);
	r->versions = g_new0(struct q_repomd_version, json_array_size(vers));
	json_array_foreach (vers, i, v) {
		struct q_repomd_version *x = &r->versions[i];
		char w[96];
		int64_t n;

		snprintf(w, sizeof(w), "%s.versions[%zu]", where, i);
		if (!json_is_object(v)) {
			q_error_set(err, Q_EINVAL, "%s: not an object", w);
			goto fail;
		}
		if (get_int(v, "timestamp", 0, INT64_MAX, w, &x->timestamp, err) < 0 ||
		    get_int(v, "size", 0, INT64_MAX, w, &n, err) < 0 ||
		    hex_field(v, "md5", 32, x->digests.md5, sizeof(x->digests.md5), w, err) < 0 ||
		    hex_field(v, "sha1", 40, x->digests.sha1, sizeof(x->digests.sha1), w, err) <
			0 ||
		    hex_field(v, "sha256", 64, x->digests.sha256, sizeof(x->digests.sha256), w,
			      err) < 0 ||
		    hex_field(v, "sha512", 128, x->digests.sha512, sizeof(x->digests.sha512), w,
			      err) < 0)
			goto fail;
		if (!x->digests.sha256[0]) {
			q_error_set(err, Q_EINVAL, "%s.sha256: missing", w);
			goto fail;
		}
		x->size = (uint64_t)n;
		r->n_versions++;
	}
	*out = r;
	return 0;
fail:
	repo_free(r);
	return -1;
}

static int parse_mirror(json_t *j, size_t idx, struct q_snap_mirror *m, json_t **serves,
			struct q_error *err)
{
	char where[64];
	const char *name, *url, *cc;
	json_t *a, *v;
	int64_t n;
	size_t i;

	snprintf(where, sizeof(where), "mirrors[%zu]", idx);
	if (!json_is_object(j))
		return q_error_set(err, Q_EINVAL, "%s: not an object", where);
	if (get_str(j, "name", true, 253, where, &name, err) < 0)
		return -1;
	m->name = g_strdup(name);
	for (int k = 0; k < 3; k++) {
		const char *key = (const char *[]){"http", "https", "rsync"}[k];
		char **dst = (char **[]){&m->http, &m->https, &m->rsync}[k];

		if (get_str(j, key, false, Q_MIRRORDEF_MAX_STRING + 1, where, &url, err) < 0)
			return -1;
		if (url && check_url(url, key, where, key, err) < 0)
			return -1;
		*dst = url ? g_strdup(url) : NULL;
	}
	if (!m->http && !m->https && !m->rsync)
		return q_error_set(err, Q_EINVAL, "%s: no http, https or rsync URL", where);
	if (get_str(j, "country", false, 2, where, &cc, err) < 0)
		return -1;
	if (cc && *cc) {
		if (!q_continent_of(cc))
			return q_error_set(err, Q_EINVAL, "%s.country: '%s' is not a country code",
					   where, cc);
		m->country[0] = g_ascii_toupper(cc[0]);
		m->country[1] = g_ascii_toupper(cc[1]);
		m->continent = q_continent_of(m->country);
	}
	a = json_object_get(j, "asn");
	if (a && !json_is_array(a))
		return q_error_set(err, Q_EINVAL, "%s.asn: not an array", where);
	m->asn = g_new0(uint32_t, json_array_size(a) + 1);
	json_array_foreach (a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > UINT32_MAX)
			return q_error_set(err, Q_EINVAL, "%s.asn[%zu]: not an ASN", where, i);
		m->asn[m->n_asn++] = (uint32_t)json_integer_value(v);
	}
	a = json_object_get(j, "subnets");
	if (a && !json_is_array(a))
		return q_error_set(err, Q_EINVAL, "%s.subnets: not an array", where);
	m->subnets = g_new0(struct q_cidr, json_array_size(a) + 1);
	json_array_foreach (a, i, v) {
		struct q_error e = {0};

		if (!json_is_string(v) ||
		    q_cidr_parse(json_string_value(v), &m->subnets[m->n_subnets], &e) < 0)
			return q_error_set(err, Q_EINVAL, "%s.subnets[%zu]: %s", where, i,
					   e.msg[0] ? e.msg : "not a string");
		m->n_subnets++;
	}
	m->is_private = json_is_true(json_object_get(j, "private"));
	m->monopoly = json_is_true(json_object_get(j, "monopoly"));
	if (json_object_get(j, "bandwidth")) {
		if (get_int(j, "bandwidth", 1, 100000000, where, &n, err) < 0)
			return -1;
		m->bandwidth = (uint32_t)n;
	} else {
		m->bandwidth = 100;
	}
	m->ipv4 = json_is_true(json_object_get(j, "ipv4"));
	m->ipv6 = json_is_true(json_object_get(j, "ipv6"));
	*serves = json_object_get(j, "serves");
	if (*serves && !json_is_object(*serves))
		return q_error_set(err, Q_EINVAL, "%s.serves: not an object", where);
	return 0;
}

static int add_holders(struct q_snapshot *s, uint32_t mi, json_t *serves, struct q_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach (serves, key, v) {
		struct q_snap_repo *r = g_hash_table_lookup(s->by_key, key);
		const char *sha = json_string_value(v);

		if (!sha)
			return q_error_set(err, Q_EINVAL,
					   "mirrors[%u].serves['%.200s']: not a string", mi, key);
		if (!r)
			continue; /* a repo not in this snapshot: nothing to serve */
		for (size_t i = 0; i < r->n_versions; i++) {
			if (!g_ascii_strcasecmp(r->versions[i].digests.sha256, sha)) {
				r->holders =
				    g_renew(struct q_snap_holder, r->holders, r->n_holders + 1);
				r->holders[r->n_holders].mirror = mi;
				r->holders[r->n_holders].version = (uint16_t)i;
				r->n_holders++;
				break;
			}
		}
	}
	return 0;
}

/* "master_families": absent or empty, every family; else those listed. */
static int parse_master_families(json_t *a, struct q_snapshot *s, struct q_error *err)
{
	json_t *v;
	size_t i;

	s->master_ipv4 = s->master_ipv6 = true;
	if (!a || json_is_null(a) || (json_is_array(a) && json_array_size(a) == 0))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 2)
		return q_error_set(err, Q_EINVAL,
				   "snapshot.master_families: not an array of \"ipv4\", \"ipv6\"");
	s->master_ipv4 = s->master_ipv6 = false;
	json_array_foreach (a, i, v) {
		const char *f = json_string_value(v);

		if (f && !strcmp(f, "ipv4"))
			s->master_ipv4 = true;
		else if (f && !strcmp(f, "ipv6"))
			s->master_ipv6 = true;
		else
			return q_error_set(
			    err, Q_EINVAL,
			    "snapshot.master_families[%zu]: not \"ipv4\" or \"ipv6\"", i);
	}
	return 0;
}

int q_snapshot_from_json(json_t *doc, struct q_snapshot **out, struct q_error *err)
{
	struct q_snapshot *s = g_new0(struct q_snapshot, 1);
	json_t *repos, *mirrors, *v, **serves = NULL;
	const char *fmt, *master;
	GString *pairs = g_string_new(NULL);
	int64_t version;
	size_t i;

	*out = NULL;
	s->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, repo_free);
	if (!json_is_object(doc)) {
		q_error_set(err, Q_EINVAL, "snapshot: not a JSON object");
		goto fail;
	}
	if (get_str(doc, "format", true, 64, "snapshot", &fmt, err) < 0)
		goto fail;
	if (strcmp(fmt, SNAPSHOT_FORMAT)) {
		q_error_set(err, Q_EINVAL, "snapshot.format: '%s', expected '%s'", fmt,
			    SNAPSHOT_FORMAT);
		goto fail;
	}
	if (get_int(doc, "version", 1, 1, "snapshot", &version, err) < 0 ||
	    get_int(doc, "built", 0, INT64_MAX, "snapshot", &s->built, err) < 0 ||
	    get_str(doc, "master", true, 1000, "snapshot", &master, err) < 0)
		goto fail;
	if ((strncmp(master, "http://", 7) && strncmp(master, "https://", 8)) ||
	    !master[strncmp(master, "https", 5) ? 7 : 8] || strpbrk(master, " \t\r\n")) {
		q_error_set(err, Q_EINVAL, "snapshot.master: not an http(s) URL with a host");
		goto fail;
	}
	s->master = g_strdup(master);
	while (*s->master && s->master[strlen(s->master) - 1] == '/')
		s->master[strlen(s->master) - 1] = '\0';
	if (parse_master_families(json_object_get(doc, "master_families"), s, err) < 0)
		goto fail;
	repos = json_object_get(doc, "repos");
	mirrors = json_object_get(doc, "mirrors");
	if (!json_is_array(repos) || !json_is_array(mirrors)) {
		q_error_set(err, Q_EINVAL, "snapshot: 'repos' and 'mirrors' must be arrays");
		goto fail;
	}
	json_array_foreach (repos, i, v) {
		struct q_snap_repo *r;

		if (parse_repo(v, i, &r, err) < 0)
			goto fail;
		if (g_hash_table_contains(s->by_key, r->key)) {
			q_error_set(err, Q_EINVAL, "repos[%zu]: '%s' appears twice", i, r->key);
			repo_free(r);
			goto fail;
		}
		g_hash_table_insert(s->by_key, r->key, r);
		g_string_append_printf(pairs, "repo=%s&arch=%s\n", r->repo, r->arch);
	}
	if (json_array_size(mirrors) > UINT32_MAX / 2) {
		q_error_set(err, Q_EINVAL, "snapshot: too many mirrors");
		goto fail;
	}
	s->mirrors = g_new0(struct q_snap_mirror, json_array_size(mirrors) + 1);
	serves = g_new0(json_t *, json_array_size(mirrors) + 1);
	json_array_foreach (mirrors, i, v) {
		s->n_mirrors++;
		if (parse_mirror(v, i, &s->mirrors[i], &serves[i], err) < 0)
			goto fail;
	}
	for (i = 0; i < s->n_mirrors; i++)
		if (serves[i] && add_holders(s, (uint32_t)i, serves[i], err) < 0)
			goto fail;
	g_free(serves);
	s->pairs = g_string_free(pairs, FALSE);
	index_networks(s);
	*out = s;
	return 0;
fail:
	g_free(serves);
	g_string_free(pairs, TRUE);
	q_snapshot_free(s);
	return -1;
}

int q_snapshot_load_file(const char *path, struct q_snapshot **out, struct q_error *err)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *doc;
	int rc;

	*out = NULL;
	if (q_fs_read_file(path, SNAPSHOT_MAX_FILE, &text, &len, err) < 0)
		return -1;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!doc)
		return q_error_set(err, Q_EINVAL, "%s:%d:%d: %s", path, je.line, je.column,
				   je.text);
	rc = q_snapshot_from_json(doc, out, err);
	json_decref(doc);
	if (rc < 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		q_error_set(err, Q_EINVAL, "%s: %s", path, msg);
	}
	return rc;
}

int q_snapshot_write_file(const char *path, json_t *doc, struct q_error *err)
{
	/* Derived data, rebuilt from the database at every start: written to a
	 * temporary name and renamed (readers never see half a file), but not
	 * fsynced, which would cost every publish a disk flush. A file cut short
	 * by a crash does not parse; readers keep what they had. */
	char tmp[PATH_MAX];
	FILE *f;
	bool bad;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return q_error_set(err, Q_EINVAL, "path '%s' is too long", path);
	f = fopen(tmp, "we");
	if (!f)
		return q_error_set(err, Q_EIO, "cannot write '%s': %s", tmp, strerror(errno));
	bad = json_dumpf(doc, f, JSON_COMPACT) < 0;
	bad |= fclose(f) != 0;
	if (bad) {
		unlink(tmp);
		return q_error_set(err, Q_EIO, "cannot write '%s'", tmp);
	}
	if (rename(tmp, path) < 0) {
		rc = q_error_set(err, Q_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
				 strerror(errno));
		unlink(tmp);
	}
	return rc;
}

const struct q_snap_repo *q_snapshot_find(const struct q_snapshot *s, const char *repo,
					  const char *arch)
{
	char key[256];

	if (!s || snprintf(key, sizeof(key), "%s/%s", repo, arch) >= (int)sizeof(key))
		return NULL;
	return g_hash_table_lookup(s->by_key, key);
}

/* --- the holder --- */

struct retired {
	struct q_snapshot *s;
	int64_t when;
};

void q_snapshot_holder_init(struct q_snapshot_holder *h)
{
	GMutex *m = g_new0(GMutex, 1);

	g_mutex_init(m);
	atomic_store(&h->cur, NULL);
	h->retired = g_queue_new();
	h->lock = m;
}

void q_snapshot_holder_swap(struct q_snapshot_holder *h, struct q_snapshot *s)
{
	struct q_snapshot *old = atomic_exchange(&h->cur, s);
	int64_t now = (int64_t)time(NULL);
	struct retired *r;

	g_mutex_lock(h->lock);
	if (old) {
		r = g_new(struct retired, 1);
		r->s = old;
		r->when = now;
		g_queue_push_tail(h->retired, r);
	}
	while ((r = g_queue_peek_head(h->retired)) && r->when < now - 60) {
		g_queue_pop_head(h->retired);
		q_snapshot_free(r->s);
		g_free(r);
	}
	g_mutex_unlock(h->lock);
}

void q_snapshot_holder_release(struct q_snapshot_holder *h)
{
	struct retired *r;

	if (!h->lock)
		return;
	while ((r = g_queue_pop_head(h->retired))) {
		q_snapshot_free(r->s);
		g_free(r);
	}
	g_queue_free(h->retired);
	q_snapshot_free(atomic_exchange(&h->cur, NULL));
	g_mutex_clear(h->lock);
	g_free(h->lock);
	h->lock = NULL;
	h->retired = NULL;
}
