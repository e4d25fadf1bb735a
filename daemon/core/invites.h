/* The open invites of this node: created by `tessera invite`, listed and
 * revoked by `tessera invites`, used up by the node that joins with one.
 *
 * Kept in DATA/invites (mode 0600, rewritten atomically on each change), so
 * that a restart neither forgets a code nor makes a used one valid again. A
 * code works once; it expires (default 24 h); INVITES_MAX_FAILURES wrong
 * proofs revoke it, so its 128-bit secret cannot be guessed online. */
#ifndef INVITES_H
#define INVITES_H

#include <stddef.h>
#include <stdint.h>

#include "core/invite.h"

#define INVITES_MAX 64
#define INVITES_MAX_FAILURES 5

struct invite_open {
	uint8_t id[INVITE_ID_LEN];
	uint8_t secret[INVITE_SECRET_LEN];
	char name[65];                 /* what to call the joiner; "": its own name */
	int64_t created, expires;      /* wall ms */
	uint32_t failures;
};

struct invites {
	char *path;
	struct invite_open e[INVITES_MAX];
	size_t n;
};

/* Reads dir/invites (missing: none). Returns 0 or negative with *cause. */
int invites_open(const char *dir, struct invites **out, char **cause);
/* Wipes the secrets and frees. NULL is fine. */
void invites_free(struct invites *iv);
/* Adds an invite with a fresh ID and secret valid for ttl_ms from now; *out
 * points into the table. Expired ones are dropped first. Returns 0,
 * -ENOSPC (INVITES_MAX open), or negative with *cause. */
int invites_add(struct invites *iv, const char *name, uint64_t ttl_ms, int64_t now,
    const struct invite_open **out, char **cause);
/* Removes the invite whose ID is hex (16 digits). Returns 0 or -ENOENT. */
int invites_revoke(struct invites *iv, const char *hex, char **cause);
/* Checks a joiner's proof; on success the invite is used up and its name
 * copied to name (65 bytes). Returns 0, or negative with a reason for the
 * joiner and the log in why (never the secret). */
int invites_use(struct invites *iv, const uint8_t inviter[TESS_KEY_LEN],
    const uint8_t joiner[TESS_KEY_LEN], const uint8_t id[INVITE_ID_LEN],
    const uint8_t mac[INVITE_MAC_LEN], int64_t now, char name[65], char *why, size_t whylen);

#endif
