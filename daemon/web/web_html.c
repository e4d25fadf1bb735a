/* HTML buffer and escaping. */
#include "web/web_html.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/textsafe.h"

/* Path segments longer than this are cut (our paths are short). */
#define WEB_SEGMENT_MAX 256

static bool
grow(struct html *h, size_t more)
{
	size_t cap;
	char *b;

	if (h->failed)
		return false;
	if (h->len + more + 1 <= h->cap)
		return true;
	if (h->len + more + 1 > HTML_MAX_BYTES) {
		h->failed = true;
		return false;
	}
	for (cap = h->cap ? h->cap : 4096; cap < h->len + more + 1; cap *= 2)
		;
	if (cap > HTML_MAX_BYTES)
		cap = HTML_MAX_BYTES;
	if ((b = realloc(h->buf, cap)) == NULL) {
		h->failed = true;
		return false;
	}
	h->buf = b;
	h->cap = cap;
	return true;
}

static void
put(struct html *h, const char *s, size_t n)
{
	if (!grow(h, n))
		return;
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
}

void
html_raw(struct html *h, const char *markup)
{
	put(h, markup, strlen(markup));
}

void
html_rawf(struct html *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(h, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(h->buf + h->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	h->len += (size_t)n;
}

/* The entity for an ASCII character that means something in HTML, else NULL. */
static const char *
entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

static void
visible(struct html *h, const char *esc, bool attr)
{
	if (!attr)
		html_raw(h, "<code class=\"esc\">");
	/* Our own escape text: backslash, letters and hex digits only. */
	html_raw(h, esc);
	if (!attr)
		html_raw(h, "</code>");
}

void
html_text(struct html *h, const char *s, size_t len, bool attr)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < len) {
		char esc[TEXTSAFE_ESC_MAX];
		const char *ent = NULL;
		uint32_t cp;
		size_t n;

		if (u[i] < 0x80) {
			cp = u[i];
			n = 1;
			ent = entity(u[i]);
		} else if ((n = textsafe_decode(u + i, len - i, &cp)) == 0) {
			/* Not UTF-8: the byte, shown as \xNN. */
			put(h, s + run, i - run);
			snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
			visible(h, esc, attr);
			run = ++i;
			continue;
		}
		if (ent == NULL && textsafe_escape_cp(cp, true, esc) == 0) {
			i += n;
			continue;
		}
		put(h, s + run, i - run);
		if (ent != NULL)
			html_raw(h, ent);
		else
			visible(h, esc, attr);
		i += n;
		run = i;
	}
	put(h, s + run, len - run);
}

void
html_str(struct html *h, const char *s)
{
	if (s != NULL)
		html_text(h, s, strlen(s), false);
}

void
html_qv(struct html *h, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p; p++) {
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			put(h, (const char *)p, 1);
		else
			put(h, e, 3);
	}
}

void
html_qv_path(struct html *h, const char *path)
{
	char seg[WEB_SEGMENT_MAX];

	while (*path != '\0') {
		size_t n = strcspn(path, "/");

		if (n == 0) {
			put(h, "/", 1);
			path++;
			continue;
		}
		if (n >= sizeof(seg))
			n = sizeof(seg) - 1;
		memcpy(seg, path, n);
		seg[n] = '\0';
		html_qv(h, seg);
		path += n;
	}
}

bool
html_url_safe(const char *url)
{
	size_t skip;

	if (url == NULL)
		return false;
	if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else
		return false;
	/* A host must follow: "http:///x" or "http://" alone is no link. */
	if (url[skip] == '\0' || url[skip] == '/' || url[skip] == '?' || url[skip] == '#')
		return false;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

void
html_link(struct html *h, const char *url, const char *title)
{
	const char *label = title != NULL && *title != '\0' ? title : url;

	if (!html_url_safe(url)) {
		html_raw(h, "<span class=\"nolink\">");
		html_str(h, label);
		if (label != url) {
			html_raw(h, " (");
			html_str(h, url);
			html_raw(h, ")");
		}
		html_raw(h, "</span>");
		return;
	}
	html_raw(h, "<a rel=\"nofollow noopener noreferrer\" href=\"");
	html_text(h, url, strlen(url), true);
	html_raw(h, "\">");
	html_str(h, label);
	html_raw(h, "</a>");
}

bool
html_failed(const struct html *h)
{
	return h->failed;
}

char *
html_take(struct html *h, size_t *len)
{
	char *b = h->buf;

	if (h->failed || b == NULL) {
		html_free(h);
		return NULL;
	}
	*len = h->len;
	h->buf = NULL;
	h->len = h->cap = 0;
	return b;
}

void
html_free(struct html *h)
{
	free(h->buf);
	h->buf = NULL;
	h->len = h->cap = 0;
}
