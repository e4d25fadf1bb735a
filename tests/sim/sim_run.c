/* The simulated world: nodes on a random graph, the event loop, and the
 * draws that make each seed's network (limits, links, records, faults). */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/identity.h"
#include "core/util.h"
#include "store/store.h"

/* The network of this seed: limits, nodes, links. */
static void
draw_limits(struct sim *sim)
{
	static const uint32_t batches[] = { 16, 64, 512 };
	static const uint32_t softs[] = { 64 * 1024, 256 * 1024, 4 * 1024 * 1024 };

	sim->lim.max_frame = TESS_MAX_FRAME;
	sim->lim.max_batch = batches[rng_uniform(&sim->rng, 3)];
	sim->lim.max_inflight_wants = 4096;
	sim->lim.rate_limit = 2000;
	sim->lim.keepalive_ms = sim->o.keepalive_ms;
	/* Eager push off, for a few records, or the default. */
	sim->lim.push_max = (uint32_t[]){ 0, 4, 16 }[rng_uniform(&sim->rng, 3)];
	if (sim->o.push_max >= 0)
		sim->lim.push_max = (uint32_t)sim->o.push_max;
	sim->soft_limit = softs[rng_uniform(&sim->rng, 3)];
	sim->hard_limit = 4 * sim->soft_limit;
}

struct sim_edge *
sim_add_edge(struct sim *sim, struct sim_node *na, struct sim_node *nb)
{
	struct sim_edge *e;

	if (sim->n_edges >= sim->cap_edges)
		return NULL;
	e = &sim->edges[sim->n_edges];
	e->idx = sim->n_edges++;
	e->n[0] = na;
	e->n[1] = nb;
	/* Between 0.5 and 20 ms one way, jitter up to half of it, 1 to 50 MB/s. */
	e->delay_us = (uint32_t)sim_rand_range(&sim->rng, 500, 20000);
	e->jitter_us = (uint32_t)rng_uniform(&sim->rng, e->delay_us / 2 + 1);
	e->bytes_per_s = sim_rand_range(&sim->rng, 1, 50) * 1000000;
	e->slow = 1;
	e->backoff_ms = 500;
	for (int i = 0; i < 2; i++) {
		struct sim_node *n = e->n[i];
		void *p = realloc(n->edges, (n->n_edges + 1) * sizeof(*n->edges));

		if (p == NULL)
			return NULL;
		n->edges = p;
		n->edges[n->n_edges++] = e;
	}
	return e;
}

static int
add_edge(struct sim *sim, size_t a, size_t b)
{
	return sim_add_edge(sim, &sim->nodes[a], &sim->nodes[b]) != NULL ? 0 : -ENOMEM;
}

static int
build_network(struct sim *sim, char **cause)
{
	struct sim_graph g;
	bool evil = sim->o.faults & (1u << F_EVIL);
	size_t evil_links = evil ? sim_rand_range(&sim->rng, 1, 2) : 0;

	if (graph_make(&g, &sim->rng, sim->n_honest, sim->o.dmin, sim->o.dmax) != 0)
		return set_cause(cause, -ENOMEM, "cannot make the graph");
	/* Room for the links sim_newlink.c adds to a running network. */
	sim->cap_edges = g.n_edges + evil_links + SIM_SPARE_EDGES;
	sim->edges = calloc(sim->cap_edges, sizeof(*sim->edges));
	if (sim->edges == NULL) {
		graph_free(&g);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < sim->n_nodes; i++)
		if (node_init(sim, &sim->nodes[i], (int)i, i >= sim->n_honest, cause) != 0) {
			graph_free(&g);
			return -1;
		}
	for (size_t i = 0; i < g.n_edges; i++)
		if (add_edge(sim, g.edges[i][0], g.edges[i][1]) != 0) {
			graph_free(&g);
			return set_cause(cause, -ENOMEM, "out of memory");
		}
	graph_free(&g);
	/* The misbehaving node hangs off honest nodes, which dial it. */
	for (size_t i = 0; i < evil_links; i++) {
		size_t a = rng_uniform(&sim->rng, sim->n_honest);

		if (i > 0 && sim->edges[sim->n_edges - 1].n[0]->idx == (int)a)
			continue;
		if (add_edge(sim, a, sim->n_honest) != 0)
			return set_cause(cause, -ENOMEM, "out of memory");
	}
	if (evil && evil_init(sim, &sim->nodes[sim->n_honest]) != 0)
		return set_cause(cause, -ENOMEM, "out of memory");
	return 0;
}

