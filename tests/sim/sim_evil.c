/* The misbehaving node: not a session, it crafts frames with protobuf-c.
 *
 * On each connection it sends Hello and a SyncRequest like an honest node,
 * takes every record offered to it (to replay them later), and then plays
 * one act drawn from the seed:
 *   FORGE       offers records with bad signatures (new ids of honest
 *               authors, and next versions of records it captured), and
 *               sends them when wanted;
 *   REPLAY      offers old versions it captured and sends them, with a
 *               validly signed record of its own, although nothing was
 *               wanted (unsolicited);
 *   UNASKED     sends Records without any offer;
 *   FLOOD       sends offers far beyond flow control;
 *   JUNK        sends a frame that does not decode.
 * Whatever it forged or pushed unasked goes into sim->forged: no honest store
 * may ever hold it. */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/record.h"
#include "core/wire.h"
#include "peer.pb-c.h"

#define POOL_MAX 32       /* genuine records kept for replay */
#define FORGE_MAX 8

enum evil_act { ACT_FORGE, ACT_REPLAY, ACT_UNASKED, ACT_FLOOD, ACT_JUNK, ACT_COUNT };

struct blob {
	uint8_t id[TESS_ID_LEN];
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
};

struct evil_state {
	struct sim_node *node;
	struct blob pool[POOL_MAX];
	size_t n_pool;
};

struct evil_conn {
	enum evil_act act;
	bool acted;
	struct blob offered[FORGE_MAX];   /* the offer in flight: what a Want may name */
	size_t n_offered;
	bool offer_out;
};

static void
blob_free(struct blob *b)
{
	free(b->body);
	b->body = NULL;
}

static void
send_env(struct sim_side *sd, Tessera__Envelope *env)
{
	uint8_t *frame;
	size_t len;

	if (wire_pack(&env->base, TESS_MAX_FRAME, &frame, &len) != 0)
		return;
	link_send(sd, frame, len);
	free(frame);
}

static void
forged_add(struct sim *sim, const uint8_t id[TESS_ID_LEN], const uint8_t sig[TESS_SIG_LEN])
{
	if (sim->n_forged == sim->cap_forged) {
		size_t cap = sim->cap_forged ? 2 * sim->cap_forged : 64;
		void *p = realloc(sim->forged, cap * sizeof(*sim->forged));

		if (p == NULL)
			return;
		sim->forged = p;
		sim->cap_forged = cap;
	}
	memcpy(sim->forged[sim->n_forged].id, id, TESS_ID_LEN);
	memcpy(sim->forged[sim->n_forged].sig, sig, TESS_SIG_LEN);
	sim->n_forged++;
	sim->st.forged++;
}

/* A well-formed record claimed for author, signed with our key: its
 * signature cannot verify (unless author is us, and bad is set: then the
 * signature is spoiled after signing). */
static int
make_record(struct sim *sim, const uint8_t author[TESS_KEY_LEN], const uint8_t *id_in,
    const uint8_t *nonce_in, uint64_t version, bool spoil, struct blob *out)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text text = TESSERA__TEXT__INIT, *texts[1] = { &text };
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN], *msg;
	size_t ctx = sizeof("tessera-record-v1") - 1;

	if (nonce_in != NULL)
		memcpy(nonce, nonce_in, TESS_NONCE_LEN);
	else
		sim_rand_bytes(&sim->rng, nonce, TESS_NONCE_LEN);
	if (id_in != NULL)
		memcpy(id, id_in, TESS_ID_LEN);
	else
		record_make_id(author, nonce, id);
	memcpy(out->id, id, TESS_ID_LEN);
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)author };
	r.version = version;
	r.timestamp = 1767225600000LL + (int64_t)sim_now_ms(sim);
	r.kind = TESSERA__KIND__KIND_RESOURCE;
	text.lang = "en";
	text.title = "forged";
	r.texts = texts;
	r.n_texts = 1;
	out->len = tessera__record__get_packed_size(&r);
	if ((out->body = malloc(out->len + 1)) == NULL || (msg = malloc(ctx + out->len)) == NULL) {
		blob_free(out);
		return -1;
	}
	tessera__record__pack(&r, out->body);
	memcpy(msg, "tessera-record-v1", ctx);
	memcpy(msg + ctx, out->body, out->len);
	identity_sign(sim->evil->node->id, msg, ctx + out->len, out->sig);
	free(msg);
	if (spoil)
		out->sig[rng_uniform(&sim->rng, TESS_SIG_LEN)] ^= 0x20;
	return 0;
}

