/* Pending nodes: a small table, scanned linearly (PENDING_MAX entries). */
#include "net/pending.h"

#include <stdio.h>
#include <string.h>

bool
pending_allow(struct pending *pd, uint64_t now)
{
	if (pd->tokens_at == 0 || now < pd->tokens_at) {
		pd->tokens = PENDING_BURST;
		pd->tokens_at = now;
	}
	pd->tokens += (double)(now - pd->tokens_at) / PENDING_REFILL_MS;
	if (pd->tokens > PENDING_BURST)
		pd->tokens = PENDING_BURST;
	pd->tokens_at = now;
	if (pd->tokens < 1.0) {
		pd->limited++;
		return false;
	}
	pd->tokens -= 1.0;
	return true;
}

static struct pending_entry *
pending_find(struct pending *pd, const uint8_t id[TESS_KEY_LEN])
{
	for (size_t i = 0; i < pd->n; i++)
		if (memcmp(pd->e[i].id, id, TESS_KEY_LEN) == 0)
			return &pd->e[i];
	return NULL;
}

void
pending_note(struct pending *pd, const uint8_t id[TESS_KEY_LEN], const char *addr,
    const char *name, int64_t now)
{
	struct pending_entry *e = pending_find(pd, id);

	if (e == NULL) {
		if (pd->n < PENDING_MAX) {
			e = &pd->e[pd->n++];
		} else {
			/* Full: the least recently seen goes. */
			e = &pd->e[0];
			for (size_t i = 1; i < pd->n; i++)
				if (pd->e[i].last_seen < e->last_seen)
					e = &pd->e[i];
		}
		memset(e, 0, sizeof(*e));
		memcpy(e->id, id, TESS_KEY_LEN);
		e->first_seen = now;
	}
	snprintf(e->addr, sizeof(e->addr), "%s", addr ? addr : "");
	if (name != NULL && *name != '\0')
		snprintf(e->name, sizeof(e->name), "%s", name);
	e->last_seen = now;
	e->count++;
}

void
pending_forget(struct pending *pd, const uint8_t id[TESS_KEY_LEN])
{
	struct pending_entry *e = pending_find(pd, id);

	if (e != NULL)
		*e = pd->e[--pd->n];
}
