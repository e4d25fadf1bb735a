/* Building the web view's HTML: a growing buffer, and the one escaping
 * function every text from a record, a peer or a request goes through.
 *
 * Markup is written with html_raw/html_rawf, whose arguments are our own
 * constant strings and numbers only; anything else is text (html_text) or
 * a query value (html_qv). Allocation failures are sticky: the page is
 * dropped at the end (html_failed) rather than checked at every call. */
#ifndef WEB_HTML_H
#define WEB_HTML_H

#include <stdbool.h>
#include <stddef.h>

/* A page larger than this is cut (and the request fails with 500). */
#define HTML_MAX_BYTES (4u * 1024 * 1024)

struct html {
	char *buf;
	size_t len, cap;
	bool failed;
};

void html_raw(struct html *h, const char *markup);
void html_rawf(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s (len bytes, any bytes at all) as HTML text, safe both between tags and
 * inside a quoted attribute value: & < > " ' become entities; a control
 * character, bidi embedding/override/isolate/mark or zero-width character
 * is shown visibly as its escape ("\u202e") in a <code class="esc">
 * (never raw: it could reorder or hide what follows); bytes that are not
 * UTF-8 are shown as "\xff". Tab and newline stay (CSS keeps them). The
 * wrapping <code> is left out inside attributes (attr true). */
void html_text(struct html *h, const char *s, size_t len, bool attr);
/* html_text of a NUL-terminated string, NULL as "". */
void html_str(struct html *h, const char *s);
/* s percent-encoded for a query value or path segment (only A-Z a-z 0-9
 * - . _ ~ stay), so the result needs no further escaping. */
void html_qv(struct html *h, const char *s);
/* A path ("/record/ab12") percent-encoded but for its slashes. */
void html_qv_path(struct html *h, const char *path);
/* True when url may become an href: http:// or https:// (any case) with a
 * host, and no space, control or non-ASCII byte. Anything else (javascript:,
 * data:, relative) is shown as text. */
bool html_url_safe(const char *url);
/* An outside link: <a href> when html_url_safe, else the URL as text. */
void html_link(struct html *h, const char *url, const char *title);
bool html_failed(const struct html *h);
/* Hands over the buffer (malloc'd, *len bytes); NULL when failed. */
char *html_take(struct html *h, size_t *len);
void html_free(struct html *h);

#endif
