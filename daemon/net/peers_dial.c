/* Dialing a configured peer. getaddrinfo may return several addresses (IPv6
 * and IPv4, several hosts); a node reachable on any of them must be reached,
 * so they are tried in the order the resolver gives (RFC 6724), one at a
 * time: a refusal moves on at once, and a silent address gives up after its
 * share of what is left of handshake_timeout, so that the whole dial (every
 * attempt, then TLS and Hello) stays within handshake_timeout as with one
 * address. A sequential "happy eyeballs"-lite: no parallel attempts, which
 * would cost a second connection the remote end has to refuse.
 *
 * Each attempt has a TCP handle of its own (a socket that failed to connect
 * cannot be reused, and the next address may be of the other family); the
 * one that connects is handed to a new peer through a duplicate of its
 * descriptor, and the attempt's handle is closed. */
#include "net/peers_dial.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "net/net.h"
#include "net/peer.h"
#include "net/peers_int.h"

struct dial {
	struct peers *m;
	struct peer_slot *slot;        /* NULL once the slot is freed (dial_forget) */
	uv_getaddrinfo_t req;
	struct addrinfo *res, *ai;     /* every resolved address; the one tried now */
	size_t n, tried;
	uv_tcp_t tcp;                  /* the attempt on ai */
	uv_connect_t conn;
	bool connecting;               /* tcp is open (closing included) */
	bool handed;                   /* a peer holds the connection */
	uint64_t deadline;             /* mono ms: the whole dial, TLS and Hello included */
	uint64_t attempt_end;          /* mono ms: the attempt on ai gives up */
	char addr[64];                 /* ai as text */
	char why[64];                  /* why the last attempt failed */
	struct dial *next;
};

static void attempt_closed(uv_handle_t *h);

