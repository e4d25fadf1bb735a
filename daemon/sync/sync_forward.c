/* Forward before commit: records another session verified and is about to
 * commit are pushed on at once, so that the next hop verifies them while
 * this node commits (docs/protocol.md, "Forward before commit").
 *
 * A forwarded push carries no upto: it moves no checkpoint of the peer's.
 * Once the records are committed, our changes stream reaches them and the
 * push that would have carried them carries the checkpoint alone (the
 * forwarded ring says which to skip). A crash between forward and commit
 * loses nothing acknowledged: the sender's checkpoint did not move, so the
 * records come again after the restart. */
#include <string.h>

#include "store/store.h"
#include "sync/session.h"
#include "sync/sync_int.h"

/* Index of (id, version) in the forwarded ring, or -1. */
static int
fwd_find(const struct sync *y, const uint8_t *id, uint64_t version)
{
	for (size_t i = 0; i < y->fwd_n; i++)
		if (y->fwd[i].version == version && memcmp(y->fwd[i].id, id, TESS_ID_LEN) == 0)
			return (int)i;
	return -1;
}

bool
sync_fwd_take(struct sync *y, const uint8_t *id, uint64_t version)
{
	int i = fwd_find(y, id, version);

	if (i < 0)
		return false;
	/* The ring's order does not matter: the last entry fills the hole. */
	y->fwd[i] = y->fwd[--y->fwd_n];
	return true;
}

static void
fwd_remember(struct sync *y, const struct session_fwd *r)
{
	size_t at;

	/* Full: entries are overwritten in turn (their commit failed, or the
	 * stream has not reached them yet: then it pushes them again, a
	 * duplicate the peer drops). */
	if (y->fwd_n < SYNC_FWD_RING) {
		at = y->fwd_n++;
	} else {
		at = y->fwd_next;
		y->fwd_next = (at + 1) % SYNC_FWD_RING;
	}
	memcpy(y->fwd[at].id, r->id, TESS_ID_LEN);
	y->fwd[at].version = r->version;
}

size_t
session_forward(struct session *ss, const struct session_fwd *recs, size_t n)
{
	struct sync *s = &ss->sync;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Records msg = TESSERA__RECORDS__INIT;
	Tessera__SignedRecord sr[SYNC_FWD_RING], *ptrs[SYNC_FWD_RING];
	size_t bytes = RECORDS_OVERHEAD;

	if (ss->state != SESSION_ESTABLISHED || n == 0 || n > SYNC_FWD_RING ||
	    !sync_push_ready(ss, n) || ss->io->room(ss->link) == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		/* Sent already: a commit that failed for want of space is
		 * retried, and forwards again. */
		if (recs[i].len > PUSH_RECORD_MAX || fwd_find(s, recs[i].id, recs[i].version) >= 0)
			return 0;
		bytes += recs[i].len + RECORD_OVERHEAD;
		tessera__signed_record__init(&sr[i]);
		sr[i].has_body = sr[i].has_sig = 1;
		sr[i].body = (ProtobufCBinaryData){ recs[i].len, (uint8_t *)recs[i].body };
		sr[i].sig = (ProtobufCBinaryData){ TESS_SIG_LEN, (uint8_t *)recs[i].sig };
		ptrs[i] = &sr[i];
	}
	if (bytes > ss->remote_max_frame)
		return 0;   /* offered after the commit instead */
	msg.records = ptrs;
	msg.n_records = n;
	msg.has_pushed = msg.pushed = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_RECORDS;
	env.records = &msg;
	if (session_send(ss, &env) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		fwd_remember(s, &recs[i]);
	s->pushed += n;
	s->forwarded += n;
	ss->env->forwarded += n;
	s->sent += n;
	/* Inside the receiving session's transaction: counted with the commit. */
	store_peer_count(ss->env->store, ss->key, 0, n, 0);
	return n;
}
