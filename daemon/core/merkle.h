/* The hash tree of an attachment: pure functions, no I/O but a file
 * descriptor read in merkle_root_fd.
 *
 * A file is cut into leaves of MERKLE_LEAF bytes (the last one shorter; an
 * empty file has one empty leaf). leaf = SHA-256(0x00 || data), node =
 * SHA-256(0x01 || left || right); a level of odd length promotes its last
 * node unchanged. The root that a record signs binds the size too:
 * root = SHA-256(0x02 || size as 8 bytes big-endian || top), so a peer
 * cannot pass the same tree off as a file of another length. The prefixes
 * keep leaves, nodes and roots apart (a leaf can never be taken for a node).
 *
 * The tree of a file is kept as its levels concatenated, leaves first (the
 * "tree" of merkle_tree_*): 32 bytes per node, about 2 x 32 bytes per leaf. */
#ifndef MERKLE_H
#define MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MERKLE_LEAF (64 * 1024)   /* docs/protocol.md, "Attachments": why 64 KiB */
#define MERKLE_HASH 32
#define MERKLE_MAX_SIZE (1ULL << 40)          /* 1 TiB: 2^24 leaves */
#define MERKLE_MAX_DEPTH 25                   /* levels above the leaves, at most */
/* A block of leaf hashes fetched at once (BlobLeaves, docs/protocol.md):
 * 1024 leaves, 32 KiB of hashes for 64 MiB of file, one frame. */
#define MERKLE_BLOCK_SHIFT 10
#define MERKLE_BLOCK (1u << MERKLE_BLOCK_SHIFT)

/* Leaves of a file of size bytes (at least 1). */
uint64_t merkle_leaves(uint64_t size);
/* Bytes of leaf index of a file of size bytes. */
size_t merkle_leaf_len(uint64_t size, uint64_t index);
void merkle_leaf(const uint8_t *data, size_t len, uint8_t out[MERKLE_HASH]);
void merkle_node(const uint8_t left[MERKLE_HASH], const uint8_t right[MERKLE_HASH],
    uint8_t out[MERKLE_HASH]);
void merkle_seal(uint64_t size, const uint8_t top[MERKLE_HASH], uint8_t root[MERKLE_HASH]);

/* Nodes in the whole tree of n leaves (every level). */
uint64_t merkle_tree_nodes(uint64_t n);
/* Fills the upper levels of tree (n leaf hashes at its start, room for
 * merkle_tree_nodes(n) hashes) and the root of a file of size bytes. */
void merkle_tree_build(uint8_t *tree, uint64_t size, uint8_t root[MERKLE_HASH]);
/* Positions (in hashes from the tree's start) of the siblings on the path
 * of leaf index up to the top; returns how many (the proof's length). */
size_t merkle_proof_slots(uint64_t n, uint64_t index, uint64_t slots[MERKLE_MAX_DEPTH]);

/* Blocks of 2^shift leaves of a tree of n leaves (the last one may be
 * shorter). */
uint64_t merkle_blocks(uint64_t n, unsigned shift);
/* Position (in hashes from the tree's start) of the first node of level
 * (0: the leaves) of a tree of n leaves. */
uint64_t merkle_level_base(uint64_t n, unsigned level);
/* merkle_proof_slots for node index of level: the siblings on its path up
 * to the top. */
size_t merkle_node_slots(uint64_t n, unsigned level, uint64_t index,
    uint64_t slots[MERKLE_MAX_DEPTH]);
/* merkle_check from node index of level instead of a leaf. */
int merkle_check_node(const uint8_t root[MERKLE_HASH], uint64_t size, unsigned level,
    uint64_t index, const uint8_t node[MERKLE_HASH], const uint8_t *proof, size_t proof_len,
    const char **why);
/* Hashes in the subtree of a block of n leaves, levels 0 to shift (a level
 * above the block's own top holds that top, promoted). */
uint64_t merkle_block_nodes(uint64_t n, unsigned shift);
/* Checks leaves (n_hashes x 32 bytes) as the leaf hashes of block of the
 * file with this root and size (blocks of 2^shift leaves), given the
 * sibling hashes of the block's node at level shift (proof, bottom up).
 * sub (room for merkle_block_nodes(n, shift) hashes) receives the block's
 * subtree, level after level, leaves first: level l holds ceil(n / 2^l)
 * hashes, the tree's nodes from index block << (shift - l) of its level l.
 * Returns 0, or -EINVAL with *why. */
int merkle_check_block(const uint8_t root[MERKLE_HASH], uint64_t size, unsigned shift,
    uint64_t block, const uint8_t *leaves, size_t n_hashes, const uint8_t *proof,
    size_t proof_len, uint8_t *sub, const char **why);

/* Checks that data is leaf index of the file with this root and size, given
 * the sibling hashes of its path (proof, bottom up, 32 bytes each). Returns
 * 0, or -EINVAL with *why set (index past the end, wrong length, proof of
 * the wrong length, hashes that do not lead to root). */
int merkle_verify(const uint8_t root[MERKLE_HASH], uint64_t size, uint64_t index,
    const uint8_t *data, size_t len, const uint8_t *proof, size_t proof_len, const char **why);

/* merkle_verify that also gives the leaf hash it computed (the store keeps
 * it: each chunk is hashed once). */
int merkle_verify_hashed(const uint8_t root[MERKLE_HASH], uint64_t size, uint64_t index,
    const uint8_t *data, size_t len, const uint8_t *proof, size_t proof_len,
    uint8_t leaf[MERKLE_HASH], const char **why);
/* The proof part of merkle_verify, from the leaf's hash: a node serving a
 * partial blob checks the proof it assembled from its tree file this way
 * (no data hashed). */
int merkle_check(const uint8_t root[MERKLE_HASH], uint64_t size, uint64_t index,
    const uint8_t leaf[MERKLE_HASH], const uint8_t *proof, size_t proof_len, const char **why);

/* Reads size bytes of fd from its offset 0, leaf by leaf (one leaf in memory),
 * and writes its leaf hashes to *tree (malloc'd, room for the whole tree,
 * built) and its root. tree may be NULL. Returns 0 or a negative errno
 * (-EIO on a short read: the file changed). */
int merkle_root_fd(int fd, uint64_t size, uint8_t root[MERKLE_HASH], uint8_t **tree);

#endif
