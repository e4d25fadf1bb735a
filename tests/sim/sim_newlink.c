/* The cost of a new link (issue 11): two nodes of a network that already
 * hold the same records, or the same but for a few each, are linked for
 * the first time. Without a checkpoint for each other, the offer path
 * offers everything; range reconciliation (sync/reconcile.c) should cost
 * what differs. Both are run in one network, on two different pairs, and
 * the bytes that crossed the new link are compared (each new link is 5 ms
 * one way at 10 MB/s, so times compare too). No faults; the
 * figures are simulated, so they are the same on every machine. */
#include "sim.h"
#include "sim_bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct newlink_cost {
	uint64_t bytes, frames, ms;
	bool equal;     /* both ended with the same record count */
};

static bool
adjacent(const struct sim_node *a, const struct sim_node *b)
{
	for (size_t k = 0; k < a->n_edges; k++)
		if (a->edges[k]->n[0] == b || a->edges[k]->n[1] == b)
			return true;
	return false;
}

/* Two honest nodes not linked yet (links added earlier count). */
static int
pick_pair(struct sim *sim, struct sim_node **a, struct sim_node **b)
{
	for (size_t i = 0; i < sim->n_honest; i++)
		for (size_t j = i + 1; j < sim->n_honest; j++) {
			if (adjacent(&sim->nodes[i], &sim->nodes[j]))
				continue;
			*a = &sim->nodes[i];
			*b = &sim->nodes[j];
			return 0;
		}
	return -1;
}

/* Parks (or unparks) every link of n: the records it writes meanwhile
 * stay its own until the new link carries them. */
static void
isolate(struct sim *sim, struct sim_node *n, bool park)
{
	for (size_t k = 0; k < n->n_edges; k++) {
		struct sim_edge *e = n->edges[k];

		e->parked = park;
		if (park && e->conn != NULL)
			link_teardown(sim, e->conn, "parked for the new-link bench");
		else if (!park)
			link_schedule_dial(sim, e, 1);
	}
}

static uint64_t
held(struct sim_node *n)
{
	struct store_stats st;

	return store_stats(n->st, &st) == 0 ? st.records + st.tombstones : 0;
}

/* Links a and b, with diff records written on each beforehand while both
 * are cut off; the traffic of a until the network is quiet again is the
 * link's (a's other links are idle or cut). */
static int
newlink_measure(struct sim *sim, struct sim_node *a, struct sim_node *b, size_t diff,
    bool recon, struct newlink_cost *out)
{
	uint64_t b0, f0, t0;
	struct sim_edge *e;

	a->env.no_recon = b->env.no_recon = !recon;
	if (diff > 0) {
		isolate(sim, a, true);
		isolate(sim, b, true);
		sim_run_until(sim, UINT64_MAX, true);
		for (size_t i = 0; i < diff; i++)
			if (records_author(sim, a) != 0 || records_author(sim, b) != 0)
				return -1;
	}
	if ((e = sim_add_edge(sim, a, b)) == NULL)
		return -1;
	/* The same link for every pair, so that times compare: 5 ms one way,
	 * no jitter, 10 MB/s. */
	e->delay_us = 5000;
	e->jitter_us = 0;
	e->bytes_per_s = 10000000;
	b0 = a->bytes_in + a->bytes_out;
	f0 = a->frames_in + a->frames_out;
	t0 = sim->now;
	link_dial(sim, e);
	sim_run_until(sim, UINT64_MAX, true);
	out->bytes = a->bytes_in + a->bytes_out - b0;
	out->frames = a->frames_in + a->frames_out - f0;
	out->ms = (sim->now - t0) / 1000;
	out->equal = held(a) == held(b);
	if (diff > 0) {
		isolate(sim, a, false);
		isolate(sim, b, false);
		sim_run_until(sim, UINT64_MAX, true);
	}
	a->env.no_recon = b->env.no_recon = false;
	return 0;
}

static void
print_cost(const char *what, const char *path, const struct newlink_cost *c)
{
	printf("  %-28s %-14s %9" PRIu64 " bytes %6" PRIu64 " messages %7" PRIu64
	    " ms simulated%s\n", what, path, c->bytes, c->frames, c->ms,
	    c->equal ? "" : "  (NOT EQUAL AFTERWARDS)");
}

int
sim_newlink(size_t n, uint64_t seed, const struct sim_opts *base, size_t records, size_t diff)
{
	struct sim_opts o = *base;
	struct newlink_cost cost[4] = { 0 };
	struct sim_node *a, *b;
	struct sim sim;
	char *cause = NULL;
	int rc = 0;

	o.seed = seed;
	o.nodes = n;
	o.faults = 0;
	o.records = 0;
	o.keepalive_ms = 3600000;   /* idle links stay silent */
	o.until_ms = 3600000;
	if (sim_init(&sim, &o, &cause) != 0) {
		fprintf(stderr, "tessera-sim: %s\n", cause ? cause : "out of memory");
		free(cause);
		sim_free(&sim);
		return 2;
	}
	sim_run_until(&sim, UINT64_MAX, true);
	for (size_t i = 0; i < records; i++)
		if (records_author(&sim, &sim.nodes[rng_uniform(&sim.rng, n)]) != 0) {
			rc = 2;
			goto out;
		}
	sim_run_until(&sim, UINT64_MAX, true);
	printf("%zu nodes, %zu links, seed %" PRIu64 ", max_batch %u: %zu records written and "
	    "spread, then new links between nodes that never met\n", n, sim.n_edges, seed,
	    sim.lim.max_batch, records);
	/* Four pairs: equal sets and diff each way, with and without
	 * reconciliation. */
	for (int k = 0; k < 4; k++) {
		if (pick_pair(&sim, &a, &b) != 0) {
			fprintf(stderr, "tessera-sim: not enough unlinked pairs among %zu nodes\n", n);
			rc = 2;
			goto out;
		}
		if (newlink_measure(&sim, a, b, k < 2 ? 0 : diff, k % 2 == 0, &cost[k]) != 0) {
			rc = 2;
			goto out;
		}
	}
	print_cost("equal sets:", "reconcile", &cost[0]);
	print_cost("", "offer path", &cost[1]);
	printf("  %zu different records each way:\n", diff);
	print_cost("", "reconcile", &cost[2]);
	print_cost("", "offer path", &cost[3]);
	for (int k = 0; k < 4; k++)
		if (!cost[k].equal)
			rc = 1;
	for (size_t i = 0; i < sim.n_violations && i < SIM_VIOLATIONS_MAX; i++) {
		printf("  violation %s\n", sim.violation[i]);
		rc = 1;
	}
out:
	sim_free(&sim);
	return rc;
}
