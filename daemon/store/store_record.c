/* Store: putting and reading signed records, changes feed, versions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/names.h"
#include "store/store_adopt.h"
#include "store/store_rotate.h"
#include "store/store_fp.h"
#include "store/store_int.h"
#include "store/blob.h"
#include "core/util.h"

/* Tags are also indexed as text so that a search for a tag finds it. */
static char *
join_tags(const Tessera__Record *r)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < r->n_tags; i++)
		len += strlen(r->tags[i]) + 1;
	if ((s = p = malloc(len)) == NULL)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < r->n_tags; i++)
		p += sprintf(p, "%s%s", i ? " " : "", r->tags[i]);
	return s;
}

static int
step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, what);
}

static int
index_content(struct store *st, sqlite3_int64 seq, const Tessera__Record *r)
{
	sqlite3_stmt *s;
	char *tags;
	int rc = 0;

	if ((tags = join_tags(r)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_texts && rc == 0; i++) {
		const Tessera__Text *t = r->texts[i];

		if ((s = store_stmt(st, S_INSERT_TEXT)) == NULL) {
			rc = -EIO;
			break;
		}
		sqlite3_bind_int64(s, 1, seq);
		sqlite3_bind_text(s, 2, t->lang, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, t->title, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, t->summary, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, t->body, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, tags, -1, SQLITE_STATIC);
		if ((rc = step_done(st, s, "insert text")) != 0)
			break;
		store_index_added(st, sqlite3_last_insert_rowid(st->db));
		if ((s = store_stmt(st, S_INSERT_META)) == NULL) {
			rc = -EIO;
			break;
		}
		sqlite3_bind_int64(s, 1, sqlite3_last_insert_rowid(st->db));
		sqlite3_bind_int64(s, 2, seq);
		sqlite3_bind_text(s, 3, t->lang, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, (int)r->kind);
		sqlite3_bind_blob(s, 5, r->author.data, TESS_KEY_LEN, SQLITE_STATIC);
		rc = step_done(st, s, "insert text meta");
	}
	free(tags);
	for (size_t i = 0; i < r->n_tags && rc == 0; i++) {
		if ((s = store_stmt(st, S_INSERT_TAG)) == NULL)
			return -EIO;
		sqlite3_bind_text(s, 1, r->tags[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, seq);
		rc = step_done(st, s, "insert tag");
	}
	return rc;
}

static int
unindex(struct store *st, sqlite3_int64 seq)
{
	enum store_stmt which[] = { S_DELETE_TEXTS, S_DELETE_META, S_DELETE_TAGS, S_DELETE_RECORD };
	/* The delete trigger takes the texts out of the FTS index if they
	 * are in it already (store_index.c), and leaves them alone if not. */
	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		sqlite3_stmt *s = store_stmt(st, which[i]);
		int rc;

		if (s == NULL)
			return -EIO;
		if (which[i] == S_DELETE_TEXTS && (rc = store_index_removing(st, seq)) != 0)
			return rc;
		sqlite3_bind_int64(s, 1, seq);
		if ((rc = step_done(st, s, "remove old version")) != 0)
			return rc;
	}
	return 0;
}

static int
author_update(struct store *st, const Tessera__Record *r, int delta, int new_id)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, S_AUTHOR_COUNT)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, r->author.data, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, delta);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->version);
	sqlite3_bind_int(s, 4, new_id);
	if ((rc = step_done(st, s, "author")) != 0)
		return rc;
	if (r->kind != TESSERA__KIND__KIND_PROFILE || r->profile == NULL)
		return 0;
	char langs[TESS_MAX_TEXTS * 36 + 1] = "";

	for (size_t i = 0; i < r->profile->n_languages; i++) {
		if (i > 0)
			strcat(langs, ",");
		strcat(langs, r->profile->languages[i]);
	}
	/* NULL if ICU cannot read the name: it then looks like no other. */
	char *key = r->profile->name != NULL ? names_key(r->profile->name) : NULL;

	if ((s = store_stmt(st, S_AUTHOR_PROFILE)) == NULL) {
		free(key);
		return -EIO;
	}
	sqlite3_bind_blob(s, 1, r->author.data, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->profile->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->profile->country, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, langs, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)r->version);
	sqlite3_bind_text(s, 6, key, -1, free);
	return step_done(st, s, "profile");
}

