/* Store: put outcomes, sequence numbers, replacement, tombstones, quotas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storefix.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/identity.h"
#include "core/nodeid.h"
#include "store/publish.h"
#include "core/record.h"
#include "store/store.h"
#include "core/util.h"

static void
test_put_new(void **state)
{
	struct storefix *fx = *state;
	uint8_t id[5][TESS_ID_LEN];
	uint64_t prev = 0;
	struct store_stats stats;
	uint64_t version;

	assert_int_equal(store_max_seq(fx->st), 0);
	for (int i = 0; i < 5; i++) {
		uint64_t seq;

		assert_int_equal(storefix_put_new(fx->st, i % 2 ? fx->b : fx->a, "Comunitatea",
		    100 + i, id[i]), STORE_STORED);
		seq = storefix_seq_of(fx->st, id[i]);
		assert_true(seq > prev);
		prev = seq;
	}
	assert_int_equal(store_max_seq(fx->st), prev);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 5);
	assert_int_equal(stats.tombstones, 0);
	assert_int_equal(stats.seq, prev);
	assert_true(stats.db_bytes > 0);

	/* Stored bytes are the signed bytes. */
	{
		struct storefix_draft d;
		struct storefix_sealed s;
		uint8_t *body = NULL, sig[TESS_SIG_LEN];
		size_t len;
		uint64_t seq;

		storefix_draft_init(&d, fx->a, "Közösség", 7);
		storefix_seal(&s, fx->a, &d.r);
		assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
		assert_int_equal(store_get(fx->st, d.id, &body, &len, sig, &seq), 0);
		assert_int_equal(len, s.len);
		assert_memory_equal(body, s.body, len);
		assert_memory_equal(sig, s.sig, TESS_SIG_LEN);
		free(body);
		assert_int_equal(store_get_seq(fx->st, seq, &body, &len, sig), 0);
		assert_memory_equal(body, s.body, len);
		free(body);
		assert_int_equal(store_have(fx->st, d.id, &version), 0);
		assert_int_equal(version, 7);
		assert_false(store_is_blocked(fx->st, d.r.author.data));
		storefix_sealed_free(&s);
	}
	/* A kind from a newer version is stored and forwarded like any other. */
	{
		struct storefix_draft d;
		struct storefix_sealed s;
		struct storefix_changes ch;

		storefix_draft_init(&d, fx->b, "Adopție", 8);
		d.r.kind = (Tessera__Kind)9;
		storefix_seal(&s, fx->b, &d.r);
		assert_int_equal((int)s.r->kind, 9);
		assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
		storefix_changes_all(fx->st, &ch);
		assert_int_equal(ch.n, 7);
		assert_memory_equal(ch.c[6].id, d.id, TESS_ID_LEN);
		storefix_sealed_free(&s);
	}
	/* Absent ids and sequence numbers. */
	{
		uint8_t none[TESS_ID_LEN] = { 0 }, *body = NULL, sig[TESS_SIG_LEN];
		size_t len;

		assert_int_equal(store_get(fx->st, none, &body, &len, sig, NULL), -ENOENT);
		assert_int_equal(store_get_seq(fx->st, 9999, &body, &len, sig), -ENOENT);
		assert_null(body);
		assert_int_equal(store_have(fx->st, none, &version), 0);
		assert_int_equal(version, 0);
	}
}

