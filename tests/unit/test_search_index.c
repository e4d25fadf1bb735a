/* Search in stores the tests write: ranking, reindexing on change and in
 * transactions, listing order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "searchfix.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "store/publish.h"
#include "core/record.h"
#include "store/search.h"
#include "store/store.h"
#include "core/util.h"

static void
test_ranking(void **state)
{
	struct searchfix *fx = *state;
	struct identity *me = fx->id[WALES];
	struct publish_fields title = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = "Zeolite filters", .body = "A note on water." };
	struct publish_fields summary = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = "Water notes", .summary = "About zeolite in filters.",
		.body = "A longer note on water and what cleans it." };
	struct publish_fields body = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = "Village water", .summary = "How a village cleans its water.",
		.body = "Sand, charcoal and zeolite filter the village water; zeolite is cheap." };
	uint8_t it[TESS_ID_LEN], is[TESS_ID_LEN], ib[TESS_ID_LEN];
	struct search_hit *hits;
	char *cause = NULL;
	size_t n;

	/* Unrelated records, so that the word is rare enough to weigh. */
	for (int i = 0; i < 4; i++) {
		struct publish_fields other = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
			.title = "Learning community", .body = "Water, sand and people." };

		assert_int_equal(publish_add(fx->fresh, me, &other, NULL, &cause), 0);
	}
	/* The title match is the oldest: recency must not beat it. */
	assert_int_equal(publish_add(fx->fresh, me, &title, it, &cause), 0);
	assert_int_equal(publish_add(fx->fresh, me, &summary, is, &cause), 0);
	assert_int_equal(publish_add(fx->fresh, me, &body, ib, &cause), 0);
	hits = searchfix_query(fx->fresh, "zeolite", NULL, &n);
	assert_int_equal(n, 3);
	assert_int_equal(hits[0].seq, searchfix_seq_of(fx->fresh, it));
	assert_true(hits[0].score < hits[1].score);
	assert_true(searchfix_has_hit(hits, n, searchfix_seq_of(fx->fresh, ib)));
	/* The body-only match is last. */
	assert_int_equal(hits[2].seq, searchfix_seq_of(fx->fresh, ib));
	assert_true(strstr(hits[0].snippet, "[Zeolite]") != NULL);
	search_hits_free(hits, n);
}

