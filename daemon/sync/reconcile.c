/* Range-based set reconciliation (see reconcile.h). */
#include "sync/reconcile.h"
#include "sync/reconcile_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store.h"
#include "store/store_fp.h"
#include "sync/session.h"
#include "sync/sync_int.h"


/* A range we sent as a node: the peer's turn answers each child once. */
struct range {
	uint8_t lo[TESS_ID_LEN];
	unsigned depth;
	uint16_t answered;
};

struct part_node {
	uint8_t prefix[RECON_PREFIX_MAX];
	unsigned depth;
	uint8_t fps[RECON_FANOUT * RECON_FP_LEN];
};

struct part_list {
	uint8_t prefix[RECON_PREFIX_MAX];
	unsigned depth;
	uint8_t *hashes;
	size_t n;
};

struct recon {
	bool initiator, give_on, done;
	bool in_work;               /* the turn being received has nodes or lists */
	bool first_in;              /* the next turn received is the peer's first */
	/* Our last whole turn, which the peer's current turn answers. */
	struct vec sent;            /* struct range, ascending */
	struct vec sent_items;      /* ids of the items we listed, in list order */
	/* Our turn being built; it becomes the above when it ends. */
	struct vec next, next_items;
	bool next_work;
	/* The message being built (a part of our turn). */
	struct vec pn, pl, pw;      /* part_node, part_list, uint32_t */
	size_t part_bytes;
	/* Order in the turn being received. */
	uint8_t last_node[TESS_ID_LEN], last_list[TESS_ID_LEN];
	bool has_last_node, has_last_list;
	int64_t last_want;
	size_t in_hashes;           /* list items received this turn: base of our wants */
	/* What the peer lacks, to be offered. */
	struct vec give;
	size_t give_pos;
	unsigned turns;
};

static void
part_clear(struct recon *r)
{
	struct part_list *pl = r->pl.v;

	for (size_t i = 0; i < r->pl.n; i++)
		free(pl[i].hashes);
	r->pn.n = r->pl.n = r->pw.n = 0;
	r->part_bytes = 0;
}

void
recon_free(struct recon *r)
{
	if (r == NULL)
		return;
	part_clear(r);
	recon_vec_free(&r->sent);
	recon_vec_free(&r->sent_items);
	recon_vec_free(&r->next);
	recon_vec_free(&r->next_items);
	recon_vec_free(&r->pn);
	recon_vec_free(&r->pl);
	recon_vec_free(&r->pw);
	recon_vec_free(&r->give);
	free(r);
}

bool
recon_busy(const struct recon *r)
{
	return r != NULL && !r->done;
}

size_t
recon_give_left(const struct recon *r)
{
	return r == NULL ? 0 : r->give.n - r->give_pos;
}

bool
recon_holds_offers(const struct recon *r)
{
	return r != NULL && r->give_on && !r->done;
}

const uint8_t *
recon_give_next(const struct recon *r)
{
	if (recon_give_left(r) == 0)
		return NULL;
	return (const uint8_t *)r->give.v + r->give_pos * TESS_ID_LEN;
}

void
recon_give_pop(struct recon *r)
{
	if (recon_give_left(r) == 0)
		return;
	if (++r->give_pos == r->give.n) {   /* all handed out: release the memory */
		recon_vec_free(&r->give);
		r->give_pos = 0;
	}
}

static int
give_add(struct recon *r, const uint8_t id[TESS_ID_LEN])
{
	return r->give_on ? recon_vec_push(&r->give, id) : 0;
}

static int
give_range_cb(void *arg, const uint8_t id[TESS_ID_LEN], uint64_t version)
{
	(void)version;
	return give_add(arg, id);
}

/* The peer has nothing in the range: all of ours is to be given. */
static int
give_range(struct session *s, const uint8_t lo[TESS_ID_LEN], unsigned depth)
{
	uint8_t hi[TESS_ID_LEN];
	bool bounded = recon_range_hi(lo, depth, hi);

	if (!s->sync.recon->give_on)
		return 0;
	return store_fp_items(s->env->store, lo, bounded ? hi : NULL, SIZE_MAX, give_range_cb,
	    s->sync.recon, NULL);
}

