/*
 * advisory.c: an update's advisory through the API (advisory.h): checking
 * type, severity, title, notes and references, and `PATCH
 * /api/v1/updates/ID` (docs/HTTP_API.md, "Advisories").
 *
 * Who may edit: the update's creator, or a lead of its SIG (releng and
 * admins as everywhere). The text ends up in the signed repodata of the
 * SIG's repos, read by every user of them: a member edits their own
 * update's, the lead answers for the rest (as for cancelling builds).
 * Edits are allowed in candidate, testing and unpushed; an edit of an
 * update in testing republishes its testing repo (updateinfo.xml).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "api/advisory.h"
#include "api/api.h"
#include "hub/hub.h"

#include <glib.h>

static const char *const adv_types[] = {"bugfix", "security", "enhancement", "newpackage"};
static const char *const adv_severities[] = {"Low", "Moderate", "Important", "Critical"};

/*
 * The first byte of s that is a control character (C0 but tab and line
 * breaks when lines is set, DEL, or a C1 code point in UTF-8) or U+FFFE,
 * U+FFFF, or -1.
 */
static long bad_char(const char *s, int lines)
{
	const unsigned char *p = (const unsigned char *)s;

	for (long i = 0; p[i]; i++) {
		if (p[i] < 0x20 && !(lines && (p[i] == '\t' || p[i] == '\n' || p[i] == '\r')))
			return i;
		if (p[i] == 0x7f)
			return i;
		/* U+0080..U+009F are C2 80..C2 9F in UTF-8 */
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return i;
		/* U+FFFE and U+FFFF (EF BF BE/BF): not characters of XML 1.0, and
		 * one would make the whole updateinfo.xml unreadable. */
		if (p[i] == 0xef && p[i + 1] == 0xbf && (p[i + 2] == 0xbe || p[i + 2] == 0xbf))
			return i;
	}
	return -1;
}

/* A string field: a JSON string, bounded, without NUL or control characters. */
static int text_of(json_t *v, const char *field, size_t max, int lines, const char **out,
		   struct q_error *err)
{
	long at;

