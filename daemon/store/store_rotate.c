/* Store: key rotations (see store_rotate.h). */
#include "store/store_rotate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "core/util.h"
#include "store/store_int.h"

const char store_rotate_schema[] =
    "CREATE TABLE IF NOT EXISTS rotations ("
    "  old BLOB PRIMARY KEY,"           /* one rotation per key: the first */
    "  new BLOB NOT NULL,"
    "  id BLOB NOT NULL,"               /* the rotation record */
    "  at INTEGER NOT NULL) WITHOUT ROWID;"   /* arrival, ms */
    "CREATE INDEX IF NOT EXISTS rotations_new ON rotations (new);"
    /* One row per disputed key (the latest other key it was rotated to):
     * whoever holds one key can sign any number of rotations of it, and
     * must not fill the disk with them. */
    "CREATE TABLE IF NOT EXISTS rotation_disputes ("
    "  old BLOB PRIMARY KEY, new BLOB NOT NULL,"
    "  first_seen INTEGER NOT NULL, seen INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID;";

/* Runs sql with ?1 = key and copies the 32-byte blob of the first row's
 * first column into out: 0, -ENOENT, or negative. */
static int
key_query(struct store *st, const char *sql, const uint8_t key[TESS_KEY_LEN],
    uint8_t out[TESS_KEY_LEN])
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return store_err(st, rc, "rotation");
	sqlite3_bind_blob(s, 1, key, TESS_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == TESS_KEY_LEN) {
		memcpy(out, sqlite3_column_blob(s, 0), TESS_KEY_LEN);
		rc = 0;
	} else {
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? -ENOENT : store_err(st, rc, "rotation");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Runs sql with ?1 = a, ?2 = b, ?3 = now (ms): 0 or negative. */
static int
pair_exec(struct store *st, const char *sql, const uint8_t *a, const uint8_t *b,
    const uint8_t *id)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return store_err(st, rc, "rotation");
	sqlite3_bind_blob(s, 1, a, TESS_KEY_LEN, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_blob(s, 2, b, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)(store_now_us(st) / 1000));
	if (id != NULL)
		sqlite3_bind_blob(s, 4, id, TESS_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "rotation");
}

static int
note_dispute(struct store *st, const uint8_t old[TESS_KEY_LEN], const uint8_t new[TESS_KEY_LEN])
{
	char a[NODEID_SHORT + 1], b[NODEID_SHORT + 1];

	nodeid_short(old, a);
	nodeid_short(new, b);
	/* A blocked community's rotations are no one's concern. */
	if (store_is_blocked(st, old))
		return 0;
	log_warnx("store: refused a second rotation of key %s (to %s): a rotation of that key "
	    "is already known; disputed (docs/protocol.md, \"Key rotation\")", a, b);
	return pair_exec(st, "INSERT INTO rotation_disputes (old, new, first_seen) VALUES"
	    " (?1, ?2, ?3) ON CONFLICT (old) DO UPDATE SET new = ?2, seen = seen + 1", old, new,
	    NULL);
}

int
store_rotate_check(struct store *st, const Tessera__Record *r, int stored_kind,
    enum store_put_result *res)
{
	const uint8_t *new = r->rotation != NULL ? r->rotation->new_key.data : NULL;
	uint8_t known[TESS_KEY_LEN];
	int rc;

	if (*res != STORE_STORED && *res != STORE_EQUIVOCATION_REPLACED)
		return 0;
	/* A rotation record is never replaced, not even by its author's
	 * tombstone: the statement stays what the first one said. */
	if (stored_kind == TESSERA__KIND__KIND_ROTATION) {
		*res = STORE_DISPUTED;
		return new != NULL ? note_dispute(st, r->author.data, new) : 0;
	}
	if (new == NULL || r->deleted)
		return 0;
	rc = key_query(st, "SELECT new FROM rotations WHERE old = ?1", r->author.data, known);
	if (rc == 0 && memcmp(known, new, TESS_KEY_LEN) == 0)
		return 0;   /* the same rotation again (another id): harmless */
	if (rc == 0) {
		*res = STORE_DISPUTED;
		return note_dispute(st, r->author.data, new);
	}
	if (rc != -ENOENT)
		return rc;
	/* Back to a key rotated away before: a loop no community needs. */
	rc = key_query(st, "SELECT new FROM rotations WHERE old = ?1", new, known);
	if (rc == 0) {
		*res = STORE_DISPUTED;
		return note_dispute(st, r->author.data, new);
	}
	return rc == -ENOENT ? 0 : rc;
}

