/*
 * buildtag.c: validation and shapes of build tags and of the buildroot a
 * task reports (buildtag.h). Everything a tag holds ends up on a worker's
 * dnf command line or in its rpm macros, so every string is bounded and
 * checked against a charset: a package name never starts with '-' (dnf
 * would read an option), a macro value never holds a newline (a second
 * macro definition), a URL has no space or control byte and only the two
 * variables the worker replaces.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/names.h"
#include "build/buildtag.h"

#include <glib.h>

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* A JSON string of at most max bytes, no NUL inside. */
static const char *jstr(json_t *v, size_t max)
{
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

static int charset(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

static int check_url(const char *url, const char *field, struct q_error *err)
{
	const char *p, *rest;

	if (!strncmp(url, "http://", 7))
		rest = url + 7;
	else if (!strncmp(url, "https://", 8))
		rest = url + 8;
	else if (!strncmp(url, "file://", 7))
		rest = url + 7;
	else
		return q_error_set(err, Q_EINVAL,
				   "%s: '%.80s' must start with http://, https:// or file://",
				   field, url);
	if (!strncmp(url, "file://", 7) && rest[0] != '/')
		return q_error_set(err, Q_EINVAL,
				   "%s: '%.80s': a file URL names an absolute path (file:///…)",
				   field, url);
	if (!*rest || (strncmp(url, "file://", 7) && rest[0] == '/'))
		return q_error_set(err, Q_EINVAL, "%s: '%.80s' has no host or path", field, url);
	if (has_ctl(url) || strpbrk(url, " \"'\\`<>"))
		return q_error_set(err, Q_EINVAL,
				   "%s: '%.80s' holds a space, a quote or a control character",
				   field, url);
	for (p = strchr(url, '$'); p; p = strchr(p + 1, '$'))
		if (strncmp(p, "$releasever", 11) && strncmp(p, "$basearch", 9))
			return q_error_set(err, Q_EINVAL,
					   "%s: '%.40s' is not a variable Quarry replaces (only "
					   "$releasever and $basearch)",
					   field, p);
	return 0;
}

static int in_array(json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (a, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

static json_t *check_repos(json_t *v, const char *at, json_t *project_repos, struct q_error *err)
{
	json_t *out = json_array(), *e;
	GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > Q_BUILDTAG_MAX_REPOS) {
		q_error_set(err, Q_EINVAL, "%s.repos: must be a list of at most %d repos", at,
			    Q_BUILDTAG_MAX_REPOS);
		goto fail;
	}
	json_array_foreach (v, i, e) {
		char field[96];
		json_t *u, *rp;
		const char *name, *s;

		snprintf(field, sizeof(field), "%s.repos[%zu]", at, i);
		if (!json_is_object(e)) {
			q_error_set(err, Q_EINVAL, "%s: must be an object {name, url|repo}", field);
			goto fail;
		}
		u = json_object_get(e, "url");
		rp = json_object_get(e, "repo");
		if (!!u == !!rp) {
			q_error_set(err, Q_EINVAL,
				    "%s: give exactly one of 'url' (an external repo) or 'repo' "
				    "(a repo of this project)",
				    field);
			goto fail;
		}
		{
			const char *k;
			json_t *x;

			json_object_foreach (e, k, x)
				if (strcmp(k, "name") && strcmp(k, "url") && strcmp(k, "repo")) {
					q_error_set(err, Q_EINVAL, "%s: unknown field '%.32s'",
						    field, k);
					goto fail;
				}
		}
		if (rp) {
			if (!(s = jstr(rp, 32)) || !in_array(project_repos, s)) {
				q_error_set(err, Q_EINVAL,
					    "%s.repo: '%.32s' is not a repo of this project "
					    "(quarry project show lists them)",
					    field,
					    s                    ? s
					    : json_is_string(rp) ? json_string_value(rp)
								 : "?");
				goto fail;
			}
		} else {
			char uf[100];

			snprintf(uf, sizeof(uf), "%s.url", field);
			if (!(s = jstr(u, Q_BUILDTAG_MAX_URL))) {
				q_error_set(err, Q_EINVAL, "%s: must be a URL of 1 to %d bytes", uf,
					    Q_BUILDTAG_MAX_URL);
				goto fail;
			}
			if (check_url(s, uf, err) < 0)
				goto fail;
		}
		if (json_object_get(e, "name")) {
			name = jstr(json_object_get(e, "name"), Q_BUILDTAG_MAX_NAME);
			if (!name || !charset(name, "._-") || !g_ascii_isalnum(name[0])) {
				q_error_set(err, Q_EINVAL,
					    "%s.name: must be 1 to %d of [A-Za-z0-9._-], starting "
					    "with a letter or digit",
					    field, Q_BUILDTAG_MAX_NAME);
				goto fail;
			}
		} else if (rp) {
			name = json_string_value(rp);
		} else {
			q_error_set(err, Q_EINVAL, "%s.name: an external repo needs a name", field);
			goto fail;
		}
		if (g_hash_table_contains(names, name)) {
			q_error_set(err, Q_EINVAL, "%s.name: '%s' is used twice in this tag", field,
				    name);
			goto fail;
		}
		g_hash_table_add(names, (gpointer)name);
		json_array_append_new(out, rp ? json_pack("{s:s,s:O}", "name", name, "repo", rp)
					      : json_pack("{s:s,s:O}", "name", name, "url", u));
	}
	g_hash_table_destroy(names);
	return out;
fail:
	g_hash_table_destroy(names);
	json_decref(out);
	return NULL;
}

static json_t *check_packages(json_t *v, const char *at, struct q_error *err)
{
	json_t *out = json_array(), *e;
	size_t i;

	if (!v)
		return out;
	if (!json_is_array(v) || json_array_size(v) > Q_BUILDTAG_MAX_PACKAGES) {
		q_error_set(err, Q_EINVAL, "%s.packages: must be a list of at most %d names", at,
			    Q_BUILDTAG_MAX_PACKAGES);
		goto fail;
	}
	json_array_foreach (v, i, e) {
		const char *s = jstr(e, Q_BUILDTAG_MAX_PACKAGE);

		/* rpm's name charset; never '-' first (dnf would take an option) */
		if (!s || !charset(s, "._+-") || s[0] == '-' || s[0] == '.') {
			q_error_set(err, Q_EINVAL,
				    "%s.packages[%zu]: '%.64s' is not a package name (1 to %d of "
				    "[A-Za-z0-9._+-], not starting with '-' or '.')",
				    at, i, json_is_string(e) ? json_string_value(e) : "?",
				    Q_BUILDTAG_MAX_PACKAGE);
			goto fail;
		}
		if (!in_array(out, s))
			json_array_append(out, e);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static json_t *check_macros(json_t *v, const char *at, struct q_error *err)
{
	json_t *out = json_object(), *e;
	const char *k;

	if (!v)
		return out;
	if (!json_is_object(v) || json_object_size(v) > Q_BUILDTAG_MAX_MACROS) {
		q_error_set(err, Q_EINVAL,
			    "%s.macros: must be an object of at most %d name → value", at,
			    Q_BUILDTAG_MAX_MACROS);
		goto fail;
	}
	json_object_foreach (v, k, e) {
		const char *s;

		if (!*k || strlen(k) > Q_BUILDTAG_MAX_NAME || !charset(k, "_") ||
		    g_ascii_isdigit(k[0])) {
			q_error_set(
			    err, Q_EINVAL,
			    "%s.macros: '%.64s' is not a macro name ([A-Za-z_][A-Za-z0-9_]*, "
			    "at most %d)",
			    at, k, Q_BUILDTAG_MAX_NAME);
			goto fail;
		}
		if (!strcmp(k, "dist")) {
			q_error_set(err, Q_EINVAL,
				    "%s.macros.dist: %%dist is always the project's dist tag; it "
				    "cannot be set",
				    at);
			goto fail;
		}
		if (!json_is_string(e)) {
			q_error_set(err, Q_EINVAL, "%s.macros.%s: the value must be a string", at,
				    k);
			goto fail;
		}
		s = json_string_value(e);
		if (json_string_length(e) > Q_BUILDTAG_MAX_VALUE ||
		    strlen(s) != json_string_length(e) || strchr(s, '\n') || strchr(s, '\r')) {
			q_error_set(err, Q_EINVAL,
				    "%s.macros.%s: the value must be one line of at most %d bytes",
				    at, k, Q_BUILDTAG_MAX_VALUE);
			goto fail;
		}
		json_object_set(out, k, e);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static int cmp_tags(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "arch"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "arch"));

	if (!strcmp(x, "*") || !strcmp(y, "*"))
		return strcmp(x, "*") ? 1 : strcmp(y, "*") ? -1 : 0;
	return strcmp(x, y);
}

json_t *q_buildtag_validate(json_t *body, json_t *arches, json_t *repos, const char *releasever,
			    struct q_error *err)
{
	json_t *tags = json_object_get(body, "tags"), *out = NULL, *t;
	json_t *list[Q_BUILDTAG_MAX_TAGS];
	size_t i, n = 0;

	if (!json_is_object(body) || !json_is_array(tags) ||
	    json_array_size(tags) > Q_BUILDTAG_MAX_TAGS) {
		q_error_set(err, Q_EINVAL, "tags: must be a list of at most %d tags (one per arch)",
			    Q_BUILDTAG_MAX_TAGS);
		return NULL;
	}
	json_array_foreach (tags, i, t) {
		char at[32];
		const char *arch, *rv = releasever, *k;
		json_t *r = NULL, *p = NULL, *m = NULL, *x;

		snprintf(at, sizeof(at), "tags[%zu]", i);
		if (!json_is_object(t)) {
			q_error_set(err, Q_EINVAL, "%s: must be an object", at);
			goto fail;
		}
		json_object_foreach (t, k, x)
			if (strcmp(k, "arch") && strcmp(k, "releasever") && strcmp(k, "repos") &&
			    strcmp(k, "packages") && strcmp(k, "macros")) {
				q_error_set(err, Q_EINVAL,
					    "%s: unknown field '%.32s' (arch, releasever, repos, "
					    "packages, macros)",
					    at, k);
				goto fail;
			}
		arch = json_object_get(t, "arch") ? jstr(json_object_get(t, "arch"), 32) : "*";
		if (!arch || (strcmp(arch, "*") && !in_array(arches, arch))) {
			q_error_set(err, Q_EINVAL,
				    "%s.arch: '%.32s' must be '*' (every arch) or an arch of the "
				    "project",
				    at, arch ? arch : "?");
			goto fail;
		}
		for (size_t j = 0; j < n; j++)
			if (!strcmp(json_string_value(json_object_get(list[j], "arch")), arch)) {
				q_error_set(err, Q_EINVAL, "%s.arch: '%s' has two tags", at, arch);
				goto fail;
			}
		if (json_object_get(t, "releasever")) {
			rv = jstr(json_object_get(t, "releasever"), Q_BUILDTAG_MAX_RELEASEVER);
			if (!rv || !charset(rv, "._-")) {
				q_error_set(
				    err, Q_EINVAL,
				    "%s.releasever: must be 1 to %d of [A-Za-z0-9._-], e.g. "
				    "\"9\"",
				    at, Q_BUILDTAG_MAX_RELEASEVER);
				goto fail;
			}
		}
		{
			json_t *given = json_object_get(t, "repos"), *none = NULL;

			if (!given)
				given = none = json_array();
			r = check_repos(given, at, repos, err);
			json_decref(none);
			if (!r)
				goto fail;
		}
		if (!(p = check_packages(json_object_get(t, "packages"), at, err)) ||
		    !(m = check_macros(json_object_get(t, "macros"), at, err))) {
			json_decref(r);
			json_decref(p);
			goto fail;
		}
		list[n++] = json_pack("{s:s,s:s,s:o,s:o,s:o}", "arch", arch, "releasever", rv,
				      "repos", r, "packages", p, "macros", m);
	}
	qsort(list, n, sizeof(list[0]), cmp_tags);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, list[i]);
	return json_pack("{s:o}", "tags", out);
fail:
	for (i = 0; i < n; i++)
		json_decref(list[i]);
	return NULL;
}

json_t *q_buildtag_pick(json_t *tags, const char *arch)
{
	json_t *t, *any = NULL;
	size_t i;

	json_array_foreach (tags, i, t) {
		const char *a = json_string_value(json_object_get(t, "arch"));

		if (a && arch && !strcmp(a, arch))
			return t;
		if (a && !strcmp(a, "*"))
			any = t;
	}
	return any;
}

json_t *q_buildtag_claim_object(json_t *tag, const char *sig, int64_t major)
{
	json_t *repos = json_array(), *e;
	size_t i;

	json_array_foreach (json_object_get(tag, "repos"), i, e) {
		const char *own = json_string_value(json_object_get(e, "repo"));

		if (own) {
			char name[160], pub[256];

			snprintf(name, sizeof(name), "sig-%s-%s", sig, own);
			snprintf(pub, sizeof(pub), "sig/%" PRId64 "/%s/$basearch/%s/", major, sig,
				 own);
			json_array_append_new(repos,
					      json_pack("{s:s,s:s}", "name", name, "pub", pub));
		} else {
			json_array_append_new(repos, json_pack("{s:O,s:O}", "name",
							       json_object_get(e, "name"), "url",
							       json_object_get(e, "url")));
		}
	}
	return json_pack("{s:O,s:o,s:O,s:O}", "releasever", json_object_get(tag, "releasever"),
			 "repos", repos, "packages", json_object_get(tag, "packages"), "macros",
			 json_object_get(tag, "macros"));
}

json_t *q_buildtag_result_buildroot(json_t *v, struct q_error *err)
{
	json_t *out = json_array(), *e;
	size_t i;

	if (!v || json_is_null(v))
		return out;
	if (!json_is_array(v) || json_array_size(v) > Q_BUILDTAG_MAX_INSTALLED) {
		json_decref(out);
		q_error_set(err, Q_EINVAL, "buildroot: must be a list of at most %d packages",
			    Q_BUILDTAG_MAX_INSTALLED);
		return NULL;
	}
	json_array_foreach (v, i, e) {
		const char *nevra, *sha = NULL;

		if (json_is_string(e)) {
			nevra = jstr(e, Q_BUILDTAG_MAX_NEVRA);
		} else if (json_is_object(e)) {
			nevra = jstr(json_object_get(e, "nevra"), Q_BUILDTAG_MAX_NEVRA);
			if (json_object_get(e, "sha256") &&
			    !json_is_null(json_object_get(e, "sha256"))) {
				sha = jstr(json_object_get(e, "sha256"), 64);
				if (!sha || strlen(sha) != 64 || !q_is_hex(sha, 64)) {
					json_decref(out);
					q_error_set(err, Q_EINVAL,
						    "buildroot[%zu].sha256: must be 64 hex digits",
						    i);
					return NULL;
				}
			}
		} else {
			nevra = NULL;
		}
		if (!nevra || has_ctl(nevra)) {
			json_decref(out);
			q_error_set(
			    err, Q_EINVAL,
			    "buildroot[%zu]: must be a NEVRA string or {\"nevra\",\"sha256\"} "
			    "(NEVRA of 1 to %d printable bytes)",
			    i, Q_BUILDTAG_MAX_NEVRA);
			return NULL;
		}
		json_array_append_new(out,
				      sha ? json_pack("{s:s,s:s}", "nevra", nevra, "sha256", sha)
					  : json_pack("{s:s}", "nevra", nevra));
	}
	return out;
}

json_t *q_buildtag_result_repos(json_t *v, struct q_error *err)
{
	static const char *const keys[] = {"name", "url", "repomd_sha256"};
	static const size_t max[] = {Q_BUILDTAG_MAX_NAME * 2, Q_BUILDTAG_MAX_URL, 128};
	json_t *out = json_array(), *e;
	size_t i;

	if (!v || json_is_null(v))
		return out;
	if (!json_is_array(v) || json_array_size(v) > Q_BUILDTAG_MAX_REPOS * 2) {
		json_decref(out);
		q_error_set(err, Q_EINVAL, "buildroot_repos: must be a list of at most %d repos",
			    Q_BUILDTAG_MAX_REPOS * 2);
		return NULL;
	}
	json_array_foreach (v, i, e) {
		json_t *o = json_object();

		if (!json_is_object(e)) {
			json_decref(o);
			json_decref(out);
			q_error_set(err, Q_EINVAL, "buildroot_repos[%zu]: must be an object", i);
			return NULL;
		}
		for (size_t k = 0; k < Q_ARRAY_LEN(keys); k++) {
			json_t *x = json_object_get(e, keys[k]);
			const char *s;

			if (!x || json_is_null(x))
				continue;
			if (!(s = jstr(x, max[k])) || has_ctl(s)) {
				json_decref(o);
				json_decref(out);
				q_error_set(
				    err, Q_EINVAL,
				    "buildroot_repos[%zu].%s: must be a printable string of "
				    "1 to %zu bytes",
				    i, keys[k], max[k]);
				return NULL;
			}
			json_object_set(o, keys[k], x);
		}
		json_array_append_new(out, o);
	}
	return out;
}

json_t *q_buildtag_stored_buildroot(const char *text)
{
	json_t *out;

	if (text && text[0] == '[') {
		out = json_loads(text, 0, NULL);
		if (json_is_array(out))
			return out;
		json_decref(out);
	}
	out = json_array();
	while (text && *text) {
		size_t l = strcspn(text, "\n");

		if (l)
			json_array_append_new(out, json_pack("{s:s%}", "nevra", text, l));
		text += l;
		if (*text)
			text++;
	}
	return out;
}

json_t *q_buildtag_stored_repos(const char *text)
{
	json_t *out = text && text[0] == '[' ? json_loads(text, 0, NULL) : NULL;

	if (json_is_array(out))
		return out;
	json_decref(out);
	return json_array();
}
