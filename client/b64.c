/* Base64 by hand: OpenSSL's EVP_DecodeBlock pads its output with zero bytes
 * and accepts stray whitespace, which would silently change signed bytes. */
#include "b64.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
b64_encode(const uint8_t *in, size_t len)
{
	char *out, *p;

	out = malloc((len + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	p = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t n = len - i;

		if (n > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		*p++ = alphabet[v >> 18 & 63];
		*p++ = alphabet[v >> 12 & 63];
		*p++ = n > 1 ? alphabet[v >> 6 & 63] : '=';
		*p++ = n > 2 ? alphabet[v & 63] : '=';
	}
	*p = '\0';
	return out;
}

static int
b64_value(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(alphabet, c);
	return p == NULL ? -1 : (int)(p - alphabet);
}

int
b64_decode(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s), pad = 0, full, tail;
	uint8_t *buf, *p;
	uint32_t v = 0;

	if (n % 4 == 0 && n > 0 && s[n - 1] == '=') {
		pad = s[n - 2] == '=' ? 2 : 1;
		n -= pad;
	}
	tail = n % 4;
	if (tail == 1)
		return -EINVAL;
	/* With padding, the unpadded length must leave exactly 4 - pad characters. */
	if (pad != 0 && tail != 4 - pad)
		return -EINVAL;
	full = n / 4;
	buf = malloc(full * 3 + (tail ? tail - 1 : 0) + 1);
	if (buf == NULL)
		return -ENOMEM;
	p = buf;
	for (size_t i = 0; i < n; i++) {
		int d = b64_value(s[i]);

		if (d < 0) {
			free(buf);
			return -EINVAL;
		}
		v = v << 6 | (uint32_t)d;
		if (i % 4 == 3) {
			*p++ = v >> 16;
			*p++ = v >> 8;
			*p++ = v;
			v = 0;
		}
	}
	/* Leftover bits must be zero, or two encodings would decode alike. */
	if (tail == 2) {
		if (v & 0xf)
			goto bad;
		*p++ = v >> 4;
	} else if (tail == 3) {
		if (v & 0x3)
			goto bad;
		*p++ = v >> 10;
		*p++ = v >> 2;
	}
	*out = buf;
	*len = (size_t)(p - buf);
	return 0;
bad:
	free(buf);
	return -EINVAL;
}
