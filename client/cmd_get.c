/* tessera get: fetch an attachment on demand and write it out. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "attach_files.h"
#include "cli.h"
#include "opts.h"
#include "out.h"

enum { OPT_OUTPUT = 0x200, OPT_TIMEOUT };

static const struct option get_opts[] = {
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	OPTS_COMMON
};

struct get_state {
	char name[256], state[32], *path;
	uint64_t size, have;
};

static int
get_reply(void *arg, const Tessera__Reply *r)
{
	struct get_state *g = arg;
	const Tessera__AttachView *v = r->attachment;

	if (v == NULL)
		return cli_fail(CLI_EDAEMON, "daemon reply carries no attachment");
	snprintf(g->name, sizeof(g->name), "%s", v->name ? v->name : "attachment");
	snprintf(g->state, sizeof(g->state), "%s", v->state ? v->state : "?");
	g->size = v->size;
	g->have = v->have;
	free(g->path);
	g->path = v->path != NULL ? strdup(v->path) : NULL;
	return CLI_OK;
}

static void
progress(const struct get_state *g, bool tty)
{
	unsigned pct = g->size ? (unsigned)(g->have * 100 / g->size) : 0;

	if (tty) {
		char bar[41];

		memset(bar, ' ', 40);
		memset(bar, '#', pct * 40 / 100);
		bar[40] = '\0';
		fprintf(stderr, "\r%s [%s] %3u %%", g->name, bar, pct);
	} else {
		fprintf(stderr, "%s: %llu of %llu bytes (%u %%)\n", g->name,
		    (unsigned long long)g->have, (unsigned long long)g->size, pct);
	}
}

int
cmd_get(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera get ID [NAME] [-o PATH] [--timeout SECONDS] [--json]\n"
	    "\n"
	    "Fetches an attachment of a record from the connected peers that hold\n"
	    "it (every chunk verified against the record's signed hash) and writes\n"
	    "it to PATH (default: its name, in the current directory). NAME may be\n"
	    "left out when the record has one attachment. Fails when no peer has\n"
	    "sent any of it for --timeout seconds (default 15).\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct get_state g = { .name = "" };
	const char *out = NULL;
	uint32_t timeout = 15;
	uint64_t last_have = 0, written = 0;
	time_t last_move = time(NULL);
	bool tty = isatty(STDERR_FILENO) && !c->json;
	struct opts o;
	int ch, rc;

	opts_init(&o, c, "get", help);
	while ((ch = opts_next(&o, argc, argv, "o:", get_opts)) != -1) {
		if (ch == OPTS_STOP)
			return o.rc;
		if (ch == 'o' || ch == OPT_OUTPUT)
			out = optarg;
		else if (ch == OPT_TIMEOUT && opts_uint(&o, "--timeout", optarg, &timeout) != 0)
			return CLI_EUSAGE;
		else if (ch != OPT_TIMEOUT)
			return cli_usage("get", "unexpected option");
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage("get", "expected ID and optionally NAME");
	if (opts_id(&o, argv[optind]) != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__GET;
	req.id = argv[optind];
	req.attachment = argc - optind == 2 ? argv[optind + 1] : NULL;
	for (;;) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		if ((rc = cli_call(c, &req, get_reply, &g)) != CLI_OK)
			break;
		if (g.path != NULL)
			break;
		if (strcmp(g.state, "purged") == 0 || strcmp(g.state, "over budget") == 0 ||
		    strcmp(g.state, "too large") == 0) {
			rc = cli_fail(CLI_ENOTFOUND, "%s: %s on this node", g.name, g.state);
			break;
		}
		if (g.have != last_have) {
			last_have = g.have;
			last_move = time(NULL);
			if (!c->json)
				progress(&g, tty);
		} else if (time(NULL) - last_move >= (time_t)timeout) {
			rc = cli_fail(CLI_ENOTFOUND, "%s: no connected peer sent any of it in %u s "
			    "(none that holds it is connected)", g.name, timeout);
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (tty && last_have > 0)
		fputc('\n', stderr);
	if (rc == CLI_OK && (rc = attach_files_fetch(c, &req, out != NULL ? out : g.name,
	    &written)) == CLI_OK) {
		if (c->json)
			rc = cli_print_json(json_pack("{s:s,s:I,s:s}", "name", g.name, "size",
			    (json_int_t)g.size, "path", out != NULL ? out : g.name));
		else
			printf("%s: %llu bytes written to %s\n", g.name, (unsigned long long)g.size,
			    out != NULL ? out : g.name);
	}
	free(g.path);
	return rc;
}