/* Looks at the author: blocked, over quota. Creates its row if new. A
 * tombstone for an unknown id is a new id too: it counts against the quota,
 * or anyone could fill a disk with signed deletions of made-up records. */
static int
author_admit(struct store *st, const Tessera__Record *r, bool is_new, const uint8_t *origin,
    enum store_put_result *res)
{
	sqlite3_stmt *s;
	int rc;

	for (int pass = 0; pass < 2; pass++) {
		if ((s = store_stmt(st, S_AUTHOR_GET)) == NULL)
			return -EIO;
		sqlite3_bind_blob(s, 1, r->author.data, TESS_KEY_LEN, SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			if (sqlite3_column_int(s, 0))
				*res = STORE_BLOCKED;
			else if (is_new && (uint64_t)sqlite3_column_int64(s, 1) >= st->quota &&
			    !(st->has_local && memcmp(st->local, r->author.data, TESS_KEY_LEN) == 0))
				*res = STORE_QUOTA;
			sqlite3_reset(s);
			return 0;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return store_err(st, rc, "author");
		/* First record of this author: create its row, then read it. */
		if ((s = store_stmt(st, S_AUTHOR_UPSERT)) == NULL)
			return -EIO;
		sqlite3_bind_blob(s, 1, r->author.data, TESS_KEY_LEN, SQLITE_STATIC);
		/* An author a peer brings is new today (charged to the budgets);
		 * one stored here or imported by the operator is known. */
		if (origin != NULL) {
			sqlite3_bind_blob(s, 2, origin, TESS_KEY_LEN, SQLITE_STATIC);
			sqlite3_bind_int64(s, 3, store_day(st));
		} else {
			sqlite3_bind_int64(s, 3, 0);
		}
		if ((rc = step_done(st, s, "author")) != 0)
			return rc;
	}
	return store_err(st, SQLITE_ERROR, "author");
}

/* Two different records with one author, id and version: the author
 * signed two histories. Every node keeps the one with the smaller
 * signature (bytewise), whichever arrived first, so that nodes that see
 * both agree. s is the stored row (column 5: its signature). */
static enum store_put_result
conflict(sqlite3_stmt *s, const uint8_t *sig)
{
	if (sqlite3_column_bytes(s, 5) == TESS_SIG_LEN &&
	    memcmp(sig, sqlite3_column_blob(s, 5), TESS_SIG_LEN) >= 0)
		return STORE_EQUIVOCATION;
	return STORE_EQUIVOCATION_REPLACED;
}

static int
put_locked(struct store *st, const uint8_t *body, size_t len, const uint8_t *sig,
    const Tessera__Record *r, const uint8_t *origin, enum store_put_result *res)
{
	sqlite3_stmt *s;
	sqlite3_int64 old_seq = 0, seq;
	enum store_put_result kept;
	int rc, delta = r->deleted ? 0 : 1, old_kind = -1;

	*res = STORE_STORED;
	if (r->timestamp > (int64_t)(store_now_us(st) / 1000) + st->max_skew_ms) {
		*res = STORE_FUTURE;
		return 0;
	}
	if ((s = store_stmt(st, S_GET_BY_ID)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, r->id.data, TESS_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		uint64_t old_version = (uint64_t)sqlite3_column_int64(s, 2);

		old_seq = sqlite3_column_int64(s, 0);
		old_kind = sqlite3_column_int(s, 6);
		if (sqlite3_column_bytes(s, 1) != TESS_KEY_LEN ||
		    memcmp(sqlite3_column_blob(s, 1), r->author.data, TESS_KEY_LEN) != 0)
			*res = STORE_NOT_AUTHOR;
		else if (r->version < old_version)
			*res = STORE_STALE;
		else if (r->version == old_version)
			*res = (size_t)sqlite3_column_bytes(s, 4) == len &&
				memcmp(sqlite3_column_blob(s, 4), body, len) == 0 ?
			    STORE_DUPLICATE : conflict(s, sig);
		delta -= sqlite3_column_int(s, 3) ? 0 : 1;
	} else if (rc != SQLITE_DONE) {
		return store_err(st, rc, "lookup");
	}
	sqlite3_reset(s);
	if ((rc = store_rotate_check(st, r, old_kind, res)) != 0)
		return rc;
	if (*res != STORE_STORED && *res != STORE_EQUIVOCATION_REPLACED)
		return 0;
	kept = *res;
	*res = STORE_STORED;
	if ((rc = store_budget_charge(st, r, len, origin, res)) != 0 || *res != STORE_STORED)
		return rc;
	if ((rc = author_admit(st, r, old_seq == 0, origin, res)) != 0 || *res != STORE_STORED)
		return rc;
	*res = kept;
	if (old_seq != 0 && (rc = unindex(st, old_seq)) != 0)
		return rc;
	if ((s = store_stmt(st, S_INSERT_RECORD)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, r->id.data, TESS_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, r->author.data, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->version);
	sqlite3_bind_int(s, 4, (int)r->kind);
	sqlite3_bind_int(s, 5, r->deleted ? 1 : 0);
	sqlite3_bind_int64(s, 6, r->timestamp);
	sqlite3_bind_blob(s, 7, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, sig, TESS_SIG_LEN, SQLITE_STATIC);
	if (origin != NULL)
		sqlite3_bind_blob(s, 9, origin, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)now_ms());
	if ((rc = step_done(st, s, "insert record")) != 0)
		return rc;
	seq = sqlite3_last_insert_rowid(st->db);
	if ((rc = store_fp_put(st, r->id.data, r->version)) != 0 ||
	    (rc = store_adopt_put(st, seq, r)) != 0 ||
	    (rc = store_rotate_put(st, r)) != 0 ||
	    (rc = blob_refs_put(st, r)) != 0)
		return rc;
	if (!r->deleted && (rc = index_content(st, seq, r)) != 0)
		return rc;
	/* The texts wait for store_index_step, after the commit. */
	if ((rc = author_update(st, r, delta, old_seq == 0)) != 0)
		return rc;
	store_held_note(st, r->id.data, r->version);
	return 0;
}

int
store_put(struct store *st, const uint8_t *body, size_t len, const uint8_t *sig,
    const Tessera__Record *r, enum store_put_result *res)
{
	return store_put_from(st, body, len, sig, r, NULL, res);
}

int
store_put_from(struct store *st, const uint8_t *body, size_t len, const uint8_t *sig,
    const Tessera__Record *r, const uint8_t *origin, enum store_put_result *res)
{
	int rc;

	/* Alone, a put is its own transaction. Inside the caller's transaction
	 * no savepoint: one would copy every page it touches into a statement
	 * journal (measured: ~40 page writes per record), and callers roll the
	 * whole transaction back on any failure anyway. */
	if (!sqlite3_get_autocommit(st->db))
		return put_locked(st, body, len, sig, r, origin, res);
	if ((rc = store_begin(st)) != 0)
		return rc;
	if ((rc = put_locked(st, body, len, sig, r, origin, res)) != 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

int
store_have(struct store *st, const uint8_t id[TESS_ID_LEN], uint64_t *version)
{
	sqlite3_stmt *s = store_stmt(st, S_HAVE);
	int rc;

	*version = 0;
	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, id, TESS_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(st, rc, "have");
}

static int
copy_signed(sqlite3_stmt *s, int col, uint8_t **body, size_t *len, uint8_t *sig)
{
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	if (sqlite3_column_bytes(s, col + 1) != TESS_SIG_LEN)
		return -EIO;
	if ((*body = malloc(n ? n : 1)) == NULL)
		return -ENOMEM;
	if (n > 0)
		memcpy(*body, sqlite3_column_blob(s, col), n);
	memcpy(sig, sqlite3_column_blob(s, col + 1), TESS_SIG_LEN);
	*len = n;
	return 0;
}

/* The row of record id (S_GET_BY_ID: seq, author, version, deleted, body,
 * sig) in *out, for the caller to read and reset: 0, or -ENOENT or another
 * error with the statement reset. */
static int
row_by_id(struct store *st, const uint8_t id[TESS_ID_LEN], sqlite3_stmt **out)
{
	sqlite3_stmt *s = store_stmt(st, S_GET_BY_ID);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, id, TESS_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, rc, "get");
		sqlite3_reset(s);
		return rc;
	}
	*out = s;
	return 0;
}

int
store_get(struct store *st, const uint8_t id[TESS_ID_LEN], uint8_t **body, size_t *len,
    uint8_t sig[TESS_SIG_LEN], uint64_t *seq)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = row_by_id(st, id, &s)) != 0)
		return rc;
	if (seq != NULL)
		*seq = (uint64_t)sqlite3_column_int64(s, 0);
	rc = copy_signed(s, 4, body, len, sig);
	sqlite3_reset(s);
	return rc;
}

