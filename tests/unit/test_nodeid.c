/* Node IDs: encoding, tolerant decoding, typo detection, prefixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nodeid.h"

#define KEYS 64

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void
random_key(uint8_t key[32])
{
	assert_int_equal(RAND_bytes(key, 32), 1);
}

/* The 56 characters of an ID without its dashes. */
static void
compact_of(const char *id, char out[NODEID_COMPACT + 1])
{
	size_t o = 0;

	for (const char *p = id; *p; p++)
		if (*p != '-')
			out[o++] = *p;
	assert_int_equal(o, NODEID_COMPACT);
	out[o] = '\0';
}

static void
test_round_trip(void **state)
{
	uint8_t key[32], back[32];
	char id[NODEID_STRLEN + 1], shortid[NODEID_SHORT + 1];
	const char *why;

	for (int k = 0; k < KEYS; k++) {
		random_key(key);
		memset(id, 'x', sizeof(id));
		nodeid_encode(key, id);
		assert_int_equal(strlen(id), NODEID_STRLEN);
		for (int i = 0; i < NODEID_STRLEN; i++) {
			if (i % 8 == 7)
				assert_int_equal(id[i], '-');
			else
				assert_non_null(strchr(alphabet, id[i]));
		}
		why = NULL;
		memset(back, 0, sizeof(back));
		assert_int_equal(nodeid_decode(id, back, &why), 0);
		assert_memory_equal(key, back, 32);
		nodeid_short(key, shortid);
		assert_int_equal(strlen(shortid), NODEID_SHORT);
		assert_memory_equal(shortid, id, NODEID_SHORT);
	}
	/* Edge keys. */
	memset(key, 0, 32);
	nodeid_encode(key, id);
	assert_int_equal(nodeid_decode(id, back, NULL), 0);
	assert_memory_equal(key, back, 32);
	memset(key, 0xff, 32);
	nodeid_encode(key, id);
	assert_int_equal(nodeid_decode(id, back, NULL), 0);
	assert_memory_equal(key, back, 32);
}

static void
test_decode_tolerant(void **state)
{
	uint8_t key[32], back[32];
	char id[NODEID_STRLEN + 1], compact[NODEID_COMPACT + 1], text[256];

	for (int k = 0; k < KEYS; k++) {
		random_key(key);
		nodeid_encode(key, id);
		compact_of(id, compact);

		/* Lower case. */
		for (size_t i = 0; i <= strlen(id); i++)
			text[i] = (char)tolower((unsigned char)id[i]);
		memset(back, 0, 32);
		assert_int_equal(nodeid_decode(text, back, NULL), 0);
		assert_memory_equal(key, back, 32);

		/* Without dashes. */
		memset(back, 0, 32);
		assert_int_equal(nodeid_decode(compact, back, NULL), 0);
		assert_memory_equal(key, back, 32);

		/* Spaces instead of dashes, and stray spaces around. */
		snprintf(text, sizeof(text), "  %s ", id);
		for (char *p = text; *p; p++)
			if (*p == '-')
				*p = ' ';
		memset(back, 0, 32);
		assert_int_equal(nodeid_decode(text, back, NULL), 0);
		assert_memory_equal(key, back, 32);

		/* Mixed case, mixed separators, groups of four. */
		size_t o = 0;

		for (size_t i = 0; i < NODEID_COMPACT; i++) {
			if (i > 0 && i % 4 == 0)
				text[o++] = i % 8 == 0 ? ' ' : '-';
			text[o++] = i % 2 ? (char)tolower((unsigned char)compact[i]) : compact[i];
		}
		text[o] = '\0';
		memset(back, 0, 32);
		assert_int_equal(nodeid_decode(text, back, NULL), 0);
		assert_memory_equal(key, back, 32);

		/* 0, 1 and 8 typed for O, I and B. */
		strcpy(text, id);
		for (char *p = text; *p; p++) {
			if (*p == 'O')
				*p = '0';
			else if (*p == 'I')
				*p = '1';
			else if (*p == 'B')
				*p = '8';
		}
		memset(back, 0, 32);
		assert_int_equal(nodeid_decode(text, back, NULL), 0);
		assert_memory_equal(key, back, 32);
	}
}

