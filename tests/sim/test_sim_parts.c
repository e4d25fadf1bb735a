/* The simulator's parts that need no session engine: the seeded random
 * source, the event queue, graphs, the ledger, deterministic stores and
 * identities, and the end-of-run invariants on real stores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/identity.h"
#include "core/record.h"
#include "sim.h"
#include "store/store.h"
#include "testdir.h"
#include "testid.h"

static void
rng_replays(void **state)
{
	struct rng a, b, c;
	bool differs = false;

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = rng_next(&a);

		assert_int_equal(x, rng_next(&b));
		differs |= x != rng_next(&c);
	}
	assert_true(differs);
	for (int i = 0; i < 10000; i++) {
		assert_true(rng_uniform(&a, 7) < 7);
		uint64_t v = sim_rand_range(&a, 3, 6);

		assert_true(v >= 3 && v <= 6);
	}
	assert_int_equal(rng_uniform(&a, 0), 0);
	assert_int_equal(sim_rand_range(&a, 5, 5), 5);
}

/* Every value of a small range is drawn: no value is unreachable. */
static void
rng_covers(void **state)
{
	struct rng r;
	int seen[6] = { 0 };

	rng_seed(&r, 1);
	for (int i = 0; i < 600; i++)
		seen[sim_rand_range(&r, 0, 5)]++;
	for (int i = 0; i < 6; i++)
		assert_true(seen[i] > 50);
}

static void
queue_orders(void **state)
{
	struct sim_queue q = { 0 };
	struct rng r;
	struct sim_event e, prev = { 0 };
	size_t n = 0;

	rng_seed(&r, 7);
	for (int i = 0; i < 5000; i++) {
		e = (struct sim_event){ .t = rng_uniform(&r, 100), .kind = i % 3 ? EV_DELIVER : EV_TICK,
			.arg = (uint64_t)i };
		assert_int_equal(simq_push(&q, &e), 0);
	}
	assert_int_equal(q.busy, 5000 - 1667);
	while (simq_pop(&q, &e)) {
		if (n++ > 0) {
			assert_true(e.t >= prev.t);
			/* Same time: in the order scheduled. */
			if (e.t == prev.t)
				assert_true(e.seq > prev.seq && e.arg > prev.arg);
		}
		prev = e;
	}
	assert_int_equal(n, 5000);
	assert_int_equal(q.busy, 0);
	simq_free(&q);
}

static bool
has_dup(const struct sim_graph *g)
{
	for (size_t i = 0; i < g->n_edges; i++) {
		if (g->edges[i][0] == g->edges[i][1])
			return true;
		for (size_t j = i + 1; j < g->n_edges; j++)
			if (g->edges[i][0] == g->edges[j][0] && g->edges[i][1] == g->edges[j][1])
				return true;
	}
	return false;
}

static void
graph_shapes(void **state)
{
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct rng r, r2;
		struct sim_graph g, g2;
		size_t n = 2 + seed % 40, dmin = 1 + seed % 3, dmax = dmin + seed % 4;
		double sum = 0;

		rng_seed(&r, seed);
		rng_seed(&r2, seed);
		assert_int_equal(graph_make(&g, &r, n, dmin, dmax), 0);
		assert_int_equal(graph_make(&g2, &r2, n, dmin, dmax), 0);
		assert_true(graph_connected(&g, NULL));
		assert_false(has_dup(&g));
		assert_int_equal(g.n_edges, g2.n_edges);
		assert_memory_equal(g.edges, g2.edges, g.n_edges * sizeof(*g.edges));
		for (size_t i = 0; i < n; i++) {
			assert_true(g.deg[i] >= 1);
			assert_true(g.deg[i] <= (dmax < 2 && n > 2 ? 2 : dmax));
			sum += (double)g.deg[i];
		}
		/* Degrees reach the drawn range on average (the tree alone is ~2). */
		if (n >= 20 && dmin >= 3)
			assert_true(sum / (double)n >= (double)dmin - 0.5);
		graph_free(&g);
		graph_free(&g2);
	}
}

/* A node cut off by skip makes the rest disconnected when it was a bridge. */
static void
graph_skip(void **state)
{
	struct sim_graph g = { .n = 3, .n_edges = 2 };
	size_t edges[2][2] = { { 0, 1 }, { 1, 2 } }, deg[3] = { 1, 2, 1 };
	bool skip[3] = { false, true, false };

	g.edges = edges;
	g.deg = deg;
	assert_true(graph_connected(&g, NULL));
	assert_false(graph_connected(&g, skip));
}

