/* evil_scn_frames.c: evil_peer's scenarios about frames rather than
 * messages: empty and truncated frames, bytes dripped slowly (during the
 * TLS handshake and after hello), floods of small frames, a Want for a
 * million records, and protobuf bombs: frames below max_frame whose
 * contents declare huge lengths or decode into very many objects. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evil.h"

#define DRIP_MS 250     /* one byte every DRIP_MS */

/* Appends a protobuf varint; returns the bytes written. */
static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return n;
}

/* A frame of len bytes repeating a pattern of plen bytes, wrapped in one
 * envelope field (wire type 2) unless field is 0: what protobuf-c will
 * decode, built by hand. */
static uint8_t *
bomb_frame(uint32_t field, size_t len, const uint8_t *pat, size_t plen, size_t *flen)
{
	uint8_t *f = malloc(WIRE_HDR + 16 + len);
	size_t h = WIRE_HDR;

	if (f == NULL)
		return NULL;
	len -= len % plen;
	if (field != 0) {
		h += put_varint(f + h, field << 3 | 2);
		h += put_varint(f + h, len);
	}
	for (size_t i = 0; i < len; i += plen)
		memcpy(f + h + i, pat, plen);
	wire_put_u32(f, (uint32_t)(h - WIRE_HDR + len));
	*flen = h + len;
	return f;
}

/* Waits for the daemon to close, returning how long it took (ms), or -1. */
static long
close_time(struct conn *c, uint64_t t0)
{
	if (conn_wait_close(c) != 0)
		return -1;
	return (long)(mono_ms() - t0);
}

int
scn_zero_frames(int n)
{
	struct conn c;
	uint8_t *zeros;
	uint64_t t0;
	char how[320];
	int o, rc;

	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	if ((zeros = calloc((size_t)n, WIRE_HDR)) == NULL) {
		conn_close(&c);
		return result(OUT_LOCAL, "out of memory");
	}
	t0 = mono_ms();
	for (size_t off = 0; off < (size_t)n * WIRE_HDR && c.dead == 0; off += 16384) {
		size_t k = (size_t)n * WIRE_HDR - off;

		conn_send_raw(&c, zeros + off, k < 16384 ? k : 16384);
	}
	free(zeros);
	rc = probe(&c);
	if (rc == 0)
		rc = result(OUT_OK, "%d empty frames skipped; an offer after them answered %llu ms "
		    "after the first", n, (unsigned long long)(mono_ms() - t0));
	else if (c.dead != 0)
		rc = result(OUT_OK, "%d empty frames: the daemon closed the link (%s)", n,
		    conn_how(&c, how, sizeof(how)));
	else
		rc = result(OUT_BAD, "after %d empty frames the daemon neither answered nor closed "
		    "(%s)", n, rc == -ETIMEDOUT ? "timed out" : c.why);
	conn_close(&c);
	return rc;
}

int
scn_truncated(int arg)
{
	struct conn c;
	uint8_t buf[WIRE_HDR + 100];
	uint64_t t0;
	long ms;
	char how[320];
	int o;

	/* 1: a header for 1000 bytes, 10 of them, then EOF. */
	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	memset(buf, 'x', sizeof(buf));
	wire_put_u32(buf, 1000);
	conn_send_raw(&c, buf, WIRE_HDR + 10);
	shutdown(c.fd, SHUT_WR);
	ms = close_time(&c, mono_ms());
	conn_close(&c);
	if (ms < 0)
		return result(OUT_BAD, "after a truncated frame and EOF the daemon kept the link");
	/* 2: a header for max_frame bytes, 100 of them, then silence: the daemon
	 * holds the partial frame until its idle timeout and no longer. */
	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	wire_put_u32(buf, c.max_frame);
	conn_send_raw(&c, buf, sizeof(buf));
	t0 = mono_ms();
	if ((ms = close_time(&c, t0)) < 0)
		o = result(OUT_BAD, "a frame of %u bytes left at 100: the daemon still waits after "
		    "%d ms", c.max_frame, opt.timeout_ms);
	else
		o = result(OUT_OK, "truncated by EOF: closed; left hanging at 100 of %u bytes: closed "
		    "after %ld ms (%s)", c.max_frame, ms, conn_how(&c, how, sizeof(how)));
	conn_close(&c);
	return o;
}

/* Sends ciphertext one byte every DRIP_MS until it is all sent or the daemon
 * closes; reads whatever the daemon sends meanwhile. Returns the bytes sent. */
