/* Export's reading side on a real store: search_export lists every record
 * oldest first (or those past a seq), and fails (never a partial list) when a page of the records
 * table is damaged on disk; view_batch_add tells a damaged record (-EBADMSG)
 * and a gone one (-ENOENT) from a readable one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storefix.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl_view.h"
#include "store/search.h"
#include "store/store.h"

#define N_RECORDS 200

/* N_RECORDS resources by a with bodies of about 1 KB: the records table
 * spans dozens of pages. */
static void
put_many(struct storefix *fx, uint64_t *seqs)
{
	char body[1024], title[32];

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (int i = 0; i < N_RECORDS; i++) {
		struct storefix_draft d;
		struct storefix_sealed s;

		snprintf(title, sizeof(title), "record %d", i);
		storefix_draft_init(&d, fx->a, title, (uint64_t)i + 1);
		d.text.body = body;
		storefix_seal(&s, fx->a, &d.r);
		assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
		seqs[i] = storefix_seq_of(fx->st, d.id);
		storefix_sealed_free(&s);
	}
}

static void
test_export_lists_every_record(void **state)
{
	struct storefix *fx = *state;
	struct search_filter f = { 0 };
	uint64_t want[N_RECORDS], *seqs;
	size_t n;
	char *cause = NULL;

	put_many(fx, want);
	assert_int_equal(search_export(fx->st, &f, 0, &seqs, &n, &cause), 0);
	assert_int_equal(n, N_RECORDS);
	assert_memory_equal(seqs, want, sizeof(want));
	free(seqs);
	/* Past a seq: what an export lists again for records replaced meanwhile. */
	assert_int_equal(search_export(fx->st, &f, want[149], &seqs, &n, &cause), 0);
	assert_int_equal(n, N_RECORDS - 150);
	assert_memory_equal(seqs, want + 150, (N_RECORDS - 150) * sizeof(want[0]));
	free(seqs);
	/* Another community's filter: nothing, and no error. */
	f.has_author = true;
	memcpy(f.author, fx->b->pub, TESS_KEY_LEN);
	assert_int_equal(search_export(fx->st, &f, 0, &seqs, &n, &cause), 0);
	assert_int_equal(n, 0);
	free(seqs);
	assert_null(cause);
}

/* The page number of the middle leaf of the records table, in key order. */
static int
middle_leaf(const char *path, int *page, int *page_size)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int pages[1024], n = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT pageno FROM dbstat WHERE name = 'records'"
		" AND pagetype = 'leaf' ORDER BY path", -1, &s, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	while (n < 1024 && sqlite3_step(s) == SQLITE_ROW)
		pages[n++] = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		sqlite3_close(db);
		return -1;
	}
	*page_size = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	if (n < 10)
		return -1;
	*page = pages[n / 2];
	return 0;
}

/* A damaged page halfway through the table: the scan fails midway, and
 * search_export reports it instead of the records before it. */
static void
test_export_fails_on_damaged_page(void **state)
{
	struct storefix *fx = *state;
	struct search_filter f = { 0 };
	uint64_t want[N_RECORDS], *seqs = (uint64_t *)1;
	char path[128], *cause = NULL;
	size_t n = 99;
	int page = 0, psize = 0, fd;

	put_many(fx, want);
	/* Closing checkpoints the WAL into the database file. */
	store_close(fx->st);
	fx->st = NULL;
	snprintf(path, sizeof(path), "%s/%s", fx->dir, STORE_DB_FILE);
	assert_int_equal(middle_leaf(path, &page, &psize), 0);
	/* A b-tree page whose type byte is 0 is malformed. */
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, "", 1, (off_t)(page - 1) * psize), 1);
	close(fd);
	assert_int_equal(store_open(fx->dir, false, &fx->st, &cause), 0);

	assert_int_equal(search_export(fx->st, &f, 0, &seqs, &n, &cause), -EIO);
	assert_null(seqs);
	assert_int_equal(n, 0);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "malformed"));
	free(cause);
}

static void
test_view_batch_reports_damage(void **state)
{
	struct storefix *fx = *state;
	struct view_batch *b = view_batch_new(fx->st, true);
	Tessera__RecordView *v = NULL;
	uint64_t seqs[N_RECORDS];
	char sql[128];

	assert_non_null(b);
	put_many(fx, seqs);
	snprintf(sql, sizeof(sql), "UPDATE records SET sig = zeroblob(64) WHERE seq = %llu",
	    (unsigned long long)seqs[7]);
	assert_int_equal(sqlite3_exec(store_db(fx->st), sql, NULL, NULL, NULL), SQLITE_OK);

	assert_int_equal(view_batch_add(b, seqs[6], &v), 0);
	assert_non_null(v);
	assert_int_equal(v->seq, seqs[6]);
	assert_int_equal(view_batch_add(b, seqs[7], &v), -EBADMSG);
	assert_int_equal(view_batch_add(b, seqs[N_RECORDS - 1] + 1000, &v), -ENOENT);
	assert_int_equal(b->n, 1);
	view_batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_export_lists_every_record, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_export_fails_on_damaged_page, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_view_batch_reports_damage, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
