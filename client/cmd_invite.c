/* Invites: invite (make a code), invites (list, revoke), join (use a code,
 * then wait until the inviter accepted us or said why not). */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/invite.h"
#include "core/nodeid.h"
#include "opts.h"
#include "out.h"

#define JOIN_WAIT_S 20
#define JOIN_TRY_S 8     /* for each address of several but the last */

/* "90s", "30m", "24h", "7d" (a bare number is seconds). Returns 0 or -1. */
static int
parse_duration(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t unit;

	if (end == s || v == 0 || v > 100000)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		unit = 1000;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "d") == 0)
		unit = 86400000;
	else
		return -1;
	*ms = v * unit;
	return 0;
}

static json_t *
invite_json(const Tessera__InviteView *v)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", cli_json_str(v->id));
	json_object_set_new(o, "name", cli_json_str(v->name && *v->name ? v->name : NULL));
	json_object_set_new(o, "created", cli_json_time(v->created));
	json_object_set_new(o, "expires", cli_json_time(v->expires));
	json_object_set_new(o, "failures", json_integer(v->failures));
	return o;
}

static int
invite_reply(void *arg, const Tessera__Reply *r)
{
	struct cli *c = arg;
	char until[32];
	json_t *o;

	if (r->invite_code == NULL || r->n_invites != 1)
		return cli_fail(CLI_EDAEMON, "daemon sent no code");
	if (c->json) {
		o = invite_json(r->invites[0]);
		json_object_set_new(o, "code", json_string(r->invite_code));
		return cli_print_json(o);
	}
	out_date(r->invites[0]->expires, until);
	/* The code alone on stdout, so that it can be piped; the rest on stderr. */
	printf("%s\n", r->invite_code);
	fprintf(stderr, "invite %s, valid once until %s UTC. On the other node run:\n"
	    "  tessera join CODE\n", r->invites[0]->id, until);
	return CLI_OK;
}

int
cmd_invite(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera invite [--json] [--name NAME] [--expires DURATION]\n"
	    "                      [--address HOST:PORT]\n"
	    "\n"
	    "Prints a one-line code for another node to join this one with\n"
	    "tessera join. It carries this node's address (its listen addresses,\n"
	    "or --address), its node ID and a one-time secret: treat it like a\n"
	    "password until it is used. It works once and expires after\n"
	    "DURATION (90s, 30m, 24h, 7d; default 24h). --name is what this node\n"
	    "will call the joiner (default: the name the joiner gives).\n";
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "expires", required_argument, NULL, 'e' },
		{ "address", required_argument, NULL, 'a' }, OPTS_COMMON
	};
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct opts o;
	int ch;

	opts_init(&o, c, "invite", help);
	while ((ch = opts_next(&o, argc, argv, "n:e:a:", longopts)) != -1) {
		if (ch == OPTS_STOP)
			return o.rc;
		if (ch == 'n')
			req.peer_name = optarg;
		else if (ch == 'a')
			req.address = optarg;
		else if (ch == 'e' && parse_duration(optarg, &req.expires_ms) == 0)
			req.has_expires_ms = 1;
		else if (ch == 'e')
			return cli_usage("invite", "invalid duration '%s' (e.g. 30m, 24h, 7d)", optarg);
		else
			return cli_usage("invite", "unexpected option");
	}
	if (opts_args(&o, argc, argv, "") != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__INVITE;
	return cli_call(c, &req, invite_reply, c);
}

static int
invites_reply(void *arg, const Tessera__Reply *r)
{
	struct listing *l = arg;
	char created[32], until[32];

	for (size_t i = 0; i < r->n_invites; i++) {
		const Tessera__InviteView *v = r->invites[i];

		if (l->cli->json) {
			json_array_append_new(l->array, invite_json(v));
			continue;
		}
		if (l->n++ == 0)
			printf("%-16s  %-16s  %-16s  %5s  %s\n", "ID", "CREATED", "EXPIRES", "WRONG",
			    "NAME");
		out_date(v->created, created);
		out_date(v->expires, until);
		printf("%-16s  %-16s  %-16s  %5u  ", v->id ? v->id : "-", created, until,
		    v->failures);
		out_plain(stdout, v->name && *v->name ? v->name : "(the joiner's own)");
		fputc('\n', stdout);
	}
	return CLI_OK;
}

static int
revoked(void *arg, const Tessera__Reply *r)
{
	printf("invite %s revoked\n", (const char *)arg);
	return CLI_OK;
}

int
cmd_invites(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera invites [--json] [--revoke ID]\n"
	    "\n"
	    "Lists this node's open invites (never their secrets): ID, when made,\n"
	    "when they expire, wrong proofs seen, the name the joiner will get.\n"
	    "--revoke ID makes an invite's code useless.\n";
	static const struct option longopts[] = {
		{ "revoke", required_argument, NULL, 'r' }, OPTS_COMMON
	};
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct listing l = { .cli = c };
	struct opts o;
	int ch;

	opts_init(&o, c, "invites", help);
	while ((ch = opts_next(&o, argc, argv, "r:", longopts)) != -1) {
		if (ch == OPTS_STOP)
			return o.rc;
		if (ch != 'r')
			return cli_usage("invites", "unexpected option");
		req.code = optarg;
	}
	if (opts_args(&o, argc, argv, "") != 0)
		return CLI_EUSAGE;
	req.has_op = 1;
	if (req.code != NULL) {
		req.op = TESSERA__REQUEST__OP__INVITE_REVOKE;
		return cli_call(c, &req, revoked, req.code);
	}
	req.op = TESSERA__REQUEST__OP__INVITES;
	return cli_listing(c, &req, invites_reply, &l, "no open invites");
}

