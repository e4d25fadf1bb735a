/* Range reconciliation messages against the real session engine over a real
 * store holding 300 records.
 *
 * Input: one control byte, then Recon messages, each as a 2-byte big-endian
 * length and its bytes. Before them the harness plays an honest opening:
 * the peer's Hello (feature bit 0; control bit 0 picks its epoch so that
 * the session is either the initiator or the responder) and a SyncRequest
 * asking to reconcile. Each message that decodes as a Recon is sent in an
 * Envelope, the others as raw envelope bytes.
 *
 * Oracles besides the sanitizers: every frame the session sends is well
 * formed and within the frame limit; the give set never exceeds the records
 * held; a closed session sends nothing more and is closed once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_session.h"
#include "peer.pb-c.h"
#include "core/identity.h"
#include "core/record.h"
#include "core/tessera.h"
#include "core/wire.h"
#include "store/store.h"
#include "sync/reconcile.h"
#include "sync/session.h"

#define RECORDS 300

static struct session_env env;
/* Signs and stores one small resource of the fuzz identity. */
static void
put_record(int i)
{
	const struct identity *me = fuzz_identity();
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text t = TESSERA__TEXT__INIT, *texts[1] = { &t };
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN], *body = NULL, sig[TESS_SIG_LEN];
	enum store_put_result res;
	char title[32];
	size_t len;

	if (record_new_id(me->pub, nonce, id) != 0)
		abort();
	snprintf(title, sizeof(title), "Record %d", i);
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me->pub };
	r.version = 1;
	r.timestamp = 1700000000000LL + i;
	r.kind = TESSERA__KIND__KIND_RESOURCE;
	t.lang = "ro";
	t.title = title;
	r.texts = texts;
	r.n_texts = 1;
	if (record_seal(me, &r, &body, &len, sig) != 0 ||
	    store_put(env.store, body, len, sig, &r, &res) != 0 || res != STORE_STORED)
		abort();
	free(body);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_session_store(&env, "fuzz-recon");
	store_set_local(env.store, fuzz_identity()->pub);
	env.lim = (struct session_limits){ TESS_MAX_FRAME, 512, 4096, 100000, 30000, 16 };
	if (store_begin(env.store) != 0)
		abort();
	for (int i = 0; i < RECORDS; i++)
		put_record(i);
	if (store_commit(env.store) != 0)
		abort();
	return 0;
}

static int
send_env(struct fuzz_link *l, const Tessera__Envelope *e, uint64_t now)
{
	size_t n = tessera__envelope__get_packed_size(e);
	uint8_t *buf = malloc(n + 1);
	int rc;

	if (buf == NULL)
		abort();
	tessera__envelope__pack(e, buf);
	rc = session_on_frame(&l->s, buf, n, now);
	free(buf);
	return rc;
}

/* The peer's Hello and its request to reconcile. */
static int
opening(struct fuzz_link *l, bool low_epoch)
{
	Tessera__Envelope e = TESSERA__ENVELOPE__INIT;
	Tessera__Hello h = TESSERA__HELLO__INIT;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	uint8_t epoch[TESS_EPOCH_LEN];

	memset(epoch, low_epoch ? 0x00 : 0xff, sizeof(epoch));
	h.has_protocol = h.has_max_frame = h.has_max_batch = h.has_epoch = h.has_seq = 1;
	h.has_features = 1;
	h.protocol = TESS_PROTOCOL_VERSION;
	h.max_frame = TESS_MAX_FRAME;
	h.max_batch = 512;
	h.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, epoch };
	h.seq = 1;
	h.features = RECON_FEATURE;
	e.msg_case = TESSERA__ENVELOPE__MSG_HELLO;
	e.hello = &h;
	if (send_env(l, &e, 1001) != 0)
		return -1;
	req.has_epoch = req.has_since = req.has_reconcile = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, (uint8_t *)store_epoch(env.store) };
	req.reconcile = 1;
	e.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	e.sync = &req;
	return send_env(l, &e, 1002);
}

/* Feeds an Envelope holding the Recon bytes m. */
static void
wrap_recon(struct fuzz_link *l, const uint8_t *m, size_t len, uint64_t now)
{
	uint8_t *buf = malloc(len + 8);
	size_t n = 0;

	if (buf == NULL)
		abort();
	buf[n++] = TESSERA__ENVELOPE__MSG_RECON << 3 | 2;
	for (size_t v = len; ; v >>= 7) {
		buf[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		if (v <= 0x7f)
			break;
	}
	memcpy(buf + n, m, len);
	session_on_frame(&l->s, buf, n + len, now);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_link link;
	static const uint8_t peer_key[TESS_KEY_LEN] = { 4, 5, 6 };
	uint64_t now = 1003;

	if (size < 1)
		return 0;
	memset(&link, 0, sizeof(link));
	if (store_peer_checkpoint(env.store, peer_key, (const uint8_t[TESS_EPOCH_LEN]){ 0 }, 0) != 0)
		abort();   /* no checkpoint: this node asks to reconcile too */
	if (session_start(&link.s, &env, &fuzz_session_io, &link, peer_key, "fuzz", "fuzz", 1000) != 0)
		abort();
	if (opening(&link, data[0] & 1) == 0) {
		for (size_t pos = 1; pos + 2 <= size && link.s.state != SESSION_CLOSED;) {
			size_t len = (size_t)data[pos] << 8 | data[pos + 1];
			Tessera__Recon *m;

			pos += 2;
			if (len > size - pos)
				len = size - pos;
			if ((m = tessera__recon__unpack(NULL, len, data + pos)) != NULL) {
				/* A Recon: wrapped as the envelope's field 8 as is
				 * (re-packing a decoded message would hand protobuf-c
				 * NULL data for empty bytes). */
				tessera__recon__free_unpacked(m, NULL);
				wrap_recon(&link, data + pos, len, now++);
			} else {
				session_on_frame(&link.s, data + pos, len, now++);
			}
			pos += len;
			if (recon_give_left(link.s.sync.recon) > RECORDS)
				abort();
		}
	}
	if (link.closes > 1 || link.sent_after_close > 0)
		abort();
	session_drop(&link.s);
	session_free(&link.s);
	return 0;
}
