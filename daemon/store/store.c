/* Store: opening, transactions, metadata, authors, peers. */
#include "store/store_int.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "core/nodeid.h"
#include "core/util.h"
#include "store/blob.h"
#include "store/store_fp.h"
#include "store/tokenizer.h"

static void languages_load(struct store *st);
static int seq_jump(struct store *st, char **cause);

/* The bound of SQLite's page cache, KiB (see store_open). */
#define STORE_CACHE_KIB 65536
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)

static const char *stmt_sql[S_COUNT] = {
	[S_HAVE] = "SELECT version FROM records WHERE id = ?1",
	[S_GET_BY_ID] = "SELECT seq, author, version, deleted, body, sig, kind FROM records WHERE id = ?1",
	[S_GET_BY_SEQ] = "SELECT body, sig FROM records WHERE seq = ?1",
	[S_DELETE_RECORD] = "DELETE FROM records WHERE seq = ?1",
	[S_INSERT_RECORD] = "INSERT INTO records (id, author, version, kind, deleted, ts, body, sig,"
			    " origin, listed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, MIN(?6, ?10))",
	[S_DELETE_TEXTS] = "DELETE FROM texts WHERE seq = ?1",
	[S_INSERT_TEXT] = "INSERT INTO texts (seq, lang, title, summary, body, tags)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_INSERT_META] = "INSERT INTO text_meta (rowid, seq, lang, kind, author)"
			  " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_DELETE_META] = "DELETE FROM text_meta WHERE seq = ?1",
	[S_DELETE_TAGS] = "DELETE FROM tags WHERE seq = ?1",
	[S_INSERT_TAG] = "INSERT OR IGNORE INTO tags (tag, seq) VALUES (?1, ?2)",
	[S_AUTHOR_GET] = "SELECT blocked, stored, max_version FROM authors WHERE author = ?1",
	[S_AUTHOR_UPSERT] = "INSERT INTO authors (author, introduced_by, first_day)"
			    " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
	[S_AUTHOR_DAY] = "SELECT blocked, first_day FROM authors WHERE author = ?1",
	[S_BUDGET_GET] = "SELECT budget_day, new_authors, new_records, new_bytes, over_budget,"
			 " blocks_new FROM peers WHERE id = ?1",
	[S_BUDGET_SET] = "INSERT INTO peers (id, budget_day, new_authors, new_records, new_bytes,"
			 " over_budget) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE"
			 " SET budget_day = ?2, new_authors = ?3, new_records = ?4, new_bytes = ?5,"
			 " over_budget = ?6",
	[S_AUTHOR_COUNT] = "UPDATE authors SET records = records + ?2, stored = stored + ?4,"
			   " max_version = MAX(max_version, ?3) WHERE author = ?1",
	[S_AUTHOR_PROFILE] = "UPDATE authors SET name = ?2, country = ?3, languages = ?4,"
			     " profile_version = ?5, name_key = ?6"
			     " WHERE author = ?1 AND profile_version < ?5",
	[S_CHANGES] = "SELECT seq, id, author, version, origin FROM records WHERE seq > ?1"
		      " ORDER BY seq LIMIT ?2",
	[S_PEER_GET] = "SELECT epoch, seq, last_sync, received, sent, rejected FROM peers"
		       " WHERE id = ?1",
	[S_PEER_CHECKPOINT] = "INSERT INTO peers (id, epoch, seq, last_sync) VALUES (?1, ?2, ?3, ?4)"
			      " ON CONFLICT (id) DO UPDATE SET epoch = ?2, seq = ?3, last_sync = ?4",
	[S_PEER_COUNT] = "INSERT INTO peers (id, received, sent, rejected) VALUES (?1, ?2, ?3, ?4)"
			 " ON CONFLICT (id) DO UPDATE SET received = received + ?2,"
			 " sent = sent + ?3, rejected = rejected + ?4",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
	[S_FP_BUCKETS] = "SELECT n, acc FROM recon_fp WHERE b >= ?1 AND b < ?2",
	[S_FP_ADD] = "INSERT INTO recon_fp (b, n, acc) VALUES (?1, 1, ?2)"
		     " ON CONFLICT (b) DO UPDATE SET n = n + 1, acc = tess_fp_merge(acc, ?2, 1)",
	[S_FP_AUTHOR] = "SELECT author, version FROM records WHERE id = ?1",
	[S_FP_ITEMS] = "SELECT id, version FROM records WHERE id >= ?1 AND id < ?2 ORDER BY id"
		       " LIMIT ?3",
	[S_VOCAB_ADD] = "INSERT OR IGNORE INTO vocab (word) VALUES (?1)",
	[S_VOCAB_TRI] = "INSERT INTO vocab_fts (rowid, w) SELECT id, '$' || word || '$' FROM vocab"
	    " WHERE id >= ?1",
	/* Search indexing after the commit (store_index.c). */
	[S_FTS_INDEX] = "INSERT INTO texts_fts (rowid, title, summary, body, tags, who)"
	    " SELECT rid, title, summary, body, tags, who FROM texts_src WHERE rid > ?1 AND rid <= ?2",
	[S_INDEX_TOP] = "SELECT IFNULL(max(rowid), 0) FROM texts",
	[S_INDEX_BEHIND] = "SELECT count(*) FROM texts WHERE rowid > ?1",
	[S_INDEX_BEHIND_SEQ] = "SELECT count(*) FROM texts WHERE seq = ?1 AND rowid > ?2",
	[S_INDEX_NEXT] = "SELECT max(rowid) FROM (SELECT rowid FROM texts WHERE rowid > ?1"
	    " ORDER BY rowid LIMIT ?2)",
	/* The columns S_FTS_INDEX gives the tokenizer, in its order. */
	[S_INDEX_TEXTS] = "SELECT title, summary, body, tags FROM texts_src WHERE rid > ?1"
	    " ORDER BY rid LIMIT ?2",
	[S_ADOPT_PUT] = "INSERT OR REPLACE INTO adoptions (seq, source) VALUES (?1, ?2)",
	[S_ADOPT_CHILDREN] = "SELECT r.id FROM adoptions a JOIN records r ON r.seq = a.seq"
	    " WHERE a.source = ?1 ORDER BY r.ts, r.id LIMIT ?2",
	[S_LINEAGE_AUTHOR] = "SELECT name, country FROM authors WHERE author = ?1",
};

