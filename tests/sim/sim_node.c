/* A simulated node: a real store in its own directory, an identity from the
 * seed, and the session hooks that tesserad's node.c would register. */
#include "sim.h"

#include <errno.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/identity.h"
#include "core/util.h"
#include "store/store.h"

static struct sim_side *
my_side(struct sim_node *n, struct sim_edge *e)
{
	if (e->conn == NULL)
		return NULL;
	return &e->conn->side[e->n[0] == n ? 0 : 1];
}

/* Live sessions of n, one per established connection. */
static struct session *
session_at(struct sim_node *n, size_t k)
{
	struct sim_side *sd = my_side(n, n->edges[k]);

	return sd != NULL && sd->ss != NULL && !sd->closed ? &sd->ss->s : NULL;
}

static uint64_t
sim_clock(void *arg)
{
	const struct sim *sim = arg;

	/* Simulated wall time: a fixed date plus the simulated time. */
	return 1767225600000000ULL + sim->now;
}

static void
on_established(void *arg, struct session *s)
{
	struct sim_node *n = arg;

	n->sim->st.established++;
}

static void
on_stored(void *arg, struct session *s, size_t count)
{
	struct sim_node *n = arg;
	struct sim *sim = n->sim;
	struct sim_side *sd = s->link;
	uint64_t have = 0;

	n->stored += count;
	n->last_stored_at = sim->now;
	/* Bench: when, and over how many hops, the watched record came. */
	if (sim->watching && !n->got && store_have(n->st, sim->watch, &have) == 0 && have > 0) {
		n->got = true;
		n->got_at = sim->now;
		n->hops = link_other(sd)->node->hops + 1;
	}
	node_pump(n, s);   /* what tesserad's node.c does: offer it onward */
}

/* What tesserad's node.c does: the other sessions push the records on
 * before this node commits them. A crash fault armed on this node crashes
 * it here: forwarded, never committed. */
static int
on_forward(void *arg, struct session *s, const struct session_fwd *recs, size_t count)
{
	struct sim_node *n = arg;
	struct sim *sim = n->sim;
	size_t sent = 0;

	for (size_t k = 0; k < n->n_edges; k++) {
		struct session *o = session_at(n, k);

		if (o != NULL && o != s)
			sent += session_forward(o, recs, count);
	}
	sim->st.forwarded += sent;
	if (sent > 0 && n->crash_at_forward) {
		n->crash_at_forward = false;
		sim->st.forward_crashes++;
		sim_schedule(sim, sim->now, EV_CRASH, n, NULL, 0, 0);
		return -ECANCELED;   /* the commit never happens */
	}
	return 0;
}

static void
on_rejected(void *arg, struct session *s, enum sync_reject why, const char *detail)
{
	struct sim_node *n = arg;
	struct sim_side *sd = s->link;
	struct sim_node *peer = link_other(sd)->node;

	if (why < SYNC_REJECT_COUNT) {
		n->rejected[why]++;
		n->sim->st.rejected[why]++;
	}
	/* Honest nodes only send what was asked for and is validly signed. */
	if (!peer->evil)
		sim_violation(n->sim, "node %d rejected a record from honest node %d: %s (%s)",
		    n->idx, peer->idx, sync_reject_name(why), detail ? detail : "");
}

static void
on_full(void *arg, bool full)
{
	struct sim_node *n = arg;

	/* Writable again: let sessions store what they hold, on a later turn. */
	if (!full)
		sim_schedule(n->sim, n->sim->now, EV_RESUME, n, NULL, 0, 0);
}

int
node_init(struct sim *sim, struct sim_node *n, int idx, bool evil, char **cause)
{
	uint8_t seed[IDENTITY_SEED_LEN];

	n->sim = sim;
	n->idx = idx;
	n->evil = evil;
	sim_rand_bytes(&sim->rng, seed, sizeof(seed));
	sim_rand_bytes(&sim->rng, n->epoch, sizeof(n->epoch));
	if (identity_from_seed(seed, &n->id, cause) != 0)
		return -1;
	if (evil) {
		n->up = true;
		return 0;   /* no store: it only crafts frames */
	}
	snprintf(n->dir, sizeof(n->dir), "%s/n%d", sim->base, idx);
	if (mkdir(n->dir, 0700) != 0)
		return set_cause(cause, -errno, "%s: %s", n->dir, strerror(errno));
	n->env.lim = sim->lim;
	n->env.on_established = on_established;
	n->env.on_stored = on_stored;
	if (!sim->o.no_forward)
		n->env.on_forward = on_forward;
	n->env.on_rejected = on_rejected;
	n->env.hook_arg = n;
	if (node_open(n, true, cause) != 0)
		return -1;
	n->up = true;
	return 0;
}

