/* Commands about peers: peers (configured and pending), peer add and peer
 * remove (managed drop-ins). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/nodeid.h"
#include "opts.h"
#include "out.h"

static const struct option common_opts[] = { OPTS_COMMON };

static json_t *
peer_json(const Tessera__PeerView *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", cli_json_str(p->name));
	json_object_set_new(o, "id", cli_json_nodeid(&p->id));
	json_object_set_new(o, "address", cli_json_str(p->address));
	json_object_set_new(o, "state", cli_json_str(p->state));
	json_object_set_new(o, "inbound", json_boolean(p->inbound));
	json_object_set_new(o, "connected_since", cli_json_time(p->connected_since));
	json_object_set_new(o, "last_sync", cli_json_time(p->last_sync));
	json_object_set_new(o, "records_sent", json_integer((json_int_t)p->records_sent));
	json_object_set_new(o, "records_received",
	    json_integer((json_int_t)p->records_received));
	json_object_set_new(o, "records_rejected",
	    json_integer((json_int_t)p->records_rejected));
	json_object_set_new(o, "new_authors", json_integer((json_int_t)p->new_authors));
	json_object_set_new(o, "over_budget", json_integer((json_int_t)p->over_budget));
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)p->bytes_in));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)p->bytes_out));
	json_object_set_new(o, "last_error", cli_json_str(p->last_error));
	json_object_set_new(o, "file", cli_json_str(p->file));
	json_object_set_new(o, "managed", json_boolean(p->managed));
	return o;
}

static int
peers_reply(void *arg, const Tessera__Reply *r)
{
	struct listing *l = arg;
	char id[NODEID_SHORT + 1], sync[32];

	for (size_t i = 0; i < r->n_peers; i++) {
		const Tessera__PeerView *p = r->peers[i];

		if (l->cli->json) {
			json_array_append_new(l->array, peer_json(p));
			continue;
		}
		if (l->n++ == 0)
			printf("%-12s  %-7s  %-11s  %-21s  %-16s %7s %7s %5s\n", "NAME", "ID",
			    "STATE", "ADDRESS", "LAST SYNC", "SENT", "RECV", "REJ");
		if (p->id.len == 32)
			nodeid_short(p->id.data, id);
		else
			strcpy(id, "-");
		out_date(p->last_sync, sync);
		out_cell(stdout, p->name != NULL && *p->name != '\0' ? p->name :
		    (p->inbound ? "(inbound)" : "-"), 12, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, id, NODEID_SHORT, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, p->state != NULL ? p->state : "-", 11, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, p->address != NULL ? p->address : "-", 21, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, sync, 16, 0);
		printf(" %7llu %7llu %5llu\n", (unsigned long long)p->records_sent,
		    (unsigned long long)p->records_received,
		    (unsigned long long)p->records_rejected);
		if (p->over_budget > 0)
			printf("    over its budget for new authors: %llu records refused today "
			    "(%llu new authors accepted)\n", (unsigned long long)p->over_budget,
			    (unsigned long long)p->new_authors);
		if (p->last_error != NULL && *p->last_error != '\0') {
			fputs("    last error: ", stdout);
			out_plain(stdout, p->last_error);
			fputc('\n', stdout);
		}
	}
	return CLI_OK;
}

static json_t *
pending_json(const Tessera__PendingView *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", cli_json_nodeid(&p->id));
	json_object_set_new(o, "address", cli_json_str(p->address));
	json_object_set_new(o, "name", cli_json_str(p->name));
	json_object_set_new(o, "first_seen", cli_json_time(p->first_seen));
	json_object_set_new(o, "last_seen", cli_json_time(p->last_seen));
	json_object_set_new(o, "count", json_integer((json_int_t)p->count));
	return o;
}

/* The full ID: it is what `tessera peer add` takes to accept the node. */
static int
pending_reply(void *arg, const Tessera__Reply *r)
{
	struct listing *l = arg;
	char id[NODEID_STRLEN + 1], last[32];

	for (size_t i = 0; i < r->n_pending; i++) {
		const Tessera__PendingView *p = r->pending[i];

		if (l->cli->json) {
			json_array_append_new(l->array, pending_json(p));
			continue;
		}
		if (l->n++ == 0)
			printf("%-63s  %-21s  %-16s %6s  %s\n", "ID", "ADDRESS", "LAST SEEN", "COUNT",
			    "NAME");
		if (p->id.len == 32)
			nodeid_encode(p->id.data, id);
		else
			strcpy(id, "-");
		out_date(p->last_seen, last);
		out_cell(stdout, id, NODEID_STRLEN, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, p->address != NULL ? p->address : "-", 21, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, last, 16, 0);
		printf(" %6llu  ", (unsigned long long)p->count);
		out_plain(stdout, p->name != NULL && *p->name ? p->name : "-");
		fputc('\n', stdout);
	}
	return CLI_OK;
}