static size_t
drip(struct conn *c, const uint8_t *data, size_t len, uint64_t deadline)
{
	size_t sent = 0;

	while (sent < len && c->dead == 0 && mono_ms() < deadline) {
		uint64_t next = mono_ms() + DRIP_MS;

		if (send(c->fd, data + sent, 1, MSG_NOSIGNAL) != 1) {
			conn_die(c, -EPIPE, "connection closed (%s)", strerror(errno));
			break;
		}
		sent++;
		while (c->dead == 0 && mono_ms() < next)
			if (conn_fill(c, next) == -ETIMEDOUT)
				break;
	}
	return sent;
}

static int
pin_daemon(void *arg, const uint8_t pub[TESS_KEY_LEN])
{
	return memcmp(pub, opt.daemon, TESS_KEY_LEN) == 0 ? 0 : -1;
}

int
scn_slow_handshake(int arg)
{
	struct conn c;
	uint8_t *hello = NULL;
	size_t len = 0, sent;
	uint64_t t0, deadline;
	enum outcome o;

	/* conn_dial's socket part, without the handshake. */
	memset(&c, 0, sizeof(c));
	c.tail = &c.head;
	wire_reader_init(&c.rd, TESS_MAX_FRAME);
	if ((c.fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(c.fd, (struct sockaddr *)&opt.sa, sizeof(opt.sa)) != 0) {
		conn_close(&c);
		return result(OUT_NET, "cannot connect to %s", opt.addr);
	}
	t0 = mono_ms();
	deadline = t0 + (uint64_t)opt.timeout_ms;
	if ((c.tls = tls_engine_new(opt.ctx, false, pin_daemon, NULL)) == NULL || tls_start(c.tls) != 0 ||
	    tls_take_output(c.tls, &hello, &len) != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot start TLS");
	}
	sent = drip(&c, hello, len, deadline);
	free(hello);
	while (c.dead == 0 && mono_ms() < deadline)
		conn_fill(&c, deadline);
	if (c.dead == 0)
		o = result(OUT_BAD, "the daemon kept a handshake dripped at one byte per %d ms open "
		    "for %d ms (%zu of %zu bytes sent)", DRIP_MS, opt.timeout_ms, sent, len);
	else if (sent == len)
		o = result(OUT_BAD, "the whole ClientHello (%zu bytes) got through before the "
		    "daemon closed", len);
	else
		o = result(OUT_OK, "handshake dripped at one byte per %d ms: closed after %llu ms "
		    "with %zu of %zu bytes of the ClientHello sent", DRIP_MS,
		    (unsigned long long)(mono_ms() - t0), sent, len);
	c.dead = -EPIPE;
	conn_close(&c);
	return o;
}

int
scn_slow_drip(int arg)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Goodbye bye = TESSERA__GOODBYE__INIT;
	uint8_t *frame, *cipher = NULL;
	size_t flen, clen = 0, sent;
	struct conn c;
	uint64_t t0;
	char how[320];
	int o;

	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	/* A Goodbye that would close the link, had it ever arrived whole. */
	bye.reason = "this reason arrives one byte at a time, far too slowly to finish";
	env.msg_case = TESSERA__ENVELOPE__MSG_GOODBYE;
	env.goodbye = &bye;
	if (wire_pack(&env.base, TESS_MAX_FRAME, &frame, &flen) != 0 ||
	    tls_write(c.tls, frame, flen) != 0 || tls_take_output(c.tls, &cipher, &clen) != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot build the frame");
	}
	free(frame);
	t0 = mono_ms();
	sent = drip(&c, cipher, clen, t0 + (uint64_t)opt.timeout_ms);
	free(cipher);
	if (c.dead == 0)
		o = result(OUT_BAD, "a message dripped at one byte per %d ms kept the link open for "
		    "%llu ms (%zu of %zu bytes sent)", DRIP_MS,
		    (unsigned long long)(mono_ms() - t0), sent, clen);
	else if (sent == clen)
		o = result(OUT_BAD, "the whole dripped message got through (%zu bytes)", clen);
	else
		o = result(OUT_OK, "a message dripped at one byte per %d ms: closed after %llu ms, "
		    "%zu of %zu bytes sent (%s)", DRIP_MS, (unsigned long long)(mono_ms() - t0),
		    sent, clen, conn_how(&c, how, sizeof(how)));
	c.dead = c.dead ? c.dead : -EPIPE;
	conn_close(&c);
	return o;
}

