/* Range fingerprints kept with the records (see store_fp.h). */
#include "store/store_fp.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

#include "store/store_int.h"

/* Bucket keys in recon_fp: 0..255 by the id's first byte, then 256 + the
 * first two bytes (65,536 buckets). */
#define L1_BUCKETS 256
#define L2_BASE 256
#define L2_BUCKETS 65536

const char store_fp_schema[] =
    "CREATE TABLE recon_fp ("
    "  b INTEGER PRIMARY KEY,"       /* bucket key, see store_fp.c */
    "  n INTEGER NOT NULL,"          /* items in the bucket */
    "  acc BLOB NOT NULL);"          /* sum of their hashes mod 2^256 */
    /* Inserts add their item from C (store_fp_put): a trigger that writes
     * makes every INSERT INTO records keep a statement journal, measured at
     * 5x the cost of a put. Deletes (new versions, blocking) are rarer and
     * come in bulk, so a trigger takes them out. */
    "CREATE TRIGGER records_fp_ad AFTER DELETE ON records BEGIN"
    "  UPDATE recon_fp SET n = n - 1,"
    "    acc = tess_fp_merge(acc, tess_fp_item(old.id, old.version), -1)"
    "  WHERE b IN (tess_fp_bucket(old.id, 1), tess_fp_bucket(old.id, 2));"
    "END;"
    /* Records never change in place (a new version is a delete and an
     * insert); one that did would desynchronise the buckets. */
    "CREATE TRIGGER records_fp_au BEFORE UPDATE OF id, version ON records BEGIN"
    "  SELECT RAISE(ABORT, 'records are replaced, not updated');"
    "END;"
    "INSERT INTO recon_fp (b, n, acc) SELECT tess_fp_bucket(id, 1), count(*),"
    "  tess_fp_sum(id, version) FROM records GROUP BY 1;"
    "INSERT INTO recon_fp (b, n, acc) SELECT tess_fp_bucket(id, 2), count(*),"
    "  tess_fp_sum(id, version) FROM records GROUP BY 1;";

void
store_fp_item(const uint8_t id[TESS_ID_LEN], uint64_t version, uint8_t h[STORE_FP_ACC])
{
	uint8_t in[TESS_ID_LEN + 8];
	unsigned int len = 0;

	memcpy(in, id, TESS_ID_LEN);
	for (int i = 0; i < 8; i++)
		in[TESS_ID_LEN + i] = (uint8_t)(version >> (56 - 8 * i));
	EVP_Digest(in, sizeof(in), h, &len, EVP_sha256(), NULL);
}

/* acc += h or acc -= h, modulo 2^256, little-endian. */
static void
acc_add(uint8_t acc[STORE_FP_ACC], const uint8_t h[STORE_FP_ACC], int sign)
{
	int carry = 0;

	for (int i = 0; i < STORE_FP_ACC; i++) {
		int v = sign >= 0 ? acc[i] + h[i] + carry : acc[i] - h[i] - carry;

		carry = sign >= 0 ? v >> 8 : v < 0;
		acc[i] = (uint8_t)(v & 0xff);
	}
}

void
store_fp_add(struct store_fp *f, const uint8_t h[STORE_FP_ACC], int sign)
{
	acc_add(f->acc, h, sign);
	f->n += sign >= 0 ? 1 : (uint64_t)-1;
}

/* SQL functions for the triggers. */

static void
sql_bucket(sqlite3_context *c, int argc, sqlite3_value **v)
{
	const uint8_t *id = sqlite3_value_blob(v[0]);
	int len = sqlite3_value_bytes(v[0]);
	int b0 = len > 0 ? id[0] : 0, b1 = len > 1 ? id[1] : 0;

	(void)argc;
	sqlite3_result_int(c, sqlite3_value_int(v[1]) == 1 ? b0 : L2_BASE + (b0 << 8 | b1));
}

/* The item hash of (id, version); a malformed id hashes as zeros padded. */
static void
hash_args(sqlite3_value **v, uint8_t h[STORE_FP_ACC])
{
	uint8_t id[TESS_ID_LEN] = { 0 };
	int len = sqlite3_value_bytes(v[0]);

	if (len > TESS_ID_LEN)
		len = TESS_ID_LEN;
	if (len > 0)
		memcpy(id, sqlite3_value_blob(v[0]), (size_t)len);
	store_fp_item(id, (uint64_t)sqlite3_value_int64(v[1]), h);
}

