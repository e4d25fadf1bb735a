/* Sync, receiving side: offers answered with wants (ahead of the records
 * still in flight: the pipeline), Records messages checked, copied and
 * queued as jobs, and verified on the link's worker. Storing them, in
 * order, is sync_apply.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgscan.h"
#include "core/record.h"
#include "store/store.h"
#include "sync/peer_check.h"
#include "sync/session.h"
#include "sync/sync_int.h"

int
sync_on_offer(struct session *ss, const Tessera__Offer *m)
{
	struct sync *s = &ss->sync;
	const struct session_limits *c = &ss->env->lim;
	struct store *st = ss->env->store;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Want want = TESSERA__WANT__INIT;
	uint32_t *idx;
	size_t n = 0;
	int rc;

	/* Answered while the records received before it are still verified
	 * and stored (the pipeline), unless it names a record among them: it
	 * then waits for them, so that what it wants reflects them (a rejected
	 * record can be wanted again, a newer version is wanted). So does an
	 * offer beyond what may be answered ahead; with nothing to wait for
	 * (no job), those bounds are the peer's to keep. */
	if (s->n_jobs > 0) {
		if (s->n_pending >= SYNC_PENDING_MAX ||
		    s->wanted.n + m->n_items > c->max_inflight_wants)
			return SYNC_DEFER;
		for (size_t i = 0; i < m->n_items; i++)
			if (m->items[i] != NULL && m->items[i]->id.len == TESS_ID_LEN &&
			    wanted_has(&s->wanted, m->items[i]->id.data))
				return SYNC_DEFER;
	}
	if (s->n_pending >= SYNC_PENDING_MAX || m->n_items > c->max_batch)
		return session_fail(ss, SESSION_END_PROTOCOL,
		    "protocol violation: offers beyond flow control");
	if (s->wanted.n + m->n_items > c->max_inflight_wants)
		return session_fail(ss, SESSION_END_PROTOCOL,
		    "protocol violation: over %u wanted records in flight", c->max_inflight_wants);
	if (wanted_reserve(&s->wanted, s->wanted.n + m->n_items) != 0)
		return -ENOMEM;
	if ((idx = calloc(m->n_items + 1, sizeof(*idx))) == NULL)
		return -ENOMEM;
	const uint8_t *last_author = NULL;
	bool last_blocked = false;

	for (size_t i = 0; i < m->n_items; i++) {
		const Tessera__OfferItem *it = m->items[i];
		const uint8_t *author;
		uint64_t have;

		/* Long or compact form (the author by index into the offer's table). */
		if ((author = peer_check_offer_item(m, it)) == NULL)
			continue;
		/* Dedupe by (id, version) before anything costly. */
		if (store_have(st, it->id.data, &have) != 0) {
			free(idx);
			return session_fail(ss, SESSION_END_STORAGE, "storage error");
		}
		if (have >= it->version || wanted_has(&s->wanted, it->id.data))
			continue;
		/* Offers come in runs by one author: look each run up once. */
		if (last_author == NULL || memcmp(last_author, author, TESS_KEY_LEN) != 0) {
			last_author = author;
			last_blocked = store_is_blocked(st, last_author);
		}
		if (last_blocked)
			continue;
		wanted_add(&s->wanted, it->id.data, s->want_gen + 1);
		idx[n++] = (uint32_t)i;
	}
	want.indexes = idx;
	want.n_indexes = n;
	env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
	env.want = &want;
	s->pending[s->n_pending].upto = m->has_upto ? m->upto : 0;
	s->pending[s->n_pending].caught_up = m->has_caught_up && m->caught_up;
	s->pending[s->n_pending].gen = ++s->want_gen;
	s->n_pending++;
	rc = session_send(ss, &env);
	free(idx);
	return rc;
}

/* Any thread (tesserad: the threadpool): the costly part (decode, validate,
 * SHA-256, Ed25519) off the loop, so that the second core verifies while the
 * first stores. Touches nothing but the job. */
void
session_job_verify(struct sync_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct verify_item *it = &j->items[i];
		int rc;

		if (it->body != NULL && (rc = record_open(it->body, it->len, it->sig, TESS_SIG_LEN,
			&it->r, &it->why)) != 0) {
			Tessera__Record *raw = NULL;
			size_t fields;

			/* The id, to want the record again from an honest peer; not
			 * from a body too costly to decode. */
			if (msgscan_record(it->body, it->len, &fields) == 0 &&
			    fields <= TESS_MAX_RECORD_FIELDS)
				raw = tessera__record__unpack(NULL, it->len, it->body);
			it->r = NULL;
			it->reason = rc == -EPERM ? SYNC_REJECT_SIGNATURE : SYNC_REJECT_INVALID;
			if (raw != NULL && raw->has_id && raw->id.len == TESS_ID_LEN) {
				memcpy(it->id, raw->id.data, TESS_ID_LEN);
				it->has_id = true;
			}
			record_free(raw);
		}
	}
}