static void
test_duplicate_stale_equivocation(void **state)
{
	struct storefix *fx = *state;
	struct storefix_draft d;
	struct storefix_sealed v2, v2b, v1, v3;
	uint64_t seq, max;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;

	storefix_draft_init(&d, fx->a, "Versiunea 2", 2);
	storefix_seal(&v2, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &v2), STORE_STORED);
	seq = storefix_seq_of(fx->st, d.id);
	max = store_max_seq(fx->st);

	/* The same bytes again. */
	assert_int_equal(storefix_put(fx->st, &v2), STORE_DUPLICATE);
	assert_int_equal(storefix_seq_of(fx->st, d.id), seq);
	assert_int_equal(store_max_seq(fx->st), max);

	/* An older version. */
	d.r.version = 1;
	d.text.title = "Versiunea 1";
	storefix_seal(&v1, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &v1), STORE_STALE);

	/* Same version, different content: the author signed two histories.
	 * Flagged; the one with the smaller signature is kept, whatever the
	 * order of arrival, so that every node keeps the same one. */
	d.r.version = 2;
	d.text.title = "Versiunea 2, altfel";
	storefix_seal(&v2b, fx->a, &d.r);
	{
		const struct storefix_sealed *win, *lose;
		bool b_wins = memcmp(v2b.sig, v2.sig, TESS_SIG_LEN) < 0;

		win = b_wins ? &v2b : &v2;
		lose = b_wins ? &v2 : &v2b;
		assert_int_equal(storefix_put(fx->st, &v2b),
		    b_wins ? STORE_EQUIVOCATION_REPLACED : STORE_EQUIVOCATION);
		/* Whichever came first, the winner is stored; the loser again is
		 * flagged and changes nothing. */
		assert_int_equal(storefix_put(fx->st, lose), STORE_EQUIVOCATION);
		assert_int_equal(storefix_put(fx->st, win), STORE_DUPLICATE);
		assert_int_equal(store_get(fx->st, d.id, &body, &len, sig, NULL), 0);
		assert_int_equal(len, win->len);
		assert_memory_equal(body, win->body, len);
		assert_memory_equal(sig, win->sig, TESS_SIG_LEN);
		free(body);
		/* A replacement is a change: it gets a new seq, to be offered on. */
		if (b_wins)
			assert_true(storefix_seq_of(fx->st, d.id) > seq);
		else
			assert_int_equal(store_max_seq(fx->st), max);
		max = store_max_seq(fx->st);
	}
	storefix_sealed_free(&v2b);
	/* Same version, same content, another timestamp: different bytes too. */
	d.text.title = "Versiunea 2";
	d.r.timestamp++;
	storefix_seal(&v2b, fx->a, &d.r);
	{
		enum store_put_result got = storefix_put(fx->st, &v2b);

		assert_true(got == STORE_EQUIVOCATION || got == STORE_EQUIVOCATION_REPLACED);
		max = store_max_seq(fx->st);
	}

	/* A newer one still goes in. */
	d.r.version = 3;
	storefix_seal(&v3, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &v3), STORE_STORED);
	assert_int_equal(storefix_put(fx->st, &v2), STORE_STALE);
	assert_int_equal(storefix_put(fx->st, &v3), STORE_DUPLICATE);
	storefix_sealed_free(&v1);
	storefix_sealed_free(&v2);
	storefix_sealed_free(&v2b);
	storefix_sealed_free(&v3);
}

static void
test_newer_replaces(void **state)
{
	struct storefix *fx = *state;
	struct storefix_draft d;
	struct storefix_sealed v1, v2;
	uint8_t other[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	uint64_t s1, s2, so;
	size_t len, hits = 0;
	struct storefix_changes ch;
	struct store_stats stats;

	storefix_draft_init(&d, fx->a, "Prima", 10);
	storefix_seal(&v1, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &v1), STORE_STORED);
	s1 = storefix_seq_of(fx->st, d.id);
	assert_int_equal(storefix_put_new(fx->st, fx->b, "Alta", 10, other), STORE_STORED);
	so = storefix_seq_of(fx->st, other);

	d.r.version = 11;
	d.text.title = "A doua";
	storefix_seal(&v2, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &v2), STORE_STORED);
	s2 = storefix_seq_of(fx->st, d.id);
	assert_true(s2 > so);
	assert_true(so > s1);
	assert_int_equal(store_get_seq(fx->st, s1, &body, &len, sig), -ENOENT);
	assert_int_equal(store_get(fx->st, d.id, &body, &len, sig, NULL), 0);
	assert_int_equal(len, v2.len);
	assert_memory_equal(body, v2.body, len);
	free(body);

	/* The feed shows the id once, at its new seq and version. */
	storefix_changes_all(fx->st, &ch);
	assert_int_equal(ch.n, 2);
	for (size_t i = 0; i < ch.n; i++) {
		if (memcmp(ch.c[i].id, d.id, TESS_ID_LEN) != 0)
			continue;
		hits++;
		assert_int_equal(ch.c[i].seq, s2);
		assert_int_equal(ch.c[i].version, 11);
		assert_memory_equal(ch.c[i].author, fx->a->pub, TESS_KEY_LEN);
	}
	assert_int_equal(hits, 1);
	assert_int_equal(ch.c[0].seq, so);
	assert_int_equal(ch.c[1].seq, s2);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 2);
	assert_int_equal(stats.seq, s2);
	storefix_sealed_free(&v1);
	storefix_sealed_free(&v2);
}

