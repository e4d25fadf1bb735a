/* Store: search indexing off the commit path.
 *
 * A commit stores a record's texts; the FTS index takes them later, in
 * rowid order, in slices of their own transactions (store_index_step),
 * when the node's loop is quiet or before a search. The meta row
 * STORE_INDEX_KEY says how far it got: every text with a rowid up to it is
 * in the index, none above. It moves in the transaction that indexes, so a
 * crash or a rollback leaves the two in agreement, and the FTS delete
 * trigger (store_migrate.c) removes a text from the index only when its
 * rowid is at or below the mark. */
#include "store/store_int.h"
#include "store/tokenizer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* The first column of the cached statement's first row, ?1 and ?2 (where
 * it has them) bound to a and b; dflt for no row or NULL; *err set on
 * failure. Cached: a slice runs several of these, and preparing them
 * again each time cost more than running them. */
static sqlite3_int64
query_i64(struct store *st, enum store_stmt which, sqlite3_int64 a, sqlite3_int64 b,
    sqlite3_int64 dflt, int *err)
{
	sqlite3_stmt *s = store_stmt(st, which);
	sqlite3_int64 v = dflt;
	int rc;

	if (s == NULL) {
		*err = -EIO;
		return dflt;
	}
	if (sqlite3_bind_parameter_count(s) >= 1)
		sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, b);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			v = sqlite3_column_int64(s, 0);
	} else if (rc != SQLITE_DONE) {
		*err = store_err(st, rc, "index");
	}
	sqlite3_reset(s);
	return v;
}

static void
behind_less(struct store *st, sqlite3_int64 n)
{
	st->fts_behind = st->fts_behind > n ? st->fts_behind - n : 0;
}

/* Indexes the texts with rowids in (lo, hi], and their new words. */
int
store_fts_index(struct store *st, sqlite3_int64 lo, sqlite3_int64 hi)
{
	sqlite3_stmt *s = store_stmt(st, S_FTS_INDEX);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	/* A batch tokenized ahead is done with: its new words join the sink
	 * before it is flushed. */
	if (st->tok != NULL)
		tokenizer_prep_use(st->tok, NULL);
	if (rc != SQLITE_DONE)
		return store_err(st, rc, "index");
	/* One FTS row per text: what left the backlog. */
	if (st->fts_behind >= 0)
		behind_less(st, sqlite3_changes64(st->db));
	return store_vocab_flush(st);
}

void
store_index_added(struct store *st, sqlite3_int64 rowid)
{
	st->fts_top = rowid;
	if (st->fts_behind >= 0)
		st->fts_behind++;
}

int
store_index_removing(struct store *st, sqlite3_int64 seq)
{
	int err = 0;
	sqlite3_int64 n;

	if (st->fts_behind <= 0)
		return 0;
	n = query_i64(st, S_INDEX_BEHIND_SEQ, seq, st->fts_upto, 0, &err);
	if (err != 0)
		return err;
	behind_less(st, n);
	return 0;
}

int
store_index_mark(struct store *st, sqlite3_int64 upto)
{
	char buf[24];
	int rc;

	snprintf(buf, sizeof(buf), "%lld", (long long)upto);
	if ((rc = store_meta_set(st, STORE_INDEX_KEY, buf)) != 0)
		return rc;
	st->fts_upto = upto;
	return 0;
}

void
store_index_reload(struct store *st)
{
	char *mark = NULL;
	int err = 0;

	/* A rollback may have taken words out of the vocabulary. */
	if (st->tok != NULL)
		tokenizer_sink_forget(st->tok);
	st->fts_behind = -1;   /* counted again when asked */
	st->fts_top = query_i64(st, S_INDEX_TOP, 0, 0, 0, &err);
	/* No mark (a store a test took back to an older schema): everything
	 * committed is indexed, as it was then. */
	st->fts_upto = st->fts_top;
	if (store_meta_get(st, STORE_INDEX_KEY, &mark) == 0) {
		st->fts_upto = strtoll(mark, NULL, 10);
		free(mark);
	}
}

bool
store_index_pending(const struct store *st)
{
	return st->fts_top > st->fts_upto;
}

uint64_t
store_index_behind(struct store *st)
{
	int err = 0;
	sqlite3_int64 n;

	if (!store_index_pending(st))
		return 0;
	/* Counting the rows took a pass over the backlog's wide texts rows at
	 * every status request: a third of the receiver's loop in a 100,000-
	 * record sync polled every 20 ms (docs/benchmarks.md). Now once. */
	if (st->fts_behind < 0) {
		n = query_i64(st, S_INDEX_BEHIND, st->fts_upto, 0, 0, &err);
		if (err != 0)
			return 0;
		st->fts_behind = n > 0 ? n : 0;
	}
	return (uint64_t)st->fts_behind;
}

sqlite3_int64
store_index_slice_end(struct store *st, size_t max_texts, int *err)
{
	return query_i64(st, S_INDEX_NEXT, st->fts_upto, (sqlite3_int64)max_texts, 0, err);
}

/* One slice in the caller's transaction: the next max_texts texts. */
static int
step_locked(struct store *st, size_t max_texts)
{
	int rc = 0;
	sqlite3_int64 hi = store_index_slice_end(st, max_texts, &rc);

	if (rc != 0)
		return rc;
	if (hi == 0) {   /* what was pending was deleted before being indexed */
		st->fts_top = st->fts_upto;
		st->fts_behind = 0;
		return 0;
	}
	if ((rc = store_fts_index(st, st->fts_upto, hi)) != 0)
		return rc;
	return store_index_mark(st, hi);
}

static int
step_locked_fn(struct store *st, void *max_texts)
{
	return step_locked(st, *(size_t *)max_texts);
}

int
store_index_step(struct store *st, size_t max_texts)
{
	if (!store_index_pending(st) || max_texts == 0)
		return 0;
	/* While storage is full, nothing is indexed: a slice that fits in the
	 * slack of SQLite's files would count as "writable again" and make the
	 * full state flap, and would take the room the records held for us
	 * need first. The texts wait (search finds them once space is back). */
	if (st->full)
		return -ENOSPC;
	/* Inside the caller's transaction (an import holding it), the slice
	 * is part of it: committed or rolled back with it, mark included.
	 * Alone, a slice needs no fsync of its own: lost in a power cut, it is
	 * indexed again from the mark, which it carries. The next durable
	 * commit syncs the log with it. (An fsync per slice made indexing
	 * after a 20,000-record sync take 4x its CPU time in wall time.) */
	return store_unsynced(st, step_locked_fn, &max_texts);
}

int
store_index_catch_up(struct store *st, size_t max_texts)
{
	/* The caller waits for all of it: one transaction, one FTS5 segment
	 * (a commit per STORE_INDEX_SLICE texts cost 1.6 times as much). */
	return store_index_step(st, max_texts);
}
