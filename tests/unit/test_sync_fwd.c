/* The per-link set of records forwarded before commit (sync_forward.c):
 * bounded at SYNC_FWD_MAX, kept in the order forwarded, the oldest leaving
 * when it is full, whatever was taken out of the middle before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sync/sync.h"
#include "sync/sync_int.h"

/* A distinct id per number. */
static const uint8_t *
id_of(unsigned k)
{
	static uint8_t ids[4 * SYNC_FWD_MAX][TESS_ID_LEN];

	memset(ids[k], 0, TESS_ID_LEN);
	memcpy(ids[k], &k, sizeof(k));
	ids[k][TESS_ID_LEN - 1] = 0xA5;
	return ids[k];
}

static void
test_fwd_take_once(void **state)
{
	struct sync *y = calloc(1, sizeof(*y));

	(void)state;
	assert_non_null(y);
	sync_fwd_remember(y, id_of(1), 7);
	assert_false(sync_fwd_take(y, id_of(1), 8));   /* another version */
	assert_false(sync_fwd_take(y, id_of(2), 7));
	assert_true(sync_fwd_take(y, id_of(1), 7));
	assert_false(sync_fwd_take(y, id_of(1), 7));   /* taken once only: the entry is gone */
	free(y);
}

static void
test_fwd_evicts_oldest(void **state)
{
	struct sync *y = calloc(1, sizeof(*y));
	unsigned k;

	(void)state;
	assert_non_null(y);
	for (k = 0; k < SYNC_FWD_MAX; k++)
		sync_fwd_remember(y, id_of(k), 1);
	assert_int_equal(y->fwd_n, SYNC_FWD_MAX);
	sync_fwd_remember(y, id_of(SYNC_FWD_MAX), 1);       /* 0 leaves */
	assert_int_equal(y->fwd_n, SYNC_FWD_MAX);
	assert_true(sync_fwd_take(y, id_of(1), 1));        /* from the middle */
	sync_fwd_remember(y, id_of(SYNC_FWD_MAX + 1), 1);  /* fills the gap */
	sync_fwd_remember(y, id_of(SYNC_FWD_MAX + 2), 1);  /* 2, the oldest, leaves */
	assert_int_equal(y->fwd_n, SYNC_FWD_MAX);
	assert_false(sync_fwd_take(y, id_of(0), 1));
	assert_false(sync_fwd_take(y, id_of(2), 1));
	/* Every newer one is still there, the newest too. */
	for (k = 3; k <= SYNC_FWD_MAX + 2; k++)
		assert_true(sync_fwd_take(y, id_of(k), 1));
	assert_int_equal(y->fwd_n, 0);
	free(y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fwd_take_once),
		cmocka_unit_test(test_fwd_evicts_oldest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
