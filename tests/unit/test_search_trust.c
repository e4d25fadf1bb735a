/* Search and listing against hostile authors (issue 16): records signed by
 * throwaway keys that carry 32 texts each, are re-signed to look new, or
 * claim a timestamp in the year 9999, must not push the node's own records
 * out of a search page or off the top of `tessera list`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/identity.h"
#include "core/record.h"
#include "store/publish.h"
#include "store/search.h"
#include "store/store.h"
#include "storefix.h"
#include "testid.h"

#define SPAM_KEYS 4
#define OWN 30
#define YEAR_9999_MS 253402300799000LL

struct spam {
	char dir[SPAM_KEYS][64];
	struct identity *id[SPAM_KEYS];
};

/* A record by me with TESS_MAX_TEXTS texts, each stuffed with word. */
struct fat {
	Tessera__Record r;
	Tessera__Text text[TESS_MAX_TEXTS], *texts[TESS_MAX_TEXTS];
	char lang[TESS_MAX_TEXTS][4];
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN];
};

static void
fat_init(struct fat *f, const struct identity *me, const char *stuffing, int64_t ts)
{
	memset(f, 0, sizeof(*f));
	testid_record_init(&f->r, f->id, f->nonce, me, 1, ts);
	for (int i = 0; i < TESS_MAX_TEXTS; i++) {
		tessera__text__init(&f->text[i]);
		snprintf(f->lang[i], sizeof(f->lang[i]), "%c%c", 'a' + i / 26, 'a' + i % 26);
		f->text[i].lang = f->lang[i];
		f->text[i].title = (char *)stuffing;
		f->text[i].summary = (char *)stuffing;
		f->texts[i] = &f->text[i];
	}
	f->r.n_texts = TESS_MAX_TEXTS;
	f->r.texts = f->texts;
}

static void
fat_put(struct store *st, const struct identity *me, struct fat *f)
{
	struct storefix_sealed s;

	storefix_seal(&s, me, &f->r);
	assert_int_equal(storefix_put(st, &s), STORE_STORED);
	storefix_sealed_free(&s);
}

static int
spam_keys(struct spam *sp)
{
	return testid_pair("test_spam", sp->dir[0], sp->dir[1], sizeof(sp->dir[0]), &sp->id[0],
	    &sp->id[1]) != 0 || testid_pair("test_spam", sp->dir[2], sp->dir[3],
	    sizeof(sp->dir[0]), &sp->id[2], &sp->id[3]) != 0 ? -1 : 0;
}

static void
spam_free(struct spam *sp)
{
	assert_int_equal(testid_pair_free(sp->dir[0], sp->dir[1], sp->id[0], sp->id[1]), 0);
	assert_int_equal(testid_pair_free(sp->dir[2], sp->dir[3], sp->id[2], sp->id[3]), 0);
}

static uint64_t
own_add(struct store *st, const struct identity *me, const char *title)
{
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_INITIATIVE, .lang = "en",
		.title = title, .summary = "A monthly meeting of neighbours." };
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;

	if (publish_add(st, me, &f, id, &cause) != 0)
		fail_msg("publish: %s", cause);
	return storefix_seq_of(st, id);
}

static bool
author_is(struct store *st, uint64_t seq, const uint8_t *author)
{
	sqlite3_stmt *s;
	bool same = false;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT author FROM records WHERE seq = ?1",
	    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == TESS_KEY_LEN)
		same = memcmp(sqlite3_column_blob(s, 0), author, TESS_KEY_LEN) == 0;
	sqlite3_finalize(s);
	return same;
}

static bool
is_own(const uint64_t *own, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (own[i] == seq)
			return true;
	return false;
}

/* The node's 30 repair records, then per spamming key `per_key` records
 * with 32 texts saying "repair", each re-signed once to be the newest:
 * the node's records must keep the whole first page. */
