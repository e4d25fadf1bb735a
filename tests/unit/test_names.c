/* Community names compared as a reader sees them: NFKC, case folding,
 * invisible characters removed, TS #39 confusable skeletons (core/names.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/names.h"

/* Asserts that a and b have the same key (same true) or different keys. */
static void
expect(const char *a, const char *b, int same)
{
	char *ka = names_key(a), *kb = names_key(b);

	assert_non_null(ka);
	assert_non_null(kb);
	if (same ? strcmp(ka, kb) != 0 : strcmp(ka, kb) == 0)
		fail_msg("'%s' (key '%s') and '%s' (key '%s') should %s", a, ka, b, kb,
		    same ? "match" : "differ");
	free(ka);
	free(kb);
}

static void
test_lookalikes(void **state)
{
	(void)state;
	expect("\xc3\x89vora", "E\xcc\x81vora", 1);           /* NFC, NFD */
	expect("\xc3\x89vora", "\xc3\x89VORA", 1);            /* case */
	expect("\xc3\x89vora", "\xc3\x89v\xe2\x80\x8bora", 1);  /* zero-width space */
	expect("\xc3\x89vora", "\xc3\x89vor\xd0\xb0", 1);       /* Cyrillic a */
	expect("\xc3\x89vora", "\xe2\x80\xae\xc3\x89vora", 1);  /* bidi override */
	expect("\xc3\x89vora", "\xc3\x89vora\xc2\xad", 1);      /* soft hyphen */
	expect("\xc3\x89vora", "\xef\xbc\xa5\xcc\x81vora", 1);  /* fullwidth E */
	expect("Nagy  kov\xc3\xa1" "csi ", "nagy kov\xc3\xa1" "csi", 1);   /* spaces */
	expect("paypal", "p\xd0\xb0yp\xd0\xb0l", 1);
	expect("rn", "m", 1);                                  /* TS #39: "rn" looks like "m" */
	/* What a reader can tell apart stays apart. */
	expect("\xc3\x89vora", "Evora", 0);
	expect("Wales", "Whales", 0);
	expect("Nagy kov\xc3\xa1" "csi", "Nagykov\xc3\xa1" "csi", 0);
}

static void
test_key_edges(void **state)
{
	char *k;

	(void)state;
	assert_null(names_key("bad \xff utf8"));
	assert_null(names_key(NULL));
	k = names_key("\xe2\x80\x8b\xe2\x80\x8d");       /* nothing visible */
	assert_non_null(k);
	assert_string_equal(k, "");
	free(k);
}

static void
test_alike_groups(void **state)
{
	char *keys[] = { "a", "b", NULL, "a", "", "b", "a", "c" };
	size_t alike[8];

	(void)state;
	assert_int_equal(names_alike(keys, 8, alike), 0);
	/* Group "a" = {0, 3, 6}: each points to another member. */
	assert_int_equal(alike[0], 3);
	assert_int_equal(alike[3], 0);
	assert_int_equal(alike[6], 0);
	assert_int_equal(alike[1], 5);
	assert_int_equal(alike[5], 1);
	/* No name, an empty key, a key of its own: no look-alike. */
	assert_int_equal(alike[2], NAMES_NONE);
	assert_int_equal(alike[4], NAMES_NONE);
	assert_int_equal(alike[7], NAMES_NONE);
	assert_int_equal(names_alike(keys, 0, alike), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookalikes),
		cmocka_unit_test(test_key_edges),
		cmocka_unit_test(test_alike_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
