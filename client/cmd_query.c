/* Commands that read records: list and search. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"
#include "out.h"
#include "recjson.h"
#include "core/record.h"
#include "core/util.h"

/* Table columns; the title takes what is left of CLI_WIDTH. */
#define W_KIND 10
#define W_COMMUNITY 14
#define W_DATE 10
#define W_LANGS 8
#define W_LANG 5
#define W_SCORE 6

static const struct option query_opts[] = {
	{ "kind", required_argument, NULL, 'k' },
	{ "community", required_argument, NULL, 'c' },
	{ "lang", required_argument, NULL, 'l' },
	{ "tag", required_argument, NULL, 't' },
	{ "limit", required_argument, NULL, 'n' },
	{ "exact", no_argument, NULL, 'e' },
	OPTS_COMMON
};

struct query {
	struct cli *cli;
	int search;
	const char *lang;           /* --lang: which title to show */
	json_t *array;              /* --json */
	size_t n;
	uint64_t index_behind;      /* texts the node has not indexed yet */
};

static void
row_start(const Tessera__RecordView *v, const Tessera__Record *r)
{
	char hex[2 * TESS_ID_LEN + 1] = "";

	if (r->id.len == TESS_ID_LEN)
		hex_encode(r->id.data, TESS_ID_LEN, hex);
	hex[OUT_ID_WIDTH] = '\0';       /* a prefix that show and edit accept */
	out_cell(stdout, hex, OUT_ID_WIDTH, 0);
	fputs(OUT_GAP, stdout);
	out_cell(stdout, record_kind_name(r->kind), W_KIND, 0);
	fputs(OUT_GAP, stdout);
	out_cell(stdout, v->author_name != NULL ? v->author_name : "-", W_COMMUNITY, 0);
	fputs(OUT_GAP, stdout);
}

static void
list_row(struct query *q, const Tessera__RecordView *v, const Tessera__Record *r)
{
	char date[32], langs[64];
	size_t used = OUT_ID_WIDTH + W_KIND + W_COMMUNITY + W_DATE + W_LANGS + 5 * 2;

	if (q->n++ == 0) {
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  TITLE\n", OUT_ID_WIDTH, "ID", W_KIND, "KIND",
		    W_COMMUNITY, "COMMUNITY", W_DATE, "UPDATED", W_LANGS, "LANGS");
	}
	out_date(r->timestamp, date);
	date[W_DATE] = '\0';        /* the day is enough in a table */
	out_langs(r, langs, sizeof(langs));
	row_start(v, r);
	out_cell(stdout, date, W_DATE, 0);
	fputs(OUT_GAP, stdout);
	out_cell(stdout, langs, W_LANGS, 0);
	fputs(OUT_GAP, stdout);
	out_cell(stdout, out_title(r, q->lang), CLI_WIDTH - used, 1);
	fputc('\n', stdout);
}

