/* Peer connections: listeners, dialers, the set of live peers, gossip. */
#ifndef PEERS_H
#define PEERS_H

#include <stdint.h>

#include "control.pb-c.h"

#include <uv.h>

struct config;
struct ctl_client;
struct identity;
struct peers;
struct session;
struct session_env;

/* What the peer manager is given by the node. */
struct peers_env {
	uv_loop_t *loop;
	const struct config *conf;
	const struct identity *id;       /* our key and certificate, for TLS */
	struct session_env *sessions;    /* shared by every session (store, limits, hooks) */
};

/* Binds the configured listeners and starts dialing configured peers. */
int peers_start(const struct peers_env *env, struct peers **out, char **cause);
/* Closes every connection and listener; frees once the handles are closed. */
void peers_stop(struct peers *p);
/* Applies a new peer list: added peers are dialed, removed ones dropped,
 * unchanged ones left alone; nc becomes the manager's configuration (old is
 * freed by the caller afterwards). */
void peers_reload(struct peers *p, const struct config *old, const struct config *nc);
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
/* New records were committed: every session offers what it has not yet
 * (each from its own position; never back over the link a record came in
 * on in the same session). */
void peers_announce(struct peers *p);
/* A session's Hello arrived (session_env.on_established): the slot is up. */
void peers_session_established(struct peers *p, struct session *s);
/* A session applied an offer of the peer's (session_env.on_synced). */
void peers_session_synced(struct peers *p, struct session *s);

#endif
