/* Store: SQLite (WAL) holding signed records, authors, peer checkpoints.
 *
 * Every stored record version gets a local sequence number (seq), strictly
 * increasing, never reused; a store has a random epoch created with it. A peer
 * that remembers (epoch, seq) asks only for what came after. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "core/tessera.h"

struct config;

#define STORE_DB_FILE "tessera.db"
/* The schema version before the migration that packs stems in the search
 * index (store_migrate.c); tests build such a store. */
#define STORE_V_STEM_PACK 5
/* The schema version before the migration that indexes words changed by
 * folding under their folded form (store_migrate.c). */
#define STORE_V_SURFACE_PACK 9
/* The schema version before the migration that moves the typo fallback's
 * trigrams into FTS5 (vocab_fts, store_migrate.c). */
#define STORE_V_VOCAB_FTS 11
/* The schema version before the migration that sets FTS5's automerge to
 * 8 (store_migrate.c). */
#define STORE_V_AUTOMERGE 13
/* The schema version before the migration that lets FTS5 gather 8 MB of
 * new terms before it writes a segment (store_migrate.c). */
#define STORE_V_HASHSIZE 14
/* The schema version before the migration that keeps FTS5's 2-character
 * prefix index only (store_migrate.c). */
#define STORE_V_PREFIX2 15

enum store_put_result {
	STORE_STORED,        /* new record or newer version */
	STORE_DUPLICATE,     /* this exact version is already here */
	STORE_STALE,         /* an older version than the one stored */
	STORE_EQUIVOCATION,  /* same author and version, different bytes: flagged; the
	                      * stored one has the smaller signature and stays */
	STORE_EQUIVOCATION_REPLACED,  /* the same conflict, but the new one has the
	                      * smaller signature: it replaced the stored one */
	STORE_BLOCKED,       /* author blocked by the operator */
	STORE_QUOTA,         /* author over its record quota */
	STORE_NOT_AUTHOR,    /* id belongs to another author */
	STORE_FUTURE,        /* timestamp further in the future than the allowed
	                      * clock skew (store_set_max_skew): nothing stored */
	STORE_OVER_BUDGET,   /* from a peer over its daily budget for new authors */
	STORE_DISPUTED,      /* a second rotation of a rotated key, or a change to a
	                      * rotation record: refused, the dispute kept
	                      * (store/store_rotate.h) */
};

/* What one peer may make us store per UTC day from authors the node has not
 * seen before (no record stored, or first stored today from a peer): how
 * many such authors it may introduce, and how many records and signed bytes
 * of such authors it may send. Authors known before today, our own, those
 * imported by the operator and the peer itself (its pinned key) are not
 * charged. */
struct store_budget {
	uint32_t new_authors;
	uint32_t new_records;
	uint64_t new_bytes;
};
#define STORE_BUDGET_DEFAULT { 200, 50000, 128ULL * 1024 * 1024 }

struct store_stats {
	uint64_t records;     /* live records */
	uint64_t tombstones;
	uint64_t seq;         /* highest sequence number */
	uint64_t db_bytes;
};

struct store_author {
	uint8_t author[TESS_KEY_LEN];
	char *name, *country, *languages;   /* languages comma-separated */
	char *key;                          /* names_key(name), NULL if none */
	size_t alike;                       /* index of a look-alike, or NAMES_NONE */
	uint64_t records;
	bool blocked;
};

/* What a community given by the user resolved to. */
struct store_match {
	uint8_t author[TESS_KEY_LEN];
	bool by_name;            /* matched by its name, not by its ID */
	uint64_t records;        /* live records held (0 if unknown) */
	char *name;              /* its profile name, NULL if none */
	char **cands;            /* -EEXIST: "ID  name" per candidate, at most 16 */
	size_t n_cands, n_found;
};

struct store_peer {
	uint8_t epoch[TESS_EPOCH_LEN];
	bool has_epoch;
	uint64_t seq;            /* highest peer sequence fully applied */
	int64_t last_sync;       /* ms */
	uint64_t received, sent, rejected;
	/* Today's budget for new authors (zero when the stored day is past). */
	uint64_t new_authors, new_records, new_bytes;
	uint64_t over_budget;    /* records refused today over the budget */
};

