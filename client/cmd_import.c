/* tessera import: JSON Lines in, sent in chunks; all or nothing.
 *
 * The daemon stores every chunk in one open transaction and commits only
 * when the final chunk arrives, so a bad line found here needs no undo: we
 * close the connection
 * without sending the final chunk and the daemon rolls back what it stored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach_files.h"
#include "cli.h"
#include "conn.h"
#include "jsonl.h"
#include "opts.h"
#include "core/tessera.h"

#define CHUNK_BYTES (256 * 1024)    /* packed items per request, roughly */
#define ITEM_OVERHEAD 8             /* tag and length of a repeated item */

static const struct option import_opts[] = {
	{ "files", required_argument, NULL, 'f' },
	OPTS_COMMON
};

struct chunk {
	Tessera__ImportItem **items;
	size_t n, cap;
	size_t bytes;
	Tessera__ImportResult res;      /* from the final reply */
	int in_flight;                  /* a sent chunk's verdict not read yet */
	int have_res;
};

static void
chunk_clear(struct chunk *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		jsonl_item_free(ch->items[i]);
	ch->n = 0;
	ch->bytes = 0;
}

static int
import_reply(void *arg, const Tessera__Reply *r)
{
	struct chunk *ch = arg;

	if (r->import != NULL) {
		ch->res.created = r->import->created;
		ch->res.updated = r->import->updated;
		ch->res.unchanged = r->import->unchanged;
		ch->have_res = 1;
	}
	return CLI_OK;
}

/* Sends the items gathered so far, then reads the verdict on the chunk
 * before it: one chunk stays in flight, so the daemon stores chunk k while
 * we parse chunk k + 1. The final chunk waits for every verdict. */
static int
chunk_send(struct cli *c, struct conn *cn, struct chunk *ch, int final)
{
	Tessera__Request req = TESSERA__REQUEST__INIT;
	Tessera__ImportRequest imp = TESSERA__IMPORT_REQUEST__INIT;
	int rc;

	imp.items = ch->items;
	imp.n_items = ch->n;
	imp.has_final = 1;
	imp.final = final;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__IMPORT;
	req.import = &imp;
	rc = cli_send(c, cn, &req);
	chunk_clear(ch);
	if (rc == CLI_OK && ch->in_flight)
		rc = cli_replies(c, cn, import_reply, ch);
	ch->in_flight = rc == CLI_OK;
	if (rc == CLI_OK && final) {
		rc = cli_replies(c, cn, import_reply, ch);
		ch->in_flight = 0;
	}
	return rc;
}

static int
chunk_add(struct chunk *ch, Tessera__ImportItem *item, size_t size)
{
	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? 2 * ch->cap : 64;
		Tessera__ImportItem **v = realloc(ch->items, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		ch->items = v;
		ch->cap = cap;
	}
	ch->items[ch->n++] = item;
	ch->bytes += size;
	return 0;
}

