/* Limits checked after every event that touched a node's sessions. */
#include "sim.h"

/* Queues and in-flight counts of n's sessions stay within their limits. */
void
check_bounds(struct sim *sim, struct sim_node *n)
{
	for (size_t k = 0; k < n->n_edges; k++) {
		struct sim_conn *c = n->edges[k]->conn;
		struct sim_side *sd;
		const struct session *s;

		if (c == NULL)
			continue;
		sd = &c->side[c->edge->n[0] == n ? 0 : 1];
		if (sd->queued > sim->hard_limit)
			sim_violation(sim, "node %d: %zu bytes queued to node %d (hard limit %u)",
			    n->idx, sd->queued, link_other(sd)->node->idx, sim->hard_limit);
		if (sd->ss == NULL)
			continue;
		s = &sd->ss->s;
		if (s->sync.wanted.n > sim->lim.max_inflight_wants)
			sim_violation(sim, "node %d: %zu records wanted from node %d (limit %u)",
			    n->idx, s->sync.wanted.n, link_other(sd)->node->idx,
			    sim->lim.max_inflight_wants);
		if (s->sync.offers_inflight > SYNC_OFFERS_INFLIGHT)
			sim_violation(sim, "node %d: %zu offers in flight to node %d (limit %d)",
			    n->idx, s->sync.offers_inflight, link_other(sd)->node->idx,
			    SYNC_OFFERS_INFLIGHT);
		/* Offers answered ahead of their records (the pipeline), and a
		 * push's checkpoint beside them. */
		if (s->sync.n_pending > SYNC_PENDING_MAX + 1)
			sim_violation(sim, "node %d: %zu offers of node %d answered and not stored "
			    "(limit %d)", n->idx, s->sync.n_pending, link_other(sd)->node->idx,
			    SYNC_PENDING_MAX + 1);
		if (session_jobs(s) > SYNC_JOBS_MAX)
			sim_violation(sim, "node %d: %zu verification jobs for node %d (limit %d)",
			    n->idx, session_jobs(s), link_other(sd)->node->idx, SYNC_JOBS_MAX);
	}
}