/* Opens (creating when create is true) DIR/tessera.db and migrates it.
 * Refuses to create over an existing database. */
int store_open(const char *dir, bool create, struct store **out, char **cause);

/* What store_open takes, for a store run under a simulated clock and seed
 * (tests/sim): the same store, with its time and its epoch as inputs. */
struct store_opts {
	bool create;
	/* Wall clock, microseconds since the Unix epoch, for the store's own
	 * uses of time (the sequence jump at open, checkpoint times, own
	 * versions); NULL: the real clock. */
	uint64_t (*clock_us)(void *arg);
	void *clock_arg;
	/* The epoch of a store being created; NULL: random. */
	const uint8_t *epoch;
};
int store_open_opts(const char *dir, const struct store_opts *o, struct store **out,
    char **cause);
void store_close(struct store *st);
/* Bytes SQLite holds now, process-wide (page caches, statements, FTS). */
uint64_t store_memory_used(void);
/* Gives back the memory an idle store can do without: SQLite's page cache
 * and the tokenizer's word cache, both filled again on demand. Costs the
 * next few reads a trip to the OS page cache, so only for a node at rest.
 * The bytes freed (to malloc: returning them to the system is the
 * caller's, process_trim()). */
uint64_t store_release_memory(struct store *st);
/* The database handle, for the store's own files and the tests (only
 * store/ includes sqlite3.h). */
struct sqlite3;
struct sqlite3 *store_db(struct store *st);
const uint8_t *store_epoch(const struct store *st);
/* The quota bounds what other communities can make us store; our own
 * community (set with store_set_local) is not subject to it. */
void store_set_quota(struct store *st, uint32_t max_records_per_author);
void store_set_local(struct store *st, const uint8_t author[TESS_KEY_LEN]);
/* A record whose timestamp is more than ms after this node's clock is
 * refused (STORE_FUTURE): otherwise an author could date its records in
 * year 9999 and keep them first in every list by date, for ever. */
#define STORE_MAX_SKEW_MS (24LL * 60 * 60 * 1000)
void store_set_max_skew(struct store *st, int64_t ms);
/* The quota, the clock skew and the budgets from the configuration. */
void store_set_limits(struct store *st, const struct config *c);
/* The per-peer daily budget for new authors (see struct store_budget). */
void store_set_budget(struct store *st, const struct store_budget *b);
/* Whether records of peer were refused over its budget on an earlier day
 * and not asked for again since: if so *retry is set and the mark cleared,
 * so that the caller asks for them once more (today's budget applies). A
 * write: not while another transaction is open. */
int store_budget_retry(struct store *st, const uint8_t peer[TESS_KEY_LEN], bool *retry);
/* The wall clock (ms) the budget's days come from; by default the store's
 * clock (store_opts.clock_us, else the real one). */
void store_set_clock(struct store *st, int64_t (*now)(void));

/* Group writes for speed and atomicity. Nested calls are not allowed. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Stores a verified record (body/sig are the exact signed bytes, r their
 * decoding). Atomic on its own; inside store_begin/commit it joins that
 * transaction, and a failure means the caller must roll it back. Returns 0
 * with *res set, or negative on storage failure (-ENOSPC: disk full). */
int store_put(struct store *st, const uint8_t *body, size_t len, const uint8_t *sig,
    const Tessera__Record *r, enum store_put_result *res);
/* Same, remembering the peer the record came from (never offered back to it). */
int store_put_from(struct store *st, const uint8_t *body, size_t len, const uint8_t *sig,
    const Tessera__Record *r, const uint8_t *origin, enum store_put_result *res);
/* Cheap dedupe before the signature check: the stored version of id (0 if
 * none). */
int store_have(struct store *st, const uint8_t id[TESS_ID_LEN], uint64_t *version);
/* The signed bytes of a record: *body malloc'd. -ENOENT if absent. */
int store_get(struct store *st, const uint8_t id[TESS_ID_LEN], uint8_t **body, size_t *len,
    uint8_t sig[TESS_SIG_LEN], uint64_t *seq);
