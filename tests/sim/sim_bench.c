/* Scale figures: convergence of one new record over N simulated nodes and
 * the catch-up of a node that was offline. No faults; links keep their
 * seeded delay, jitter and bandwidth. Wall time and memory are measured
 * for the report only; they never feed the simulation. */
#include "sim.h"
#include "sim_bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "store/store.h"

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
traffic(const struct sim *sim, uint64_t *frames, uint64_t *bytes)
{
	*frames = sim->st.frames;
	*bytes = sim->st.bytes;
}

/* Records pushed to a node that it already held, over all nodes. */
static uint64_t
duplicates(const struct sim *sim)
{
	uint64_t d = 0;

	for (size_t i = 0; i < sim->n_honest; i++)
		d += sim->nodes[i].env.duplicates;
	return d;
}

/* One record from node a; every node records when and over how many hops
 * it arrived (sim_node.c: on_stored). */
static int
bench_convergence(struct sim *sim, struct sim_node *a)
{
	uint64_t f0, b0, f1, b1, t0 = sim->now, last = 0, d0 = duplicates(sim);
	size_t got = 0;
	double hops_sum = 0;
	uint32_t hops_max = 0;

	traffic(sim, &f0, &b0);
	if (records_author(sim, a) != 0 || a->n_own == 0)
		return -1;
	memcpy(sim->watch, a->own[a->n_own - 1].id, TESS_ID_LEN);
	sim->watching = true;
	a->got = true;
	a->got_at = t0;
	a->hops = 0;
	sim_run_until(sim, UINT64_MAX, true);
	sim->watching = false;
	traffic(sim, &f1, &b1);
	for (size_t i = 0; i < sim->n_honest; i++) {
		struct sim_node *n = &sim->nodes[i];

		if (!n->got)
			continue;
		got++;
		hops_sum += n->hops;
		if (n->hops > hops_max)
			hops_max = n->hops;
		if (n->got_at - t0 > last)
			last = n->got_at - t0;
	}
	printf("convergence of one new record: %zu/%zu nodes in %.1f ms simulated, %" PRIu32
	    " hops at most (%.1f on average); %.1f messages and %.0f bytes per node "
	    "(%" PRIu64 " messages, %" PRIu64 " bytes in all)\n", got, sim->n_honest, last / 1000.0,
	    hops_max, hops_sum / (double)got, (double)(f1 - f0) / (double)sim->n_honest,
	    (double)(b1 - b0) / (double)sim->n_honest, f1 - f0, b1 - b0);
	printf("eager push (push_max %u): %.2f duplicate deliveries per node (%" PRIu64 " in all)\n",
	    sim->lim.push_max, (double)(duplicates(sim) - d0) / (double)sim->n_honest,
	    duplicates(sim) - d0);
	return got == sim->n_honest ? 0 : 1;
}

/* Node k goes down, catchup records are written elsewhere and spread,
 * then k comes back: the time and traffic until it holds them all. */
static int
bench_catchup(struct sim *sim, struct sim_node *k, size_t catchup)
{
	uint64_t t0, fin0, fout0, bin0, bout0, have_n = 0;
	struct store_stats st;
	char *cause = NULL;

	node_crash(k);
	sim_run_until(sim, UINT64_MAX, true);
	for (size_t i = 0; i < catchup; i++) {
		struct sim_node *n;

		do
			n = &sim->nodes[rng_uniform(&sim->rng, sim->n_honest)];
		while (n == k);
		records_author(sim, n);
	}
	sim_run_until(sim, UINT64_MAX, true);
	t0 = sim->now;
	fin0 = k->frames_in;
	fout0 = k->frames_out;
	bin0 = k->bytes_in;
	bout0 = k->bytes_out;
	k->last_stored_at = t0;
	if (node_restart(k, &cause) != 0) {
		fprintf(stderr, "tessera-sim: restart: %s\n", cause ? cause : "?");
		free(cause);
		return 2;
	}
	sim_run_until(sim, UINT64_MAX, true);
	if (store_stats(k->st, &st) == 0)
		have_n = st.records + st.tombstones;
	printf("catch-up of a node offline while %zu records were written (new or updates): holds "
	    "%" PRIu64 "/%zu record ids %.1f ms simulated after its restart (its links are dialled within 0.5 s), %" PRIu64
	    " messages and %" PRIu64 " bytes in, %" PRIu64 " messages and %" PRIu64 " bytes out\n",
	    catchup, have_n, sim->acks.n, (k->last_stored_at - t0) / 1000.0, k->frames_in - fin0,
	    k->bytes_in - bin0, k->frames_out - fout0, k->bytes_out - bout0);
	return have_n == sim->acks.n ? 0 : 1;
}

int
sim_bench(size_t n, uint64_t seed, const struct sim_opts *base, size_t catchup)
{
	struct sim_opts o = *base;
	struct sim sim;
	struct rusage ru;
	char *cause = NULL;
	double w0 = wall_s(), w1;
	int rc;

	o.seed = seed;
	o.nodes = n;
	o.faults = 0;
	o.records = 0;
	o.keepalive_ms = 3600000;   /* idle links stay silent: traffic is the record's */
	o.until_ms = 3600000;
	if (sim_init(&sim, &o, &cause) != 0) {
		fprintf(stderr, "tessera-sim: %s\n", cause ? cause : "?");
		free(cause);
		sim_free(&sim);
		return 2;
	}
	printf("%zu nodes, %zu links (degree %zu-%zu), seed %" PRIu64 ", max_batch %u\n", n,
	    sim.n_edges, o.dmin, o.dmax, seed, sim.lim.max_batch);
	sim_run_until(&sim, UINT64_MAX, true);
	w1 = wall_s();
	printf("start: %" PRIu64 " sessions established, idle after %.1f ms simulated (%.1f s wall)\n",
	    sim.st.established, sim.now / 1000.0, w1 - w0);
	rc = bench_convergence(&sim, &sim.nodes[rng_uniform(&sim.rng, n)]);
	if (rc == 0)
		rc = bench_catchup(&sim, &sim.nodes[rng_uniform(&sim.rng, n)], catchup);
	if (sim.n_violations > 0) {
		for (size_t i = 0; i < sim.n_violations && i < SIM_VIOLATIONS_MAX; i++)
			printf("  violation %s\n", sim.violation[i]);
		rc = rc ? rc : 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("wall %.1f s, peak memory %.0f MB, %" PRIu64 " events\n", wall_s() - w0,
	    ru.ru_maxrss / 1024.0, sim.st.events);
	sim_free(&sim);
	return rc;
}
