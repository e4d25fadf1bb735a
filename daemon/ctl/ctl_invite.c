/* Invites: `tessera invite` makes a one-line code carrying this node's
 * address(es), its key and a one-time secret; `tessera invites` lists and
 * revokes open ones; `tessera join CODE` on the other node pins the
 * inviter, writes its drop-in and dials it with a proof of the secret in
 * Hello (docs/protocol.md, "Invites"). The inviter's side of the check is
 * node.c's on_join, through the peer manager. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "core/config.h"
#include "core/identity.h"
#include "core/invites.h"
#include "core/log.h"
#include "core/nodeid.h"
#include "core/util.h"
#include "ctl/ctl_int.h"
#include "net/peers.h"
#include "ops/ops.h"
#include "sync/session.h"

#define TTL_DEFAULT_MS (24ULL * 3600 * 1000)
#define TTL_MIN_MS 1000ULL
#define TTL_MAX_MS (30ULL * 24 * 3600 * 1000)

/* Listen addresses a joiner can dial: not the wildcards. */
static void
invite_addrs(const struct config *conf, struct invite_code *code)
{
	for (size_t i = 0; i < conf->n_listen && code->n_addrs < INVITE_MAX_ADDRS; i++) {
		const struct endpoint *ep = &conf->listen[i];

		if (strcmp(ep->host, "0.0.0.0") == 0 || strcmp(ep->host, "::") == 0)
			continue;
		snprintf(code->addrs[code->n_addrs++], INVITE_ADDR_MAX + 1,
		    strchr(ep->host, ':') ? "[%s]:%u" : "%s:%u", ep->host, ep->port);
	}
}

static void
invite_view(Tessera__InviteView *v, const struct invite_open *e, char hex[2 * INVITE_ID_LEN + 1])
{
	tessera__invite_view__init(v);
	hex_encode(e->id, INVITE_ID_LEN, hex);
	v->id = hex;
	v->name = (char *)e->name;
	v->has_created = v->has_expires = v->has_failures = 1;
	v->created = e->created;
	v->expires = e->expires;
	v->failures = e->failures;
}

