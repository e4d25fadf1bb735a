/* Attachment transfer, the fetching side and the node-wide state (see
 * attach.h). */
#include "sync/attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/blob.h"
#include "store/store.h"
#include "sync/session.h"
#include "sync/sync_int.h"

#define SYNC_AFTER_MS 500

void
attach_init(struct attach *a, struct store *st, const struct attach_policy *pol)
{
	memset(a, 0, sizeof(*a));
	a->store = st;
	a->pol = *pol;
	a->gen = 1;
}

void
attach_free(struct attach *a)
{
	if (a == NULL || a->store == NULL)
		return;
	/* The loop has run out, so a sync job has ended (if one has not,
	 * the pool owns it and it is left alone); what it or none covered
	 * is synced now. */
	blob_sync(a->store);
	free(a->fl);
	a->fl = NULL;
	a->n_fl = a->cap_fl = 0;
}

bool
attach_too_large(const struct attach_policy *pol, uint64_t size)
{
	return pol->max_size > 0 && size > pol->max_size;
}

bool
attach_allowed(const struct attach_policy *pol, uint64_t size, bool want, uint64_t held)
{
	if (held + size > pol->budget)
		return false;   /* over budget: not even on demand */
	return want || (pol->auto_fetch && size <= pol->max_file);
}

void
attach_changed(struct attach *a)
{
	a->gen++;
}

/* The wanted list, from the store and the policy. */
static void
refresh(struct attach *a)
{
	struct blob_info *bi;
	uint64_t held, missing;
	size_t n;

	if (a->wanted_gen == a->gen)
		return;
	a->wanted_gen = a->gen;
	a->n_wanted = 0;
	a->over_budget = 0;
	if ((bi = calloc(ATTACH_WANTED_MAX * 4, sizeof(*bi))) == NULL)
		return;
	if (blob_usage(a->store, &held, &missing) == 0 &&
	    blob_list_missing(a->store, bi, ATTACH_WANTED_MAX * 4, &n) == 0)
		for (size_t i = 0; i < n && a->n_wanted < ATTACH_WANTED_MAX; i++) {
			/* a partial blob's held bytes are counted already */
			uint64_t rest = bi[i].size - bi[i].have * MERKLE_LEAF;

			if (bi[i].have * MERKLE_LEAF > bi[i].size)
				rest = 0;
			if (attach_too_large(&a->pol, bi[i].size))
				continue;   /* the record's claim is beyond what we take */
			if (!attach_allowed(&a->pol, rest, bi[i].want, held)) {
				if (held + rest > a->pol.budget)
					a->over_budget++;
				continue;
			}
			held += rest;
			memcpy(a->wanted[a->n_wanted].root, bi[i].root, MERKLE_HASH);
			a->wanted[a->n_wanted].cursor = 0;
			a->wanted[a->n_wanted++].size = bi[i].size;
		}
	free(bi);
}

static struct blob_want *
wanted_find(struct attach *a, const uint8_t *root)
{
	for (size_t i = 0; i < a->n_wanted; i++)
		if (memcmp(a->wanted[i].root, root, MERKLE_HASH) == 0)
			return &a->wanted[i];
	return NULL;
}

void
attach_tick(struct attach *a, uint64_t now)
{
	if (a->unsynced > 0 && now - a->synced_at >= SYNC_AFTER_MS)
		attach_sync_now(a, now);
	else if (a->unsynced == 0)
		a->synced_at = now;
	/* A peer that claimed a blob and went silent does not hold its chunks
	 * for ever: they are asked of someone else. */
	for (size_t i = 0; i < a->n_fl;) {
		if (now > a->fl[i].at + ATTACH_FLIGHT_MS) {
			a->fl[i].from->att.inflight--;
			a->fl[i] = a->fl[--a->n_fl];
			for (size_t k = 0; k < a->n_wanted; k++)
				a->wanted[k].cursor = 0;
		} else {
			i++;
		}
	}
}

