/* Memory given back at rest (see node_idle.h). */
#include "node_idle.h"

#include "core/log.h"
#include "core/procmem.h"
#include "node.h"
#include "store/store.h"

unsigned long long
node_idle_tick(struct node *n)
{
	struct node_idle *s = &n->idle;
	uint64_t seq = store_max_seq(n->store), mem = store_memory_used(), freed, rss0 = 0,
		 rss1 = 0;

	if (seq != s->seq || mem != s->mem) {
		/* Busy during the last tick: wait for a whole quiet one. */
		s->seq = seq;
		s->mem = mem;
		s->released = false;
		return 0;
	}
	if (s->released)
		return 0;
	(void)procmem_resident(&rss0);
	freed = store_release_memory(n->store);
	procmem_trim();
	(void)procmem_resident(&rss1);
	/* What the release left is the new resting state, not a change. */
	s->mem = store_memory_used();
	s->released = true;
	log_debug("at rest: released %llu bytes of caches; resident %llu -> %llu kB",
	    (unsigned long long)freed, (unsigned long long)rss0 / 1024,
	    (unsigned long long)rss1 / 1024);
	return freed;
}

static void
on_idle_timer(uv_timer_t *t)
{
	node_idle_tick(t->data);
}

void
node_idle_init(struct node *n)
{
	uv_timer_init(n->loop, &n->idle_timer);
	n->idle_timer.data = n;
}

void
node_idle_start(struct node *n)
{
	uv_timer_start(&n->idle_timer, on_idle_timer, NODE_IDLE_TICK_MS, NODE_IDLE_TICK_MS);
}
