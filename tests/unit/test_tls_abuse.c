/* TLS engine tests: garbage input, shutdown, writing before the handshake. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_write_before_handshake),
	};

	return cmocka_run_group_tests(tests, tlsfix_group_setup, tlsfix_group_teardown);
}
