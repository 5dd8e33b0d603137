/*
 * mirrors.c: /mirrors — the mirror registry (docs/HTTP_API.md, "Mirrors").
 *
 * Definitions are AlmaLinux mirrors.d YAML, checked by mirror/mirrordef.h.
 * Self-service: any user applies a mirror (POST /mirrors, the YAML text as
 * the body); it stays pending until an admin or release engineer approves
 * it. The bulk path (POST /mirrors/import) is for admins and release
 * engineers: every file is checked; the good ones are imported and the
 * refused ones listed ("strict": true: with a single error nothing is
 * imported). A refused file never changes what is stored for its mirror.
 * A refusal lists every error as FILE:LINE:COL: 'field': message, in
 * "message" (joined with "; ") and one by one in "errors"; the warnings
 * (values interpreted or left out) are listed the same way in "warnings".
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "api/api.h"
#include "hub/hub.h"
#include "mirror/mirrordef.h"

#include <glib.h>
#include <time.h>

#define MAX_IMPORT_FILES 10000
#define MAX_FILE_NAME 255
#define MAX_REASON 1000

/* A JSON string, or fallback when s is not UTF-8. */
static json_t *str_or(const char *s, const char *fallback)
{
	json_t *j = json_string(s);

	return j ? j : json_string(fallback);
}

/* 400 with every error line of errors (newline-separated). */
/* The lines of text (one message each) as a JSON list; msg (may be NULL)
 * gets them joined with "; ". */
static json_t *line_list(const char *text, GString *msg)
{
	json_t *list = json_array();
	char **lines = g_strsplit(text ? text : "", "\n", -1);

	for (char **l = lines; *l; l++) {
		if (!**l)
			continue;
		if (msg && msg->len)
			g_string_append(msg, "; ");
		if (msg)
			g_string_append(msg, *l);
		json_array_append_new(list, str_or(*l, "?"));
	}
	g_strfreev(lines);
	return list;
}

/* A refusal: 400 with every error; the warnings too, when there are any. */
static void send_errors(struct q_request *r, const char *errors, const char *warnings)
{
	json_t *e = json_object();
	GString *msg = g_string_new(NULL);
	json_t *list = line_list(errors, msg);

	json_object_set_new(e, "code", json_string(q_code_name(Q_EINVAL)));
	json_object_set_new(e, "message", str_or(msg->str, "invalid definition"));
	json_object_set_new(e, "errors", list);
	if (warnings && *warnings)
		json_object_set_new(e, "warnings", line_list(warnings, NULL));
	g_string_free(msg, TRUE);
	q_http_send_json(r, 400, json_pack("{s:o}", "error", e));
}

/* A mirror name from the path: lower-cased (names compare without case). */
static char *name_arg(const char *cap)
{
	return g_ascii_strdown(cap, -1);
}

/* After a committed change: the metalink answers without the mirror (or,
 * once crawled, with it) at once; an approved or enabled mirror is crawled
 * (name NULL: every mirror, after an import). */
static void after_change(struct q_request *r, const char *name, bool crawl)
{
	struct q_error err = {0};
	int64_t id;

	if (q_hub_refresh_snapshot(r->hub, r->st, &err) < 0)
		q_warn("cannot refresh the metalink snapshot: %s", err.msg);
	if (crawl) {
		q_error_clear(&err);
		if (q_store_crawl_add(r->st, name, r->who.name, &id, &err) < 0)
			q_warn("cannot queue a crawl of %s: %s", name, err.msg);
		else
			q_crawler_wake(r->hub);
	}
}

/* What anyone may see of a mirror (the applier's user name is left out). */
static json_t *public_view(json_t *m)
{
	json_object_del(m, "applied_by");
	json_object_del(m, "created");
	return m;
}

