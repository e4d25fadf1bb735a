/* One peer connection: TCP and TLS plumbing, backpressure, timers; the link
 * of its session (sync/session.h), which handles the messages. */
#include "net/peer.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "net/peers_int.h"
#include "net/tls.h"
#include "store/store.h"

struct peer_write {
	uv_write_t req;
	struct peer *p;
	uint8_t *buf;
	size_t len;
};

static const char *state_names[] = { "tls", "hello", "established", "closing" };

const char *
peer_state_name(enum peer_state s)
{
	return state_names[s];
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static int peer_flush(struct peer *p);
static void peer_ref(struct peer *p);
static void peer_unref(struct peer *p);

/* Reads only while no limit holds them: the send queue, and the session's
 * own (rate limit, verification work, held messages). */
static void
update_reading(struct peer *p)
{
	bool want = p->state != PEER_CLOSING && !p->read_paused_queue && !p->read_paused_session;

	if (want == p->reading)
		return;
	p->reading = want;
	if (want) {
		p->last_rx = mono_ms();   /* idle time is counted while we read */
		uv_read_start((uv_stream_t *)&p->tcp, alloc_cb, on_read);
	}
	else
		uv_read_stop((uv_stream_t *)&p->tcp);
}

static void
change_state(struct peer *p, enum peer_state to, const char *why)
{
	log_debug("peer %s: %s -> %s: %s", p->label, state_names[p->state], state_names[to], why);
	p->state = to;
}

/* The session's link (struct session_io). */
static int
link_send(void *link, const uint8_t *frame, size_t len)
{
	struct peer *p = link;

	if (p->state == PEER_CLOSING)
		return -EPIPE;
	if (tls_write(p->tls, frame, len) != 0) {
		peer_close(p, "TLS write failed: %s", tls_error(p->tls));
		return -EPIPE;
	}
	return peer_flush(p);
}

static size_t
link_room(void *link)
{
	struct peer *p = link;
	uint32_t soft = peers_conf(p->mgr)->send_soft_limit;

	return p->state != PEER_CLOSING && p->queued < soft ? soft - p->queued : 0;
}

static size_t
link_queued(void *link)
{
	return ((struct peer *)link)->queued;
}

static void
link_pause(void *link, bool paused)
{
	struct peer *p = link;

	p->read_paused_session = paused;
	update_reading(p);
}

struct peer_work {
	uv_work_t work;
	struct peer *p;
	struct sync_job *job;
};

static void
work_verify(uv_work_t *w)
{
	session_job_verify(((struct peer_work *)w)->job);
}

static void
work_done(uv_work_t *w, int status)
{
	struct peer_work *pw = (struct peer_work *)w;
	struct peer *p = pw->p;

	session_job_done(&p->session, pw->job);
	free(pw);
	peer_unref(p);
}

/* Verification runs on the threadpool; the job keeps the peer's memory.
 * A live push of a record or two is verified here at once: on two busy
 * cores the handoff to a worker and back costs more than its signatures. */
static int
link_verify(void *link, struct sync_job *j)
{
	struct peer *p = link;
	struct peer_work *pw;

	if (session_job_inline(j)) {
		session_job_verify(j);
		session_job_done(&p->session, j);
		return 0;
	}
	if ((pw = calloc(1, sizeof(*pw))) == NULL)
		return -ENOMEM;
	pw->p = p;
	pw->job = j;
	if (uv_queue_work(p->tcp.loop, &pw->work, work_verify, work_done) != 0) {
		free(pw);
		return -EIO;
	}
	peer_ref(p);
	return 0;
}

static void
link_close(void *link, enum session_end why, const char *detail)
{
	peer_close(link, "%s", detail);
}

static const struct session_io link_io = {
	.send = link_send,
	.room = link_room,
	.queued = link_queued,
	.pause = link_pause,
	.verify = link_verify,
	.close = link_close,
};

static int
pin_slot(void *arg, const uint8_t key[TESS_KEY_LEN])
{
	struct peer *p = arg;
	struct peers *m = p->mgr;

	/* Outbound: only the key pinned for the peer we meant to dial, or the
	 * key its community rotated to (a verified rotation we hold). */
	if (p->slot == NULL)
		return -1;
	if (memcmp(p->slot->id, key, TESS_KEY_LEN) == 0)
		return 0;
	if (m->rotated != NULL && m->rotated(m->hook_arg, p->slot->id, key))
		return 0;
	/* Perhaps the peer rotated its key and we do not hold the statement
	 * yet (a peer that never dials us could not tell us otherwise): let
	 * it show its rotations in its Hello, a few a minute as strangers.
	 * Never while joining: an invite's key is the one in the code. */
	if (m->on_rotate != NULL && p->slot->join == NULL && pending_allow(&m->pending, mono_ms())) {
		p->unpinned = true;
		return 0;
	}
	return -1;
}

struct peer *
peer_new(struct peers *mgr, bool inbound, struct peer_slot *slot)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->mgr = mgr;
	p->inbound = inbound;
	p->slot = slot;
	p->tls = tls_engine_new(mgr->tls, inbound, inbound ? peers_pin_any : pin_slot,
	    inbound ? (void *)mgr : (void *)p);
	if (p->tls == NULL) {
		free(p);
		return NULL;
	}
	wire_reader_init(&p->rd, peers_conf(mgr)->max_frame);
	uv_tcp_init(mgr->loop, &p->tcp);
	p->tcp.data = p;
	p->last_rx = p->last_drain = mono_ms();
	p->deadline = p->last_rx + peers_conf(mgr)->handshake_timeout_ms;
	snprintf(p->label, sizeof(p->label), "%s", slot ? slot->label : "(incoming)");
	p->next = mgr->conns;
	mgr->conns = p;
	return p;
}