int
cmd_peers(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera peers [--json] [--pending]\n"
	    "\n"
	    "Shows configured and inbound peers: state, address, last sync and\n"
	    "records sent, received and rejected. With --pending, the nodes that\n"
	    "are not configured but connected with a valid key and were refused\n"
	    "(ID, address, last seen, count, the name they gave); accept one with\n"
	    "tessera peer add NAME ID.\n";
	static const struct option peers_opts[] = {
		{ "pending", no_argument, NULL, 'p' }, OPTS_COMMON
	};
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct listing l = { .cli = c };
	struct opts o;
	int ch;

	opts_init(&o, c, "peers", help);
	while ((ch = opts_next(&o, argc, argv, "", peers_opts)) != -1) {
		if (ch == OPTS_STOP)
			return o.rc;
		if (ch != 'p')
			return cli_usage("peers", "unexpected option");
		req.has_pending = req.pending = 1;
	}
	if (opts_args(&o, argc, argv, "") != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__PEERS;
	return cli_listing(c, &req, req.pending ? pending_reply : peers_reply, &l,
	    req.pending ? "no pending nodes" : "no peers");
}

struct peer_done {
	struct cli *cli;
	const char *verb;       /* "added", "removed" */
	const char *name;
};

static int
peer_done(void *arg, const Tessera__Reply *r)
{
	const struct peer_done *d = arg;

	if (d->cli->json) {
		json_t *o = json_object();

		json_object_set_new(o, "peer", json_string(d->name));
		json_object_set_new(o, d->verb, json_true());
		return cli_print_json(o);
	}
	printf("peer %s %s\n", d->name, d->verb);
	return CLI_OK;
}

int
cmd_peer(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera peer add [--json] NAME [ADDRESS] ID\n"
	    "       tessera peer remove [--json] NAME\n"
	    "\n"
	    "add pins the node ID under NAME and, with ADDRESS (HOST:PORT), dials\n"
	    "it; without ADDRESS the peer dials in. remove forgets the peer NAME\n"
	    "and closes its link. Both write one file in the daemon's peers_dir\n"
	    "(the configuration file itself is never rewritten) and take effect\n"
	    "at once, without a restart; other links are not disturbed.\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct peer_done d = { .cli = c };
	struct opts o;
	int ch, add, npos;

	opts_init(&o, c, "peer", help);
	if ((ch = opts_next(&o, argc, argv, "", common_opts)) != -1)
		return ch == OPTS_STOP ? o.rc : cli_usage("peer", "unexpected option");
	if (optind >= argc)
		return cli_usage("peer", "missing subcommand (add or remove)");
	add = strcmp(argv[optind], "add") == 0;
	if (!add && strcmp(argv[optind], "remove") != 0)
		return cli_usage("peer", "unknown subcommand '%s'", argv[optind]);
	npos = argc - optind - 1;
	if (add ? (npos < 2 || npos > 3) : npos != 1)
		return cli_usage("peer", add ? "peer add needs NAME [ADDRESS] ID" :
		    "peer remove needs NAME");
	req.has_op = 1;
	req.op = add ? TESSERA__REQUEST__OP__PEER_ADD : TESSERA__REQUEST__OP__PEER_REMOVE;
	req.peer_name = argv[optind + 1];
	if (add) {
		req.address = npos == 3 ? argv[optind + 2] : NULL;
		req.node_id = argv[argc - 1];
	}
	d.verb = add ? "added" : "removed";
	d.name = req.peer_name;
	return cli_call(c, &req, peer_done, &d);
}
