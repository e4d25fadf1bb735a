/* Blocks of leaf hashes (core/merkle.c, merkle_check_block), as a
 * BlobLeaves from a peer is checked.
 *
 * Input: a byte choosing the tree (1 to 13 leaves, the last one short), a
 * byte choosing the block size (2^0 to 2^3 leaves), the block number (1
 * byte), the proof's length in hashes (1 byte), the proof, then the leaf
 * hashes (32 bytes each; a tail shorter than a hash is dropped). The trees
 * are of fixed leaf hashes (only hashes enter a block): leaf hash i of the
 * tree of n leaves is bytes (i * 32 + j) * 31 + n. Seeds in
 * corpus/merkle_block were written by fuzz/merkle_block_seeds.py.
 *
 * Oracle besides the sanitizers: a block accepted must be the tree's real
 * leaf hashes of that block with their real proof, and the subtree built
 * must be the tree's own nodes; anything else is a second preimage, i.e. a
 * bug in the construction (a block number, size or length not bound). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/merkle.h"

#define NMAX 13

static uint8_t *trees[NMAX + 1];
static uint8_t roots[NMAX + 1][MERKLE_HASH];
static uint8_t *sub;

static uint64_t
size_of(uint64_t n)
{
	return (n - 1) * MERKLE_LEAF + 100;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (uint64_t n = 1; n <= NMAX; n++) {
		if ((trees[n] = malloc(merkle_tree_nodes(n) * MERKLE_HASH)) == NULL)
			abort();
		for (uint64_t i = 0; i < n * MERKLE_HASH; i++)
			trees[n][i] = (uint8_t)(i * 31 + n);
		merkle_tree_build(trees[n], size_of(n), roots[n]);
	}
	if ((sub = malloc(merkle_block_nodes(8, 3) * MERKLE_HASH)) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	uint64_t slots[MERKLE_MAX_DEPTH], n, block, first, want;
	unsigned shift;
	size_t np, nh, k;
	const uint8_t *proof, *hashes;
	const char *why = NULL;

	if (len < 4)
		return 0;
	n = in[0] % NMAX + 1;
	shift = in[1] % 4;
	block = in[2];
	np = in[3];
	if (len - 4 < np * MERKLE_HASH)
		return 0;
	proof = in + 4;
	hashes = proof + np * MERKLE_HASH;
	nh = (len - 4 - np * MERKLE_HASH) / MERKLE_HASH;
	if (nh > (1u << shift))
		nh = (1u << shift) + 1;   /* one too many is refused; the buffer holds a block */
	if (merkle_check_block(roots[n], size_of(n), shift, block, hashes, nh, proof,
	    np * MERKLE_HASH, sub, &why) != 0) {
		fuzz_touch_str(why);
		return 0;
	}
	/* Accepted: it must be the truth. */
	first = block << shift;
	if (block >= merkle_blocks(n, shift))
		abort();
	want = n - first < (1u << shift) ? n - first : 1u << shift;
	if (nh != want || memcmp(hashes, trees[n] + first * MERKLE_HASH, nh * MERKLE_HASH) != 0)
		abort();
	k = merkle_node_slots(n, shift, block, slots);
	if (k != np)
		abort();
	for (size_t i = 0; i < k; i++)
		if (memcmp(proof + i * MERKLE_HASH, trees[n] + slots[i] * MERKLE_HASH,
		    MERKLE_HASH) != 0)
			abort();
	return 0;
}
