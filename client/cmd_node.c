/* Commands about the node and its neighbours: status, communities, block,
 * unblock (peers: cmd_peer.c). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/nodeid.h"
#include "opts.h"
#include "out.h"
#include "status_health.h"
#include "core/util.h"

static const struct option common_opts[] = { OPTS_COMMON };

static int
status_reply(void *arg, const Tessera__Reply *r)
{
	struct cli *c = arg;
	const Tessera__Status *s = r->status;
	char id[NODEID_STRLEN + 1] = "-", up[32], size[32];
	json_t *o;

	if (s == NULL)
		return cli_fail(CLI_EDAEMON, "daemon sent no status");
	if (s->node_id.len == 32)
		nodeid_encode(s->node_id.data, id);
	if (c->json) {
		o = json_object();
		json_object_set_new(o, "name", cli_json_str(s->name));
		json_object_set_new(o, "node_id", cli_json_nodeid(&s->node_id));
		json_object_set_new(o, "version", cli_json_str(s->version));
		json_object_set_new(o, "started", cli_json_time(s->started));
		json_object_set_new(o, "uptime_s",
		    json_integer(s->started > 0 ? (now_ms() - s->started) / 1000 : 0));
		json_object_set_new(o, "records", json_integer((json_int_t)s->records));
		json_object_set_new(o, "db_bytes", json_integer((json_int_t)s->db_bytes));
		json_object_set_new(o, "seq", json_integer((json_int_t)s->seq));
		json_object_set_new(o, "peers_connected", json_integer(s->peers_connected));
		json_object_set_new(o, "peers_configured", json_integer(s->peers_configured));
		json_object_set_new(o, "data_dir", cli_json_str(s->data_dir));
		json_object_set_new(o, "storage_full", json_boolean(s->storage_full));
		json_object_set_new(o, "storage_error", cli_json_str(s->storage_error));
		if (s->has_push_duplicates)
			json_object_set_new(o, "push_duplicates",
			    json_integer((json_int_t)s->push_duplicates));
		if (s->has_push_forwarded)
			json_object_set_new(o, "push_forwarded",
			    json_integer((json_int_t)s->push_forwarded));
		json_t *by = json_array();

		for (size_t i = 0; i < r->n_communities; i++) {
			const Tessera__Community *m = r->communities[i];
			json_t *e = json_object();

			json_object_set_new(e, "community", cli_json_nodeid(&m->author));
			json_object_set_new(e, "name", cli_json_str(m->name));
			json_object_set_new(e, "records", json_integer((json_int_t)m->records));
			json_array_append_new(by, e);
		}
		json_object_set_new(o, "communities", by);
		status_health_json(o, r);
		return cli_print_json(o);
	}
	out_duration(s->started > 0 ? now_ms() - s->started : 0, up);
	out_size(s->db_bytes, size);
	printf("name      ");
	out_plain(stdout, s->name != NULL ? s->name : "-");
	printf("\nnode ID   %s\n", id);
	printf("version   %s\n", s->version != NULL ? s->version : "-");
	printf("uptime    %s\n", up);
	printf("records   %llu\n", (unsigned long long)s->records);
	printf("database  %s\n", size);
	printf("peers     %u connected, %u configured\n", s->peers_connected,
	    s->peers_configured);
	if (s->data_dir != NULL)
		printf("data      %s\n", s->data_dir);
	if (s->storage_full) {
		printf("storage   FULL, writes refused: ");
		out_plain(stdout, s->storage_error != NULL ? s->storage_error : "-");
		printf("\n");
	}
	if (r->n_communities > 0)
		printf("records by community:\n");
	for (size_t i = 0; i < r->n_communities; i++) {
		const Tessera__Community *m = r->communities[i];

		printf("  %8llu  ", (unsigned long long)m->records);
		out_plain(stdout, m->name != NULL ? m->name : "(no profile yet)");
		printf("%s%s\n", m->local ? "  (this node)" : "", m->blocked ? "  (blocked)" : "");
	}
	status_health_print(r);
	return CLI_OK;
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera status [--json]\n"
	    "\n"
	    "Shows this node's health: name, node ID, version, uptime, records\n"
	    "(in all and by community), storage used and free, each peer's state,\n"
	    "last sync and last error, records rejected from peers, and a list of\n"
	    "what needs attention (a peer unreachable for over an hour, rejected\n"
	    "records, a nearly full disk) in plain words.\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct opts o;
	int ch;

	opts_init(&o, c, "status", help);
	if ((ch = opts_next(&o, argc, argv, "", common_opts)) != -1)
		return ch == OPTS_STOP ? o.rc : cli_usage("status", "unexpected option");
	if (opts_args(&o, argc, argv, "") != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__STATUS;
	return cli_call(c, &req, status_reply, c);
}

static json_t *
community_json(const Tessera__Community *m)
{
	json_t *o = json_object(), *langs = json_array();

	for (size_t i = 0; i < m->n_languages; i++)
		json_array_append_new(langs, json_string(m->languages[i]));
	json_object_set_new(o, "id", cli_json_nodeid(&m->author));
	json_object_set_new(o, "name", cli_json_str(m->name));
	json_object_set_new(o, "country", cli_json_str(m->country));
	json_object_set_new(o, "languages", langs);
	json_object_set_new(o, "records", json_integer((json_int_t)m->records));
	json_object_set_new(o, "blocked", json_boolean(m->blocked));
	json_object_set_new(o, "local", json_boolean(m->local));
	json_object_set_new(o, "looks_like", m->has_looks_like ?
	    cli_json_nodeid(&m->looks_like) : json_null());
	return o;
}

/* "looks like Évora (6YPMGB6…)": the other community whose name prints the
 * same (core/names.h), so that the user names it by ID. */
