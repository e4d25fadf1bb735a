/* Scenarios against range reconciliation (docs/protocol.md,
 * "Reconciliation"). The daemon must hold records and no checkpoint of
 * ours: announcing the feature, we then get its request to reconcile and
 * its opening (the whole key space). Each misbehaviour must close the link
 * after bounded work, and the daemon must go on serving. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"
#include "sync/reconcile.h"

#define FANOUT RECON_FANOUT
#define PREFIX_BYTES(depth) (((depth) * RECON_BITS + 7) / 8)

/* Random bytes from the scenario seed. */
static void
fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rand() | 1);   /* never all zero: zero means empty */
}

static void
set_digit(uint8_t *id, unsigned i, unsigned v)
{
	unsigned bit = i * RECON_BITS, shift = 8 - RECON_BITS - bit % 8;

	id[bit / 8] = (uint8_t)((id[bit / 8] & ~((FANOUT - 1) << shift)) | v << shift);
}

/* Opens a link announcing reconciliation and returns the daemon's opening. */
static int
recon_open(struct conn *c, Tessera__Envelope **first)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	int o;

	opt.features = RECON_FEATURE;
	if ((o = open_or_say(c)) != OUT_OK)
		return o;
	if (!c->sync_reconcile) {
		conn_close(c);
		return result(OUT_LOCAL, "the daemon did not ask to reconcile (does it hold records?)");
	}
	req.has_epoch = req.has_since = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, c->epoch };
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	conn_send(c, &env);
	if (conn_expect(c, TESSERA__ENVELOPE__MSG_RECON, first) != 0) {
		conn_close(c);
		return result(OUT_BAD, "no reconciliation opening from the daemon (%s)", c->why);
	}
	return OUT_OK;
}

/* recon_open, the opening not needed. */
static int
recon_begin(struct conn *c)
{
	Tessera__Envelope *first = NULL;
	int o;

	if ((o = recon_open(c, &first)) == OUT_OK)
		tessera__envelope__free_unpacked(first, NULL);
	return o;
}

/* A node for child `child` of the range (lo, depth), with random fps. */
static void
node_init(Tessera__ReconNode *n, uint8_t *lo, unsigned depth, unsigned child,
    uint8_t fps[FANOUT * RECON_FP_LEN])
{
	tessera__recon_node__init(n);
	set_digit(lo, depth, child);
	fill(fps, FANOUT * RECON_FP_LEN);
	n->has_prefix = n->has_depth = n->has_fps = 1;
	n->prefix = (ProtobufCBinaryData){ PREFIX_BYTES(depth + 1), lo };
	n->depth = depth + 1;
	n->fps = (ProtobufCBinaryData){ FANOUT * RECON_FP_LEN, fps };
}

static int
send_recon(struct conn *c, Tessera__Recon *m)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;

	env.msg_case = TESSERA__ENVELOPE__MSG_RECON;
	env.recon = m;
	return conn_send(c, &env);
}

/* One turn of one node: child `child` of the range (lo, depth). */
static int
send_node(struct conn *c, uint8_t *lo, unsigned depth, unsigned child)
{
	Tessera__ReconNode n, *np[1] = { &n };
	Tessera__Recon m = TESSERA__RECON__INIT;
	uint8_t fps[FANOUT * RECON_FP_LEN];

	node_init(&n, lo, depth, child, fps);
	m.nodes = np;
	m.n_nodes = 1;
	return send_recon(c, &m);
}

int
scn_recon_order(int arg)
{
	Tessera__ReconNode nodes[2], *np[2] = { &nodes[0], &nodes[1] };
	Tessera__Recon m = TESSERA__RECON__INIT;
	uint8_t lo[2][TESS_ID_LEN] = { { 0 } }, fps[2][FANOUT * RECON_FP_LEN];
	struct conn c;
	int o;

	(void)arg;
	if ((o = recon_begin(&c)) != OUT_OK)
		return o;
	node_init(&nodes[0], lo[0], 0, 2, fps[0]);   /* child 2, then child 1 */
	node_init(&nodes[1], lo[1], 0, 1, fps[1]);
	m.nodes = np;
	m.n_nodes = 2;
	send_recon(&c, &m);
	return closed_and_alive(&c, "reconciliation ranges out of order");
}

