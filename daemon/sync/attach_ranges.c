/* Attachment transfer, partial blobs (see attach.h): what a peer holds of
 * a blob it is still fetching (BlobRanges in), and what we hold of the
 * blobs a peer asked for (BlobRanges out, as they grow). */
#include "sync/attach.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/blob.h"
#include "sync/session.h"
#include "sync/sync_int.h"

int
attach_runs_check(const uint64_t *runs, size_t n_values, uint64_t chunks, const char **why)
{
	uint64_t end = 0;

	if (n_values % 2 != 0) {
		*why = "an odd number of run values";
		return -EINVAL;
	}
	if (n_values / 2 > ATTACH_RUNS_MAX) {
		*why = "too many runs";
		return -EINVAL;
	}
	for (size_t i = 0; i < n_values; i += 2) {
		uint64_t first = runs[i], count = runs[i + 1];

		if (count == 0) {
			*why = "an empty run";
			return -EINVAL;
		}
		/* a run that touches the previous one would have been one run */
		if (i > 0 && first <= end) {
			*why = "runs out of order or overlapping";
			return -EINVAL;
		}
		if (first >= chunks || count > chunks - first) {
			*why = "a run past the end of the blob";
			return -EINVAL;
		}
		end = first + count;
	}
	return 0;
}

bool
attach_runs_hold(const uint64_t (*runs)[2], size_t n, uint64_t index)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {   /* the first run that ends past index */
		size_t mid = lo + (hi - lo) / 2;

		if (runs[mid][0] + runs[mid][1] <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && runs[lo][0] <= index;
}

const struct attach_part_have *
attach_part_find(const struct attach_link *l, const uint8_t root[MERKLE_HASH])
{
	for (size_t i = 0; i < l->n_parts; i++)
		if (memcmp(l->parts[i].root, root, MERKLE_HASH) == 0)
			return &l->parts[i];
	return NULL;
}

void
attach_part_drop(struct attach_link *l, const uint8_t *root)
{
	for (size_t i = 0; i < l->n_parts;) {
		if (root == NULL || memcmp(l->parts[i].root, root, MERKLE_HASH) == 0) {
			free(l->parts[i].runs);
			l->parts[i] = l->parts[--l->n_parts];
		} else {
			i++;
		}
	}
	if (l->n_parts == 0) {
		free(l->parts);
		l->parts = NULL;
	}
}

static bool
has_complete(const struct attach_link *l, const uint8_t *root)
{
	for (size_t i = 0; i < l->n_has; i++)
		if (memcmp(l->has[i], root, MERKLE_HASH) == 0)
			return true;
	return false;
}

int
attach_on_ranges(struct session *s, const Tessera__BlobRanges *m)
{
	struct attach *a = s->env->attach;
	struct attach_link *l = &s->att;
	struct attach_part_have *p;
	struct blob_info bi;
	const char *why;

	if (a == NULL)
		return 0;
	if (!m->has_root || m->root.len != MERKLE_HASH)
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: malformed blob ranges");
	/* The size (so the end) is the one of the record that names root:
	 * ranges of a blob no record of ours names are of no use. */
	if (blob_get_info(s->env->store, m->root.data, &bi) != 0)
		return 0;
	if (attach_runs_check(m->runs, m->n_runs, bi.chunks, &why) != 0)
		return session_fail(s, SESSION_END_PROTOCOL,
		    "protocol violation: blob ranges: %s", why);
	if (has_complete(l, m->root.data) ||
	    (bi.state != BLOB_ABSENT && bi.state != BLOB_PARTIAL))
		return 0;
	if ((p = (struct attach_part_have *)attach_part_find(l, m->root.data)) == NULL) {
		struct attach_part_have *np;

		if (l->n_parts == ATTACH_WANTED_MAX)
			return 0;   /* more than we fetch at once: not remembered */
		if ((np = realloc(l->parts, (l->n_parts + 1) * sizeof(*np))) == NULL)
			return -ENOMEM;
		l->parts = np;
		p = &l->parts[l->n_parts++];
		memset(p, 0, sizeof(*p));
		memcpy(p->root, m->root.data, MERKLE_HASH);
	}
	free(p->runs);
	p->runs = NULL;
	p->n_runs = m->n_runs / 2;
	if (p->n_runs > 0) {
		if ((p->runs = malloc(p->n_runs * sizeof(*p->runs))) == NULL) {
			p->n_runs = 0;
			return -ENOMEM;
		}
		memcpy(p->runs, m->runs, p->n_runs * sizeof(*p->runs));
	}
	l->n_leaves_refused = 0;   /* it holds more: perhaps leaf blocks too */
	attach_pump(s);
	return 0;
}

static void
askers_drop(struct attach *a, const struct session *s)
{
	for (size_t i = 0; i < a->n_askers; i++)
		if (a->askers[i] == s) {
			a->askers[i] = a->askers[--a->n_askers];
			return;
		}
}

void
attach_asked_clear(struct session *s)
{
	s->att.n_asked = 0;
	if (s->env != NULL && s->env->attach != NULL)
		askers_drop(s->env->attach, s);
}

int
attach_asked_add(struct session *s, const uint8_t root[MERKLE_HASH])
{
	struct attach *a = s->env->attach;
	struct attach_link *l = &s->att;
	bool listed = false;

	if (!(s->remote_features & ATTACH_PARTIAL_FEATURE) || l->n_asked == ATTACH_WANTED_MAX)
		return 0;
	memcpy(l->asked[l->n_asked].root, root, MERKLE_HASH);
	l->asked[l->n_asked].told = 0;
	l->asked[l->n_asked++].fresh = true;
	for (size_t i = 0; i < a->n_askers && !listed; i++)
		listed = a->askers[i] == s;
	if (!listed && a->n_askers < ATTACH_ASKERS_MAX)
		a->askers[a->n_askers++] = s;
	return 0;
}

static int
send_ranges(struct session *s, const uint8_t *root, uint64_t (*runs)[2], size_t n)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobRanges r = TESSERA__BLOB_RANGES__INIT;

	r.has_root = 1;
	r.root = (ProtobufCBinaryData){ MERKLE_HASH, (uint8_t *)root };
	r.runs = &runs[0][0];
	r.n_runs = 2 * n;
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_RANGES;
	env.blob_ranges = &r;
	return session_send(s, &env) == 0 ? 0 : -EPIPE;
}

