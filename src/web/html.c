/*
 * html.c: the escaping writers and the page shell (see html.h).
 */
#include "core/common.h"
#include "core/isotime.h"
#include "http/http.h"
#include "store/store.h"
#include "web/html.h"

#include <stdarg.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

static bool is_control(gunichar c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c < 0xa0);
}

void q_html_textn(GString *b, const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		gunichar u;

		if (c < 0x80) {
			switch (c) {
			case '&':
				g_string_append(b, "&amp;");
				break;
			case '<':
				g_string_append(b, "&lt;");
				break;
			case '>':
				g_string_append(b, "&gt;");
				break;
			case '"':
				g_string_append(b, "&quot;");
				break;
			case '\'':
				g_string_append(b, "&#39;");
				break;
			default:
				if (is_control(c))
					g_string_append(b, REPLACEMENT);
				else
					g_string_append_c(b, (char)c);
			}
			p++;
			continue;
		}
		u = g_utf8_get_char_validated(p, (gssize)(end - p));
		if (u == (gunichar)-1 || u == (gunichar)-2) {
			g_string_append(b, REPLACEMENT); /* one for each bad byte */
			p++;
			continue;
		}
		if (is_control(u))
			g_string_append(b, REPLACEMENT);
		else
			g_string_append_len(b, p, g_utf8_skip[c]);
		p += g_utf8_skip[c];
	}
}

void q_html_text(GString *b, const char *s)
{
	if (s)
		q_html_textn(b, s, strlen(s));
}

void q_html_url(GString *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (g_ascii_isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			g_string_append_c(b, (char)*p);
		else {
			g_string_append_c(b, '%');
			g_string_append_c(b, hex[*p >> 4]);
			g_string_append_c(b, hex[*p & 15]);
		}
	}
}

void q_html_int(GString *b, int64_t v)
{
	g_string_append_printf(b, "%" PRId64, v);
}

void q_html_time(GString *b, int64_t t)
{
	char iso[Q_ISO_TIME_LEN];

	if (t <= 0) {
		g_string_append(b, "—");
		return;
	}
	q_time_iso(t, iso);
	g_string_append_printf(b, "<time datetime=\"%s\">%s</time>", iso, iso);
}

void q_html_duration(GString *b, int64_t s)
{
	char buf[64];

	q_store_duration_text(s, buf, sizeof(buf));
	q_html_text(b, buf);
}

static void href_va(GString *b, va_list ap)
{
	const char *seg;
	bool any = false;

	while ((seg = va_arg(ap, const char *)) != NULL) {
		g_string_append_c(b, '/');
		q_html_url(b, seg);
		any = true;
	}
	if (!any)
		g_string_append_c(b, '/');
}

void q_html_href(GString *b, ...)
{
	va_list ap;

	va_start(ap, b);
	href_va(b, ap);
	va_end(ap);
}

void q_html_link(GString *b, const char *text, ...)
{
	va_list ap;

	g_string_append(b, "<a href=\"");
	va_start(ap, text);
	href_va(b, ap);
	va_end(ap);
	g_string_append(b, "\">");
	q_html_text(b, text);
	g_string_append(b, "</a>");
}

const char *q_html_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int64_t q_html_jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v)
	       : json_is_real(v)  ? (int64_t)json_real_value(v)
	       : json_is_true(v)  ? 1
				  : 0;
}

void q_html_jtext(GString *b, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v) && json_string_length(v))
		q_html_textn(b, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		q_html_int(b, (int64_t)json_integer_value(v));
	else if (json_is_boolean(v))
		g_string_append(b, json_is_true(v) ? "yes" : "no");
	else
		g_string_append(b, "—");
}

void q_html_jtime(GString *b, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	int64_t t = 0;

	if (json_is_integer(v))
		t = (int64_t)json_integer_value(v);
	else if (json_is_string(v))
		q_time_parse(json_string_value(v), &t);
	q_html_time(b, t);
}