/* The joined peer as the daemon sees it, polled until up or refused. */
struct join_state {
	char name[72];
	char id[NODEID_STRLEN + 1];
	char state[24];
	char error[200];
};

static int
joined_reply(void *arg, const Tessera__Reply *r)
{
	struct join_state *j = arg;

	if (r->n_peers != 1 || r->peers[0]->name == NULL || r->peers[0]->id.len != 32)
		return cli_fail(CLI_EDAEMON, "daemon sent no peer");
	snprintf(j->name, sizeof(j->name), "%s", r->peers[0]->name);
	nodeid_encode(r->peers[0]->id.data, j->id);
	return CLI_OK;
}

static int
poll_reply(void *arg, const Tessera__Reply *r)
{
	struct join_state *j = arg;

	for (size_t i = 0; i < r->n_peers; i++) {
		const Tessera__PeerView *p = r->peers[i];

		if (p->name == NULL || strcmp(p->name, j->name) != 0)
			continue;
		snprintf(j->state, sizeof(j->state), "%s", p->state ? p->state : "");
		snprintf(j->error, sizeof(j->error), "%s", p->last_error ? p->last_error : "");
	}
	return CLI_OK;
}

/* The inviter said why it refused, or the key at the address is not the
 * code's: waiting longer at this address changes nothing. */
static int
join_hopeless(const struct join_state *j)
{
	return strstr(j->error, "goodbye") != NULL || strstr(j->error, "not pinned") != NULL;
}

static int
ignore_reply(void *arg, const Tessera__Reply *r)
{
	return CLI_OK;
}

/* Waits up to secs for the joined peer to come up: CLI_OK, or 1 when it
 * did not (its drop-in removed, j->error saying why), or a CLI error. */
static int
join_wait(struct cli *c, struct join_state *j, int secs)
{
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	int rc;

	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__PEERS;
	for (int i = 0; i < secs * 5; i++) {
		struct cli quiet = *c;

		quiet.json = 0;
		if ((rc = cli_call(&quiet, &req, poll_reply, j)) != CLI_OK)
			return rc;
		if (strcmp(j->state, "up") == 0)
			return CLI_OK;
		if (join_hopeless(j))
			break;
		nanosleep(&pause, NULL);
	}
	/* Refused or unreachable: the drop-in goes, so that nothing keeps
	 * dialing with a code that did not work. */
	req.op = TESSERA__REQUEST__OP__PEER_REMOVE;
	req.peer_name = j->name;
	cli_call(c, &req, ignore_reply, NULL);
	return 1;
}

/* The number of addresses in code (1 if it does not parse: the daemon
 * then says why). */
static size_t
code_addrs(const char *text)
{
	struct invite_code code;
	const char *why;
	size_t n = 1;

	if (invite_decode(text, &code, &why) == 0 && code.n_addrs > 0)
		n = code.n_addrs;
	OPENSSL_cleanse(&code, sizeof(code));
	return n;
}

int
cmd_join(struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: tessera join [--json] [--name NAME] CODE\n"
	    "\n"
	    "Joins the node that made CODE with tessera invite: pins its node ID,\n"
	    "dials it, proves the code's secret (which never leaves this node),\n"
	    "and waits up to 20 s until the other node accepted it. Both nodes\n"
	    "then peer with each other, with no configuration to edit and no\n"
	    "restart. NAME is what this node calls the other (default peer-ID).\n"
	    "On failure nothing stays configured.\n";
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' }, OPTS_COMMON
	};
	Tessera__Request req = TESSERA__REQUEST__INIT;
	struct join_state j;
	struct opts o;
	json_t *out;
	size_t n;
	int ch, rc;

	opts_init(&o, c, "join", help);
	while ((ch = opts_next(&o, argc, argv, "n:", longopts)) != -1) {
		if (ch == OPTS_STOP)
			return o.rc;
		if (ch != 'n')
			return cli_usage("join", "unexpected option");
		req.peer_name = optarg;
	}
	if (opts_args(&o, argc, argv, "CODE") != 0)
		return CLI_EUSAGE;
	req.has_op = req.has_address_index = 1;
	req.op = TESSERA__REQUEST__OP__JOIN;
	req.code = argv[optind];
	n = code_addrs(req.code);
	/* Each address in turn (a node may be reachable on some only), until
	 * one comes up or the inviter refuses (then another address would
	 * not help). */
	for (req.address_index = 0; req.address_index < n; req.address_index++) {
		bool last = req.address_index + 1 == n;

		memset(&j, 0, sizeof(j));
		if ((rc = cli_call(c, &req, joined_reply, &j)) != CLI_OK)
			return rc;
		if ((rc = join_wait(c, &j, last ? JOIN_WAIT_S : JOIN_TRY_S)) == CLI_OK)
			break;
		if (rc != 1)
			return rc;
		if (last || strstr(j.error, "goodbye") != NULL)
			return cli_fail(CLI_EDAEMON, "join failed: %s", j.error[0] ? j.error :
			    "no answer from the inviting node");
		fprintf(stderr, "tessera: join: address %u of %zu did not answer (%s); trying the "
		    "next\n", (unsigned)req.address_index + 1, n, j.error[0] ? j.error : "no answer");
	}
	if (c->json) {
		out = json_object();
		json_object_set_new(out, "peer", json_string(j.name));
		json_object_set_new(out, "id", json_string(j.id));
		json_object_set_new(out, "joined", json_true());
		return cli_print_json(out);
	}
	printf("joined: peer %s (%s) is up and syncing\n", j.name, j.id);
	return CLI_OK;
}
