/* Sync: offers, wants and records on one peer link (see sync.h). */
#include "sync/sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store.h"
#include "store/store_fp.h"
#include "sync/reconcile.h"
#include "sync/session.h"
#include "sync/sync_int.h"

/* Scanning our changes skips what came from this peer; bound the skipping
 * done in one go so that a large echo-free backlog cannot stall the loop. */
#define SCAN_FACTOR 8

void
sync_free(struct sync *y)
{
	sync_jobs_free(y);
	recon_free(y->recon);
	free(y->serve_ids);
	wanted_free(&y->wanted);
	for (int i = 0; i < SYNC_OFFERS_INFLIGHT; i++)
		free(y->offer_ids[i]);
	memset(y, 0, sizeof(*y));
}

int
sync_start(struct session *s, const Tessera__Hello *hello)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	struct store_peer cp;
	struct sync *y = &s->sync;

	memcpy(y->epoch, hello->epoch.data, TESS_EPOCH_LEN);
	y->session_seq = store_max_seq(s->env->store);
	if (store_peer_get(s->env->store, s->key, &cp) != 0)
		return session_fail(s, SESSION_END_STORAGE, "storage error reading the checkpoint");
	/* Same store as last time: continue; another store (re-created from
	 * the saved key): everything again. A checkpoint ahead of the peer's
	 * newest change is not trusted either. */
	if (cp.has_epoch && memcmp(cp.epoch, hello->epoch.data, TESS_EPOCH_LEN) == 0 &&
	    (!hello->has_seq || cp.seq <= hello->seq))
		y->applied = cp.seq;
	else
		y->applied = 0;
	/* Records refused over the peer's budget on an earlier day lie behind
	 * the checkpoint: once a day, ask again from the start (reconciled,
	 * so only what we lack travels). Not while an import holds the
	 * store's write transaction: next session then. */
	if (y->applied > 0 && !s->env->store_held) {
		bool retry = false;

		if (store_budget_retry(s->env->store, s->key, &retry) != 0)
			log_warnx("peer %s: cannot read its budget: %s", s->label,
			    store_errmsg(s->env->store));
		if (retry) {
			log_info("peer %s: asking again for the records refused over its budget on "
			    "an earlier day", s->label);
			y->applied = 0;
		}
	}
	req.has_epoch = req.has_since = 1;
	req.epoch = hello->epoch;
	req.since = y->applied;
	/* No checkpoint, but records of our own: reconcile rather than be
	 * offered everything (an empty store takes the plain path). */
	if (y->applied == 0 && (s->remote_features & RECON_FEATURE) && !s->env->no_recon &&
	    store_max_seq(s->env->store) > 0)
		req.has_reconcile = req.reconcile = y->recon_asked = true;
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	log_debug("peer %s: asking for changes after %llu", s->label,
	    (unsigned long long)req.since);
	return session_send(s, &env);
}

int
sync_on_request(struct session *s, const Tessera__SyncRequest *m)
{
	const uint8_t *ours = store_epoch(s->env->store);
	bool they_asked = m->has_reconcile && m->reconcile;
	int rc;

	if (s->sync.serving)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: second sync request");
	s->sync.serving = true;
	s->sync.offer_pos = m->has_epoch && m->epoch.len == TESS_EPOCH_LEN &&
		memcmp(m->epoch.data, ours, TESS_EPOCH_LEN) == 0 && m->has_since ? m->since : 0;
	bool we_asked = s->sync.recon_asked;

	/* Both asked and both stores have one epoch (one database copied):
	 * nothing orders the two sides to pick who opens, so both take the
	 * plain path, each deciding the same from the same facts. */
	if (we_asked && they_asked && memcmp(ours, s->sync.epoch, TESS_EPOCH_LEN) == 0)
		we_asked = they_asked = false;
	/* Reconciling: what differs now is found by it and offered first;
	 * the changes stream starts at our seq now. */
	if (they_asked)
		s->sync.offer_pos = store_max_seq(s->env->store);
	if ((rc = recon_start(s, we_asked, they_asked)) != 0)
		return rc == -ENOMEM ? rc : -EPROTO;
	sync_pump(s);
	return 0;
}

#define OFFER_AUTHORS_MAX 64        /* distinct authors named per offer */

struct offer_build {
	struct session *s;
	size_t visited;             /* rows seen, offered or skipped */
	ProtobufCBinaryData authors[OFFER_AUTHORS_MAX];
	uint8_t author_keys[OFFER_AUTHORS_MAX][TESS_KEY_LEN];
	size_t n_authors;
	bool full;                  /* author table full: offer ends early */
	Tessera__OfferItem *items;
	Tessera__OfferItem **ptrs;
	uint8_t (*ids)[TESS_ID_LEN];
	size_t n, max;
	size_t forwarded;           /* skipped: forwarded before commit */
	bool stream;                /* our changes stream (not reconciliation's) */
};

