/* Store: blocking, id prefixes, next versions, reopening a store. */
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
test_block(void **state)
{
	struct storefix *fx = *state;
	uint8_t ida[3][TESS_ID_LEN], idb[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	struct storefix_draft d;
	struct storefix_sealed keep;
	struct store_author *authors;
	struct store_stats stats;
	uint64_t removed = 99, top;
	size_t len, n;
	bool found = false;

	assert_int_equal(storefix_put_new(fx->st, fx->b, "Liber", 1, idb), STORE_STORED);
	for (int i = 0; i < 3; i++)
		assert_int_equal(storefix_put_new(fx->st, fx->a, "Blocat", 1, ida[i]),
		    STORE_STORED);
	top = storefix_seq_of(fx->st, ida[2]);
	storefix_draft_init(&d, fx->a, "Blocat", 5);
	storefix_seal(&keep, fx->a, &d.r);      /* not stored yet */
	assert_false(store_is_blocked(fx->st, fx->a->pub));

	assert_int_equal(store_block(fx->st, fx->a->pub, true, &removed), 0);
	assert_int_equal(removed, 3);
	assert_true(store_is_blocked(fx->st, fx->a->pub));
	assert_false(store_is_blocked(fx->st, fx->b->pub));
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_get(fx->st, ida[i], &body, &len, sig, NULL), -ENOENT);
	assert_int_equal(store_get(fx->st, idb, &body, &len, sig, NULL), 0);
	free(body);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 1);
	/* Sequence numbers of removed records are never handed out again. */
	{
		uint8_t idc[TESS_ID_LEN];

		assert_int_equal(store_max_seq(fx->st), storefix_seq_of(fx->st, idb));
		assert_true(store_seq_mark(fx->st) >= top);
		assert_int_equal(storefix_put_new(fx->st, fx->b, "După blocare", 1, idc),
		    STORE_STORED);
		assert_true(storefix_seq_of(fx->st, idc) > top);
		assert_int_equal(store_max_seq(fx->st), storefix_seq_of(fx->st, idc));
	}

	/* Later puts, new or already seen, are refused. */
	assert_int_equal(storefix_put(fx->st, &keep), STORE_BLOCKED);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Din nou", 1, NULL), STORE_BLOCKED);
	assert_int_equal(store_get(fx->st, d.id, &body, &len, sig, NULL), -ENOENT);

	/* The author stays listed as blocked. */
	assert_int_equal(store_authors(fx->st, &authors, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (memcmp(authors[i].author, fx->a->pub, TESS_KEY_LEN) == 0) {
			found = true;
			assert_true(authors[i].blocked);
			assert_int_equal(authors[i].records, 0);
		}
	assert_true(found);
	store_authors_free(authors, n);

	/* Blocking an unknown author works before it sends anything. */
	{
		uint8_t stranger[TESS_KEY_LEN];

		memset(stranger, 0x5a, sizeof(stranger));
		assert_int_equal(store_block(fx->st, stranger, true, &removed), 0);
		assert_int_equal(removed, 0);
		assert_true(store_is_blocked(fx->st, stranger));
	}

	/* Unblocking lets records in again. */
	assert_int_equal(store_block(fx->st, fx->a->pub, false, &removed), 0);
	assert_int_equal(removed, 0);
	assert_false(store_is_blocked(fx->st, fx->a->pub));
	assert_int_equal(storefix_put(fx->st, &keep), STORE_STORED);
	storefix_sealed_free(&keep);
}

/* How many of ids[0..n) start with the hex prefix. */
static size_t
count_prefix(uint8_t (*ids)[TESS_ID_LEN], size_t n, const char *prefix)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++) {
		char hex[2 * TESS_ID_LEN + 1];

		hex_encode(ids[i], TESS_ID_LEN, hex);
		if (strncasecmp(hex, prefix, strlen(prefix)) == 0)
			c++;
	}
	return c;
}

