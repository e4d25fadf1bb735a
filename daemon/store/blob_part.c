/* Attachment data: the partial blobs being fetched (see blob.h), their
 * verified chunks written, synced and served. */
#define _GNU_SOURCE   /* sync_file_range */
#include "store/blob_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* A completion renames the file into place before its commit (blob_finish.c):
 * a process that ended between the two left the store saying partial and
 * no ".part" file. The file under its final name is the blob's, whole and
 * synced; as a partial it goes back to its partial name, where its held
 * chunks are served and the rest written (without it, an empty ".part"
 * would have been created under a bitmap of chunks held). */
static void
part_taken_back(struct blobs *b, const uint8_t *root, const char *part)
{
	char done[PATH_LEN];

	if (access(part, F_OK) == 0 || errno != ENOENT)
		return;
	blob_file(b, root, "", done);
	if (rename(done, part) == 0)
		log_info("store: attachment %s: its file taken back as partial (a completion was cut)",
		    part);
}

/* The partial blob root, opened (files created) and its bitmap loaded, or
 * NULL when it is not wanted here (unknown, complete or purged). */
struct blob_part *
blob_part_get(struct store *st, const uint8_t root[MERKLE_HASH])
{
	struct blobs *b = st->blobs;
	struct blob_part *p;
	struct blob_info bi;
	char path[PATH_LEN];

	for (size_t i = 0; i < b->n_part; i++)
		if (memcmp(b->part[i].root, root, MERKLE_HASH) == 0) {
			b->part[i].used = ++b->tick;
			return &b->part[i];
		}
	if (blob_get_info(st, root, &bi) != 0 || bi.state > BLOB_PARTIAL || bi.refs == 0)
		return NULL;
	/* Being completed: every chunk is here, none is fetched again. */
	if (blob_finishing(b, root))
		return NULL;
	if (b->n_part == BLOB_OPEN_MAX) {
		/* Evict the least recently used, one being completed last (its
		 * job goes on without it, but it is served until then). */
		size_t old = 0;

		for (size_t i = 1; i < b->n_part; i++)
			if (b->part[i].finishing < b->part[old].finishing ||
			    (b->part[i].finishing == b->part[old].finishing &&
			    b->part[i].used < b->part[old].used))
				old = i;
		blob_sync(st);
		blob_part_close(b, old);
	}
	p = &b->part[b->n_part];
	memset(p, 0, sizeof(*p));
	memcpy(p->root, root, MERKLE_HASH);
	p->size = bi.size;
	p->chunks = bi.chunks;
	p->have = bi.have;
	p->leaves_block = UINT64_MAX;
	if ((p->bits = malloc((p->chunks + 7) / 8)) == NULL ||
	    (p->blocks = calloc(merkle_blocks(p->chunks, MERKLE_BLOCK_SHIFT), 1)) == NULL ||
	    blob_db_have(st, root, p->bits, (p->chunks + 7) / 8) != 0) {
		free(p->bits);
		free(p->blocks);
		return NULL;
	}
	blob_file(b, root, ".part", path);
	part_taken_back(b, root, path);
	p->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	blob_file(b, root, ".tree", path);
	p->tfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (p->fd < 0 || p->tfd < 0) {
		log_warn("store: %s", path);
		if (p->fd >= 0)
			close(p->fd);
		if (p->tfd >= 0)
			close(p->tfd);
		free(p->bits);
		free(p->blocks);
		return NULL;
	}
	p->used = ++b->tick;
	p->sync_gen = ++b->sync_gen;
	b->n_part++;
	return p;
}

bool
blob_chunk_needed(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index)
{
	struct blob_part *p = blob_part_get(st, root);

	return p != NULL && index < p->chunks && !(p->bits[index / 8] >> (index % 8) & 1);
}

int
blob_chunk_write(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index,
    const uint8_t *data, size_t len, bool *complete)
{
	uint8_t h[MERKLE_HASH];

	merkle_leaf(data, len, h);
	return blob_chunk_put(st, root, index, data, len, h, NULL, 0, complete, NULL);
}

/* Writes the sibling hashes of a verified proof at their places in the
 * tree file (they are the tree's, the root vouches for them): the chunk
 * can then be served with its proof while the blob is partial. */
static int
proof_keep(struct blob_part *p, uint64_t index, const uint8_t *proof, size_t proof_len)
{
	uint64_t slots[MERKLE_MAX_DEPTH];
	size_t k = merkle_proof_slots(p->chunks, index, slots);
	int rc;

	if (k * MERKLE_HASH != proof_len)
		return 0;   /* cannot happen after merkle_verify: served never */
	for (size_t i = 0; i < k; i++) {
		if (i < p->n_proof_slots && p->proof_slots[i] == slots[i])
			continue;
		if ((rc = blob_write_all(p->tfd, proof + i * MERKLE_HASH, MERKLE_HASH,
		    slots[i] * MERKLE_HASH)) != 0) {
			p->n_proof_slots = 0;
			return rc;
		}
	}
	memcpy(p->proof_slots, slots, k * sizeof(slots[0]));
	p->n_proof_slots = k;
	return 0;
}

