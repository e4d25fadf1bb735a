/* Search indexing when the loop is quiet (node_index.h).
 *
 * Every arrival of records (node_index_kick, from node.c) marks the loop
 * busy. A timer waits until NODE_INDEX_QUIET_MS have passed without one,
 * then an idle handle indexes one slice per loop iteration, of STORE_INDEX_SLICE texts,
 * doubling up to NODE_INDEX_SLICE_MAX while nothing arrives: the loop polls
 * its sockets between slices, so a frame that arrives waits one slice at
 * most, and the arrival sends indexing back to waiting and small slices.
 * Under a stream that never pauses a slice still runs every
 * NODE_INDEX_DEFER_MAX_MS, so the backlog cannot grow without end. While an
 * import holds the store's transaction, nothing runs: the import's end
 * marks the loop busy again.
 *
 * While a slice runs, the threadpool tokenizes the texts of the next one
 * (store_index_prepare), which that slice replays; the idle handle waits
 * for the batch rather than tokenize the same texts twice. */
#include "node_index.h"

#include <errno.h>
#include <stdlib.h>

#include "core/log.h"
#include "node_pool.h"
#include "store/store.h"

struct prep_job {
	struct node_index *x;
	struct store_prep *p;
};

static void on_index_timer(uv_timer_t *t);
static void on_index_idle(uv_idle_t *h);

/* Waits ms (at least 1: a timer of 0 restarted from its own callback
 * would run again in the same pass of the loop). */
static void
index_wait(struct node_index *x, uint64_t ms)
{
	uv_idle_stop(&x->idle);
	uv_timer_start(&x->timer, on_index_timer, ms > 0 ? ms : 1, 0);
}

static void
prep_run(void *arg)
{
	store_index_prep_run(((struct prep_job *)arg)->p);
}

static void
prep_done(void *arg)
{
	struct prep_job *j = arg;
	struct node_index *x = j->x;

	store_index_prep_done(x->store, j->p);
	x->preparing = false;
	/* Kept for the next slice, unless none will come: a search's catch-up
	 * may have indexed everything meanwhile, and an idle node would hold
	 * the batch until the next record. */
	if (x->stopped || !store_index_pending(x->store))
		store_prep_free(j->p);
	else
		x->ready = j->p;   /* NULL until now: index_slice takes it before prep_next */
	if (!x->stopped && x->awaited)
		uv_idle_start(&x->idle, on_index_idle);
	x->awaited = false;
	free(j);
}

/* Starts tokenizing the texts after the slice of x->slice texts about to
 * run, as many as the slice after it will take: twice as many while the
 * loop is quiet, the smallest slice while records arrive (the rest of a
 * larger batch would be tokenized for nothing). */
static void
prep_next(struct node_index *x)
{
	size_t next = x->slice < NODE_INDEX_SLICE_MAX ? x->slice * 2 : x->slice;
	struct prep_job *j;

	if (uv_now(x->loop) - x->busy_at < NODE_INDEX_QUIET_MS)
		next = STORE_INDEX_SLICE;

	if (x->preparing || x->stopped || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->x = x;
	if ((j->p = store_index_prepare(x->store, x->slice, next)) == NULL) {
		free(j);
		return;
	}
	if (node_pool_run(x->loop, prep_run, prep_done, j) != 0) {
		store_index_prep_done(x->store, j->p);
		store_prep_free(j->p);
		free(j);
		return;
	}
	x->preparing = true;
}

/* One slice; false when it failed (the next try waits). */
static bool
index_slice(struct node_index *x)
{
	struct store_prep *p = x->ready;
	int rc;

	x->ready = NULL;
	prep_next(x);
	rc = store_index_step_with(x->store, x->slice, p);
	if (p != NULL)
		log_debug("search index: slice of up to %zu texts, %zu replayed as tokenized ahead",
		    x->slice, store_prep_replayed(p));
	store_prep_free(p);

	x->waiting_since = uv_now(x->loop);
	if (rc == 0) {
		/* node_index_kick sets it back when records arrive. */
		if (x->slice < NODE_INDEX_SLICE_MAX)
			x->slice *= 2;
		return true;
	}
	x->slice = STORE_INDEX_SLICE;
	/* Storage full: the store says so; indexing waits for space quietly. */
	if (rc != -ENOSPC)
		log_warnx("search index: %s; trying again in %d s", store_errmsg(x->store),
		    NODE_INDEX_RETRY_MS / 1000);
	index_wait(x, NODE_INDEX_RETRY_MS);
	return false;
}

/* Nothing waits any more (texts indexed, or removed before they were). */
static bool
index_done(struct node_index *x)
{
	if (store_index_pending(x->store))
		return false;
	x->waiting_since = 0;
	uv_idle_stop(&x->idle);
	store_prep_free(x->ready);
	x->ready = NULL;
	return true;
}

static void
on_index_idle(uv_idle_t *h)
{
	struct node_index *x = h->data;
	uint64_t now = uv_now(x->loop);

	if (index_done(x))
		return;
	if (now - x->busy_at < NODE_INDEX_QUIET_MS || *x->store_held) {
		index_wait(x, NODE_INDEX_QUIET_MS);
		return;
	}
	/* The next texts are being tokenized: prep_done starts us again. */
	if (x->preparing) {
		uv_idle_stop(&x->idle);
		x->awaited = true;
		return;
	}
	index_slice(x);
}

static void
on_index_timer(uv_timer_t *t)
{
	struct node_index *x = t->data;
	uint64_t now = uv_now(x->loop), quiet_for = now - x->busy_at;

	if (index_done(x))
		return;
	if (*x->store_held) {
		index_wait(x, NODE_INDEX_QUIET_MS);
		return;
	}
	if (quiet_for >= NODE_INDEX_QUIET_MS) {
		uv_idle_start(&x->idle, on_index_idle);
		return;
	}
	/* Busy: one slice if indexing has waited too long, then wait again. */
	if (now - x->waiting_since >= NODE_INDEX_DEFER_MAX_MS && !index_slice(x))
		return;
	index_wait(x, NODE_INDEX_QUIET_MS - quiet_for);
}

void
node_index_init(struct node_index *x, uv_loop_t *loop, struct store *store,
    const bool *store_held)
{
	*x = (struct node_index){ .loop = loop, .store = store, .store_held = store_held,
		.slice = STORE_INDEX_SLICE };
	uv_timer_init(loop, &x->timer);
	uv_idle_init(loop, &x->idle);
	x->timer.data = x->idle.data = x;
	if (store_index_pending(x->store))
		node_index_kick(x);
}

void
node_index_kick(struct node_index *x)
{
	uint64_t now = uv_now(x->loop);

	if (x->stopped)
		return;
	x->busy_at = now;
	x->slice = STORE_INDEX_SLICE;
	if (x->waiting_since == 0)
		x->waiting_since = now;
	if (!uv_is_active((uv_handle_t *)&x->timer) &&
	    !uv_is_active((uv_handle_t *)&x->idle))
		index_wait(x, NODE_INDEX_QUIET_MS);
}

void
node_index_stop(struct node_index *x)
{
	x->stopped = true;
	store_prep_free(x->ready);   /* a batch on the pool is freed by prep_done */
	x->ready = NULL;
	uv_close((uv_handle_t *)&x->timer, NULL);
	uv_close((uv_handle_t *)&x->idle, NULL);
}
