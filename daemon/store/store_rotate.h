/* Key rotations the store holds (docs/protocol.md, "Key rotation"): which
 * key a community moved to, kept in the same transaction as the rotation
 * records themselves. The first valid rotation of a key that arrives wins;
 * a later one to another key is refused (STORE_DISPUTED) and remembered as
 * a dispute for the operator (status, "needs attention"). */
#ifndef STORE_ROTATE_H
#define STORE_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "store/store.h"

/* The schema version that added rotations (store_migrate.c: the lead
 * renumbers it on merge; tests name it through this constant). */
#define STORE_SCHEMA_ROTATIONS 11
/* Most hops followed from a key to the key its community uses now. */
#define STORE_ROTATE_HOPS 16

extern const char store_rotate_schema[];
/* SQL: the keys of the community whose current key is bound to ?4 (it and
 * every key rotated to it, in any number of hops), for "author IN ...".
 * UNION, not UNION ALL: a key met twice ends the walk. */
#define STORE_ROTATED_KEYS "(WITH RECURSIVE k(key) AS (SELECT ?4 UNION SELECT x.old" \
	" FROM rotations x JOIN k ON x.new = k.key) SELECT key FROM k)"
/* Indexes the rotations stored before the migration (relayed verbatim by
 * an older version), in arrival order, so that the first still wins. */
int store_rotate_backfill(struct store *st, char **cause);

/* Inside store_put's transaction, before r is stored: *res becomes
 * STORE_DISPUTED when r would replace a stored rotation record, when r
 * rotates a key already rotated to another key, or rotates to a key that
 * was itself rotated away (a loop). stored_kind: the kind of the record
 * stored under r's id (-1: none). */
int store_rotate_check(struct store *st, const Tessera__Record *r, int stored_kind,
    enum store_put_result *res);
/* After r was stored: remembers its rotation. */
int store_rotate_put(struct store *st, const Tessera__Record *r);
/* Inside a block: rotations to key are forgotten (and disputes that named
 * it), so that another rotation of the same old key may win. *n: how many. */
int store_rotate_forget(struct store *st, const uint8_t key[TESS_KEY_LEN], uint64_t *n);

/* The key old was rotated to: 0, or -ENOENT. */
int store_rotation_next(struct store *st, const uint8_t old[TESS_KEY_LEN],
    uint8_t next[TESS_KEY_LEN]);
/* The key the community of key uses now (key itself if never rotated),
 * following at most STORE_ROTATE_HOPS rotations. */
int store_rotation_final(struct store *st, const uint8_t key[TESS_KEY_LEN],
    uint8_t final[TESS_KEY_LEN]);
/* Whether from rotates, in one or more hops, to to. */
bool store_rotation_leads(struct store *st, const uint8_t from[TESS_KEY_LEN],
    const uint8_t to[TESS_KEY_LEN]);
/* Every key of the community whose current key is final (final first, then
 * the older ones), at most max: *n of them. */
int store_rotation_keys(struct store *st, const uint8_t final[TESS_KEY_LEN],
    uint8_t (*keys)[TESS_KEY_LEN], size_t max, size_t *n);
/* The signed rotation records that lead to key, oldest first, at most max:
 * bodies and signatures malloc'd into out (free with
 * store_rotation_chain_free). */
struct store_signed {
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
};
int store_rotation_chain(struct store *st, const uint8_t key[TESS_KEY_LEN],
    struct store_signed *out, size_t max, size_t *n);
void store_rotation_chain_free(struct store_signed *v, size_t n);
/* Rotations held. */
int store_rotation_count(struct store *st, uint64_t *n);
/* Disputed rotations held: how many, and the old key of the latest. */
int store_rotation_disputes(struct store *st, uint64_t *n, uint8_t last_old[TESS_KEY_LEN]);

#endif
