/* The running node: the composition root. It owns one of everything (store,
 * identity, sessions' environment, peers, control socket, metrics), wires
 * the layers together and receives their news through the hooks it
 * registers. Several nodes may share one loop (tests, the simulator). */
#ifndef NODE_H
#define NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/tessera.h"
#include "ctl/ctl.h"
#include "ops/health.h"
#include "ops/ops.h"
#include "sync/session.h"
#include "node_idle.h"
#include "node_index.h"
#include "node_rotate.h"
#include "node_storage.h"

struct ctl;
struct metrics;
struct web;
struct notify;
struct peers;

struct node {
	uv_loop_t *loop;
	struct config *conf;
	struct identity *id;
	struct store *store;
	struct invites *invites;       /* open invites (core/invites.h) */
	struct ctl *ctl;
	struct peers *peers;          /* peer connections (NULL until started) */
	struct metrics *metrics;      /* Prometheus endpoint; NULL when off */
	struct web *web;              /* the web view (daemon/web); NULL when off */
	struct notify *notify;        /* systemd STATUS= refresh; NULL when off */
	struct health health;         /* rejected records since start-up */
	struct session_env sessions;  /* shared by every peer session */
	struct attach attach;         /* attachment transfers, node-wide */
	uv_timer_t blob_timer;        /* attachment GC */
	struct node_idle idle;        /* memory given back at rest (node_idle.h) */
	/* What ops/ and ctl/ are given (node_open): kept current as conf and
	 * peers change. */
	struct ops_env ops;
	struct ctl_env ctl_env;
	int64_t started;              /* ms since epoch */
	uint64_t last_seq;            /* highest seq already announced to peers */
	struct node_storage storage;  /* a full disk: probes, then peers resume (node_storage.h) */
	struct node_index index;      /* search indexing when quiet (node_index.h) */
	int lockfd;
	int stopping;
	struct node_rotate rotate;    /* our key's rotations, peers' pins (node_rotate.h) */
	/* Test fault (TESSERA_TEST_KILL_AFTER_FORWARD=N, tests/e2e): SIGKILL
	 * itself after the Nth forward before commit; 0: never. */
	unsigned long kill_after_forward;
};

/* Called after a commit stored new records: announces everything after
 * node->last_seq to every session. */
void node_changed(struct node *n);

/* Opens the node's data directory (lock, identity, store) on loop; takes
 * ownership of conf (freed by node_close, or here on failure). */
int node_open(struct config *conf, uv_loop_t *loop, struct node **out, char **cause);
/* Starts the control socket, the peers, the metrics endpoint and the web view. */
int node_start(struct node *n, char **cause);
/* Closes every handle (asynchronously: let the loop run to finish). */
void node_stop(struct node *n, const char *why);
/* Applies the configuration file again (SIGHUP); a bad file is refused. */
void node_reload(struct node *n);
/* Frees the node once its loop has no more of its handles. */
void node_close(struct node *n);

/* Runs one node on the default loop until SIGTERM/SIGINT; takes ownership
 * of conf. Returns the process exit status. */
int node_run(struct config *conf);

#endif
