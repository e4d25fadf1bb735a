/* Store: the next indexing slice's texts, tokenized ahead on a pool
 * thread (store.h, "Tokenizing ahead"). Indexing a text was two parts:
 * the tokenizer (folding, splitting, stemming: about a third of it) and
 * FTS5 writing the tokens, both on the loop. The first part now runs on
 * the other core while the loop does the second for the slice before.
 * The batch holds copies of the texts, so the loop and the thread never
 * share a byte; a text deleted or changed meanwhile simply is not
 * replayed (tokenizer_prep.h). */
#include "store/store_int.h"
#include "store/tokenizer.h"
#include "store/tokenizer_prep.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The texts of one batch, in bytes: a few slices of long texts would
 * otherwise hold tens of MB; past this the rest is tokenized on the loop. */
#define PREP_MAX_BYTES (8u << 20)

struct store_prep {
	struct tokenizer *worker;   /* claimed from st->tok until prep_done */
	struct tok_prep *b;
};

/* A value that is only its language marker (a record without a summary or
 * tags): no words to tokenize, and equal in every record of a language. */
static bool
marker_only(const char *text, int len)
{
	const char *end = len > 1 && text[0] == TOK_LANG_MARK ?
	    memchr(text + 1, TOK_LANG_MARK, (size_t)len - 1) : NULL;

	return end == text + len - 1;
}

/* Copies the texts after rowid from into p's batch. */
static int
read_texts(struct store *st, struct store_prep *p, sqlite3_int64 from, size_t max_texts)
{
	sqlite3_stmt *s = store_stmt(st, S_INDEX_TEXTS);
	size_t bytes = 0;
	int rc = 0, step;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max_texts);
	while (rc == 0 && bytes < PREP_MAX_BYTES && (step = sqlite3_step(s)) == SQLITE_ROW) {
		for (int c = 0; c < 4 && rc == 0; c++) {
			const char *text = (const char *)sqlite3_column_text(s, c);
			int len = sqlite3_column_bytes(s, c);

			/* What tok_tokenize takes as is, it never replays. */
			if (text == NULL || len <= 0 || text[0] == TOK_VERBATIM ||
			    marker_only(text, len))
				continue;
			rc = tok_prep_add(p->b, text, len);
			bytes += (size_t)len;
		}
	}
	sqlite3_reset(s);
	return rc;
}

struct store_prep *
store_index_prepare(struct store *st, size_t slice_texts, size_t max_texts)
{
	struct store_prep *p;
	sqlite3_int64 from;
	int err = 0;

	if (st->tok == NULL || max_texts == 0 || !store_index_pending(st) ||
	    (from = store_index_slice_end(st, slice_texts, &err)) == 0 || err != 0 ||
	    from >= st->fts_top)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->b = tok_prep_new()) == NULL || read_texts(st, p, from, max_texts) != 0 ||
	    tok_prep_count(p->b) == 0 || (p->worker = tokenizer_prep_claim(st->tok)) == NULL) {
		store_prep_free(p);
		return NULL;
	}
	return p;
}

void
store_index_prep_run(void *prep)
{
	struct store_prep *p = prep;

	/* Out of memory: the texts not recorded are tokenized when indexed. */
	(void)tokenizer_prep_run(p->worker, p->b);
}

void
store_index_prep_done(struct store *st, struct store_prep *prep)
{
	if (prep->worker != NULL)
		tokenizer_prep_unclaim(st->tok);
	prep->worker = NULL;
}

int
store_index_step_with(struct store *st, size_t max_texts, struct store_prep *prep)
{
	int rc;

	tokenizer_prep_use(st->tok, prep != NULL && prep->worker == NULL ? prep->b : NULL);
	rc = store_index_step(st, max_texts);
	tokenizer_prep_use(st->tok, NULL);
	return rc;
}

size_t
store_prep_texts(const struct store_prep *prep)
{
	return tok_prep_count(prep->b);
}

size_t
store_prep_replayed(const struct store_prep *prep)
{
	return tok_prep_replayed(prep->b);
}

void
store_prep_free(struct store_prep *prep)
{
	if (prep == NULL)
		return;
	tok_prep_free(prep->b);
	free(prep);
}
