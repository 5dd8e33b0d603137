/*
 * provenance.c: the in-toto Statement v1 / SLSA Provenance v1 of a build
 * (see provenance.h; the fields are documented in docs/BUILDS.md
 * "Provenance" and docs/buildtypes/rpm-v1.md).
 *
 * URIs: in-toto's TypeURI and ResourceURI must be case-normalised (scheme
 * and authority in lowercase), so the hub's public URL is normalised once
 * here; every path component that comes from a user (a git path, a worker
 * name, a lookaside file name) is percent-encoded.
 */
#include "build/provenance.h"
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"

#include <ctype.h>
#include <glib.h>
#include <string.h>
#include <time.h>

int q_prov_time(int64_t t, char out[Q_PROV_TIME_LEN])
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[64];
	int n;

	out[0] = 0;
	/* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z: what four digits of year can write. */
	if (t < -62167219200LL || t > 253402300799LL || !gmtime_r(&tt, &tm))
		return -1;
	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n != Q_PROV_TIME_LEN - 1)
		return -1;
	memcpy(out, buf, Q_PROV_TIME_LEN);
	return 0;
}

/* Append s[0..len) to g, percent-encoding every byte but letters, digits,
 * ".-_~" and those in keep (uppercase hex, as RFC 3986 recommends). */
static void pct_append(GString *g, const char *s, size_t len, const char *keep)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isascii(c) && (isalnum(c) || strchr(".-_~", c) || (c && strchr(keep, c))))
			g_string_append_c(g, (char)c);
		else
			g_string_append_printf(g, "%%%02X", c);
	}
}

char *q_prov_purl_rpm(const char *nevra)
{
	size_t n = strlen(nevra), vdash = 0, rdash = 0, end = n, colon;
	const char *arch = NULL, *dot;
	const char *version;
	size_t vlen;
	int found = 0;
	GString *g;

	for (size_t i = n; i-- > 0;)
		if (nevra[i] == '-') {
			if (!found++) {
				rdash = i;
			} else {
				vdash = i;
				break;
			}
		}
	if (found < 2)
		return NULL;
	dot = strrchr(nevra, '.');
	if (dot && (size_t)(dot - nevra) > rdash) {
		arch = dot + 1;
		end = (size_t)(dot - nevra);
	}
	/* name, version and release non-empty; an arch, when there is a dot, too */
	if (vdash == 0 || rdash == vdash + 1 || end == rdash + 1 || (arch && !*arch))
		return NULL;
	version = nevra + vdash + 1;
	vlen = rdash - vdash - 1;
	colon = strcspn(version, ":");
	g = g_string_new("pkg:rpm/");
	pct_append(g, nevra, vdash, "");
	g_string_append_c(g, '@');
	if (colon < vlen && colon > 0 && strspn(version, "0123456789") == colon) {
		pct_append(g, version + colon + 1, vlen - colon - 1, ":");
	} else {
		colon = 0;
		pct_append(g, version, vlen, ":");
	}
	g_string_append_c(g, '-');
	pct_append(g, nevra + rdash + 1, end - rdash - 1, ":");
	/* qualifiers sorted by key: arch, epoch (an epoch of 0 is rpm's "none") */
	if (arch) {
		g_string_append(g, "?arch=");
		pct_append(g, arch, strlen(arch), ":");
	}
	if (colon && strspn(version, "0") != colon) {
		g_string_append(g, arch ? "&epoch=" : "?epoch=");
		g_string_append_len(g, version, (gssize)colon);
	}
	return g_string_free(g, FALSE);
}

/* v as a JSON array: v itself, or parsed from JSON text; NULL otherwise. */
static json_t *as_array(json_t *v)
{
	json_t *a;

	if (json_is_array(v))
		return json_incref(v);
	if (!json_is_string(v))
		return NULL;
	a = json_loads(json_string_value(v), JSON_REJECT_DUPLICATES, NULL);
	if (json_is_array(a))
		return a;
	json_decref(a);
	return NULL;
}

