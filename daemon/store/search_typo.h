/* The typo fallback: words of the index within a small edit distance of a
 * query word, found through a trigram index over the vocabulary. */
#ifndef SEARCH_TYPO_H
#define SEARCH_TYPO_H

#include <stdbool.h>

#include "store/tokenizer.h"

struct store;

#define TYPO_MAX 8

/* Up to max indexed words (folded) within 1 edit of the folded word w (4
 * to 7 letters) or 2 edits (8 or more), closest first; none when w is
 * itself a word of the index. The count, or a negative errno. */
int typo_candidates(struct store *st, const char *w, int len, char out[][TOK_FORM_CAP],
    int max);

/* Whether the folded word w occurs in the indexed texts (3 letters or
 * more; the vocabulary only grows). */
bool typo_known_word(struct store *st, const char *w, int len);

/* Optimal string alignment distance between a and b (code points), or
 * limit + 1 once it exceeds limit (exported for tests). */
int typo_distance(const char *a, int alen, const char *b, int blen, int limit);

#endif
