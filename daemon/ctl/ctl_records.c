/* Control requests on records: add, edit, delete, show, list, search,
 * export; and the dispatcher. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "ctl/ctl.h"
#include "ctl/ctl_view.h"
#include "core/identity.h"
#include "core/log.h"
#include "node.h"
#include "net/peers.h"
#include "store/publish.h"
#include "core/record.h"
#include "store/search.h"
#include "store/store.h"
#include "core/util.h"

#define SEARCH_MAX_LIMIT 1000
#define LIST_MAX_LIMIT 1000000

/* Resolves a record ID prefix; on failure the error reply is already sent. */
static int
resolve_id(struct ctl_client *c, const char *prefix, uint8_t id[TESS_ID_LEN])
{
	struct store *st = ctl_node(c)->store;
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
	char *cands = NULL;
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
		rc = store_resolve_author(ctl_node(c)->store, in->community, f->author, &cands);
		if (rc == -EEXIST) {
			ctl_error(c, TESSERA__REPLY__CODE__AMBIGUOUS, "ambiguous community: %s", cands);
			free(cands);
			return rc;
		}
		if (rc != 0) {
			ctl_error(c, ctl_code(rc), "no community '%s'", in->community);
			return rc;
		}
		f->has_author = true;
	}
	return 0;
}

