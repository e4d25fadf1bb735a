/* Control requests on records: add, edit, delete, show, list, search,
 * export. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/log.h"
#include "core/record.h"
#include "core/util.h"
#include "ctl/ctl_int.h"
#include "ctl/ctl_view.h"
#include "ops/ops.h"
#include "store/publish.h"
#include "store/search.h"
#include "store/store.h"
#include "store/store_rotate.h"

#define SEARCH_MAX_LIMIT 1000
#define LIST_MAX_LIMIT 1000000

static struct store *
store_of(const struct ctl_client *c)
{
	return ctl_client_env(c)->ops->store;
}

int
ctl_resolve_id(struct ctl_client *c, const char *prefix, uint8_t id[TESS_ID_LEN])
{
	struct store *st = store_of(c);
	uint8_t ids[8][TESS_ID_LEN];
	size_t n;
	char hex[8][2 * TESS_ID_LEN + 1];
	char *cands[8];
	Tessera__Reply r = TESSERA__REPLY__INIT;
	int rc;

	if (prefix == NULL || !hex_is_prefix(prefix, 2 * TESS_ID_LEN)) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "'%s' is not a record ID (hex digits)",
		    prefix ? prefix : "");
		return -EINVAL;
	}
	if ((rc = store_find_prefix(st, prefix, ids, 8, &n)) != 0) {
		ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "storage error");
		return rc;
	}
	if (n == 1) {
		memcpy(id, ids[0], TESS_ID_LEN);
		return 0;
	}
	if (n == 0) {
		ctl_error(c, TESSERA__REPLY__CODE__NOT_FOUND, "no record with ID %s", prefix);
		return -ENOENT;
	}
	for (size_t i = 0; i < n && i < 8; i++) {
		hex_encode(ids[i], TESS_ID_LEN, hex[i]);
		cands[i] = hex[i];
	}
	r.has_code = 1;
	r.code = TESSERA__REPLY__CODE__AMBIGUOUS;
	r.error = n > 8 ? "ambiguous ID prefix (more than 8 matches)" : "ambiguous ID prefix";
	r.candidates = cands;
	r.n_candidates = n < 8 ? n : 8;
	ctl_send(c, &r);
	return -EEXIST;
}

static int
to_filter(struct ctl_client *c, const Tessera__Filter *in, struct search_filter *f,
    uint32_t max_limit)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if (in == NULL)
		return 0;
	if (in->has_kind)
		f->kind = (int)in->kind;
	if (in->has_limit)
		f->limit = in->limit > max_limit ? max_limit : in->limit;
	f->lang = in->lang;
	f->tag = in->tag;
	if (in->community != NULL) {
		struct store_match m;

		if ((rc = ctl_resolve_community(c, in->community, &m)) != 0)
			return rc;
		/* A community is all its keys: the one it uses now, and those
		 * it rotated from (store/store_rotate.h). */
		if (store_rotation_final(store_of(c), m.author, f->author) != 0)
			memcpy(f->author, m.author, TESS_KEY_LEN);
		store_match_free(&m);
		f->has_author = true;
	}
	return 0;
}

/* Sends the one record at id as the whole reply. */
static void
reply_record(struct ctl_client *c, const uint8_t id[TESS_ID_LEN], bool with_signed)
{
	struct store *st = store_of(c);
	Tessera__Reply r = TESSERA__REPLY__INIT;
	struct view_batch *b = view_batch_new(st, with_signed);
	Tessera__RecordView *v;
	uint8_t *body, sig[TESS_SIG_LEN];
	uint64_t seq;
	size_t len;
	int rc;

	if (b == NULL || store_get(st, id, &body, &len, sig, &seq) != 0) {
		view_batch_free(b);
		ctl_error(c, TESSERA__REPLY__CODE__NOT_FOUND, "record not found");
		return;
	}
	free(body);
	if ((rc = view_batch_add(b, seq, &v)) != 0) {
		view_batch_free(b);
		ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "%s", rc == -EBADMSG ?
		    "stored record fails verification" : "storage error reading the record");
		return;
	}
	if (with_signed && ctl_attach_views(ctl_client_env(c), v) != 0) {
		view_batch_free(b);
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		return;
	}
	view_batch_attach(b, &r);
	ctl_send(c, &r);
	view_batch_free(b);
}

static void
fields_from(struct publish_fields *f, const Tessera__Text *t)
{
	memset(f, 0, sizeof(*f));
	if (t != NULL) {
		f->lang = t->lang;
		f->title = t->title;
		f->summary = t->summary;
		f->body = t->body;
	}
}

