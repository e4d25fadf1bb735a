/* Command-line options of one command: getopt_long plus --json and --help. */
#ifndef OPTS_H
#define OPTS_H

#include <getopt.h>
#include <stdint.h>

struct cli;

#define OPTS_STOP (-2)          /* opts_next: return o->rc from the command */
#define OPT_JSON 0x100

/* Every command's long option table ends with these. */
#define OPTS_COMMON \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ NULL, 0, NULL, 0 }

struct opts {
	struct cli *cli;
	const char *cmd;        /* command name, for messages */
	const char *help;       /* printed by --help */
	int rc;                 /* exit code when opts_next returns OPTS_STOP */
	int started;
	char shortopts[64];
};

void opts_init(struct opts *o, struct cli *c, const char *cmd, const char *help);
/* Next option of the command (getopt_long, arguments may be interleaved with
 * options). --json and --help are handled here. Returns the option, -1 when
 * done (positional arguments are then argv[optind..argc)), or OPTS_STOP. */
int opts_next(struct opts *o, int argc, char **argv, const char *shortopts,
    const struct option *longopts);
/* Checks the positional arguments left after the options against names, one
 * word per argument ("ID", "" for none). Returns 0 or CLI_EUSAGE after
 * reporting the first one missing or the first one too many. */
int opts_args(struct opts *o, int argc, char **argv, const char *names);
/* Parses a number in [1, UINT32_MAX]; returns 0 or CLI_EUSAGE after reporting. */
int opts_uint(struct opts *o, const char *name, const char *s, uint32_t *out);
/* Parses a record kind (all known kinds when any is set, else initiative or
 * resource).
 * Returns 0 or CLI_EUSAGE after reporting. */
int opts_kind(struct opts *o, const char *s, int any, int *kind);
/* Checks a record ID prefix: 1-32 hex digits. Returns 0 or CLI_EUSAGE. */
int opts_id(struct opts *o, const char *s);

#endif
