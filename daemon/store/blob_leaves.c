/* Attachment data: leaf hashes by block (BlobLeaves, see blob.h). A node
 * fetching a blob takes the leaf hashes of a block of 1024 chunks at once,
 * checked against the signed root, and writes them into the .tree file with
 * the block's subtree and its path to the top; a chunk of that block then
 * costs one SHA-256 compared with its leaf hash, with no proof sent, read,
 * hashed or written. */
#include "store/blob_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Leaves in block of a tree of n leaves. */
static uint64_t
block_len(uint64_t n, uint64_t block)
{
	uint64_t first = block << MERKLE_BLOCK_SHIFT;

	return n - first < MERKLE_BLOCK ? n - first : MERKLE_BLOCK;
}

/* Reads block's leaf hashes and the siblings of its node from tree file tfd
 * of a tree of n leaves. */
static int
block_read(int tfd, uint64_t n, uint64_t block, uint8_t *hashes, size_t *n_hashes,
    uint8_t *proof, size_t *proof_len)
{
	uint64_t slots[MERKLE_MAX_DEPTH];
	size_t k = merkle_node_slots(n, MERKLE_BLOCK_SHIFT, block, slots);
	int rc;

	*n_hashes = (size_t)block_len(n, block);
	if ((rc = blob_read_all(tfd, hashes, *n_hashes * MERKLE_HASH,
	    (block << MERKLE_BLOCK_SHIFT) * MERKLE_HASH)) != 0)
		return rc;
	for (size_t i = 0; i < k; i++)
		if ((rc = blob_read_all(tfd, proof + i * MERKLE_HASH, MERKLE_HASH,
		    slots[i] * MERKLE_HASH)) != 0)
			return rc;
	*proof_len = k * MERKLE_HASH;
	return 0;
}

/* Checks block of p from its .tree file; on success its hashes are cached. */
static bool
block_check_disk(struct blob_part *p, uint64_t block)
{
	uint8_t proof[MERKLE_MAX_DEPTH * MERKLE_HASH], *sub;
	size_t n, plen;
	const char *why;
	bool ok = false;

	if (p->leaves == NULL && (p->leaves = malloc(MERKLE_BLOCK * MERKLE_HASH)) == NULL)
		return false;
	if ((sub = malloc(merkle_block_nodes(MERKLE_BLOCK, MERKLE_BLOCK_SHIFT) * MERKLE_HASH)) == NULL)
		return false;
	p->leaves_block = UINT64_MAX;
	if (block_read(p->tfd, p->chunks, block, p->leaves, &n, proof, &plen) == 0 &&
	    merkle_check_block(p->root, p->size, MERKLE_BLOCK_SHIFT, block, p->leaves, n, proof,
	    plen, sub, &why) == 0) {
		p->leaves_block = block;
		ok = true;
	}
	free(sub);
	return ok;
}

bool
blob_block_known(struct blob_part *p, uint64_t block)
{
	if (block >= merkle_blocks(p->chunks, MERKLE_BLOCK_SHIFT))
		return false;
	if (p->blocks[block] == BLOCK_UNTRIED)
		p->blocks[block] = block_check_disk(p, block) ? BLOCK_KNOWN : BLOCK_ABSENT;
	return p->blocks[block] == BLOCK_KNOWN;
}

int
blob_leaf_known(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index,
    uint8_t leaf[MERKLE_HASH])
{
	struct blob_part *p = blob_part_get(st, root);
	uint64_t block = index >> MERKLE_BLOCK_SHIFT;
	size_t n, plen;
	uint8_t proof[MERKLE_MAX_DEPTH * MERKLE_HASH];

	if (p == NULL || index >= p->chunks || !blob_block_known(p, block))
		return -ENOENT;
	if (p->leaves_block != block) {
		/* verified when the block was written or checked from disk */
		if (p->leaves == NULL && (p->leaves = malloc(MERKLE_BLOCK * MERKLE_HASH)) == NULL)
			return -ENOMEM;
		p->leaves_block = UINT64_MAX;
		if (block_read(p->tfd, p->chunks, block, p->leaves, &n, proof, &plen) != 0)
			return -ENOENT;
		p->leaves_block = block;
	}
	memcpy(leaf, p->leaves + (index & (MERKLE_BLOCK - 1)) * MERKLE_HASH, MERKLE_HASH);
	return 0;
}

bool
blob_leaves_known(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index)
{
	struct blob_part *p = blob_part_get(st, root);

	return p != NULL && index < p->chunks && blob_block_known(p, index >> MERKLE_BLOCK_SHIFT);
}

