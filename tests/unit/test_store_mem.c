/* The store's memory at rest (store_release_memory, used by node_idle.c):
 * after indexing records the release frees SQLite's page cache and the
 * tokenizer's word cache, a second release has nothing more of the word
 * cache to free, and afterwards reads, searches and indexing (which builds
 * the word cache again) work as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "store/search.h"
#include "store/store.h"
#include "storefix.h"

#define RECORDS 200
/* The word cache alone is 16,384 slots of over 100 bytes. */
#define WORD_CACHE_MIN (1024 * 1024)

static size_t
hits_for(struct store *st, const char *q)
{
	struct search_filter f = { .limit = 2 * RECORDS };
	struct search_hit *hits = NULL;
	size_t n = 0;

	assert_int_equal(search_query(st, q, &f, &hits, &n, NULL), 0);
	search_hits_free(hits, n);
	return n;
}

static void
test_release_and_refill(void **state)
{
	struct storefix *fx = *state;
	uint8_t id[TESS_ID_LEN];
	uint64_t used, freed, again;
	char title[96];

	store_set_local(fx->st, fx->a->pub);   /* a's records are not capped in results */
	assert_int_equal(store_begin(fx->st), 0);
	for (int i = 0; i < RECORDS; i++) {
		snprintf(title, sizeof(title), "Gardening workshop number %d in the valley", i);
		assert_int_equal(storefix_put_new(fx->st, fx->a, title, 1, id), STORE_STORED);
	}
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(hits_for(fx->st, "valley"), RECORDS);

	used = store_memory_used();
	assert_true(used > 0);
	freed = store_release_memory(fx->st);
	assert_true(freed >= WORD_CACHE_MIN);
	assert_true(store_memory_used() < used);
	/* Nothing indexed since: the word cache is gone already. */
	again = store_release_memory(fx->st);
	assert_true(again < WORD_CACHE_MIN);

	/* Reads after the release go back to the file; indexing builds the
	 * word cache again. */
	assert_int_equal(hits_for(fx->st, "gardening"), RECORDS);
	assert_int_equal(storefix_put_new(fx->st, fx->b, "Beekeeping after the rest", 1, id),
	    STORE_STORED);
	assert_int_equal(hits_for(fx->st, "beekeeping"), 1);
	assert_true(store_release_memory(fx->st) >= WORD_CACHE_MIN);
	assert_int_equal(hits_for(fx->st, "beekeeping"), 1);
	assert_int_equal(hits_for(fx->st, "workshop"), RECORDS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_release_and_refill, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
