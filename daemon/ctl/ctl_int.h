/* Shared by the control socket's files: clients, replies, the request
 * table and its handlers. Nothing outside ctl/ includes it. */
#ifndef CTL_INT_H
#define CTL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "control.pb-c.h"
#include "core/wire.h"
#include "ctl/ctl.h"

struct ctl_client;
struct import_session;

/* Produces the next streamed reply; returns 1 when it sent the last one,
 * 0 when more follow, negative on failure (the client is dropped). */
typedef int (*ctl_stream_fn)(struct ctl_client *c);

/* Flags of a control request (struct ctl_cmd). */
#define CTL_WRITES  0x1   /* writes the store: refused (BUSY) while another
                           * client's import holds the write transaction */
#define CTL_STREAMS 0x2   /* may answer with a stream (ctl_stream): reading
                           * pauses until its last frame is produced */

/* One control request: tmux's cmd_entry. */
struct ctl_cmd {
	const char *name;         /* for logs */
	int flags;
	void (*exec)(struct ctl_client *c, const Tessera__Request *req);
};

struct ctl {
	const struct ctl_env *env;
	uv_pipe_t listener;
	char *path;
	struct ctl_client *clients;
	size_t n_clients;
	uint64_t next_id;
	/* The client whose import holds the store's write transaction. */
	const struct ctl_client *import_owner;
	bool listening;
	bool stopping;
	bool listener_closed;
};

struct ctl_client {
	struct ctl *ctl;
	uv_pipe_t pipe;
	struct wire_reader rd;
	uint64_t id;
	bool closing;
	size_t queued;                    /* reply bytes not yet written */
	uint8_t rbuf[64 * 1024];
	const struct ctl_cmd *cmd;        /* the request being answered */
	/* A streamed reply in progress (list, export): reading pauses meanwhile. */
	ctl_stream_fn stream;
	uint64_t *cursor;
	size_t cursor_n, cursor_pos;
	/* An export's filter and the newest seq it listed. A listed record
	 * gone when its turn came was replaced meanwhile (seqs only grow): the
	 * records stored past export_upto are then listed and streamed too. */
	bool export_has_author, export_gone;
	uint8_t export_author[TESS_KEY_LEN];
	uint64_t export_upto;
	struct import_session *import;
	int blob_fd;                      /* an attachment being streamed, or -1 */
	struct ctl_client *next;
};

/* The environment the client's control socket was started with. */
const struct ctl_env *ctl_client_env(const struct ctl_client *c);
/* Upward news through the env's hooks (skipped when a hook is NULL). */
void ctl_tell_committed(struct ctl_client *c);
/* c's import took (holding) or released the write transaction. */
void ctl_tell_import(struct ctl_client *c, bool holding);
void ctl_tell_blocked(struct ctl_client *c, const uint8_t author[TESS_KEY_LEN], bool blocked);
void ctl_tell_peers_changed(struct ctl_client *c);

