/* Node identity: Ed25519 keys and certificates with OpenSSL 3; signatures
 * with libsodium, checked against OpenSSL's rules. */
#include "core/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

static const char *
ssl_reason(void)
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	return e ? ERR_reason_error_string(e) : "unknown error";
}

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static bool sodium_ok;

static void
sodium_setup(void)
{
	sodium_ok = sodium_init() >= 0;
}

/* Whether libsodium is usable (initialised once, from any thread). */
static bool
sodium_ready(void)
{
	pthread_once(&sodium_once, sodium_setup);
	return sodium_ok;
}

/* id->sk from the private key's seed, when libsodium derives the same
 * public key from it; otherwise OpenSSL signs. */
static void
fill_secret(struct identity *id)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	size_t len = sizeof(seed);

	id->has_sk = false;
	if (!sodium_ready() ||
	    EVP_PKEY_get_raw_private_key(id->key, seed, &len) != 1 || len != sizeof(seed)) {
		ERR_clear_error();
		return;
	}
	if (crypto_sign_seed_keypair(pk, id->sk, seed) == 0 &&
	    memcmp(pk, id->pub, TESS_KEY_LEN) == 0)
		id->has_sk = true;
	else
		sodium_memzero(id->sk, sizeof(id->sk));
	sodium_memzero(seed, sizeof(seed));
}

static int
fill_public(struct identity *id)
{
	size_t len = TESS_KEY_LEN;

	if (EVP_PKEY_get_raw_public_key(id->key, id->pub, &len) != 1 || len != TESS_KEY_LEN)
		return -EINVAL;
	nodeid_encode(id->pub, id->id);
	fill_secret(id);
	return 0;
}

static X509 *
make_cert(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;

	if (x == NULL)
		return NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 365 * 100, 0, NULL) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
		-1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto fail;
	/* Ed25519 signs without a separate digest. */
	if (X509_sign(x, key, NULL) <= 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static int
write_pem_file(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert, char **cause)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return set_cause(cause, -errno, "%s: %s", path, strerror(errno));
	/* open() applies the umask; the key must be 0600 whatever it is. */
	if (fchmod(fd, mode) != 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return set_cause(cause, -e, "%s: %s", path, strerror(e));
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(path);
		return set_cause(cause, -ENOMEM, "%s: out of memory", path);
	}
	if (key != NULL)
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	else
		ok = PEM_write_X509(f, cert) == 1;
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return set_cause(cause, -EIO, "%s: write failed", path);
	}
	return 0;
}

