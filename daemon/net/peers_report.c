/* Peer manager: what it reports of its peers (one struct peer_report per
 * configured peer, their PeerViews, the connected count), as data; the
 * control socket, health and metrics format it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/peer.h"
#include "net/peers_int.h"
#include "store/store.h"

static bool
slot_up(const struct peer_slot *s)
{
	return s->active != NULL && s->active->state == PEER_ESTABLISHED;
}

uint32_t
peers_connected(const struct peers *m)
{
	uint32_t n = 0;

	for (const struct peer_slot *s = m ? m->slots : NULL; s; s = s->next)
		n += slot_up(s);
	return n;
}

static const char *
slot_state(const struct peer_slot *s)
{
	if (s->active != NULL)
		return s->active->state == PEER_ESTABLISHED ? "up" : "handshake";
	if (s->dialing != NULL || s->dial != NULL)
		return "connecting";
	return s->address ? "down" : "waiting";   /* waiting: it dials us */
}

static void
slot_report(const struct peers *m, const struct peer_slot *s, struct store *st,
    struct peer_report *pr)
{
	const struct peer_conf *pc;
	struct store_peer sp;

	if (store_peer_get(st, s->id, &sp) != 0)
		memset(&sp, 0, sizeof(sp));
	memset(pr, 0, sizeof(*pr));
	pr->name = s->name;
	pr->address = s->address;
	pr->id = s->id;
	pr->state = slot_state(s);
	pr->up = slot_up(s);
	pr->last_error = s->last_error[0] ? s->last_error : NULL;
	pr->connected_since = s->connected_since;
	/* This run's last sync, else the stored one of an earlier run. */
	pr->last_sync = s->last_sync ? s->last_sync : sp.last_sync;
	pr->down_since = pr->up ? 0 : s->down_since;
	pr->last_error_at = s->last_error_at;
	pr->sent = sp.sent;
	pr->received = sp.received;
	pr->rejected = sp.rejected;
	pr->new_authors = sp.new_authors;
	pr->over_budget = sp.over_budget;
	pr->bytes_in = s->bytes_in;
	pr->bytes_out = s->bytes_out;
	if ((pc = config_find_peer(m->conf, s->id)) != NULL) {
		pr->file = config_peer_file(m->conf, pc);
		pr->managed = pc->file != NULL;
	}
	if (s->active != NULL) {
		pr->has_session = true;
		pr->inbound = s->active->inbound;
		pr->bytes_in += s->active->bytes_in;
		pr->bytes_out += s->active->bytes_out;
		pr->outstanding = (uint32_t)s->active->session.sync.wanted.n;
	}
}

int
peers_reports(const struct peers *m, struct store *st, struct peer_report **out, size_t *n)
{
	size_t i = 0;

	*out = NULL;
	*n = 0;
	for (const struct peer_slot *s = m ? m->slots : NULL; s; s = s->next)
		i++;
	if ((*out = calloc(i + 1, sizeof(**out))) == NULL)
		return -ENOMEM;
	for (const struct peer_slot *s = m ? m->slots : NULL; s; s = s->next)
		slot_report(m, s, st, &(*out)[(*n)++]);
	return 0;
}

/* protobuf-c wants mutable pointers; the views only read them. */
static void
view_fill(Tessera__PeerView *v, const struct peer_report *pr)
{
	tessera__peer_view__init(v);
	v->name = (char *)pr->name;
	v->address = (char *)pr->address;
	v->state = (char *)pr->state;
	v->last_error = (char *)pr->last_error;
	v->has_id = v->has_connected_since = v->has_last_sync = 1;
	v->has_records_sent = v->has_records_received = v->has_records_rejected = 1;
	v->has_down_since = v->has_last_error_at = 1;
	v->id = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)pr->id };
	v->connected_since = pr->connected_since;
	v->last_sync = pr->last_sync;
	v->records_sent = pr->sent;
	v->records_received = pr->received;
	v->records_rejected = pr->rejected;
	v->down_since = pr->down_since;
	v->last_error_at = pr->last_error_at;
	v->has_over_budget = v->has_new_authors = 1;
	v->over_budget = pr->over_budget;
	v->new_authors = pr->new_authors;
	v->has_bytes_in = v->has_bytes_out = 1;
	v->bytes_in = pr->bytes_in;
	v->bytes_out = pr->bytes_out;
	v->file = (char *)pr->file;
	v->has_managed = 1;
	v->managed = pr->managed;
	if (pr->has_session) {
		v->has_inbound = 1;
		v->inbound = pr->inbound;
	}
}

int
peers_views(const struct peers *m, struct store *st, Tessera__Reply *r)
{
	Tessera__PeerView *views, **ptrs;
	struct peer_report *pr;
	size_t n;
	int rc;

	if ((rc = peers_reports(m, st, &pr, &n)) != 0)
		return rc;
	views = calloc(n + 1, sizeof(*views));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	if (views == NULL || ptrs == NULL) {
		free(views);
		free(ptrs);
		free(pr);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		view_fill(&views[i], &pr[i]);
		ptrs[i] = &views[i];
	}
	free(pr);
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
