/* Peer manager: configured peers, listeners, dialing with backoff, one
 * session per peer, gossip fan-out, the PEERS report. */
#include "net/peers_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/log.h"
#include "core/util.h"
#include "net/net.h"
#include "net/peer.h"
#include "net/tls.h"
#include "sync/session.h"

#define TICK_MS 200

struct dial {
	uv_getaddrinfo_t req;
	uv_connect_t conn;
	struct peers *m;
	uint8_t id[TESS_KEY_LEN];
	struct peer *p;
};

const struct config *
peers_conf(const struct peers *m)
{
	return m->conf;
}

int
peers_pin_any(void *arg, const uint8_t key[TESS_KEY_LEN])
{
	struct peers *m = arg;

	return config_find_peer(peers_conf(m), key) != NULL ? 0 : -1;
}

static struct peer_slot *
slot_find(struct peers *m, const uint8_t id[TESS_KEY_LEN])
{
	for (struct peer_slot *s = m->slots; s; s = s->next)
		if (memcmp(s->id, id, TESS_KEY_LEN) == 0)
			return s;
	return NULL;
}

static int
slot_set(struct peer_slot *s, const struct peer_conf *pc)
{
	char *name = strdup(pc->name), *addr = pc->address ? strdup(pc->address) : NULL;
	char *host = pc->ep.host ? strdup(pc->ep.host) : NULL;
	char shortid[NODEID_SHORT + 1];

	if (name == NULL || (pc->address && addr == NULL) || (pc->ep.host && host == NULL)) {
		free(name);
		free(addr);
		free(host);
		return -ENOMEM;
	}
	free(s->name);
	free(s->address);
	free(s->ep.host);
	s->name = name;
	s->address = addr;
	s->ep.host = host;
	s->ep.port = pc->ep.port;
	memcpy(s->id, pc->id, TESS_KEY_LEN);
	nodeid_short(s->id, shortid);
	snprintf(s->label, sizeof(s->label), "%s (%s)", s->name, shortid);
	return 0;
}

static void
slot_free(struct peer_slot *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->address);
	free(s->ep.host);
	free(s);
}

static struct peer_slot *
slot_new(struct peers *m, const struct peer_conf *pc)
{
	struct peer_slot *s = calloc(1, sizeof(*s));

	if (s == NULL || slot_set(s, pc) != 0) {
		free(s);
		return NULL;
	}
	s->next_dial = mono_ms();
	s->down_since = now_ms();
	s->next = m->slots;
	m->slots = s;
	return s;
}

static void
maybe_free(struct peers *m)
{
	/* A pending getaddrinfo still holds m: its callback runs even when
	 * stopping, so the manager lives until the last one has returned. */
	if (!m->stopping || m->conns != NULL || m->n_listening > 0 || m->n_resolving > 0 ||
	    !uv_is_closing((uv_handle_t *)&m->tick))
		return;
	for (struct peer_slot *s = m->slots, *next; s; s = next) {
		next = s->next;
		slot_free(s);
	}
	tls_ctx_free(m->tls);
	free(m->listeners);
	free(m);
}

static void
schedule_redial(struct peers *m, struct peer_slot *s)
{
	const struct config *c = peers_conf(m);
	double jitter = 0.5 + (double)random() / RAND_MAX;

	/* Exponential backoff with jitter, so restarted networks do not dial in lockstep. */
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : c->backoff_min_ms;
	if (s->backoff_ms > c->backoff_max_ms)
		s->backoff_ms = c->backoff_max_ms;
	s->next_dial = mono_ms() + (uint64_t)(s->backoff_ms * jitter);
}

/* An inbound connection that never became a peer: the first REFUSED_LOG_MAX
 * of each minute are logged, the others counted in the next one logged. */
#define REFUSED_LOG_MAX 10
static void
log_refused(struct peers *m, struct peer *p, const char *reason)
{
	uint64_t now = mono_ms();

	if (now - m->refused_window >= 60000) {
		m->refused_window = now;
		m->refused_logged = 0;
	}
	if (m->refused_logged >= REFUSED_LOG_MAX) {
		m->refused_quiet++;
		return;
	}
	m->refused_logged++;
	if (m->refused_quiet > 0)
		log_warnx("connection from %s refused: %s (and %u more refused connections not "
		    "logged)", p->addr, reason, m->refused_quiet);
	else
		log_warnx("connection from %s refused: %s", p->addr, reason);
	m->refused_quiet = 0;
}