static int
offer_add(void *arg, uint64_t seq, const uint8_t *id, const uint8_t *author, uint64_t version,
    const uint8_t *origin)
{
	struct offer_build *b = arg;
	Tessera__OfferItem *it;

	b->visited++;
	/* Never offer a record back over the link it came in on during this
	 * session. Records it sent in earlier sessions are offered: a peer
	 * restored from an old backup lost them and learns them back so. */
	if (origin != NULL && seq > b->s->sync.session_seq &&
	    memcmp(origin, b->s->key, TESS_KEY_LEN) == 0)
		return 0;
	/* Already pushed before it was committed: only the checkpoint is
	 * owed for it. */
	if (b->stream && sync_fwd_take(&b->s->sync, id, version)) {
		b->forwarded++;
		return 0;
	}
	size_t a;

	/* Each author is named once per offer; items point at it (32 bytes
	 * become one). An offer ends early when its author table is full. */
	for (a = 0; a < b->n_authors; a++)
		if (memcmp(b->author_keys[a], author, TESS_KEY_LEN) == 0)
			break;
	if (a == b->n_authors) {
		if (a == OFFER_AUTHORS_MAX) {
			b->full = true;
			return STORE_CHANGES_BEFORE;   /* the next offer starts here */
		}
		memcpy(b->author_keys[a], author, TESS_KEY_LEN);
		b->authors[a] = (ProtobufCBinaryData){ TESS_KEY_LEN, b->author_keys[a] };
		b->n_authors++;
	}
	it = &b->items[b->n];
	tessera__offer_item__init(it);
	memcpy(b->ids[b->n], id, TESS_ID_LEN);
	it->has_id = it->has_version = it->has_author_index = 1;
	it->id = (ProtobufCBinaryData){ TESS_ID_LEN, b->ids[b->n] };
	it->version = version;
	it->author_index = (uint32_t)a;
	b->ptrs[b->n] = it;
	return ++b->n >= b->max ? 1 : 0;
}

static int
offer_init(struct session *ss, struct offer_build *b)
{
	size_t max = ss->env->lim.max_batch;

	if (max > ss->remote_max_batch)
		max = ss->remote_max_batch;
	b->s = ss;
	b->max = max;
	b->items = calloc(max, sizeof(*b->items));
	b->ptrs = calloc(max, sizeof(*b->ptrs));
	b->ids = calloc(max, sizeof(*b->ids));
	return b->items == NULL || b->ptrs == NULL || b->ids == NULL ? -ENOMEM : 0;
}

static void
offer_done(struct offer_build *b)
{
	free(b->items);
	free(b->ptrs);
	free(b->ids);
}

/* Sends the offer built in b and remembers its ids for the Want. Returns 1
 * when sent. */
static int
offer_send(struct session *ss, struct offer_build *b, uint64_t upto, bool caught_up)
{
	struct sync *s = &ss->sync;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Offer offer = TESSERA__OFFER__INIT;
	int rc;

	offer.items = b->ptrs;
	offer.n_items = b->n;
	offer.has_upto = offer.has_caught_up = 1;
	offer.upto = upto;
	offer.caught_up = caught_up;
	offer.authors = b->authors;
	offer.n_authors = b->n_authors;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &offer;
	if ((rc = session_send(ss, &env)) != 0)
		return rc;
	/* Remember the ids: the Want will name them by index. */
	s->offer_ids[s->offers_inflight] = b->ids;
	s->offer_n[s->offers_inflight] = b->n;
	b->ids = NULL;
	s->offer_upto[s->offers_inflight++] = upto;
	return 1;
}

bool
sync_push_ready(const struct session *ss, size_t n)
{
	const struct sync *s = &ss->sync;

	return s->caught_up_sent && ss->env->lim.push_max > 0 &&
	    (ss->remote_features & SYNC_PUSH_FEATURE) && s->offers_inflight == 0 &&
	    !s->serving_want && n <= ss->env->lim.push_max;
}

/* Whether the records of b go out pushed rather than offered (see
 * sync_push_ready), and they are small. No records but some skipped as
 * forwarded before commit: a push of the checkpoint alone. */