static void
print_alike(const Tessera__Reply *r, const Tessera__Community *m)
{
	const char *name = NULL;
	char id[NODEID_SHORT + 1];

	if (!m->has_looks_like || m->looks_like.len != 32)
		return;
	for (size_t i = 0; i < r->n_communities; i++)
		if (r->communities[i]->author.len == 32 &&
		    memcmp(r->communities[i]->author.data, m->looks_like.data, 32) == 0)
			name = r->communities[i]->name;
	nodeid_short(m->looks_like.data, id);
	printf("%slooks like ", m->local || m->blocked ? ", " : OUT_GAP);
	out_plain(stdout, name != NULL ? name : "?");
	printf(" (%s\u2026)", id);
}

static int
communities_reply(void *arg, const Tessera__Reply *r)
{
	struct listing *l = arg;
	char id[NODEID_SHORT + 1], langs[64];

	for (size_t i = 0; i < r->n_communities; i++) {
		const Tessera__Community *m = r->communities[i];

		if (l->cli->json) {
			json_array_append_new(l->array, community_json(m));
			continue;
		}
		if (l->n++ == 0)
			printf("ID       NAME                          CC  LANGUAGES     RECORDS  "
			    "FLAGS\n");
		if (m->author.len == 32)
			nodeid_short(m->author.data, id);
		else
			strcpy(id, "-");
		out_join(m->languages, m->n_languages, langs, sizeof(langs));
		out_cell(stdout, id, NODEID_SHORT, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, m->name != NULL ? m->name : "", 28, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, m->country != NULL ? m->country : "", 2, 0);
		fputs(OUT_GAP, stdout);
		out_cell(stdout, langs, 12, 0);
		printf("%s%7llu", OUT_GAP, (unsigned long long)m->records);
		if (m->local || m->blocked)
			printf("%s%s%s", OUT_GAP, m->local ? "local" : "",
			    m->blocked ? (m->local ? ",blocked" : "blocked") : "");
		print_alike(r, m);
		fputc('\n', stdout);
	}
	return CLI_OK;
}

