/* Request target and Accept-Language parsing for the web view. */
#include "web/web_query.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes s[0..len) into out (at least len + 1 bytes): %XX, and '+' as a
 * space when plus is set. The result must be UTF-8 without controls. */
static int
decode(const char *s, size_t len, bool plus, char *out, const char **why)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3) {
				*why = "truncated %-escape";
				return -EINVAL;
			}
			if ((hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0) {
				*why = "invalid %-escape";
				return -EINVAL;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "control character";
			return -EINVAL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!utf8_valid(out, o)) {
		*why = "not UTF-8";
		return -EINVAL;
	}
	return 0;
}

/* One "key=value" (or "key") of the query, len > 0 bytes; *used bytes of
 * buf taken for its value. */
static int
add_param(struct web_query *q, const char *s, size_t len, char *buf, size_t *used,
    const char **why)
{
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;
	char key[3 * (WEB_MAX_KEY + 1)];
	struct web_param *p;
	int rc;

	if (klen == 0 || klen >= sizeof(key)) {
		*why = klen == 0 ? "empty parameter name" : "parameter name too long";
		return -EINVAL;
	}
	if ((rc = decode(s, klen, true, key, why)) != 0)
		return rc;
	if (strlen(key) > WEB_MAX_KEY) {
		*why = "parameter name too long";
		return -EINVAL;
	}
	if (web_query_get(q, key) != NULL)
		return 0;
	if (q->n == WEB_MAX_PARAMS) {
		*why = "too many parameters";
		return -EINVAL;
	}
	p = &q->p[q->n];
	if (eq != NULL) {
		size_t vlen = len - klen - 1;

		if ((rc = decode(eq + 1, vlen, true, buf, why)) != 0)
			return rc;
		*used = strlen(buf) + 1;
	} else {
		buf[0] = '\0';
		*used = 1;
	}
	memcpy(p->key, key, strlen(key) + 1);
	p->value = buf;
	q->n++;
	return 0;
}

int
web_query_parse(const char *target, size_t len, struct web_query *q, const char **why)
{
	const char *hash, *qm, *s, *end;
	size_t plen, off;
	int rc;

	memset(q, 0, sizeof(*q));
	*why = "ok";
	if (len > WEB_MAX_URI) {
		*why = "request target too long";
		return -E2BIG;
	}
	if ((hash = memchr(target, '#', len)) != NULL)
		len = (size_t)(hash - target);
	if (len == 0 || target[0] != '/') {
		*why = "request target must start with /";
		return -EINVAL;
	}
	qm = memchr(target, '?', len);
	plen = qm ? (size_t)(qm - target) : len;
	/* Decoded text is never longer than its source: buf holds it all. */
	if ((rc = decode(target, plen, false, q->buf, why)) != 0)
		return rc;
	q->path = q->buf;
	off = strlen(q->buf) + 1;
	if (qm == NULL)
		return 0;
	end = target + len;
	for (s = qm + 1; s < end; ) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		size_t n = amp ? (size_t)(amp - s) : (size_t)(end - s);
		size_t used = 0;

		if (n > 0 && (rc = add_param(q, s, n, q->buf + off, &used, why)) != 0)
			return rc;
		off += used;
		s += n + 1;
	}
	return 0;
}

const char *
web_query_get(const struct web_query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->p[i].key, key) == 0)
			return q->p[i].value;
	return NULL;
}

/* "q=0.5" (after the ';'): the weight in thousandths, or -1 if malformed. */
static int
weight(const char *s, size_t len)
{
	int w = 0, digits = 0;
	size_t i;

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	if (len < 3 || (s[0] != 'q' && s[0] != 'Q') || s[1] != '=')
		return -1;
	s += 2;
	len -= 2;
	if (s[0] != '0' && s[0] != '1')
		return -1;
	w = (s[0] - '0') * 1000;
	if (len == 1)
		return w;
	if (s[1] != '.')
		return -1;
	for (i = 2; i < len && i < 5 && isdigit((unsigned char)s[i]); i++, digits++)
		w += (s[i] - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i != len || w > 1000)
		return -1;
	return w;
}

int
web_lang_pick(const char *header, const char *const *have, size_t n)
{
	int best = -1, best_w = 0;
	const char *s;

	if (header == NULL || strlen(header) > WEB_MAX_URI)
		return -1;
	for (s = header; *s != '\0'; ) {
		size_t len = strcspn(s, ","), tlen, plen;
		const char *semi = memchr(s, ';', len), *tag = s;
		int w = 1000;

		if (semi != NULL && (w = weight(semi + 1, len - (size_t)(semi - s) - 1)) < 0)
			return -1;
		tlen = semi ? (size_t)(semi - s) : len;
		while (tlen > 0 && (*tag == ' ' || *tag == '\t'))
			tag++, tlen--;
		while (tlen > 0 && (tag[tlen - 1] == ' ' || tag[tlen - 1] == '\t'))
			tlen--;
		plen = strcspn(tag, "-_;, \t");
		if (plen > tlen)
			plen = tlen;
		for (size_t i = 0; i < n && w > best_w; i++)
			if (strlen(have[i]) == plen && strncasecmp(have[i], tag, plen) == 0) {
				best = (int)i;
				best_w = w;
			}
		s += len;
		if (*s == ',')
			s++;
	}
	return best;
}