int store_get_seq(struct store *st, uint64_t seq, uint8_t **body, size_t *len,
    uint8_t sig[TESS_SIG_LEN]);
/* The length of a record's signed bytes, without copying them. */
int store_get_len(struct store *st, const uint8_t id[TESS_ID_LEN], size_t *len);
/* Record ids starting with a hex prefix (up to max; *n = total found, capped at max+1). */
int store_find_prefix(struct store *st, const char *hex, uint8_t (*ids)[TESS_ID_LEN],
    size_t max, size_t *n);

/* Changes after since, in seq order: calls cb for at most limit records.
 * cb returns 0 to go on, 1 to stop after this record, STORE_CHANGES_BEFORE
 * to stop before it, negative to fail. *last is the highest seq consumed
 * (since if none). */
#define STORE_CHANGES_BEFORE 2
typedef int (*store_change_cb)(void *arg, uint64_t seq, const uint8_t *id,
    const uint8_t *author, uint64_t version, const uint8_t *origin);
int store_changes(struct store *st, uint64_t since, size_t limit, store_change_cb cb,
    void *arg, uint64_t *last);

/* Next version number for our own records: above every version of ours we
 * have ever seen, and at least the current time in microseconds, so that a
 * node restored from an old backup cannot reuse a number it used before. */
uint64_t store_next_version(struct store *st, const uint8_t author[TESS_KEY_LEN]);

int store_stats(struct store *st, struct store_stats *s);
/* Live records by Kind value (0 holds unknown kinds) and tombstones. */
#define STORE_KINDS 5
struct store_kinds {
	uint64_t live[STORE_KINDS];
	uint64_t tombstones;
};
int store_count_kinds(struct store *st, struct store_kinds *k);
/* The limit communities holding the most live records (ties: by key; name
 * and records filled), how many communities store_authors would list, and
 * their live records: the metrics endpoint's view, whose size does not
 * grow with the number of authors. Free with store_communities_free. */
struct store_communities {
	struct store_author *top;
	size_t n_top;
	uint64_t total;
	uint64_t records;
};
int store_count_communities(struct store *st, size_t limit, struct store_communities *out);
void store_communities_free(struct store_communities *c);
/* Authors with at least one record or a profile, each with the index of
 * another whose name looks the same (core/names.h). Free with
 * store_authors_free. */
int store_authors(struct store *st, struct store_author **out, size_t *n);
void store_authors_free(struct store_author *a, size_t n);
/* Resolves a community given by the user. Names never override identities:
 * a full node ID (even of a community never heard of) or a prefix of known
 * IDs first; only text that is no ID prefix at all is taken as a name, and
 * matches when exactly one community's name has its key (core/names.h).
 * Returns 0, -ENOENT, -EEXIST (ambiguous: m->cands lists the candidates)
 * or -ENOMEM; free m with store_match_free in every case. */
int store_resolve_author(struct store *st, const char *text, struct store_match *m);
void store_match_free(struct store_match *m);
/* Marks an author blocked and removes its records, or unblocks it. */
int store_block(struct store *st, const uint8_t author[TESS_KEY_LEN], bool blocked,
    uint64_t *removed);
bool store_is_blocked(struct store *st, const uint8_t author[TESS_KEY_LEN]);
/* Blocks (or unblocks) every author peer introduced, removing their records,
 * and refuses (or accepts again) new authors from that peer. *authors is
 * how many authors it introduced. Our own community is never blocked. */
int store_block_peer(struct store *st, const uint8_t peer[TESS_KEY_LEN], bool blocked,
    uint64_t *authors, uint64_t *removed);
/* Name from the author's profile; malloc'd, NULL if unknown. */
char *store_author_name(struct store *st, const uint8_t author[TESS_KEY_LEN]);

