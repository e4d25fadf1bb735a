/* Simulated links: the session_io of every session in the simulator.
 *
 * A connection joins two nodes over one graph edge. Each side queues the
 * frames it sends with an arrival time (bandwidth, then delay and jitter
 * drawn from the seed; never before the frame sent ahead of it, as over
 * TCP), and one EV_DELIVER event per direction hands the head frame to the
 * other side's session. Nothing here calls into a session from inside one of
 * its io callbacks: what must follow (a teardown, a delivery) is scheduled
 * as an event, as libuv would run it on a later loop turn. */
#include "sim.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/wire.h"

#define CLOSE_DEADLINE_US 2000000   /* a closing side's queue flushes within this */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 8000
#define STABLE_US 10000000          /* a connection this old resets the backoff */

struct sim_side *
link_other(struct sim_side *sd)
{
	return &sd->conn->side[1 - sd->i];
}

static struct sim *
sim_of(struct sim_side *sd)
{
	return sd->node->sim;
}

static bool
honest_pair(const struct sim_conn *c)
{
	return !c->side[0].node->evil && !c->side[1].node->evil;
}

/* Schedules the arrival of from's head frame, unless the receiver is not
 * reading (then pause(false) or a drained queue schedules it). Frames for a
 * side that closed are still taken off the queue, and dropped. */
static void
schedule_delivery(struct sim *sim, struct sim_side *from)
{
	struct sim_side *to = link_other(from);
	uint64_t at;

	if (from->deliver_scheduled || from->q == NULL || from->conn->edge->conn != from->conn)
		return;
	if (!to->closed && (to->paused || to->paused_queue))
		return;
	at = from->q->at > sim->now ? from->q->at : sim->now;
	from->deliver_scheduled = true;
	sim_schedule(sim, at, EV_DELIVER, from, NULL, from->conn->gen, 0);
}

static void
schedule_teardown(struct sim *sim, struct sim_conn *c, uint64_t after_us)
{
	sim_schedule(sim, sim->now + after_us, EV_TEARDOWN, c, NULL, c->gen, 0);
}

int
link_send(struct sim_side *sd, const uint8_t *frame, size_t len)
{
	struct sim *sim = sim_of(sd);
	struct sim_edge *e = sd->conn->edge;
	struct sim_frame *f;
	uint64_t delay;

	if (sd->closed || sd->conn->closing)
		return -1;
	if (len < WIRE_HDR || wire_get_u32(frame) != len - WIRE_HDR) {
		sim_violation(sim, "node %d sent a frame whose length prefix says %u for %zu bytes",
		    sd->node->idx, len < WIRE_HDR ? 0 : wire_get_u32(frame), len);
		return -1;
	}
	if ((f = malloc(sizeof(*f) + len)) == NULL)
		return -1;
	memcpy(f->data, frame, len);
	f->len = len;
	f->next = NULL;
	/* Bandwidth: the frame leaves once the wire is free; then the delay. */
	if (sd->wire_free < sim->now)
		sd->wire_free = sim->now;
	sd->wire_free += len * 1000000u / e->bytes_per_s;
	delay = (uint64_t)e->delay_us * e->slow + rng_uniform(&sim->rng, e->jitter_us + 1);
	f->at = sd->wire_free + delay;
	if (f->at < sd->last_at)
		f->at = sd->last_at;   /* in order, as over one TCP connection */
	sd->last_at = f->at;
	if (sd->q_tail != NULL)
		sd->q_tail->next = f;
	else
		sd->q = f;
	sd->q_tail = f;
	sd->queued += len;
	if (sd->queued > sim->hard_limit) {
		/* tesserad drops a peer that does not read our answers. Between
		 * honest nodes it means a session ignored room(). */
		if (honest_pair(sd->conn)) {
			sim->st.hard_closes++;
			sim_violation(sim, "node %d: send queue to node %d over the hard limit (%zu bytes)",
			    sd->node->idx, link_other(sd)->node->idx, sd->queued);
		}
		sd->conn->closing = true;
		schedule_teardown(sim, sd->conn, 0);
		return -1;
	}
	if (sd->queued > sim->soft_limit)
		sd->paused_queue = true;   /* stop taking requests we cannot answer */
	schedule_delivery(sim, sd);
	return 0;
}

static int
io_send(void *link, const uint8_t *frame, size_t len)
{
	return link_send(link, frame, len);
}

static size_t
io_room(void *link)
{
	struct sim_side *sd = link;
	struct sim *sim = sim_of(sd);
	size_t room = 0;

	if (!sd->closed && !sd->conn->closing && sd->queued < sim->soft_limit)
		room = sim->soft_limit - sd->queued;
	if (room == 0)
		sd->starved = true;
	return room;
}

