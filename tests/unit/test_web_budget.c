/* The web view's share of the loop (web/web_budget.c), on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "web/web_budget.h"

static void
test_share(void **state)
{
	struct web_budget b;
	uint64_t now = 1000000, rendered = 0;

	(void)state;
	web_budget_init(&b, now);
	assert_true(web_budget_ready(&b, now));
	assert_int_equal(web_budget_wait(&b), 0);
	/* A burst: pages of 15 ms go through until the 40 ms are spent. */
	for (int i = 0; i < 3; i++) {
		assert_true(web_budget_ready(&b, now));
		web_budget_spend(&b, 15000);
	}
	assert_false(web_budget_ready(&b, now));
	/* 5 ms owed: 25 ms of loop time at a fifth. */
	assert_int_equal(web_budget_wait(&b), 25005);
	assert_false(web_budget_ready(&b, now + 25000));
	assert_true(web_budget_ready(&b, now + 25005));
	/* Under a steady stream, pages get about a fifth of ten seconds. */
	now += 25005;
	for (uint64_t end = now + 10000000; now < end; now += 1000)
		if (web_budget_ready(&b, now)) {
			web_budget_spend(&b, 15000);
			rendered += 15000;
		}
	assert_in_range(rendered, 1900000, 2100000);
}

static void
test_bounds(void **state)
{
	struct web_budget b;

	(void)state;
	web_budget_init(&b, 0);
	/* Idle for an hour: still only one burst. */
	assert_true(web_budget_ready(&b, 3600ULL * 1000000));
	web_budget_spend(&b, WEB_BURST_US);
	assert_false(web_budget_ready(&b, 3600ULL * 1000000));
	/* A page "taking" an hour (a clock jump) costs at most five seconds. */
	web_budget_init(&b, 0);
	web_budget_spend(&b, 3600ULL * 1000000);
	web_budget_spend(&b, 3600ULL * 1000000);
	assert_true(web_budget_wait(&b) <= ((uint64_t)WEB_MAX_CHARGE_US + 1) * 1000 /
	    WEB_SHARE_PERMILLE + 1);
	assert_true(web_budget_ready(&b, 6000000));
	/* Time going backwards refills nothing and breaks nothing. */
	assert_true(web_budget_ready(&b, 1000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
