/* Attachment data: the rows of the blobs and attach_refs tables (see
 * blob.h); the files are blob.c's. */
#include "store/blob_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Live records referencing a blob: a ref whose record is gone (a blocked
 * author's) or a tombstone does not count. */
#define LIVE_REFS "(SELECT count(*) FROM attach_refs a JOIN records r ON r.id = a.id" \
	" WHERE a.root = b.root AND r.deleted = 0)"

static const char *const sql[BS_COUNT] = {
	[BS_INFO] = "SELECT size, state, nhave, want, " LIVE_REFS " FROM blobs b WHERE root = ?",
	[BS_HAVE] = "SELECT have FROM blobs WHERE root = ?",
	[BS_SET_HAVE] = "UPDATE blobs SET have = ?2, nhave = ?3, state = ?4, files = 1"
	    " WHERE root = ?1 AND state != 3",
	[BS_ENSURE] = "INSERT INTO blobs (root, size) VALUES (?, ?) ON CONFLICT DO NOTHING",
	[BS_WANT] = "UPDATE blobs SET want = ?2 WHERE root = ?1",
	[BS_REF_ADD] = "INSERT OR IGNORE INTO attach_refs (id, root) VALUES (?, ?)",
	/* A tombstone: what only this record referenced is withdrawn. */
	[BS_PURGE] = "UPDATE blobs SET state = 3, have = NULL, nhave = 0 WHERE root IN"
	    " (SELECT root FROM attach_refs WHERE id = ?1) AND NOT EXISTS (SELECT 1 FROM"
	    " attach_refs a JOIN records r ON r.id = a.id WHERE a.root = blobs.root"
	    " AND a.id != ?1 AND r.deleted = 0)",
	[BS_REF_DEL] = "DELETE FROM attach_refs WHERE id = ?",
	[BS_MISSING] = "SELECT root, size, state, nhave, want FROM blobs b WHERE state IN (0, 1)"
	    " AND " LIVE_REFS " > 0 ORDER BY rowid LIMIT ?",
	[BS_USAGE] = "SELECT IFNULL(sum(CASE WHEN state = 2 THEN size WHEN state = 1 THEN"
	    " nhave * 65536 ELSE 0 END), 0), IFNULL(sum(CASE WHEN state IN (0, 1) AND "
	    LIVE_REFS " > 0 THEN size ELSE 0 END), 0) FROM blobs b",
	[BS_SET_COMPLETE] = "INSERT INTO blobs (root, size, state, nhave, files) VALUES"
	    " (?1, ?2, 2, ?3, 1) ON CONFLICT (root) DO UPDATE SET state = 2, have = NULL,"
	    " nhave = ?3, size = ?2, files = 1",
	/* Garbage: the files of purged blobs, and blobs no live record
	 * references. */
	[BS_GARBAGE] = "SELECT root, state FROM blobs b WHERE (state = 3 AND files = 1) OR"
	    " (state != 3 AND " LIVE_REFS " = 0) LIMIT 256",
	[BS_FORGET] = "DELETE FROM blobs WHERE root = ?1 AND state != 3",
	[BS_SWEPT] = "UPDATE blobs SET files = 0 WHERE root = ?1",
	/* From the (few) references, each looked up by the records' id index:
	 * never a scan of the records. */
	[BS_REF_STALE] = "DELETE FROM attach_refs WHERE NOT EXISTS (SELECT 1 FROM records r"
	    " WHERE r.id = attach_refs.id AND r.deleted = 0)",
};

sqlite3_stmt *
blob_stmt(struct store *st, enum blob_stmt which)
{
	struct blobs *b = st->blobs;
	sqlite3_stmt *s = b->stmt[which];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT,
			&b->stmt[which], NULL) != SQLITE_OK) {
			log_warnx("store: prepare: %s", sqlite3_errmsg(st->db));
			return NULL;
		}
		return b->stmt[which];
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Steps a statement that returns no row. */
static int
run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, what);
}

int
blob_get_info(struct store *st, const uint8_t root[MERKLE_HASH], struct blob_info *bi)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = blob_stmt(st, BS_INFO)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, root, MERKLE_HASH, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? -ENOENT : store_err(st, rc, "blob info");
	}
	memset(bi, 0, sizeof(*bi));
	memcpy(bi->root, root, MERKLE_HASH);
	bi->size = (uint64_t)sqlite3_column_int64(s, 0);
	bi->state = (enum blob_state)sqlite3_column_int(s, 1);
	bi->chunks = merkle_leaves(bi->size);
	bi->have = bi->state == BLOB_COMPLETE ? bi->chunks : (uint64_t)sqlite3_column_int64(s, 2);
	bi->want = sqlite3_column_int(s, 3) != 0;
	bi->refs = (uint32_t)sqlite3_column_int(s, 4);
	sqlite3_reset(s);
	return 0;
}

/* Runs a statement whose first parameter is root (and second, if n2 is
 * not NULL, *n2). */
