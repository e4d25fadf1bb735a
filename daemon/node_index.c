/* Search indexing when the loop is quiet (node_index.h).
 *
 * Every arrival of records (node_changed) marks the loop busy. A timer
 * waits until NODE_INDEX_QUIET_MS have passed without one, then an idle
 * handle indexes one slice per loop iteration, of STORE_INDEX_SLICE texts,
 * doubling up to NODE_INDEX_SLICE_MAX while nothing arrives: the loop polls
 * its sockets between slices, so a frame that arrives waits one slice at
 * most, and the arrival sends indexing back to waiting and small slices.
 * Under a stream that never pauses a slice still runs every
 * NODE_INDEX_DEFER_MAX_MS, so the backlog cannot grow without end. While an
 * import holds the store's transaction, nothing runs: the import's end
 * marks the loop busy again. */
#include "node_index.h"

#include "core/log.h"
#include "node.h"
#include "store/store.h"

static void on_index_timer(uv_timer_t *t);

/* Waits ms (at least 1: a timer of 0 restarted from its own callback
 * would run again in the same pass of the loop). */
static void
index_wait(struct node *n, uint64_t ms)
{
	uv_idle_stop(&n->index.idle);
	uv_timer_start(&n->index.timer, on_index_timer, ms > 0 ? ms : 1, 0);
}

/* One slice; false when it failed (the next try waits). */
static bool
index_slice(struct node *n)
{
	int rc = store_index_step(n->store, n->index.slice);

	n->index.waiting_since = uv_now(n->loop);
	if (rc == 0) {
		/* node_index_kick sets it back when records arrive. */
		if (n->index.slice < NODE_INDEX_SLICE_MAX)
			n->index.slice *= 2;
		return true;
	}
	n->index.slice = STORE_INDEX_SLICE;
	log_warnx("search index: %s; trying again in %d s", store_errmsg(n->store),
	    NODE_INDEX_RETRY_MS / 1000);
	index_wait(n, NODE_INDEX_RETRY_MS);
	return false;
}

/* Nothing waits any more (texts indexed, or removed before they were). */
static bool
index_done(struct node *n)
{
	if (store_index_pending(n->store))
		return false;
	n->index.waiting_since = 0;
	uv_idle_stop(&n->index.idle);
	return true;
}

static void
on_index_idle(uv_idle_t *h)
{
	struct node *n = h->data;
	uint64_t now = uv_now(n->loop);

	if (index_done(n))
		return;
	if (now - n->index.busy_at < NODE_INDEX_QUIET_MS || n->sessions.store_held) {
		index_wait(n, NODE_INDEX_QUIET_MS);
		return;
	}
	index_slice(n);
}

static void
on_index_timer(uv_timer_t *t)
{
	struct node *n = t->data;
	uint64_t now = uv_now(n->loop), quiet_for = now - n->index.busy_at;

	if (index_done(n))
		return;
	if (n->sessions.store_held) {
		index_wait(n, NODE_INDEX_QUIET_MS);
		return;
	}
	if (quiet_for >= NODE_INDEX_QUIET_MS) {
		uv_idle_start(&n->index.idle, on_index_idle);
		return;
	}
	/* Busy: one slice if indexing has waited too long, then wait again. */
	if (now - n->index.waiting_since >= NODE_INDEX_DEFER_MAX_MS && !index_slice(n))
		return;
	index_wait(n, NODE_INDEX_QUIET_MS - quiet_for);
}

void
node_index_init(struct node *n)
{
	uv_timer_init(n->loop, &n->index.timer);
	uv_idle_init(n->loop, &n->index.idle);
	n->index.timer.data = n->index.idle.data = n;
	n->index.busy_at = 0;
	n->index.waiting_since = 0;
	n->index.slice = STORE_INDEX_SLICE;
	if (store_index_pending(n->store))
		node_index_kick(n);
}

void
node_index_kick(struct node *n)
{
	uint64_t now = uv_now(n->loop);

	if (n->stopping)
		return;
	n->index.busy_at = now;
	n->index.slice = STORE_INDEX_SLICE;
	if (n->index.waiting_since == 0)
		n->index.waiting_since = now;
	if (!uv_is_active((uv_handle_t *)&n->index.timer) &&
	    !uv_is_active((uv_handle_t *)&n->index.idle))
		index_wait(n, NODE_INDEX_QUIET_MS);
}

void
node_index_stop(struct node *n)
{
	uv_close((uv_handle_t *)&n->index.timer, NULL);
	uv_close((uv_handle_t *)&n->index.idle, NULL);
}