/* The short form of the list: name, state, country, urls. */
static json_t *list_entry(json_t *m)
{
	static const char *const schemes[] = {"http", "https", "rsync", "ftp"};
	json_t *def = json_object_get(m, "definition");
	json_t *geo = json_object_get(def, "geolocation");
	json_t *country = json_object_get(geo, "country");
	json_t *urls = json_array();

	for (size_t i = 0; i < Q_ARRAY_LEN(schemes); i++) {
		json_t *u = json_object_get(json_object_get(def, "address"), schemes[i]);
		if (json_is_string(u))
			json_array_append(urls, u);
	}
	return json_pack("{s:O,s:O,s:O,s:o,s:O,s:O,s:O,s:b,s:b,s:O}", "name",
			 json_object_get(m, "name"), "state", json_object_get(m, "state"),
			 "country", country ? country : json_null(), "urls", urls, "reason",
			 json_object_get(m, "reason"), "failures", json_object_get(m, "failures"),
			 "auto_disabled", json_object_get(m, "auto_disabled"), "ipv4",
			 json_integer_value(json_object_get(m, "ipv4")) != 0, "ipv6",
			 json_integer_value(json_object_get(m, "ipv6")) != 0, "last_crawl",
			 json_object_get(m, "last_crawl"));
}

void q_api_mirrors(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *list = NULL, *out = json_array(), *m;
	size_t i;

	(void)caps;
	if (q_store_mirror_list(r->st, &list, &err) < 0) {
		json_decref(out);
		q_http_send_error(r, &err);
		return;
	}
	json_array_foreach (list, i, m)
		json_array_append_new(out, list_entry(m));
	json_decref(list);
	q_http_send_json(r, 200, json_pack("{s:o}", "mirrors", out));
}

void q_api_mirror_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	char *name = name_arg(caps[0]);
	json_t *m = NULL;

	json_t *checks = NULL;

	if (q_store_mirror_get(r->st, name, &m, &err) < 0 ||
	    q_store_mirror_checks(r->st, name, &checks, &err) < 0) {
		json_decref(m);
		q_http_send_error(r, &err);
	} else {
		json_t *c;
		size_t i;

		json_array_foreach (checks, i, c)
			json_object_del(c, "mirror");
		json_object_set_new(m, "checks", checks);
		q_http_send_json(r, 200, public_view(m));
	}
	g_free(name);
}

void q_api_mirror_apply(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	h2o_iovec_t b = r->req->entity;
	struct q_mirror_def def;
	GString *errors = g_string_new(NULL), *warnings = g_string_new(NULL);
	json_t *old = NULL, *m = NULL, *dj = NULL;

	(void)caps;
	memset(&def, 0, sizeof(def));
	if ((int64_t)b.len > r->hub->cfg.max_json) {
		q_error_set(&err, Q_ETOOBIG, "request body is %zu bytes; the limit is %" PRId64,
			    b.len, r->hub->cfg.max_json);
		goto fail;
	}
	if (!b.base || !b.len) {
		q_error_set(&err, Q_EINVAL,
			    "request body is empty; a mirror definition (mirrors.d YAML) is "
			    "expected");
		goto fail;
	}
	if (q_mirrordef_parse_warn("request", b.base, b.len, &def, errors, warnings) > 0) {
		send_errors(r, errors->str, warnings->str);
		goto out;
	}
	dj = q_mirrordef_to_json(&def);
	/* The check and the write in one IMMEDIATE transaction: two users
	 * applying the same name at once cannot both win. */
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_mirror_get(r->st, def.name, &old, &err) == 0) {
		const char *by = json_string_value(json_object_get(old, "applied_by"));
		if (!by || strcmp(by, r->who.name)) {
			q_error_set(&err, Q_ECONFLICT,
				    "mirror '%s' exists already and was applied by another user; "
				    "ask a mirror admin",
				    def.name);
			q_store_rollback(r->st);
			goto fail;
		}
	} else if (err.code != Q_ENOTFOUND) {
		q_store_rollback(r->st);
		goto fail;
	}
	q_error_clear(&err);
	if (q_store_mirror_put(r->st, def.name, dj, "pending", r->who.name, &err) < 0 ||
	    q_api_audit(r, old ? "mirror.reapply" : "mirror.apply", def.name,
			json_pack("{s:s}", "state", "pending"), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_store_mirror_get(r->st, def.name, &m, &err) < 0)
		goto fail;
	if (warnings->len)
		json_object_set_new(m, "warnings", line_list(warnings->str, NULL));
	q_http_send_json(r, 201, m);
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(dj);
	json_decref(old);
	q_mirrordef_release(&def);
	g_string_free(errors, TRUE);
	g_string_free(warnings, TRUE);
}

