/* Jobs on libuv's threadpool for modules below the loop (see node_pool.h). */
#include "node_pool.h"

#include <errno.h>
#include <stdlib.h>

struct pool_work {
	uv_work_t req;
	void (*run)(void *job);
	void (*done)(void *job);
	void *job;
};

static void
pool_work(uv_work_t *req)
{
	struct pool_work *w = req->data;

	w->run(w->job);
}

static void
pool_after(uv_work_t *req, int status)
{
	struct pool_work *w = req->data;

	/* status is UV_ECANCELED only for a uv_cancel, which nothing calls:
	 * done runs either way, the job's owner expects it once. */
	(void)status;
	w->done(w->job);
	free(w);
}

int
node_pool_run(uv_loop_t *loop, void (*run)(void *job), void (*done)(void *job), void *job)
{
	struct pool_work *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->run = run;
	w->done = done;
	w->job = job;
	w->req.data = w;
	if (uv_queue_work(loop, &w->req, pool_work, pool_after) != 0) {
		free(w);
		return -EIO;
	}
	return 0;
}
