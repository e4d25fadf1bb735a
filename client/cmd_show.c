/* tessera show: one record in full, every language. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/nodeid.h"
#include "opts.h"
#include "out.h"
#include "recjson.h"
#include "core/record.h"
#include "core/util.h"

static const struct option show_opts[] = { OPTS_COMMON };

static void
show_texts(const Tessera__Record *r)
{
	for (size_t i = 0; i < r->n_texts; i++) {
		const Tessera__Text *t = r->texts[i];

		fputs("\n[", stdout);
		out_plain(stdout, t->lang != NULL ? t->lang : "?");
		fputs("] ", stdout);
		out_plain(stdout, t->title != NULL ? t->title : "(no title)");
		fputc('\n', stdout);
		if (t->summary != NULL && *t->summary != '\0')
			out_block(stdout, t->summary, "    ", CLI_WIDTH);
		if (t->body != NULL && *t->body != '\0') {
			fputc('\n', stdout);
			out_block(stdout, t->body, "    ", CLI_WIDTH);
		}
	}
}

/* "NAME (ID)", or the ID alone when this node does not know the name. */
static void
show_community(const char *label, const ProtobufCBinaryData *key, const char *name)
{
	char id[NODEID_STRLEN + 1];

	nodeid_encode(key->data, id);
	printf("%s", label);
	if (name != NULL) {
		out_plain(stdout, name);
		printf(" (%s)\n", id);
	} else {
		printf("%s\n", id);
	}
}

static void
show_adoption(const Tessera__RecordView *v)
{
	const Tessera__Adoption *a = v->record->adoption;
	char hex[2 * TESS_ID_LEN + 1] = "-";

	if (a->source_id.len == TESS_ID_LEN)
		hex_encode(a->source_id.data, TESS_ID_LEN, hex);
	printf("adopts     %s\n", hex);
	if (a->source_author.len == TESS_KEY_LEN)
		show_community("from       ", &a->source_author, v->source_name);
	if (a->via.len == TESS_KEY_LEN)
		show_community("via        ", &a->via, v->via_name);
	printf("status     %s\n", a->has_status ? record_status_name((int)a->status) : "-");
	if (a->started != NULL)
		printf("started    %s\n", a->started);
	if (a->ended != NULL)
		printf("ended      %s\n", a->ended);
	if (a->outcome != NULL && *a->outcome != '\0') {
		printf("outcome\n");
		out_block(stdout, a->outcome, "    ", CLI_WIDTH);
	}
}

static void
show_record(const Tessera__RecordView *v)
{
	const Tessera__Record *r = v->record;
	char hex[2 * TESS_ID_LEN + 1] = "", when[32];

	if (r->id.len == TESS_ID_LEN)
		hex_encode(r->id.data, TESS_ID_LEN, hex);
	recjson_time(r->timestamp, when);
	printf("id         %s\n", hex);
	printf("kind       %s%s\n", record_kind_name(r->kind), r->deleted ? " (deleted)" : "");
	if (r->author.len == TESS_KEY_LEN)   /* record_open checked it */
		show_community("community  ", &r->author, v->author_name);
	printf("version    %llu\n", (unsigned long long)r->version);
	printf("updated    %s\n", when);
	if (r->profile != NULL) {
		char langs[256];

		out_join(r->profile->languages, r->profile->n_languages, langs, sizeof(langs));
		printf("name       ");
		out_plain(stdout, r->profile->name != NULL ? r->profile->name : "");
		printf("\ncountry    ");
		out_plain(stdout, r->profile->country != NULL ? r->profile->country : "");
		printf("\nlanguages  ");
		out_plain(stdout, langs);
		fputc('\n', stdout);
	}
	if (r->adoption != NULL)
		show_adoption(v);
	if (r->n_tags > 0) {
		printf("tags       ");
		for (size_t i = 0; i < r->n_tags; i++) {
			out_plain(stdout, r->tags[i]);
			fputs(i + 1 < r->n_tags ? ", " : "\n", stdout);
		}
	}
	for (size_t i = 0; i < r->n_links; i++) {
		const Tessera__Link *l = r->links[i];

		printf("%s", i == 0 ? "links      " : "           ");
		out_plain(stdout, l->url != NULL ? l->url : "");
		if (l->title != NULL && *l->title != '\0') {
			fputs(" (", stdout);
			out_plain(stdout, l->title);
			fputc(')', stdout);
		}
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < v->n_attachments; i++) {
		const Tessera__AttachView *a = v->attachments[i];

		printf("%s", i == 0 ? "attached   " : "           ");
		out_plain(stdout, a->name != NULL ? a->name : "?");
		printf(" (%llu bytes, ", (unsigned long long)a->size);
		if (a->state != NULL && strcmp(a->state, "partial") == 0)
			printf("partial %llu %%)\n", a->size ? (unsigned long long)(a->have * 100 /
			    a->size) : 0ULL);
		else
			printf("%s)\n", a->state != NULL ? a->state : "?");
	}
	show_texts(r);
}

static int
show_reply(void *arg, const Tessera__Reply *r)
{
	struct cli *c = arg;
	const Tessera__RecordView *v = r->n_records > 0 ? r->records[0] : NULL;

	if (v == NULL || v->record == NULL)
		return cli_fail(CLI_EDAEMON, "daemon reply carries no record");
	if (c->json)
		return cli_print_json(recjson_from_view(v, 0));
	show_record(v);
	return CLI_OK;
}

int
cmd_show(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera show ID [--json]\n"
	    "\n"
	    "Shows one record in full: every language, tags, links, version, last\n"
	    "update and community. ID may be a unique prefix (12 hex digits, as in\n"
	    "list, are usually enough).\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct opts o;
	int ch;

	opts_init(&o, c, "show", help);
	if ((ch = opts_next(&o, argc, argv, "", show_opts)) != -1)
		return ch == OPTS_STOP ? o.rc : cli_usage("show", "unexpected option");
	if (opts_args(&o, argc, argv, "ID") != 0 || opts_id(&o, argv[optind]) != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__SHOW;
	req.id = argv[optind];
	return cli_call(c, &req, show_reply, c);
}
