/* Sans-IO TLS 1.3 engine: OpenSSL over two memory BIOs.
 *
 * Ciphertext in from the network with tls_feed(), plaintext out with
 * tls_read(); plaintext in with tls_write(), ciphertext out with
 * tls_take_output(). Never touches a socket. Both sides present their
 * Ed25519 certificate; the peer's key is checked by pin callback inside the
 * handshake, on the leaf before any chain is built or verified, so an
 * unpinned key fails the handshake cheaply. */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

/* Largest Certificate message accepted from a peer, in bytes: ours are
 * about 400 (see docs/hostile-peers.md). */
#define TLS_MAX_CERT_LIST 4096

struct tls_ctx;
struct tls_engine;

/* Returns 0 to accept the peer's public key, non-zero to refuse it. */
typedef int (*tls_pin_fn)(void *arg, const uint8_t pub[TESS_KEY_LEN]);

/* TLS 1.3 only, no session tickets, peer certificate required, our identity's
 * key and certificate. */
int tls_ctx_new(const struct identity *id, struct tls_ctx **out, char **cause);
void tls_ctx_free(struct tls_ctx *ctx);

/* pin is called during the handshake with the peer's Ed25519 key. */
struct tls_engine *tls_engine_new(struct tls_ctx *ctx, bool server, tls_pin_fn pin, void *arg);
void tls_engine_free(struct tls_engine *e);

/* Starts the handshake (client side: produces the ClientHello output). */
int tls_start(struct tls_engine *e);
/* Ciphertext from the network. Advances the handshake. Returns 0, or
 * negative on a fatal TLS error (tls_error() says why; the connection must
 * be closed after flushing tls_take_output, which may hold an alert). */
int tls_feed(struct tls_engine *e, const uint8_t *data, size_t len);
/* Decrypted bytes: copies up to cap into buf, *n = 0 when nothing is ready.
 * Returns 0, or negative on a fatal error; *n = 0 and tls_closed() true once
 * the peer has sent close_notify. */
int tls_read(struct tls_engine *e, uint8_t *buf, size_t cap, size_t *n);
/* Encrypts all of len bytes (memory BIOs never block once the handshake is
 * done). Returns 0, -EAGAIN before the handshake completes, or negative. */
int tls_write(struct tls_engine *e, const uint8_t *data, size_t len);
/* Takes all ciphertext ready to send: *buf is malloc'd (owned by the caller
 * until its write completes), *len = 0 and *buf = NULL when there is none. */
int tls_take_output(struct tls_engine *e, uint8_t **buf, size_t *len);
/* Sends close_notify (collect it with tls_take_output). */
int tls_shutdown(struct tls_engine *e);

bool tls_handshake_done(const struct tls_engine *e);
bool tls_closed(const struct tls_engine *e);
/* The verified peer key, valid once the handshake is done. */
const uint8_t *tls_peer_key(const struct tls_engine *e);
/* Human-readable reason for the last failure (never NULL). */
const char *tls_error(const struct tls_engine *e);

#endif