static void
spam_run(struct storefix *fx, int per_key)
{
	struct spam sp;
	uint64_t own[OWN];
	struct search_hit *hits;
	struct fat *f = malloc(sizeof(*f));
	char title[64], *cause = NULL;
	size_t n, mine = 0;

	assert_non_null(f);
	assert_int_equal(spam_keys(&sp), 0);
	store_set_local(fx->st, fx->a->pub);
	for (int i = 0; i < OWN; i++) {
		snprintf(title, sizeof(title), "Repair cafe %d", i);
		own[i] = own_add(fx->st, fx->a, title);
	}
	for (int k = 0; k < SPAM_KEYS; k++)
		for (int i = 0; i < per_key; i++) {
			fat_init(f, sp.id[k], "repair repair repair repair", 1700000000000LL + i);
			fat_put(fx->st, sp.id[k], f);
			/* A new version costs nothing and is stored anew. */
			f->r.version = 2;
			f->r.timestamp++;
			fat_put(fx->st, sp.id[k], f);
		}
	assert_int_equal(search_query(fx->st, "repair", &(struct search_filter){ 0 }, &hits, &n,
	    &cause), 0);
	assert_int_equal(n, SEARCH_DEFAULT_LIMIT);
	for (size_t i = 0; i < n; i++)
		mine += is_own(own, OWN, hits[i].seq);
	assert_int_equal(mine, n);
	search_hits_free(hits, n);
	/* Filtered to one spammer's community, its records are all shown. */
	{
		struct search_filter flt = { .has_author = true, .limit = 100 };

		memcpy(flt.author, sp.id[0]->pub, TESS_KEY_LEN);
		assert_int_equal(search_query(fx->st, "repair", &flt, &hits, &n, NULL), 0);
		assert_int_equal(n, (size_t)per_key);
		search_hits_free(hits, n);
	}
	spam_free(&sp);
	free(f);
}

/* 20 records from 4 throwaway keys (issue 16). Before candidates were
 * counted per record, their 640 texts filled the window of 600. */
static void
test_spam_keeps_own_records(void **state)
{
	spam_run(*state, 5);
}

/* A flood larger than the candidate window (1,280 texts): the node's
 * records are found by the pass over trusted authors. */
static void
test_flood_keeps_own_records(void **state)
{
	spam_run(*state, 10);
}

/* Strangers only: no one of them holds more than a fifth of the page (at
 * least 2), however well its records score. */
static void
test_author_share(void **state)
{
	struct storefix *fx = *state;
	struct spam sp;
	struct fat *f = malloc(sizeof(*f));
	struct search_hit *hits;
	size_t n;

	assert_non_null(f);
	assert_int_equal(spam_keys(&sp), 0);
	for (int i = 0; i < 12; i++) {
		fat_init(f, sp.id[0], "workshop workshop workshop", 1700000000000LL + i);
		fat_put(fx->st, sp.id[0], f);
	}
	for (int i = 0; i < 3; i++) {
		fat_init(f, sp.id[1], "a workshop on bicycles", 1700000000000LL + i);
		fat_put(fx->st, sp.id[1], f);
	}
	assert_int_equal(search_query(fx->st, "workshop", &(struct search_filter){ .limit = 10 },
	    &hits, &n, NULL), 0);
	assert_int_equal(n, 4);
	for (int k = 0; k < 2; k++) {
		size_t by = 0;

		for (size_t i = 0; i < n; i++)
			by += author_is(fx->st, hits[i].seq, sp.id[k]->pub);
		assert_int_equal(by, 2);
	}
	search_hits_free(hits, n);
	spam_free(&sp);
	free(f);
}

/* Records claiming the year 9999 arrive first; records published later
 * are listed above them (the timestamp is clamped to the arrival). */
static void
test_future_timestamps_do_not_pin(void **state)
{
	struct storefix *fx = *state;
	struct spam sp;
	struct fat *f = malloc(sizeof(*f));
	uint64_t own[3], *seqs;
	size_t n;

	assert_non_null(f);
	assert_int_equal(spam_keys(&sp), 0);
	/* Today such records are refused (max_clock_skew, STORE_FUTURE); a
	 * store may hold some from before the check, or from within a large
	 * skew: lists must still not put them first. */
	store_set_max_skew(fx->st, INT64_MAX / 4);
	for (int i = 0; i < 3; i++) {
		fat_init(f, sp.id[i], "from the future", YEAR_9999_MS);
		fat_put(fx->st, sp.id[i], f);
	}
	for (int i = 0; i < 3; i++)
		own[i] = own_add(fx->st, fx->a, "Community garden");
	assert_int_equal(search_list(fx->st, &(struct search_filter){ .limit = 3 }, &seqs, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_true(is_own(own, 3, seqs[i]));
	free(seqs);
	spam_free(&sp);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spam_keeps_own_records, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_flood_keeps_own_records, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_author_share, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_future_timestamps_do_not_pin, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
