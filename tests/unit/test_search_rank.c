/* Ranking by how a record matched: as typed, then folded, stemmed,
 * transliterated, typo; each hit says which; --exact keeps the first only;
 * the snippet highlights the matched word in the original text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "store/publish.h"
#include "store/search.h"
#include "store/store.h"
#include "storefix.h"

static uint64_t
add(struct store *st, const struct identity *me, const char *lang, const char *title)
{
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = lang,
		.title = title };
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;

	if (publish_add(st, me, &f, id, &cause) != 0)
		fail_msg("publish: %s", cause);
	return storefix_seq_of(st, id);
}

/* q finds the records want[] in this order, matched as match[]. */
static void
expect(struct store *st, const char *q, bool exact, const uint64_t *want,
    const enum search_match *match, size_t n)
{
	struct search_hit *hits;
	size_t got;
	char *cause = NULL;

	if (search_query(st, q, &(struct search_filter){ .exact = exact }, &hits, &got,
	    &cause) != 0)
		fail_msg("%s: %s", q, cause);
	if (got != n)
		fail_msg("'%s': %zu hits, want %zu", q, got, n);
	for (size_t i = 0; i < n; i++) {
		if (hits[i].seq != want[i] || hits[i].match != match[i])
			fail_msg("'%s' hit %zu: record %llu %s, want %llu %s", q, i,
			    (unsigned long long)hits[i].seq, search_match_name(hits[i].match),
			    (unsigned long long)want[i], search_match_name(match[i]));
		assert_non_null(strchr(hits[i].snippet, '['));
	}
	search_hits_free(hits, got);
}

static void
test_rank_by_form(void **state)
{
	struct storefix *fx = *state;
	struct store *st = fx->st;
	uint64_t plain, accented, plural, single, ru, learning;

	store_set_local(st, fx->a->pub);
	plain = add(st, fx->a, "hu", "A kozosseg oldala");
	accented = add(st, fx->a, "hu", "A közösség oldala");
	plural = add(st, fx->a, "en", "Community guides");
	single = add(st, fx->a, "en", "A guide to the garden");
	ru = add(st, fx->a, "ru", "О партнёрстве");
	learning = add(st, fx->a, "en", "Learning circles");
	expect(st, "közösség", false, (uint64_t[]){ accented, plain },
	    (enum search_match[]){ SEARCH_EXACT, SEARCH_FOLDED }, 2);
	expect(st, "kozosseg", false, (uint64_t[]){ plain, accented },
	    (enum search_match[]){ SEARCH_EXACT, SEARCH_FOLDED }, 2);
	expect(st, "közösség", true, (uint64_t[]){ accented },
	    (enum search_match[]){ SEARCH_EXACT }, 1);
	expect(st, "guides", false, (uint64_t[]){ plural, single },
	    (enum search_match[]){ SEARCH_EXACT, SEARCH_STEMMED }, 2);
	expect(st, "guides", true, (uint64_t[]){ plural },
	    (enum search_match[]){ SEARCH_EXACT }, 1);
	expect(st, "партнерстве", false, (uint64_t[]){ ru },
	    (enum search_match[]){ SEARCH_FOLDED }, 1);
	expect(st, "partnerstve", false, (uint64_t[]){ ru },
	    (enum search_match[]){ SEARCH_TRANSLIT }, 1);
	expect(st, "partnerstve", true, NULL, NULL, 0);
	expect(st, "lerning", false, (uint64_t[]){ learning },
	    (enum search_match[]){ SEARCH_TYPO }, 1);
	expect(st, "lerning", true, NULL, NULL, 0);
	/* The snippet highlights the word as written. */
	{
		struct search_hit *hits;
		size_t n;

		assert_int_equal(search_query(st, "partnerstve", &(struct search_filter){ 0 }, &hits,
		    &n, NULL), 0);
		assert_string_equal(hits[0].snippet, "О [партнёрстве]");
		search_hits_free(hits, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rank_by_form, storefix_setup, storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