/* id, author and version of a captured body (a genuine record). */
static Tessera__Record *
peek(const struct blob *b)
{
	Tessera__Record *r = tessera__record__unpack(NULL, b->len, b->body);

	if (r != NULL && (r->id.len != TESS_ID_LEN || r->author.len != TESS_KEY_LEN ||
	    r->nonce.len != TESS_NONCE_LEN)) {
		tessera__record__free_unpacked(r, NULL);
		return NULL;
	}
	return r;
}

static void
send_offer(struct sim *sim, struct sim_side *sd, struct evil_conn *ec)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Offer offer = TESSERA__OFFER__INIT;
	Tessera__OfferItem items[FORGE_MAX], *ptrs[FORGE_MAX];
	Tessera__Record *rs[FORGE_MAX] = { 0 };

	for (size_t i = 0; i < ec->n_offered; i++) {
		tessera__offer_item__init(&items[i]);
		ptrs[i] = &items[i];
		if ((rs[i] = peek(&ec->offered[i])) == NULL)
			continue;
		items[i].has_id = items[i].has_author = items[i].has_version = 1;
		items[i].id = rs[i]->id;
		items[i].author = rs[i]->author;
		items[i].version = rs[i]->version;
	}
	offer.items = ptrs;
	offer.n_items = ec->n_offered;
	offer.has_upto = offer.has_caught_up = 1;
	offer.upto = 1 + rng_uniform(&sim->rng, 1000);
	offer.caught_up = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &offer;
	send_env(sd, &env);
	for (size_t i = 0; i < ec->n_offered; i++)
		if (rs[i] != NULL)
			tessera__record__free_unpacked(rs[i], NULL);
	ec->offer_out = true;
}

static void
send_records(struct sim_side *sd, struct blob *b, size_t n, bool upto)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Records msg = TESSERA__RECORDS__INIT;
	Tessera__SignedRecord recs[POOL_MAX + FORGE_MAX + 1], *ptrs[POOL_MAX + FORGE_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		tessera__signed_record__init(&recs[i]);
		recs[i].has_body = recs[i].has_sig = 1;
		recs[i].body = (ProtobufCBinaryData){ b[i].len, b[i].body };
		recs[i].sig = (ProtobufCBinaryData){ TESS_SIG_LEN, b[i].sig };
		ptrs[i] = &recs[i];
	}
	msg.records = ptrs;
	msg.n_records = n;
	msg.has_upto = upto;
	msg.upto = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_RECORDS;
	env.records = &msg;
	send_env(sd, &env);
}

static void
clear_offered(struct evil_conn *ec)
{
	for (size_t i = 0; i < ec->n_offered; i++)
		blob_free(&ec->offered[i]);
	ec->n_offered = 0;
}

/* FORGE: bad signatures, on new ids of honest authors and on next versions
 * of genuine records. */
static void
act_forge(struct sim *sim, struct sim_side *sd, struct evil_conn *ec)
{
	struct evil_state *ev = sim->evil;
	size_t n = sim_rand_range(&sim->rng, 1, FORGE_MAX);

	for (size_t i = 0; i < n; i++) {
		struct blob *b = &ec->offered[ec->n_offered];
		Tessera__Record *r = NULL;
		int rc;

		if (ev->n_pool > 0 && sim_rand_chance(&sim->rng, 500) &&
		    (r = peek(&ev->pool[rng_uniform(&sim->rng, ev->n_pool)])) != NULL)
			rc = make_record(sim, r->author.data, r->id.data, r->nonce.data,
			    r->version + 1, false, b);
		else
			rc = make_record(sim, sim->nodes[rng_uniform(&sim->rng, sim->n_honest)].id->pub,
			    NULL, NULL, sim_rand_range(&sim->rng, 1, UINT32_MAX), false, b);
		if (r != NULL)
			tessera__record__free_unpacked(r, NULL);
		if (rc != 0)
			continue;
		forged_add(sim, b->id, b->sig);
		ec->n_offered++;
	}
	send_offer(sim, sd, ec);
}

