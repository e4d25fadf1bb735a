/* Commands that change this node's records: add, edit, delete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "opts.h"
#include "recjson.h"
#include "core/record.h"
#include "core/tessera.h"
#include "core/util.h"

enum {
	OPT_TITLE = 0x200, OPT_LANG, OPT_SUMMARY, OPT_BODY, OPT_BODY_FILE, OPT_TAG,
	OPT_NO_TAGS, OPT_LINK, OPT_NO_LINKS, OPT_VIA, OPT_STATUS, OPT_STARTED, OPT_ENDED,
	OPT_OUTCOME, OPT_ATTACH, OPT_DETACH,
};

static const struct option edit_opts[] = {
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "body", required_argument, NULL, OPT_BODY },
	{ "body-file", required_argument, NULL, OPT_BODY_FILE },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "no-tags", no_argument, NULL, OPT_NO_TAGS },
	{ "link", required_argument, NULL, OPT_LINK },
	{ "no-links", no_argument, NULL, OPT_NO_LINKS },
	{ "via", required_argument, NULL, OPT_VIA },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "started", required_argument, NULL, OPT_STARTED },
	{ "ended", required_argument, NULL, OPT_ENDED },
	{ "outcome", required_argument, NULL, OPT_OUTCOME },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "detach", required_argument, NULL, OPT_DETACH },
	OPTS_COMMON
};

static const struct option common_opts[] = { OPTS_COMMON };

/* What add and edit collect from their options. */
struct fields {
	Tessera__Text text;
	int has_text;
	char *body_buf;             /* --body-file contents */
	const char *body_file;
	char **tags;
	size_t n_tags;
	int no_tags;
	Tessera__Link *links;
	Tessera__Link **link_ptrs;
	size_t n_links;
	int no_links;
	/* Adoptions (adopt, edit): NULL/0 when not given. */
	const char *via, *started, *ended, *outcome;
	int status;
	Tessera__AttachFile *files;   /* --attach: paths made absolute */
	Tessera__AttachFile **file_ptrs;
	char **paths;
	size_t n_files;
	char **detach;
	size_t n_detach;
};

/* Adoption options given to a command that has no use for them. */
static int
adoption_opts(const struct fields *f)
{
	return f->via != NULL || f->status != 0 || f->started != NULL || f->ended != NULL ||
	    f->outcome != NULL;
}

static void
fields_free(struct fields *f)
{
	free(f->body_buf);
	free(f->tags);
	free(f->links);
	free(f->link_ptrs);
	for (size_t i = 0; i < f->n_files; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->files);
	free(f->file_ptrs);
	free(f->detach);
}

/* The daemon opens the file itself: it gets an absolute path. */
static int
push_attach(struct fields *f, const char *arg)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".pdf", "application/pdf" }, { ".txt", "text/plain" }, { ".html", "text/html" },
		{ ".odt", "application/vnd.oasis.opendocument.text" }, { ".png", "image/png" },
		{ ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ ".jpg", "image/jpeg" }, { ".mp4", "video/mp4" }, { ".zip", "application/zip" },
	};
	Tessera__AttachFile *a = realloc(f->files, (f->n_files + 1) * sizeof(*a));
	char **p, *abs;
	size_t len = strlen(arg);

	if (a == NULL)
		return cli_fail(CLI_EDAEMON, "out of memory");
	f->files = a;
	if ((p = realloc(f->paths, (f->n_files + 1) * sizeof(*p))) == NULL)
		return cli_fail(CLI_EDAEMON, "out of memory");
	f->paths = p;
	if ((abs = realpath(arg, NULL)) == NULL)
		return cli_fail(CLI_EUSAGE, "%s: %s", arg, strerror(errno));
	tessera__attach_file__init(&a[f->n_files]);
	a[f->n_files].path = abs;
	a[f->n_files].media_type = "application/octet-stream";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t el = strlen(types[i].ext);

		if (len > el && strcasecmp(arg + len - el, types[i].ext) == 0)
			a[f->n_files].media_type = (char *)types[i].type;
	}
	f->paths[f->n_files++] = abs;
	return CLI_OK;
}

