/* Helpers shared by the fuzz targets and the seed generator (see fuzz.h). */
#include "fuzz.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/record.h"

#define SIG_CONTEXT "tessera-record-v1"

static volatile uint8_t sink;

const struct identity *
fuzz_identity(void)
{
	static struct identity *id;
	uint8_t seed[32];
	size_t len = TESS_KEY_LEN;

	if (id != NULL)
		return id;
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0xa5 ^ i);
	if ((id = calloc(1, sizeof(*id))) == NULL ||
	    (id->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
		sizeof(seed))) == NULL ||
	    EVP_PKEY_get_raw_public_key(id->key, id->pub, &len) != 1) {
		fprintf(stderr, "fuzz: cannot make the fixed Ed25519 key\n");
		abort();
	}
	nodeid_encode(id->pub, id->id);
	return id;
}

int
fuzz_sign_body(const uint8_t *body, size_t len, uint8_t sig[64])
{
	size_t n = sizeof(SIG_CONTEXT) - 1 + len;
	uint8_t *msg = malloc(n);
	int rc;

	if (msg == NULL)
		return -1;
	memcpy(msg, SIG_CONTEXT, sizeof(SIG_CONTEXT) - 1);
	if (len > 0)
		memcpy(msg + sizeof(SIG_CONTEXT) - 1, body, len);
	rc = identity_sign(fuzz_identity(), msg, n, sig);
	free(msg);
	return rc;
}

void
fuzz_touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= b[i];
	sink ^= x;
}

void
fuzz_touch_str(const char *s)
{
	if (s != NULL)
		fuzz_touch(s, strlen(s) + 1);
}