int
cmd_communities(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera communities [--json]\n"
	    "\n"
	    "Lists the communities (authors) this node holds records of, with their\n"
	    "live record counts; 'local' marks this node, 'blocked' a blocked one,\n"
	    "'looks like NAME (ID…)' a name that prints like another community's\n"
	    "(name such communities by their IDs).\n";
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct listing l = { .cli = c };
	struct opts o;
	int ch;

	opts_init(&o, c, "communities", help);
	if ((ch = opts_next(&o, argc, argv, "", common_opts)) != -1)
		return ch == OPTS_STOP ? o.rc : cli_usage("communities", "unexpected option");
	if (opts_args(&o, argc, argv, "") != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__COMMUNITIES;
	return cli_listing(c, &req, communities_reply, &l, "no communities");
}

struct block_ctx {
	struct cli *cli;
	const char *arg;
	int block;
	int peer;            /* arg names a peer: its introductions */
};

static int
block_reply(void *arg, const Tessera__Reply *r)
{
	struct block_ctx *b = arg;
	uint32_t removed = r->import != NULL ? r->import->updated : 0;
	uint32_t authors = r->import != NULL ? r->import->authors : 0;
	const Tessera__Community *m = r->n_communities > 0 ? r->communities[0] : NULL;
	char id[NODEID_STRLEN + 1] = "?";
	json_t *o;

	if (m != NULL && m->author.len == 32)
		nodeid_encode(m->author.data, id);
	if (b->cli->json) {
		o = json_object();
		json_object_set_new(o, b->peer ? "peer" : "community", json_string(b->arg));
		if (b->peer) {
			json_object_set_new(o, "communities", json_integer(authors));
		} else {
			json_object_set_new(o, "id", m != NULL ? cli_json_nodeid(&m->author) :
			    json_null());
			json_object_set_new(o, "name", cli_json_str(m != NULL ? m->name : NULL));
		}
		json_object_set_new(o, "blocked", json_boolean(b->block));
		if (b->block)
			json_object_set_new(o, "removed", json_integer(removed));
		return cli_print_json(o);
	}
	printf("%s ", b->block ? "blocked" : "unblocked");
	if (b->peer) {
		printf("the %u communities introduced by peer ", authors);
		out_plain(stdout, b->arg);
	} else {
		/* The full ID: what was blocked, whatever the name said. */
		out_plain(stdout, m != NULL && m->name != NULL ? m->name : "(no profile yet)");
		printf(" (%s)", id);
	}
	if (b->block)
		printf(": %u records removed", removed);
	fputc('\n', stdout);
	return CLI_OK;
}

int
cmd_block(struct cli *c, int argc, char **argv)
{
	static const char block_help[] =
	    "usage: tessera block [--json] [--yes] COMMUNITY\n"
	    "       tessera block [--json] --peer NAME\n"
	    "\n"
	    "Stops storing and forwarding the records of COMMUNITY and removes\n"
	    "those held. COMMUNITY is a node ID or an unambiguous prefix of one;\n"
	    "a community name is accepted only when no other name looks like it,\n"
	    "and then needs --yes (-y): the daemon first answers with the full ID\n"
	    "and the number of records that would be removed. With --peer, of\n"
	    "every community the configured peer NAME introduced, and refuses the\n"
	    "new ones it brings from now on.\n";
	static const char unblock_help[] =
	    "usage: tessera unblock [--json] COMMUNITY\n"
	    "       tessera unblock [--json] --peer NAME\n"
	    "\n"
	    "Accepts the records of COMMUNITY again (a node ID, an unambiguous\n"
	    "prefix of one, or a community name no other name looks like); with\n"
	    "--peer, of the communities the peer NAME introduced, and new ones\n"
	    "from it.\n";
	static const struct option block_opts[] = {
		{ "yes", no_argument, NULL, 'y' }, { "peer", required_argument, NULL, 'p' },
		OPTS_COMMON
	};
	static const struct option unblock_opts[] = {
		{ "peer", required_argument, NULL, 'p' }, OPTS_COMMON
	};
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct block_ctx b = { .cli = c };
	struct opts o;
	int ch;

	b.block = strcmp(argv[0], "block") == 0;
	opts_init(&o, c, argv[0], b.block ? block_help : unblock_help);
	while ((ch = opts_next(&o, argc, argv, b.block ? "yp:" : "p:",
	    b.block ? block_opts : unblock_opts)) != -1) {
		if (ch == OPTS_STOP)
			return o.rc;
		if (ch == 'y')
			req.has_confirmed = req.confirmed = 1;
		else if (ch == 'p')
			req.peer = optarg;
		else
			return cli_usage(argv[0], "unexpected option");
	}
	if (opts_args(&o, argc, argv, req.peer != NULL ? "" : "COMMUNITY") != 0)
		return CLI_EUSAGE;
	b.peer = req.peer != NULL;
	b.arg = b.peer ? req.peer : argv[optind];
	req.has_op = 1;
	req.op = b.block ? TESSERA__REQUEST__OP__BLOCK : TESSERA__REQUEST__OP__UNBLOCK;
	req.community = b.peer ? NULL : argv[optind];
	return cli_call(c, &req, block_reply, &b);
}
