/* Peer manager: the PEERS report and the connected count. */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "node.h"
#include "peer.h"
#include "peers_int.h"
#include "store.h"

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

void
peers_report(struct peers *m, struct ctl_client *c)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	Tessera__PeerView *views, **ptrs;
	size_t n = 0, i = 0;

	for (struct peer_slot *s = m ? m->slots : NULL; s; s = s->next)
		n++;
	views = calloc(n + 1, sizeof(*views));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	if (views == NULL || ptrs == NULL) {
		free(views);
		free(ptrs);
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		return;
	}
	for (struct peer_slot *s = m ? m->slots : NULL; s; s = s->next, i++) {
		Tessera__PeerView *v = &views[i];
		struct store_peer sp;

		tessera__peer_view__init(v);
		store_peer_get(m->node->store, s->id, &sp);
		v->name = s->name;
		v->address = s->address;
		v->state = (char *)slot_state(s);
		v->last_error = s->last_error[0] ? s->last_error : NULL;
		v->has_id = v->has_connected_since = v->has_last_sync = 1;
		v->has_records_sent = v->has_records_received = v->has_records_rejected = 1;
		v->id = (ProtobufCBinaryData){ TESS_KEY_LEN, s->id };
		v->connected_since = s->connected_since;
		v->last_sync = s->last_sync ? s->last_sync : sp.last_sync;
		v->records_sent = sp.sent;
		v->records_received = sp.received;
		v->records_rejected = sp.rejected;
		if (s->active != NULL) {
			v->has_inbound = v->has_bytes_in = v->has_bytes_out = 1;
			v->inbound = s->active->inbound;
			v->bytes_in = s->active->bytes_in;
			v->bytes_out = s->active->bytes_out;
		}
		ptrs[i] = v;
	}
	r.peers = ptrs;
	r.n_peers = n;
	ctl_send(c, &r);
	free(views);
	free(ptrs);
}