static void
io_pause(void *link, bool paused)
{
	struct sim_side *sd = link;

	sd->paused = paused;
	if (!paused)
		schedule_delivery(sim_of(sd), link_other(sd));
}

static int
io_verify(void *link, struct sync_job *j)
{
	struct sim_side *sd = link;
	struct sim *sim = sim_of(sd);

	/* Verification runs on a thread pool: a cost and a jitter, so that
	 * jobs may finish out of order, as on two cores. */
	sim_schedule(sim, sim->now + 50 + rng_uniform(&sim->rng, 400), EV_VERIFY, sd->ss, j, 0, 0);
	return 0;
}

static void
io_close(void *link, enum session_end why, const char *detail)
{
	struct sim_side *sd = link;
	struct sim *sim = sim_of(sd);
	struct sim_conn *c = sd->conn;

	if (sd->closed)
		return;
	sd->closed = true;
	sim->st.closes[why < SESSION_END_COUNT ? why : SESSION_END_LOCAL]++;
	if (sim->o.trace)
		printf("%10.3f ms  node %d closes to node %d: %s (%s)\n", sim->now / 1000.0,
		    sd->node->idx, link_other(sd)->node->idx, session_end_name(why),
		    detail ? detail : "");
	if (c->closing)
		return;
	/* What is queued (the Goodbye) still goes out, within a deadline. */
	if (sd->q == NULL) {
		c->closing = true;
		schedule_teardown(sim, c, 0);
	} else {
		schedule_teardown(sim, c, CLOSE_DEADLINE_US);
	}
}

const struct session_io sim_link_io = {
	.send = io_send,
	.room = io_room,
	.pause = io_pause,
	.verify = io_verify,
	.close = io_close,
};

void
link_schedule_dial(struct sim *sim, struct sim_edge *e, uint64_t after_ms)
{
	if (e->dial_pending)
		return;
	e->dial_pending = true;
	sim_schedule(sim, sim->now + after_ms * 1000 + rng_uniform(&sim->rng, after_ms * 250 + 1),
	    EV_DIAL, e, NULL, 0, 0);
}

static int
side_start(struct sim *sim, struct sim_side *sd)
{
	struct sim_node *me = sd->node, *peer = link_other(sd)->node;
	char label[32], name[32];

	if (me->evil) {
		evil_connect(sim, sd);
		return 0;
	}
	if ((sd->ss = calloc(1, sizeof(*sd->ss))) == NULL)
		return -1;
	sd->ss->node = me;
	snprintf(label, sizeof(label), "node%d", peer->idx);
	snprintf(name, sizeof(name), "sim-%d", me->idx);
	if (session_start(&sd->ss->s, &me->env, &sim_link_io, sd, peer->id->pub, label, name,
	    sim_now_ms(sim)) != 0) {
		free(sd->ss);
		sd->ss = NULL;
		return -1;
	}
	return 0;
}

void
link_dial(struct sim *sim, struct sim_edge *e)
{
	struct sim_conn *c = &e->c;

	e->dial_pending = false;
	if (e->conn != NULL || !e->n[0]->up || !e->n[1]->up || e->parked)
		return;   /* a restart (or the end of parking) dials again */
	if (e->cut > 0) {   /* no route: the connect fails */
		e->backoff_ms = e->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : e->backoff_ms * 2;
		link_schedule_dial(sim, e, e->backoff_ms);
		return;
	}
	uint64_t gen = c->gen + 1;

	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->edge = e;
	c->since = sim->now;
	for (int i = 0; i < 2; i++) {
		c->side[i].conn = c;
		c->side[i].i = i;
		c->side[i].node = e->n[i];
	}
	e->conn = c;
	/* The dialler (the lower index) starts first; both send Hello. */
	for (int i = 0; i < 2; i++)
		if (side_start(sim, &c->side[i]) != 0) {
			link_teardown(sim, c, "session did not start");
			return;
		}
}

void
link_teardown(struct sim *sim, struct sim_conn *c, const char *why)
{
	struct sim_edge *e = c->edge;

	if (e == NULL || e->conn != c)
		return;
	c->closing = true;
	for (int i = 0; i < 2; i++) {
		struct sim_side *sd = &c->side[i];

		if (sd->ss != NULL) {
			if (!sd->closed)
				session_close(&sd->ss->s, SESSION_END_LOCAL, why, false);
			session_drop(&sd->ss->s);
			sd->ss->zombie = true;
			sd->ss->next_zombie = sim->zombies;
			sim->zombies = sd->ss;
			sd->ss = NULL;
		} else if (sd->evil != NULL) {
			evil_disconnect(sd);
		}
		for (struct sim_frame *f = sd->q, *next; f != NULL; f = next) {
			next = f->next;
			free(f);
		}
		sd->q = sd->q_tail = NULL;
		sd->queued = 0;
	}
	e->conn = NULL;
	c->gen++;   /* events still queued for it are stale now */
	if (sim->now - c->since >= STABLE_US || e->backoff_ms == 0)
		e->backoff_ms = BACKOFF_MIN_MS;
	else
		e->backoff_ms = e->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : e->backoff_ms * 2;
	if (e->n[0]->up && e->n[1]->up)
		link_schedule_dial(sim, e, e->backoff_ms);
	link_reap(sim);
}

