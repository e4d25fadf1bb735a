/* The lineage tree builder (store/lineage.c) over a real store: via
 * chains, sources not arrived or withdrawn, and what a hostile author can
 * sign: sources that loop, via-chains that loop, false source authors,
 * chains and fans past the bounds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/identity.h"
#include "core/record.h"
#include "storefix.h"
#include "store/lineage.h"
#include "store/store.h"
#include "testid.h"

/* Four communities: the fixture's two and two from fixed seeds. */
struct lfix {
	struct storefix *fx;
	struct identity *id[4];
};

static struct identity *extra[2];

static int
group_setup(void **state)
{
	uint8_t seed[IDENTITY_SEED_LEN];

	for (int i = 0; i < 2; i++) {
		memset(seed, 0x51 + i, sizeof(seed));
		if (identity_from_seed(seed, &extra[i], NULL) != 0)
			return -1;
	}
	return storefix_group_setup(state);
}

static int
group_teardown(void **state)
{
	identity_free(extra[0]);
	identity_free(extra[1]);
	return storefix_group_teardown(state);
}

static struct identity *
who(void **state, int i)
{
	struct storefix *fx = *state;

	return i == 0 ? fx->a : i == 1 ? fx->b : extra[i - 2];
}

static struct store *
st_of(void **state)
{
	return ((struct storefix *)*state)->st;
}

/* A record as stored: what a later version (a tombstone) needs. */
struct made {
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN];
	uint64_t version;
};

static void
seal_put(struct store *st, const struct identity *me, const Tessera__Record *r)
{
	struct storefix_sealed s;

	storefix_seal(&s, me, r);
	assert_int_equal(storefix_put(st, &s), STORE_STORED);
	storefix_sealed_free(&s);
}

static void
profile(void **state, int i, const char *name, const char *country)
{
	struct storefix_draft d;
	Tessera__Profile p = TESSERA__PROFILE__INIT;

	storefix_draft_init(&d, who(state, i), name, 1);
	d.r.kind = TESSERA__KIND__KIND_PROFILE;
	p.name = (char *)name;
	p.country = (char *)country;
	d.r.profile = &p;
	seal_put(st_of(state), who(state, i), &d.r);
}

static void
practice(void **state, int i, const char *title, struct made *m)
{
	struct storefix_draft d;

	storefix_draft_init(&d, who(state, i), title, 10);
	seal_put(st_of(state), who(state, i), &d.r);
	memcpy(m->id, d.id, TESS_ID_LEN);
	memcpy(m->nonce, d.nonce, TESS_NONCE_LEN);
	m->version = 10;
}

/* i adopts (src, by src_by), learned via community via (-1: none). */
static void
adopt(void **state, int i, const uint8_t src[TESS_ID_LEN], int src_by, int via, uint64_t version,
    struct made *m)
{
	struct storefix_draft d;
	Tessera__Adoption a = TESSERA__ADOPTION__INIT;

	storefix_draft_init(&d, who(state, i), "adopted", version);
	d.r.kind = TESSERA__KIND__KIND_ADOPTION;
	a.has_source_id = a.has_source_author = a.has_status = 1;
	a.source_id = (ProtobufCBinaryData){ TESS_ID_LEN, (uint8_t *)src };
	a.source_author = (ProtobufCBinaryData){ TESS_KEY_LEN,
		(uint8_t *)(who(state, src_by))->pub };
	a.status = TESSERA__ADOPTION__STATUS__RUNNING;
	a.started = "2024-03-01";
	if (via >= 0) {
		a.has_via = 1;
		a.via = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)(who(state, via))->pub };
	}
	d.r.adoption = &a;
	seal_put(st_of(state), who(state, i), &d.r);
	if (m != NULL) {
		memcpy(m->id, d.id, TESS_ID_LEN);
		memcpy(m->nonce, d.nonce, TESS_NONCE_LEN);
		m->version = version;
	}
}

