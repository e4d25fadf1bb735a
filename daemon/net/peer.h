/* One peer connection: TCP -> TLS engine -> frames -> the session engine
 * (sync/session.h), for which it is the link. Owns its handles; freed in the
 * TCP handle's close_cb once no verification job holds it. */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/nodeid.h"
#include "core/wire.h"
#include "sync/session.h"

struct peers;
struct peer_slot;

enum peer_state {
	PEER_TLS,          /* TLS handshake */
	PEER_HELLO,        /* session started, waiting for the peer's Hello */
	PEER_ESTABLISHED,  /* syncing */
	PEER_CLOSING,
};

struct peer {
	struct peers *mgr;
	struct peer_slot *slot;        /* configured peer; NULL until known or once removed */
	uv_tcp_t tcp;
	uv_shutdown_t shutdown_req;
	struct tls_engine *tls;
	struct wire_reader rd;
	enum peer_state state;
	bool inbound;
	/* Outbound, and the key at the address is not the pinned one: its
	 * Hello must show key rotations from the pinned key before the link
	 * counts as the peer's (peers_session_hello). */
	bool unpinned;
	bool started;                  /* peer_start ran: reading, TLS begun */
	char addr[64];                 /* remote address, for logs */
	uint8_t key[TESS_KEY_LEN];     /* verified peer key (after TLS) */
	char label[96];                /* "name (SHORTID)" or the address */
	uint64_t deadline;             /* handshake/close deadline, mono ms; 0 = none */
	uint64_t last_rx;              /* mono ms: the last whole frame, or reading resumed */
	uint64_t last_drain;           /* mono ms: a write completed or the queue was empty */
	uint64_t since;                /* wall ms when established */
	size_t queued;                 /* ciphertext handed to uv_write, not yet written */
	bool reading, read_paused_queue, read_paused_session;
	uint64_t bytes_in, bytes_out;
	struct session session;        /* started once TLS authenticated the peer */
	bool has_session;
	int refs;                      /* verification jobs in flight hold the peer */
	bool handle_closed;
	struct peer *next;
};

/* Takes an initialized, connected TCP handle's place: the caller passes an
 * uninitialized peer from peer_new and then accepts/connects into p->tcp. */
struct peer *peer_new(struct peers *mgr, bool inbound, struct peer_slot *slot);
/* Starts TLS once the TCP connection is up. */
int peer_start(struct peer *p);
/* Closes with a reason logged once (NULL: quietly). Safe to call repeatedly. */
void peer_close(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Deadlines, idle and drain timeouts, the session's keepalive and rate
 * limit: called by the manager's tick. */
void peer_tick(struct peer *p, uint64_t now);
const char *peer_state_name(enum peer_state s);

#endif
