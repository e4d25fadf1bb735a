/* Forward compatibility of kinds (docs/protocol.md): a record of a kind
 * this version does not know, with fields it does not know, is stored and
 * relayed byte for byte, listed and searched beside the known ones; and
 * the adoptions a node kept verbatim before it knew the kind are indexed
 * for lineage when it upgrades. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/identity.h"
#include "core/record.h"
#include "recordfix.h"
#include "sessionfix.h"
#include "storefix.h"
#include "store/lineage.h"
#include "store/search.h"
#include "store/store.h"
#include "store/store_adopt.h"
#include "testid.h"

#define FUTURE_KIND 9

/* A kind-9 record by me, with an unknown field (60: bytes "future") after
 * the known ones, signed as its newer author would; title may be NULL. */
static void
future_record(const struct identity *me, const char *title, struct storefix_sealed *s)
{
	static const uint8_t unknown[] = { 0xe2, 0x03, 6, 'f', 'u', 't', 'u', 'r', 'e' };
	struct storefix_draft d;
	const char *why = NULL;
	size_t n;

	storefix_draft_init(&d, me, title, 5);
	d.r.kind = (Tessera__Kind)FUTURE_KIND;
	if (title == NULL)
		d.r.n_texts = 0;
	memset(s, 0, sizeof(*s));
	n = tessera__record__get_packed_size(&d.r);
	s->body = malloc(n + sizeof(unknown));
	assert_non_null(s->body);
	tessera__record__pack(&d.r, s->body);
	memcpy(s->body + n, unknown, sizeof(unknown));
	s->len = n + sizeof(unknown);
	recordfix_sign_bytes(me, s->body, s->len, s->sig);
	if (record_open(s->body, s->len, s->sig, TESS_SIG_LEN, &s->r, &why) != 0)
		fail_msg("record_open: %s", why);
	assert_int_equal((int)s->r->kind, FUTURE_KIND);
	assert_false(record_kind_known(FUTURE_KIND));
}

static void
expect_verbatim(struct store *st, const struct storefix_sealed *s)
{
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;

	assert_int_equal(store_get(st, s->r->id.data, &body, &len, sig, NULL), 0);
	assert_int_equal(len, s->len);
	assert_memory_equal(body, s->body, len);
	assert_memory_equal(sig, s->sig, TESS_SIG_LEN);
	free(body);
}

/* Stored, relayed over a session to the other store byte for byte; one
 * without a title too (a newer kind's rules are its own). */
static void
test_relayed_verbatim(void **state)
{
	struct pair *p = *state;
	struct storefix_sealed titled, bare;
	uint8_t id[TESS_ID_LEN];

	future_record(p->fx->a, "Zukunftsarten", &titled);
	future_record(p->fx->a, NULL, &bare);
	assert_int_equal(storefix_put(p->a.st, &titled), STORE_STORED);
	assert_int_equal(storefix_put(p->a.st, &bare), STORE_STORED);
	assert_int_equal(storefix_put_new(p->a.st, p->fx->a, "known", 1, id), STORE_STORED);
	sessionfix_start(p);
	sessionfix_run(p, 10000);
	assert_int_equal(p->b.stored, 3);
	for (int i = 0; i < SYNC_REJECT_COUNT; i++)
		assert_int_equal(p->b.rejected[i], 0);
	expect_verbatim(p->a.st, &titled);
	expect_verbatim(p->b.st, &titled);
	expect_verbatim(p->b.st, &bare);
	storefix_sealed_free(&titled);
	storefix_sealed_free(&bare);
}

/* list shows it beside the known records; search finds both; a filter on
 * a known kind leaves it out and keeps the others. */
static void
test_listed_and_searched(void **state)
{
	struct storefix *fx = *state;
	struct storefix_sealed s;
	struct search_filter f = { 0 };
	struct search_hit *hits;
	uint8_t id[TESS_ID_LEN];
	uint64_t *seqs;
	size_t n;

	future_record(fx->a, "Zukunftsarten", &s);
	assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
	assert_int_equal(storefix_put_new(fx->st, fx->a, "Zukunftsplan", 1, id), STORE_STORED);
	assert_int_equal(search_list(fx->st, &f, &seqs, &n), 0);
	assert_int_equal(n, 2);
	free(seqs);
	f.kind = TESSERA__KIND__KIND_RESOURCE;
	assert_int_equal(search_list(fx->st, &f, &seqs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], storefix_seq_of(fx->st, id));
	free(seqs);
	f.kind = 0;
	assert_int_equal(search_query(fx->st, "zukunftsarten", &f, &hits, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].seq, storefix_seq_of(fx->st, s.r->id.data));
	search_hits_free(hits, n);
	assert_int_equal(search_query(fx->st, "zukunftsplan", &f, &hits, &n, NULL), 0);
	assert_int_equal(n, 1);
	search_hits_free(hits, n);
	storefix_sealed_free(&s);
}

/* A store whose schema predates the adoptions index holds an adoption (kept
 * verbatim as an unknown kind): the upgrade indexes it. */
static void
test_upgrade_indexes_kept_adoptions(void **state)
{
	struct storefix *fx = *state;
	struct storefix_draft d;
	struct storefix_sealed s;
	Tessera__Adoption a = TESSERA__ADOPTION__INIT;
	uint8_t src[TESS_ID_LEN];
	char path[128], sql[256], *cause = NULL;
	struct lineage l;
	sqlite3 *db;

	assert_int_equal(storefix_put_new(fx->st, fx->a, "source", 1, src), STORE_STORED);
	storefix_draft_init(&d, fx->b, "adopted", 2);
	d.r.kind = TESSERA__KIND__KIND_ADOPTION;
	a.has_source_id = a.has_source_author = 1;
	a.source_id = (ProtobufCBinaryData){ TESS_ID_LEN, src };
	a.source_author = (ProtobufCBinaryData){ TESS_KEY_LEN, fx->a->pub };
	d.r.adoption = &a;
	storefix_seal(&s, fx->b, &d.r);
	assert_int_equal(storefix_put(fx->st, &s), STORE_STORED);
	store_close(fx->st);
	fx->st = NULL;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, STORE_DB_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "DROP TRIGGER records_adopt_ad; DROP TABLE adoptions;"
	    "PRAGMA user_version = %d;", STORE_SCHEMA_ADOPTIONS - 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(fx->dir, false, &fx->st, &cause), 0);
	assert_int_equal(lineage_build(fx->st, src, NULL, &l, &cause), 0);
	assert_int_equal(l.n, 2);
	assert_memory_equal(l.nodes[1].id, d.id, TESS_ID_LEN);
	lineage_free(&l);
	storefix_sealed_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relayed_verbatim, sessionfix_setup,
		    sessionfix_teardown),
	};
	const struct CMUnitTest store_tests[] = {
		cmocka_unit_test_setup_teardown(test_listed_and_searched, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_indexes_kept_adoptions,
		    storefix_setup, storefix_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	return rc | cmocka_run_group_tests(store_tests, storefix_group_setup,
	    storefix_group_teardown);
}
