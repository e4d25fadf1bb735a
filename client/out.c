/* Human output helpers. Text from the network may hold anything, so control
 * characters, bidi controls and invisible characters are shown escaped
 * (core/textsafe.h) and cells are cut on code point boundaries only. */
#include "out.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/tessera.h"
#include "core/textsafe.h"

/* One code point of s (len > 0 bytes left) as shown: its byte length in s,
 * and in esc its escaped form when it must not reach the terminal raw
 * (textsafe.h), or "" to show its bytes. lines keeps tab and newline. */
static size_t
next_cp(const unsigned char *s, size_t len, bool lines, char esc[TEXTSAFE_ESC_MAX])
{
	uint32_t cp;
	size_t n = textsafe_decode(s, len, &cp);

	if (n == 0) {
		snprintf(esc, TEXTSAFE_ESC_MAX, "\\x%02x", s[0]);
		return 1;
	}
	textsafe_escape_cp(cp, lines, esc);
	return n;
}

/* Columns one code point takes: its escape's length, else one. */
static size_t
cp_width(const char *esc)
{
	return esc[0] != '\0' ? strlen(esc) : 1;
}

/* Prints one code point (n bytes at s) as next_cp found it. */
static void
put_cp(FILE *f, const unsigned char *s, size_t n, const char *esc)
{
	if (esc[0] != '\0')
		fputs(esc, f);
	else
		fwrite(s, 1, n, f);
}

size_t
out_width(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), w = 0;
	char esc[TEXTSAFE_ESC_MAX];

	for (size_t i = 0, n; i < len; i += n) {
		n = next_cp(s + i, len - i, false, esc);
		w += cp_width(esc);
	}
	return w;
}

void
out_cell(FILE *f, const char *str, size_t width, int last)
{
	const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");
	size_t len = strlen((const char *)s), w = out_width((const char *)s), shown = 0, n;
	size_t limit = w > width ? (width > 0 ? width - 1 : 0) : w;
	char esc[TEXTSAFE_ESC_MAX];

	for (size_t i = 0; i < len; i += n) {
		n = next_cp(s + i, len - i, false, esc);
		if (shown + cp_width(esc) > limit)
			break;
		put_cp(f, s + i, n, esc);
		shown += cp_width(esc);
	}
	if (w > width && width > 0) {
		fputs("\u2026", f);
		shown++;
	}
	if (!last)
		for (; shown < width; shown++)
			fputc(' ', f);
}

void
out_plain(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");
	size_t len = strlen((const char *)s), n;
	char esc[TEXTSAFE_ESC_MAX];

	for (size_t i = 0; i < len; i += n) {
		n = next_cp(s + i, len - i, false, esc);
		put_cp(f, s + i, n, esc);
	}
}

/* Prints one line of text (no newline inside) wrapped at width columns. */
static void
wrap_line(FILE *f, const unsigned char *s, size_t len, const char *indent, size_t width)
{
	size_t col = 0, room = width > strlen(indent) + 20 ? width - strlen(indent) : 20;
	size_t i = 0;
	char esc[TEXTSAFE_ESC_MAX];

	fputs(indent, f);
	while (i < len) {
		size_t start, end, w = 0, n;

		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t') {
			i += next_cp(s + i, len - i, false, esc);
			w += cp_width(esc);
		}
		end = i;
		if (end == start)
			break;
		if (col > 0 && col + 1 + w > room) {
			fputc('\n', f);
			fputs(indent, f);
			col = 0;
		} else if (col > 0) {
			fputc(' ', f);
			col++;
		}
		for (size_t k = start; k < end; k += n) {
			n = next_cp(s + k, end - k, false, esc);
			put_cp(f, s + k, n, esc);
		}
		col += w;
	}
	fputc('\n', f);
}

void
out_block(FILE *f, const char *str, const char *indent, size_t width)
{
	const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");

	while (*s != '\0') {
		const unsigned char *nl = (const unsigned char *)strchr((const char *)s, '\n');
		size_t len = nl != NULL ? (size_t)(nl - s) : strlen((const char *)s);

		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len == 0)
			fputc('\n', f);
		else
			wrap_line(f, s, len, indent, width);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

void
out_date(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		strcpy(buf, "-");
}

void
out_size(uint64_t bytes, char buf[32])
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, 32, "%.1f %s", v, units[u]);
}

void
out_duration(int64_t ms, char buf[32])
{
	long long s = ms > 0 ? ms / 1000 : 0;

	if (s >= 86400)
		snprintf(buf, 32, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, 32, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, 32, "%lldm %llds", s / 60, s % 60);
	else
		snprintf(buf, 32, "%llds", s);
}

void
out_join(char **v, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 1 < size; i++) {
		int k = snprintf(buf + len, size - len, "%s%s", i > 0 ? "," : "", v[i]);

		if (k < 0 || (size_t)k >= size - len) {
			/* Cut: never leave half a UTF-8 sequence behind. */
			len = size - 1;
			while (len > 0 && ((unsigned char)buf[len] & 0xc0) == 0x80)
				len--;
			buf[len] = '\0';
			break;
		}
		len += (size_t)k;
	}
}

void
out_langs(const Tessera__Record *r, char *buf, size_t size)
{
	char *langs[TESS_MAX_TEXTS];
	size_t n = 0;

	for (size_t i = 0; i < r->n_texts && n < TESS_MAX_TEXTS; i++)
		langs[n++] = r->texts[i]->lang != NULL ? r->texts[i]->lang : "?";
	out_join(langs, n, buf, size);
}

const char *
out_title(const Tessera__Record *r, const char *lang)
{
	const Tessera__Text *t = r->n_texts > 0 ? r->texts[0] : NULL;

	for (size_t i = 0; lang != NULL && i < r->n_texts; i++) {
		if (r->texts[i]->lang != NULL && strcmp(r->texts[i]->lang, lang) == 0) {
			t = r->texts[i];
			break;
		}
	}
	if (t != NULL && t->title != NULL)
		return t->title;
	if (r->profile != NULL && r->profile->name != NULL)
		return r->profile->name;
	return "";
}