void
ctl_invite(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	const struct config *conf = env->ops->conf;
	uint64_t ttl = req->has_expires_ms && req->expires_ms ? req->expires_ms : TTL_DEFAULT_MS;
	Tessera__Reply r = TESSERA__REPLY__INIT;
	Tessera__InviteView view, *views[1] = { &view };
	const struct invite_open *e;
	struct invite_code code;
	char text[INVITE_CODE_MAX], hex[2 * INVITE_ID_LEN + 1], *cause = NULL;
	struct endpoint ep = { 0 };
	const char *why;
	int rc;

	if (req->peer_name != NULL && *req->peer_name && !config_peer_name_ok(req->peer_name)) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID,
		    "invalid peer name (1-64 of A-Z a-z 0-9 . _ -)");
		return;
	}
	if (ttl < TTL_MIN_MS || ttl > TTL_MAX_MS) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "an invite expires after 1 second to 30 "
		    "days");
		return;
	}
	memset(&code, 0, sizeof(code));
	memcpy(code.inviter, env->id->pub, TESS_KEY_LEN);
	if (req->address != NULL && *req->address) {
		rc = config_endpoint_parse(req->address, &ep, &why);
		free(ep.host);
		if (rc != 0 || strlen(req->address) > INVITE_ADDR_MAX) {
			ctl_error(c, TESSERA__REPLY__CODE__INVALID, "invalid address '%s': %s",
			    req->address, rc != 0 ? why : "too long");
			return;
		}
		snprintf(code.addrs[code.n_addrs++], INVITE_ADDR_MAX + 1, "%s", req->address);
	} else {
		invite_addrs(conf, &code);
	}
	if (code.n_addrs == 0) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "this node listens on no address a joiner "
		    "could dial: give one with --address HOST:PORT");
		return;
	}
	if ((rc = invites_add(env->invites, req->peer_name, ttl, now_ms(), &e, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	memcpy(code.id, e->id, INVITE_ID_LEN);
	memcpy(code.secret, e->secret, INVITE_SECRET_LEN);
	invite_encode(&code, text);
	invite_view(&view, e, hex);
	log_info("invite %s created for %s, valid %llu min", hex,
	    e->name[0] ? e->name : "a node of any name", (unsigned long long)(ttl / 60000));
	r.has_code = 1;
	r.invite_code = text;
	r.invites = views;
	r.n_invites = 1;
	ctl_send(c, &r);
	OPENSSL_cleanse(&code, sizeof(code));
	OPENSSL_cleanse(text, sizeof(text));
}

void
ctl_invites(struct ctl_client *c, const Tessera__Request *req)
{
	const struct invites *iv = ctl_client_env(c)->invites;
	Tessera__Reply r = TESSERA__REPLY__INIT;
	Tessera__InviteView views[INVITES_MAX], *ptrs[INVITES_MAX];
	char hex[INVITES_MAX][2 * INVITE_ID_LEN + 1];
	int64_t now = now_ms();

	for (size_t i = 0; i < iv->n; i++)
		if (iv->e[i].expires > now) {
			invite_view(&views[r.n_invites], &iv->e[i], hex[r.n_invites]);
			ptrs[r.n_invites] = &views[r.n_invites];
			r.n_invites++;
		}
	r.has_code = 1;
	r.invites = ptrs;
	ctl_send(c, &r);
}

void
ctl_invite_revoke(struct ctl_client *c, const Tessera__Request *req)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	char *cause = NULL;
	int rc;

	if ((rc = invites_revoke(ctl_client_env(c)->invites, req->code ? req->code : "",
	    &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	log_info("invite %s revoked", req->code);
	r.has_code = 1;
	ctl_send(c, &r);
}

void
ctl_join(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	Tessera__Reply r = TESSERA__REPLY__INIT;
	Tessera__PeerView view = TESSERA__PEER_VIEW__INIT, *views[1] = { &view };
	struct session_join join;
	struct invite_code code;
	char name[72], shortid[NODEID_SHORT + 1], hex[2 * INVITE_ID_LEN + 1], why_log[64];
	const char *why;
	char *addr;

	if (req->code == NULL || invite_decode(req->code, &code, &why) != 0) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "%s", req->code ? why : "no code");
		return;
	}
	if (memcmp(code.inviter, env->id->pub, TESS_KEY_LEN) == 0) {
		OPENSSL_cleanse(&code, sizeof(code));
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "this is an invite of this node itself");
		return;
	}
	/* The CLI tries the code's addresses in turn (tessera join). */
	if (req->address_index >= code.n_addrs) {
		OPENSSL_cleanse(&code, sizeof(code));
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "the code has no address %u",
		    (unsigned)req->address_index + 1);
		return;
	}
	addr = code.addrs[req->address_index];
	nodeid_short(code.inviter, shortid);
	if (req->peer_name != NULL && *req->peer_name)
		snprintf(name, sizeof(name), "%s", req->peer_name);
	else
		snprintf(name, sizeof(name), "peer-%s", shortid);
	invite_proof(code.secret, code.inviter, env->id->pub, code.id, join.mac);
	memcpy(join.invite, code.id, INVITE_ID_LEN);
	hex_encode(code.id, INVITE_ID_LEN, hex);
	snprintf(why_log, sizeof(why_log), "joined with invite %s", hex);
	/* A drop-in pins one address: the one asked for. */
	if (ctl_peer_write(c, name, addr, code.inviter, why_log) == 0) {
		if (peers_set_join(env->ops->peers, code.inviter, &join) != 0)
			log_warnx("peer %s: cannot attach the invite proof", name);
		log_info("peer %s: joining with invite %s at %s", name, hex, addr);
		view.name = name;
		view.address = addr;
		view.has_id = 1;
		view.id = (ProtobufCBinaryData){ TESS_KEY_LEN, code.inviter };
		r.has_code = 1;
		r.peers = views;
		r.n_peers = 1;
		ctl_send(c, &r);
	}
	OPENSSL_cleanse(&code, sizeof(code));
	OPENSSL_cleanse(&join, sizeof(join));
}
