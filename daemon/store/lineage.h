/* The lineage of a practice: where it came from and where it went.
 *
 * Built from any record of the tree (the practice or any adoption of it):
 * walk up the adoptions' sources to the origin, then down the index of
 * adoptions by source (store_adopt.h). Each adoption's parent is the one it
 * was learned from: the adoption of the same source by its "via" community
 * when there is one, else its source. A hostile author can make sources or
 * via-chains loop: the walk keeps a visited set, the parents stay a tree
 * (a via that would close a loop is ignored), and the whole is bounded by
 * LINEAGE_MAX_NODES and LINEAGE_MAX_DEPTH. The same struct feeds the CLI
 * (ctl) and any other view. */
#ifndef LINEAGE_H
#define LINEAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

#define LINEAGE_MAX_NODES 500
#define LINEAGE_MAX_DEPTH 64      /* source steps walked up or down */
#define LINEAGE_NONE SIZE_MAX

enum lineage_state {
	LINEAGE_PRESENT,
	LINEAGE_MISSING,          /* named as a source, not arrived (yet) */
	LINEAGE_WITHDRAWN,        /* deleted by its author: a tombstone */
};

struct lineage_node {
	uint8_t id[TESS_ID_LEN];
	uint8_t author[TESS_KEY_LEN];   /* MISSING: the author its adopters name */
	bool has_author;
	char *name, *country;           /* the author's profile; NULL if unknown */
	char *title;                    /* in the asked language when it has one */
	int kind;                       /* 0 when missing */
	enum lineage_state state;
	int status;                     /* adoptions: planned, running, ended */
	char started[11], ended[11];    /* YYYY-MM-DD or "" */
	bool has_via;
	uint8_t via[TESS_KEY_LEN];
	char *via_name;
	bool via_absent;                /* via has no adoption of the same source here */
	size_t source;                  /* the node it names as source; NONE: origin */
	size_t parent;                  /* learned from; NONE for the origin */
	unsigned depth;                 /* parent steps to the origin */
	int64_t timestamp;              /* the author's, ms */
	uint8_t source_id[TESS_ID_LEN], source_author[TESS_KEY_LEN];
	bool has_source;
};

struct lineage {
	struct lineage_node *nodes;     /* the origin first, then depth first:
	                                 * every parent before its children */
	size_t n, cap;
	size_t start;                   /* the node asked about */
	unsigned depth;                 /* the deepest node's */
	size_t communities, countries;  /* distinct, among records present or withdrawn */
	bool truncated;                 /* a bound was reached: more exist */
	bool cycle;                     /* sources loop; the origin is where it was cut */
};

/* Builds the tree of the practice record id belongs to (id must be stored,
 * perhaps as a tombstone). lang (may be NULL) picks the titles' language.
 * Returns 0, -ENOENT (id not stored), -ENOMEM or -EIO with *cause set;
 * free out with lineage_free in every case. */
int lineage_build(struct store *st, const uint8_t id[TESS_ID_LEN], const char *lang,
    struct lineage *out, char **cause);
void lineage_free(struct lineage *l);

const char *lineage_state_name(enum lineage_state s);

#endif
