/* The search tokenizer (store/tokenizer*.c, translit.c) and the query path
 * (search_expr.c, search.c): any text, with or without a language marker,
 * is indexed and removed again, and any query string gives hits or a clear
 * error.
 *
 * The first input byte picks what the rest is: even, a text (a language
 * marker is put in front when the next byte is odd); odd, a query.
 * Oracles besides the sanitizers: the normalised text maps back into the
 * input in order, every word's range lies inside the input, the FTS index
 * passes its integrity check after an insert and a delete, and a failed
 * query always says why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "fuzz.h"
#include "store/search.h"
#include "store/store.h"
#include "store/tokenizer.h"
#include "store/tokenizer_fold.h"

static struct store *st;
static struct tokenizer *tok;
static char dir[64];

static int
setup(void)
{
	char *cause = NULL;
	sqlite3 *db;

	snprintf(dir, sizeof(dir), "/tmp/fuzz_tokenizer.XXXXXX");
	if (mkdtemp(dir) == NULL || store_open(dir, true, &st, &cause) != 0)
		abort();
	db = store_db(st);
	/* A second registration gives this file a handle on the tokenizer. */
	if (tokenizer_register(db, &tok, &cause) != 0 ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE fz USING fts5 (x, content='',"
		" tokenize='" TOK_NAME "', prefix='2')", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	return 0;
}

struct range_check {
	int len;
};

static int
on_word(void *arg, const char *w, int len, int start, int end)
{
	const struct range_check *r = arg;

	if (len <= 0 || w == NULL || start < 0 || start > end || end > r->len)
		abort();
	return 0;
}

static void
text_case(const char *text, size_t size)
{
	sqlite3 *db = store_db(st);
	struct fold_text ft = { 0 };
	struct range_check rc = { .len = (int)size };
	sqlite3_stmt *s;

	if (fold_text(&ft, text, (int)size) == 0) {
		for (int i = 0; i < ft.len; i++)
			if (ft.map[i] < 0 || ft.map[i] > ft.map[i + 1] || ft.map[i] > (int)size)
				abort();
		if (ft.map[ft.len] != (int)size)
			abort();
	}
	fold_text_free(&ft);
	tokenizer_words(tok, text, (int)size, on_word, &rc);
	for (int del = 0; del < 2; del++) {
		if (sqlite3_prepare_v2(db, del ? "INSERT INTO fz (fz, rowid, x) VALUES ('delete', 1, ?1)" :
			"INSERT INTO fz (rowid, x) VALUES (1, ?1)", -1, &s, NULL) != SQLITE_OK)
			abort();
		sqlite3_bind_text(s, 1, text, (int)size, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			abort();
		sqlite3_finalize(s);
	}
	if (sqlite3_exec(db, "INSERT INTO fz (fz, rank) VALUES ('integrity-check', 0)", NULL, NULL,
		NULL) != SQLITE_OK)
		abort();
}

static void
query_case(const char *q)
{
	struct search_hit *hits = NULL;
	char *cause = NULL;
	size_t n = 0;
	int rc = search_query(st, q, &(struct search_filter){ .exact = strlen(q) % 2 == 1 },
	    &hits, &n, &cause);

	if (rc != 0 && (rc != -EINVAL || cause == NULL))
		abort();
	search_hits_free(hits, n);
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *buf;

	if (!ready)
		ready = setup() == 0;
	if (size < 2 || size > 64 * 1024)
		return 0;
	if ((buf = malloc(size + 8)) == NULL)
		return 0;
	if (data[0] % 2 == 0) {
		size_t o = 0;

		/* A marker as texts_src writes it, or none. */
		if (data[1] % 2 == 1) {
			buf[o++] = TOK_LANG_MARK;
			buf[o++] = "erhpcir"[data[1] % 7];
			buf[o++] = "nuouatr"[data[1] % 7];
			buf[o++] = TOK_LANG_MARK;
		}
		memcpy(buf + o, data + 2, size - 2);
		text_case(buf, o + size - 2);
	} else {
		/* Queries are C strings (they come from protobuf). */
		memcpy(buf, data + 1, size - 1);
		buf[size - 1] = '\0';
		query_case(buf);
	}
	free(buf);
	return 0;
}
