/* A batch of texts tokenized ahead of their indexing slice: a pool thread
 * runs the tokenizer over the next slice's texts (tokenizer_prep_run)
 * while the loop's FTS5 writes the current slice, and the slice's
 * document tokenizations then replay what was recorded instead of
 * folding, splitting and stemming again (docs/search.md, "Tokenized
 * ahead"). Tokenizing is a pure function of a text's bytes, so a text is
 * replayed only when its bytes are the same; any other text (deleted
 * since, or outside the batch) is tokenized as before. */
#ifndef TOKENIZER_PREP_H
#define TOKENIZER_PREP_H

#include <stdbool.h>
#include <stddef.h>

#include "store/tokenizer_sink.h"

struct tok_prep;

/* NULL when out of memory. */
struct tok_prep *tok_prep_new(void);
/* Accepts NULL. */
void tok_prep_free(struct tok_prep *b);
/* Adds a copy of text[0..len) to be tokenized; -ENOMEM. */
int tok_prep_add(struct tok_prep *b, const char *text, int len);
/* The texts added, and the bytes the batch holds (texts and tokens). */
size_t tok_prep_count(const struct tok_prep *b);
size_t tok_prep_bytes(const struct tok_prep *b);
/* Text i (i < count) and its length. */
const char *tok_prep_text(const struct tok_prep *b, size_t i, int *len);

/* Recording text i's tokens: tok_prep_open, then tok_prep_emit as the
 * tokenizer's emit callback (ctx = b), then tok_prep_close; a text closed
 * with ok false (or never closed) is not replayed. */
void tok_prep_open(struct tok_prep *b, size_t i);
int tok_prep_emit(void *b, int flags, const char *tok, int n, int start, int end);
void tok_prep_close(struct tok_prep *b, size_t i, bool ok);
/* The new words the tokenizer offered the typo vocabulary while it
 * recorded the batch (the caller moves them in and out). */
struct tok_sink *tok_prep_words(struct tok_prep *b);

/* If text[0..len) is the next recorded text of b, or one of the few after
 * it, hands its tokens to emit and returns true with emit's result in *rc
 * (0 or an SQLite error code); false if b does not hold it. */
bool tok_prep_replay(struct tok_prep *b, const char *text, int len, void *ctx,
    int (*emit)(void *, int, const char *, int, int, int), int *rc);
/* Texts replayed from b so far (tests and benchmarks). */
size_t tok_prep_replayed(const struct tok_prep *b);

#endif
