/* The page table and the frame around every page. A new page is one row
 * here plus its web_page_NAME.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "web/web_int.h"

const struct web_page web_pages[] = {
	{ "/", false, web_page_search, N_("Search") },
	{ "/record/", false, web_page_record, NULL },
	{ "/communities", false, web_page_communities, N_("Communities") },
	{ "/community/", false, web_page_community, NULL },
	{ "/lineage/", false, web_page_lineage, NULL },
	{ "/attachment/", false, web_page_attachment, NULL },
	{ "/health", false, web_page_health, N_("Health") },
	{ "/peers", true, web_page_peers, N_("Peers") },
};
const size_t web_npages = sizeof(web_pages) / sizeof(web_pages[0]);

void
web_ui_param(struct web_req *r, bool more)
{
	if (!r->ui_chosen)
		return;
	html_raw(&r->out, more ? "&amp;ui=" : "?ui=");
	html_raw(&r->out, i18n_langs[r->ui].tag);
}

void
web_textf(struct web_req *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	html_str(&r->out, buf);
}

void
web_link(struct web_req *r, const char *path, const char *label)
{
	html_raw(&r->out, "<a href=\"");
	html_text(&r->out, path, strlen(path), true);
	web_ui_param(r, strchr(path, '?') != NULL);
	html_raw(&r->out, "\">");
	html_str(&r->out, label);
	html_raw(&r->out, "</a>");
}

void
web_self_href(struct web_req *r, const char *key, const char *value)
{
	const struct web_query *q = r->q;
	bool ui = strcmp(key, "ui") == 0;

	html_qv_path(&r->out, q->path);
	html_raw(&r->out, "?");
	for (size_t i = 0; i < q->n; i++) {
		if (strcmp(q->p[i].key, key) == 0 || (!ui && strcmp(q->p[i].key, "ui") == 0))
			continue;
		html_qv(&r->out, q->p[i].key);
		html_raw(&r->out, "=");
		html_qv(&r->out, q->p[i].value);
		html_raw(&r->out, "&amp;");
	}
	html_qv(&r->out, key);
	html_raw(&r->out, "=");
	html_qv(&r->out, value);
	if (!ui)
		web_ui_param(r, true);
}

/* This page in another interface language. */
static void
switch_link(struct web_req *r, size_t lang)
{
	html_raw(&r->out, "<a hreflang=\"");
	html_raw(&r->out, i18n_langs[lang].tag);
	html_raw(&r->out, "\" href=\"");
	web_self_href(r, "ui", i18n_langs[lang].tag);
	html_raw(&r->out, lang == r->ui ? "\" aria-current=\"true\">" : "\">");
	html_raw(&r->out, i18n_langs[lang].name);
	html_raw(&r->out, "</a>");
}

void
web_frame_open(struct web_req *r, const char *title)
{
	struct html *h = &r->out;

	html_raw(h, "<!DOCTYPE html>\n<html lang=\"");
	html_raw(h, i18n_langs[r->ui].tag);
	html_raw(h, "\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"no-referrer\">"
	    "<link rel=\"stylesheet\" href=\"/style.css\"><title>");
	html_str(h, title);
	html_raw(h, " · Tessera</title></head><body><header><nav class=\"site\">"
	    "<span class=\"brand\">Tessera</span>");
	for (size_t i = 0; i < web_npages; i++) {
		if (web_pages[i].nav == NULL || (web_pages[i].operator_only && r->exposed))
			continue;
		html_raw(h, " ");
		web_link(r, web_pages[i].path, _(web_pages[i].nav));
	}
	html_raw(h, "</nav><nav class=\"langs\" aria-label=\"");
	html_str(h, _("Language"));
	html_raw(h, "\">");
	for (size_t i = 0; i < i18n_nlangs; i++)
		if (i == 0 || r->w->cat[i] != NULL) {
			html_raw(h, " ");
			switch_link(r, i);
		}
	html_raw(h, "</nav></header><main>");
}

void
web_message_page(struct web_req *r, unsigned int status, const char *message)
{
	r->status = status;
	web_frame_open(r, message);
	html_raw(&r->out, "<h1>");
	html_str(&r->out, message);
	html_raw(&r->out, "</h1><p>");
	web_link(r, "/", _("Back to the search"));
	html_raw(&r->out, "</p>");
	web_frame_close(r);
}

void
web_frame_close(struct web_req *r)
{
	html_raw(&r->out, "</main><footer>");
	html_str(&r->out, _("Read-only view of this Tessera node. Nothing here runs a script "
	    "or loads anything from elsewhere."));
	html_raw(&r->out, "</footer></body></html>\n");
}
