/* A practice's lineage: /lineage/ID (32 hex, the practice or any adoption
 * of it). The tree drawn by store/lineage_svg.c (every text in it escaped
 * there), then the same tree as a nested list with links, which a screen
 * reader or a phone reads better than a drawing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "core/util.h"
#include "ops/ops.h"
#include "store/lineage.h"
#include "store/lineage_svg.h"
#include "web/web_int.h"

/* The SVG document without its XML declaration, inline in the page. */
static void
drawing(struct web_req *r, const struct lineage *l)
{
	char *svg = NULL, *p;
	size_t len = 0;

	if (lineage_svg(l, &svg, &len) != 0)
		return;   /* out of memory: the list below still says it all */
	p = strstr(svg, "<svg");
	html_raw(&r->out, "<figure class=\"lineage\">");
	html_raw(&r->out, p != NULL ? p : "");
	html_raw(&r->out, "</figure>");
	free(svg);
}

/* An adoption's status in the interface language. */
static const char *
status_text(struct web_req *r, int status)
{
	static const char *const known[] = { N_("planned"), N_("running"), N_("ended") };
	const char *name = record_status_name(status);

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i]) == 0)
			return _(known[i]);
	return name;
}

static void
node_item(struct web_req *r, const struct lineage *l, size_t k)
{
	const struct lineage_node *n = &l->nodes[k];
	char hex[2 * TESS_ID_LEN + 1], path[16 + sizeof(hex)];

	hex_encode(n->id, TESS_ID_LEN, hex);
	snprintf(path, sizeof(path), "/record/%s", hex);
	html_raw(&r->out, k == l->start ? "<li class=\"asked\"><bdi>" : "<li><bdi>");
	html_str(&r->out, n->name != NULL ? n->name : _("unnamed community"));
	html_raw(&r->out, "</bdi>");
	if (n->country != NULL) {
		html_raw(&r->out, " (");
		html_str(&r->out, n->country);
		html_raw(&r->out, ")");
	}
	html_raw(&r->out, ": ");
	if (n->state == LINEAGE_MISSING) {
		html_str(&r->out, _("not arrived at this node yet"));
	} else {
		html_raw(&r->out, "<span dir=\"auto\">");
		web_link(r, path, n->title != NULL && *n->title ? n->title : _("(untitled)"));
		html_raw(&r->out, "</span>");
		if (n->state == LINEAGE_WITHDRAWN) {
			html_raw(&r->out, " · ");
			html_str(&r->out, _("withdrawn"));
		}
	}
	if (n->kind == TESSERA__KIND__KIND_ADOPTION) {
		html_raw(&r->out, " · ");
		html_str(&r->out, status_text(r, n->status));
		if (n->started[0]) {
			html_raw(&r->out, " · ");
			html_str(&r->out, n->started);
		}
		if (n->ended[0]) {
			html_raw(&r->out, " – ");
			html_str(&r->out, n->ended);
		}
	}
}

/* Nodes come parents first, children in order: a node's children are the
 * later nodes whose parent it is. Depth is bounded (LINEAGE_MAX_DEPTH), and
 * so is this recursion. */
static void
subtree(struct web_req *r, const struct lineage *l, size_t k)
{
	bool open = false;

	node_item(r, l, k);
	for (size_t c = k + 1; c < l->n; c++) {
		if (l->nodes[c].parent != k)
			continue;
		if (!open)
			html_raw(&r->out, "<ul>");
		open = true;
		subtree(r, l, c);
	}
	if (open)
		html_raw(&r->out, "</ul>");
	html_raw(&r->out, "</li>");
}

int
web_page_lineage(struct web_req *r, const char *arg)
{
	struct lineage l = { 0 };
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL, line[160];
	int rc = -ENOENT;

	if (strlen(arg) == 2 * TESS_ID_LEN && hex_decode(arg, id, TESS_ID_LEN) == 0)
		rc = lineage_build(r->w->env->store, id, i18n_langs[r->ui].tag, &l, &cause);
	free(cause);
	if (rc == -ENOENT || (rc == 0 && l.n == 0)) {
		lineage_free(&l);
		web_message_page(r, 404, _("This node holds no such record."));
		return 0;
	}
	if (rc != 0) {
		lineage_free(&l);
		return rc;
	}
	web_frame_open(r, _("Lineage"));
	html_raw(&r->out, "<h1>");
	html_str(&r->out, _("Where this practice came from and where it went"));
	html_raw(&r->out, "</h1><p>");
	snprintf(line, sizeof(line), _("%zu communities in %zu countries, depth %u"),
	    l.communities, l.countries, l.depth);
	html_str(&r->out, line);
	if (l.truncated || l.cycle) {
		html_raw(&r->out, " · ");
		html_str(&r->out, l.truncated ? _("larger than shown") :
		    _("its sources loop; cut at the first repeat"));
	}
	html_raw(&r->out, "</p>");
	drawing(r, &l);
	html_raw(&r->out, "<ul class=\"lineage-tree\">");
	for (size_t k = 0; k < l.n; k++)
		if (l.nodes[k].parent == LINEAGE_NONE || l.nodes[k].parent >= l.n)
			subtree(r, &l, k);
	html_raw(&r->out, "</ul>");
	web_frame_close(r);
	lineage_free(&l);
	return 0;
}
