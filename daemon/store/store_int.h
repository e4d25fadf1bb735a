/* Private to store.c, store_record.c and search.c. */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

enum store_stmt {
	S_HAVE, S_GET_BY_ID, S_GET_BY_SEQ, S_DELETE_RECORD, S_INSERT_RECORD,
	S_DELETE_TEXTS, S_INSERT_TEXT, S_INSERT_META, S_DELETE_META, S_DELETE_TAGS, S_INSERT_TAG,
	S_AUTHOR_GET, S_AUTHOR_UPSERT, S_AUTHOR_COUNT, S_AUTHOR_PROFILE,
	S_CHANGES, S_PEER_GET, S_PEER_CHECKPOINT, S_PEER_COUNT, S_META_GET, S_META_SET,
	S_VOCAB_ADD, S_VOCAB_TRI,
	S_COUNT
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	uint8_t epoch[TESS_EPOCH_LEN];
	uint32_t quota;
	uint8_t local[TESS_KEY_LEN];   /* our own author: not subject to the quota */
	bool has_local;
	uint64_t last_version;   /* last own version handed out */
	char *path;
	struct tokenizer *tok;    /* the search tokenizer, owned by db */
	sqlite3_int64 fts_upto;   /* texts rowids up to here are in the FTS index */
	size_t fts_pending;       /* texts added since, about */
	/* Storage full: set by a write that failed for lack of space, cleared
	 * by the next commit; on_full hears of both transitions. */
	bool full;
	uint64_t refusals;        /* writes refused for lack of space, ever */
	char full_why[192];
	store_full_cb on_full;
	void *on_full_arg;
};

/* Prepared statement, reset and cleared, or NULL (logged) on failure. */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt which);
/* Maps an SQLite result code to a negative errno and logs it: -ENOSPC for
 * SQLITE_FULL and for a write refused with ENOSPC, EDQUOT or EFBIG (which
 * also enter the storage-full state, logged once). */
int store_err(struct store *st, int rc, const char *what);
/* A commit went through: leaves the storage-full state. */
void store_writable(struct store *st);

/* Runs sql; *cause names the database on failure (-EIO). */
int store_exec(struct store *st, const char *sql, char **cause);
/* Brings the schema to the latest version (store_migrate.c). */
int store_migrate(struct store *st, char **cause);
/* Indexes the texts with rowids in (lo, hi], and their new words. */
int store_fts_index(struct store *st, sqlite3_int64 lo, sqlite3_int64 hi);
/* Texts indexed in one go inside a long transaction: large enough that
 * FTS5 writes few segments, small enough that no single write waits long. */
#define STORE_FTS_BATCH 5000
/* Indexes texts added since the last flush; call before COMMIT. */
int store_fts_flush(struct store *st);
/* Adds the words the tokenizer indexed since the last call to the typo
 * vocabulary (search_typo.c). */
int store_vocab_flush(struct store *st);

#endif