/* Sends the message being built; more: the turn goes on. */
static int
flush_part(struct session *s, bool more)
{
	struct recon *r = s->sync.recon;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Recon m = TESSERA__RECON__INIT;
	Tessera__ReconNode *nodes = NULL, **np = NULL;
	Tessera__ReconList *lists = NULL, **lp = NULL;
	struct part_node *pn = r->pn.v;
	struct part_list *pl = r->pl.v;
	int rc = -ENOMEM;

	if ((r->pn.n && ((nodes = calloc(r->pn.n, sizeof(*nodes))) == NULL ||
	    (np = calloc(r->pn.n, sizeof(*np))) == NULL)) ||
	    (r->pl.n && ((lists = calloc(r->pl.n, sizeof(*lists))) == NULL ||
	    (lp = calloc(r->pl.n, sizeof(*lp))) == NULL)))
		goto out;
	for (size_t i = 0; i < r->pn.n; i++) {
		tessera__recon_node__init(&nodes[i]);
		nodes[i].has_prefix = nodes[i].has_depth = nodes[i].has_fps = 1;
		nodes[i].prefix = (ProtobufCBinaryData){ RECON_PREFIX_BYTES(pn[i].depth), pn[i].prefix };
		nodes[i].depth = pn[i].depth;
		nodes[i].fps = (ProtobufCBinaryData){ sizeof(pn[i].fps), pn[i].fps };
		np[i] = &nodes[i];
	}
	for (size_t i = 0; i < r->pl.n; i++) {
		tessera__recon_list__init(&lists[i]);
		lists[i].has_prefix = lists[i].has_depth = lists[i].has_hashes = 1;
		lists[i].prefix = (ProtobufCBinaryData){ RECON_PREFIX_BYTES(pl[i].depth), pl[i].prefix };
		lists[i].depth = pl[i].depth;
		lists[i].hashes = (ProtobufCBinaryData){ pl[i].n * RECON_FP_LEN, pl[i].hashes };
		lp[i] = &lists[i];
	}
	m.nodes = np;
	m.n_nodes = r->pn.n;
	m.lists = lp;
	m.n_lists = r->pl.n;
	m.wants = r->pw.v;
	m.n_wants = r->pw.n;
	m.has_more = more;
	m.more = more;
	env.msg_case = TESSERA__ENVELOPE__MSG_RECON;
	env.recon = &m;
	rc = session_send(s, &env);
out:
	free(nodes);
	free(np);
	free(lists);
	free(lp);
	part_clear(r);
	return rc;
}

/* Entries and bytes per message: well inside the frame and field limits. */
static int
part_room(struct session *s)
{
	struct recon *r = s->sync.recon;
	size_t entries = r->pn.n + r->pl.n, max_entries = 32 + s->env->lim.max_batch;

	if (max_entries > 32 + s->remote_max_batch)
		max_entries = 32 + s->remote_max_batch;
	if (entries < max_entries && r->part_bytes < s->remote_max_frame / 2)
		return 0;
	return flush_part(s, true);
}

static void
copy_prefix(uint8_t prefix[RECON_PREFIX_MAX], const uint8_t lo[TESS_ID_LEN], unsigned depth)
{
	memset(prefix, 0, RECON_PREFIX_MAX);
	memcpy(prefix, lo, RECON_PREFIX_BYTES(depth));
}

/* Sends our fingerprints of the children of a range. */
static int
out_node(struct session *s, const uint8_t lo[TESS_ID_LEN], unsigned depth)
{
	struct recon *r = s->sync.recon;
	struct part_node pn = { .depth = depth };
	struct range rg = { .depth = depth };
	int rc;

	copy_prefix(pn.prefix, lo, depth);
	for (unsigned c = 0; c < RECON_FANOUT; c++) {
		uint8_t child[TESS_ID_LEN];
		struct store_fp f;

		memcpy(child, lo, TESS_ID_LEN);
		recon_set_digit(child, depth, c);
		if ((rc = recon_range_fp(s->env->store, child, depth + 1, &f)) != 0)
			return rc;
		recon_wire_fp(&f, pn.fps + c * RECON_FP_LEN);
	}
	memcpy(rg.lo, lo, TESS_ID_LEN);
	if ((rc = recon_vec_push(&r->pn, &pn)) != 0 || (rc = recon_vec_push(&r->next, &rg)) != 0)
		return rc;
	r->next_work = true;
	r->part_bytes += sizeof(pn.fps) + RECON_PREFIX_MAX + 8;
	return part_room(s);
}

