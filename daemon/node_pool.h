/* Work sent to libuv's threadpool by modules that must not see libuv (the
 * sans-IO engine's attachment syncs, the search index's tokenizing ahead
 * for node_index.c): run(job) on a pool thread, then
 * done(job) on the loop's thread. The caller owns job and keeps it alive
 * until done; uv_run does not return while a job is queued or running, so
 * done always comes before the node is closed. */
#ifndef NODE_POOL_H
#define NODE_POOL_H

#include <uv.h>

/* 0, or negative when the job could not be queued (neither is run). */
int node_pool_run(uv_loop_t *loop, void (*run)(void *job), void (*done)(void *job), void *job);

#endif
