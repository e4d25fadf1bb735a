/* Peer manager: the PEERS report and the connected count. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "node.h"
#include "net/peer.h"
#include "net/peers_int.h"
#include "store/store.h"

uint32_t
peers_connected(const struct peers *m)
{
	uint32_t n = 0;

	for (const struct peer_slot *s = m ? m->slots : NULL; s; s = s->next)
		if (s->active != NULL && s->active->state == PEER_ESTABLISHED)
			n++;
	return n;
}

static const char *
slot_state(const struct peer_slot *s)
{
	if (s->active != NULL)
		return s->active->state == PEER_ESTABLISHED ? "up" : "handshake";
	if (s->dialing != NULL || s->resolving)
		return "connecting";
	return s->address ? "down" : "waiting";   /* waiting: it dials us */
}

int
peers_views(struct peers *m, Tessera__Reply *r)
{
	Tessera__PeerView *views, **ptrs;
	size_t n = 0, i = 0;

	for (struct peer_slot *s = m ? m->slots : NULL; s; s = s->next)
		n++;
	views = calloc(n + 1, sizeof(*views));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	if (views == NULL || ptrs == NULL) {
		free(views);
		free(ptrs);
		return -ENOMEM;
	}
	for (struct peer_slot *s = m ? m->slots : NULL; s; s = s->next, i++) {
		Tessera__PeerView *v = &views[i];
		struct store_peer sp;

		tessera__peer_view__init(v);
		if (store_peer_get(m->sessions->store, s->id, &sp) != 0)
			memset(&sp, 0, sizeof(sp));
		v->name = s->name;
		v->address = s->address;
		v->state = (char *)slot_state(s);
		v->last_error = s->last_error[0] ? s->last_error : NULL;
		v->has_id = v->has_connected_since = v->has_last_sync = 1;
		v->has_records_sent = v->has_records_received = v->has_records_rejected = 1;
		v->has_down_since = v->has_last_error_at = 1;
		v->id = (ProtobufCBinaryData){ TESS_KEY_LEN, s->id };
		v->connected_since = s->connected_since;
		v->last_sync = s->last_sync ? s->last_sync : sp.last_sync;
		v->records_sent = sp.sent;
		v->records_received = sp.received;
		v->records_rejected = sp.rejected;
		v->down_since = s->active != NULL && s->active->state == PEER_ESTABLISHED ? 0 :
		    s->down_since;
		v->last_error_at = s->last_error_at;
		v->has_bytes_in = v->has_bytes_out = 1;
		v->bytes_in = s->bytes_in;
		v->bytes_out = s->bytes_out;
		if (s->active != NULL) {
			v->has_inbound = 1;
			v->inbound = s->active->inbound;
			v->bytes_in += s->active->bytes_in;
			v->bytes_out += s->active->bytes_out;
		}
		ptrs[i] = v;
	}
	if (n == 0)
		free(views);
	r->peers = ptrs;
	r->n_peers = n;
	return 0;
}

void
peers_views_free(Tessera__Reply *r)
{
	/* ptrs[0] is the start of the views array (allocated even when empty). */
	if (r->peers != NULL)
		free(r->n_peers > 0 ? r->peers[0] : NULL);
	free(r->peers);
	r->peers = NULL;
	r->n_peers = 0;
}

void
peers_report(struct peers *m, struct ctl_client *c)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;

	if (peers_views(m, &r) != 0) {
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		return;
	}
	ctl_send(c, &r);
	peers_views_free(&r);
}