int
store_rotate_put(struct store *st, const Tessera__Record *r)
{
	int rc;

	if (r->deleted || r->kind != TESSERA__KIND__KIND_ROTATION || r->rotation == NULL)
		return 0;
	/* A dispute the operator resolved (store_rotate_forget) ends here. */
	if ((rc = pair_exec(st, "INSERT OR IGNORE INTO rotations (old, new, at, id) VALUES"
	    " (?1, ?2, ?3, ?4)", r->author.data, r->rotation->new_key.data, r->id.data)) != 0)
		return rc;
	return pair_exec(st, "DELETE FROM rotation_disputes WHERE old = ?1 AND new = ?2",
	    r->author.data, r->rotation->new_key.data, NULL);
}

int
store_rotate_forget(struct store *st, const uint8_t key[TESS_KEY_LEN], uint64_t *n)
{
	int rc;

	*n = 0;
	if ((rc = pair_exec(st, "DELETE FROM rotations WHERE new = ?1", key, NULL, NULL)) != 0)
		return rc;
	*n = (uint64_t)sqlite3_changes(st->db);
	return pair_exec(st, "DELETE FROM rotation_disputes WHERE new = ?1", key, NULL, NULL);
}

int
store_rotate_backfill(struct store *st, char **cause)
{
	sqlite3_stmt *s;
	size_t n = 0;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT seq, body, sig FROM records WHERE kind = ?1"
	    " AND deleted = 0 ORDER BY seq", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return set_cause(cause, -EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_int(s, 1, TESSERA__KIND__KIND_ROTATION);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		enum store_put_result res = STORE_STORED;
		Tessera__Record *r;
		const char *why;

		if (record_open(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
			sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), &r,
			&why) != 0) {
			log_warnx("store: rotation at seq %lld not indexed: %s",
			    (long long)sqlite3_column_int64(s, 0), why);
			continue;
		}
		rc = store_rotate_check(st, r, -1, &res);
		if (rc == 0 && res == STORE_STORED && (rc = store_rotate_put(st, r)) == 0)
			n++;
		record_free(r);
		if (rc != 0)
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != 0)
		return set_cause(cause, -EIO, "%s: indexing rotations: %s", st->path,
		    sqlite3_errmsg(st->db));
	if (n > 0)
		log_info("store: indexed %zu key rotations stored before", n);
	return 0;
}

int
store_rotation_next(struct store *st, const uint8_t old[TESS_KEY_LEN],
    uint8_t next[TESS_KEY_LEN])
{
	return key_query(st, "SELECT new FROM rotations WHERE old = ?1", old, next);
}

int
store_rotation_final(struct store *st, const uint8_t key[TESS_KEY_LEN],
    uint8_t final[TESS_KEY_LEN])
{
	uint8_t next[TESS_KEY_LEN];
	int rc = 0;

	memcpy(final, key, TESS_KEY_LEN);
	for (int i = 0; i < STORE_ROTATE_HOPS; i++) {
		if ((rc = store_rotation_next(st, final, next)) != 0)
			break;
		memcpy(final, next, TESS_KEY_LEN);
	}
	return rc == -ENOENT ? 0 : rc;
}

bool
store_rotation_leads(struct store *st, const uint8_t from[TESS_KEY_LEN],
    const uint8_t to[TESS_KEY_LEN])
{
	uint8_t cur[TESS_KEY_LEN], next[TESS_KEY_LEN];

	memcpy(cur, from, TESS_KEY_LEN);
	for (int i = 0; i < STORE_ROTATE_HOPS; i++) {
		if (store_rotation_next(st, cur, next) != 0)
			return false;
		if (memcmp(next, to, TESS_KEY_LEN) == 0)
			return true;
		memcpy(cur, next, TESS_KEY_LEN);
	}
	return false;
}