bool
attach_busy(void *arg, const uint8_t root[MERKLE_HASH])
{
	struct attach *a = arg;

	for (size_t i = 0; i < a->n_fl; i++)
		if (memcmp(a->fl[i].root, root, MERKLE_HASH) == 0)
			return true;
	return false;
}

/* Forgets the chunks in flight from s (all, or those of root): they will
 * be asked of someone else. */
static void
flights_drop(struct attach *a, struct session *s, const uint8_t *root)
{
	for (size_t i = 0; i < a->n_wanted; i++)
		a->wanted[i].cursor = 0;
	for (size_t i = 0; i < a->n_fl;) {
		if (a->fl[i].from == s && (root == NULL ||
		    memcmp(a->fl[i].root, root, MERKLE_HASH) == 0)) {
			a->fl[i] = a->fl[--a->n_fl];
			s->att.inflight--;
		} else {
			i++;
		}
	}
}

static bool
in_flight(const struct attach *a, const uint8_t *root, uint64_t index, size_t *at,
    const struct session *from)
{
	for (size_t i = 0; i < a->n_fl; i++)
		if (a->fl[i].index == index && memcmp(a->fl[i].root, root, MERKLE_HASH) == 0 &&
		    (from == NULL || a->fl[i].from == from)) {
			if (at != NULL)
				*at = i;
			return true;
		}
	return false;
}

static void
has_remove(struct attach_link *l, const uint8_t *root)
{
	for (size_t i = 0; i < l->n_has; i++)
		if (memcmp(l->has[i], root, MERKLE_HASH) == 0) {
			memmove(l->has[i], l->has[--l->n_has], MERKLE_HASH);
			return;
		}
}

void
attach_start(struct session *s)
{
	s->att.on = s->env->attach != NULL && (s->remote_features & ATTACH_FEATURE);
	s->att.leaves_on = s->att.on && (s->remote_features & ATTACH_LEAVES_FEATURE);
	if (s->env->attach != NULL)
		s->att.done_seen = s->env->attach->n_done;
}

void
attach_link_free(struct session *s)
{
	if (s->env != NULL && s->env->attach != NULL)
		flights_drop(s->env->attach, s, NULL);
	attach_asked_clear(s);
	attach_part_drop(&s->att, NULL);
	free(s->att.has);
	memset(&s->att, 0, sizeof(s->att));
}

int
attach_on_have(struct session *s, const Tessera__BlobHave *m)
{
	struct attach_link *l = &s->att;

	if (s->env->attach == NULL)
		return 0;
	if (l->has == NULL && (l->has = calloc(ATTACH_HAS_MAX, MERKLE_HASH)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_roots; i++) {
		bool known = false;

		if (m->roots[i].len != MERKLE_HASH)
			return session_fail(s, SESSION_END_PROTOCOL,
			    "protocol violation: blob root of %zu bytes", m->roots[i].len);
		for (size_t k = 0; k < l->n_has && !known; k++)
			known = memcmp(l->has[k], m->roots[i].data, MERKLE_HASH) == 0;
		if (!known && l->n_has < ATTACH_HAS_MAX)
			memcpy(l->has[l->n_has++], m->roots[i].data, MERKLE_HASH);
		attach_part_drop(l, m->roots[i].data);   /* complete now */
	}
	l->n_leaves_refused = 0;   /* complete blobs serve their leaf blocks */
	attach_pump(s);
	return 0;
}

int
attach_on_missing(struct session *s, const Tessera__BlobMissing *m)
{
	if (s->env->attach == NULL || !m->has_root || m->root.len != MERKLE_HASH)
		return 0;
	has_remove(&s->att, m->root.data);
	attach_part_drop(&s->att, m->root.data);
	flights_drop(s->env->attach, s, m->root.data);
	attach_pump(s);
	return 0;
}

int
attach_bad(struct session *s, const uint8_t *root, const char *why)
{
	char detail[160];

	s->env->attach->bad_chunks++;
	snprintf(detail, sizeof(detail), "attachment chunk refused: %s", why);
	log_warnx("peer %s: %s", s->label, detail);
	if (s->env->on_rejected != NULL)
		s->env->on_rejected(s->env->hook_arg, s, SYNC_REJECT_CHUNK, detail);
	/* Asked of it no more; what is in flight from it is still checked
	 * (and counted) as it arrives. */
	has_remove(&s->att, root);
	attach_part_drop(&s->att, root);
	if (++s->att.bad >= ATTACH_BAD_MAX)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: %u attachment "
		    "chunks that do not verify", s->att.bad);
	return 0;
}

