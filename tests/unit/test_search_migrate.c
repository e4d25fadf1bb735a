/* Migration 4 (search): a database of schema 3 (texts indexed by unicode61) is
 * re-indexed for multilingual search when it is opened, saying so in the
 * log, and then finds stems, transliterations and ё typed as е. Migrations
 * 6 and 10 (the index packs stems, then surface forms) and 16 (a prefix
 * index of 2 characters only) likewise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/identity.h"
#include "store/publish.h"
#include "store/search.h"
#include "store/store.h"
#include "store/tokenizer.h"
#include "storefix.h"

/* Schema 3: schema 1's search objects, as b8b1d71 created them, without the
 * fingerprints of migration 5 (re-created, from the records, when the
 * store opens). */
static const char *to_v1 =
	"DROP TRIGGER records_fp_ad; DROP TRIGGER records_fp_au; DROP TABLE recon_fp;"
	"DROP TRIGGER texts_ad; DROP TABLE texts_fts; DROP VIEW texts_src;"
	"DROP TABLE vocab; DROP TABLE vocab_fts; DROP INDEX records_listed;"
	"ALTER TABLE records DROP COLUMN listed;"
	"CREATE VIRTUAL TABLE texts_fts USING fts5 (title, summary, body, tags,"
	"  content='texts', content_rowid='rowid',"
	"  tokenize='unicode61 remove_diacritics 2', prefix='2 3');"
	"CREATE TRIGGER texts_ad AFTER DELETE ON texts BEGIN"
	"  INSERT INTO texts_fts (texts_fts, rowid, title, summary, body, tags)"
	"  VALUES ('delete', old.rowid, old.title, old.summary, old.body, old.tags); END;"
	"INSERT INTO texts_fts (texts_fts) VALUES ('rebuild');"
	"PRAGMA user_version = 3;";

static size_t
hits_for(struct store *st, const char *q)
{
	struct search_hit *hits;
	size_t n;

	assert_int_equal(search_query(st, q, &(struct search_filter){ 0 }, &hits, &n, NULL), 0);
	search_hits_free(hits, n);
	return n;
}

/* FTS5's own check of the index against the texts. */
static void
check_index(struct store *st)
{
	assert_int_equal(sqlite3_exec(store_db(st),
	    "INSERT INTO texts_fts (texts_fts, rank) VALUES ('integrity-check', 1)", NULL, NULL,
	    NULL), SQLITE_OK);
}