/* Work queued on the threadpool keeps the peer's memory alive. */
static void
peer_ref(struct peer *p)
{
	p->refs++;
}

static void
peer_unref(struct peer *p)
{
	if (--p->refs > 0 || !p->handle_closed)
		return;
	session_free(&p->session);
	tls_engine_free(p->tls);
	wire_reader_free(&p->rd);
	free(p);
}

static void
peer_free(uv_handle_t *h)
{
	struct peer *p = h->data;

	/* The manager forgets the peer now; its memory goes with the last ref. */
	p->slot = NULL;
	peers_unlink(p->mgr, p);
	p->mgr = NULL;
	p->handle_closed = true;
	p->refs++;
	session_drop(&p->session);   /* verified records no longer have a session */
	peer_unref(p);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	struct peer *p = req->data;

	if (!uv_is_closing((uv_handle_t *)&p->tcp))
		uv_close((uv_handle_t *)&p->tcp, peer_free);
}

static void
on_write(uv_write_t *req, int status)
{
	struct peer_write *w = (struct peer_write *)req;
	struct peer *p = w->p;

	p->queued -= w->len;
	p->last_drain = mono_ms();
	free(w->buf);
	free(w);
	if (status < 0) {
		if (status != UV_ECANCELED)
			peer_close(p, "write failed: %s", uv_strerror(status));
		return;
	}
	if (p->state == PEER_ESTABLISHED) {
		uint32_t soft = peers_conf(p->mgr)->send_soft_limit;

		/* Resume reading once half the queue drained (hysteresis). */
		if (p->read_paused_queue && p->queued < soft / 2) {
			p->read_paused_queue = false;
			update_reading(p);
		}
		session_pump(&p->session);
	}
}

/* Hands all ciphertext the engine produced to the socket. */
static int
peer_flush(struct peer *p)
{
	struct peer_write *w;
	uv_buf_t b;
	int rc;

	if (uv_is_closing((uv_handle_t *)&p->tcp))
		return -EPIPE;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	if ((rc = tls_take_output(p->tls, &w->buf, &w->len)) != 0 || w->len == 0) {
		free(w->buf);
		free(w);
		return rc;
	}
	w->p = p;
	b = uv_buf_init((char *)w->buf, (unsigned int)w->len);
	if ((rc = uv_write(&w->req, (uv_stream_t *)&p->tcp, &b, 1, on_write)) != 0) {
		free(w->buf);
		free(w);
		return rc;
	}
	p->queued += w->len;
	p->bytes_out += w->len;
	if (p->queued > peers_conf(p->mgr)->send_hard_limit) {
		peer_close(p, "peer is not reading (send queue over %u bytes)",
		    peers_conf(p->mgr)->send_hard_limit);
		return -ENOBUFS;
	}
	if (p->queued > peers_conf(p->mgr)->send_soft_limit && !p->read_paused_queue) {
		/* Stop taking requests from a peer that does not take our answers. */
		p->read_paused_queue = true;
		update_reading(p);
	}
	return 0;
}