/* Reads fp line by line, sending full chunks as it goes. */
static int
import_lines(struct cli *c, struct conn *cn, FILE *fp, const char *name, struct chunk *ch)
{
	Tessera__ImportItem *item;
	char *line = NULL, *cause = NULL;
	size_t cap = 0, size;
	uint32_t lineno = 0;
	ssize_t len;
	int rc = CLI_OK;

	while (rc == CLI_OK && (len = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (jsonl_parse(line, (size_t)len, lineno, &item, &cause) != 0) {
			rc = cli_fail(CLI_EINVALID, "%s:%u: %s", name, lineno, cause);
			free(cause);
			break;
		}
		if (item == NULL)
			continue;           /* blank line */
		size = protobuf_c_message_get_packed_size(&item->base) + ITEM_OVERHEAD;
		if (size > TESS_MAX_FRAME - 64) {
			jsonl_item_free(item);
			rc = cli_fail(CLI_EINVALID, "%s:%u: record too large (%zu bytes)", name,
			    lineno, size);
			break;
		}
		if (ch->n > 0 && ch->bytes + size > CHUNK_BYTES &&
		    (rc = chunk_send(c, cn, ch, 0)) != CLI_OK) {
			jsonl_item_free(item);
			break;
		}
		if (chunk_add(ch, item, size) != 0) {
			jsonl_item_free(item);
			rc = cli_fail(CLI_EDAEMON, "out of memory");
		}
	}
	if (rc == CLI_OK && ferror(fp))
		rc = cli_fail(CLI_EINVALID, "%s: read error after line %u", name, lineno);
	free(line);
	return rc;
}

int
cmd_import(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera import FILE [--files DIR] [--json]\n"
	    "\n"
	    "Imports records from a JSON Lines file (- for stdin), all or nothing:\n"
	    "if any line is rejected, nothing is stored and the error names the\n"
	    "line (FILE:LINE: cause, exit status 7).\n"
	    "\n"
	    "Each line is an object with \"kind\" (profile, initiative or resource),\n"
	    "\"texts\": [{\"lang\", \"title\", \"summary\", \"body\"}], \"tags\": [...],\n"
	    "\"links\": [{\"url\", \"title\"}]; profiles also \"name\", \"country\",\n"
	    "\"languages\". Lines without \"signed\" become records of this node (a\n"
	    "profile line updates this node's profile, \"id\" updates that record);\n"
	    "lines written by tessera export carry \"signed\" and are stored as\n"
	    "signed by their community. Blank lines are skipped. --files adds the\n"
	    "attachment files of DIR (from tessera export --files) once the\n"
	    "records are in; a file that does not hash to its name is an error.\n";
	struct chunk ch;
	struct conn *cn = NULL;
	struct opts o;
	const char *path, *name, *files = NULL;
	size_t added = 0;
	FILE *fp;
	int rc;

	opts_init(&o, c, "import", help);
	while ((rc = opts_next(&o, argc, argv, "", import_opts)) != -1) {
		if (rc == OPTS_STOP)
			return o.rc;
		if (rc != 'f')
			return cli_usage("import", "unexpected option");
		files = optarg;
	}
	if (opts_args(&o, argc, argv, "FILE") != 0)
		return CLI_EUSAGE;
	path = argv[optind];
	name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (fp == NULL)
		return cli_fail(CLI_EINVALID, "%s: %s", path, strerror(errno));
	memset(&ch, 0, sizeof(ch));
	c->errfile = name;
	if ((rc = cli_connect(c, &cn)) == CLI_OK)
		rc = import_lines(c, cn, fp, name, &ch);
	if (rc == CLI_OK)
		rc = chunk_send(c, cn, &ch, 1);
	if (rc == CLI_OK && !ch.have_res)
		rc = cli_fail(CLI_EDAEMON, "daemon did not report the import result");
	conn_close(cn);
	if (rc == CLI_OK && files != NULL)
		rc = attach_files_import(c, files, &added);
	chunk_clear(&ch);
	free(ch.items);
	if (fp != stdin)
		fclose(fp);
	if (rc != CLI_OK)
		return rc;
	if (c->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "imported", json_integer((json_int_t)ch.res.created +
		    ch.res.updated + ch.res.unchanged));
		json_object_set_new(doc, "created", json_integer(ch.res.created));
		json_object_set_new(doc, "updated", json_integer(ch.res.updated));
		json_object_set_new(doc, "unchanged", json_integer(ch.res.unchanged));
		if (files != NULL)
			json_object_set_new(doc, "files", json_integer((json_int_t)added));
		return cli_print_json(doc);
	}
	if (files != NULL)
		printf("added %zu attachment files from %s\n", added, files);
	printf("imported %llu records (%u created, %u updated, %u unchanged)\n",
	    (unsigned long long)ch.res.created + ch.res.updated + ch.res.unchanged,
	    ch.res.created, ch.res.updated, ch.res.unchanged);
	return CLI_OK;
}