struct import_file {
	const char *name;
	const char *text;
	size_t len;
};

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct import_file *)a)->name, ((const struct import_file *)b)->name);
}

/* Check the request's shape: {"files":[{"name","text"}…]}; fills files. */
static int import_files(json_t *body, struct import_file **files, size_t *n, struct q_error *err)
{
	json_t *arr = json_object_get(body, "files"), *f;
	size_t i;

	if (!json_is_array(arr))
		return q_error_set(err, Q_EINVAL,
				   "field 'files' is required: a list of {\"name\",\"text\"}");
	if (json_array_size(arr) == 0)
		return q_error_set(err, Q_EINVAL, "field 'files' is empty: nothing to import");
	if (json_array_size(arr) > MAX_IMPORT_FILES)
		return q_error_set(err, Q_ETOOBIG, "%zu files; at most %d may be imported at once",
				   json_array_size(arr), MAX_IMPORT_FILES);
	*files = g_new0(struct import_file, json_array_size(arr));
	json_array_foreach (arr, i, f) {
		const char *name, *text;

		if (!json_is_object(f)) {
			q_error_set(err, Q_EINVAL,
				    "files[%zu] must be an object {\"name\",\"text\"}", i);
			goto fail;
		}
		if (q_api_str(f, "name", 1, MAX_FILE_NAME, &name, err) < 0 ||
		    q_api_str(f, "text", 1, Q_MIRRORDEF_MAX_FILE, &text, err) < 0) {
			q_error_prefix(err, "files[%zu]", i);
			goto fail;
		}
		if (!*name) {
			q_error_set(err, Q_EINVAL, "files[%zu]: field 'name' is empty", i);
			goto fail;
		}
		for (const char *p = name; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				q_error_set(err, Q_EINVAL,
					    "files[%zu]: field 'name' contains a control character",
					    i);
				goto fail;
			}
		(*files)[i].name = name;
		(*files)[i].text = text;
		(*files)[i].len = json_string_length(json_object_get(f, "text"));
	}
	*n = json_array_size(arr);
	qsort(*files, *n, sizeof(**files), file_cmp);
	for (i = 1; i < *n; i++)
		if (!strcmp((*files)[i].name, (*files)[i - 1].name)) {
			q_error_set(err, Q_EINVAL, "file '%s' is given twice", (*files)[i].name);
			goto fail;
		}
	return 0;
fail:
	g_free(*files);
	*files = NULL;
	return -1;
}

