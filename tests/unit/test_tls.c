/* TLS engine tests: two engines (or an engine and a raw OpenSSL peer) joined
 * back to back in memory, no sockets. */
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

#include "identity.h"
#include "tls.h"

/* One side of a connection: a tls engine, or a raw OpenSSL SSL. */
struct end {
	struct tls_engine *e;
	SSL *raw;
	BIO *rb, *wb;                   /* raw only; owned by raw */
	int rc;                         /* first failure seen */
	uint8_t *in;                    /* plaintext received */
	size_t inlen, incap;
	const size_t *chunks;           /* feed in these sizes, cycling; 0 ends */
};

struct pin {
	const uint8_t *want;
	bool refuse;
	int calls;
};

struct node {
	char dir[64];
	struct identity *id;
	struct tls_ctx *ctx;
};

static struct node server_node, client_node;

static int
pin_check(void *arg, const uint8_t pub[TESS_KEY_LEN])
{
	struct pin *p = arg;

	p->calls++;
	if (p->refuse)
		return -1;
	return memcmp(pub, p->want, TESS_KEY_LEN) != 0;
}

static int
node_init(struct node *n)
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
node_free(struct node *n)
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

static int
group_setup(void **state)
{
	if (node_init(&server_node) != 0 || node_init(&client_node) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	node_free(&server_node);
	node_free(&client_node);
	return 0;
}

static void
end_init(struct end *x, struct node *n, bool server, struct pin *p)
{
	memset(x, 0, sizeof(*x));
	x->e = tls_engine_new(n->ctx, server, pin_check, p);
	assert_non_null(x->e);
}

/* A raw OpenSSL client: optional certificate, highest protocol version. */
static void
end_init_raw(struct end *x, X509 *cert, EVP_PKEY *key, int max_version)
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

static void
end_free(struct end *x)
{
	tls_engine_free(x->e);
	SSL_free(x->raw);
	free(x->in);
	ERR_clear_error();
}

static void
end_append(struct end *x, const uint8_t *p, size_t n)
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
end_fail(struct end *x, int rc)
{
	if (x->rc != 0)
		return;
	x->rc = rc;
	print_message("  %s failed: %s\n", x->e == NULL ? "raw peer" :
	    "engine", x->e != NULL ? tls_error(x->e) :
	    ERR_reason_error_string(ERR_peek_error()));
}

/* Reads all the plaintext ready, in small pieces to exercise cap. */
static void
end_drain(struct end *x)
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

static void
end_feed(struct end *x, const uint8_t *p, size_t len)
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
		end_drain(x);
		p += n;
		len -= n;
	}
}

static size_t
end_take(struct end *x, uint8_t **buf)
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
static size_t
move(struct end *a, struct end *b)
{
	uint8_t *buf;
	size_t len = end_take(a, &buf);

	if (len > 0)
		end_feed(b, buf, len);
	free(buf);
	return len;
}

static void
pump(struct end *a, struct end *b)
{
	int rounds = 0;

	while (move(a, b) + move(b, a) > 0)
		assert_true(++rounds < 1000);
}

static void
connect_pair(struct end *c, struct end *s, struct pin *cp, struct pin *sp)
{
	cp->want = server_node.id->pub;
	sp->want = client_node.id->pub;
	end_init(c, &client_node, false, cp);
	end_init(s, &server_node, true, sp);
	assert_int_equal(tls_start(s->e), 0);
	assert_int_equal(tls_start(c->e), 0);
	pump(c, s);
}

static void
test_handshake_and_data(void **state)
{
	static const size_t odd[] = { 1, 7, 4096, 0 };
	struct end c, s;
	struct pin cp = { 0 }, sp = { 0 };
	size_t big = 1024 * 1024, i;
	uint8_t *payload;

	connect_pair(&c, &s, &cp, &sp);
	assert_int_equal(c.rc, 0);
	assert_int_equal(s.rc, 0);
	assert_true(tls_handshake_done(c.e));
	assert_true(tls_handshake_done(s.e));
	assert_int_equal(cp.calls, 1);
	assert_int_equal(sp.calls, 1);
	assert_memory_equal(tls_peer_key(c.e), server_node.id->pub, TESS_KEY_LEN);
	assert_memory_equal(tls_peer_key(s.e), client_node.id->pub, TESS_KEY_LEN);

	assert_int_equal(tls_write(c.e, (const uint8_t *)"hello", 5), 0);
	assert_int_equal(tls_write(s.e, (const uint8_t *)"hello", 5), 0);
	pump(&c, &s);
	assert_int_equal(s.inlen, 5);
	assert_memory_equal(s.in, "hello", 5);
	assert_int_equal(c.inlen, 5);
	assert_memory_equal(c.in, "hello", 5);

	payload = malloc(big);
	assert_non_null(payload);
	for (i = 0; i < big; i++)
		payload[i] = (uint8_t)(i * 2654435761u >> 13);
	s.inlen = 0;
	s.chunks = odd;
	assert_int_equal(tls_write(c.e, payload, big), 0);
	pump(&c, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.inlen, big);
	assert_memory_equal(s.in, payload, big);
	assert_false(tls_closed(s.e));
	assert_int_equal(cp.calls, 1);
	assert_int_equal(sp.calls, 1);
	free(payload);
	end_free(&c);
	end_free(&s);
}

