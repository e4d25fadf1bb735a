/* Option parsing shared by the commands, so that every one accepts --json and
 * --help anywhere and reports mistakes the same way. */
#include "opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/record.h"
#include "core/util.h"

void
opts_init(struct opts *o, struct cli *c, const char *cmd, const char *help)
{
	memset(o, 0, sizeof(*o));
	o->cli = c;
	o->cmd = cmd;
	o->help = help;
}

/* The option getopt just rejected, as the user wrote it. */
static const char *
opt_name(char **argv)
{
	static char shortname[3];
	const char *arg = argv[optind - 1];

	/* A short option may sit inside a cluster ("-nk"): optopt names it. */
	if (optopt > 0 && optopt < 0x80 && strncmp(arg, "--", 2) != 0) {
		shortname[0] = '-';
		shortname[1] = (char)optopt;
		return shortname;
	}
	return arg;
}

int
opts_next(struct opts *o, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	int ch;

	if (!o->started) {
		/* A leading ':' makes getopt tell a missing argument from an
		 * unknown option; optind = 0 makes glibc start afresh. */
		snprintf(o->shortopts, sizeof(o->shortopts), ":%sh", shortopts);
		optind = 0;
		opterr = 0;
		o->started = 1;
	}
	for (;;) {
		ch = getopt_long(argc, argv, o->shortopts, longopts, NULL);
		switch (ch) {
		case OPT_JSON:
			o->cli->json = 1;
			continue;
		case 'h':
			fputs(o->help, stdout);
			o->rc = CLI_OK;
			return OPTS_STOP;
		case '?':
			o->rc = cli_usage(o->cmd, "unknown option '%s'", opt_name(argv));
			return OPTS_STOP;
		case ':':
			o->rc = cli_usage(o->cmd, "option '%s' needs an argument", opt_name(argv));
			return OPTS_STOP;
		default:
			return ch;
		}
	}
}

int
opts_args(struct opts *o, int argc, char **argv, const char *names)
{
	int want = 0, have = argc - optind;
	const char *p = names, *missing = NULL;

	/* names is e.g. "ID" or "" : one upper-case word per argument. */
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (want == have)
			missing = p;
		want++;
		while (*p != '\0' && *p != ' ')
			p++;
	}
	if (missing != NULL)
		return cli_usage(o->cmd, "missing %.*s", (int)strcspn(missing, " "), missing);
	if (have > want)
		return cli_usage(o->cmd, "unexpected argument '%s'", argv[optind + want]);
	return 0;
}

int
opts_uint(struct opts *o, const char *name, const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return cli_usage(o->cmd, "%s: '%s' is not a number", name, s);
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT32_MAX)
		return cli_usage(o->cmd, "%s: '%s' is not a number from 1 to %u", name, s,
		    UINT32_MAX);
	*out = (uint32_t)v;
	return 0;
}

int
opts_kind(struct opts *o, const char *s, int any, int *kind)
{
	int k = record_kind_parse(s);

	/* An adoption is made with tessera adopt, which names its source. */
	if (k < 0 || !record_kind_known(k) || (!any && (k == TESSERA__KIND__KIND_PROFILE ||
	    k == TESSERA__KIND__KIND_ADOPTION))) {
		if (any)
			return cli_usage(o->cmd,
			    "unknown kind '%s' (profile, initiative, resource or adoption)", s);
		if (k == TESSERA__KIND__KIND_ADOPTION)
			return cli_usage(o->cmd, "an adoption is published with tessera adopt");
		return cli_usage(o->cmd, "unknown kind '%s' (initiative or resource)", s);
	}
	*kind = k;
	return 0;
}

int
opts_id(struct opts *o, const char *s)
{
	if (!hex_is_prefix(s, 2 * TESS_ID_LEN))
		return cli_usage(o->cmd, "'%s' is not a record ID (1 to %d hex digits)", s,
		    2 * TESS_ID_LEN);
	return 0;
}
