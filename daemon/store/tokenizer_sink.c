/* The tokenizer's new-word sink and its filter of known words (see
 * tokenizer_sink.h). Drained after every indexing slice: without the
 * filter every word the word cache missed in a slice went to an
 * INSERT OR IGNORE into vocab again, 0.15 G instructions per 3,000
 * records imported (docs/search.md, "Performance"). */
#include "store/tokenizer_sink.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/tokenizer.h"

/* 2^18 hashes: 1 MB at most, the vocabulary of about 100,000 records. */
#define SINK_KNOWN_MAX (1u << 18)

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Two distinct words with the same hash: the second is not offered, and
 * the typo fallback misses it (one in 4 x 10^9 per pair). */
static bool
known_has(const struct tok_sink *s, uint32_t h)
{
	if (s->known_cap == 0)
		return false;
	for (size_t i = h & (s->known_cap - 1); s->known[i] != 0; i = (i + 1) & (s->known_cap - 1))
		if (s->known[i] == h)
			return true;
	return false;
}

static void
known_put(uint32_t *tab, size_t cap, uint32_t h)
{
	size_t i = h & (cap - 1);

	for (; tab[i] != 0 && tab[i] != h; i = (i + 1) & (cap - 1))
		;
	tab[i] = h;
}

/* Adds h; without room (the bound, or memory) the word is just not
 * remembered. */
static void
known_add(struct tok_sink *s, uint32_t h)
{
	if (s->nknown * 2 >= s->known_cap) {
		size_t cap = s->known_cap ? s->known_cap * 2 : 4096;
		uint32_t *nt;

		if (cap > SINK_KNOWN_MAX || (nt = calloc(cap, sizeof(*nt))) == NULL)
			return;
		for (size_t k = 0; k < s->known_cap; k++)
			if (s->known[k] != 0)
				known_put(nt, cap, s->known[k]);
		free(s->known);
		s->known = nt;
		s->known_cap = cap;
	}
	if (!known_has(s, h)) {
		known_put(s->known, s->known_cap, h);
		s->nknown++;
	}
}

static uint32_t
word_hash(const char *w)
{
	return hash_str(w) | 1;   /* 0 marks an empty slot */
}

void
tok_sink_add(struct tok_sink *s, const char *w)
{
	uint32_t h = word_hash(w);
	size_t i;

	if (s->n >= TOK_SINK_MAX || known_has(s, h))
		return;
	if (s->n * 2 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char **ns = calloc(cap, sizeof(*ns));

		if (ns == NULL)
			return;
		for (size_t k = 0; k < s->cap; k++) {
			if (s->w[k] == NULL)
				continue;
			for (i = word_hash(s->w[k]) & (cap - 1); ns[i] != NULL; i = (i + 1) & (cap - 1))
				;
			ns[i] = s->w[k];
		}
		free(s->w);
		s->w = ns;
		s->cap = cap;
	}
	for (i = h & (s->cap - 1); s->w[i] != NULL; i = (i + 1) & (s->cap - 1))
		if (strcmp(s->w[i], w) == 0)
			return;
	if ((s->w[i] = strdup(w)) != NULL)
		s->n++;
}

int
tok_sink_drain(struct tok_sink *s, int (*cb)(void *arg, const char *w), void *arg)
{
	int rc = 0;

	for (size_t i = 0; i < s->cap; i++) {
		if (s->w[i] == NULL)
			continue;
		if (rc == 0 && (rc = cb(arg, s->w[i])) == 0)
			known_add(s, word_hash(s->w[i]));
		free(s->w[i]);
		s->w[i] = NULL;
	}
	s->n = 0;
	return rc;
}

void
tok_sink_forget(struct tok_sink *s)
{
	free(s->known);
	s->known = NULL;
	s->nknown = s->known_cap = 0;
}

size_t
tok_sink_free(struct tok_sink *s)
{
	size_t bytes = s->known_cap * sizeof(*s->known) + s->cap * sizeof(*s->w);

	for (size_t i = 0; i < s->cap; i++)
		free(s->w[i]);
	free(s->w);
	s->w = NULL;
	s->n = s->cap = 0;
	tok_sink_forget(s);
	return bytes;
}
