/* The typo fallback: the vocabulary of indexed words with a trigram index
 * (vocab, and vocab_fts: FTS5's trigram tokenizer over "$word$"), filled as
 * texts are indexed, and the lookup of the
 * words close to a query word. The vocabulary only grows: a word whose last
 * record went away still comes up as a correction, and then finds nothing. */
#include "store/search_typo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"
#include "store/tokenizer_fold.h"

/* Words are compared on at most this many code points. */
#define TYPO_WORD_MAX 40
/* Close words kept per query word. */
#define TYPO_EXAMINE 300
/* Words sharing a trigram read per query word, at most: bounds the time
 * of a lookup whatever the vocabulary holds. */
#define TYPO_SCAN 20000

/* Code points of "$w$" (the padding gives the word's ends trigrams). */
static int
padded(const char *w, int len, unsigned *cps, int cap)
{
	int n = 0;

	cps[n++] = '$';
	for (int i = 0; i < len && n < cap - 1;) {
		i += fold_utf8_next((const unsigned char *)w + i, len - i, &cps[n]);
		n++;
	}
	cps[n++] = '$';
	return n;
}

static int
trigram(const unsigned *cps, char *out)
{
	int o = 0;

	for (int k = 0; k < 3; k++)
		o += fold_utf8_put(cps[k], out + o);
	out[o] = '\0';
	return o;
}

/* One drain of the tokenizer's new words: the first id vocab gave one. */
struct vocab_drain {
	struct store *st;
	sqlite3_int64 first;
};

static int
vocab_add(void *arg, const char *w)
{
	struct vocab_drain *d = arg;
	struct store *st = d->st;
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, S_VOCAB_ADD)) == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, w, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_err(st, rc, "vocabulary");
	if (sqlite3_changes(st->db) == 1 && d->first == 0)
		d->first = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* The words of one drain get their trigrams in one statement: FTS5's
 * trigram tokenizer writes them into its pending-terms hash, where a
 * B-tree row per trigram cost 57,000 instructions a word
 * (docs/search.md). vocab ids only grow, so the new words are the ids
 * from the drain's first one on. */
int
store_vocab_flush(struct store *st)
{
	struct vocab_drain d = { .st = st };
	sqlite3_stmt *s;
	int rc;

	/* No vocab_fts while a migration older than the one that creates it
	 * re-indexes the texts (that one fills it from vocab). */
	if ((rc = tokenizer_sink_drain(st->tok, vocab_add, &d)) != 0 || d.first == 0 ||
	    !st->vocab_fts)
		return rc;
	if ((s = store_stmt(st, S_VOCAB_TRI)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, d.first);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "vocabulary");
}

int
typo_distance(const char *a, int alen, const char *b, int blen, int limit)
{
	unsigned x[TYPO_WORD_MAX + 1], y[TYPO_WORD_MAX + 1];
	int d[TYPO_WORD_MAX + 1][TYPO_WORD_MAX + 1];
	int n = 0, m = 0;

	for (int i = 0; i < alen && n < TYPO_WORD_MAX; n++)
		i += fold_utf8_next((const unsigned char *)a + i, alen - i, &x[n + 1]);
	for (int i = 0; i < blen && m < TYPO_WORD_MAX; m++)
		i += fold_utf8_next((const unsigned char *)b + i, blen - i, &y[m + 1]);
	if (abs(n - m) > limit)
		return limit + 1;
	for (int i = 0; i <= n; i++)
		d[i][0] = i;
	for (int j = 0; j <= m; j++)
		d[0][j] = j;
	for (int i = 1; i <= n; i++) {
		int row_min = limit + 1;

		for (int j = 1; j <= m; j++) {
			int cost = x[i] != y[j], v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			/* A transposition ("lerning" / "lrening") is one typo. */
			if (i > 1 && j > 1 && x[i] == y[j - 1] && x[i - 1] == y[j] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
			row_min = v < row_min ? v : row_min;
		}
		if (row_min > limit)
			return limit + 1;
	}
	return d[n][m] > limit ? limit + 1 : d[n][m];
}

bool
typo_known_word(struct store *st, const char *w, int len)
{
	sqlite3_stmt *s;
	bool has = false;

	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM vocab WHERE word = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, w, len, SQLITE_STATIC);
	has = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return has;
}

