/* Peer connections: listeners, dialers, the set of live peers, gossip. */
#ifndef PEERS_H
#define PEERS_H

#include <stdint.h>

#include "control.pb-c.h"

struct node;
struct config;
struct ctl_client;
struct peers;

/* Binds the configured listeners and starts dialing configured peers. */
int peers_start(struct node *n, struct peers **out, char **cause);
/* Closes every connection and listener; frees once the handles are closed. */
void peers_stop(struct peers *p);
/* Applies a new peer list: added peers are dialed, removed ones dropped,
 * unchanged ones left alone. The node's config pointer must already be nc. */
void peers_reload(struct peers *p, const struct config *old, const struct config *nc);
/* Inbound connections before authentication (max_unauthenticated). */
struct peers_strangers {
	uint64_t held;                 /* now */
	uint64_t refused_full;         /* since start-up, at max_unauthenticated */
	uint64_t refused_address;      /* at max_unauthenticated_per_address */
};
void peers_strangers(const struct peers *p, struct peers_strangers *out);
/* Number of peers with an established session (0 for NULL). */
uint32_t peers_connected(const struct peers *p);
/* Attaches one view per configured peer to r (state, last sync and error,
 * down since, counters, bytes of every session since start-up); free with
 * peers_views_free. */
int peers_views(struct peers *p, Tessera__Reply *r);
void peers_views_free(Tessera__Reply *r);
/* Answers a PEERS control request. */
void peers_report(struct peers *p, struct ctl_client *c);
/* Closes every session so that each resyncs from its stored checkpoint. */
void peers_resync(struct peers *p, const char *why);
/* Applies records that waited for the store and restarts offers. */
void peers_resume(struct peers *p);
/* Offers records stored after seq to every session except from. */
void peers_announce(struct peers *p, uint64_t after_seq, const void *from);

#endif
