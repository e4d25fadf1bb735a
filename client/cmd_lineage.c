/* tessera lineage: the spread of a practice as a tree, as JSON or as a
 * Graphviz graph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "core/util.h"
#include "opts.h"
#include "out.h"

enum { OPT_DOT = 0x200, OPT_LANG, OPT_SVG };

static const struct option lineage_opts[] = {
	{ "dot", no_argument, NULL, OPT_DOT },
	{ "svg", no_argument, NULL, OPT_SVG },
	{ "lang", required_argument, NULL, OPT_LANG },
	OPTS_COMMON
};

struct lineage_ctx {
	struct cli *cli;
	int dot, svg;
};

static const char *
state_name(int state)
{
	return state == TESSERA__LINEAGE_NODE__STATE__MISSING ? "missing" :
	    state == TESSERA__LINEAGE_NODE__STATE__WITHDRAWN ? "withdrawn" : "present";
}

/* The parent index of node k, or -1 (checked against the node count). */
static int32_t
parent_of(const Tessera__Lineage *l, size_t k)
{
	const Tessera__LineageNode *n = l->nodes[k];

	return n->has_parent && n->parent >= 0 && (size_t)n->parent < l->n_nodes &&
		(size_t)n->parent != k ? n->parent : -1;
}

static void
id_short(const ProtobufCBinaryData *id, char buf[OUT_ID_WIDTH + 1])
{
	char hex[2 * TESS_ID_LEN + 1] = "";

	if (id->len == TESS_ID_LEN)
		hex_encode(id->data, TESS_ID_LEN, hex);
	memcpy(buf, hex, OUT_ID_WIDTH);
	buf[OUT_ID_WIDTH] = '\0';
}

/* "Évora (PT)", or the short node ID when the community is unknown. */
static void
print_community(FILE *f, const Tessera__LineageNode *n)
{
	char id[NODEID_STRLEN + 1] = "unknown community";

	if (n->name != NULL) {
		out_plain(f, n->name);
	} else {
		if (n->author.len == TESS_KEY_LEN)
			nodeid_encode(n->author.data, id);
		fprintf(f, "%.7s", id);
	}
	if (n->country != NULL && *n->country != '\0') {
		fputs(" (", f);
		out_plain(f, n->country);
		fputc(')', f);
	}
}

static void
print_node(const Tessera__Lineage *l, size_t k)
{
	const Tessera__LineageNode *n = l->nodes[k];
	char id[OUT_ID_WIDTH + 1];

	id_short(&n->id, id);
	print_community(stdout, n);
	printf("  %s", id);
	if (n->kind == TESSERA__KIND__KIND_ADOPTION) {
		printf("  %s", n->has_status ? record_status_name((int)n->status) : "-");
		if (n->started != NULL)
			printf(", started %s", n->started);
		if (n->ended != NULL)
			printf(", ended %s", n->ended);
	} else if (n->has_kind) {
		printf("  %s", record_kind_name((int)n->kind));
	}
	if (n->title != NULL) {
		fputs("  \"", stdout);
		out_plain(stdout, n->title);
		fputc('"', stdout);
	}
	if (n->state == TESSERA__LINEAGE_NODE__STATE__MISSING)
		fputs("  (not arrived yet)", stdout);
	else if (n->state == TESSERA__LINEAGE_NODE__STATE__WITHDRAWN)
		fputs("  (withdrawn)", stdout);
	if (n->via_absent) {
		fputs("  via ", stdout);
		if (n->via_name != NULL)
			out_plain(stdout, n->via_name);
		else
			fputs("a community not in the tree", stdout);
	}
	if (l->has_start && l->start == k)
		fputs("  <- asked", stdout);
	fputc('\n', stdout);
}

/* True when no later node shares k's parent. */
static int
last_child(const Tessera__Lineage *l, size_t k)
{
	for (size_t j = k + 1; j < l->n_nodes; j++)
		if (parent_of(l, j) == parent_of(l, k))
			return 0;
	return 1;
}