/* REPLAY: old versions nobody wants, sent anyway, with an unasked record. */
static void
act_replay(struct sim *sim, struct sim_side *sd, struct evil_conn *ec)
{
	struct evil_state *ev = sim->evil;

	for (size_t i = 0; i < ev->n_pool && ec->n_offered < FORGE_MAX - 1; i++) {
		struct blob *b = &ec->offered[ec->n_offered];

		if ((b->body = malloc(ev->pool[i].len)) == NULL)
			break;
		memcpy(b->body, ev->pool[i].body, ev->pool[i].len);
		b->len = ev->pool[i].len;
		memcpy(b->sig, ev->pool[i].sig, TESS_SIG_LEN);
		ec->n_offered++;
	}
	send_offer(sim, sd, ec);
	/* The unasked one goes with the answer, below (on_want). */
}

static void
act_unasked(struct sim *sim, struct sim_side *sd)
{
	struct blob b;

	if (make_record(sim, sim->evil->node->id->pub, NULL, NULL, 1, false, &b) != 0)
		return;
	forged_add(sim, b.id, b.sig);
	send_records(sd, &b, 1, true);
	blob_free(&b);
}

static void
act_flood(struct sim *sim, struct sim_side *sd)
{
	for (int k = 0; k < 3 * SYNC_OFFERS_INFLIGHT; k++) {
		Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
		Tessera__Offer offer = TESSERA__OFFER__INIT;
		Tessera__OfferItem items[16], *ptrs[16];
		uint8_t ids[16][TESS_ID_LEN], author[TESS_KEY_LEN];

		sim_rand_bytes(&sim->rng, author, sizeof(author));
		for (int i = 0; i < 16; i++) {
			tessera__offer_item__init(&items[i]);
			sim_rand_bytes(&sim->rng, ids[i], TESS_ID_LEN);
			items[i].has_id = items[i].has_author = items[i].has_version = 1;
			items[i].id = (ProtobufCBinaryData){ TESS_ID_LEN, ids[i] };
			items[i].author = (ProtobufCBinaryData){ TESS_KEY_LEN, author };
			items[i].version = 1;
			ptrs[i] = &items[i];
		}
		offer.items = ptrs;
		offer.n_items = 16;
		offer.has_upto = 1;
		offer.upto = (uint64_t)k + 1;
		env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
		env.offer = &offer;
		send_env(sd, &env);
	}
}

static void
act_junk(struct sim *sim, struct sim_side *sd)
{
	uint8_t frame[WIRE_HDR + 64];
	size_t n = sim_rand_range(&sim->rng, 1, 64);

	wire_put_u32(frame, (uint32_t)n);
	sim_rand_bytes(&sim->rng, frame + WIRE_HDR, n);
	frame[WIRE_HDR] = 0xff;   /* field 31, wire type 7: never decodes */
	link_send(sd, frame, WIRE_HDR + n);
}

void
evil_event(struct sim *sim, struct sim_side *sd)
{
	struct evil_conn *ec = sd->evil;

	if (ec == NULL || ec->acted || sd->closed)
		return;
	ec->acted = true;
	switch (ec->act) {
	case ACT_FORGE: act_forge(sim, sd, ec); break;
	case ACT_REPLAY: act_replay(sim, sd, ec); break;
	case ACT_UNASKED: act_unasked(sim, sd); break;
	case ACT_FLOOD: act_flood(sim, sd); break;
	case ACT_JUNK: act_junk(sim, sd); break;
	case ACT_COUNT: break;
	}
}

/* An answer to our offer: the forged records it names, or for a replay the
 * old versions and an unasked record whatever it names. */
static void
on_want(struct sim *sim, struct sim_side *sd, struct evil_conn *ec, const Tessera__Want *w)
{
	struct blob out[FORGE_MAX + 1];
	size_t n = 0;

	if (!ec->offer_out)
		return;
	ec->offer_out = false;
	if (ec->act == ACT_REPLAY) {
		for (size_t i = 0; i < ec->n_offered; i++)
			out[n++] = ec->offered[i];
		if (make_record(sim, sim->evil->node->id->pub, NULL, NULL, 1, true, &out[n]) == 0) {
			forged_add(sim, out[n].id, out[n].sig);
			n++;
		}
		send_records(sd, out, n, true);
		if (n > ec->n_offered)
			blob_free(&out[n - 1]);
	} else {
		for (size_t i = 0; i < w->n_indexes; i++)
			if (w->indexes[i] < ec->n_offered)
				out[n++] = ec->offered[w->indexes[i]];
		send_records(sd, out, n, true);
	}
	clear_offered(ec);
}