/* i's signed tombstone for its record m. */
static void
withdraw(void **state, int i, const struct made *m, int kind)
{
	struct storefix_draft d;

	storefix_draft_init(&d, who(state, i), "x", m->version + 1);
	memcpy(d.id, m->id, TESS_ID_LEN);
	memcpy(d.nonce, m->nonce, TESS_NONCE_LEN);
	d.r.kind = (Tessera__Kind)kind;
	d.r.deleted = 1;
	d.r.has_deleted = 1;
	d.r.n_texts = 0;
	seal_put(st_of(state), who(state, i), &d.r);
}

static size_t
index_of(const struct lineage *l, const uint8_t id[TESS_ID_LEN])
{
	for (size_t i = 0; i < l->n; i++)
		if (memcmp(l->nodes[i].id, id, TESS_ID_LEN) == 0)
			return i;
	fail_msg("id not in the lineage");
	return LINEAGE_NONE;
}

static void
build(void **state, const uint8_t id[TESS_ID_LEN], struct lineage *l)
{
	char *cause = NULL;
	int rc = lineage_build(st_of(state), id, "ro", l, &cause);

	if (rc != 0)
		fail_msg("lineage_build: %s", cause);
	/* Parents come before their children, and the origin has none. */
	assert_true(l->n > 0);
	assert_true(l->nodes[0].parent == LINEAGE_NONE);
	for (size_t i = 1; i < l->n; i++)
		assert_true(l->nodes[i].parent < i);
}

/* Évora's practice, adopted by Nagykovácsi, passed on to Romania and from
 * there to a fourth community: a chain of depth 3 from any member. */
static void
test_via_chain(void **state)
{
	struct made p, b, c, d;
	struct lineage l;

	profile(state, 0, "Évora", "PT");
	profile(state, 1, "Nagykovácsi", "HU");
	profile(state, 2, "Bistrița", "RO");
	profile(state, 3, "Braga", "PT");
	practice(state, 0, "Community profile tool", &p);
	adopt(state, 1, p.id, 0, -1, 20, &b);
	adopt(state, 2, p.id, 0, 1, 30, &c);
	adopt(state, 3, p.id, 0, 2, 40, &d);
	const uint8_t *from[] = { p.id, b.id, c.id, d.id };

	for (size_t k = 0; k < 4; k++) {
		build(state, from[k], &l);
		assert_int_equal(l.n, 4);
		assert_memory_equal(l.nodes[0].id, p.id, TESS_ID_LEN);
		assert_memory_equal(l.nodes[l.start].id, from[k], TESS_ID_LEN);
		assert_int_equal(l.nodes[index_of(&l, b.id)].parent, 0);
		assert_int_equal(l.nodes[index_of(&l, c.id)].parent, index_of(&l, b.id));
		assert_int_equal(l.nodes[index_of(&l, d.id)].parent, index_of(&l, c.id));
		assert_int_equal(l.depth, 3);
		assert_int_equal(l.communities, 4);
		assert_int_equal(l.countries, 3);
		assert_false(l.truncated || l.cycle);
		assert_string_equal(l.nodes[index_of(&l, c.id)].via_name, "Nagykovácsi");
		assert_string_equal(l.nodes[index_of(&l, c.id)].country, "RO");
		assert_string_equal(l.nodes[index_of(&l, c.id)].started, "2024-03-01");
		assert_int_equal(l.nodes[index_of(&l, c.id)].status,
		    TESSERA__ADOPTION__STATUS__RUNNING);
		lineage_free(&l);
	}
}

/* An adoption whose source has not arrived shows it as missing, under the
 * author it names; when the source comes, the same tree links up. */
