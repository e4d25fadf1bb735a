/* Peer connections: listeners, dialers, the set of live peers, gossip. */
#ifndef PEERS_H
#define PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"

#include <uv.h>

struct config;
struct ctl_client;
struct identity;
struct peers;
struct session;
struct session_env;
struct session_fwd;
struct session_join;

/* What the peer manager is given by the node. */
struct peers_env {
	uv_loop_t *loop;
	const struct config *conf;
	const struct identity *id;       /* our key and certificate, for TLS */
	struct session_env *sessions;    /* shared by every session (store, limits, hooks) */
	/* A node that is not configured said Hello with an invite proof:
	 * return 0 once it is configured (a drop-in written and reloaded), or
	 * negative with the reason in why, told to it. */
	int (*on_join)(void *arg, const uint8_t key[TESS_KEY_LEN], const char *name,
	    const struct session_join *join, char *why, size_t whylen);
	/* A node that is not configured said Hello with the rotations that
	 * lead to its key (Hello.rotation, oldest first): return 0 once they
	 * are verified and stored and a configured peer's pinned key leads to
	 * key (peers_env.rotated), or negative with the reason in why. */
	int (*on_rotate)(void *arg, const uint8_t key[TESS_KEY_LEN],
	    Tessera__SignedRecord *const *v, size_t n, char *why, size_t whylen);
	/* Whether the pinned key was rotated, in verified hops, to key: the
	 * TLS pin check then accepts key for that peer. */
	bool (*rotated)(void *arg, const uint8_t pinned[TESS_KEY_LEN],
	    const uint8_t key[TESS_KEY_LEN]);
	void *hook_arg;
};
struct store;

/* Binds the configured listeners and starts dialing configured peers. */
int peers_start(const struct peers_env *env, struct peers **out, char **cause);
/* Closes every connection and listener; frees once the handles are closed. */
void peers_stop(struct peers *p);
/* Applies a new peer list: added peers are dialed, removed ones dropped,
 * unchanged ones left alone; nc becomes the manager's configuration (old is
 * freed by the caller afterwards). */
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
/* One configured peer as the manager sees it. The strings and id are the
 * manager's: use them before returning to the loop. */
struct peer_report {
	const char *name;
	const char *address;           /* NULL: this peer only dials in */
	const uint8_t *id;             /* TESS_KEY_LEN bytes */
	const char *state;             /* up, handshake, connecting, down, waiting */
	bool up;                       /* a sync session is established */
	bool has_session, inbound;     /* a session (any state), and its direction */
	const char *last_error;        /* NULL: none */
	int64_t connected_since, last_sync, down_since, last_error_at;   /* wall ms */
	uint64_t sent, received, rejected;   /* records, stored counters */
	uint64_t new_authors, over_budget;   /* today: introduced, refused over budget */
	uint64_t bytes_in, bytes_out;  /* every session since start-up, TLS included */
	uint32_t outstanding;          /* records asked of the peer, not yet received */
	const char *file;              /* where it is configured: a drop-in or the main file */
	bool managed;                  /* in a drop-in (peer remove may delete it) */
};

/* One report per configured peer, in configuration order, counters read
 * from st; none for p NULL. *out is malloc'd (free it), *n its length.
 * Returns 0 or -ENOMEM. */
int peers_reports(const struct peers *p, struct store *st, struct peer_report **out,
    size_t *n);
/* Attaches one view per configured peer to r (state, last sync and error,
 * down since, counters stored in st, bytes of every session since
 * start-up); none for p NULL. Returns 0 or -ENOMEM; free with
 * peers_views_free. The views borrow the peers' strings: use them before
 * returning to the loop. */
int peers_views(const struct peers *p, struct store *st, Tessera__Reply *r);
void peers_views_free(Tessera__Reply *r);
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
/* A session's peer said Hello (session_env.on_hello): configured peers go
 * on; a stranger is accepted through on_join with a valid invite proof,
 * else refused and recorded as pending. */
int peers_session_hello(struct peers *p, struct session *s, const struct session_join *join,
    char *why, size_t whylen);
/* Dial the configured peer id with an invite proof in our Hello until a
 * session is established. Returns 0, -ENOENT or -ENOMEM. */
int peers_set_join(struct peers *p, const uint8_t id[TESS_KEY_LEN],
    const struct session_join *join);
/* The pending nodes as views on r (free with peers_pending_free); none for
 * p NULL. Returns 0 or -ENOMEM. */
int peers_pending_views(const struct peers *p, Tessera__Reply *r);
void peers_pending_free(Tessera__Reply *r);
/* How many pending nodes are held (0 for p NULL). */
size_t peers_pending_count(const struct peers *p);
/* id was accepted: it is no longer pending. */
void peers_pending_forget(struct peers *p, const uint8_t id[TESS_KEY_LEN]);
/* Records received on from are about to be committed: every other
 * established session pushes them on now if it can (session_forward).
 * Returns the number of links they went out on. */
size_t peers_forward(struct peers *p, struct session *from, const struct session_fwd *recs,
    size_t n);
/* A session applied an offer of the peer's (session_env.on_synced). */
void peers_session_synced(struct peers *p, struct session *s);

#endif