int
attach_tell_ranges(struct session *s)
{
	struct attach_link *l = &s->att;
	uint64_t (*runs)[2] = NULL;
	int rc = 0;

	for (size_t i = 0; i < l->n_asked && rc == 0; i++) {
		struct attach_asked *q = &l->asked[i];
		uint64_t have;
		size_t n;

		/* Cheap while the blob is written here; a look-up only right
		 * after the query. */
		if (!q->fresh && (blob_part_have(s->env->store, q->root, &have) != 0 ||
		    have < q->told + ATTACH_RANGES_STEP))
			continue;
		q->fresh = false;
		if (runs == NULL && (runs = malloc(ATTACH_RUNS_MAX * sizeof(*runs))) == NULL)
			return -ENOMEM;
		if (blob_ranges(s->env->store, q->root, runs, ATTACH_RUNS_MAX, &n, &have) != 0 ||
		    n == 0)
			continue;
		q->told = have;
		rc = send_ranges(s, q->root, runs, n);
	}
	free(runs);
	return rc;
}

void
attach_grew(struct attach *a, struct session *from)
{
	struct session *to[ATTACH_ASKERS_MAX];
	size_t n = 0;

	if (++a->grown % ATTACH_RANGES_STEP != 0)
		return;
	/* A pumped session may close and leave the list: a copy is walked,
	 * and a session is pumped only while it is still listed. */
	for (size_t i = 0; i < a->n_askers; i++)
		if (a->askers[i] != from)
			to[n++] = a->askers[i];
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < a->n_askers; k++)
			if (a->askers[k] == to[i]) {
				attach_pump(to[i]);
				break;
			}
}
