/* Terminal-safe text and the character rules of records (see textsafe.h). */
#include "core/textsafe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum textsafe_class
textsafe_class(uint32_t cp)
{
	if (cp == '\t' || cp == '\n')
		return TS_SPACE;
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0xfff9 && cp <= 0xfffb))
		return TS_CONTROL;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return TS_BIDI;
	if (cp == 0x00ad || cp == 0x034f || cp == 0x180e || (cp >= 0x200b && cp <= 0x200d) ||
	    (cp >= 0x2060 && cp <= 0x2064) || cp == 0xfeff)
		return TS_INVISIBLE;
	return TS_PLAIN;
}

size_t
textsafe_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	*cp = s[0];
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	c = s[0] & (0x7f >> n);   /* the lead byte's payload bits */
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || (c >= 0xd800 && c <= 0xdfff) ||
	    c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

size_t
textsafe_escape_cp(uint32_t cp, bool lines, char out[TEXTSAFE_ESC_MAX])
{
	enum textsafe_class k = textsafe_class(cp);

	out[0] = '\0';
	if (k == TS_PLAIN || (k == TS_SPACE && lines))
		return 0;
	return (size_t)snprintf(out, TEXTSAFE_ESC_MAX, cp < 0x80 ? "\\x%02x" : "\\u%04x",
	    (unsigned)cp);
}

char *
textsafe_escape(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	/* At most 6 bytes of escape for every input byte ("\u202e" for 3). */
	char *out = malloc(len * 6 + 1), esc[TEXTSAFE_ESC_MAX];
	size_t o = 0, n, e;
	uint32_t cp;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += n) {
		n = textsafe_decode(s + i, len - i, &cp);
		if (n == 0) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", s[i]);
			n = 1;
		} else if ((e = textsafe_escape_cp(cp, false, esc)) > 0) {
			memcpy(out + o, esc, e);
			o += e;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
		}
	}
	out[o] = '\0';
	return out;
}

int
textsafe_check(const char *str, size_t len, bool long_text)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;
	uint32_t cp;

	for (size_t i = 0; i < len; i += n) {
		/* Printable ASCII first: most of any text, checked a byte at a
		 * time without decoding (record bodies are checked on every
		 * receipt, on the verification thread). */
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			n = 1;
			continue;
		}
		if ((n = textsafe_decode(s + i, len - i, &cp)) == 0)
			return -1;
		switch (textsafe_class(cp)) {
		case TS_SPACE:
			if (!long_text)
				return -1;
			break;
		case TS_CONTROL:    /* NUL included */
			return -1;
		case TS_BIDI:
			/* Embeddings, overrides and isolates reorder what follows
			 * them; the marks only steer neutral characters. */
			if (!long_text && cp != 0x061c && cp != 0x200e && cp != 0x200f)
				return -1;
			break;
		default:
			break;
		}
	}
	return 0;
}
