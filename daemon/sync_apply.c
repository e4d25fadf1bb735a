/* Sync, receiving side: answer offers with wants, verify and store records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "node.h"
#include "peer.h"
#include "peers_int.h"
#include "record.h"
#include "store.h"
#include "sync.h"
#include "util.h"

#define REJECT_LOG_MAX 3   /* per session; the rest are only counted */

static bool
wanted_take(struct sync *s, const uint8_t *id)
{
	for (size_t i = 0; i < s->n_wanted; i++)
		if (memcmp(s->wanted[i], id, TESS_ID_LEN) == 0) {
			memcpy(s->wanted[i], s->wanted[--s->n_wanted], TESS_ID_LEN);
			return true;
		}
	return false;
}

static bool
wanted_has(const struct sync *s, const uint8_t *id)
{
	for (size_t i = 0; i < s->n_wanted; i++)
		if (memcmp(s->wanted[i], id, TESS_ID_LEN) == 0)
			return true;
	return false;
}

int
sync_on_offer(struct peer *p, const Tessera__Offer *m)
{
	struct sync *s = &p->sync;
	const struct config *c = peers_conf(p->mgr);
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Want want = TESSERA__WANT__INIT;
	ProtobufCBinaryData *ids;
	size_t n = 0;
	int rc;

	if (s->n_pending > SYNC_OFFERS_INFLIGHT || m->n_items > c->max_batch) {
		peer_close(p, "protocol violation: offers beyond flow control");
		return -EPROTO;
	}
	if (s->n_wanted + m->n_items > c->max_inflight_wants) {
		peer_close(p, "protocol violation: over %u wanted records in flight",
		    c->max_inflight_wants);
		return -EPROTO;
	}
	if (s->cap_wanted < s->n_wanted + m->n_items) {
		void *nw = realloc(s->wanted, (s->n_wanted + m->n_items) * TESS_ID_LEN);

		if (nw == NULL)
			return -ENOMEM;
		s->wanted = nw;
		s->cap_wanted = s->n_wanted + m->n_items;
	}
	if ((ids = calloc(m->n_items + 1, sizeof(*ids))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_items; i++) {
		const Tessera__OfferItem *it = m->items[i];
		uint64_t have;
		bool blocked;

		if (it->id.len != TESS_ID_LEN || it->author.len != TESS_KEY_LEN || !it->has_version)
			continue;
		/* Dedupe by (id, version) before anything costly. */
		if (store_have(p->node->store, it->id.data, &have, &blocked) != 0) {
			free(ids);
			return -EIO;
		}
		if (have >= it->version || blocked || store_is_blocked(p->node->store, it->author.data) ||
		    wanted_has(s, it->id.data))
			continue;
		memcpy(s->wanted[s->n_wanted++], it->id.data, TESS_ID_LEN);
		ids[n++] = it->id;
	}
	want.ids = ids;
	want.n_ids = n;
	env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
	env.want = &want;
	s->pending[s->n_pending].upto = m->has_upto ? m->upto : 0;
	s->pending[s->n_pending].caught_up = m->has_caught_up && m->caught_up;
	s->n_pending++;
	rc = peer_send(p, &env);
	free(ids);
	return rc;
}

static void
reject(struct peer *p, const char *why, size_t *logged)
{
	p->sync.rejected++;
	if ((*logged)++ < REJECT_LOG_MAX)
		log_warnx("peer %s: record rejected: %s", p->label, why);
}

/* Verifies and stores one record inside the caller's transaction. */
static int
apply_one(struct peer *p, const Tessera__SignedRecord *sr, size_t *stored, size_t *logged)
{
	Tessera__Record *r;
	enum store_put_result res;
	const char *why;
	int rc;

	if (!sr->has_body || !sr->has_sig || sr->body.len > TESS_MAX_RECORD) {
		reject(p, "malformed or oversized record", logged);
		return 0;
	}
	if (record_open(sr->body.data, sr->body.len, sr->sig.data, sr->sig.len, &r, &why) != 0) {
		reject(p, why, logged);
		return 0;
	}
	if (!wanted_take(&p->sync, r->id.data)) {
		record_free(r);
		reject(p, "not asked for", logged);
		return 0;
	}
	rc = store_put_from(p->node->store, sr->body.data, sr->body.len, sr->sig.data, r, p->key,
	    &res);
	if (rc == 0) {
		switch (res) {
		case STORE_STORED: (*stored)++; break;
		case STORE_DUPLICATE: case STORE_STALE: case STORE_BLOCKED: break;
		case STORE_EQUIVOCATION:
			reject(p, "two different records with the same author and version", logged);
			break;
		case STORE_QUOTA: reject(p, "author over its record quota", logged); break;
		case STORE_NOT_AUTHOR: reject(p, "record id belongs to another author", logged); break;
		}
	}
	record_free(r);
	return rc;
}

int
sync_on_records(struct peer *p, const Tessera__Records *m)
{
	struct sync *s = &p->sync;
	struct store *st = p->node->store;
	size_t stored = 0, logged = 0;
	uint64_t rejected0 = s->rejected;
	bool caught_up = false;
	int rc;

	if (s->n_pending == 0) {
		peer_close(p, "protocol violation: records without an offer");
		return -EPROTO;
	}
	if ((rc = store_begin(st)) != 0)
		goto fail;
	for (size_t i = 0; i < m->n_records && rc == 0; i++)
		rc = apply_one(p, m->records[i], &stored, &logged);
	if (rc == 0 && m->has_upto) {
		/* The offer is fully answered: its upto becomes our checkpoint, in
		 * the same transaction as the records, so a crash loses neither. */
		s->applied = m->upto;
		caught_up = s->pending[0].caught_up;
		memmove(s->pending, s->pending + 1, (s->n_pending - 1) * sizeof(s->pending[0]));
		s->n_pending--;
		if (s->n_pending == 0)
			s->n_wanted = 0;   /* what the peer no longer had will be offered anew */
		rc = store_peer_checkpoint(st, p->key, s->epoch, s->applied);
	}
	if (rc == 0 && (stored > 0 || s->rejected > rejected0))
		rc = store_peer_count(st, p->key, stored, 0, s->rejected - rejected0);
	if (rc != 0) {
		store_rollback(st);
		goto fail;
	}
	if ((rc = store_commit(st)) != 0)
		goto fail;
	s->received += stored;
	if (p->slot != NULL && m->has_upto) {
		p->slot->last_sync = now_ms();
		if (caught_up)
			log_debug("peer %s: caught up at %llu", p->label, (unsigned long long)s->applied);
	}
	if (stored > 0)
		node_changed(p->node, p);
	return 0;
fail:
	/* Nothing of this message was kept: the checkpoint did not move, so the
	 * same records are offered again after reconnecting. */
	peer_close(p, rc == -ENOSPC ? "storage full: cannot store records" : "storage error");
	return rc;
}
