/* Dialing one configured peer: resolve its name, try each resolved address
 * in turn, and hand the first TCP connection that succeeds to a new peer. */
#ifndef PEERS_DIAL_H
#define PEERS_DIAL_H

#include <stdint.h>

struct dial;
struct peers;
struct peer_slot;

/* Starts resolving s's host; s->dial is set until a peer holds the
 * connection (s->dialing) or the dial failed (logged once, redial
 * scheduled). The manager lives while a dial does (m->n_resolving). */
void dial_start(struct peers *m, struct peer_slot *s);
/* d's slot is being freed (removed on reload): d ends quietly, and never
 * mistakes a slot added later with the same key for its own. */
void dial_forget(struct dial *d);
/* Gives up the attempts past their share of the time, and every attempt
 * once the manager stops: called by the manager's tick. */
void dial_tick(struct peers *m, uint64_t now);

#endif