static void
test_source_arrives_later(void **state)
{
	struct storefix_draft src;
	struct storefix_sealed s;
	struct made a;
	struct lineage l;

	storefix_draft_init(&src, who(state, 0), "Later", 10);
	adopt(state, 1, src.id, 0, 0, 20, &a);
	build(state, a.id, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nodes[0].state, LINEAGE_MISSING);
	assert_memory_equal(l.nodes[0].id, src.id, TESS_ID_LEN);
	assert_true(l.nodes[0].has_author);
	assert_memory_equal(l.nodes[0].author, who(state, 0)->pub, TESS_KEY_LEN);
	assert_int_equal(l.nodes[1].parent, 0);
	assert_false(l.nodes[1].via_absent);   /* via the source's own community */
	assert_int_equal(l.communities, 1);    /* only records here are counted */
	lineage_free(&l);

	storefix_seal(&s, who(state, 0), &src.r);
	assert_int_equal(storefix_put(st_of(state), &s), STORE_STORED);
	storefix_sealed_free(&s);
	build(state, a.id, &l);
	assert_int_equal(l.nodes[0].state, LINEAGE_PRESENT);
	assert_string_equal(l.nodes[0].title, "Later");
	assert_int_equal(l.communities, 2);
	lineage_free(&l);
}

/* A deleted practice: its adoptions keep their records, the origin shows
 * as withdrawn; a withdrawn adoption leaves the tree. */
static void
test_withdrawn(void **state)
{
	struct made p, a, b;
	struct lineage l;

	practice(state, 0, "Gone", &p);
	adopt(state, 1, p.id, 0, -1, 20, &a);
	adopt(state, 2, p.id, 0, -1, 30, &b);
	withdraw(state, 0, &p, TESSERA__KIND__KIND_RESOURCE);
	withdraw(state, 2, &b, TESSERA__KIND__KIND_ADOPTION);
	build(state, a.id, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nodes[0].state, LINEAGE_WITHDRAWN);
	assert_int_equal(l.nodes[1].state, LINEAGE_PRESENT);
	assert_memory_equal(l.nodes[1].id, a.id, TESS_ID_LEN);
	lineage_free(&l);
	/* From the withdrawn practice itself too. */
	build(state, p.id, &l);
	assert_int_equal(l.n, 2);
	lineage_free(&l);
}

/* Signs an adoption with a chosen nonce, so that two adoptions can name
 * each other as sources (each id is known before either is signed). */
static void
adopt_as(void **state, int i, const uint8_t nonce[TESS_NONCE_LEN], const uint8_t src[TESS_ID_LEN],
    int src_by, uint8_t id[TESS_ID_LEN])
{
	struct storefix_draft d;
	Tessera__Adoption a = TESSERA__ADOPTION__INIT;

	storefix_draft_init(&d, who(state, i), "loop", 50);
	memcpy(d.nonce, nonce, TESS_NONCE_LEN);
	record_make_id((who(state, i))->pub, nonce, d.id);
	d.r.kind = TESSERA__KIND__KIND_ADOPTION;
	a.has_source_id = a.has_source_author = 1;
	a.source_id = (ProtobufCBinaryData){ TESS_ID_LEN, (uint8_t *)src };
	a.source_author = (ProtobufCBinaryData){ TESS_KEY_LEN,
		(uint8_t *)(who(state, src_by))->pub };
	d.r.adoption = &a;
	seal_put(st_of(state), who(state, i), &d.r);
	memcpy(id, d.id, TESS_ID_LEN);
}

/* X adopts Y adopts Z adopts X: the walk up stops where it comes back,
 * and every member sees the same three records. */
static void
test_source_loop(void **state)
{
	uint8_t nonce[3][TESS_NONCE_LEN], id[3][TESS_ID_LEN], got[TESS_ID_LEN];
	struct lineage l;

	for (int i = 0; i < 3; i++) {
		memset(nonce[i], 0x70 + i, TESS_NONCE_LEN);
		record_make_id((who(state, i))->pub, nonce[i], id[i]);
	}
	for (int i = 0; i < 3; i++) {
		adopt_as(state, i, nonce[i], id[(i + 1) % 3], (i + 1) % 3, got);
		assert_memory_equal(got, id[i], TESS_ID_LEN);
	}
	for (int i = 0; i < 3; i++) {
		build(state, id[i], &l);
		assert_true(l.cycle);
		assert_int_equal(l.n, 3);
		assert_int_equal(l.depth, 2);
		lineage_free(&l);
	}
}

