/* The running node: everything one tesserad owns, in start-up order. */
#ifndef NODE_H
#define NODE_H

#include <stdint.h>
#include <uv.h>

#include "core/tessera.h"
#include "ctl/ctl.h"
#include "ops/health.h"
#include "ops/ops.h"

struct ctl;
struct metrics;
struct notify;
struct peers;

struct node {
	uv_loop_t *loop;
	struct config *conf;
	struct identity *id;
	struct store *store;
	struct ctl *ctl;
	struct peers *peers;          /* peer connections (NULL until started) */
	struct metrics *metrics;      /* Prometheus endpoint; NULL when off */
	struct notify *notify;        /* systemd STATUS= refresh; NULL when off */
	struct health health;         /* rejected records since start-up */
	/* What ops/ and ctl/ are given (node_wire): kept current as conf and
	 * peers change. */
	struct ops_env ops;
	struct ctl_env ctl_env;
	int64_t started;              /* ms since epoch */
	uint64_t last_seq;            /* highest seq already announced to peers */
	/* An import holds the store's one write transaction open across its
	 * chunks: other writers wait (BUSY for the CLI, queued for peers) and
	 * nothing uncommitted is offered to peers. */
	const void *import_owner;
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_signal_t sig_pipe, sig_xfsz;
	/* While storage is full: probes for free space every few seconds;
	 * once writes go through again, peers store what they hold. */
	uv_timer_t storage_timer;
	int storage_retry;            /* peers may try to store while full */
	int stopping;
};

/* Called after a commit stored new records; from is the peer they came from
 * (NULL when created locally). Announces everything after node->last_seq. */
void node_changed(struct node *n, const void *from);

/* The import holding the write transaction ended: let peers catch up. */
void node_import_done(struct node *n);

/* Runs the node until SIGTERM/SIGINT; takes ownership of conf. Returns
 * the process exit status. */
int node_run(struct config *conf);

#endif
