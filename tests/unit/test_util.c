/* Helpers: hex encoding, hex prefixes, strict UTF-8, formatted strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static void
test_hex_round_trip(void **state)
{
	uint8_t in[256], out[256];
	char hex[2 * sizeof(in) + 1];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hex_encode(in, sizeof(in), hex);
	assert_int_equal(strlen(hex), 2 * sizeof(in));
	assert_memory_equal(hex, "000102030405060708090a0b0c0d0e0f10", 34);
	assert_string_equal(hex + 2 * 250, "fafbfcfdfeff");
	memset(out, 0, sizeof(out));
	assert_int_equal(hex_decode(hex, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));

	/* Empty input encodes to an empty string. */
	hex_encode(in, 0, hex);
	assert_string_equal(hex, "");
	assert_int_equal(hex_decode("", out, 0), 0);
}

static void
test_hex_decode(void **state)
{
	uint8_t out[4];

	assert_int_equal(hex_decode("DeadBEEF", out, 4), 0);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	/* Exactly 2*len digits, nothing else. */
	assert_int_equal(hex_decode("deadbee", out, 4), -EINVAL);
	assert_int_equal(hex_decode("deadbeef00", out, 4), -EINVAL);
	assert_int_equal(hex_decode("deadbeeg", out, 4), -EINVAL);
	assert_int_equal(hex_decode("dead beef", out, 4), -EINVAL);
	assert_int_equal(hex_decode(" deadbee", out, 4), -EINVAL);
	assert_int_equal(hex_decode("0xdeadbe", out, 4), -EINVAL);
	assert_int_equal(hex_decode("", out, 4), -EINVAL);
}

static void
test_hex_is_prefix(void **state)
{
	assert_true(hex_is_prefix("a", 32));
	assert_true(hex_is_prefix("0123456789abcdefABCDEF", 32));
	assert_true(hex_is_prefix("0123456789abcdef0123456789abcdef", 32));
	assert_false(hex_is_prefix("0123456789abcdef0123456789abcdef0", 32));
	assert_false(hex_is_prefix("", 32));
	assert_false(hex_is_prefix("abg", 32));
	assert_false(hex_is_prefix("ab cd", 32));
	assert_false(hex_is_prefix("-1", 32));
	assert_false(hex_is_prefix("ab", 1));
	assert_true(hex_is_prefix("ab", 2));
}

static bool
valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void
test_utf8_valid_strings(void **state)
{
	static const char *ok[] = {
		"",
		"plain ASCII, with punctuation!",
		"Comunitatea de învățare a comunității", /* Romanian ș ț ă â î */
		"Științe și țară",
		"közösség, együttműködés, hűség, Győr",  /* Hungarian ő ű */
		"Обучающееся сообщество",                /* Cyrillic */
		"Comunitat d'aprenentatge · Història",   /* Catalan */
		"Ferramenta de perfil: inovação, ações", /* Portuguese */
		"Ελληνικά, עברית, العربية, 日本語, 한국어",
		"emoji \xf0\x9f\x98\x80 \xf0\x9f\x8c\x8d \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
		"\xc2\x80",                 /* U+0080, the first 2-byte code point */
		"\xdf\xbf",                 /* U+07FF */
		"\xe0\xa0\x80",             /* U+0800, the first 3-byte code point */
		"\xed\x9f\xbf",             /* U+D7FF, just below the surrogates */
		"\xee\x80\x80",             /* U+E000, just above them */
		"\xef\xbf\xbf",             /* U+FFFF */
		"\xf0\x90\x80\x80",         /* U+10000 */
		"\xf4\x8f\xbf\xbf",         /* U+10FFFF, the last code point */
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!valid(ok[i]))
			fail_msg("valid UTF-8 rejected: case %zu \"%s\"", i, ok[i]);
}