static int
print_tree(const Tessera__Lineage *l)
{
	size_t chain[512], max = sizeof(chain) / sizeof(chain[0]);   /* 500 records at most */

	printf("origin  ");
	print_node(l, 0);
	for (size_t k = 1; k < l->n_nodes; k++) {
		size_t d = 0;

		/* The ancestors below the origin, deepest first (the daemon
		 * sends a tree, parents first; a bad reply is cut, not followed). */
		for (int32_t p = parent_of(l, k); p > 0 && d < max; p = parent_of(l, (size_t)p))
			chain[d++] = (size_t)p;
		fputs("  ", stdout);
		while (d-- > 0)
			fputs(last_child(l, chain[d]) ? "   " : "\u2502  ", stdout);
		fputs(last_child(l, k) ? "\u2514\u2500 " : "\u251c\u2500 ", stdout);
		print_node(l, k);
	}
	printf("\n%u communit%s in %u countr%s, depth %u\n", l->communities,
	    l->communities == 1 ? "y" : "ies", l->countries, l->countries == 1 ? "y" : "ies",
	    l->depth);
	if (l->cycle)
		puts("note: adoptions name each other as sources in a loop; cut at the origin shown");
	if (l->truncated)
		puts("note: the tree is larger than shown (bounded)");
	return CLI_OK;
}

/* A Graphviz quoted string: quotes and backslashes escaped, control
 * characters dropped, so no text can end the string or add attributes. */
static void
dot_text(FILE *f, const char *s)
{
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fputc('\\', f);
		if (ch >= 0x20 && ch != 0x7f)
			fputc(ch, f);
	}
}

static int
print_dot(const Tessera__Lineage *l)
{
	puts("digraph lineage {\n  rankdir=LR;\n  node [shape=box];");
	for (size_t k = 0; k < l->n_nodes; k++) {
		const Tessera__LineageNode *n = l->nodes[k];
		char id[OUT_ID_WIDTH + 1], node[NODEID_STRLEN + 1] = "";
		int32_t p = parent_of(l, k);

		id_short(&n->id, id);
		if (n->name == NULL && n->author.len == TESS_KEY_LEN)
			nodeid_encode(n->author.data, node);
		printf("  n%zu [label=\"", k);
		dot_text(stdout, n->name != NULL ? n->name : node);
		if (n->country != NULL && *n->country) {
			fputs(" (", stdout);
			dot_text(stdout, n->country);
			fputc(')', stdout);
		}
		fputs("\\n", stdout);
		dot_text(stdout, n->title);
		printf("\\n%s", id);
		if (n->kind == TESSERA__KIND__KIND_ADOPTION && n->has_status)
			printf(" %s", record_status_name((int)n->status));
		if (n->started != NULL) {
			fputc(' ', stdout);
			dot_text(stdout, n->started);
		}
		printf("\"%s];\n", n->state == TESSERA__LINEAGE_NODE__STATE__MISSING ?
		    ", style=dashed, xlabel=\"not arrived yet\"" :
		    n->state == TESSERA__LINEAGE_NODE__STATE__WITHDRAWN ?
		    ", style=dotted, xlabel=\"withdrawn\"" : "");
		if (p >= 0)
			printf("  n%d -> n%zu;\n", p, k);
	}
	puts("}");
	return CLI_OK;
}

static json_t *
json_node(const Tessera__Lineage *l, size_t k)
{
	const Tessera__LineageNode *n = l->nodes[k];
	char hex[2 * TESS_ID_LEN + 1] = "";
	json_t *o = json_object();
	int32_t p = parent_of(l, k);

	if (n->id.len == TESS_ID_LEN)
		hex_encode(n->id.data, TESS_ID_LEN, hex);
	json_object_set_new(o, "id", json_string(hex));
	json_object_set_new(o, "kind", n->has_kind ? json_string(record_kind_name((int)n->kind)) :
							json_null());
	json_object_set_new(o, "state", json_string(state_name(n->state)));
	json_object_set_new(o, "community", cli_json_nodeid(&n->author));
	json_object_set_new(o, "community_name", cli_json_str(n->name));
	json_object_set_new(o, "country", cli_json_str(n->country));
	json_object_set_new(o, "title", cli_json_str(n->title));
	json_object_set_new(o, "status", n->has_status ?
	    json_string(record_status_name((int)n->status)) : json_null());
	json_object_set_new(o, "started", cli_json_str(n->started));
	json_object_set_new(o, "ended", cli_json_str(n->ended));
	json_object_set_new(o, "via", cli_json_nodeid(&n->via));
	json_object_set_new(o, "via_name", cli_json_str(n->via_name));
	json_object_set_new(o, "via_absent", json_boolean(n->via_absent));
	json_object_set_new(o, "parent", p >= 0 ? json_integer(p) : json_null());
	json_object_set_new(o, "depth", json_integer(n->depth));
	json_object_set_new(o, "updated", cli_json_time(n->timestamp));
	return o;
}

