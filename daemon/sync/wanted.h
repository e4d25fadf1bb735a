/* The records a session asked for and has not stored yet: a set of ids,
 * each tagged with the offer that wanted it (a generation number).
 *
 * Open addressing with linear probing and backward-shift deletion: a
 * lookup is a few probes where the list it replaced compared every id
 * (up to max_inflight_wants, 4,096, per offered item once offers are
 * answered while earlier records are still being verified). Ids come from
 * the peer: ids made to collide cost probes, at worst the whole table, as
 * a lookup in the list did. */
#ifndef TESSERA_SYNC_WANTED_H
#define TESSERA_SYNC_WANTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

struct wanted_slot {
	uint8_t id[TESS_ID_LEN];
	uint32_t gen;
	bool used;
};

struct wanted {
	struct wanted_slot *slots;
	size_t cap;   /* a power of two, or 0 */
	size_t n;
};

void wanted_free(struct wanted *w);
/* Room for n ids in all without growing: 0 or -ENOMEM. */
int wanted_reserve(struct wanted *w, size_t n);
/* Adds id (not in the set: the caller checked) under generation gen;
 * wanted_reserve made room for it. */
void wanted_add(struct wanted *w, const uint8_t *id, uint32_t gen);
bool wanted_has(const struct wanted *w, const uint8_t *id);
/* Removes id if it was wanted by generation upto or before: true, and its
 * generation in *gen when not NULL. An id wanted by a later offer stays:
 * records that answer an offer were not asked for by the offers after it. */
bool wanted_take(struct wanted *w, const uint8_t *id, uint32_t upto, uint32_t *gen);
/* Removes every id wanted by generation gen or before (the offers fully
 * answered: what the peer no longer had is offered anew). */
void wanted_expire(struct wanted *w, uint32_t gen);

#endif
