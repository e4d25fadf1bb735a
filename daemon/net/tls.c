/* Sans-IO TLS 1.3 engine: OpenSSL over two memory BIOs. */
#include "net/tls.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/util.h"

struct tls_ctx {
	SSL_CTX *ssl;
};

enum pin_state { PIN_UNCHECKED, PIN_ACCEPTED, PIN_REFUSED };

struct tls_engine {
	SSL *ssl;
	BIO *rbio;                      /* ciphertext in; owned by ssl */
	BIO *wbio;                      /* ciphertext out; owned by ssl */
	tls_pin_fn pin;
	void *arg;
	enum pin_state pin_state;
	uint8_t peer[TESS_KEY_LEN];
	int rc;                         /* first fatal error, sticky */
	bool server;
	bool done;
	bool closed;
	bool shutdown_sent;
	char err[192];
};

/* OpenSSL reasons whose own text would leave an operator guessing. */
static const struct {
	int reason;
	const char *text;
} reason_texts[] = {
	{ SSL_R_UNSUPPORTED_PROTOCOL, "protocol version not supported (peer offered TLS 1.2?)" },
	{ SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, "peer refused TLS 1.3 (protocol version alert)" },
	{ SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE, "peer presented no certificate" },
	{ SSL_R_SSLV3_ALERT_BAD_CERTIFICATE,
	    "peer rejected our certificate (our key not pinned there?)" },
	{ SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, "peer requires a certificate" },
	{ SSL_R_WRONG_VERSION_NUMBER, "not a TLS peer (wrong version number)" },
	{ SSL_R_HTTP_REQUEST, "not a TLS peer (HTTP request)" },
};

