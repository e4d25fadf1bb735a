/* Control request IMPORT: JSONL records arrive in chunks and are signed and
 * stored inside one transaction that spans the chunks; the final chunk
 * commits it, any bad line rolls all of it back. While it is open the
 * import owns the store's write transaction (see node.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "identity.h"
#include "log.h"
#include "node.h"
#include "publish.h"
#include "record.h"
#include "store.h"
#include "util.h"

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
	struct node *n = ctl_node(c);
	int rc = 0;

	if (c->import == NULL || !c->import->open)
		return 0;
	if (commit)
		rc = store_commit(n->store);
	else
		store_rollback(n->store);
	c->import->open = false;
	node_import_done(n);
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

/* Signs item as our own record (new, or a new version of its id). */
static int
seal_own(struct node *n, const Tessera__ImportItem *item, uint8_t **body, size_t *len,
    uint8_t sig[TESS_SIG_LEN], bool *unchanged, char **cause)
{
	Tessera__Record r = *item->content, *old = NULL;
	uint8_t nonce[TESS_NONCE_LEN], id[TESS_ID_LEN];
	const char *why;
	bool have_id = false;
	int rc;

	*unchanged = false;
	if (!r.has_kind || !record_kind_known((int)r.kind))
		return set_cause(cause, -EINVAL, "unknown kind");
	if (r.has_deleted && r.deleted)
		return set_cause(cause, -EINVAL, "a deletion can only be imported signed");
	if (item->has_id) {
		if (item->id.len != TESS_ID_LEN)
			return set_cause(cause, -EINVAL, "malformed id");
		memcpy(id, item->id.data, TESS_ID_LEN);
		have_id = true;
	} else if (r.kind == TESSERA__KIND__KIND_PROFILE && publish_profile_id(n->store, id) == 0) {
		have_id = true;   /* profile lines update our profile */
	}
	if (have_id) {
		if ((rc = publish_load(n->store, id, &old, cause)) != 0)
			return rc == -ENOENT ? set_cause(cause, rc, "no record with this id here") : rc;
		if (memcmp(old->author.data, n->id->pub, TESS_KEY_LEN) != 0) {
			record_free(old);
			return set_cause(cause, -EPERM,
			    "record belongs to another community; import its signed export instead");
		}
		memcpy(nonce, old->nonce.data, TESS_NONCE_LEN);
		*unchanged = !old->deleted && publish_same_content(old, &r);
		record_free(old);
		if (*unchanged)
			return 0;
	} else if (record_new_id(n->id->pub, nonce, id) != 0) {
		return set_cause(cause, -EIO, "random number generator failed");
	}
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, n->id->pub };
	r.version = store_next_version(n->store, n->id->pub);
	r.timestamp = now_ms();
	if (record_validate(&r, &why) != 0)
		return set_cause(cause, -EINVAL, "%s", why);
	rc = record_seal(n->id, &r, body, len, sig);
	if (rc == -EMSGSIZE)
		return set_cause(cause, rc, "record larger than %d bytes", TESS_MAX_RECORD);
	return rc == 0 ? 0 : set_cause(cause, rc, "cannot sign record");
}

/* Stores what one stored record result means for the import's tally. */
static int
tally(struct ctl_client *c, const Tessera__Record *r, uint64_t had, enum store_put_result pr,
    char **cause)
{
	Tessera__ImportResult *res = &c->import->res;
	struct node *n = ctl_node(c);

	switch (pr) {
	case STORE_STORED:
		if (had)
			res->updated++;
		else
			res->created++;
		if (r->kind == TESSERA__KIND__KIND_PROFILE &&
		    memcmp(r->author.data, n->id->pub, TESS_KEY_LEN) == 0 &&
		    publish_profile_meta(n->store, r) != 0)
			return set_cause(cause, -EIO, "storage error");
		return 0;
	case STORE_DUPLICATE: case STORE_STALE: case STORE_BLOCKED:
		res->unchanged++;
		return 0;
	case STORE_QUOTA:
		return set_cause(cause, -EINVAL, "community over its record quota");
	default:
		return set_cause(cause, -EINVAL,
		    "conflicts with a stored record (same id or same author and version)");
	}
}

static int
put_item(struct ctl_client *c, const Tessera__ImportItem *item, char **cause)
{
	struct node *n = ctl_node(c);
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	const uint8_t *b, *sg;
	Tessera__Record *r;
	enum store_put_result pr;
	size_t len = 0;
	uint64_t had;
	bool unchanged = false;
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
	} else if (item->content != NULL) {
		if ((rc = seal_own(n, item, &body, &len, sig, &unchanged, cause)) != 0)
			return rc;
		if (unchanged) {
			c->import->res.unchanged++;
			return 0;
		}
		/* Our own fresh signature: decode without verifying again. */
		if ((r = tessera__record__unpack(NULL, len, body)) == NULL) {
			free(body);
			return set_cause(cause, -EIO, "cannot decode own record");
		}
		b = body;
		sg = sig;
	} else {
		return set_cause(cause, -EINVAL, "empty item");
	}
	if ((rc = store_have(n->store, r->id.data, &had)) == 0 &&
	    (rc = store_put(n->store, b, len, sg, r, &pr)) == 0)
		rc = tally(c, r, had, pr, cause);
	else
		set_cause(cause, rc, rc == -ENOSPC ? "storage full" : "storage error");
	record_free(r);
	free(body);
	return rc;
}

int
ctl_import(struct ctl_client *c, const Tessera__ImportRequest *req)
{
	struct node *n = ctl_node(c);
	Tessera__Reply r = TESSERA__REPLY__INIT;
	bool final = req->has_final && req->final;
	uint32_t line = 0;
	char *cause = NULL;
	int rc = 0;

	if (c->import == NULL) {
		if (n->import_owner != NULL)
			return ctl_error(c, TESSERA__REPLY__CODE__BUSY,
			    "another import is in progress; try again when it is done");
		if ((c->import = calloc(1, sizeof(*c->import))) == NULL)
			return ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		tessera__import_result__init(&c->import->res);
		if ((rc = store_begin(n->store)) != 0) {
			ctl_import_abort(c);
			return ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "storage busy");
		}
		c->import->open = true;
		n->import_owner = c;
	}
	if (c->import->failed) {
		/* Nothing of a failed import is stored, whatever follows it. */
		if (final)
			ctl_import_abort(c);
		return ctl_error(c, TESSERA__REPLY__CODE__INVALID, "import already failed");
	}
	uint64_t t0 = mono_ms();

	for (size_t i = 0; i < req->n_items && rc == 0; i++) {
		line = req->items[i]->line;
		rc = put_item(c, req->items[i], &cause);
	}
	log_debug("import: %zu items in %llu ms", req->n_items,
	    (unsigned long long)(mono_ms() - t0));
	if (rc == 0 && final && (rc = import_end(c, true)) != 0)
		set_cause(&cause, rc, rc == -ENOSPC ? "storage full" : "storage error");
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
