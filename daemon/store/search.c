/* Search: FTS5 over every text of every language with the tessera
 * tokenizer, ranked by how a record matched, whose it is, and its score. */
#include "store/search.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "store/search_expr.h"
#include "store/store_int.h"
#include "store/store_rotate.h"

/* Most texts a record may carry, hence rows read for trusted authors. */
#define TRUSTED_ROWS (SEARCH_CANDIDATES * 2)

static const char *match_names[SEARCH_MATCH_COUNT] = {
	"exact", "folded", "stemmed", "transliterated", "typo",
};

const char *
search_match_name(enum search_match m)
{
	return m < SEARCH_MATCH_COUNT ? match_names[m] : "?";
}

struct cand {
	uint64_t seq;
	sqlite3_int64 rowid;
	double score;
	int match;
	int tier;                   /* 0: this node or a peer's community */
	uint8_t author[TESS_KEY_LEN];
	char lang[36];
};

struct cands {
	struct cand *c;
	size_t n, cap;
	size_t records;             /* distinct records in the general pass */
	bool truncated;             /* the general pass stopped at a bound */
	uint8_t (*trusted)[TESS_KEY_LEN];
	size_t ntrusted;
};

/* Appends the filter's conditions on m (text_meta); binds 2..5. */
static void
filter_sql(char *sql, size_t cap, const struct search_filter *f)
{
	if (f->lang != NULL)
		strncat(sql, " AND m.lang = ?2", cap - strlen(sql) - 1);
	if (f->kind > 0)
		strncat(sql, " AND m.kind = ?3", cap - strlen(sql) - 1);
	if (f->has_author)
		strncat(sql, " AND m.author IN " STORE_ROTATED_KEYS, cap - strlen(sql) - 1);
	if (f->tag != NULL)
		strncat(sql, " AND EXISTS (SELECT 1 FROM tags g WHERE g.tag = ?5 AND g.seq = m.seq)",
		    cap - strlen(sql) - 1);
}

static void
filter_bind(sqlite3_stmt *s, const struct search_filter *f)
{
	if (f->lang != NULL)
		sqlite3_bind_text(s, 2, f->lang, -1, SQLITE_STATIC);
	if (f->kind > 0)
		sqlite3_bind_int(s, 3, f->kind);
	if (f->has_author)
		sqlite3_bind_blob(s, 4, f->author, TESS_KEY_LEN, SQLITE_STATIC);
	if (f->tag != NULL)
		sqlite3_bind_text(s, 5, f->tag, -1, SQLITE_STATIC);
}

/* This node and the peers it pinned and synced with: their communities'
 * records are never crowded out by strangers'. */
static int
trusted_load(struct store *st, struct cands *cs)
{
	sqlite3_stmt *s;
	size_t cap = 16;

	if ((cs->trusted = malloc(cap * TESS_KEY_LEN)) == NULL)
		return -ENOMEM;
	if (st->has_local)
		memcpy(cs->trusted[cs->ntrusted++], st->local, TESS_KEY_LEN);
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM peers", -1, &s, NULL) != SQLITE_OK)
		return store_err(st, sqlite3_errcode(st->db), "search");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != TESS_KEY_LEN)
			continue;
		if (cs->ntrusted == cap) {
			void *p = realloc(cs->trusted, cap * 2 * TESS_KEY_LEN);

			if (p == NULL) {
				sqlite3_finalize(s);
				return -ENOMEM;
			}
			cs->trusted = p;
			cap *= 2;
		}
		memcpy(cs->trusted[cs->ntrusted++], sqlite3_column_blob(s, 0), TESS_KEY_LEN);
	}
	sqlite3_finalize(s);
	return 0;
}

static int
tier_of(const struct cands *cs, const uint8_t *author)
{
	for (size_t i = 0; i < cs->ntrusted; i++)
		if (memcmp(cs->trusted[i], author, TESS_KEY_LEN) == 0)
			return 0;
	return 1;
}

