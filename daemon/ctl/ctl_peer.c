/* Managed peers: `tessera peer add` and `peer remove` write or delete one
 * drop-in in the configuration's peers_dir, then reload, so the change takes
 * effect at once and without a restart; the operator's own file is never
 * rewritten (a peer configured there is refused with where to edit it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/identity.h"
#include "core/log.h"
#include "core/nodeid.h"
#include "core/peerfile.h"
#include "core/util.h"
#include "ctl/ctl_int.h"
#include "net/peers.h"
#include "ops/ops.h"

/* Whether name or id is configured already; if so the error reply is sent. */
static bool
peer_taken(struct ctl_client *c, const struct config *conf, const char *name,
    const uint8_t id[TESS_KEY_LEN])
{
	const struct peer_conf *pc;

	if ((pc = config_find_peer_name(conf, name)) != NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "a peer named '%s' exists already (%s:%d)",
		    name, config_peer_file(conf, pc), pc->line);
		return true;
	}
	if ((pc = config_find_peer(conf, id)) != NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID,
		    "this node is configured already, as peer '%s' (%s:%d)", pc->name,
		    config_peer_file(conf, pc), pc->line);
		return true;
	}
	return false;
}

int
ctl_peer_write(struct ctl_client *c, const char *name, const char *address,
    const uint8_t id[TESS_KEY_LEN], const char *why)
{
	const struct ctl_env *env = ctl_client_env(c);
	const struct config *conf = env->ops->conf;
	char *cause = NULL;
	int rc;

	if (memcmp(id, env->id->pub, TESS_KEY_LEN) == 0) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "that is this node's own ID");
		return -EINVAL;
	}
	if (peer_taken(c, conf, name, id))
		return -EEXIST;
	if ((rc = peerfile_write(conf->peers_dir, name, address, id, why, &cause)) != 0) {
		log_warnx("peer %s: cannot write its drop-in: %s", name, cause);
		ctl_fail(c, rc, cause);
		return rc;
	}
	log_info("peer %s: drop-in written in %s (%s)", name, conf->peers_dir, why);
	peers_pending_forget(env->ops->peers, id);
	ctl_tell_peers_changed(c);
	/* The reload parsed what we wrote, or logged why not. */
	conf = env->ops->conf;
	if (config_find_peer(conf, id) == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "the drop-in for '%s' was written but not "
		    "taken (see the daemon's log)", name);
		return -EIO;
	}
	return 0;
}

void
ctl_peer_add(struct ctl_client *c, const Tessera__Request *req)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	uint8_t id[TESS_KEY_LEN];
	struct endpoint ep = { 0 };
	const char *why;

	if (req->peer_name == NULL || !config_peer_name_ok(req->peer_name)) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID,
		    "invalid peer name (1-64 of A-Z a-z 0-9 . _ -)");
		return;
	}
	if (req->node_id == NULL || nodeid_decode(req->node_id, id, &why) != 0) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "invalid node ID: %s",
		    req->node_id ? why : "missing");
		return;
	}
	if (req->address != NULL && *req->address != '\0') {
		if (config_endpoint_parse(req->address, &ep, &why) != 0) {
			ctl_error(c, TESSERA__REPLY__CODE__INVALID, "invalid address '%s': %s",
			    req->address, why);
			return;
		}
		free(ep.host);
	}
	if (ctl_peer_write(c, req->peer_name, req->address && *req->address ? req->address : NULL,
	    id, "added by tessera peer add") != 0)
		return;
	r.has_code = 1;
	ctl_send(c, &r);
}

void
ctl_peer_remove(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	const struct config *conf = env->ops->conf;
	const struct peer_conf *pc;
	Tessera__Reply r = TESSERA__REPLY__INIT;
	char *cause = NULL;
	int rc;

	if (req->peer_name == NULL ||
	    (pc = config_find_peer_name(conf, req->peer_name)) == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__NOT_FOUND, "no peer named '%s'",
		    req->peer_name ? req->peer_name : "");
		return;
	}
	if (pc->file == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__FORBIDDEN, "peer '%s' is in %s:%d, which is "
		    "edited by hand: remove it there and reload", pc->name, conf->path, pc->line);
		return;
	}
	if ((rc = peerfile_remove(pc->file, &cause)) != 0) {
		log_warnx("peer %s: cannot remove its drop-in: %s", req->peer_name, cause);
		ctl_fail(c, rc, cause);
		return;
	}
	log_info("peer %s: drop-in %s removed", req->peer_name, pc->file);
	ctl_tell_peers_changed(c);
	r.has_code = 1;
	ctl_send(c, &r);
}
