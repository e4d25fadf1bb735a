/* Node identity: Ed25519 key, self-signed certificate, signatures. */
#ifndef IDENTITY_H
#define IDENTITY_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/nodeid.h"
#include "core/tessera.h"

#define IDENTITY_KEY_FILE "key.pem"
#define IDENTITY_CERT_FILE "cert.pem"

struct identity {
	EVP_PKEY *key;                  /* private key */
	/* The same key as libsodium wants it (seed, then public key), for
	 * signing; has_sk false if it could not be read (OpenSSL signs). */
	uint8_t sk[64];
	bool has_sk;
	X509 *cert;                     /* self-signed with key; CN = node ID */
	uint8_t pub[TESS_KEY_LEN];
	char id[NODEID_STRLEN + 1];
};

/* Creates DIR/key.pem (mode 0600, never overwritten) and DIR/cert.pem. */
int identity_create(const char *dir, struct identity **out, char **cause);
/* An identity in memory only, its key made from 32 seed bytes: the same
 * seed gives the same key and signatures (the simulator's nodes). The
 * certificate's serial and dates are not derived from the seed. */
#define IDENTITY_SEED_LEN 32
int identity_from_seed(const uint8_t seed[IDENTITY_SEED_LEN], struct identity **out,
    char **cause);
/* Loads both files; the certificate must carry the key's public half. A key
 * file that group or others may access is refused (-EACCES, *cause names
 * the file and the chmod to run). */
int identity_load(const char *dir, struct identity **out, char **cause);
/* DIR/key.pem's permission bits in *mode (0 if it cannot be opened);
 * -EACCES with *cause as identity_load's when group or others have access. */
int identity_key_mode(const char *dir, mode_t *mode, char **cause);
void identity_free(struct identity *id);

/* Ed25519 (RFC 8032, deterministic: libsodium and OpenSSL give the same
 * bytes). libsodium signs and verifies in about half of OpenSSL 3.0's time
 * (docs/architecture.md, "Records"). */
int identity_sign(const struct identity *id, const void *msg, size_t len,
    uint8_t sig[TESS_SIG_LEN]);
/* 0 if sig is pub's signature of msg, -EBADMSG otherwise. What is
 * accepted is exactly what OpenSSL accepts, as in every earlier version:
 * libsodium's check is tried first, and what it refuses (it is stricter:
 * small-order keys and R) is decided by OpenSSL. */
int identity_verify(const uint8_t pub[TESS_KEY_LEN], const void *msg, size_t len,
    const uint8_t sig[TESS_SIG_LEN]);
/* The same with OpenSSL alone: what identity_sign falls back to, and the
 * rule identity_verify defers to for what libsodium refuses (also the
 * reference of bench/sig_bench and unit test_record). */
int identity_openssl_sign(const struct identity *id, const void *msg, size_t len,
    uint8_t sig[TESS_SIG_LEN]);
int identity_openssl_verify(const uint8_t pub[TESS_KEY_LEN], const void *msg, size_t len,
    const uint8_t sig[TESS_SIG_LEN]);
/* Extracts the Ed25519 public key of a certificate; -EINVAL if it has another key type. */
int identity_cert_pubkey(X509 *cert, uint8_t pub[TESS_KEY_LEN]);

#endif
