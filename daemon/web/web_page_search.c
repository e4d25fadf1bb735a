/* The search page: the CLI's multilingual search (store/search.h) with
 * filters, or the newest records when no words are given; paged, bounded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "ops/ops.h"
#include "store/search.h"
#include "store/store.h"
#include "web/web_int.h"

/* The filters as given, each bounded (longer: 400). */
struct search_args {
	const char *q, *kind, *community, *lang, *tag;
	unsigned int page;             /* 1-based */
};

static const char *
arg(const struct web_req *r, const char *key)
{
	const char *v = web_query_get(r->q, key);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Returns false when a value is too long. */
static bool
read_args(const struct web_req *r, struct search_args *a)
{
	const char *all[5];

	a->q = arg(r, "q");
	a->kind = arg(r, "kind");
	a->community = arg(r, "community");
	a->lang = arg(r, "lang");
	a->tag = arg(r, "tag");
	all[0] = a->q, all[1] = a->kind, all[2] = a->community, all[3] = a->lang, all[4] = a->tag;
	for (size_t i = 0; i < 5; i++)
		if (all[i] != NULL && strlen(all[i]) > WEB_MAX_QUERY)
			return false;
	a->page = web_page_number(r);
	return true;
}

static void
input(struct web_req *r, const char *name, const char *label, const char *value,
    const char *size)
{
	html_raw(&r->out, "<label>");
	html_str(&r->out, label);
	html_raw(&r->out, " <input name=\"");
	html_raw(&r->out, name);
	html_raw(&r->out, "\" size=\"");
	html_raw(&r->out, size);
	html_raw(&r->out, "\" maxlength=\"256\" value=\"");
	if (value != NULL)
		html_text(&r->out, value, strlen(value), true);
	html_raw(&r->out, "\"></label> ");
}

static void
form(struct web_req *r, const struct search_args *a)
{
	static const char *kinds[] = { "initiative", "resource", "adoption", "profile" };
	int kind = a->kind ? record_kind_parse(a->kind) : 0;

	html_raw(&r->out, "<form class=\"search\" method=\"get\" action=\"/\" role=\"search\">"
	    "<input type=\"search\" name=\"q\" maxlength=\"256\" aria-label=\"");
	html_str(&r->out, _("Words to search for"));
	html_raw(&r->out, "\" placeholder=\"");
	html_text(&r->out, _("Words to search for"), strlen(_("Words to search for")), true);
	html_raw(&r->out, "\" value=\"");
	if (a->q != NULL)
		html_text(&r->out, a->q, strlen(a->q), true);
	html_raw(&r->out, "\"> <button type=\"submit\">");
	html_str(&r->out, _("Search"));
	html_raw(&r->out, "</button><fieldset><legend>");
	html_str(&r->out, _("Filters"));
	html_raw(&r->out, "</legend><label>");
	html_str(&r->out, _("Kind"));
	html_raw(&r->out, " <select name=\"kind\"><option value=\"\">");
	html_str(&r->out, _("any"));
	html_raw(&r->out, "</option>");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int k = record_kind_parse(kinds[i]);

		html_raw(&r->out, "<option value=\"");
		html_raw(&r->out, kinds[i]);
		html_raw(&r->out, k == kind ? "\" selected>" : "\">");
		html_str(&r->out, web_kind_name(r, k));
		html_raw(&r->out, "</option>");
	}
	html_raw(&r->out, "</select></label> ");
	input(r, "community", _("Community"), a->community, "16");
	input(r, "lang", _("Language of the record"), a->lang, "4");
	input(r, "tag", _("Tag"), a->tag, "12");
	if (r->ui_chosen) {
		html_raw(&r->out, "<input type=\"hidden\" name=\"ui\" value=\"");
		html_raw(&r->out, i18n_langs[r->ui].tag);
		html_raw(&r->out, "\">");
	}
	html_raw(&r->out, "</fieldset></form>");
}