void q_html_begin(GString *b, const char *title)
{
	g_string_append(b,
			"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			"<title>");
	q_html_text(b, title);
	g_string_append(
	    b, " · Quarry</title>\n<link rel=\"stylesheet\" href=\"/static/quarry.css\">\n"
	       "</head>\n<body>\n<header class=\"top\">\n<nav aria-label=\"main\">\n"
	       "<a class=\"brand\" href=\"/\">Quarry</a>\n<ul>\n"
	       "<li><a href=\"/\">SIGs</a></li>\n<li><a href=\"/builds\">Builds</a></li>\n"
	       "<li><a href=\"/updates\">Updates</a></li>\n"
	       "<li><a href=\"/mirrors\">Mirrors</a></li>\n"
	       "<li><a href=\"/workers\">Workers</a></li>\n</ul>\n"
	       "<form class=\"search\" role=\"search\" method=\"get\" action=\"/packages\">\n"
	       "<label for=\"q-search\" class=\"vh\">Package name</label>\n"
	       "<input id=\"q-search\" type=\"search\" name=\"name\" placeholder=\"package "
	       "name\">\n<button type=\"submit\">Search</button>\n</form>\n</nav>\n</header>\n"
	       "<main>\n");
}

void q_html_end(GString *b)
{
	g_string_append(b, "</main>\n<footer>\n<p>Quarry, the build and release system of the "
			   "SIGs · <a href=\"/api/v1/sigs\">API</a> · every time is UTC</p>\n"
			   "</footer>\n</body>\n</html>\n");
}

void q_html_headers(struct q_request *r)
{
	h2o_req_t *req = r->req;

	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-security-policy"),
			      0, NULL, H2O_STRLIT(Q_HTML_CSP));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"),
			      0, NULL, H2O_STRLIT("nosniff"));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("referrer-policy"), 0, NULL,
			      H2O_STRLIT("same-origin"));
}

void q_html_send(struct q_request *r, int status, GString *b)
{
	q_html_headers(r);
	q_http_send_text(r, status, "text/html; charset=utf-8", b->str, b->len);
	g_string_free(b, TRUE);
}

void q_html_error(struct q_request *r, int status, const char *msg)
{
	GString *b = g_string_new(NULL);
	const char *title = status == 404   ? "Not found"
			    : status == 405 ? "Method not allowed"
			    : status == 400 ? "Bad request"
					    : "Error";

	q_html_begin(b, title);
	g_string_append(b, "<h1>");
	q_html_text(b, title);
	g_string_append(b, "</h1>\n<p class=\"error\">");
	q_html_text(b, msg);
	g_string_append(b, "</p>\n<p><a href=\"/\">The SIG catalog</a></p>\n");
	q_html_end(b);
	if (status == 405)
		h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_ALLOW, NULL,
			       H2O_STRLIT("GET, HEAD"));
	q_html_send(r, status, b);
}

/* One XML reference at s ('&' … ';'): its bytes appended to out; the
 * length used, or 0 when it is not one. */
static size_t xml_ref(const char *s, GString *out)
{
	static const char *const named[][2] = {
	    {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&apos;", "'"}};
	const char *semi = strchr(s, ';');
	char utf8[8];
	gunichar c;
	char *end;

	for (size_t i = 0; i < G_N_ELEMENTS(named); i++)
		if (g_str_has_prefix(s, named[i][0])) {
			g_string_append(out, named[i][1]);
			return strlen(named[i][0]);
		}
	if (!semi || s[1] != '#' || semi - s > 10)
		return 0;
	c = s[2] == 'x' ? (gunichar)strtoul(s + 3, &end, 16) : (gunichar)strtoul(s + 2, &end, 10);
	if (end != semi || !g_unichar_validate(c) || c == 0)
		return 0;
	g_string_append_len(out, utf8, g_unichar_to_utf8(c, utf8));
	return (size_t)(semi - s) + 1;
}

void q_html_xml_text(GString *b, const char *s)
{
	GString *plain = g_string_new(NULL);

	for (const char *p = s ? s : ""; *p;) {
		size_t n = *p == '&' ? xml_ref(p, plain) : 0;

		if (n) {
			p += n;
			continue;
		}
		g_string_append_c(plain, *p++);
	}
	q_html_textn(b, plain->str, plain->len);
	g_string_free(plain, TRUE);
}
