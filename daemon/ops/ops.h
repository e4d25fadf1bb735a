/* What the operations modules (health, metrics, notify) and the control
 * socket's reports read of the running node. */
#ifndef OPS_H
#define OPS_H

#include <stdint.h>
#include <uv.h>

struct config;
struct health;
struct peers;
struct store;

/* Owned by the composition root (node.c), which keeps it current: conf is
 * swapped on SIGHUP, peers is set once the peer manager runs and cleared
 * when it stops. Modules keep a pointer to it, never a copy, so they always
 * read the current values. */
struct ops_env {
	uv_loop_t *loop;
	struct store *store;
	const struct health *health;   /* records rejected from peers */
	struct peers *peers;           /* NULL before start-up and after stop */
	const struct config *conf;     /* the configuration in force */
	int64_t started;               /* wall ms */
	/* Records pushed to this node that it already held (the sessions'
	 * session_env.duplicates); NULL: not counted. */
	const uint64_t *push_duplicates;
	const uint64_t *push_forwarded;   /* forwarded before commit (session_env) */
};

#endif