static void
notice(struct web_req *r, const char *text, const char *detail)
{
	html_raw(&r->out, "<p class=\"notice\">");
	html_str(&r->out, text);
	if (detail != NULL) {
		html_raw(&r->out, " <q>");
		html_str(&r->out, detail);
		html_raw(&r->out, "</q>");
	}
	html_raw(&r->out, "</p>");
}

/* The filter from the arguments; false (with a notice) when the community
 * or kind given is unknown. */
static bool
make_filter(struct web_req *r, const struct search_args *a, struct search_filter *f)
{
	struct store_match m;
	int rc;

	memset(f, 0, sizeof(*f));
	if (a->kind != NULL && (f->kind = record_kind_parse(a->kind)) <= 0) {
		notice(r, _("There is no such kind of record:"), a->kind);
		return false;
	}
	if (a->community != NULL) {
		rc = store_resolve_author(r->w->env->store, a->community, &m);
		if (rc == 0) {
			f->has_author = true;
			memcpy(f->author, m.author, TESS_KEY_LEN);
		}
		store_match_free(&m);
		if (rc == -EEXIST) {
			notice(r, _("More than one community matches:"), a->community);
			return false;
		}
		if (rc != 0) {
			notice(r, _("No community matches:"), a->community);
			return false;
		}
	}
	f->lang = a->lang;
	f->tag = a->tag;
	/* One more than the page shows, to know whether a next page exists. */
	f->limit = a->page * WEB_PAGE_SIZE + 1;
	return true;
}

/* Items [first, first + WEB_PAGE_SIZE) of n, from hits or from seqs. */
static void
results(struct web_req *r, const struct search_args *a, const struct search_hit *hits,
    const uint64_t *seqs, size_t n)
{
	size_t first = (size_t)(a->page - 1) * WEB_PAGE_SIZE, shown = 0;

	if (n <= first) {
		notice(r, a->page > 1 ? _("No more results.") : _("Nothing found."), NULL);
		return;
	}
	html_rawf(&r->out, "<ol class=\"results\" start=\"%zu\">", first + 1);
	for (size_t i = first; i < n && shown < WEB_PAGE_SIZE; i++) {
		Tessera__Record *rec;

		if (web_record_at(r, hits ? hits[i].seq : seqs[i], &rec) != 0)
			continue;
		web_record_item(r, rec, hits ? hits[i].lang : NULL, hits ? hits[i].snippet : NULL);
		record_free(rec);
		shown++;
	}
	html_raw(&r->out, "</ol>");
	web_pager(r, a->page, n > first + WEB_PAGE_SIZE);
}

int
web_page_search(struct web_req *r, const char *unused)
{
	struct search_hit *hits = NULL;
	struct search_filter f;
	struct search_args a;
	uint64_t *seqs = NULL;
	char *cause = NULL;
	size_t n = 0;
	int rc = 0;

	if (!read_args(r, &a)) {
		r->status = 400;
		memset(&a, 0, sizeof(a));
		a.page = 1;
	}
	web_frame_open(r, _("Search"));
	html_raw(&r->out, "<h1>");
	html_str(&r->out, _("Search what the network holds"));
	html_raw(&r->out, "</h1>");
	form(r, &a);
	if (r->status == 400) {
		notice(r, _("The search text is too long."), NULL);
	} else if (make_filter(r, &a, &f)) {
		html_raw(&r->out, "<h2>");
		html_str(&r->out, a.q ? _("Results") : _("Newest records"));
		html_raw(&r->out, "</h2>");
		if (a.q != NULL)
			rc = search_query(r->w->env->store, a.q, &f, &hits, &n, &cause);
		else
			rc = search_list(r->w->env->store, &f, &seqs, &n);
		if (rc == -EINVAL) {
			notice(r, _("This search cannot be run:"), cause);
			rc = 0;
		} else if (rc == 0) {
			results(r, &a, hits, seqs, n);
			if (a.q != NULL && store_index_pending(r->w->env->store))
				notice(r, _("Some records arrived moments ago and are still being "
				    "indexed: they may be missing from these results."), NULL);
		}
	}
	web_frame_close(r);
	if (hits != NULL)
		search_hits_free(hits, n);
	free(seqs);
	free(cause);
	return rc;
}