static void
ledger_grows(void **state)
{
	struct sim_ledger l = { 0 };
	struct rng r;
	uint8_t ids[3000][TESS_ID_LEN];

	rng_seed(&r, 3);
	for (int i = 0; i < 3000; i++) {
		struct sim_ack *a;

		sim_rand_bytes(&r, ids[i], TESS_ID_LEN);
		assert_non_null(a = ledger_get(&l, ids[i], true));
		a->version = (uint64_t)i + 1;
	}
	assert_int_equal(l.n, 3000);
	for (int i = 0; i < 3000; i++) {
		struct sim_ack *a = ledger_get(&l, ids[i], false);

		assert_non_null(a);
		assert_int_equal(a->version, (uint64_t)i + 1);
	}
	ids[0][5] ^= 1;
	assert_null(ledger_get(&l, ids[0], false));
	ledger_free(&l);
}

static void
identity_seeded(void **state)
{
	uint8_t seed[IDENTITY_SEED_LEN] = { 1, 2, 3 }, s1[TESS_SIG_LEN], s2[TESS_SIG_LEN];
	struct identity *a, *b, *c;

	assert_int_equal(identity_from_seed(seed, &a, NULL), 0);
	assert_int_equal(identity_from_seed(seed, &b, NULL), 0);
	seed[0] = 9;
	assert_int_equal(identity_from_seed(seed, &c, NULL), 0);
	assert_memory_equal(a->pub, b->pub, TESS_KEY_LEN);
	assert_memory_not_equal(a->pub, c->pub, TESS_KEY_LEN);
	assert_string_equal(a->id, b->id);
	assert_int_equal(identity_sign(a, "msg", 3, s1), 0);
	assert_int_equal(identity_sign(b, "msg", 3, s2), 0);
	assert_memory_equal(s1, s2, TESS_SIG_LEN);
	assert_int_equal(identity_verify(a->pub, "msg", 3, s1), 0);
	assert_non_null(a->cert);
	identity_free(a);
	identity_free(b);
	identity_free(c);
}

static uint64_t test_clock_us = 1767225600000000ULL;

static uint64_t
test_clock(void *arg)
{
	return *(uint64_t *)arg;
}

/* Seals a small record of me with a fixed nonce, dated ts (ms), and stores
 * it in st, expecting want. */
static void
put_record_at(struct store *st, const struct identity *me, uint8_t nonce_byte,
    uint64_t version, int64_t ts, enum store_put_result want, uint8_t id[TESS_ID_LEN],
    uint8_t sig[TESS_SIG_LEN])
{
	Tessera__Record r;
	Tessera__Text t = TESSERA__TEXT__INIT, *texts[1] = { &t };
	uint8_t nonce[TESS_NONCE_LEN], *body;
	size_t len;
	enum store_put_result res;

	testid_record_init(&r, id, nonce, me, version, ts);
	memset(nonce, nonce_byte, sizeof(nonce));
	record_make_id(me->pub, nonce, id);
	t.lang = "en";
	t.title = "sim";
	r.texts = texts;
	r.n_texts = 1;
	assert_int_equal(record_seal(me, &r, &body, &len, sig), 0);
	assert_int_equal(store_put(st, body, len, sig, &r, &res), 0);
	assert_int_equal(res, want);
	free(body);
}

static void
put_record(struct store *st, const struct identity *me, uint8_t nonce_byte, uint64_t version,
    uint8_t id[TESS_ID_LEN], uint8_t sig[TESS_SIG_LEN])
{
	put_record_at(st, me, nonce_byte, version, 1767225600000LL, STORE_STORED, id, sig);
}

struct two {
	char dir[2][64];
	struct store *st[2];
	struct identity *me;
};

static void
two_open(struct two *t, const uint8_t *epoch)
{
	uint8_t seed[IDENTITY_SEED_LEN] = { 7 };
	struct store_opts o = { .create = true, .clock_us = test_clock,
		.clock_arg = &test_clock_us, .epoch = epoch };

	assert_int_equal(identity_from_seed(seed, &t->me, NULL), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(testdir_make(t->dir[i], sizeof(t->dir[i]), "test_sim"), 0);
		assert_int_equal(store_open_opts(t->dir[i], &o, &t->st[i], NULL), 0);
	}
}

static void
two_close(struct two *t)
{
	for (int i = 0; i < 2; i++) {
		store_close(t->st[i]);
		assert_int_equal(testdir_remove(t->dir[i]), 0);
	}
	identity_free(t->me);
}

