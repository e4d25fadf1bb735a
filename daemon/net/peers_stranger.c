/* Strangers: nodes that are not configured but proved their key in the TLS
 * handshake. Their Hello decides: with a valid invite proof the node
 * configures them (peers_env.on_join) and the session goes on; otherwise
 * they are refused with a Goodbye that says why, and recorded as pending so
 * that the operator can accept them with one command. The joining side of
 * an invite is here too: the proof a slot sends in its Hello. A stranger
 * whose Hello shows the key rotations that lead to its key from a pinned one
 * is accepted as that peer once the node checked them (peers_env.on_rotate). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/nodeid.h"
#include "core/util.h"
#include "net/peer.h"
#include "net/peers_int.h"
#include "sync/session.h"

/* The owner's verdict on a stranger (rc from on_join or on_rotate): refused,
 * it is recorded as pending; accepted, it is bound to its slot (now
 * configured, or pinned under a key it rotated from). how: for the log. */
static int
stranger_verdict(struct peers *m, struct session *ss, int rc, const char *how, char *why,
    size_t whylen)
{
	struct peer *p = ss->link;
	struct peer_slot *s;

	if (rc != 0) {
		pending_note(&m->pending, p->key, p->addr, ss->remote_name, now_ms());
		return -EACCES;
	}
	pending_forget(&m->pending, p->key);
	if ((s = peers_slot_find(m, p->key)) == NULL && (s = peers_slot_rotated(m, p->key)) == NULL) {
		snprintf(why, whylen, "accepted but the peer could not be configured");
		return -EIO;
	}
	if (peers_bind(m, p, s) != 0)
		return -EEXIST;
	snprintf(ss->label, sizeof(ss->label), "%s", p->label);
	log_info("peer %s: %s (from %s)", p->label, how, p->addr);
	return 0;
}

/* We dialed a configured peer and found another key: only rotations from
 * the pinned key to it make the link that peer's. The node may re-pin and
 * reload, which closes this link (its slot is replaced): the next dial
 * then uses the new pin. */
static int
unpinned_hello(struct peers *m, struct session *ss, char *why, size_t whylen)
{
	struct peer *p = ss->link;
	char pinned[NODEID_SHORT + 1];
	int rc;

	nodeid_short(p->slot->id, pinned);
	if (ss->hello == NULL || ss->hello->n_rotation == 0) {
		snprintf(why, whylen, "peer key not pinned: the node at %s is not %s and shows no "
		    "key rotation from it", p->addr, pinned);
		return -EACCES;
	}
	rc = m->on_rotate(m->hook_arg, p->key, ss->hello->rotation, ss->hello->n_rotation, why,
	    whylen);
	if (rc != 0)
		return -EACCES;
	if (p->slot == NULL) {
		snprintf(why, whylen, "key rotation accepted, pin updated: reconnecting");
		return -EAGAIN;
	}
	if (m->rotated == NULL || !m->rotated(m->hook_arg, p->slot->id, p->key)) {
		snprintf(why, whylen, "peer key not pinned: its key rotations do not start at %s",
		    pinned);
		return -EACCES;
	}
	p->unpinned = false;
	if (peers_bind(m, p, p->slot) != 0)
		return -EEXIST;
	snprintf(ss->label, sizeof(ss->label), "%s", p->label);
	log_info("peer %s: connected under its new key (to %s)", p->label, p->addr);
	return 0;
}

int
peers_session_hello(struct peers *m, struct session *ss, const struct session_join *join,
    char *why, size_t whylen)
{
	struct peer *p = ss->link;
	int rc;

	if (p->unpinned && p->slot != NULL && m->on_rotate != NULL)
		return unpinned_hello(m, ss, why, whylen);
	if (p->slot != NULL)
		return 0;
	/* The rotations that lead to its key from one we pin: the owner
	 * checks and stores them, and re-pins the peer. */
	if (ss->hello != NULL && ss->hello->n_rotation > 0 && m->on_rotate != NULL && join == NULL) {
		rc = m->on_rotate(m->hook_arg, p->key, ss->hello->rotation, ss->hello->n_rotation,
		    why, whylen);
		return stranger_verdict(m, ss, rc, "connected under its new key", why, whylen);
	}
	if (join == NULL || m->on_join == NULL) {
		pending_note(&m->pending, p->key, p->addr, ss->remote_name, now_ms());
		snprintf(why, whylen, "this node does not know your key; its operator can accept "
		    "you (tessera peers --pending) or send you an invite");
		return -EACCES;
	}
	rc = m->on_join(m->hook_arg, p->key, ss->remote_name, join, why, whylen);
	return stranger_verdict(m, ss, rc, "joined with an invite", why, whylen);
}

int
peers_set_join(struct peers *m, const uint8_t id[TESS_KEY_LEN], const struct session_join *join)
{
	struct peer_slot *s = m != NULL ? peers_slot_find(m, id) : NULL;
	struct session_join *copy;

	if (s == NULL)
		return -ENOENT;
	if ((copy = malloc(sizeof(*copy))) == NULL)
		return -ENOMEM;
	memcpy(copy, join, sizeof(*copy));
	free(s->join);
	s->join = copy;
	/* Dial now rather than after the backoff of a failed first attempt. */
	s->backoff_ms = 0;
	s->next_dial = 0;
	return 0;
}

size_t
peers_pending_count(const struct peers *m)
{
	return m != NULL ? m->pending.n : 0;
}

void
peers_pending_forget(struct peers *m, const uint8_t id[TESS_KEY_LEN])
{
	if (m != NULL)
		pending_forget(&m->pending, id);
}

int
peers_pending_views(const struct peers *m, Tessera__Reply *r)
{
	size_t n = m != NULL ? m->pending.n : 0;
	Tessera__PendingView *views, **ptrs;

	views = calloc(n + 1, sizeof(*views));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	if (views == NULL || ptrs == NULL) {
		free(views);
		free(ptrs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pending_entry *e = &m->pending.e[i];
		Tessera__PendingView *v = &views[i];

		/* protobuf-c wants mutable pointers; the views only read them. */
		tessera__pending_view__init(v);
		v->has_id = v->has_first_seen = v->has_last_seen = v->has_count = 1;
		v->id = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)e->id };
		v->address = (char *)e->addr;
		v->name = (char *)e->name;
		v->first_seen = e->first_seen;
		v->last_seen = e->last_seen;
		v->count = e->count;
		ptrs[i] = v;
	}
	ptrs[n] = views;   /* kept for peers_pending_free, past the last view */
	r->pending = ptrs;
	r->n_pending = n;
	return 0;
}

void
peers_pending_free(Tessera__Reply *r)
{
	if (r->pending != NULL)
		free(r->pending[r->n_pending]);
	free(r->pending);
	r->pending = NULL;
	r->n_pending = 0;
}
