/* TLS engine tests: garbage input, shutdown, writing before the handshake,
 * certificate chains from strangers. */
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
#include <openssl/x509.h>

#include "core/identity.h"
#include "net/tls.h"
#include "tlsfix.h"

static void
feed_garbage(const uint8_t *junk, size_t len)
{
	struct tlsfix_pin sp = { 0 };
	struct tls_engine *e = tls_engine_new(tlsfix_server_node.ctx, true, tlsfix_pin_check, &sp);
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
	struct tlsfix_end c, s;
	struct tlsfix_pin cp = { 0 }, sp = { 0 };
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
	tlsfix_connect_pair(&c, &s, &cp, &sp);
	assert_true(tls_handshake_done(s.e));
	junk[0] = 0x17;
	junk[1] = 0x03;
	junk[2] = 0x03;
	junk[3] = 0x00;
	junk[4] = 0x40;
	tlsfix_end_feed(&s, junk, 5 + 0x40);
	assert_true(s.rc < 0);
	assert_int_equal(s.inlen, 0);
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
}

static void
test_shutdown(void **state)
{
	struct tlsfix_end c, s;
	struct tlsfix_pin cp = { 0 }, sp = { 0 };
	uint8_t buf[8];
	size_t n;

	tlsfix_connect_pair(&c, &s, &cp, &sp);
	assert_int_equal(tls_write(c.e, (const uint8_t *)"bye", 3), 0);
	assert_int_equal(tls_shutdown(c.e), 0);
	assert_int_equal(tls_write(c.e, (const uint8_t *)"x", 1), -EPIPE);
	tlsfix_pump(&c, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.inlen, 3);
	assert_memory_equal(s.in, "bye", 3);
	assert_true(tls_closed(s.e));
	assert_false(tls_closed(c.e));
	assert_int_equal(tls_read(s.e, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);

	/* The other half closes too. */
	assert_int_equal(tls_shutdown(s.e), 0);
	tlsfix_pump(&c, &s);
	assert_int_equal(c.rc, 0);
	assert_true(tls_closed(c.e));
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
}

static void
test_write_before_handshake(void **state)
{
	struct tlsfix_pin cp = { 0 }, sp = { 0 };
	struct tls_engine *c = tls_engine_new(tlsfix_client_node.ctx, false, tlsfix_pin_check, &cp);
	struct tls_engine *s = tls_engine_new(tlsfix_server_node.ctx, true, tlsfix_pin_check, &sp);
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

/* A certificate for key, issued by issuer (NULL: self-signed). */
static X509 *
chain_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : X509_get_subject_name(x)), 1);
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key, NULL) > 0);
	return x;
}

/* A raw client presenting leaf_key's certificate issued through a chain of
 * n_ca authorities, all sent in its Certificate message. */
static void
chain_client(struct tlsfix_end *c, EVP_PKEY *leaf_key, int n_ca)
{
	EVP_PKEY *ca_key = NULL, *k;
	X509 *ca = NULL, *leaf;
	X509 **cas = calloc((size_t)n_ca, sizeof(*cas));
	char cn[32];

	assert_non_null(cas);
	for (int i = 0; i < n_ca; i++) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		assert_non_null(k);
		snprintf(cn, sizeof(cn), "authority %d", i);
		cas[i] = chain_cert(k, cn, ca, ca_key);
		EVP_PKEY_free(ca_key);
		ca_key = k;
		ca = cas[i];
	}
	leaf = chain_cert(leaf_key, "leaf", ca, ca_key);
	tlsfix_end_init_raw(c, leaf, leaf_key, TLS1_3_VERSION);
	/* Nearest issuer first, as a real chain is sent. */
	for (int i = n_ca - 1; i >= 0; i--)
		assert_int_equal(SSL_add1_chain_cert(c->raw, cas[i]), 1);
	for (int i = 0; i < n_ca; i++)
		X509_free(cas[i]);
	free(cas);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
}

/* Runs a raw chain client against a server engine; returns the pin calls. */
static int
chain_refused(EVP_PKEY *leaf_key, int n_ca, const char *reason, int rc)
{
	struct tlsfix_end c, s;
	struct tlsfix_pin sp = { 0 };

	sp.want = tlsfix_client_node.id->pub;
	chain_client(&c, leaf_key, n_ca);
	tlsfix_end_init(&s, &tlsfix_server_node, true, &sp);
	tlsfix_end_drain(&c);                  /* ClientHello */
	tlsfix_pump(&c, &s);
	assert_int_equal(s.rc, rc);
	assert_false(tls_handshake_done(s.e));
	print_message("  %d authorities: %s\n", n_ca, tls_error(s.e));
	assert_non_null(strstr(tls_error(s.e), reason));
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
	return sp.calls;
}

/* Chains of authorities: a stranger's is refused on its leaf key before
 * OpenSSL builds and verifies the chain, a pinned key's for being a chain;
 * a Certificate message over TLS_MAX_CERT_LIST is refused before its
 * certificates are parsed, so the pin is never asked. */
static void
test_chains(void **state)
{
	static const struct {
		bool pinned;
		int n_ca;
		const char *reason;
		int rc, pin_calls;
	} cases[] = {
		{ false, 3, "peer key not pinned", -EACCES, 1 },
		{ true, 3, "peer sent a certificate chain", -EPROTO, 1 },
		{ false, 24, "excessive message size", -EPROTO, 0 },
		{ true, 24, "excessive message size", -EPROTO, 0 },
	};
	EVP_PKEY *stranger = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	assert_non_null(stranger);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(chain_refused(cases[i].pinned ? tlsfix_client_node.id->key :
		    stranger, cases[i].n_ca, cases[i].reason, cases[i].rc), cases[i].pin_calls);
	EVP_PKEY_free(stranger);
}

/* Our own certificate fits the limit with room to spare. */
static void
test_own_cert_fits(void **state)
{
	int len = i2d_X509(tlsfix_server_node.id->cert, NULL);

	print_message("  our certificate: %d bytes, limit %d\n", len, TLS_MAX_CERT_LIST);
	assert_true(len > 0 && len * 4 < TLS_MAX_CERT_LIST);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_write_before_handshake),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_own_cert_fits),
	};

	return cmocka_run_group_tests(tests, tlsfix_group_setup, tlsfix_group_teardown);
}