static void
search_row(struct query *q, const Tessera__RecordView *v, const Tessera__Record *r)
{
	char score[16];
	size_t used = OUT_ID_WIDTH + W_KIND + W_COMMUNITY + W_LANG + W_SCORE + 5 * 2;

	if (q->n++ == 0) {
		printf("%-*s  %-*s  %-*s  %-*s  %*s  TITLE\n", OUT_ID_WIDTH, "ID", W_KIND, "KIND",
		    W_COMMUNITY, "COMMUNITY", W_LANG, "LANG", W_SCORE, "SCORE");
	}
	snprintf(score, sizeof(score), "%*.2f", W_SCORE, v->score);
	row_start(v, r);
	out_cell(stdout, v->snippet_lang != NULL ? v->snippet_lang : "", W_LANG, 0);
	fputs(OUT_GAP, stdout);
	out_cell(stdout, score, W_SCORE, 0);
	fputs(OUT_GAP, stdout);
	out_cell(stdout, out_title(r, v->snippet_lang != NULL ? v->snippet_lang : q->lang),
	    CLI_WIDTH - used, 1);
	fputc('\n', stdout);
	if (v->snippet != NULL && *v->snippet != '\0') {
		char *s = strdup(v->snippet);

		/* One paragraph: the snippet's own line breaks mean nothing here. */
		for (char *p = s; p != NULL && *p != '\0'; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		out_block(stdout, s != NULL ? s : v->snippet, "    ", CLI_WIDTH);
		free(s);
	}
}

static int
query_reply(void *arg, const Tessera__Reply *r)
{
	struct query *q = arg;

	if (r->has_index_behind)
		q->index_behind = r->index_behind;
	for (size_t i = 0; i < r->n_records; i++) {
		const Tessera__RecordView *v = r->records[i];

		if (v->record == NULL)
			continue;
		if (q->cli->json) {
			json_t *o = recjson_from_view(v, q->search ? RECJSON_SEARCH : 0);

			if (o == NULL || json_array_append_new(q->array, o) != 0)
				return cli_fail(CLI_EDAEMON, "out of memory");
		} else if (q->search) {
			search_row(q, v, v->record);
		} else {
			list_row(q, v, v->record);
		}
	}
	return CLI_OK;
}

/* list and search share their options and output. */
static int
query_run(struct cli *c, int argc, char **argv, int search, const char *help)
{
	Tessera__Request req = TESSERA__REQUEST__INIT;
	Tessera__Filter filter = TESSERA__FILTER__INIT;
	struct query q = { .cli = c, .search = search };
	const char *cmd = argv[0];
	struct opts o;
	int ch, kind, rc;

	opts_init(&o, c, cmd, help);
	while ((ch = opts_next(&o, argc, argv, "k:c:l:t:n:e", query_opts)) != -1) {
		switch (ch) {
		case OPTS_STOP:
			return o.rc;
		case 'k':
			if (opts_kind(&o, optarg, 1, &kind) != 0)
				return CLI_EUSAGE;
			filter.has_kind = 1;
			filter.kind = (Tessera__Kind)kind;
			break;
		case 'c':
			filter.community = optarg;
			break;
		case 'l':
			filter.lang = optarg;
			q.lang = optarg;
			break;
		case 't':
			if (search)
				return cli_usage(cmd, "unknown option '--tag'");
			filter.tag = optarg;
			break;
		case 'e':
			if (!search)
				return cli_usage(cmd, "unknown option '--exact'");
			req.has_exact = req.exact = 1;
			break;
		case 'n':
			if (opts_uint(&o, "--limit", optarg, &filter.limit) != 0)
				return CLI_EUSAGE;
			filter.has_limit = 1;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (opts_args(&o, argc, argv, search ? "QUERY" : "") != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	req.op = search ? TESSERA__REQUEST__OP__SEARCH : TESSERA__REQUEST__OP__LIST;
	req.filter = &filter;
	if (search)
		req.query = argv[optind];
	if (c->json && (q.array = json_array()) == NULL)
		return cli_fail(CLI_EDAEMON, "out of memory");
	rc = cli_call(c, &req, query_reply, &q);
	if (rc == CLI_OK && q.index_behind > 0)
		fprintf(stderr, "note: %llu texts arrived moments ago and are still being indexed; "
		    "these results may miss them\n", (unsigned long long)q.index_behind);
	if (c->json) {
		if (rc == CLI_OK)
			return cli_print_json(q.array);
		json_decref(q.array);
	} else if (rc == CLI_OK && q.n == 0) {
		printf(search ? "no matches\n" : "no records\n");
	}
	return rc;
}

int
cmd_list(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera list [--kind KIND] [--community C] [--lang LANG]\n"
	    "           [--tag TAG] [--limit N] [--json]\n"
	    "\n"
	    "Lists live records (not deleted ones), newest first: by timestamp, but\n"
	    "never later than the record's arrival here. KIND is profile, initiative or\n"
	    "resource; C is a node ID (or a prefix of one) or a community name;\n"
	    "LANG keeps records with a text in that language and shows its title.\n"
	    "The ID column shows 12 hex digits, accepted by show, edit and delete.\n"
	    "\n"
	    "  -k, --kind KIND   -c, --community C   -l, --lang LANG\n"
	    "  -t, --tag TAG     -n, --limit N\n";

	return query_run(c, argc, argv, 0, help);
}

int
cmd_search(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera search QUERY [--kind KIND] [--community C] [--lang LANG]\n"
	    "           [--limit N] [--exact] [--json]\n"
	    "\n"
	    "Full-text search in every language, best matches first. Case and\n"
	    "accents are ignored ('kozosseg' finds 'közösség'), other forms of a\n"
	    "word match ('guides' finds 'guide'), Russian may be typed in Latin\n"
	    "letters ('soobshchestvo'), and a word with a typo finds the word when\n"
	    "little else matches. Exact matches come first. Each match is followed\n"
	    "by a snippet with the matching words in [ ]; --json says how each\n"
	    "matched. A prefix (word*) needs at least 2 letters. See docs/search.md.\n"
	    "\n"
	    "  -k, --kind KIND   -c, --community C   -l, --lang LANG   -n, --limit N\n"
	    "  -e, --exact       the words as typed (case aside), no other forms\n";

	return query_run(c, argc, argv, 1, help);
}