/* Reason for the oldest error in the queue, which is then emptied. */
static const char *
ssl_reason(void)
{
	unsigned long err = ERR_peek_error();
	const char *r = err != 0 ? ERR_reason_error_string(err) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

/* Records the first failure only: later ones are usually its consequences. */
static int
engine_fail(struct tls_engine *e, int rc, const char *reason)
{
	if (e->err[0] == '\0')
		snprintf(e->err, sizeof(e->err), "%s", reason);
	if (e->rc == 0)
		e->rc = rc;
	return e->rc;
}

/* Turns a failed SSL call into a sticky error; SSL_get_error comes first
 * because it reads the error queue the reason lookup then consumes. */
static int
engine_ssl_fail(struct tls_engine *e, int ret)
{
	int code = SSL_get_error(e->ssl, ret);
	unsigned long err = ERR_peek_error();
	const char *reason = NULL;
	char buf[96];
	size_t i;

	if (err != 0 && ERR_GET_LIB(err) == ERR_LIB_SSL) {
		for (i = 0; i < sizeof(reason_texts) / sizeof(reason_texts[0]); i++) {
			if (reason_texts[i].reason == ERR_GET_REASON(err))
				reason = reason_texts[i].text;
		}
	}
	if (reason == NULL && err != 0)
		reason = ERR_reason_error_string(err);
	if (reason == NULL) {
		snprintf(buf, sizeof(buf), "TLS failure (SSL_get_error %d, error 0x%lx)", code,
		    err);
		reason = buf;
	}
	ERR_clear_error();
	return engine_fail(e, e->pin_state == PIN_REFUSED ? -EACCES : -EPROTO, reason);
}

/* Asks the pin about the leaf's key, once per connection. */
static int
pin_leaf(struct tls_engine *e, X509 *cert)
{
	uint8_t pub[TESS_KEY_LEN];

	if (e->pin_state != PIN_UNCHECKED)
		return e->pin_state == PIN_ACCEPTED ? 0 : -1;
	if (cert == NULL || identity_cert_pubkey(cert, pub) != 0) {
		e->pin_state = PIN_REFUSED;
		engine_fail(e, -EACCES, "peer certificate key is not Ed25519");
	} else if (e->pin(e->arg, pub) != 0) {
		e->pin_state = PIN_REFUSED;
		engine_fail(e, -EACCES, "peer key not pinned");
	} else {
		memcpy(e->peer, pub, sizeof(e->peer));
		e->pin_state = PIN_ACCEPTED;
	}
	return e->pin_state == PIN_ACCEPTED ? 0 : -1;
}

/* Self-signed certificates are all we expect, so trust comes from the pin,
 * not from a CA: chain errors on the leaf are forgiven, the key is not.
 * cert_verify_cb has already pinned the leaf and refused any chain. */
static int
verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_engine *e = ssl != NULL ? SSL_get_app_data(ssl) : NULL;

	if (e == NULL)
		return 0;
	if (X509_STORE_CTX_get_error_depth(xs) != 0) {
		engine_fail(e, -EPROTO, "peer sent a certificate chain, not one self-signed one");
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	if (!ok) {
		switch (X509_STORE_CTX_get_error(xs)) {
		case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		case X509_V_ERR_CERT_UNTRUSTED:
			break;
		default:
			engine_fail(e, -EPROTO,
			    X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
			return 0;
		}
	}
	if (pin_leaf(e, X509_STORE_CTX_get_current_cert(xs)) != 0) {
		/* Maps to a bad_certificate alert rather than unknown_ca. */
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

/* Replaces OpenSSL's chain verification: the leaf's key is compared with
 * the pin before any chain is built or any signature checked, so a stranger
 * costs one key comparison; only a pinned, lone certificate goes on to
 * X509_verify_cert (its self-signature and dates, through verify_cb). */
static int
cert_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_engine *e = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(xs);

	if (e == NULL)
		return 0;
	if (pin_leaf(e, X509_STORE_CTX_get0_cert(xs)) != 0) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	if (sent != NULL && sk_X509_num(sent) > 1) {
		engine_fail(e, -EPROTO, "peer sent a certificate chain, not one self-signed one");
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return X509_verify_cert(xs);
}

int
tls_ctx_new(const struct identity *id, struct tls_ctx **out, char **cause)
{
	struct tls_ctx *ctx;
	SSL_CTX *s;

	ERR_clear_error();
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	s = ctx->ssl = SSL_CTX_new(TLS_method());
	if (s == NULL)
		goto fail;
	if (SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) != 1)
		goto fail;
	/* Tickets over memory BIOs hang or lose data (OpenSSL #7948, #10880),
	 * and with pinned keys resumption buys nothing. */
	if (SSL_CTX_set_num_tickets(s, 0) != 1)
		goto fail;
	SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate(s, id->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(s, id->key) != 1 ||
	    SSL_CTX_check_private_key(s) != 1)
		goto fail;
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_cert_verify_callback(s, cert_verify_cb, NULL);
	/* One self-signed Ed25519 certificate is a few hundred bytes: a larger
	 * Certificate message is refused before OpenSSL parses it. */
	SSL_CTX_set_max_cert_list(s, TLS_MAX_CERT_LIST);
	*out = ctx;
	return 0;
fail:
	set_cause(cause, -EIO, "TLS context: %s", ssl_reason());
	tls_ctx_free(ctx);
	return -EIO;
}

void
tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	/* Engines hold their own reference to the SSL_CTX. */
	SSL_CTX_free(ctx->ssl);
	free(ctx);
}

struct tls_engine *
tls_engine_new(struct tls_ctx *ctx, bool server, tls_pin_fn pin, void *arg)
{
	struct tls_engine *e;

	if (pin == NULL)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->pin = pin;
	e->arg = arg;
	e->server = server;
	ERR_clear_error();
	e->ssl = SSL_new(ctx->ssl);
	e->rbio = BIO_new(BIO_s_mem());
	e->wbio = BIO_new(BIO_s_mem());
	if (e->ssl == NULL || e->rbio == NULL || e->wbio == NULL) {
		BIO_free(e->rbio);
		BIO_free(e->wbio);
		SSL_free(e->ssl);
		free(e);
		ERR_clear_error();
		return NULL;
	}
	/* An empty read BIO means "wait for more", never end of stream. */
	BIO_set_mem_eof_return(e->rbio, -1);
	SSL_set_bio(e->ssl, e->rbio, e->wbio);
	SSL_set_app_data(e->ssl, e);
	if (server)
		SSL_set_accept_state(e->ssl);
	else
		SSL_set_connect_state(e->ssl);
	return e;
}

void
tls_engine_free(struct tls_engine *e)
{
	if (e == NULL)
		return;
	SSL_free(e->ssl);       /* frees both BIOs */
	free(e);
}

/* After SSL says the handshake is over, make sure the certificate it holds
 * is the one whose key the pin accepted. */
static int
handshake_finish(struct tls_engine *e)
{
	X509 *cert = SSL_get0_peer_certificate(e->ssl);
	uint8_t pub[TESS_KEY_LEN];

	if (cert == NULL)
		return engine_fail(e, -EPROTO, "peer presented no certificate");
	if (e->pin_state != PIN_ACCEPTED || identity_cert_pubkey(cert, pub) != 0 ||
	    memcmp(pub, e->peer, sizeof(pub)) != 0)
		return engine_fail(e, -EACCES, "peer key differs from the verified one");
	e->done = true;
	return 0;
}

static int
handshake_step(struct tls_engine *e)
{
	int ret;

	ERR_clear_error();
	ret = SSL_do_handshake(e->ssl);
	if (ret == 1)
		return handshake_finish(e);
	if (SSL_get_error(e->ssl, ret) == SSL_ERROR_WANT_READ) {
		ERR_clear_error();
		return 0;
	}
	return engine_ssl_fail(e, ret);
}

int
tls_start(struct tls_engine *e)
{
	if (e->rc != 0)
		return e->rc;
	/* The server speaks only once the ClientHello arrives. */
	if (e->server || e->done)
		return 0;
	return handshake_step(e);
}

int
tls_feed(struct tls_engine *e, const uint8_t *data, size_t len)
{
	int n;

	if (e->rc != 0)
		return e->rc;
	while (len > 0) {
		n = BIO_write(e->rbio, data, len > INT_MAX ? INT_MAX : (int)len);
		if (n <= 0) {
			ERR_clear_error();
			return engine_fail(e, -ENOMEM, "out of memory");
		}
		data += n;
		len -= n;
	}
	if (e->done)
		return 0;       /* records wait for tls_read */
	return handshake_step(e);
}

int
tls_read(struct tls_engine *e, uint8_t *buf, size_t cap, size_t *n)
{
	size_t got;
	int ret;

	*n = 0;
	if (e->rc != 0)
		return e->rc;
	if (!e->done || e->closed)
		return 0;
	while (*n < cap) {
		ERR_clear_error();
		ret = SSL_read_ex(e->ssl, buf + *n, cap - *n, &got);
		if (ret == 1) {
			*n += got;
			continue;
		}
		switch (SSL_get_error(e->ssl, ret)) {
		case SSL_ERROR_WANT_READ:
			ERR_clear_error();
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			ERR_clear_error();
			e->closed = true;
			return 0;
		default:
			/* Whatever was decrypted before is still good to hand up,
			 * but the next call reports the failure. */
			engine_ssl_fail(e, ret);
			return *n > 0 ? 0 : e->rc;
		}
	}
	return 0;
}

int
tls_write(struct tls_engine *e, const uint8_t *data, size_t len)
{
	size_t done;
	int ret;

	if (e->rc != 0)
		return e->rc;
	if (!e->done)
		return -EAGAIN;
	if (e->shutdown_sent)
		return -EPIPE;
	while (len > 0) {
		ERR_clear_error();
		ret = SSL_write_ex(e->ssl, data, len, &done);
		if (ret != 1)
			return engine_ssl_fail(e, ret);
		data += done;
		len -= done;
	}
	return 0;
}

int
tls_take_output(struct tls_engine *e, uint8_t **buf, size_t *len)
{
	size_t pending = BIO_ctrl_pending(e->wbio);
	uint8_t *p;
	int n;

	*buf = NULL;
	*len = 0;
	if (pending == 0)
		return 0;
	/* The memory BIO holds well under INT_MAX: at most one tls_write. */
	if (pending > INT_MAX || (p = malloc(pending)) == NULL)
		return -ENOMEM;
	n = BIO_read(e->wbio, p, (int)pending);
	if (n <= 0 || (size_t)n != pending) {
		free(p);
		ERR_clear_error();
		return -EIO;
	}
	*buf = p;
	*len = pending;
	return 0;
}

int
tls_shutdown(struct tls_engine *e)
{
	int ret;

	/* Before the handshake or after a failure there is no session to
	 * close: a pending alert, if any, already says goodbye. */
	if (e->rc != 0 || !e->done || e->shutdown_sent)
		return 0;
	ERR_clear_error();
	ret = SSL_shutdown(e->ssl);
	if (ret < 0)
		return engine_ssl_fail(e, ret);
	e->shutdown_sent = true;
	return 0;
}

bool
tls_handshake_done(const struct tls_engine *e)
{
	return e->done && e->rc == 0;
}

bool
tls_closed(const struct tls_engine *e)
{
	return e->closed;
}

const uint8_t *
tls_peer_key(const struct tls_engine *e)
{
	return tls_handshake_done(e) ? e->peer : NULL;
}

const char *
tls_error(const struct tls_engine *e)
{
	return e->err[0] != '\0' ? e->err : "no error";
}
