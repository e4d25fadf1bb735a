/* The tessera CLI: shared state, exit codes and the command entry points. */
#ifndef CLI_H
#define CLI_H

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>

#include "control.pb-c.h"

#define CLI_DEFAULT_SOCKET "/run/tessera/tesserad.sock"
#define CLI_TIMEOUT_S 60          /* longest wait for one reply */
#define CLI_WIDTH 100             /* target width of human tables */

/* Exit codes; documented in docs/cli.md and `tessera --help`. */
enum cli_exit {
	CLI_OK = 0,
	CLI_EDAEMON = 1,          /* daemon reported an error (ERROR, STORAGE, BUSY) */
	CLI_EUSAGE = 2,           /* bad option or missing argument */
	CLI_ECONNECT = 3,         /* cannot connect to the daemon */
	CLI_ENOTFOUND = 4,
	CLI_EAMBIGUOUS = 5,
	CLI_EFORBIDDEN = 6,
	CLI_EINVALID = 7,         /* bad input, import errors */
};

struct cli {
	const char *socket;
	int json;                 /* --json: one JSON document on stdout */
	const char *errfile;      /* import: prefix for replies carrying error_line */
};

struct conn;

/* Prints "tessera: cause" on stderr; returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: one line naming the cause and the help to read; returns CLI_EUSAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints doc (stealing the reference) on stdout: the one output of --json. */
int cli_print_json(json_t *doc);
/* JSON helpers: null for absent values. */
json_t *cli_json_str(const char *s);
json_t *cli_json_time(int64_t ms);
json_t *cli_json_nodeid(const ProtobufCBinaryData *key);

/* Called for each reply with code OK. Returns 0 to continue or an exit code
 * to stop (the caller then drops the connection). */
typedef int (*cli_reply_cb)(void *arg, const Tessera__Reply *r);

/* Connects to c->socket; on failure reports it and returns CLI_ECONNECT. */
int cli_connect(struct cli *c, struct conn **out);
/* Sends req on an open connection and hands every reply to cb until one has
 * more=false. Reports failures; returns an exit code. */
/* The two halves of cli_exchange, for callers that keep a request in flight. */
int cli_send(struct cli *c, struct conn *cn, const Tessera__Request *req);
int cli_replies(struct cli *c, struct conn *cn, cli_reply_cb cb, void *arg);
int cli_exchange(struct cli *c, struct conn *cn, const Tessera__Request *req, cli_reply_cb cb,
    void *arg);
/* cli_connect + cli_exchange + close. */
int cli_call(struct cli *c, const Tessera__Request *req, cli_reply_cb cb, void *arg);

/* A listing's state, for its reply callback: with --json the rows go to
 * array, else they are printed and counted in n. */
struct listing {
	struct cli *cli;
	json_t *array;
	size_t n;
};

/* Sends a listing request, whose replies go to cb with l; prints the JSON
 * array with --json, else empty ("no peers") when nothing was listed.
 * Returns an exit code. */
int cli_listing(struct cli *c, const Tessera__Request *req, cli_reply_cb cb, struct listing *l,
    const char *empty);

/* Commands: argv[0] is the command name. Each returns an exit code. */
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_held(struct cli *c, int argc, char **argv);
int cmd_communities(struct cli *c, int argc, char **argv);
int cmd_peers(struct cli *c, int argc, char **argv);
int cmd_peer(struct cli *c, int argc, char **argv);
int cmd_invite(struct cli *c, int argc, char **argv);
int cmd_invites(struct cli *c, int argc, char **argv);
int cmd_join(struct cli *c, int argc, char **argv);
int cmd_block(struct cli *c, int argc, char **argv);
int cmd_add(struct cli *c, int argc, char **argv);
int cmd_edit(struct cli *c, int argc, char **argv);
int cmd_delete(struct cli *c, int argc, char **argv);
int cmd_show(struct cli *c, int argc, char **argv);
int cmd_get(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_search(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_adopt(struct cli *c, int argc, char **argv);
int cmd_lineage(struct cli *c, int argc, char **argv);

#endif