int
scn_frame_flood(int n)
{
	static const uint8_t ping[] = { 0, 0, 0, 2, 0x3a, 0x00 };
	uint8_t batch[1000 * sizeof(ping)];
	struct conn c;
	uint64_t t0, t1;
	char how[320];
	int o, rc;

	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	for (size_t i = 0; i < sizeof(batch); i += sizeof(ping))
		memcpy(batch + i, ping, sizeof(ping));
	t0 = mono_ms();
	for (int i = 0; i < n && c.dead == 0; i += 1000) {
		int k = n - i < 1000 ? n - i : 1000;

		conn_send_raw(&c, batch, (size_t)k * sizeof(ping));
	}
	t1 = mono_ms();
	rc = probe(&c);
	if (rc == 0)
		o = result(OUT_OK, "%d pings written in %llu ms; an offer after them answered "
		    "%llu ms later (%.0f messages/s taken)", n, (unsigned long long)(t1 - t0),
		    (unsigned long long)(mono_ms() - t1),
		    n * 1000.0 / (double)(mono_ms() - t0 + 1));
	else if (c.dead != 0)
		o = result(OUT_OK, "%d pings: the daemon closed the link (%s)", n,
		    conn_how(&c, how, sizeof(how)));
	else
		o = result(OUT_BAD, "after %d pings the daemon neither answered an offer nor closed "
		    "(%s)", n, rc == -ETIMEDOUT ? "timed out" : c.why);
	conn_close(&c);
	return o;
}

/* Asks the daemon for its changes and returns its first offer. */
static int
first_offer(struct conn *c, Tessera__Envelope **out)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	uint64_t deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	int rc;

	req.has_epoch = req.has_since = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, c->epoch };
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	if ((rc = conn_send(c, &env)) != 0)
		return rc;
	for (;;) {
		if ((rc = conn_next(c, deadline, out)) != 0)
			return rc;
		if ((*out)->msg_case == TESSERA__ENVELOPE__MSG_OFFER)
			return 0;
		tessera__envelope__free_unpacked(*out, NULL);
	}
}

int
scn_want_flood(int arg)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in;
	Tessera__Want w = TESSERA__WANT__INIT;
	ProtobufCBinaryData *ids;
	uint8_t *frame, (*raw)[TESS_ID_LEN];
	size_t n, served = 0;
	struct conn c;
	char how[320], first[400];
	int o, rc;

	/* 1: one Want naming item 0 of the first offer a million times (one
	 * byte each, packed: the frame stays below 1 MiB). */
	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	if ((rc = first_offer(&c, &in)) != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "the daemon offered nothing (%s)", c.why);
	}
	tessera__envelope__free_unpacked(in, NULL);
	if ((frame = malloc(WIRE_HDR + 16 + 1000000)) == NULL) {
		conn_close(&c);
		return result(OUT_LOCAL, "out of memory");
	}
	n = WIRE_HDR;
	n += put_varint(frame + n, 4 << 3 | 2);                 /* Envelope.want */
	n += put_varint(frame + n, 1000000 + 1 + 3);
	n += put_varint(frame + n, 2 << 3 | 2);                 /* Want.indexes, packed */
	n += put_varint(frame + n, 1000000);
	memset(frame + n, 0, 1000000);
	wire_put_u32(frame, (uint32_t)(n - WIRE_HDR + 1000000));
	conn_send_raw(&c, frame, n + 1000000);
	free(frame);
	if (close_time(&c, mono_ms()) < 0) {
		conn_close(&c);
		return result(OUT_BAD, "the daemon kept the link after a want for a million records");
	}
	snprintf(first, sizeof(first), "a want for 1000000 records: closed (%s)",
	    conn_how(&c, how, sizeof(how)));
	conn_close(&c);
	/* 2: a Want (long form) of max_batch ids that were never offered. */
	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	if ((rc = first_offer(&c, &in)) != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "the daemon offered nothing (%s)", c.why);
	}
	tessera__envelope__free_unpacked(in, NULL);
	n = c.max_batch;
	ids = calloc(n, sizeof(*ids));
	raw = calloc(n, TESS_ID_LEN);
	for (size_t i = 0; ids != NULL && raw != NULL && i < n; i++) {
		for (size_t k = 0; k < TESS_ID_LEN; k++)
			raw[i][k] = (uint8_t)random();
		ids[i] = (ProtobufCBinaryData){ TESS_ID_LEN, raw[i] };
	}
	w.ids = ids;
	w.n_ids = ids != NULL && raw != NULL ? n : 0;
	env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
	env.want = &w;
	conn_send(&c, &env);
	free(ids);
	free(raw);
	/* The answer: Records (none of these ids exist) ending with upto. */
	for (bool done = false; !done;) {
		if ((rc = conn_next(&c, mono_ms() + (uint64_t)opt.timeout_ms, &in)) != 0)
			break;
		if (in->msg_case == TESSERA__ENVELOPE__MSG_RECORDS) {
			served += in->records->n_records;
			done = in->records->has_upto;
		}
		tessera__envelope__free_unpacked(in, NULL);
	}
	if (rc == 0 && probe(&c) == 0)
		rc = result(OUT_OK, "%s; a want for %zu unknown ids: answered with %zu records, link "
		    "kept", first, n, served);
	else if (c.dead != 0)
		rc = result(OUT_OK, "%s; a want for %zu unknown ids: closed (%s)", first, n,
		    conn_how(&c, how, sizeof(how)));
	else
		rc = result(OUT_BAD, "%s; a want for %zu unknown ids: no answer (%s)", first, n,
		    c.why);
	conn_close(&c);
	return rc;
}

