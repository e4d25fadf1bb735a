/* The seeded generator: reference outputs, one sequence per seed, bounds
 * and spread of rng_uniform and rng_double. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/rng.h"

/* Outputs of the reference xoshiro256** from the state {1, 2, 3, 4}, and the
 * first splitmix64 output for seed 0 (the authors' published values). */
static void
test_reference_outputs(void **state)
{
	struct rng r = { { 1, 2, 3, 4 } };

	assert_true(rng_next(&r) == 11520ULL);
	assert_true(rng_next(&r) == 0ULL);
	assert_true(rng_next(&r) == 1509978240ULL);
	assert_true(rng_next(&r) == 1215971899390074240ULL);
	rng_seed(&r, 0);
	assert_true(r.s[0] == 0xe220a8397b1dcdafULL);
	(void)state;
}

static void
test_same_seed_same_sequence(void **state)
{
	struct rng a, b, c;
	size_t same = 0;

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	for (int i = 0; i < 10000; i++) {
		uint64_t x = rng_next(&a);

		assert_true(x == rng_next(&b));
		same += x == rng_next(&c);
	}
	/* A neighbouring seed gives an unrelated sequence. */
	assert_int_equal(same, 0);
	(void)state;
}

/* Seed 0 must not leave xoshiro in its all-zero fixed point. */
static void
test_zero_seed_is_usable(void **state)
{
	struct rng r;
	uint64_t first;

	rng_seed(&r, 0);
	first = rng_next(&r);
	assert_true(first != 0 || rng_next(&r) != 0);
	assert_true(rng_next(&r) != rng_next(&r));
	(void)state;
}

static void
test_uniform_bounds(void **state)
{
	static const uint64_t ns[] = { 1, 2, 3, 7, 10, 1000, (1ULL << 63) + 1, UINT64_MAX };
	struct rng r;

	rng_seed(&r, 7);
	assert_true(rng_uniform(&r, 0) == 0);
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		uint64_t max = 0;

		for (int i = 0; i < 20000; i++) {
			uint64_t x = rng_uniform(&r, ns[k]);

			assert_true(x < ns[k]);
			if (x > max)
				max = x;
		}
		/* The top of the range is reached (or nearly, for huge n). */
		if (ns[k] <= 1000)
			assert_true(max == ns[k] - 1);
		else
			assert_true(max > ns[k] / 2);
	}
	(void)state;
}

/* 100,000 draws over 10 buckets: each within 5% of 10,000 (about five
 * standard deviations). And n about 2/3 of 2^64, where a plain modulo would
 * put two thirds of the draws in the lower half of [0, n): half land there. */
static void
test_uniform_spread(void **state)
{
	struct rng r;
	unsigned bucket[10] = { 0 };
	const uint64_t n = 0xaaaaaaaaaaaaaaabULL;
	unsigned low = 0;

	rng_seed(&r, 1234);
	for (int i = 0; i < 100000; i++)
		bucket[rng_uniform(&r, 10)]++;
	for (int b = 0; b < 10; b++)
		assert_in_range(bucket[b], 9500, 10500);
	for (int i = 0; i < 100000; i++)
		low += rng_uniform(&r, n) < n / 2;
	assert_in_range(low, 49000, 51000);
	(void)state;
}

static void
test_double_range_and_mean(void **state)
{
	struct rng r;
	double sum = 0, lo = 1, hi = 0;

	rng_seed(&r, 99);
	for (int i = 0; i < 100000; i++) {
		double x = rng_double(&r);

		assert_true(x >= 0.0 && x < 1.0);
		sum += x;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	assert_true(sum / 100000 > 0.49 && sum / 100000 < 0.51);
	assert_true(lo < 0.001 && hi > 0.999);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_outputs),
		cmocka_unit_test(test_same_seed_same_sequence),
		cmocka_unit_test(test_zero_seed_is_usable),
		cmocka_unit_test(test_uniform_bounds),
		cmocka_unit_test(test_uniform_spread),
		cmocka_unit_test(test_double_range_and_mean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
