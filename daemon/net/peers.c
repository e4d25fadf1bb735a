/* Peer manager: configured peers, listeners, dialing with backoff, one
 * session per peer, gossip fan-out, the PEERS report. */
#include "net/peers_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "core/identity.h"
#include "core/log.h"
#include "net/peers_dial.h"
#include "core/util.h"
#include "net/net.h"
#include "net/peer.h"
#include "net/tls.h"
#include "sync/session.h"

#define TICK_MS 200

const struct config *
peers_conf(const struct peers *m)
{
	return m->conf;
}

int
peers_pin_any(void *arg, const uint8_t key[TESS_KEY_LEN])
{
	struct peers *m = arg;

	if (config_find_peer(peers_conf(m), key) != NULL || peers_slot_rotated(m, key) != NULL)
		return 0;
	/* A stranger costs a full handshake (a signature check) before it can
	 * be recorded as pending or show an invite proof: a few a minute. */
	return pending_allow(&m->pending, mono_ms()) ? 0 : -1;
}

struct peer_slot *
peers_slot_find(struct peers *m, const uint8_t id[TESS_KEY_LEN])
{
	for (struct peer_slot *s = m->slots; s; s = s->next)
		if (memcmp(s->id, id, TESS_KEY_LEN) == 0)
			return s;
	return NULL;
}

