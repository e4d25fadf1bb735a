/* Building RecordView replies from stored records, in bounded chunks. */
#ifndef CTL_VIEW_H
#define CTL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"
#include "core/tessera.h"

#define VIEW_CHUNK_MAX 256      /* records per reply frame */

struct view_batch {
	struct store *st;
	bool with_signed;           /* include the stored bytes (export, show) */
	Tessera__RecordView views[VIEW_CHUNK_MAX];
	Tessera__RecordView *ptrs[VIEW_CHUNK_MAX];
	Tessera__SignedRecord signed_[VIEW_CHUNK_MAX];
	uint8_t *bodies[VIEW_CHUNK_MAX];
	uint8_t sigs[VIEW_CHUNK_MAX][TESS_SIG_LEN];
	char *names[VIEW_CHUNK_MAX];
	size_t n;
	size_t bytes;               /* approximate packed size so far */
	/* One-entry author name cache: lists are mostly one community at a time. */
	uint8_t cached_author[TESS_KEY_LEN];
	char *cached_name;
	bool cached;
};

/* Heap-allocated: a batch is large. */
struct view_batch *view_batch_new(struct store *st, bool with_signed);
void view_batch_free(struct view_batch *b);
/* Adds the record stored at seq and points *v at its view. Returns 0, or
 * -ENOENT (gone since it was listed), -EBADMSG (fails verification, logged),
 * -ENOSPC (the batch is full), -ENOMEM or -EIO: nothing added. */
int view_batch_add(struct view_batch *b, uint64_t seq, Tessera__RecordView **v);
/* True when another record might not fit in a reply frame. */
bool view_batch_full(const struct view_batch *b);
/* Points reply->records at the batch. */
void view_batch_attach(struct view_batch *b, Tessera__Reply *reply);
/* Frees the views (not the batch itself) so it can be reused. */
void view_batch_clear(struct view_batch *b);

#endif
