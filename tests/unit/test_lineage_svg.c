/* The SVG drawing of a lineage (store/lineage_svg.c): hostile names and
 * titles (markup, quotes, javascript: links, bidi and zero-width
 * characters, control bytes, bytes that are not UTF-8) come out as inert
 * text, and the document stays well-formed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.pb-c.h"
#include "store/lineage.h"
#include "store/lineage_svg.h"

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

static char *
dup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

/* An origin and two adoptions, one missing source style, with hostile text. */
static void
make(struct lineage *l)
{
	memset(l, 0, sizeof(*l));
	l->n = l->cap = 3;
	l->nodes = calloc(3, sizeof(*l->nodes));
	assert_non_null(l->nodes);
	for (size_t i = 0; i < 3; i++) {
		l->nodes[i].id[0] = (uint8_t)(0xa0 + i);
		l->nodes[i].source = l->nodes[i].parent = i == 0 ? LINEAGE_NONE : i - 1;
		l->nodes[i].depth = (unsigned)i;
		l->nodes[i].kind = i == 0 ? TESSERA__KIND__KIND_INITIATIVE :
					    TESSERA__KIND__KIND_ADOPTION;
	}
	l->nodes[0].state = LINEAGE_MISSING;
	l->nodes[0].name = dup("<script>alert(1)</script>");
	l->nodes[0].title = dup("\"><a href=\"javascript:alert(1)\">x</a>");
	l->nodes[1].name = dup("\xe2\x80\xae" "arolE\xe2\x80\x8b" " & Co");
	l->nodes[1].country = dup("P'T");
	l->nodes[1].title = dup("bell\x07 esc\x1b[2J \xff\xfe tail");
	l->nodes[1].status = TESSERA__ADOPTION__STATUS__RUNNING;
	memcpy(l->nodes[1].started, "2024-03-01", 11);
	l->nodes[2].name = dup("Nagykovácsi");
	l->nodes[2].title = dup("A title far longer than thirty-four code points, cut");
	l->nodes[2].state = LINEAGE_WITHDRAWN;
	l->start = 2;
	l->communities = 2;
	l->countries = 1;
	l->depth = 2;
}

static void
test_escaped(void **state)
{
	struct lineage l;
	char *svg = NULL;
	size_t len;

	(void)state;
	make(&l);
	assert_int_equal(lineage_svg(&l, &svg, &len), 0);
	assert_int_equal(strlen(svg), len);
	/* Markup from records is text: no element, attribute or link of theirs. */
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "<a "));
	assert_null(strstr(svg, "href=\""));
	assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(svg, "&quot;&gt;&lt;a href=&quot;javascript:alert(1)&quot;"));
	assert_non_null(strstr(svg, "P&#39;T"));
	assert_non_null(strstr(svg, "arolE &amp; Co"));
	/* Bidi override, zero-width space, BEL and ESC are left out; bytes
	 * that are not UTF-8 are drawn as U+FFFD. */
	assert_null(strstr(svg, "\xe2\x80\xae"));
	assert_null(strstr(svg, "\xe2\x80\x8b"));
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)svg[i] >= 0x20 || svg[i] == '\n');
	assert_null(strstr(svg, "\xff"));
	assert_non_null(strstr(svg, "bell esc[2J \xef\xbf\xbd\xef\xbf\xbd tail"));
	/* Long titles are cut between code points. */
	assert_non_null(strstr(svg, "A title far longer than thirty-fou\xe2\x80\xa6"));
	assert_non_null(strstr(svg, "Nagykovácsi"));
	/* Well-formed enough to count: every tag closed, one root. */
	assert_int_equal(count(svg, "<"), count(svg, ">"));
	assert_int_equal(count(svg, "<svg "), 1);
	assert_int_equal(count(svg, "</svg>"), 1);
	assert_int_equal(count(svg, "<text"), count(svg, "</text>"));
	assert_int_equal(count(svg, "<path"), 2);
	assert_int_equal(count(svg, "stroke-dasharray"), 2);
	assert_non_null(strstr(svg, "not arrived yet"));
	assert_non_null(strstr(svg, "withdrawn"));
	assert_non_null(strstr(svg, "running \xc2\xb7 2024-03-01"));
	assert_non_null(strstr(svg, "2 communities in 1 country, depth 2"));
	free(svg);
	lineage_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
