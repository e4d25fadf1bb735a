/* Store: range fingerprints kept with the records equal a fresh computation over
 * the records, through inserts, new versions and removals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include <stdlib.h>
#include <string.h>

#include "storefix.h"
#include "store/store.h"
#include "store/store_fp.h"

struct collect {
	struct store_fp fp;
	size_t n;
};

static int
collect_item(void *arg, const uint8_t id[TESS_ID_LEN], uint64_t version)
{
	struct collect *c = arg;
	uint8_t h[STORE_FP_ACC];

	store_fp_item(id, version, h);
	store_fp_add(&c->fp, h, 1);
	c->n++;
	return 0;
}

/* The range [lo, hi) three ways: the buckets, a scan, and the count. */
static void
check_range(struct store *st, const uint8_t lo[TESS_ID_LEN], const uint8_t *hi)
{
	struct store_fp fast;
	struct collect slow = { 0 };

	assert_int_equal(store_fp_range(st, lo, hi, &fast), 0);
	assert_int_equal(store_fp_items(st, lo, hi, SIZE_MAX, collect_item, &slow, NULL), 0);
	assert_int_equal(fast.n, slow.n);
	assert_memory_equal(fast.acc, slow.fp.acc, STORE_FP_ACC);
}

/* Ranges aligned to buckets and cut through them, small and large. */
static void
check_all(struct store *st)
{
	static const uint8_t bounds[][2] = {
		{ 0x00, 0x00 }, { 0x00, 0x01 }, { 0x0f, 0x80 }, { 0x10, 0x00 }, { 0x40, 0x00 },
		{ 0x7f, 0xff }, { 0x80, 0x00 }, { 0xa5, 0x5a }, { 0xff, 0x00 }, { 0xff, 0xff },
	};
	const size_t nb = sizeof(bounds) / sizeof(bounds[0]);
	uint8_t lo[TESS_ID_LEN], hi[TESS_ID_LEN];

	for (size_t i = 0; i < nb; i++) {
		for (int cut = 0; cut < 2; cut++) {
			memset(lo, 0, sizeof(lo));
			memcpy(lo, bounds[i], 2);
			lo[7] = cut ? 0x33 : 0;
			check_range(st, lo, NULL);
			for (size_t j = i; j < nb; j++) {
				memset(hi, 0, sizeof(hi));
				memcpy(hi, bounds[j], 2);
				hi[9] = cut ? 0x77 : 0;
				check_range(st, lo, hi);
			}
		}
	}
}

static void
test_fp_follows_records(void **state)
{
	struct storefix *fx = *state;
	uint8_t ids[300][TESS_ID_LEN], zero[TESS_ID_LEN] = { 0 };
	struct store_fp all, before;
	uint64_t removed;
	char title[32];

	for (int i = 0; i < 300; i++) {
		snprintf(title, sizeof(title), "Record %d", i);
		assert_int_equal(storefix_put_new(fx->st, i % 3 ? fx->a : fx->b, title, 1, ids[i]),
		    STORE_STORED);
	}
	check_all(fx->st);
	assert_int_equal(store_fp_range(fx->st, zero, NULL, &all), 0);
	assert_int_equal(all.n, 300);

	/* A new version changes the fingerprint; the count stays. */
	before = all;
	{
		struct storefix_draft d;
		struct storefix_sealed s;

		storefix_draft_init(&d, fx->a, "Record 1 again", 2);
		memcpy(d.id, ids[1], TESS_ID_LEN);
		d.r.id.data = d.id;
		/* Same id needs the same nonce: reuse the stored record's. */
		Tessera__Record *old = storefix_load(fx->st, ids[1]);
		memcpy(d.nonce, old->nonce.data, TESS_NONCE_LEN);
		record_free(old);
		storefix_seal(&s, fx->a, &d.r);
		assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
		storefix_sealed_free(&s);
	}
	assert_int_equal(store_fp_range(fx->st, zero, NULL, &all), 0);
	assert_int_equal(all.n, 300);
	assert_memory_not_equal(all.acc, before.acc, STORE_FP_ACC);
	check_all(fx->st);

	/* Removing an author's records takes them out of every bucket. */
	assert_int_equal(store_block(fx->st, fx->b->pub, true, &removed), 0);
	assert_int_equal(removed, 100);
	assert_int_equal(store_fp_range(fx->st, zero, NULL, &all), 0);
	assert_int_equal(all.n, 200);
	check_all(fx->st);
}

/* A store made before the fingerprints (schema version 4) gets them from
 * its records when migrated. */
static void
test_fp_backfill(void **state)
{
	struct storefix *fx = *state;
	uint8_t id[TESS_ID_LEN], zero[TESS_ID_LEN] = { 0 };
	struct store_fp all;
	char *cause = NULL;

	for (int i = 0; i < 50; i++)
		assert_int_equal(storefix_put_new(fx->st, fx->a, "Old", 1, id), STORE_STORED);
	assert_int_equal(sqlite3_exec(store_db(fx->st),
	    "DROP TRIGGER records_fp_ad; DROP TRIGGER records_fp_au;"
	    "DROP TABLE recon_fp; PRAGMA user_version = 4;", NULL, NULL, NULL), SQLITE_OK);
	store_close(fx->st);
	if (store_open(fx->dir, false, &fx->st, &cause) != 0)
		fail_msg("store_open: %s", cause);
	assert_int_equal(store_fp_range(fx->st, zero, NULL, &all), 0);
	assert_int_equal(all.n, 50);
	check_all(fx->st);
}

/* The sum is commutative and removal undoes addition. */
static void
test_fp_arithmetic(void **state)
{
	struct store_fp a = { 0 }, b = { 0 }, zero = { 0 };
	uint8_t h[3][STORE_FP_ACC], id[TESS_ID_LEN] = { 1 };

	(void)state;
	for (int i = 0; i < 3; i++)
		store_fp_item(id, (uint64_t)i + 1, h[i]);
	memset(h[0], 0xff, STORE_FP_ACC);   /* carries through every byte */
	for (int i = 0; i < 3; i++)
		store_fp_add(&a, h[i], 1);
	for (int i = 2; i >= 0; i--)
		store_fp_add(&b, h[i], 1);
	assert_memory_equal(&a, &b, sizeof(a));
	for (int i = 0; i < 3; i++)
		store_fp_add(&a, h[i], -1);
	assert_memory_equal(&a, &zero, sizeof(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fp_follows_records, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_fp_backfill, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test(test_fp_arithmetic),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
