/* Control request IMPORT: JSONL records arrive in chunks and are signed and
 * stored inside one transaction that spans the chunks; the final chunk
 * commits it, any bad line rolls all of it back. While it is open the
 * import owns the store's write transaction: other clients' writes get BUSY
 * (ctl_dispatch.c) and the on_import hook holds back peers (ctl.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/identity.h"
#include "core/log.h"
#include "core/record.h"
#include "core/util.h"
#include "ctl/ctl_int.h"
#include "ops/ops.h"
#include "store/publish.h"
#include "store/store.h"

struct import_session {
	bool open;                      /* holds the store's write transaction */
	bool failed;
	Tessera__ImportResult res;
};

/* Ends the session's transaction: committed when commit is true and all
 * went well, else rolled back (nothing of the import is stored). */
static int
import_end(struct ctl_client *c, bool commit)
{
	struct store *st = ctl_client_env(c)->ops->store;
	int rc = 0;

	if (c->import == NULL || !c->import->open)
		return 0;
	if (commit)
		rc = store_commit(st);
	else
		store_rollback(st);
	c->import->open = false;
	ctl_tell_import(c, false);
	return rc;
}

void
ctl_import_abort(struct ctl_client *c)
{
	if (c->import == NULL)
		return;
	import_end(c, false);
	free(c->import);
	c->import = NULL;
}

/* One line on its way to being our own signed record. */
struct sealing {
	Tessera__Record r;            /* the line's content with id, version, … */
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN];
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len;
	bool own, unchanged;
	int rc;                       /* of signing */
};

/* Everything but the signature: kind, id (new, or ours to update), version. */
static int
prepare_own(const struct ctl_env *env, const Tessera__ImportItem *item, struct sealing *sl,
    char **cause)
{
	struct store *st = env->ops->store;
	const uint8_t *me = env->id->pub;
	Tessera__Record *old = NULL;
	const char *why;
	bool have_id = false;
	int rc;

	sl->r = *item->content;
	if (!sl->r.has_kind || !record_kind_known((int)sl->r.kind))
		return set_cause(cause, -EINVAL, "unknown kind");
	if (sl->r.has_deleted && sl->r.deleted)
		return set_cause(cause, -EINVAL, "a deletion can only be imported signed");
	if (item->has_id) {
		if (item->id.len != TESS_ID_LEN)
			return set_cause(cause, -EINVAL, "malformed id");
		memcpy(sl->id, item->id.data, TESS_ID_LEN);
		have_id = true;
	} else if (sl->r.kind == TESSERA__KIND__KIND_PROFILE &&
	    publish_profile_id(st, sl->id) == 0) {
		have_id = true;   /* profile lines update our profile */
	}
	if (have_id) {
		if ((rc = publish_load(st, sl->id, &old, cause)) != 0)
			return rc == -ENOENT ? set_cause(cause, rc, "no record with this id here") : rc;
		if (memcmp(old->author.data, me, TESS_KEY_LEN) != 0) {
			record_free(old);
			return set_cause(cause, -EPERM,
			    "record belongs to another community; import its signed export instead");
		}
		memcpy(sl->nonce, old->nonce.data, TESS_NONCE_LEN);
		sl->unchanged = !old->deleted && publish_same_content(old, &sl->r);
		record_free(old);
		if (sl->unchanged)
			return 0;
	} else if (record_new_id(me, sl->nonce, sl->id) != 0) {
		return set_cause(cause, -EIO, "random number generator failed");
	}
	sl->r.has_id = sl->r.has_nonce = sl->r.has_author = sl->r.has_version = 1;
	sl->r.has_timestamp = 1;
	sl->r.id = (ProtobufCBinaryData){ TESS_ID_LEN, sl->id };
	sl->r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, sl->nonce };
	sl->r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me };
	sl->r.version = store_next_version(st, me);
	sl->r.timestamp = now_ms();
	if (record_validate(&sl->r, &why) != 0)
		return set_cause(cause, -EINVAL, "%s", why);
	sl->own = true;
	return 0;
}

/* Records signed by one thread at a time while the loop stores the
 * batch before (seal_and_put). */
#define IMPORT_SEAL_BATCH 64
#define IMPORT_SEAL_FIRST 8

struct seal_range {
	const struct identity *me;
	struct sealing *sl;
	size_t from, to;
};

static void
seal_range(void *arg)
{
	struct seal_range *sr = arg;

	for (size_t i = sr->from; i < sr->to; i++)
		if (sr->sl[i].own && !sr->sl[i].unchanged)
			sr->sl[i].rc = record_seal(sr->me, &sr->sl[i].r, &sr->sl[i].body,
			    &sr->sl[i].len, sr->sl[i].sig);
}