int
store_rotation_keys(struct store *st, const uint8_t final[TESS_KEY_LEN],
    uint8_t (*keys)[TESS_KEY_LEN], size_t max, size_t *n)
{
	int rc = 0;

	*n = 0;
	if (max == 0)
		return 0;
	memcpy(keys[(*n)++], final, TESS_KEY_LEN);
	/* Each key is rotated once, so walking back from final meets a tree;
	 * breadth first, bounded by max. */
	for (size_t i = 0; i < *n && *n < max && rc == 0; i++) {
		sqlite3_stmt *s;

		if ((rc = sqlite3_prepare_v2(st->db, "SELECT old FROM rotations WHERE new = ?1", -1,
		    &s, NULL)) != SQLITE_OK)
			return store_err(st, rc, "rotation keys");
		sqlite3_bind_blob(s, 1, keys[i], TESS_KEY_LEN, SQLITE_STATIC);
		while (*n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
			if (sqlite3_column_bytes(s, 0) == TESS_KEY_LEN)
				memcpy(keys[(*n)++], sqlite3_column_blob(s, 0), TESS_KEY_LEN);
		sqlite3_finalize(s);
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(st, rc, "rotation keys");
	}
	return rc;
}

/* The rotation record that made key: its signed bytes into out, its old
 * key into prev. 0, -ENOENT or negative. */
static int
chain_step(struct store *st, const uint8_t key[TESS_KEY_LEN], struct store_signed *out,
    uint8_t prev[TESS_KEY_LEN])
{
	uint8_t id[TESS_ID_LEN];
	uint64_t seq;
	int rc;

	if ((rc = key_query(st, "SELECT old FROM rotations WHERE new = ?1 ORDER BY at LIMIT 1",
	    key, prev)) != 0)
		return rc;
	{
		sqlite3_stmt *s;

		if ((rc = sqlite3_prepare_v2(st->db, "SELECT id FROM rotations WHERE old = ?1", -1,
		    &s, NULL)) != SQLITE_OK)
			return store_err(st, rc, "rotation chain");
		sqlite3_bind_blob(s, 1, prev, TESS_KEY_LEN, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == TESS_ID_LEN ? 0 :
		    -ENOENT;
		if (rc == 0)
			memcpy(id, sqlite3_column_blob(s, 0), TESS_ID_LEN);
		sqlite3_finalize(s);
	}
	if (rc != 0)
		return rc;
	return store_get(st, id, &out->body, &out->len, out->sig, &seq);
}

int
store_rotation_chain(struct store *st, const uint8_t key[TESS_KEY_LEN],
    struct store_signed *out, size_t max, size_t *n)
{
	uint8_t cur[TESS_KEY_LEN], prev[TESS_KEY_LEN];
	int rc = 0;

	*n = 0;
	memcpy(cur, key, TESS_KEY_LEN);
	while (*n < max && (rc = chain_step(st, cur, &out[*n], prev)) == 0) {
		(*n)++;
		memcpy(cur, prev, TESS_KEY_LEN);
	}
	if (rc != 0 && rc != -ENOENT) {
		store_rotation_chain_free(out, *n);
		*n = 0;
		return rc;
	}
	/* Walked back from key: oldest first for the reader. */
	for (size_t i = 0; i < *n / 2; i++) {
		struct store_signed t = out[i];

		out[i] = out[*n - 1 - i];
		out[*n - 1 - i] = t;
	}
	return 0;
}

void
store_rotation_chain_free(struct store_signed *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].body);
		v[i].body = NULL;
	}
}

int
store_rotation_count(struct store *st, uint64_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if ((rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM rotations", -1, &s, NULL)) !=
	    SQLITE_OK)
		return store_err(st, rc, "rotations");
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_err(st, rc, "rotations");
}

int
store_rotation_disputes(struct store *st, uint64_t *n, uint8_t last_old[TESS_KEY_LEN])
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	memset(last_old, 0, TESS_KEY_LEN);
	if ((rc = sqlite3_prepare_v2(st->db, "SELECT count(*), (SELECT old FROM rotation_disputes"
	    " ORDER BY first_seen DESC LIMIT 1) FROM rotation_disputes", -1, &s, NULL)) != SQLITE_OK)
		return store_err(st, rc, "rotation disputes");
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) == TESS_KEY_LEN)
			memcpy(last_old, sqlite3_column_blob(s, 1), TESS_KEY_LEN);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "rotation disputes");
}
