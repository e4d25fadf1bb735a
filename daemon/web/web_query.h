/* The web view's request parsing: the raw request target (path and query
 * string, as the browser sent it) and the Accept-Language header. Pure:
 * no I/O, no allocation; hostile input gets an error, never a crash
 * (fuzz/fuzz_webquery.c). */
#ifndef WEB_QUERY_H
#define WEB_QUERY_H

#include <stddef.h>

/* Longest request target accepted (larger: 414). */
#define WEB_MAX_URI 2048
/* Most parameters in one query string (more: 400). */
#define WEB_MAX_PARAMS 16
/* Longest parameter name; longer names are refused (400). */
#define WEB_MAX_KEY 15

struct web_param {
	char key[WEB_MAX_KEY + 1];
	const char *value;             /* decoded, NUL-terminated, in web_query.buf */
};

struct web_query {
	const char *path;              /* decoded, in buf, always starts with '/' */
	struct web_param p[WEB_MAX_PARAMS];
	size_t n;
	char buf[WEB_MAX_URI + 1];
};

/* Parses target (len bytes, "/path?a=b&c=d"; '+' is a space, %XX a byte,
 * a '#' fragment is dropped). Every decoded part must be UTF-8 without NUL
 * or other C0 controls. Returns 0, -E2BIG (longer than WEB_MAX_URI) or
 * -EINVAL with *why set (a static string) on anything else malformed. A
 * repeated parameter keeps its first value. */
int web_query_parse(const char *target, size_t len, struct web_query *q, const char **why);
/* The value of key, or NULL when absent. An empty value is "". */
const char *web_query_get(const struct web_query *q, const char *key);

/* Picks from have[0..n) (lowercase primary tags such as "pt") the language
 * the Accept-Language header value prefers: highest q, then first listed;
 * "pt-BR" matches "pt"; q=0 means not wanted. Returns the index, or -1 when
 * none fits (header NULL, malformed or nothing in common). */
int web_lang_pick(const char *header, const char *const *have, size_t n);

#endif