/* Sends the one record at id as the whole reply. */
static void
reply_record(struct ctl_client *c, const uint8_t id[TESS_ID_LEN], bool with_signed)
{
	struct node *n = ctl_node(c);
	Tessera__Reply r = TESSERA__REPLY__INIT;
	struct view_batch *b = view_batch_new(n->store, with_signed);
	uint8_t *body, sig[TESS_SIG_LEN];
	uint64_t seq;
	size_t len;

	if (b == NULL || store_get(n->store, id, &body, &len, sig, &seq) != 0) {
		view_batch_free(b);
		ctl_error(c, TESSERA__REPLY__CODE__NOT_FOUND, "record not found");
		return;
	}
	free(body);
	if (view_batch_add(b, seq) == NULL) {
		view_batch_free(b);
		ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "stored record fails verification");
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

static void
do_add(struct ctl_client *c, const Tessera__AddRequest *a)
{
	struct node *n = ctl_node(c);
	struct publish_fields f;
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
	if ((rc = publish_add(n->store, n->id, &f, id, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	node_changed(n, NULL);
	reply_record(c, id, false);
}

static void
do_edit(struct ctl_client *c, const Tessera__EditRequest *e)
{
	struct node *n = ctl_node(c);
	struct publish_fields f;
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;
	int rc;

	if (e == NULL || resolve_id(c, e->id, id) != 0) {
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
	if ((rc = publish_edit(n->store, n->id, id, &f, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	node_changed(n, NULL);
	reply_record(c, id, false);
}

static void
do_delete(struct ctl_client *c, const char *prefix)
{
	struct node *n = ctl_node(c);
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;
	int rc;

	if (resolve_id(c, prefix, id) != 0)
		return;
	if ((rc = publish_delete(n->store, n->id, id, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	node_changed(n, NULL);
	reply_record(c, id, false);
}

/* Streams c->cursor's records, a frame at a time. */
static int
stream_cursor(struct ctl_client *c, bool with_signed)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	struct view_batch *b = view_batch_new(ctl_node(c)->store, with_signed);
	int rc;

	if (b == NULL)
		return -ENOMEM;
	while (c->cursor_pos < c->cursor_n && !view_batch_full(b))
		view_batch_add(b, c->cursor[c->cursor_pos++]);
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

static void
do_list(struct ctl_client *c, const Tessera__Filter *in)
{
	struct search_filter f;
	int rc;

	if (to_filter(c, in, &f, LIST_MAX_LIMIT) != 0)
		return;
	if ((rc = search_list(ctl_node(c)->store, &f, &c->cursor, &c->cursor_n)) != 0) {
		ctl_fail(c, rc, NULL);
		return;
	}
	c->cursor_pos = 0;
	ctl_stream(c, stream_list);
}

static void
do_search(struct ctl_client *c, const Tessera__Request *req)
{
	const char *query = req->query;
	struct node *n = ctl_node(c);
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
	if ((rc = search_query(n->store, query ? query : "", &f, &hits, &nh, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	if ((b = view_batch_new(n->store, false)) == NULL) {
		search_hits_free(hits, nh);
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		return;
	}
	for (size_t i = 0; i < nh; i++) {
		Tessera__RecordView *v = view_batch_add(b, hits[i].seq);

		if (v != NULL) {
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

static void
do_export(struct ctl_client *c, const Tessera__Filter *in)
{
	struct store *st = ctl_node(c)->store;
	struct search_filter f;
	sqlite3_stmt *s;
	size_t cap = 1024;

	if (to_filter(c, in, &f, LIST_MAX_LIMIT) != 0)
		return;
	/* Every record of the community, tombstones included, oldest first. */
	if (sqlite3_prepare_v2(store_db(st),
		f.has_author ? "SELECT seq FROM records WHERE author = ?1 ORDER BY seq" :
			       "SELECT seq FROM records ORDER BY seq", -1, &s, NULL) != SQLITE_OK ||
	    (c->cursor = malloc(cap * sizeof(uint64_t))) == NULL) {
		sqlite3_finalize(s);
		ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "storage error");
		return;
	}
	if (f.has_author)
		sqlite3_bind_blob(s, 1, f.author, TESS_KEY_LEN, SQLITE_STATIC);
	c->cursor_n = c->cursor_pos = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (c->cursor_n == cap) {
			uint64_t *nc = realloc(c->cursor, 2 * cap * sizeof(uint64_t));

			if (nc == NULL)
				break;
			c->cursor = nc;
			cap *= 2;
		}
		c->cursor[c->cursor_n++] = (uint64_t)sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	ctl_stream(c, stream_export);
}

/* Requests that write while an import holds the write transaction would
 * join it, and vanish if it rolls back: they wait their turn instead. */
static bool
writes_blocked(struct ctl_client *c, const Tessera__Request *req)
{
	const void *owner = ctl_node(c)->import_owner;

	if (owner == NULL || owner == c || !req->has_op)
		return false;
	switch (req->op) {
	case TESSERA__REQUEST__OP__ADD: case TESSERA__REQUEST__OP__EDIT:
	case TESSERA__REQUEST__OP__DELETE: case TESSERA__REQUEST__OP__BLOCK:
	case TESSERA__REQUEST__OP__UNBLOCK:
		ctl_error(c, TESSERA__REPLY__CODE__BUSY,
		    "an import is in progress; try again when it is done");
		return true;
	default:
		return false;
	}
}

void
ctl_dispatch(struct ctl_client *c, const Tessera__Request *req)
{
	if (writes_blocked(c, req))
		return;
	switch (req->has_op ? req->op : TESSERA__REQUEST__OP__OP_NONE) {
	case TESSERA__REQUEST__OP__STATUS: ctl_status(c); break;
	case TESSERA__REQUEST__OP__ADD: do_add(c, req->add); break;
	case TESSERA__REQUEST__OP__EDIT: do_edit(c, req->edit); break;
	case TESSERA__REQUEST__OP__DELETE: do_delete(c, req->id); break;
	case TESSERA__REQUEST__OP__SHOW: {
		uint8_t id[TESS_ID_LEN];

		if (resolve_id(c, req->id, id) == 0)
			reply_record(c, id, true);
		break;
	}
	case TESSERA__REQUEST__OP__LIST: do_list(c, req->filter); break;
	case TESSERA__REQUEST__OP__SEARCH: do_search(c, req); break;
	case TESSERA__REQUEST__OP__COMMUNITIES: ctl_communities(c); break;
	case TESSERA__REQUEST__OP__EXPORT: do_export(c, req->filter); break;
	case TESSERA__REQUEST__OP__IMPORT:
		if (req->import == NULL)
			ctl_error(c, TESSERA__REPLY__CODE__INVALID, "missing import request");
		else
			ctl_import(c, req->import);
		break;
	case TESSERA__REQUEST__OP__PEERS: peers_report(ctl_node(c)->peers, c); break;
	case TESSERA__REQUEST__OP__BLOCK: ctl_block(c, req->community, true); break;
	case TESSERA__REQUEST__OP__UNBLOCK: ctl_block(c, req->community, false); break;
	default:
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "unknown request");
		break;
	}
}
