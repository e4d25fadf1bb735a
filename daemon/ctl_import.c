/* Control request IMPORT: JSONL records arrive in chunks, are validated and
 * signed into a staging table, and are stored in one transaction when the
 * final chunk arrives. Any bad line rejects the whole import. */
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
	uint32_t staged;
	bool failed;
};

static int
stage_sql(struct store *st, const char *sql)
{
	return sqlite3_exec(store_db(st), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static void
discard_stage(struct ctl_client *c)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "DELETE FROM temp.import_stage WHERE session = %llu",
	    (unsigned long long)c->id);
	stage_sql(ctl_node(c)->store, sql);
}

void
ctl_import_abort(struct ctl_client *c)
{
	if (c->import == NULL)
		return;
	discard_stage(c);
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

static int
stage_item(struct ctl_client *c, sqlite3_stmt *ins, const Tessera__ImportItem *item,
    char **cause)
{
	struct node *n = ctl_node(c);
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len = 0;
	bool unchanged = false;
	int rc;

	if (item->signed_ != NULL) {
		Tessera__Record *r;
		const char *why;
		const Tessera__SignedRecord *s = item->signed_;

		if ((rc = record_open(s->body.data, s->body.len, s->sig.data, s->sig.len, &r,
			 &why)) != 0)
			return set_cause(cause, rc, "signed record rejected: %s", why);
		record_free(r);
		if ((body = malloc(s->body.len + 1)) == NULL)
			return -ENOMEM;
		memcpy(body, s->body.data, s->body.len);
		len = s->body.len;
		memcpy(sig, s->sig.data, TESS_SIG_LEN);
	} else if (item->content != NULL) {
		if ((rc = seal_own(n, item, &body, &len, sig, &unchanged, cause)) != 0)
			return rc;
	} else {
		return set_cause(cause, -EINVAL, "empty item");
	}
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, (sqlite3_int64)c->id);
	sqlite3_bind_int64(ins, 2, item->line);
	/* An unchanged line is staged empty: it still counts in the result. */
	sqlite3_bind_blob(ins, 3, unchanged ? "" : (const char *)body, unchanged ? 0 : (int)len,
	    SQLITE_TRANSIENT);
	sqlite3_bind_blob(ins, 4, sig, unchanged ? 0 : TESS_SIG_LEN, SQLITE_TRANSIENT);
	rc = sqlite3_step(ins);
	free(body);
	if (rc != SQLITE_DONE)
		return set_cause(cause, rc == SQLITE_FULL ? -ENOSPC : -EIO, "staging failed: %s",
		    sqlite3_errmsg(store_db(n->store)));
	c->import->staged++;
	return 0;
}

/* Moves every staged record into the store in one transaction. */
static int
commit_stage(struct ctl_client *c, Tessera__ImportResult *res, uint32_t *line, char **cause)
{
	struct node *n = ctl_node(c);
	struct store *st = n->store;
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(store_db(st),
		"SELECT line, body, sig FROM temp.import_stage WHERE session = ?1 ORDER BY line",
		-1, &s, NULL) != SQLITE_OK)
		return set_cause(cause, -EIO, "storage error");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)c->id);
	if ((rc = store_begin(st)) != 0) {
		sqlite3_finalize(s);
		return set_cause(cause, rc, "storage busy");
	}
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		const uint8_t *body = sqlite3_column_blob(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		enum store_put_result pr;
		Tessera__Record *r;
		uint64_t had;

		*line = (uint32_t)sqlite3_column_int(s, 0);
		if (sqlite3_column_bytes(s, 2) != TESS_SIG_LEN) {
			res->unchanged++;
			continue;
		}
		/* Verified when staged; the bytes have not left this process since. */
		if ((r = tessera__record__unpack(NULL, len, body)) == NULL) {
			rc = set_cause(cause, -EIO, "staged record unreadable");
			break;
		}
		store_have(st, r->id.data, &had);
		rc = store_put(st, body, len, sqlite3_column_blob(s, 2), r, &pr);
		if (rc == 0 && pr == STORE_STORED) {
			if (had)
				res->updated++;
			else
				res->created++;
			if (r->kind == TESSERA__KIND__KIND_PROFILE &&
			    memcmp(r->author.data, n->id->pub, TESS_KEY_LEN) == 0)
				rc = publish_profile_meta(st, r);
		} else if (rc == 0 && (pr == STORE_DUPLICATE || pr == STORE_STALE ||
				       pr == STORE_BLOCKED)) {
			res->unchanged++;
		} else if (rc == 0) {
			rc = set_cause(cause, -EINVAL, pr == STORE_QUOTA ?
			    "community over its record quota" :
			    "conflicts with a stored record (same author and version)");
		} else {
			set_cause(cause, rc, rc == -ENOSPC ? "storage full" : "storage error");
		}
		record_free(r);
	}
	sqlite3_finalize(s);
	if (rc != 0) {
		store_rollback(st);
		return rc;
	}
	if ((rc = store_commit(st)) != 0)
		return set_cause(cause, rc, rc == -ENOSPC ? "storage full" : "storage error");
	return 0;
}