int
identity_create(const char *dir, struct identity **out, char **cause)
{
	struct identity *id;
	char *keypath = NULL, *certpath = NULL;
	int rc;

	id = calloc(1, sizeof(*id));
	if (id == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	id->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (id->key == NULL || fill_public(id) != 0) {
		rc = set_cause(cause, -EIO, "key generation failed: %s", ssl_reason());
		goto fail;
	}
	id->cert = make_cert(id->key, id->id);
	if (id->cert == NULL) {
		rc = set_cause(cause, -EIO, "certificate creation failed: %s", ssl_reason());
		goto fail;
	}
	keypath = strfmt("%s/%s", dir, IDENTITY_KEY_FILE);
	certpath = strfmt("%s/%s", dir, IDENTITY_CERT_FILE);
	if (keypath == NULL || certpath == NULL) {
		rc = set_cause(cause, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = write_pem_file(keypath, 0600, id->key, NULL, cause)) != 0)
		goto fail;
	if ((rc = write_pem_file(certpath, 0644, NULL, id->cert, cause)) != 0) {
		unlink(keypath);
		goto fail;
	}
	free(keypath);
	free(certpath);
	*out = id;
	return 0;
fail:
	free(keypath);
	free(certpath);
	identity_free(id);
	return rc;
}

/* Opens the key file and refuses it, as ssh does, when group or others may
 * access it: a key others could read is no longer this node's alone. The
 * mode is read from the opened descriptor, so it is the file we read. */
static int
key_open(const char *path, FILE **out, mode_t *mode, char **cause)
{
	struct stat sb;
	int fd, rc;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return set_cause(cause, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		close(fd);
		return set_cause(cause, rc, "%s: %s", path, strerror(-rc));
	}
	if (mode != NULL)
		*mode = sb.st_mode & 07777;
	if ((sb.st_mode & 077) != 0) {
		close(fd);
		return set_cause(cause, -EACCES, "%s: permissions %04o are too open: the private "
		    "key must not be accessible by group or others; run: chmod 600 %s", path,
		    (unsigned)(sb.st_mode & 07777), path);
	}
	if ((*out = fdopen(fd, "r")) == NULL) {
		rc = -errno;
		close(fd);
		return set_cause(cause, rc, "%s: %s", path, strerror(-rc));
	}
	return 0;
}

int
identity_key_mode(const char *dir, mode_t *mode, char **cause)
{
	char *path = strfmt("%s/%s", dir, IDENTITY_KEY_FILE);
	FILE *f = NULL;
	int rc;

	*mode = 0;
	if (path == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	if ((rc = key_open(path, &f, mode, cause)) == 0)
		fclose(f);
	free(path);
	return rc;
}

int
identity_from_seed(const uint8_t seed[IDENTITY_SEED_LEN], struct identity **out, char **cause)
{
	struct identity *id = calloc(1, sizeof(*id));

	if (id == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	/* An Ed25519 private key is 32 bytes of seed and signing is
	 * deterministic (RFC 8032), so the same seed signs the same bytes. */
	id->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, IDENTITY_SEED_LEN);
	if (id->key == NULL || fill_public(id) != 0 ||
	    (id->cert = make_cert(id->key, id->id)) == NULL) {
		int rc = set_cause(cause, -EIO, "key from seed failed: %s", ssl_reason());

		identity_free(id);
		return rc;
	}
	*out = id;
	return 0;
}

int
identity_load(const char *dir, struct identity **out, char **cause)
{
	struct identity *id;
	char *keypath = strfmt("%s/%s", dir, IDENTITY_KEY_FILE);
	char *certpath = strfmt("%s/%s", dir, IDENTITY_CERT_FILE);
	uint8_t certpub[TESS_KEY_LEN];
	FILE *f = NULL;
	int rc;

	id = calloc(1, sizeof(*id));
	if (id == NULL || keypath == NULL || certpath == NULL) {
		rc = set_cause(cause, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = key_open(keypath, &f, NULL, cause)) != 0)
		goto fail;
	id->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (id->key == NULL || EVP_PKEY_get_id(id->key) != EVP_PKEY_ED25519 ||
	    fill_public(id) != 0) {
		rc = set_cause(cause, -EINVAL, "%s: not an Ed25519 private key", keypath);
		goto fail;
	}
	if ((f = fopen(certpath, "re")) == NULL) {
		rc = set_cause(cause, -errno, "%s: %s", certpath, strerror(errno));
		goto fail;
	}
	id->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (id->cert == NULL || identity_cert_pubkey(id->cert, certpub) != 0 ||
	    memcmp(certpub, id->pub, TESS_KEY_LEN) != 0) {
		rc = set_cause(cause, -EINVAL, "%s: not a certificate for %s", certpath, keypath);
		goto fail;
	}
	ERR_clear_error();
	free(keypath);
	free(certpath);
	*out = id;
	return 0;
fail:
	ERR_clear_error();
	free(keypath);
	free(certpath);
	identity_free(id);
	return rc;
}

void
identity_free(struct identity *id)
{
	if (id == NULL)
		return;
	EVP_PKEY_free(id->key);   /* OpenSSL cleanses private key material */
	X509_free(id->cert);
	xzfree(id, sizeof(*id));
}

int
identity_openssl_sign(const struct identity *id, const void *msg, size_t len,
    uint8_t sig[TESS_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	size_t siglen = TESS_SIG_LEN;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -ENOMEM;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, id->key) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == TESS_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

int
identity_sign(const struct identity *id, const void *msg, size_t len, uint8_t sig[TESS_SIG_LEN])
{
	if (id->has_sk &&
	    crypto_sign_detached(sig, NULL, msg, len, id->sk) == 0)
		return 0;
	return identity_openssl_sign(id, msg, len, sig);
}

int
identity_openssl_verify(const uint8_t pub[TESS_KEY_LEN], const void *msg, size_t len,
    const uint8_t sig[TESS_SIG_LEN])
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, TESS_KEY_LEN);
	EVP_MD_CTX *ctx;
	int ok = 0;

	if (pk == NULL) {
		ERR_clear_error();
		return -EBADMSG;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1)
		ok = EVP_DigestVerify(ctx, sig, TESS_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return ok ? 0 : -EBADMSG;
}

/* Both check S < L and [S]B = R + [k]A, cofactorless, with R compared as
 * encoded and k = SHA-512(R || A || msg) over the bytes as given; libsodium
 * also refuses a non-canonical or small-order A and a small-order R, which
 * OpenSSL accepts. So what libsodium accepts OpenSSL accepts too, and only
 * its refusals need OpenSSL's word: a node accepts the same records as
 * the nodes before it, and an honest record is checked once. */
int
identity_verify(const uint8_t pub[TESS_KEY_LEN], const void *msg, size_t len,
    const uint8_t sig[TESS_SIG_LEN])
{
	if (sodium_ready() && crypto_sign_verify_detached(sig, msg, len, pub) == 0)
		return 0;
	return identity_openssl_verify(pub, msg, len, sig);
}

int
identity_cert_pubkey(X509 *cert, uint8_t pub[TESS_KEY_LEN])
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	size_t len = TESS_KEY_LEN;

	if (pk == NULL || EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(pk, pub, &len) != 1 || len != TESS_KEY_LEN) {
		ERR_clear_error();
		return -EINVAL;
	}
	return 0;
}