static void
test_reindex_on_change(void **state)
{
	struct searchfix *fx = *state;
	struct identity *me = fx->id[ROMANIA], *other = fx->id[EVORA];
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ro",
		.title = "Grădina comunității", .body = "Legume și flori." };
	struct publish_fields e = { .title = "Livada comunității" };
	struct publish_fields g = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "pt",
		.title = "Horta comunitária" };
	uint8_t id[TESS_ID_LEN], gid[TESS_ID_LEN];
	struct search_hit *hits;
	char *cause = NULL;
	uint64_t removed;
	size_t n;

	assert_int_equal(publish_add(fx->fresh, me, &f, id, &cause), 0);
	hits = searchfix_query(fx->fresh, "gradina", NULL, &n);
	assert_int_equal(n, 1);
	search_hits_free(hits, n);

	/* An edit replaces the indexed words. */
	assert_int_equal(publish_edit(fx->fresh, me, id, &e, &cause), 0);
	searchfix_fts_ok(fx->fresh);
	hits = searchfix_query(fx->fresh, "gradina", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
	hits = searchfix_query(fx->fresh, "livada", NULL, &n);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].seq, searchfix_seq_of(fx->fresh, id));
	search_hits_free(hits, n);
	hits = searchfix_query(fx->fresh, "legume", NULL, &n);   /* unchanged body */
	assert_int_equal(n, 1);
	search_hits_free(hits, n);

	/* A deletion removes it from search and listing. */
	assert_int_equal(publish_delete(fx->fresh, me, id, &cause), 0);
	searchfix_fts_ok(fx->fresh);
	hits = searchfix_query(fx->fresh, "livada", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
	hits = searchfix_query(fx->fresh, "legume", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
	{
		uint64_t *seqs;

		assert_int_equal(search_list(fx->fresh, &(struct search_filter){ 0 }, &seqs, &n), 0);
		assert_int_equal(n, 0);
		free(seqs);
	}

	/* Blocking an author removes its texts from the index. */
	assert_int_equal(publish_add(fx->fresh, other, &g, gid, &cause), 0);
	hits = searchfix_query(fx->fresh, "horta", NULL, &n);
	assert_int_equal(n, 1);
	search_hits_free(hits, n);
	assert_int_equal(store_block(fx->fresh, other->pub, true, &removed), 0);
	assert_int_equal(removed, 1);
	searchfix_fts_ok(fx->fresh);
	hits = searchfix_query(fx->fresh, "horta", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
	hits = searchfix_query(fx->fresh, "comunitaria", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
}

/* Texts are indexed after the commit: edits, rollbacks, blocks and
 * reopening inside and across transactions keep index and texts in step. */
static void
test_index_in_transactions(void **state)
{
	struct searchfix *fx = *state;
	struct identity *me = fx->id[CATALONIA], *other = fx->id[WALES];
	struct publish_fields x = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ca",
		.title = "Hort comunitari", .body = "Tomàquets i enciams." };
	struct publish_fields x2 = { .title = "Jardí comunitari" };
	struct publish_fields x3 = { .lang = "es", .title = "Huerto comunitario" };
	struct publish_fields y = { .kind = TESSERA__KIND__KIND_INITIATIVE, .lang = "en",
		.title = "Seed library" };
	struct publish_fields z = { .kind = TESSERA__KIND__KIND_INITIATIVE, .lang = "en",
		.title = "Tool library" };
	uint8_t idx[TESS_ID_LEN], idy[TESS_ID_LEN], idz[TESS_ID_LEN];
	char *cause = NULL;
	uint64_t removed;

	/* Create, edit twice and add another, all in one transaction. */
	assert_int_equal(store_begin(fx->fresh), 0);
	assert_int_equal(publish_add(fx->fresh, me, &x, idx, &cause), 0);
	assert_int_equal(publish_edit(fx->fresh, me, idx, &x2, &cause), 0);
	assert_int_equal(publish_edit(fx->fresh, me, idx, &x3, &cause), 0);
	assert_int_equal(publish_add(fx->fresh, other, &y, idy, &cause), 0);
	assert_int_equal(store_commit(fx->fresh), 0);
	searchfix_fts_ok(fx->fresh);
	assert_int_equal(searchfix_count(fx->fresh, "hort"), 0);
	assert_int_equal(searchfix_count(fx->fresh, "jardi"), 1);
	assert_int_equal(searchfix_count(fx->fresh, "huerto"), 1);
	assert_int_equal(searchfix_count(fx->fresh, "tomaquets"), 1);
	assert_int_equal(searchfix_count(fx->fresh, "seed"), 1);

	/* A rolled-back record leaves no trace; the next one is indexed. */
	assert_int_equal(store_begin(fx->fresh), 0);
	assert_int_equal(publish_add(fx->fresh, me, &z, idz, &cause), 0);
	assert_int_equal(publish_edit(fx->fresh, me, idx, &x, &cause), 0);
	store_rollback(fx->fresh);
	searchfix_fts_ok(fx->fresh);
	assert_int_equal(searchfix_count(fx->fresh, "tool"), 0);
	assert_int_equal(searchfix_count(fx->fresh, "jardi"), 1);
	assert_int_equal(publish_add(fx->fresh, me, &z, idz, &cause), 0);
	searchfix_fts_ok(fx->fresh);
	assert_int_equal(searchfix_count(fx->fresh, "tool"), 1);

	/* Remove the newest texts, then add: numbering must not confuse the index. */
	assert_int_equal(publish_delete(fx->fresh, me, idz, &cause), 0);
	searchfix_fts_ok(fx->fresh);
	assert_int_equal(searchfix_count(fx->fresh, "tool"), 0);
	assert_int_equal(store_block(fx->fresh, other->pub, true, &removed), 0);
	assert_int_equal(removed, 1);
	searchfix_fts_ok(fx->fresh);
	assert_int_equal(searchfix_count(fx->fresh, "seed"), 0);

	/* Across a reopen. */
	{
		struct store *st;

		store_close(fx->fresh);
		fx->fresh = NULL;
		assert_int_equal(store_open(fx->freshdir, false, &st, &cause), 0);
		fx->fresh = st;
	}
	searchfix_fts_ok(fx->fresh);
	assert_int_equal(searchfix_count(fx->fresh, "jardi"), 1);
	assert_int_equal(publish_edit(fx->fresh, me, idx, &x, &cause), 0);
	searchfix_fts_ok(fx->fresh);
	assert_int_equal(searchfix_count(fx->fresh, "hort"), 1);
	assert_int_equal(searchfix_count(fx->fresh, "jardi"), 0);
	assert_int_equal(publish_add(fx->fresh, me, &z, idz, &cause), 0);
	assert_int_equal(store_block(fx->fresh, other->pub, false, &removed), 0);
	assert_int_equal(publish_add(fx->fresh, other, &y, idy, &cause), 0);
	searchfix_fts_ok(fx->fresh);
	assert_int_equal(searchfix_count(fx->fresh, "tool"), 1);
	assert_int_equal(searchfix_count(fx->fresh, "seed"), 1);
	assert_int_equal(searchfix_count(fx->fresh, "library"), 2);
}

static void
test_list_newest_first(void **state)
{
	struct searchfix *fx = *state;
	struct identity *me = fx->id[NAGYKOVACSI];
	static const char *titles[] = { "Egy", "Kettő", "Három", "Négy", "Öt" };
	uint8_t id[5][TESS_ID_LEN];
	uint64_t seq[5], *seqs;
	char *cause = NULL;
	size_t n;

	for (int i = 0; i < 5; i++) {
		struct publish_fields f = { .kind = i % 2 ? TESSERA__KIND__KIND_INITIATIVE :
					    TESSERA__KIND__KIND_RESOURCE,
			.lang = i < 3 ? "hu" : "en", .title = titles[i] };

		assert_int_equal(publish_add(fx->fresh, me, &f, id[i], &cause), 0);
		seq[i] = searchfix_seq_of(fx->fresh, id[i]);
	}
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ 0 }, &seqs, &n), 0);
	assert_int_equal(n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(seqs[i], seq[4 - i]);
	free(seqs);
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ .limit = 2 }, &seqs, &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], seq[4]);
	assert_int_equal(seqs[1], seq[3]);
	free(seqs);
	/* Filters. */
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ .kind =
	    TESSERA__KIND__KIND_INITIATIVE }, &seqs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], seq[3]);
	assert_int_equal(seqs[1], seq[1]);
	free(seqs);
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ .lang = "en" }, &seqs,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], seq[4]);
	free(seqs);
	{
		struct search_filter f = { .has_author = true };

		memcpy(f.author, fx->id[WALES]->pub, TESS_KEY_LEN);
		assert_int_equal(search_list(fx->fresh, &f, &seqs, &n), 0);
		assert_int_equal(n, 0);
		free(seqs);
		memcpy(f.author, me->pub, TESS_KEY_LEN);
		assert_int_equal(search_list(fx->fresh, &f, &seqs, &n), 0);
		assert_int_equal(n, 5);
		free(seqs);
	}

	/* An edit makes the oldest the newest. */
	{
		struct publish_fields e = { .summary = "Frissítve" };

		assert_int_equal(publish_edit(fx->fresh, me, id[0], &e, &cause), 0);
		seq[0] = searchfix_seq_of(fx->fresh, id[0]);
	}
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ .limit = 1 }, &seqs, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], seq[0]);
	free(seqs);

	/* Newest by the record's own time: one that arrives late but was written
	 * long ago goes to the end. */
	{
		Tessera__Record r = TESSERA__RECORD__INIT, *dec = NULL;
		Tessera__Text t = TESSERA__TEXT__INIT, *tp[1] = { &t };
		uint8_t nonce[TESS_NONCE_LEN], rid[TESS_ID_LEN], *bytes, sig[TESS_SIG_LEN];
		enum store_put_result res;
		size_t len;

		assert_int_equal(record_new_id(fx->id[ITALY]->pub, nonce, rid), 0);
		r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
		r.id = (ProtobufCBinaryData){ TESS_ID_LEN, rid };
		r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
		r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)fx->id[ITALY]->pub };
		r.version = 1;
		r.timestamp = now_ms() - 86400000;
		r.has_kind = 1;
		r.kind = TESSERA__KIND__KIND_RESOURCE;
		t.lang = "it";
		t.title = "Comunità di ieri";
		r.n_texts = 1;
		r.texts = tp;
		assert_int_equal(record_seal(fx->id[ITALY], &r, &bytes, &len, sig), 0);
		assert_int_equal(record_open(bytes, len, sig, TESS_SIG_LEN, &dec, NULL), 0);
		assert_int_equal(store_put(fx->fresh, bytes, len, sig, dec, &res), 0);
		assert_int_equal(res, STORE_STORED);
		assert_int_equal(search_list(fx->fresh, &(struct search_filter){ 0 }, &seqs, &n),
		    0);
		assert_int_equal(n, 6);
		assert_int_equal(seqs[5], searchfix_seq_of(fx->fresh, rid));
		assert_int_equal(seqs[0], seq[0]);
		free(seqs);
		record_free(dec);
		free(bytes);
	}
}

/* The shared store holds the demo data of the source tree. */
static int
demo_setup(void **state)
{
	return searchfix_group_setup(state, TESSERA_DATA_DIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ranking, searchfix_setup_fresh,
		    searchfix_teardown_fresh),
		cmocka_unit_test_setup_teardown(test_reindex_on_change, searchfix_setup_fresh,
		    searchfix_teardown_fresh),
		cmocka_unit_test_setup_teardown(test_index_in_transactions, searchfix_setup_fresh,
		    searchfix_teardown_fresh),
		cmocka_unit_test_setup_teardown(test_list_newest_first, searchfix_setup_fresh,
		    searchfix_teardown_fresh),
	};

	return cmocka_run_group_tests(tests, demo_setup, searchfix_group_teardown);
}