/* One bomb on its own link: the daemon must close, or skip it and still
 * answer an offer. */
static int
bomb_one(const char *what, const uint8_t *frame, size_t flen, bool after_offer, char *out,
    size_t outlen)
{
	struct conn c;
	bool none[1];
	uint64_t upto = 0;
	char how[320];
	enum outcome o;
	int rc;

	if ((o = session_open(&c)) != OUT_OK) {
		snprintf(out, outlen, "%s: %.150s", what, c.why);
		conn_close(&c);
		return o;
	}
	/* Records are only taken while an offer is pending. */
	if (after_offer && offer(&c, NULL, 0, none, &upto) != 0) {
		snprintf(out, outlen, "%s: no answer to an empty offer", what);
		conn_close(&c);
		return OUT_BAD;
	}
	conn_send_raw(&c, frame, flen);
	rc = after_offer ? conn_wait_close(&c) : probe(&c);
	if (c.dead != 0) {
		snprintf(out, outlen, "%s: closed (%s)", what, conn_how(&c, how, sizeof(how)));
	} else if (rc == 0 && !after_offer) {
		snprintf(out, outlen, "%s: skipped, link kept", what);
	} else if (after_offer && probe(&c) == 0) {
		snprintf(out, outlen, "%s: refused, link kept", what);
	} else {
		snprintf(out, outlen, "%s: the daemon neither closed nor answered", what);
		o = OUT_BAD;
	}
	conn_close(&c);
	return o;
}

int
scn_bomb(int arg)
{
	/* Envelope.records with a length of 2^36 in an 8-byte envelope. */
	static const uint8_t huge[] = { 0, 0, 0, 8, 0x2a, 0x80, 0x80, 0x80, 0x80, 0x01, 0x0a, 0x00 };
	static const uint8_t empty_sub[] = { 0x0a, 0x00 };        /* field 1, length 0 */
	static const uint8_t unknown[] = { 0xa0, 0x01, 0x00 };    /* field 20, varint 0 */
	static const uint8_t group[] = { 0xa3, 0x01 };            /* field 20, start group */
	static const char *what[] = { "524k empty records", "524k empty offer items",
		"349k unknown fields", "524k nested groups" };
	char msg[5][400];
	uint8_t *f[4];
	size_t len[4], room = TESS_MAX_FRAME - 64;
	enum outcome o = OUT_OK, r;

	f[0] = bomb_frame(5, room, empty_sub, sizeof(empty_sub), &len[0]);
	f[1] = bomb_frame(3, room, empty_sub, sizeof(empty_sub), &len[1]);
	f[2] = bomb_frame(0, room, unknown, sizeof(unknown), &len[2]);
	f[3] = bomb_frame(0, room, group, sizeof(group), &len[3]);
	for (int i = 0; i < 4; i++) {
		if (f[i] == NULL) {
			o = OUT_LOCAL;
			continue;
		}
		/* Records are only taken while an offer is pending. */
		r = bomb_one(what[i], f[i], len[i], i == 0, msg[i], sizeof(msg[i]));
		o = o == OUT_OK ? r : o;
		free(f[i]);
	}
	if (o == OUT_LOCAL)
		return result(o, "out of memory");
	r = bomb_one("a length of 2^36 in 8 bytes", huge, sizeof(huge), false, msg[4],
	    sizeof(msg[4]));
	o = o == OUT_OK ? r : o;
	return result(o, "%s; %s; %s; %s; %s", msg[0], msg[1], msg[2], msg[3], msg[4]);
}