/* Sends our items of a range; the peer answers with the ones it lacks. */
static int
out_list(struct session *s, const uint8_t lo[TESS_ID_LEN], unsigned depth)
{
	struct recon *r = s->sync.recon;
	struct part_list pl = { .depth = depth };
	struct vec it;
	struct item *e;
	int rc;

	if ((rc = recon_range_items(s->env->store, lo, depth, RECON_LIST_MAX, &it)) != 0)
		return rc;
	e = it.v;
	copy_prefix(pl.prefix, lo, depth);
	pl.n = it.n;
	if ((pl.hashes = malloc(pl.n * RECON_FP_LEN + 1)) == NULL) {
		recon_vec_free(&it);
		return -ENOMEM;
	}
	for (size_t i = 0; i < pl.n && rc == 0; i++) {
		memcpy(pl.hashes + i * RECON_FP_LEN, e[i].hash, RECON_FP_LEN);
		rc = recon_vec_push(&r->next_items, e[i].id);
	}
	recon_vec_free(&it);
	if (rc != 0 || (rc = recon_vec_push(&r->pl, &pl)) != 0) {
		free(pl.hashes);
		return rc;
	}
	r->next_work = true;
	r->part_bytes += pl.n * RECON_FP_LEN + RECON_PREFIX_MAX + 8;
	return part_room(s);
}

/* A differing child range: listed when small or deep, split otherwise; not
 * sent at all when the peer holds nothing in it. */
static int
answer_child(struct session *s, const uint8_t lo[TESS_ID_LEN], unsigned depth,
    const uint8_t theirs[RECON_FP_LEN])
{
	static const uint8_t empty[RECON_FP_LEN];
	uint8_t ours[RECON_FP_LEN];
	struct store_fp f;
	int rc;

	if ((rc = recon_range_fp(s->env->store, lo, depth, &f)) != 0)
		return rc;
	recon_wire_fp(&f, ours);
	if (memcmp(ours, theirs, RECON_FP_LEN) == 0)
		return 0;
	if (memcmp(theirs, empty, RECON_FP_LEN) == 0)
		return give_range(s, lo, depth);
	if (f.n <= RECON_LIST_AT || depth >= RECON_MAX_DEPTH)
		return out_list(s, lo, depth);
	return out_node(s, lo, depth);
}

static int
range_cmp(const void *key, const void *elem)
{
	return memcmp(key, ((const struct range *)elem)->lo, TESS_ID_LEN);
}

/* Checks an entry of the peer's turn: a well-formed range, a child of a node
 * of our last turn not answered yet, after the previous entry of its kind.
 * Fills lo. */
static int
check_entry(struct session *s, const ProtobufCBinaryData *prefix, uint32_t depth, bool node,
    uint8_t lo[TESS_ID_LEN])
{
	struct recon *r = s->sync.recon;
	uint8_t *last = node ? r->last_node : r->last_list;
	bool *has_last = node ? &r->has_last_node : &r->has_last_list;
	uint8_t parent[TESS_ID_LEN];
	struct range *p;

	unsigned used = depth * RECON_BITS;

	if (depth > (node ? RECON_MAX_DEPTH - 1 : RECON_MAX_DEPTH) ||
	    prefix->len != RECON_PREFIX_BYTES(depth) ||
	    (used % 8 && (prefix->data[used / 8] & (0xff >> (used % 8)))))
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: malformed reconciliation range");
	memset(lo, 0, TESS_ID_LEN);
	if (prefix->len > 0)
		memcpy(lo, prefix->data, prefix->len);
	if (*has_last && memcmp(lo, last, TESS_ID_LEN) <= 0)
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: reconciliation ranges out of order");
	memcpy(last, lo, TESS_ID_LEN);
	*has_last = true;
	if (r->first_in)   /* the initiator's opening: the whole key space */
		return node && depth == 0 ? 0 : session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: reconciliation must open with the whole key space");
	if (depth == 0)
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: reconciliation range not asked for");
	memcpy(parent, lo, TESS_ID_LEN);
	recon_set_digit(parent, depth - 1, 0);
	p = r->sent.n == 0 ? NULL :
	    bsearch(parent, r->sent.v, r->sent.n, sizeof(struct range), range_cmp);
	if (p == NULL || p->depth != depth - 1 ||
	    (p->answered & (1u << recon_digit(lo, depth - 1))))
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: reconciliation range not asked for");
	p->answered |= (uint16_t)(1u << recon_digit(lo, depth - 1));
	return 0;
}

