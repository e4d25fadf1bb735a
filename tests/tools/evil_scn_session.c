/* Scenarios against the session engine's limits: a Hello announcing a frame
 * smaller than the protocol floor, and a long-form Want that names one
 * record many times. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"

/* Hello with a max_frame of 1 KiB: below the floor (TESS_MIN_FRAME). Before
 * the floor the daemon accepted it and then looped on empty Records for any
 * peer under ~128 KiB. */
int
scn_tiny_frame(int arg)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Hello h = TESSERA__HELLO__INIT;
	uint8_t epoch[TESS_EPOCH_LEN];
	struct conn c;
	enum outcome o;

	if ((o = conn_dial(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	memset(epoch, 0xe5, sizeof(epoch));
	h.has_protocol = h.has_max_frame = h.has_max_batch = h.has_epoch = h.has_seq = 1;
	h.protocol = TESS_PROTOCOL_VERSION;
	h.name = "evil_peer";
	h.max_frame = 1024;
	h.max_batch = 512;
	h.epoch = (ProtobufCBinaryData){ sizeof(epoch), epoch };
	env.msg_case = TESSERA__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	conn_send(&c, &env);
	if (conn_wait_close(&c) != 0)
		o = result(OUT_BAD, "the daemon kept the link open after a hello with max_frame 1024");
	else if (c.got_sync)
		o = result(OUT_BAD, "the daemon accepted max_frame 1024 (sent a sync request)");
	else if (!c.got_goodbye)
		o = result(OUT_BAD, "the daemon closed without a goodbye saying why (%s)", c.why);
	else if (strstr(c.goodbye, "floor") == NULL)
		o = result(OUT_BAD, "the daemon's goodbye does not name the floor: \"%s\"", c.goodbye);
	else
		o = result(OUT_OK, "the daemon said goodbye \"%s\" and closed", c.goodbye);
	conn_close(&c);
	return o;
}

/* A long-form Want naming the first offered record N times (default 500):
 * without the check the daemon would read and send that record N times. */
int
scn_want_repeat(int n)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in = NULL;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	Tessera__Want w = TESSERA__WANT__INIT;
	ProtobufCBinaryData *ids;
	uint8_t id[TESS_ID_LEN];
	size_t served = 0;
	struct conn c;
	char how[320];
	int o, rc;

	if (n <= 1)
		n = 500;
	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	req.has_epoch = req.has_since = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, c.epoch };
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	conn_send(&c, &env);
	for (;;) {
		if ((rc = conn_next(&c, mono_ms() + (uint64_t)opt.timeout_ms, &in)) != 0) {
			conn_close(&c);
			return result(OUT_LOCAL, "the daemon offered nothing (%s)", c.why);
		}
		if (in->msg_case == TESSERA__ENVELOPE__MSG_OFFER && in->offer->n_items > 0)
			break;
		tessera__envelope__free_unpacked(in, NULL);
	}
	memcpy(id, in->offer->items[0]->id.data, TESS_ID_LEN);
	tessera__envelope__free_unpacked(in, NULL);
	if ((size_t)n > c.max_batch)
		n = (int)c.max_batch;
	if ((ids = calloc((size_t)n, sizeof(*ids))) == NULL) {
		conn_close(&c);
		return result(OUT_LOCAL, "out of memory");
	}
	for (int i = 0; i < n; i++)
		ids[i] = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	w.ids = ids;
	w.n_ids = (size_t)n;
	env = (Tessera__Envelope)TESSERA__ENVELOPE__INIT;
	env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
	env.want = &w;
	conn_send(&c, &env);
	free(ids);
	/* Records served before the close count against the daemon. */
	while (conn_next(&c, mono_ms() + (uint64_t)opt.timeout_ms, &in) == 0) {
		if (in->msg_case == TESSERA__ENVELOPE__MSG_RECORDS)
			served += in->records->n_records;
		tessera__envelope__free_unpacked(in, NULL);
	}
	if (c.dead == 0)
		o = result(OUT_BAD, "the daemon kept the link after a want naming one record %d times",
		    n);
	else if (served > 1)
		o = result(OUT_BAD, "the daemon sent %zu copies of one record before closing", served);
	else
		o = result(OUT_OK, "a want naming one record %d times: closed (%s)", n,
		    conn_how(&c, how, sizeof(how)));
	conn_close(&c);
	return o;
}
