/* Sync, receiving side: answer offers with wants, verify and store records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/msgscan.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "core/util.h"
#include "store/store.h"
#include "sync/peer_check.h"
#include "sync/session.h"
#include "sync/sync_int.h"

#define REJECT_LOG_MAX 3   /* lines per session; then one summary a minute */
#define REJECT_SUMMARY_MS 60000

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

static void
reject(struct session *s, enum sync_reject r, const char *why)
{
	struct sync *sy = &s->sync;

	sy->rejected++;
	if (s->env->on_rejected != NULL)
		s->env->on_rejected(s->env->hook_arg, s, r, why);
	if (sy->reject_logged < REJECT_LOG_MAX) {
		sy->reject_logged++;
		log_warnx("peer %s: record rejected: %s%s", s->label, why,
		    sy->reject_logged == REJECT_LOG_MAX ? " (more are counted in tessera status "
		    "and summed up here once a minute)" : "");
		return;
	}
	/* A hostile peer can make us refuse 100,000 records in a minute: one
	 * line per minute says how many, not one line per record. */
	if (sy->reject_quiet++ == 0)
		sy->reject_quiet_since = s->now;
	if (s->now - sy->reject_quiet_since >= REJECT_SUMMARY_MS) {
		log_warnx("peer %s: %llu more records rejected in the last %llu s, the latest: %s",
		    s->label, (unsigned long long)sy->reject_quiet,
		    (unsigned long long)((s->now - sy->reject_quiet_since) / 1000), why);
		sy->reject_quiet = 0;
	}
}

/* The author signed two different records with one id and version. Every
 * node keeps the one with the smaller signature (store_put); the conflict
 * is logged each time, as it is the author's doing, not the peer's. */
static void
conflict(struct session *s, const Tessera__Record *r, bool replaced)
{
	char id[2 * TESS_ID_LEN + 1], author[NODEID_STRLEN + 1];

	hex_encode(r->id.data, TESS_ID_LEN, id);
	nodeid_encode(r->author.data, author);
	log_warnx("peer %s: conflict: record %s version %llu of author %s exists in two different "
	    "signed forms; keeping the one with the smaller signature (%s)", s->label, id,
	    (unsigned long long)r->version, author, replaced ? "the one just received" :
	    "the one stored");
}

struct verify_item {
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
	Tessera__Record *r;          /* decoded and verified, or NULL */
	const char *why;             /* why not */
	enum sync_reject reason;
	uint8_t id[TESS_ID_LEN];     /* when r is NULL but the id could be read */
	bool has_id;
	bool taken;                  /* removed from the wanted set when applied */
	uint32_t gen;                /* the generation it was wanted under, if taken */
	bool fresh;                  /* stored new by this transaction: forwarded */
};

struct sync_job {
	struct verify_item *items;
	size_t n;
	bool has_upto, done;
	bool pushed;            /* sent unoffered (eager push): nothing was wanted */
	size_t stored;          /* records stored new by job_put */
	uint32_t gen;           /* the offer it answers (pushed: any offer so far) */
	uint64_t upto;
	struct sync_job *next;
};

static void
job_free(struct sync_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->items[i].body);
		record_free(j->items[i].r);
	}
	free(j->items);
	free(j);
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

/* Stores one verified record inside the caller's transaction: one that
 * answers the offer of generation gen (or was pushed), wanted by it or an
 * earlier offer. */
