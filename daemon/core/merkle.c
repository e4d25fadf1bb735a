/* The hash tree of an attachment (see merkle.h). */
#include "core/merkle.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t
merkle_leaves(uint64_t size)
{
	return size == 0 ? 1 : (size + MERKLE_LEAF - 1) / MERKLE_LEAF;
}

size_t
merkle_leaf_len(uint64_t size, uint64_t index)
{
	uint64_t off = index * MERKLE_LEAF;

	if (off >= size)
		return 0;
	return size - off < MERKLE_LEAF ? (size_t)(size - off) : MERKLE_LEAF;
}

/* SHA-256 of one prefix byte and up to two parts. */
static void
hash3(uint8_t prefix, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    uint8_t out[MERKLE_HASH])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = MERKLE_HASH;

	/* Allocation failure of a digest context is not recoverable here;
	 * a zero hash then simply never verifies. */
	if (c == NULL) {
		memset(out, 0, MERKLE_HASH);
		return;
	}
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, &prefix, 1);
	if (alen > 0)
		EVP_DigestUpdate(c, a, alen);
	if (blen > 0)
		EVP_DigestUpdate(c, b, blen);
	EVP_DigestFinal_ex(c, out, &n);
	EVP_MD_CTX_free(c);
}

void
merkle_leaf(const uint8_t *data, size_t len, uint8_t out[MERKLE_HASH])
{
	hash3(0x00, data, len, NULL, 0, out);
}

void
merkle_node(const uint8_t left[MERKLE_HASH], const uint8_t right[MERKLE_HASH],
    uint8_t out[MERKLE_HASH])
{
	hash3(0x01, left, MERKLE_HASH, right, MERKLE_HASH, out);
}

void
merkle_seal(uint64_t size, const uint8_t top[MERKLE_HASH], uint8_t root[MERKLE_HASH])
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(size >> (56 - 8 * i));
	hash3(0x02, be, sizeof(be), top, MERKLE_HASH, root);
}

uint64_t
merkle_tree_nodes(uint64_t n)
{
	uint64_t total = n;

	while (n > 1) {
		n = (n + 1) / 2;
		total += n;
	}
	return total;
}

void
merkle_tree_build(uint8_t *tree, uint64_t size, uint8_t root[MERKLE_HASH])
{
	uint64_t n = merkle_leaves(size), base = 0;

	while (n > 1) {
		uint64_t up = base + n;

		for (uint64_t i = 0; i + 1 < n; i += 2)
			merkle_node(tree + (base + i) * MERKLE_HASH, tree + (base + i + 1) * MERKLE_HASH,
			    tree + (up + i / 2) * MERKLE_HASH);
		if (n % 2 == 1)   /* promoted unchanged */
			memmove(tree + (up + n / 2) * MERKLE_HASH, tree + (base + n - 1) * MERKLE_HASH,
			    MERKLE_HASH);
		base = up;
		n = (n + 1) / 2;
	}
	merkle_seal(size, tree + base * MERKLE_HASH, root);
}

int
merkle_verify(const uint8_t root[MERKLE_HASH], uint64_t size, uint64_t index,
    const uint8_t *data, size_t len, const uint8_t *proof, size_t proof_len, const char **why)
{
	uint8_t h[MERKLE_HASH];

	return merkle_verify_hashed(root, size, index, data, len, proof, proof_len, h, why);
}

int
merkle_verify_hashed(const uint8_t root[MERKLE_HASH], uint64_t size, uint64_t index,
    const uint8_t *data, size_t len, const uint8_t *proof, size_t proof_len,
    uint8_t leaf[MERKLE_HASH], const char **why)
{
	if (size > MERKLE_MAX_SIZE || index >= merkle_leaves(size)) {
		*why = "chunk index past the end of the file";
		return -EINVAL;
	}
	if (len != merkle_leaf_len(size, index)) {
		*why = "chunk of the wrong length";
		return -EINVAL;
	}
	merkle_leaf(data, len, leaf);
	return merkle_check(root, size, index, leaf, proof, proof_len, why);
}

int
merkle_check(const uint8_t root[MERKLE_HASH], uint64_t size, uint64_t index,
    const uint8_t leaf[MERKLE_HASH], const uint8_t *proof, size_t proof_len, const char **why)
{
	return merkle_check_node(root, size, 0, index, leaf, proof, proof_len, why);
}

/* Nodes of level of a tree of n leaves. */
static uint64_t
level_len(uint64_t n, unsigned level)
{
	for (unsigned l = 0; l < level && n > 1; l++)
		n = (n + 1) / 2;
	return n;
}

uint64_t
merkle_blocks(uint64_t n, unsigned shift)
{
	return (n + ((1ULL << shift) - 1)) >> shift;
}

uint64_t
merkle_level_base(uint64_t n, unsigned level)
{
	uint64_t base = 0;

	for (unsigned l = 0; l < level; l++)
		base += level_len(n, l);
	return base;
}

size_t
merkle_node_slots(uint64_t n, unsigned level, uint64_t index, uint64_t slots[MERKLE_MAX_DEPTH])
{
	uint64_t base = merkle_level_base(n, level), p = index;
	size_t k = 0;

	n = level_len(n, level);
	while (n > 1 && k < MERKLE_MAX_DEPTH) {
		if (p % 2 == 1)
			slots[k++] = base + p - 1;
		else if (p + 1 < n)
			slots[k++] = base + p + 1;
		base += n;
		n = (n + 1) / 2;
		p /= 2;
	}
	return k;
}

