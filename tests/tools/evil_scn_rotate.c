/* evil_scn_rotate.c: key rotations nobody agreed to (docs/protocol.md,
 * "Key rotation").
 *
 * A pinned peer sends rotation records (kind 5) that a careless node would
 * take as "this community now lives under key X": one whose new key never
 * signed it (the signature is another key's), one to the author's own key,
 * and one claiming another community's key as author (signed by us). Each
 * must be refused as invalid or badly signed, and none stored. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rotation.h"
#include "evil.h"

/* A rotation by author to new_key, new_key's signature made by signer
 * over (author, signer's key), sealed with our key whatever author says. */
static int
forged_rotation(struct rec *out, const uint8_t author[TESS_KEY_LEN], const uint8_t *new_key,
    const struct identity *signer)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Rotation ro = TESSERA__ROTATION__INIT;
	uint8_t nonce[TESS_NONCE_LEN], nsig[TESS_SIG_LEN];

	memset(out, 0, sizeof(*out));
	memcpy(out->author, author, TESS_KEY_LEN);
	if (record_new_id(author, nonce, out->id) != 0 || rotation_sign(signer, author, nsig) != 0)
		return -EIO;
	out->version = opt.version++;
	ro.has_new_key = ro.has_new_sig = 1;
	ro.new_key = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)new_key };
	ro.new_sig = (ProtobufCBinaryData){ TESS_SIG_LEN, nsig };
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, out->id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, out->author };
	r.version = out->version;
	r.timestamp = (int64_t)now_ms();
	r.kind = TESSERA__KIND__KIND_ROTATION;
	r.rotation = &ro;
	return seal_any(&r, out);
}

int
scn_forged_rotation(int arg)
{
	struct identity next, forger;
	struct rec r[3];
	struct conn c;
	int o, made = 0;

	(void)arg;
	if (keypair_new(&next) != 0)
		return result(OUT_LOCAL, "cannot make keys");
	if (keypair_new(&forger) != 0) {
		EVP_PKEY_free(next.key);
		return result(OUT_LOCAL, "cannot make keys");
	}
	/* 1: to next, but signed by forger; 2: to our own key; 3: the
	 * victim's key (--victim, else the daemon's) rotated to ours, by us. */
	if (forged_rotation(&r[0], opt.me->pub, next.pub, &forger) == 0 && ++made &&
	    forged_rotation(&r[1], opt.me->pub, opt.me->pub, opt.me) == 0 && ++made &&
	    forged_rotation(&r[2], opt.victim, opt.me->pub, opt.me) == 0)
		made++;
	EVP_PKEY_free(next.key);
	EVP_PKEY_free(forger.key);
	if (made != 3) {
		recs_free(r, (size_t)made);
		return result(OUT_LOCAL, "cannot make the rotations");
	}
	ids_note(r, 3);
	if ((o = open_or_say(&c)) == OUT_OK) {
		o = push_bad(&c, r, 3, "forged key rotations");
		conn_close(&c);
	}
	recs_free(r, 3);
	return o;
}