static int
print_json(const Tessera__Lineage *l)
{
	json_t *doc = json_object(), *nodes = json_array();

	for (size_t k = 0; k < l->n_nodes; k++)
		json_array_append_new(nodes, json_node(l, k));
	json_object_set_new(doc, "start", json_integer(l->start));
	json_object_set_new(doc, "depth", json_integer(l->depth));
	json_object_set_new(doc, "communities", json_integer(l->communities));
	json_object_set_new(doc, "countries", json_integer(l->countries));
	json_object_set_new(doc, "truncated", json_boolean(l->truncated));
	json_object_set_new(doc, "cycle", json_boolean(l->cycle));
	json_object_set_new(doc, "nodes", nodes);
	return cli_print_json(doc);
}

static int
lineage_reply(void *arg, const Tessera__Reply *r)
{
	struct lineage_ctx *x = arg;
	const Tessera__Lineage *l = r->lineage;

	/* The daemon's drawing, as the web view shows it; escaped there. */
	if (x->svg) {
		if (r->svg == NULL)
			return cli_fail(CLI_EDAEMON, "daemon reply carries no SVG");
		fputs(r->svg, stdout);
		return CLI_OK;
	}
	if (l == NULL || l->n_nodes == 0)
		return cli_fail(CLI_EDAEMON, "daemon reply carries no lineage");
	if (x->cli->json)
		return print_json(l);
	return x->dot ? print_dot(l) : print_tree(l);
}

int
cmd_lineage(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera lineage ID [--lang LANG] [--dot | --svg | --json]\n"
	    "\n"
	    "Shows the spread of the practice record ID belongs to (ID may be the\n"
	    "practice or any adoption of it, as a unique prefix): its origin\n"
	    "community, then each adoption under the community it was learned\n"
	    "from, with status, dates and country; then how many communities and\n"
	    "countries took it up and how deep the tree goes. A source that has\n"
	    "not arrived at this node shows as \"not arrived yet\", one its\n"
	    "community deleted as \"withdrawn\". --lang picks the titles'\n"
	    "language; --dot prints a Graphviz graph (tessera lineage ID --dot |\n"
	    "dot -Tsvg > lineage.svg); --svg the tree drawn as SVG by the daemon.\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct lineage_ctx x = { c, 0, 0 };
	struct opts o;
	int ch;

	opts_init(&o, c, "lineage", help);
	while ((ch = opts_next(&o, argc, argv, "", lineage_opts)) != -1) {
		if (ch == OPTS_STOP)
			return o.rc;
		if (ch == OPT_DOT)
			x.dot = 1;
		else if (ch == OPT_SVG)
			x.svg = 1;
		else if (ch == OPT_LANG)
			req.lang = optarg;
		else
			return cli_usage("lineage", "unexpected option");
	}
	if (opts_args(&o, argc, argv, "ID") != 0 || opts_id(&o, argv[optind]) != 0)
		return CLI_EUSAGE;
	if (x.dot + x.svg + (c->json != 0) > 1)
		return cli_usage("lineage", "--dot, --svg and --json exclude each other");
	req.has_svg = x.svg;
	req.svg = x.svg;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__LINEAGE;
	req.id = argv[optind];
	return cli_call(c, &req, lineage_reply, &x);
}
