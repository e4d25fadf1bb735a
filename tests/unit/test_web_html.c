/* The web view's escaping (web/web_html.c): every record field goes
 * through html_text, and only http/https links become <a>. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "web/web_html.h"

/* html_text of in (len bytes) between tags or in an attribute. */
static void
text_is(const char *in, size_t len, bool attr, const char *want)
{
	struct html h = { 0 };
	char *out;
	size_t n;

	html_text(&h, in, len, attr);
	/* Empty input leaves no buffer: compare with "". */
	out = html_take(&h, &n);
	assert_string_equal(out != NULL ? out : "", want);
	free(out);
}

static void
test_markup(void **state)
{
	(void)state;
	text_is("<script>alert(1)</script>", 25, false,
	    "&lt;script&gt;alert(1)&lt;/script&gt;");
	/* Attribute breakers, in both quotings. */
	text_is("\" onmouseover=\"x' y='>", 22, true,
	    "&quot; onmouseover=&quot;x&#39; y=&#39;&gt;");
	text_is("a & b &amp;", 11, false, "a &amp; b &amp;amp;");
	text_is("<img src=x onerror=alert(1)>", 28, false,
	    "&lt;img src=x onerror=alert(1)&gt;");
	/* Legitimate text in any script stays as written. */
	text_is("\xc3\x89vora, N\xc4\x83v\xc3\xa1lie, \xd7\xa2\xd7\x91\xd7\xa8\xd7\x99\xd7\xaa", 29,
	    false, "\xc3\x89vora, N\xc4\x83v\xc3\xa1lie, \xd7\xa2\xd7\x91\xd7\xa8\xd7\x99\xd7\xaa");
	text_is("line one\n\tline two", 18, false, "line one\n\tline two");
	text_is("", 0, false, "");
}

static void
test_invisible(void **state)
{
	(void)state;
	/* A right-to-left override would reorder the rest of the page. */
	text_is("\xe2\x80\xae" "evil", 7, false, "<code class=\"esc\">\\u202e</code>evil");
	text_is("\xe2\x81\xa6x\xe2\x81\xa9", 7, false,
	    "<code class=\"esc\">\\u2066</code>x<code class=\"esc\">\\u2069</code>");
	/* Zero-width characters hide a difference between two names. */
	text_is("pay\xe2\x80\x8bpal\xef\xbb\xbf", 12, false,
	    "pay<code class=\"esc\">\\u200b</code>pal<code class=\"esc\">\\ufeff</code>");
	/* In an attribute the escape is plain text, no markup. */
	text_is("a\xe2\x80\x8b" "b", 5, true, "a\\u200bb");
	/* Controls and bytes that are not UTF-8. */
	text_is("a\x1b[2Jb", 6, false, "a<code class=\"esc\">\\x1b</code>[2Jb");
	text_is("nul\0x", 5, false, "nul<code class=\"esc\">\\x00</code>x");
	text_is("bad \xff\xc3<", 7, false,
	    "bad <code class=\"esc\">\\xff</code><code class=\"esc\">\\xc3</code>&lt;");
}

static void
test_url_safe(void **state)
{
	(void)state;
	assert_true(html_url_safe("http://www.learningcommunities.eu"));
	assert_true(html_url_safe("HTTPS://example.org/a?b=c&d=e#f"));
	assert_false(html_url_safe("javascript:alert(1)"));
	assert_false(html_url_safe("JavaScript:alert(1)"));
	assert_false(html_url_safe(" javascript:alert(1)"));
	assert_false(html_url_safe("java\tscript:alert(1)"));
	assert_false(html_url_safe("data:text/html,<script>alert(1)</script>"));
	assert_false(html_url_safe("vbscript:x"));
	assert_false(html_url_safe("//evil.example/"));
	assert_false(html_url_safe("/relative"));
	assert_false(html_url_safe("http://"));
	assert_false(html_url_safe("http:///path"));
	assert_false(html_url_safe("http://exa mple.org"));
	assert_false(html_url_safe("http://example.org/\xe2\x80\xae"));
	assert_false(html_url_safe(NULL));
}

static char *
link_of(const char *url, const char *title)
{
	struct html h = { 0 };
	size_t n;

	html_link(&h, url, title);
	return html_take(&h, &n);
}

static void
test_link(void **state)
{
	char *s;

	(void)state;
	s = link_of("https://example.org/?a=1&b=\"2\"", "Ex <b>");
	assert_string_equal(s, "<a rel=\"nofollow noopener noreferrer\" "
	    "href=\"https://example.org/?a=1&amp;b=&quot;2&quot;\">Ex &lt;b&gt;</a>");
	free(s);
	/* Not a web link: text only, never an href. */
	s = link_of("javascript:alert(document.cookie)", "click me");
	assert_string_equal(s, "<span class=\"nolink\">click me "
	    "(javascript:alert(document.cookie))</span>");
	assert_null(strstr(s, "href"));
	free(s);
	s = link_of("javascript:alert(1)", NULL);
	assert_string_equal(s, "<span class=\"nolink\">javascript:alert(1)</span>");
	free(s);
}

static void
test_qv(void **state)
{
	struct html h = { 0 };
	char *s;
	size_t n;

	(void)state;
	html_qv(&h, "a b&c=\"d\"/\xc3\xa9~");
	html_raw(&h, "|");
	html_qv_path(&h, "/record/ab cd");
	s = html_take(&h, &n);
	assert_string_equal(s, "a%20b%26c%3D%22d%22%2F%C3%A9~|/record/ab%20cd");
	free(s);
}

static void
test_bounded(void **state)
{
	struct html h = { 0 };
	char *big = malloc(1024 * 1024);
	size_t n;

	(void)state;
	assert_non_null(big);
	memset(big, '<', 1024 * 1024);
	/* Four bytes out for each in: past HTML_MAX_BYTES the page fails. */
	for (int i = 0; i < 2 && !html_failed(&h); i++)
		html_text(&h, big, 1024 * 1024, false);
	assert_true(html_failed(&h));
	assert_null(html_take(&h, &n));
	free(big);
	html_rawf(&h, "%d", 1);     /* a failed buffer stays failed */
	assert_true(html_failed(&h));
	html_free(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markup),
		cmocka_unit_test(test_invisible),
		cmocka_unit_test(test_url_safe),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_qv),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
