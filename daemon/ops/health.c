/* Health: rejected records by reason, disk space, attention items. */
#include "ops/health.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "core/config.h"
#include "core/names.h"
#include "core/nodeid.h"
#include "core/util.h"
#include "net/peers.h"
#include "ops/ops.h"
#include "store/store.h"
#include "store/store_rotate.h"

/* The engine names its reasons; one table, in sync/session.c. */
const char *
health_reject_name(enum sync_reject why)
{
	return sync_reject_name(why);
}

void
health_rejected(struct health *h, const char *peer, enum sync_reject why, const char *detail)
{
	/* An out-of-range reason is still a refused record: count it somewhere. */
	h->rejected[(unsigned)why < SYNC_REJECT_COUNT ? why : SYNC_REJECT_INVALID]++;
	snprintf(h->last_reject, sizeof(h->last_reject), "%s: %s", peer,
	    detail != NULL ? detail : health_reject_name(why));
	h->last_reject_at = now_ms();
}

static int __attribute__((format(printf, 2, 3)))
add(struct health_items *it, const char *fmt, ...)
{
	char **v, *s, line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if ((s = strdup(line)) == NULL)
		return -ENOMEM;
	if ((v = realloc(it->v, (it->n + 1) * sizeof(*v))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	it->v = v;
	it->v[it->n++] = s;
	return 0;
}

/* "3 h 12 min", "2 days 4 h" */
static void
span(int64_t ms, char *out, size_t len)
{
	int64_t min = ms / 60000;

	if (min >= 2 * 24 * 60)
		snprintf(out, len, "%lld days %lld h", (long long)(min / 1440),
		    (long long)(min % 1440 / 60));
	else if (min >= 60)
		snprintf(out, len, "%lld h %lld min", (long long)(min / 60), (long long)(min % 60));
	else
		snprintf(out, len, "%lld min", (long long)min);
}

/* "97.3 MB" */
static void
bytes(uint64_t b, char *out, size_t len)
{
	if (b >= 1024ULL * 1024 * 1024)
		snprintf(out, len, "%.1f GB", (double)b / (1024.0 * 1024 * 1024));
	else
		snprintf(out, len, "%.1f MB", (double)b / (1024.0 * 1024));
}

/* One item per community whose name looks like an earlier one's: a
 * stranger may have copied it to be blocked, listed or trusted instead. */
static int
alike_items(const struct store_author *a, size_t n, struct health_items *out)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		char id[NODEID_STRLEN + 1], other[NODEID_STRLEN + 1];
		const struct store_author *o;

		if (a[i].alike == NAMES_NONE || a[i].alike > i)
			continue;
		o = &a[a[i].alike];
		nodeid_encode(a[i].author, id);
		nodeid_encode(o->author, other);
		rc = add(out, "community \"%s\" (%s) has a name that looks like \"%s\" (%s): "
		    "name them by ID in commands (tessera communities)", a[i].name ? a[i].name : "",
		    id, o->name ? o->name : "", other);
	}
	return rc;
}

int
health_attention(const Tessera__Status *s, Tessera__PeerView *const *peers, size_t n_peers,
    const struct store_author *authors, size_t n_authors, int64_t now,
    struct health_items *out)
{
	char a[32], b[32];
	int rc = 0;

