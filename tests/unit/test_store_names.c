/* The store against hostile authors: names never override identities
 * (store_resolve_author, look-alikes in store_authors) and timestamps from
 * the far future are refused (STORE_FUTURE). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "storefix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/nodeid.h"
#include "core/util.h"

/* Stores me's profile named name. */
static void
put_profile(struct store *st, const struct identity *me, const char *name)
{
	struct storefix_draft d;
	struct storefix_sealed s;
	Tessera__Profile p = TESSERA__PROFILE__INIT;

	storefix_draft_init(&d, me, "", 1);
	d.r.kind = TESSERA__KIND__KIND_PROFILE;
	d.r.n_texts = 0;
	p.name = (char *)name;
	d.r.profile = &p;
	storefix_seal(&s, me, &d.r);
	assert_int_equal(storefix_put(st, &s), STORE_STORED);
	storefix_sealed_free(&s);
}

/* A third author for one test: removed by the caller with drop_author. */
static struct identity *
new_author(char *dir, size_t sz)
{
	struct identity *id = NULL;
	char *cause = NULL;

	storefix_make_dir(dir, sz);
	assert_int_equal(identity_create(dir, &id, &cause), 0);
	return id;
}

static void
drop_author(struct identity *id, const char *dir)
{
	identity_free(id);
	storefix_remove_dir(dir);
}

static void
test_lookalike_names(void **state)
{
	struct storefix *fx = *state;
	struct store_author *a;
	struct store_match m;
	char *cause = NULL;
	size_t n;

	put_profile(fx->st, fx->a, "\xc3\x89vora");
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Horta", 2, NULL), STORE_STORED);
	/* Alone, the name resolves, and says it was a name. */
	assert_int_equal(store_resolve_author(fx->st, "E\xcc\x81VORA", &m), 0);
	assert_memory_equal(m.author, fx->a->pub, TESS_KEY_LEN);
	assert_true(m.by_name);
	assert_int_equal(m.records, 2);
	assert_string_equal(m.name, "\xc3\x89vora");
	store_match_free(&m);

	/* The impostor, with a Cyrillic "а": now the name is nobody's. */
	put_profile(fx->st, fx->b, "\xc3\x89vor\xd0\xb0");
	assert_int_equal(store_resolve_author(fx->st, "\xc3\x89vora", &m), -EEXIST);
	assert_int_equal(m.n_found, 2);
	assert_int_equal(m.n_cands, 2);
	assert_non_null(strstr(m.cands[0], fx->a->id) != NULL ? m.cands[0] : m.cands[1]);
	assert_non_null(strstr(m.cands[0], fx->b->id) != NULL ? m.cands[0] : m.cands[1]);
	store_match_free(&m);
	/* Its ID still picks it. */
	assert_int_equal(store_resolve_author(fx->st, fx->b->id, &m), 0);
	assert_memory_equal(m.author, fx->b->pub, TESS_KEY_LEN);
	assert_false(m.by_name);
	store_match_free(&m);

	/* Each is the other's look-alike. */
	assert_int_equal(store_authors(fx->st, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].alike, 1);
	assert_int_equal(a[1].alike, 0);
	store_authors_free(a, n);

	/* Names stored before schema version 2 have no key: the next open
	 * computes them. */
	assert_int_equal(sqlite3_exec(store_db(fx->st), "UPDATE authors SET name_key = NULL",
	    NULL, NULL, NULL), SQLITE_OK);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, false, &fx->st, &cause), 0);
	assert_int_equal(store_authors(fx->st, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_non_null(a[0].key);
	assert_int_equal(a[0].alike, 1);
	store_authors_free(a, n);
}

static void
test_id_before_name(void **state)
{
	struct storefix *fx = *state;
	struct identity *c;
	struct store_match m;
	char dir[64], shortid[NODEID_SHORT + 1];

	put_profile(fx->st, fx->a, "Wales");
	nodeid_short(fx->a->pub, shortid);
	/* A profile named after a's short ID does not take a's ID. */
	put_profile(fx->st, fx->b, shortid);
	assert_int_equal(store_resolve_author(fx->st, shortid, &m), 0);
	assert_memory_equal(m.author, fx->a->pub, TESS_KEY_LEN);
	assert_false(m.by_name);
	store_match_free(&m);
	/* A full ID of a community never heard of is still that community
	 * (blocking it ahead of its records), even if a name says otherwise. */
	c = new_author(dir, sizeof(dir));
	put_profile(fx->st, fx->b, c->id);
	assert_int_equal(store_resolve_author(fx->st, c->id, &m), 0);
	assert_memory_equal(m.author, c->pub, TESS_KEY_LEN);
	assert_int_equal(m.records, 0);
	store_match_free(&m);
	assert_int_equal(store_resolve_author(fx->st, "nobody here", &m), -ENOENT);
	store_match_free(&m);
	drop_author(c, dir);
}

static void
test_future_timestamp(void **state)
{
	struct storefix *fx = *state;
	struct storefix_draft d;
	struct storefix_sealed s;
	uint64_t version;

	/* Year 9999: refused, nothing stored. */
	storefix_draft_init(&d, fx->a, "Pinned on top", 1);
	d.r.timestamp = 253402300799000LL;
	storefix_seal(&s, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &s), STORE_FUTURE);
	assert_int_equal(store_have(fx->st, d.id, &version), 0);
	assert_int_equal(version, 0);
	storefix_sealed_free(&s);

	/* Two days ahead: beyond the default day, within a skew of three. */
	storefix_draft_init(&d, fx->a, "Early", 2);
	d.r.timestamp = now_ms() + 2LL * STORE_MAX_SKEW_MS;
	storefix_seal(&s, fx->a, &d.r);
	assert_int_equal(storefix_put(fx->st, &s), STORE_FUTURE);
	store_set_max_skew(fx->st, 3 * STORE_MAX_SKEW_MS);
	assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
	storefix_sealed_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookalike_names, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_id_before_name, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_future_timestamp, storefix_setup,
		    storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