/* Answers every node of the daemon's turn with nodes for all its children,
 * every list with nothing: fingerprints that never match. */
static int
answer_all(struct conn *c, const Tessera__Recon *in, size_t *entries)
{
	size_t n = in->n_nodes * FANOUT, k = 0;
	Tessera__ReconNode *nodes = calloc(n + 1, sizeof(*nodes));
	Tessera__ReconNode **np = calloc(n + 1, sizeof(*np));
	uint8_t (*lo)[TESS_ID_LEN] = calloc(n + 1, TESS_ID_LEN);
	uint8_t (*fps)[FANOUT * RECON_FP_LEN] = calloc(n + 1, FANOUT * RECON_FP_LEN);
	Tessera__Recon m = TESSERA__RECON__INIT;
	int rc = -ENOMEM;

	if (nodes == NULL || np == NULL || lo == NULL || fps == NULL)
		goto out;
	for (size_t i = 0; i < in->n_nodes; i++) {
		const Tessera__ReconNode *d = in->nodes[i];

		if (d->prefix.len > TESS_ID_LEN || d->depth + 1 >= RECON_MAX_DEPTH)
			continue;   /* children would be lists: leave them */
		for (unsigned ch = 0; ch < FANOUT; ch++, k++) {
			if (d->prefix.len > 0)   /* an empty prefix may come as NULL */
				memcpy(lo[k], d->prefix.data, d->prefix.len);
			node_init(&nodes[k], lo[k], d->depth, ch, fps[k]);
			np[k] = &nodes[k];
		}
	}
	m.nodes = np;
	m.n_nodes = k;
	*entries += k;
	rc = send_recon(c, &m);
out:
	free(nodes);
	free(np);
	free(lo);
	free(fps);
	return rc;
}

int
scn_recon_inconsistent(int arg)
{
	Tessera__Envelope *in = NULL;
	size_t entries = 0;
	unsigned turns = 0;
	struct conn c;
	int o;

	(void)arg;
	if ((o = recon_open(&c, &in)) != OUT_OK)
		return o;
	/* Until the daemon's turn asks for nothing more (or it closes). */
	while (in != NULL && in->msg_case == TESSERA__ENVELOPE__MSG_RECON &&
	    (in->recon->n_nodes > 0 || in->recon->n_lists > 0)) {
		if (in->recon->has_more && in->recon->more) {
			tessera__envelope__free_unpacked(in, NULL);
			in = NULL;
			if (conn_expect(&c, TESSERA__ENVELOPE__MSG_RECON, &in) != 0)
				break;
			continue;
		}
		if (++turns > 2 * RECON_MAX_DEPTH + 4 || entries > 1000000)
			break;
		answer_all(&c, in->recon, &entries);
		tessera__envelope__free_unpacked(in, NULL);
		in = NULL;
		if (conn_expect(&c, TESSERA__ENVELOPE__MSG_RECON, &in) != 0)
			break;
	}
	if (in != NULL)
		tessera__envelope__free_unpacked(in, NULL);
	if (turns > RECON_MAX_DEPTH + 2) {
		conn_close(&c);
		return result(OUT_BAD, "the daemon went on for %u turns of made-up differences", turns);
	}
	conn_close(&c);
	opt.features = 0;
	if ((o = session_open(&c)) != OUT_OK || probe(&c) != 0) {
		conn_close(&c);
		return result(OUT_BAD, "the daemon does not answer after made-up differences");
	}
	conn_close(&c);
	return result(OUT_OK, "fingerprints differing everywhere: over after %u turns (%zu ranges "
	    "sent); the daemon answers a new link", turns, entries);
}

/* Answers a list of the daemon's by splitting it (not asked for), or, with
 * no list in its turn, sends one more turn after the end. */
