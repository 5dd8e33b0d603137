/*
 * respond.c: answering requests (see http.h) and authenticating them.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/isotime.h"
#include "http/http.h"
#include "hub/hub.h"

int q_http_method_is(struct q_request *r, const char *method)
{
	return h2o_memis(r->req->method.base, r->req->method.len, method, strlen(method));
}

void q_http_send_text(struct q_request *r, int status, const char *ctype, const char *body,
		      size_t len)
{
	h2o_req_t *req = r->req;

	req->res.status = status;
	req->res.reason = status == 201   ? "Created"
			  : status == 204 ? "No Content"
			  : status == 302 ? "Found"
			  : status == 304 ? "Not Modified"
			  : status < 300  ? "OK"
					  : "Error";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype,
		       strlen(ctype));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
		       H2O_STRLIT("no-store"));
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

void q_http_send_json(struct q_request *r, int status, json_t *body)
{
	char *s;
	size_t len;

	/* One time format in every answer: the database's Unix seconds as ISO
	 * 8601 UTC strings (null when unset), whichever handler built body. */
	q_json_times_iso(body);
	s = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(body);
	if (!s) {
		q_http_send_text(r, 500, "application/json", "{\"error\":{\"code\":\"internal\"}}",
				 29);
		return;
	}
	len = strlen(s);
	s[len] = '\0';
	{
		/* a trailing newline makes curl output readable */
		char *withnl = malloc(len + 2);
		if (withnl) {
			memcpy(withnl, s, len);
			withnl[len] = '\n';
			q_http_send_text(r, status, "application/json", withnl, len + 1);
			free(withnl);
		} else {
			q_http_send_text(r, status, "application/json", s, len);
		}
	}
	free(s);
}

void q_http_send_error(struct q_request *r, const struct q_error *err)
{
	q_http_send_error_status(r, 0, err);
}

void q_http_send_error_status(struct q_request *r, int status, const struct q_error *err)
{
	json_t *o = json_object(), *e = json_object();
	enum q_code code = err && err->code != Q_OK ? err->code : Q_EINTERNAL;
	char msg[Q_ERROR_MSG_MAX];

	json_object_set_new(e, "code", json_string(q_code_name(code)));
	/* Never the server's paths: DATA for the data directory, wherever it is. */
	snprintf(msg, sizeof(msg), "%s", err && err->msg[0] ? err->msg : "internal error");
	if (r->hub)
		q_redact_path(msg, sizeof(msg), r->hub->cfg.data_dir, "DATA");
	json_object_set_new(e, "message", json_string(msg));
	json_object_set_new(o, "error", e);
	if (code == Q_EAUTH)
		h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE,
			       NULL, H2O_STRLIT("Bearer realm=\"quarry\""));
	q_http_send_json(r, status ? status : q_code_http_status(code), o);
}

static int json_depth_ok(const char *s, size_t len, int max)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > max)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

json_t *q_http_json_body(struct q_request *r, struct q_error *err)
{
	h2o_iovec_t b = r->req->entity;
	json_error_t jerr;
	json_t *j;

	if ((int64_t)b.len > r->hub->cfg.max_json) {
		q_error_set(err, Q_ETOOBIG, "request body is %zu bytes; the limit is %" PRId64,
			    b.len, r->hub->cfg.max_json);
		return NULL;
	}
	if (!b.base || b.len == 0) {
		q_error_set(err, Q_EINVAL, "request body is empty; a JSON object is expected");
		return NULL;
	}
	if (!json_depth_ok(b.base, b.len, 16)) {
		q_error_set(err, Q_EINVAL, "request body nests deeper than 16 levels");
		return NULL;
	}
	j = json_loadb(b.base, b.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		q_error_set(err, Q_EINVAL,
			    "request body is not valid JSON: %s at line %d column %d", jerr.text,
			    jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		q_error_set(err, Q_EINVAL, "request body must be a JSON object");
		return NULL;
	}
	return j;
}

const char *q_http_header(struct q_request *r, const char *name)
{
	const h2o_headers_t *h = &r->req->headers;

	for (size_t i = 0; i < h->size; i++) {
		const h2o_header_t *x = h->entries + i;
		if (x->name->len == strlen(name) &&
		    h2o_lcstris(x->name->base, x->name->len, name, strlen(name))) {
			char *v = h2o_mem_alloc_pool(&r->req->pool, x->value.len + 1);
			memcpy(v, x->value.base, x->value.len);
			v[x->value.len] = '\0';
			return v;
		}
	}
	return NULL;
}

int q_http_auth(struct q_request *r, struct q_error *err)
{
	const char *h = q_http_header(r, "authorization");
	char hash[Q_SHA256_HEX];

	if (r->authed)
		return 0;
	if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7])
		return q_error_set(err, Q_EAUTH,
				   "this request needs a token: pass 'Authorization: Bearer TOKEN' "
				   "(quarry --token or QUARRY_TOKEN)");
	if (strlen(h + 7) > 200)
		return q_error_set(err, Q_EAUTH, "the token is not valid");
	q_hash_sha256_buf(h + 7, strlen(h + 7), hash);
	if (q_store_token_lookup(r->st, hash, &r->who, err) < 0)
		return -1;
	if (r->who.expires > 0 && (int64_t)time(NULL) >= r->who.expires) {
		char when[Q_ISO_TIME_LEN];

		q_time_iso(r->who.expires, when);
		memset(&r->who, 0, sizeof(r->who));
		return q_error_set(err, Q_EAUTH,
				   "the token expired at %s; create a new one (quarry token "
				   "create --expires …)",
				   when);
	}
	r->authed = 1;
	return 0;
}

void q_http_send_file(struct q_request *r, const char *path, const char *ctype)
{
	struct q_error err = {0};

	if (h2o_file_send(r->req, 200, "OK", path, h2o_iovec_init(ctype, strlen(ctype)), 0) != 0) {
		q_error_set(&err, Q_ENOTFOUND, "file not found");
		q_http_send_error(r, &err);
	}
}