size_t
merkle_proof_slots(uint64_t n, uint64_t index, uint64_t slots[MERKLE_MAX_DEPTH])
{
	return merkle_node_slots(n, 0, index, slots);
}

int
merkle_check_node(const uint8_t root[MERKLE_HASH], uint64_t size, unsigned level,
    uint64_t index, const uint8_t node[MERKLE_HASH], const uint8_t *proof, size_t proof_len,
    const char **why)
{
	uint64_t n, p = index;
	uint8_t h[MERKLE_HASH], top[MERKLE_HASH];
	size_t used = 0;

	if (size > MERKLE_MAX_SIZE || level > MERKLE_MAX_DEPTH ||
	    index >= (n = level_len(merkle_leaves(size), level))) {
		*why = "chunk index past the end of the file";
		return -EINVAL;
	}
	if (proof_len % MERKLE_HASH != 0) {
		*why = "proof of the wrong length";
		return -EINVAL;
	}
	memcpy(h, node, MERKLE_HASH);
	for (; n > 1; n = (n + 1) / 2, p /= 2) {
		bool right = p % 2 == 1, has = right || p + 1 < n;

		if (!has)
			continue;   /* promoted: no sibling at this level */
		if (used + MERKLE_HASH > proof_len) {
			*why = "proof of the wrong length";
			return -EINVAL;
		}
		if (right)
			merkle_node(proof + used, h, h);
		else
			merkle_node(h, proof + used, h);
		used += MERKLE_HASH;
	}
	if (used != proof_len) {
		*why = "proof of the wrong length";
		return -EINVAL;
	}
	merkle_seal(size, h, top);
	if (memcmp(top, root, MERKLE_HASH) != 0) {
		*why = "chunk does not match the signed hash";
		return -EINVAL;
	}
	return 0;
}

uint64_t
merkle_block_nodes(uint64_t n, unsigned shift)
{
	uint64_t total = 0;

	for (unsigned l = 0; l <= shift; l++)
		total += level_len(n, l);
	return total;
}

int
merkle_check_block(const uint8_t root[MERKLE_HASH], uint64_t size, unsigned shift,
    uint64_t block, const uint8_t *leaves, size_t n_hashes, const uint8_t *proof,
    size_t proof_len, uint8_t *sub, const char **why)
{
	uint64_t n = merkle_leaves(size), first, want, base = 0;

	if (size > MERKLE_MAX_SIZE || shift > MERKLE_MAX_DEPTH || block >= merkle_blocks(n, shift)) {
		*why = "leaf block past the end of the file";
		return -EINVAL;
	}
	first = block << shift;
	want = n - first < (1ULL << shift) ? n - first : 1ULL << shift;
	if (n_hashes != want) {
		*why = "leaf block of the wrong length";
		return -EINVAL;
	}
	/* The block's subtree, built as the whole tree is (an odd level
	 * promotes its last node): block-aligned, it is the tree's own. */
	memcpy(sub, leaves, n_hashes * MERKLE_HASH);
	for (unsigned l = 0; l < shift; l++) {
		uint64_t len = level_len(want, l), up = base + len;

		for (uint64_t i = 0; i + 1 < len; i += 2)
			merkle_node(sub + (base + i) * MERKLE_HASH, sub + (base + i + 1) * MERKLE_HASH,
			    sub + (up + i / 2) * MERKLE_HASH);
		if (len % 2 == 1)
			memmove(sub + (up + len / 2) * MERKLE_HASH, sub + (base + len - 1) * MERKLE_HASH,
			    MERKLE_HASH);
		base = up;
	}
	if (merkle_check_node(root, size, shift, block, sub + base * MERKLE_HASH, proof, proof_len,
	    why) != 0) {
		if (strcmp(*why, "chunk does not match the signed hash") == 0)
			*why = "leaf hashes do not lead to the signed hash";
		return -EINVAL;
	}
	return 0;
}

int
merkle_root_fd(int fd, uint64_t size, uint8_t root[MERKLE_HASH], uint8_t **treep)
{
	uint64_t n = merkle_leaves(size), nodes = merkle_tree_nodes(n);
	uint8_t *tree, *buf;

	if (size > MERKLE_MAX_SIZE)
		return -EFBIG;
	if ((tree = malloc(nodes * MERKLE_HASH)) == NULL)
		return -ENOMEM;
	if ((buf = malloc(MERKLE_LEAF)) == NULL) {
		free(tree);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < n; i++) {
		size_t want = merkle_leaf_len(size, i), got = 0;

		while (got < want) {
			ssize_t r = pread(fd, buf + got, want - got, (off_t)(i * MERKLE_LEAF + got));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				int rc = r < 0 ? -errno : -EIO;

				free(buf);
				free(tree);
				return rc;
			}
			got += (size_t)r;
		}
		merkle_leaf(buf, want, tree + i * MERKLE_HASH);
	}
	free(buf);
	merkle_tree_build(tree, size, root);
	if (treep != NULL)
		*treep = tree;
	else
		free(tree);
	return 0;
}