	out->v = NULL;   /* the rest of out is the caller's */
	out->n = 0;
	for (size_t i = 0; i < n_peers && rc == 0; i++) {
		const Tessera__PeerView *p = peers[i];
		char id[NODEID_SHORT + 1] = "?";

		if (p->down_since <= 0 || now - p->down_since <= HEALTH_PEER_DOWN_MS)
			continue;
		if (p->id.len == TESS_KEY_LEN)
			nodeid_short(p->id.data, id);
		span(now - p->down_since, a, sizeof(a));
		if (p->address != NULL)
			rc = add(out, "peer %s (%s) has been unreachable for %s%s%s", p->name, id, a,
			    p->last_error ? "; last error: " : "", p->last_error ? p->last_error : "");
		else
			rc = add(out, "peer %s (%s) has not connected to this node for %s (it dials "
			    "in: check that it is running and can reach our listen address)", p->name,
			    id, a);
	}
	/* A peer over its budget may be hostile or compromised: named, so the
	 * operator can look at it (and block it). */
	for (size_t i = 0; i < n_peers && rc == 0; i++) {
		const Tessera__PeerView *p = peers[i];
		char id[NODEID_SHORT + 1] = "?";

		if (p->over_budget == 0)
			continue;
		if (p->id.len == TESS_KEY_LEN)
			nodeid_short(p->id.data, id);
		rc = add(out, "peer %s (%s) is over its daily budget for new authors: %llu record%s "
		    "refused today (%llu new author%s accepted); a hostile or compromised peer?",
		    p->name, id, (unsigned long long)p->over_budget, p->over_budget == 1 ? "" : "s",
		    (unsigned long long)p->new_authors, p->new_authors == 1 ? "" : "s");
	}
	/* Someone may be waiting to be accepted (or probing): one line. */
	if (rc == 0 && s->pending_peers > 0)
		rc = add(out, "%u unknown node%s tried to connect: tessera peers --pending",
		    s->pending_peers, s->pending_peers == 1 ? "" : "s");
	/* Two rotations of one key: one of them was signed by someone else
	 * holding that key (docs/protocol.md, "Key rotation"). */
	if (rc == 0 && s->rotation_disputes > 0) {
		char id[NODEID_SHORT + 1] = "?";

		if (s->rotation_dispute_key.len == TESS_KEY_LEN)
			nodeid_short(s->rotation_dispute_key.data, id);
		rc = add(out, "%llu disputed key rotation%s (latest of key %s): a key was rotated "
		    "twice, so someone else may hold it; the first rotation stays in force; "
		    "resolve with tessera block and tessera peer add (docs/protocol.md, "
		    "\"Key rotation\")", (unsigned long long)s->rotation_disputes,
		    s->rotation_disputes == 1 ? "" : "s", id);
	}
	if (rc == 0 && s->records_rejected > 0)
		rc = add(out, "%llu record%s from peers %s rejected since start-up; last: %s",
		    (unsigned long long)s->records_rejected, s->records_rejected == 1 ? "" : "s",
		    s->records_rejected == 1 ? "was" : "were",
		    s->last_reject ? s->last_reject : "?");
	if (rc == 0 && s->has_storage_full && s->storage_full)
		rc = add(out, "storage is full (%s): new records are refused, reads still work; "
		    "sync resumes by itself once space is freed",
		    s->storage_error ? s->storage_error : "no space left");
	else if (rc == 0 && s->has_disk_free && s->disk_total > 0 && s->disk_free == 0)
		rc = add(out, "the disk holding %s is full: new records cannot be stored",
		    s->data_dir ? s->data_dir : "the data directory");
	if (rc == 0)
		rc = alike_items(authors, n_authors, out);
	if (rc == 0 && s->has_disk_free && s->disk_total > 0) {
		bytes(s->disk_free, a, sizeof(a));
		bytes(s->disk_total, b, sizeof(b));
		if (s->disk_free > 0 && (s->disk_free < HEALTH_DISK_MIN_BYTES ||
		    s->disk_free * 100 < s->disk_total * HEALTH_DISK_MIN_PERCENT))
			rc = add(out, "the disk holding %s is nearly full: %s free of %s",
			    s->data_dir ? s->data_dir : "the data directory", a, b);
	}
	if (rc != 0)
		health_items_free(out);
	return rc;
}

void
health_items_free(struct health_items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->v[i]);
	free(it->v);
	it->v = NULL;
	it->n = 0;
}

int
health_status(const struct ops_env *env, const struct store_stats *st, Tessera__Status *s,
    Tessera__Reply *r, struct health_items *keep)
{
	const struct health *h = env->health;
	struct store_author *authors;
	size_t n_authors;
	struct statvfs vfs;
	int rc;

	memset(keep, 0, sizeof(*keep));
	s->has_tombstones = 1;
	s->tombstones = st->tombstones;
	if (statvfs(env->conf->data_dir, &vfs) == 0) {
		s->has_disk_free = s->has_disk_total = 1;
		s->disk_free = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		s->disk_total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	}
	s->has_records_rejected = 1;
	for (int i = 0; i < SYNC_REJECT_COUNT; i++)
		s->records_rejected += h->rejected[i];
	if (h->last_reject_at != 0) {
		/* The reply only reads it: protobuf-c wants a mutable pointer. */
		s->last_reject = (char *)h->last_reject;
		s->has_last_reject_at = 1;
		s->last_reject_at = h->last_reject_at;
	}
	if (store_rotation_disputes(env->store, &s->rotation_disputes, keep->dispute_key) == 0 &&
	    s->rotation_disputes > 0) {
		s->has_rotation_disputes = s->has_rotation_dispute_key = 1;
		s->rotation_dispute_key = (ProtobufCBinaryData){ TESS_KEY_LEN, keep->dispute_key };
	}
	s->has_index_behind = 1;
	s->index_behind = store_index_behind(env->store);
	s->has_pending_peers = 1;
	s->pending_peers = (uint32_t)peers_pending_count(env->peers);
	if ((rc = peers_views(env->peers, env->store, r)) != 0)
		return rc;
	/* Without the list (out of memory), the other items still count. */
	if (store_authors(env->store, &authors, &n_authors) != 0) {
		authors = NULL;
		n_authors = 0;
	}
	rc = health_attention(s, r->peers, r->n_peers, authors, n_authors, now_ms(), keep);
	store_authors_free(authors, n_authors);
	if (rc != 0) {
		peers_views_free(r);
		return rc;
	}
	s->attention = keep->v;
	s->n_attention = keep->n;
	return 0;
}

void
health_status_free(Tessera__Reply *r, struct health_items *keep)
{
	peers_views_free(r);
	health_items_free(keep);
}
