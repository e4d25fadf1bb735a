/* Search and listing over the store: FTS5 ranked search with bounded work. */
#ifndef SEARCH_H
#define SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

/* How many matching texts (newest first) are scored for one query. A very
 * frequent word matches most of the store; scoring every match would make a
 * query cost O(matches), so ranking looks at the newest SEARCH_CANDIDATES. */
#define SEARCH_CANDIDATES 600
#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_HITS 1000
#define LIST_DEFAULT_LIMIT 50

struct search_filter {
	int kind;                      /* 0 = any */
	bool has_author;
	uint8_t author[TESS_KEY_LEN];
	const char *lang;              /* NULL = any */
	const char *tag;               /* NULL = any */
	uint32_t limit;                /* 0 = default */
};

struct search_hit {
	uint64_t seq;
	double score;                  /* bm25: lower is better */
	char *lang;                    /* language of the best matching text */
	char *snippet;                 /* matches wrapped in [ ] */
};

/* Ranked search. The query is words (a trailing * makes a prefix), all of
 * which must match; diacritics and case are ignored. *cause on -EINVAL. */
int search_query(struct store *st, const char *query, const struct search_filter *f,
    struct search_hit **hits, size_t *n, char **cause);
void search_hits_free(struct search_hit *hits, size_t n);

/* Live records matching the filter, newest first: *seqs malloc'd. */
int search_list(struct store *st, const struct search_filter *f, uint64_t **seqs, size_t *n);

/* Every record (tombstones included) stored at a seq above after, of
 * f->author or of every author when !f->has_author, oldest first: *seqs
 * malloc'd. Any failure, a step that fails midway included, returns negative
 * with *cause set (malloc'd) and nothing in *seqs: an export never passes a
 * part for the whole. */
int search_export(struct store *st, const struct search_filter *f, uint64_t after,
    uint64_t **seqs, size_t *n, char **cause);

/* Builds the FTS5 expression for a user query (exported for tests). */
char *search_fts_expr(const char *query);

#endif
