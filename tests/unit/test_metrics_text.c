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

static int
count_ops(void *arg)
{
	(*(uint64_t *)arg)++;
	return 0;
}

/* The SQLite virtual machine steps of one render (in tens). */
static uint64_t
render_ops(const struct ops_env *n)
{
	uint64_t ops = 0;
	size_t len;
	char *text;

	sqlite3_progress_handler(store_db(n->store), 10, count_ops, &ops);
	assert_int_equal(metrics_render(n, &text, &len), 0);
	sqlite3_progress_handler(store_db(n->store), 0, NULL, NULL);
	free(text);
	return ops;
}

/* The counts a scrape reads, recomputed from every author. */
static void
check_totals(struct store *st)
{
	struct store_communities cs;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(store_db(st),
	    "SELECT count(*), IFNULL(sum(records), 0) FROM authors"
	    " WHERE records > 0 OR name IS NOT NULL OR blocked", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(store_count_communities(st, 3, &cs), 0);
	assert_int_equal(cs.total, sqlite3_column_int64(s, 0));
	assert_int_equal(cs.records, sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	store_communities_free(&cs);
}

/* The work of a scrape does not follow the number of authors either: the
 * totals are kept as authors change, the top list read from an index. */
static void
test_work_bounded(void **state)
{
	struct storefix *fx = *state;
	struct config conf = { .data_dir = fx->dir };
	struct health health = { 0 };
	struct ops_env n = { .store = fx->st, .health = &health, .conf = &conf,
		.started = now_ms() };
	uint64_t small, large;
	uint8_t id[TESS_ID_LEN];

	add_authors(fx->st, 1, 1000);
	small = render_ops(&n);
	add_authors(fx->st, 1001, 19000);
	large = render_ops(&n);
	print_message("  VM steps of a render: %llu0 at 1,000 authors, %llu0 at 20,000\n",
	    (unsigned long long)small, (unsigned long long)large);
	assert_true(large < small + small / 2);
	/* Every way an author row changes keeps the totals right. */
	check_totals(fx->st);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Kept", 1, id), STORE_STORED);
	check_totals(fx->st);
	assert_int_equal(sqlite3_exec(store_db(fx->st),
	    "UPDATE authors SET records = 0 WHERE rowid % 7 = 0;"
	    "UPDATE authors SET name = NULL WHERE rowid % 5 = 0;"
	    "UPDATE authors SET blocked = 1 WHERE rowid % 11 = 0;"
	    "DELETE FROM authors WHERE rowid % 13 = 0;", NULL, NULL, NULL), SQLITE_OK);
	check_totals(fx->st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many_authors, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_work_bounded, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
