/*
 * web.c: the page URLs (see web.h) and what the pages share.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "http/http.h"
#include "web/html.h"
#include "web/web.h"

/* Paths that belong to others: the API, the published tree, the mirror
 * service, the lookaside, health and metrics. */
static const char *const not_ours[] = {"api",       "pub",     "metalink", "mirrorlist",
				       "lookaside", "healthz", "metrics"};

int q_web_query(struct q_request *r, const char *key, char *out, size_t size)
{
	struct q_error err = {0};
	int rc = q_query_get(r->query, r->query_len, key, out, size, &err);

	if (rc <= 0)
		out[0] = '\0';
	return rc < 0 ? -1 : 0;
}

void q_web_fail(struct q_request *r, const struct q_error *err)
{
	if (err->code == Q_ENOTFOUND || err->code == Q_EINVAL) {
		q_html_error(r, err->code == Q_ENOTFOUND ? 404 : 400, err->msg);
		return;
	}
	q_warn("web page %.*s: %s", (int)r->req->path.len, r->req->path.base, err->msg);
	q_html_error(r, 500, "the page could not be made; the hub's log says why");
}

void q_web_state(GString *b, const char *state)
{
	g_string_append(b, "<span class=\"state-");
	q_html_url(b, state && state[0] ? state : "none");
	g_string_append(b, "\">");
	q_html_text(b, state && state[0] ? state : "—");
	g_string_append(b, "</span>");
}

void q_web_actions(GString *b, const char *cli_hint)
{
	/* Sign-in adds the forms of the actions this user may take here. */
	g_string_append(b,
			"<section class=\"actions\" id=\"actions\">\n<h2>Actions</h2>\n"
			"<p class=\"muted\">Actions are taken with the command line today: <code>");
	q_html_text(b, cli_hint);
	g_string_append(b, "</code></p>\n</section>\n");
}

static void send_css(struct q_request *r)
{
	h2o_req_t *req = r->req;

	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
		       H2O_STRLIT("text/css; charset=utf-8"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
		       H2O_STRLIT("public, max-age=3600"));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"),
			      0, NULL, H2O_STRLIT("nosniff"));
	req->res.content_length = q_html_css_len;
	h2o_send_inline(req, q_html_css, q_html_css_len);
}

/* The page for r's path; false when no page has that path. */
static bool route(struct q_request *r)
{
	const struct q_path *p = &r->path;
	const char *s0 = p->n > 0 ? p->seg[0] : "";

	if (p->n == 0 || (p->n == 1 && !strcmp(s0, "sigs")))
		q_page_home(r);
	else if (!strcmp(s0, "sigs") && p->n == 2)
		q_page_sig(r, p->seg[1]);
	else if (!strcmp(s0, "sigs") && p->n == 4 && !strcmp(p->seg[2], "projects"))
		q_page_project(r, p->seg[1], p->seg[3]);
	else if (!strcmp(s0, "sigs") && p->n == 6 && !strcmp(p->seg[2], "projects") &&
		 !strcmp(p->seg[4], "repos"))
		q_page_repo(r, p->seg[1], p->seg[3], p->seg[5]);
	else if (p->n == 1 && !strcmp(s0, "packages"))
		q_page_packages(r);
	else if (p->n == 1 && !strcmp(s0, "builds"))
		q_page_builds(r);
	else if (p->n == 2 && !strcmp(s0, "builds"))
		q_page_build(r, p->seg[1]);
	else if (p->n == 1 && !strcmp(s0, "updates"))
		q_page_updates(r);
	else if (p->n == 2 && !strcmp(s0, "updates"))
		q_page_update(r, p->seg[1]);
	else if (p->n == 1 && !strcmp(s0, "mirrors"))
		q_page_mirrors(r);
	else if (p->n == 2 && !strcmp(s0, "mirrors"))
		q_page_mirror(r, p->seg[1]);
	else if (p->n == 1 && !strcmp(s0, "workers"))
		q_page_workers(r);
	else if (p->n == 2 && !strcmp(s0, "static") && !strcmp(p->seg[1], "quarry.css"))
		send_css(r);
	else
		return false;
	return true;
}

int q_web_dispatch(struct q_request *r)
{
	const char *s0 = r->path.n > 0 ? r->path.seg[0] : "";

	for (size_t i = 0; i < Q_ARRAY_LEN(not_ours); i++)
		if (!strcmp(s0, not_ours[i]))
			return -1;
	if (!q_http_method_is(r, "GET") && !q_http_method_is(r, "HEAD")) {
		q_html_error(r, 405, "the pages are read-only: GET or HEAD");
		return 0;
	}
	if (!route(r))
		q_html_error(r, 404, "there is no page at this address");
	return 0;
}

void q_web_value(GString *b, json_t *v)
{
	char *s;

	if (json_is_string(v) || json_is_integer(v) || json_is_boolean(v) || json_is_null(v)) {
		json_t *o = json_pack("{s:O}", "v", v);

		q_html_jtext(b, o, "v");
		json_decref(o);
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	g_string_append(b, "<code>");
	q_html_text(b, s);
	g_string_append(b, "</code>");
	free(s);
}

void q_web_dl(GString *b, json_t *o)
{
	const char *k;
	json_t *v;

	g_string_append(b, "<dl class=\"facts\">\n");
	json_object_foreach (o, k, v) {
		g_string_append(b, "<dt>");
		q_html_text(b, k);
		g_string_append(b, "</dt><dd>");
		q_web_value(b, v);
		g_string_append(b, "</dd>\n");
	}
	g_string_append(b, "</dl>\n");
}
