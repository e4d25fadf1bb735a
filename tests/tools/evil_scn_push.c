/* Eager push (Records with pushed set, docs/protocol.md) from a hostile
 * peer: pushed without announcing push, one valid record pushed N times
 * (default 200), a pushed record with a forged signature, and a push while
 * an offer of ours is open. The daemon closes on the protocol violations,
 * stores the valid record once and refuses the forged one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"
#include "sync/sync.h"

/* Pushes r (count times) on c; 0 or the send error. */
static int
push(struct conn *c, const struct rec *r, int count)
{
	int rc = 0;

	c->pushing = true;
	for (int i = 0; i < count && rc == 0; i++)
		rc = send_records(c, r, 1, NULL, true, ++c->seq);
	c->pushing = false;
	return rc;
}

/* Offers r and answers the Want with nothing: whether it was wanted
 * (1), not wanted (0), or the link failed (negative). */
static int
wanted_now(struct conn *c, const struct rec *r)
{
	bool wanted[1];
	uint64_t upto = 0;
	int rc;

	if ((rc = offer(c, r, 1, wanted, &upto)) != 0)
		return rc;
	if ((rc = send_records(c, NULL, 0, NULL, true, upto)) != 0)
		return rc;
	return wanted[0] ? 1 : 0;
}

/* 1: a session that did not announce push pushes a record. */
static int
push_unannounced(struct rec *r, char *how, size_t howlen)
{
	uint32_t features = opt.features;
	struct conn c;
	int o;

	opt.features = 0;
	o = open_or_say(&c);
	opt.features = features;
	if (o != OUT_OK)
		return o;   /* open_or_say said why */
	push(&c, r, 1);
	if (conn_wait_close(&c) != 0) {
		conn_close(&c);
		return result(OUT_BAD, "the daemon took pushed records from a peer that never "
		    "announced push");
	}
	conn_how(&c, how, howlen);
	conn_close(&c);
	return OUT_OK;
}

int
scn_push(int n)
{
	struct rec r[4];   /* unannounced, valid, forged, pushed over an open offer */
	char how1[320], how3[320];
	bool wanted[1];
	uint64_t upto = 0;
	struct conn c;
	int o, w1, w2, w3;

	if (n <= 1)
		n = 200;
	for (int i = 0; i < 4; i++)
		if (make_record(&r[i], opt.me->pub, NULL, false, "evil_peer: pushed") != 0) {
			recs_free(r, (size_t)i);
			return result(OUT_LOCAL, "cannot make a record");
		}
	/* --ids lists what must not be stored: all but the valid one. */
	ids_note(&r[0], 1);
	ids_note(&r[2], 2);
	r[2].sig[0] ^= 0x01;
	if ((o = push_unannounced(&r[0], how1, sizeof(how1))) != OUT_OK)
		goto done;
	opt.features |= SYNC_PUSH_FEATURE;
	if ((o = open_or_say(&c)) != OUT_OK)
		goto done;
	/* 2: a valid record pushed n times, then a forged one. Each probe
	 * offers the record: a daemon that stored it does not want it. */
	if (push(&c, &r[1], n) != 0 || (w1 = wanted_now(&c, &r[1])) < 0 ||
	    push(&c, &r[2], 1) != 0 || (w2 = wanted_now(&c, &r[2])) < 0) {
		o = result(OUT_BAD, "the daemon dropped the link on valid pushed records (%s)", c.why);
		goto out;
	}
	if (w1 != 0 || w2 != 1) {
		o = result(OUT_BAD, "after the pushes the daemon %s the valid record and %s the "
		    "forged one", w1 ? "still wants" : "holds", w2 ? "wants" : "holds");
		goto out;
	}
	/* 3: an offer is open (the daemon wanted r[3]) when a push comes. */
	if (offer(&c, &r[3], 1, wanted, &upto) != 0) {
		o = result(OUT_BAD, "the daemon did not answer an offer (%s)", c.why);
		goto out;
	}
	push(&c, &r[1], 1);
	if (conn_wait_close(&c) != 0) {
		o = result(OUT_BAD, "the daemon kept the link open after a push over an open offer");
		goto out;
	}
	conn_how(&c, how3, sizeof(how3));
	conn_close(&c);
	/* The record pushed without announcing push was not stored. */
	opt.features &= ~SYNC_PUSH_FEATURE;
	if ((o = open_or_say(&c)) != OUT_OK)
		goto done;
	if ((w3 = wanted_now(&c, &r[0])) != 1) {
		o = result(OUT_BAD, w3 < 0 ? "the daemon dropped a fresh link" :
		    "the daemon stored a record pushed without push announced");
		goto out;
	}
	o = result(OUT_OK, "unannounced push closed (%s); the valid record pushed %d times stored "
	    "once, the forged one refused; push over an open offer closed (%s)", how1, n, how3);
out:
	conn_close(&c);
done:
	recs_free(r, 4);
	return o;
}
