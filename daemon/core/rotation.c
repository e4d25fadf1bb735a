/* Key rotation statements: build and check (see rotation.h). */
#include "core/rotation.h"

#include <errno.h>
#include <string.h>

#include "core/identity.h"
#include "core/record.h"

#define ROTATE_CONTEXT "tessera-rotate-v1"

/* "tessera-rotate-v1" || old || new: the new key signs this, never a
 * record body, so that its signature cannot be taken for anything else. */
static size_t
rotation_message(const uint8_t old[TESS_KEY_LEN], const uint8_t new[TESS_KEY_LEN],
    uint8_t *msg)
{
	memcpy(msg, ROTATE_CONTEXT, sizeof(ROTATE_CONTEXT) - 1);
	memcpy(msg + sizeof(ROTATE_CONTEXT) - 1, old, TESS_KEY_LEN);
	memcpy(msg + sizeof(ROTATE_CONTEXT) - 1 + TESS_KEY_LEN, new, TESS_KEY_LEN);
	return sizeof(ROTATE_CONTEXT) - 1 + 2 * TESS_KEY_LEN;
}

int
rotation_sign(const struct identity *newid, const uint8_t old[TESS_KEY_LEN],
    uint8_t sig[TESS_SIG_LEN])
{
	uint8_t msg[sizeof(ROTATE_CONTEXT) + 2 * TESS_KEY_LEN];

	return identity_sign(newid, msg, rotation_message(old, newid->pub, msg), sig);
}

int
rotation_check(const Tessera__Record *r, const char **why)
{
	const Tessera__Rotation *ro = r->rotation;
	uint8_t msg[sizeof(ROTATE_CONTEXT) + 2 * TESS_KEY_LEN];

	if (ro == NULL) {
		if (r->kind == TESSERA__KIND__KIND_ROTATION && !r->deleted) {
			*why = "rotation record without its new key";
			return -EINVAL;
		}
		return 0;
	}
	if (r->kind != TESSERA__KIND__KIND_ROTATION) {
		*why = "rotation fields in a record that is no rotation";
		return -EINVAL;
	}
	if (!ro->has_new_key || ro->new_key.len != TESS_KEY_LEN || !ro->has_new_sig ||
	    ro->new_sig.len != TESS_SIG_LEN) {
		*why = "rotation with a missing or malformed new key or signature";
		return -EINVAL;
	}
	if (memcmp(ro->new_key.data, r->author.data, TESS_KEY_LEN) == 0) {
		*why = "rotation to the same key";
		return -EINVAL;
	}
	if (identity_verify(ro->new_key.data, msg,
	    rotation_message(r->author.data, ro->new_key.data, msg), ro->new_sig.data) != 0) {
		*why = "rotation not signed by its new key";
		return -EINVAL;
	}
	return 0;
}

int
rotation_seal(const struct identity *old, const struct identity *newid, uint64_t version,
    int64_t ts, uint8_t **body, size_t *len, uint8_t sig[TESS_SIG_LEN])
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Rotation ro = TESSERA__ROTATION__INIT;
	uint8_t nonce[TESS_NONCE_LEN], id[TESS_ID_LEN], nsig[TESS_SIG_LEN];
	int rc;

	if ((rc = record_new_id(old->pub, nonce, id)) != 0 ||
	    (rc = rotation_sign(newid, old->pub, nsig)) != 0)
		return rc;
	ro.has_new_key = ro.has_new_sig = 1;
	ro.new_key = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)newid->pub };
	ro.new_sig = (ProtobufCBinaryData){ TESS_SIG_LEN, nsig };
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)old->pub };
	r.version = version;
	r.timestamp = ts;
	r.kind = TESSERA__KIND__KIND_ROTATION;
	r.rotation = &ro;
	return record_seal(old, &r, body, len, sig);
}

int
rotation_open(const uint8_t *body, size_t len, const uint8_t *sig, size_t siglen,
    Tessera__Record **out, const char **why)
{
	Tessera__Record *r;
	int rc;

	if ((rc = record_open(body, len, sig, siglen, &r, why)) != 0)
		return rc;
	if (r->kind != TESSERA__KIND__KIND_ROTATION || r->deleted || r->rotation == NULL) {
		*why = "not a key rotation";
		record_free(r);
		return -EINVAL;
	}
	*out = r;
	return 0;
}