static int
run_root(struct store *st, enum blob_stmt which, const uint8_t root[MERKLE_HASH],
    const int64_t *n2, const char *what)
{
	sqlite3_stmt *s;

	if ((s = blob_stmt(st, which)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, root, MERKLE_HASH, SQLITE_STATIC);
	if (n2 != NULL)
		sqlite3_bind_int64(s, 2, *n2);
	return run(st, s, what);
}

int
blob_set_want(struct store *st, const uint8_t root[MERKLE_HASH], bool want)
{
	int64_t w = want;

	return run_root(st, BS_WANT, root, &w, "blob want");
}

int
blob_list_missing(struct store *st, struct blob_info *out, size_t max, size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if ((s = blob_stmt(st, BS_MISSING)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		struct blob_info *bi = &out[(*n)++];

		memset(bi, 0, sizeof(*bi));
		if (sqlite3_column_bytes(s, 0) == MERKLE_HASH)
			memcpy(bi->root, sqlite3_column_blob(s, 0), MERKLE_HASH);
		bi->size = (uint64_t)sqlite3_column_int64(s, 1);
		bi->state = (enum blob_state)sqlite3_column_int(s, 2);
		bi->chunks = merkle_leaves(bi->size);
		bi->have = (uint64_t)sqlite3_column_int64(s, 3);
		bi->want = sqlite3_column_int(s, 4) != 0;
		bi->refs = 1;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(st, rc, "blob list");
}

int
blob_usage(struct store *st, uint64_t *held, uint64_t *missing)
{
	sqlite3_stmt *s;
	int rc;

	*held = *missing = 0;
	if ((s = blob_stmt(st, BS_USAGE)) == NULL)
		return -EIO;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*held = (uint64_t)sqlite3_column_int64(s, 0);
		*missing = (uint64_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_err(st, rc, "blob usage");
}

int
blob_db_have(struct store *st, const uint8_t root[MERKLE_HASH], uint8_t *bits, size_t nbytes)
{
	sqlite3_stmt *s;
	int rc;

	memset(bits, 0, nbytes);
	if ((s = blob_stmt(st, BS_HAVE)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, root, MERKLE_HASH, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW && (size_t)sqlite3_column_bytes(s, 0) == nbytes)
		memcpy(bits, sqlite3_column_blob(s, 0), nbytes);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(st, rc, "blob bitmap");
}

int
blob_db_set_have(struct store *st, const uint8_t root[MERKLE_HASH], const uint8_t *bits,
    size_t nbytes, uint64_t have)
{
	sqlite3_stmt *s;

	if ((s = blob_stmt(st, BS_SET_HAVE)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, root, MERKLE_HASH, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, bits, (int)nbytes, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)have);
	sqlite3_bind_int(s, 4, have > 0 ? BLOB_PARTIAL : BLOB_ABSENT);
	return run(st, s, "blob bitmap");
}

struct have_args {
	const uint8_t *root, *bits;
	size_t nbytes;
	uint64_t have;
};

static int
set_have_fn(struct store *st, void *arg)
{
	struct have_args *h = arg;

	return blob_db_set_have(st, h->root, h->bits, h->nbytes, h->have);
}

int
blob_db_set_have_unsynced(struct store *st, const uint8_t root[MERKLE_HASH],
    const uint8_t *bits, size_t nbytes, uint64_t have)
{
	struct have_args h = { root, bits, nbytes, have };

	return store_unsynced(st, set_have_fn, &h);
}

int
blob_db_complete(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t size)
{
	sqlite3_stmt *s;

	if ((s = blob_stmt(st, BS_SET_COMPLETE)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, root, MERKLE_HASH, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)size);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)merkle_leaves(size));
	return run(st, s, "blob complete");
}

int
blob_refs_put(struct store *st, const Tessera__Record *r)
{
	sqlite3_stmt *s;
	int rc;

	if (r->deleted) {
		if ((s = blob_stmt(st, BS_PURGE)) == NULL)
			return -EIO;
		sqlite3_bind_blob(s, 1, r->id.data, TESS_ID_LEN, SQLITE_STATIC);
		if ((rc = run(st, s, "blob purge")) != 0)
			return rc;
		if (sqlite3_changes(st->db) > 0) {
			st->blobs->gc_due = true;
			blob_serve_close(st->blobs);
		}
	}
	if ((s = blob_stmt(st, BS_REF_DEL)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, r->id.data, TESS_ID_LEN, SQLITE_STATIC);
	if ((rc = run(st, s, "blob refs")) != 0)
		return rc;
	for (size_t i = 0; i < r->n_attachments; i++) {
		const Tessera__Attachment *a = r->attachments[i];

		if ((s = blob_stmt(st, BS_ENSURE)) == NULL)
			return -EIO;
		sqlite3_bind_blob(s, 1, a->root.data, MERKLE_HASH, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)a->size);
		if ((rc = run(st, s, "blob row")) != 0)
			return rc;
		if ((s = blob_stmt(st, BS_REF_ADD)) == NULL)
			return -EIO;
		sqlite3_bind_blob(s, 1, r->id.data, TESS_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, a->root.data, MERKLE_HASH, SQLITE_STATIC);
		if ((rc = run(st, s, "blob ref")) != 0)
			return rc;
	}
	return 0;
}

int
blob_db_garbage(struct store *st, uint8_t (*roots)[MERKLE_HASH], bool *purged, size_t max,
    size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if ((s = blob_stmt(st, BS_REF_STALE)) == NULL || run(st, s, "blob refs") != 0)
		return -EIO;
	if ((s = blob_stmt(st, BS_GARBAGE)) == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		if (sqlite3_column_bytes(s, 0) != MERKLE_HASH)
			continue;
		memcpy(roots[*n], sqlite3_column_blob(s, 0), MERKLE_HASH);
		purged[(*n)++] = sqlite3_column_int(s, 1) == BLOB_PURGED;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(st, rc, "blob garbage");
}

int
blob_db_forget(struct store *st, const uint8_t root[MERKLE_HASH])
{
	int rc = run_root(st, BS_FORGET, root, NULL, "blob forget");

	return rc != 0 ? rc : run_root(st, BS_SWEPT, root, NULL, "blob forget");
}

const char *
blob_state_name(enum blob_state st)
{
	static const char *const names[] = { "absent", "partial", "here", "purged" };

	return st <= BLOB_PURGED ? names[st] : "?";
}
