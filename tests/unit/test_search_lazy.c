/* Search indexing after the commit (store_index.c): a commit makes a record
 * held, its texts are indexed later in slices; a crash between resumes from
 * the mark, and texts replaced, deleted or purged before they were indexed
 * leave nothing in the index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "searchfix.h"
#include "storefix.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/publish.h"
#include "store/search.h"
#include "store/store.h"

static void
add(struct store *st, const struct identity *me, const char *title, uint8_t id[TESS_ID_LEN])
{
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = title };
	char *cause = NULL;

	if (publish_add(st, me, &f, id, &cause) != 0)
		fail_msg("publish_add: %s", cause);
}

/* A commit does not index; a search right after finds the record anyway. */
static void
test_search_sees_commit(void **state)
{
	struct storefix *fx = *state;

	add(fx->st, fx->a, "Quinoa terraces", NULL);
	add(fx->st, fx->a, "Amaranth seeds", NULL);
	assert_true(store_index_pending(fx->st));
	assert_int_equal(store_index_behind(fx->st), 2);
	assert_int_equal(searchfix_count(fx->st, "quinoa"), 1);
	assert_false(store_index_pending(fx->st));
	assert_int_equal(store_index_behind(fx->st), 0);
	searchfix_fts_ok(fx->st);
}

/* Slices move the mark; a store closed part way (a stop, or a crash in
 * the middle of a slice: its transaction never committed) indexes the
 * rest after reopening, each text once. */
static void
test_resume_after_crash(void **state)
{
	struct storefix *fx = *state;
	static const char *titles[] = { "Wool dyeing", "Cheese caves", "Rye bread",
		"Flax linen", "Beehive census" };

	for (size_t i = 0; i < 5; i++)
		add(fx->st, fx->a, titles[i], NULL);
	assert_int_equal(store_index_step(fx->st, 2), 0);
	assert_int_equal(store_index_behind(fx->st), 3);
	storefix_reopen(fx);
	assert_int_equal(store_index_behind(fx->st), 3);

	/* A slice whose transaction dies with the process. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_index_step(fx->st, 2), 0);
	assert_int_equal(store_index_behind(fx->st), 1);
	storefix_reopen(fx);   /* closing with the transaction open rolls it back */
	assert_int_equal(store_index_behind(fx->st), 3);

	/* A bounded catch-up leaves the rest waiting. */
	assert_int_equal(store_index_catch_up(fx->st, 1), 0);
	assert_int_equal(store_index_behind(fx->st), 2);
	searchfix_fts_ok(fx->st);   /* indexes the rest, checks nothing is twice */
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(searchfix_count(fx->st, titles[i]), 1);
}

/* New versions, tombstones and blocks of records not yet indexed leave no
 * row behind, and those of records indexed take theirs out. */
static void
test_replaced_before_indexed(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields edit = { .title = "Walnut orchard" };
	uint8_t early[TESS_ID_LEN], late[TESS_ID_LEN], gone[TESS_ID_LEN];
	char *cause = NULL;
	uint64_t removed;

	add(fx->st, fx->a, "Chestnut orchard", early);
	assert_int_equal(store_index_catch_up(fx->st, SIZE_MAX), 0);   /* indexed */
	add(fx->st, fx->a, "Hazel orchard", late);                    /* waiting */
	add(fx->st, fx->a, "Medlar orchard", gone);
	add(fx->st, fx->b, "Sorb orchard", NULL);
	assert_int_equal(publish_edit(fx->st, fx->a, late, &edit, &cause), 0);
	assert_int_equal(publish_edit(fx->st, fx->a, early, &edit, &cause), 0);
	assert_int_equal(publish_delete(fx->st, fx->a, gone, &cause), 0);
	assert_int_equal(store_block(fx->st, fx->b->pub, true, &removed), 0);
	assert_int_equal(removed, 1);
	searchfix_fts_ok(fx->st);
	assert_int_equal(searchfix_count(fx->st, "hazel"), 0);
	assert_int_equal(searchfix_count(fx->st, "chestnut"), 0);
	assert_int_equal(searchfix_count(fx->st, "medlar"), 0);
	assert_int_equal(searchfix_count(fx->st, "sorb"), 0);
	assert_int_equal(searchfix_count(fx->st, "walnut"), 2);
	assert_int_equal(searchfix_count(fx->st, "orchard"), 2);

	/* Everything that waited was removed: nothing waits. */
	add(fx->st, fx->a, "Fig orchard", late);
	assert_int_equal(publish_delete(fx->st, fx->a, late, &cause), 0);
	assert_true(store_index_pending(fx->st));
	assert_int_equal(store_index_behind(fx->st), 0);
	assert_int_equal(store_index_step(fx->st, STORE_INDEX_SLICE), 0);
	assert_false(store_index_pending(fx->st));
	searchfix_fts_ok(fx->st);
}

