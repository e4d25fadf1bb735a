/* Store: the index of adoptions by source (see store_adopt.h). */
#include "store/store_adopt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/record.h"
#include "core/util.h"
#include "store/store_int.h"

const char store_adopt_schema[] =
    "CREATE TABLE IF NOT EXISTS adoptions ("
    "  seq INTEGER PRIMARY KEY,"        /* the adoption's records.seq */
    "  source BLOB NOT NULL);"          /* the id of the record it adopts */
    "CREATE INDEX IF NOT EXISTS adoptions_source ON adoptions (source);"
    /* Every way a record leaves (a new version, a tombstone, a block)
     * deletes its row from records: the trigger follows all of them. */
    "CREATE TRIGGER IF NOT EXISTS records_adopt_ad AFTER DELETE ON records BEGIN"
    "  DELETE FROM adoptions WHERE seq = old.seq; END;";

int
store_adopt_put(struct store *st, int64_t seq, const Tessera__Record *r)
{
	sqlite3_stmt *s;
	int rc;

	if (r->deleted || r->kind != TESSERA__KIND__KIND_ADOPTION || r->adoption == NULL ||
	    r->adoption->source_id.len != TESS_ID_LEN)
		return 0;
	if ((s = store_stmt(st, S_ADOPT_PUT)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_blob(s, 2, r->adoption->source_id.data, TESS_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "index adoption");
}

int
store_adopt_backfill(struct store *st, char **cause)
{
	sqlite3_stmt *s;
	size_t n = 0;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT seq, body, sig FROM records WHERE kind = ?1 "
	    "AND deleted = 0", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return set_cause(cause, -EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_int(s, 1, TESSERA__KIND__KIND_ADOPTION);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		Tessera__Record *r;
		const char *why;

		/* Kept verbatim by an older version: read it as this one would
		 * have on arrival, and leave out what this one refuses. */
		if (record_open(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
			sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), &r,
			&why) != 0) {
			log_warnx("store: adoption at seq %lld not indexed: %s",
			    (long long)sqlite3_column_int64(s, 0), why);
			continue;
		}
		rc = store_adopt_put(st, sqlite3_column_int64(s, 0), r);
		record_free(r);
		if (rc != 0)
			break;
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != 0)
		return set_cause(cause, -EIO, "%s: indexing adoptions: %s", st->path,
		    sqlite3_errmsg(st->db));
	if (n > 0)
		log_info("store: indexed %zu adoptions stored before", n);
	return 0;
}

int
store_adopt_children(struct store *st, const uint8_t id[TESS_ID_LEN], size_t max,
    uint8_t (**ids)[TESS_ID_LEN], size_t *n)
{
	sqlite3_stmt *s = store_stmt(st, S_ADOPT_CHILDREN);
	uint8_t (*out)[TESS_ID_LEN];
	int rc;

	*ids = NULL;
	*n = 0;
	if (s == NULL)
		return -EIO;
	if ((out = calloc(max ? max : 1, TESS_ID_LEN)) == NULL)
		return -ENOMEM;
	sqlite3_bind_blob(s, 1, id, TESS_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (sqlite3_column_bytes(s, 0) == TESS_ID_LEN)
			memcpy(out[(*n)++], sqlite3_column_blob(s, 0), TESS_ID_LEN);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(out);
		*n = 0;
		return store_err(st, rc, "adoptions");
	}
	*ids = out;
	return 0;
}
