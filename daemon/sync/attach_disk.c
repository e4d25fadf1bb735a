/* Attachment transfer, its disk work: the sync of written chunks and the
 * completion of a blob, each a job sent off the loop through the engine's
 * offload hook (at once without it), its end back on the loop (see
 * attach.h). */
#include "sync/attach.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/blob.h"

static void
sync_run(void *job)
{
	blob_sync_run(((struct attach *)job)->sync_job);
}

static void
sync_done(void *job)
{
	struct attach *a = job;
	struct blob_sync_job *j = a->sync_job;

	a->sync_job = NULL;
	if (blob_sync_end(a->store, j) != 0)
		a->unsynced++;   /* the parts are dirty again: the tick retries */
}

/* Starts syncing what was written: the bitmap is snapshotted here, the
 * fdatasync runs off the loop (a receiver waiting on the disk would read
 * nothing meanwhile), and only the snapshot's chunks are then recorded
 * held. Chunks keep arriving and being written during the job. */
void
attach_sync_now(struct attach *a, uint64_t now)
{
	if (a->unsynced == 0 || a->sync_job != NULL)
		return;
	a->synced_at = now;
	if (blob_sync_begin(a->store, &a->sync_job) != 0)
		return;   /* retried by the tick */
	a->unsynced = 0;
	if (a->sync_job == NULL)
		return;
	if (a->offload == NULL || a->offload(a->hook_arg, sync_run, sync_done, a) != 0) {
		sync_run(a);
		sync_done(a);
	}
}

/* A blob became complete here: every peer hears of it (BlobHave), and the
 * wanted list is refreshed. */
void
attach_completed(struct attach *a, const uint8_t root[MERKLE_HASH])
{
	memcpy(a->done[a->n_done++ % 16], root, MERKLE_HASH);
	a->gen++;
	log_info("attachment %02x%02x%02x%02x… complete", root[0], root[1], root[2], root[3]);
	if (a->on_news != NULL)
		a->on_news(a->hook_arg);
}

/* A completion job off the loop, and what its end needs. */
struct finish_work {
	struct attach *a;
	struct blob_finish_job *job;
};

static void
finish_run(void *arg)
{
	blob_finish_run(((struct finish_work *)arg)->job);
}

/* Back on the loop: the blob renamed into place and announced. */
static void
finish_end(struct attach *a, struct blob_finish_job *job)
{
	uint8_t root[MERKLE_HASH];
	bool complete;
	int rc;

	memcpy(root, blob_finish_root(job), MERKLE_HASH);
	if ((rc = blob_finish_end(a->store, job, &complete)) != 0)
		log_warnx("attachment %02x%02x%02x%02x…: cannot complete: %s", root[0], root[1],
		    root[2], root[3], strerror(-rc));
	if (complete)
		attach_completed(a, root);
	else
		a->gen++;   /* partial again (or gone): fetched from what is synced */
}

static void
finish_done(void *arg)
{
	struct finish_work *w = arg;

	finish_end(w->a, w->job);
	free(w);
}

/* The last chunk of a blob is written: its syncs and tree run off the loop
 * (several ms for a big file, during which peers would not be read), the
 * rename and commit back on it. At once without the hook. */
void
attach_finish(struct attach *a, struct blob_finish_job *job)
{
	struct finish_work *w = malloc(sizeof(*w));

	if (w == NULL) {
		blob_finish_run(job);
		finish_end(a, job);
		return;
	}
	w->a = a;
	w->job = job;
	if (a->offload == NULL || a->offload(a->hook_arg, finish_run, finish_done, w) != 0) {
		finish_run(w);
		finish_done(w);
	}
}
