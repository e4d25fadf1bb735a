/* Range-based set reconciliation on one peer link (docs/protocol.md,
 * "Reconciliation").
 *
 * Used when a side has no valid checkpoint for its peer: instead of being
 * offered everything, the two sides compare fingerprints of id ranges
 * (store_fp.h), split the ranges that differ into RECON_FANOUT by the next
 * digit (RECON_BITS bits) of the id, and list the items of small ones, turn by turn, so that the bytes
 * follow the difference, not the data set. What a side finds the peer lacks
 * is its give set: it is offered through the ordinary Offer/Want/Records
 * path, before the offers of changes after its seq at the start. Each turn
 * must answer the previous one (children of the nodes sent, wants of the
 * items listed) and goes one digit deeper, so a reconciliation ends after
 * at most RECON_MAX_DEPTH turns whatever the peer sends. */
#ifndef RECONCILE_H
#define RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer.pb-c.h"
#include "core/tessera.h"

#define RECON_FEATURE 1u           /* Hello.features bit */
#define RECON_BITS 2               /* id bits per level: a digit */
#define RECON_FANOUT (1u << RECON_BITS)   /* children per range */
#define RECON_FP_LEN 8             /* fingerprint and item hash bytes on the wire */
#define RECON_LIST_AT 8            /* a differing range of at most this many items is listed */
#define RECON_MAX_DEPTH (48 / RECON_BITS)   /* digits: ranges this deep are always listed */
#define RECON_LIST_MAX 4096        /* items in one list */

struct session;
struct recon;

/* Both SyncRequests are known: reconciles when either side asked (we_asked,
 * they_asked). The side that asked initiates; when both did, the one with
 * the smaller store epoch. When they asked, what we find they lack is kept
 * to be offered. Returns 0 or negative after closing the session. */
int recon_start(struct session *s, bool we_asked, bool they_asked);
/* One Recon message. 0, or negative after closing the session. */
int recon_on_msg(struct session *s, const Tessera__Recon *m);
/* True while a reconciliation is under way. */
bool recon_busy(const struct recon *r);
/* True while our offers wait: the peer asked to reconcile and it is not
 * over (what it lacks is offered first, then changes after our seq). */
bool recon_holds_offers(const struct recon *r);
/* The next id of the give set, or NULL; recon_give_pop removes it. */
const uint8_t *recon_give_next(const struct recon *r);
void recon_give_pop(struct recon *r);
/* Ids still to be offered. */
size_t recon_give_left(const struct recon *r);
void recon_free(struct recon *r);

#endif