static void
on_offer(struct sim_side *sd, const Tessera__Offer *m)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Want want = TESSERA__WANT__INIT;
	uint32_t idx[64];
	size_t n = 0;

	/* Take everything (up to 64 a time): material for replays. */
	for (size_t i = 0; i < m->n_items && n < 64; i++)
		idx[n++] = (uint32_t)i;
	want.indexes = idx;
	want.n_indexes = n;
	env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
	env.want = &want;
	send_env(sd, &env);
}

static void
on_records(struct evil_state *ev, const Tessera__Records *m)
{
	for (size_t i = 0; i < m->n_records && ev->n_pool < POOL_MAX; i++) {
		const Tessera__SignedRecord *sr = m->records[i];
		struct blob *b = &ev->pool[ev->n_pool];

		if (!sr->has_body || sr->sig.len != TESS_SIG_LEN ||
		    (b->body = malloc(sr->body.len + 1)) == NULL)
			continue;
		memcpy(b->body, sr->body.data, sr->body.len);
		b->len = sr->body.len;
		memcpy(b->sig, sr->sig.data, TESS_SIG_LEN);
		ev->n_pool++;
	}
}

void
evil_on_frame(struct sim *sim, struct sim_side *sd, const uint8_t *payload, size_t len)
{
	Tessera__Envelope *env = tessera__envelope__unpack(NULL, len, payload);
	struct evil_conn *ec = sd->evil;

	if (env == NULL)
		return;
	switch (env->msg_case) {
	case TESSERA__ENVELOPE__MSG_SYNC:
		/* Asked for our changes: act a little later. */
		sim_schedule(sim, sim->now + sim_rand_range(&sim->rng, 1000, 50000), EV_EVIL, sd, NULL,
		    sd->conn->gen, 0);
		break;
	case TESSERA__ENVELOPE__MSG_OFFER: on_offer(sd, env->offer); break;
	case TESSERA__ENVELOPE__MSG_WANT: on_want(sim, sd, ec, env->want); break;
	case TESSERA__ENVELOPE__MSG_RECORDS: on_records(sim->evil, env->records); break;
	case TESSERA__ENVELOPE__MSG_GOODBYE: sd->closed = true; break;
	default: break;
	}
	tessera__envelope__free_unpacked(env, NULL);
}

void
evil_connect(struct sim *sim, struct sim_side *sd)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Hello h = TESSERA__HELLO__INIT;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	struct evil_conn *ec = calloc(1, sizeof(*ec));

	if (ec == NULL)
		return;
	ec->act = (enum evil_act)rng_uniform(&sim->rng, ACT_COUNT);
	sd->evil = ec;
	h.has_protocol = h.has_max_frame = h.has_max_batch = h.has_epoch = h.has_seq = 1;
	h.protocol = TESS_PROTOCOL_VERSION;
	h.name = "mallory";
	h.max_frame = TESS_MAX_FRAME;
	h.max_batch = 64;
	h.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, sim->evil->node->epoch };
	h.seq = 1000;
	env.msg_case = TESSERA__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	send_env(sd, &env);
	req.has_since = 1;
	req.since = 0;
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	send_env(sd, &env);
}

void
evil_disconnect(struct sim_side *sd)
{
	if (sd->evil == NULL)
		return;
	clear_offered(sd->evil);
	free(sd->evil);
	sd->evil = NULL;
}

int
evil_init(struct sim *sim, struct sim_node *n)
{
	if ((sim->evil = calloc(1, sizeof(*sim->evil))) == NULL)
		return -1;
	sim->evil->node = n;
	return 0;
}

void
evil_free(struct sim *sim)
{
	if (sim->evil == NULL)
		return;
	for (size_t i = 0; i < sim->evil->n_pool; i++)
		blob_free(&sim->evil->pool[i]);
	free(sim->evil);
	sim->evil = NULL;
}