int
ctl_import(struct ctl_client *c, const Tessera__ImportRequest *req)
{
	struct store *st = ctl_node(c)->store;
	Tessera__Reply r = TESSERA__REPLY__INIT;
	Tessera__ImportResult res = TESSERA__IMPORT_RESULT__INIT;
	sqlite3_stmt *ins = NULL;
	uint32_t line = 0;
	char *cause = NULL;
	int rc = 0;

	if (c->import == NULL) {
		if ((c->import = calloc(1, sizeof(*c->import))) == NULL ||
		    stage_sql(st, "CREATE TEMP TABLE IF NOT EXISTS import_stage (session INTEGER,"
				  " line INTEGER, body BLOB, sig BLOB)") != 0)
			return ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "cannot stage import");
	}
	if (c->import->failed) {
		/* Nothing of a failed import is stored, whatever follows it. */
		if (req->has_final && req->final)
			ctl_import_abort(c);
		return ctl_error(c, TESSERA__REPLY__CODE__INVALID, "import already failed");
	}
	if (sqlite3_prepare_v2(store_db(st), "INSERT INTO temp.import_stage VALUES (?1, ?2, ?3, ?4)",
		-1, &ins, NULL) != SQLITE_OK || stage_sql(st, "BEGIN") != 0) {
		sqlite3_finalize(ins);
		return ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "cannot stage import");
	}
	uint64_t t0 = mono_ms();

	for (size_t i = 0; i < req->n_items && rc == 0; i++) {
		line = req->items[i]->line;
		rc = stage_item(c, ins, req->items[i], &cause);
	}
	sqlite3_finalize(ins);
	if (rc == 0 && stage_sql(st, "COMMIT") != 0)
		rc = set_cause(&cause, -EIO, "staging failed");
	if (rc != 0)
		stage_sql(st, "ROLLBACK");
	log_debug("import: staged %zu items in %llu ms", req->n_items,
	    (unsigned long long)(mono_ms() - t0));
	if (rc == 0 && req->has_final && req->final) {
		uint64_t t1 = mono_ms();

		rc = commit_stage(c, &res, &line, &cause);
		log_debug("import: %u records committed in %llu ms", c->import->staged,
		    (unsigned long long)(mono_ms() - t1));
		if (rc == 0)
			node_changed(ctl_node(c), NULL);
	}
	if (rc != 0) {
		r.has_code = r.has_error_line = 1;
		r.code = rc == -ENOSPC || rc == -EIO ? TESSERA__REPLY__CODE__STORAGE :
		    rc == -EPERM ? TESSERA__REPLY__CODE__FORBIDDEN : TESSERA__REPLY__CODE__INVALID;
		r.error = cause ? cause : "import failed";
		r.error_line = line;
		ctl_send(c, &r);
		free(cause);
		discard_stage(c);
		c->import->failed = !(req->has_final && req->final);
		if (!c->import->failed)
			ctl_import_abort(c);
		return rc;
	}
	if (req->has_final && req->final) {
		res.has_created = res.has_updated = res.has_unchanged = 1;
		r.import = &res;
		ctl_import_abort(c);   /* session done: drop its (empty) stage */
	}
	return ctl_send(c, &r);
}
