/* Private to store.c, store_record.c and search.c. */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

enum store_stmt {
	S_HAVE, S_GET_BY_ID, S_GET_BY_SEQ, S_DELETE_RECORD, S_INSERT_RECORD,
	S_DELETE_TEXTS, S_INSERT_TEXT, S_INSERT_META, S_DELETE_META, S_DELETE_TAGS, S_INSERT_TAG,
	S_AUTHOR_GET, S_AUTHOR_UPSERT, S_AUTHOR_COUNT, S_AUTHOR_PROFILE, S_AUTHOR_DAY,
	S_BUDGET_GET, S_BUDGET_SET,
	S_CHANGES, S_PEER_GET, S_PEER_CHECKPOINT, S_PEER_COUNT, S_META_GET, S_META_SET,
	S_FP_BUCKETS, S_FP_ITEMS, S_FP_AUTHOR, S_FP_ADD,
	S_VOCAB_ADD, S_VOCAB_TRI,
	S_FTS_INDEX, S_INDEX_TOP, S_INDEX_BEHIND, S_INDEX_BEHIND_SEQ, S_INDEX_NEXT, S_INDEX_TEXTS,
	S_ADOPT_PUT, S_ADOPT_CHILDREN, S_LINEAGE_AUTHOR,
	S_COUNT
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	uint8_t epoch[TESS_EPOCH_LEN];
	uint32_t quota;
	int64_t max_skew_ms;     /* how far in the future a record's timestamp may be */
	uint8_t local[TESS_KEY_LEN];   /* our own author: not subject to the quota */
	bool has_local;
	struct store_budget budget;   /* what one peer may introduce per day */
	int64_t (*now)(void);    /* wall clock, ms: the budget's day */
	uint64_t last_version;   /* last own version handed out */
	char *path;
	struct tokenizer *tok;    /* the search tokenizer, owned by db */
	sqlite3_int64 fts_upto;   /* texts rowids up to here are in the FTS index (store_index.c) */
	sqlite3_int64 fts_top;    /* the largest texts rowid written, or above: texts wait if > fts_upto */
	/* The texts above fts_upto, counted as they are written, indexed and
	 * removed; -1 when unknown (after a reload or a purge): counted again
	 * once, when asked (store_index_behind). */
	int64_t fts_behind;
	/* vocab_fts exists: known from the schema version (store_migrate.c),
	 * where reading sqlite_schema at every flush cost a prepare each. */
	bool vocab_fts;
	/* Storage full: set by a write that failed for lack of space, cleared
	 * by the next commit; on_full hears of both transitions. */
	bool full;
	uint64_t refusals;        /* writes refused for lack of space, ever */
	char full_why[192];
	store_full_cb on_full;
	void *on_full_arg;
	uint64_t (*clock_us)(void *arg);   /* NULL: the real clock */
	void *clock_arg;
	struct blobs *blobs;      /* attachment data (blob.c) */
	struct store_held_ring *held;   /* when records became held (store_held.c) */
};

/* Prepared statement, reset and cleared, or NULL (logged) on failure. */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt which);
/* Maps an SQLite result code to a negative errno and logs it: -ENOSPC for
 * SQLITE_FULL and for a write refused with ENOSPC, EDQUOT or EFBIG (which
 * also enter the storage-full state, logged once). */
int store_err(struct store *st, int rc, const char *what);
/* Before a write transaction: -ENOSPC (entering the storage-full state)
 * when the file system, or a file of the store under RLIMIT_FSIZE, has
 * less than 64 KiB left; else 0 (store_space.c). */
int store_space_check(struct store *st, const char *what);
/* A commit went through: leaves the storage-full state. */
void store_writable(struct store *st);

/* The held-at ring (store_held.h): a record stored in the open
 * transaction; stamped by the commit, forgotten by a rollback; freed with
 * the store. */
void store_held_note(struct store *st, const uint8_t *id, uint64_t version);
void store_held_commit(struct store *st);
void store_held_rollback(struct store *st);
void store_held_free(struct store *st);

/* Wall clock in microseconds: the store's clock (store_open_opts) or the
 * real one. */
uint64_t store_now_us(const struct store *st);

/* Fills the name key of every profile name that has none (stored before
 * schema version 2). */
int store_author_keys(struct store *st, char **cause);
/* The UTC day number of now, the unit of the budgets. */
int64_t store_day(const struct store *st);
/* Charges a record from peer origin to that peer's budget for the day if
 * its author is new to the node (no row) or was first stored today from a
 * peer: *res becomes STORE_OVER_BUDGET when it does not fit (counted in the
 * peer's row), else the record is counted. Call before the author's row is
 * created. Other authors, and records not from a peer, are not charged. */
int store_budget_charge(struct store *st, const Tessera__Record *r, size_t len,
    const uint8_t *origin, enum store_put_result *res);

/* Fills the budget fields of p: the peer's counters for today. */
int store_budget_get(struct store *st, const uint8_t id[TESS_KEY_LEN], struct store_peer *p);

/* Runs fn(st, arg) in a transaction whose commit does not wait for the
 * disk (WAL with synchronous = NORMAL: a kill -9 loses nothing committed,
 * a power cut may lose it until the next synced commit or checkpoint),
 * for writes that are safe to lose: the indexing mark, the attachment
 * bitmap. Inside the caller's transaction, fn joins it. 0 or negative
 * (fn's failure rolls back). */
int store_unsynced(struct store *st, int (*fn)(struct store *st, void *arg), void *arg);
/* Runs sql; *cause names the database on failure (-EIO). */
int store_exec(struct store *st, const char *sql, char **cause);
/* Brings the schema to the latest version (store_migrate.c). */
int store_migrate(struct store *st, char **cause);
/* Indexes the texts with rowids in (lo, hi], and their new words. */
int store_fts_index(struct store *st, sqlite3_int64 lo, sqlite3_int64 hi);
/* The schema version that indexes texts after their commit (store_migrate.c). */
#define STORE_SCHEMA_LAZY_INDEX 13
/* The meta key of the index mark: texts up to this rowid are indexed. */
#define STORE_INDEX_KEY "fts_upto"
/* The rowid the next slice of up to max_texts waiting texts ends at (0:
 * none waits; *err set on failure). store_index.c. */
sqlite3_int64 store_index_slice_end(struct store *st, size_t max_texts, int *err);
/* Sets the index mark (in the caller's transaction). */
int store_index_mark(struct store *st, sqlite3_int64 upto);
/* Reads the index mark and the last text back from the database: after
 * opening and after a rollback. */
void store_index_reload(struct store *st);
/* A text was written with this rowid: it waits to be indexed. */
void store_index_added(struct store *st, sqlite3_int64 rowid);
/* Before the texts of record seq are deleted: those not indexed yet leave
 * the backlog's count. */
int store_index_removing(struct store *st, sqlite3_int64 seq);
/* Adds the words the tokenizer indexed since the last call to the typo
 * vocabulary (search_typo.c). */
int store_vocab_flush(struct store *st);

#endif
