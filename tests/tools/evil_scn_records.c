/* evil_scn_records.c: evil_peer's scenarios about records: forged
 * signatures, foreign authors, oversized and unsolicited records, and the
 * honest baseline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"

int
scn_hello(int arg)
{
	struct conn c;
	enum outcome o;
	char id[NODEID_STRLEN + 1];

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	nodeid_encode(opt.daemon, id);
	result(OUT_OK, "connected to \"%s\" (%s): max_frame %u, max_batch %u", c.name, id,
	    c.max_frame, c.max_batch);
	conn_close(&c);
	return OUT_OK;
}

int
scn_forged_sig(int arg)
{
	struct conn c;
	struct rec r;
	enum outcome o;

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if (make_record(&r, opt.me->pub, NULL, false, "evil_peer: forged signature") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make a record");
	}
	r.sig[TESS_SIG_LEN / 2] ^= 0x04;     /* one bit */
	ids_note(&r, 1);
	o = push_bad(&c, &r, 1, "a record with one signature bit flipped");
	recs_free(&r, 1);
	conn_close(&c);
	return o;
}

/* Finds a record of another author: --target, or the daemon's own offers. */
static int
find_target(struct conn *c, uint8_t id[TESS_ID_LEN])
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	uint64_t deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	Tessera__Envelope *in;
	int rc;

	if (opt.has_target) {
		memcpy(id, opt.target, TESS_ID_LEN);
		return 0;
	}
	req.has_epoch = req.has_since = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, c->epoch };
	req.since = 0;
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	if ((rc = conn_send(c, &env)) != 0)
		return rc;
	while (!c->found && !c->offers_done) {
		if ((rc = conn_recv(c, deadline, &in)) != 0)
			return rc;
		if (in != NULL)
			tessera__envelope__free_unpacked(in, NULL);
	}
	if (!c->found)
		return -ENOENT;
	memcpy(id, c->found_id, TESS_ID_LEN);
	if (opt.version <= c->found_version)
		opt.version = c->found_version + 1;
	return 0;
}

int
scn_other_author(int arg)
{
	struct conn c;
	struct rec r[2];
	uint8_t target[TESS_ID_LEN];
	char hex[2 * TESS_ID_LEN + 1];
	enum outcome o;
	int rc;

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if ((rc = find_target(&c, target)) != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "no record of another author to update (%s); give "
		    "--target", rc == -ENOENT ? "the daemon offered none" : strerror(-rc));
	}
	/* 1: claims the victim as author (id bound to it), signed by us: the
	 * signature check fails. 2: a newer version of someone else's record
	 * with us as author: the id is not bound to us. */
	if (make_record(&r[0], opt.victim, NULL, false, "evil_peer: claims another author") != 0 ||
	    make_record(&r[1], opt.me->pub, target, false, "evil_peer: hijacked record") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make the records");
	}
	ids_note(&r[0], 1);
	hex_encode(target, TESS_ID_LEN, hex);
	debug("target record %s, our version %llu", hex, (unsigned long long)r[1].version);
	o = push_bad(&c, r, 2, "a record signed by us claiming another author and an update "
	    "of another author's record");
	recs_free(r, 2);
	conn_close(&c);
	return o;
}

int
scn_big_record(int arg)
{
	struct conn c;
	struct rec r;
	enum outcome o;

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if (make_record(&r, opt.me->pub, NULL, true, "evil_peer: oversized record") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make a record");
	}
	ids_note(&r, 1);
	o = push_bad(&c, &r, 1, "a validly signed record over the size limit");
	recs_free(&r, 1);
	conn_close(&c);
	return o;
}