static int
on_node(struct session *s, const Tessera__ReconNode *n)
{
	uint8_t lo[TESS_ID_LEN];
	int rc;

	if ((rc = check_entry(s, &n->prefix, n->depth, true, lo)) != 0)
		return rc;
	if (n->fps.len != RECON_FANOUT * RECON_FP_LEN)
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: reconciliation node without 16 fingerprints");
	for (unsigned c = 0; c < RECON_FANOUT; c++) {
		uint8_t child[TESS_ID_LEN];

		memcpy(child, lo, TESS_ID_LEN);
		recon_set_digit(child, n->depth, c);
		if ((rc = answer_child(s, child, n->depth + 1,
		    n->fps.data + c * RECON_FP_LEN)) != 0)
			return rc;
	}
	return 0;
}

/* The peer's items of a range: ours that it lacks are given, its that we
 * lack are wanted (by position). */
static int
on_list(struct session *s, const Tessera__ReconList *l)
{
	struct recon *r = s->sync.recon;
	uint8_t lo[TESS_ID_LEN], *seen = NULL;
	size_t n = l->hashes.len / RECON_FP_LEN;
	struct vec it;
	struct item *e;
	int rc;

	if ((rc = check_entry(s, &l->prefix, l->depth, false, lo)) != 0)
		return rc;
	if (l->hashes.len % RECON_FP_LEN != 0 || n > RECON_LIST_MAX)
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: malformed reconciliation list");
	for (size_t i = 1; i < n; i++)
		if (memcmp(l->hashes.data + (i - 1) * RECON_FP_LEN,
		    l->hashes.data + i * RECON_FP_LEN, RECON_FP_LEN) >= 0)
			return session_fail(s, SESSION_END_PROTOCOL,
			    "protocol violation: reconciliation list not in order");
	/* Our side of an honest peer's small range is small too; one that is
	 * not is listed back in full below. */
	if ((rc = recon_range_items(s->env->store, lo, l->depth, SIZE_MAX / 2, &it)) != 0)
		return rc;
	if ((seen = calloc(n + 1, 1)) == NULL) {
		recon_vec_free(&it);
		return -ENOMEM;
	}
	e = it.v;
	for (size_t i = 0; i < it.n && rc == 0; i++) {
		/* bsearch wants a pointer even for no hashes */
		uint8_t *hit = n == 0 ? NULL :
		    bsearch(e[i].hash, l->hashes.data, n, RECON_FP_LEN, recon_hash_cmp);

		if (hit != NULL)
			seen[(size_t)(hit - l->hashes.data) / RECON_FP_LEN] = 1;
		else
			rc = give_add(r, e[i].id);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint32_t w = (uint32_t)(r->in_hashes + i);

		if (!seen[i]) {
			rc = recon_vec_push(&r->pw, &w);
			r->part_bytes += 5;
		}
	}
	r->in_hashes += n;
	free(seen);
	recon_vec_free(&it);
	return rc != 0 ? rc : part_room(s);
}