json_t *q_prov_buildroot(json_t *v)
{
	json_t *out = json_array(), *arr = as_array(v), *e;
	size_t i;

	if (!arr && json_is_string(v)) {
		/* the old text: one NEVRA a line */
		const char *s = json_string_value(v);

		while (*s) {
			size_t l = strcspn(s, "\n");
			size_t t = l;

			while (t && strchr(" \t\r", s[t - 1]))
				t--;
			if (t)
				json_array_append_new(out, json_pack("{s:s%}", "nevra", s, t));
			s += l;
			if (*s)
				s++;
		}
		return out;
	}
	json_array_foreach (arr, i, e) {
		json_t *nevra = json_is_object(e) ? json_object_get(e, "nevra") : e;
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		json_t *o;

		if (!json_is_string(nevra) || !json_string_length(nevra))
			continue;
		o = json_pack("{s:O}", "nevra", nevra);
		if (sha && q_is_hex(sha, 64))
			json_object_set_new(o, "sha256", json_string(sha));
		json_array_append_new(out, o);
	}
	json_decref(arr);
	return out;
}

json_t *q_prov_buildroot_repos(json_t *v)
{
	json_t *out = json_array(), *arr = as_array(v), *e;
	size_t i;

	json_array_foreach (arr, i, e) {
		const char *url = json_string_value(json_object_get(e, "url"));
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *sha = json_string_value(json_object_get(e, "repomd_sha256"));
		json_t *o;

		if (!url || !*url)
			continue;
		o = json_pack("{s:s}", "url", url);
		if (name && *name)
			json_object_set_new(o, "name", json_string(name));
		if (sha && q_is_hex(sha, 64))
			json_object_set_new(o, "repomd_sha256", json_string(sha));
		json_array_append_new(out, o);
	}
	json_decref(arr);
	return out;
}

/* ---- the statement ---- */

/* Append url to g with its scheme and authority in lowercase (in-toto's
 * URI case normalisation) and without trailing slashes. */
static void append_normal_url(GString *g, const char *url)
{
	const char *sep = strstr(url, "://");
	size_t start = g->len, n = strlen(url), auth_end;

	while (n > 0 && url[n - 1] == '/')
		n--;
	g_string_append_len(g, url, (gssize)n);
	if (!sep || (size_t)(sep - url) >= n)
		return;
	auth_end = (size_t)(sep - url) + 3;
	auth_end += strcspn(url + auth_end, "/?#");
	for (size_t i = 0; i < auth_end && i < n; i++)
		g->str[start + i] = (char)tolower((unsigned char)g->str[start + i]);
}

/* "git+URL@AT[#PATH]" (SPDX's download location form, which in-toto
 * recommends); a local path becomes a file: URL. NULL when url is empty. */
static char *git_uri(const char *url, const char *at, const char *path)
{
	GString *g;

	if (!url || !*url)
		return NULL;
	g = g_string_new("git+");
	if (strstr(url, "://")) {
		append_normal_url(g, url);
	} else if (url[0] == '/') {
		g_string_append(g, "file://");
		pct_append(g, url, strlen(url), "/");
	} else {
		pct_append(g, url, strlen(url), "/:@");
	}
	g_string_append_c(g, '@');
	pct_append(g, at ? at : "", at ? strlen(at) : 0, "/");
	if (path) {
		g_string_append_c(g, '#');
		pct_append(g, path, strlen(path), "/");
	}
	return g_string_free(g, FALSE);
}

/* A digest set {alg: hex} when hex is len lowercase hex digits, else NULL. */
static json_t *digest(const char *alg, const char *hex, size_t len)
{
	if (!hex || !q_is_hex(hex, len))
		return NULL;
	return json_pack("{s:s}", alg, hex);
}

/* Set key to the RFC 3339 form of the integer v, when it is one. */
static void set_time(json_t *obj, const char *key, json_t *v)
{
	char ts[Q_PROV_TIME_LEN];

	if (json_is_integer(v) && q_prov_time(json_integer_value(v), ts) == 0)
		json_object_set_new(obj, key, json_string(ts));
}

/* The descriptor of key in seen, or a new one made by make() and appended
 * to deps; then the task id is added to its annotations' "tasks". */
