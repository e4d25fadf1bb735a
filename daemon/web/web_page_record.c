/* A record's page: every language version (the chosen one first, a switch
 * between them), its tags, attachments and links. /record/ID (32 hex). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/record.h"
#include "core/util.h"
#include "ops/ops.h"
#include "store/store.h"
#include "web/web_int.h"

/* The index of the text in the language ?text= asks for, else 0. */
static size_t
chosen_text(const struct web_req *r, const Tessera__Record *rec)
{
	const char *want = web_query_get(r->q, "text");

	for (size_t i = 0; want != NULL && i < rec->n_texts; i++)
		if (rec->texts[i]->lang != NULL && strcmp(rec->texts[i]->lang, want) == 0)
			return i;
	return 0;
}

static void
lang_attr(struct web_req *r, const Tessera__Text *t)
{
	if (t->lang == NULL || *t->lang == '\0')
		return;
	html_raw(&r->out, " lang=\"");
	html_text(&r->out, t->lang, strlen(t->lang), true);
	html_raw(&r->out, "\"");
}

static void
lang_switch(struct web_req *r, const Tessera__Record *rec, size_t chosen)
{
	if (rec->n_texts < 2)
		return;
	html_raw(&r->out, "<nav class=\"textlangs\" aria-label=\"");
	html_str(&r->out, _("Language versions"));
	html_raw(&r->out, "\">");
	for (size_t i = 0; i < rec->n_texts; i++) {
		const char *lang = rec->texts[i]->lang ? rec->texts[i]->lang : "";

		html_raw(&r->out, "<a href=\"");
		web_self_href(r, "text", lang);
		html_raw(&r->out, i == chosen ? "\" aria-current=\"true\"" : "\"");
		lang_attr(r, rec->texts[i]);
		html_raw(&r->out, ">");
		html_str(&r->out, *lang ? lang : "?");
		html_raw(&r->out, "</a> ");
	}
	html_raw(&r->out, "</nav>");
}

static void
text_version(struct web_req *r, const Tessera__Text *t, bool chosen)
{
	html_raw(&r->out, chosen ? "<article class=\"text chosen\" dir=\"auto\"" :
	    "<article class=\"text\" dir=\"auto\"");
	lang_attr(r, t);
	html_raw(&r->out, "><h2>");
	html_str(&r->out, t->title && *t->title ? t->title : _("(untitled)"));
	html_raw(&r->out, "</h2>");
	if (t->summary != NULL && *t->summary) {
		html_raw(&r->out, "<p class=\"summary\">");
		html_str(&r->out, t->summary);
		html_raw(&r->out, "</p>");
	}
	if (t->body != NULL && *t->body) {
		html_raw(&r->out, "<div class=\"body\">");
		html_str(&r->out, t->body);
		html_raw(&r->out, "</div>");
	}
	html_raw(&r->out, "</article>");
}

static void
meta(struct web_req *r, const Tessera__Record *rec)
{
	char hex[2 * TESS_KEY_LEN + 1], path[16 + sizeof(hex)];
	char *name = store_author_name(r->w->env->store, rec->author.data);

	hex_encode(rec->author.data, TESS_KEY_LEN, hex);
	snprintf(path, sizeof(path), "/community/%s", hex);
	html_raw(&r->out, "<p class=\"meta\">");
	html_str(&r->out, web_kind_name(r, rec->kind));
	html_raw(&r->out, " · <bdi>");
	web_link(r, path, name != NULL ? name : _("unnamed community"));
	html_raw(&r->out, "</bdi> · ");
	web_date(r, rec->timestamp);
	html_raw(&r->out, "</p>");
	free(name);
}

static void
tags(struct web_req *r, const Tessera__Record *rec)
{
	if (rec->n_tags == 0)
		return;
	html_raw(&r->out, "<p class=\"tags\">");
	html_str(&r->out, _("Tags:"));
	for (size_t i = 0; i < rec->n_tags; i++) {
		html_raw(&r->out, " <a class=\"tag\" href=\"/?tag=");
		html_qv(&r->out, rec->tags[i]);
		web_ui_param(r, true);
		html_raw(&r->out, "\">");
		html_str(&r->out, rec->tags[i]);
		html_raw(&r->out, "</a>");
	}
	html_raw(&r->out, "</p>");
}