int
attach_on_chunk(struct session *s, const Tessera__BlobChunk *m)
{
	struct attach *a = s->env->attach;
	struct blob_want *w;
	uint8_t leaf[MERKLE_HASH], known[MERKLE_HASH];
	const char *why;
	struct blob_finish_job *finish = NULL;
	size_t at;
	bool complete;
	int rc;

	if (a == NULL || !m->has_root || m->root.len != MERKLE_HASH || !m->has_index)
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: malformed chunk");
	if (log_verbose() >= 2)
		log_trace("peer %s: chunk %u of %02x%02x%02x%02x…", s->label, m->index,
		    m->root.data[0], m->root.data[1], m->root.data[2], m->root.data[3]);
	if (!in_flight(a, m->root.data, m->index, &at, s)) {
		/* asked for and then dropped (a bad chunk, a purge): ignored,
		 * but it pays the rate limit as any message does */
		if (s->env->on_rejected != NULL)
			s->env->on_rejected(s->env->hook_arg, s, SYNC_REJECT_UNSOLICITED,
			    "unsolicited attachment chunk");
		return 0;
	}
	s->tokens += 1;   /* solicited: our own window bounds them */
	a->fl[at] = a->fl[--a->n_fl];
	s->att.inflight--;
	if ((w = wanted_find(a, m->root.data)) == NULL)
		return 0;   /* no longer wanted (purged, detached) */
	if (blob_leaf_known(a->store, w->root, m->index, known) == 0) {
		/* Its block of leaf hashes is held verified: one hash, no proof
		 * (a proof sent anyway, asked for before the block came, is not
		 * looked at). */
		if (m->data.len != merkle_leaf_len(w->size, m->index))
			return attach_bad(s, m->root.data, "chunk of the wrong length");
		merkle_leaf(m->data.data, m->data.len, leaf);
		if (memcmp(leaf, known, MERKLE_HASH) != 0)
			return attach_bad(s, m->root.data, "chunk does not match the signed hash");
	} else if (merkle_verify_hashed(w->root, w->size, m->index, m->data.data, m->data.len,
	    m->proof.data, m->proof.len, leaf, &why) != 0) {
		/* Hashed once: the leaf hash verified is the one stored. */
		return attach_bad(s, m->root.data, why);
	}
	a->chunks_in++;
	rc = blob_chunk_put(a->store, m->root.data, m->index, m->data.data, m->data.len, leaf,
	    m->proof.data, m->proof.len, &complete, &finish);
	if (rc == -ENOSPC) {
		/* The store logged the full state once; request_more waits. */
		log_debug("attachment: chunk %llu not written: storage full",
		    (unsigned long long)m->index);
		return 0;
	}
	if (rc != 0 && rc != -ENOENT) {
		log_warnx("attachment: cannot write a chunk: %s", strerror(-rc));
		return 0;
	}
	if (complete) {
		attach_completed(a, m->root.data);
	} else if (finish != NULL) {
		attach_finish(a, finish);
	} else {
		if (++a->unsynced >= ATTACH_SYNC_CHUNKS)
			attach_sync_now(a, s->now);
		attach_grew(a, s);   /* peers fetching it from us hear of it */
	}
	attach_pump(s);
	return 0;
}

