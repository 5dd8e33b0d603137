/*
 * html.h: writing HTML pages, cgit's way.
 *
 * Every dynamic string reaches a page through one of the escaping writers
 * below: q_html_text for text and attribute values (the same escaping
 * serves both: & < > " ' become entities, invalid UTF-8 and control
 * characters become U+FFFD), q_html_url for a URL path segment or a
 * query value (percent-encoded: only unreserved characters stay). Markup
 * of our own is appended as string literals (g_string_append). Pages
 * carry no inline script or style at all (the CSP forbids both): looks
 * come from /static/quarry.css alone, through class names.
 */
#ifndef Q_WEB_HTML_H
#define Q_WEB_HTML_H

#include <glib.h>
#include <jansson.h>
#include <stdint.h>

struct q_request;

/* s escaped for text or an attribute value (NULL writes nothing). */
void q_html_text(GString *b, const char *s);
void q_html_textn(GString *b, const char *s, size_t n);
/* s percent-encoded as one URL path segment or query value. */
void q_html_url(GString *b, const char *s);
/* s, text of an XML document (entities and character references), decoded
 * and then escaped as q_html_text does. */
void q_html_xml_text(GString *b, const char *s);
void q_html_int(GString *b, int64_t v);
/* <time datetime="ISO">ISO</time>, or "—" when t is 0 (never set). */
void q_html_time(GString *b, int64_t t);
/* A duration in seconds as "1h 2m 3s". */
void q_html_duration(GString *b, int64_t s);

/*
 * <a href="/SEG/SEG…">text</a>: the segments (NULL-terminated) each
 * percent-encoded, the text escaped. q_html_href writes the href value
 * alone (for links that carry a query).
 */
void q_html_link(GString *b, const char *text, ...) G_GNUC_NULL_TERMINATED;
void q_html_href(GString *b, ...) G_GNUC_NULL_TERMINATED;

/* JSON members of an object, as text: a string escaped, a number, or "—". */
const char *q_html_jstr(json_t *o, const char *key); /* "" when not a string */
int64_t q_html_jint(json_t *o, const char *key);     /* 0 when not a number */
void q_html_jtext(GString *b, json_t *o, const char *key);
void q_html_jtime(GString *b, json_t *o, const char *key);

/*
 * The page shell: doctype, head (title, viewport, the CSS), the nav (SIGs,
 * Builds, Updates, Packages search, Mirrors, Workers) and the start of
 * <main>; q_html_end closes main and writes the footer.
 */
void q_html_begin(GString *b, const char *title);
void q_html_end(GString *b);

/* The policy of every page: nothing inline, nothing from elsewhere. */
#define Q_HTML_CSP                                                                                 \
	"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "               \
	"frame-ancestors 'none'; base-uri 'none'"

/* The headers of every page (content type, CSP, nosniff, referrer policy). */
void q_html_headers(struct q_request *r);
/* Send page b with status (HEAD: headers only); frees b. */
void q_html_send(struct q_request *r, int status, GString *b);
/* An HTML error page (404, 405, 500…) saying msg. */
void q_html_error(struct q_request *r, int status, const char *msg);

/* The stylesheet served at /static/quarry.css. */
extern const char q_html_css[];
extern const size_t q_html_css_len;

#endif