static int
on_wants(struct session *s, const Tessera__Recon *m)
{
	struct recon *r = s->sync.recon;
	uint8_t (*items)[TESS_ID_LEN] = r->sent_items.v;
	int rc;

	for (size_t i = 0; i < m->n_wants; i++) {
		if ((int64_t)m->wants[i] <= r->last_want || m->wants[i] >= r->sent_items.n)
			return session_fail(s, SESSION_END_PROTOCOL,
			    "protocol violation: reconciliation want out of range or order");
		r->last_want = m->wants[i];
		if ((rc = give_add(r, items[m->wants[i]])) != 0)
			return rc;
	}
	return 0;
}

/* Our turn is complete: what we sent becomes what the next turn answers. */
static void
turn_swap(struct recon *r)
{
	struct vec t = r->sent;

	r->sent = r->next;
	r->next = t;
	r->next.n = 0;
	t = r->sent_items;
	r->sent_items = r->next_items;
	r->next_items = t;
	r->next_items.n = 0;
	r->next_work = false;
	r->turns++;
}

static void
finish(struct session *s)
{
	struct recon *r = s->sync.recon;

	r->done = true;
	recon_vec_free(&r->sent);
	recon_vec_free(&r->sent_items);
	recon_vec_free(&r->next);
	recon_vec_free(&r->next_items);
	log_debug("peer %s: reconciliation done after %u turns: %zu records to offer", s->label,
	    r->turns, recon_give_left(r));
}

int
recon_on_msg(struct session *s, const Tessera__Recon *m)
{
	struct recon *r = s->sync.recon;
	int rc = 0;

	if (r == NULL || r->done || (r->first_in && r->initiator))
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: unexpected reconciliation");
	if (r->first_in && (m->n_nodes != 1 || m->n_lists || m->n_wants || m->more))
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: reconciliation must open with the whole key space");
	if (m->n_nodes > 0 || m->n_lists > 0)
		r->in_work = true;
	for (size_t i = 0; i < m->n_nodes && rc == 0; i++)
		rc = on_node(s, m->nodes[i]);
	for (size_t i = 0; i < m->n_lists && rc == 0; i++)
		rc = on_list(s, m->lists[i]);
	if (rc == 0)
		rc = on_wants(s, m);
	if (rc != 0)
		return rc == -E2BIG ? session_fail(s, SESSION_END_PROTOCOL,
		    "reconciliation: over %d items in one range", RECON_LIST_MAX) : rc;
	r->first_in = false;
	if (m->has_more && m->more)
		return 0;
	/* The peer's turn ended. One without nodes or lists asks for nothing:
	 * the reconciliation is over. Otherwise our turn ends too, and when
	 * it asks for nothing the peer's next turn will not come. */
	bool answer = r->in_work, work = r->next_work;

	r->in_work = r->has_last_node = r->has_last_list = false;
	r->last_want = -1;
	r->in_hashes = 0;
	if (answer) {
		if ((rc = flush_part(s, false)) != 0)
			return rc;
		turn_swap(r);
	}
	if (!answer || !work) {
		finish(s);
		sync_pump(s);   /* the offers held for the reconciliation */
	}
	return 0;
}

int
recon_start(struct session *s, bool we_asked, bool they_asked)
{
	struct recon *r;
	uint8_t root[TESS_ID_LEN] = { 0 };
	int rc;

	if (!we_asked && !they_asked)
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->sent.size = r->next.size = sizeof(struct range);
	r->sent_items.size = r->next_items.size = r->give.size = TESS_ID_LEN;
	r->pn.size = sizeof(struct part_node);
	r->pl.size = sizeof(struct part_list);
	r->pw.size = sizeof(uint32_t);
	r->give_on = they_asked;
	r->last_want = -1;
	r->initiator = we_asked && (!they_asked ||
	    memcmp(store_epoch(s->env->store), s->sync.epoch, TESS_EPOCH_LEN) < 0);
	r->first_in = !r->initiator;
	s->sync.recon = r;
	log_debug("peer %s: reconciling (%s)", s->label, r->initiator ? "initiator" : "responder");
	if (!r->initiator)
		return 0;
	if ((rc = out_node(s, root, 0)) != 0 || (rc = flush_part(s, false)) != 0)
		return rc;
	turn_swap(r);
	return 0;
}