int
scn_recon_endless(int arg)
{
	Tessera__Envelope *in = NULL;
	size_t entries = 0;
	struct conn c;
	int o;

	(void)arg;
	if ((o = recon_open(&c, &in)) != OUT_OK)
		return o;
	/* Keep splitting until the daemon lists a range. */
	for (int turn = 0; in != NULL && in->recon->n_lists == 0 && turn < RECON_MAX_DEPTH; turn++) {
		if (in->recon->n_nodes == 0)
			break;
		answer_all(&c, in->recon, &entries);
		tessera__envelope__free_unpacked(in, NULL);
		in = NULL;
		if (conn_expect(&c, TESSERA__ENVELOPE__MSG_RECON, &in) != 0)
			break;
	}
	if (in != NULL && in->recon->n_lists > 0) {
		const Tessera__ReconList *l = in->recon->lists[0];
		uint8_t lo[TESS_ID_LEN] = { 0 };

		memcpy(lo, l->prefix.data, l->prefix.len < TESS_ID_LEN ? l->prefix.len : TESS_ID_LEN);
		send_node(&c, lo, l->depth, 0);
		tessera__envelope__free_unpacked(in, NULL);
		return closed_and_alive(&c, "splitting a range the daemon listed");
	}
	if (in != NULL)
		tessera__envelope__free_unpacked(in, NULL);
	/* Nothing listed: the reconciliation ended; one more turn. */
	{
		uint8_t lo[TESS_ID_LEN] = { 0 };

		send_node(&c, lo, 0, 0);
	}
	return closed_and_alive(&c, "a reconciliation turn after the end");
}

int
scn_recon_oversized(int arg)
{
	Tessera__ReconList l = TESSERA__RECON_LIST__INIT, *lp[1] = { &l };
	Tessera__Recon m = TESSERA__RECON__INIT;
	size_t n = RECON_LIST_MAX + 1;
	uint8_t lo[TESS_ID_LEN] = { 0 }, *hashes;
	struct conn c;
	int o;

	(void)arg;
	if ((o = recon_begin(&c)) != OUT_OK)
		return o;
	if ((hashes = malloc(n * RECON_FP_LEN)) == NULL) {
		conn_close(&c);
		return result(OUT_LOCAL, "out of memory");
	}
	for (size_t i = 0; i < n; i++)   /* ascending, as an honest list is */
		for (int b = 0; b < RECON_FP_LEN; b++)
			hashes[i * RECON_FP_LEN + b] = (uint8_t)(i >> (8 * (RECON_FP_LEN - 1 - b)));
	set_digit(lo, 0, 0);
	l.has_prefix = l.has_depth = l.has_hashes = 1;
	l.prefix = (ProtobufCBinaryData){ PREFIX_BYTES(1), lo };
	l.depth = 1;
	l.hashes = (ProtobufCBinaryData){ n * RECON_FP_LEN, hashes };
	m.lists = lp;
	m.n_lists = 1;
	send_recon(&c, &m);
	free(hashes);
	if ((o = closed_and_alive(&c, "a reconciliation list of 4097 items")) != OUT_OK)
		return o;

	/* A turn of 3000 ranges: beyond the fields a message may decode into. */
	Tessera__ReconNode *nodes = calloc(3000, sizeof(*nodes)), **np = calloc(3000, sizeof(*np));
	uint8_t fps[FANOUT * RECON_FP_LEN];

	if (nodes == NULL || np == NULL || (o = recon_begin(&c)) != OUT_OK) {
		free(nodes);
		free(np);
		return nodes == NULL || np == NULL ? result(OUT_LOCAL, "out of memory") : o;
	}
	memset(lo, 0, sizeof(lo));
	for (int i = 0; i < 3000; i++) {
		node_init(&nodes[i], lo, 0, (unsigned)i % FANOUT, fps);
		np[i] = &nodes[i];
	}
	m = (Tessera__Recon)TESSERA__RECON__INIT;
	m.nodes = np;
	m.n_nodes = 3000;
	send_recon(&c, &m);
	free(nodes);
	free(np);
	return closed_and_alive(&c, "a reconciliation turn of 3000 ranges");
}

int
scn_recon_unasked(int arg)
{
	Tessera__ReconNode n, *np[1] = { &n };
	Tessera__Recon m = TESSERA__RECON__INIT;
	uint8_t lo[TESS_ID_LEN] = { 0 }, fps[FANOUT * RECON_FP_LEN];
	struct conn c;
	int o;

	(void)arg;
	opt.features = 0;
	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	node_init(&n, lo, 0, 0, fps);
	n.depth = 0;
	n.prefix.len = 0;
	m.nodes = np;
	m.n_nodes = 1;
	send_recon(&c, &m);
	return closed_and_alive(&c, "a reconciliation nobody asked for");
}
