/* The node's part of search indexing (store_index.c): a commit makes records
 * held, and their texts are indexed afterwards, a slice at a time, when the
 * loop is quiet, so that indexing never delays a sync or a reply. */
#ifndef NODE_INDEX_H
#define NODE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct store;
struct store_prep;

/* No new records for this long: the loop is quiet, indexing runs. Long
 * enough that the pauses of a sync on a loaded machine (a batch waiting
 * for its verification or for the sender) do not count as quiet: at 10 ms,
 * slices ran between the batches of an initial sync at load 15-17. */
#define NODE_INDEX_QUIET_MS 100
/* Under a steady stream of records, a slice still runs this often. */
#define NODE_INDEX_DEFER_MAX_MS 500
/* A slice's size doubles from STORE_INDEX_SLICE up to this while no
 * record arrives between slices (an arrival starts again from
 * STORE_INDEX_SLICE). Each slice commits, and FTS5 writes a segment per
 * commit whose cost grows with the distinct terms, not the texts: 256
 * texts a slice cost 1.6 times the instructions of indexing 8,192 at
 * once (docs/search.md, "Performance"). Under a stream of arrivals, or for
 * a backlog of a few hundred texts, slices stay small. */
#define NODE_INDEX_SLICE_MAX 4096
/* After a failed slice (storage full, say), the next try waits this long. */
#define NODE_INDEX_RETRY_MS 2000

struct node_index {
	uv_loop_t *loop;
	struct store *store;
	const bool *store_held;   /* an import holds the store's transaction */
	uv_timer_t timer;         /* waits for the loop to be quiet */
	uv_idle_t idle;           /* a slice per loop iteration while quiet */
	uint64_t busy_at;         /* loop time of the last new records */
	uint64_t waiting_since;   /* loop time since when no slice ran; 0: none waits */
	size_t slice;             /* texts in the next slice */
	/* The next slice's texts tokenized ahead on the threadpool while the
	 * loop indexes a slice (store.h, "Tokenizing ahead"): ready once
	 * tokenized; preparing while the pool has a batch; awaited while the
	 * idle handle waits for it. */
	struct store_prep *ready;
	bool preparing, awaited;
	bool stopped;
};

/* Makes the handles (node_open) and indexes what a crash or a stop left
 * waiting, once the loop runs. Nothing runs while *store_held. */
void node_index_init(struct node_index *x, uv_loop_t *loop, struct store *store,
    const bool *store_held);
/* New records were committed: their texts are indexed once it is quiet. */
void node_index_kick(struct node_index *x);
/* Closes the handles (node_stop); a kick afterwards does nothing. */
void node_index_stop(struct node_index *x);

#endif