void
ctl_add(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	const Tessera__AddRequest *a = req->add;
	struct publish_fields f;
	struct ctl_adopt adopt;
	struct ctl_attach ca;
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;
	int rc;

	if (a == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "missing add request");
		return;
	}
	fields_from(&f, a->text);
	f.kind = a->has_kind ? (int)a->kind : 0;
	f.set_tags = f.set_links = 1;
	f.tags = a->tags;
	f.n_tags = a->n_tags;
	f.links = a->links;
	f.n_links = a->n_links;
	if (f.kind == TESSERA__KIND__KIND_ADOPTION && ctl_adoption_add(c, a, &f, &adopt) != 0)
		return;
	if ((rc = ctl_attach_files(env->ops->store, a->attach, a->n_attach, &ca, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	f.attach = ca.ptr;
	f.n_attach = ca.n;
	rc = publish_add(env->ops->store, env->id, &f, id, &cause);
	ctl_attach_free(&ca);
	if (rc != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	ctl_tell_committed(c);
	reply_record(c, id, false);
}

void
ctl_edit(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	const Tessera__EditRequest *e = req->edit;
	struct publish_fields f;
	struct ctl_attach ca;
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;
	int rc;

	if (e == NULL || ctl_resolve_id(c, e->id, id) != 0) {
		if (e == NULL)
			ctl_error(c, TESSERA__REPLY__CODE__INVALID, "missing edit request");
		return;
	}
	fields_from(&f, e->text);
	f.set_tags = e->has_set_tags && e->set_tags;
	f.tags = e->tags;
	f.n_tags = e->n_tags;
	f.set_links = e->has_set_links && e->set_links;
	f.links = e->links;
	f.n_links = e->n_links;
	if (ctl_adoption_edit(c, e, &f) != 0)
		return;
	if ((rc = ctl_attach_files(env->ops->store, e->attach, e->n_attach, &ca, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	f.attach = ca.ptr;
	f.n_attach = ca.n;
	f.detach = e->detach;
	f.n_detach = e->n_detach;
	rc = publish_edit(env->ops->store, env->id, id, &f, &cause);
	ctl_attach_free(&ca);
	if (rc != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	ctl_tell_committed(c);
	reply_record(c, id, false);
}

void
ctl_delete(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;
	int rc;

	if (ctl_resolve_id(c, req->id, id) != 0)
		return;
	if ((rc = publish_delete(env->ops->store, env->id, id, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	ctl_tell_committed(c);
	reply_record(c, id, false);
}

/* Ends a stream that cannot go on with an error reply after the frames
 * already sent, so that the CLI reports the output as incomplete. */
static int
stream_fail(struct ctl_client *c, const char *what, int rc, uint64_t seq)
{
	const char *why = rc == -EBADMSG ? "fails verification (run tesserad check)" :
	    rc == -ENOMEM ? "cannot be read: out of memory" : "cannot be read: storage error";
	int sent;

	if (rc == -EIO)
		sent = ctl_error(c, TESSERA__REPLY__CODE__STORAGE,
		    "%s ended early: record %zu of %zu (seq %llu) %s: %s", what, c->cursor_pos,
		    c->cursor_n, (unsigned long long)seq, why, store_errmsg(store_of(c)));
	else
		sent = ctl_error(c, rc == -EBADMSG ? TESSERA__REPLY__CODE__STORAGE : ctl_code(rc),
		    "%s ended early: record %zu of %zu (seq %llu) %s", what, c->cursor_pos,
		    c->cursor_n, (unsigned long long)seq, why);
	return sent != 0 ? sent : 1;
}

/* Lists for an export the records stored since its list was made: the new
 * versions of records that were gone when their turn came, and anything
 * else stored meanwhile. */
static int
export_more(struct ctl_client *c)
{
	struct search_filter f = { .has_author = c->export_has_author };
	uint64_t *seqs;
	size_t n;
	char *cause = NULL;
	int rc;

	memcpy(f.author, c->export_author, TESS_KEY_LEN);
	rc = search_export(store_of(c), &f, c->export_upto, &seqs, &n, &cause);
	if (rc != 0) {
		rc = ctl_error(c, ctl_code(rc), "export ended early: listing the records changed "
		    "during the export: %s", cause);
		free(cause);
		return rc != 0 ? rc : 1;
	}
	free(c->cursor);
	c->cursor = seqs;
	c->cursor_n = n;
	c->cursor_pos = 0;
	c->export_gone = false;
	if (n > 0)
		c->export_upto = seqs[n - 1];
	return 0;
}

/* Streams c->cursor's records, a frame at a time. A record gone since the
 * cursor was made is skipped: deleted by a block, or replaced, whose new
 * version an export lists and sends after the others. One that fails
 * verification is skipped by list, which shows what is readable (logged),
 * but ends an export, which must be the whole or fail, as does any other
 * failure. */
static int
stream_cursor(struct ctl_client *c, bool export)
{
	const char *what = export ? "export" : "list";
	Tessera__Reply r = TESSERA__REPLY__INIT;
	struct view_batch *b = view_batch_new(store_of(c), export);
	Tessera__RecordView *v;
	int rc;

	if (b == NULL)
		return stream_fail(c, what, -ENOMEM, c->cursor_pos < c->cursor_n ?
		    c->cursor[c->cursor_pos] : 0);
	while (c->cursor_pos < c->cursor_n && !view_batch_full(b)) {
		uint64_t seq = c->cursor[c->cursor_pos++];

		rc = view_batch_add(b, seq, &v);
		if (rc == -ENOENT)
			c->export_gone = true;
		else if (rc != 0 && (export || rc != -EBADMSG)) {
			view_batch_free(b);
			return stream_fail(c, what, rc, seq);
		}
	}
	if (export && c->cursor_pos == c->cursor_n && c->export_gone &&
	    (rc = export_more(c)) != 0) {
		view_batch_free(b);
		return rc;
	}
	view_batch_attach(b, &r);
	r.has_more = 1;
	r.more = c->cursor_pos < c->cursor_n;
	rc = ctl_send(c, &r);
	view_batch_free(b);
	if (rc != 0)
		return rc;
	return r.more ? 0 : 1;
}

static int
stream_list(struct ctl_client *c)
{
	return stream_cursor(c, false);
}

static int
stream_export(struct ctl_client *c)
{
	return stream_cursor(c, true);
}

void
ctl_list(struct ctl_client *c, const Tessera__Request *req)
{
	struct search_filter f;
	int rc;

	if (to_filter(c, req->filter, &f, LIST_MAX_LIMIT) != 0)
		return;
	if ((rc = search_list(store_of(c), &f, &c->cursor, &c->cursor_n)) != 0) {
		ctl_fail(c, rc, NULL);
		return;
	}
	c->cursor_pos = 0;
	ctl_stream(c, stream_list);
}

void
ctl_search(struct ctl_client *c, const Tessera__Request *req)
{
	struct store *st = store_of(c);
	const char *query = req->query;
	Tessera__Reply r = TESSERA__REPLY__INIT;
	struct search_filter f;
	struct search_hit *hits;
	struct view_batch *b;
	size_t nh;
	char *cause = NULL;
	int rc;

	if (to_filter(c, req->filter, &f, SEARCH_MAX_LIMIT) != 0)
		return;
	f.exact = req->has_exact && req->exact;
	if ((rc = search_query(st, query ? query : "", &f, &hits, &nh, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	/* The query indexed what waited, up to a bound; after a large sync or
	 * import the rest is not searchable yet, and the reader is told. */
	if (store_index_pending(st)) {
		r.has_index_behind = 1;
		r.index_behind = store_index_behind(st);
	}
	if ((b = view_batch_new(st, false)) == NULL) {
		search_hits_free(hits, nh);
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		return;
	}
	for (size_t i = 0; i < nh; i++) {
		Tessera__RecordView *v;

		/* A hit gone or damaged since the query is left out (logged). */
		if (view_batch_add(b, hits[i].seq, &v) == 0) {
			v->snippet = hits[i].snippet;
			v->snippet_lang = hits[i].lang;
			hits[i].snippet = hits[i].lang = NULL;
			v->has_score = 1;
			v->score = -hits[i].score;  /* higher is better for readers */
			v->matched = (char *)search_match_name(hits[i].match);
		}
		if (view_batch_full(b) || i + 1 == nh) {
			view_batch_attach(b, &r);
			r.has_more = 1;
			r.more = i + 1 < nh;
			ctl_send(c, &r);
			view_batch_clear(b);
		}
	}
	if (nh == 0)
		ctl_send(c, &r);
	view_batch_free(b);
	search_hits_free(hits, nh);
}

void
ctl_export(struct ctl_client *c, const Tessera__Request *req)
{
	struct search_filter f;
	char *cause = NULL;
	int rc;

	if (to_filter(c, req->filter, &f, LIST_MAX_LIMIT) != 0)
		return;
	rc = search_export(store_of(c), &f, 0, &c->cursor, &c->cursor_n, &cause);
	if (rc != 0) {
		ctl_error(c, ctl_code(rc), "export failed: %s", cause);
		free(cause);
		return;
	}
	c->cursor_pos = 0;
	c->export_has_author = f.has_author;
	memcpy(c->export_author, f.author, TESS_KEY_LEN);
	c->export_gone = false;
	c->export_upto = c->cursor_n > 0 ? c->cursor[c->cursor_n - 1] : 0;
	ctl_stream(c, stream_export);
}

void
ctl_show(struct ctl_client *c, const Tessera__Request *req)
{
	uint8_t id[TESS_ID_LEN];

	if (ctl_resolve_id(c, req->id, id) == 0)
		reply_record(c, id, true);
}
