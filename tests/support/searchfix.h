/* The search tests' fixture: the demo data imported into a shared store,
 * a fresh store per writing test, and query helpers. */
#ifndef SEARCHFIX_H
#define SEARCHFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/identity.h"
#include "core/record.h"
#include "store/search.h"
#include "store/store.h"

/* The demo files, one community (identity) each. */
enum { CATALONIA, EVORA, ITALY, NAGYKOVACSI, ROMANIA, WALES, NFILES };

#define SEARCHFIX_MAX_RECORDS 64

struct searchfix_rec {
	int file;
	int line;                   /* 1-based line in the file */
	int kind;
	uint8_t id[TESS_ID_LEN];
	uint64_t seq;
};

struct searchfix {
	char base[64];
	char iddir[NFILES][96], storedir[96];
	struct identity *id[NFILES];
	struct store *st;           /* the demo data, shared and never modified */
	struct searchfix_rec rec[SEARCHFIX_MAX_RECORDS];
	size_t nrec;
	char freshdir[96];          /* a store of the test's own */
	struct store *fresh;
};

/* Imports the demo data from datadir into a new store (a group setup). */
int searchfix_group_setup(void **state, const char *datadir);
/* Closes and removes everything searchfix_group_setup made. */
int searchfix_group_teardown(void **state);
/* Opens a fresh empty store for tests that write. */
int searchfix_setup_fresh(void **state);
/* Closes and removes the fresh store. */
int searchfix_teardown_fresh(void **state);
/* The sequence number of the stored version of id. */
uint64_t searchfix_seq_of(struct store *st, const uint8_t id[TESS_ID_LEN]);
/* The imported record stored as seq; fails the test if there is none. */
const struct searchfix_rec *searchfix_by_seq(const struct searchfix *fx, uint64_t seq);
/* The record imported from line of file; fails the test if there is none. */
const struct searchfix_rec *searchfix_by_line(const struct searchfix *fx, int file, int line);
/* Decodes the record stored as seq. */
Tessera__Record *searchfix_load_seq(struct store *st, uint64_t seq);
/* Fails the test unless the FTS index holds exactly the texts table. */
void searchfix_fts_ok(struct store *st);
/* Runs a search that must succeed with no record twice; f may be NULL. */
struct search_hit *searchfix_query(struct store *st, const char *q,
    const struct search_filter *f, size_t *n);
/* How many records q finds (searchfix_query). */
size_t searchfix_count(struct store *st, const char *q);
/* True if hits[0..n) include record seq. */
bool searchfix_has_hit(const struct search_hit *hits, size_t n, uint64_t seq);
/* q finds exactly the given lines of one file (line 0 ends the list), in lang. */
void searchfix_expect_hits(struct searchfix *fx, const char *q, const char *lang,
    int file, const int *lines);

#endif
