/* Range fingerprints of the stored records, for set reconciliation.
 *
 * An item is a record's (id, version); its hash is SHA-256(id || version as
 * 8 bytes big-endian). The fingerprint of a set of items is the sum of their
 * hashes modulo 2^256 with their count: commutative and invertible, so the
 * store keeps it per bucket of ids (by first byte, and by first two bytes),
 * updated in the same transaction as every insert (store_fp_put, from
 * store_put) or delete (a trigger) of a record. The fingerprint of any id range [lo, hi) then combines whole
 * buckets and scans only the records of the (at most two) buckets cut by
 * its edges: no full scan per session. */
#ifndef STORE_FP_H
#define STORE_FP_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

#define STORE_FP_ACC 32       /* accumulator bytes: a sum mod 2^256 */

struct store;

struct store_fp {
	uint8_t acc[STORE_FP_ACC];   /* little-endian sum of item hashes */
	uint64_t n;                  /* items */
};

/* The schema migration (tables, triggers, back-fill of existing records). */
extern const char store_fp_schema[];

/* Registers the SQL functions the triggers call; before any migration. */
int store_fp_register(sqlite3 *db);

/* Adds a record just inserted into records to its buckets (removal is a
 * trigger's). Inside the caller's transaction. */
int store_fp_put(struct store *st, const uint8_t id[TESS_ID_LEN], uint64_t version);

/* The hash of one item. */
void store_fp_item(const uint8_t id[TESS_ID_LEN], uint64_t version, uint8_t h[STORE_FP_ACC]);
/* Adds (sign > 0) or removes (sign < 0) an item hash. */
void store_fp_add(struct store_fp *f, const uint8_t h[STORE_FP_ACC], int sign);

/* The fingerprint of the items whose id is in [lo, hi); hi NULL: to the end
 * of the key space. */
int store_fp_range(struct store *st, const uint8_t lo[TESS_ID_LEN], const uint8_t *hi,
    struct store_fp *out);

/* Calls cb for each item in [lo, hi) in id order, at most limit of them;
 * cb returns 0 to go on, non-zero to stop (negative: failure returned).
 * *n (may be NULL) counts the calls. */
/* The author and version of a stored record; -ENOENT if absent. */
int store_fp_author(struct store *st, const uint8_t id[TESS_ID_LEN], uint8_t author[TESS_KEY_LEN],
    uint64_t *version);

typedef int (*store_fp_item_cb)(void *arg, const uint8_t id[TESS_ID_LEN], uint64_t version);
int store_fp_items(struct store *st, const uint8_t lo[TESS_ID_LEN], const uint8_t *hi,
    size_t limit, store_fp_item_cb cb, void *arg, size_t *n);

#endif
