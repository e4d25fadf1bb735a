/* Giving memory back when the node comes to rest: after a burst (a sync,
 * an import, a run of searches) SQLite's page cache, the tokenizer's word
 * cache and the freed heap stay resident though an idle node needs none of
 * them. A tick every NODE_IDLE_TICK_MS compares what the store holds (its
 * highest seq and SQLite's memory) with the last tick; unchanged over a
 * whole tick after a change, the node is at rest: the store releases its
 * caches and malloc returns the free pages.
 *
 * It sees only the loop and the store it is given (node.c wires it). */
#ifndef NODE_IDLE_H
#define NODE_IDLE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* Short enough that a node at rest gives its memory back within seconds of
 * its last search or indexing slice (the page cache may grow to 64 MB
 * during a sync: a bench measuring RSS 10 s after a sync saw it still held
 * with a 5 s tick); each tick is two reads of counters. */
#define NODE_IDLE_TICK_MS 2000

struct store;

struct node_idle {
	uv_timer_t timer;
	struct store *store;
	uint64_t seq, mem;    /* the store at the last tick */
	bool released;        /* caches released since the last change */
};

/* Makes the timer (node_open); node_idle_stop closes it. */
void node_idle_init(struct node_idle *s, uv_loop_t *loop, struct store *store);
void node_idle_start(struct node_idle *s);
void node_idle_stop(struct node_idle *s);

#endif
