/* Text from records, peers and the daemon made safe for a terminal and a log,
 * and the character rules record validation applies to it.
 *
 * Any signed record travels the whole graph, so its strings are written by
 * strangers: a C0 or C1 control starts a terminal escape (OSC 52 writes the
 * clipboard, CSI clears the screen), a bidi override or isolate reorders
 * what follows, a zero-width character hides a difference between two
 * names. Those code points are shown escaped ("\x1b", "\u202e"); bytes that
 * are not UTF-8 are shown as "\xff". Pure, no allocation but textsafe_escape. */
#ifndef TEXTSAFE_H
#define TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum textsafe_class {
	TS_PLAIN,       /* shown as is */
	TS_SPACE,       /* tab, newline: fine in long texts only */
	TS_CONTROL,     /* other C0, DEL, C1, line and paragraph separators */
	TS_BIDI,        /* bidi embeddings, overrides, isolates and marks */
	TS_INVISIBLE,   /* zero-width characters, soft hyphen, BOM */
};

/* The longest escaped form of one code point or byte, with its NUL. */
#define TEXTSAFE_ESC_MAX 12

enum textsafe_class textsafe_class(uint32_t cp);
/* Decodes the strict UTF-8 sequence at s (len > 0 bytes left): its length,
 * or 0 when s does not start a valid sequence (*cp is then the byte). */
size_t textsafe_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* The escaped form of cp when it must not reach a terminal raw ("\x1b",
 * "\u202e"; lines says whether tab and newline may), else "" (length 0). */
size_t textsafe_escape_cp(uint32_t cp, bool lines, char out[TEXTSAFE_ESC_MAX]);
/* A malloc'd copy of s (len bytes) with every unsafe code point, tab and
 * newline escaped and every invalid byte as "\xNN"; NULL without memory. */
char *textsafe_escape(const char *s, size_t len);

/* Record validation, on a field's real bytes: 0 if s (len bytes) is strict
 * UTF-8 without NUL or any control character. A short field (a title, tag,
 * name, language tag, link) refuses tab, newline, line separators and
 * bidi embeddings, overrides and isolates too; a long text (summary, body)
 * keeps tab and newline. */
int textsafe_check(const char *s, size_t len, bool long_text);

#endif