static void add_dep(json_t *deps, GHashTable *seen, const char *key, json_t *made, json_int_t task)
{
	json_t *d = g_hash_table_lookup(seen, key), *tasks;

	if (!d) {
		d = made;
		json_array_append_new(deps, d);
		g_hash_table_insert(seen, g_strdup(key), d);
	} else {
		json_decref(made);
	}
	tasks = json_object_get(json_object_get(d, "annotations"), "tasks");
	/* tasks come in id order: a repeat is the last one */
	if (json_is_array(tasks) &&
	    (!json_array_size(tasks) ||
	     json_integer_value(json_array_get(tasks, json_array_size(tasks) - 1)) != task))
		json_array_append_new(tasks, json_integer(task));
}

/* Field key of the full task row, or else of the build's task summary. */
static json_t *task_field(json_t *full, json_t *summary, const char *key)
{
	json_t *v = json_object_get(full, key);

	return v ? v : json_object_get(summary, key);
}

/* The buildroot packages and repos of one task, into deps. */
static void add_task_deps(json_t *deps, GHashTable *seen, json_t *task, json_t *summary)
{
	json_int_t id = json_integer_value(json_object_get(summary, "id"));
	json_t *root = q_prov_buildroot(task_field(task, summary, "buildroot"));
	json_t *repos = q_prov_buildroot_repos(task_field(task, summary, "buildroot_repos"));
	json_t *e;
	size_t i;

	json_array_foreach (root, i, e) {
		const char *nevra = json_string_value(json_object_get(e, "nevra"));
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		char *purl = q_prov_purl_rpm(nevra), *key;
		json_t *d = json_pack("{s:s,s:{s:s,s:[]}}", "name", nevra, "annotations", "kind",
				      "buildroot-package", "tasks");
		json_t *dg = digest("sha256", sha, 64);

		if (purl)
			json_object_set_new(d, "uri", json_string(purl));
		if (dg)
			json_object_set_new(d, "digest", dg);
		g_free(purl);
		if (!json_object_get(d, "uri") && !dg) {
			/* neither a URI nor a digest: not a valid descriptor */
			json_decref(d);
			continue;
		}
		key = g_strdup_printf("pkg\n%s\n%s", nevra, sha ? sha : "");
		add_dep(deps, seen, key, d, id);
		g_free(key);
	}
	json_array_foreach (repos, i, e) {
		const char *url = json_string_value(json_object_get(e, "url"));
		const char *sha = json_string_value(json_object_get(e, "repomd_sha256"));
		GString *uri = g_string_new(NULL);
		json_t *d, *dg = digest("sha256", sha, 64);
		char *key;

		/* the digest is repomd.xml's, so the URI names repomd.xml */
		append_normal_url(uri, url);
		g_string_append(uri, "/repodata/repomd.xml");
		d = json_pack("{s:s,s:{s:s,s:s,s:[]}}", "uri", uri->str, "annotations", "kind",
			      "buildroot-repo", "baseurl", url, "tasks");
		if (json_object_get(e, "name"))
			json_object_set(d, "name", json_object_get(e, "name"));
		if (dg)
			json_object_set_new(d, "digest", dg);
		key = g_strdup_printf("repo\n%s\n%s", uri->str, sha ? sha : "");
		add_dep(deps, seen, key, d, id);
		g_free(key);
		g_string_free(uri, TRUE);
	}
	json_decref(root);
	json_decref(repos);
}

