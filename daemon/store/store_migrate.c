/* Store: the numbered schema migrations and the work they do beyond SQL. */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>

#include "core/log.h"
#include "core/util.h"
#include "store/store_adopt.h"
#include "store/store_fp.h"
#include "store/store_rotate.h"
#include "store/tokenizer.h"


/* What the FTS delete trigger does (migrations 4 and 12): takes the
 * deleted text out of the index, with the language marker and the author
 * token the index was given (texts_src). */
#define TEXTS_AD_DELETE \
	"  INSERT INTO texts_fts (texts_fts, rowid, title, summary, body, tags, who)" \
	"  VALUES ('delete', old.rowid," \
	"    char(31) || old.lang || char(31) || old.title," \
	"    char(31) || old.lang || char(31) || old.summary," \
	"    char(31) || old.lang || char(31) || old.body," \
	"    char(31) || old.lang || char(31) || old.tags," \
	"    (SELECT char(29) || char(3) || hex(author) FROM text_meta WHERE rowid = old.rowid));"

/* The delete trigger since migration 13 (indexing after the commit): only
 * a text the index holds (at or below the mark) is taken out of it. */
#define TEXTS_AD_INDEXED \
	"CREATE TRIGGER texts_ad AFTER DELETE ON texts WHEN old.rowid <= IFNULL(" \
	"  (SELECT CAST(value AS INTEGER) FROM meta WHERE key = '" STORE_INDEX_KEY "'), old.rowid)" \
	"  BEGIN" \
	TEXTS_AD_DELETE \
	"  END;"

/* Numbered migrations: migration i brings user_version from i to i + 1.
 * Append only; never edit one that has shipped. */
