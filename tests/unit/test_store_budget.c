/* Store: the per-peer daily budgets for authors the node has not seen
 * before (store_budget.c), on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storefix.h"

#include <string.h>

#include "store/store.h"

#define DAY (24LL * 60 * 60 * 1000)

static int64_t fake_now = 1800000000000LL;

static int64_t
fake_clock(void)
{
	return fake_now;
}

static const uint8_t peer_p[TESS_KEY_LEN] = { 0x50 }, peer_q[TESS_KEY_LEN] = { 0x51 };

/* Author number i: a made-up key (the store trusts its caller's checks). */
static void
author_key(int i, uint8_t key[TESS_KEY_LEN])
{
	memset(key, 0xa0, TESS_KEY_LEN);
	key[0] = (uint8_t)i;
	key[1] = (uint8_t)(i >> 8);
}

/* A fresh record of author i from origin (NULL: stored here); returns the
 * result and its signed size in *len. */
static enum store_put_result
put_from(struct storefix *fx, int author, const uint8_t *origin, size_t *len)
{
	static uint64_t version = 1;
	struct storefix_draft d;
	struct storefix_sealed s;
	enum store_put_result res = (enum store_put_result)-1;

	storefix_draft_init(&d, fx->a, "Atelier de reparații", version++);
	storefix_seal(&s, fx->a, &d.r);
	author_key(author, s.r->author.data);
	assert_int_equal(store_put_from(fx->st, s.body, s.len, s.sig, s.r, origin, &res), 0);
	if (len != NULL)
		*len = s.len;
	storefix_sealed_free(&s);
	return res;
}

static struct store_peer
peer_get(struct storefix *fx, const uint8_t *peer)
{
	struct store_peer p;

	assert_int_equal(store_peer_get(fx->st, peer, &p), 0);
	return p;
}

static int
budget_setup(void **state)
{
	struct storefix *fx;

	if (storefix_setup(state) != 0)
		return -1;
	fx = *state;
	fake_now = 1800000000000LL;
	store_set_clock(fx->st, fake_clock);
	store_set_budget(fx->st, &(struct store_budget){ 3, 8, 1 << 20 });
	return 0;
}

/* New authors beyond the budget are refused and leave no trace; the peer's
 * row counts them; another peer has its own budget. */
static void
test_new_authors(void **state)
{
	struct storefix *fx = *state;
	struct store_author *a;
	struct store_peer p;
	size_t n;

	for (int i = 0; i < 3; i++)
		assert_int_equal(put_from(fx, i, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 3, peer_p, NULL), STORE_OVER_BUDGET);
	assert_int_equal(put_from(fx, 4, peer_p, NULL), STORE_OVER_BUDGET);
	p = peer_get(fx, peer_p);
	assert_int_equal(p.new_authors, 3);
	assert_int_equal(p.new_records, 3);
	assert_int_equal(p.over_budget, 2);
	assert_int_equal(store_authors(fx->st, &a, &n), 0);
	assert_int_equal(n, 3);
	store_authors_free(a, n);
	/* The same author from another peer: that peer's own budget. */
	assert_int_equal(put_from(fx, 3, peer_q, NULL), STORE_STORED);
	assert_int_equal(peer_get(fx, peer_q).new_authors, 1);
	assert_int_equal(peer_get(fx, peer_p).over_budget, 2);
}

/* Records of an author introduced today count, from whichever peer; the
 * records stored before the refusals stay. */
static void
test_records_of_new_authors(void **state)
{
	struct storefix *fx = *state;
	struct store_stats ss;

	for (int i = 0; i < 8; i++)
		assert_int_equal(put_from(fx, 1, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 1, peer_p, NULL), STORE_OVER_BUDGET);
	/* Author 1 is new today for peer Q too: charged to Q. */
	assert_int_equal(put_from(fx, 1, peer_q, NULL), STORE_STORED);
	assert_int_equal(peer_get(fx, peer_q).new_records, 1);
	assert_int_equal(peer_get(fx, peer_q).new_authors, 0);
	assert_int_equal(store_stats(fx->st, &ss), 0);
	assert_int_equal(ss.records, 9);
	assert_int_equal(peer_get(fx, peer_p).over_budget, 1);
}

static void
test_bytes_of_new_authors(void **state)
{
	struct storefix *fx = *state;
	size_t len;

	assert_int_equal(put_from(fx, 1, peer_p, &len), STORE_STORED);
	store_set_budget(fx->st, &(struct store_budget){ 3, 100, 2 * len + len / 2 });
	assert_int_equal(put_from(fx, 1, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 1, peer_p, NULL), STORE_OVER_BUDGET);
	assert_int_equal(peer_get(fx, peer_p).new_bytes, 2 * len);
}

/* Authors known before today, stored here or imported, and our own, are
 * never charged; a new day starts the budget afresh. */
