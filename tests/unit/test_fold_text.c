/* fold_text: the normalised text the tokenizer splits, and its map back to
 * the original bytes (snippets highlight through it). Covers the shortcuts
 * (runs of ASCII, letters NFKC_Casefold leaves alone copied as they are)
 * and the characters that must still go through ICU around them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "store/tokenizer_fold.h"

static void
expect_fold(const char *in, const char *want)
{
	struct fold_text ft = { 0 };

	assert_int_equal(fold_text(&ft, in, (int)strlen(in)), 0);
	if (ft.len != (int)strlen(want) || memcmp(ft.out, want, strlen(want)) != 0)
		fail_msg("fold_text(\"%s\") = \"%.*s\", want \"%s\"", in, ft.len, ft.out, want);
	assert_int_equal(ft.map[ft.len], (int)strlen(in));
	for (int k = 1; k < ft.len; k++)
		assert_true(ft.map[k] >= ft.map[k - 1]);
	fold_text_free(&ft);
}

static void
test_folds(void **state)
{
	(void)state;
	expect_fold("Hello, World.", "hello, world.");
	expect_fold("Közösség", "közösség");
	expect_fold("ПАРТНЁРСТВЕ партнёрстве", "партнёрстве партнёрстве");
	expect_fold("e\xcc\x81t\xc3\xa9", "\xc3\xa9t\xc3\xa9");          /* NFD é, NFC é */
	expect_fold("\xef\xac\x81x", "fix");                                /* ﬁ ligature */
	/* Romanian cedilla letters become the comma ones. */
	expect_fold("\xc5\x9e" "coal\xc4\x83 \xc5\xa3" "ar\xc4\x83",
	    "\xc8\x99" "coal\xc4\x83 \xc8\x9b" "ar\xc4\x83");
	expect_fold("Col\xc2\xb7lectiu col.lectiu Co\xc5\x80lectiu", "collectiu collectiu collectiu");
	expect_fold("fil. la", "fil. la");
	expect_fold("a\xff" "b", "a b");
	expect_fold("Stra\xc3\x9f" "e", "strasse");
	expect_fold("\xd0\xb8\xcc\x86", "\xd0\xb9");                        /* и + breve: й */
	expect_fold("\xc3\xa9", "\xc3\xa9");
	expect_fold("\xc3\x89" "a", "\xc3\xa9" "a");
	expect_fold("a\xc3\xa9", "a\xc3\xa9");
	expect_fold("\xd1\x8f", "\xd1\x8f");
	expect_fold("", "");
}

/* Every byte of the output maps to the start of the character (or of the
 * normalisation segment) it came from. */
static void
test_map(void **state)
{
	static const int want[] = { 0, 1, 1, 3, 4, 4, 6, 7, 8, 8, 10, 11 };
	static const int want_nfd[] = { 0, 0, 3, 4, 4, 6 };
	struct fold_text ft = { 0 };

	(void)state;
	assert_int_equal(fold_text(&ft, "Közösség", (int)strlen("Közösség")), 0);
	assert_int_equal(ft.len, 11);
	for (int k = 0; k <= ft.len; k++)
		assert_int_equal(ft.map[k], want[k]);
	/* e + combining acute (3 bytes) composes into one 2-byte é at 0. */
	assert_int_equal(fold_text(&ft, "e\xcc\x81t\xc3\xa9", 6), 0);
	assert_int_equal(ft.len, 5);
	for (int k = 0; k <= ft.len; k++)
		assert_int_equal(ft.map[k], want_nfd[k]);
	fold_text_free(&ft);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folds),
		cmocka_unit_test(test_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
