/* tessera held: when records became held by the daemon (the latency
 * probes' clock, docs/benchmarks.md "Latency measured at the daemon"). */
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "core/tessera.h"
#include "core/util.h"
#include "opts.h"

static const struct option held_opts[] = { OPTS_COMMON };

static int
held_reply(void *arg, const Tessera__Reply *r)
{
	struct cli *c = arg;
	char hex[2 * TESS_ID_LEN + 1];
	json_t *list = c->json ? json_array() : NULL;

	for (size_t i = 0; i < r->n_held; i++) {
		const Tessera__HeldAt *h = r->held[i];

		if (h->id.len != TESS_ID_LEN) {
			json_decref(list);
			return cli_fail(CLI_EDAEMON, "daemon sent a malformed entry");
		}
		hex_encode(h->id.data, TESS_ID_LEN, hex);
		if (list == NULL) {
			printf("%s %llu %llu\n", hex, (unsigned long long)h->version,
			    (unsigned long long)h->held_us);
			continue;
		}
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(hex));
		json_object_set_new(o, "version", json_integer((json_int_t)h->version));
		json_object_set_new(o, "held_us", json_integer((json_int_t)h->held_us));
		json_array_append_new(list, o);
	}
	return list != NULL ? cli_print_json(list) : CLI_OK;
}

int
cmd_held(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera held [--json] [ID]\n"
	    "\n"
	    "Lists when the newest records (up to 1,024) became held by this node:\n"
	    "the wall-clock time of the commit that stored them, in microseconds\n"
	    "since the epoch, newest first; with ID (a prefix), only those records.\n"
	    "Each line: ID VERSION HELD_US. Daemons on one machine share the clock,\n"
	    "so the difference between two nodes is the record's propagation time.\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct opts o;
	int ch;

	opts_init(&o, c, "held", help);
	if ((ch = opts_next(&o, argc, argv, "", held_opts)) != -1)
		return ch == OPTS_STOP ? o.rc : cli_usage("held", "unexpected option");
	if (optind < argc) {
		if (opts_args(&o, argc, argv, "ID") != 0 || opts_id(&o, argv[optind]) != 0)
			return CLI_EUSAGE;
		req.id = argv[optind];
	}
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__HELD;
	return cli_call(c, &req, held_reply, c);
}
