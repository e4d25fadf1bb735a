/* Small helpers: formatted strings, hex, UTF-8, time. */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* malloc'd formatted string, or NULL on allocation failure. */
char *strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stores strfmt(...) in *cause when cause is not NULL; returns rc. */
int set_cause(char **cause, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Lowercase hex; out must hold 2*len+1 bytes. */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly 2*len hex digits; returns 0 or -EINVAL. */
int hex_decode(const char *in, uint8_t *out, size_t len);
/* True if s is a non-empty string of hex digits no longer than max. */
bool hex_is_prefix(const char *s, size_t max);

/* Strict UTF-8: no overlongs, surrogates, or code points past U+10FFFF. */
bool utf8_valid(const char *s, size_t len);

int64_t now_ms(void);       /* wall clock, ms since the Unix epoch */
uint64_t mono_ms(void);     /* monotonic clock */

/* Wipes and frees key material. */
void xzfree(void *p, size_t len);

#endif