static void
set_hash(struct store *st, uint8_t h[32], uint64_t *n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	assert_int_equal(records_set(st, md, n), 0);
	assert_int_equal(EVP_DigestFinal_ex(md, h, NULL), 1);
	EVP_MD_CTX_free(md);
}

/* Under one clock and epoch two stores are the same store: epoch, the
 * sequence jump, checkpoint times, own versions and the record set. */
static void
store_deterministic(void **state)
{
	uint8_t epoch[TESS_EPOCH_LEN] = { 0xee, 1 }, id[2][TESS_ID_LEN], sig[2][TESS_SIG_LEN];
	uint8_t h[2][32], peer[TESS_KEY_LEN] = { 5 };
	uint64_t n[2];
	struct store_peer cp;
	struct two t;

	two_open(&t, epoch);
	for (int i = 0; i < 2; i++) {
		assert_memory_equal(store_epoch(t.st[i]), epoch, TESS_EPOCH_LEN);
		assert_int_equal(store_seq_mark(t.st[i]), test_clock_us);
		assert_int_equal(store_next_version(t.st[i], t.me->pub), test_clock_us);
		put_record(t.st[i], t.me, 0x11, 3, id[i], sig[i]);
		assert_int_equal(store_peer_checkpoint(t.st[i], peer, epoch, 9), 0);
		assert_int_equal(store_peer_get(t.st[i], peer, &cp), 0);
		assert_int_equal(cp.last_sync, (int64_t)(test_clock_us / 1000));
		assert_int_equal(store_max_seq(t.st[i]), test_clock_us + 1);
		set_hash(t.st[i], h[i], &n[i]);
	}
	assert_memory_equal(id[0], id[1], TESS_ID_LEN);
	assert_memory_equal(sig[0], sig[1], TESS_SIG_LEN);
	assert_int_equal(n[0], 1);
	assert_int_equal(n[0], n[1]);
	assert_memory_equal(h[0], h[1], 32);
	two_close(&t);
}

/* "Too far in the future" is judged by the store's clock: a record dated
 * now by the real clock is two days ahead of a store whose clock is two days
 * behind, and refused there (it was stored while the check read the real
 * clock). */
static void
store_future_by_its_clock(void **state)
{
	uint8_t seed[IDENTITY_SEED_LEN] = { 8 }, id[TESS_ID_LEN], sig[TESS_SIG_LEN];
	uint64_t behind = (uint64_t)time(NULL) * 1000000u - 2 * 24 * 3600 * 1000000ULL;
	struct store_opts o = { .create = true, .clock_us = test_clock, .clock_arg = &behind };
	struct identity *me;
	struct store *st;
	char dir[64];

	assert_int_equal(identity_from_seed(seed, &me, NULL), 0);
	assert_int_equal(testdir_make(dir, sizeof(dir), "test_sim"), 0);
	assert_int_equal(store_open_opts(dir, &o, &st, NULL), 0);
	put_record_at(st, me, 3, 1, (int64_t)time(NULL) * 1000, STORE_FUTURE, id, sig);
	store_close(st);
	assert_int_equal(testdir_remove(dir), 0);
	identity_free(me);
}

/* store_open keeps its random epoch and real clock. */
static void
store_open_unchanged(void **state)
{
	char d[2][64];
	struct store *st[2];

	for (int i = 0; i < 2; i++) {
		assert_int_equal(testdir_make(d[i], sizeof(d[i]), "test_sim"), 0);
		assert_int_equal(store_open(d[i], true, &st[i], NULL), 0);
	}
	assert_memory_not_equal(store_epoch(st[0]), store_epoch(st[1]), TESS_EPOCH_LEN);
	assert_true(store_seq_mark(st[0]) > 1700000000000000ULL);
	assert_true(store_seq_mark(st[0]) != test_clock_us);
	for (int i = 0; i < 2; i++) {
		store_close(st[i]);
		assert_int_equal(testdir_remove(d[i]), 0);
	}
}

/* A world of two nodes with real stores and no sessions, for check_final. */
struct world {
	struct sim sim;
	struct two t;
	struct sim_edge edge;
	struct sim_edge *edges[1];
};

static void
world_open(struct world *w)
{
	static const uint8_t e0[TESS_EPOCH_LEN] = { 1 };

	memset(w, 0, sizeof(*w));
	two_open(&w->t, e0);
	w->sim.n_nodes = w->sim.n_honest = 2;
	assert_non_null(w->sim.nodes = calloc(2, sizeof(*w->sim.nodes)));
	w->edge.n[0] = &w->sim.nodes[0];
	w->edge.n[1] = &w->sim.nodes[1];
	w->edges[0] = &w->edge;
	for (int i = 0; i < 2; i++) {
		struct sim_node *n = &w->sim.nodes[i];
		uint8_t seed[IDENTITY_SEED_LEN] = { (uint8_t)(40 + i) };

		n->sim = &w->sim;
		n->idx = i;
		n->up = true;
		n->st = w->t.st[i];
		n->edges = w->edges;
		n->n_edges = 1;
		assert_int_equal(identity_from_seed(seed, &n->id, NULL), 0);
	}
}