const char *
store_errmsg(struct store *st)
{
	return sqlite3_errmsg(st->db);
}

sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt which)
{
	sqlite3_stmt *s = st->stmt[which];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
			&st->stmt[which], NULL) != SQLITE_OK) {
			log_warnx("store: prepare: %s", sqlite3_errmsg(st->db));
			return NULL;
		}
		return st->stmt[which];
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

int
store_exec(struct store *st, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		set_cause(cause, -EIO, "%s: %s", st->path, err ? err : "error");
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}


uint64_t
store_now_us(const struct store *st)
{
	struct timespec ts;

	if (st->clock_us != NULL)
		return st->clock_us(st->clock_arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
load_epoch(struct store *st, bool create, const uint8_t *given, char **cause)
{
	char *hex = NULL;
	int rc = store_meta_get(st, "epoch", &hex);

	if (rc == 0) {
		rc = hex_decode(hex, st->epoch, TESS_EPOCH_LEN);
		free(hex);
		return rc == 0 ? 0 : set_cause(cause, -EINVAL, "%s: corrupt epoch", st->path);
	}
	if (rc != -ENOENT || !create)
		return set_cause(cause, -EINVAL, "%s: no epoch (not a tessera database?)", st->path);
	char buf[2 * TESS_EPOCH_LEN + 1];

	if (given != NULL)
		memcpy(st->epoch, given, TESS_EPOCH_LEN);
	else if (RAND_bytes(st->epoch, TESS_EPOCH_LEN) != 1)
		return set_cause(cause, -EIO, "random number generator failed");
	hex_encode(st->epoch, TESS_EPOCH_LEN, buf);
	if (store_meta_set(st, "epoch", buf) != 0)
		return set_cause(cause, -EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
	return 0;
}

int
store_open(const char *dir, bool create, struct store **out, char **cause)
{
	struct store_opts o = { .create = create };

	return store_open_opts(dir, &o, out, cause);
}

int
store_open_opts(const char *dir, const struct store_opts *o, struct store **out, char **cause)
{
	struct store *st;
	struct stat sb;
	bool create = o->create;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	st->quota = 100000;
	st->clock_us = o->clock_us;
	st->clock_arg = o->clock_arg;
	st->max_skew_ms = STORE_MAX_SKEW_MS;
	st->budget = (struct store_budget)STORE_BUDGET_DEFAULT;
	if ((st->path = strfmt("%s/%s", dir, STORE_DB_FILE)) == NULL) {
		free(st);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	if (stat(st->path, &sb) == 0) {
		if (create) {
			rc = set_cause(cause, -EEXIST, "%s: already exists", st->path);
			goto fail;
		}
	} else if (!create) {
		rc = set_cause(cause, -errno, "%s: %s", st->path, strerror(errno));
		goto fail;
	} else {
		flags |= SQLITE_OPEN_CREATE;
	}
	if (sqlite3_open_v2(st->path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = set_cause(cause, -EIO, "%s: %s", st->path,
		    st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	/* The fingerprint triggers call these: registered before migrating. */
	if (store_fp_register(st->db) != 0) {
		rc = set_cause(cause, -EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if ((rc = tokenizer_register(st->db, &st->tok, cause)) != 0)
		goto fail;
	/* WAL + synchronous=FULL: a commit is on disk when it returns, so what
	 * we acknowledge survives a crash or power loss. Exclusive locking: the
	 * daemon is the only user (it holds the data directory's lock), and
	 * shared locking cost two fcntl() calls per statement (a third of the
	 * CPU of serving a sync, measured). The page cache may grow to
	 * STORE_CACHE_KIB: records are keyed by hashes, so every insert lands
	 * on a random page of the id, author, tag and fingerprint B-trees
	 * (~21 MB at 100,000 records); with 8 MB those pages were read again
	 * from the OS on almost every insert, ever more as the store grew
	 * (docs/benchmarks.md, "what grew with the store"). It is filled only
	 * as pages are read, and given back at rest (store_release_memory). */
	if ((rc = store_exec(st, "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL;"
			   "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
			   "PRAGMA cache_size = -" STORE_STR(STORE_CACHE_KIB) ";", cause)) != 0 ||
	    (rc = store_migrate(st, cause)) != 0 || (rc = load_epoch(st, create, o->epoch, cause)) != 0)
		goto fail;
	if ((rc = seq_jump(st, cause)) != 0 || (rc = store_author_keys(st, cause)) != 0)
		goto fail;
	if ((rc = blob_open(st, dir, cause)) != 0)
		goto fail;
	languages_load(st);
	store_index_reload(st);
	*out = st;
	return 0;
fail:
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	blob_close(st);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(st->db));
	store_held_free(st);
	free(st->path);
	free(st);
}

sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

const uint8_t *
store_epoch(const struct store *st)
{
	return st->epoch;
}

void
store_set_quota(struct store *st, uint32_t max_records_per_author)
{
	st->quota = max_records_per_author;
}

void
store_set_max_skew(struct store *st, int64_t ms)
{
	st->max_skew_ms = ms;
}

/* The languages of the stored texts, for the query's stemmers. */
static void
languages_load(struct store *st)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "SELECT DISTINCT lang FROM text_meta", -1, &s, NULL) !=
	    SQLITE_OK)
		return;
	while (sqlite3_step(s) == SQLITE_ROW)
		tokenizer_note_language(st->tok, (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

void
store_set_local(struct store *st, const uint8_t author[TESS_KEY_LEN])
{
	memcpy(st->local, author, TESS_KEY_LEN);
	st->has_local = true;
}

int
store_begin(struct store *st)
{
	int rc;

	if ((rc = store_space_check(st, "begin")) != 0)
		return rc;
	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_err(st, rc, "begin");
}

int
store_commit(struct store *st)
{
	int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = store_err(st, rc, "commit");
		store_rollback(st);
		return rc;
	}
	store_writable(st);
	store_held_commit(st);
	return 0;
}

int
store_unsynced(struct store *st, int (*fn)(struct store *st, void *arg), void *arg)
{
	sqlite3_stmt *s;
	int level = -1, rc, r;

	/* Inside the caller's transaction, the work is part of it: committed
	 * (synced or not) or rolled back with it. */
	if (!sqlite3_get_autocommit(st->db))
		return fn(st, arg);
	/* The level in force is restored, never raised: the simulator's
	 * stores run with synchronous = OFF. */
	if (sqlite3_prepare_v2(st->db, "PRAGMA synchronous", -1, &s, NULL) != SQLITE_OK)
		return store_err(st, sqlite3_errcode(st->db), "synchronous");
	if (sqlite3_step(s) == SQLITE_ROW)
		level = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (level > 1 && (rc = store_exec(st, "PRAGMA synchronous = NORMAL", NULL)) != 0)
		return rc;
	if ((rc = store_begin(st)) == 0) {
		if ((rc = fn(st, arg)) != 0)
			store_rollback(st);
		else
			rc = store_commit(st);
	}
	if (level > 1) {
		char sql[40];

		snprintf(sql, sizeof(sql), "PRAGMA synchronous = %d", level);
		if ((r = store_exec(st, sql, NULL)) != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	store_held_rollback(st);
	store_index_reload(st);
}

int
store_meta_get(struct store *st, const char *key, char **value)
{
	sqlite3_stmt *s = store_stmt(st, S_META_GET);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return store_err(st, rc, "meta");
	*value = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return *value ? 0 : -ENOMEM;
}

int
store_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = store_stmt(st, S_META_SET);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "meta");
}

int
store_stats(struct store *st, struct store_stats *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	/* Live records from the totals the author triggers keep (migration 7),
	 * not count(*): that read the whole records_ts index, 15 ms per
	 * status at 100,000 records, and a poller asks every 20 ms. Tombstones
	 * are a range of that index (deleted = 1): only they are read. */
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT (SELECT IFNULL(max(records), 0) FROM author_totals),"
	    " (SELECT count(*) FROM records WHERE deleted = 1),"
	    " (SELECT IFNULL(max(seq), 0) FROM records),"
	    " (SELECT page_count * page_size FROM pragma_page_count, pragma_page_size)",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(st, rc, "stats");
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out->records = (uint64_t)sqlite3_column_int64(s, 0);
		out->tombstones = (uint64_t)sqlite3_column_int64(s, 1);
		out->seq = (uint64_t)sqlite3_column_int64(s, 2);
		out->db_bytes = (uint64_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_err(st, rc, "stats");
}

int
store_peer_get(struct store *st, const uint8_t id[TESS_KEY_LEN], struct store_peer *p)
{
	sqlite3_stmt *s = store_stmt(st, S_PEER_GET);
	int rc;

	memset(p, 0, sizeof(*p));
	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, id, TESS_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) == TESS_EPOCH_LEN) {
			memcpy(p->epoch, sqlite3_column_blob(s, 0), TESS_EPOCH_LEN);
			p->has_epoch = true;
		}
		p->seq = (uint64_t)sqlite3_column_int64(s, 1);
		p->last_sync = sqlite3_column_int64(s, 2);
		p->received = (uint64_t)sqlite3_column_int64(s, 3);
		p->sent = (uint64_t)sqlite3_column_int64(s, 4);
		p->rejected = (uint64_t)sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(st, rc, "peer");
	return rc == SQLITE_ROW ? store_budget_get(st, id, p) : 0;
}

int
store_peer_checkpoint(struct store *st, const uint8_t id[TESS_KEY_LEN],
    const uint8_t epoch[TESS_EPOCH_LEN], uint64_t seq)
{
	sqlite3_stmt *s = store_stmt(st, S_PEER_CHECKPOINT);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, id, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, epoch, TESS_EPOCH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)seq);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)(store_now_us(st) / 1000u));
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "checkpoint");
}

int
store_peer_count(struct store *st, const uint8_t id[TESS_KEY_LEN], uint64_t received,
    uint64_t sent, uint64_t rejected)
{
	sqlite3_stmt *s = store_stmt(st, S_PEER_COUNT);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, id, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)received);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)sent);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)rejected);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "peer counters");
}

static uint64_t
query_u64(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	uint64_t v = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

uint64_t
store_max_seq(struct store *st)
{
	return query_u64(st, "SELECT IFNULL(max(seq), 0) FROM records");
}

uint64_t
store_seq_mark(struct store *st)
{
	return query_u64(st, "SELECT seq FROM sqlite_sequence WHERE name = 'records'");
}

/* Every start moves the next sequence number to at least the current time
 * in microseconds. A node restored from an old backup therefore never hands
 * out a number its peers' checkpoints already cover, and they keep asking
 * from where they were instead of missing its new records. */
static int
seq_jump(struct store *st, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (store_exec(st, "INSERT INTO sqlite_sequence (name, seq) SELECT 'records', 0"
		     " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'records')",
		cause) != 0)
		return -EIO;
	rc = sqlite3_prepare_v2(st->db,
	    "UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = 'records'", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)store_now_us(st));
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(s);
	}
	return rc == SQLITE_OK ? 0 : set_cause(cause, -EIO, "%s: %s", st->path,
	    sqlite3_errmsg(st->db));
}