void
peer_close(struct peer *p, const char *fmt, ...)
{
	char why[192] = "";

	if (p->state == PEER_CLOSING)
		return;
	if (fmt != NULL) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	peers_detach(p->mgr, p, fmt ? why : NULL);
	change_state(p, PEER_CLOSING, fmt ? why : "closed");
	if (p->has_session)
		session_close(&p->session, SESSION_END_LOCAL, fmt ? why : NULL, false);
	if (!p->started) {
		/* Refused before a byte was read (the caps on strangers): nothing
		 * to say and nobody to say it to. A reset releases the descriptor
		 * now and leaves no TIME_WAIT, so a flood of refusals cannot pile
		 * up descriptors behind a slow loop. */
		p->deadline = mono_ms() + 2000;
		if (!uv_is_closing((uv_handle_t *)&p->tcp) &&
		    uv_tcp_close_reset(&p->tcp, peer_free) != 0)
			uv_close((uv_handle_t *)&p->tcp, peer_free);
		return;
	}
	p->reading = false;
	uv_read_stop((uv_stream_t *)&p->tcp);
	if (tls_shutdown(p->tls) == 0)
		peer_flush(p);
	/* Let queued bytes (a Goodbye, an alert) go out, within a deadline. */
	p->deadline = mono_ms() + 2000;
	p->shutdown_req.data = p;
	if (uv_is_closing((uv_handle_t *)&p->tcp) ||
	    uv_shutdown(&p->shutdown_req, (uv_stream_t *)&p->tcp, on_shutdown) != 0) {
		if (!uv_is_closing((uv_handle_t *)&p->tcp))
			uv_close((uv_handle_t *)&p->tcp, peer_free);
	}
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[64 * 1024];

	/* One loop thread, and every read is consumed before the next. */
	buf->base = slab;
	buf->len = sizeof(slab);
}

static int
on_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct peer *p = arg;

	p->last_rx = mono_ms();   /* idle time counts from the last whole message */
	return session_on_frame(&p->session, payload, len, p->last_rx);
}

/* After each TLS feed: once the handshake is done, bind the peer to its
 * slot and start the session, which says Hello. */
static void
after_tls(struct peer *p)
{
	char *name = NULL;
	int rc;

	if (p->state != PEER_TLS || !tls_handshake_done(p->tls))
		return;
	memcpy(p->key, tls_peer_key(p->tls), TESS_KEY_LEN);
	if (peers_attach(p->mgr, p) != 0)
		return;    /* closed as a duplicate */
	change_state(p, PEER_HELLO, "TLS handshake done");
	store_meta_get(p->mgr->sessions->store, "name", &name);
	if (p->slot == NULL || p->unpinned)   /* its Hello decides (peers_session_hello) */
		rc = session_start_stranger(&p->session, p->mgr->sessions, &link_io, p, p->key,
		    p->label, name, mono_ms());
	else   /* joining with an invite: our Hello carries the proof */
		rc = session_start_join(&p->session, p->mgr->sessions, &link_io, p, p->key,
		    p->label, name, mono_ms(), !p->inbound ? p->slot->join : NULL);
	free(name);
	p->has_session = true;
	if (rc != 0)
		peer_close(p, "cannot start the session");
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct peer *p = s->data;
	uint8_t plain[16 * 1024];
	size_t n;
	int rc;

	if (nread == 0)
		return;
	if (nread < 0) {
		peer_close(p, nread == UV_EOF ? "connection closed by peer" : "read failed: %s",
		    uv_strerror((int)nread));
		return;
	}
	p->bytes_in += (uint64_t)nread;
	if ((rc = tls_feed(p->tls, (const uint8_t *)buf->base, (size_t)nread)) != 0) {
		peer_flush(p);   /* the alert tells the peer why */
		peer_close(p, "TLS handshake failed: %s", tls_error(p->tls));
		return;
	}
	after_tls(p);
	/* Plaintext can follow the handshake in the same read; alerts arrive here too. */
	while (p->state != PEER_CLOSING) {
		if ((rc = tls_read(p->tls, plain, sizeof(plain), &n)) != 0) {
			peer_close(p, "TLS error: %s", tls_error(p->tls));
			return;
		}
		if (n == 0)
			break;
		if (p->state == PEER_TLS) {
			peer_close(p, "data before the TLS handshake completed");
			return;
		}
		/* Every failure closes: a frame stream cannot resume in the
		 * middle of a buffer it stopped reading. */
		rc = wire_reader_feed(&p->rd, plain, n, on_frame, p);
		if (rc == -EMSGSIZE)
			peer_close(p, "frame over %u bytes", peers_conf(p->mgr)->max_frame);
		else if (rc < 0)
			peer_close(p, "cannot read frames: %s", strerror(-rc));
		if (rc < 0)
			return;
	}
	if (p->state != PEER_CLOSING && tls_closed(p->tls)) {
		peer_close(p, "peer closed the TLS session");
		return;
	}
	if (p->state != PEER_CLOSING)
		peer_flush(p);
}

