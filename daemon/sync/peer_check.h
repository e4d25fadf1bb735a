/* Checks on one decoded peer message that need no connection state, so that
 * they can be fuzzed alone (fuzz/fuzz_frame.c). Used by session.c and
 * sync_receive.c. */
#ifndef PEER_CHECK_H
#define PEER_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer.pb-c.h"

/* The limits a Hello announces, clamped to what this node accepts. Returns
 * 0; -EPROTONOSUPPORT for another protocol version or a max_frame below
 * TESS_MIN_FRAME (worth a Goodbye), or -EPROTO for a malformed hello, with
 * the reason in why. */
int peer_check_hello(const Tessera__Hello *h, uint32_t *max_frame, uint32_t *max_batch,
    char *why, size_t whysz);
/* The author of an offer item (long or compact form), or NULL when the item
 * lacks a usable author, id or version and is to be skipped. */
const uint8_t *peer_check_offer_item(const Tessera__Offer *m, const Tessera__OfferItem *it);
/* True when a received signed record is worth verifying (body and a
 * signature of the right size, body within TESS_MAX_RECORD). */
bool peer_check_signed_record(const Tessera__SignedRecord *sr);

#endif