/* Stores what one stored record result means for the import's tally. */
static int
tally(struct ctl_client *c, const Tessera__Record *r, uint64_t had, enum store_put_result pr,
    char **cause)
{
	Tessera__ImportResult *res = &c->import->res;
	const struct ctl_env *env = ctl_client_env(c);

	switch (pr) {
	case STORE_STORED:
		if (had)
			res->updated++;
		else
			res->created++;
		if (r->kind == TESSERA__KIND__KIND_PROFILE &&
		    memcmp(r->author.data, env->id->pub, TESS_KEY_LEN) == 0 &&
		    publish_profile_meta(env->ops->store, r) != 0)
			return set_cause(cause, -EIO, "storage error");
		return 0;
	case STORE_DUPLICATE: case STORE_STALE: case STORE_BLOCKED:
		res->unchanged++;
		return 0;
	case STORE_QUOTA:
		return set_cause(cause, -EINVAL, "community over its record quota");
	case STORE_FUTURE:
		return set_cause(cause, -EINVAL, "timestamp too far in the future (more than "
		    "max_clock_skew ahead of this node's clock)");
	case STORE_DISPUTED:
		return set_cause(cause, -EINVAL, "a second rotation of a key already rotated "
		    "(disputed: tessera status)");
	default:
		return set_cause(cause, -EINVAL,
		    "conflicts with a stored record (same id or same author and version)");
	}
}

static int
put_item(struct ctl_client *c, const Tessera__ImportItem *item, struct sealing *sl,
    char **cause)
{
	struct store *st = ctl_client_env(c)->ops->store;
	const uint8_t *b, *sg;
	Tessera__Record *r;
	enum store_put_result pr;
	size_t len;
	uint64_t had;
	const char *why;
	int rc;

	if (item->signed_ != NULL) {
		const Tessera__SignedRecord *s = item->signed_;

		/* An exported record: verified and stored verbatim. */
		if ((rc = record_open(s->body.data, s->body.len, s->sig.data, s->sig.len, &r,
			 &why)) != 0)
			return set_cause(cause, rc, "signed record rejected: %s", why);
		b = s->body.data;
		len = s->body.len;
		sg = s->sig.data;
	} else {
		if (sl->unchanged) {
			c->import->res.unchanged++;
			return 0;
		}
		/* Our own fresh signature: decode without verifying again. */
		if ((r = tessera__record__unpack(NULL, sl->len, sl->body)) == NULL)
			return set_cause(cause, -EIO, "cannot decode own record");
		b = sl->body;
		len = sl->len;
		sg = sl->sig;
	}
	if ((rc = store_have(st, r->id.data, &had)) == 0 &&
	    (rc = store_put(st, b, len, sg, r, &pr)) == 0)
		rc = tally(c, r, had, pr, cause);
	else
		set_cause(cause, rc, rc == -ENOSPC ? CTL_STORAGE_FULL : "storage error");
	record_free(r);
	return rc;
}

/* The first record of sl[from, to) whose signing failed: its line and
 * cause. */
static int
seal_failed(const Tessera__ImportRequest *req, const struct sealing *sl, size_t from,
    size_t to, uint32_t *line, char **cause)
{
	for (size_t i = from; i < to; i++)
		if (sl[i].own && !sl[i].unchanged && sl[i].rc != 0) {
			*line = req->items[i]->line;
			return sl[i].rc == -EMSGSIZE ?
			    set_cause(cause, sl[i].rc, "record larger than %d bytes", TESS_MAX_RECORD) :
			    set_cause(cause, sl[i].rc, "cannot sign record");
		}
	return 0;
}

/* Signing runs one batch ahead of storing: a second thread signs batch
 * k + 1 while the loop stores batch k (a signature costs ~18 us of CPU,
 * storing a record ~60 us), so on two cores a record costs the loop its
 * storing only. Each thread touches only its batch's sealings; the loop
 * joins the thread before it reads them. */
