/* Key rotation statements (docs/protocol.md, "Key rotation").
 *
 * A rotation is a record of kind ROTATION signed by the old key (its
 * author) like any record, whose Rotation message carries the new key and
 * the new key's signature over "tessera-rotate-v1" || old || new: both keys
 * agree that the community continues under the new one. Which rotation of
 * a key counts (the first one seen) is the store's business
 * (store/store_rotate.c); this module only builds and checks one. */
#ifndef ROTATION_H
#define ROTATION_H

#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "core/tessera.h"

struct identity;

/* Most rotations a Hello carries (a chain, oldest first). */
#define ROTATION_CHAIN_MAX 8

/* The new key's signature over the domain-separated pair (old, new). */
int rotation_sign(const struct identity *newid, const uint8_t old[TESS_KEY_LEN],
    uint8_t sig[TESS_SIG_LEN]);
/* Checks r's Rotation: present only in a ROTATION record (and there unless
 * it is a tombstone), a 32-byte new key other than the author, and the new
 * key's signature. Returns 0, or -EINVAL with the reason in *why. Part of
 * record validation: a record that fails is invalid everywhere. */
int rotation_check(const Tessera__Record *r, const char **why);
/* Builds and signs (with old) the rotation from old to newid at version
 * and timestamp ts (ms): *body malloc'd, as record_seal. */
int rotation_seal(const struct identity *old, const struct identity *newid, uint64_t version,
    int64_t ts, uint8_t **body, size_t *len, uint8_t sig[TESS_SIG_LEN]);
/* Opens a signed rotation statement: record_open, then it must be of kind
 * ROTATION and not deleted. On success *out must be freed with record_free. */
int rotation_open(const uint8_t *body, size_t len, const uint8_t *sig, size_t siglen,
    Tessera__Record **out, const char **why);

#endif