/* Sends one reply frame. Returns 0 or negative (client then closing). */
int ctl_send(struct ctl_client *c, const Tessera__Reply *reply);
/* Sends a one-line error reply. */
int ctl_error(struct ctl_client *c, Tessera__Reply__Code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The reply code for a negative errno, and an error reply from one (cause
 * is freed; NULL: strerror). */
Tessera__Reply__Code ctl_code(int rc);
void ctl_fail(struct ctl_client *c, int rc, char *cause);
/* The reply to a write refused for lack of space (code STORAGE). */
#define CTL_STORAGE_FULL \
	"storage full: no space left for the node's data; nothing was stored (reads still work)"
/* Starts a streamed reply: fn is called now and again as writes drain.
 * Only for requests flagged CTL_STREAMS. */
void ctl_stream(struct ctl_client *c, ctl_stream_fn fn);
void ctl_client_close(struct ctl_client *c, const char *why);

/* Runs the handler of req's op from the request table (ctl_dispatch.c). */
void ctl_dispatch(struct ctl_client *c, const Tessera__Request *req);

/* Request handlers: ctl_records.c */
void ctl_add(struct ctl_client *c, const Tessera__Request *req);
void ctl_edit(struct ctl_client *c, const Tessera__Request *req);
void ctl_delete(struct ctl_client *c, const Tessera__Request *req);
void ctl_show(struct ctl_client *c, const Tessera__Request *req);
void ctl_get(struct ctl_client *c, const Tessera__Request *req);
void ctl_blob(struct ctl_client *c, const Tessera__Request *req);
/* Resolves a record ID prefix; on failure the error reply is already sent. */
int ctl_resolve_id(struct ctl_client *c, const char *prefix, uint8_t id[TESS_ID_LEN]);

/* The files of an add or edit, copied into the attachment store
 * (ctl_attach.c): ptr[0..n) for publish_fields. */
struct ctl_attach {
	Tessera__Attachment *att, **ptr;
	uint8_t **root;
	size_t n;
};
int ctl_attach_files(struct store *st, Tessera__AttachFile **files, size_t n,
    struct ctl_attach *ca, char **cause);
void ctl_attach_free(struct ctl_attach *ca);
/* Fills v->attachments with the state here of each attachment of v's record. */
int ctl_attach_views(const struct ctl_env *env, Tessera__RecordView *v);
/* The attachment fields of status: bytes held and missing, the budget, and
 * how many missing attachments it keeps out. */
void ctl_attach_status(const struct ctl_env *env, Tessera__Status *s);
void ctl_list(struct ctl_client *c, const Tessera__Request *req);
void ctl_search(struct ctl_client *c, const Tessera__Request *req);
void ctl_export(struct ctl_client *c, const Tessera__Request *req);
/* Resolves a record ID prefix; on failure the error reply is already sent. */
int ctl_resolve_id(struct ctl_client *c, const char *prefix, uint8_t id[TESS_ID_LEN]);
/* ctl_lineage.c: the adoption fields of ADD and EDIT into f (buf holds
 * what f points to); on failure the error reply is already sent. */
struct publish_fields;
struct ctl_adopt {
	uint8_t source_id[TESS_ID_LEN], source_author[TESS_KEY_LEN], via[TESS_KEY_LEN];
};
int ctl_adoption_add(struct ctl_client *c, const Tessera__AddRequest *a,
    struct publish_fields *f, struct ctl_adopt *buf);
int ctl_adoption_edit(struct ctl_client *c, const Tessera__EditRequest *e,
    struct publish_fields *f);
void ctl_lineage(struct ctl_client *c, const Tessera__Request *req);
/* ctl_held.c: when records became held here (store_held.h) */
void ctl_held(struct ctl_client *c, const Tessera__Request *req);
/* ctl_node.c */
void ctl_status(struct ctl_client *c, const Tessera__Request *req);
/* Resolves a community the user named (store_resolve_author): an ID or
 * unique ID prefix first, a name only when unique after normalisation. On
 * failure sends the error reply, with the candidates when ambiguous. */
struct store_match;
int ctl_resolve_community(struct ctl_client *c, const char *text, struct store_match *m);
void ctl_communities(struct ctl_client *c, const Tessera__Request *req);
void ctl_peers(struct ctl_client *c, const Tessera__Request *req);
/* BLOCK given a name (not an ID) needs req->confirmed: it removes records. */
void ctl_block(struct ctl_client *c, const Tessera__Request *req);
void ctl_unblock(struct ctl_client *c, const Tessera__Request *req);
/* ctl_peer.c: managed peers (drop-ins) */
void ctl_peer_add(struct ctl_client *c, const Tessera__Request *req);
void ctl_peer_remove(struct ctl_client *c, const Tessera__Request *req);
/* Writes a drop-in for a peer and reloads. Returns 0, or negative after
 * sending the error reply (name or ID taken, our own ID, write failed). */
int ctl_peer_write(struct ctl_client *c, const char *name, const char *address,
    const uint8_t id[TESS_KEY_LEN], const char *why);
/* ctl_invite.c: invites and joining with one */
void ctl_invite(struct ctl_client *c, const Tessera__Request *req);
void ctl_invites(struct ctl_client *c, const Tessera__Request *req);
void ctl_invite_revoke(struct ctl_client *c, const Tessera__Request *req);
void ctl_join(struct ctl_client *c, const Tessera__Request *req);
/* ctl_import.c */
void ctl_import(struct ctl_client *c, const Tessera__Request *req);
/* Rolls back the client's open import, if any (it is disconnecting). */
void ctl_import_abort(struct ctl_client *c);

#endif