/* Logs a failure of s unless it is a repeat inside flap suppression. */
static void
slot_failed(struct peer_slot *s, const char *addr, const char *reason, bool was_up)
{
	const char *at = addr != NULL && *addr ? addr : s->address ? s->address : "?";

	snprintf(s->last_error, sizeof(s->last_error), "%s", reason);
	s->last_error_at = now_ms();
	if (was_up) {
		/* Losing a working session starts a new run of failures. */
		memset(&s->flap, 0, sizeof(s->flap));
		flap_fail(&s->flap, reason, mono_ms());
		log_warnx("peer %s at %s: connection lost: %s", s->label, at, reason);
		return;
	}
	switch (flap_fail(&s->flap, reason, mono_ms())) {
	case FLAP_FIRST:
		log_warnx("peer %s at %s: %s", s->label, at, reason);
		break;
	case FLAP_CHANGED:
		log_warnx("peer %s at %s: %s (%u failed attempts)", s->label, at, reason,
		    s->flap.failures);
		break;
	case FLAP_STILL:
		log_warnx("peer %s at %s: still failing (%u attempts in %llu min): %s", s->label,
		    at, s->flap.failures,
		    (unsigned long long)((mono_ms() - s->flap.first_ms) / 60000), reason);
		break;
	case FLAP_QUIET:
		log_debug("peer %s at %s: %s (%u failed attempts)", s->label, at, reason,
		    s->flap.failures);
		break;
	}
}

void
peers_detach(struct peers *m, struct peer *p, const char *reason)
{
	struct peer_slot *s = p->slot;
	bool was_up = p->state == PEER_ESTABLISHED;

	if (s == NULL) {
		if (reason != NULL && !m->stopping)
			log_refused(m, p, reason);
		return;
	}
	if (s->dialing == p)
		s->dialing = NULL;
	if (s->active == p) {
		s->active = NULL;
		s->connected_since = 0;
	} else if (s->active != NULL) {
		/* Another session with this peer lives on: nothing failed. */
		log_debug("peer %s: extra connection closed: %s", p->label, reason ? reason : "");
		s->bytes_in += p->bytes_in;
		s->bytes_out += p->bytes_out;
		return;
	}
	s->bytes_in += p->bytes_in;
	s->bytes_out += p->bytes_out;
	if (was_up)
		s->down_since = now_ms();
	if (m->stopping)
		return;
	if (reason != NULL)
		slot_failed(s, p->addr, reason, was_up);
	if (was_up)
		s->backoff_ms = 0;
	schedule_redial(m, s);
}

int
peers_attach(struct peers *m, struct peer *p)
{
	struct peer_slot *s = p->inbound ? slot_find(m, p->key) : p->slot;
	char shortid[NODEID_SHORT + 1];

	if (s == NULL) {
		peer_close(p, "peer is no longer configured");
		return -ENOENT;
	}
	p->slot = s;
	nodeid_short(p->key, shortid);
	snprintf(p->label, sizeof(p->label), "%s (%s)", s->name, shortid);
	if (p->inbound)
		log_debug("peer %s: incoming connection from %s", p->label, p->addr);
	if (s->active != NULL && s->active != p) {
		struct peer *old = s->active;
		/* Both ends keep the connection dialed by the smaller key, so a
		 * simultaneous dial ends with exactly one connection. */
		const uint8_t *me = m->self;
		const uint8_t *dialer_new = p->inbound ? p->key : me;
		const uint8_t *dialer_old = old->inbound ? old->key : me;
		/* Same direction: the peer reconnected, the old one is stale. */
		bool keep_new = p->inbound == old->inbound ||
		    memcmp(dialer_new, dialer_old, TESS_KEY_LEN) < 0;

		if (!keep_new) {
			if (s->dialing == p)
				s->dialing = NULL;
			peer_close(p, "duplicate connection");
			return -EEXIST;
		}
		s->active = NULL;
		peer_close(old, "replaced by a newer connection");
	}
	if (s->dialing == p)
		s->dialing = NULL;
	s->active = p;
	return 0;
}

