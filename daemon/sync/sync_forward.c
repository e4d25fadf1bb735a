/* Records messages going out, and forward before commit.
 *
 * sync_records_send builds and sends every Records message of ours: the
 * records of a Want, those pushed unoffered (sync.c) and those forwarded
 * before our commit (session_forward here), so that the three count sent
 * and pushed records the same way.
 *
 * Forward before commit: records another session verified and is about to
 * commit are pushed on at once, so that the next hop verifies them while
 * this node commits (docs/protocol.md, "Forward before commit"). A
 * forwarded push carries no upto: it moves no checkpoint of the peer's.
 * Once the records are committed, our changes stream reaches them and the
 * push that would have carried them carries the checkpoint alone (the
 * forwarded set says which to skip). A crash between forward and commit
 * loses nothing acknowledged: the sender's checkpoint did not move, so the
 * records come again after the restart. */
#include <string.h>

#include "store/store.h"
#include "sync/session.h"
#include "sync/sync_int.h"

void
sync_record_init(Tessera__SignedRecord *sr, const uint8_t *body, size_t len, const uint8_t *sig)
{
	tessera__signed_record__init(sr);
	sr->has_body = sr->has_sig = 1;
	sr->body = (ProtobufCBinaryData){ len, (uint8_t *)body };
	sr->sig = (ProtobufCBinaryData){ TESS_SIG_LEN, (uint8_t *)sig };
}

int
sync_records_send(struct session *ss, Tessera__SignedRecord **recs, size_t n, bool pushed,
    const uint64_t *upto)
{
	struct sync *s = &ss->sync;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Records msg = TESSERA__RECORDS__INIT;
	int rc;

	msg.records = recs;
	msg.n_records = n;
	msg.has_pushed = msg.pushed = pushed;
	if (upto != NULL) {
		msg.has_upto = 1;
		msg.upto = *upto;
	}
	env.msg_case = TESSERA__ENVELOPE__MSG_RECORDS;
	env.records = &msg;
	if ((rc = session_send(ss, &env)) != 0)
		return rc;
	if (pushed)
		s->pushed += n;
	s->sent += n;
	/* Inside a receiving session's transaction when forwarding: counted
	 * with that commit. */
	if (n > 0)
		store_peer_count(ss->env->store, ss->key, 0, n, 0);
	return 0;
}

/* Index of (id, version) in the forwarded set, or -1. */
static int
fwd_find(const struct sync *y, const uint8_t *id, uint64_t version)
{
	for (size_t i = 0; i < y->fwd_n; i++)
		if (y->fwd[i].version == version && memcmp(y->fwd[i].id, id, TESS_ID_LEN) == 0)
			return (int)i;
	return -1;
}

/* Removes entry i, keeping the others oldest first. */
static void
fwd_remove(struct sync *y, size_t i)
{
	memmove(&y->fwd[i], &y->fwd[i + 1], (y->fwd_n - i - 1) * sizeof(y->fwd[0]));
	y->fwd_n--;
}

bool
sync_fwd_take(struct sync *y, const uint8_t *id, uint64_t version)
{
	int i = fwd_find(y, id, version);

	if (i < 0)
		return false;
	fwd_remove(y, (size_t)i);
	return true;
}

void
sync_fwd_remember(struct sync *y, const uint8_t *id, uint64_t version)
{
	/* Full: the oldest entry goes. Its commit failed, or the stream has
	 * not reached it yet: then the stream pushes it again, a duplicate
	 * the peer drops; nothing is lost either way. */
	if (y->fwd_n == SYNC_FWD_MAX)
		fwd_remove(y, 0);
	memcpy(y->fwd[y->fwd_n].id, id, TESS_ID_LEN);
	y->fwd[y->fwd_n].version = version;
	y->fwd_n++;
}

size_t
session_forward(struct session *ss, const struct session_fwd *recs, size_t n)
{
	struct sync *s = &ss->sync;
	Tessera__SignedRecord sr[SYNC_FWD_MAX], *ptrs[SYNC_FWD_MAX];
	size_t bytes = RECORDS_OVERHEAD;

	if (ss->state != SESSION_ESTABLISHED || n == 0 || n > SYNC_FWD_MAX ||
	    !sync_push_ready(ss, n) || ss->io->room(ss->link) == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		/* Sent already: a commit that failed for want of space is
		 * retried, and forwards again. */
		if (recs[i].len > PUSH_RECORD_MAX || fwd_find(s, recs[i].id, recs[i].version) >= 0)
			return 0;
		bytes += recs[i].len + RECORD_OVERHEAD;
		sync_record_init(&sr[i], recs[i].body, recs[i].len, recs[i].sig);
		ptrs[i] = &sr[i];
	}
	if (bytes > ss->remote_max_frame)
		return 0;   /* offered after the commit instead */
	if (sync_records_send(ss, ptrs, n, true, NULL) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		sync_fwd_remember(s, recs[i].id, recs[i].version);
	s->forwarded += n;
	ss->env->forwarded += n;
	return n;
}
