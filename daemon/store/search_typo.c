/* The typo fallback: the vocabulary of indexed words with a trigram index
 * (vocab, vocab_tri), filled as texts are indexed, and the lookup of the
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
/* Trigram matches examined per query word, best first. */
#define TYPO_EXAMINE 300

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

static int
vocab_add(void *arg, const char *w)
{
	struct store *st = arg;
	unsigned cps[TYPO_WORD_MAX + 2];
	sqlite3_int64 id;
	sqlite3_stmt *s;
	int n, rc;

	if ((s = store_stmt(st, S_VOCAB_ADD)) == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, w, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_err(st, rc, "vocabulary");
	if (sqlite3_changes(st->db) != 1)
		return 0;
	id = sqlite3_last_insert_rowid(st->db);
	n = padded(w, (int)strlen(w), cps, TYPO_WORD_MAX + 2);
	for (int i = 0; i + 3 <= n; i++) {
		char tri[16];

		if ((s = store_stmt(st, S_VOCAB_TRI)) == NULL)
			return -EIO;
		sqlite3_bind_text(s, 1, tri, trigram(cps + i, tri), SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, id);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return store_err(st, rc, "vocabulary");
	}
	return 0;
}

int
store_vocab_flush(struct store *st)
{
	return tokenizer_sink_drain(st->tok, vocab_add, st);
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

int
typo_candidates(struct store *st, const char *w, int len, char out[][TOK_FORM_CAP], int max)
{
	unsigned cps[TYPO_WORD_MAX + 2];
	char sql[256 + 4 * TYPO_WORD_MAX];
	struct typo_hit hits[TYPO_EXAMINE];
	int n, chars, limit, ntri, nh = 0, o;
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
	/* An edit changes at most three trigrams; a transposition four. Count
	 * per word id first, then read the words of the best ones only. */
	o = snprintf(sql, sizeof(sql), "SELECT v.word, t.c FROM (SELECT id, count(*) AS c"
	    " FROM vocab_tri WHERE tri IN (");
	for (int i = 0; i < ntri; i++)
		o += snprintf(sql + o, sizeof(sql) - (size_t)o, "%s?%d", i ? "," : "", i + 1);
	snprintf(sql + o, sizeof(sql) - (size_t)o,
	    ") GROUP BY id HAVING c >= %d ORDER BY c DESC LIMIT %d) t JOIN vocab v ON v.id = t.id",
	    ntri - 4 * limit > 1 ? ntri - 4 * limit : 1, TYPO_EXAMINE);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_err(st, sqlite3_errcode(st->db), "typo lookup");
	for (int i = 0; i < ntri; i++) {
		char tri[16];

		sqlite3_bind_text(s, i + 1, tri, trigram(cps + i, tri), SQLITE_TRANSIENT);
	}
	while (sqlite3_step(s) == SQLITE_ROW && nh < TYPO_EXAMINE) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		int vl = sqlite3_column_bytes(s, 0), d;

		if (v == NULL || vl >= TOK_FORM_CAP || (vl == len && memcmp(v, w, (size_t)len) == 0))
			continue;
		if ((d = typo_distance(w, len, v, vl, limit)) > limit)
			continue;
		memcpy(hits[nh].word, v, (size_t)vl + 1);
		hits[nh].dist = d;
		hits[nh++].shared = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	qsort(hits, (size_t)nh, sizeof(hits[0]), hit_cmp);
	for (int i = 0; i < nh && i < max; i++)
		memcpy(out[i], hits[i].word, strlen(hits[i].word) + 1);
	return nh < max ? nh : max;
}