	*out = NULL;
	if (!json_is_string(v))
		return q_error_set(err, Q_EINVAL, "field '%s' must be a string", field);
	if (json_string_length(v) > max)
		return q_error_set(err, Q_EINVAL, "field '%s' is longer than %zu bytes", field,
				   max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return q_error_set(err, Q_EINVAL, "field '%s' contains a NUL byte", field);
	at = bad_char(json_string_value(v), lines);
	if (at >= 0)
		return q_error_set(err, Q_EINVAL,
				   "field '%s' contains a control character (byte %ld)%s", field,
				   at, lines ? "" : "; it is one line");
	*out = json_string_value(v);
	return 0;
}

/* CVE-YYYY-NNNN with 4 to 19 digits after the year. */
static int is_cve(const char *s)
{
	size_t n = 0;

	if (strncmp(s, "CVE-", 4) != 0)
		return 0;
	for (int i = 4; i < 8; i++)
		if (!g_ascii_isdigit(s[i]))
			return 0;
	if (s[8] != '-')
		return 0;
	for (s += 9; g_ascii_isdigit(s[n]); n++)
		;
	return n >= 4 && n <= 19 && s[n] == '\0';
}

/*
 * An absolute http or https URL with a host, in printable ASCII without
 * spaces or the characters RFC 3986 never allows (" < > \ ^ ` { | }).
 * Returns NULL or why not.
 */
static const char *url_problem(const char *u)
{
	const char *host, *p;
	size_t hl;

	if (g_ascii_strncasecmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (g_ascii_strncasecmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return "is not an http(s) URL";
	for (p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("\"<>\\^`{|}", *p))
			return "has a character a URL may not hold (spaces, quotes, "
			       "non-ASCII: percent-encode them)";
	hl = strcspn(host, "/?#");
	if (hl == 0 || host[0] == ':' || host[0] == '@')
		return "has no host";
	return NULL;
}

/* The N of "…show_bug.cgi?…id=N…", or "" (into out). */
static void bugzilla_id(const char *url, char *out, size_t size)
{
	const char *q = strstr(url, "show_bug.cgi?");
	size_t n;

	*out = '\0';
	if (!q)
		return;
	for (q += strlen("show_bug.cgi?"); q && *q;
	     q = strchr(q, '&') ? strchr(q, '&') + 1 : NULL) {
		if (strncmp(q, "id=", 3) != 0)
			continue;
		q += 3;
		for (n = 0; g_ascii_isdigit(q[n]); n++)
			;
		if (n > 0 && n < size && n <= 20 && (q[n] == '\0' || q[n] == '&' || q[n] == '#')) {
			memcpy(out, q, n);
			out[n] = '\0';
		}
		return;
	}
}

static int ref_from_string(const char *s, const char *where, json_t **out, struct q_error *err)
{
	const char *why;
	char id[32];

	if (is_cve(s)) {
		char *url = g_strdup_printf("https://www.cve.org/CVERecord?id=%s", s);

		*out =
		    json_pack("{s:s,s:s,s:s,s:s}", "type", "cve", "id", s, "url", url, "title", s);
		g_free(url);
		return 0;
	}
	if (!g_ascii_strncasecmp(s, "CVE-", 4))
		return q_error_set(err, Q_EINVAL,
				   "%s '%.100s' is not a CVE id of the form CVE-YYYY-NNNN (four or "
				   "more digits)",
				   where, s);
	why = url_problem(s);
	if (why)
		return q_error_set(err, Q_EINVAL,
				   "%s '%.100s' is neither a CVE id (CVE-YYYY-NNNN) nor an http(s) "
				   "URL: it %s",
				   where, s, why);
	bugzilla_id(s, id, sizeof(id));
	*out = json_pack("{s:s,s:s,s:s,s:s}", "type", id[0] ? "bugzilla" : "url", "id", id, "url",
			 s, "title", "");
	return 0;
}

static int ref_from_object(json_t *in, const char *where, json_t **out, struct q_error *err)
{
	const char *key, *type = NULL, *id = "", *url = "", *title = "", *why;
	char field[96], bz[32];
	json_t *v;

	json_object_foreach (in, key, v) {
		if (strcmp(key, "type") && strcmp(key, "id") && strcmp(key, "url") &&
		    strcmp(key, "title"))
			return q_error_set(err, Q_EINVAL,
					   "%s has an unknown field '%.64s' (type, id, url, title)",
					   where, key);
	}
	snprintf(field, sizeof(field), "%s.type", where);
	if (!json_object_get(in, "type"))
		return q_error_set(err, Q_EINVAL, "field '%s' is required (bugzilla, cve or url)",
				   field);
	if (text_of(json_object_get(in, "type"), field, 16, 0, &type, err) < 0)
		return -1;
	if (strcmp(type, "bugzilla") && strcmp(type, "cve") && strcmp(type, "url"))
		return q_error_set(err, Q_EINVAL,
				   "field '%s' must be bugzilla, cve or url, not '%.16s'", field,
				   type);
	snprintf(field, sizeof(field), "%s.id", where);
	if ((v = json_object_get(in, "id")) && text_of(v, field, Q_ADV_ID_MAX, 0, &id, err) < 0)
		return -1;
	snprintf(field, sizeof(field), "%s.url", where);
	if ((v = json_object_get(in, "url")) && text_of(v, field, Q_ADV_URL_MAX, 0, &url, err) < 0)
		return -1;
	snprintf(field, sizeof(field), "%s.title", where);
	if ((v = json_object_get(in, "title")) &&
	    text_of(v, field, Q_ADV_TITLE_MAX, 0, &title, err) < 0)
		return -1;
	snprintf(field, sizeof(field), "%s.url", where);
	if (*url && (why = url_problem(url)))
		return q_error_set(err, Q_EINVAL, "field '%s' '%.100s' %s", field, url, why);
	if (!strcmp(type, "cve")) {
		char *def = NULL;

		snprintf(field, sizeof(field), "%s.id", where);
		if (!is_cve(id))
			return q_error_set(err, Q_EINVAL,
					   "field '%s' '%.100s' is not a CVE id of the form "
					   "CVE-YYYY-NNNN (four or more digits)",
					   field, id);
		if (!*url)
			def = g_strdup_printf("https://www.cve.org/CVERecord?id=%s", id);
		*out = json_pack("{s:s,s:s,s:s,s:s}", "type", type, "id", id, "url",
				 def ? def : url, "title", *title ? title : id);
		g_free(def);
		return 0;
	}
	if (!*url)
		return q_error_set(err, Q_EINVAL, "field '%s' is required for a %s reference",
				   field, type);
	if (!strcmp(type, "bugzilla")) {
		snprintf(field, sizeof(field), "%s.id", where);
		if (!*id) {
			bugzilla_id(url, bz, sizeof(bz));
			id = bz;
		}
		for (const char *p = id; *p; p++)
			if (!g_ascii_isdigit(*p) || p - id >= 20)
				return q_error_set(err, Q_EINVAL,
						   "field '%s' '%.100s' is not a bug number", field,
						   id);
	}
	*out = json_pack("{s:s,s:s,s:s,s:s}", "type", type, "id", id, "url", url, "title", title);
	return 0;
}

int q_advisory_ref(json_t *in, const char *where, json_t **out, struct q_error *err)
{
	const char *s;

	*out = NULL;
	if (json_is_string(in)) {
		if (text_of(in, where, Q_ADV_URL_MAX, 0, &s, err) < 0)
			return -1;
		return ref_from_string(s, where, out, err);
	}
	if (json_is_object(in))
		return ref_from_object(in, where, out, err);
	return q_error_set(err, Q_EINVAL,
			   "%s must be a CVE id, a URL or an object {\"type\", \"id\", \"url\", "
			   "\"title\"}",
			   where);
}

/* The canonical name of a severity given in any case, or NULL. */
static const char *severity_name(const char *s)
{
	for (size_t i = 0; i < Q_ARRAY_LEN(adv_severities); i++)
		if (!g_ascii_strcasecmp(s, adv_severities[i]))
			return adv_severities[i];
	return NULL;
}

static int refs_of(json_t *v, json_t *out, struct q_error *err)
{
	json_t *list = json_array(), *x;
	size_t i;

	if (!json_is_array(v)) {
		json_decref(list);
		return q_error_set(err, Q_EINVAL, "field 'references' must be a list");
	}
	if (json_array_size(v) > Q_ADV_REFS_MAX) {
		json_decref(list);
		return q_error_set(err, Q_EINVAL, "field 'references' has more than %d entries",
				   Q_ADV_REFS_MAX);
	}
	json_array_foreach (v, i, x) {
		char where[48];
		json_t *r = NULL, *y;
		size_t k;
		int dup = 0;

		snprintf(where, sizeof(where), "references[%zu]", i);
		if (q_advisory_ref(x, where, &r, err) < 0) {
			json_decref(list);
			return -1;
		}
		json_array_foreach (list, k, y)
			dup |= json_equal(json_object_get(y, "type"), json_object_get(r, "type")) &&
			       json_equal(json_object_get(y, "id"), json_object_get(r, "id")) &&
			       json_equal(json_object_get(y, "url"), json_object_get(r, "url"));
		if (dup)
			json_decref(r);
		else
			json_array_append_new(list, r);
	}
	json_object_set_new(out, "references", list);
	return 0;
}

int q_advisory_fields(json_t *body, json_t *current, int strict, json_t **out, struct q_error *err)
{
	static const char *const known[] = {"type", "severity", "title", "notes", "references"};
	const char *key, *type = NULL, *sev = NULL, *s, *cur_type, *cur_sev;
	json_t *f = json_object(), *v;
	int any = 0;

	*out = NULL;
	if (!json_is_object(body)) {
		q_error_set(err, Q_EINVAL, "the body must be a JSON object");
		goto fail;
	}
	json_object_foreach (body, key, v) {
		int k = 0;

		for (size_t i = 0; i < Q_ARRAY_LEN(known); i++)
			k |= !strcmp(key, known[i]);
		any |= k;
		if (!k && strict) {
			q_error_set(
			    err, Q_EINVAL,
			    "unknown field '%.64s' (an update's advisory has type, severity, "
			    "title, notes and references)",
			    key);
			goto fail;
		}
	}
	if (strict && !any) {
		q_error_set(err, Q_EINVAL,
			    "nothing to change: give type, severity, title, notes or references");
		goto fail;
	}
	if ((v = json_object_get(body, "type"))) {
		int ok = 0;

		if (text_of(v, "type", 16, 0, &type, err) < 0)
			goto fail;
		for (size_t i = 0; i < Q_ARRAY_LEN(adv_types); i++)
			ok |= !strcmp(type, adv_types[i]);
		if (!ok) {
			q_error_set(err, Q_EINVAL,
				    "field 'type' must be bugfix, security, enhancement or "
				    "newpackage, not '%.16s'",
				    type);
			goto fail;
		}
		json_object_set_new(f, "type", json_string(type));
	}
	if ((v = json_object_get(body, "severity")) && !json_is_null(v)) {
		if (text_of(v, "severity", 16, 0, &s, err) < 0)
			goto fail;
		sev = *s ? severity_name(s) : "";
		if (!sev) {
			q_error_set(
			    err, Q_EINVAL,
			    "field 'severity' must be Low, Moderate, Important or Critical, "
			    "not '%.16s'",
			    s);
			goto fail;
		}
	} else if (v) {
		sev = ""; /* null clears it */
	}
	/* The type and severity the update will have. */
	cur_type = current ? json_string_value(json_object_get(current, "type")) : NULL;
	cur_sev = current ? json_string_value(json_object_get(current, "severity")) : NULL;
	if (!type)
		type = cur_type ? cur_type : "bugfix";
	if (strcmp(type, "security")) {
		if (sev && *sev) {
			q_error_set(err, Q_EINVAL,
				    "field 'severity' is for security updates only (this one is "
				    "'%s'); set type security too, or leave severity out",
				    type);
			goto fail;
		}
		if (cur_sev && *cur_sev)
			json_object_set_new(f, "severity",
					    json_string("")); /* no longer security */
	} else {
		if (!*(sev ? sev : cur_sev ? cur_sev : "")) {
			q_error_set(err, Q_EINVAL,
				    "field 'severity' is required for a security update (Low, "
				    "Moderate, Important or Critical)");
			goto fail;
		}
		if (sev)
			json_object_set_new(f, "severity", json_string(sev));
	}
	if ((v = json_object_get(body, "title"))) {
		if (text_of(v, "title", Q_ADV_TITLE_MAX, 0, &s, err) < 0)
			goto fail;
		json_object_set_new(f, "title", json_string(s));
	}
	if ((v = json_object_get(body, "notes"))) {
		if (text_of(v, "notes", Q_ADV_NOTES_MAX, 1, &s, err) < 0)
			goto fail;
		json_object_set_new(f, "notes", json_string(s));
	}
	if ((v = json_object_get(body, "references")) && refs_of(v, f, err) < 0)
		goto fail;
	*out = f;
	return 0;
fail:
	json_decref(f);
	return -1;
}

/* The update as GET /updates/ID answers it. */
static json_t *answer(struct q_store *st, json_t *u)
{
	json_t *checks = NULL;
	struct q_error err = {0};

	if (q_store_update_checks(st, json_integer_value(json_object_get(u, "id")), &checks,
				  &err) == 0)
		json_object_set_new(u, "checks", checks);
	json_object_del(u, "project_id");
	json_object_del(u, "release_repo_id");
	json_object_del(u, "testing_repo_id");
	return u;
}

void q_api_update_edit(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *u = NULL, *body = NULL, *fields = NULL, *repo = NULL, *res = NULL;
	const char *state;
	int64_t id;
	char target[64];
	int testing;

	if (q_parse_int(caps[0], 1, INT64_MAX, &id) < 0) {
		q_error_set(&err, Q_EINVAL, "update id '%.64s' is not a positive integer", caps[0]);
		goto fail;
	}
	if (q_store_update_get(r->st, id, &u, &err) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(u, "created_by")), r->who.name) &&
	    q_api_need_sig(r, json_string_value(json_object_get(u, "sig")), Q_LEVEL_LEAD,
			   "edit other people's updates", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_advisory_fields(body, u, 1, &fields, &err) < 0)
		goto fail;
	state = json_string_value(json_object_get(u, "state"));
	testing = !strcmp(state, "testing");
	if (testing && q_store_repo_get(r->st, json_string_value(json_object_get(u, "sig")),
					json_string_value(json_object_get(u, "project")),
					json_string_value(json_object_get(u, "testing_repo")),
					&repo, &err) < 0)
		goto fail;
	snprintf(target, sizeof(target), "update %" PRId64, id);
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_update_advisory_put(r->st, id, fields, &err) < 0 ||
	    (testing && q_store_repo_mark_dirty(
			    r->st, json_integer_value(json_object_get(repo, "id")), &err) < 0) ||
	    q_api_audit(r, "update.edit", target, json_incref(fields), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	/* updateinfo.xml of the testing repo says what the update says now. A
	 * failed publish leaves the repo dirty: republished at the next start. */
	if (testing && q_hub_publish_repo(r->hub, r->st, repo, 0, &res, &err) < 0) {
		q_warn("update %" PRId64 ": publishing its testing repo failed: %s", id, err.msg);
		q_error_clear(&err);
	}
	json_decref(u);
	u = NULL;
	if (q_store_update_get(r->st, id, &u, &err) < 0)
		goto fail;
	q_http_send_json(r, 200, answer(r->st, u));
	u = NULL;
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(u);
	json_decref(body);
	json_decref(fields);
	json_decref(repo);
	json_decref(res);
}