static bool
push_fits(struct session *ss, const struct offer_build *b)
{
	size_t len;

	if (!sync_push_ready(ss, b->n) || (b->n == 0 && b->forwarded == 0))
		return false;
	for (size_t i = 0; i < b->n; i++) {
		if (store_get_len(ss->env->store, b->ids[i], &len) != 0 || len > PUSH_RECORD_MAX)
			return false;
	}
	return true;
}

/* Serves the records of b as if the peer had wanted them all: Records
 * with pushed set, the last one carrying upto. */
static void
push_start(struct session *ss, struct offer_build *b, uint64_t upto)
{
	struct sync *s = &ss->sync;

	free(s->serve_ids);
	s->serve_ids = b->ids;
	b->ids = NULL;
	s->serve_n = b->n;
	s->serve_pos = 0;
	s->serve_upto = upto;
	s->serving_want = s->pushing = true;
}

/* Sends the next offer of our changes after offer_pos, if there is one
 * (or pushes them, see push_fits). */
static int
send_offer(struct session *ss)
{
	struct sync *s = &ss->sync;
	struct store *st = ss->env->store;
	struct offer_build b = { .s = ss, .stream = true };
	uint64_t last = s->offer_pos, top = store_max_seq(st);
	bool end = false;
	int rc = 0;

	if (s->offer_pos >= top && s->caught_up_sent)
		return 0;   /* nothing new since the last offer */
	if (ss->env->store_held)
		return 0;   /* never offer what an import may still roll back */
	if ((rc = offer_init(ss, &b)) != 0)
		goto out;
	for (int round = 0; round < SCAN_FACTOR && b.n < b.max && !end && !b.full; round++) {
		size_t want = b.max - b.n;

		b.visited = 0;
		if ((rc = store_changes(st, last, want, offer_add, &b, &last)) < 0)
			goto out;
		end = !b.full && (b.visited < want || last >= top);
	}
	if (push_fits(ss, &b)) {
		push_start(ss, &b, last);
		rc = 1;
	} else {
		rc = offer_send(ss, &b, last, end);
	}
	if (rc == 1) {
		s->offer_pos = last;
		s->caught_up_sent = end;
	}
out:
	offer_done(&b);
	return rc;
}

/* Offers what reconciliation found the peer lacks. Its upto is 0: it covers
 * none of the changes stream, so the peer's checkpoint moves only with the
 * offers that follow, once all of these were answered. */
static int
send_give_offer(struct session *ss)
{
	struct offer_build b = { .s = ss };
	const uint8_t *id;
	int rc;

	if (ss->env->store_held)
		return 0;
	if ((rc = offer_init(ss, &b)) != 0)
		goto out;
	while (b.n < b.max && (id = recon_give_next(ss->sync.recon)) != NULL) {
		uint8_t author[TESS_KEY_LEN];
		uint64_t version;

		if ((rc = store_fp_author(ss->env->store, id, author, &version)) == -ENOENT) {
			recon_give_pop(ss->sync.recon);   /* gone since (blocked) */
			continue;
		}
		if (rc != 0)
			goto out;
		if (offer_add(&b, 0, id, author, version, NULL) == STORE_CHANGES_BEFORE)
			break;   /* the author table is full: the next offer takes it */
		recon_give_pop(ss->sync.recon);
	}
	rc = b.n > 0 ? offer_send(ss, &b, 0, false) : 0;
out:
	offer_done(&b);
	return rc;
}

/* Sends records of the Want being answered, one Records message at a time.
 * A message holds at least one record (the protocol floor for max_frame
 * guarantees that the largest valid record fits), so every call makes
 * progress whatever frame size the peer announced. */
static int
serve_records(struct session *ss)
{
	struct sync *s = &ss->sync;
	Tessera__SignedRecord recs[256], *ptrs[256];
	uint8_t *bodies[256], sigs[256][TESS_SIG_LEN];
	size_t n = 0, bytes = RECORDS_OVERHEAD, frame = ss->remote_max_frame;
	/* Half a frame per message keeps messages moderate; a record alone may
	 * use the whole frame. */
	size_t limit = frame / 2;
	bool pushed = s->pushing;
	int rc;

	while (s->serve_pos < s->serve_n && n < 256) {
		size_t len;

		if (store_get(ss->env->store, s->serve_ids[s->serve_pos], &bodies[n], &len,
			sigs[n], NULL) != 0) {
			s->serve_pos++;
			continue;   /* gone since offered (blocked): nothing to send */
		}
		if (n > 0 && bytes + len + RECORD_OVERHEAD > limit) {
			free(bodies[n]);   /* the next message starts with it */
			break;
		}
		if (bytes + len + RECORD_OVERHEAD > frame) {
			/* Larger than the peer takes (a record stored before a
			 * smaller limit): skipped, the peer wants it elsewhere. */
			log_warnx("peer %s: record of %zu bytes over the peer's frame limit %zu; "
			    "not sent", ss->label, len, frame);
			free(bodies[n]);
			s->serve_pos++;
			continue;
		}
		s->serve_pos++;
		sync_record_init(&recs[n], bodies[n], len, sigs[n]);
		ptrs[n] = &recs[n];
		bytes += len + RECORD_OVERHEAD;
		n++;
	}
	/* The last message of the Want carries its upto. */
	if (s->serve_pos >= s->serve_n)
		s->serving_want = s->pushing = false;
	rc = sync_records_send(ss, ptrs, n, pushed, s->serving_want ? NULL : &s->serve_upto);
	for (size_t i = 0; i < n; i++)
		free(bodies[i]);
	return rc;
}