bool
session_job_inline(const struct sync_job *j)
{
	return j->pushed && j->n <= SYNC_VERIFY_INLINE;
}

/* Why the Records message m breaks the protocol now (written into buf),
 * or NULL. */
static const char *
records_violation(const struct session *ss, const Tessera__Records *m, char *buf, size_t len)
{
	const struct sync *s = &ss->sync;

	if (!(m->has_pushed && m->pushed))
		return s->n_pending > s->uptos_queued ? NULL : "records without an offer";
	/* Pushed records stand for an offer wanted whole: only when both
	 * sides announced push, and after every earlier offer's records (the
	 * sender pushes with none outstanding). */
	if (ss->env->lim.push_max == 0 || !(ss->remote_features & SYNC_PUSH_FEATURE))
		return "pushed records without push";
	if (s->n_pending != s->uptos_queued)
		return "pushed records while an offer is open";
	if (m->n_records > ss->env->lim.max_batch) {
		snprintf(buf, len, "%zu records pushed at once", m->n_records);
		return buf;
	}
	return NULL;
}

int
sync_on_records(struct session *ss, const Tessera__Records *m)
{
	struct sync *s = &ss->sync;
	struct sync_job *j;
	const char *bad;
	char why[64];

	/* A violation waits for the records received before it: they are
	 * stored (and their refusals counted) before the link closes, as when
	 * every message waited for the records ahead of it. */
	if ((bad = records_violation(ss, m, why, sizeof(why))) != NULL)
		return s->n_jobs > 0 ? SYNC_DEFER :
		    session_fail(ss, SESSION_END_PROTOCOL, "protocol violation: %s", bad);
	/* A push's checkpoint waits its turn behind the queued ones. */
	if (m->has_pushed && m->pushed && m->has_upto && s->n_pending >= SYNC_OFFERS_INFLIGHT)
		return SYNC_DEFER;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->items = calloc(m->n_records + 1, sizeof(*j->items))) == NULL) {
		free(j);
		return -ENOMEM;
	}
	j->has_upto = m->has_upto;
	j->upto = m->upto;
	j->n = m->n_records;
	j->pushed = m->has_pushed && m->pushed;
	if (j->pushed && j->has_upto) {
		s->pending[s->n_pending].upto = m->upto;
		s->pending[s->n_pending].caught_up = true;
		s->pending[s->n_pending].gen = ++s->want_gen;
		s->n_pending++;
	}
	/* The oldest offer whose records have not all come: these answer it. */
	j->gen = j->pushed ? s->want_gen : s->pending[s->uptos_queued].gen;
	/* Copy: the message is freed when this handler returns. */
	for (size_t i = 0; i < m->n_records; i++) {
		const Tessera__SignedRecord *sr = m->records[i];
		struct verify_item *it = &j->items[i];

		if (!peer_check_signed_record(sr)) {
			it->why = "malformed or oversized record";
			it->reason = SYNC_REJECT_INVALID;
			continue;
		}
		if ((it->body = malloc(sr->body.len + 1)) == NULL) {
			sync_job_free(j);
			return -ENOMEM;
		}
		if (sr->body.len > 0)   /* an empty body may come as NULL */
			memcpy(it->body, sr->body.data, sr->body.len);
		it->len = sr->body.len;
		memcpy(it->sig, sr->sig.data, TESS_SIG_LEN);
	}
	if (j->has_upto)
		s->uptos_queued++;
	/* Queued before the link runs it: a link that verifies at once calls
	 * session_job_done from inside verify. */
	if (s->jobs_tail != NULL)
		s->jobs_tail->next = j;
	else
		s->jobs = j;
	s->jobs_tail = j;
	s->n_jobs++;
	if (ss->io->verify(ss->link, j) != 0) {
		/* Not queued: take it back off the end. */
		struct sync_job **pp = &s->jobs;

		while (*pp != j)
			pp = &(*pp)->next;
		*pp = NULL;
		s->jobs_tail = NULL;
		for (struct sync_job *t = s->jobs; t; t = t->next)
			s->jobs_tail = t;
		s->n_jobs--;
		if (j->has_upto)
			s->uptos_queued--;
		sync_job_free(j);
		return session_fail(ss, SESSION_END_NOMEM, "cannot queue verification");
	}
	if (s->n_jobs >= SYNC_JOBS_MAX)
		session_work_paused(ss, true);   /* bounded memory: let TCP push back */
	return 0;
}