static const char *migrations[] = {
	/* 1: records, texts + FTS5, tags, authors, peers, metadata */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE records ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id BLOB NOT NULL UNIQUE,"
	"  author BLOB NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  deleted INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  body BLOB NOT NULL,"
	"  sig BLOB NOT NULL,"
	"  origin BLOB);"      /* peer it came from; NULL = created here */
	"CREATE INDEX records_author ON records (author, deleted, kind);"
	"CREATE INDEX records_ts ON records (deleted, ts);"
	"CREATE TABLE texts ("
	"  rowid INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  seq INTEGER NOT NULL,"
	"  lang TEXT NOT NULL,"
	"  title TEXT, summary TEXT, body TEXT, tags TEXT);"
	"CREATE INDEX texts_seq ON texts (seq);"
	/* Search reads candidates and filters from these narrow rows: dozens
	 * per page instead of a few wide texts rows. */
	"CREATE TABLE text_meta ("
	"  rowid INTEGER PRIMARY KEY,"   /* = texts.rowid */
	"  seq INTEGER NOT NULL, lang TEXT NOT NULL, kind INTEGER NOT NULL,"
	"  author BLOB NOT NULL);"
	"CREATE VIRTUAL TABLE texts_fts USING fts5 (title, summary, body, tags,"
	"  content='texts', content_rowid='rowid',"
	"  tokenize='unicode61 remove_diacritics 2', prefix='2 3');"
	"CREATE TRIGGER texts_ad AFTER DELETE ON texts BEGIN"
	"  INSERT INTO texts_fts (texts_fts, rowid, title, summary, body, tags)"
	"  VALUES ('delete', old.rowid, old.title, old.summary, old.body, old.tags); END;"
	"CREATE TABLE tags (tag TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tag, seq))"
	"  WITHOUT ROWID;"
	"CREATE INDEX tags_seq ON tags (seq);"
	"CREATE TABLE authors ("
	"  author BLOB PRIMARY KEY,"
	"  name TEXT, country TEXT, languages TEXT,"
	"  profile_version INTEGER NOT NULL DEFAULT 0,"
	"  max_version INTEGER NOT NULL DEFAULT 0,"
	"  records INTEGER NOT NULL DEFAULT 0,"   /* live records */
	"  stored INTEGER NOT NULL DEFAULT 0,"    /* ids held, tombstones too: the quota */
	"  blocked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE peers ("
	"  id BLOB PRIMARY KEY,"
	"  epoch BLOB, seq INTEGER NOT NULL DEFAULT 0,"
	"  last_sync INTEGER NOT NULL DEFAULT 0,"
	"  received INTEGER NOT NULL DEFAULT 0,"
	"  sent INTEGER NOT NULL DEFAULT 0,"
	"  rejected INTEGER NOT NULL DEFAULT 0);",
	/* 2: the key of each profile name (core/names.h), computed once when
	 * the profile is stored, so that finding look-alikes among many
	 * authors is a sort, not an ICU pass over every name (37 us each);
	 * store_author_keys fills it for the names stored before. */
	"ALTER TABLE authors ADD COLUMN name_key TEXT;",
	/* 3: per-peer budgets for authors the node has not seen before
	 * (store_budget.c). Authors stored before have first_day 0: seen. */
	"ALTER TABLE authors ADD COLUMN introduced_by BLOB;"   /* peer; NULL: here */
	"ALTER TABLE authors ADD COLUMN first_day INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN budget_day INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN new_authors INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN new_records INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN new_bytes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN over_budget INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN blocks_new INTEGER NOT NULL DEFAULT 0;",   /* block --peer */
	/* 4: multilingual search (docs/search.md). The FTS index reads texts
	 * through a view that puts each text's language in front of every
	 * column, for the tokenizer, and adds the author as one token (who),
	 * for the search of trusted authors' records; the index is rebuilt by
	 * reindex() below.
	 * vocab and vocab_tri hold the indexed words for the typo fallback.
	 * records.listed orders `tessera list`: the author's timestamp, but
	 * never later than the record's arrival here. */
	"DROP TRIGGER texts_ad;"
	"DROP TABLE texts_fts;"
	"CREATE VIEW texts_src AS SELECT t.rowid AS rid,"
	"  char(31) || t.lang || char(31) || t.title AS title,"
	"  char(31) || t.lang || char(31) || t.summary AS summary,"
	"  char(31) || t.lang || char(31) || t.body AS body,"
	"  char(31) || t.lang || char(31) || t.tags AS tags,"
	"  char(29) || char(3) || hex(m.author) AS who"
	"  FROM texts t LEFT JOIN text_meta m ON m.rowid = t.rowid;"
	"CREATE VIRTUAL TABLE texts_fts USING fts5 (title, summary, body, tags, who,"
	"  content='texts_src', content_rowid='rid', tokenize='" TOK_NAME "', prefix='2 3');"
	/* Texts go before their text_meta rows everywhere (unindex, block). */
	"CREATE TRIGGER texts_ad AFTER DELETE ON texts BEGIN"
	TEXTS_AD_DELETE
	"  END;"
	"CREATE TABLE vocab (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE);"
	"CREATE TABLE vocab_tri (tri TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (tri, id))"
	"  WITHOUT ROWID;"
	"ALTER TABLE records ADD COLUMN listed INTEGER;"
	"UPDATE records SET listed = MIN(ts, CAST((julianday('now') - 2440587.5) * 86400000"
	"  AS INTEGER));"
	"CREATE INDEX records_listed ON records (deleted, listed);",
	/* 5: range fingerprints for set reconciliation (store_fp.c) */
	store_fp_schema,
	/* 6 (STORE_V_STEM_PACK + 1): stems are indexed packed (tokenizer.h),
	 * which the stems of migration 4 are not: the index is rebuilt by
	 * reindex() below. FTS5 gathers 2 MB of new terms (default 1 MB)
	 * before it writes a segment: half the segments to merge later, for
	 * 1 MB more memory while indexing (docs/search.md, "Performance"). */
	"INSERT INTO texts_fts (texts_fts) VALUES ('delete-all');"
	"INSERT INTO texts_fts (texts_fts, rank) VALUES ('hashsize', 2097152);",
	/* 7: what /metrics reads, kept so that a scrape does not read every
	 * author (anyone can create authors): the communities listed (a
	 * record, a profile or a block) and their live records, kept by
	 * triggers in one row, and the authors holding records in record
	 * order. An author row changes once per stored record; the
	 * triggers write one small row then (measured: docs/search.md).
	 * Written to run again on a store a test took back to an older
	 * version (the totals are recomputed then). */
	"CREATE TABLE IF NOT EXISTS author_totals (one INTEGER PRIMARY KEY CHECK (one = 1),"
	"  communities INTEGER NOT NULL, records INTEGER NOT NULL);"
	"INSERT OR REPLACE INTO author_totals SELECT 1,"
	"  (SELECT count(*) FROM authors WHERE records > 0 OR name IS NOT NULL OR blocked),"
	"  (SELECT IFNULL(sum(records), 0) FROM authors);"
	"CREATE TRIGGER IF NOT EXISTS authors_totals_ai AFTER INSERT ON authors BEGIN"
	"  UPDATE author_totals SET"
	"  communities = communities + (new.records > 0 OR new.name IS NOT NULL OR new.blocked),"
	"  records = records + new.records; END;"
	"CREATE TRIGGER IF NOT EXISTS authors_totals_au"
	"  AFTER UPDATE OF records, name, blocked ON authors BEGIN"
	"  UPDATE author_totals SET"
	"  communities = communities + (new.records > 0 OR new.name IS NOT NULL OR new.blocked)"
	"    - (old.records > 0 OR old.name IS NOT NULL OR old.blocked),"
	"  records = records + new.records - old.records; END;"
	"CREATE TRIGGER IF NOT EXISTS authors_totals_ad AFTER DELETE ON authors BEGIN"
	"  UPDATE author_totals SET"
	"  communities = communities - (old.records > 0 OR old.name IS NOT NULL OR old.blocked),"
	"  records = records - old.records; END;"
	"CREATE INDEX IF NOT EXISTS authors_top ON authors (records DESC, author) WHERE records > 0;",
	/* 8: adoptions by source, for lineage (store_adopt.c); the adoptions
	 * an older version kept verbatim are indexed by the back-fill. */
	store_adopt_schema,
	/* 9: attachments (blob.h): one row per blob (state, the bitmap of the
	 * chunks verified and synced, whether files may be on disk) and the
	 * records that reference it. IF NOT EXISTS: a store whose version
	 * was set back to rebuild an earlier step (tests) keeps its blobs. */
	"CREATE TABLE IF NOT EXISTS blobs ("
	"  root BLOB PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0,"   /* enum blob_state */
	"  have BLOB,"                          /* bitmap of verified chunks (partial) */
	"  nhave INTEGER NOT NULL DEFAULT 0,"
	"  want INTEGER NOT NULL DEFAULT 0,"    /* fetch on demand (tessera get) */
	"  files INTEGER NOT NULL DEFAULT 0);"  /* files may exist under blobs/ */
	"CREATE TABLE IF NOT EXISTS attach_refs (id BLOB NOT NULL, root BLOB NOT NULL,"
	"  PRIMARY KEY (id, root)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS attach_refs_root ON attach_refs (root);",
	/* 10 (STORE_V_SURFACE_PACK + 1): a word that folding changes is
	 * indexed under its folded form and its surface form packed, without
	 * the surface's prefix entries (tokenizer.h): the index is emptied and
	 * rebuilt by reindex() below, so running it again gives the same.
	 * (A 3-character prefix index only, which FTS5 would use for 2-letter
	 * prefixes too, was measured and left out: docs/search.md.) */
	"INSERT INTO texts_fts (texts_fts) VALUES ('delete-all');",
	/* 11 (STORE_SCHEMA_ROTATIONS): key rotations, the first of each key,
	 * and the disputed ones (store_rotate.c); the rotations an older
	 * version relayed verbatim are indexed by the back-fill. */
	store_rotate_schema,
	/* 12 (STORE_V_VOCAB_FTS + 1): the typo fallback's trigrams in FTS5
	 * (trigram tokenizer over "$word$", no content, no positions) instead
	 * of a B-tree row per trigram, which cost 57,000 instructions per new
	 * word at ingest (docs/search.md); filled from vocab here, so running
	 * it again gives the same. */
	"DROP TABLE IF EXISTS vocab_tri;"
	"CREATE VIRTUAL TABLE IF NOT EXISTS vocab_fts USING fts5 (w, content='', detail='none',"
	"  tokenize='trigram case_sensitive 1');"
	"INSERT INTO vocab_fts (vocab_fts) VALUES ('delete-all');"
	"INSERT INTO vocab_fts (rowid, w) SELECT id, '$' || word || '$' FROM vocab;",
	/* 13 (STORE_SCHEMA_LAZY_INDEX): texts are indexed after their commit,
	 * in slices (store_index.c); the meta row fts_upto says how far the
	 * index has got. A store from before has every text indexed. The
	 * delete trigger takes a text out of the index only when it is in it:
	 * a text replaced or purged before it was indexed is not there, and
	 * an FTS5 'delete' of what it does not hold would damage the index.
	 * No mark (a store a test took back) reads as everything indexed. */
	"INSERT OR IGNORE INTO meta (key, value)"
	"  SELECT '" STORE_INDEX_KEY "', CAST(IFNULL(max(rowid), 0) AS TEXT) FROM texts;"
	"DROP TRIGGER IF EXISTS texts_ad;"
	TEXTS_AD_INDEXED,
	/* 14 (STORE_V_AUTOMERGE + 1): FTS5 merges a level's segments once it
	 * holds 8 of them instead of 4. Indexing after the commit writes a
	 * segment per slice, and merging them four at a time was 0.17 G of
	 * the 4.38 G instructions to import and index 3,000 records; a query
	 * reads up to 7 segments per level instead of 3 (docs/search.md,
	 * "Performance"). A setting only: running it again gives the same. */
	"INSERT INTO texts_fts (texts_fts, rank) VALUES ('automerge', 8);",
	/* 15 (STORE_V_HASHSIZE + 1): FTS5 gathers up to 8 MB of new terms in
	 * memory before it writes them out as a segment, instead of 2 MB. A
	 * slice of 4,096 texts made three or four segments, each merged again
	 * later; with 8 MB it makes one: at 100,000 records the indexing took
	 * a fifth less CPU (9.2-9.8 s against 11.8-12.9 s; 16 MB and slices
	 * of 16,384 texts gained nothing more; docs/search.md, "Performance").
	 * The memory is held during a slice only. A setting only: running it
	 * again gives the same. */
	"INSERT INTO texts_fts (texts_fts, rank) VALUES ('hashsize', 8388608);",
	/* 16 (STORE_V_PREFIX2 + 1): FTS5 keeps a prefix index of 2 characters
	 * only, not of 2 and 3. Each word's main form was written three times
	 * (the word, its first 2 and its first 3 characters), and those
	 * writes were what made indexing after an import slower than
	 * bb53b66's: 100,000 records were searchable after +27 % of its time
	 * with both, +13 % with 2 only, +2 % with none. A prefix of 3 letters
	 * or more is answered by FTS5 from the words themselves, as 4 letters
	 * always were (at 100,000 records a few ms, up to 27 ms for com*, the
	 * commonest); one of 2 letters would take up to 31 ms that way
	 * (docs/search.md, "Sixth round"). The
	 * prefix option is fixed when the table is created: the table is made
	 * again, with its settings (migrations 14 and 15) and the delete
	 * trigger of migration 13, and reindex() below fills it. Running it
	 * again gives the same. */
	"DROP TRIGGER IF EXISTS texts_ad;"
	"DROP TABLE texts_fts;"
	"CREATE VIRTUAL TABLE texts_fts USING fts5 (title, summary, body, tags, who,"
	"  content='texts_src', content_rowid='rid', tokenize='" TOK_NAME "', prefix='2');"
	"INSERT INTO texts_fts (texts_fts, rank) VALUES ('automerge', 8);"
	"INSERT INTO texts_fts (texts_fts, rank) VALUES ('hashsize', 8388608);"
	TEXTS_AD_INDEXED,
};

