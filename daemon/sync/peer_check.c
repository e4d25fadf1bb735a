/* Checks on decoded peer messages (see peer_check.h). */
#include "sync/peer_check.h"

#include <errno.h>
#include <stdio.h>

#include "core/tessera.h"

int
peer_check_hello(const Tessera__Hello *h, uint32_t *max_frame, uint32_t *max_batch,
    char *why, size_t whysz)
{
	if (!h->has_protocol || h->protocol != TESS_PROTOCOL_VERSION) {
		snprintf(why, whysz, "incompatible protocol version %u (this node speaks %d)",
		    h->has_protocol ? h->protocol : 0, TESS_PROTOCOL_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (!h->has_epoch || h->epoch.len != TESS_EPOCH_LEN) {
		snprintf(why, whysz, "malformed hello");
		return -EPROTO;
	}
	/* A peer that cannot take a frame holding the largest valid record
	 * could never be sent some records: refused, with a Goodbye saying so. */
	if (h->has_max_frame && h->max_frame < TESS_MIN_FRAME) {
		snprintf(why, whysz, "peer's max_frame %u is below the protocol floor of %d bytes",
		    h->max_frame, TESS_MIN_FRAME);
		return -EPROTONOSUPPORT;
	}
	*max_frame = h->has_max_frame && h->max_frame <= TESS_MAX_FRAME ? h->max_frame :
	    TESS_MAX_FRAME;
	*max_batch = h->has_max_batch && h->max_batch > 0 ? h->max_batch : 1;
	return 0;
}

const uint8_t *
peer_check_offer_item(const Tessera__Offer *m, const Tessera__OfferItem *it)
{
	const uint8_t *author;

	if (it->has_author_index && it->author_index < m->n_authors &&
	    m->authors[it->author_index].len == TESS_KEY_LEN)
		author = m->authors[it->author_index].data;
	else if (it->author.len == TESS_KEY_LEN)
		author = it->author.data;
	else
		return NULL;
	if (it->id.len != TESS_ID_LEN || !it->has_version)
		return NULL;
	return author;
}

bool
peer_check_signed_record(const Tessera__SignedRecord *sr)
{
	return sr->has_body && sr->has_sig && sr->sig.len == TESS_SIG_LEN &&
	    sr->body.len <= TESS_MAX_RECORD;
}