static int
cand_add(struct cands *cs, sqlite3_stmt *s)
{
	struct cand *c;
	const void *author = sqlite3_column_blob(s, 3);
	const char *lang = (const char *)sqlite3_column_text(s, 2);

	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 256;
		void *p = realloc(cs->c, cap * sizeof(*cs->c));

		if (p == NULL)
			return -ENOMEM;
		cs->c = p;
		cs->cap = cap;
	}
	c = &cs->c[cs->n++];
	memset(c, 0, sizeof(*c));
	c->rowid = sqlite3_column_int64(s, 0);
	c->seq = (uint64_t)sqlite3_column_int64(s, 1);
	snprintf(c->lang, sizeof(c->lang), "%s", lang ? lang : "");
	if (author != NULL && sqlite3_column_bytes(s, 3) == TESS_KEY_LEN)
		memcpy(c->author, author, TESS_KEY_LEN);
	{
		double r = sqlite3_column_double(s, 4);

		c->match = (int)r;
		c->score = r - c->match;
	}
	c->tier = tier_of(cs, c->author);
	return 0;
}

/* The expression restricted to the trusted authors' texts: their author
 * tokens (the who column) ANDed on, which FTS5 intersects through the
 * doclists instead of reading every match. */
static char *
trusted_expr(const struct search_expr *e, const struct cands *cs)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t cap = e->len + 16 + cs->ntrusted * (2 * TESS_KEY_LEN + 12), o;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	o = (size_t)snprintf(out, cap, "(%s) AND (", e->fts);
	for (size_t i = 0; i < cs->ntrusted; i++) {
		o += (size_t)snprintf(out + o, cap - o, "%s\"%c%c", i ? " OR " : "", TOK_VERBATIM,
		    TOK_AUTHOR);
		for (size_t k = 0; k < TESS_KEY_LEN; k++) {
			out[o++] = hex[cs->trusted[i][k] >> 4];
			out[o++] = hex[cs->trusted[i][k] & 15];
		}
		out[o++] = '"';
	}
	snprintf(out + o, cap - o, ")");
	return out;
}

/* Reads matching texts newest first into cs: the general pass stops after
 * SEARCH_CANDIDATES records or SEARCH_CANDIDATE_ROWS texts; the trusted
 * pass reads only the texts of trusted authors. */
static int
collect(struct store *st, const struct search_expr *e, const struct search_filter *f,
    bool trusted, struct cands *cs, char **cause)
{
	char sql[1400], *fts = NULL;
	sqlite3_stmt *s;
	uint64_t last = 0;
	size_t rows = 0;
	int rc;

	snprintf(sql, sizeof(sql),
	    "SELECT m.rowid, m.seq, m.lang, m.author, " TOK_MATCH_FN "(texts_fts, ?7)"
	    " FROM texts_fts JOIN text_meta m ON m.rowid = texts_fts.rowid"
	    " WHERE texts_fts MATCH ?1");
	filter_sql(sql, sizeof(sql), f);
	strncat(sql, " ORDER BY texts_fts.rowid DESC LIMIT ?6", sizeof(sql) - strlen(sql) - 1);
	if (trusted && (fts = trusted_expr(e, cs)) == NULL)
		return -ENOMEM;
	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) != SQLITE_OK) {
		free(fts);
		return store_err(st, rc, "search");
	}
	sqlite3_bind_text(s, 1, fts ? fts : e->fts, -1, SQLITE_STATIC);
	filter_bind(s, f);
	sqlite3_bind_int(s, 6, trusted ? TRUSTED_ROWS : SEARCH_CANDIDATE_ROWS);
	sqlite3_bind_blob(s, 7, e->map, (int)(e->nphrase * 2), SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 1);

		/* A record's texts are stored together: consecutive rowids. */
		if (!trusted && seq != last && ++cs->records > SEARCH_CANDIDATES) {
			cs->truncated = true;
			break;
		}
		last = seq;
		if ((rc = cand_add(cs, s)) != 0)
			break;
		rows++;
	}
	if (!trusted && rows == SEARCH_CANDIDATE_ROWS)
		cs->truncated = true;
	sqlite3_finalize(s);
	free(fts);
	if (rc == -ENOMEM)
		return rc;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return set_cause(cause, -EINVAL, "search failed: %s", sqlite3_errmsg(st->db));
	return 0;
}