int
blob_chunk_put(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index,
    const uint8_t *data, size_t len, const uint8_t leaf[MERKLE_HASH], const uint8_t *proof,
    size_t proof_len, bool *complete, struct blob_finish_job **finish)
{
	struct blob_part *p = blob_part_get(st, root);
	bool tree;
	int rc;

	*complete = false;
	if (p == NULL || index >= p->chunks || len != merkle_leaf_len(p->size, index))
		return -ENOENT;
	if (p->bits[index / 8] >> (index % 8) & 1)
		return 0;
	/* With its block of leaf hashes held, the tree file has all it needs. */
	tree = !blob_block_known(p, index >> MERKLE_BLOCK_SHIFT);
	if ((rc = blob_write_all(p->fd, data, len, index * MERKLE_LEAF)) != 0 ||
	    (tree && (rc = blob_write_all(p->tfd, leaf, MERKLE_HASH, index * MERKLE_HASH)) != 0) ||
	    (tree && proof != NULL && (rc = proof_keep(p, index, proof, proof_len)) != 0)) {
		/* Disk full: what was synced stays verified, and the store's
		 * full state stops fetching until its probe finds space. */
		return store_space_error(st, "attachment chunk", -rc) ? -ENOSPC : rc;
	}
	p->bits[index / 8] |= (uint8_t)(1u << (index % 8));
	p->have++;
	p->written++;
	p->by_block += !tree;
	p->dirty = true;
	/* Writeback starts now, a MiB at a time, without waiting: the
	 * fdatasync of the sync (every 16 MiB, off the loop) then finds most
	 * of it on disk already. */
	if (++p->unkicked >= BLOB_KICK_CHUNKS) {
		p->unkicked = 0;
		(void)sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	}
	if (p->have < p->chunks)
		return 0;
	return blob_finish_start(st, p, complete, finish);
}

int
blob_part_dup(const struct blob_part *p, int *fd, int *tfd)
{
	int rc;

	*fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
	*tfd = fcntl(p->tfd, F_DUPFD_CLOEXEC, 0);
	if (*fd >= 0 && *tfd >= 0)
		return 0;
	rc = -errno;
	blob_dup_close(*fd, *tfd);
	*fd = *tfd = -1;
	return rc;
}

void
blob_dup_close(int fd, int tfd)
{
	if (fd >= 0)
		close(fd);
	if (tfd >= 0)
		close(tfd);
}

struct blob_part *
blob_part_open(struct blobs *b, const uint8_t root[MERKLE_HASH])
{
	for (size_t i = 0; i < b->n_part; i++)
		if (memcmp(b->part[i].root, root, MERKLE_HASH) == 0)
			return &b->part[i];
	return NULL;
}

static bool
part_holds(const struct blob_part *p, uint64_t index)
{
	return p->bits[index / 8] >> (index % 8) & 1;
}

int
blob_part_read(struct store *st, struct blob_part *p, uint64_t index, uint8_t *buf,
    size_t *len, uint8_t *proof, size_t *proof_len)
{
	uint64_t slots[MERKLE_MAX_DEPTH];
	uint8_t leaf[MERKLE_HASH];
	const char *why;
	size_t k;

	(void)st;
	if (index >= p->chunks)
		return -ERANGE;
	if (!part_holds(p, index))
		return -ENODATA;
	*len = merkle_leaf_len(p->size, index);
	if (proof == NULL)   /* bare: the peer holds the leaf hashes */
		return blob_read_all(p->fd, buf, *len, index * MERKLE_LEAF) == 0 ? 0 : -ENODATA;
	k = merkle_proof_slots(p->chunks, index, slots);
	if (blob_read_all(p->tfd, leaf, MERKLE_HASH, index * MERKLE_HASH) != 0)
		return -ENODATA;
	for (size_t i = 0; i < k; i++)
		if (blob_read_all(p->tfd, proof + i * MERKLE_HASH, MERKLE_HASH,
		    slots[i] * MERKLE_HASH) != 0)
			return -ENODATA;
	/* A chunk written without its proof (by an older version, before a
	 * restart) has holes there: not served rather than served wrong. The
	 * check costs hashes of the path only, not of the data. */
	if (merkle_check(p->root, p->size, index, leaf, proof, k * MERKLE_HASH, &why) != 0)
		return -ENODATA;
	if (blob_read_all(p->fd, buf, *len, index * MERKLE_LEAF) != 0)
		return -ENODATA;
	*proof_len = k * MERKLE_HASH;
	return 0;
}

int
blob_part_have(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t *have)
{
	struct blob_part *p = blob_part_open(st->blobs, root);

	if (p == NULL)
		return -ENOENT;
	*have = p->have;
	return 0;
}

int
blob_ranges(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t (*runs)[2],
    size_t max, size_t *n, uint64_t *have)
{
	struct blob_part *p = blob_part_open(st->blobs, root);
	struct blob_info bi;

	*n = 0;
	*have = 0;
	if (p == NULL) {
		if (blob_get_info(st, root, &bi) != 0 || bi.state != BLOB_PARTIAL ||
		    (p = blob_part_get(st, root)) == NULL)
			return -ENOENT;
	}
	for (uint64_t i = 0; i < p->chunks; i++) {
		if (!part_holds(p, i))
			continue;
		(*have)++;
		if (*n > 0 && runs[*n - 1][0] + runs[*n - 1][1] == i)
			runs[*n - 1][1]++;
		else if (*n < max) {
			runs[*n][0] = i;
			runs[(*n)++][1] = 1;
		}
	}
	return 0;
}