void
peers_unlink(struct peers *m, struct peer *p)
{
	for (struct peer **pp = &m->conns; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	maybe_free(m);
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct dial *d = req->data;
	struct peer *p = d->p;

	free(d);
	if (p->state == PEER_CLOSING)
		return;
	if (status < 0) {
		peer_close(p, "connect failed: %s", uv_strerror(status));
		return;
	}
	peer_start(p);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct dial *d = req->data;
	struct peers *m = d->m;
	struct peer_slot *s = slot_find(m, d->id);
	struct peer *p;
	int rc;

	m->n_resolving--;
	if (s != NULL)
		s->resolving = false;
	if (m->stopping || s == NULL || s->active != NULL || status < 0) {
		if (s != NULL && status < 0 && !m->stopping) {
			char why[192];

			snprintf(why, sizeof(why), "cannot resolve %s: %s", s->address,
			    uv_strerror(status));
			slot_failed(s, s->address, why, false);
			schedule_redial(m, s);
		}
		uv_freeaddrinfo(res);
		free(d);
		maybe_free(m);
		return;
	}
	if ((p = peer_new(m, false, s)) == NULL) {
		uv_freeaddrinfo(res);
		free(d);
		schedule_redial(m, s);
		return;
	}
	net_addr_str(res->ai_addr, p->addr, sizeof(p->addr));
	s->dialing = p;
	d->p = p;
	d->conn.data = d;
	rc = uv_tcp_connect(&d->conn, &p->tcp, res->ai_addr, on_connect);
	uv_freeaddrinfo(res);
	if (rc != 0) {
		free(d);
		peer_close(p, "connect failed: %s", uv_strerror(rc));
	}
}

static void
dial(struct peers *m, struct peer_slot *s)
{
	struct dial *d = calloc(1, sizeof(*d));
	struct addrinfo hints;
	char port[8];

	if (d == NULL)
		return;
	d->m = m;
	memcpy(d->id, s->id, TESS_KEY_LEN);
	d->req.data = d;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", s->ep.port);
	s->resolving = true;
	if (uv_getaddrinfo(m->loop, &d->req, on_resolved, s->ep.host, port, &hints) != 0) {
		s->resolving = false;
		free(d);
		schedule_redial(m, s);
		return;
	}
	m->n_resolving++;
}

static void
tick_closed(uv_handle_t *h)
{
	maybe_free(h->data);
}

static void
on_tick(uv_timer_t *t)
{
	struct peers *m = t->data;
	uint64_t now = mono_ms();

	for (struct peer *p = m->conns, *next; p; p = next) {
		next = p->next;
		peer_tick(p, now);
	}
	if (m->stopping) {
		if (m->conns == NULL) {
			uv_timer_stop(&m->tick);
			uv_close((uv_handle_t *)&m->tick, tick_closed);
		}
		return;
	}
	for (struct peer_slot *s = m->slots; s; s = s->next)
		if (s->address && s->ep.host && !s->active && !s->dialing && !s->resolving &&
		    now >= s->next_dial)
			dial(m, s);
}

static void
on_incoming(uv_stream_t *server, int status)
{
	struct peers *m = server->data;
	struct peer *p;

	if (status < 0) {
		log_warnx("accept: %s", uv_strerror(status));
		return;
	}
	if ((p = peer_new(m, true, NULL)) == NULL)
		return;
	if (uv_accept(server, (uv_stream_t *)&p->tcp) != 0) {
		peer_close(p, NULL);
		return;
	}
	peer_start(p);
}

static void
listener_closed(uv_handle_t *h)
{
	struct peers *m = h->data;

	m->n_listening--;
	maybe_free(m);
}

int
peers_start(const struct peers_env *env, struct peers **out, char **cause)
{
	const struct config *c = env->conf;
	struct peers *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL || (c->n_listen && !(m->listeners = calloc(c->n_listen, sizeof(uv_tcp_t))))) {
		free(m);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	m->loop = env->loop;
	m->conf = env->conf;
	m->sessions = env->sessions;
	memcpy(m->self, env->id->pub, TESS_KEY_LEN);
	*out = m;
	uv_timer_init(m->loop, &m->tick);
	m->tick.data = m;
	uv_timer_start(&m->tick, on_tick, TICK_MS, TICK_MS);
	if ((rc = tls_ctx_new(env->id, &m->tls, cause)) != 0)
		return rc;
	for (size_t i = 0; i < c->n_peers; i++)
		if (slot_new(m, &c->peers[i]) == NULL)
			return set_cause(cause, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n_listen; i++) {
		uv_tcp_t *h = &m->listeners[i];

		rc = net_listen(m->loop, &c->listen[i], h, on_incoming, cause);
		h->data = m;
		m->n_listeners++;
		m->n_listening++;
		if (rc != 0)
			return rc;
		log_info("listening on %s:%u", c->listen[i].host, c->listen[i].port);
	}
	/* Dial right away rather than after the first tick. */
	on_tick(&m->tick);
	return 0;
}

void
peers_stop(struct peers *m)
{
	if (m == NULL)
		return;
	m->stopping = true;
	for (size_t i = 0; i < m->n_listeners; i++)
		uv_close((uv_handle_t *)&m->listeners[i], listener_closed);
	for (struct peer *p = m->conns, *next; p; p = next) {
		next = p->next;
		peer_close(p, NULL);
	}
	/* The tick keeps running to force-close slow shutdowns, then stops. */
	on_tick(&m->tick);
}

void
peers_announce(struct peers *m)
{
	if (m == NULL || m->stopping)
		return;
	/* Each session offers from its own position; records from a peer are
	 * never offered back to it (the store remembers their origin). */
	for (struct peer *p = m->conns; p; p = p->next)
		if (p->state == PEER_ESTABLISHED)
			session_pump(&p->session);
}

void
peers_resume(struct peers *m)
{
	if (m == NULL || m->stopping)
		return;
	for (struct peer *p = m->conns, *next; p; p = next) {
		next = p->next;
		if (!p->has_session)
			continue;
		session_drain(&p->session);
		if (p->state == PEER_ESTABLISHED)
			session_pump(&p->session);
	}
}

void
peers_session_established(struct peers *m, struct session *ss)
{
	struct peer *p = ss->link;
	struct peer_slot *s = p->slot;
	uint64_t down_ms;
	uint32_t failed;

	p->state = PEER_ESTABLISHED;
	p->deadline = 0;
	log_debug("peer %s: hello -> established: hello received", p->label);
	if (s == NULL)
		return;
	s->connected_since = p->since = now_ms();
	s->down_since = 0;
	s->backoff_ms = 0;
	failed = flap_recover(&s->flap, mono_ms(), &down_ms);
	if (failed > 0)
		log_info("peer %s: connected (%s %s), reachable again after %u failed attempt%s "
		    "in %llu s", p->label, p->inbound ? "from" : "to", p->addr, failed,
		    failed == 1 ? "" : "s", (unsigned long long)(down_ms / 1000));
	else
		log_info("peer %s: connected (%s %s)", p->label, p->inbound ? "from" : "to",
		    p->addr);
}

void
peers_session_synced(struct peers *m, struct session *ss)
{
	struct peer *p = ss->link;

	if (p->slot != NULL)
		p->slot->last_sync = now_ms();
}

void
peers_resync(struct peers *m, const char *why)
{
	if (m == NULL)
		return;
	for (struct peer *p = m->conns; p; p = p->next)
		if (p->state == PEER_ESTABLISHED && p->slot != NULL) {
			p->slot->backoff_ms = 0;
			p->slot->next_dial = 0;
			peer_close(p, "%s", why);
		}
}

/* Any added, removed or changed listen address, not only a new count. */
static bool
listen_changed(const struct config *a, const struct config *b)
{
	if (a->n_listen != b->n_listen)
		return true;
	for (size_t i = 0; i < a->n_listen; i++)
		if (a->listen[i].port != b->listen[i].port ||
		    strcmp(a->listen[i].host, b->listen[i].host) != 0)
			return true;
	return false;
}

void
peers_reload(struct peers *m, const struct config *old, const struct config *nc)
{
	struct peer_slot **pp = &m->slots;

	if (m == NULL)
		return;
	m->conf = nc;
	if (listen_changed(old, nc))
		log_warnx("reload: listen changes take effect after a restart");
	while (*pp != NULL) {
		struct peer_slot *s = *pp;
		const struct peer_conf *pc = config_find_peer(nc, s->id);

		if (pc != NULL) {
			/* Unchanged peers keep their session; a new address applies
			 * at the next dial. */
			if (slot_set(s, pc) != 0)
				log_warnx("reload: out of memory updating peer %s", s->label);
			pp = &s->next;
			continue;
		}
		log_info("peer %s: removed from the configuration", s->label);
		*pp = s->next;
		for (struct peer *p = m->conns; p; p = p->next)
			if (p->slot == s) {
				p->slot = NULL;
				peer_close(p, NULL);
			}
		slot_free(s);
	}
	for (size_t i = 0; i < nc->n_peers; i++)
		if (slot_find(m, nc->peers[i].id) == NULL) {
			struct peer_slot *s = slot_new(m, &nc->peers[i]);

			if (s == NULL)
				log_warnx("reload: out of memory adding peer %s", nc->peers[i].name);
			else
				log_info("peer %s: added to the configuration", s->label);
		}
}