/* By record, its best text first. */
static int
by_record(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->match != y->match)
		return x->match - y->match;
	return x->score < y->score ? -1 : (x->score > y->score);
}

/* Best first: how it matched, whose it is, score, newest. */
static int
by_rank(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->match != y->match)
		return x->match - y->match;
	if (x->tier != y->tier)
		return x->tier - y->tier;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->seq < y->seq ? 1 : (x->seq > y->seq ? -1 : 0);
}

/* One candidate per record, ranked. */
static void
rank(struct cands *cs)
{
	size_t o = 0;

	if (cs->n == 0)
		return;     /* cs->c is NULL: qsort wants a pointer */
	qsort(cs->c, cs->n, sizeof(*cs->c), by_record);
	for (size_t i = 0; i < cs->n; i++)
		if (o == 0 || cs->c[o - 1].seq != cs->c[i].seq)
			cs->c[o++] = cs->c[i];
	cs->n = o;
	qsort(cs->c, cs->n, sizeof(*cs->c), by_rank);
}

/* The page: at most share hits per stranger (an author neither this node
 * nor a peer) unless the filter names the author; a stranger's other
 * matches are reached by filtering on its community. pick[] gets indexes
 * into cs, in rank order. */
static size_t
page(const struct cands *cs, const struct search_filter *f, size_t limit, size_t *pick)
{
	size_t share = limit / 5 > 2 ? limit / 5 : 2, n = 0;

	for (size_t i = 0; i < cs->n && n < limit; i++) {
		size_t same = 0;

		for (size_t k = 0; k < n && cs->c[i].tier > 0 && !f->has_author; k++)
			same += memcmp(cs->c[pick[k]].author, cs->c[i].author, TESS_KEY_LEN) == 0;
		if (same >= share)
			continue;
		pick[n++] = i;
	}
	return n;
}

/* Drops the language marker the texts_src view puts in front of a text. */
static char *
strip_marker(const char *snip)
{
	const char *p = snip, *m;

	if (p[0] == TOK_LANG_MARK && (m = strchr(p + 1, TOK_LANG_MARK)) != NULL)
		p = m + 1;
	return strdup(p);
}

/* Snippets for the chosen hits in one statement: the MATCH is evaluated
 * once, not once per hit, and snippet() runs only for the chosen rows. */
static void
add_snippets(struct store *st, const struct search_expr *e, struct search_hit *hits,
    const sqlite3_int64 *rowids, size_t n)
{
	sqlite3_int64 lo = INT64_MAX, hi = 0;
	char sql[512 + 24 * SEARCH_MAX_HITS];
	sqlite3_stmt *s;
	size_t o;

	if (n == 0)
		return;
	o = (size_t)snprintf(sql, sizeof(sql), "SELECT rowid, CASE WHEN rowid IN (");
	for (size_t i = 0; i < n && i < SEARCH_MAX_HITS; i++) {
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s%lld", i ? "," : "",
		    (long long)rowids[i]);
		lo = rowids[i] < lo ? rowids[i] : lo;
		hi = rowids[i] > hi ? rowids[i] : hi;
	}
	snprintf(sql + o, sizeof(sql) - o,
	    ") THEN snippet(texts_fts, -1, '[', ']', '…', 16) END FROM texts_fts"
	    " WHERE texts_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("search: snippets: %s", sqlite3_errmsg(st->db));
		return;
	}
	sqlite3_bind_text(s, 1, e->fts, (int)e->len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	while (sqlite3_step(s) == SQLITE_ROW) {
		sqlite3_int64 rowid = sqlite3_column_int64(s, 0);
		const unsigned char *snip = sqlite3_column_text(s, 1);

		for (size_t i = 0; snip != NULL && i < n; i++)
			if (rowids[i] == rowid && hits[i].snippet == NULL)
				hits[i].snippet = strip_marker((const char *)snip);
	}
	sqlite3_finalize(s);
}

