/* The control requests: one table of name, flags and handler per request
 * op (tmux's cmd_entry), and the dispatcher that applies the flags. */
#include "ctl/ctl_int.h"

#include "core/log.h"

static const struct ctl_cmd ctl_cmds[] = {
	[TESSERA__REQUEST__OP__STATUS] = { "status", 0, ctl_status },
	[TESSERA__REQUEST__OP__ADD] = { "add", CTL_WRITES, ctl_add },
	[TESSERA__REQUEST__OP__EDIT] = { "edit", CTL_WRITES, ctl_edit },
	[TESSERA__REQUEST__OP__DELETE] = { "delete", CTL_WRITES, ctl_delete },
	[TESSERA__REQUEST__OP__SHOW] = { "show", 0, ctl_show },
	[TESSERA__REQUEST__OP__LIST] = { "list", CTL_STREAMS, ctl_list },
	[TESSERA__REQUEST__OP__SEARCH] = { "search", 0, ctl_search },
	[TESSERA__REQUEST__OP__COMMUNITIES] = { "communities", 0, ctl_communities },
	/* The import in progress continues; another one waits its turn. */
	[TESSERA__REQUEST__OP__IMPORT] = { "import", CTL_WRITES, ctl_import },
	[TESSERA__REQUEST__OP__EXPORT] = { "export", CTL_STREAMS, ctl_export },
	[TESSERA__REQUEST__OP__PEERS] = { "peers", 0, ctl_peers },
	[TESSERA__REQUEST__OP__BLOCK] = { "block", CTL_WRITES, ctl_block },
	[TESSERA__REQUEST__OP__UNBLOCK] = { "unblock", CTL_WRITES, ctl_unblock },
	[TESSERA__REQUEST__OP__LINEAGE] = { "lineage", 0, ctl_lineage },
	/* With data set, the file's bytes follow in a stream. */
	[TESSERA__REQUEST__OP__GET] = { "get", CTL_WRITES | CTL_STREAMS, ctl_get },
	[TESSERA__REQUEST__OP__BLOB] = { "blob", CTL_WRITES | CTL_STREAMS, ctl_blob },
	[TESSERA__REQUEST__OP__PEER_ADD] = { "peer add", 0, ctl_peer_add },
	[TESSERA__REQUEST__OP__PEER_REMOVE] = { "peer remove", 0, ctl_peer_remove },
	[TESSERA__REQUEST__OP__INVITE] = { "invite", 0, ctl_invite },
	[TESSERA__REQUEST__OP__INVITES] = { "invites", 0, ctl_invites },
	[TESSERA__REQUEST__OP__INVITE_REVOKE] = { "invite revoke", 0, ctl_invite_revoke },
	[TESSERA__REQUEST__OP__JOIN] = { "join", 0, ctl_join },
	[TESSERA__REQUEST__OP__HELD] = { "held", 0, ctl_held },
};

void
ctl_dispatch(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_cmd *cmd = NULL;
	const struct ctl_client *owner = c->ctl->import_owner;

	if (req->has_op && (size_t)req->op < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]) &&
	    ctl_cmds[req->op].exec != NULL)
		cmd = &ctl_cmds[req->op];
	if (cmd == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "unknown request");
		return;
	}
	/* A write while an import holds the write transaction would join it,
	 * and vanish if it rolls back: it waits its turn instead. */
	if ((cmd->flags & CTL_WRITES) && owner != NULL && owner != c) {
		ctl_error(c, TESSERA__REPLY__CODE__BUSY,
		    "an import is in progress; try again when it is done");
		return;
	}
	log_debug("control: client %llu: %s", (unsigned long long)c->id, cmd->name);
	c->cmd = cmd;
	cmd->exec(c, req);
}
