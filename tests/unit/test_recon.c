/* Range reconciliation between two real stores over the in-memory link:
 * its bytes follow the difference, and it is compared in the same run with
 * the offer path that peers without it take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sessionfix.h"
#include "storefix.h"
#include "testid.h"
#include "core/util.h"
#include "store/store.h"

/* Records both stores hold: 100,000 (the figures); the valgrind
 * stage of tests/run.sh sets TESSERA_RECON_SHARED lower, where the same
 * paths run 30 times slower. */
static size_t SHARED = 100000;
#define DIFFS 100
#define BEHIND 4900        /* with x's DIFFS: 5% of 100,000 behind */

/* One run of a fresh link: bytes each way and the time it took. */
struct figures {
	uint64_t bytes, record_bytes;
	double secs;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seals n records by me and stores each in the stores given (NULL ends). */
static void
put_many(const struct identity *me, const char *what, size_t n, struct store *s1,
    struct store *s2)
{
	char title[64];

	if (s1 != NULL)
		assert_int_equal(store_begin(s1), 0);
	if (s2 != NULL)
		assert_int_equal(store_begin(s2), 0);
	for (size_t i = 0; i < n; i++) {
		struct storefix_draft d;
		struct storefix_sealed s;

		snprintf(title, sizeof(title), "%s %zu", what, i);
		storefix_draft_init(&d, me, title, 1);
		storefix_seal(&s, me, &d.r);
		if (s1 != NULL)
			assert_int_equal(storefix_put(s1, &s), STORE_STORED);
		if (s2 != NULL)
			assert_int_equal(storefix_put(s2, &s), STORE_STORED);
		storefix_sealed_free(&s);
	}
	if (s1 != NULL)
		assert_int_equal(store_commit(s1), 0);
	if (s2 != NULL)
		assert_int_equal(store_commit(s2), 0);
}

/* Forgets the checkpoints, ends the sessions: the next link is new. */
static void
forget(struct pair *p)
{
	struct side *sides[2] = { &p->a, &p->b };

	for (int i = 0; i < 2; i++) {
		struct side *d = sides[i];

		session_drop(&d->s);
		session_free(&d->s);
		for (struct frame *f = d->q, *next; f; f = next) {
			next = f->next;
			free(f);
		}
		d->q = d->q_tail = NULL;
		d->queued = 0;
		d->closed = d->paused = false;
		d->bytes_sent = d->record_bytes = 0;
		assert_int_equal(sqlite3_exec(store_db(d->st), "DELETE FROM peers", NULL, NULL,
		    NULL), SQLITE_OK);
	}
}

/* A new link with or without reconciliation, run until it settles and
 * both sides have caught up. */
static struct figures
link_once(struct pair *p, bool recon)
{
	struct figures f;
	double t0;

	forget(p);
	p->a.env.no_recon = p->b.env.no_recon = !recon;
	t0 = mono();
	sessionfix_start(p);
	sessionfix_run(p, 1000000);
	f.secs = mono() - t0;
	assert_false(p->a.closed);
	assert_false(p->b.closed);
	f.bytes = p->a.bytes_sent + p->b.bytes_sent;
	f.record_bytes = p->a.record_bytes + p->b.record_bytes;
	return f;
}

static void
report(const char *what, struct figures legacy, struct figures recon)
{
	print_message("%s: offer path %llu bytes (%llu of records) in %.3f s; "
	    "reconciliation %llu bytes (%llu of records) in %.3f s\n", what,
	    (unsigned long long)legacy.bytes, (unsigned long long)legacy.record_bytes, legacy.secs,
	    (unsigned long long)recon.bytes, (unsigned long long)recon.record_bytes, recon.secs);
}

static void
test_recon_100k(void **state)
{
	struct pair *p = *state;
	struct identity *x, *y;
	char dx[64], dy[64];
	struct figures legacy, recon;
	uint64_t removed;

	if (getenv("TESSERA_RECON_SHARED") != NULL)
		SHARED = (size_t)strtoul(getenv("TESSERA_RECON_SHARED"), NULL, 10);
	assert_int_equal(testid_pair("test_recon", dx, dy, sizeof(dx), &x, &y), 0);
	store_set_quota(p->a.st, 1000000);
	store_set_quota(p->b.st, 1000000);
	put_many(p->fx->a, "Shared", SHARED, p->a.st, p->b.st);

	/* Equal sets: both learn it from one fingerprint exchange. */
	legacy = link_once(p, false);
	recon = link_once(p, true);
	report("equal 100k", legacy, recon);
	assert_true(recon.bytes <= 16 * 1024);
	assert_true(recon.bytes * 10 < legacy.bytes);
	assert_int_equal(sessionfix_count(p->b.st), SHARED);

	/* 100 records only a holds (by x), 100 only b holds (by y). */
	put_many(x, "Only in a", DIFFS, p->a.st, NULL);
	put_many(y, "Only in b", DIFFS, p->b.st, NULL);
	recon = link_once(p, true);
	assert_int_equal(sessionfix_count(p->a.st), SHARED + 2 * DIFFS);
	assert_int_equal(sessionfix_count(p->b.st), SHARED + 2 * DIFFS);
	/* The same difference again for the offer path. */
	assert_int_equal(store_block(p->a.st, y->pub, true, &removed), 0);
	assert_int_equal(store_block(p->a.st, y->pub, false, &removed), 0);
	assert_int_equal(store_block(p->b.st, x->pub, true, &removed), 0);
	assert_int_equal(store_block(p->b.st, x->pub, false, &removed), 0);
	assert_int_equal(sessionfix_count(p->a.st), SHARED + DIFFS);
	legacy = link_once(p, false);
	assert_int_equal(sessionfix_count(p->a.st), SHARED + 2 * DIFFS);
	report("100 differences each way", legacy, recon);
	assert_true(recon.bytes - recon.record_bytes <= 64 * 1024);
	assert_true(recon.bytes * 5 < legacy.bytes);

	/* b restored from a week-old backup: 5% of a's records missing (the
	 * BEHIND new ones and x's earlier DIFFS). */
	put_many(x, "Published this week", BEHIND, p->a.st, NULL);
	assert_int_equal(store_block(p->b.st, x->pub, true, &removed), 0);
	assert_int_equal(store_block(p->b.st, x->pub, false, &removed), 0);
	recon = link_once(p, true);
	assert_int_equal(sessionfix_count(p->b.st), SHARED + 2 * DIFFS + BEHIND);
	assert_int_equal(store_block(p->b.st, x->pub, true, &removed), 0);
	assert_int_equal(store_block(p->b.st, x->pub, false, &removed), 0);
	legacy = link_once(p, false);
	assert_int_equal(sessionfix_count(p->b.st), SHARED + 2 * DIFFS + BEHIND);
	report("5% behind (week-old backup)", legacy, recon);
	assert_true(recon.bytes < legacy.bytes);
	assert_int_equal(testid_pair_free(dx, dy, x, y), 0);
}

/* A newer version of a shared record is a difference too; so is a record
 * one side lacks. After one link both hold the newest of everything, and
 * the checkpoints it left make the next link incremental. */
static void
test_recon_versions(void **state)
{
	struct pair *p = *state;
	uint8_t ids[40][TESS_ID_LEN], only_b[TESS_ID_LEN];
	uint64_t have;

	for (int i = 0; i < 40; i++) {
		struct storefix_draft d;
		struct storefix_sealed s;

		storefix_draft_init(&d, p->fx->a, "Shared", 1);
		storefix_seal(&s, p->fx->a, &d.r);
		assert_int_equal(storefix_put(p->a.st, &s), STORE_STORED);
		assert_int_equal(storefix_put(p->b.st, &s), STORE_STORED);
		memcpy(ids[i], d.id, TESS_ID_LEN);
		storefix_sealed_free(&s);
		if (i % 10 != 3)
			continue;
		/* a has version 2 of every tenth. */
		Tessera__Record *old = storefix_load(p->a.st, ids[i]);

		storefix_draft_init(&d, p->fx->a, "Shared, edited", 2);
		memcpy(d.id, ids[i], TESS_ID_LEN);
		memcpy(d.nonce, old->nonce.data, TESS_NONCE_LEN);
		record_free(old);
		storefix_seal(&s, p->fx->a, &d.r);
		assert_int_equal(storefix_put(p->a.st, &s), STORE_STORED);
		storefix_sealed_free(&s);
	}
	assert_int_equal(storefix_put_new(p->b.st, p->fx->b, "Only in b", 1, only_b), STORE_STORED);
	sessionfix_start(p);
	sessionfix_run(p, 10000);
	assert_false(p->a.closed);
	assert_true(p->a.s.sync.recon != NULL && p->b.s.sync.recon != NULL);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(store_have(p->b.st, ids[i], &have), 0);
		assert_int_equal(have, i % 10 == 3 ? 2 : 1);
	}
	assert_int_equal(store_have(p->a.st, only_b, &have), 0);
	assert_int_equal(have, 1);
	assert_int_equal(p->b.stored, 4);
	assert_int_equal(p->a.stored, 1);