/* Finds a key whose ID contains each of O, I and B, to exercise look-alikes. */
static void
test_decode_lookalikes(void **state)
{
	uint8_t key[32], back[32];
	char id[NODEID_STRLEN + 1], text[NODEID_STRLEN + 1];
	int found = 0;

	for (int tries = 0; tries < 10000 && !found; tries++) {
		random_key(key);
		nodeid_encode(key, id);
		found = strchr(id, 'O') && strchr(id, 'I') && strchr(id, 'B');
	}
	assert_true(found);
	strcpy(text, id);
	*strchr(text, 'O') = '0';
	*strchr(text, 'I') = '1';
	*strchr(text, 'B') = '8';
	assert_int_equal(nodeid_decode(text, back, NULL), 0);
	assert_memory_equal(key, back, 32);
	/* Lower-case o, i, b are the letters too. */
	for (char *p = text; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	assert_int_equal(nodeid_decode(text, back, NULL), 0);
	assert_memory_equal(key, back, 32);
}

static void
test_every_substitution_detected(void **state)
{
	uint8_t key[32], back[32];
	char id[NODEID_STRLEN + 1], compact[NODEID_COMPACT + 1], text[NODEID_COMPACT + 1];
	size_t tried = 0;

	for (int k = 0; k < 8; k++) {
		random_key(key);
		nodeid_encode(key, id);
		compact_of(id, compact);
		for (size_t pos = 0; pos < NODEID_COMPACT; pos++) {
			for (size_t a = 0; a < 32; a++) {
				const char *why = NULL;

				if (alphabet[a] == compact[pos])
					continue;
				strcpy(text, compact);
				text[pos] = alphabet[a];
				tried++;
				if (nodeid_decode(text, back, &why) == 0)
					fail_msg("key %d: %c -> %c at %zu not detected (%s)", k,
					    compact[pos], alphabet[a], pos, text);
				assert_non_null(why);
				assert_true(strlen(why) > 0);
			}
		}
		/* The dashed spelling too, for the first key. */
		if (k == 0) {
			for (size_t pos = 0; pos < NODEID_STRLEN; pos++) {
				char dashed[NODEID_STRLEN + 1];

				if (id[pos] == '-')
					continue;
				for (size_t a = 0; a < 32; a++) {
					if (alphabet[a] == id[pos])
						continue;
					strcpy(dashed, id);
					dashed[pos] = alphabet[a];
					assert_int_equal(nodeid_decode(dashed, back, NULL), -EINVAL);
				}
			}
		}
	}
	assert_int_equal(tried, 8 * NODEID_COMPACT * 31);
}

static void
test_transpositions_detected(void **state)
{
	uint8_t key[32], back[32];
	char id[NODEID_STRLEN + 1], compact[NODEID_COMPACT + 1], text[NODEID_COMPACT + 1];
	size_t swaps = 0, detected = 0;

	for (int k = 0; k < 256; k++) {
		random_key(key);
		nodeid_encode(key, id);
		compact_of(id, compact);
		for (size_t pos = 0; pos + 1 < NODEID_COMPACT; pos++) {
			if (compact[pos] == compact[pos + 1])
				continue;       /* swapping equal characters changes nothing */
			strcpy(text, compact);
			text[pos] = compact[pos + 1];
			text[pos + 1] = compact[pos];
			swaps++;
			if (nodeid_decode(text, back, NULL) != 0) {
				detected++;
				continue;
			}
			assert_memory_not_equal(key, back, 32);
			/* Luhn mod N's one blind spot: the first and last symbols
			 * (values 0 and N-1) double to the same sum when swapped. */
			if (!((compact[pos] == 'A' && compact[pos + 1] == '7') ||
			    (compact[pos] == '7' && compact[pos + 1] == 'A')))
				fail_msg("swap of %c%c at %zu not detected", compact[pos],
				    compact[pos + 1], pos);
		}
	}
	print_message("transpositions detected: %zu of %zu (%.2f%%)\n", detected, swaps,
	    100.0 * (double)detected / (double)swaps);
	assert_true(swaps > 10000);
	assert_true(detected * 100 >= swaps * 95);
}

static void
test_wrong_length_rejected(void **state)
{
	uint8_t key[32], back[32];
	char id[NODEID_STRLEN + 1], compact[NODEID_COMPACT + 1], text[NODEID_COMPACT + 8];
	const char *why;

	random_key(key);
	nodeid_encode(key, id);
	compact_of(id, compact);
	for (size_t len = 0; len < NODEID_COMPACT; len++) {
		memcpy(text, compact, len);
		text[len] = '\0';
		why = NULL;
		assert_int_equal(nodeid_decode(text, back, &why), -EINVAL);
		assert_non_null(why);
		assert_true(strlen(why) > 0);
	}
	/* Too long: one more valid character, or a whole extra group. */
	snprintf(text, sizeof(text), "%sA", compact);
	why = NULL;
	assert_int_equal(nodeid_decode(text, back, &why), -EINVAL);
	assert_non_null(why);
	char longer[NODEID_STRLEN + 16];

	snprintf(longer, sizeof(longer), "%s-ABCDEFG", id);
	why = NULL;
	assert_int_equal(nodeid_decode(longer, back, &why), -EINVAL);
	assert_non_null(why);
	/* Only separators. */
	why = NULL;
	assert_int_equal(nodeid_decode(" - - ", back, &why), -EINVAL);
	assert_non_null(why);
}

static void
test_invalid_characters_rejected(void **state)
{
	uint8_t key[32], back[32];
	char id[NODEID_STRLEN + 1], text[NODEID_STRLEN + 1];
	const char *bad = "9!@#$%^&*()_+=.,;:/\\?<>'\"`~|{}[]\t\n";
	const char *why;

	random_key(key);
	nodeid_encode(key, id);
	for (const char *c = bad; *c; c++) {
		strcpy(text, id);
		text[3] = *c;
		why = NULL;
		assert_int_equal(nodeid_decode(text, back, &why), -EINVAL);
		assert_non_null(why);
	}
	/* Non-ASCII look-alikes (Cyrillic А, Greek Ο) are not letters of the alphabet. */
	assert_int_equal(nodeid_decode("\xd0\x90" "BCDEFG", back, NULL), -EINVAL);
	assert_int_equal(nodeid_decode("\xce\x9f", back, NULL), -EINVAL);
}

static void
test_spare_bits_rejected(void **state)
{
	uint8_t key[32], back[32];
	char id[NODEID_STRLEN + 1], compact[NODEID_COMPACT + 1];
	size_t rejected = 0, tried = 0;

	/* The last data character carries 1 key bit and 4 zero bits. Re-checksum
	 * a group whose spare bits are set: the decoder must refuse it. */
	random_key(key);
	nodeid_encode(key, id);
	compact_of(id, compact);
	for (int spare = 1; spare < 16; spare++) {
		char group[14];
		int factor = 2, sum = 0, v;

		memcpy(group, compact + 42, 13);
		v = (int)(strchr(alphabet, group[12]) - alphabet);
		group[12] = alphabet[(v & 16) | spare];
		for (size_t i = 13; i-- > 0;) {
			int addend = factor * (int)(strchr(alphabet, group[i]) - alphabet);

			factor = factor == 2 ? 1 : 2;
			sum += addend / 32 + addend % 32;
		}
		group[13] = alphabet[(32 - sum % 32) % 32];
		char text[NODEID_COMPACT + 1];

		memcpy(text, compact, NODEID_COMPACT + 1);
		memcpy(text + 42, group, 14);
		tried++;
		if (nodeid_decode(text, back, NULL) == -EINVAL)
			rejected++;
	}
	assert_int_equal(tried, 15);
	assert_int_equal(rejected, tried);
}

static void
test_normalize(void **state)
{
	uint8_t key[32];
	char id[NODEID_STRLEN + 1], compact[NODEID_COMPACT + 1], out[NODEID_COMPACT + 1];
	char big[128], wide[128];

	assert_int_equal(nodeid_normalize("mfzw", out, sizeof(out)), 4);
	assert_string_equal(out, "MFZW");
	assert_int_equal(nodeid_normalize("mfz-wi3 d", out, sizeof(out)), 7);
	assert_string_equal(out, "MFZWI3D");
	assert_int_equal(nodeid_normalize("0o1i8b", out, sizeof(out)), 6);
	assert_string_equal(out, "OOIIBB");
	assert_int_equal(nodeid_normalize("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(nodeid_normalize("---", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Characters outside the alphabet (after the look-alike mapping). */
	assert_int_equal(nodeid_normalize("AB9", out, sizeof(out)), -EINVAL);
	assert_int_equal(nodeid_normalize("AB_", out, sizeof(out)), -EINVAL);
	assert_int_equal(nodeid_normalize("Évora", out, sizeof(out)), -EINVAL);
	assert_int_equal(nodeid_normalize("Nagykovácsi", out, sizeof(out)), -EINVAL);
	/* A name made of base32 letters reads as a prefix (resolve tries names first). */
	assert_int_equal(nodeid_normalize("Catalunya", out, sizeof(out)), 9);
	assert_string_equal(out, "CATALUNYA");

	/* A full ID normalizes to its compact form; one more character is too much. */
	random_key(key);
	nodeid_encode(key, id);
	compact_of(id, compact);
	assert_int_equal(nodeid_normalize(id, out, sizeof(out)), NODEID_COMPACT);
	assert_string_equal(out, compact);
	snprintf(big, sizeof(big), "%sA", id);
	assert_int_equal(nodeid_normalize(big, wide, sizeof(wide)), -EINVAL);
	assert_int_equal(nodeid_normalize(id, wide, sizeof(wide)), NODEID_COMPACT);
	/* Every prefix of an ID normalizes to the prefix of its compact form. */
	for (size_t len = 1; len <= NODEID_STRLEN; len++) {
		char prefix[NODEID_STRLEN + 1];
		int n;

		memcpy(prefix, id, len);
		prefix[len] = '\0';
		n = nodeid_normalize(prefix, out, sizeof(out));
		assert_true(n >= 0);
		assert_int_equal((size_t)n, len - len / 8);
		assert_memory_equal(out, compact, (size_t)n);
		assert_int_equal(out[n], '\0');
	}
	/* The output buffer bounds the result. */
	assert_int_equal(nodeid_normalize("ABCD", out, 5), 4);
	assert_int_equal(nodeid_normalize("ABCDE", out, 5), -EINVAL);
	assert_int_equal(nodeid_normalize("ABCD", out, 4), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_tolerant),
		cmocka_unit_test(test_decode_lookalikes),
		cmocka_unit_test(test_every_substitution_detected),
		cmocka_unit_test(test_transpositions_detected),
		cmocka_unit_test(test_wrong_length_rejected),
		cmocka_unit_test(test_invalid_characters_rejected),
		cmocka_unit_test(test_spare_bits_rejected),
		cmocka_unit_test(test_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