static int
seal_and_put(struct ctl_client *c, const Tessera__ImportRequest *req, struct sealing *sl,
    uint32_t *line, char **cause)
{
	const struct identity *me = ctl_client_env(c)->id;
	struct seal_range now = { me, sl, 0, 0 }, next;
	size_t n = req->n_items;
	uv_thread_t t;
	bool ahead;
	int rc = 0;

	/* The first batch is signed on the loop, with nothing to overlap: small. */
	now.to = n < IMPORT_SEAL_FIRST ? n : IMPORT_SEAL_FIRST;
	seal_range(&now);
	while (now.from < n) {
		next = (struct seal_range){ me, sl, now.to,
			n - now.to < IMPORT_SEAL_BATCH ? n : now.to + IMPORT_SEAL_BATCH };
		ahead = next.from < next.to && uv_thread_create(&t, seal_range, &next) == 0;
		if ((rc = seal_failed(req, sl, now.from, now.to, line, cause)) == 0)
			for (size_t i = now.from; i < now.to && rc == 0; i++) {
				*line = req->items[i]->line;
				rc = put_item(c, req->items[i], &sl[i], cause);
			}
		if (ahead)
			uv_thread_join(&t);
		else
			seal_range(&next);
		if (rc != 0)
			return rc;
		now = next;
	}
	return 0;
}

/* Prepares, signs and stores one chunk. On failure *line is the first bad
 * line. */
static int
import_chunk(struct ctl_client *c, const Tessera__ImportRequest *req, uint32_t *line,
    char **cause)
{
	const struct ctl_env *env = ctl_client_env(c);
	struct sealing *sl = calloc(req->n_items + 1, sizeof(*sl));
	int rc = 0;

	if (sl == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	for (size_t i = 0; i < req->n_items && rc == 0; i++) {
		const Tessera__ImportItem *it = req->items[i];

		if (it->signed_ == NULL && it->content == NULL)
			rc = set_cause(cause, -EINVAL, "empty item");
		else if (it->signed_ == NULL)
			rc = prepare_own(env, it, &sl[i], cause);
		if (rc != 0)
			*line = it->line;
	}
	/* A bad line fails the import before anything is signed (nothing of a
	 * failed import is stored). */
	if (rc == 0)
		rc = seal_and_put(c, req, sl, line, cause);
	for (size_t i = 0; i < req->n_items; i++)
		free(sl[i].body);
	free(sl);
	return rc;
}

/* Answers one chunk of an IMPORT (req->import); the final chunk ends it. */
static int
import(struct ctl_client *c, const Tessera__ImportRequest *req)
{
	struct store *st = ctl_client_env(c)->ops->store;
	Tessera__Reply r = TESSERA__REPLY__INIT;
	bool final = req->has_final && req->final;
	uint32_t line = 0;
	char *cause = NULL;
	int rc = 0;

	/* Another client's import cannot be open here: IMPORT is CTL_WRITES. */
	if (c->import == NULL) {
		if ((c->import = calloc(1, sizeof(*c->import))) == NULL)
			return ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		tessera__import_result__init(&c->import->res);
		if ((rc = store_begin(st)) != 0) {
			ctl_import_abort(c);
			return ctl_error(c, TESSERA__REPLY__CODE__STORAGE,
			    rc == -ENOSPC ? CTL_STORAGE_FULL : "storage busy");
		}
		c->import->open = true;
		ctl_tell_import(c, true);
	}
	if (c->import->failed) {
		/* Nothing of a failed import is stored, whatever follows it. */
		if (final)
			ctl_import_abort(c);
		return ctl_error(c, TESSERA__REPLY__CODE__INVALID, "import already failed");
	}
	uint64_t t0 = mono_ms();

	rc = import_chunk(c, req, &line, &cause);
	log_debug("import: %zu items in %llu ms", req->n_items,
	    (unsigned long long)(mono_ms() - t0));
	if (rc == 0 && final && (rc = import_end(c, true)) != 0)
		set_cause(&cause, rc, rc == -ENOSPC ? CTL_STORAGE_FULL : "storage error");
	if (rc != 0) {
		r.has_code = r.has_error_line = 1;
		r.code = rc == -ENOSPC || rc == -EIO ? TESSERA__REPLY__CODE__STORAGE :
		    rc == -EPERM ? TESSERA__REPLY__CODE__FORBIDDEN : TESSERA__REPLY__CODE__INVALID;
		r.error = cause ? cause : "import failed";
		r.error_line = line;
		ctl_send(c, &r);
		free(cause);
		import_end(c, false);
		c->import->failed = !final;
		if (final)
			ctl_import_abort(c);
		return rc;
	}
	if (final) {
		Tessera__ImportResult *res = &c->import->res;

		res->has_created = res->has_updated = res->has_unchanged = 1;
		r.import = res;
		rc = ctl_send(c, &r);
		ctl_import_abort(c);
		return rc;
	}
	return ctl_send(c, &r);
}

void
ctl_import(struct ctl_client *c, const Tessera__Request *req)
{
	if (req->import == NULL)
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "missing import request");
	else
		import(c, req->import);
}