static void
test_server_refuses_client(void **state)
{
	struct end c, s;
	struct pin cp = { 0 }, sp = { .refuse = true };

	cp.want = server_node.id->pub;
	end_init(&c, &client_node, false, &cp);
	end_init(&s, &server_node, true, &sp);
	assert_int_equal(tls_start(c.e), 0);
	assert_true(move(&c, &s) > 0);  /* ClientHello */
	assert_true(move(&s, &c) > 0);  /* ServerHello .. Finished */
	/* TLS 1.3 clients finish before the server has judged them. */
	assert_true(tls_handshake_done(c.e));
	assert_int_equal(tls_write(c.e, (const uint8_t *)"secret", 6), 0);
	assert_true(move(&c, &s) > 0);
	assert_int_equal(s.rc, -EACCES);
	assert_string_equal(tls_error(s.e), "peer key not pinned");
	assert_int_equal(s.inlen, 0);
	assert_false(tls_handshake_done(s.e));
	assert_null(tls_peer_key(s.e));
	pump(&c, &s);                   /* the alert */
	assert_true(c.rc < 0);
	assert_false(tls_handshake_done(c.e));
	assert_non_null(strstr(tls_error(c.e), "rejected our certificate"));
	assert_int_equal(s.inlen, 0);
	assert_int_equal(c.inlen, 0);
	assert_int_equal(sp.calls, 1);
	assert_int_equal(cp.calls, 1);
	/* Failures are sticky. */
	assert_int_equal(tls_feed(s.e, (const uint8_t *)"x", 1), -EACCES);
	assert_int_equal(tls_write(s.e, (const uint8_t *)"x", 1), -EACCES);
	end_free(&c);
	end_free(&s);
}

static void
test_client_refuses_server(void **state)
{
	struct end c, s;
	struct pin cp = { 0 }, sp = { 0 };

	cp.want = client_node.id->pub;  /* expects someone else */
	sp.want = client_node.id->pub;
	end_init(&c, &client_node, false, &cp);
	end_init(&s, &server_node, true, &sp);
	assert_int_equal(tls_start(c.e), 0);
	pump(&c, &s);
	assert_int_equal(c.rc, -EACCES);
	assert_string_equal(tls_error(c.e), "peer key not pinned");
	assert_true(s.rc < 0);
	assert_non_null(strstr(tls_error(s.e), "rejected our certificate"));
	assert_false(tls_handshake_done(c.e));
	assert_false(tls_handshake_done(s.e));
	assert_int_equal(cp.calls, 1);
	assert_int_equal(sp.calls, 0);  /* the client never got that far */
	assert_int_equal(tls_write(c.e, (const uint8_t *)"x", 1), -EACCES);
	end_free(&c);
	end_free(&s);
}

static void
test_client_without_certificate(void **state)
{
	struct end c, s;
	struct pin sp = { 0 };

	sp.want = client_node.id->pub;
	end_init_raw(&c, NULL, NULL, TLS1_3_VERSION);
	end_init(&s, &server_node, true, &sp);
	end_drain(&c);                  /* ClientHello */
	pump(&c, &s);
	assert_int_equal(s.rc, -EPROTO);
	assert_string_equal(tls_error(s.e), "peer presented no certificate");
	assert_false(tls_handshake_done(s.e));
	assert_int_equal(sp.calls, 0);
	assert_true(c.rc < 0);
	end_free(&c);
	end_free(&s);
}

static void
test_tls12_client_rejected(void **state)
{
	struct end c, s;
	struct pin sp = { 0 };

	sp.want = client_node.id->pub;
	end_init_raw(&c, client_node.id->cert, client_node.id->key, TLS1_2_VERSION);
	end_init(&s, &server_node, true, &sp);
	end_drain(&c);
	pump(&c, &s);
	assert_int_equal(s.rc, -EPROTO);
	assert_non_null(strstr(tls_error(s.e), "protocol version not supported"));
	assert_int_equal(sp.calls, 0);
	assert_true(c.rc < 0);          /* the protocol_version alert reached it */
	end_free(&c);
	end_free(&s);
}

static void
test_non_ed25519_client(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *cert = X509_new();
	struct end c, s;
	struct pin sp = { 0 };

	assert_non_null(key);
	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 3600));
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN",
	    MBSTRING_ASC, (const unsigned char *)"ec", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(cert, X509_get_subject_name(cert)), 1);
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);

	sp.want = client_node.id->pub;
	end_init_raw(&c, cert, key, TLS1_3_VERSION);
	end_init(&s, &server_node, true, &sp);
	end_drain(&c);
	pump(&c, &s);
	assert_int_equal(s.rc, -EACCES);
	assert_string_equal(tls_error(s.e), "peer certificate key is not Ed25519");
	assert_int_equal(sp.calls, 0);
	assert_true(c.rc < 0);
	end_free(&c);
	end_free(&s);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void
