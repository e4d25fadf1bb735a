/* The TLS tests' fixture: two nodes, and connection ends (a tls engine or
 * a raw OpenSSL peer) joined back to back in memory, no sockets. */
#ifndef TLSFIX_H
#define TLSFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "core/identity.h"
#include "net/tls.h"

/* One side of a connection: a tls engine, or a raw OpenSSL SSL. */
struct tlsfix_end {
	struct tls_engine *e;
	SSL *raw;
	BIO *rb, *wb;                   /* raw only; owned by raw */
	int rc;                         /* first failure seen */
	uint8_t *in;                    /* plaintext received */
	size_t inlen, incap;
	const size_t *chunks;           /* feed in these sizes, cycling; 0 ends */
};

struct tlsfix_pin {
	const uint8_t *want;
	bool refuse;
	int calls;
};

struct tlsfix_node {
	char dir[64];
	struct identity *id;
	struct tls_ctx *ctx;
};

/* The two nodes made by tlsfix_group_setup. */
extern struct tlsfix_node tlsfix_server_node, tlsfix_client_node;

/* The tls engines' pin callback: arg is a struct tlsfix_pin. */
int tlsfix_pin_check(void *arg, const uint8_t pub[TESS_KEY_LEN]);
/* Creates the server and client nodes; the cmocka group setup. */
int tlsfix_group_setup(void **state);
/* Frees and removes the two nodes. */
int tlsfix_group_teardown(void **state);
/* An engine end of node n, checking the peer with pin p. */
void tlsfix_end_init(struct tlsfix_end *x, struct tlsfix_node *n, bool server,
    struct tlsfix_pin *p);
/* A raw OpenSSL client: optional certificate, highest protocol version. */
void tlsfix_end_init_raw(struct tlsfix_end *x, X509 *cert, EVP_PKEY *key, int max_version);
/* Frees an end. */
void tlsfix_end_free(struct tlsfix_end *x);
/* Reads all the plaintext ready, in small pieces to exercise cap. */
void tlsfix_end_drain(struct tlsfix_end *x);
/* Feeds len bytes from the peer to x, in x's chunk sizes. */
void tlsfix_end_feed(struct tlsfix_end *x, const uint8_t *p, size_t len);
/* One flight from a to b; returns the number of bytes moved. */
size_t tlsfix_move(struct tlsfix_end *a, struct tlsfix_end *b);
/* Moves flights both ways until neither side has anything to send. */
void tlsfix_pump(struct tlsfix_end *a, struct tlsfix_end *b);
/* Starts an engine client and server with pins and runs the handshake. */
void tlsfix_connect_pair(struct tlsfix_end *c, struct tlsfix_end *s, struct tlsfix_pin *cp,
    struct tlsfix_pin *sp);

#endif
