/* /metrics with many authors: the text names the top communities and sums
 * the rest, so its size and the work of rendering it do not follow the
 * number of authors anyone can create. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storefix.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "ops/health.h"
#include "ops/ops.h"
#include "ops/metrics.h"
#include "store/store.h"
#include "core/util.h"

/* Adds n authors with a name and 1..50 live records each (author i has
 * i % 50 + 1), straight into the table the endpoint reads. */
static void
add_authors(struct store *st, int from, int n)
{
	char *sql = strfmt("WITH RECURSIVE i(x) AS (SELECT %d UNION ALL SELECT x + 1 FROM i"
	    " WHERE x < %d) INSERT INTO authors (author, name, records)"
	    " SELECT randomblob(32), 'community ' || x, x %% 50 + 1 FROM i", from, from + n - 1);

	assert_non_null(sql);
	assert_int_equal(sqlite3_exec(store_db(st), sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
}

/* Renders n's metrics into *out (caller frees); returns the time in ms. */
static double
render(const struct ops_env *n, char **out, size_t *len)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(metrics_render(n, out, len), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

/* Sum of the tessera_community_records lines; *lines their number. */
static uint64_t
community_sum(const char *text, size_t *lines, uint64_t *other)
{
	static const char key[] = "\ntessera_community_records{";
	uint64_t sum = 0;

	*lines = 0;
	for (const char *p = strstr(text, key); p != NULL; p = strstr(p + 1, key)) {
		const char *v = strchr(p + 1, '\n');

		while (v > p && v[-1] != ' ')
			v--;
		sum += strtoull(v, NULL, 10);
		if (strncmp(p + sizeof(key) - 1, "community=\"other\"", 17) == 0)
			*other = strtoull(v, NULL, 10);
		(*lines)++;
	}
	return sum;
}

static void
test_many_authors(void **state)
{
	struct storefix *fx = *state;
	struct config conf = { .data_dir = fx->dir };
	struct health health = { 0 };
	struct ops_env n = { .store = fx->st, .health = &health, .conf = &conf,
		.started = now_ms() };
	static const int sizes[] = { 5, 1000, 100000 };
	size_t len, lines, first_len = 0;
	uint64_t other = 0, sum;
	int have = 0;
	double ms;
	char *text = NULL, want[64];

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		add_authors(fx->st, have + 1, sizes[k] - have);
		have = sizes[k];
		ms = render(&n, &text, &len);
		sum = community_sum(text, &lines, &other);
		print_message("  %6d authors: %zu bytes, %zu community lines, %.1f ms\n", have, len,
		    lines, ms);
		snprintf(want, sizeof(want), "\ntessera_communities %d\n", have);
		assert_non_null(strstr(text, want));
		/* Every author's records are counted, once. */
		uint64_t total = 0;
		for (int i = 1; i <= have; i++)
			total += (uint64_t)(i % 50 + 1);
		assert_int_equal(sum, total);
		if (have <= METRICS_TOP_COMMUNITIES) {
			assert_int_equal(lines, (size_t)have + 1);
			assert_int_equal(other, 0);
			first_len = len;
		} else {
			/* Ten lines summing to 500: the ten hold 50 records each,
			 * the most any author has; the rest are summed. */
			assert_int_equal(lines, METRICS_TOP_COMMUNITIES + 1);
			assert_int_equal(other, total - 50 * METRICS_TOP_COMMUNITIES);
			assert_true(len < first_len + 1024);
		}
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many_authors, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
