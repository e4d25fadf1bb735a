/* Store: the status counts read from kept totals agree with counting the
 * records, through puts, new versions, tombstones, blocking and reopening;
 * the page cache's bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storefix.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/publish.h"
#include "store/store.h"

/* The first column of sql's single row, as an integer. */
static sqlite3_int64
query(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	sqlite3_int64 v;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* store_stats says what counting every record says. */
static void
assert_counts(struct store *st, uint64_t live, uint64_t tombstones)
{
	struct store_stats stats;

	assert_int_equal(store_stats(st, &stats), 0);
	assert_int_equal(stats.records, live);
	assert_int_equal(stats.tombstones, tombstones);
	assert_int_equal(query(st, "SELECT count(*) FROM records WHERE deleted = 0"), live);
	assert_int_equal(query(st, "SELECT count(*) FROM records WHERE deleted = 1"), tombstones);
	assert_int_equal(stats.seq, (uint64_t)query(st, "SELECT max(seq) FROM records"));
}

static void
test_counts_follow_records(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ro",
		.title = "Bibliotecă comunitară", .summary = "Cărți pentru toți" };
	uint8_t ids[4][TESS_ID_LEN], same[TESS_ID_LEN], theirs[3][TESS_ID_LEN];
	struct storefix_draft d;
	struct storefix_sealed again;
	char *cause = NULL;
	uint64_t removed = 0;

	/* An empty store (its own profile aside, which the fixture has not). */
	assert_counts(fx->st, 0, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(publish_add(fx->st, fx->a, &f, ids[i], &cause), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(storefix_put_new(fx->st, fx->b, "Atelier", 1, theirs[i]),
		    STORE_STORED);
	assert_counts(fx->st, 7, 0);

	/* A new version replaces the old one: still one live record. */
	f.title = "Bibliotecă comunitară (nouă)";
	assert_int_equal(publish_edit(fx->st, fx->a, ids[0], &f, &cause), 0);
	assert_counts(fx->st, 7, 0);

	/* A tombstone: one live record fewer, one tombstone more. */
	assert_int_equal(publish_delete(fx->st, fx->a, ids[1], &cause), 0);
	assert_counts(fx->st, 6, 1);

	/* The same signed record twice counts once. */
	storefix_draft_init(&d, fx->b, "Dublură", 3);
	storefix_seal(&again, fx->b, &d.r);
	assert_int_equal(storefix_put(fx->st, &again), STORE_STORED);
	assert_int_equal(storefix_put(fx->st, &again), STORE_DUPLICATE);
	memcpy(same, d.id, TESS_ID_LEN);
	assert_counts(fx->st, 7, 1);

	/* Blocking an author removes its records, tombstones too. */
	assert_int_equal(store_block(fx->st, fx->a->pub, true, &removed), 0);
	assert_int_equal(removed, 4);
	assert_counts(fx->st, 4, 0);

	/* The totals are in the database, not in memory: a reopened store
	 * says the same. */
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, false, &fx->st, &cause), 0);
	assert_counts(fx->st, 4, 0);
	assert_int_equal(store_have(fx->st, same, &removed), 0);
	assert_int_equal(removed, 3);
	storefix_sealed_free(&again);
	free(cause);
}

/* The page cache may grow well past the 8 MB that made inserts miss at
 * 100,000 records, and the bound survives a release at rest. */
static void
test_cache_bound(void **state)
{
	struct storefix *fx = *state;

	assert_true(query(fx->st, "PRAGMA cache_size") <= -65536);
	store_release_memory(fx->st);
	assert_true(query(fx->st, "PRAGMA cache_size") <= -65536);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_follow_records, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_cache_bound, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