struct typo_hit {
	char word[TOK_FORM_CAP];
	int dist, shared;
};

static int
hit_cmp(const void *a, const void *b)
{
	const struct typo_hit *x = a, *y = b;

	if (x->dist != y->dist)
		return x->dist - y->dist;
	return y->shared - x->shared;
}

/* How many of the query's distinct trigrams q[0..nq) the padded word v has. */
static int
shared_trigrams(const unsigned (*q)[3], int nq, const char *v, int vl)
{
	unsigned cps[TYPO_WORD_MAX + 2];
	int n = padded(v, vl, cps, TYPO_WORD_MAX + 2), shared = 0;

	for (int k = 0; k < nq; k++) {
		for (int i = 0; i + 3 <= n; i++) {
			if (cps[i] == q[k][0] && cps[i + 1] == q[k][1] && cps[i + 2] == q[k][2]) {
				shared++;
				break;
			}
		}
	}
	return shared;
}

int
typo_candidates(struct store *st, const char *w, int len, char out[][TOK_FORM_CAP], int max)
{
	unsigned cps[TYPO_WORD_MAX + 2], q[TYPO_WORD_MAX][3];
	char expr[TYPO_WORD_MAX * 20];
	struct typo_hit hits[TYPO_EXAMINE];
	int n, chars, limit, ntri, nq = 0, nh = 0, o = 0, rows = 0, need;
	sqlite3_stmt *s;

	n = padded(w, len, cps, TYPO_WORD_MAX + 2);
	chars = n - 2;
	if (chars < 4 || chars >= TYPO_WORD_MAX)
		return 0;
	limit = chars >= 8 ? 2 : 1;
	ntri = n - 2;
	/* A word of the index is not a typo: a rare word stays rare. */
	if (typo_known_word(st, w, len))
		return 0;
	/* Any word sharing a trigram, as an FTS5 query: "$le" OR "ler" OR ...
	 * (trigrams hold letters, digits, marks and '$', never a quote). */
	for (int i = 0; i < ntri; i++) {
		bool seen = false;

		for (int k = 0; k < nq && !seen; k++)
			seen = memcmp(q[k], cps + i, sizeof(q[k])) == 0;
		if (seen)
			continue;
		memcpy(q[nq++], cps + i, sizeof(q[0]));
		o += snprintf(expr + o, sizeof(expr) - (size_t)o, "%s\"", i ? " OR " : "");
		o += trigram(cps + i, expr + o);
		o += snprintf(expr + o, sizeof(expr) - (size_t)o, "\"");
	}
	/* An edit changes at most three trigrams; a transposition four. */
	need = ntri - 4 * limit > 1 ? ntri - 4 * limit : 1;
	if (sqlite3_prepare_v2(st->db, "SELECT v.word FROM vocab_fts f CROSS JOIN vocab v"
		" ON v.id = f.rowid WHERE vocab_fts MATCH ?1", -1, &s, NULL) != SQLITE_OK)
		return store_err(st, sqlite3_errcode(st->db), "typo lookup");
	sqlite3_bind_text(s, 1, expr, o, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW && rows++ < TYPO_SCAN && nh < TYPO_EXAMINE) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		int vl = sqlite3_column_bytes(s, 0), d, shared;

		if (v == NULL || vl >= TOK_FORM_CAP || (vl == len && memcmp(v, w, (size_t)len) == 0))
			continue;
		if ((shared = shared_trigrams((const unsigned (*)[3])q, nq, v, vl)) < need ||
		    (d = typo_distance(w, len, v, vl, limit)) > limit)
			continue;
		memcpy(hits[nh].word, v, (size_t)vl + 1);
		hits[nh].dist = d;
		hits[nh++].shared = shared;
	}
	sqlite3_finalize(s);
	qsort(hits, (size_t)nh, sizeof(hits[0]), hit_cmp);
	for (int i = 0; i < nh && i < max; i++)
		memcpy(out[i], hits[i].word, strlen(hits[i].word) + 1);
	return nh < max ? nh : max;
}
