/* Frame reassembly and the real session engine, as a peer connection runs
 * them.
 *
 * Input: one control byte, then the decrypted byte stream of a peer link.
 * The control byte picks the frame limit (bit 7: a small one, so that the
 * refusal of an oversized header is reached) and how the stream is cut
 * into reads (bits 0-6 seed the piece sizes).
 *
 * Each frame goes to a real session (sync/session.c) over a real store in a
 * temporary directory, through a link that records what the session does:
 * Hello, offers, wants, records (verified in line, as the threadpool would),
 * held messages, the rate limit. The session's own checks decide what closes
 * the link; once it closed, no more frames are fed (as net/peer.c does).
 *
 * Oracles besides the sanitizers: reassembly must not depend on how the
 * stream is cut (the same bytes fed in one piece give the same frames, in
 * the same order, and the same refusal); the session keeps its limits
 * (wanted records, offers in flight, verification jobs); a closed session
 * sends nothing more and its close is reported exactly once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_session.h"
#include "peer.pb-c.h"
#include "core/tessera.h"
#include "core/wire.h"
#include "store/store.h"
#include "sync/session.h"

#define MAX_SEEN 1024

struct seen {
	size_t n;                     /* frames seen (may exceed MAX_SEEN) */
	size_t len[MAX_SEEN];
	uint64_t hash[MAX_SEEN];
	struct fuzz_link *link;       /* hand each frame to this session, or NULL */
	uint64_t now;
};

static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static struct session_env env;
static struct attach att;
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct attach_policy pol = { true, 1ULL << 30, 1ULL << 32, 1ULL << 30 };

	fuzz_session_store(&env, "fuzz-frame");
	env.lim = (struct session_limits){ TESS_MAX_FRAME, 512, 4096, 2000, 30000, 16 };
	/* The attachment messages (Blob*) reach their handlers too. */
	attach_init(&att, env.store, &pol);
	env.attach = &att;
	return 0;
}

/* The session's bounds, after every frame. */
static void
check_bounds(const struct session *s)
{
	const struct sync *y = &s->sync;

	if (s->att.inflight > ATTACH_WINDOW || s->att.serve_pending > ATTACH_SERVE_MAX ||
	    att.n_fl > ATTACH_WINDOW)
		abort();
	if (y->wanted.n > env.lim.max_inflight_wants || y->offers_inflight > SYNC_OFFERS_INFLIGHT ||
	    y->n_pending > SYNC_PENDING_MAX + 1 || y->n_jobs > SYNC_JOBS_MAX)
		abort();
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
	if (s->link == NULL)
		return 0;
	s->now += 7;
	if (session_on_frame(&s->link->s, payload, len, s->now) < 0)
		return -EPIPE;   /* the session closed: the link stops reading */
	check_bounds(&s->link->s);
	/* Time passes between reads: keepalive, rate refill. */
	session_tick(&s->link->s, s->now);
	return 0;
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
	static struct fuzz_link link;
	static const uint8_t peer_key[TESS_KEY_LEN] = { 1, 2, 3 };
	size_t max;
	int rc_whole, rc_parts;

	if (size < 1)
		return 0;
	max = data[0] & 0x80 ? 1024 : TESS_MAX_FRAME;
	memset(&whole, 0, sizeof(whole));
	memset(&parts, 0, sizeof(parts));
	memset(&link, 0, sizeof(link));
	if (session_start(&link.s, &env, &fuzz_session_io, &link, peer_key, "fuzz", "fuzz", 1000) != 0)
		abort();
	parts.link = &link;
	parts.now = 1000;
	rc_whole = feed(&whole, data + 1, size - 1, max, 0);
	rc_parts = feed(&parts, data + 1, size - 1, max, (data[0] & 0x7f) + 1);
	if (link.closes > 1 || link.sent_after_close > 0)   /* Goodbye goes before close */
		abort();
	session_drop(&link.s);
	session_free(&link.s);

	/* The session's pass may stop early (it closed); up to there both saw
	 * the same frames, and without an early stop the same end. */
	if (parts.n > whole.n)
		abort();
	for (size_t i = 0; i < parts.n && i < MAX_SEEN; i++)
		if (parts.len[i] != whole.len[i] || parts.hash[i] != whole.hash[i])
			abort();
	if (rc_parts != -EPIPE && (rc_parts != rc_whole || parts.n != whole.n))
		abort();
	return 0;
}