static int
apply_one(struct session *s, struct verify_item *it, bool pushed, uint32_t gen, size_t *stored)
{
	enum store_put_result res;
	int rc;

	if (it->r == NULL) {
		if (it->has_id)   /* may be wanted again, validly */
			it->taken = wanted_take(&s->sync.wanted, it->id, gen, &it->gen);
		reject(s, it->reason, it->why ? it->why : "malformed or oversized record");
		return 0;
	}
	if (!(it->taken = wanted_take(&s->sync.wanted, it->r->id.data, gen, &it->gen)) && !pushed) {
		reject(s, SYNC_REJECT_UNSOLICITED, "not asked for");
		return 0;
	}
	rc = store_put_from(s->env->store, it->body, it->len, it->sig, it->r, s->key, &res);
	if (rc == 0) {
		switch (res) {
		case STORE_STORED: (*stored)++; it->fresh = true; break;
		case STORE_DUPLICATE: case STORE_STALE:
			if (pushed) {   /* it came over another link first */
				s->sync.duplicates++;
				s->env->duplicates++;
			}
			break;
		case STORE_BLOCKED: break;
		case STORE_EQUIVOCATION:
		case STORE_EQUIVOCATION_REPLACED:
			conflict(s, it->r, res == STORE_EQUIVOCATION_REPLACED);
			if (res == STORE_EQUIVOCATION_REPLACED)
				(*stored)++;
			break;
		case STORE_QUOTA:
			reject(s, SYNC_REJECT_QUOTA, "author over its record quota");
			break;
		case STORE_NOT_AUTHOR:
			reject(s, SYNC_REJECT_NOT_AUTHOR, "record id belongs to another author");
			break;
		case STORE_FUTURE:
			reject(s, SYNC_REJECT_FUTURE, "timestamp too far in the future");
			break;
		case STORE_OVER_BUDGET:
			reject(s, SYNC_REJECT_BUDGET, "over the peer's daily budget for new authors");
			break;
		case STORE_DISPUTED:
			reject(s, SYNC_REJECT_CONFLICT, "a second rotation of a key already rotated "
			    "(disputed: tessera status)");
			break;
		}
	}
	return rc;
}

/* Hands the records this transaction stores new to the owner, to push on
 * before the commit (session_env.on_forward). Only new records passed
 * every check of store_put (quota, blocked author, conflict): a record this
 * node refuses is never forwarded. Returns the hook's answer. */
static int
job_forward(struct session *ss, struct sync_job *j, size_t stored)
{
	struct session_fwd fwd[SYNC_FWD_MAX];
	size_t n = 0;

	/* Few records: live ones. A batch of the backlog is offered after its
	 * commit as before. */
	if (ss->env->on_forward == NULL || stored == 0 || stored > ss->env->lim.push_max ||
	    stored > SYNC_FWD_MAX)
		return 0;
	for (size_t i = 0; i < j->n; i++) {
		const struct verify_item *it = &j->items[i];

		if (!it->fresh)
			continue;
		fwd[n++] = (struct session_fwd){ .body = it->body, .len = it->len, .sig = it->sig,
			.id = it->r->id.data, .version = it->r->version };
	}
	return ss->env->on_forward(ss->env->hook_arg, ss, fwd, n);
}

/* A failed transaction leaves the session as it was before the job: the
 * ids it took are wanted again and its rejections are not counted, so the
 * same job can be applied later. */
static void
job_undo(struct session *ss, struct sync_job *j, uint64_t rejected0)
{
	struct sync *s = &ss->sync;

	for (size_t i = 0; i < j->n; i++) {
		struct verify_item *it = &j->items[i];

		if (!it->taken)
			continue;
		/* Only what this job took is put back: the set never shrinks. */
		wanted_add(&s->wanted, it->r != NULL ? it->r->id.data : it->id, it->gen);
		it->taken = false;
	}
	for (size_t i = 0; i < j->n; i++)
		j->items[i].fresh = false;
	s->rejected = rejected0;
}

/* Inside the caller's transaction: a verified job's records, their forward
 * and, when the job completes an offer, its upto as our checkpoint (with
 * the records, so a crash loses neither), and the peer's counts. */