int
sim_init(struct sim *sim, const struct sim_opts *o, char **cause)
{
	const char *tmp = o->tmp != NULL ? o->tmp : (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	uint64_t until = o->until_ms * 1000;

	memset(sim, 0, sizeof(*sim));
	sim->o = *o;
	rng_seed(&sim->rng, o->seed);
	draw_limits(sim);
	snprintf(sim->base, sizeof(sim->base), "%s/tessera-sim.XXXXXX", tmp);
	if (mkdtemp(sim->base) == NULL)
		return set_cause(cause, -errno, "%s: %s", sim->base, strerror(errno));
	if ((sim->trace = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(sim->trace, EVP_sha256(), NULL) != 1)
		return set_cause(cause, -ENOMEM, "out of memory");
	sim->n_honest = o->nodes;
	sim->n_nodes = o->nodes + ((o->faults & (1u << F_EVIL)) ? 1 : 0);
	if ((sim->nodes = calloc(sim->n_nodes, sizeof(*sim->nodes))) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	if (build_network(sim, cause) != 0)
		return -1;
	if (faults_plan(sim) != 0)
		return set_cause(cause, -ENOMEM, "out of memory");
	for (size_t i = 0; i < sim->n_edges; i++)
		link_schedule_dial(sim, &sim->edges[i], sim_rand_range(&sim->rng, 1, 200));
	for (size_t i = 0; i < sim->n_honest; i++)
		sim_schedule(sim, rng_uniform(&sim->rng, o->tick_ms * 1000), EV_TICK, &sim->nodes[i], NULL,
		    0, 0);
	/* Records are written while faults happen, up to the heal. */
	for (size_t i = 0; i < o->records; i++)
		sim_schedule(sim, sim_rand_range(&sim->rng, 1000, sim->heal_at > 0 ? sim->heal_at :
		    until / 2), EV_AUTHOR, &sim->nodes[rng_uniform(&sim->rng, sim->n_honest)], NULL, 0, 0);
	return 0;
}

static void
dispatch(struct sim *sim, const struct sim_event *e)
{
	switch (e->kind) {
	case EV_DELIVER:
		link_deliver(sim, e->a, e->gen);
		break;
	case EV_VERIFY:
		link_verify_done(sim, e->a, e->b);
		break;
	case EV_DIAL:
		link_dial(sim, e->a);
		break;
	case EV_TEARDOWN: {
		struct sim_conn *c = e->a;

		if (c->gen == e->gen)
			link_teardown(sim, c, "connection closed");
		break;
	}
	case EV_TICK: {
		struct sim_node *n = e->a;

		node_tick(n);
		sim_schedule(sim, sim->now + sim->o.tick_ms * 1000, EV_TICK, n, NULL, 0, 0);
		break;
	}
	case EV_RESUME:
		node_resume(e->a);
		break;
	case EV_AUTHOR:
		records_author(sim, e->a);
		break;
	case EV_FAULT:
		fault_fire(sim, e->a, e->arg == 0);
		break;
	case EV_EVIL: {
		struct sim_side *sd = e->a;

		if (sd->conn->gen == e->gen && sd->conn->edge->conn == sd->conn)
			evil_event(sim, sd);
		break;
	}
	case EV_CRASH: {
		struct sim_node *n = e->a;

		if (n->down > 0)
			node_crash(n);
		break;
	}
	case EV_COUNT:
		break;
	}
}

uint64_t
sim_run_until(struct sim *sim, uint64_t until, bool stop_when_quiet)
{
	struct sim_event e;
	uint64_t ran = 0;

	while (sim->q.n > 0 && sim->q.heap[0].t <= until) {
		if (stop_when_quiet && sim->q.busy == 0)
			break;
		simq_pop(&sim->q, &e);
		sim->now = e.t;
		dispatch(sim, &e);
		ran++;
	}
	if (!stop_when_quiet && sim->now < until)
		sim->now = until;
	sim->st.events += ran;
	return ran;
}

static void
rmtree_node(struct sim_node *n)
{
	static const char *files[] = { STORE_DB_FILE, STORE_DB_FILE "-wal", STORE_DB_FILE "-shm",
		STORE_DB_FILE "-journal", "backup.db" };
	char path[160];

	if (n->dir[0] == '\0')
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", n->dir, files[i]);
		unlink(path);
	}
	rmdir(n->dir);
}

void
sim_free(struct sim *sim)
{
	/* Connections first: their sessions end and become zombies. */
	for (size_t i = 0; i < sim->n_edges; i++)
		if (sim->edges[i].conn != NULL)
			link_teardown(sim, sim->edges[i].conn, "simulation over");
	/* Jobs still queued run to completion unapplied (their sessions are
	 * dropped), so that every session can be freed. */
	for (struct sim_event e; simq_pop(&sim->q, &e);)
		if (e.kind == EV_VERIFY)
			link_verify_done(sim, e.a, e.b);
	link_reap(sim);
	for (size_t i = 0; i < sim->n_nodes; i++) {
		node_free(&sim->nodes[i]);
		rmtree_node(&sim->nodes[i]);
	}
	if (sim->base[0] != '\0')
		rmdir(sim->base);
	evil_free(sim);
	faults_free(sim);
	ledger_free(&sim->acks);
	simq_free(&sim->q);
	EVP_MD_CTX_free(sim->trace);
	free(sim->nodes);
	free(sim->edges);
	free(sim->forged);
}
