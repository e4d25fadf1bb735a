/* The session tests' in-memory link (see sessionfix.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/wire.h"
#include "sessionfix.h"

static int
t_send(void *link, const uint8_t *frame, size_t len)
{
	struct side *d = link;
	struct frame *f;

	if (d->closed)
		return -EPIPE;
	f = malloc(sizeof(*f) + len);
	assert_non_null(f);
	f->next = NULL;
	f->len = len;
	memcpy(f->data, frame, len);
	if (d->q_tail != NULL)
		d->q_tail->next = f;
	else
		d->q = f;
	d->q_tail = f;
	d->queued += len;
	d->bytes_sent += len;
	/* The envelope's first tag names the message: field << 3 | 2. */
	if (len > WIRE_HDR && frame[WIRE_HDR] == (TESSERA__ENVELOPE__MSG_RECORDS << 3 | 2))
		d->record_bytes += len;
	if (len > WIRE_HDR && frame[WIRE_HDR] == (TESSERA__ENVELOPE__MSG_RECON << 3 | 2))
		d->recon_frames++;
	return 0;
}

static size_t
t_room(void *link)
{
	struct side *d = link;

	return d->queued < d->room ? d->room - d->queued : 0;
}

static void
t_pause(void *link, bool paused)
{
	((struct side *)link)->paused = paused;
}

static int
t_verify(void *link, struct sync_job *j)
{
	struct side *d = link;

	assert_true(d->n_jobs < 64);
	d->jobs[d->n_jobs++] = j;
	return 0;
}

static void
t_close(void *link, enum session_end why, const char *detail)
{
	struct side *d = link;

	assert_false(d->closed);   /* called once */
	d->closed = true;
	d->why = why;
	snprintf(d->detail, sizeof(d->detail), "%s", detail ? detail : "");
}

const struct session_io sessionfix_io = { t_send, t_room, t_pause, t_verify, t_close, NULL };

static void
h_established(void *arg, struct session *s)
{
	((struct side *)arg)->established++;
}

static void
h_stored(void *arg, struct session *s, size_t n)
{
	((struct side *)arg)->stored += n;
}

static void
h_rejected(void *arg, struct session *s, enum sync_reject why, const char *detail)
{
	((struct side *)arg)->rejected[why]++;
}

void
sessionfix_side_open(struct side *d, struct side *other)
{
	char *cause = NULL;

	memset(d, 0, sizeof(*d));
	storefix_make_dir(d->dir, sizeof(d->dir));
	if (store_open(d->dir, true, &d->st, &cause) != 0)
		fail_msg("store_open: %s", cause);
	d->other = other;
	d->room = 1 << 20;
	d->env = (struct session_env){
		.store = d->st,
		.lim = { TESS_MAX_FRAME, 512, 4096, 100000, 30000 },
		.on_established = h_established,
		.on_stored = h_stored,
		.on_rejected = h_rejected,
		.hook_arg = d,
	};
}

static void
side_close(struct side *d)
{
	for (size_t i = 0; i < d->n_jobs; i++) {
		session_job_verify(d->jobs[i]);
		session_drop(&d->s);
		session_job_done(&d->s, d->jobs[i]);
	}
	session_drop(&d->s);
	session_free(&d->s);
	for (struct frame *f = d->q, *next; f; f = next) {
		next = f->next;
		free(f);
	}
	store_close(d->st);
	storefix_remove_dir(d->dir);
}

int
sessionfix_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	if (storefix_group_setup((void **)&p->fx) != 0)
		return -1;
	sessionfix_side_open(&p->a, &p->b);
	sessionfix_side_open(&p->b, &p->a);
	p->now = 1000;
	*state = p;
	return 0;
}

int
sessionfix_teardown(void **state)
{
	struct pair *p = *state;

	side_close(&p->a);
	side_close(&p->b);
	storefix_group_teardown((void **)&p->fx);
	free(p);
	return 0;
}

void
sessionfix_start(struct pair *p)
{
	assert_int_equal(session_start(&p->a.s, &p->a.env, &sessionfix_io, &p->a, p->fx->b->pub, "b",
	    "A", p->now), 0);
	assert_int_equal(session_start(&p->b.s, &p->b.env, &sessionfix_io, &p->b, p->fx->a->pub, "a",
	    "B", p->now), 0);
}

/* Delivers what d sent to the other side while it reads, runs d's
 * verification jobs. Returns true when anything happened. */
bool
sessionfix_step(struct pair *p, struct side *d)
{
	bool did = false;

	while (d->n_jobs > 0) {
		struct sync_job *j = d->jobs[0];

		memmove(d->jobs, d->jobs + 1, (--d->n_jobs) * sizeof(d->jobs[0]));
		session_job_verify(j);
		session_job_done(&d->s, j);
		did = true;
	}
	while (d->q != NULL && !d->other->paused && !d->other->closed) {
		struct frame *f = d->q;

		d->q = f->next;
		if (d->q == NULL)
			d->q_tail = NULL;
		d->queued -= f->len;
		assert_int_equal(wire_get_u32(f->data), f->len - WIRE_HDR);
		p->now++;
		session_on_frame(&d->other->s, f->data + WIRE_HDR, f->len - WIRE_HDR, p->now);
		free(f);
		did = true;
	}
	if (!d->closed && d->s.state == SESSION_ESTABLISHED && d->q == NULL) {
		uint64_t before = d->s.frames_out;

		session_pump(&d->s);
		did = did || d->s.frames_out != before;
	}
	return did;
}

/* Runs the link until nothing moves; fails after max steps. */
size_t
sessionfix_run(struct pair *p, size_t max)
{
	size_t steps = 0;

	while (sessionfix_step(p, &p->a) | sessionfix_step(p, &p->b))
		if (++steps > max)
			fail_msg("the sessions did not settle within %zu steps", max);
	return steps;
}

uint64_t
sessionfix_count(struct store *st)
{
	struct store_stats s;

	assert_int_equal(store_stats(st, &s), 0);
	return s.records;
}