/* Peer checkpoints and counters. */
int store_peer_get(struct store *st, const uint8_t id[TESS_KEY_LEN], struct store_peer *p);
int store_peer_checkpoint(struct store *st, const uint8_t id[TESS_KEY_LEN],
    const uint8_t epoch[TESS_EPOCH_LEN], uint64_t seq);
int store_peer_count(struct store *st, const uint8_t id[TESS_KEY_LEN], uint64_t received,
    uint64_t sent, uint64_t rejected);

/* Key/value metadata. */
int store_meta_get(struct store *st, const char *key, char **value);
int store_meta_set(struct store *st, const char *key, const char *value);

/* Storage full: a write failed for lack of space (or over RLIMIT_FSIZE)
 * and no commit has gone through since. *why (may be NULL) says what
 * failed. cb is called once on entering (full true) and once on leaving. */
typedef void (*store_full_cb)(void *arg, bool full);
bool store_full(const struct store *st, const char **why);
void store_on_full(struct store *st, store_full_cb cb, void *arg);
/* A write outside SQLite (an attachment's file) failed with errno err:
 * for ENOSPC, EDQUOT or EFBIG the store enters the full state (logged once)
 * and this returns true; any other error is the caller's to report. */
bool store_space_error(struct store *st, const char *what, int err);
/* Tries a write transaction of 64 KiB: 0 if it went through. It does not
 * leave the full state by itself (see store_clear_full). */
int store_probe(struct store *st);
/* Writes refused for lack of space since the store was opened. */
uint64_t store_refusals(const struct store *st);
/* Leaves the full state (logged) without a commit of real data. */
void store_clear_full(struct store *st);

/* A short description of the last SQLite error. */
const char *store_errmsg(struct store *st);

/* Search indexing (store_index.c). A commit makes a record held; its
 * texts are indexed afterwards, in rowid order, a slice at a time.
 * Texts indexed per slice when the caller does not say: a few ms. */
#define STORE_INDEX_SLICE 256
/* Texts committed and not yet indexed: O(1). */
bool store_index_pending(const struct store *st);
/* How many texts wait to be indexed (a count over them). */
uint64_t store_index_behind(struct store *st);
/* Indexes the next max_texts waiting texts in a transaction of their own
 * (or in the caller's, if one is open): 0, or a negative errno with
 * nothing indexed (-ENOSPC at once while storage is full). */
int store_index_step(struct store *st, size_t max_texts);
/* Indexes up to max_texts waiting texts, in one transaction (as
 * store_index_step). */
int store_index_catch_up(struct store *st, size_t max_texts);

/* Tokenizing ahead (docs/search.md, "Tokenized ahead"): while the loop
 * indexes a slice, a pool thread tokenizes the texts of the next one, and
 * that slice replays the tokens instead of computing them. */
struct store_prep;
/* Copies up to max_texts of the texts that will still wait once the next
 * slice of slice_texts texts is indexed. NULL when none wait, when a batch
 * is being tokenized already, or out of memory: indexing then tokenizes
 * as it goes. */
struct store_prep *store_index_prepare(struct store *st, size_t slice_texts,
    size_t max_texts);
/* On a pool thread (node_pool_run's run): tokenizes the batch. */
void store_index_prep_run(void *prep);
/* Back on the loop after store_index_prep_run: the batch is ready. */
void store_index_prep_done(struct store *st, struct store_prep *prep);
/* store_index_step, replaying prep (NULL: none) for the texts it holds. */
int store_index_step_with(struct store *st, size_t max_texts, struct store_prep *prep);
/* Texts (column values) in prep, and those replayed so far (tests,
 * benchmarks). */
size_t store_prep_texts(const struct store_prep *prep);
size_t store_prep_replayed(const struct store_prep *prep);
/* Accepts NULL; never while store_index_prep_run runs. */
void store_prep_free(struct store_prep *prep);

/* Highest sequence number of a stored record (0 for an empty store). */
uint64_t store_max_seq(struct store *st);
/* The sequence high-water mark: every number handed out so far is below or
 * at it (it jumps forward at each open, see store.c). */
uint64_t store_seq_mark(struct store *st);

#endif