static int
job_put(struct session *ss, struct sync_job *j)
{
	struct sync *s = &ss->sync;
	struct store *st = ss->env->store;
	uint64_t rejected0 = s->rejected;
	int rc = 0;

	j->stored = 0;
	for (size_t i = 0; i < j->n && rc == 0; i++)
		rc = apply_one(ss, &j->items[i], j->pushed, j->gen, &j->stored);
	/* Forward before commit, as soon as every record passed store_put:
	 * the next hop verifies while we write the rest and fsync. */
	if (rc == 0)
		rc = job_forward(ss, j, j->stored);
	if (rc == 0 && j->has_upto)
		rc = store_peer_checkpoint(st, ss->key, s->epoch, j->upto);
	if (rc == 0 && (j->stored > 0 || s->rejected > rejected0))
		rc = store_peer_count(st, ss->key, j->stored, 0, s->rejected - rejected0);
	return rc;
}

/* After the commit that kept job j: the offer it completed is done with. */
static void
job_kept(struct session *ss, struct sync_job *j)
{
	struct sync *s = &ss->sync;
	bool caught_up = false;

	if (j->has_upto) {
		s->applied = j->upto;
		caught_up = s->pending[0].caught_up;
		/* What that offer wanted and the peer no longer had will be
		 * offered anew. */
		wanted_expire(&s->wanted, s->pending[0].gen);
		memmove(s->pending, s->pending + 1, (s->n_pending - 1) * sizeof(s->pending[0]));
		s->n_pending--;
		s->uptos_queued--;
	}
	s->received += j->stored;
	if (j->has_upto) {
		if (caught_up)
			log_debug("peer %s: caught up at %llu", ss->label, (unsigned long long)s->applied);
		if (ss->env->on_synced != NULL)
			ss->env->on_synced(ss->env->hook_arg, ss, caught_up);
	}
	/* New records may reference blobs to fetch (or purge some). */
	if (j->stored > 0 && ss->env->attach != NULL)
		attach_changed(ss->env->attach);
	if (j->stored > 0 && ss->env->on_stored != NULL)
		ss->env->on_stored(ss->env->hook_arg, ss, j->stored);
}

/* Stores the first n verified jobs of the queue in one transaction (group
 * commit: one set of WAL frames and one fdatasync for all of them, where
 * each took its own). Returns -ENOSPC with nothing changed when storage is
 * full: the caller keeps the jobs and applies them once space is back.
 * Another failure undoes them all too; for one job, it also closes the
 * session (its records are offered again after reconnecting). */
static int
jobs_apply(struct session *ss, size_t n)
{
	struct sync *s = &ss->sync;
	struct store *st = ss->env->store;
	uint64_t rejected0 = s->rejected;
	struct sync_job *j = s->jobs;
	size_t k;
	int rc;

	if ((rc = store_begin(st)) != 0)
		goto fail;
	for (k = 0; k < n && rc == 0; k++, j = j->next)
		rc = job_put(ss, j);
	if (rc != 0) {
		store_rollback(st);
		goto fail;
	}
	if ((rc = store_commit(st)) != 0)
		goto fail;
	j = s->jobs;
	for (k = 0; k < n; k++, j = j->next)
		job_kept(ss, j);
	return 0;
fail:
	/* Nothing of these messages was kept: the checkpoint did not move. */
	j = s->jobs;
	for (k = 0; k < n; k++, j = j->next)
		job_undo(ss, j, rejected0);
	if (rc == -ENOSPC || n > 1)
		return rc;
	session_close(ss, SESSION_END_STORAGE, "storage error", false);
	return rc;
}

/* Takes the first job off the queue and frees it. */
static void
job_pop(struct sync *s)
{
	struct sync_job *head = s->jobs;

	s->jobs = head->next;
	if (s->jobs == NULL)
		s->jobs_tail = NULL;
	s->n_jobs--;
	job_free(head);
}

/* The verified jobs at the head of the queue, up to SYNC_GROUP_RECORDS
 * records (at least one job). */
static size_t
jobs_ready(const struct sync *s)
{
	size_t n = 0, records = 0;

	for (const struct sync_job *j = s->jobs; j != NULL && j->done; j = j->next) {
		if (n > 0 && records + j->n > SYNC_GROUP_RECORDS)
			break;
		records += j->n;
		n++;
	}
	return n;
}

