/* The attachment hash tree: roots equal vectors computed independently
 * (python3 hashlib, see the comment at vectors[]), every leaf's proof
 * verifies and any change to data, proof, index or size is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/merkle.h"
#include "core/util.h"

/* Generated with:
 *   L = 65536; leaf(d) = sha256(b'\0' + d); node(a, b) = sha256(b'\1' + a + b)
 *   levels pairwise, an odd last node promoted;
 *   root = sha256(b'\2' + size.to_bytes(8, 'big') + top)
 * over data[i] = (i * 7 + 3) & 0xff. */
static const struct {
	uint64_t size;
	const char *root;
} vectors[] = {
	{ 0, "c0e50f0d90d6e2fea1e6f53d4f758ed5fc9035a399a8eb215c29c6ff3ea05425" },
	{ 1, "997e3618d5464328d283857da9abb9bb46002be7bf79ff481be045e7bf1f538f" },
	{ 65536, "e90370d8c841b25520b783787aab65f09bf15c905f07c2cfcc9f78eb8bd10e10" },
	{ 65537, "b2e15d63c46fda4c824b1e56292db0dbbecdab8337723c60ff10c0f1eee10faa" },
	{ 196613, "782490e28ec1c0b38c216ddfc6e4287e7a0986c980c7f3e46bda1cf43e24adea" },
	{ 327680, "cfcdd40de87b4b7c1091c3e3cd9cd7989e4f9537b3e12c97f938932255dbb3ea" },
};

static uint8_t *
pattern(uint64_t size)
{
	uint8_t *d = malloc(size ? size : 1);

	assert_non_null(d);
	for (uint64_t i = 0; i < size; i++)
		d[i] = (uint8_t)((i * 7 + 3) & 0xff);
	return d;
}

/* The data written to a file and hashed through merkle_root_fd. */
static void
root_of(const uint8_t *d, uint64_t size, uint8_t root[MERKLE_HASH], uint8_t **tree)
{
	char path[] = "/tmp/test_merkle.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, d, size), (ssize_t)size);
	assert_int_equal(merkle_root_fd(fd, size, root, tree), 0);
	close(fd);
}

static void
test_vectors(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		uint8_t *d = pattern(vectors[v].size), root[MERKLE_HASH];
		char hex[2 * MERKLE_HASH + 1];

		root_of(d, vectors[v].size, root, NULL);
		hex_encode(root, MERKLE_HASH, hex);
		assert_string_equal(hex, vectors[v].root);
		free(d);
	}
}

/* Every leaf of every vector verifies with the proof its tree gives, and
 * fails once anything about it changes. */
static void
test_proofs(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		uint64_t size = vectors[v].size, n = merkle_leaves(size);
		uint8_t *d = pattern(size), *tree, root[MERKLE_HASH];

		root_of(d, size, root, &tree);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t slots[MERKLE_MAX_DEPTH];
			uint8_t proof[MERKLE_MAX_DEPTH * MERKLE_HASH], *leaf = d + i * MERKLE_LEAF;
			size_t k = merkle_proof_slots(n, i, slots), len = merkle_leaf_len(size, i);
			const char *why = NULL;

			for (size_t j = 0; j < k; j++)
				memcpy(proof + j * MERKLE_HASH, tree + slots[j] * MERKLE_HASH, MERKLE_HASH);
			assert_int_equal(merkle_verify(root, size, i, leaf, len, proof, k * MERKLE_HASH,
			    &why), 0);
			/* another size with the same tree, past the end, short proof */
			assert_int_not_equal(merkle_verify(root, size + 1, i, leaf, len, proof,
			    k * MERKLE_HASH, &why), 0);
			assert_int_not_equal(merkle_verify(root, size, n, leaf, len, proof,
			    k * MERKLE_HASH, &why), 0);
			assert_string_equal(why, "chunk index past the end of the file");
			if (k > 0) {
				assert_int_not_equal(merkle_verify(root, size, i, leaf, len, proof,
				    (k - 1) * MERKLE_HASH, &why), 0);
				proof[0] ^= 1;
				assert_int_not_equal(merkle_verify(root, size, i, leaf, len, proof,
				    k * MERKLE_HASH, &why), 0);
				assert_string_equal(why, "chunk does not match the signed hash");
				proof[0] ^= 1;
			}
			if (len > 0) {
				leaf[len / 2] ^= 0x80;
				assert_int_not_equal(merkle_verify(root, size, i, leaf, len, proof,
				    k * MERKLE_HASH, &why), 0);
				leaf[len / 2] ^= 0x80;
			}
			/* a leaf given as another one (unless both hold the same bytes:
			 * the pattern repeats every 256 bytes, so full leaves do) */
			if (n > 1 && (merkle_leaf_len(size, (i + 1) % n) != len ||
			    memcmp(d + ((i + 1) % n) * MERKLE_LEAF, leaf, len) != 0))
				assert_int_not_equal(merkle_verify(root, size, (i + 1) % n, leaf,
				    len, proof, k * MERKLE_HASH, &why), 0);
		}
		free(tree);
		free(d);
	}
}