/* Frees sessions whose link is gone once no verification job is left. */
void
link_reap(struct sim *sim)
{
	struct sim_sess **pp = &sim->zombies;

	while (*pp != NULL) {
		struct sim_sess *ss = *pp;

		if (session_jobs(&ss->s) > 0) {
			pp = &ss->next_zombie;
			continue;
		}
		*pp = ss->next_zombie;
		session_free(&ss->s);
		free(ss);
	}
}

void
link_verify_done(struct sim *sim, struct sim_sess *ss, struct sync_job *j)
{
	session_job_verify(j);
	session_job_done(&ss->s, j);
	if (ss->zombie)
		link_reap(sim);
	else
		check_bounds(sim, ss->node);
}

static void
trace_frame(struct sim *sim, const struct sim_side *from, const struct sim_side *to,
    const struct sim_frame *f)
{
	uint8_t hdr[20];

	/* Time, source, destination and the bytes: the run's fingerprint. */
	wire_put_u32(hdr, (uint32_t)(sim->now >> 32));
	wire_put_u32(hdr + 4, (uint32_t)sim->now);
	wire_put_u32(hdr + 8, (uint32_t)from->node->idx);
	wire_put_u32(hdr + 12, (uint32_t)to->node->idx);
	wire_put_u32(hdr + 16, (uint32_t)f->len);
	EVP_DigestUpdate(sim->trace, hdr, sizeof(hdr));
	EVP_DigestUpdate(sim->trace, f->data, f->len);
	if (sim->o.trace) {
		static const char *names[] = { "?", "Hello", "SyncRequest", "Offer", "Want",
			"Records", "Goodbye", "Ping" };
		/* The envelope's first field tag names the message (peer.proto). */
		unsigned field = f->len > WIRE_HDR ? f->data[WIRE_HDR] >> 3 : 0;
		uint8_t h[32];

		SHA256(f->data, f->len, h);
		printf("%10.3f ms  %d -> %d  %-11s %6zu bytes  %02x%02x%02x%02x\n", sim->now / 1000.0,
		    from->node->idx, to->node->idx, field < 8 ? names[field] : "?", f->len, h[0], h[1],
		    h[2], h[3]);
	}
	sim->st.frames++;
	sim->st.bytes += f->len;
	from->node->frames_out++;
	from->node->bytes_out += f->len;
	to->node->frames_in++;
	to->node->bytes_in += f->len;
}

void
link_deliver(struct sim *sim, struct sim_side *from, uint64_t gen)
{
	struct sim_conn *c = from->conn;
	struct sim_side *to;
	struct sim_frame *f;

	if (c == NULL || c->gen != gen || c->edge->conn != c)
		return;   /* torn down since */
	to = link_other(from);
	from->deliver_scheduled = false;
	if ((f = from->q) == NULL)
		return;
	if (!to->closed && (to->paused || to->paused_queue))
		return;
	from->q = f->next;
	if (from->q == NULL)
		from->q_tail = NULL;
	from->queued -= f->len;
	if (from->paused_queue && from->queued < sim->soft_limit / 2) {
		from->paused_queue = false;   /* hysteresis, as tesserad */
		schedule_delivery(sim, to);
	}
	if (sim->o.lose_permille > 0 && sim_rand_chance(&sim->rng, sim->o.lose_permille)) {
		/* --lose: no TCP connection does this; the run must fail. */
	} else if (!to->closed) {
		trace_frame(sim, from, to, f);
		if (to->ss != NULL)
			session_on_frame(&to->ss->s, f->data + WIRE_HDR, f->len - WIRE_HDR,
			    sim_now_ms(sim));
		else if (to->evil != NULL)
			evil_on_frame(sim, to, f->data + WIRE_HDR, f->len - WIRE_HDR);
		if (!to->node->evil)
			check_bounds(sim, to->node);
	}
	free(f);
	if (c->gen != gen || c->edge->conn != c)
		return;
	if (from->starved && !from->closed && from->ss != NULL &&
	    from->queued < sim->soft_limit) {
		from->starved = false;
		session_pump(&from->ss->s);
	}
	if (from->closed && from->q == NULL) {
		link_teardown(sim, c, "connection closed by the peer");
		return;
	}
	schedule_delivery(sim, from);
}
