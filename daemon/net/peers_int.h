/* Shared by peers.c, peer.c and peers_report.c: the configured peers and the
 * manager. */
#ifndef PEERS_INT_H
#define PEERS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "core/flap.h"
#include "net/admit.h"
#include "net/pending.h"
#include "core/rng.h"
#include "net/peers.h"
#include "core/tessera.h"

struct peer;
struct dial;

struct peer_slot {
	char *name;
	char *address;                 /* NULL: this peer only dials in */
	struct endpoint ep;
	uint8_t id[TESS_KEY_LEN];
	struct peer *active;           /* the one session kept (hello or established) */
	struct peer *dialing;          /* outbound attempt in progress */
	struct dial *dial;             /* resolving or connecting (net/peers_dial.c); NULL once a
	                                * peer holds the connection (dialing) */
	uint32_t backoff_ms;
	uint64_t next_dial;            /* mono ms */
	int64_t connected_since, last_sync;   /* wall ms */
	char label[96];                /* "name (SHORTID)" for logs */
	char last_error[192];
	int64_t last_error_at;         /* wall ms */
	int64_t down_since;            /* wall ms the peer was last seen up (or we started); 0: up */
	struct flap flap;              /* consecutive failures, for log suppression */
	uint64_t bytes_in, bytes_out;  /* of closed sessions; live ones add theirs */
	struct session_join *join;     /* we join it with an invite: sent in our Hello
	                                * until a session is established; else NULL */
	struct peer_slot *next;
};

struct peers {
	uv_loop_t *loop;
	const struct config *conf;     /* the running configuration (peers_reload swaps it) */
	uint8_t self[TESS_KEY_LEN];    /* our node's key */
	struct session_env *sessions;  /* shared by every session; owned by the node */
	struct tls_ctx *tls;
	uv_tcp_t *listeners;
	size_t n_listeners, n_listening;
	struct peer_slot *slots;
	struct peer *conns;            /* every connection, any state */
	size_t n_resolving;            /* dials alive (resolving, connecting or closing) */
	struct dial *dials;            /* those dials, to time out and stop */
	uv_timer_t tick;
	struct rng rng;                /* reconnect jitter; seeded from RAND_bytes at start */
	bool stopping;
	/* Inbound connections from accept until the pin check passes. */
	struct admit admit;
	/* Refused inbound connections: a few logged per minute, the rest
	 * counted, so that strangers cannot fill the log. */
	uint64_t refused_window;       /* mono ms the current minute began */
	uint32_t refused_logged, refused_quiet;
	/* Unknown nodes that proved their key and were refused. */
	struct pending pending;
	/* A stranger's Hello carried an invite proof (peers_env.on_join). */
	int (*on_join)(void *arg, const uint8_t key[TESS_KEY_LEN], const char *name,
	    const struct session_join *join, char *why, size_t whylen);
	/* Rotations (peers_env.on_rotate, peers_env.rotated). */
	int (*on_rotate)(void *arg, const uint8_t key[TESS_KEY_LEN],
	    Tessera__SignedRecord *const *v, size_t n, char *why, size_t whylen);
	bool (*rotated)(void *arg, const uint8_t pinned[TESS_KEY_LEN],
	    const uint8_t key[TESS_KEY_LEN]);
	void *hook_arg;
};

const struct config *peers_conf(const struct peers *m);
/* Logs a failure of s at addr unless it repeats inside flap suppression. */
void peers_slot_failed(struct peer_slot *s, const char *addr, const char *reason, bool was_up);
/* Sets s's next dial after its backoff, with jitter. */
void peers_redial_later(struct peers *m, struct peer_slot *s);
/* Frees a stopping manager once nothing holds it any more. */
void peers_maybe_free(struct peers *m);
/* TLS pin callback for inbound connections: any configured peer, and
 * strangers while the pending bucket allows (pending.h). */
int peers_pin_any(void *arg, const uint8_t key[TESS_KEY_LEN]);
/* After the TLS handshake: binds p to its slot, keeping one session per
 * peer. Returns 0 to go on, negative if p must close (duplicate). */
int peers_attach(struct peers *m, struct peer *p);
/* Binds p to its slot s (NULL: closes p), keeping one session per peer.
 * Returns 0, or negative if p must close (closed already). */
int peers_bind(struct peers *m, struct peer *p, struct peer_slot *s);
struct peer_slot *peers_slot_find(struct peers *m, const uint8_t id[TESS_KEY_LEN]);
/* The slot whose pinned key was rotated to key (peers_env.rotated); NULL. */
struct peer_slot *peers_slot_rotated(struct peers *m, const uint8_t key[TESS_KEY_LEN]);
/* p is closing: forget it in its slot and schedule a redial. */
void peers_detach(struct peers *m, struct peer *p, const char *reason);
/* p's handle is closed: drop it from the list (it is freed by the caller). */
void peers_unlink(struct peers *m, struct peer *p);
/* The listeners' callback: accepts, then admits or refuses (peers_admit.c). */
void peers_on_incoming(uv_stream_t *server, int status);
/* Closes strangers silent for first_byte_timeout; called by the tick. */
void peers_close_silent(struct peers *m, uint64_t now);

#endif
