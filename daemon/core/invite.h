/* Invite codes and join proofs (docs/protocol.md, "Invites").
 *
 * A code is one line, "TESSERA1" then base32 (RFC 4648, no padding; read in
 * any case, blanks and dashes ignored) of: version 1, the inviter's key (32
 * bytes), the invite ID (8), the one-time secret (16), its addresses (a
 * length byte then "HOST:PORT" each), and the first 4 bytes of SHA-256 of
 * all that, so a damaged paste is refused rather than dialed.
 *
 * The joiner proves it holds the code with HMAC-SHA256 keyed by the secret
 * over "tessera-join-v1", the inviter's key, the joiner's key and the
 * invite ID: bound to both ends, so a proof seen by a third party is of no
 * use to it, and the secret itself never travels. */
#ifndef INVITE_H
#define INVITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

#define INVITE_ID_LEN 8
#define INVITE_SECRET_LEN 16
#define INVITE_MAC_LEN 32
#define INVITE_MAX_ADDRS 4
#define INVITE_ADDR_MAX 80             /* "HOST:PORT" bytes */
#define INVITE_CODE_MAX 700            /* characters, with the NUL */

struct invite_code {
	uint8_t inviter[TESS_KEY_LEN];
	uint8_t id[INVITE_ID_LEN];
	uint8_t secret[INVITE_SECRET_LEN];
	char addrs[INVITE_MAX_ADDRS][INVITE_ADDR_MAX + 1];
	size_t n_addrs;
};

/* Writes the code's text into out. Returns 0, or -EINVAL (no address, or
 * one too long). */
int invite_encode(const struct invite_code *c, char out[INVITE_CODE_MAX]);
/* Parses a code. Returns 0, or -EINVAL with the reason in *why (static). */
int invite_decode(const char *text, struct invite_code *c, const char **why);
/* The joiner's proof. */
void invite_proof(const uint8_t secret[INVITE_SECRET_LEN], const uint8_t inviter[TESS_KEY_LEN],
    const uint8_t joiner[TESS_KEY_LEN], const uint8_t id[INVITE_ID_LEN],
    uint8_t mac[INVITE_MAC_LEN]);

#endif
