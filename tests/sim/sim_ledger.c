/* The ledger of acknowledged records: an open-addressing table on the
 * record id (ids are SHA-256 output, so their first bytes hash well). */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static size_t
slot_of(const uint8_t id[TESS_ID_LEN], size_t cap)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)(h & (cap - 1));
}

static int
grow(struct sim_ledger *l)
{
	size_t cap = l->cap ? 2 * l->cap : 256;
	struct sim_ack *t = calloc(cap, sizeof(*t));

	if (t == NULL)
		return -1;
	for (size_t i = 0; i < l->cap; i++) {
		size_t j;

		if (!l->tab[i].used)
			continue;
		for (j = slot_of(l->tab[i].id, cap); t[j].used; j = (j + 1) & (cap - 1))
			;
		t[j] = l->tab[i];
	}
	free(l->tab);
	l->tab = t;
	l->cap = cap;
	return 0;
}

struct sim_ack *
ledger_get(struct sim_ledger *l, const uint8_t id[TESS_ID_LEN], bool add)
{
	size_t j;

	if (l->cap > 0) {
		for (j = slot_of(id, l->cap); l->tab[j].used; j = (j + 1) & (l->cap - 1))
			if (memcmp(l->tab[j].id, id, TESS_ID_LEN) == 0)
				return &l->tab[j];
	}
	if (!add)
		return NULL;
	/* At most half full: probes stay short. */
	if (2 * (l->n + 1) > l->cap && grow(l) != 0)
		return NULL;
	for (j = slot_of(id, l->cap); l->tab[j].used; j = (j + 1) & (l->cap - 1))
		;
	memset(&l->tab[j], 0, sizeof(l->tab[j]));
	memcpy(l->tab[j].id, id, TESS_ID_LEN);
	l->tab[j].used = true;
	l->n++;
	return &l->tab[j];
}

void
ledger_free(struct sim_ledger *l)
{
	free(l->tab);
	*l = (struct sim_ledger){ 0 };
}
