/* Control socket: the tessera CLI talks to the daemon over a Unix socket,
 * one protobuf Request per frame, answered by one or more Reply frames. */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tessera.h"

struct attach;

struct ctl;
struct identity;
struct invites;
struct ops_env;

/* What the control socket works with, and how its news travels upward.
 * Owned by the composition root; outlives the ctl. */
struct ctl_env {
	/* The loop, store, configuration, peers, health counters and start
	 * time, kept current by the owner (ops/ops.h). */
	const struct ops_env *ops;
	const struct identity *id;    /* signs this node's own records */
	struct invites *invites;      /* open invites (tessera invite, invites) */
	/* Upward news; each may be NULL. */
	/* Records of this node were committed (add, edit, delete): offer them. */
	void (*on_committed)(void *arg);
	/* An import took (holding) or released (!holding) the store's write
	 * transaction. While it is held nothing may be offered to peers (it
	 * could still roll back) and their records wait; on release what it
	 * committed is offered and waiting records are applied. */
	void (*on_import)(void *arg, bool holding);
	/* The operator blocked or unblocked the community author. */
	void (*on_blocked)(void *arg, const uint8_t author[TESS_KEY_LEN], bool blocked);
	/* tessera get asked for an attachment: peers are asked for it. */
	void (*on_fetch)(void *arg);
	/* Attachment transfers (policy, progress); may be NULL. */
	struct attach *attach;
	/* A managed peer drop-in was written or removed: reload the
	 * configuration now (ops->conf is the new one on return). */
	void (*on_peers_changed)(void *arg);
	void *hook_arg;
};

/* Binds path (mode 0660, group control_group, stale socket replaced) and
 * starts accepting on env's loop. On failure *out may still be set: pass
 * it to ctl_stop. */
int ctl_start(const struct ctl_env *env, const char *path, struct ctl **out, char **cause);
/* Closes the listener and every client (an open import rolls back),
 * removes the socket file; frees once libuv is done with the handles. */
void ctl_stop(struct ctl *ctl);

#endif