int
store_get_len(struct store *st, const uint8_t id[TESS_ID_LEN], size_t *len)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = row_by_id(st, id, &s)) != 0)
		return rc;
	*len = (size_t)sqlite3_column_bytes(s, 4);
	sqlite3_reset(s);
	return 0;
}

int
store_get_seq(struct store *st, uint64_t seq, uint8_t **body, size_t *len,
    uint8_t sig[TESS_SIG_LEN])
{
	sqlite3_stmt *s = store_stmt(st, S_GET_BY_SEQ);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = copy_signed(s, 0, body, len, sig);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, rc, "get");
	sqlite3_reset(s);
	return rc;
}

int
store_find_prefix(struct store *st, const char *hex, uint8_t (*ids)[TESS_ID_LEN], size_t max,
    size_t *n)
{
	char lo[2 * TESS_ID_LEN + 1], hi[2 * TESS_ID_LEN + 1];
	uint8_t blo[TESS_ID_LEN], bhi[TESS_ID_LEN];
	size_t plen = strlen(hex);
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (!hex_is_prefix(hex, 2 * TESS_ID_LEN))
		return -EINVAL;
	/* The prefix names the range [prefix000..., prefixfff...] of the index. */
	memset(lo, '0', sizeof(lo) - 1);
	memset(hi, 'f', sizeof(hi) - 1);
	lo[sizeof(lo) - 1] = hi[sizeof(hi) - 1] = '\0';
	memcpy(lo, hex, plen);
	memcpy(hi, hex, plen);
	if (hex_decode(lo, blo, TESS_ID_LEN) != 0 || hex_decode(hi, bhi, TESS_ID_LEN) != 0)
		return -EINVAL;
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT id FROM records WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?3", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(st, rc, "prefix");
	sqlite3_bind_blob(s, 1, blo, TESS_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, bhi, TESS_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)max + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n < max && sqlite3_column_bytes(s, 0) == TESS_ID_LEN)
			memcpy(ids[*n], sqlite3_column_blob(s, 0), TESS_ID_LEN);
		(*n)++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "prefix");
}