/* Work a migration does beyond its SQL, in the same transaction. */
static int reindex(struct store *st, char **cause);
static int (*const migration_fns[])(struct store *, char **) = {
	NULL, NULL, NULL, reindex, NULL, reindex, NULL, store_adopt_backfill, NULL, reindex,
	store_rotate_backfill, NULL, NULL, NULL, NULL, reindex,
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) >= STORE_V_VOCAB_FTS + 1,
    "STORE_V_VOCAB_FTS names the version before the vocab_fts migration");
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) >= STORE_SCHEMA_ROTATIONS,
    "STORE_SCHEMA_ROTATIONS names the rotations migration");
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) >= STORE_SCHEMA_LAZY_INDEX,
    "STORE_SCHEMA_LAZY_INDEX names the migration that indexes after the commit");
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) >= STORE_V_AUTOMERGE + 1,
    "STORE_V_AUTOMERGE names the version before the automerge migration");
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) >= STORE_V_HASHSIZE + 1,
    "STORE_V_HASHSIZE names the version before the hashsize migration");
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) >= STORE_V_PREFIX2 + 1,
    "STORE_V_PREFIX2 names the version before the prefix index migration");
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    sizeof(migration_fns) / sizeof(migration_fns[0]), "a function slot per migration");

int
store_migrate(struct store *st, char **cause)
{
	sqlite3_stmt *s;
	int version = 0;
	const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return set_cause(cause, -EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > latest)
		return set_cause(cause, -EPROTO, "%s: schema version %d is newer than this tesserad (%d)",
		    st->path, version, latest);
	for (; version < latest; version++) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", version + 1);
		if (store_exec(st, "BEGIN IMMEDIATE", cause) != 0)
			return -EIO;
		/* vocab_fts exists once the SQL of the migration that makes it
		 * ran (store_vocab_flush reads this rather than the schema). */
		st->vocab_fts = version >= STORE_V_VOCAB_FTS;
		if (store_exec(st, migrations[version], cause) != 0 ||
		    (migration_fns[version] != NULL && migration_fns[version](st, cause) != 0) ||
		    store_exec(st, pragma, cause) != 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -EIO;
		}
		if (store_exec(st, "COMMIT", cause) != 0)
			return -EIO;
		log_debug("store: migrated schema to version %d", version + 1);
	}
	st->vocab_fts = true;
	return 0;
}

