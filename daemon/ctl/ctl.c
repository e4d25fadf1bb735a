/* Control socket: accept, read frames, write replies with backpressure. */
#include "ctl/ctl_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/tessera.h"
#include "core/util.h"
#include "ctl/ctl_sock.h"
#include "ops/ops.h"

#define CTL_MAX_CLIENTS 64
#define CTL_QUEUE_LIMIT (4 * 1024 * 1024)   /* stop producing a stream past this */

/* Freed when stopping and the listener and every client handle are closed. */
static void
ctl_maybe_free(struct ctl *ctl)
{
	if (!ctl->stopping || !ctl->listener_closed || ctl->clients != NULL)
		return;
	free(ctl->path);
	free(ctl);
}

struct ctl_write {
	uv_write_t req;
	struct ctl_client *c;
	uint8_t *frame;
	size_t len;
};

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

const struct ctl_env *
ctl_client_env(const struct ctl_client *c)
{
	return c->ctl->env;
}

void
ctl_tell_committed(struct ctl_client *c)
{
	const struct ctl_env *env = c->ctl->env;

	if (env->on_committed != NULL)
		env->on_committed(env->hook_arg);
}

void
ctl_tell_import(struct ctl_client *c, bool holding)
{
	const struct ctl_env *env = c->ctl->env;

	/* The owner is ours to know: writes of other clients wait for it. */
	c->ctl->import_owner = holding ? c : NULL;
	if (env->on_import != NULL)
		env->on_import(env->hook_arg, holding);
}

void
ctl_tell_blocked(struct ctl_client *c, const uint8_t author[TESS_KEY_LEN], bool blocked)
{
	const struct ctl_env *env = c->ctl->env;

	if (env->on_blocked != NULL)
		env->on_blocked(env->hook_arg, author, blocked);
}

void
ctl_tell_peers_changed(struct ctl_client *c)
{
	const struct ctl_env *env = c->ctl->env;

	if (env->on_peers_changed != NULL)
		env->on_peers_changed(env->hook_arg);
}

static void
client_free(uv_handle_t *h)
{
	struct ctl_client *c = h->data;
	struct ctl *ctl = c->ctl;

	for (struct ctl_client **pp = &ctl->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ctl->n_clients--;
	wire_reader_free(&c->rd);
	free(c->cursor);
	if (c->blob_fd >= 0)
		close(c->blob_fd);
	free(c);
	ctl_maybe_free(ctl);
}

void
ctl_client_close(struct ctl_client *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = true;
	if (why != NULL)
		log_info("control: client %llu: %s, disconnecting", (unsigned long long)c->id, why);
	ctl_import_abort(c);
	uv_read_stop((uv_stream_t *)&c->pipe);
	uv_close((uv_handle_t *)&c->pipe, client_free);
}

static void
stream_continue(struct ctl_client *c)
{
	/* Produce while the client keeps up; write callbacks call us again. */
	while (c->stream != NULL && !c->closing && c->queued < CTL_QUEUE_LIMIT) {
		int rc = c->stream(c);

		if (rc < 0) {
			ctl_client_close(c, "reply failed");
			return;
		}
		if (rc == 1) {
			c->stream = NULL;
			free(c->cursor);
			c->cursor = NULL;
			c->cursor_n = c->cursor_pos = 0;
			uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, on_read);
		}
	}
}

static void
on_write(uv_write_t *req, int status)
{
	struct ctl_write *w = (struct ctl_write *)req;
	struct ctl_client *c = w->c;

	c->queued -= w->len;
	free(w->frame);
	free(w);
	if (status < 0 && status != UV_ECANCELED) {
		ctl_client_close(c, uv_strerror(status));
		return;
	}
	if (!c->closing)
		stream_continue(c);
}

int
ctl_send(struct ctl_client *c, const Tessera__Reply *reply)
{
	struct ctl_write *w;
	uv_buf_t b;
	int rc;

	if (c->closing)
		return -EPIPE;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	/* The CLI accepts frames up to TESS_MAX_FRAME; handlers chunk below it. */
	if ((rc = wire_pack(&reply->base, TESS_MAX_FRAME, &w->frame, &w->len)) != 0) {
		free(w);
		log_warnx("control: client %llu: reply too large", (unsigned long long)c->id);
		return rc;
	}
	w->c = c;
	b = uv_buf_init((char *)w->frame, (unsigned int)w->len);
	if ((rc = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write)) != 0) {
		free(w->frame);
		free(w);
		ctl_client_close(c, uv_strerror(rc));
		return rc;
	}
	c->queued += w->len;
	return 0;
}

Tessera__Reply__Code
ctl_code(int rc)
{
	switch (rc) {
	case -ENOENT: return TESSERA__REPLY__CODE__NOT_FOUND;
	case -EEXIST: return TESSERA__REPLY__CODE__AMBIGUOUS;
	case -EPERM: return TESSERA__REPLY__CODE__FORBIDDEN;
	case -EINVAL: case -EMSGSIZE: return TESSERA__REPLY__CODE__INVALID;
	case -ENOSPC: case -EIO: return TESSERA__REPLY__CODE__STORAGE;
	case -EBUSY: return TESSERA__REPLY__CODE__BUSY;
	default: return TESSERA__REPLY__CODE__ERROR;
	}
}