static void
check_prefix(struct store *st, uint8_t (*all)[TESS_ID_LEN], size_t nall, const char *prefix,
    size_t max)
{
	uint8_t found[32][TESS_ID_LEN];
	size_t n = 999, want = count_prefix(all, nall, prefix);

	assert_true(max <= 32);
	assert_int_equal(store_find_prefix(st, prefix, found, max, &n), 0);
	assert_int_equal(n, want > max ? max + 1 : want);
	for (size_t i = 0; i < n && i < max; i++) {
		char hex[2 * TESS_ID_LEN + 1];

		hex_encode(found[i], TESS_ID_LEN, hex);
		assert_int_equal(strncasecmp(hex, prefix, strlen(prefix)), 0);
		if (i > 0)
			assert_true(memcmp(found[i - 1], found[i], TESS_ID_LEN) < 0);
	}
}

static void
test_find_prefix(void **state)
{
	struct storefix *fx = *state;
	uint8_t all[40][TESS_ID_LEN], found[4][TESS_ID_LEN];
	size_t nall = 0, n;
	char hex[2 * TESS_ID_LEN + 2], prefix[2 * TESS_ID_LEN + 2];
	struct storefix_draft d1, d2;
	int pair = 0;

	/* Seventeen records: at least two share their first hex digit. */
	for (int i = 0; i < 17; i++)
		assert_int_equal(storefix_put_new(fx->st, fx->a, "Prefix", 1, all[nall++]),
		    STORE_STORED);
	/* Two ids sharing their first byte, found by drawing nonces. */
	for (int tries = 0; tries < 100000 && !pair; tries++) {
		storefix_draft_init(&d1, fx->a, "Pereche", 1);
		for (int k = 0; k < 64 && !pair; k++) {
			storefix_draft_init(&d2, fx->a, "Pereche", 1);
			pair = d1.id[0] == d2.id[0];
		}
	}
	assert_true(pair);
	{
		struct storefix_sealed s;

		storefix_seal(&s, fx->a, &d1.r);
		assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
		storefix_sealed_free(&s);
		storefix_seal(&s, fx->a, &d2.r);
		assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
		storefix_sealed_free(&s);
		memcpy(all[nall++], d1.id, TESS_ID_LEN);
		memcpy(all[nall++], d2.id, TESS_ID_LEN);
	}

	/* 1 and 2 hex digits: ambiguous. */
	hex_encode(d1.id, TESS_ID_LEN, hex);
	snprintf(prefix, sizeof(prefix), "%.1s", hex);
	assert_true(count_prefix(all, nall, prefix) >= 2);
	check_prefix(fx->st, all, nall, prefix, 1);
	check_prefix(fx->st, all, nall, prefix, 32);
	snprintf(prefix, sizeof(prefix), "%.2s", hex);
	assert_true(count_prefix(all, nall, prefix) >= 2);
	check_prefix(fx->st, all, nall, prefix, 1);
	check_prefix(fx->st, all, nall, prefix, 2);
	check_prefix(fx->st, all, nall, prefix, 32);
	/* Every first hex digit, ambiguous or not. */
	for (const char *c = "0123456789abcdef"; *c; c++) {
		char p[2] = { *c, '\0' };

		check_prefix(fx->st, all, nall, p, 32);
		check_prefix(fx->st, all, nall, p, 1);
	}
	/* 31 and 32 digits: exactly one, in either case. */
	for (size_t i = 0; i < nall; i++) {
		hex_encode(all[i], TESS_ID_LEN, hex);
		n = 0;
		assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), 0);
		assert_int_equal(n, 1);
		assert_memory_equal(found[0], all[i], TESS_ID_LEN);
		hex[31] = '\0';
		n = 0;
		assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), 0);
		assert_int_equal(n, 1);
		assert_memory_equal(found[0], all[i], TESS_ID_LEN);
		for (char *p = hex; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		n = 0;
		assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), 0);
		assert_int_equal(n, 1);
	}
	/* A full id that is not stored; its 31-digit neighbour range too. */
	hex_encode(all[0], TESS_ID_LEN, hex);
	hex[31] = hex[31] == '0' ? '1' : '0';
	n = 9;
	assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), 0);
	assert_int_equal(n, 0);
	/* Not hex prefixes. */
	assert_int_equal(store_find_prefix(fx->st, "", found, 4, &n), -EINVAL);
	assert_int_equal(store_find_prefix(fx->st, "xyz", found, 4, &n), -EINVAL);
	assert_int_equal(store_find_prefix(fx->st, "ab-c", found, 4, &n), -EINVAL);
	hex_encode(all[0], TESS_ID_LEN, hex);
	strcat(hex, "0");
	assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), -EINVAL);
}

