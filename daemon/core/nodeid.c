/* Node ID text form: base32 with Luhn mod 32 check characters. */
#include "core/nodeid.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static int
b32val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Luhn mod N over the group, doubling from the rightmost character. */
static char
luhn32(const char *s, size_t n)
{
	int factor = 2, sum = 0;

	for (size_t i = n; i-- > 0;) {
		int addend = factor * b32val(s[i]);

		factor = factor == 2 ? 1 : 2;
		sum += addend / 32 + addend % 32;
	}
	return alphabet[(32 - sum % 32) % 32];
}

void
nodeid_base32(const uint8_t *in, size_t len, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

void
nodeid_encode(const uint8_t key[32], char out[NODEID_STRLEN + 1])
{
	char b32[53], compact[NODEID_COMPACT];
	size_t o = 0;

	nodeid_base32(key, 32, b32);
	for (int g = 0; g < 4; g++) {
		memcpy(compact + g * 14, b32 + g * 13, 13);
		compact[g * 14 + 13] = luhn32(b32 + g * 13, 13);
	}
	for (int i = 0; i < NODEID_COMPACT; i++) {
		if (i > 0 && i % 7 == 0)
			out[o++] = '-';
		out[o++] = compact[i];
	}
	out[o] = '\0';
}

void
nodeid_short(const uint8_t key[32], char out[NODEID_SHORT + 1])
{
	char full[NODEID_STRLEN + 1];

	nodeid_encode(key, full);
	memcpy(out, full, NODEID_SHORT);
	out[NODEID_SHORT] = '\0';
}

int
nodeid_normalize(const char *text, char *out, size_t outsz)
{
	size_t o = 0;

	for (const char *p = text; *p; p++) {
		char c = (char)toupper((unsigned char)*p);

		if (c == '-' || c == ' ')
			continue;
		/* Characters that base32 lacks, read as the letters they resemble. */
		if (c == '0')
			c = 'O';
		else if (c == '1')
			c = 'I';
		else if (c == '8')
			c = 'B';
		if (b32val(c) < 0 || o + 1 >= outsz || o >= NODEID_COMPACT)
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return (int)o;
}

int
nodeid_decode(const char *text, uint8_t key[32], const char **why)
{
	char compact[NODEID_COMPACT + 1], b32[53];
	uint32_t acc = 0;
	int bits = 0, n;
	size_t o = 0;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	n = nodeid_normalize(text, compact, sizeof(compact));
	if (n < 0) {
		*why = "invalid character or too long";
		return -EINVAL;
	}
	if (n != NODEID_COMPACT) {
		*why = "a node ID has 56 characters (8 groups of 7)";
		return -EINVAL;
	}
	for (int g = 0; g < 4; g++) {
		if (luhn32(compact + g * 14, 13) != compact[g * 14 + 13]) {
			*why = "check character mismatch (typo?)";
			return -EINVAL;
		}
		memcpy(b32 + g * 13, compact + g * 14, 13);
	}
	for (int i = 0; i < 52; i++) {
		acc = acc << 5 | (uint32_t)b32val(b32[i]);
		bits += 5;
		if (bits >= 8) {
			if (o < 32)
				key[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* 52 * 5 = 260 bits: the 4 spare bits must be zero. */
	if ((acc & ((1u << bits) - 1)) != 0) {
		*why = "not a valid key encoding";
		return -EINVAL;
	}
	return 0;
}
