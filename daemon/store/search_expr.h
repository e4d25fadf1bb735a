/* The FTS5 expression of a query: each query word becomes an OR of its
 * forms (surface, folded, stems under every stemmer, Cyrillic spellings,
 * typo corrections), the words are ANDed, and a map says which word and
 * which form each phrase stands for (for tessera_match()). */
#ifndef SEARCH_EXPR_H
#define SEARCH_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "store/search.h"
#include "store/tokenizer.h"

struct store;

/* Longest query accepted, and most words in it. */
#define SEARCH_QUERY_MAX 1024
#define SEARCH_WORDS_MAX 16
/* A prefix search needs this many characters before the '*'. */
#define SEARCH_PREFIX_MIN 2

struct search_word {
	char surface[TOK_FORM_CAP];
	bool prefix;
};

struct search_expr {
	char *fts;                  /* the MATCH expression */
	size_t len, cap;
	unsigned char *map;         /* two bytes per phrase */
	size_t nphrase, mapcap;
	int failed;                 /* -ENOMEM once an append failed */
};

/* Splits query into words (normalised as texts are); *cause on -EINVAL. */
int search_words(struct store *st, const char *query, struct search_word *w, int *n,
    char **cause);

/* Builds the expression for the words: forms up to SEARCH_TRANSLIT, or
 * SEARCH_EXACT only, and with typo corrections when typos is set. */
int search_expr_build(struct store *st, const struct search_word *w, int n, bool exact,
    bool typos, struct search_expr *e);
void search_expr_free(struct search_expr *e);

#endif