static void
test_next_version(void **state)
{
	struct storefix *fx = *state;
	uint64_t prev = 0, v, before, future;
	uint8_t id[TESS_ID_LEN];
	struct store *st2;
	char *cause = NULL;

	for (int i = 0; i < 2000; i++) {
		before = storefix_now_us();
		v = store_next_version(fx->st, fx->a->pub);
		assert_true(v >= before);
		assert_true(v > prev);
		prev = v;
	}
	/* Another author draws from the same clock, still strictly increasing. */
	v = store_next_version(fx->st, fx->b->pub);
	assert_true(v > prev);
	prev = v;

	/* Above every version of ours we have seen, even one from the future
	 * (a restored backup meeting the versions it made before). */
	future = storefix_now_us() + 3600ULL * 1000000 * 24 * 365;
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Viitor", future, id), STORE_STORED);
	v = store_next_version(fx->st, fx->a->pub);
	assert_true(v > future);
	assert_true(v > prev);
	/* Also after reopening, when nothing is cached in memory. */
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, false, &st2, &cause), 0);
	fx->st = st2;
	v = store_next_version(fx->st, fx->a->pub);
	assert_true(v > future);
	/* And for a published edit. */
	{
		struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "pt",
			.title = "Ferramenta" };
		Tessera__Record *r;
		uint8_t pid[TESS_ID_LEN];

		assert_int_equal(publish_add(fx->st, fx->a, &f, pid, &cause), 0);
		r = storefix_load(fx->st, pid);
		assert_true(r->version > v);
		record_free(r);
	}
}

static void
test_open_existing(void **state)
{
	struct storefix *fx = *state;
	struct store *st2 = NULL, *other = NULL;
	uint8_t epoch[TESS_EPOCH_LEN], id[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	char *cause = NULL, dir[64];
	size_t len;
	uint64_t seq, before;

	memcpy(epoch, store_epoch(fx->st), TESS_EPOCH_LEN);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Persistent", 1, id), STORE_STORED);
	seq = storefix_seq_of(fx->st, id);

	/* Creating over an existing database fails, open or not. */
	assert_int_equal(store_open(fx->dir, true, &st2, &cause), -EEXIST);
	assert_null(st2);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, true, &st2, &cause), -EEXIST);
	free(cause);
	cause = NULL;

	/* Reopening keeps the epoch and the records. */
	before = storefix_now_us();
	assert_int_equal(store_open(fx->dir, false, &st2, &cause), 0);
	fx->st = st2;
	assert_memory_equal(store_epoch(fx->st), epoch, TESS_EPOCH_LEN);
	assert_int_equal(store_get(fx->st, id, &body, &len, sig, NULL), 0);
	free(body);
	assert_int_equal(storefix_seq_of(fx->st, id), seq);
	assert_int_equal(store_max_seq(fx->st), seq);
	/* New puts continue the sequence, from at least the time of opening in
	 * microseconds (a restored backup never reuses numbers). */
	assert_true(store_seq_mark(fx->st) >= before);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Dupa", 1, id), STORE_STORED);
	assert_true(storefix_seq_of(fx->st, id) > seq);
	assert_true(storefix_seq_of(fx->st, id) > before);
	assert_int_equal(store_max_seq(fx->st), storefix_seq_of(fx->st, id));

	/* Another store has another epoch. */
	storefix_make_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, false, &other, &cause), -ENOENT);
	assert_null(other);
	free(cause);
	cause = NULL;
	assert_int_equal(store_open(dir, true, &other, &cause), 0);
	assert_memory_not_equal(store_epoch(other), epoch, TESS_EPOCH_LEN);
	store_close(other);
	storefix_remove_dir(dir);
	store_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_block, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_find_prefix, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_next_version, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_open_existing, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup,
	    storefix_group_teardown);
}
