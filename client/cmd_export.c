/* tessera export: signed records out as JSON Lines that import reads back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach_files.h"
#include "cli.h"
#include "opts.h"
#include "recjson.h"

static const struct option export_opts[] = {
	{ "community", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "files", required_argument, NULL, 'f' },
	OPTS_COMMON
};

struct export_ctx {
	FILE *fp;
	unsigned long long n;
	struct attach_roots *roots;   /* --files: the attachments to copy */
};

/* The roots of a record's attachments, from its signed bytes. */
static int
collect_roots(struct export_ctx *x, const Tessera__RecordView *v)
{
	Tessera__Record *r;
	int rc;

	if (v->record != NULL)
		return attach_files_add(x->roots, v->record);
	if (v->signed_ == NULL)
		return CLI_OK;
	if ((r = tessera__record__unpack(NULL, v->signed_->body.len, v->signed_->body.data)) == NULL)
		return cli_fail(CLI_EDAEMON, "daemon sent a record that cannot be decoded");
	rc = attach_files_add(x->roots, r);
	tessera__record__free_unpacked(r, NULL);
	return rc;
}

static int
export_reply(void *arg, const Tessera__Reply *r)
{
	struct export_ctx *x = arg;

	for (size_t i = 0; i < r->n_records; i++) {
		json_t *o = recjson_from_view(r->records[i], RECJSON_EXPORT);
		int rc;

		if (o == NULL)
			return cli_fail(CLI_EDAEMON, "daemon sent a record that cannot be decoded");
		rc = json_dumpf(o, x->fp, JSON_COMPACT);
		json_decref(o);
		if (rc != 0 || fputc('\n', x->fp) == EOF)
			return cli_fail(CLI_EDAEMON, "write error: %s", strerror(errno));
		x->n++;
		if (x->roots != NULL && (rc = collect_roots(x, r->records[i])) != CLI_OK)
			return rc;
	}
	return CLI_OK;
}

/* Writes to a temporary file beside path, renamed into place on success, so
 * that a failed export never leaves a truncated file that looks complete. */
static int
open_output(const char *path, char **tmp, FILE **fp)
{
	mode_t mask;
	int fd;

	if ((*tmp = malloc(strlen(path) + 8)) == NULL)
		return cli_fail(CLI_EDAEMON, "out of memory");
	sprintf(*tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(*tmp)) < 0) {
		cli_fail(CLI_EINVALID, "%s: %s", path, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return CLI_EINVALID;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	if ((*fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return cli_fail(CLI_EDAEMON, "out of memory");
	}
	return CLI_OK;
}

int
cmd_export(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera export [--community C] [-o FILE] [--files DIR]\n"
	    "\n"
	    "Writes every stored record (deletions included) as JSON Lines, one\n"
	    "signed record per line, to FILE or stdout. tessera import on another\n"
	    "node stores them unchanged, still signed by their community.\n"
	    "C is a node ID (or a prefix of one) or a community name. --files\n"
	    "copies the attachments held here into DIR, named by their hash, for\n"
	    "tessera import --files.\n"
	    "\n"
	    "  -c, --community C   -o, --output FILE\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	Tessera__Filter filter = TESSERA__FILTER__INIT;
	struct export_ctx x = { stdout, 0, NULL };
	struct attach_roots roots = { 0 };
	const char *path = NULL, *files = NULL;
	char *tmp = NULL;
	struct opts o;
	int ch, rc;

	opts_init(&o, c, "export", help);
	while ((ch = opts_next(&o, argc, argv, "c:o:f:", export_opts)) != -1) {
		switch (ch) {
		case OPTS_STOP:
			return o.rc;
		case 'c':
			filter.community = optarg;
			break;
		case 'o':
			path = strcmp(optarg, "-") == 0 ? NULL : optarg;
			break;
		case 'f':
			files = optarg;
			x.roots = &roots;
			break;
		default:
			return cli_usage("export", "unexpected option");
		}
	}
	if (opts_args(&o, argc, argv, "") != 0)
		return CLI_EUSAGE;
	if (path != NULL && (rc = open_output(path, &tmp, &x.fp)) != CLI_OK)
		return rc;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__EXPORT;
	req.filter = &filter;
	rc = cli_call(c, &req, export_reply, &x);
	if (rc == CLI_OK && files != NULL) {
		size_t copied, missing;

		if ((rc = attach_files_export(c, &roots, files, &copied, &missing)) == CLI_OK &&
		    !c->json)
			fprintf(stderr, "tessera: %zu attachment files in %s\n", copied, files);
		if (rc == CLI_OK && missing > 0)
			fprintf(stderr, "tessera: %zu attachments not held on this node: not "
			    "exported\n", missing);
	}
	free(roots.roots);
	if (fflush(x.fp) != 0 && rc == CLI_OK)
		rc = cli_fail(CLI_EDAEMON, "write error: %s", strerror(errno));
	if (path != NULL) {
		if (fclose(x.fp) != 0 && rc == CLI_OK)
			rc = cli_fail(CLI_EDAEMON, "%s: %s", path, strerror(errno));
		if (rc == CLI_OK && rename(tmp, path) != 0)
			rc = cli_fail(CLI_EDAEMON, "%s: %s", path, strerror(errno));
		if (rc != CLI_OK) {
			unlink(tmp);
			fprintf(stderr, "tessera: export incomplete: %s was not written\n", path);
		}
		free(tmp);
		if (rc == CLI_OK && c->json) {
			json_t *doc = json_object();

			json_object_set_new(doc, "exported", json_integer((json_int_t)x.n));
			json_object_set_new(doc, "file", json_string(path));
			rc = cli_print_json(doc);
		} else if (rc == CLI_OK) {
			printf("exported %llu records to %s\n", x.n, path);
		}
	}
	if (path == NULL && rc != CLI_OK && x.n > 0)
		fprintf(stderr, "tessera: export incomplete: only the %llu records before the error "
		    "were written\n", x.n);
	return rc;
}
