/* Control requests on adoptions: the adoption fields of ADD and EDIT, and
 * LINEAGE, the tree of a practice (store/lineage.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "core/util.h"
#include "ctl/ctl_int.h"
#include "ops/ops.h"
#include "store/lineage.h"
#include "store/lineage_svg.h"
#include "store/publish.h"
#include "store/store.h"

static struct store *
store_of(const struct ctl_client *c)
{
	return ctl_client_env(c)->ops->store;
}

/* Status and dates, checked here for a clear message. */
static int
check_dates(struct ctl_client *c, bool has_status, int status, const char *const dates[2])
{
	static const char *const what[2] = { "start", "end" };

	if (has_status && (status < TESSERA__ADOPTION__STATUS__PLANNED ||
	    status > TESSERA__ADOPTION__STATUS__ENDED)) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID,
		    "adoption status must be planned, running or ended");
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++)
		if (dates[i] != NULL && *dates[i] != '\0' && !record_date_valid(dates[i])) {
			ctl_error(c, TESSERA__REPLY__CODE__INVALID,
			    "%s date '%s' is not a date written YYYY-MM-DD", what[i], dates[i]);
			return -EINVAL;
		}
	return 0;
}

int
ctl_adoption_add(struct ctl_client *c, const Tessera__AddRequest *a, struct publish_fields *f,
    struct ctl_adopt *buf)
{
	const char *dates[2] = { a->started, NULL };
	Tessera__Record *src;
	char *cause = NULL;
	int rc;

	if (a->source == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "an adoption needs the ID of the "
		    "practice it adopts");
		return -EINVAL;
	}
	if (check_dates(c, a->has_status, (int)a->status, dates) != 0 ||
	    ctl_resolve_id(c, a->source, buf->source_id) != 0)
		return -EINVAL;
	if ((rc = publish_load(store_of(c), buf->source_id, &src, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return rc;
	}
	if (src->deleted || (src->kind == TESSERA__KIND__KIND_ADOPTION && src->adoption == NULL)) {
		record_free(src);
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "%s was withdrawn by its community",
		    a->source);
		return -EINVAL;
	}
	memcpy(buf->source_author, src->author.data, TESS_KEY_LEN);
	/* Adopting an adoption is adopting its practice, learned from the
	 * community that adopted it (unless the user says otherwise). */
	if (src->kind == TESSERA__KIND__KIND_ADOPTION) {
		memcpy(buf->via, src->author.data, TESS_KEY_LEN);
		memcpy(buf->source_id, src->adoption->source_id.data, TESS_ID_LEN);
		memcpy(buf->source_author, src->adoption->source_author.data, TESS_KEY_LEN);
		f->via = buf->via;
	}
	record_free(src);
	if (a->via != NULL) {
		struct store_match m;

		if (ctl_resolve_community(c, a->via, &m) != 0)
			return -EINVAL;
		memcpy(buf->via, m.author, TESS_KEY_LEN);
		store_match_free(&m);
		f->via = buf->via;
	}
	f->source_id = buf->source_id;
	f->source_author = buf->source_author;
	f->status = a->has_status ? (int)a->status : TESSERA__ADOPTION__STATUS__PLANNED;
	f->started = a->started;
	return 0;
}

int
ctl_adoption_edit(struct ctl_client *c, const Tessera__EditRequest *e, struct publish_fields *f)
{
	const char *dates[2] = { e->started, e->ended };

	if (check_dates(c, e->has_status, (int)e->status, dates) != 0)
		return -EINVAL;
	f->status = e->has_status ? (int)e->status : 0;
	f->started = e->started;
	f->ended = e->ended;
	f->outcome = e->outcome;
	return 0;
}

/* One node of the reply; strings point into l (freed after sending). */
static void
view_node(const struct lineage_node *n, Tessera__LineageNode *v)
{
	tessera__lineage_node__init(v);
	v->has_id = 1;
	v->id = (ProtobufCBinaryData){ TESS_ID_LEN, (uint8_t *)n->id };
	if (n->has_author) {
		v->has_author = 1;
		v->author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)n->author };
	}
	v->name = n->name;
	v->country = n->country;
	v->title = n->title;
	v->has_kind = n->kind != 0;
	v->kind = (Tessera__Kind)n->kind;
	v->has_state = 1;
	v->state = n->state == LINEAGE_MISSING ? TESSERA__LINEAGE_NODE__STATE__MISSING :
	    n->state == LINEAGE_WITHDRAWN ? TESSERA__LINEAGE_NODE__STATE__WITHDRAWN :
					    TESSERA__LINEAGE_NODE__STATE__PRESENT;
	v->has_status = n->status != 0;
	v->status = (Tessera__Adoption__Status)n->status;
	v->started = n->started[0] ? (char *)n->started : NULL;
	v->ended = n->ended[0] ? (char *)n->ended : NULL;
	if (n->has_via) {
		v->has_via = 1;
		v->via = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)n->via };
		v->via_name = n->via_name;
		v->has_via_absent = 1;
		v->via_absent = n->via_absent;
	}
	v->has_parent = 1;
	v->parent = n->parent == LINEAGE_NONE ? -1 : (int32_t)n->parent;
	v->has_depth = 1;
	v->depth = n->depth;
	v->has_timestamp = n->timestamp != 0;
	v->timestamp = n->timestamp;
}

void
ctl_lineage(struct ctl_client *c, const Tessera__Request *req)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	Tessera__Lineage lv = TESSERA__LINEAGE__INIT;
	Tessera__LineageNode *views = NULL, **ptrs = NULL;
	struct lineage l;
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;
	int rc;

	if (ctl_resolve_id(c, req->id, id) != 0)
		return;
	if ((rc = lineage_build(store_of(c), id, req->lang, &l, &cause)) != 0) {
		lineage_free(&l);
		ctl_fail(c, rc, cause);
		return;
	}
	/* The drawing alone: with the tree beside it, 500 long names and
	 * titles could outgrow a frame. Its text lines are cut at 34 code
	 * points, so 500 boxes stay under 1 KB each. */
	if (req->has_svg && req->svg) {
		size_t len;

		if (lineage_svg(&l, &r.svg, &len) != 0)
			ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		else
			ctl_send(c, &r);
		free(r.svg);
		lineage_free(&l);
		return;
	}
	views = calloc(l.n, sizeof(*views));
	ptrs = calloc(l.n, sizeof(*ptrs));
	if (views == NULL || ptrs == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		goto out;
	}
	/* One frame holds the whole tree: each node has at most three short
	 * strings (title, name, via name) besides its ids and dates. */
	_Static_assert(LINEAGE_MAX_NODES * (3 * TESS_MAX_SHORT + 256) < TESS_MAX_FRAME - 4096,
	    "a lineage reply must fit in one frame");
	for (size_t i = 0; i < l.n; i++) {
		view_node(&l.nodes[i], &views[i]);
		ptrs[i] = &views[i];
	}
	lv.nodes = ptrs;
	lv.n_nodes = l.n;
	lv.has_start = lv.has_depth = lv.has_communities = lv.has_countries = 1;
	lv.start = (uint32_t)l.start;
	lv.depth = l.depth;
	lv.communities = (uint32_t)l.communities;
	lv.countries = (uint32_t)l.countries;
	lv.has_truncated = lv.has_cycle = 1;
	lv.truncated = l.truncated;
	lv.cycle = l.cycle;
	r.lineage = &lv;
	ctl_send(c, &r);
out:
	free(views);
	free(ptrs);
	lineage_free(&l);
}
