/* The held-at ring (store/store_held.h): a record is listed once its
 * transaction committed, with the commit's time; a rollback leaves none;
 * the ring keeps the newest STORE_HELD_MAX, newest first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storefix.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_held.h"

static void
test_held_after_commit(void **state)
{
	struct storefix *fx = *state;
	struct store_held h;
	uint8_t id[2][TESS_ID_LEN];
	uint64_t t0 = storefix_now_us(), t1;

	assert_int_equal(store_held_get(fx->st, 0, &h), -ENOENT);
	/* Alone, a put is its own transaction. */
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Eins", 1, id[0]), STORE_STORED);
	t1 = storefix_now_us();
	assert_int_equal(store_held_get(fx->st, 0, &h), 0);
	assert_memory_equal(h.id, id[0], TESS_ID_LEN);
	assert_int_equal(h.version, 1);
	assert_true(h.at_us >= t0 && h.at_us <= t1);
	/* Inside a transaction: not held before the commit. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Zwei", 2, id[1]), STORE_STORED);
	assert_int_equal(store_held_get(fx->st, 0, &h), 0);
	assert_memory_equal(h.id, id[0], TESS_ID_LEN);
	assert_int_equal(store_held_get(fx->st, 1, &h), -ENOENT);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_held_get(fx->st, 0, &h), 0);
	assert_memory_equal(h.id, id[1], TESS_ID_LEN);
	assert_int_equal(store_held_get(fx->st, 1, &h), 0);
	assert_memory_equal(h.id, id[0], TESS_ID_LEN);
	/* A duplicate is not held anew. */
	{
		struct storefix_draft d;
		struct storefix_sealed sl;

		storefix_draft_init(&d, fx->a, "Drei", 3);
		storefix_seal(&sl, fx->a, &d.r);
		assert_int_equal(storefix_put(fx->st, &sl), STORE_STORED);
		assert_int_equal(storefix_put(fx->st, &sl), STORE_DUPLICATE);
		storefix_sealed_free(&sl);
		assert_int_equal(store_held_get(fx->st, 0, &h), 0);
		assert_memory_equal(h.id, d.id, TESS_ID_LEN);
		assert_int_equal(store_held_get(fx->st, 1, &h), 0);
		assert_memory_equal(h.id, id[1], TESS_ID_LEN);
		assert_int_equal(store_held_get(fx->st, 3, &h), -ENOENT);
	}
}

static void
test_held_rollback(void **state)
{
	struct storefix *fx = *state;
	struct store_held h;
	uint8_t id[3][TESS_ID_LEN];

	assert_int_equal(storefix_put_new(fx->st, fx->a, "Un", 1, id[0]), STORE_STORED);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Deux", 2, id[1]), STORE_STORED);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Trois", 3, id[2]), STORE_STORED);
	store_rollback(fx->st);
	assert_int_equal(store_held_get(fx->st, 0, &h), 0);
	assert_memory_equal(h.id, id[0], TESS_ID_LEN);
	assert_int_equal(store_held_get(fx->st, 1, &h), -ENOENT);
	/* The next commit stamps only its own records. */
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Quatre", 4, id[1]), STORE_STORED);
	assert_int_equal(store_held_get(fx->st, 0, &h), 0);
	assert_memory_equal(h.id, id[1], TESS_ID_LEN);
	assert_int_equal(store_held_get(fx->st, 1, &h), 0);
	assert_memory_equal(h.id, id[0], TESS_ID_LEN);
	assert_int_equal(store_held_get(fx->st, 2, &h), -ENOENT);
}

static void
test_held_bounded(void **state)
{
	struct storefix *fx = *state;
	struct store_held h;
	uint8_t id[TESS_ID_LEN], last[TESS_ID_LEN], first_kept[TESS_ID_LEN];
	size_t total = STORE_HELD_MAX + 5, n = 0;

	/* One transaction, to keep the test quick. */
	assert_int_equal(store_begin(fx->st), 0);
	for (size_t i = 0; i < total; i++) {
		char title[32];

		snprintf(title, sizeof(title), "Record %zu", i);
		assert_int_equal(storefix_put_new(fx->st, fx->a, title, i + 1, id), STORE_STORED);
		if (i == total - STORE_HELD_MAX)
			memcpy(first_kept, id, TESS_ID_LEN);
		memcpy(last, id, TESS_ID_LEN);
	}
	assert_int_equal(store_commit(fx->st), 0);
	while (store_held_get(fx->st, n, &h) == 0)
		n++;
	assert_int_equal(n, STORE_HELD_MAX);
	assert_int_equal(store_held_get(fx->st, 0, &h), 0);
	assert_memory_equal(h.id, last, TESS_ID_LEN);
	assert_int_equal(store_held_get(fx->st, STORE_HELD_MAX - 1, &h), 0);
	assert_memory_equal(h.id, first_kept, TESS_ID_LEN);
	assert_int_equal(h.version, total - STORE_HELD_MAX + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_held_after_commit, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_held_rollback, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_held_bounded, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
