/* The held-at ring (see store_held.h). Puts append pending entries; the
 * commit stamps them all with one time, a rollback takes them back. */
#include "store/store_held.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct store_held_ring {
	struct store_held e[STORE_HELD_MAX];
	size_t next;      /* where the next entry goes */
	size_t n;         /* entries in use, committed and pending */
	size_t pending;   /* the newest entries, stored in the open transaction */
};

void
store_held_note(struct store *st, const uint8_t *id, uint64_t version)
{
	struct store_held_ring *h = st->held;
	struct store_held *e;

	/* Allocated on the first put: a store opened only to be read keeps
	 * none. Out of memory: the probe misses an entry, nothing else. */
	if (h == NULL && (h = st->held = calloc(1, sizeof(*h))) == NULL)
		return;
	e = &h->e[h->next];
	memcpy(e->id, id, TESS_ID_LEN);
	e->version = version;
	e->at_us = 0;
	h->next = (h->next + 1) % STORE_HELD_MAX;
	if (h->n < STORE_HELD_MAX)
		h->n++;
	if (h->pending < STORE_HELD_MAX)
		h->pending++;
}

void
store_held_commit(struct store *st)
{
	struct store_held_ring *h = st->held;
	uint64_t now;

	if (h == NULL || h->pending == 0)
		return;
	now = store_now_us(st);
	for (size_t k = 1; k <= h->pending; k++)
		h->e[(h->next + STORE_HELD_MAX - k) % STORE_HELD_MAX].at_us = now;
	h->pending = 0;
}

void
store_held_rollback(struct store *st)
{
	struct store_held_ring *h = st->held;

	if (h == NULL)
		return;
	/* The pending entries are the newest: step back over them. An entry
	 * they overwrote (over STORE_HELD_MAX puts in one transaction) is
	 * lost, which only shortens the ring. */
	h->next = (h->next + STORE_HELD_MAX - h->pending) % STORE_HELD_MAX;
	h->n -= h->pending;
	h->pending = 0;
}

void
store_held_free(struct store *st)
{
	free(st->held);
	st->held = NULL;
}

int
store_held_get(const struct store *st, size_t i, struct store_held *out)
{
	const struct store_held_ring *h = st->held;

	/* Pending entries are not held yet. */
	if (h == NULL || i >= h->n - h->pending)
		return -ENOENT;
	*out = h->e[(h->next + 2 * STORE_HELD_MAX - h->pending - 1 - i) % STORE_HELD_MAX];
	return 0;
}
