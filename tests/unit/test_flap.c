/* Flap suppression: which failures of a peer are logged, on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/flap.h"

#define SEC 1000ULL
#define MIN (60 * SEC)

/* A peer failing every 5 s for 3 hours: how many lines, and when. */
static void
test_repeats_thin_out(void **state)
{
	struct flap f;
	uint64_t t = 1000, lines = 0, last_line = 0, gaps[32];
	size_t n_gaps = 0;

	memset(&f, 0, sizeof(f));
	assert_int_equal(flap_fail(&f, "connect failed: connection refused", t), FLAP_FIRST);
	last_line = t;
	lines = 1;
	for (t += 5 * SEC; t < 3 * 60 * MIN; t += 5 * SEC) {
		enum flap_verdict v = flap_fail(&f, "connect failed: connection refused", t);

		assert_true(v == FLAP_QUIET || v == FLAP_STILL);
		if (v == FLAP_STILL) {
			assert_true(n_gaps < 32);
			gaps[n_gaps++] = t - last_line;
			last_line = t;
			lines++;
		}
	}
	/* 1 min, 2, 4, 8, 16, 32, then hourly: 8 lines instead of 2160. */
	assert_int_equal(lines, 8);
	assert_true(gaps[0] >= FLAP_FIRST_MS && gaps[0] < FLAP_FIRST_MS + 5 * SEC);
	for (size_t i = 1; i < n_gaps; i++)
		assert_true(gaps[i] >= gaps[i - 1]);
	assert_true(gaps[n_gaps - 1] <= FLAP_MAX_MS + 5 * SEC);
	assert_int_equal(f.failures, 3 * 60 * 12);
}

static void
test_new_reason_is_logged(void **state)
{
	struct flap f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(flap_fail(&f, "connect failed: timed out", 0), FLAP_FIRST);
	assert_int_equal(flap_fail(&f, "connect failed: timed out", 20 * SEC), FLAP_QUIET);
	assert_int_equal(flap_fail(&f, "TLS handshake failed: bad certificate", 25 * SEC),
	    FLAP_CHANGED);
	assert_string_equal(f.reason, "TLS handshake failed: bad certificate");
	/* Two reasons alternating fast: at most one line per FLAP_CHANGE_MS. */
	assert_int_equal(flap_fail(&f, "connect failed: timed out", 26 * SEC), FLAP_QUIET);
	assert_int_equal(flap_fail(&f, "TLS handshake failed: bad certificate", 27 * SEC),
	    FLAP_QUIET);
	assert_int_equal(flap_fail(&f, "connect failed: timed out", 36 * SEC), FLAP_CHANGED);
	/* A reason not seen in this run is news at once, even 1 s later. */
	assert_int_equal(flap_fail(&f, "peer said goodbye: shutting down", 37 * SEC),
	    FLAP_CHANGED);
	assert_int_equal(flap_fail(&f, "connect failed: timed out", 38 * SEC), FLAP_QUIET);
}

static void
test_recovery_reports_the_run(void **state)
{
	struct flap f;
	uint64_t down;

	memset(&f, 0, sizeof(f));
	assert_int_equal(flap_recover(&f, 5 * SEC, &down), 0);
	assert_int_equal(down, 0);
	for (uint64_t t = 10 * SEC; t <= 70 * SEC; t += 10 * SEC)
		flap_fail(&f, "connect failed: connection refused", t);
	assert_int_equal(flap_recover(&f, 75 * SEC, &down), 7);
	assert_int_equal(down, 65 * SEC);
	/* A new run starts from scratch. */
	assert_int_equal(flap_fail(&f, "connect failed: connection refused", 80 * SEC),
	    FLAP_FIRST);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeats_thin_out),
		cmocka_unit_test(test_new_reason_is_logged),
		cmocka_unit_test(test_recovery_reports_the_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
