/* Memory given back at rest (see node_idle.h). */
#include "node_idle.h"

#include "core/log.h"
#include "core/procmem.h"
#include "store/store.h"

/* One tick: releases memory if the store is at rest after a change. */
static void
idle_tick(struct node_idle *s)
{
	uint64_t seq = store_max_seq(s->store), mem = store_memory_used(), freed, rss0 = 0,
		 rss1 = 0;

	if (seq != s->seq || mem != s->mem) {
		/* Busy during the last tick: wait for a whole quiet one. */
		s->seq = seq;
		s->mem = mem;
		s->released = false;
		return;
	}
	if (s->released)
		return;
	(void)procmem_resident(&rss0);
	freed = store_release_memory(s->store);
	procmem_trim();
	(void)procmem_resident(&rss1);
	/* What the release left is the new resting state, not a change. */
	s->mem = store_memory_used();
	s->released = true;
	log_debug("at rest: released %llu bytes of caches; resident %llu -> %llu kB",
	    (unsigned long long)freed, (unsigned long long)rss0 / 1024,
	    (unsigned long long)rss1 / 1024);
}

static void
on_idle_timer(uv_timer_t *t)
{
	idle_tick(t->data);
}

void
node_idle_init(struct node_idle *s, uv_loop_t *loop, struct store *store)
{
	*s = (struct node_idle){ .store = store };
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
}

void
node_idle_start(struct node_idle *s)
{
	uv_timer_start(&s->timer, on_idle_timer, NODE_IDLE_TICK_MS, NODE_IDLE_TICK_MS);
}

void
node_idle_stop(struct node_idle *s)
{
	uv_close((uv_handle_t *)&s->timer, NULL);
}