void
sync_pump(struct session *ss)
{
	struct sync *s = &ss->sync;

	/* Bounded work per call: the link calls again as its queue drains. */
	for (int i = 0; i < 64 && ss->state == SESSION_ESTABLISHED &&
	    ss->io->room(ss->link) > 0; i++) {
		if (s->serving_want) {
			if (serve_records(ss) != 0)
				return;
			continue;
		}
		if (!s->serving || s->offers_inflight >= SYNC_OFFERS_INFLIGHT ||
		    recon_holds_offers(s->recon))
			return;
		if (recon_give_left(s->recon) > 0) {
			if (send_give_offer(ss) <= 0 && recon_give_left(s->recon) > 0)
				return;
			continue;
		}
		if (send_offer(ss) <= 0)
			return;
	}
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, TESS_ID_LEN);
}

/* True when ids (n of them) name one record twice. */
static bool
has_repeats(uint8_t (*ids)[TESS_ID_LEN], size_t n)
{
	uint8_t (*sorted)[TESS_ID_LEN];
	bool rep = false;

	if (n < 2)
		return false;
	if ((sorted = malloc(n * TESS_ID_LEN)) == NULL)
		return true;   /* refuse rather than serve unchecked */
	memcpy(sorted, ids, n * TESS_ID_LEN);
	qsort(sorted, n, TESS_ID_LEN, id_cmp);
	for (size_t i = 1; i < n && !rep; i++)
		rep = memcmp(sorted[i - 1], sorted[i], TESS_ID_LEN) == 0;
	free(sorted);
	return rep;
}

int
sync_on_want(struct session *ss, const Tessera__Want *m)
{
	struct sync *s = &ss->sync;
	size_t max = ss->env->lim.max_batch, n = m->n_ids + m->n_indexes;

	if (s->offers_inflight == 0 || s->serving_want || n > max)
		return session_fail(ss, SESSION_END_PROTOCOL, "protocol violation: unexpected want");
	free(s->serve_ids);
	s->serve_ids = calloc(n + 1, TESS_ID_LEN);
	if (s->serve_ids == NULL)
		return -ENOMEM;
	s->serve_n = s->serve_pos = 0;
	for (size_t i = 0; i < m->n_ids; i++)
		if (m->ids[i].len == TESS_ID_LEN)
			memcpy(s->serve_ids[s->serve_n++], m->ids[i].data, TESS_ID_LEN);
	/* Answers come in offer order: this Want answers the oldest offer. */
	for (size_t i = 0; i < m->n_indexes; i++) {
		if (m->indexes[i] >= s->offer_n[0])
			return session_fail(ss, SESSION_END_PROTOCOL,
			    "protocol violation: want index %u out of range", m->indexes[i]);
		memcpy(s->serve_ids[s->serve_n++], s->offer_ids[0][m->indexes[i]], TESS_ID_LEN);
	}
	/* Each record is sent once per Want: a Want naming one id many times
	 * would make us read and send it again and again. */
	if (has_repeats(s->serve_ids, s->serve_n))
		return session_fail(ss, SESSION_END_PROTOCOL,
		    "protocol violation: want names a record twice");
	s->serve_upto = s->offer_upto[0];
	free(s->offer_ids[0]);
	for (int i = 0; i + 1 < SYNC_OFFERS_INFLIGHT; i++) {
		s->offer_upto[i] = s->offer_upto[i + 1];
		s->offer_ids[i] = s->offer_ids[i + 1];
		s->offer_n[i] = s->offer_n[i + 1];
	}
	s->offer_ids[SYNC_OFFERS_INFLIGHT - 1] = NULL;
	s->offer_n[SYNC_OFFERS_INFLIGHT - 1] = 0;
	s->offers_inflight--;
	s->serving_want = true;
	sync_pump(ss);
	return 0;
}