/* The source: git, its spec, the lookaside files, the bundle or the SRPM. */
static void add_source_deps(json_t *deps, json_t *b, const char *base)
{
	const char *url = json_string_value(json_object_get(b, "git_url"));
	const char *ref = json_string_value(json_object_get(b, "git_ref"));
	const char *commit = json_string_value(json_object_get(b, "commit"));
	const char *name = json_string_value(json_object_get(b, "name"));
	json_t *e, *dg;
	size_t i;

	if (url && *url) {
		char *uri = git_uri(url, ref, NULL),
		     *spec_path = g_strdup_printf("SPECS/%s.spec", name);
		char *spec_uri = git_uri(url, commit, spec_path);
		json_t *d = json_pack("{s:s,s:s}", "name", "source", "uri", uri);

		/* a commit is SHA-1 (40) or, in a SHA-256 repository, 64 hex digits */
		dg = digest("gitCommit", commit, 40);
		if (!dg)
			dg = digest("gitCommit", commit, 64);
		if (dg)
			json_object_set_new(d, "digest", dg);
		json_array_append_new(deps, d);
		d = json_pack("{s:s,s:s}", "name", spec_path, "uri", spec_uri);
		dg = digest("sha256", json_string_value(json_object_get(b, "spec_sha256")), 64);
		if (dg)
			json_object_set_new(d, "digest", dg);
		json_array_append_new(deps, d);
		g_free(uri);
		g_free(spec_uri);
		g_free(spec_path);
	}
	json_array_foreach (json_object_get(b, "lookaside"), i, e) {
		const char *file = json_string_value(json_object_get(e, "file"));
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *hash = json_string_value(json_object_get(e, "hash"));
		int sha256 = type && !strcmp(type, "sha256");
		GString *uri = g_string_new(base), *fname = g_string_new("SOURCES/");

		if (!file || !hash)
			goto next;
		dg = digest(sha256 ? "sha256" : "sha1", hash, sha256 ? 64 : 40);
		if (!dg)
			goto next;
		g_string_append(uri, "/lookaside/");
		g_string_append(uri, hash);
		g_string_append(fname, file);
		json_array_append_new(deps, json_pack("{s:s,s:s,s:o}", "name", fname->str, "uri",
						      uri->str, "digest", dg));
	next:
		g_string_free(uri, TRUE);
		g_string_free(fname, TRUE);
	}
	dg = digest("sha256", json_string_value(json_object_get(b, "bundle_sha256")), 64);
	if (dg)
		json_array_append_new(deps, json_pack("{s:s,s:o,s:{s:s}}", "name",
						      "source-bundle.tar", "digest", dg,
						      "annotations", "kind", "source-bundle"));
	if (!url || !*url) {
		/* a build from an uploaded SRPM: the SRPM is the source */
		dg = digest("sha256", json_string_value(json_object_get(b, "srpm_sha256")), 64);
		if (dg)
			json_array_append_new(deps, json_pack("{s:O,s:o}", "name",
							      json_object_get(b, "source"),
							      "digest", dg));
	}
}

/* "a,b" → ["a","b"] */
static json_t *split_arches(json_t *v)
{
	json_t *out = json_array();
	const char *s = json_string_value(v);

	if (json_is_array(v)) {
		json_decref(out);
		return json_incref(v);
	}
	while (s && *s) {
		size_t l = strcspn(s, ",");

		if (l)
			json_array_append_new(out, json_stringn(s, l));
		s += l;
		if (*s)
			s++;
	}
	return out;
}

int q_prov_statement(json_t *b, json_t *tasks, const char *public_url, json_t **out,
		     struct q_error *err)
{
	GString *base = g_string_new(NULL), *s = g_string_new(NULL);
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	json_t *subjects = json_array(), *deps = json_array(), *byproducts = json_array();
	json_t *ext, *internal, *meta, *a, *t;
	const char *url = json_string_value(json_object_get(b, "git_url"));
	const char *worker = NULL;
	int one_worker = 1, rc = -1;
	json_int_t bid = json_integer_value(json_object_get(b, "id"));
	size_t i;

	*out = NULL;
	append_normal_url(base, public_url ? public_url : "");
	json_array_foreach (json_object_get(b, "artifacts"), i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		json_t *dg = digest("sha256", json_string_value(json_object_get(a, "sha256")), 64);

		if (!name || !dg) {
			json_decref(dg);
			continue;
		}
		g_string_printf(s, "%s/api/v1/builds/%" JSON_INTEGER_FORMAT "/artifacts/",
				base->str, bid);
		pct_append(s, name, strlen(name), "");
		json_array_append_new(subjects, json_pack("{s:s,s:o,s:s}", "name", name, "digest",
							  dg, "downloadLocation", s->str));
	}
	if (!json_array_size(subjects)) {
		q_error_set(err, Q_ECONFLICT,
			    "build %" JSON_INTEGER_FORMAT " has no outputs yet (state '%s'): a "
			    "provenance statement needs at least one subject",
			    bid, json_string_value(json_object_get(b, "state")));
		goto out;
	}

