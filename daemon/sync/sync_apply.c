/* Sync, receiving side: verified Records messages stored in arrival order,
 * several in one transaction (group commit), with their checkpoints; the
 * refusals counted and logged. Receiving them is sync_receive.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "core/util.h"
#include "store/store.h"
#include "sync/session.h"
#include "sync/sync_int.h"

#define REJECT_LOG_MAX 3   /* lines per session; then one summary a minute */
#define REJECT_SUMMARY_MS 60000

void
sync_job_free(struct sync_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->items[i].body);
		record_free(j->items[i].r);
	}
	free(j->items);
	free(j);
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
	sync_job_free(head);
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

