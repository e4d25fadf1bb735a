/* Record counts by kind, for the metrics endpoint. */
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