/* Bytes the kernel may hold unsent on the link (TCP_NOTSENT_LOWAT): what
 * sits there cannot be overtaken, so while an attachment moves a new
 * record waits behind at most this much, yet the congestion window (what
 * is in flight) still grows to the link's bandwidth-delay product, which a
 * small SO_SNDBUF would cap. */
static void
limit_unsent(struct peer *p, int bytes)
{
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&p->tcp, &fd) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &bytes, sizeof(bytes)) != 0)
		log_debug("peer %s: cannot limit unsent data: %s", p->label, strerror(errno));
}

int
peer_start(struct peer *p)
{
	int rc;

	if (p->inbound) {
		struct sockaddr_storage ss;
		int len = sizeof(ss);
		char host[INET6_ADDRSTRLEN] = "?";
		int port = 0;

		if (uv_tcp_getpeername(&p->tcp, (struct sockaddr *)&ss, &len) == 0) {
			if (ss.ss_family == AF_INET6) {
				uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof(host));
				port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			} else {
				uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof(host));
				port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			}
		}
		snprintf(p->addr, sizeof(p->addr), "%s:%d", host, port);
		snprintf(p->label, sizeof(p->label), "%s", p->addr);
	}
	uv_tcp_nodelay(&p->tcp, 1);
	if (peers_conf(p->mgr)->send_unsent > 0)
		limit_unsent(p, (int)peers_conf(p->mgr)->send_unsent);
	p->started = true;
	p->reading = true;
	if ((rc = uv_read_start((uv_stream_t *)&p->tcp, alloc_cb, on_read)) != 0) {
		peer_close(p, "read start failed: %s", uv_strerror(rc));
		return rc;
	}
	if ((rc = tls_start(p->tls)) != 0) {
		peer_close(p, "TLS start failed: %s", tls_error(p->tls));
		return rc;
	}
	return peer_flush(p);
}

void
peer_tick(struct peer *p, uint64_t now)
{
	const struct config *c = peers_conf(p->mgr);

	if (p->state == PEER_CLOSING) {
		if (p->deadline && now >= p->deadline && !uv_is_closing((uv_handle_t *)&p->tcp))
			uv_close((uv_handle_t *)&p->tcp, peer_free);
		return;
	}
	if (p->deadline && now >= p->deadline) {
		peer_close(p, "handshake timeout (%s)", state_names[p->state]);
		return;
	}
	/* Memory is bounded by the send limits; a peer that takes nothing for
	 * a whole idle period is not coming back (checked first: the more useful
	 * diagnosis when it also sends nothing). */
	if (p->queued > 0 && now - p->last_drain >= c->idle_timeout_ms) {
		peer_close(p, "peer stopped reading (%zu bytes unsent for %u s)", p->queued,
		    c->idle_timeout_ms / 1000);
		return;
	}
	/* last_rx moves with whole messages only: bytes dripped slowly (a
	 * frame that never completes) do not keep a link alive. */
	if (now - p->last_rx >= c->idle_timeout_ms && p->reading) {
		peer_close(p, "idle timeout");
		return;
	}
	if (p->has_session)
		session_tick(&p->session, now);
}
