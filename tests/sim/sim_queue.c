/* The event queue: a binary heap on (time, sequence number). The sequence
 * number makes the order total, so that a run never depends on how the heap
 * happens to break ties. */
#include "sim.h"

#include <errno.h>
#include <stdlib.h>

static bool
before(const struct sim_event *a, const struct sim_event *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int
simq_push(struct sim_queue *q, struct sim_event *e)
{
	size_t i;

	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 1024;
		struct sim_event *h = realloc(q->heap, cap * sizeof(*h));

		if (h == NULL)
			return -ENOMEM;
		q->heap = h;
		q->cap = cap;
	}
	e->seq = q->next_seq++;
	for (i = q->n++; i > 0; i = (i - 1) / 2) {
		size_t up = (i - 1) / 2;

		if (!before(e, &q->heap[up]))
			break;
		q->heap[i] = q->heap[up];
	}
	q->heap[i] = *e;
	if (e->kind != EV_TICK)
		q->busy++;
	return 0;
}

bool
simq_pop(struct sim_queue *q, struct sim_event *out)
{
	struct sim_event last;
	size_t i = 0;

	if (q->n == 0)
		return false;
	*out = q->heap[0];
	last = q->heap[--q->n];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && before(&q->heap[c + 1], &q->heap[c]))
			c++;
		if (!before(&q->heap[c], &last))
			break;
		q->heap[i] = q->heap[c];
		i = c;
	}
	if (q->n > 0)
		q->heap[i] = last;
	if (out->kind != EV_TICK)
		q->busy--;
	return true;
}

void
simq_free(struct sim_queue *q)
{
	free(q->heap);
	*q = (struct sim_queue){ 0 };
}

uint64_t
sim_now_ms(const struct sim *sim)
{
	return sim->now / 1000;
}

void
sim_schedule(struct sim *sim, uint64_t at, enum sim_ev kind, void *a, void *b, uint64_t gen,
    uint64_t arg)
{
	struct sim_event e = { .t = at, .kind = kind, .a = a, .b = b, .gen = gen, .arg = arg };

	if (simq_push(&sim->q, &e) != 0)
		sim_violation(sim, "simulator out of memory (event queue)");
}
