/* Attachment data: a partial blob whose every chunk is written, completed.
 * The whole is checked against its root and made durable (the file synced,
 * its tree written beside and synced), then renamed into place and
 * recorded complete. The first half is disk waits of several ms for a big
 * file, so it can run as a job off the caller's thread (blob_finish_run);
 * the second stays on it (blob_finish_end). */
#include "store/blob_int.h"

#include <errno.h>
#include <stdio.h>   /* rename */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* A completion under way. The job owns duplicates of the part's
 * descriptors: the part may be evicted meanwhile, and its files stay
 * valid. It stays on its store's list until its end, so that nothing
 * reopens the blob to fetch it again, and a purge or GC meanwhile cancels
 * it (its end then leaves the blob alone). */
struct blob_finish_job {
	struct blob_finish_job *next;
	uint8_t root[MERKLE_HASH];
	uint64_t size, chunks;
	uint64_t written, by_block;   /* for the log line */
	int fd, tfd;
	bool cancelled;
	int err;                      /* of the checks and syncs: 0 or negative */
	char tmp[PATH_LEN];           /* the complete tree, written beside */
};

/* Checks the leaf hashes in tfd against root (they were verified one by
 * one; a mismatch means the disk lied), makes the file of fd durable at
 * its size, and writes the whole tree into tmp, synced. Touches nothing
 * but its arguments: any thread. */
static int
finish_sync(int fd, int tfd, uint64_t size, const uint8_t want[MERKLE_HASH], const char *tmp)
{
	uint64_t chunks = merkle_leaves(size), nodes = merkle_tree_nodes(chunks);
	uint8_t *tree, root[MERKLE_HASH];
	int rc;

	if ((tree = malloc(nodes * MERKLE_HASH)) == NULL)
		return -ENOMEM;
	if ((rc = blob_read_all(tfd, tree, chunks * MERKLE_HASH, 0)) == 0) {
		merkle_tree_build(tree, size, root);
		if (memcmp(root, want, MERKLE_HASH) != 0)
			rc = -EBADMSG;
	}
	if (rc == 0 && (ftruncate(fd, (off_t)size) != 0 || fdatasync(fd) != 0))
		rc = -errno;
	if (rc == 0)
		rc = blob_tree_write(tmp, tree, nodes);
	free(tree);
	return rc;
}

/* After finish_sync gave err: renames the tree and the file into place and
 * records the blob complete, if it is still wanted here (not purged, not
 * forgotten by GC, not completed by an add meanwhile). 0 with *complete
 * set, 0 without it (no longer wanted: left alone), or negative. */
static int
finish_place(struct store *st, const struct blob_finish_job *j, int err, bool *complete)
{
	struct blobs *b = st->blobs;
	struct blob_info bi;
	char from[PATH_LEN], to[PATH_LEN];
	int rc = err;

	*complete = false;
	if (j->cancelled || blob_get_info(st, j->root, &bi) != 0 || bi.refs == 0 ||
	    bi.state > BLOB_PARTIAL) {
		unlink(j->tmp);
		return 0;
	}
	blob_file(b, j->root, ".tree", to);
	if (rc == 0 && rename(j->tmp, to) != 0)
		rc = -errno;
	blob_file(b, j->root, ".part", from);
	blob_file(b, j->root, "", to);
	if (rc == 0 && rename(from, to) != 0)
		rc = -errno;
	if (rc == 0)
		rc = blob_db_complete(st, j->root, j->size);
	if (rc != 0) {
		unlink(j->tmp);
		return rc;
	}
	*complete = true;
	log_info("store: attachment %02x%02x%02x%02x… complete: %llu bytes, %llu of %llu "
	    "chunks written by this process, %llu of them under leaf blocks", j->root[0],
	    j->root[1], j->root[2], j->root[3], (unsigned long long)j->size,
	    (unsigned long long)j->written, (unsigned long long)j->chunks,
	    (unsigned long long)j->by_block);
	return 0;
}

static void
job_free(struct blob_finish_job *j)
{
	blob_dup_close(j->fd, j->tfd);
	free(j);
}

/* The job for p, put on the store's list and p marked finishing; NULL
 * when it cannot be made (no memory, no descriptor). */
static struct blob_finish_job *
job_new(struct blobs *b, struct blob_part *p)
{
	struct blob_finish_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	if (blob_part_dup(p, &j->fd, &j->tfd) != 0) {
		free(j);
		return NULL;
	}
	memcpy(j->root, p->root, MERKLE_HASH);
	j->size = p->size;
	j->chunks = p->chunks;
	j->written = p->written;
	j->by_block = p->by_block;
	blob_file(b, p->root, ".tree.tmp", j->tmp);
	j->next = b->finishing;
	b->finishing = j;
	p->finishing = true;
	return j;
}

int
blob_finish_start(struct store *st, struct blob_part *p, bool *complete,
    struct blob_finish_job **out)
{
	struct blobs *b = st->blobs;
	struct blob_finish_job *j, one;
	int rc;

	*complete = false;
	if (out != NULL && (j = job_new(b, p)) != NULL) {
		*out = j;
		return 0;
	}
	/* At once, on the part's own descriptors. */
	memset(&one, 0, sizeof(one));
	memcpy(one.root, p->root, MERKLE_HASH);
	one.size = p->size;
	one.chunks = p->chunks;
	one.written = p->written;
	one.by_block = p->by_block;
	blob_file(b, p->root, ".tree.tmp", one.tmp);
	rc = finish_sync(p->fd, p->tfd, p->size, p->root, one.tmp);
	rc = finish_place(st, &one, rc, complete);
	blob_part_close(b, (size_t)(p - b->part));
	return rc;
}

void
blob_finish_run(struct blob_finish_job *j)
{
	j->err = finish_sync(j->fd, j->tfd, j->size, j->root, j->tmp);
}

const uint8_t *
blob_finish_root(const struct blob_finish_job *j)
{
	return j->root;
}

int
blob_finish_end(struct store *st, struct blob_finish_job *j, bool *complete)
{
	struct blobs *b = st->blobs;
	struct blob_finish_job **at;
	struct blob_part *p;
	int rc;

	for (at = &b->finishing; *at != NULL && *at != j; at = &(*at)->next)
		;
	if (*at == j)
		*at = j->next;
	rc = finish_place(st, j, j->err, complete);
	/* Open still (not evicted): it was served from until now; a failed
	 * completion leaves it to be fetched again from the synced bitmap. */
	if ((p = blob_part_open(b, j->root)) != NULL && p->finishing)
		blob_part_close(b, (size_t)(p - b->part));
	job_free(j);
	return rc;
}

bool
blob_finishing(const struct blobs *b, const uint8_t root[MERKLE_HASH])
{
	for (const struct blob_finish_job *j = b->finishing; j != NULL; j = j->next)
		if (!j->cancelled && memcmp(j->root, root, MERKLE_HASH) == 0)
			return true;
	return false;
}

void
blob_finish_cancel(struct blobs *b, const uint8_t root[MERKLE_HASH])
{
	for (struct blob_finish_job *j = b->finishing; j != NULL; j = j->next)
		if (memcmp(j->root, root, MERKLE_HASH) == 0)
			j->cancelled = true;
}
