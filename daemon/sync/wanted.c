/* The set of wanted record ids (wanted.h). */
#include "sync/wanted.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Ids are hashes (record.h): their first bytes are already uniform. */
static size_t
home(const struct wanted *w, const uint8_t *id)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (w->cap - 1);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t
find(const struct wanted *w, const uint8_t *id)
{
	size_t i = home(w, id);

	while (w->slots[i].used && memcmp(w->slots[i].id, id, TESS_ID_LEN) != 0)
		i = (i + 1) & (w->cap - 1);
	return i;
}

void
wanted_free(struct wanted *w)
{
	free(w->slots);
	*w = (struct wanted){ 0 };
}

void
wanted_add(struct wanted *w, const uint8_t *id, uint32_t gen)
{
	size_t i = find(w, id);

	memcpy(w->slots[i].id, id, TESS_ID_LEN);
	w->slots[i].gen = gen;
	w->slots[i].used = true;
	w->n++;
}

int
wanted_reserve(struct wanted *w, size_t n)
{
	struct wanted_slot *old = w->slots;
	size_t cap = 16, old_cap = w->cap;

	/* At most half full: probes stay short. */
	while (cap < 2 * n)
		cap *= 2;
	if (cap <= w->cap)
		return 0;
	if ((w->slots = calloc(cap, sizeof(*w->slots))) == NULL) {
		w->slots = old;
		return -ENOMEM;
	}
	w->cap = cap;
	w->n = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].used)
			wanted_add(w, old[i].id, old[i].gen);
	free(old);
	return 0;
}

bool
wanted_has(const struct wanted *w, const uint8_t *id)
{
	return w->n > 0 && w->slots[find(w, id)].used;
}

/* Empties slot i and moves back the entries after it that probing would
 * no longer reach. */
static void
remove_at(struct wanted *w, size_t i)
{
	size_t mask = w->cap - 1, j = i;

	w->slots[i].used = false;
	w->n--;
	for (;;) {
		j = (j + 1) & mask;
		if (!w->slots[j].used)
			return;
		size_t h = home(w, w->slots[j].id);
		/* Entry j stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		w->slots[i] = w->slots[j];
		w->slots[j].used = false;
		i = j;
	}
}

/* Generations wrap: "at or before" is a signed difference. */
static bool
not_after(uint32_t gen, uint32_t upto)
{
	return (int32_t)(gen - upto) <= 0;
}

bool
wanted_take(struct wanted *w, const uint8_t *id, uint32_t upto, uint32_t *gen)
{
	size_t i;

	if (w->n == 0 || !w->slots[i = find(w, id)].used || !not_after(w->slots[i].gen, upto))
		return false;
	if (gen != NULL)
		*gen = w->slots[i].gen;
	remove_at(w, i);
	return true;
}

void
wanted_expire(struct wanted *w, uint32_t gen)
{
	for (size_t i = 0; i < w->cap && w->n > 0;) {
		if (w->slots[i].used && not_after(w->slots[i].gen, gen))
			remove_at(w, i);   /* slot i may hold a moved entry now */
		else
			i++;
	}
}