struct peer_slot *
peers_slot_rotated(struct peers *m, const uint8_t key[TESS_KEY_LEN])
{
	if (m->rotated == NULL)
		return NULL;
	for (struct peer_slot *s = m->slots; s; s = s->next)
		if (m->rotated(m->hook_arg, s->id, key))
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
	dial_forget(s->dial);
	free(s->join);
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

void
peers_maybe_free(struct peers *m)
{
	/* A dial still holds m: its getaddrinfo and close callbacks run even
	 * when stopping, so the manager lives until the last dial has ended. */
	if (!m->stopping || m->conns != NULL || m->n_listening > 0 || m->n_resolving > 0 ||
	    !uv_is_closing((uv_handle_t *)&m->tick))
		return;
	for (struct peer_slot *s = m->slots, *next; s; s = next) {
		next = s->next;
		slot_free(s);
	}
	tls_ctx_free(m->tls);
	admit_free(&m->admit);
	free(m->listeners);
	free(m);
}

void
peers_redial_later(struct peers *m, struct peer_slot *s)
{
	const struct config *c = peers_conf(m);
	double jitter = 0.5 + rng_double(&m->rng);
	uint64_t delay;

	/* Exponential backoff with jitter, so restarted networks do not dial in
	 * lockstep: each daemon's generator has a seed of its own. */
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : c->backoff_min_ms;
	if (s->backoff_ms > c->backoff_max_ms)
		s->backoff_ms = c->backoff_max_ms;
	delay = (uint64_t)(s->backoff_ms * jitter);
	s->next_dial = mono_ms() + delay;
	log_debug("peer %s: next dial in %llu ms", s->label, (unsigned long long)delay);
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
void
peers_slot_failed(struct peer_slot *s, const char *addr, const char *reason, bool was_up)
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
		peers_slot_failed(s, p->addr, reason, was_up);
	/* The inviter said goodbye to our invite proof: dialing again with it
	 * would count as one more wrong try (five revoke the invite). The
	 * joining CLI removes the peer; a reload or peer add dials again. */
	if (s->join != NULL && !was_up && reason != NULL && strstr(reason, "goodbye") != NULL) {
		s->next_dial = UINT64_MAX;
		return;
	}
	if (was_up)
		s->backoff_ms = 0;
	peers_redial_later(m, s);
}

int
peers_attach(struct peers *m, struct peer *p)
{
	struct peer_slot *s = p->inbound ? peers_slot_find(m, p->key) : p->slot;
	char shortid[NODEID_SHORT + 1];

	nodeid_short(p->key, shortid);
	/* A peer we pin under an older key of its community (a rotation we
	 * hold): the link follows the rotation. */
	if (s == NULL && p->inbound)
		s = peers_slot_rotated(m, p->key);
	if (!p->inbound && p->unpinned) {
		/* Not bound to its slot until its Hello shows the rotations. */
		snprintf(p->label, sizeof(p->label), "%.80s, key %s", s->label, shortid);
		return 0;
	}
	if (s == NULL && p->inbound) {
		/* Still a stranger, counted as one, until its Hello shows an
		 * invite proof (peers_session_hello). */
		snprintf(p->label, sizeof(p->label), "stranger %s (%s)", p->addr, shortid);
		return 0;
	}
	return peers_bind(m, p, s);
}

int
peers_bind(struct peers *m, struct peer *p, struct peer_slot *s)
{
	char shortid[NODEID_SHORT + 1];

	/* The pin check passed: no longer a stranger. */
	admit_remove(&m->admit, p);
	if (s == NULL) {
		peer_close(p, "peer is no longer configured");
		return -ENOENT;
	}
	nodeid_short(p->key, shortid);
	p->slot = s;
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
	/* Its descriptor is closed now, not when it began to close. */
	admit_remove(&m->admit, p);
	for (struct peer **pp = &m->conns; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	peers_maybe_free(m);
}

static void
tick_closed(uv_handle_t *h)
{
	peers_maybe_free(h->data);
}

static void
on_tick(uv_timer_t *t)
{
	struct peers *m = t->data;
	uint64_t now = mono_ms();

	peers_close_silent(m, now);
	for (struct peer *p = m->conns, *next; p; p = next) {
		next = p->next;
		peer_tick(p, now);
	}
	dial_tick(m, now);
	if (m->stopping) {
		if (m->conns == NULL) {
			uv_timer_stop(&m->tick);
			uv_close((uv_handle_t *)&m->tick, tick_closed);
		}
		return;
	}
	for (struct peer_slot *s = m->slots; s; s = s->next)
		if (s->address && s->ep.host && !s->active && !s->dialing && !s->dial &&
		    now >= s->next_dial)
			dial_start(m, s);
}

static void
listener_closed(uv_handle_t *h)
{
	struct peers *m = h->data;

	m->n_listening--;
	peers_maybe_free(m);
}

int
peers_start(const struct peers_env *env, struct peers **out, char **cause)
{
	const struct config *c = env->conf;
	struct peers *m = calloc(1, sizeof(*m));
	uint64_t seed;
	int rc;

	if (m == NULL || (c->n_listen && !(m->listeners = calloc(c->n_listen, sizeof(uv_tcp_t))))) {
		free(m);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1) {
		free(m->listeners);
		free(m);
		return set_cause(cause, -EIO, "no random seed for the reconnect jitter");
	}
	rng_seed(&m->rng, seed);
	m->loop = env->loop;
	m->conf = env->conf;
	m->sessions = env->sessions;
	m->on_join = env->on_join;
	m->on_rotate = env->on_rotate;
	m->rotated = env->rotated;
	m->hook_arg = env->hook_arg;
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

		rc = net_listen(m->loop, &c->listen[i], h, peers_on_incoming, cause);
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

size_t
peers_forward(struct peers *m, struct session *from, const struct session_fwd *recs, size_t n)
{
	size_t links = 0;

	if (m == NULL || m->stopping)
		return 0;
	for (struct peer *p = m->conns; p; p = p->next)
		if (p->state == PEER_ESTABLISHED && &p->session != from &&
		    session_forward(&p->session, recs, n) > 0)
			links++;
	return links;
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
	if (s->join != NULL) {
		log_info("peer %s: joined with an invite", p->label);
		free(s->join);
		s->join = NULL;
	}
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
		if (peers_slot_find(m, nc->peers[i].id) == NULL) {
			struct peer_slot *s = slot_new(m, &nc->peers[i]);

			if (s == NULL)
				log_warnx("reload: out of memory adding peer %s", nc->peers[i].name);
			else
				log_info("peer %s: added to the configuration", s->label);
		}
}
