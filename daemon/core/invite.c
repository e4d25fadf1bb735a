/* Invite codes and join proofs (invite.h). */
#include "core/invite.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/nodeid.h"

#define PREFIX "TESSERA1"
#define VERSION 1
#define CHECK_LEN 4
/* version, key, ID, secret, addresses with their lengths, check */
#define RAW_MAX (1 + TESS_KEY_LEN + INVITE_ID_LEN + INVITE_SECRET_LEN + \
	INVITE_MAX_ADDRS * (1 + INVITE_ADDR_MAX) + CHECK_LEN)

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Returns the number of bytes, or -EINVAL on a character outside base32. */
static int
b32_decode(const char *in, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in != '\0'; in++) {
		const char *at;
		int ch = toupper((unsigned char)*in);

		if (ch == '-' || isspace(ch))
			continue;
		if (ch == '\0' || (at = strchr(b32, ch)) == NULL)
			return -EINVAL;
		acc = (acc << 5) | (uint32_t)(at - b32);
		bits += 5;
		if (bits >= 8) {
			if (n == cap)
				return -EINVAL;
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)n;
}

int
invite_encode(const struct invite_code *c, char out[INVITE_CODE_MAX])
{
	uint8_t raw[RAW_MAX], sum[SHA256_DIGEST_LENGTH];
	size_t n = 0;

	if (c->n_addrs == 0 || c->n_addrs > INVITE_MAX_ADDRS)
		return -EINVAL;
	raw[n++] = VERSION;
	memcpy(raw + n, c->inviter, TESS_KEY_LEN);
	n += TESS_KEY_LEN;
	memcpy(raw + n, c->id, INVITE_ID_LEN);
	n += INVITE_ID_LEN;
	memcpy(raw + n, c->secret, INVITE_SECRET_LEN);
	n += INVITE_SECRET_LEN;
	for (size_t i = 0; i < c->n_addrs; i++) {
		size_t len = strlen(c->addrs[i]);

		if (len == 0 || len > INVITE_ADDR_MAX)
			return -EINVAL;
		raw[n++] = (uint8_t)len;
		memcpy(raw + n, c->addrs[i], len);
		n += len;
	}
	SHA256(raw, n, sum);
	memcpy(raw + n, sum, CHECK_LEN);
	n += CHECK_LEN;
	memcpy(out, PREFIX, sizeof(PREFIX) - 1);
	nodeid_base32(raw, n, out + sizeof(PREFIX) - 1);
	return 0;
}

int
invite_decode(const char *text, struct invite_code *c, const char **why)
{
	uint8_t raw[RAW_MAX], sum[SHA256_DIGEST_LENGTH];
	size_t n, pos = 0;
	int len;

	memset(c, 0, sizeof(*c));
	while (isspace((unsigned char)*text))
		text++;
	if (strncasecmp(text, PREFIX, sizeof(PREFIX) - 1) != 0) {
		*why = "not an invite code (it starts with " PREFIX ")";
		return -EINVAL;
	}
	if ((len = b32_decode(text + sizeof(PREFIX) - 1, raw, sizeof(raw))) < 0) {
		*why = "damaged code (a character that is not in the code's alphabet, or too long)";
		return -EINVAL;
	}
	n = (size_t)len;
	if (n < 1 + TESS_KEY_LEN + INVITE_ID_LEN + INVITE_SECRET_LEN + 2 + CHECK_LEN) {
		*why = "damaged code (too short)";
		return -EINVAL;
	}
	SHA256(raw, n - CHECK_LEN, sum);
	if (memcmp(sum, raw + n - CHECK_LEN, CHECK_LEN) != 0) {
		*why = "damaged code (its check does not match: was it copied whole?)";
		return -EINVAL;
	}
	n -= CHECK_LEN;
	if (raw[pos++] != VERSION) {
		*why = "invite code of another version";
		return -EINVAL;
	}
	memcpy(c->inviter, raw + pos, TESS_KEY_LEN);
	pos += TESS_KEY_LEN;
	memcpy(c->id, raw + pos, INVITE_ID_LEN);
	pos += INVITE_ID_LEN;
	memcpy(c->secret, raw + pos, INVITE_SECRET_LEN);
	pos += INVITE_SECRET_LEN;
	while (pos < n) {
		size_t alen = raw[pos++];

		if (alen == 0 || alen > INVITE_ADDR_MAX || alen > n - pos ||
		    c->n_addrs == INVITE_MAX_ADDRS || memchr(raw + pos, '\0', alen) != NULL) {
			*why = "damaged code (bad address list)";
			return -EINVAL;
		}
		memcpy(c->addrs[c->n_addrs++], raw + pos, alen);
		pos += alen;
	}
	if (c->n_addrs == 0) {
		*why = "damaged code (no address)";
		return -EINVAL;
	}
	return 0;
}

void
invite_proof(const uint8_t secret[INVITE_SECRET_LEN], const uint8_t inviter[TESS_KEY_LEN],
    const uint8_t joiner[TESS_KEY_LEN], const uint8_t id[INVITE_ID_LEN],
    uint8_t mac[INVITE_MAC_LEN])
{
	static const char label[] = "tessera-join-v1";
	uint8_t msg[sizeof(label) - 1 + 2 * TESS_KEY_LEN + INVITE_ID_LEN];
	unsigned int len = INVITE_MAC_LEN;
	size_t n = 0;

	memcpy(msg, label, sizeof(label) - 1);
	n += sizeof(label) - 1;
	memcpy(msg + n, inviter, TESS_KEY_LEN);
	n += TESS_KEY_LEN;
	memcpy(msg + n, joiner, TESS_KEY_LEN);
	n += TESS_KEY_LEN;
	memcpy(msg + n, id, INVITE_ID_LEN);
	n += INVITE_ID_LEN;
	HMAC(EVP_sha256(), secret, INVITE_SECRET_LEN, msg, n, mac, &len);
}
