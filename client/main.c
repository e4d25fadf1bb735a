/* tessera: command-line client of tesserad's control socket. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct command {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	const char *summary;
} commands[] = {
	{ "status", cmd_status, "show this node's name, ID, uptime and counters" },
	{ "add", cmd_add, "publish a new initiative or resource" },
	{ "edit", cmd_edit, "change one of this node's records" },
	{ "delete", cmd_delete, "delete one of this node's records" },
	{ "adopt", cmd_adopt, "publish the adoption of a practice by this community" },
	{ "lineage", cmd_lineage, "show where a practice came from and where it went" },
	{ "show", cmd_show, "show one record in full" },
	{ "get", cmd_get, "fetch an attachment and write it out" },
	{ "list", cmd_list, "list records" },
	{ "search", cmd_search, "full-text search in every language" },
	{ "communities", cmd_communities, "list the communities this node knows" },
	{ "peers", cmd_peers, "show peer connections, or the pending nodes" },
	{ "peer", cmd_peer, "add or remove a peer (no restart needed)" },
	{ "invite", cmd_invite, "make a one-time code for another node to join" },
	{ "invites", cmd_invites, "list or revoke open invites" },
	{ "join", cmd_join, "join the node that made an invite code" },
	{ "block", cmd_block, "stop storing and forwarding a community's records" },
	{ "unblock", cmd_block, "undo block" },
	{ "import", cmd_import, "import records from a JSON Lines file" },
	{ "export", cmd_export, "export signed records as JSON Lines" },
	{ "held", cmd_held, "when the newest records became held here (probes)" },
};

static void
usage(FILE *f)
{
	fputs("usage: tessera [-s SOCKET] [--json] COMMAND [ARGS]\n"
	    "\n"
	    "Talks to the local tesserad over its control socket.\n"
	    "\n"
	    "options:\n"
	    "  -s, --socket PATH  control socket (default: $TESSERA_SOCKET, else\n"
	    "                     " CLI_DEFAULT_SOCKET ")\n"
	    "  --json             print one JSON document on stdout\n"
	    "  -h, --help         this help; tessera COMMAND --help for a command\n"
	    "  --version          print the version\n"
	    "\n"
	    "commands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	    "exit status:\n"
	    "  0  success\n"
	    "  1  the daemon reported an error (internal, storage, busy)\n"
	    "  2  usage error (bad option, missing argument)\n"
	    "  3  cannot connect to the daemon\n"
	    "  4  not found\n"
	    "  5  ambiguous ID prefix (the candidates are listed)\n"
	    "  6  forbidden (e.g. editing another community's record)\n"
	    "  7  invalid input (rejected record, import error)\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli c;
	const char *env;
	int ch;

	/* Writes to a daemon that hung up must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	env = getenv("TESSERA_SOCKET");
	c.socket = env != NULL && *env != '\0' ? env : CLI_DEFAULT_SOCKET;

	opterr = 0;
	/* '+': stop at the command; its own options are parsed by it. */
	while ((ch = getopt_long(argc, argv, "+:s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			c.socket = optarg;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'V':
			printf("tessera %s\n", TESSERA_VERSION);
			return CLI_OK;
		case ':':
			return cli_usage(NULL, "option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt != 0)
				return cli_usage(NULL, "unknown option '-%c'", optopt);
			return cli_usage(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage(NULL, "missing command");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].fn(&c, argc - optind, argv + optind);
	}
	if (strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	return cli_usage(NULL, "unknown command '%s'", argv[optind]);
}