static void
dial_free(struct dial *d)
{
	struct peers *m = d->m;

	for (struct dial **pp = &m->dials; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	if (d->slot != NULL && d->slot->dial == d)
		d->slot->dial = NULL;
	if (d->res != NULL)
		uv_freeaddrinfo(d->res);
	free(d);
	m->n_resolving--;
	peers_maybe_free(m);
}

/* The slot this dial is for, or NULL when it is no longer wanted. */
static struct peer_slot *
dial_slot(struct dial *d)
{
	return d->m->stopping ? NULL : d->slot;
}

/* Every address failed: one failure for the slot (flap-suppressed). */
static void
dial_failed(struct dial *d, struct peer_slot *s)
{
	char why[192];

	if (d->n > 1)
		snprintf(why, sizeof(why), "connect failed on all %zu addresses (last %s: %s)",
		    d->n, d->addr, d->why);
	else
		snprintf(why, sizeof(why), "connect failed: %s", d->why);
	s->dial = NULL;
	peers_slot_failed(s, d->n > 1 ? s->address : d->addr, why, false);
	peers_redial_later(d->m, s);
}

/* Ends the attempt on ai; attempt_closed goes on from there. */
static void
attempt_stop(struct dial *d, const char *why)
{
	if (why != NULL)
		snprintf(d->why, sizeof(d->why), "%s", why);
	if (!uv_is_closing((uv_handle_t *)&d->tcp))
		uv_close((uv_handle_t *)&d->tcp, attempt_closed);
}

static void on_connect(uv_connect_t *req, int status);

/* Starts the attempt on d->ai. */
static void
attempt_start(struct dial *d)
{
	uint64_t now = mono_ms(), left = d->deadline > now ? d->deadline - now : 0;
	int rc;

	net_addr_str(d->ai->ai_addr, d->addr, sizeof(d->addr));
	d->attempt_end = now + left / (d->n - d->tried);
	d->tried++;
	uv_tcp_init(d->m->tick.loop, &d->tcp);
	d->tcp.data = d;
	d->conn.data = d;
	d->connecting = true;
	if ((rc = uv_tcp_connect(&d->conn, &d->tcp, d->ai->ai_addr, on_connect)) != 0)
		attempt_stop(d, uv_strerror(rc));
}

/* Gives the connected socket to a new peer, which starts TLS on it. */
static int
hand_over(struct dial *d, struct peer_slot *s)
{
	struct peer *p;
	uv_os_fd_t fd;
	int dup_fd, rc;

	if ((rc = uv_fileno((uv_handle_t *)&d->tcp, &fd)) != 0)
		return rc;
	if ((dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return uv_translate_sys_error(errno);
	if ((p = peer_new(d->m, false, s)) == NULL) {
		close(dup_fd);
		return UV_ENOMEM;
	}
	d->handed = true;
	s->dial = NULL;
	s->dialing = p;
	/* The handshake deadline counts from the start of the dial, as it did
	 * when there was one address. */
	p->deadline = d->deadline;
	snprintf(p->addr, sizeof(p->addr), "%s", d->addr);
	if ((rc = uv_tcp_open(&p->tcp, dup_fd)) != 0) {
		close(dup_fd);
		peer_close(p, "connect failed: %s", uv_strerror(rc));
		return 0;
	}
	peer_start(p);
	return 0;
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct dial *d = req->data;
	struct peer_slot *s;
	int rc;

	/* Cancelled by attempt_stop: attempt_closed follows. */
	if (uv_is_closing((uv_handle_t *)&d->tcp))
		return;
	if (status < 0) {
		attempt_stop(d, uv_strerror(status));
		return;
	}
	if ((s = dial_slot(d)) != NULL && (rc = hand_over(d, s)) != 0)
		snprintf(d->why, sizeof(d->why), "%s", uv_strerror(rc));
	attempt_stop(d, NULL);
}

static void
attempt_closed(uv_handle_t *h)
{
	struct dial *d = h->data;
	struct peer_slot *s = dial_slot(d);

	d->connecting = false;
	if (d->handed || s == NULL) {
		dial_free(d);
		return;
	}
	if (d->ai->ai_next != NULL && mono_ms() < d->deadline) {
		log_debug("peer %s: connect to %s failed: %s; trying the next address", s->label,
		    d->addr, d->why);
		d->ai = d->ai->ai_next;
		attempt_start(d);
		return;
	}
	dial_failed(d, s);
	dial_free(d);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct dial *d = req->data;
	struct peer_slot *s = dial_slot(d);

	d->res = res;
	if (s == NULL || s->active != NULL || status < 0) {
		if (s != NULL && status < 0) {
			char why[192];

			snprintf(why, sizeof(why), "cannot resolve %s: %s", s->address,
			    uv_strerror(status));
			s->dial = NULL;
			peers_slot_failed(s, s->address, why, false);
			peers_redial_later(d->m, s);
		}
		dial_free(d);
		return;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
		d->n++;
	d->ai = res;
	d->deadline = mono_ms() + peers_conf(d->m)->handshake_timeout_ms;
	attempt_start(d);
}

void
dial_start(struct peers *m, struct peer_slot *s)
{
	struct dial *d = calloc(1, sizeof(*d));
	struct addrinfo hints;
	char port[8];

	if (d == NULL) {
		peers_redial_later(m, s);
		return;
	}
	d->m = m;
	d->slot = s;
	d->req.data = d;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", s->ep.port);
	if (uv_getaddrinfo(m->tick.loop, &d->req, on_resolved, s->ep.host, port, &hints) != 0) {
		free(d);
		peers_redial_later(m, s);
		return;
	}
	s->dial = d;
	d->next = m->dials;
	m->dials = d;
	m->n_resolving++;
}

void
dial_forget(struct dial *d)
{
	if (d != NULL)
		d->slot = NULL;
}

void
dial_tick(struct peers *m, uint64_t now)
{
	for (struct dial *d = m->dials; d != NULL; d = d->next)
		if (d->connecting && (m->stopping || now >= d->attempt_end))
			attempt_stop(d, "timed out");
}