static int
flights_grow(struct attach *a, size_t more)
{
	size_t cap = a->cap_fl ? a->cap_fl * 2 : 256;
	struct attach_flight *fl;

	if (a->n_fl + more <= a->cap_fl)
		return 0;
	while (cap < a->n_fl + more)
		cap *= 2;
	if ((fl = realloc(a->fl, cap * sizeof(*fl))) == NULL)
		return -ENOMEM;
	a->fl = fl;
	a->cap_fl = cap;
	return 0;
}

/* A run of chunks from a peer that speaks leaf hashes by block: bare if
 * the block's hashes are here (the run ends with the block), else with
 * proofs while they are asked for; the next block's are asked for half
 * way through this one, so that they are here in time. */
static int
leaves_plan(struct session *s, struct blob_want *w, uint64_t first, uint64_t *count,
    bool *bare)
{
	struct store *st = s->env->attach->store;
	uint64_t block = first >> MERKLE_BLOCK_SHIFT, end = (block + 1) << MERKLE_BLOCK_SHIFT;
	int rc;

	if (first + *count > end)
		*count = end - first;
	*bare = blob_leaves_known(st, w->root, first);
	if (!*bare && (rc = attach_leaves_ask(s, w->root, block)) != 0)
		return rc;
	if ((first & (MERKLE_BLOCK - 1)) >= MERKLE_BLOCK / 2 && end < merkle_leaves(w->size) &&
	    !blob_leaves_known(st, w->root, end))
		return attach_leaves_ask(s, w->root, block + 1);
	return 0;
}

/* Asks s for the next run of chunks of w within the runs it holds (n runs;
 * one run of the whole blob when it holds it complete). Returns the chunks
 * asked for, or a negative errno. */
static int64_t
request_run(struct session *s, struct blob_want *w, const uint64_t (*runs)[2], size_t n_runs)
{
	struct attach *a = s->env->attach;
	struct attach_link *l = &s->att;
	uint64_t end, first = 0, count = 0;
	bool front = true, bare = false;
	int rc;

	if (n_runs == 0)
		return 0;
	/* nothing past what the peer holds is looked at */
	end = runs[n_runs - 1][0] + runs[n_runs - 1][1];
	for (uint64_t i = w->cursor; i < end && l->inflight + count < ATTACH_WINDOW; i++) {
		bool held = in_flight(a, w->root, i, NULL, NULL) ||
		    !blob_chunk_needed(a->store, w->root, i);
		bool take = !held && attach_runs_hold(runs, n_runs, i);

		/* what is held or in flight at the front is not looked at
		 * again until a flight is dropped */
		if (front && held)
			w->cursor = i + 1;
		else
			front = false;

		if (take && count == 0)
			first = i;
		if (take && first + count == i) {
			count++;
			continue;
		}
		if (count > 0)
			break;   /* one run per request */
	}
	if (count == 0)
		return 0;
	if (l->leaves_on && (rc = leaves_plan(s, w, first, &count, &bare)) != 0)
		return rc;
	if (flights_grow(a, count) != 0)
		return -ENOMEM;
	{
		Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
		Tessera__BlobRequest r = TESSERA__BLOB_REQUEST__INIT;

		r.has_root = r.has_first = r.has_count = 1;
		r.root = (ProtobufCBinaryData){ MERKLE_HASH, (uint8_t *)w->root };
		r.first = (uint32_t)first;
		r.count = (uint32_t)count;
		r.has_bare = bare;
		r.bare = bare;
		env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_REQUEST;
		env.blob_request = &r;
		log_debug("peer %s: asking for chunks %llu..%llu of %02x%02x%02x%02x…",
		    s->label, (unsigned long long)first, (unsigned long long)(first + count - 1),
		    w->root[0], w->root[1], w->root[2], w->root[3]);
		if (session_send(s, &env) != 0)
			return -EPIPE;
	}
	for (uint64_t i = first; i < first + count; i++) {
		memcpy(a->fl[a->n_fl].root, w->root, MERKLE_HASH);
		a->fl[a->n_fl].index = i;
		a->fl[a->n_fl].at = s->now;
		a->fl[a->n_fl++].from = s;
	}
	l->inflight += count;
	if (w->cursor == first)
		w->cursor = first + count;
	return (int64_t)count;
}

