/* One peer connection: TCP -> TLS engine -> frames -> Envelope -> state
 * machine -> sync. Owns its handles; freed in the TCP handle's close_cb. */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/nodeid.h"
#include "peer.pb-c.h"
#include "sync/sync.h"
#include "core/wire.h"

struct peers;
struct peer_slot;
struct node;

enum peer_state {
	PEER_TLS,          /* TLS handshake */
	PEER_HELLO,        /* waiting for the peer's Hello */
	PEER_ESTABLISHED,  /* syncing */
	PEER_CLOSING,
};

struct peer {
	struct peers *mgr;
	struct node *node;
	struct peer_slot *slot;        /* configured peer; NULL until known or once removed */
	uv_tcp_t tcp;
	uv_shutdown_t shutdown_req;
	struct tls_engine *tls;
	struct wire_reader rd;
	enum peer_state state;
	bool inbound;
	char addr[64];                 /* remote address, for logs */
	uint8_t key[TESS_KEY_LEN];     /* verified peer key (after TLS) */
	char label[96];                /* "name (SHORTID)" or the address */
	char remote_name[65];
	uint32_t remote_max_frame, remote_max_batch;
	uint64_t deadline;             /* handshake/close deadline, mono ms; 0 = none */
	uint64_t last_rx, last_tx;     /* mono ms */
	uint64_t last_drain;           /* mono ms: a write completed or the queue was empty */
	uint64_t since;                /* wall ms when established */
	size_t queued;                 /* ciphertext handed to uv_write, not yet written */
	bool reading, read_paused_queue, read_paused_rate, read_paused_work;
	double tokens;                 /* rate limit bucket (messages) */
	uint64_t tokens_at;
	uint64_t bytes_in, bytes_out;
	struct sync sync;
	/* Messages wait here, in order, while one of them waits for earlier
	 * Records to be verified and stored (sync returns SYNC_DEFER). */
	struct held_frame *held, *held_tail;
	bool holding;
	int refs;                      /* verification jobs in flight hold the peer */
	bool handle_closed;
	struct peer *next;
};

/* Takes an initialized, connected TCP handle's place: the caller passes an
 * uninitialized peer from peer_new and then accepts/connects into p->tcp. */
struct peer *peer_new(struct peers *mgr, bool inbound, struct peer_slot *slot);
/* Starts TLS once the TCP connection is up. */
int peer_start(struct peer *p);
/* Packs, encrypts and queues a message. Returns 0 or negative (peer closing). */
int peer_send(struct peer *p, const Tessera__Envelope *env);
/* Closes with a reason logged once (NULL: quietly). Safe to call repeatedly. */
void peer_close(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Stops or resumes reading while received work is still being processed. */
void peer_pause_work(struct peer *p, bool paused);
/* Handles the messages held back, in order, now that the work they waited
 * for is done. */
void peer_release(struct peer *p);
/* Work queued on the threadpool keeps the peer's memory alive. */
void peer_ref(struct peer *p);
void peer_unref(struct peer *p);
/* Deadlines, keepalive, rate-limit refill: called by the manager's tick. */
void peer_tick(struct peer *p, uint64_t now);
/* Bytes of send budget left before the soft limit (0 = stop producing). */
size_t peer_send_room(const struct peer *p);
const char *peer_state_name(enum peer_state s);

#endif
