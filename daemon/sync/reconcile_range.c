/* Ranges of the id space by prefix for reconciliation: bounds, wire
 * fingerprints, items (see reconcile_int.h). */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "sync/reconcile_int.h"

int
recon_vec_push(struct vec *v, const void *e)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		void *nv = realloc(v->v, cap * v->size);

		if (nv == NULL)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	memcpy((uint8_t *)v->v + v->n * v->size, e, v->size);
	v->n++;
	return 0;
}

void
recon_vec_free(struct vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

unsigned
recon_digit(const uint8_t *id, unsigned i)
{
	unsigned bit = i * RECON_BITS;

	return (id[bit / 8] >> (8 - RECON_BITS - bit % 8)) & (RECON_FANOUT - 1);
}

void
recon_set_digit(uint8_t *id, unsigned i, unsigned v)
{
	unsigned bit = i * RECON_BITS, shift = 8 - RECON_BITS - bit % 8;

	id[bit / 8] = (uint8_t)((id[bit / 8] & ~((RECON_FANOUT - 1) << shift)) | v << shift);
}

bool
recon_range_hi(const uint8_t lo[TESS_ID_LEN], unsigned depth, uint8_t hi[TESS_ID_LEN])
{
	memcpy(hi, lo, TESS_ID_LEN);
	for (unsigned i = depth; i-- > 0;) {
		unsigned v = recon_digit(hi, i);

		if (v < RECON_FANOUT - 1) {
			recon_set_digit(hi, i, v + 1);
			return true;
		}
		recon_set_digit(hi, i, 0);
	}
	return false;
}

void
recon_wire_fp(const struct store_fp *f, uint8_t out[RECON_FP_LEN])
{
	static const uint8_t zero[RECON_FP_LEN];
	uint8_t in[STORE_FP_ACC + 8], md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	memset(out, 0, RECON_FP_LEN);
	if (f->n == 0)
		return;
	memcpy(in, f->acc, STORE_FP_ACC);
	for (int i = 0; i < 8; i++)
		in[STORE_FP_ACC + i] = (uint8_t)(f->n >> (8 * i));
	EVP_Digest(in, sizeof(in), md, &len, EVP_sha256(), NULL);
	memcpy(out, md, RECON_FP_LEN);
	if (memcmp(out, zero, RECON_FP_LEN) == 0)
		out[0] = 1;   /* zero means empty */
}

int
recon_range_fp(struct store *st, const uint8_t lo[TESS_ID_LEN], unsigned depth,
    struct store_fp *f)
{
	uint8_t hi[TESS_ID_LEN];
	bool bounded = recon_range_hi(lo, depth, hi);

	return store_fp_range(st, lo, bounded ? hi : NULL, f);
}

struct items {
	struct vec *v;
	size_t max;
};

static int
item_add(void *arg, const uint8_t id[TESS_ID_LEN], uint64_t version)
{
	struct items *it = arg;
	uint8_t h[STORE_FP_ACC];
	struct item e;

	if (it->v->n >= it->max)
		return -E2BIG;
	store_fp_item(id, version, h);
	memcpy(e.hash, h, RECON_FP_LEN);
	memcpy(e.id, id, TESS_ID_LEN);
	return recon_vec_push(it->v, &e);
}

int
recon_hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RECON_FP_LEN);
}

int
recon_range_items(struct store *st, const uint8_t lo[TESS_ID_LEN], unsigned depth, size_t max,
    struct vec *out)
{
	uint8_t hi[TESS_ID_LEN];
	bool bounded = recon_range_hi(lo, depth, hi);
	struct items it = { out, max };
	int rc;

	*out = (struct vec){ .size = sizeof(struct item) };
	rc = store_fp_items(st, lo, bounded ? hi : NULL, max < SIZE_MAX ? max + 1 : max, item_add,
	    &it, NULL);
	if (rc != 0) {
		recon_vec_free(out);
		return rc;
	}
	if (out->n > 1)   /* qsort wants a pointer even for no items */
		qsort(out->v, out->n, sizeof(struct item), recon_hash_cmp);
	return 0;
}
