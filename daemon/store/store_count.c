/* Record counts by kind and by community, for the metrics endpoint. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int
store_count_kinds(struct store *st, struct store_kinds *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	/* The records_author index covers (deleted, kind) only after author,
	 * so this is one pass over the index: fine at scrape intervals. */
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT kind, deleted, count(*) FROM records GROUP BY kind, deleted", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(st, rc, "count by kind");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t kind = sqlite3_column_int64(s, 0);
		uint64_t n = (uint64_t)sqlite3_column_int64(s, 2);

		if (sqlite3_column_int64(s, 1) != 0)
			out->tombstones += n;
		else if (kind >= 0 && kind < STORE_KINDS)
			out->live[kind] += n;
		else
			out->live[0] += n;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "count by kind");
}

/* Fills c's top list: the first limit entries of the authors_top index
 * (migration 7), no other author read. */
static int
top_communities(struct store *st, size_t limit, struct store_communities *c)
{
	sqlite3_stmt *s;
	int rc;

	if ((c->top = calloc(limit ? limit : 1, sizeof(*c->top))) == NULL)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT author, name, records FROM authors WHERE records > 0"
	    " ORDER BY records DESC, author LIMIT ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(st, rc, "top communities");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && c->n_top < limit) {
		struct store_author *a = &c->top[c->n_top];
		const unsigned char *name = sqlite3_column_text(s, 1);

		if (sqlite3_column_bytes(s, 0) != TESS_KEY_LEN)
			continue;
		memcpy(a->author, sqlite3_column_blob(s, 0), TESS_KEY_LEN);
		if (name != NULL && (a->name = strdup((const char *)name)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		a->records = (uint64_t)sqlite3_column_int64(s, 2);
		c->n_top++;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_NOMEM)
		return -ENOMEM;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_err(st, rc, "top communities");
}

int
store_count_communities(struct store *st, size_t limit, struct store_communities *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	/* One row kept by triggers (migration 7): a scrape reads no author. */
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT communities, records FROM author_totals", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(st, rc, "count communities");
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out->total = (uint64_t)sqlite3_column_int64(s, 0);
		out->records = (uint64_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_err(st, rc, "count communities");
	if ((rc = top_communities(st, limit, out)) != 0)
		store_communities_free(out);
	return rc;
}

void
store_communities_free(struct store_communities *c)
{
	if (c == NULL)
		return;
	store_authors_free(c->top, c->n_top);
	memset(c, 0, sizeof(*c));
}