static void
links(struct web_req *r, const Tessera__Record *rec)
{
	if (rec->n_links == 0)
		return;
	html_raw(&r->out, "<section class=\"links\"><h2>");
	html_str(&r->out, _("Links"));
	html_raw(&r->out, "</h2><ul>");
	for (size_t i = 0; i < rec->n_links; i++) {
		html_raw(&r->out, "<li dir=\"auto\">");
		html_link(&r->out, rec->links[i]->url, rec->links[i]->title);
		html_raw(&r->out, "</li>");
	}
	html_raw(&r->out, "</ul></section>");
}

static void
profile(struct web_req *r, const Tessera__Record *rec)
{
	const Tessera__Profile *p = rec->profile;

	if (p == NULL)
		return;
	html_raw(&r->out, "<dl class=\"profile\"><dt>");
	html_str(&r->out, _("Name"));
	html_raw(&r->out, "</dt><dd><bdi>");
	html_str(&r->out, p->name);
	html_raw(&r->out, "</bdi></dd><dt>");
	html_str(&r->out, _("Country"));
	html_raw(&r->out, "</dt><dd>");
	html_str(&r->out, p->country);
	html_raw(&r->out, "</dd><dt>");
	html_str(&r->out, _("Languages"));
	html_raw(&r->out, "</dt><dd>");
	for (size_t i = 0; i < p->n_languages; i++) {
		html_raw(&r->out, i ? ", " : "");
		html_str(&r->out, p->languages[i]);
	}
	html_raw(&r->out, "</dd></dl>");
}

/* Practices and adoptions link to their lineage page. */
static void
lineage_link(struct web_req *r, const Tessera__Record *rec)
{
	char hex[2 * TESS_ID_LEN + 1], path[16 + sizeof(hex)];

	if (rec->kind != TESSERA__KIND__KIND_INITIATIVE && rec->kind != TESSERA__KIND__KIND_RESOURCE &&
	    rec->kind != TESSERA__KIND__KIND_ADOPTION)
		return;
	hex_encode(rec->id.data, TESS_ID_LEN, hex);
	snprintf(path, sizeof(path), "/lineage/%s", hex);
	html_raw(&r->out, "<p class=\"lineage-link\">");
	web_link(r, path, _("Where this practice came from and where it went"));
	html_raw(&r->out, "</p>");
}

static void
show(struct web_req *r, const Tessera__Record *rec)
{
	size_t chosen = chosen_text(r, rec);
	const Tessera__Text *t = rec->n_texts ? rec->texts[chosen] : NULL;

	web_frame_open(r, t && t->title && *t->title ? t->title : _("Record"));
	html_raw(&r->out, "<h1 dir=\"auto\"");
	if (t != NULL)
		lang_attr(r, t);
	html_raw(&r->out, ">");
	html_str(&r->out, t && t->title && *t->title ? t->title : _("(untitled)"));
	html_raw(&r->out, "</h1>");
	meta(r, rec);
	if (rec->deleted) {
		html_raw(&r->out, "<p class=\"notice\">");
		html_str(&r->out, _("Its community has withdrawn this record."));
		html_raw(&r->out, "</p>");
		return;
	}
	lang_switch(r, rec, chosen);
	profile(r, rec);
	if (t != NULL)
		text_version(r, t, true);
	for (size_t i = 0; i < rec->n_texts; i++)
		if (i != chosen)
			text_version(r, rec->texts[i], false);
	tags(r, rec);
	lineage_link(r, rec);
	web_attachments(r, rec);
	links(r, rec);
}

int
web_page_record(struct web_req *r, const char *arg)
{
	Tessera__Record *rec = NULL;
	int rc = web_record_get(r, arg, &rec);

	if (rc == -ENOENT) {
		web_message_page(r, 404, _("This node holds no such record."));
		return 0;
	}
	if (rc != 0)
		return rc;
	show(r, rec);
	web_frame_close(r);
	record_free(rec);
	return 0;
}