/* Asks s for the next runs of chunks of blobs it holds, complete or in
 * part, and we want. */
static int
request_more(struct session *s)
{
	struct attach *a = s->env->attach;
	struct attach_link *l = &s->att;
	int64_t got;

	/* Runs of chunks rather than one request per chunk received. */
	if (l->inflight > ATTACH_WINDOW - ATTACH_REFILL)
		return 0;
	/* Storage full: nothing is asked for until the node's probe found
	 * space (storage_retry), so a full disk costs no traffic and no CPU. */
	if (store_full(a->store, NULL) && !s->env->storage_retry)
		return 0;
	for (size_t h = 0; h < l->n_has && l->inflight < ATTACH_WINDOW; h++) {
		struct blob_want *w = wanted_find(a, l->has[h]);
		uint64_t whole[1][2];

		if (w == NULL)
			continue;
		whole[0][0] = 0;
		whole[0][1] = merkle_leaves(w->size);
		if ((got = request_run(s, w, (const uint64_t (*)[2])whole, 1)) < 0)
			return (int)got;
		if (got > 0)
			h--;   /* the same blob may have another run */
	}
	for (size_t p = 0; p < l->n_parts && l->inflight < ATTACH_WINDOW; p++) {
		struct blob_want *w = wanted_find(a, l->parts[p].root);

		if (w == NULL)
			continue;
		if ((got = request_run(s, w, (const uint64_t (*)[2])l->parts[p].runs,
		    l->parts[p].n_runs)) < 0)
			return (int)got;
		if (got > 0)
			p--;
	}
	return 0;
}

/* BlobQuery for what we miss, when the list changed since the last one. */
static int
query(struct session *s)
{
	struct attach *a = s->env->attach;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobQuery q = TESSERA__BLOB_QUERY__INIT;
	ProtobufCBinaryData roots[ATTACH_WANTED_MAX];

	if (s->att.query_gen == a->gen)
		return 0;
	s->att.query_gen = a->gen;
	for (size_t i = 0; i < a->n_wanted; i++)
		roots[q.n_roots++] = (ProtobufCBinaryData){ MERKLE_HASH, a->wanted[i].root };
	if (q.n_roots == 0)
		return 0;
	q.roots = roots;
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_QUERY;
	env.blob_query = &q;
	return session_send(s, &env);
}

/* BlobHave for blobs completed here since the last announcement. */
static int
announce(struct session *s)
{
	struct attach *a = s->env->attach;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobHave h = TESSERA__BLOB_HAVE__INIT;
	ProtobufCBinaryData roots[16];

	if (s->att.done_seen + 16 < a->n_done)
		s->att.done_seen = a->n_done - 16;
	for (; s->att.done_seen < a->n_done; s->att.done_seen++)
		roots[h.n_roots++] = (ProtobufCBinaryData){ MERKLE_HASH,
		    a->done[s->att.done_seen % 16] };
	if (h.n_roots == 0)
		return 0;
	h.roots = roots;
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_HAVE;
	env.blob_have = &h;
	return session_send(s, &env);
}

void
attach_pump(struct session *s)
{
	struct attach *a = s->env->attach;
	int rc;

	if (a == NULL || !s->att.on || s->state != SESSION_ESTABLISHED)
		return;
	refresh(a);
	if ((rc = announce(s)) != 0 || (rc = query(s)) != 0 ||
	    (rc = attach_tell_ranges(s)) != 0 || (rc = request_more(s)) != 0 ||
	    (rc = attach_leaves_serve(s)) != 0 || (rc = attach_serve_pump(s)) != 0) {
		if (s->state != SESSION_CLOSED)
			session_close(s, rc == -ENOMEM ? SESSION_END_NOMEM : SESSION_END_LOCAL,
			    rc == -ENOMEM ? "out of memory" : "cannot send", false);
	}
}
