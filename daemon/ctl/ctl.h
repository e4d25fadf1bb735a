/* Control socket: the tessera CLI talks to the daemon over a Unix socket,
 * one protobuf Request per frame, answered by one or more Reply frames. */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "control.pb-c.h"
#include "core/tessera.h"
#include "core/wire.h"

struct node;
struct ctl;
struct import_session;
struct ctl_client;

/* Produces the next streamed reply; returns 1 when it sent the last one,
 * 0 when more follow, negative on failure (the client is dropped). */
typedef int (*ctl_stream_fn)(struct ctl_client *c);

struct ctl_client {
	struct ctl *ctl;
	uv_pipe_t pipe;
	struct wire_reader rd;
	uint64_t id;
	bool closing;
	size_t queued;                    /* reply bytes not yet written */
	uint8_t rbuf[64 * 1024];
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
	struct ctl_client *next;
};

/* Binds path (mode 0660, stale socket replaced) and starts accepting. */
int ctl_start(struct node *n, const char *path, struct ctl **out, char **cause);
/* Closes the listener and every client, removes the socket file. */
void ctl_stop(struct ctl *ctl);
struct node *ctl_node(const struct ctl_client *c);

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
/* Starts a streamed reply: fn is called now and again as writes drain. */
void ctl_stream(struct ctl_client *c, ctl_stream_fn fn);
void ctl_client_close(struct ctl_client *c, const char *why);

/* Request handlers (ctl_records.c, ctl_node.c, ctl_import.c). */
void ctl_status(struct ctl_client *c);
void ctl_communities(struct ctl_client *c);
void ctl_block(struct ctl_client *c, const char *who, bool blocked);
void ctl_dispatch(struct ctl_client *c, const Tessera__Request *req);
int ctl_import(struct ctl_client *c, const Tessera__ImportRequest *req);
void ctl_import_abort(struct ctl_client *c);

#endif
