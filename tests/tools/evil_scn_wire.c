/* evil_scn_wire.c: evil_peer's scenarios below the records: bad frames,
 * the handshake out of order or with a wrong version, flow control, unknown
 * message types and a peer that stops reading. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evil.h"

/* One oversize header per connection: the first one ends the link. */
static int
oversize_once(uint32_t len, char *out, size_t outlen)
{
	struct conn c;
	uint8_t hdr[WIRE_HDR];
	enum outcome o;
	char how[320];

	if ((o = session_open(&c)) != OUT_OK) {
		snprintf(out, outlen, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if (len == 0)
		len = c.max_frame + 1;
	wire_put_u32(hdr, len);
	conn_send_raw(&c, hdr, sizeof(hdr));
	if (conn_wait_close(&c) != 0) {
		snprintf(out, outlen, "header of %u bytes: the daemon kept the link open "
		    "(waiting for the payload?)", len);
		o = OUT_BAD;
	} else {
		snprintf(out, outlen, "header of %u bytes: closed (%s)", len,
		    conn_how(&c, how, sizeof(how)));
	}
	conn_close(&c);
	return o;
}

int
scn_oversize(int arg)
{
	char a[400], b[400];
	enum outcome oa, ob;

	oa = oversize_once(0, a, sizeof(a));
	ob = oversize_once(UINT32_MAX, b, sizeof(b));
	return result(oa != OUT_OK ? oa : ob, "%s; %s", a, b);
}

int
scn_garbage(int arg)
{
	struct conn c;
	uint8_t frame[WIRE_HDR + 300];
	enum outcome o;
	char how[320], first[400];
	size_t len;
	int rc;

	/* 1: a valid length and an envelope no decoder accepts (field 1 with
	 * the invalid wire type 7), then random bytes. */
	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	wire_put_u32(frame, 64);
	frame[WIRE_HDR] = 0x0f;
	for (size_t i = 1; i < 64; i++)
		frame[WIRE_HDR + i] = (uint8_t)random();
	conn_send_raw(&c, frame, WIRE_HDR + 64);
	if (conn_wait_close(&c) != 0) {
		conn_close(&c);
		return result(OUT_BAD, "the daemon kept the link open after an undecodable "
		    "message");
	}
	snprintf(first, sizeof(first), "undecodable: closed (%s)", conn_how(&c, how, sizeof(how)));
	conn_close(&c);
	/* 2: purely random frames: it may close, or skip what decodes as an
	 * unknown message; either way it must still answer afterwards. */
	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	for (int i = 0; i < 3 && c.dead == 0; i++) {
		len = 1 + (size_t)random() % 256;
		wire_put_u32(frame, (uint32_t)len);
		for (size_t k = 0; k < len; k++)
			frame[WIRE_HDR + k] = (uint8_t)random();
		conn_send_raw(&c, frame, WIRE_HDR + len);
	}
	rc = probe(&c);
	if (rc != 0 && c.dead == 0)
		o = result(OUT_BAD, "%s; random (seed %u): the daemon neither closed nor "
		    "answered (%s)", first, opt.seed, rc == -ETIMEDOUT ? "timed out" : c.why);
	else if (rc != 0)
		o = result(OUT_OK, "%s; random (seed %u): closed (%s)", first, opt.seed,
		    conn_how(&c, how, sizeof(how)));
	else
		o = result(OUT_OK, "%s; random (seed %u): skipped, still answering", first,
		    opt.seed);
	conn_close(&c);
	return o;
}

int
scn_before_hello(int arg)
{
	struct conn c;
	struct rec r;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	Tessera__OfferItem it = TESSERA__OFFER_ITEM__INIT, *items[1] = { &it };
	enum outcome res;
	char how[320];

	if ((res = conn_dial(&c)) != OUT_OK) {
		result(res, "%s", c.why);
		conn_close(&c);
		return res;
	}
	if (make_record(&r, opt.me->pub, NULL, false, "evil_peer: before hello") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make a record");
	}
	it.has_id = it.has_author = it.has_version = it.has_seq = 1;
	it.id = (ProtobufCBinaryData){ TESS_ID_LEN, r.id };
	it.author = (ProtobufCBinaryData){ TESS_KEY_LEN, r.author };
	it.version = r.version;
	it.seq = 1;
	o.items = items;
	o.n_items = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	conn_send(&c, &env);
	if (conn_wait_close(&c) != 0)
		res = result(OUT_BAD, "the daemon kept the link open after an offer before hello");
	else if (c.seen[TESSERA__ENVELOPE__MSG_WANT] > 0 || c.got_sync)
		res = result(OUT_BAD, "the daemon treated the link as established (%u want, %s)",
		    c.seen[TESSERA__ENVELOPE__MSG_WANT], c.got_sync ? "sync request" : "no sync");
	else
		res = result(OUT_OK, "the daemon closed the link: %s", conn_how(&c, how, sizeof(how)));
	recs_free(&r, 1);
	conn_close(&c);
	return res;
}

int
scn_bad_version(int arg)
{
	struct conn c;
	enum outcome o;

	if ((o = conn_dial(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	send_hello(&c, 99);
	if (conn_wait_close(&c) != 0)
		o = result(OUT_BAD, "the daemon kept the link open after hello with protocol 99");
	else if (c.got_sync)
		o = result(OUT_BAD, "the daemon accepted protocol 99 (sent a sync request)");
	else if (!c.got_goodbye)
		o = result(OUT_BAD, "the daemon closed without a goodbye saying why (%s)", c.why);
	else if (strstr(c.goodbye, "version") == NULL)
		o = result(OUT_BAD, "the daemon's goodbye does not mention the version: \"%s\"",
		    c.goodbye);
	else
		o = result(OUT_OK, "the daemon said goodbye \"%s\" and closed", c.goodbye);
	conn_close(&c);
	return o;
}

/* More offers than flow control allows (none of them answered by Records). */
int
scn_offer_flood(int arg)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	struct conn c;
	enum outcome res;
	char how[320];

	if ((res = session_open(&c)) != OUT_OK) {
		result(res, "%s", c.why);
		conn_close(&c);
		return res;
	}
	o.has_upto = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	for (int i = 0; i < 16 && c.dead == 0; i++) {
		o.upto = ++c.seq;
		conn_send(&c, &env);
	}
	if (conn_wait_close(&c) != 0)
		res = result(OUT_BAD, "the daemon kept the link open after 16 unanswered offers "
		    "(%u wants sent)", c.seen[TESSERA__ENVELOPE__MSG_WANT]);
	else
		res = result(OUT_OK, "the daemon answered %u offer(s), then closed: %s",
		    c.seen[TESSERA__ENVELOPE__MSG_WANT], conn_how(&c, how, sizeof(how)));
	conn_close(&c);
	return res;
}

/* Wants everything the daemon holds, then stops reading: the daemon must
 * bound what it queues for us and drop the link once nothing moves. */
int
scn_stop_reading(int seconds)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	uint64_t deadline;
	uint8_t buf[16 * 1024];
	size_t drained = 0;
	struct conn c;
	enum outcome res;
	int wants = 0;

	if ((res = session_open(&c)) != OUT_OK) {
		result(res, "%s", c.why);
		conn_close(&c);
		return res;
	}
	req.has_epoch = req.has_since = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, c.epoch };
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	conn_send(&c, &env);
	deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	/* Answer the first two offers with "all of it". */
	while (wants < 2 && conn_next(&c, deadline, &in) == 0) {
		if (in->msg_case == TESSERA__ENVELOPE__MSG_OFFER && in->offer->n_items > 0) {
			Tessera__Envelope out = TESSERA__ENVELOPE__INIT;
			Tessera__Want w = TESSERA__WANT__INIT;
			uint32_t *idx = calloc(in->offer->n_items, sizeof(*idx));

			for (size_t i = 0; idx != NULL && i < in->offer->n_items; i++)
				idx[w.n_indexes++] = (uint32_t)i;
			w.indexes = idx;
			out.msg_case = TESSERA__ENVELOPE__MSG_WANT;
			out.want = &w;
			conn_send(&c, &out);
			free(idx);
			wants++;
			/* An offer that covers everything: nothing more to ask for,
			 * and reading on would take the records we asked for. */
			if (in->offer->has_caught_up && in->offer->caught_up) {
				tessera__envelope__free_unpacked(in, NULL);
				break;
			}
		}
		tessera__envelope__free_unpacked(in, NULL);
	}
	if (wants == 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "the daemon offered nothing to ask for");
	}
	/* Read nothing for a while; the daemon's queue is its own problem. */
	sleep((unsigned)seconds);
	/* Then drain what the kernel holds: a daemon that dropped us ends with
	 * EOF or a reset; one that kept us keeps the link open. */
	deadline = mono_ms() + 5000;
	for (;;) {
		struct pollfd pfd = { .fd = c.fd, .events = POLLIN };
		ssize_t got;

		if (mono_ms() >= deadline) {
			res = result(OUT_BAD, "the daemon kept the link open after %d s without reads "
			    "(%zu bytes drained)", seconds, drained);
			break;
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		got = read(c.fd, buf, sizeof(buf));
		if (got <= 0) {
			res = result(OUT_OK, "the daemon dropped the link (%zu bytes were in flight)",
			    drained);
			break;
		}
		drained += (size_t)got;
	}
	c.dead = -EPIPE;   /* nothing more to say on this link */
	conn_close(&c);
	return res;
}

/* A message type from a newer protocol (envelope field 15), then an offer:
 * the daemon must skip the first and answer the second on the same link. */
int
scn_unknown_type(int arg)
{
	static const uint8_t frame[] = { 0, 0, 0, 2, 0x78, 0x01 };
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in = NULL;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	struct conn c;
	enum outcome res;

	if ((res = session_open(&c)) != OUT_OK) {
		result(res, "%s", c.why);
		conn_close(&c);
		return res;
	}
	conn_send_raw(&c, frame, sizeof(frame));
	o.has_upto = 1;
	o.upto = ++c.seq;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	conn_send(&c, &env);
	if (conn_expect(&c, TESSERA__ENVELOPE__MSG_WANT, &in) == 0)
		res = result(OUT_OK, "the daemon skipped the unknown message and answered the offer");
	else
		res = result(OUT_BAD, "no answer to an offer after an unknown message: %s", c.why);
	if (in != NULL)
		tessera__envelope__free_unpacked(in, NULL);
	conn_close(&c);
	return res;
}