	/* Checkpoints were stored: a new link does not reconcile again. */
	session_drop(&p->a.s);
	session_free(&p->a.s);
	session_drop(&p->b.s);
	session_free(&p->b.s);
	sessionfix_start(p);
	sessionfix_run(p, 10000);
	assert_null(p->a.s.sync.recon);
	assert_null(p->b.s.sync.recon);
}

/* A peer that does not announce reconciliation gets the offer path: no
 * Recon message crosses the link, and records still flow. */
static void
test_recon_old_peer(void **state)
{
	struct pair *p = *state;
	uint8_t id[TESS_ID_LEN];

	p->b.env.no_recon = true;
	assert_int_equal(storefix_put_new(p->a.st, p->fx->a, "Shared", 1, id), STORE_STORED);
	assert_int_equal(storefix_put_new(p->b.st, p->fx->a, "Other", 1, id), STORE_STORED);
	sessionfix_start(p);
	sessionfix_run(p, 1000);
	assert_null(p->a.s.sync.recon);
	assert_null(p->b.s.sync.recon);
	assert_int_equal(p->a.recon_frames + p->b.recon_frames, 0);
	assert_int_equal(sessionfix_count(p->a.st), 2);
	assert_int_equal(sessionfix_count(p->b.st), 2);
}

/* Two stores with one epoch (a database copied to make a second node) that
 * both ask to reconcile: neither could be picked to open, so both take the
 * offer path instead of waiting for each other for ever. */
