/* Search: FTS5 over every text of every language, ranked by bm25. */
#include "store/search.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"
#include "core/util.h"

char *
search_fts_expr(const char *query)
{
	/* Each word becomes a quoted FTS5 string, so user input can never be
	 * read as FTS5 syntax (column filters, NEAR, unbalanced quotes). */
	size_t cap = strlen(query) * 2 + 16, o = 0;
	char *out = malloc(cap);
	const char *p = query;

	if (out == NULL)
		return NULL;
	while (*p) {
		const char *start;
		size_t len;
		bool word = false, prefix = false;

		while (*p && isspace((unsigned char)*p))
			p++;
		start = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - start);
		if (len > 0 && start[len - 1] == '*') {
			prefix = true;
			len--;
		}
		for (size_t i = 0; i < len; i++)
			if (isalnum((unsigned char)start[i]) || (unsigned char)start[i] >= 0x80)
				word = true;
		if (!word)
			continue;
		if (o > 0)
			out[o++] = ' ';
		out[o++] = '"';
		for (size_t i = 0; i < len; i++) {
			if (start[i] == '"')
				out[o++] = '"';
			out[o++] = start[i];
		}
		out[o++] = '"';
		if (prefix)
			out[o++] = '*';
	}
	out[o] = '\0';
	return out;
}

/* Appends the filter's conditions on m (text_meta); binds 2..5. */
static void
filter_sql(char *sql, size_t cap, const struct search_filter *f)
{
	if (f->lang != NULL)
		strncat(sql, " AND m.lang = ?2", cap - strlen(sql) - 1);
	if (f->kind > 0)
		strncat(sql, " AND m.kind = ?3", cap - strlen(sql) - 1);
	if (f->has_author)
		strncat(sql, " AND m.author = ?4", cap - strlen(sql) - 1);
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

static int
hit_cmp(const void *a, const void *b)
{
	const struct search_hit *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->seq < y->seq ? 1 : (x->seq > y->seq ? -1 : 0);
}

/* Snippets for the chosen hits in one statement: the MATCH (and a prefix
 * query's expansion) is evaluated once, not once per hit, and snippet() runs
 * only for the chosen rows. */
static void
add_snippets(struct store *st, const char *expr, struct search_hit *hits,
    const sqlite3_int64 *rowids, size_t n)
{
	sqlite3_int64 lo = INT64_MAX, hi = 0;
	char sql[512 + 24 * SEARCH_MAX_HITS];
	sqlite3_stmt *s;
	size_t o;

	if (n == 0)
		return;
	o = (size_t)snprintf(sql, sizeof(sql),
	    "SELECT rowid, CASE WHEN rowid IN (");
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
	sqlite3_bind_text(s, 1, expr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	while (sqlite3_step(s) == SQLITE_ROW) {
		sqlite3_int64 rowid = sqlite3_column_int64(s, 0);
		const unsigned char *snip = sqlite3_column_text(s, 1);

		for (size_t i = 0; snip != NULL && i < n; i++)
			if (rowids[i] == rowid && hits[i].snippet == NULL)
				hits[i].snippet = strdup((const char *)snip);
	}
	sqlite3_finalize(s);
}

struct cand {
	struct search_hit hit;
	sqlite3_int64 rowid;
};

static int
cand_cmp(const void *a, const void *b)
{
	return hit_cmp(&((const struct cand *)a)->hit, &((const struct cand *)b)->hit);
}

int
search_query(struct store *st, const char *query, const struct search_filter *f,
    struct search_hit **hits, size_t *n, char **cause)
{
	char sql[1024];
	char *expr;
	struct cand *c = NULL;
	size_t nc = 0, limit = f->limit ? f->limit : SEARCH_DEFAULT_LIMIT, out = 0;

	if (limit > SEARCH_MAX_HITS)
		limit = SEARCH_MAX_HITS;
	sqlite3_stmt *s;
	int rc;

	*hits = NULL;
	*n = 0;
	if ((expr = search_fts_expr(query)) == NULL)
		return -ENOMEM;
	if (expr[0] == '\0') {
		free(expr);
		return set_cause(cause, -EINVAL, "empty query");
	}
	/* Newest matches first, at most SEARCH_CANDIDATES of them scored:
	 * FTS5 walks its doclist in rowid order, so LIMIT bounds the work. */
	snprintf(sql, sizeof(sql),
	    "SELECT m.rowid, m.seq, m.lang, bm25(texts_fts, 10.0, 4.0, 1.0, 2.0)"
	    " FROM texts_fts JOIN text_meta m ON m.rowid = texts_fts.rowid"
	    " WHERE texts_fts MATCH ?1");
	filter_sql(sql, sizeof(sql), f);
	strncat(sql, " ORDER BY texts_fts.rowid DESC LIMIT ?6", sizeof(sql) - strlen(sql) - 1);
	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) != SQLITE_OK) {
		rc = store_err(st, rc, "search");
		free(expr);
		return rc;
	}
	sqlite3_bind_text(s, 1, expr, -1, SQLITE_STATIC);
	filter_bind(s, f);
	sqlite3_bind_int(s, 6, SEARCH_CANDIDATES);
	if ((c = calloc(SEARCH_CANDIDATES, sizeof(*c))) == NULL) {
		sqlite3_finalize(s);
		free(expr);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && nc < SEARCH_CANDIDATES) {
		c[nc].rowid = sqlite3_column_int64(s, 0);
		c[nc].hit.seq = (uint64_t)sqlite3_column_int64(s, 1);
		c[nc].hit.lang = (char *)sqlite3_column_text(s, 2);  /* borrowed until sort */
		c[nc].hit.score = sqlite3_column_double(s, 3);
		c[nc].hit.lang = c[nc].hit.lang ? strdup(c[nc].hit.lang) : NULL;
		nc++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = set_cause(cause, -EINVAL, "search failed: %s", sqlite3_errmsg(st->db));
		goto done;
	}
	rc = 0;
	qsort(c, nc, sizeof(*c), cand_cmp);
	/* One hit per record: its best-scoring language. */
	if ((*hits = calloc(limit, sizeof(**hits))) == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	sqlite3_int64 rowids[SEARCH_MAX_HITS];

	for (size_t i = 0; i < nc && out < limit; i++) {
		bool dup = false;

		for (size_t k = 0; k < out && !dup; k++)
			dup = (*hits)[k].seq == c[i].hit.seq;
		if (dup)
			continue;
		(*hits)[out] = c[i].hit;
		c[i].hit.lang = NULL;
		rowids[out] = c[i].rowid;
		out++;
	}
	add_snippets(st, expr, *hits, rowids, out);
	*n = out;
done:
	sqlite3_finalize(s);
	for (size_t i = 0; i < nc; i++)
		free(c[i].hit.lang);
	free(c);
	free(expr);
	if (rc != 0) {
		search_hits_free(*hits, out);
		*hits = NULL;
		*n = 0;
	}
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
		strncat(sql, " AND r.author = ?4", sizeof(sql) - strlen(sql) - 1);
	if (f->tag != NULL)
		strncat(sql, " AND EXISTS (SELECT 1 FROM tags g WHERE g.tag = ?5 AND g.seq = r.seq)",
		    sizeof(sql) - strlen(sql) - 1);
	strncat(sql, " ORDER BY r.ts DESC, r.seq DESC LIMIT ?6", sizeof(sql) - strlen(sql) - 1);
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
		 "SELECT seq FROM records WHERE seq > ?1 AND author = ?4 ORDER BY seq" :
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
