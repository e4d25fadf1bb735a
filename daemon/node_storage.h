/* The node's part of a full disk (store_on_full): while storage is full, a
 * probe write every NODE_STORAGE_PROBE_MS tests for space; when it goes
 * through, the records peers hold for us are stored first (they are what
 * needs the space). Storage counts as writable again once real data is
 * committed, or when the probe succeeded and nothing that waited failed: so
 * a probe that fits where real data does not cannot make the state flap.
 *
 * It sees the loop, the store and what node.c hands it: the sessions' retry
 * flag and a hook that lets the peers store what they hold. */
#ifndef NODE_STORAGE_H
#define NODE_STORAGE_H

#include <stdbool.h>
#include <uv.h>

#define NODE_STORAGE_PROBE_MS 2000

struct store;

struct node_storage {
	uv_timer_t timer;
	struct store *store;
	bool *retry;                  /* session_env.storage_retry */
	void (*resume)(void *arg);    /* the peers store what they hold */
	void *hook_arg;
	bool stopped;
};

/* Makes the timer and registers with the store's full state (node_open). */
void node_storage_init(struct node_storage *s, uv_loop_t *loop, struct store *store,
    bool *retry, void (*resume)(void *arg), void *hook_arg);
/* Closes the timer (node_stop); later news of the store is ignored. */
void node_storage_stop(struct node_storage *s);

#endif