static void
test_recon_same_epoch(void **state)
{
	struct pair *p = *state;
	char hex[2 * TESS_EPOCH_LEN + 1], *cause = NULL;
	uint8_t id[TESS_ID_LEN];

	hex_encode(store_epoch(p->a.st), TESS_EPOCH_LEN, hex);
	assert_int_equal(store_meta_set(p->b.st, "epoch", hex), 0);
	store_close(p->b.st);
	if (store_open(p->b.dir, false, &p->b.st, &cause) != 0)
		fail_msg("store_open: %s", cause);
	p->b.env.store = p->b.st;
	assert_memory_equal(store_epoch(p->a.st), store_epoch(p->b.st), TESS_EPOCH_LEN);
	assert_int_equal(storefix_put_new(p->a.st, p->fx->a, "On a", 1, id), STORE_STORED);
	assert_int_equal(storefix_put_new(p->b.st, p->fx->b, "On b", 1, id), STORE_STORED);
	sessionfix_start(p);
	sessionfix_run(p, 1000);
	assert_true(p->a.s.sync.recon_asked && p->b.s.sync.recon_asked);
	assert_null(p->a.s.sync.recon);
	assert_null(p->b.s.sync.recon);
	assert_int_equal(sessionfix_count(p->a.st), 2);
	assert_int_equal(sessionfix_count(p->b.st), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recon_versions, sessionfix_setup,
		    sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_recon_old_peer, sessionfix_setup,
		    sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_recon_same_epoch, sessionfix_setup,
		    sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_recon_100k, sessionfix_setup,
		    sessionfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
