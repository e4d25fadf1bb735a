/* The TLS tests' fixture: two nodes and connection ends joined in memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/identity.h"
#include "net/tls.h"
#include "tlsfix.h"

struct tlsfix_node tlsfix_server_node, tlsfix_client_node;

int
tlsfix_pin_check(void *arg, const uint8_t pub[TESS_KEY_LEN])
{
	struct tlsfix_pin *p = arg;

	p->calls++;
	if (p->refuse)
		return -1;
	return memcmp(pub, p->want, TESS_KEY_LEN) != 0;
}

static int
node_init(struct tlsfix_node *n)
{
	char *cause = NULL;

	snprintf(n->dir, sizeof(n->dir), "/tmp/test_tls.XXXXXX");
	if (mkdtemp(n->dir) == NULL)
		return -1;
	if (identity_create(n->dir, &n->id, &cause) != 0 ||
	    tls_ctx_new(n->id, &n->ctx, &cause) != 0) {
		fprintf(stderr, "node_init: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static void
node_free(struct tlsfix_node *n)
{
	char path[128];

	tls_ctx_free(n->ctx);
	identity_free(n->id);
	snprintf(path, sizeof(path), "%s/%s", n->dir, IDENTITY_KEY_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", n->dir, IDENTITY_CERT_FILE);
	unlink(path);
	rmdir(n->dir);
}

int
tlsfix_group_setup(void **state)
{
	if (node_init(&tlsfix_server_node) != 0 || node_init(&tlsfix_client_node) != 0)
		return -1;
	return 0;
}

int
tlsfix_group_teardown(void **state)
{
	node_free(&tlsfix_server_node);
	node_free(&tlsfix_client_node);
	return 0;
}

void
tlsfix_end_init(struct tlsfix_end *x, struct tlsfix_node *n, bool server, struct tlsfix_pin *p)
{
	memset(x, 0, sizeof(*x));
	x->e = tls_engine_new(n->ctx, server, tlsfix_pin_check, p);
	assert_non_null(x->e);
}

/* A raw OpenSSL client: optional certificate, highest protocol version. */
void
tlsfix_end_init_raw(struct tlsfix_end *x, X509 *cert, EVP_PKEY *key, int max_version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	memset(x, 0, sizeof(*x));
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, max_version), 1);
	if (cert != NULL) {
		assert_int_equal(SSL_CTX_use_certificate(ctx, cert), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	x->raw = SSL_new(ctx);
	SSL_CTX_free(ctx);      /* the SSL keeps its own reference */
	x->rb = BIO_new(BIO_s_mem());
	x->wb = BIO_new(BIO_s_mem());
	assert_non_null(x->raw);
	SSL_set_bio(x->raw, x->rb, x->wb);
	SSL_set_connect_state(x->raw);
}

void
tlsfix_end_free(struct tlsfix_end *x)
{
	tls_engine_free(x->e);
	SSL_free(x->raw);
	free(x->in);
	ERR_clear_error();
}

static void
end_append(struct tlsfix_end *x, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (x->inlen + n > x->incap) {
		x->incap = (x->inlen + n) * 2;
		x->in = realloc(x->in, x->incap);
		assert_non_null(x->in);
	}
	memcpy(x->in + x->inlen, p, n);
	x->inlen += n;
}

static void
end_fail(struct tlsfix_end *x, int rc)
{
	if (x->rc != 0)
		return;
	x->rc = rc;
	print_message("  %s failed: %s\n", x->e == NULL ? "raw peer" :
	    "engine", x->e != NULL ? tls_error(x->e) :
	    ERR_reason_error_string(ERR_peek_error()));
}

/* Reads all the plaintext ready, in small pieces to exercise cap. */
void
tlsfix_end_drain(struct tlsfix_end *x)
{
	uint8_t buf[3001];
	size_t n;
	int rc;

	if (x->e != NULL) {
		do {
			rc = tls_read(x->e, buf, sizeof(buf), &n);
			if (rc < 0) {
				end_fail(x, rc);
				return;
			}
			assert_true(n <= sizeof(buf));
			end_append(x, buf, n);
		} while (n > 0);
		return;
	}
	if (!SSL_is_init_finished(x->raw)) {
		rc = SSL_do_handshake(x->raw);
		if (rc != 1 && SSL_get_error(x->raw, rc) != SSL_ERROR_WANT_READ) {
			end_fail(x, -EPROTO);
			return;
		}
		if (rc != 1)
			return;
	}
	for (;;) {
		rc = SSL_read_ex(x->raw, buf, sizeof(buf), &n);
		if (rc == 1) {
			end_append(x, buf, n);
			continue;
		}
		if (SSL_get_error(x->raw, rc) != SSL_ERROR_WANT_READ)
			end_fail(x, -EPROTO);
		return;
	}
}

void
tlsfix_end_feed(struct tlsfix_end *x, const uint8_t *p, size_t len)
{
	size_t i = 0, n;
	int rc;

	while (len > 0) {
		n = len;
		if (x->chunks != NULL) {
			if (x->chunks[i] == 0)
				i = 0;
			n = x->chunks[i++];
			if (n > len)
				n = len;
		}
		if (x->e != NULL) {
			rc = tls_feed(x->e, p, n);
			if (rc < 0)
				end_fail(x, rc);
		} else
			assert_int_equal(BIO_write(x->rb, p, (int)n), (int)n);
		tlsfix_end_drain(x);
		p += n;
		len -= n;
	}
}

static size_t
end_take(struct tlsfix_end *x, uint8_t **buf)
{
	size_t len = 0;
	int n;

	if (x->e != NULL) {
		assert_int_equal(tls_take_output(x->e, buf, &len), 0);
		assert_true((*buf == NULL) == (len == 0));
		return len;
	}
	*buf = NULL;
	len = BIO_ctrl_pending(x->wb);
	if (len == 0)
		return 0;
	*buf = malloc(len);
	assert_non_null(*buf);
	n = BIO_read(x->wb, *buf, (int)len);
	assert_int_equal(n, (int)len);
	return len;
}

/* One flight from a to b; returns the number of bytes moved. */
size_t
tlsfix_move(struct tlsfix_end *a, struct tlsfix_end *b)
{
	uint8_t *buf;
	size_t len = end_take(a, &buf);

	if (len > 0)
		tlsfix_end_feed(b, buf, len);
	free(buf);
	return len;
}

void
tlsfix_pump(struct tlsfix_end *a, struct tlsfix_end *b)
{
	int rounds = 0;

	while (tlsfix_move(a, b) + tlsfix_move(b, a) > 0)
		assert_true(++rounds < 1000);
}

void
tlsfix_connect_pair(struct tlsfix_end *c, struct tlsfix_end *s,
    struct tlsfix_pin *cp, struct tlsfix_pin *sp)
{
	cp->want = tlsfix_server_node.id->pub;
	sp->want = tlsfix_client_node.id->pub;
	tlsfix_end_init(c, &tlsfix_client_node, false, cp);
	tlsfix_end_init(s, &tlsfix_server_node, true, sp);
	assert_int_equal(tls_start(s->e), 0);
	assert_int_equal(tls_start(c->e), 0);
	tlsfix_pump(c, s);
}
