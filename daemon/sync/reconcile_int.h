/* Private to reconcile.c and reconcile_range.c: ranges of the id space by
 * prefix, their fingerprints and items, and a growable array. */
#ifndef RECONCILE_INT_H
#define RECONCILE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"
#include "store/store_fp.h"
#include "sync/reconcile.h"

/* Prefix bytes of a range of depth digits; the unused low bits are zero. */
#define RECON_PREFIX_BYTES(depth) (((depth) * RECON_BITS + 7) / 8)
#define RECON_PREFIX_MAX RECON_PREFIX_BYTES(RECON_MAX_DEPTH)

struct store;

/* A growable array of fixed-size elements (size set before use). */
struct vec {
	void *v;
	size_t n, cap, size;
};

int recon_vec_push(struct vec *v, const void *e);
void recon_vec_free(struct vec *v);

/* An item of a range with its wire hash. */
struct item {
	uint8_t hash[RECON_FP_LEN];
	uint8_t id[TESS_ID_LEN];
};

/* Digit i (RECON_BITS wide, from the most significant) of an id. */
unsigned recon_digit(const uint8_t *id, unsigned i);
void recon_set_digit(uint8_t *id, unsigned i, unsigned v);
/* The end of the range of depth digits starting at lo: false when it runs
 * to the end of the key space. */
bool recon_range_hi(const uint8_t lo[TESS_ID_LEN], unsigned depth, uint8_t hi[TESS_ID_LEN]);
/* The wire fingerprint of a set: RECON_FP_LEN bytes of SHA-256(sum ||
 * count), all zero for the empty set only. */
void recon_wire_fp(const struct store_fp *f, uint8_t out[RECON_FP_LEN]);
/* Our fingerprint of a range. */
int recon_range_fp(struct store *st, const uint8_t lo[TESS_ID_LEN], unsigned depth,
    struct store_fp *f);
/* Our items of a range (struct item), ascending by hash; -E2BIG beyond max. */
int recon_range_items(struct store *st, const uint8_t lo[TESS_ID_LEN], unsigned depth,
    size_t max, struct vec *out);
/* Compares two wire hashes (qsort, bsearch). */
int recon_hash_cmp(const void *a, const void *b);

#endif