void
ctl_fail(struct ctl_client *c, int rc, char *cause)
{
	if (rc == -ENOSPC)
		ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "%s", CTL_STORAGE_FULL);
	else
		ctl_error(c, ctl_code(rc), "%s", cause ? cause : strerror(-rc));
	free(cause);
}

int
ctl_error(struct ctl_client *c, Tessera__Reply__Code code, const char *fmt, ...)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r.has_code = 1;
	r.code = code;
	r.error = msg;
	return ctl_send(c, &r);
}

void
ctl_stream(struct ctl_client *c, ctl_stream_fn fn)
{
	/* on_frame stops eating frames only after a request that may stream. */
	if (c->cmd == NULL || !(c->cmd->flags & CTL_STREAMS)) {
		log_warnx("control: client %llu: %s streamed a reply without CTL_STREAMS",
		    (unsigned long long)c->id, c->cmd ? c->cmd->name : "?");
		ctl_client_close(c, "internal error");
		return;
	}
	c->stream = fn;
	uv_read_stop((uv_stream_t *)&c->pipe);
	stream_continue(c);
}

static int
on_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct ctl_client *c = arg;
	Tessera__Request *req = tessera__request__unpack(NULL, len, payload);

	if (req == NULL) {
		ctl_client_close(c, "undecodable request");
		return -EBADMSG;
	}
	ctl_dispatch(c, req);
	tessera__request__free_unpacked(req, NULL);
	/* A streamed reply pauses reading: stop eating frames of this buffer. */
	return c->closing || c->stream ? 1 : 0;
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;

	buf->base = (char *)c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *c = s->data;
	int rc;

	if (nread == UV_EOF) {
		ctl_client_close(c, NULL);
		return;
	}
	if (nread < 0) {
		ctl_client_close(c, uv_strerror((int)nread));
		return;
	}
	rc = wire_reader_feed(&c->rd, (const uint8_t *)buf->base, (size_t)nread, on_frame, c);
	if (rc == -EMSGSIZE)
		ctl_client_close(c, "oversized frame");
	else if (rc < 0 && rc != -EBADMSG)
		ctl_client_close(c, "read failed");
	/* rc == 1: a stream paused reading; a CLI sends one request at a time,
	 * so nothing after it in this buffer is expected. */
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct ctl *ctl = server->data;
	struct ctl_client *c;

	if (status < 0) {
		log_warnx("control: accept: %s", uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->ctl = ctl;
	c->id = ++ctl->next_id;
	c->blob_fd = -1;
	wire_reader_init(&c->rd, TESS_MAX_FRAME);
	uv_pipe_init(ctl->env->ops->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = ctl->clients;
	ctl->clients = c;
	ctl->n_clients++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		ctl_client_close(c, "accept failed");
		return;
	}
	if (ctl->n_clients > CTL_MAX_CLIENTS) {
		ctl_client_close(c, "too many control clients");
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, on_read);
}

int
ctl_start(const struct ctl_env *env, const char *path, struct ctl **out, char **cause)
{
	struct ctl *ctl;
	int rc;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL || (ctl->path = strdup(path)) == NULL) {
		free(ctl);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	ctl->env = env;
	uv_pipe_init(env->ops->loop, &ctl->listener, 0);
	ctl->listener.data = ctl;
	/* srw-rw----, owner and one group (ours, or control_group): everyone
	 * else may not even connect. */
	rc = ctl_sock_bind(&ctl->listener, path, env->ops->conf->control_group, cause);
	if (rc == 0 && (rc = uv_listen((uv_stream_t *)&ctl->listener, 16, on_connection)) != 0) {
		set_cause(cause, rc, "control socket %s: %s", path, uv_strerror(rc));
		unlink(path);
	}
	if (rc != 0) {
		ctl->path[0] = '\0';
		*out = ctl;   /* ctl_stop closes the handle and frees */
		return rc;
	}
	ctl->listening = true;
	*out = ctl;
	return 0;
}

static void
listener_closed(uv_handle_t *h)
{
	struct ctl *ctl = h->data;

	ctl->listener_closed = true;
	ctl_maybe_free(ctl);
}

void
ctl_stop(struct ctl *ctl)
{
	if (ctl == NULL || ctl->stopping)
		return;
	ctl->stopping = true;
	for (struct ctl_client *c = ctl->clients; c; c = c->next)
		ctl_client_close(c, NULL);
	if (ctl->listening && ctl->path[0] != '\0')
		unlink(ctl->path);
	/* Open even when ctl_start failed: it leaves the closing to us. */
	uv_close((uv_handle_t *)&ctl->listener, listener_closed);
}
