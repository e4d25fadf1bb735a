/* Frame reassembly and envelope decode, as a peer connection runs them.
 *
 * Input: one control byte, then the decrypted byte stream of a peer link.
 * The control byte picks the frame limit (bit 7: a small one, so that the
 * refusal of an oversized header is reached) and how the stream is cut
 * into reads (bits 0-6 seed the piece sizes).
 *
 * Each frame is decoded as an Envelope and checked as peer_fsm.c and
 * sync*.c do before touching the store: peer_check_*() and, for every
 * record received, record_open(). An undecodable frame stops the link, as
 * peer_on_frame() does.
 *
 * Oracle besides the sanitizers: reassembly must not depend on how the
 * stream is cut. The same bytes fed in one piece give the same frames
 * (length and hash), in the same order, and the same refusal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "peer.pb-c.h"
#include "sync/peer_check.h"
#include "core/record.h"
#include "core/tessera.h"
#include "core/wire.h"

#define MAX_SEEN 1024

struct seen {
	size_t n;                     /* frames seen (may exceed MAX_SEEN) */
	size_t len[MAX_SEEN];
	uint64_t hash[MAX_SEEN];
	int decode;                   /* decode and check each frame */
};

static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void
check_offer(const Tessera__Offer *m)
{
	for (size_t i = 0; i < m->n_items; i++) {
		const uint8_t *author = peer_check_offer_item(m, m->items[i]);

		if (author != NULL) {
			fuzz_touch(author, TESS_KEY_LEN);
			fuzz_touch(m->items[i]->id.data, TESS_ID_LEN);
		}
	}
}

static void
check_records(const Tessera__Records *m)
{
	for (size_t i = 0; i < m->n_records; i++) {
		const Tessera__SignedRecord *sr = m->records[i];
		Tessera__Record *r = NULL;
		const char *why = NULL;

		if (!peer_check_signed_record(sr))
			continue;
		if (record_open(sr->body.data, sr->body.len, sr->sig.data, sr->sig.len, &r,
		    &why) == 0)
			record_free(r);
		else
			fuzz_touch_str(why);
	}
}

/* One frame, as peer_on_frame() -> dispatch() -> peer_fsm() sees it. */
static int
handle(const uint8_t *payload, size_t len)
{
	Tessera__Envelope *env = tessera__envelope__unpack(NULL, len, payload);
	uint32_t max_frame, max_batch;
	char why[128];

	if (env == NULL)
		return -EBADMSG;
	switch (env->msg_case) {
	case TESSERA__ENVELOPE__MSG_HELLO:
		if (peer_check_hello(env->hello, &max_frame, &max_batch, why, sizeof(why)) == 0) {
			if (max_frame < 1024 || max_frame > TESS_MAX_FRAME || max_batch == 0)
				abort();   /* the clamp let a limit through */
			fuzz_touch(env->hello->epoch.data, TESS_EPOCH_LEN);
		}
		fuzz_touch_str(env->hello->name);
		break;
	case TESSERA__ENVELOPE__MSG_SYNC:
		fuzz_touch(env->sync->epoch.data, env->sync->epoch.len);
		break;
	case TESSERA__ENVELOPE__MSG_OFFER:
		check_offer(env->offer);
		break;
	case TESSERA__ENVELOPE__MSG_WANT:
		for (size_t i = 0; i < env->want->n_ids; i++)
			fuzz_touch(env->want->ids[i].data, env->want->ids[i].len);
		fuzz_touch(env->want->indexes, env->want->n_indexes * sizeof(uint32_t));
		break;
	case TESSERA__ENVELOPE__MSG_RECORDS:
		check_records(env->records);
		break;
	case TESSERA__ENVELOPE__MSG_GOODBYE:
		fuzz_touch_str(env->goodbye->reason);
		break;
	default:
		break;
	}
	tessera__envelope__free_unpacked(env, NULL);
	return 0;
}

static int
on_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct seen *s = arg;

	fuzz_touch(payload, len);
	if (s->n < MAX_SEEN) {
		s->len[s->n] = len;
		s->hash[s->n] = fnv1a(payload, len);
	}
	s->n++;
	return s->decode ? handle(payload, len) : 0;
}

/* Feeds data in pieces of 1..64 bytes drawn from seed (0: one piece). */
static int
feed(struct seen *s, const uint8_t *data, size_t size, size_t max, unsigned seed)
{
	struct wire_reader rd;
	uint32_t x = seed * 2654435761u + 1;
	int rc = 0;

	wire_reader_init(&rd, max);
	while (size > 0 && rc == 0) {
		size_t n = size;

		if (seed != 0) {
			x = x * 1103515245u + 12345u;
			n = 1 + (x >> 16) % 64;
			if (n > size)
				n = size;
		}
		rc = wire_reader_feed(&rd, data, n, on_frame, s);
		if (wire_reader_pending(&rd) > max)
			abort();   /* more held than one frame may be */
		data += n;
		size -= n;
	}
	wire_reader_free(&rd);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen whole, parts;
	size_t max;
	int rc_whole, rc_parts;

	if (size < 1)
		return 0;
	max = data[0] & 0x80 ? 1024 : TESS_MAX_FRAME;
	memset(&whole, 0, sizeof(whole));
	memset(&parts, 0, sizeof(parts));
	parts.decode = 1;
	rc_whole = feed(&whole, data + 1, size - 1, max, 0);
	rc_parts = feed(&parts, data + 1, size - 1, max, (data[0] & 0x7f) + 1);

	/* The decoding pass may stop early (an undecodable frame); up to there
	 * both saw the same frames, and without an early stop the same end. */
	if (parts.n > whole.n)
		abort();
	for (size_t i = 0; i < parts.n && i < MAX_SEEN; i++)
		if (parts.len[i] != whole.len[i] || parts.hash[i] != whole.hash[i])
			abort();
	if (rc_parts != -EBADMSG && (rc_parts != rc_whole || parts.n != whole.n))
		abort();
	return 0;
}
