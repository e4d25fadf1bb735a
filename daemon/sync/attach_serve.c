/* Attachment transfer, the serving side: queries and requests from a peer
 * (see attach.h). */
#include "sync/attach.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/blob.h"
#include "sync/session.h"
#include "sync/sync_int.h"

static int
send_env(struct session *s, Tessera__Envelope *env)
{
	return session_send(s, env) == 0 ? 0 : -EPIPE;
}

int
attach_on_query(struct session *s, const Tessera__BlobQuery *m)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobHave have = TESSERA__BLOB_HAVE__INIT;
	ProtobufCBinaryData *roots;
	bool wanted = false;
	int rc;

	if (s->env->attach == NULL || m->n_roots == 0)
		return 0;
	if ((roots = calloc(m->n_roots, sizeof(*roots))) == NULL)
		return -ENOMEM;
	attach_asked_clear(s);   /* a query lists all that the peer fetches */
	for (size_t i = 0; i < m->n_roots; i++) {
		struct blob_info bi;

		if (m->roots[i].len != MERKLE_HASH) {
			free(roots);
			return session_fail(s, SESSION_END_PROTOCOL,
			    "protocol violation: blob root of %zu bytes", m->roots[i].len);
		}
		if (blob_get_info(s->env->store, m->roots[i].data, &bi) != 0)
			continue;
		if (bi.state == BLOB_COMPLETE) {
			roots[have.n_roots++] = m->roots[i];
			continue;
		}
		if (bi.state != BLOB_PURGED && bi.refs > 0)
			attach_asked_add(s, m->roots[i].data);   /* told as it grows */
		if (bi.state != BLOB_PURGED && bi.refs > 0 && !bi.want) {
			/* A peer wants a blob of a record we hold: we fetch it too
			 * (within our budget), so that files travel hop by hop to a
			 * node far along the ring; BlobHave follows on completion. */
			if (blob_set_want(s->env->store, m->roots[i].data, true) == 0)
				wanted = true;
		}
	}
	have.roots = roots;
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_HAVE;
	env.blob_have = &have;
	rc = have.n_roots > 0 ? send_env(s, &env) : 0;
	free(roots);
	if (rc == 0)
		rc = attach_tell_ranges(s);
	if (rc == 0 && wanted) {
		attach_changed(s->env->attach);
		if (s->env->attach->on_news != NULL)
			s->env->attach->on_news(s->env->attach->hook_arg);
	}
	return rc;
}

int
attach_on_request(struct session *s, const Tessera__BlobRequest *m)
{
	struct attach_link *l = &s->att;
	struct attach_serve *q;
	struct blob_info bi;
	uint64_t have;

	if (s->env->attach == NULL)
		return 0;
	if (!m->has_root || m->root.len != MERKLE_HASH || !m->has_first || !m->has_count ||
	    m->count == 0)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: malformed "
		    "blob request");
	/* Flood: more than the window of an honest peer outstanding. */
	if (l->serve_pending + m->count > ATTACH_SERVE_MAX ||
	    l->n_serve == sizeof(l->serve) / sizeof(l->serve[0]))
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: more than %d "
		    "chunks or %d requests outstanding", ATTACH_SERVE_MAX, ATTACH_WINDOW);
	/* A partial blob is served too: what it does not hold (yet) is
	 * answered with BlobMissing when its turn comes. */
	if (blob_get_info(s->env->store, m->root.data, &bi) != 0 ||
	    (bi.state != BLOB_COMPLETE && bi.state != BLOB_PARTIAL &&
	    blob_part_have(s->env->store, m->root.data, &have) != 0)) {
		Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
		Tessera__BlobMissing miss = TESSERA__BLOB_MISSING__INIT;

		miss.has_root = 1;
		miss.root = m->root;
		env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_MISSING;
		env.blob_missing = &miss;
		return send_env(s, &env);
	}
	if ((uint64_t)m->first + m->count > bi.chunks)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: chunks "
		    "%u..%u requested of a blob of %llu", m->first, m->first + m->count - 1,
		    (unsigned long long)bi.chunks);
	q = &l->serve[l->n_serve++];
	memcpy(q->root, m->root.data, MERKLE_HASH);
	q->next = m->first;
	q->end = (uint64_t)m->first + m->count;
	q->bare = m->has_bare && m->bare;
	l->serve_pending += m->count;
	attach_pump(s);
	return 0;
}

/* Bytes queued on the link, when it says (else only its room counts). */
static bool
link_busy(struct session *s)
{
	size_t room = s->io->room(s->link);

	if (room < MERKLE_LEAF + 1024)
		return true;
	return s->io->queued != NULL && s->io->queued(s->link) >= ATTACH_QUEUE;
}

/* Sends the chunks asked for while the link has room. */
int
attach_serve_pump(struct session *s)
{
	struct attach_link *l = &s->att;
	uint8_t *buf = NULL, proof[MERKLE_MAX_DEPTH * MERKLE_HASH];
	int rc = 0;

	while (l->n_serve > 0 && s->state == SESSION_ESTABLISHED && !link_busy(s)) {
		struct attach_serve *q = &l->serve[0];
		Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
		Tessera__BlobChunk c = TESSERA__BLOB_CHUNK__INIT;
		size_t len, plen;

		if (buf == NULL && (buf = malloc(MERKLE_LEAF)) == NULL)
			return -ENOMEM;
		rc = blob_chunk_read(s->env->store, q->root, q->next, buf, &len,
		    q->bare ? NULL : proof, &plen);
		if (rc != 0) {
			/* purged or gone since the request: the rest of it too */
			Tessera__BlobMissing miss = TESSERA__BLOB_MISSING__INIT;

			miss.has_root = 1;
			miss.root = (ProtobufCBinaryData){ MERKLE_HASH, q->root };
			env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_MISSING;
			env.blob_missing = &miss;
			l->serve_pending -= q->end - q->next;
			q->next = q->end;
			rc = send_env(s, &env);
		} else {
			c.has_root = c.has_index = c.has_data = 1;
			c.has_proof = !q->bare;
			c.root = (ProtobufCBinaryData){ MERKLE_HASH, q->root };
			c.index = (uint32_t)q->next;
			c.data = (ProtobufCBinaryData){ len, buf };
			c.proof = (ProtobufCBinaryData){ q->bare ? 0 : plen, proof };
			env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_CHUNK;
			env.blob_chunk = &c;
			if ((rc = send_env(s, &env)) == 0) {
				q->next++;
				l->serve_pending--;
				s->env->attach->chunks_out++;
			}
		}
		if (q->next == q->end)
			memmove(&l->serve[0], &l->serve[1], --l->n_serve * sizeof(l->serve[0]));
		if (rc != 0)
			break;
	}
	free(buf);
	return rc;
}
