/*
 * test_html.c: the web pages' escaping writers (src/web/html.c): markup,
 * attribute breakers, quotes and ampersands become entities, invalid
 * UTF-8 and control characters U+FFFD, URL segments are percent-encoded,
 * XML text is decoded then escaped, and links escape both sides.
 */
#include "core/common.h"
#include "web/html.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static char *text(const char *s)
{
	GString *b = g_string_new(NULL);

	q_html_text(b, s);
	return g_string_free(b, FALSE);
}

static void expect_text(const char *in, const char *want)
{
	char *got = text(in);

	assert_string_equal(got, want);
	g_free(got);
}

static void test_markup(void **state)
{
	(void)state;
	expect_text("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	expect_text("x\" onerror=\"alert(1)", "x&quot; onerror=&quot;alert(1)");
	expect_text("\"onerror=alert(2)", "&quot;onerror=alert(2)");
	expect_text("it's 'quoted'", "it&#39;s &#39;quoted&#39;");
	expect_text("a & b &amp; c", "a &amp; b &amp;amp; c");
	expect_text("", "");
	expect_text("plain text, é and 漢字 ok", "plain text, é and 漢字 ok");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* a lone continuation byte, a truncated sequence, an overlong '<',
	 * a surrogate, a byte never valid */
	expect_text("a\x80z", "a\xEF\xBF\xBDz");
	expect_text("a\xC3", "a\xEF\xBF\xBD");
	expect_text("\xC0\xBCscript>", "\xEF\xBF\xBD\xEF\xBF\xBDscript&gt;");
	expect_text("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	expect_text("\xFF", "\xEF\xBF\xBD");
	/* control characters, C0 and C1; tab and newline stay */
	expect_text("a\x01\x1b[31m\tb\n", "a\xEF\xBF\xBD\xEF\xBF\xBD[31m\tb\n");
	expect_text("\xC2\x85", "\xEF\xBF\xBD");
	/* the output is always valid UTF-8 */
	{
		char *got = text("\xF4\x90\x80\x80\xE2\x82<");

		assert_true(g_utf8_validate(got, -1, NULL));
		assert_non_null(strstr(got, "&lt;"));
		g_free(got);
	}
}

static void test_url(void **state)
{
	GString *b = g_string_new(NULL);

	(void)state;
	q_html_url(b, "a b/c?d=e&f\"<>#%é-._~");
	assert_string_equal(b->str, "a%20b%2Fc%3Fd%3De%26f%22%3C%3E%23%25%C3%A9-._~");
	g_string_truncate(b, 0);
	q_html_link(b, "<b>x</b>", "sigs", "a\"b", "projects", "../p", NULL);
	assert_string_equal(b->str,
			    "<a href=\"/sigs/a%22b/projects/..%2Fp\">&lt;b&gt;x&lt;/b&gt;</a>");
	g_string_truncate(b, 0);
	q_html_href(b, NULL);
	assert_string_equal(b->str, "/");
	g_string_free(b, TRUE);
}

static void test_xml_text(void **state)
{
	GString *b = g_string_new(NULL);

	(void)state;
	q_html_xml_text(b,
			"Marked &lt;script&gt; &quot;onerror=&amp;amp; &#65;&#x42; &bogus; &#0; &");
	assert_string_equal(b->str, "Marked &lt;script&gt; &quot;onerror=&amp;amp; AB &amp;bogus; "
				    "&amp;#0; &amp;");
	g_string_free(b, TRUE);
}

static void test_json_and_time(void **state)
{
	GString *b = g_string_new(NULL);
	json_t *o = json_pack("{s:s,s:i,s:n,s:b,s:i}", "s", "<i>", "n", 42, "z", "t", 1, "when",
			      1796325066);

	(void)state;
	q_html_jtext(b, o, "s");
	q_html_jtext(b, o, "n");
	q_html_jtext(b, o, "z");
	q_html_jtext(b, o, "missing");
	q_html_jtext(b, o, "t");
	assert_string_equal(b->str, "&lt;i&gt;42——yes");
	g_string_truncate(b, 0);
	q_html_jtime(b, o, "when");
	q_html_time(b, 0);
	assert_string_equal(b->str, "<time datetime=\"2026-12-03T19:11:06Z\">2026-12-03T19:11:06Z"
				    "</time>—");
	json_decref(o);
	g_string_free(b, TRUE);
}

static void test_shell(void **state)
{
	GString *b = g_string_new(NULL);

	(void)state;
	q_html_begin(b, "</title><script>x</script>");
	q_html_end(b);
	assert_non_null(strstr(b->str, "<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt; · "
				       "Quarry</title>"));
	assert_non_null(strstr(b->str, "<!DOCTYPE html>\n<html lang=\"en\">"));
	assert_non_null(strstr(b->str, "href=\"/static/quarry.css\""));
	assert_non_null(strstr(b->str, "name=\"viewport\""));
	assert_null(strstr(b->str, "<script"));
	assert_null(strstr(b->str, "style="));
	assert_non_null(strstr(b->str, "</html>\n"));
	/* the stylesheet has both looks */
	assert_non_null(strstr(q_html_css, "prefers-color-scheme:dark"));
	assert_int_equal(strlen(q_html_css), q_html_css_len);
	g_string_free(b, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_markup),        cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_url),           cmocka_unit_test(test_xml_text),
	    cmocka_unit_test(test_json_and_time), cmocka_unit_test(test_shell),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
