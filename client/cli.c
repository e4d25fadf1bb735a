/* Request/reply exchanges with the daemon, and how failures are reported:
 * one "tessera: cause" line on stderr and an exit code per failure class. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "core/nodeid.h"
#include "out.h"
#include "recjson.h"

static const struct {
	int exit;
	const char *what;               /* when the daemon gives no message */
} reply_codes[] = {
	[TESSERA__REPLY__CODE__OK] = { CLI_OK, "ok" },
	[TESSERA__REPLY__CODE__ERROR] = { CLI_EDAEMON, "daemon error" },
	[TESSERA__REPLY__CODE__INVALID] = { CLI_EINVALID, "invalid request" },
	[TESSERA__REPLY__CODE__NOT_FOUND] = { CLI_ENOTFOUND, "not found" },
	[TESSERA__REPLY__CODE__AMBIGUOUS] = { CLI_EAMBIGUOUS, "ambiguous ID prefix" },
	[TESSERA__REPLY__CODE__FORBIDDEN] = { CLI_EFORBIDDEN, "forbidden" },
	[TESSERA__REPLY__CODE__STORAGE] = { CLI_EDAEMON, "storage error" },
	[TESSERA__REPLY__CODE__BUSY] = { CLI_EDAEMON, "daemon busy, try again" },
};

/* Messages quote names, titles and the daemon's words: never raw. */
static void
vfail(const char *fmt, va_list ap, const char *cmd)
{
	char msg[2048];

	fflush(stdout);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fputs("tessera: ", stderr);
	out_plain(stderr, msg);
	if (cmd != NULL)
		fprintf(stderr, "; see tessera %s%s--help", cmd, *cmd ? " " : "");
	fputc('\n', stderr);
}

int
cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(fmt, ap, NULL);
	va_end(ap);
	return code;
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(fmt, ap, cmd != NULL ? cmd : "");
	va_end(ap);
	return CLI_EUSAGE;
}

int
cli_print_json(json_t *doc)
{
	int rc = CLI_OK;

	if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2)) != 0)
		rc = cli_fail(CLI_EDAEMON, "cannot write JSON output");
	else
		fputc('\n', stdout);
	json_decref(doc);
	return rc;
}

json_t *
cli_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
cli_json_time(int64_t ms)
{
	char buf[32];

	if (ms <= 0)
		return json_null();
	recjson_time(ms, buf);
	return json_string(buf);
}

json_t *
cli_json_nodeid(const ProtobufCBinaryData *key)
{
	char id[NODEID_STRLEN + 1];

	if (key->len != 32)
		return json_null();
	nodeid_encode(key->data, id);
	return json_string(id);
}

/* Reports a reply whose code is not OK and maps it to an exit code. */
static int
reply_failure(struct cli *c, const Tessera__Reply *r)
{
	const char *what = "unknown reply code";
	const char *msg;
	int code = CLI_EDAEMON;

	if ((size_t)r->code < sizeof(reply_codes) / sizeof(reply_codes[0])) {
		code = reply_codes[r->code].exit;
		what = reply_codes[r->code].what;
	}
	msg = r->error != NULL && *r->error != '\0' ? r->error : what;
	if (c->errfile != NULL && r->has_error_line && r->error_line > 0)
		cli_fail(code, "%s:%u: %s", c->errfile, r->error_line, msg);
	else
		cli_fail(code, "%s", msg);
	if (r->code == TESSERA__REPLY__CODE__AMBIGUOUS) {
		for (size_t i = 0; i < r->n_candidates; i++) {
			fputs("  ", stderr);
			out_plain(stderr, r->candidates[i]);
			fputc('\n', stderr);
		}
	}
	/* A failure reply is never OK, whatever the daemon put in code. */
	return code == CLI_OK ? CLI_EDAEMON : code;
}

int
cli_connect(struct cli *c, struct conn **out)
{
	char *cause = NULL;
	int rc;

	rc = conn_open(c->socket, CLI_TIMEOUT_S, out, &cause);
	if (rc != 0) {
		cli_fail(CLI_ECONNECT, "cannot connect to %s: %s (is tesserad running?)",
		    c->socket, cause != NULL ? cause : strerror(-rc));
		free(cause);
		return CLI_ECONNECT;
	}
	return CLI_OK;
}

int
cli_send(struct cli *c, struct conn *cn, const Tessera__Request *req)
{
	char *cause = NULL;
	int rc = conn_send(cn, req, &cause);

	if (rc != 0) {
		rc = cli_fail(rc == -EMSGSIZE ? CLI_EINVALID : CLI_EDAEMON, "%s", cause);
		free(cause);
		return rc;
	}
	return CLI_OK;
}

int
cli_replies(struct cli *c, struct conn *cn, cli_reply_cb cb, void *arg)
{
	Tessera__Reply *r;
	char *cause = NULL;
	int rc, more;

	do {
		rc = conn_recv(cn, &r, &cause);
		if (rc != 0) {
			cli_fail(CLI_EDAEMON, "%s", cause);
			free(cause);
			return CLI_EDAEMON;
		}
		more = r->has_more && r->more;
		if (r->has_code && r->code != TESSERA__REPLY__CODE__OK)
			rc = reply_failure(c, r);
		else if (cb != NULL)
			rc = cb(arg, r);
		tessera__reply__free_unpacked(r, NULL);
	} while (rc == CLI_OK && more);
	return rc;
}

int
cli_exchange(struct cli *c, struct conn *cn, const Tessera__Request *req, cli_reply_cb cb,
    void *arg)
{
	int rc = cli_send(c, cn, req);

	return rc == CLI_OK ? cli_replies(c, cn, cb, arg) : rc;
}

int
cli_listing(struct cli *c, const Tessera__Request *req, cli_reply_cb cb, struct listing *l,
    const char *empty)
{
	int rc;

	l->cli = c;
	l->n = 0;
	if (c->json && (l->array = json_array()) == NULL)
		return cli_fail(CLI_EDAEMON, "out of memory");
	rc = cli_call(c, req, cb, l);
	if (c->json) {
		if (rc == CLI_OK)
			return cli_print_json(l->array);
		json_decref(l->array);
	} else if (rc == CLI_OK && l->n == 0) {
		printf("%s\n", empty);
	}
	return rc;
}

int
cli_call(struct cli *c, const Tessera__Request *req, cli_reply_cb cb, void *arg)
{
	struct conn *cn;
	int rc;

	rc = cli_connect(c, &cn);
	if (rc != CLI_OK)
		return rc;
	rc = cli_exchange(c, cn, req, cb, arg);
	conn_close(cn);
	return rc;
}