/* Texts per batch: the tokenizer's word sink (TOK_SINK_MAX) is drained
 * after each, so batches stay well under its bound. */
#define REINDEX_BATCH 5000
#define REINDEX_LOG_EVERY 20000

/* Migrations 4, 6 and 10: indexes every text again with the search tokenizer, in
 * batches, saying how far it got (a large store takes minutes). A failure
 * rolls the migration back, mark included. */
static int
reindex(struct store *st, char **cause)
{
	sqlite3_stmt *s;
	sqlite3_int64 top = 0, total = 0, done = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT IFNULL(max(rowid), 0), count(*) FROM texts", -1, &s,
		NULL) != SQLITE_OK)
		return set_cause(cause, -EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
	if (sqlite3_step(s) == SQLITE_ROW) {
		top = sqlite3_column_int64(s, 0);
		total = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	/* Every text is in the index now: the mark says so (store_index.c). */
	if (store_index_mark(st, top) != 0)
		return set_cause(cause, -EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
	if (total == 0)
		return 0;
	log_info("store: re-indexing %lld texts for multilingual search", (long long)total);
	for (sqlite3_int64 lo = 0; lo < top; lo += REINDEX_BATCH) {
		sqlite3_int64 hi = lo + REINDEX_BATCH < top ? lo + REINDEX_BATCH : top;

		if (store_fts_index(st, lo, hi) != 0)
			return set_cause(cause, -EIO, "%s: re-indexing: %s", st->path,
			    sqlite3_errmsg(st->db));
		/* A line per REINDEX_LOG_EVERY rowids, and one at the end. */
		if (hi / REINDEX_LOG_EVERY != done / REINDEX_LOG_EVERY || hi == top)
			log_info("store: re-indexed texts up to rowid %lld of %lld", (long long)hi,
			    (long long)top);
		done = hi;
	}
	return 0;
}
