/* TLS engine tests: handshakes, data, and peer authentication between two
 * engines (or an engine and a raw OpenSSL peer) joined in memory. */
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

static void
test_handshake_and_data(void **state)
{
	static const size_t odd[] = { 1, 7, 4096, 0 };
	struct tlsfix_end c, s;
	struct tlsfix_pin cp = { 0 }, sp = { 0 };
	size_t big = 1024 * 1024, i;
	uint8_t *payload;

	tlsfix_connect_pair(&c, &s, &cp, &sp);
	assert_int_equal(c.rc, 0);
	assert_int_equal(s.rc, 0);
	assert_true(tls_handshake_done(c.e));
	assert_true(tls_handshake_done(s.e));
	assert_int_equal(cp.calls, 1);
	assert_int_equal(sp.calls, 1);
	assert_memory_equal(tls_peer_key(c.e), tlsfix_server_node.id->pub, TESS_KEY_LEN);
	assert_memory_equal(tls_peer_key(s.e), tlsfix_client_node.id->pub, TESS_KEY_LEN);

	assert_int_equal(tls_write(c.e, (const uint8_t *)"hello", 5), 0);
	assert_int_equal(tls_write(s.e, (const uint8_t *)"hello", 5), 0);
	tlsfix_pump(&c, &s);
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
	tlsfix_pump(&c, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.inlen, big);
	assert_memory_equal(s.in, payload, big);
	assert_false(tls_closed(s.e));
	assert_int_equal(cp.calls, 1);
	assert_int_equal(sp.calls, 1);
	free(payload);
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
}

static void
test_server_refuses_client(void **state)
{
	struct tlsfix_end c, s;
	struct tlsfix_pin cp = { 0 }, sp = { .refuse = true };

	cp.want = tlsfix_server_node.id->pub;
	tlsfix_end_init(&c, &tlsfix_client_node, false, &cp);
	tlsfix_end_init(&s, &tlsfix_server_node, true, &sp);
	assert_int_equal(tls_start(c.e), 0);
	assert_true(tlsfix_move(&c, &s) > 0);  /* ClientHello */
	assert_true(tlsfix_move(&s, &c) > 0);  /* ServerHello .. Finished */
	/* TLS 1.3 clients finish before the server has judged them. */
	assert_true(tls_handshake_done(c.e));
	assert_int_equal(tls_write(c.e, (const uint8_t *)"secret", 6), 0);
	assert_true(tlsfix_move(&c, &s) > 0);
	assert_int_equal(s.rc, -EACCES);
	assert_string_equal(tls_error(s.e), "peer key not pinned");
	assert_int_equal(s.inlen, 0);
	assert_false(tls_handshake_done(s.e));
	assert_null(tls_peer_key(s.e));
	tlsfix_pump(&c, &s);                   /* the alert */
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
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
}

static void
test_client_refuses_server(void **state)
{
	struct tlsfix_end c, s;
	struct tlsfix_pin cp = { 0 }, sp = { 0 };

	cp.want = tlsfix_client_node.id->pub;  /* expects someone else */
	sp.want = tlsfix_client_node.id->pub;
	tlsfix_end_init(&c, &tlsfix_client_node, false, &cp);
	tlsfix_end_init(&s, &tlsfix_server_node, true, &sp);
	assert_int_equal(tls_start(c.e), 0);
	tlsfix_pump(&c, &s);
	assert_int_equal(c.rc, -EACCES);
	assert_string_equal(tls_error(c.e), "peer key not pinned");
	assert_true(s.rc < 0);
	assert_non_null(strstr(tls_error(s.e), "rejected our certificate"));
	assert_false(tls_handshake_done(c.e));
	assert_false(tls_handshake_done(s.e));
	assert_int_equal(cp.calls, 1);
	assert_int_equal(sp.calls, 0);  /* the client never got that far */
	assert_int_equal(tls_write(c.e, (const uint8_t *)"x", 1), -EACCES);
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
}

static void
test_client_without_certificate(void **state)
{
	struct tlsfix_end c, s;
	struct tlsfix_pin sp = { 0 };

	sp.want = tlsfix_client_node.id->pub;
	tlsfix_end_init_raw(&c, NULL, NULL, TLS1_3_VERSION);
	tlsfix_end_init(&s, &tlsfix_server_node, true, &sp);
	tlsfix_end_drain(&c);                  /* ClientHello */
	tlsfix_pump(&c, &s);
	assert_int_equal(s.rc, -EPROTO);
	assert_string_equal(tls_error(s.e), "peer presented no certificate");
	assert_false(tls_handshake_done(s.e));
	assert_int_equal(sp.calls, 0);
	assert_true(c.rc < 0);
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
}

static void
test_tls12_client_rejected(void **state)
{
	struct tlsfix_end c, s;
	struct tlsfix_pin sp = { 0 };

	sp.want = tlsfix_client_node.id->pub;
	tlsfix_end_init_raw(&c, tlsfix_client_node.id->cert, tlsfix_client_node.id->key,
	    TLS1_2_VERSION);
	tlsfix_end_init(&s, &tlsfix_server_node, true, &sp);
	tlsfix_end_drain(&c);
	tlsfix_pump(&c, &s);
	assert_int_equal(s.rc, -EPROTO);
	assert_non_null(strstr(tls_error(s.e), "protocol version not supported"));
	assert_int_equal(sp.calls, 0);
	assert_true(c.rc < 0);          /* the protocol_version alert reached it */
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
}

static void
test_non_ed25519_client(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *cert = X509_new();
	struct tlsfix_end c, s;
	struct tlsfix_pin sp = { 0 };

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

	sp.want = tlsfix_client_node.id->pub;
	tlsfix_end_init_raw(&c, cert, key, TLS1_3_VERSION);
	tlsfix_end_init(&s, &tlsfix_server_node, true, &sp);
	tlsfix_end_drain(&c);
	tlsfix_pump(&c, &s);
	assert_int_equal(s.rc, -EACCES);
	assert_string_equal(tls_error(s.e), "peer certificate key is not Ed25519");
	assert_int_equal(sp.calls, 0);
	assert_true(c.rc < 0);
	tlsfix_end_free(&c);
	tlsfix_end_free(&s);
	X509_free(cert);
	EVP_PKEY_free(key);
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
	};

	return cmocka_run_group_tests(tests, tlsfix_group_setup, tlsfix_group_teardown);
}