void q_api_mirror_import(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *names = json_array(), *refused = json_array(), *strict_j, *ans;
	struct import_file *files = NULL;
	struct q_mirror_def *defs = NULL;
	GString *errors = g_string_new(NULL), *warnings = g_string_new(NULL);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	size_t n = 0, good = 0;
	bool strict;
	int nerr = 0;

	(void)caps;
	if (q_api_need_releng(r, "import mirrors", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || import_files(body, &files, &n, &err) < 0)
		goto fail;
	strict_j = json_object_get(body, "strict");
	if (strict_j && !json_is_boolean(strict_j)) {
		q_error_set(&err, Q_EINVAL, "field 'strict' must be true or false");
		goto fail;
	}
	strict = json_is_true(strict_j);
	defs = g_new0(struct q_mirror_def, n);
	for (size_t i = 0; i < n; i++) {
		struct q_mirror_def *prev;
		int e = q_mirrordef_parse_warn(files[i].name, files[i].text, files[i].len, &defs[i],
					       errors, warnings);

		nerr += e;
		if (!defs[i].name) {
			json_array_append_new(refused, str_or(files[i].name, "?"));
			continue;
		}
		prev = g_hash_table_lookup(seen, defs[i].name);
		if (prev) {
			g_string_append_printf(
			    errors,
			    "%s:%d:%d: 'name': mirror '%s' is already defined in "
			    "%s:%d:%d\n",
			    defs[i].file, defs[i].name_line, defs[i].name_col, defs[i].name,
			    prev->file, prev->name_line, prev->name_col);
			nerr++;
			json_array_append_new(refused, str_or(files[i].name, "?"));
			/* Refused: it must not be stored below. */
			q_mirrordef_release(&defs[i]);
		} else {
			g_hash_table_insert(seen, defs[i].name, &defs[i]);
			good++;
		}
	}
	/* --strict: all or nothing; without, nothing to import is a refusal too. */
	if (nerr && (strict || good == 0)) {
		send_errors(r, errors->str, warnings->str);
		goto out;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		json_t *dj;
		int rc;

		if (!defs[i].name)
			continue; /* refused: the stored definition, if any, is kept */
		dj = q_mirrordef_to_json(&defs[i]);
		rc = q_store_mirror_put(r->st, defs[i].name, dj, "active", r->who.name, &err);
		json_decref(dj);
		if (rc < 0 ||
		    q_api_audit(r, "mirror.import", defs[i].name,
				json_pack("{s:s,s:s}", "file", files[i].name, "state", "active"),
				&err) < 0) {
			q_store_rollback(r->st);
			goto fail;
		}
		json_array_append_new(names, json_string(defs[i].name));
	}
	if (q_store_commit(r->st, &err) < 0)
		goto fail;
	after_change(r, NULL, true);
	ans = json_pack("{s:I,s:O,s:I,s:O}", "imported", (json_int_t)good, "mirrors", names,
			"refused", (json_int_t)json_array_size(refused), "refused_files", refused);
	json_object_set_new(ans, "errors", line_list(errors->str, NULL));
	json_object_set_new(ans, "warnings", line_list(warnings->str, NULL));
	q_http_send_json(r, 200, ans);
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	g_hash_table_destroy(seen);
	if (defs)
		q_mirrordef_free_array(defs, n);
	g_free(files);
	json_decref(names);
	json_decref(refused);
	json_decref(body);
	g_string_free(errors, TRUE);
	g_string_free(warnings, TRUE);
}

/* approve, enable, disable: one state change by an admin or release engineer. */
static void change_state(struct q_request *r, const char *cap, const char *action)
{
	struct q_error err = {0};
	char *name = name_arg(cap);
	json_t *m = NULL, *body = NULL;
	const char *state, *to = "active", *reason = "";
	char verb[64], audit[64], dflt[160];

	snprintf(verb, sizeof(verb), "%s mirrors", action);
	if (q_api_need_releng(r, verb, &err) < 0)
		goto fail;
	if (!strcmp(action, "disable")) {
		to = "disabled";
		if (r->req->entity.len) {
			body = q_http_json_body(r, &err);
			if (!body || q_api_str(body, "reason", 0, MAX_REASON, &reason, &err) < 0)
				goto fail;
		}
		if (!reason || !*reason) {
			snprintf(dflt, sizeof(dflt), "disabled by %s", r->who.name);
			reason = dflt;
		}
	}
	/* Read the state and change it in one IMMEDIATE transaction. */
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_mirror_get(r->st, name, &m, &err) < 0)
		goto rollback;
	state = json_string_value(json_object_get(m, "state"));
	if (!strcmp(action, "approve") && strcmp(state, "pending")) {
		if (!strcmp(state, "active"))
			goto unchanged;
		q_error_set(&err, Q_ECONFLICT, "mirror '%s' is disabled, not pending; use enable",
			    name);
		goto rollback;
	} else if (!strcmp(action, "enable") && strcmp(state, "disabled")) {
		if (!strcmp(state, "active"))
			goto unchanged;
		q_error_set(&err, Q_ECONFLICT,
			    "mirror '%s' is pending: it was never approved; use approve", name);
		goto rollback;
	}
	snprintf(audit, sizeof(audit), "mirror.%s", action);
	if (q_store_mirror_set_state(r->st, name, to, !strcmp(to, "active") ? "" : reason, &err) <
		0 ||
	    q_api_audit(r, audit, name,
			*reason && strcmp(to, "active")
			    ? json_pack("{s:s,s:s,s:s}", "from", state, "to", to, "reason", reason)
			    : json_pack("{s:s,s:s}", "from", state, "to", to),
			&err) < 0 ||
	    q_store_commit(r->st, &err) < 0)
		goto rollback;
	json_decref(m);
	m = NULL;
	after_change(r, name, strcmp(to, "active") == 0);
	if (q_store_mirror_get(r->st, name, &m, &err) < 0)
		goto fail;
	q_http_send_json(r, 200, m);
	m = NULL;
	goto out;
unchanged:
	q_store_rollback(r->st);
	q_http_send_json(r, 200, m);
	m = NULL;
	goto out;
rollback:
	q_store_rollback(r->st);
fail:
	q_http_send_error(r, &err);
out:
	json_decref(m);
	json_decref(body);
	g_free(name);
}