static void
sql_item(sqlite3_context *c, int argc, sqlite3_value **v)
{
	uint8_t h[STORE_FP_ACC];

	(void)argc;
	hash_args(v, h);
	sqlite3_result_blob(c, h, STORE_FP_ACC, SQLITE_TRANSIENT);
}

static void
sql_merge(sqlite3_context *c, int argc, sqlite3_value **v)
{
	uint8_t acc[STORE_FP_ACC] = { 0 };

	(void)argc;
	if (sqlite3_value_bytes(v[0]) == STORE_FP_ACC)
		memcpy(acc, sqlite3_value_blob(v[0]), STORE_FP_ACC);
	if (sqlite3_value_bytes(v[1]) != STORE_FP_ACC) {
		sqlite3_result_error(c, "tess_fp_merge: not a hash", -1);
		return;
	}
	acc_add(acc, sqlite3_value_blob(v[1]), sqlite3_value_int(v[2]));
	sqlite3_result_blob(c, acc, STORE_FP_ACC, SQLITE_TRANSIENT);
}

static void
sql_sum_step(sqlite3_context *c, int argc, sqlite3_value **v)
{
	uint8_t *acc = sqlite3_aggregate_context(c, STORE_FP_ACC), h[STORE_FP_ACC];

	(void)argc;
	if (acc == NULL) {
		sqlite3_result_error_nomem(c);
		return;
	}
	hash_args(v, h);
	acc_add(acc, h, 1);
}

static void
sql_sum_final(sqlite3_context *c)
{
	uint8_t *acc = sqlite3_aggregate_context(c, STORE_FP_ACC);

	if (acc == NULL)
		sqlite3_result_error_nomem(c);
	else
		sqlite3_result_blob(c, acc, STORE_FP_ACC, SQLITE_TRANSIENT);
}

int
store_fp_register(sqlite3 *db)
{
	const int f = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

	if (sqlite3_create_function(db, "tess_fp_bucket", 2, f, NULL, sql_bucket, NULL, NULL) ||
	    sqlite3_create_function(db, "tess_fp_item", 2, f, NULL, sql_item, NULL, NULL) ||
	    sqlite3_create_function(db, "tess_fp_merge", 3, f, NULL, sql_merge, NULL, NULL) ||
	    sqlite3_create_function(db, "tess_fp_sum", 2, f, NULL, NULL, sql_sum_step,
		sql_sum_final))
		return -EIO;
	return 0;
}

int
store_fp_put(struct store *st, const uint8_t id[TESS_ID_LEN], uint64_t version)
{
	const int keys[2] = { id[0], L2_BASE + (id[0] << 8 | id[1]) };
	uint8_t h[STORE_FP_ACC];

	store_fp_item(id, version, h);
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *s = store_stmt(st, S_FP_ADD);
		int rc;

		if (s == NULL)
			return -EIO;
		sqlite3_bind_int(s, 1, keys[i]);
		sqlite3_bind_blob(s, 2, h, STORE_FP_ACC, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return store_err(st, rc, "fingerprint");
	}
	return 0;
}

/* Adds the buckets with keys in [from, to). */
static int
add_buckets(struct store *st, int from, int to, struct store_fp *out)
{
	sqlite3_stmt *s;
	int rc;

	if (from >= to)
		return 0;
	if ((s = store_stmt(st, S_FP_BUCKETS)) == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, from);
	sqlite3_bind_int(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 1) != STORE_FP_ACC)
			continue;
		acc_add(out->acc, sqlite3_column_blob(s, 1), 1);
		out->n += (uint64_t)sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "fingerprint");
}

static int
add_item(void *arg, const uint8_t id[TESS_ID_LEN], uint64_t version)
{
	uint8_t h[STORE_FP_ACC];

	store_fp_item(id, version, h);
	store_fp_add(arg, h, 1);
	return 0;
}

