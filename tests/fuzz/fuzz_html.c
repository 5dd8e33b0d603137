/*
 * fuzz_html.c: the web pages' escaping writers on arbitrary bytes
 * (q_html_textn, q_html_xml_text, q_html_url). Invariants: the output is
 * valid UTF-8 without markup characters (< > " ') or control characters
 * other than tab, newline and carriage return, and every '&' starts an
 * entity; a URL piece holds only unreserved characters and %XX.
 */
#include "core/common.h"
#include "web/html.h"

#include <ctype.h>

/* Checked in every build type (assert vanishes under NDEBUG). */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const GString *g)
{
	static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};

	CHECK(g_utf8_validate(g->str, (gssize)g->len, NULL));
	for (size_t i = 0; i < g->len; i++) {
		unsigned char c = (unsigned char)g->str[i];
		bool known = false;

		CHECK(c != '<' && c != '>' && c != '"' && c != '\'');
		CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		CHECK(c != 0x7f);
		if (c != '&')
			continue;
		for (size_t k = 0; k < G_N_ELEMENTS(entities); k++)
			known |= !strncmp(g->str + i, entities[k], strlen(entities[k]));
		CHECK(known);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GString *g = g_string_new(NULL);
	char *s = g_strndup((const char *)data, size);

	q_html_textn(g, (const char *)data, size);
	check_text(g);
	g_string_truncate(g, 0);
	q_html_xml_text(g, s);
	check_text(g);
	g_string_truncate(g, 0);
	q_html_url(g, s);
	for (size_t i = 0; i < g->len; i++) {
		unsigned char c = (unsigned char)g->str[i];

		CHECK(isalnum(c) || strchr("-._~%", c));
		if (c == '%')
			CHECK(i + 2 < g->len && isxdigit((unsigned char)g->str[i + 1]) &&
			      isxdigit((unsigned char)g->str[i + 2]));
	}
	g_free(s);
	g_string_free(g, TRUE);
	return 0;
}