static void
test_utf8_invalid_strings(void **state)
{
	static const char *bad[] = {
		"\xc0\x80",                 /* overlong NUL */
		"\xc1\xbf",                 /* overlong U+007F */
		"\xe0\x80\x80",             /* overlong 3-byte */
		"\xe0\x9f\xbf",             /* overlong U+07FF */
		"\xf0\x80\x80\x80",         /* overlong 4-byte */
		"\xf0\x8f\xbf\xbf",         /* overlong U+FFFF */
		"\xed\xa0\x80",             /* U+D800, high surrogate */
		"\xed\xbf\xbf",             /* U+DFFF, low surrogate */
		"\xed\xa0\xbd\xed\xb8\x80", /* CESU-8 surrogate pair */
		"\xf4\x90\x80\x80",         /* U+110000 */
		"\xf5\x80\x80\x80",
		"\xf7\xbf\xbf\xbf",
		"\xf8\x88\x80\x80\x80",     /* 5-byte form */
		"\xfc\x84\x80\x80\x80\x80", /* 6-byte form */
		"\xfe",
		"\xff",
		"\x80",                     /* lone continuation bytes */
		"\xbf",
		"abc\x80",
		"\x80" "abc",
		"a\xbf\xbf" "b",
		"\xc3",                     /* truncated sequences */
		"\xc3 ",
		"\xe2\x82",
		"\xe2\x82 ",
		"\xf0\x9f\x98",
		"\xf0\x9f\x98 ",
		"\xf0\x9f",
		"\xf0",
		"ok \xc8",                  /* ș cut after its first byte */
		"\xc3\xa9\xc3",             /* é then a truncated é */
		"\xc3\xc3\xa9",             /* lead byte followed by a lead byte */
		"\xe2\x28\xa1",
		"\xf0\x28\x8c\x28",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid(bad[i]))
			fail_msg("invalid UTF-8 accepted: case %zu", i);
}

static void
test_utf8_length_bounds(void **state)
{
	const char *s = "ț";          /* 0xc8 0x9b */
	char buf[8];

	/* The length, not the NUL, ends the string. */
	assert_true(utf8_valid(s, 2));
	assert_false(utf8_valid(s, 1));
	assert_true(utf8_valid(s, 0));
	memcpy(buf, "\xf0\x9f\x98\x80", 4);
	assert_true(utf8_valid(buf, 4));
	for (size_t n = 1; n < 4; n++)
		assert_false(utf8_valid(buf, n));
	/* Every 2-byte lead byte below C2 is an overlong form. */
	for (unsigned c = 0x80; c < 0xc2; c++) {
		buf[0] = (char)c;
		buf[1] = (char)0x80;
		assert_false(utf8_valid(buf, 2));
	}
	for (unsigned c = 0xc2; c < 0xe0; c++) {
		buf[0] = (char)c;
		buf[1] = (char)0x80;
		assert_true(utf8_valid(buf, 2));
	}
}

static void
test_utf8_every_code_point(void **state)
{
	/* Encode every scalar value by hand and check that exactly those pass. */
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		unsigned char b[4];
		size_t n;
		bool want = cp < 0xd800 || cp > 0xdfff;

		if (cp < 0x80) {
			b[0] = (unsigned char)cp;
			n = 1;
		} else if (cp < 0x800) {
			b[0] = (unsigned char)(0xc0 | cp >> 6);
			b[1] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			b[0] = (unsigned char)(0xe0 | cp >> 12);
			b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			b[2] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			b[0] = (unsigned char)(0xf0 | cp >> 18);
			b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
			b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			b[3] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (utf8_valid((const char *)b, n) != want)
			fail_msg("U+%04X: expected %s", cp, want ? "valid" : "invalid");
	}
}

/* Unicode's table 3-7 of well-formed byte sequences, as an independent
 * reference: the length of the sequence at s, or 0 if ill-formed. */