int
store_changes(struct store *st, uint64_t since, size_t limit, store_change_cb cb, void *arg,
    uint64_t *last)
{
	sqlite3_stmt *s = store_stmt(st, S_CHANGES);
	int rc;

	*last = since;
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);

		if (sqlite3_column_bytes(s, 1) != TESS_ID_LEN ||
		    sqlite3_column_bytes(s, 2) != TESS_KEY_LEN)
			continue;
		const uint8_t *origin = sqlite3_column_bytes(s, 4) == TESS_KEY_LEN ?
		    sqlite3_column_blob(s, 4) : NULL;

		rc = cb(arg, seq, sqlite3_column_blob(s, 1), sqlite3_column_blob(s, 2),
		    (uint64_t)sqlite3_column_int64(s, 3), origin);
		if (rc != STORE_CHANGES_BEFORE)
			*last = seq;
		if (rc != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : 0;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "changes");
}

uint64_t
store_next_version(struct store *st, const uint8_t author[TESS_KEY_LEN])
{
	sqlite3_stmt *s = store_stmt(st, S_AUTHOR_GET);
	uint64_t seen = 0, now;

	if (s != NULL) {
		sqlite3_bind_blob(s, 1, author, TESS_KEY_LEN, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			seen = (uint64_t)sqlite3_column_int64(s, 2);
		sqlite3_reset(s);
	}
	now = store_now_us(st);
	/* Versions handed out but not yet stored (an import being staged) count too. */
	if (seen < st->last_version)
		seen = st->last_version;
	st->last_version = seen + 1 > now ? seen + 1 : now;
	return st->last_version;
}
