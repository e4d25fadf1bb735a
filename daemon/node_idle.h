/* Giving memory back when the node comes to rest: after a burst (a sync,
 * an import, a run of searches) SQLite's page cache, the tokenizer's word
 * cache and the freed heap stay resident though an idle node needs none of
 * them. A tick every NODE_IDLE_TICK_MS compares what the store holds (its
 * highest seq and SQLite's memory) with the last tick; unchanged over a
 * whole tick after a change, the node is at rest: the store releases its
 * caches and malloc returns the free pages. */
#ifndef NODE_IDLE_H
#define NODE_IDLE_H

#define NODE_IDLE_TICK_MS 5000

struct node;

/* The timer (node_open); node_stop closes it. */
void node_idle_init(struct node *n);
void node_idle_start(struct node *n);
/* One tick (exported for tests): releases memory if the node is at rest
 * after a change. Returns the bytes the store freed, 0 if nothing was done. */
unsigned long long node_idle_tick(struct node *n);

#endif