static void
test_known_authors_and_new_day(void **state)
{
	struct storefix *fx = *state;
	struct store_peer p;

	assert_int_equal(put_from(fx, 7, NULL, NULL), STORE_STORED);   /* imported */
	for (int i = 0; i < 20; i++)
		assert_int_equal(put_from(fx, 7, peer_p, NULL), STORE_STORED);
	assert_int_equal(peer_get(fx, peer_p).new_records, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(put_from(fx, i, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 3, peer_p, NULL), STORE_OVER_BUDGET);

	fake_now += DAY;
	p = peer_get(fx, peer_p);
	assert_int_equal(p.new_authors + p.new_records + p.new_bytes + p.over_budget, 0);
	/* Yesterday's new authors are known now: not charged. */
	for (int i = 0; i < 20; i++)
		assert_int_equal(put_from(fx, 0, peer_p, NULL), STORE_STORED);
	assert_int_equal(peer_get(fx, peer_p).new_records, 0);
	assert_int_equal(put_from(fx, 3, peer_p, NULL), STORE_STORED);
	assert_int_equal(peer_get(fx, peer_p).new_authors, 1);

	uint8_t own[TESS_KEY_LEN];

	author_key(9, own);
	store_set_local(fx->st, own);
	store_set_budget(fx->st, &(struct store_budget){ 0, 1, 1 });
	assert_int_equal(put_from(fx, 9, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 10, peer_p, NULL), STORE_OVER_BUDGET);
}

/* A peer's own records (its pinned key is their author) are not charged:
 * a new node's first sync with a big peer is not cut at the budget. */
/* Refusals of an earlier day are asked for again once; refusals of today
 * are not (the budget is the same until tomorrow). */
static void
test_retry_next_day(void **state)
{
	struct storefix *fx = *state;
	bool retry = true;

	assert_int_equal(store_budget_retry(fx->st, peer_p, &retry), 0);
	assert_false(retry);                  /* no row yet */
	for (int i = 0; i < 4; i++)
		put_from(fx, i, peer_p, NULL);
	assert_int_equal(peer_get(fx, peer_p).over_budget, 1);
	assert_int_equal(store_budget_retry(fx->st, peer_p, &retry), 0);
	assert_false(retry);                  /* today: nothing new to hope for */
	fake_now += DAY;
	assert_int_equal(store_budget_retry(fx->st, peer_p, &retry), 0);
	assert_true(retry);
	assert_int_equal(store_budget_retry(fx->st, peer_p, &retry), 0);
	assert_false(retry);                  /* once */
	assert_int_equal(store_budget_retry(fx->st, peer_q, &retry), 0);
	assert_false(retry);
	/* The refused author is new today and fits today's budget. */
	assert_int_equal(put_from(fx, 3, peer_p, NULL), STORE_STORED);
}

static void
test_peer_own_records(void **state)
{
	struct storefix *fx = *state;
	uint8_t self[TESS_KEY_LEN];

	author_key(0x50, self);   /* the peer, author of its own records */
	store_set_budget(fx->st, &(struct store_budget){ 0, 1, 1 });
	for (int i = 0; i < 20; i++)
		assert_int_equal(put_from(fx, 0x50, self, NULL), STORE_STORED);
	assert_int_equal(peer_get(fx, self).new_records, 0);
	assert_int_equal(put_from(fx, 0x51, self, NULL), STORE_OVER_BUDGET);
}

/* Blocking a peer blocks the authors it introduced (their records go) and
 * its new authors from then on, not charged to it; other peers' authors
 * stay; unblocking undoes both. */
static void
test_block_peer(void **state)
{
	struct storefix *fx = *state;
	struct store_stats ss;
	uint64_t authors, removed;

	for (int i = 0; i < 2; i++)
		assert_int_equal(put_from(fx, i, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 1, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 5, peer_q, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 6, NULL, NULL), STORE_STORED);
	assert_int_equal(store_block_peer(fx->st, peer_p, true, &authors, &removed), 0);
	assert_int_equal(authors, 2);
	assert_int_equal(removed, 3);
	assert_int_equal(store_stats(fx->st, &ss), 0);
	assert_int_equal(ss.records, 2);
	assert_int_equal(put_from(fx, 1, peer_q, NULL), STORE_BLOCKED);
	assert_int_equal(put_from(fx, 2, peer_p, NULL), STORE_BLOCKED);
	assert_int_equal(peer_get(fx, peer_p).over_budget, 0);
	assert_int_equal(put_from(fx, 5, peer_p, NULL), STORE_STORED);   /* Q's, known */
	assert_int_equal(store_block_peer(fx->st, peer_p, false, &authors, &removed), 0);
	assert_int_equal(authors, 2);
	assert_int_equal(put_from(fx, 1, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 2, peer_p, NULL), STORE_STORED);
}

/* A rolled back batch is not charged. */
static void
test_rollback_is_not_charged(void **state)
{
	struct storefix *fx = *state;

	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(put_from(fx, 1, peer_p, NULL), STORE_STORED);
	assert_int_equal(put_from(fx, 2, peer_p, NULL), STORE_STORED);
	store_rollback(fx->st);
	assert_int_equal(peer_get(fx, peer_p).new_authors, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(put_from(fx, 10 + i, peer_p, NULL), STORE_STORED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_authors, budget_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_records_of_new_authors, budget_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_bytes_of_new_authors, budget_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_known_authors_and_new_day, budget_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_retry_next_day, budget_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_peer_own_records, budget_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_block_peer, budget_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_is_not_charged, budget_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