/* Leaf hashes by block: for trees of 1 to 13 leaves (the last one short)
 * and blocks of 1 to 8 leaves, every block with the siblings of its node
 * (read from the tree as a server does) verifies and its subtree equals the
 * tree's own nodes; a changed hash, a missing or extra leaf, another
 * block's number or a short proof is refused. Leaf hashes stand in for data
 * (only hashes enter a block). */
static void
test_blocks(void **state)
{
	(void)state;
	for (uint64_t n = 1; n <= 13; n++) {
		uint64_t size = (n - 1) * MERKLE_LEAF + 100, nodes = merkle_tree_nodes(n);
		uint8_t *tree = malloc(nodes * MERKLE_HASH), root[MERKLE_HASH];

		assert_non_null(tree);
		for (uint64_t i = 0; i < n * MERKLE_HASH; i++)
			tree[i] = (uint8_t)(i * 31 + n);
		merkle_tree_build(tree, size, root);
		for (unsigned shift = 0; shift <= 3; shift++) {
			uint64_t blocks = merkle_blocks(n, shift);
			uint8_t *sub = malloc((merkle_block_nodes(1u << shift, shift) + 1) * MERKLE_HASH);

			assert_non_null(sub);
			assert_int_equal(merkle_level_base(n, 1), n);
			for (uint64_t b = 0; b < blocks; b++) {
				uint64_t slots[MERKLE_MAX_DEPTH], first = b << shift, at = 0;
				uint64_t len = n - first < (1u << shift) ? n - first : 1u << shift;
				uint8_t proof[MERKLE_MAX_DEPTH * MERKLE_HASH], bad[8 * MERKLE_HASH];
				size_t k = merkle_node_slots(n, shift, b, slots);
				const uint8_t *leaves = tree + first * MERKLE_HASH;
				const char *why = NULL;

				for (size_t i = 0; i < k; i++)
					memcpy(proof + i * MERKLE_HASH, tree + slots[i] * MERKLE_HASH,
					    MERKLE_HASH);
				assert_int_equal(merkle_check_block(root, size, shift, b, leaves, len, proof,
				    k * MERKLE_HASH, sub, &why), 0);
				/* the subtree is the tree's, level by level, up to the top */
				for (unsigned l = 0; l <= shift; l++) {
					uint64_t ll = len, base = merkle_level_base(n, l);

					for (unsigned i = 0; i < l; i++)
						ll = (ll + 1) / 2;
					if (base < nodes)
						assert_memory_equal(sub + at * MERKLE_HASH, tree +
						    (base + (b << (shift - l))) * MERKLE_HASH, ll * MERKLE_HASH);
					at += ll;
				}
				memcpy(bad, leaves, len * MERKLE_HASH);
				bad[(len - 1) * MERKLE_HASH] ^= 1;
				assert_int_not_equal(merkle_check_block(root, size, shift, b, bad, len,
				    proof, k * MERKLE_HASH, sub, &why), 0);
				if (len > 1)
					assert_int_not_equal(merkle_check_block(root, size, shift, b, leaves,
					    len - 1, proof, k * MERKLE_HASH, sub, &why), 0);
				assert_int_not_equal(merkle_check_block(root, size, shift, b, leaves,
				    len + 1, proof, k * MERKLE_HASH, sub, &why), 0);
				assert_int_not_equal(merkle_check_block(root, size, shift, b + 1, leaves,
				    len, proof, k * MERKLE_HASH, sub, &why), 0);
				if (k > 0)
					assert_int_not_equal(merkle_check_block(root, size, shift, b, leaves,
					    len, proof, (k - 1) * MERKLE_HASH, sub, &why), 0);
				assert_int_not_equal(merkle_check_block(root, size + 1, shift, b, leaves,
				    len, proof, k * MERKLE_HASH, sub, &why), 0);
			}
			free(sub);
		}
		free(tree);
	}
}

/* Proof lengths: 1 GiB has 16,384 leaves, 14 levels, so a leaf, its proof
 * and the message around it fit the protocol's smallest frame. */
static void
test_sizes(void **state)
{
	uint64_t slots[MERKLE_MAX_DEPTH];

	(void)state;
	assert_int_equal(merkle_leaves(0), 1);
	assert_int_equal(merkle_leaves(1ULL << 30), 16384);
	assert_int_equal(merkle_proof_slots(16384, 0, slots), 14);
	assert_int_equal(merkle_proof_slots(16385, 16384, slots), 1);   /* promoted 14 times */
	assert_int_equal(merkle_tree_nodes(5), 5 + 3 + 2 + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_proofs),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