static size_t
wellformed(const unsigned char *s, size_t len)
{
	static const struct {
		unsigned char lo[4], hi[4];
		size_t n;
	} rows[] = {
		{ { 0x00 }, { 0x7f }, 1 },
		{ { 0xc2, 0x80 }, { 0xdf, 0xbf }, 2 },
		{ { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf }, 3 },
		{ { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf }, 3 },
		{ { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf }, 3 },
		{ { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf }, 3 },
		{ { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf }, 4 },
		{ { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf }, 4 },
		{ { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf }, 4 },
	};

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		size_t k;

		if (len < rows[r].n)
			continue;
		for (k = 0; k < rows[r].n; k++)
			if (s[k] < rows[r].lo[k] || s[k] > rows[r].hi[k])
				break;
		if (k == rows[r].n)
			return k;
	}
	return 0;
}

static bool
reference_valid(const unsigned char *s, size_t len)
{
	while (len > 0) {
		size_t n = wellformed(s, len);

		if (n == 0)
			return false;
		s += n;
		len -= n;
	}
	return true;
}

static void
test_utf8_against_reference(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0x01, 0x3f, 0x7f, 0x80, 0x81, 0x8f, 0x90,
		0x9f, 0xa0, 0xa1, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee,
		0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff };
	const size_t nb = sizeof(bytes);
	unsigned char s[4];
	size_t checked = 0;

	/* Every 1- and 2-byte string. */
	for (unsigned a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		assert_true(utf8_valid((const char *)s, 1) == reference_valid(s, 1));
		for (unsigned b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			if (utf8_valid((const char *)s, 2) != reference_valid(s, 2))
				fail_msg("%02x %02x", a, b);
			checked++;
		}
	}
	/* 3- and 4-byte strings over the bytes where the rules change. */
	for (size_t a = 0; a < nb; a++)
		for (size_t b = 0; b < nb; b++)
			for (size_t c = 0; c < nb; c++) {
				s[0] = bytes[a];
				s[1] = bytes[b];
				s[2] = bytes[c];
				if (utf8_valid((const char *)s, 3) != reference_valid(s, 3))
					fail_msg("%02x %02x %02x", s[0], s[1], s[2]);
				for (size_t d = 0; d < nb; d++) {
					s[3] = bytes[d];
					if (utf8_valid((const char *)s, 4) != reference_valid(s, 4))
						fail_msg("%02x %02x %02x %02x", s[0], s[1], s[2],
						    s[3]);
					checked++;
				}
			}
	assert_true(checked > 65536);
}

static void
test_strfmt_and_cause(void **state)
{
	char *s = strfmt("%s-%d-%s", "a", 42, "ő");
	char *cause = NULL;

	assert_non_null(s);
	assert_string_equal(s, "a-42-ő");
	free(s);
	assert_int_equal(set_cause(&cause, -EINVAL, "bad %s", "thing"), -EINVAL);
	assert_string_equal(cause, "bad thing");
	/* A second cause replaces (and frees) the first. */
	assert_int_equal(set_cause(&cause, -ENOENT, "gone"), -ENOENT);
	assert_string_equal(cause, "gone");
	free(cause);
	assert_int_equal(set_cause(NULL, -EIO, "ignored"), -EIO);
}

static void
test_xzfree_and_clocks(void **state)
{
	uint8_t *p = malloc(32);
	int64_t t = now_ms();
	uint64_t m1 = mono_ms(), m2;

	assert_non_null(p);
	memset(p, 0xaa, 32);
	xzfree(p, 32);
	xzfree(NULL, 32);
	assert_true(t > 1600000000000LL);     /* after September 2020 */
	m2 = mono_ms();
	assert_true(m2 >= m1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_hex_is_prefix),
		cmocka_unit_test(test_utf8_valid_strings),
		cmocka_unit_test(test_utf8_invalid_strings),
		cmocka_unit_test(test_utf8_length_bounds),
		cmocka_unit_test(test_utf8_every_code_point),
		cmocka_unit_test(test_utf8_against_reference),
		cmocka_unit_test(test_strfmt_and_cause),
		cmocka_unit_test(test_xzfree_and_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