static void
test_reindex(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ru",
		.title = "Сообщества", .summary = "О партнёрстве и сотрудничестве." };
	char path[128], logpath[128], buf[4096], *cause = NULL;
	uint8_t id[TESS_ID_LEN];
	sqlite3 *db;
	ssize_t got;
	int saved, fd;

	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	store_close(fx->st);
	fx->st = NULL;
	snprintf(path, sizeof(path), "%s/%s", fx->dir, STORE_DB_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	{
		struct tokenizer *t;

		/* Dropping the index needs its tokenizer. */
		assert_int_equal(tokenizer_register(db, &t, &cause), 0);
	}
	if (sqlite3_exec(db, to_v1, NULL, NULL, &cause) != SQLITE_OK)
		fail_msg("to schema 1: %s", cause);
	sqlite3_close(db);
	/* The log goes to stderr: catch it in a file while the store opens. */
	snprintf(logpath, sizeof(logpath), "%s/log", fx->dir);
	fd = open(logpath, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	assert_int_equal(store_open(fx->dir, false, &fx->st, &cause), 0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	got = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(got > 0);
	buf[got] = '\0';
	assert_non_null(strstr(buf, "re-indexing 1 texts"));
	assert_non_null(strstr(buf, "re-indexed texts up to"));
	/* What unicode61 could not find. */
	assert_int_equal(hits_for(fx->st, "партнерстве"), 1);
	assert_int_equal(hits_for(fx->st, "сообщество"), 1);
	assert_int_equal(hits_for(fx->st, "sotrudnichestvo"), 1);
	check_index(fx->st);
}

/* Takes the store back to schema version with an empty index (as that
 * version's index holds nothing the queries of today ask for), checks that
 * probe finds nothing then, and opens the store again, which runs the
 * migrations from there. */
static void
reopen_from(struct storefix *fx, int version, const char *probe)
{
	char sql[160];

	/* The version's index held every text: none waits. */
	assert_int_equal(store_index_catch_up(fx->st, SIZE_MAX), 0);
	snprintf(sql, sizeof(sql), "INSERT INTO texts_fts (texts_fts) VALUES ('delete-all');"
	    "PRAGMA user_version = %d;", version);
	assert_int_equal(sqlite3_exec(store_db(fx->st), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(hits_for(fx->st, probe), 0);
	storefix_reopen(fx);
}

/* A store indexed before stems were packed (its index holds no packed
 * stems: emptied here) is indexed again when opened, and finds inflected
 * forms, which only the stems match. */
static void
test_stem_pack(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "hu",
		.title = "Közösségek", .summary = "Tanulás a közösségekben." };
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;

	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	assert_int_equal(hits_for(fx->st, "közösség"), 1);
	reopen_from(fx, STORE_V_STEM_PACK, "közösség");
	assert_int_equal(hits_for(fx->st, "közösség"), 1);
	assert_int_equal(hits_for(fx->st, "kozosseg"), 1);
	check_index(fx->st);
}

/* The best form a query matched in, and the number of hits. */
static size_t
match_of(struct store *st, const char *q, bool exact, enum search_match *m)
{
	struct search_hit *hits;
	size_t n;

	assert_int_equal(search_query(st, q, &(struct search_filter){ .exact = exact }, &hits, &n,
	    NULL), 0);
	*m = n > 0 ? hits[0].match : SEARCH_TYPO;
	search_hits_free(hits, n);
	return n;
}

/* A query, whether it is --exact, the number of hits it must give and the
 * form the first of them matched in (when it gives any). */
struct search_case {
	const char *q;
	bool exact;
	size_t hits;
	enum search_match match;
};

/* Runs every case; when names the round in a failure ("" if none). */
static void
check_cases(struct store *st, const struct search_case *c, size_t n, const char *when)
{
	enum search_match m;

	for (size_t i = 0; i < n; i++) {
		size_t got = match_of(st, c[i].q, c[i].exact, &m);

		if (got != c[i].hits || (got > 0 && m != c[i].match))
			fail_msg("%s'%s'%s: %zu hits (%s), want %zu (%s)", when, c[i].q,
			    c[i].exact ? " --exact" : "", got, search_match_name(m), c[i].hits,
			    search_match_name(c[i].match));
	}
}

/* A store indexed before words changed by folding were indexed under
 * their folded form (its index holds surface forms the queries no longer
 * ask for: emptied here) is indexed again when opened; the word as typed
 * then matches as exact, also by prefix with --exact, and unaccented as
 * folded; prefixes of 2 and 3 letters find it. */
static void
test_surface_pack(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "hu",
		.title = "Közösségek", .summary = "Tanulás a közösségben.",
		.body = "Co-op community learning" };
	/* Prefixes of 2 and 3 letters: "op" only as a whole word, "co" as one
	 * and as a prefix. */
	static const struct search_case cases[] = {
		{ "közösségek", false, 1, SEARCH_EXACT }, { "KÖZÖSSÉGEK", true, 1, SEARCH_EXACT },
		{ "kozossegek", false, 1, SEARCH_FOLDED }, { "kozossegek", true, 0, 0 },
		{ "közö*", true, 1, SEARCH_EXACT }, { "kozo*", true, 0, 0 },
		{ "ko*", false, 1, SEARCH_FOLDED }, { "tanulas", false, 1, SEARCH_FOLDED },
		{ "op*", false, 1, SEARCH_EXACT }, { "co*", true, 1, SEARCH_EXACT },
		{ "com*", true, 1, SEARCH_EXACT }, { "lea*", true, 1, SEARCH_EXACT },
		{ "le*", true, 1, SEARCH_EXACT }, { "lx*", false, 0, 0 },
	};
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;

	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	reopen_from(fx, STORE_V_SURFACE_PACK, "közösségek");
	check_cases(fx->st, cases, sizeof(cases) / sizeof(cases[0]), "");
	check_index(fx->st);
}

/* A packed surface is one FTS5 character (a lead byte never in UTF-8, then
 * continuation bytes, 3 bytes into 4), only for words that folding
 * changes; distinct words stay distinct. */
static void
test_surface_bytes(void **state)
{
	char a[TOK_FORM_CAP], b[TOK_FORM_CAP];
	int na, nb, len = (int)strlen("közösség");

	(void)state;
	na = tokenizer_surface("közösség", len, a, sizeof(a));
	nb = tokenizer_surface("közösség", len - 1, b, sizeof(b));
	assert_int_equal(na, 1 + (len * 4 + 2) / 3);
	assert_int_equal(a[0], TOK_SURFACE);
	for (int i = 1; i < na; i++)
		assert_true(((unsigned char)a[i] & 0xC0) == 0x80);
	assert_int_equal(a[na], '\0');
	assert_false(nb == na && memcmp(a, b, (size_t)na) == 0);
	assert_int_equal(tokenizer_surface("kozosseg", 8, a, sizeof(a)), 8);
	assert_string_equal(a, "kozosseg");
	assert_int_equal(tokenizer_surface("сообщество", (int)strlen("сообщество"), a, sizeof(a)),
	    (int)strlen("сообщество"));
	assert_true(tokenizer_surface("партнёрстве", (int)strlen("партнёрстве"), a, sizeof(a)) > 0);
	assert_int_equal(a[0], TOK_SURFACE);
	assert_int_equal(tokenizer_surface("közösség", len, a, 8), -1);
}

/* A packed stem is continuation bytes only, which FTS5 counts as part of
 * one character (so it indexes no 2- or 3-character prefixes of it), and
 * it has no NUL; distinct stems stay distinct. */
static void
test_stem_bytes(void **state)
{
	char a[TOK_FORM_CAP], b[TOK_FORM_CAP], *cause = NULL;
	struct tokenizer *t;
	sqlite3 *db;
	int na, nb;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(tokenizer_register(db, &t, &cause), 0);
	na = tokenizer_stem(t, "hu", "közösségek", (int)strlen("közösségek"), a, sizeof(a));
	nb = tokenizer_stem(t, "hu", "közösség", (int)strlen("közösség"), b, sizeof(b));
	assert_true(na > 3);
	/* "hu:kozosseg" is 11 bytes: 3 bytes pack into 4. */
	assert_int_equal(na, (11 * 4 + 2) / 3);
	assert_int_equal(nb, na);
	assert_memory_equal(a, b, (size_t)na);
	for (int i = 0; i < na; i++)
		assert_true(((unsigned char)a[i] & 0xC0) == 0x80);
	assert_int_equal(a[na], '\0');
	nb = tokenizer_stem(t, "ro", "comunitate", (int)strlen("comunitate"), b, sizeof(b));
	assert_true(nb > 0);
	assert_false(nb == na && memcmp(a, b, (size_t)na) == 0);
	sqlite3_close(db);
}

/* A store whose typo trigrams are B-tree rows (vocab_tri, before
 * STORE_V_VOCAB_FTS + 1) gets them in vocab_fts when opened, from its
 * vocabulary: typos find the words indexed before and after. */
static void
test_vocab_fts(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = "Learning circles", .summary = "Neighbourhood gardening." };
	struct publish_fields g = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ca",
		.title = "Catalunya", .summary = "Horts urbans." };
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL, sql[256];
	sqlite3_stmt *s;
	enum search_match m;

	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	assert_int_equal(match_of(fx->st, "lerning", false, &m), 1);
	assert_int_equal(m, SEARCH_TYPO);
	snprintf(sql, sizeof(sql), "DROP TABLE vocab_fts; CREATE TABLE vocab_tri (tri TEXT NOT NULL,"
	    " id INTEGER NOT NULL, PRIMARY KEY (tri, id)) WITHOUT ROWID;"
	    "PRAGMA user_version = %d;", STORE_V_VOCAB_FTS);
	assert_int_equal(sqlite3_exec(store_db(fx->st), sql, NULL, NULL, NULL), SQLITE_OK);
	storefix_reopen(fx);
	assert_int_equal(sqlite3_prepare_v2(store_db(fx->st),
	    "SELECT 1 FROM sqlite_schema WHERE name = 'vocab_tri'", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	assert_int_equal(match_of(fx->st, "lerning", false, &m), 1);
	assert_int_equal(m, SEARCH_TYPO);
	assert_int_equal(match_of(fx->st, "neighbourhod", false, &m), 1);
	assert_int_equal(m, SEARCH_TYPO);
	assert_int_equal(publish_add(fx->st, fx->a, &g, id, &cause), 0);
	assert_int_equal(match_of(fx->st, "Catalunia", false, &m), 1);
	assert_int_equal(m, SEARCH_TYPO);
	assert_int_equal(match_of(fx->st, "lxrnxng", false, &m), 0);
}

/* A texts_fts setting (FTS5's config table), -1 if unset. */
static int
setting_of(struct store *st, const char *key)
{
	sqlite3_stmt *s;
	int v = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(st),
	    "SELECT v FROM texts_fts_config WHERE k = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* A store from before migration version + 1, which sets key to want
 * (FTS5's default before it: 4 for automerge, 2 MB for hashsize, set by an
 * earlier migration), gets it once opened, keeps its index, and the
 * migration run again changes nothing. */
static void
setting_migrates(struct storefix *fx, const char *key, int version, int want, int before)
{
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "hu",
		.title = "Közösségek", .summary = "Tanulás." };
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL, sql[200];
	enum search_match m;

	assert_int_equal(setting_of(fx->st, key), want);
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	for (int round = 0; round < 2; round++) {
		if (round == 0 && before < 0)
			snprintf(sql, sizeof(sql), "DELETE FROM texts_fts_config WHERE k = '%s';"
			    "PRAGMA user_version = %d;", key, version);
		else if (round == 0)
			snprintf(sql, sizeof(sql), "UPDATE texts_fts_config SET v = %d WHERE k = '%s';"
			    "PRAGMA user_version = %d;", before, key, version);
		else
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", version);
		assert_int_equal(sqlite3_exec(store_db(fx->st), sql, NULL, NULL, NULL), SQLITE_OK);
		if (round == 0)
			assert_int_equal(setting_of(fx->st, key), before);
		storefix_reopen(fx);
		assert_int_equal(setting_of(fx->st, key), want);
		assert_int_equal(match_of(fx->st, "kozosseg", false, &m), 1);
	}
}

/* FTS5 merges 8 segments a level (migration STORE_V_AUTOMERGE + 1). */
static void
test_automerge(void **state)
{
	setting_migrates(*state, "automerge", STORE_V_AUTOMERGE, 8, -1);
}

/* FTS5 gathers 8 MB of new terms per segment (STORE_V_HASHSIZE + 1). */
static void
test_hashsize(void **state)
{
	setting_migrates(*state, "hashsize", STORE_V_HASHSIZE, 8 * 1024 * 1024, 2 * 1024 * 1024);
}

/* The SQL that made texts_fts (sqlite_schema). */
static bool
fts_made_with(struct store *st, const char *part)
{
	sqlite3_stmt *s;
	bool has = false;

	assert_int_equal(sqlite3_prepare_v2(store_db(st),
	    "SELECT sql FROM sqlite_schema WHERE name = 'texts_fts'", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	has = strstr((const char *)sqlite3_column_text(s, 0), part) != NULL;
	sqlite3_finalize(s);
	return has;
}

/* A store from before STORE_V_PREFIX2 + 1, whose index has prefix entries
 * of 2 and 3 characters, gets the index made again with those of 2 only,
 * keeps FTS5's settings and the delete trigger, and finds by prefixes of
 * 2, 3 and more letters what it found before, matched in the same form
 * (as typed or folded); run again, the migration gives the same. */
static void
test_prefix2(void **state)
{
	struct storefix *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "hu",
		.title = "Közösségek", .summary = "Tanulás a közösségben.",
		.body = "Co-op community learning, comunidade" };
	struct publish_fields g = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = "Commons", .summary = "Shared gardens" };
	/* A prefix with diacritics counts as typed; one without them
	 * finds a word with diacritics as folded. */
	static const struct search_case cases[] = {
		{ "co*", false, 2, SEARCH_EXACT }, { "com*", false, 2, SEARCH_EXACT },
		{ "comm*", false, 2, SEARCH_EXACT }, { "comu*", false, 1, SEARCH_EXACT },
		{ "commo*", false, 1, SEARCH_EXACT }, { "ko*", false, 1, SEARCH_FOLDED },
		{ "kö*", false, 1, SEARCH_EXACT }, { "közö*", true, 1, SEARCH_EXACT },
		{ "kozo*", true, 0, 0 }, { "tan*", false, 1, SEARCH_FOLDED },
		{ "lea*", true, 1, SEARCH_EXACT }, { "gar*", false, 1, SEARCH_EXACT },
		{ "lx*", false, 0, 0 }, { "cox*", false, 0, 0 },
	};
	uint8_t id[TESS_ID_LEN], gid[TESS_ID_LEN];
	char *cause = NULL, sql[128], when[16];
	enum search_match m;

	assert_true(fts_made_with(fx->st, "prefix='2')"));
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	assert_int_equal(publish_add(fx->st, fx->a, &g, gid, &cause), 0);
	assert_int_equal(store_index_catch_up(fx->st, SIZE_MAX), 0);
	/* The index as migration 4 made it, filled. */
	assert_int_equal(sqlite3_exec(store_db(fx->st), "DROP TABLE texts_fts;"
	    "CREATE VIRTUAL TABLE texts_fts USING fts5 (title, summary, body, tags, who,"
	    "  content='texts_src', content_rowid='rid', tokenize='" TOK_NAME "', prefix='2 3');"
	    "INSERT INTO texts_fts (texts_fts) VALUES ('rebuild');", NULL, NULL, NULL), SQLITE_OK);
	for (int round = 0; round < 2; round++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", STORE_V_PREFIX2);
		assert_int_equal(sqlite3_exec(store_db(fx->st), sql, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(fts_made_with(fx->st, "prefix='2 3')"), round == 0);
		storefix_reopen(fx);
		assert_true(fts_made_with(fx->st, "prefix='2')"));
		assert_int_equal(setting_of(fx->st, "automerge"), 8);
		assert_int_equal(setting_of(fx->st, "hashsize"), 8 * 1024 * 1024);
		snprintf(when, sizeof(when), "round %d: ", round);
		check_cases(fx->st, cases, sizeof(cases) / sizeof(cases[0]), when);
		check_index(fx->st);
	}
	/* The delete trigger takes a text out of the new index. */
	assert_int_equal(publish_delete(fx->st, fx->a, gid, &cause), 0);
	assert_int_equal(match_of(fx->st, "commo*", false, &m), 0);
	assert_int_equal(match_of(fx->st, "com*", false, &m), 1);
	check_index(fx->st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reindex, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_stem_pack, storefix_setup, storefix_teardown),
		cmocka_unit_test(test_stem_bytes),
		cmocka_unit_test_setup_teardown(test_surface_pack, storefix_setup, storefix_teardown),
		cmocka_unit_test(test_surface_bytes),
		cmocka_unit_test_setup_teardown(test_vocab_fts, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_automerge, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_hashsize, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_prefix2, storefix_setup, storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
