/* The words the tokenizer indexed that the typo vocabulary may not hold
 * yet (tokenizer.h: tokenizer_sink_drain), and a filter of the words it
 * already handed over, so that a word is offered to the vocabulary once,
 * not once per indexing slice in which the word cache missed it. */
#ifndef TOKENIZER_SINK_H
#define TOKENIZER_SINK_H

#include <stddef.h>
#include <stdint.h>

/* Words collected between two drains (bounded: TOK_SINK_MAX). */
struct tok_sink {
	char **w;            /* open addressing; NULL = empty */
	size_t n, cap;
	/* Hashes of the words drained, open addressing, 0 = empty; at most
	 * SINK_KNOWN_MAX of them (then words are offered again, as before). */
	uint32_t *known;
	size_t nknown, known_cap;
};

/* Remembers w unless it was drained before; a full sink drops words (the
 * typo fallback then misses them, nothing else does). */
void tok_sink_add(struct tok_sink *s, const char *w);
/* Hands every word to cb and forgets it; cb's first non-zero result stops
 * the calls (the words are dropped all the same) and is returned. A word
 * cb took is remembered as known (tok_sink_forget if what cb did is
 * rolled back). */
int tok_sink_drain(struct tok_sink *s, int (*cb)(void *arg, const char *w), void *arg);
/* Forgets which words were drained (a transaction that added them to the
 * vocabulary was rolled back): they are offered again. */
void tok_sink_forget(struct tok_sink *s);
/* Frees everything; the sink stays usable (empty). The bytes it held. */
size_t tok_sink_free(struct tok_sink *s);

#endif
