/* Attachment data: the chunks written to partial blobs made durable, then
 * recorded held. Either at once (blob_sync: a close, an eviction, the
 * shutdown) or with the fdatasync off the caller's thread (blob_sync_begin,
 * _run, _end), so that a node keeps receiving while the disk catches up. */
#include "store/blob_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One partial blob as the sync found it. The job owns duplicates of the
 * part's descriptors: a part closed while the job runs (completed, evicted,
 * purged) is never reached through the job, and its files stay valid. */
struct sync_snap {
	uint8_t root[MERKLE_HASH];
	uint64_t gen;          /* the part's sync_gen when snapped */
	uint64_t have;
	uint8_t *bits;         /* the bitmap when snapped: only these are saved */
	size_t nbytes;
	int fd, tfd;
	int err;               /* errno of a failed fdatasync, else 0 */
};

struct blob_sync_job {
	size_t n;
	struct sync_snap snap[BLOB_OPEN_MAX];
};

int
blob_sync(struct store *st)
{
	struct blobs *b = st->blobs;
	int rc = 0;

	for (size_t i = 0; i < b->n_part; i++) {
		struct blob_part *p = &b->part[i];

		/* A part whose job still runs has bits not saved yet: saved
		 * here, and the job's older snapshot is then ignored. */
		if ((!p->dirty && !p->syncing) || p->finishing)
			continue;
		/* Data first, then the bitmap that says it is there. */
		if (fdatasync(p->fd) != 0 || fdatasync(p->tfd) != 0) {
			rc = -errno;
			continue;
		}
		if ((rc = blob_db_set_have(st, p->root, p->bits, (p->chunks + 7) / 8, p->have)) == 0) {
			p->dirty = p->syncing = false;
			p->sync_gen = ++b->sync_gen;
		}
	}
	return rc;
}

static void
snap_free(struct sync_snap *s)
{
	blob_dup_close(s->fd, s->tfd);
	free(s->bits);
}

/* Takes p's bitmap and a duplicate of its descriptors into s. */
static int
snap_take(struct sync_snap *s, const struct blob_part *p)
{
	int rc;

	s->nbytes = (p->chunks + 7) / 8;
	s->bits = NULL;
	if ((rc = blob_part_dup(p, &s->fd, &s->tfd)) != 0)
		return rc;
	if ((s->bits = malloc(s->nbytes)) == NULL) {
		snap_free(s);
		return -ENOMEM;
	}
	memcpy(s->bits, p->bits, s->nbytes);
	memcpy(s->root, p->root, MERKLE_HASH);
	s->have = p->have;
	s->gen = p->sync_gen;
	s->err = 0;
	return 0;
}

int
blob_sync_begin(struct store *st, struct blob_sync_job **out)
{
	struct blobs *b = st->blobs;
	struct blob_sync_job *j;
	int rc = 0;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_part; i++) {
		struct blob_part *p = &b->part[i];

		if (!p->dirty || p->syncing || p->finishing)
			continue;   /* one job per part at a time */
		if ((rc = snap_take(&j->snap[j->n], p)) != 0)
			break;   /* what was taken is synced; the rest waits */
		p->dirty = false;
		p->syncing = true;
		j->n++;
	}
	if (j->n == 0) {
		free(j);
		return rc;
	}
	*out = j;
	return 0;
}

void
blob_sync_run(struct blob_sync_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct sync_snap *s = &j->snap[i];

		if (fdatasync(s->fd) != 0 || fdatasync(s->tfd) != 0)
			s->err = errno;
	}
}

int
blob_sync_end(struct store *st, struct blob_sync_job *j)
{
	int rc = 0, r;

	if (j == NULL)
		return 0;
	for (size_t i = 0; i < j->n; i++) {
		struct sync_snap *s = &j->snap[i];
		struct blob_part *p = blob_part_open(st->blobs, s->root);

		/* Closed, reopened or synced at once meanwhile: nothing of
		 * this snapshot is needed any more. */
		if (p != NULL && p->sync_gen == s->gen) {
			p->syncing = false;
			if (s->err != 0)
				r = -s->err;
			else
				r = blob_db_set_have_unsynced(st, s->root, s->bits, s->nbytes,
				    s->have);
			if (r != 0) {
				p->dirty = true;   /* tried again at the next sync */
				rc = r;
			}
		}
		snap_free(s);
	}
	free(j);
	return rc;
}
