/* A full disk: probing for space, then letting peers resume (node_storage.h). */
#include "node_storage.h"

#include <stdint.h>

#include "store/store.h"

static void
on_storage_probe(uv_timer_t *t)
{
	struct node_storage *s = t->data;
	uint64_t refused;

	if (store_probe(s->store) != 0)
		return;   /* still full: next tick */
	refused = store_refusals(s->store);
	*s->retry = true;
	s->resume(s->hook_arg);
	*s->retry = false;
	if (store_full(s->store, NULL) && store_refusals(s->store) == refused)
		store_clear_full(s->store);
}

static void
on_storage_resume(uv_timer_t *t)
{
	struct node_storage *s = t->data;

	s->resume(s->hook_arg);
}

static void
on_storage_full(void *arg, bool full)
{
	struct node_storage *s = arg;

	if (s->stopped)
		return;
	if (full)
		uv_timer_start(&s->timer, on_storage_probe, NODE_STORAGE_PROBE_MS,
		    NODE_STORAGE_PROBE_MS);
	else   /* from inside a commit: let peers store what they hold, later */
		uv_timer_start(&s->timer, on_storage_resume, 0, 0);
}

void
node_storage_init(struct node_storage *s, uv_loop_t *loop, struct store *store,
    bool *retry, void (*resume)(void *arg), void *hook_arg)
{
	*s = (struct node_storage){ .store = store, .retry = retry, .resume = resume,
		.hook_arg = hook_arg };
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	store_on_full(store, on_storage_full, s);
}

void
node_storage_stop(struct node_storage *s)
{
	s->stopped = true;
	uv_close((uv_handle_t *)&s->timer, NULL);
}