	/* what the submitter chose: the interface of POST .../builds */
	ext = json_pack("{s:O,s:O,s:o}", "sig", json_object_get(b, "sig"), "project",
			json_object_get(b, "project"), "arches",
			split_arches(json_object_get(b, "arches")));
	if (url && *url) {
		json_object_set(ext, "repository", json_object_get(b, "git_url"));
		json_object_set(ext, "ref", json_object_get(b, "git_ref"));
	} else {
		json_object_set(ext, "srpm", json_object_get(b, "source"));
	}
	internal = json_pack("{s:O}", "distTag", json_object_get(b, "dist_tag"));

	add_source_deps(deps, b, base->str);
	/* tasks in id order, whatever order they came in */
	json_array_foreach (json_object_get(b, "tasks"), i, t) {
		json_int_t id = json_integer_value(json_object_get(t, "id"));
		const char *w = json_string_value(json_object_get(t, "worker"));
		json_t *full = NULL, *f, *log;
		size_t j;

		json_array_foreach (tasks, j, f)
			if (json_integer_value(json_object_get(f, "id")) == id)
				full = f;
		if (!full)
			full = t;
		add_task_deps(deps, seen, full, t);
		if (w && *w) {
			if (worker && strcmp(worker, w))
				one_worker = 0;
			worker = w;
		}
		g_string_printf(s,
				"%s/api/v1/builds/%" JSON_INTEGER_FORMAT
				"/tasks/%" JSON_INTEGER_FORMAT "/log",
				base->str, bid, id);
		log = json_pack(
		    "{s:s,s:s,s:s,s:{s:I,s:O,s:O,s:O,s:O,s:O,s:O}}", "name", "", "uri", s->str,
		    "mediaType", "text/plain", "annotations", "task", id, "kind",
		    json_object_get(t, "kind"), "arch", json_object_get(t, "arch"), "state",
		    json_object_get(t, "state"), "attempt", json_object_get(t, "attempt"), "worker",
		    json_object_get(t, "worker"), "backend", json_object_get(full, "backend"));
		g_string_printf(s, "task-%" JSON_INTEGER_FORMAT "-%s-%s.log", id,
				json_string_value(json_object_get(t, "kind")),
				json_string_value(json_object_get(t, "arch")));
		json_object_set_new(log, "name", json_string(s->str));
		set_time(json_object_get(log, "annotations"), "startedOn",
			 json_object_get(t, "started"));
		set_time(json_object_get(log, "annotations"), "finishedOn",
			 json_object_get(t, "finished"));
		json_array_append_new(byproducts, log);
	}

	/* the builder: the hub and the one worker that ran every task, or the
	 * hub with all its workers when several did */
	g_string_printf(s, "%s/workers", base->str);
	if (worker && one_worker) {
		g_string_append_c(s, '/');
		pct_append(s, worker, strlen(worker), "");
	}
	{
		char *inv =
		    g_strdup_printf("%s/api/v1/builds/%" JSON_INTEGER_FORMAT, base->str, bid);

		meta = json_pack("{s:s}", "invocationId", inv);
		g_free(inv);
	}
	set_time(meta, "startedOn", json_object_get(b, "created"));
	set_time(meta, "finishedOn", json_object_get(b, "finished"));

	*out = json_pack("{s:s,s:o,s:s,s:{s:{s:s,s:o,s:o,s:o},s:{s:{s:s},s:o,s:o}}}", "_type",
			 Q_PROV_STATEMENT_TYPE, "subject", subjects, "predicateType",
			 Q_PROV_PREDICATE_TYPE, "predicate", "buildDefinition", "buildType",
			 Q_PROV_BUILD_TYPE, "externalParameters", ext, "internalParameters",
			 internal, "resolvedDependencies", deps, "runDetails", "builder", "id",
			 s->str, "metadata", meta, "byproducts", byproducts);
	subjects = deps = byproducts = NULL;
	if (!*out) {
		q_error_set(err, Q_EINTERNAL, "cannot build the provenance statement");
		goto out;
	}
	rc = 0;
out:
	json_decref(subjects);
	json_decref(deps);
	json_decref(byproducts);
	g_hash_table_destroy(seen);
	g_string_free(base, TRUE);
	g_string_free(s, TRUE);
	return rc;
}