static void
cands_free(struct cands *cs)
{
	free(cs->c);
	free(cs->trusted);
	memset(cs, 0, sizeof(*cs));
}

/* Candidates for one expression: the general pass, then the trusted one
 * if the general pass could not see every match. */
/* Trusted records among the candidates (a record's texts are adjacent). */
static size_t
trusted_seen(const struct cands *cs)
{
	size_t n = 0;

	for (size_t i = 0; i < cs->n; i++)
		n += cs->c[i].tier == 0 && (i == 0 || cs->c[i - 1].seq != cs->c[i].seq);
	return n;
}

static int
gather(struct store *st, const struct search_expr *e, const struct search_filter *f,
    size_t limit, struct cands *cs, char **cause)
{
	int rc;

	if ((rc = trusted_load(st, cs)) != 0 || (rc = collect(st, e, f, false, cs, cause)) != 0)
		return rc;
	/* Nothing to do when the window already holds a page of trusted
	 * records: none of theirs was crowded out. */
	if (cs->truncated && !f->has_author && cs->ntrusted > 0 && trusted_seen(cs) < limit)
		rc = collect(st, e, f, true, cs, cause);
	if (rc == 0)
		rank(cs);
	return rc;
}

static int
fill_hits(struct store *st, const struct search_expr *e, const struct cands *cs,
    const struct search_filter *f, size_t limit, struct search_hit **hits, size_t *n)
{
	sqlite3_int64 rowids[SEARCH_MAX_HITS];
	size_t pick[SEARCH_MAX_HITS], np;

	if ((*hits = calloc(limit, sizeof(**hits))) == NULL)
		return -ENOMEM;
	np = page(cs, f, limit, pick);
	for (size_t i = 0; i < np; i++) {
		const struct cand *c = &cs->c[pick[i]];

		(*hits)[i].seq = c->seq;
		(*hits)[i].score = c->score;
		(*hits)[i].match = c->match < SEARCH_MATCH_COUNT ? (enum search_match)c->match :
		    SEARCH_TYPO;
		(*hits)[i].lang = strdup(c->lang);
		rowids[i] = c->rowid;
	}
	add_snippets(st, e, *hits, rowids, np);
	*n = np;
	return 0;
}

int
search_query(struct store *st, const char *query, const struct search_filter *f,
    struct search_hit **hits, size_t *n, char **cause)
{
	struct search_word words[SEARCH_WORDS_MAX];
	struct search_expr e;
	struct cands cs = { 0 };
	size_t limit = f->limit ? f->limit : SEARCH_DEFAULT_LIMIT;
	int nw, rc;

	*hits = NULL;
	*n = 0;
	if (limit > SEARCH_MAX_HITS)
		limit = SEARCH_MAX_HITS;
	/* A failure to index leaves the index as it was: search that (while
	 * storage is full, silently: status says so, and the reply says how
	 * many texts are not searchable yet). */
	if ((rc = store_index_catch_up(st, SEARCH_INDEX_MAX)) != 0 && rc != -ENOSPC)
		log_warnx("search: indexing the latest texts failed; searching without them");
	if ((rc = search_words(st, query, words, &nw, cause)) != 0)
		return rc;
	if ((rc = search_expr_build(st, words, nw, f->exact, false, &e)) != 0)
		return rc;
	rc = gather(st, &e, f, limit, &cs, cause);
	/* Few records: the words may be mistyped; look for close words, and
	 * search again if there are any. */
	if (rc == 0 && !f->exact && cs.n < SEARCH_FEW) {
		struct search_expr typo;

		if ((rc = search_expr_build(st, words, nw, false, true, &typo)) != 0) {
			search_expr_free(&e);
			cands_free(&cs);
			return rc;
		}
		if (typo.nphrase > e.nphrase) {
			search_expr_free(&e);
			cands_free(&cs);
			e = typo;
			rc = gather(st, &e, f, limit, &cs, cause);
		} else {
			search_expr_free(&typo);
		}
	}
	if (rc == 0)
		rc = fill_hits(st, &e, &cs, f, limit, hits, n);
	if (rc != 0) {
		search_hits_free(*hits, *n);
		*hits = NULL;
		*n = 0;
	}
	search_expr_free(&e);
	cands_free(&cs);
	return rc;
}

