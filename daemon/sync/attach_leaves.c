/* Attachment transfer: leaf hashes by block (Hello.features bit 9, see
 * attach.h). Fetching a block of leaf hashes once, checked against the
 * signed root, replaces a proof per chunk: per 64 KiB chunk the sender
 * reads no proof (about 11 reads of 32 bytes for a 100 MB file) and the
 * receiver hashes no proof nodes and writes nothing to the tree file. */
#include "sync/attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/blob.h"
#include "sync/session.h"
#include "sync/sync_int.h"

static int
block_find(const struct attach_block *v, size_t n, const uint8_t *root, uint64_t block)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].block == block && memcmp(v[i].root, root, MERKLE_HASH) == 0)
			return (int)i;
	return -1;
}

int
attach_leaves_ask(struct session *s, const uint8_t root[MERKLE_HASH], uint64_t block)
{
	struct attach_link *l = &s->att;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobLeavesRequest r = TESSERA__BLOB_LEAVES_REQUEST__INIT;

	if (!l->leaves_on || l->n_leaves_asked == ATTACH_LEAVES_ASK ||
	    block_find(l->leaves_asked, l->n_leaves_asked, root, block) >= 0 ||
	    block_find(l->leaves_refused, l->n_leaves_refused, root, block) >= 0)
		return 0;
	r.has_root = r.has_block = 1;
	r.root = (ProtobufCBinaryData){ MERKLE_HASH, (uint8_t *)root };
	r.block = (uint32_t)block;
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_LEAVES_REQUEST;
	env.blob_leaves_request = &r;
	if (session_send(s, &env) != 0)
		return -EPIPE;
	memcpy(l->leaves_asked[l->n_leaves_asked].root, root, MERKLE_HASH);
	l->leaves_asked[l->n_leaves_asked++].block = block;
	return 0;
}

int
attach_on_leaves_request(struct session *s, const Tessera__BlobLeavesRequest *m)
{
	struct attach_link *l = &s->att;

	if (s->env->attach == NULL)
		return 0;
	if (!m->has_root || m->root.len != MERKLE_HASH || !m->has_block)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: malformed "
		    "leaf block request");
	if (l->n_leaves_serve == ATTACH_LEAVES_SERVE)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: more than %d "
		    "leaf blocks requested at once", ATTACH_LEAVES_SERVE);
	memcpy(l->leaves_serve[l->n_leaves_serve].root, m->root.data, MERKLE_HASH);
	l->leaves_serve[l->n_leaves_serve++].block = m->block;
	attach_pump(s);
	return 0;
}

/* Answers one request: the hashes, or none when they are not held here. */
static int
leaves_answer(struct session *s, const struct attach_block *q, uint8_t *hashes)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobLeaves lv = TESSERA__BLOB_LEAVES__INIT;
	uint8_t proof[MERKLE_MAX_DEPTH * MERKLE_HASH];
	size_t n = 0, plen = 0;
	int rc;

	rc = blob_leaves_read(s->env->store, q->root, q->block, hashes, &n, proof, &plen);
	if (rc == -ERANGE)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: leaf block %llu "
		    "requested past the end of the blob", (unsigned long long)q->block);
	lv.has_root = lv.has_block = 1;
	lv.root = (ProtobufCBinaryData){ MERKLE_HASH, (uint8_t *)q->root };
	lv.block = (uint32_t)q->block;
	if (rc == 0) {
		lv.has_hashes = lv.has_proof = 1;
		lv.hashes = (ProtobufCBinaryData){ n * MERKLE_HASH, hashes };
		lv.proof = (ProtobufCBinaryData){ plen, proof };
	}
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_LEAVES;
	env.blob_leaves = &lv;
	return session_send(s, &env) == 0 ? 0 : -EPIPE;
}

int
attach_leaves_serve(struct session *s)
{
	struct attach_link *l = &s->att;
	uint8_t *hashes;
	int rc = 0;

	if (l->n_leaves_serve == 0)
		return 0;
	if ((hashes = malloc(MERKLE_BLOCK * MERKLE_HASH)) == NULL)
		return -ENOMEM;
	/* A block's hashes are 32 KiB: sent only with room for them, as
	 * chunks are, so that records do not wait behind them. */
	while (l->n_leaves_serve > 0 && s->state == SESSION_ESTABLISHED &&
	    s->io->room(s->link) >= MERKLE_BLOCK * MERKLE_HASH + 2048) {
		struct attach_block q = l->leaves_serve[0];

		memmove(&l->leaves_serve[0], &l->leaves_serve[1],
		    --l->n_leaves_serve * sizeof(l->leaves_serve[0]));
		if ((rc = leaves_answer(s, &q, hashes)) != 0)
			break;
	}
	free(hashes);
	return s->state == SESSION_CLOSED ? 0 : rc;
}

int
attach_on_leaves(struct session *s, const Tessera__BlobLeaves *m)
{
	struct attach *a = s->env->attach;
	struct attach_link *l = &s->att;
	const char *why = "";
	int at, rc;

	if (a == NULL)
		return 0;
	if (!m->has_root || m->root.len != MERKLE_HASH || !m->has_block)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: malformed "
		    "leaf block");
	if ((at = block_find(l->leaves_asked, l->n_leaves_asked, m->root.data, m->block)) < 0) {
		if (s->env->on_rejected != NULL)
			s->env->on_rejected(s->env->hook_arg, s, SYNC_REJECT_UNSOLICITED,
			    "unsolicited leaf block");
		return 0;
	}
	l->leaves_asked[at] = l->leaves_asked[--l->n_leaves_asked];
	if (!m->has_hashes || m->hashes.len == 0) {
		/* Not held there: its chunks come with proofs, until the peer
		 * tells of new chunks (then it may hold them). */
		if (l->n_leaves_refused == ATTACH_LEAVES_REFUSED)
			memmove(&l->leaves_refused[0], &l->leaves_refused[1],
			    --l->n_leaves_refused * sizeof(l->leaves_refused[0]));
		memcpy(l->leaves_refused[l->n_leaves_refused].root, m->root.data, MERKLE_HASH);
		l->leaves_refused[l->n_leaves_refused++].block = m->block;
		attach_pump(s);
		return 0;
	}
	rc = blob_leaves_put(a->store, m->root.data, m->block, m->hashes.data, m->hashes.len,
	    m->proof.data, m->proof.len, &why);
	if (rc == -EINVAL) {
		char detail[96];

		snprintf(detail, sizeof(detail), "leaf block %u: %s", m->block, why);
		return attach_bad(s, m->root.data, detail);
	}
	if (rc != 0 && rc != -ENOENT)
		log_debug("attachment: leaf block %u not kept: %s", m->block, strerror(-rc));
	attach_pump(s);
	return 0;
}