/* The first id of two-byte bucket k (k < 65536). */
static void
bucket_start(unsigned k, uint8_t id[TESS_ID_LEN])
{
	memset(id, 0, TESS_ID_LEN);
	id[0] = (uint8_t)(k >> 8);
	id[1] = (uint8_t)k;
}

static bool
tail_zero(const uint8_t id[TESS_ID_LEN])
{
	for (int i = 2; i < TESS_ID_LEN; i++)
		if (id[i] != 0)
			return false;
	return true;
}

int
store_fp_range(struct store *st, const uint8_t lo[TESS_ID_LEN], const uint8_t *hi,
    struct store_fp *out)
{
	unsigned L = (unsigned)lo[0] << 8 | lo[1], H = hi ? ((unsigned)hi[0] << 8 | hi[1]) : L2_BUCKETS;
	bool lo_al = tail_zero(lo), hi_al = hi == NULL || tail_zero(hi);
	uint8_t edge[TESS_ID_LEN];
	unsigned a, a1, b1;
	int rc;

	memset(out, 0, sizeof(*out));
	if (hi != NULL && memcmp(lo, hi, TESS_ID_LEN) >= 0)
		return 0;
	if (L == H)   /* inside one bucket: its records */
		return store_fp_items(st, lo, hi, SIZE_MAX, add_item, out, NULL);
	a = L;
	if (!lo_al) {   /* the cut bucket at the low edge */
		bucket_start(L + 1, edge);
		if ((rc = store_fp_items(st, lo, L + 1 < L2_BUCKETS ? edge : NULL, SIZE_MAX,
		    add_item, out, NULL)) != 0)
			return rc;
		a = L + 1;
	}
	if (!hi_al) {   /* and at the high edge */
		bucket_start(H, edge);
		if ((rc = store_fp_items(st, edge, hi, SIZE_MAX, add_item, out, NULL)) != 0)
			return rc;
	}
	/* Whole two-byte buckets [a, H): whole one-byte buckets in the middle. */
	a1 = (a + 255) / 256;
	b1 = H / 256;
	if (a1 >= b1 || a >= H)
		return add_buckets(st, L2_BASE + (int)a, L2_BASE + (int)H, out);
	if ((rc = add_buckets(st, L2_BASE + (int)a, L2_BASE + (int)(a1 * 256), out)) != 0 ||
	    (rc = add_buckets(st, (int)a1, (int)b1, out)) != 0)
		return rc;
	return add_buckets(st, L2_BASE + (int)(b1 * 256), L2_BASE + (int)H, out);
}

int
store_fp_items(struct store *st, const uint8_t lo[TESS_ID_LEN], const uint8_t *hi,
    size_t limit, store_fp_item_cb cb, void *arg, size_t *n)
{
	/* Above every id: 16 bytes 0xff and one more byte. */
	static const uint8_t end[TESS_ID_LEN + 1] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	sqlite3_stmt *s;
	size_t got = 0;
	int rc, crc = 0;

	if (n != NULL)
		*n = 0;
	if ((s = store_stmt(st, S_FP_ITEMS)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, lo, TESS_ID_LEN, SQLITE_STATIC);
	if (hi != NULL)
		sqlite3_bind_blob(s, 2, hi, TESS_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_blob(s, 2, end, sizeof(end), SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != TESS_ID_LEN)
			continue;
		got++;
		if ((crc = cb(arg, sqlite3_column_blob(s, 0),
		    (uint64_t)sqlite3_column_int64(s, 1))) != 0)
			break;
	}
	sqlite3_reset(s);
	if (n != NULL)
		*n = got;
	if (crc != 0)
		return crc < 0 ? crc : 0;
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "fingerprint items");
}

int
store_fp_author(struct store *st, const uint8_t id[TESS_ID_LEN], uint8_t author[TESS_KEY_LEN],
    uint64_t *version)
{
	sqlite3_stmt *s = store_stmt(st, S_FP_AUTHOR);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, id, TESS_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == TESS_KEY_LEN) {
		memcpy(author, sqlite3_column_blob(s, 0), TESS_KEY_LEN);
		*version = (uint64_t)sqlite3_column_int64(s, 1);
		rc = 0;
	} else {
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? -ENOENT : store_err(st, rc, "author");
	}
	sqlite3_reset(s);
	return rc;
}