static void
test_tombstone_kept(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_INITIATIVE, .lang = "hu",
		.title = "Közösségi platform", .summary = "Együttműködés" };
	uint8_t id[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	Tessera__Record *r, *old;
	struct storefix_sealed live;
	struct store_stats stats;
	char *cause = NULL;
	uint64_t s1, s2, version;
	size_t len;

	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	s1 = storefix_seq_of(fx->st, id);
	/* Keep the live version's signed bytes to replay them later. */
	memset(&live, 0, sizeof(live));
	assert_int_equal(store_get(fx->st, id, &live.body, &live.len, live.sig, NULL), 0);
	assert_int_equal(record_open(live.body, live.len, live.sig, TESS_SIG_LEN, &live.r, NULL),
	    0);

	assert_int_equal(publish_delete(fx->st, fx->a, id, &cause), 0);
	s2 = storefix_seq_of(fx->st, id);
	assert_true(s2 > s1);
	r = storefix_load(fx->st, id);
	assert_true(r->deleted);
	assert_int_equal(r->n_texts, 0);
	assert_int_equal(r->n_tags, 0);
	assert_int_equal(r->kind, TESSERA__KIND__KIND_INITIATIVE);
	assert_true(r->version > live.r->version);
	assert_memory_equal(r->nonce.data, live.r->nonce.data, TESS_NONCE_LEN);
	assert_int_equal(store_have(fx->st, id, &version), 0);
	assert_true(version == r->version);
	record_free(r);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 0);
	assert_int_equal(stats.tombstones, 1);

	/* The live version offered again is stale: the tombstone wins. */
	assert_int_equal(storefix_put(fx->st, &live), STORE_STALE);
	assert_int_equal(store_get(fx->st, id, &body, &len, sig, NULL), 0);
	free(body);

	/* Deleting twice or editing a tombstone is refused. */
	assert_int_equal(publish_delete(fx->st, fx->a, id, &cause), -ENOENT);
	assert_int_equal(publish_edit(fx->st, fx->a, id, &f, &cause), -ENOENT);
	free(cause);
	old = storefix_load(fx->st, id);
	assert_true(old->deleted);
	record_free(old);
	storefix_sealed_free(&live);
}

static void
test_quota(void **state)
{
	struct storefix *fx = *state;
	uint8_t id1[TESS_ID_LEN], id2[TESS_ID_LEN];
	struct storefix_draft d;
	struct storefix_sealed s;

	store_set_quota(fx->st, 2);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Unu", 1, id1), STORE_STORED);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Doi", 1, id2), STORE_STORED);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Trei", 1, NULL), STORE_QUOTA);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Patru", 1, NULL), STORE_QUOTA);
	/* Another author has its own quota. */
	assert_int_equal(storefix_put_new(fx->st, fx->b, "Egy", 1, NULL), STORE_STORED);
	assert_int_equal(storefix_put_new(fx->st, fx->b, "Kettő", 1, NULL), STORE_STORED);
	assert_int_equal(storefix_put_new(fx->st, fx->b, "Három", 1, NULL), STORE_QUOTA);

	/* A new version of a record we hold does not count as new. */
	storefix_draft_init(&d, fx->a, "Unu, editat", 2);
	{
		Tessera__Record *old = storefix_load(fx->st, id1);

		memcpy(d.nonce, old->nonce.data, TESS_NONCE_LEN);
		memcpy(d.id, old->id.data, TESS_ID_LEN);
		record_free(old);
	}
	storefix_seal(&s, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
	storefix_sealed_free(&s);

	/* A tombstone is kept forever, so it keeps its place in the quota. */
	storefix_draft_init(&d, fx->a, NULL, 3);
	{
		Tessera__Record *old = storefix_load(fx->st, id2);

		memcpy(d.nonce, old->nonce.data, TESS_NONCE_LEN);
		memcpy(d.id, old->id.data, TESS_ID_LEN);
		record_free(old);
	}
	d.r.n_texts = 0;
	d.r.has_deleted = 1;
	d.r.deleted = 1;
	storefix_seal(&s, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
	storefix_sealed_free(&s);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Cinci", 1, NULL), STORE_QUOTA);

	/* A tombstone of an id never seen is a new id: over quota too, or
	 * signed deletions of made-up records could fill the disk. */
	storefix_draft_init(&d, fx->a, NULL, 4);
	d.r.n_texts = 0;
	d.r.has_deleted = 1;
	d.r.deleted = 1;
	storefix_seal(&s, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &s), STORE_QUOTA);
	storefix_sealed_free(&s);

	/* Raising the quota lets the author in again. */
	store_set_quota(fx->st, 3);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Șapte", 1, NULL), STORE_STORED);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Opt", 1, NULL), STORE_QUOTA);

	/* The quota is for other communities: our own is never refused. */
	store_set_local(fx->st, fx->a->pub);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Nouă", 1, NULL), STORE_STORED);
}

static void
test_quota_publish(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ca",
		.title = "Comunitat" };
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;

	store_set_quota(fx->st, 2);
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	assert_true(publish_add(fx->st, fx->a, &f, id, &cause) < 0);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* Editing is still possible at the quota. */
	f.title = "Comunitat d'aprenentatge";
	assert_int_equal(publish_edit(fx->st, fx->a, id, &f, &cause), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_new, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_stale_equivocation, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_newer_replaces, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_tombstone_kept, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_quota, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_quota_publish, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup,
	    storefix_group_teardown);
}