int
node_open(struct sim_node *n, bool create, char **cause)
{
	struct sim *sim = n->sim;
	struct store_opts o = {
		.create = create, .clock_us = sim_clock, .clock_arg = sim, .epoch = n->epoch,
	};
	char pragma[96];

	if (store_open_opts(n->dir, &o, &n->st, cause) != 0)
		return -1;
	store_set_local(n->st, n->id->pub);
	/* Every simulated node is honest and authors its own records: the
	 * per-peer budgets for new authors (issue 15) would cut a network of
	 * thousands of authors on its first simulated day; they are tested on
	 * their own (unit.test_store_budget, e2e.test_evil_sybil). */
	store_set_budget(n->st, &(struct store_budget){ UINT32_MAX, UINT32_MAX, UINT64_MAX });
	store_on_full(n->st, on_full, n);
	/* A simulated crash closes the store cleanly, so fsync buys nothing
	 * here; a small page cache per store lets thousands fit in memory. */
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = OFF;%s%s",
	    sim->o.lean ? "PRAGMA journal_mode = MEMORY;" : "",
	    sim->o.cache_kib > 0 ? "PRAGMA cache_size = -" : "");
	if (sim->o.cache_kib > 0)
		snprintf(pragma + strlen(pragma), sizeof(pragma) - strlen(pragma), "%d;",
		    sim->o.cache_kib);
	if (sqlite3_exec(store_db(n->st), pragma, NULL, NULL, NULL) != SQLITE_OK) {
		set_cause(cause, -EIO, "%s: %s", n->dir, store_errmsg(n->st));
		store_close(n->st);
		n->st = NULL;
		return -1;
	}
	/* A disk that is full stays full across a restart. */
	if (n->full)
		sqlite3_exec(store_db(n->st), "PRAGMA max_page_count = 1", NULL, NULL, NULL);
	n->env.store = n->st;
	return 0;
}

void
node_close(struct sim_node *n)
{
	store_close(n->st);
	n->st = NULL;
	n->env.store = NULL;
}

/* The process dies: its connections reset, its sessions and every record
 * being verified are lost; what it committed stays on disk. */
void
node_crash(struct sim_node *n)
{
	if (!n->up)
		return;
	n->up = false;
	for (size_t k = 0; k < n->n_edges; k++)
		if (n->edges[k]->conn != NULL)
			link_teardown(n->sim, n->edges[k]->conn, "peer crashed");
	node_close(n);
	n->env.store_held = n->env.storage_retry = false;
	n->n_own = 0;   /* the user's memory of its records is in-process too */
}

int
node_restart(struct sim_node *n, char **cause)
{
	if (n->up)
		return 0;
	if (node_open(n, false, cause) != 0)
		return -1;
	n->up = true;
	for (size_t k = 0; k < n->n_edges; k++)
		link_schedule_dial(n->sim, n->edges[k], sim_rand_range(&n->sim->rng, 1, 500));
	return 0;
}

void
node_pump(struct sim_node *n, struct session *except)
{
	for (size_t k = 0; k < n->n_edges; k++) {
		struct session *s = session_at(n, k);

		if (s != NULL && s != except && s->state == SESSION_ESTABLISHED)
			session_pump(s);
	}
}

void
node_resume(struct sim_node *n)
{
	if (!n->up)
		return;
	for (size_t k = 0; k < n->n_edges; k++) {
		struct session *s = session_at(n, k);

		if (s != NULL)
			session_drain(s);
	}
}

/* tesserad's timers in one: keepalive and rate refill for every session,
 * and the storage probe of node.c while storage is full. */
void
node_tick(struct sim_node *n)
{
	uint64_t refused;

	if (!n->up)
		return;
	for (size_t k = 0; k < n->n_edges; k++) {
		struct session *s = session_at(n, k);

		if (s != NULL)
			session_tick(s, sim_now_ms(n->sim));
	}
	if (!store_full(n->st, NULL) || store_probe(n->st) != 0)
		return;
	refused = store_refusals(n->st);
	n->env.storage_retry = true;
	node_resume(n);
	n->env.storage_retry = false;
	if (n->st != NULL && store_full(n->st, NULL) && store_refusals(n->st) == refused)
		store_clear_full(n->st);
}

void
node_free(struct sim_node *n)
{
	node_close(n);
	identity_free(n->id);
	free(n->own);
	free(n->edges);
}