/* Appends s to the list *v of *n strings. Returns an exit code. */
static int
push_str(char ***v, size_t *n, char *s)
{
	char **p = realloc(*v, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return cli_fail(CLI_EDAEMON, "out of memory");
	*v = p;
	p[(*n)++] = s;
	return CLI_OK;
}

/* Reads a whole file ("-" = stdin) as one string. Returns an exit code. */
static int
read_text(const char *path, char **out)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return cli_fail(CLI_EINVALID, "%s: %s", path, strerror(errno));
	do {
		if (cap - len < 4096) {
			/* Anything past one frame could never be sent anyway. */
			if (cap > TESS_MAX_FRAME) {
				free(buf);
				if (fp != stdin)
					fclose(fp);
				return cli_fail(CLI_EINVALID, "%s: file too large", path);
			}
			cap = cap ? 2 * cap : 65536;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				if (fp != stdin)
					fclose(fp);
				return cli_fail(CLI_EDAEMON, "out of memory");
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	if (ferror(fp)) {
		free(buf);
		if (fp != stdin)
			fclose(fp);
		return cli_fail(CLI_EINVALID, "%s: read error", path);
	}
	if (fp != stdin)
		fclose(fp);
	buf[len] = '\0';
	if (strlen(buf) != len || !utf8_valid(buf, len)) {
		free(buf);
		return cli_fail(CLI_EINVALID, "%s: not UTF-8 text", path);
	}
	*out = buf;
	return CLI_OK;
}

static int
push_link(struct fields *f, char *url)
{
	Tessera__Link *l = realloc(f->links, (f->n_links + 1) * sizeof(*l));

	if (l == NULL)
		return cli_fail(CLI_EDAEMON, "out of memory");
	f->links = l;
	tessera__link__init(&f->links[f->n_links]);
	f->links[f->n_links++].url = url;
	return CLI_OK;
}

/* Parses add/edit options into f; returns -1 when done, or an exit code. */
static int
parse_fields(struct opts *o, int argc, char **argv, struct fields *f)
{
	int ch, rc;

	tessera__text__init(&f->text);
	while ((ch = opts_next(o, argc, argv, "", edit_opts)) != -1) {
		switch (ch) {
		case OPTS_STOP:
			return o->rc;
		case OPT_TITLE:
			f->text.title = optarg;
			f->has_text = 1;
			break;
		case OPT_LANG:
			f->text.lang = optarg;
			f->has_text = 1;
			break;
		case OPT_SUMMARY:
			f->text.summary = optarg;
			f->has_text = 1;
			break;
		case OPT_BODY:
			f->text.body = optarg;
			f->has_text = 1;
			break;
		case OPT_BODY_FILE:
			f->body_file = optarg;
			f->has_text = 1;
			break;
		case OPT_TAG:
			if ((rc = push_str(&f->tags, &f->n_tags, optarg)) != CLI_OK)
				return rc;
			break;
		case OPT_NO_TAGS:
			f->no_tags = 1;
			break;
		case OPT_LINK:
			if ((rc = push_link(f, optarg)) != CLI_OK)
				return rc;
			break;
		case OPT_NO_LINKS:
			f->no_links = 1;
			break;
		case OPT_VIA:
			f->via = optarg;
			break;
		case OPT_STATUS:
			if ((f->status = record_status_parse(optarg)) < 0)
				return cli_usage(o->cmd, "--status: '%s' is not planned, running "
				    "or ended", optarg);
			break;
		case OPT_STARTED:
		case OPT_ENDED:
			/* "" clears a date on edit. */
			if (*optarg != '\0' && !record_date_valid(optarg))
				return cli_usage(o->cmd, "--%s: '%s' is not a date written "
				    "YYYY-MM-DD", ch == OPT_STARTED ? "started" : "ended", optarg);
			*(ch == OPT_STARTED ? &f->started : &f->ended) = optarg;
			break;
		case OPT_OUTCOME:
			f->outcome = optarg;
			break;
		case OPT_ATTACH:
			if ((rc = push_attach(f, optarg)) != CLI_OK)
				return rc;
			break;
		case OPT_DETACH:
			if ((rc = push_str(&f->detach, &f->n_detach, optarg)) != CLI_OK)
				return rc;
			break;
		default:
			return cli_usage(o->cmd, "unexpected option");
		}
	}
	if (f->body_file != NULL && f->text.body != NULL)
		return cli_usage(o->cmd, "--body and --body-file exclude each other");
	if (f->body_file != NULL) {
		if ((rc = read_text(f->body_file, &f->body_buf)) != CLI_OK)
			return rc;
		f->text.body = f->body_buf;
	}
	/* protobuf-c wants an array of pointers; the links are only built now
	 * because realloc may have moved them while options were parsed. */
	if (f->n_links > 0) {
		if ((f->link_ptrs = calloc(f->n_links, sizeof(*f->link_ptrs))) == NULL)
			return cli_fail(CLI_EDAEMON, "out of memory");
		for (size_t i = 0; i < f->n_links; i++)
			f->link_ptrs[i] = &f->links[i];
	}
	if (f->n_files > 0) {
		if ((f->file_ptrs = calloc(f->n_files, sizeof(*f->file_ptrs))) == NULL)
			return cli_fail(CLI_EDAEMON, "out of memory");
		for (size_t i = 0; i < f->n_files; i++)
			f->file_ptrs[i] = &f->files[i];
	}
	return -1;
}

struct record_ctx {
	struct cli *cli;
	const char *what;           /* human output: "", "version", "deleted" */
};

/* ADD, EDIT and DELETE reply with the record as it now is. */
static int
record_reply(void *arg, const Tessera__Reply *r)
{
	struct record_ctx *x = arg;
	const Tessera__RecordView *v = r->n_records > 0 ? r->records[0] : NULL;
	char hex[2 * TESS_ID_LEN + 1];

	if (v == NULL || v->record == NULL || v->record->id.len != TESS_ID_LEN)
		return cli_fail(CLI_EDAEMON, "daemon reply carries no record");
	if (x->cli->json)
		return cli_print_json(recjson_from_view(v, 0));
	hex_encode(v->record->id.data, TESS_ID_LEN, hex);
	if (strcmp(x->what, "version") == 0)
		printf("%s version %llu\n", hex, (unsigned long long)v->record->version);
	else if (strcmp(x->what, "deleted") == 0)
		printf("deleted %s\n", hex);
	else
		printf("%s\n", hex);
	return CLI_OK;
}

/* The part of an ADD request that add and adopt share. */
static void
fill_add(Tessera__AddRequest *add, struct fields *f, int kind)
{
	add->has_kind = 1;
	add->kind = (Tessera__Kind)kind;
	add->text = &f->text;
	add->tags = f->tags;
	add->n_tags = f->n_tags;
	add->links = f->link_ptrs;
	add->n_links = f->n_links;
}

/* Options and the one argument (ID) of edit and adopt: -1 to go on, else
 * the exit code. */
static int
parse_id_cmd(struct opts *o, struct cli *c, const char *cmd, const char *help, int argc,
    char **argv, struct fields *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	opts_init(o, c, cmd, help);
	if ((rc = parse_fields(o, argc, argv, f)) != -1)
		return rc;
	if ((rc = opts_args(o, argc, argv, "ID")) != 0 || (rc = opts_id(o, argv[optind])) != 0)
		return rc;
	return -1;
}

int
cmd_add(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera add initiative|resource --title TITLE [--lang LANG]\n"
	    "           [--summary TEXT] [--body TEXT | --body-file FILE]\n"
	    "           [--tag TAG]... [--link URL]... [--attach FILE]... [--json]\n"
	    "\n"
	    "Publishes a new record of this node's community and prints its ID\n"
	    "(with --json, the record). --body-file - reads the body from stdin.\n"
	    "--attach copies FILE into the node's attachment store; its hash is\n"
	    "signed with the record and peers fetch it chunk by chunk.\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	Tessera__AddRequest add = TESSERA__ADD_REQUEST__INIT;
	struct record_ctx x = { c, "" };
	struct fields f;
	struct opts o;
	int kind, rc;

	memset(&f, 0, sizeof(f));
	opts_init(&o, c, "add", help);
	if ((rc = parse_fields(&o, argc, argv, &f)) != -1)
		goto out;
	if ((rc = opts_args(&o, argc, argv, "KIND")) != 0 ||
	    (rc = opts_kind(&o, argv[optind], 0, &kind)) != 0)
		goto out;
	if (f.text.title == NULL) {
		rc = cli_usage("add", "--title is required");
		goto out;
	}
	if (f.no_tags || f.no_links || f.n_detach > 0) {
		rc = cli_usage("add", "--no-tags, --no-links and --detach are for edit");
		goto out;
	}
	if (adoption_opts(&f)) {
		rc = cli_usage("add", "--via, --status and the dates are for adopt and edit");
		goto out;
	}
	fill_add(&add, &f, kind);
	add.attach = f.file_ptrs;
	add.n_attach = f.n_files;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__ADD;
	req.add = &add;
	rc = cli_call(c, &req, record_reply, &x);
out:
	fields_free(&f);
	return rc;
}

int
cmd_edit(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera edit ID [--lang LANG] [--title TITLE] [--summary TEXT]\n"
	    "           [--body TEXT | --body-file FILE] [--tag TAG]... [--no-tags]\n"
	    "           [--link URL]... [--no-links] [--attach FILE]... [--detach NAME]...\n"
	    "           [--json]\n"
	    "           adoptions: [--status planned|running|ended] [--started DATE]\n"
	    "           [--ended DATE] [--outcome TEXT]\n"
	    "\n"
	    "Publishes a new version of one of this node's records. ID may be a\n"
	    "unique prefix. Only the given fields change; --lang picks the\n"
	    "language to change (or add). --tag replaces the tags, --no-tags\n"
	    "removes them all; likewise --link and --no-links. --attach adds a\n"
	    "file (replacing an attachment of the same name), --detach removes one.\n"
	    "Dates are YYYY-MM-DD; an empty one (--ended '') clears it, as --outcome ''.\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	Tessera__EditRequest edit = TESSERA__EDIT_REQUEST__INIT;
	struct record_ctx x = { c, "version" };
	struct fields f;
	struct opts o;
	int rc;

	if ((rc = parse_id_cmd(&o, c, "edit", help, argc, argv, &f)) != -1)
		goto out;
	if (f.via != NULL) {
		rc = cli_usage("edit", "--via is set when adopting: publish a new adoption");
		goto out;
	}
	if (!f.has_text && f.n_tags == 0 && !f.no_tags && f.n_links == 0 && !f.no_links &&
	    !adoption_opts(&f) && f.n_files == 0 && f.n_detach == 0) {
		rc = cli_usage("edit", "nothing to change");
		goto out;
	}
	edit.id = argv[optind];
	edit.has_status = f.status != 0;
	edit.status = (Tessera__Adoption__Status)f.status;
	edit.started = (char *)f.started;
	edit.ended = (char *)f.ended;
	edit.outcome = (char *)f.outcome;
	if (f.has_text)
		edit.text = &f.text;
	if (f.n_tags > 0 || f.no_tags) {
		edit.has_set_tags = edit.set_tags = 1;
		edit.tags = f.tags;
		edit.n_tags = f.n_tags;
	}
	if (f.n_links > 0 || f.no_links) {
		edit.has_set_links = edit.set_links = 1;
		edit.links = f.link_ptrs;
		edit.n_links = f.n_links;
	}
	edit.attach = f.file_ptrs;
	edit.n_attach = f.n_files;
	edit.detach = f.detach;
	edit.n_detach = f.n_detach;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__EDIT;
	req.edit = &edit;
	rc = cli_call(c, &req, record_reply, &x);
out:
	fields_free(&f);
	return rc;
}

int
cmd_delete(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera delete ID [--json]\n"
	    "\n"
	    "Deletes one of this node's records: a signed tombstone replaces it\n"
	    "on every node. ID may be a unique prefix.\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct record_ctx x = { c, "deleted" };
	struct opts o;
	int ch;

	opts_init(&o, c, "delete", help);
	if ((ch = opts_next(&o, argc, argv, "", common_opts)) != -1)
		return ch == OPTS_STOP ? o.rc : cli_usage("delete", "unexpected option");
	if (opts_args(&o, argc, argv, "ID") != 0 || opts_id(&o, argv[optind]) != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__DELETE;
	req.id = argv[optind];
	return cli_call(c, &req, record_reply, &x);
}

int
cmd_adopt(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera adopt ID --title TITLE [--via COMMUNITY] [--lang LANG]\n"
	    "           [--summary TEXT] [--body TEXT | --body-file FILE]\n"
	    "           [--status planned|running|ended] [--started YYYY-MM-DD]\n"
	    "           [--tag TAG]... [--link URL]... [--json]\n"
	    "\n"
	    "Publishes an adoption by this node's community of the practice ID\n"
	    "(an initiative or resource; ID may be a unique prefix), and prints\n"
	    "its ID. The texts say what was adapted and how. --via names the\n"
	    "community it was learned from; given an adoption's ID, adopt takes\n"
	    "its practice, learned via the community that adopted it. The status\n"
	    "is planned unless given. tessera edit changes status, dates and\n"
	    "outcome later; tessera lineage shows the spread.\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	Tessera__AddRequest add = TESSERA__ADD_REQUEST__INIT;
	struct record_ctx x = { c, "" };
	struct fields f;
	struct opts o;
	int rc;

	if ((rc = parse_id_cmd(&o, c, "adopt", help, argc, argv, &f)) != -1)
		goto out;
	if (f.text.title == NULL) {
		rc = cli_usage("adopt", "--title is required");
		goto out;
	}
	if (f.no_tags || f.no_links || f.ended != NULL || f.outcome != NULL) {
		rc = cli_usage("adopt", "--no-tags, --no-links, --ended and --outcome are for edit");
		goto out;
	}
	fill_add(&add, &f, TESSERA__KIND__KIND_ADOPTION);
	add.source = argv[optind];
	add.via = (char *)f.via;
	add.has_status = f.status != 0;
	add.status = (Tessera__Adoption__Status)f.status;
	add.started = (char *)f.started;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__ADD;
	req.add = &add;
	rc = cli_call(c, &req, record_reply, &x);
out:
	fields_free(&f);
	return rc;
}