/* Writes a verified block's subtree (levels 0 to MERKLE_BLOCK_SHIFT, as
 * merkle_check_block left it in sub) and the siblings of its node. */
static int
block_write(struct blob_part *p, uint64_t block, const uint8_t *sub, const uint8_t *proof,
    size_t proof_len)
{
	uint64_t slots[MERKLE_MAX_DEPTH], n = block_len(p->chunks, block), at = 0;
	size_t k = merkle_node_slots(p->chunks, MERKLE_BLOCK_SHIFT, block, slots);
	int rc;

	for (unsigned l = 0; l <= MERKLE_BLOCK_SHIFT; l++) {
		uint64_t len = n, base = merkle_level_base(p->chunks, l);

		for (unsigned i = 0; i < l; i++)
			len = (len + 1) / 2;
		/* above the tree's own top a level has no slot: the top was
		 * promoted there only in the block's subtree */
		if (base >= merkle_tree_nodes(p->chunks))
			break;
		if ((rc = blob_write_all(p->tfd, sub + at * MERKLE_HASH, len * MERKLE_HASH,
		    (base + (block << (MERKLE_BLOCK_SHIFT - l))) * MERKLE_HASH)) != 0)
			return rc;
		at += len;
	}
	for (size_t i = 0; i < k && i * MERKLE_HASH < proof_len; i++)
		if ((rc = blob_write_all(p->tfd, proof + i * MERKLE_HASH, MERKLE_HASH,
		    slots[i] * MERKLE_HASH)) != 0)
			return rc;
	return 0;
}

int
blob_leaves_put(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t block,
    const uint8_t *hashes, size_t len, const uint8_t *proof, size_t proof_len,
    const char **why)
{
	struct blob_part *p = blob_part_get(st, root);
	uint8_t *sub;
	int rc;

	if (p == NULL)
		return -ENOENT;
	if (len % MERKLE_HASH != 0) {
		*why = "leaf block of the wrong length";
		return -EINVAL;
	}
	if (block < merkle_blocks(p->chunks, MERKLE_BLOCK_SHIFT) && p->blocks[block] == BLOCK_KNOWN)
		return 0;   /* from another peer meanwhile */
	if ((sub = malloc(merkle_block_nodes(MERKLE_BLOCK, MERKLE_BLOCK_SHIFT) * MERKLE_HASH)) == NULL)
		return -ENOMEM;
	if (len / MERKLE_HASH > MERKLE_BLOCK) {
		*why = "leaf block of the wrong length";
		rc = -EINVAL;
	} else {
		rc = merkle_check_block(root, p->size, MERKLE_BLOCK_SHIFT, block, hashes,
		    len / MERKLE_HASH, proof, proof_len, sub, why);
	}
	if (rc == 0 && (rc = block_write(p, block, sub, proof, proof_len)) != 0)
		rc = store_space_error(st, "attachment leaf hashes", -rc) ? -ENOSPC : rc;
	free(sub);
	if (rc != 0)
		return rc;
	/* Not synced now: they prove themselves against the root when read
	 * back, and the next blob_sync makes them durable with the chunks. */
	p->blocks[block] = BLOCK_KNOWN;
	p->dirty = true;
	if (p->leaves != NULL || (p->leaves = malloc(MERKLE_BLOCK * MERKLE_HASH)) != NULL) {
		memcpy(p->leaves, hashes, len);
		p->leaves_block = block;
	}
	return 0;
}

int
blob_leaves_read(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t block,
    uint8_t *hashes, size_t *n, uint8_t *proof, size_t *proof_len)
{
	struct blobs *b = st->blobs;
	struct blob_part *p;
	struct blob_info bi;
	int rc;

	if ((rc = blob_serve_find(st, root, &p, &bi)) != 0)
		return rc;
	if (p != NULL) {
		if (block >= merkle_blocks(p->chunks, MERKLE_BLOCK_SHIFT))
			return -ERANGE;
		if (!blob_block_known(p, block))
			return -ENODATA;
		return block_read(p->tfd, p->chunks, block, hashes, n, proof, proof_len) == 0 ?
		    0 : -ENODATA;
	}
	if (block >= merkle_blocks(bi.chunks, MERKLE_BLOCK_SHIFT))
		return -ERANGE;
	if ((rc = blob_serve_open(b, root, bi.size)) != 0)
		return rc;
	if (block_read(b->serve_tfd, bi.chunks, block, hashes, n, proof,
	    proof_len) != 0) {
		blob_serve_close(b);
		return -EIO;
	}
	return 0;
}