void q_api_mirror_approve(struct q_request *r, const char **caps)
{
	change_state(r, caps[0], "approve");
}

void q_api_mirror_disable(struct q_request *r, const char **caps)
{
	change_state(r, caps[0], "disable");
}

void q_api_mirror_enable(struct q_request *r, const char **caps)
{
	change_state(r, caps[0], "enable");
}

void q_api_mirror_delete(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	char *name = name_arg(caps[0]);

	if (q_api_need_releng(r, "remove mirrors", &err) < 0 || q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_mirror_delete(r->st, name, &err) < 0 ||
	    q_api_audit(r, "mirror.remove", name, NULL, &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	after_change(r, name, false);
	q_http_send_json(r, 200, json_pack("{s:s}", "removed", name));
	g_free(name);
	return;
fail:
	g_free(name);
	q_http_send_error(r, &err);
}

/* --- crawls --- */

void q_api_crawl_start(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *c = NULL, *m = NULL;
	const char *mirror = NULL;
	char *name = NULL;
	int64_t id;

	(void)caps;
	if (q_api_need_releng(r, "start crawls", &err) < 0)
		goto fail;
	if (r->req->entity.len) {
		body = q_http_json_body(r, &err);
		if (!body || q_api_str(body, "mirror", 0, 253, &mirror, &err) < 0)
			goto fail;
	}
	if (mirror && *mirror) {
		name = name_arg(mirror);
		if (q_store_mirror_get(r->st, name, &m, &err) < 0)
			goto fail;
	}
	if (q_store_crawl_add(r->st, name, r->who.name, &id, &err) < 0 ||
	    q_store_crawl_get(r->st, id, &c, &err) < 0)
		goto fail;
	q_crawler_wake(r->hub);
	q_http_send_json(r, 202, c);
	goto out;
fail:
	q_http_send_error(r, &err);
out:
	json_decref(body);
	json_decref(m);
	g_free(name);
}

void q_api_crawl_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	int64_t id;
	json_t *c = NULL;

	if (q_parse_int(caps[0], 1, INT64_MAX, &id) < 0) {
		q_error_set(&err, Q_EINVAL, "crawl id '%.64s' is not a positive integer", caps[0]);
		q_http_send_error(r, &err);
		return;
	}
	if (q_store_crawl_get(r->st, id, &c, &err) < 0)
		q_http_send_error(r, &err);
	else
		q_http_send_json(r, 200, c);
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Per repo/arch: how many active mirrors serve the newest publish, an
 * alternate, something else, or nothing, and how long the ones with the
 * newest took to get it (from the publish to the first check that saw it).
 */
void q_api_propagation(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *rows = NULL, *checks = NULL, *mirrors = NULL, *out = json_array(), *row;
	GHashTable *active = g_hash_table_new(g_str_hash, g_str_equal);
	size_t i;

	(void)caps;
	if (q_store_publish_window(r->st, (int64_t)time(NULL) - r->hub->cfg.ml_window, &rows,
				   &err) < 0 ||
	    q_store_mirror_checks(r->st, NULL, &checks, &err) < 0 ||
	    q_store_mirror_list(r->st, &mirrors, &err) < 0)
		goto fail;
	json_array_foreach (mirrors, i, row)
		if (!strcmp(json_string_value(json_object_get(row, "state")), "active"))
			g_hash_table_add(active,
					 (gpointer)json_string_value(json_object_get(row, "name")));
	for (i = 0; i < json_array_size(rows);) {
		json_t *first = json_array_get(rows, i), *c;
		const char *sig = json_string_value(json_object_get(first, "sig"));
		const char *name = json_string_value(json_object_get(first, "repo"));
		const char *arch = json_string_value(json_object_get(first, "arch"));
		int64_t major = json_integer_value(json_object_get(first, "major"));
		int64_t published = json_integer_value(json_object_get(first, "time"));
		char repo[300];
		size_t j = i, k, n_delay = 0;
		int64_t *delays = g_new0(int64_t, json_array_size(checks) + 1);
		int counts[5] = {0}; /* up to date, lagging, stale, unreachable, partial */
		const char *master = "unchecked";

		snprintf(repo, sizeof(repo), "sig-%s-%s-%" PRId64, sig, name, major);
		while (j < json_array_size(rows)) {
			json_t *x = json_array_get(rows, j);

			if (strcmp(json_string_value(json_object_get(x, "sig")), sig) ||
			    strcmp(json_string_value(json_object_get(x, "repo")), name) ||
			    json_integer_value(json_object_get(x, "major")) != major ||
			    strcmp(json_string_value(json_object_get(x, "arch")), arch))
				break;
			j++;
		}
		json_array_foreach (checks, k, c) {
			const char *who = json_string_value(json_object_get(c, "mirror"));
			const char *sha = json_string_value(json_object_get(c, "sha256"));
			int state = 3;

			if (strcmp(json_string_value(json_object_get(c, "repo")), repo) ||
			    strcmp(json_string_value(json_object_get(c, "arch")), arch))
				continue;
			if (*sha) {
				state = 2;
				for (size_t v = i; v < j; v++)
					if (!strcmp(sha, json_string_value(json_object_get(
							     json_array_get(rows, v), "sha256"))))
						state = v == i ? 0 : 1;
			}
			if (!strcmp(json_string_value(json_object_get(c, "state")), "partial"))
				state = 4; /* the newest repomd.xml, not all its files */
			if (who[0] == ':') {
				master = (const char *[]){"up_to_date", "lagging", "stale",
							  "unreachable", "partial"}[state];
				continue;
			}
			if (!g_hash_table_contains(active, who))
				continue;
			counts[state]++;
			if (state == 0) {
				int64_t since =
				    json_integer_value(json_object_get(c, "newest_since"));

				delays[n_delay++] = since > published ? since - published : 0;
			}
		}
		qsort(delays, n_delay, sizeof(*delays), cmp_int64);
		json_array_append_new(
		    out, json_pack(
			     "{s:s,s:s,s:s,s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:o,s:o,s:s}", "repo", repo,
			     "arch", arch, "newest_sha256",
			     json_string_value(json_object_get(first, "sha256")), "published",
			     (json_int_t)published, "mirrors",
			     counts[0] + counts[1] + counts[2] + counts[3] + counts[4],
			     "up_to_date", counts[0], "lagging", counts[1], "stale", counts[2],
			     "partial", counts[4], "unreachable", counts[3], "delay_median",
			     n_delay ? json_integer(delays[n_delay / 2]) : json_null(), "delay_max",
			     n_delay ? json_integer(delays[n_delay - 1]) : json_null(), "master",
			     master));
		g_free(delays);
		i = j;
	}
	q_http_send_json(r, 200, json_pack("{s:o}", "repos", out));
	out = NULL;
	goto done;
fail:
	q_http_send_error(r, &err);
done:
	g_hash_table_destroy(active);
	json_decref(out);
	json_decref(rows);
	json_decref(checks);
	json_decref(mirrors);
}
