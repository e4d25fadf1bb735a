/* Hash-tree proofs (core/merkle.c), as a chunk from a peer is checked.
 *
 * Input: a byte choosing the file (one of six sizes, 0 to 5 leaves and a
 * bit, of a fixed pattern), the leaf index (4 bytes, little-endian), the
 * proof's length in hashes (1 byte), the proof, then the chunk's data.
 *
 * Oracle besides the sanitizers: the files are known, so a chunk accepted
 * by merkle_verify must be the file's real leaf at that index with its real
 * proof: a forged chunk or proof that verifies is a second preimage, i.e. a
 * bug in the tree's construction (missing domain separation, an index or
 * size not bound). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/merkle.h"

static const uint64_t sizes[] = { 0, 1, 65536, 65537, 3 * 65536 + 5, 5 * 65536 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint8_t *data;                      /* the pattern, as long as the largest */
static uint8_t *trees[NSIZES];
static uint8_t roots[NSIZES][MERKLE_HASH];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint64_t max = 5 * 65536 + 1;

	(void)argc;
	(void)argv;
	if ((data = malloc(max)) == NULL)
		abort();
	for (uint64_t i = 0; i < max; i++)
		data[i] = (uint8_t)((i * 7 + 3) & 0xff);
	for (size_t s = 0; s < NSIZES; s++) {
		uint64_t n = merkle_leaves(sizes[s]);

		if ((trees[s] = malloc(merkle_tree_nodes(n) * MERKLE_HASH)) == NULL)
			abort();
		for (uint64_t i = 0; i < n; i++)
			merkle_leaf(data + i * MERKLE_LEAF, merkle_leaf_len(sizes[s], i),
			    trees[s] + i * MERKLE_HASH);
		merkle_tree_build(trees[s], sizes[s], roots[s]);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	uint64_t slots[MERKLE_MAX_DEPTH], size, index;
	size_t s, np, k, dlen;
	const uint8_t *proof, *d;
	const char *why = NULL;

	if (len < 6)
		return 0;
	s = in[0] % NSIZES;
	size = sizes[s];
	index = (uint64_t)in[1] | (uint64_t)in[2] << 8 | (uint64_t)in[3] << 16 |
	    (uint64_t)in[4] << 24;
	np = in[5];
	if (len - 6 < np * MERKLE_HASH)
		return 0;
	proof = in + 6;
	d = proof + np * MERKLE_HASH;
	dlen = len - 6 - np * MERKLE_HASH;
	if (merkle_verify(roots[s], size, index, d, dlen, proof, np * MERKLE_HASH, &why) != 0) {
		fuzz_touch_str(why);
		return 0;
	}
	/* Accepted: it must be the truth. */
	if (index >= merkle_leaves(size) || dlen != merkle_leaf_len(size, index) ||
	    (dlen > 0 && memcmp(d, data + index * MERKLE_LEAF, dlen) != 0))
		abort();
	k = merkle_proof_slots(merkle_leaves(size), index, slots);
	if (k != np)
		abort();
	for (size_t i = 0; i < k; i++)
		if (memcmp(proof + i * MERKLE_HASH, trees[s] + slots[i] * MERKLE_HASH,
		    MERKLE_HASH) != 0)
			abort();
	return 0;
}
