/* A lineage tree drawn as SVG (see lineage_svg.h). */
#include "store/lineage_svg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "core/textsafe.h"
#include "core/util.h"
#include "store/lineage.h"

#define BOX_W 240
#define BOX_H 50
#define ROW_H 62
#define INDENT 32
#define MARGIN 16
#define MAX_CHARS 34          /* code points of a text line before "…" */

struct svgbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void
grow(struct svgbuf *b, size_t more)
{
	char *np;
	size_t cap;

	if (b->failed || b->len + more + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->failed = true;
		return;
	}
	b->p = np;
	b->cap = cap;
}

static void
put(struct svgbuf *b, const char *s, size_t n)
{
	grow(b, n);
	if (b->failed)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Markup and numbers only: never text from a record. */
static void __attribute__((format(printf, 2, 3)))
putf(struct svgbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Text from a record, escaped for XML, without what could hide or reorder
 * characters, at most MAX_CHARS code points. */
static void
put_text(struct svgbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = s != NULL ? strlen(s) : 0, shown = 0;

	while (left > 0) {
		uint32_t cp;
		size_t n = textsafe_decode(p, left, &cp);

		if (shown == MAX_CHARS) {
			put(b, "\u2026", strlen("\u2026"));
			return;
		}
		if (n == 0) {
			put(b, "\uFFFD", strlen("\uFFFD"));
			n = 1;
		} else if (textsafe_class(cp) == TS_SPACE) {
			put(b, " ", 1);
		} else if (textsafe_class(cp) != TS_PLAIN) {
			p += n;
			left -= n;
			continue;
		} else if (cp == '&') {
			put(b, "&amp;", 5);
		} else if (cp == '<') {
			put(b, "&lt;", 4);
		} else if (cp == '>') {
			put(b, "&gt;", 4);
		} else if (cp == '"') {
			put(b, "&quot;", 6);
		} else if (cp == '\'') {
			put(b, "&#39;", 5);
		} else {
			put(b, (const char *)p, n);
		}
		shown++;
		p += n;
		left -= n;
	}
}

static int
x_of(const struct lineage_node *n)
{
	return MARGIN + (int)n->depth * INDENT;
}

static int
y_of(size_t row)
{
	return MARGIN + (int)row * ROW_H;
}

static void
draw_node(struct svgbuf *b, const struct lineage *l, size_t k)
{
	const struct lineage_node *n = &l->nodes[k];
	int x = x_of(n), y = y_of(k);
	char hex[2 * TESS_ID_LEN + 1];

	hex_encode(n->id, TESS_ID_LEN, hex);
	putf(b, "<g><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\" "
	    "fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n", x, y, BOX_W, BOX_H,
	    n->state == LINEAGE_PRESENT ? "#ffffff" : "#f2f2f2",
	    k == l->start ? "#b04a00" : "#3a5a78", k == l->start ? "2" : "1",
	    n->state == LINEAGE_MISSING ? " stroke-dasharray=\"6 4\"" :
	    n->state == LINEAGE_WITHDRAWN ? " stroke-dasharray=\"2 3\"" : "");
	putf(b, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", x + 8, y + 16);
	if (n->name != NULL)
		put_text(b, n->name);
	else
		put(b, "unknown community", strlen("unknown community"));
	if (n->country != NULL && *n->country) {
		put(b, " (", 2);
		put_text(b, n->country);
		put(b, ")", 1);
	}
	put(b, "</text>\n", 8);
	putf(b, "<text x=\"%d\" y=\"%d\">", x + 8, y + 31);
	put_text(b, n->title);
	put(b, "</text>\n", 8);
	/* Only words and dates this version wrote or checked below. */
	putf(b, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#555555\">%.12s", x + 8, y + 44,
	    hex);
	if (n->state == LINEAGE_MISSING)
		put(b, " \u00b7 not arrived yet", strlen(" \u00b7 not arrived yet"));
	else if (n->state == LINEAGE_WITHDRAWN)
		put(b, " \u00b7 withdrawn", strlen(" \u00b7 withdrawn"));
	else if (n->kind == TESSERA__KIND__KIND_ADOPTION)
		putf(b, " \u00b7 %s", record_status_name(n->status));
	else
		putf(b, " \u00b7 %s", record_kind_name(n->kind));
	if (n->started[0] && record_date_valid(n->started))
		putf(b, " \u00b7 %s", n->started);
	if (n->ended[0] && record_date_valid(n->ended))
		putf(b, " \u2013 %s", n->ended);
	put(b, "</text></g>\n", 12);
}

int
lineage_svg(const struct lineage *l, char **out, size_t *len)
{
	struct svgbuf b = { 0 };
	int w = 0, h = y_of(l->n) + 24;

	for (size_t k = 0; k < l->n; k++)
		if (x_of(&l->nodes[k]) + BOX_W + MARGIN > w)
			w = x_of(&l->nodes[k]) + BOX_W + MARGIN;
	if (w < 320)
		w = 320;
	putf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\" role=\"img\">\n"
	    "<title>", w, h, w, h);
	put(&b, "Lineage: ", 9);
	if (l->n > 0)
		put_text(&b, l->nodes[0].title);
	put(&b, "</title>\n", 9);
	/* Elbows from each parent's left edge down to its child's middle. */
	for (size_t k = 0; k < l->n; k++) {
		size_t p = l->nodes[k].parent;

		if (p == LINEAGE_NONE || p >= l->n)
			continue;
		putf(&b, "<path d=\"M%d %d V%d H%d\" fill=\"none\" stroke=\"#7a8ea3\"/>\n",
		    x_of(&l->nodes[p]) + 14, y_of(p) + BOX_H, y_of(k) + BOX_H / 2,
		    x_of(&l->nodes[k]));
	}
	for (size_t k = 0; k < l->n; k++)
		draw_node(&b, l, k);
	putf(&b, "<text x=\"%d\" y=\"%d\" fill=\"#333333\">%zu communit%s in %zu countr%s, "
	    "depth %u%s</text>\n</svg>\n", MARGIN, h - 10, l->communities,
	    l->communities == 1 ? "y" : "ies", l->countries, l->countries == 1 ? "y" : "ies",
	    l->depth, l->truncated ? " (cut: larger than shown)" : "");
	if (b.failed) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
