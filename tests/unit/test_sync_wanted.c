/* The wanted set (sync/wanted.c): adds, lookups, takes limited to the offer
 * answered, expiry by generation (also across the wrap of the counter), and
 * a long random run checked against a plain list after every operation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/rng.h"
#include "sync/wanted.h"

static void
make_id(uint8_t id[TESS_ID_LEN], uint64_t n)
{
	memset(id, 0, TESS_ID_LEN);
	memcpy(id, &n, sizeof(n));
	id[TESS_ID_LEN - 1] = (uint8_t)(n * 7);
}

static void
test_basics(void **state)
{
	struct wanted w = { 0 };
	uint8_t a[TESS_ID_LEN], b[TESS_ID_LEN], c[TESS_ID_LEN];
	uint32_t gen = 0;

	make_id(a, 1);
	make_id(b, 2);
	make_id(c, 3);
	assert_false(wanted_has(&w, a));   /* empty, never allocated */
	assert_false(wanted_take(&w, a, 10, NULL));
	assert_int_equal(wanted_reserve(&w, 3), 0);
	wanted_add(&w, a, 1);
	wanted_add(&w, b, 2);
	wanted_add(&w, c, 3);
	assert_int_equal(w.n, 3);
	assert_true(wanted_has(&w, a) && wanted_has(&w, b) && wanted_has(&w, c));
	/* Records answering offer 2 do not take what offer 3 wanted. */
	assert_false(wanted_take(&w, c, 2, NULL));
	assert_true(wanted_has(&w, c));
	assert_true(wanted_take(&w, b, 2, &gen));
	assert_int_equal(gen, 2);
	assert_false(wanted_has(&w, b));
	assert_false(wanted_take(&w, b, 2, NULL));   /* once */
	/* Offer 1 fully answered: what it wanted and did not get goes. */
	wanted_expire(&w, 1);
	assert_false(wanted_has(&w, a));
	assert_true(wanted_has(&w, c));
	assert_int_equal(w.n, 1);
	wanted_free(&w);
	(void)state;
}

/* Generations are compared as a signed difference: expiry and takes
 * work across the wrap of the 32-bit counter. */
static void
test_generation_wrap(void **state)
{
	struct wanted w = { 0 };
	uint8_t a[TESS_ID_LEN], b[TESS_ID_LEN];

	make_id(a, 10);
	make_id(b, 11);
	assert_int_equal(wanted_reserve(&w, 2), 0);
	wanted_add(&w, a, UINT32_MAX);
	wanted_add(&w, b, 1);   /* two offers later */
	assert_false(wanted_take(&w, b, UINT32_MAX, NULL));
	wanted_expire(&w, UINT32_MAX);
	assert_false(wanted_has(&w, a));
	assert_true(wanted_has(&w, b));
	assert_true(wanted_take(&w, b, 2, NULL));
	wanted_free(&w);
	(void)state;
}

/* Ids that share their hash's home slot (as a peer could make them):
 * every operation stays right across the collisions and the deletions
 * that shift entries back. */
static void
test_collisions(void **state)
{
	struct wanted w = { 0 };
	uint8_t ids[40][TESS_ID_LEN];

	assert_int_equal(wanted_reserve(&w, 40), 0);
	for (int i = 0; i < 40; i++) {
		memset(ids[i], 0, TESS_ID_LEN);   /* same first 8 bytes: one home */
		ids[i][12] = (uint8_t)i;
		wanted_add(&w, ids[i], (uint32_t)(i % 4) + 1);
	}
	for (int i = 0; i < 40; i += 3)
		assert_true(wanted_take(&w, ids[i], 4, NULL));
	wanted_expire(&w, 2);
	for (int i = 0; i < 40; i++)
		assert_int_equal(wanted_has(&w, ids[i]), i % 3 != 0 && i % 4 >= 2);
	wanted_free(&w);
	(void)state;
}

/* A random run of adds, takes and expiries against a list. */
static void
test_against_list(void **state)
{
	enum { MAX = 600, IDS = 1500, STEPS = 40000 };
	struct wanted w = { 0 };
	static uint8_t pool[IDS][TESS_ID_LEN];
	static uint32_t list_gen[IDS];
	static bool in[IDS];
	struct rng r;
	uint32_t gen = 1;
	size_t n = 0;

	rng_seed(&r, 42);
	for (int i = 0; i < IDS; i++) {
		make_id(pool[i], rng_next(&r));
		in[i] = false;
	}
	assert_int_equal(wanted_reserve(&w, MAX), 0);
	for (int step = 0; step < STEPS; step++) {
		size_t i = (size_t)rng_uniform(&r, IDS);
		uint64_t op = rng_uniform(&r, 100);

		if (op < 45) {
			if (!in[i] && n < MAX) {
				wanted_add(&w, pool[i], gen);
				in[i] = true;
				list_gen[i] = gen;
				n++;
			}
		} else if (op < 90) {
			uint32_t upto = gen - (uint32_t)rng_uniform(&r, 3), got = 0;
			bool should = in[i] && (int32_t)(list_gen[i] - upto) <= 0;

			assert_int_equal(wanted_take(&w, pool[i], upto, &got), should);
			if (should) {
				assert_int_equal(got, list_gen[i]);
				in[i] = false;
				n--;
			}
		} else if (op < 97) {
			gen++;
		} else {
			uint32_t old = gen - 2;

			wanted_expire(&w, old);
			for (int k = 0; k < IDS; k++)
				if (in[k] && (int32_t)(list_gen[k] - old) <= 0) {
					in[k] = false;
					n--;
				}
		}
		assert_int_equal(w.n, n);
		if (step % 97 == 0)
			for (int k = 0; k < IDS; k++)
				assert_int_equal(wanted_has(&w, pool[k]), in[k]);
	}
	wanted_free(&w);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_generation_wrap),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_against_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