/* B learned it via C and C via B: one of them is put under the other, the
 * other under the origin; never a loop. */
static void
test_via_loop(void **state)
{
	struct made p, b, c;
	struct lineage l;

	practice(state, 0, "Loop", &p);
	adopt(state, 1, p.id, 0, 2, 20, &b);
	adopt(state, 2, p.id, 0, 1, 30, &c);
	build(state, p.id, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.depth, 2);
	assert_int_equal(l.nodes[index_of(&l, b.id)].parent, index_of(&l, c.id));
	assert_int_equal(l.nodes[index_of(&l, c.id)].parent, 0);
	lineage_free(&l);
}

/* An adoption that names the wrong author for its source (ids are bound
 * to their authors) is no adoption of that record. */
static void
test_false_author(void **state)
{
	struct made p, a, liar;
	struct lineage l;

	practice(state, 0, "Real", &p);
	adopt(state, 1, p.id, 0, -1, 20, &a);
	adopt(state, 2, p.id, 3, -1, 30, &liar);
	build(state, p.id, &l);
	assert_int_equal(l.n, 2);
	lineage_free(&l);
	build(state, liar.id, &l);
	assert_int_equal(l.n, 1);
	assert_memory_equal(l.nodes[0].id, liar.id, TESS_ID_LEN);
	lineage_free(&l);
}

/* A chain of adoptions of adoptions longer than LINEAGE_MAX_DEPTH, and a
 * practice with more adoptions than LINEAGE_MAX_NODES: both bounded. */
static void
test_bounds(void **state)
{
	struct made p, prev, cur;
	struct lineage l;
	size_t chain = LINEAGE_MAX_DEPTH + 20, fan = LINEAGE_MAX_NODES + 20;

	practice(state, 0, "Deep", &p);
	prev = p;
	for (size_t i = 0; i < chain; i++) {
		adopt(state, (int)(i % 2 + 1), prev.id, i == 0 ? 0 : (int)((i - 1) % 2 + 1), -1,
		    100 + i, &cur);
		prev = cur;
	}
	build(state, prev.id, &l);
	assert_true(l.truncated);
	assert_true(l.depth <= LINEAGE_MAX_DEPTH + 1);
	assert_memory_equal(l.nodes[l.start].id, prev.id, TESS_ID_LEN);
	lineage_free(&l);
	build(state, p.id, &l);
	assert_true(l.truncated);
	assert_int_equal(l.depth, LINEAGE_MAX_DEPTH);
	lineage_free(&l);

	practice(state, 3, "Wide", &p);
	for (size_t i = 0; i < fan; i++)
		adopt(state, (int)(i % 3), p.id, 3, -1, 1000 + i, NULL);
	build(state, p.id, &l);
	assert_true(l.truncated);
	assert_int_equal(l.n, LINEAGE_MAX_NODES);
	assert_int_equal(l.depth, 1);
	lineage_free(&l);
}

static void
test_not_stored(void **state)
{
	uint8_t id[TESS_ID_LEN] = { 1, 2, 3 };
	struct lineage l;
	char *cause = NULL;

	assert_int_equal(lineage_build(st_of(state), id, NULL, &l, &cause), -ENOENT);
	assert_non_null(cause);
	free(cause);
	lineage_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_via_chain, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_source_arrives_later, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_withdrawn, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_source_loop, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_via_loop, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_false_author, storefix_setup,
		    storefix_teardown),
		cmocka_unit_test_setup_teardown(test_bounds, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_not_stored, storefix_setup, storefix_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
