/* Pending nodes: unknown nodes that completed the TLS handshake with a valid
 * key (so they hold it) and were refused, kept so that the operator can
 * accept one with `tessera peer add NAME ID` (Syncthing's pending devices).
 *
 * Pure bookkeeping: no sockets, no clock (times are passed in). Bounded:
 * PENDING_MAX entries, the least recently seen evicted; and the full
 * handshakes strangers may cost us are rate-limited by a token bucket
 * (pending_allow), checked in the TLS pin callback before any signature is
 * verified. */
#ifndef PENDING_H
#define PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

#define PENDING_MAX 100
#define PENDING_BURST 10          /* strangers' handshakes at once */
#define PENDING_REFILL_MS 6000    /* then one per this long (10 a minute) */

struct pending_entry {
	uint8_t id[TESS_KEY_LEN];
	char addr[64];                 /* of the latest attempt */
	char name[65];                 /* from its Hello; "" if it sent none */
	int64_t first_seen, last_seen; /* wall ms */
	uint64_t count;
};

struct pending {
	struct pending_entry e[PENDING_MAX];
	size_t n;
	double tokens;
	uint64_t tokens_at;            /* mono ms; 0: the bucket starts full */
	uint64_t limited;              /* handshakes refused by the bucket */
};

/* Whether a stranger may go through a full handshake now (takes a token). */
bool pending_allow(struct pending *pd, uint64_t mono_now);
/* Records an attempt by id from addr (name may be NULL). */
void pending_note(struct pending *pd, const uint8_t id[TESS_KEY_LEN], const char *addr,
    const char *name, int64_t wall_now);
/* Forgets id (it was accepted). */
void pending_forget(struct pending *pd, const uint8_t id[TESS_KEY_LEN]);

#endif