static void
world_close(struct world *w)
{
	for (int i = 0; i < 2; i++)
		identity_free(w->sim.nodes[i].id);
	free(w->sim.nodes);
	free(w->sim.forged);
	ledger_free(&w->sim.acks);
	two_close(&w->t);
}

static void
acknowledge(struct world *w, const uint8_t id[TESS_ID_LEN], const uint8_t sig[TESS_SIG_LEN],
    uint64_t version)
{
	struct sim_ack *a = ledger_get(&w->sim.acks, id, true);

	assert_non_null(a);
	a->version = version;
	memcpy(a->sig, sig, TESS_SIG_LEN);
}

static void
expect(struct world *w, size_t violations, const char *needle)
{
	w->sim.n_violations = 0;
	check_final(&w->sim);
	if (w->sim.n_violations != violations) {
		for (size_t i = 0; i < w->sim.n_violations; i++)
			print_message("  %s\n", w->sim.violation[i]);
		fail_msg("expected %zu violations, got %zu", violations, w->sim.n_violations);
	}
	if (needle != NULL)
		assert_non_null(strstr(w->sim.violation[0], needle));
}

/* A record on one node only, a stale version, a forged one and a
 * checkpoint beyond the peer's sequence: each is caught. */
static void
final_checks(void **state)
{
	struct world w;
	uint8_t id[TESS_ID_LEN], sig[TESS_SIG_LEN], id2[TESS_ID_LEN], sig2[TESS_SIG_LEN];

	world_open(&w);
	expect(&w, 0, NULL);
	put_record(w.t.st[0], w.t.me, 1, 5, id, sig);
	acknowledge(&w, id, sig, 5);
	/* Node 1 lacks it: missing, and the sets differ. */
	expect(&w, 2, "node 1 is missing 1 acknowledged records");
	put_record(w.t.st[1], w.t.me, 1, 5, id, sig);
	expect(&w, 0, NULL);
	/* A newer version acknowledged that neither holds. */
	put_record(w.t.st[0], w.t.me, 2, 7, id2, sig2);
	acknowledge(&w, id2, sig2, 8);
	expect(&w, 4, "at version 7, acknowledged 8");
	acknowledge(&w, id2, sig2, 7);
	put_record(w.t.st[1], w.t.me, 2, 7, id2, sig2);
	expect(&w, 0, NULL);
	/* The same id and signature marked forged. */
	assert_non_null(w.sim.forged = calloc(1, sizeof(*w.sim.forged)));
	memcpy(w.sim.forged[0].id, id2, TESS_ID_LEN);
	memcpy(w.sim.forged[0].sig, sig2, TESS_SIG_LEN);
	w.sim.n_forged = 1;
	expect(&w, 2, "forged by the misbehaving node");
	w.sim.n_forged = 0;
	/* Node 0's checkpoint for node 1 beyond what node 1 committed. */
	assert_int_equal(store_peer_checkpoint(w.t.st[0], w.sim.nodes[1].id->pub,
	    store_epoch(w.t.st[1]), store_max_seq(w.t.st[1]) + 1), 0);
	expect(&w, 1, "beyond its highest committed seq");
	/* Unless node 1 once committed that far (then restored a backup). */
	w.sim.nodes[1].seq_high = store_max_seq(w.t.st[1]) + 1;
	expect(&w, 0, NULL);
	/* A lost id (restored away) is not required. */
	for (size_t i = 0; i < w.sim.acks.cap; i++)
		w.sim.acks.tab[i].lost = w.sim.acks.tab[i].used;
	expect(&w, 0, NULL);
	world_close(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rng_replays),
		cmocka_unit_test(rng_covers),
		cmocka_unit_test(queue_orders),
		cmocka_unit_test(graph_shapes),
		cmocka_unit_test(graph_skip),
		cmocka_unit_test(ledger_grows),
		cmocka_unit_test(identity_seeded),
		cmocka_unit_test(store_deterministic),
		cmocka_unit_test(store_future_by_its_clock),
		cmocka_unit_test(store_open_unchanged),
		cmocka_unit_test(final_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
