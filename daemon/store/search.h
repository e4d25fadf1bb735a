/* Search and listing over the store: FTS5 ranked search with bounded work. */
#ifndef SEARCH_H
#define SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

/* How many matching records (newest first) are scored for one query. A
 * very frequent word matches most of the store; scoring every match would
 * make a query cost O(matches), so ranking looks at the newest
 * SEARCH_CANDIDATES records, reading at most SEARCH_CANDIDATE_ROWS texts.
 * Records of this node and of its peers' communities are then looked for
 * on their own, so that a flood of newer records cannot push them out. */
#define SEARCH_CANDIDATES 600
#define SEARCH_CANDIDATE_ROWS 1200
/* Fewer records than this found: the typo fallback runs. */
#define SEARCH_FEW 3
/* Texts a search indexes first, at most, of those committed and not yet
 * indexed (store_index.c): a search right after a sync or an import finds
 * what came, and one behind a large backlog still answers in a bounded
 * time (store_index_pending then says that some texts are not searchable
 * yet). */
#define SEARCH_INDEX_MAX 4096
#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_HITS 1000
#define LIST_DEFAULT_LIMIT 50

/* How a hit matched, best first: what the user typed, then without
 * diacritics, then another form of the word, then Cyrillic typed in Latin
 * letters, then with a typo. A hit takes the worst over the query words. */
enum search_match {
	SEARCH_EXACT, SEARCH_FOLDED, SEARCH_STEMMED, SEARCH_TRANSLIT, SEARCH_TYPO,
	SEARCH_MATCH_COUNT
};

/* "exact", "folded", "stemmed", "transliterated", "typo". */
const char *search_match_name(enum search_match m);

struct search_filter {
	int kind;                      /* 0 = any */
	bool has_author;
	uint8_t author[TESS_KEY_LEN];
	const char *lang;              /* NULL = any */
	const char *tag;               /* NULL = any */
	uint32_t limit;                /* 0 = default */
	bool exact;                    /* search: the surface forms only */
};

struct search_hit {
	uint64_t seq;
	double score;                  /* lower is better (within a form and tier) */
	enum search_match match;
	char *lang;                    /* language of the best matching text */
	char *snippet;                 /* matches wrapped in [ ] */
};

/* Ranked search. The query is words (a trailing * makes a prefix of at
 * least two letters), all of which must match in one of their forms
 * (docs/search.md); hits are ranked by how they matched, then records of
 * this node and its peers' communities, then bm25. An author that is
 * neither this node nor a peer holds at most a fifth of a page (at least
 * 2 hits) unless the filter names that author. *cause on -EINVAL. */
int search_query(struct store *st, const char *query, const struct search_filter *f,
    struct search_hit **hits, size_t *n, char **cause);
void search_hits_free(struct search_hit *hits, size_t n);

/* Live records matching the filter, newest first by their timestamp
 * clamped to their arrival here (a timestamp in the future cannot keep a
 * record on top): *seqs malloc'd. */
int search_list(struct store *st, const struct search_filter *f, uint64_t **seqs, size_t *n);

/* Every record (tombstones included) stored at a seq above after, of
 * f->author or of every author when !f->has_author, oldest first: *seqs
 * malloc'd. Any failure, a step that fails midway included, returns negative
 * with *cause set (malloc'd) and nothing in *seqs: an export never passes a
 * part for the whole. */
int search_export(struct store *st, const struct search_filter *f, uint64_t after,
    uint64_t **seqs, size_t *n, char **cause);


#endif