void
search_hits_free(struct search_hit *hits, size_t n)
{
	for (size_t i = 0; hits != NULL && i < n; i++) {
		free(hits[i].lang);
		free(hits[i].snippet);
	}
	free(hits);
}

int
search_list(struct store *st, const struct search_filter *f, uint64_t **seqs, size_t *n)
{
	char sql[1024] = "SELECT r.seq FROM records r WHERE r.deleted = 0";
	size_t limit = f->limit ? f->limit : LIST_DEFAULT_LIMIT, cnt = 0;
	uint64_t *out;
	sqlite3_stmt *s;
	int rc;

	*seqs = NULL;
	*n = 0;
	if (f->lang != NULL)
		strncat(sql, " AND EXISTS (SELECT 1 FROM text_meta m WHERE m.seq = r.seq"
		    " AND m.lang = ?2)", sizeof(sql) - strlen(sql) - 1);
	if (f->kind > 0)
		strncat(sql, " AND r.kind = ?3", sizeof(sql) - strlen(sql) - 1);
	if (f->has_author)
		strncat(sql, " AND r.author IN " STORE_ROTATED_KEYS, sizeof(sql) - strlen(sql) - 1);
	if (f->tag != NULL)
		strncat(sql, " AND EXISTS (SELECT 1 FROM tags g WHERE g.tag = ?5 AND g.seq = r.seq)",
		    sizeof(sql) - strlen(sql) - 1);
	strncat(sql, " ORDER BY r.listed DESC, r.seq DESC LIMIT ?6", sizeof(sql) - strlen(sql) - 1);
	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return store_err(st, rc, "list");
	filter_bind(s, f);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)limit);
	if ((out = malloc(limit * sizeof(*out))) == NULL) {
		sqlite3_finalize(s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && cnt < limit)
		out[cnt++] = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		free(out);
		return store_err(st, rc, "list");
	}
	*seqs = out;
	*n = cnt;
	return 0;
}

int
search_export(struct store *st, const struct search_filter *f, uint64_t after,
    uint64_t **seqs, size_t *n, char **cause)
{
	size_t cap = 1024, cnt = 0;
	uint64_t *out;
	sqlite3_stmt *s;
	int rc;

	*seqs = NULL;
	*n = 0;
	/* Every record of the community, tombstones included, oldest first. */
	if ((rc = sqlite3_prepare_v2(st->db, f->has_author ?
		 "SELECT seq FROM records WHERE seq > ?1 AND author IN " STORE_ROTATED_KEYS
		 " ORDER BY seq" :
		 "SELECT seq FROM records WHERE seq > ?1 ORDER BY seq", -1, &s, NULL)) != SQLITE_OK)
		return set_cause(cause, store_err(st, rc, "export"), "reading the records: %s",
		    sqlite3_errmsg(st->db));
	sqlite3_bind_int64(s, 1, (sqlite3_int64)after);
	if (f->has_author)
		sqlite3_bind_blob(s, 4, f->author, TESS_KEY_LEN, SQLITE_STATIC);
	if ((out = malloc(cap * sizeof(*out))) == NULL) {
		sqlite3_finalize(s);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			uint64_t *more = realloc(out, 2 * cap * sizeof(*out));

			if (more == NULL) {
				sqlite3_finalize(s);
				free(out);
				return set_cause(cause, -ENOMEM, "out of memory after %zu records", cnt);
			}
			out = more;
			cap *= 2;
		}
		out[cnt++] = (uint64_t)sqlite3_column_int64(s, 0);
	}
	/* A step that fails midway must not pass for the end of the table. */
	if (rc != SQLITE_DONE) {
		rc = set_cause(cause, store_err(st, rc, "export"), "reading the records after %zu: %s",
		    cnt, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		free(out);
		return rc;
	}
	sqlite3_finalize(s);
	*seqs = out;
	*n = cnt;
	return 0;
}
