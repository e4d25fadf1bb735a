/* Private to peer.c (transport) and peer_fsm.c (messages). */
#ifndef PEER_INT_H
#define PEER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "peer.pb-c.h"

struct peer;
enum peer_state;

/* Reads only while no limit holds them: send queue, rate, pending work. */
void peer_update_reading(struct peer *p);
/* Hands all ciphertext the TLS engine produced to the socket. */
int peer_flush(struct peer *p);
/* Logs "A -> B: why" at debug level and moves to state to. */
void peer_change_state(struct peer *p, enum peer_state to, const char *why);
/* A decrypted frame: handled, or held behind a message that waits. */
int peer_on_frame(void *arg, const uint8_t *payload, size_t len);
/* After each TLS feed: once the handshake is done, attach and say hello. */
void peer_after_tls(struct peer *p);
/* The message's field name ("offer", "records"), for -vv traces. */
const char *peer_msg_name(const Tessera__Envelope *env);
/* Frees the messages held back. */
void peer_free_held(struct peer *p);

#endif