/* A slice inside a transaction that rolls back leaves the mark where it
 * was, with the texts it indexed still waiting. */
static void
test_rollback_keeps_mark(void **state)
{
	struct storefix *fx = *state;

	add(fx->st, fx->a, "Osier baskets", NULL);
	assert_int_equal(store_begin(fx->st), 0);
	add(fx->st, fx->a, "Rush matting", NULL);
	assert_int_equal(store_index_step(fx->st, STORE_INDEX_SLICE), 0);
	assert_false(store_index_pending(fx->st));
	store_rollback(fx->st);
	assert_int_equal(store_index_behind(fx->st), 1);
	assert_int_equal(searchfix_count(fx->st, "rush"), 0);
	assert_int_equal(searchfix_count(fx->st, "osier"), 1);
	searchfix_fts_ok(fx->st);
}

/* The texts waiting, counted in the database: what store_index_behind
 * keeps without counting. */
static int64_t
waiting(struct store *st)
{
	sqlite3_stmt *s;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM texts WHERE"
	    " rowid > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_upto')",
	    -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

#define BEHIND_IS_COUNT(st) assert_int_equal(store_index_behind(st), waiting(st))

/* The backlog's size, kept as texts are written, indexed, replaced,
 * deleted and purged, and after a rollback, agrees with a count of the
 * rows at every step (it is counted once, then kept). */
static void
test_behind_kept(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields edit = { .title = "Pear orchard" };
	uint8_t ids[6][TESS_ID_LEN];
	char *cause = NULL;
	uint64_t removed;

	add(fx->st, fx->a, "Apple orchard", ids[0]);
	BEHIND_IS_COUNT(fx->st);   /* counted: kept from here on */
	add(fx->st, fx->a, "Plum orchard", ids[1]);
	add(fx->st, fx->a, "Cherry orchard", ids[2]);
	add(fx->st, fx->b, "Quince orchard", ids[3]);
	BEHIND_IS_COUNT(fx->st);
	assert_int_equal(store_index_behind(fx->st), 4);
	assert_int_equal(store_index_step(fx->st, 1), 0);    /* Apple indexed */
	BEHIND_IS_COUNT(fx->st);
	assert_int_equal(publish_edit(fx->st, fx->a, ids[0], &edit, &cause), 0);   /* indexed one */
	BEHIND_IS_COUNT(fx->st);
	assert_int_equal(publish_edit(fx->st, fx->a, ids[1], &edit, &cause), 0);   /* waiting one */
	BEHIND_IS_COUNT(fx->st);
	assert_int_equal(publish_delete(fx->st, fx->a, ids[2], &cause), 0);
	BEHIND_IS_COUNT(fx->st);
	assert_int_equal(store_block(fx->st, fx->b->pub, true, &removed), 0);
	BEHIND_IS_COUNT(fx->st);
	assert_int_equal(store_index_step(fx->st, 2), 0);
	BEHIND_IS_COUNT(fx->st);

	/* Written and indexed in a transaction that rolls back. */
	assert_int_equal(store_begin(fx->st), 0);
	add(fx->st, fx->a, "Damson orchard", ids[4]);
	assert_int_equal(store_index_step(fx->st, 1), 0);
	add(fx->st, fx->a, "Sloe orchard", ids[5]);
	store_rollback(fx->st);
	BEHIND_IS_COUNT(fx->st);
	add(fx->st, fx->a, "Medlar orchard", ids[5]);
	BEHIND_IS_COUNT(fx->st);
	storefix_reopen(fx);
	BEHIND_IS_COUNT(fx->st);
	assert_int_equal(store_index_catch_up(fx->st, SIZE_MAX), 0);
	assert_int_equal(store_index_behind(fx->st), 0);
	BEHIND_IS_COUNT(fx->st);
	searchfix_fts_ok(fx->st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_search_sees_commit, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_crash, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_replaced_before_indexed, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_keeps_mark, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_behind_kept, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