feed_garbage(const uint8_t *junk, size_t len)
{
	struct pin sp = { 0 };
	struct tls_engine *e = tls_engine_new(server_node.ctx, true, pin_check, &sp);
	uint8_t *out;
	size_t outlen, n;
	uint8_t buf[16];

	assert_non_null(e);
	assert_true(tls_feed(e, junk, len) < 0);
	assert_true(strlen(tls_error(e)) > 0);
	print_message("  garbage: %s\n", tls_error(e));
	assert_true(tls_feed(e, junk, len) < 0);
	assert_true(tls_read(e, buf, sizeof(buf), &n) < 0);
	assert_int_equal(n, 0);
	assert_int_equal(tls_take_output(e, &out, &outlen), 0);
	free(out);
	assert_false(tls_handshake_done(e));
	assert_int_equal(sp.calls, 0);
	tls_engine_free(e);
}

static void
test_garbage(void **state)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t huge[] = { 0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00 };
	static const uint8_t badtype[] = { 0x99, 0x03, 0x03, 0x00, 0x02, 0x01, 0x02 };
	uint8_t junk[4096];
	struct end c, s;
	struct pin cp = { 0 }, sp = { 0 };
	size_t i;

	feed_garbage((const uint8_t *)http, sizeof(http) - 1);
	feed_garbage(huge, sizeof(huge));
	feed_garbage(badtype, sizeof(badtype));
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7919 + 13);
	feed_garbage(junk, sizeof(junk));
	memset(junk, 0, sizeof(junk));
	feed_garbage(junk, sizeof(junk));

	/* Garbage after the handshake fails the reader, not the process. */
	connect_pair(&c, &s, &cp, &sp);
	assert_true(tls_handshake_done(s.e));
	junk[0] = 0x17;
	junk[1] = 0x03;
	junk[2] = 0x03;
	junk[3] = 0x00;
	junk[4] = 0x40;
	end_feed(&s, junk, 5 + 0x40);
	assert_true(s.rc < 0);
	assert_int_equal(s.inlen, 0);
	end_free(&c);
	end_free(&s);
}

static void
test_shutdown(void **state)
{
	struct end c, s;
	struct pin cp = { 0 }, sp = { 0 };
	uint8_t buf[8];
	size_t n;

	connect_pair(&c, &s, &cp, &sp);
	assert_int_equal(tls_write(c.e, (const uint8_t *)"bye", 3), 0);
	assert_int_equal(tls_shutdown(c.e), 0);
	assert_int_equal(tls_write(c.e, (const uint8_t *)"x", 1), -EPIPE);
	pump(&c, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.inlen, 3);
	assert_memory_equal(s.in, "bye", 3);
	assert_true(tls_closed(s.e));
	assert_false(tls_closed(c.e));
	assert_int_equal(tls_read(s.e, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);

	/* The other half closes too. */
	assert_int_equal(tls_shutdown(s.e), 0);
	pump(&c, &s);
	assert_int_equal(c.rc, 0);
	assert_true(tls_closed(c.e));
	end_free(&c);
	end_free(&s);
}

static void
test_write_before_handshake(void **state)
{
	struct pin cp = { 0 }, sp = { 0 };
	struct tls_engine *c = tls_engine_new(client_node.ctx, false, pin_check, &cp);
	struct tls_engine *s = tls_engine_new(server_node.ctx, true, pin_check, &sp);
	uint8_t *out;
	size_t len, n;
	uint8_t buf[8];

	assert_non_null(c);
	assert_non_null(s);
	assert_int_equal(tls_write(c, (const uint8_t *)"x", 1), -EAGAIN);
	assert_int_equal(tls_write(s, (const uint8_t *)"x", 1), -EAGAIN);
	assert_int_equal(tls_start(s), 0);
	assert_int_equal(tls_take_output(s, &out, &len), 0);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_int_equal(tls_start(c), 0);
	assert_int_equal(tls_write(c, (const uint8_t *)"x", 1), -EAGAIN);
	assert_int_equal(tls_read(c, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);
	assert_null(tls_peer_key(c));
	assert_false(tls_handshake_done(c));
	assert_int_equal(tls_shutdown(c), 0);
	assert_int_equal(tls_take_output(c, &out, &len), 0);
	assert_true(len > 0);           /* the ClientHello */
	assert_int_equal(out[0], 0x16);
	free(out);
	assert_string_equal(tls_error(c), "no error");
	tls_engine_free(c);
	tls_engine_free(s);
	tls_engine_free(NULL);
	tls_ctx_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_data),
		cmocka_unit_test(test_server_refuses_client),
		cmocka_unit_test(test_client_refuses_server),
		cmocka_unit_test(test_client_without_certificate),
		cmocka_unit_test(test_tls12_client_rejected),
		cmocka_unit_test(test_non_ed25519_client),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_write_before_handshake),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