int
scn_unsolicited(int arg)
{
	struct conn c;
	struct rec r;
	bool wanted[1];
	uint64_t upto = 0;
	enum outcome o;
	char how[320];
	int rc;

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if (make_record(&r, opt.me->pub, NULL, false, "evil_peer: never offered") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make a record");
	}
	ids_note(&r, 1);
	/* 1: a valid record answering an offer that did not include it. */
	if ((rc = offer(&c, NULL, 0, wanted, &upto)) != 0) {
		o = result(OUT_BAD, "the daemon did not answer an empty offer: %s", c.why);
		goto out;
	}
	if (send_records(&c, &r, 1, NULL, true, upto) != 0 ||
	    (rc = offer(&c, &r, 1, wanted, &upto)) != 0) {
		if (c.dead != 0)
			o = result(OUT_OK, "the daemon closed the link on a record it had not "
			    "asked for: %s", conn_how(&c, how, sizeof(how)));
		else
			o = result(OUT_BAD, "the daemon stopped answering after a record it had "
			    "not asked for (%s)", rc == -ETIMEDOUT ? "timed out" : c.why);
		goto out;
	}
	if (!wanted[0]) {
		o = result(OUT_BAD, "the daemon stored a record it had not asked for");
		goto out;
	}
	send_records(&c, NULL, 0, NULL, true, upto);
	/* 2: records with no offer pending at all: a protocol violation. */
	send_records(&c, &r, 1, NULL, true, ++c.seq);
	if (conn_wait_close(&c) != 0) {
		o = result(OUT_BAD, "the daemon refused an unasked-for record but kept the "
		    "link open after records with no offer pending");
		goto out;
	}
	o = result(OUT_OK, "the daemon refused a record it had not asked for (wanted it on "
	    "re-offer), then closed on records with no offer pending: %s",
	    conn_how(&c, how, sizeof(how)));
out:
	recs_free(&r, 1);
	conn_close(&c);
	return o;
}

int
scn_honest(int n)
{
	struct conn c;
	struct rec *r;
	bool *wanted;
	uint64_t upto = 0;
	size_t batch, nw, again = 0, sent = 0;
	enum outcome o;
	char title[96];

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	r = calloc((size_t)n, sizeof(*r));
	wanted = calloc((size_t)n, sizeof(*wanted));
	if (r == NULL || wanted == NULL) {
		free(r);
		free(wanted);
		conn_close(&c);
		return result(OUT_LOCAL, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		snprintf(title, sizeof(title), "evil_peer honest record %d of %d (%llu)", i + 1, n,
		    (unsigned long long)opt.version);
		if (make_record(&r[i], opt.me->pub, NULL, false, title) != 0) {
			o = result(OUT_LOCAL, "cannot make record %d", i + 1);
			goto out;
		}
	}
	ids_note(r, (size_t)n);
	batch = c.max_batch > 0 && c.max_batch < 512 ? c.max_batch : 512;
	for (size_t i = 0; i < (size_t)n; i += batch) {
		size_t k = (size_t)n - i < batch ? (size_t)n - i : batch;

		if (offer(&c, r + i, k, wanted + i, &upto) != 0 ||
		    send_records(&c, r + i, k, wanted + i, true, upto) != 0) {
			o = result(OUT_BAD, "the daemon failed on honest records after %zu sent: %s",
			    sent, c.why);
			goto out;
		}
		nw = count_true(wanted + i, k);
		sent += nw;
		if (nw != k) {
			o = result(OUT_BAD, "the daemon did not want %zu of %zu new valid records",
			    k - nw, k);
			goto out;
		}
	}
	/* Offered again, stored records are not wanted. */
	for (size_t i = 0; i < (size_t)n; i += batch) {
		size_t k = (size_t)n - i < batch ? (size_t)n - i : batch;

		if (offer(&c, r + i, k, wanted + i, &upto) != 0 ||
		    send_records(&c, NULL, 0, NULL, true, upto) != 0) {
			o = result(OUT_BAD, "the daemon failed when offered the records again: %s",
			    c.why);
			goto out;
		}
		again += count_true(wanted + i, k);
	}
	if (again > 0)
		o = result(OUT_BAD, "the daemon wanted %zu of %d records again: not stored", again,
		    n);
	else
		o = result(OUT_OK, "the daemon accepted %d valid record(s) (none wanted again)", n);
out:
	recs_free(r, (size_t)n);
	free(r);
	free(wanted);
	conn_close(&c);
	return o;
}
