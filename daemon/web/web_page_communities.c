/* The communities this node knows: their profiles, and what each
 * published. /communities lists them, /community/ID shows one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "core/util.h"
#include "ops/ops.h"
#include "store/search.h"
#include "store/store.h"
#include "web/web_int.h"

/* Communities listed per page. */
#define WEB_COMMUNITIES_PAGE 100

static void
community_path(const uint8_t key[TESS_KEY_LEN], char out[16 + 2 * TESS_KEY_LEN + 1])
{
	char hex[2 * TESS_KEY_LEN + 1];

	hex_encode(key, TESS_KEY_LEN, hex);
	snprintf(out, 16 + 2 * TESS_KEY_LEN + 1, "/community/%s", hex);
}

static void
community_item(struct web_req *r, const struct store_author *a, size_t n,
    const struct store_author *all)
{
	char path[16 + 2 * TESS_KEY_LEN + 1];

	community_path(a->author, path);
	html_raw(&r->out, "<li><h3><bdi>");
	web_link(r, path, a->name != NULL ? a->name : _("unnamed community"));
	html_raw(&r->out, "</bdi></h3><p class=\"meta\">");
	if (a->country != NULL) {
		html_str(&r->out, a->country);
		html_raw(&r->out, " · ");
	}
	if (a->languages != NULL) {
		html_str(&r->out, a->languages);
		html_raw(&r->out, " · ");
	}
	html_rawf(&r->out, "%llu ", (unsigned long long)a->records);
	html_str(&r->out, _("records"));
	html_raw(&r->out, "</p>");
	if (a->alike != NAMES_NONE && a->alike < n) {
		/* Two communities whose names look the same: say so, as status does. */
		html_raw(&r->out, "<p class=\"warn\">");
		html_str(&r->out, _("Its name looks like that of another community:"));
		html_raw(&r->out, " <bdi>");
		html_str(&r->out, all[a->alike].name);
		html_raw(&r->out, "</bdi></p>");
	}
	html_raw(&r->out, "</li>");
}

int
web_page_communities(struct web_req *r, const char *unused)
{
	unsigned int page = web_page_number(r);
	size_t first = (size_t)(page - 1) * WEB_COMMUNITIES_PAGE, n = 0, shown = 0;
	struct store_author *a = NULL;
	int rc;

	if ((rc = store_authors(r->w->env->store, &a, &n)) != 0)
		return rc;
	web_frame_open(r, _("Communities"));
	html_raw(&r->out, "<h1>");
	html_str(&r->out, _("Communities"));
	html_raw(&r->out, "</h1><ul class=\"communities\">");
	for (size_t i = 0, seen = 0; i < n && shown < WEB_COMMUNITIES_PAGE; i++) {
		if (a[i].blocked || seen++ < first)
			continue;
		community_item(r, &a[i], n, a);
		shown++;
	}
	html_raw(&r->out, "</ul>");
	if (shown == 0) {
		html_raw(&r->out, "<p class=\"notice\">");
		html_str(&r->out, _("This node knows no community yet."));
		html_raw(&r->out, "</p>");
	}
	web_pager(r, page, n > first + WEB_COMMUNITIES_PAGE);
	web_frame_close(r);
	store_authors_free(a, n);
	return 0;
}

/* The newest record of kind by author (profile), NULL if none. */
static Tessera__Record *
newest(struct web_req *r, const uint8_t author[TESS_KEY_LEN], int kind)
{
	struct search_filter f = { .kind = kind, .has_author = true, .limit = 1 };
	Tessera__Record *rec = NULL;
	uint64_t *seqs = NULL;
	size_t n = 0;

	memcpy(f.author, author, TESS_KEY_LEN);
	if (search_list(r->w->env->store, &f, &seqs, &n) == 0 && n > 0)
		web_record_at(r, seqs[0], &rec);
	free(seqs);
	return rec;
}

static void
profile_part(struct web_req *r, const Tessera__Record *p)
{
	const Tessera__Text *t = record_text(p, r->q ? web_query_get(r->q, "text") : NULL);

	if (p->profile != NULL) {
		html_raw(&r->out, "<p class=\"meta\">");
		html_str(&r->out, p->profile->country);
		for (size_t i = 0; i < p->profile->n_languages; i++) {
			html_raw(&r->out, i ? ", " : " · ");
			html_str(&r->out, p->profile->languages[i]);
		}
		html_raw(&r->out, "</p>");
	}
	if (t != NULL && t->summary != NULL && *t->summary) {
		html_raw(&r->out, "<p class=\"summary\" dir=\"auto\">");
		html_str(&r->out, t->summary);
		html_raw(&r->out, "</p>");
	}
	if (t != NULL && t->body != NULL && *t->body) {
		html_raw(&r->out, "<div class=\"body\" dir=\"auto\">");
		html_str(&r->out, t->body);
		html_raw(&r->out, "</div>");
	}
}

static int
published(struct web_req *r, const uint8_t author[TESS_KEY_LEN])
{
	unsigned int page = web_page_number(r);
	struct search_filter f = { .has_author = true, .limit = page * WEB_PAGE_SIZE + 1 };
	size_t first = (size_t)(page - 1) * WEB_PAGE_SIZE, n = 0, shown = 0;
	uint64_t *seqs = NULL;
	int rc;

	memcpy(f.author, author, TESS_KEY_LEN);
	if ((rc = search_list(r->w->env->store, &f, &seqs, &n)) != 0)
		return rc;
	html_raw(&r->out, "<h2>");
	html_str(&r->out, _("What it published"));
	html_rawf(&r->out, "</h2><ol class=\"results\" start=\"%zu\">", first + 1);
	for (size_t i = first; i < n && shown < WEB_PAGE_SIZE; i++) {
		Tessera__Record *rec;

		if (web_record_at(r, seqs[i], &rec) != 0)
			continue;
		if (rec->kind != TESSERA__KIND__KIND_PROFILE) {
			web_record_item(r, rec, NULL, NULL);
			shown++;
		}
		record_free(rec);
	}
	html_raw(&r->out, "</ol>");
	web_pager(r, page, n > first + WEB_PAGE_SIZE);
	free(seqs);
	return 0;
}

int
web_page_community(struct web_req *r, const char *arg)
{
	uint8_t key[TESS_KEY_LEN];
	char id[NODEID_STRLEN + 1], *name = NULL;
	Tessera__Record *p = NULL;
	int rc;

	if (strlen(arg) != 2 * TESS_KEY_LEN || hex_decode(arg, key, TESS_KEY_LEN) != 0 ||
	    ((name = store_author_name(r->w->env->store, key)) == NULL &&
	    (p = newest(r, key, 0)) == NULL)) {
		web_message_page(r, 404, _("This node knows no such community."));
		return 0;
	}
	if (name == NULL)
		record_free(p);
	nodeid_encode(key, id);
	web_frame_open(r, name != NULL ? name : _("unnamed community"));
	html_raw(&r->out, "<h1><bdi>");
	html_str(&r->out, name != NULL ? name : _("unnamed community"));
	html_raw(&r->out, "</bdi></h1><p class=\"nodeid\"><code>");
	html_str(&r->out, id);
	html_raw(&r->out, "</code></p>");
	if ((p = newest(r, key, TESSERA__KIND__KIND_PROFILE)) != NULL) {
		profile_part(r, p);
		record_free(p);
	}
	rc = published(r, key);
	web_frame_close(r);
	free(name);
	return rc;
}
