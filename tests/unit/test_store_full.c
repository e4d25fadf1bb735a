/* Store: the storage-full state, driven by a real RLIMIT_FSIZE on this
 * process (SIGXFSZ ignored, as tesserad does): a refused write stores
 * nothing, the state is entered and left once each, reads go on, and a
 * probe finds the space when the limit is lifted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storefix.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "store/store.h"

struct transitions {
	int entered, left;
};

static void
on_full(void *arg, bool full)
{
	struct transitions *t = arg;

	if (full)
		t->entered++;
	else
		t->left++;
}

static off_t
file_size(const char *dir, const char *name)
{
	char path[128];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* Sets RLIMIT_FSIZE to headroom bytes above the store's largest file (the
 * database or its write-ahead log), SIGXFSZ ignored as tesserad does; the
 * limit before it in *old. */
static void
limit_above_store(struct storefix *fx, off_t headroom, struct rlimit *old)
{
	struct rlimit lim;
	off_t big;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, old), 0);
	big = file_size(fx->dir, STORE_DB_FILE);
	if (file_size(fx->dir, STORE_DB_FILE "-wal") > big)
		big = file_size(fx->dir, STORE_DB_FILE "-wal");
	lim = *old;
	lim.rlim_cur = (rlim_t)(big + headroom);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

/* Stores resource number i by a; returns store_put's result code. */
static int
put_one(struct storefix *fx, int i, enum store_put_result *res)
{
	struct storefix_draft d;
	struct storefix_sealed s;
	char title[64];
	int rc;

	snprintf(title, sizeof(title), "Record %d of a store about to be full", i);
	storefix_draft_init(&d, fx->a, title, (uint64_t)i + 1);
	storefix_seal(&s, fx->a, &d.r);
	rc = store_put(fx->st, s.body, s.len, s.sig, s.r, res);
	storefix_sealed_free(&s);
	return rc;
}

static void
test_full_and_back(void **state)
{
	struct storefix *fx = *state;
	struct transitions t = { 0, 0 };
	struct store_stats st0, st1;
	struct rlimit old;
	enum store_put_result res;
	const char *why = NULL;
	int i, rc = 0, stored = 0;

	store_on_full(fx->st, on_full, &t);
	assert_false(store_full(fx->st, &why));
	assert_null(why);
	assert_int_equal(put_one(fx, 0, &res), 0);
	assert_int_equal(res, STORE_STORED);
	stored++;

	limit_above_store(fx, 128 * 1024, &old);

	for (i = 1; i < 5000; i++) {
		if ((rc = put_one(fx, i, &res)) != 0)
			break;
		assert_int_equal(res, STORE_STORED);
		stored++;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(store_full(fx->st, &why));
	assert_non_null(why);
	assert_int_equal(t.entered, 1);
	assert_int_equal(t.left, 0);
	assert_true(store_refusals(fx->st) >= 1);

	/* Nothing of the refused record is stored; reads go on. */
	assert_int_equal(store_stats(fx->st, &st0), 0);
	assert_int_equal(st0.records, (uint64_t)stored);
	assert_int_equal(put_one(fx, i + 1, &res), -ENOSPC);
	assert_int_equal(t.entered, 1);   /* once, not once per refused write */
	assert_int_equal(store_probe(fx->st), -ENOSPC);
	assert_true(store_full(fx->st, NULL));
	assert_int_equal(store_stats(fx->st, &st1), 0);
	assert_int_equal(st1.records, st0.records);

	/* The limit is lifted: the probe goes through but does not end the
	 * state by itself; a real commit does. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(store_probe(fx->st), 0);
	assert_true(store_full(fx->st, NULL));
	assert_int_equal(t.left, 0);
	assert_int_equal(put_one(fx, i + 2, &res), 0);
	assert_int_equal(res, STORE_STORED);
	assert_false(store_full(fx->st, &why));
	assert_null(why);
	assert_int_equal(t.entered, 1);
	assert_int_equal(t.left, 1);
	assert_int_equal(store_stats(fx->st, &st1), 0);
	assert_int_equal(st1.records, st0.records + 1);
	store_on_full(fx->st, NULL, NULL);
}

static void
test_clear_after_probe(void **state)
{
	struct storefix *fx = *state;
	struct transitions t = { 0, 0 };
	struct rlimit old, lim;
	enum store_put_result res;
	int i, rc = 0;

	store_on_full(fx->st, on_full, &t);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)file_size(fx->dir, STORE_DB_FILE "-wal") + 64 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 0; i < 5000 && rc == 0; i++)
		rc = put_one(fx, i, &res);
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	/* Nothing else was waiting: the node ends the state on the probe. */
	assert_int_equal(store_probe(fx->st), 0);
	store_clear_full(fx->st);
	assert_false(store_full(fx->st, NULL));
	assert_int_equal(t.entered, 1);
	assert_int_equal(t.left, 1);
	store_clear_full(fx->st);   /* not full: nothing to report */
	assert_int_equal(t.left, 1);
	store_on_full(fx->st, NULL, NULL);
}

/* Less than 64 KiB left below the limit: the write transaction is refused
 * before it begins, although one small record would still fit, so that a
 * full disk refuses writes however much slack SQLite's files have. */
static void
test_refused_within_slack(void **state)
{
	struct storefix *fx = *state;
	struct transitions t = { 0, 0 };
	struct store_stats st0, st1;
	struct rlimit old;
	enum store_put_result res;
	const char *why = NULL;

	store_on_full(fx->st, on_full, &t);
	assert_int_equal(put_one(fx, 0, &res), 0);
	assert_int_equal(store_stats(fx->st, &st0), 0);
	limit_above_store(fx, 60 * 1024, &old);
	assert_int_equal(put_one(fx, 1, &res), -ENOSPC);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_true(store_full(fx->st, &why));
	assert_non_null(strstr(why, "RLIMIT_FSIZE"));
	assert_int_equal(t.entered, 1);
	assert_int_equal(store_stats(fx->st, &st1), 0);
	assert_int_equal(st1.records, st0.records);
	assert_int_equal(store_probe(fx->st), 0);
	assert_int_equal(put_one(fx, 2, &res), 0);
	assert_false(store_full(fx->st, NULL));
	assert_int_equal(t.left, 1);
	store_on_full(fx->st, NULL, NULL);
}

/* A write outside SQLite (an attachment chunk) that hit a limit enters the
 * same state, once however many fail; other errors are not "full". */
static void
test_space_error(void **state)
{
	struct storefix *fx = *state;
	struct transitions t = { 0, 0 };
	const char *why;

	store_on_full(fx->st, on_full, &t);
	assert_false(store_space_error(fx->st, "attachment chunk", EIO));
	assert_false(store_full(fx->st, NULL));
	assert_true(store_space_error(fx->st, "attachment chunk", ENOSPC));
	assert_true(store_space_error(fx->st, "attachment chunk", EFBIG));
	assert_true(store_space_error(fx->st, "attachment chunk", EDQUOT));
	assert_true(store_full(fx->st, &why));
	assert_non_null(strstr(why, "attachment chunk: No space left on device"));
	assert_int_equal(t.entered, 1);
	assert_int_equal(store_refusals(fx->st), 3);
	assert_int_equal(store_probe(fx->st), 0);
	store_clear_full(fx->st);
	assert_int_equal(t.left, 1);
	store_on_full(fx->st, NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_and_back, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_clear_after_probe, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_refused_within_slack, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_space_error, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup,
	    storefix_group_teardown);
}
