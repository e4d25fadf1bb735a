/* Texts tokenized ahead of their indexing slice (store.h, "Tokenizing
 * ahead"): what the slice replays must be exactly what the tokenizer
 * computes, which FTS5's integrity check verifies by tokenizing every text
 * again; texts removed between the batch and its slice are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "searchfix.h"

#include <stdio.h>
#include <string.h>

#include "core/identity.h"
#include "store/publish.h"
#include "store/store.h"

#define NREC 48

/* Texts in the communities' languages, with diacritics, ё, l·l, ș/ş. */
static const struct {
	const char *lang, *title, *body;
} texts[] = {
	{ "pt", "Hortas comunitárias em Évora", "Como começar uma horta: regas, sementes e vizinhos." },
	{ "hu", "Közösségi kertek Nagykovácsiban", "A közösségek tanulnak egymástól; ősszel ültetünk." },
	{ "ro", "Grădina comunității", "Comunitățile învață împreună: şcoli, ţesături, parteneriate." },
	{ "ru", "Сообщества и партнёрство", "Ещё одно руководство о сотрудничестве и обучении." },
	{ "ca", "Col·lectiu de l'horta", "La col·laboració entre veïns fa créixer el col·lectiu." },
	{ "it", "Orti condivisi", "Le comunità imparano insieme: più attività, più città." },
	{ "en", "Learning communities", "Guides for learners; learning by doing, 2026 edition." },
	{ "cy", "Gerddi cymunedol", "Dysgu gyda'n gilydd yng Nghymru, ŵyr ac ŷd." },
};

static void
publish_many(struct searchfix *fx, uint8_t ids[NREC][TESS_ID_LEN])
{
	char *cause = NULL;

	for (int i = 0; i < NREC; i++) {
		size_t k = (size_t)i % (sizeof(texts) / sizeof(texts[0]));
		char title[128], body[256];
		struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE,
			.lang = texts[k].lang, .title = title, .body = body };

		/* Every text differs: equal texts would replay alike anywhere. */
		snprintf(title, sizeof(title), "%s %d", texts[k].title, i);
		snprintf(body, sizeof(body), "%s (%d)", texts[k].body, i);
		assert_int_equal(publish_add(fx->fresh, fx->id[WALES], &f, ids[i], &cause), 0);
	}
	assert_true(store_index_pending(fx->fresh));
}

/* A batch of the texts after the first slice of 8, tokenized (here on the
 * test's thread) and handed back, as node_index.c does on the pool. */
static struct store_prep *
prepared(struct store *st)
{
	struct store_prep *p = store_index_prepare(st, 8, 4096);

	assert_non_null(p);
	/* One batch at a time: the tokenizer's worker is claimed. */
	assert_null(store_index_prepare(st, 8, 4096));
	store_index_prep_run(p);
	store_index_prep_done(st, p);
	return p;
}

static void
test_replayed_like_computed(void **state)
{
	struct searchfix *fx = *state;
	uint8_t ids[NREC][TESS_ID_LEN];
	struct store_prep *p;

	publish_many(fx, ids);
	p = prepared(fx->fresh);
	assert_true(store_prep_texts(p) > 0);
	/* The first slice is not in the batch: nothing replayed. */
	assert_int_equal(store_index_step_with(fx->fresh, 8, p), 0);
	assert_int_equal(store_prep_replayed(p), 0);
	assert_int_equal(store_index_step_with(fx->fresh, 4096, p), 0);
	assert_int_equal(store_prep_replayed(p), store_prep_texts(p));
	store_prep_free(p);
	searchfix_fts_ok(fx->fresh);
	/* Found by the forms the replayed tokens carry: folded, stemmed. */
	assert_true(searchfix_count(fx->fresh, "partnerstve") > 0);
	assert_true(searchfix_count(fx->fresh, "kozosseg") > 0);
	assert_true(searchfix_count(fx->fresh, "collectiu") > 0);
	/* The next batch can be claimed again. */
	assert_null(store_index_prepare(fx->fresh, 8, 4096));   /* nothing waits */
}

static void
test_removed_before_slice(void **state)
{
	struct searchfix *fx = *state;
	uint8_t ids[NREC][TESS_ID_LEN];
	struct store_prep *p;
	char *cause = NULL;

	publish_many(fx, ids);
	p = prepared(fx->fresh);
	/* Two records of the batch go before its slice runs. */
	assert_int_equal(publish_delete(fx->fresh, fx->id[WALES], ids[20], &cause), 0);
	assert_int_equal(publish_delete(fx->fresh, fx->id[WALES], ids[21], &cause), 0);
	assert_int_equal(store_index_step_with(fx->fresh, 8, p), 0);
	assert_int_equal(store_index_step_with(fx->fresh, 4096, p), 0);
	/* Their texts are skipped, the rest replayed. */
	assert_true(store_prep_replayed(p) > 0);
	assert_true(store_prep_replayed(p) < store_prep_texts(p));
	store_prep_free(p);
	searchfix_fts_ok(fx->fresh);
}

static void
test_stale_batch(void **state)
{
	struct searchfix *fx = *state;
	uint8_t ids[NREC][TESS_ID_LEN];
	struct store_prep *p;

	publish_many(fx, ids);
	p = prepared(fx->fresh);
	/* Everything indexed meanwhile (a search catching up): the batch is
	 * no use and does no harm. */
	assert_int_equal(store_index_catch_up(fx->fresh, SIZE_MAX), 0);
	assert_int_equal(store_index_step_with(fx->fresh, 4096, p), 0);
	assert_int_equal(store_prep_replayed(p), 0);
	store_prep_free(p);
	searchfix_fts_ok(fx->fresh);
}

static int
demo_setup(void **state)
{
	return searchfix_group_setup(state, TESSERA_DATA_DIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replayed_like_computed, searchfix_setup_fresh,
		    searchfix_teardown_fresh),
		cmocka_unit_test_setup_teardown(test_removed_before_slice, searchfix_setup_fresh,
		    searchfix_teardown_fresh),
		cmocka_unit_test_setup_teardown(test_stale_batch, searchfix_setup_fresh,
		    searchfix_teardown_fresh),
	};

	return cmocka_run_group_tests(tests, demo_setup, searchfix_group_teardown);
}