void
sync_drain(struct session *ss)
{
	struct sync *s = &ss->sync;
	struct store *st = ss->env->store;

	/* An import owns the write transaction; records wait in order. */
	if (ss->env->store_held && !ss->dropped)
		return;
	/* Apply in arrival order: a finished job waits for those before it. */
	while (s->jobs != NULL && s->jobs->done) {
		size_t n = 1;
		int rc;

		/* Verified records are worth keeping even if the session ended
		 * meanwhile; once the link is gone (dropped) they are freed.
		 * While storage is full they wait (reading pauses once
		 * SYNC_JOBS_MAX are held) until the owner's probe finds space
		 * and sets storage_retry around session_drain. */
		if (!ss->dropped) {
			if (store_full(st, NULL) && !ss->env->storage_retry)
				break;
			n = jobs_ready(s);
			/* A group that fails for another reason than space is
			 * tried again job by job: the failing one alone ends the
			 * session, as it always did. */
			if ((rc = jobs_apply(ss, n)) != 0 && rc != -ENOSPC && n > 1)
				rc = jobs_apply(ss, n = 1);
			if (rc == -ENOSPC)
				break;
		}
		while (n-- > 0)
			job_pop(s);
	}
	if (!ss->dropped)
		session_after_jobs(ss);
}

void
sync_jobs_free(struct sync *s)
{
	while (s->jobs != NULL && s->jobs->done)
		job_pop(s);
}

void
session_job_done(struct session *ss, struct sync_job *j)
{
	j->done = true;
	sync_drain(ss);
}

/* Whether the Records message m is one the peer may send now (every check
 * of sync_on_records that closes the link). */
static bool
records_fit(const struct session *ss, const Tessera__Records *m)
{
	const struct sync *s = &ss->sync;

	if (!(m->has_pushed && m->pushed))
		return s->n_pending > s->uptos_queued;
	return ss->env->lim.push_max > 0 && (ss->remote_features & SYNC_PUSH_FEATURE) &&
	    s->n_pending == s->uptos_queued && m->n_records <= ss->env->lim.max_batch;
}

int
sync_on_records(struct session *ss, const Tessera__Records *m)
{
	struct sync *s = &ss->sync;
	struct sync_job *j;

	/* A violation waits for the records received before it: they are
	 * stored (and their refusals counted) before the link closes, as when
	 * every message waited for the records ahead of it. */
	if (s->n_jobs > 0 && !records_fit(ss, m))
		return SYNC_DEFER;
	if (m->has_pushed && m->pushed) {
		/* Pushed records stand for an offer wanted whole: only when
		 * both sides announced push, and after every earlier offer's
		 * records (the sender pushes with none outstanding). */
		if (ss->env->lim.push_max == 0 || !(ss->remote_features & SYNC_PUSH_FEATURE))
			return session_fail(ss, SESSION_END_PROTOCOL,
			    "protocol violation: pushed records without push");
		if (s->n_pending != s->uptos_queued)
			return session_fail(ss, SESSION_END_PROTOCOL,
			    "protocol violation: pushed records while an offer is open");
		if (m->n_records > ss->env->lim.max_batch)
			return session_fail(ss, SESSION_END_PROTOCOL,
			    "protocol violation: %zu records pushed at once", m->n_records);
		/* Its checkpoint waits its turn behind the queued ones. */
		if (m->has_upto && s->n_pending >= SYNC_OFFERS_INFLIGHT)
			return SYNC_DEFER;
	} else if (s->n_pending <= s->uptos_queued) {
		return session_fail(ss, SESSION_END_PROTOCOL,
		    "protocol violation: records without an offer");
	}
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
			job_free(j);
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
		job_free(j);
		return session_fail(ss, SESSION_END_NOMEM, "cannot queue verification");
	}
	if (s->n_jobs >= SYNC_JOBS_MAX)
		session_work_paused(ss, true);   /* bounded memory: let TCP push back */
	return 0;
}
