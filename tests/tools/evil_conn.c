/* evil_conn.c: evil_peer's connection to the daemon. A blocking socket with
 * the sans-IO TLS engine in between: ciphertext is sent and read here, the
 * frames inside are queued as decoded envelopes, and the messages every
 * scenario needs answered (Hello, SyncRequest, the daemon's own offers) are
 * handled before a scenario sees the rest. */
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "evil.h"

static const char *msg_names[] = { "empty", "hello", "sync", "offer", "want", "records",
	"goodbye", "ping" };

static const char *
msg_name(int c)
{
	return c >= 0 && (size_t)c < sizeof(msg_names) / sizeof(msg_names[0]) ? msg_names[c] :
	    "unknown";
}

int
conn_die(struct conn *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->dead != 0)
		return c->dead;
	c->dead = rc;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	debug("connection ended: %s", c->why);
	return rc;
}

/* Sends all ciphertext the engine has; the socket's send timeout bounds it. */
int
conn_flush(struct conn *c)
{
	uint8_t *buf;
	size_t len, off = 0;
	ssize_t n;

	if (tls_take_output(c->tls, &buf, &len) != 0)
		return conn_die(c, -ENOMEM, "out of memory");
	while (off < len) {
		n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return conn_die(c, -EPIPE, "write: %s", strerror(errno));
		}
		off += (size_t)n;
	}
	free(buf);
	return 0;
}

static int
on_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct conn *c = arg;
	Tessera__Envelope *env;
	struct msg *m;

	if ((env = tessera__envelope__unpack(NULL, len, payload)) == NULL)
		return -EBADMSG;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		tessera__envelope__free_unpacked(env, NULL);
		return -ENOMEM;
	}
	m->env = env;
	*c->tail = m;
	c->tail = &m->next;
	return 0;
}

/* One read within the deadline: ciphertext into TLS, frames into the queue. */
int
conn_fill(struct conn *c, uint64_t deadline)
{
	uint8_t buf[16 * 1024], plain[16 * 1024];
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	uint64_t now = mono_ms();
	ssize_t got;
	size_t n;
	int rc;

	if (c->dead != 0)
		return c->dead;
	if (now >= deadline)
		return -ETIMEDOUT;
	if ((rc = poll(&pfd, 1, (int)(deadline - now))) < 0)
		return errno == EINTR ? 0 : conn_die(c, -EIO, "poll: %s", strerror(errno));
	if (rc == 0)
		return -ETIMEDOUT;
	if ((got = read(c->fd, buf, sizeof(buf))) < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		return conn_die(c, -EPIPE, "connection reset (%s)", strerror(errno));
	}
	if (got == 0)
		return conn_die(c, -EPIPE, "connection closed");
	if (tls_feed(c->tls, buf, (size_t)got) != 0) {
		conn_flush(c);
		return conn_die(c, -EPROTO, "TLS: %s", tls_error(c->tls));
	}
	if ((rc = conn_flush(c)) != 0)
		return rc;
	while (tls_handshake_done(c->tls)) {
		if (tls_read(c->tls, plain, sizeof(plain), &n) != 0)
			return conn_die(c, -EPROTO, "TLS: %s", tls_error(c->tls));
		if (n == 0)
			break;
		rc = wire_reader_feed(&c->rd, plain, n, on_frame, c);
		if (rc == -EMSGSIZE)
			return conn_die(c, -EBADMSG, "the daemon sent a frame over %d bytes",
			    TESS_MAX_FRAME);
		if (rc < 0)
			return conn_die(c, -EBADMSG, "the daemon sent an undecodable message");
	}
	if (tls_closed(c->tls))
		return conn_die(c, -EPIPE, "the daemon closed the TLS session");
	return 0;
}

/* The next message, queued ones first (also after the connection ended). */
int
conn_next(struct conn *c, uint64_t deadline, Tessera__Envelope **out)
{
	struct msg *m;
	int rc;

	for (;;) {
		if ((m = c->head) != NULL) {
			if ((c->head = m->next) == NULL)
				c->tail = &c->head;
			*out = m->env;
			free(m);
			c->seen[(*out)->msg_case < 8 ? (*out)->msg_case : 0]++;
			debug("<- %s", msg_name((*out)->msg_case));
			return 0;
		}
		if ((rc = conn_fill(c, deadline)) < 0)
			return rc;
	}
}

int
conn_send(struct conn *c, const Tessera__Envelope *env)
{
	uint8_t *frame;
	size_t len;
	int rc;

	if (c->dead != 0)
		return c->dead;
	if (wire_pack(&env->base, TESS_MAX_FRAME, &frame, &len) != 0)
		return conn_die(c, -EMSGSIZE, "our own message is too large");
	debug("-> %s (%zu bytes)", msg_name(env->msg_case), len);
	rc = tls_write(c->tls, frame, len);
	free(frame);
	if (rc != 0)
		return conn_die(c, -EPROTO, "TLS write: %s", tls_error(c->tls));
	return conn_flush(c);
}

/* Plaintext as is: for frames no honest sender would make. */
int
conn_send_raw(struct conn *c, const uint8_t *data, size_t len)
{
	if (c->dead != 0)
		return c->dead;
	debug("-> %zu raw bytes", len);
	if (tls_write(c->tls, data, len) != 0)
		return conn_die(c, -EPROTO, "TLS write: %s", tls_error(c->tls));
	return conn_flush(c);
}

/* Answers the daemon's own offers (after our SyncRequest) with an empty
 * Want, noting the first record of another author. */
static int
answer_offer(struct conn *c, const Tessera__Offer *o)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Want w = TESSERA__WANT__INIT;

	for (size_t i = 0; i < o->n_items && !c->found; i++) {
		const Tessera__OfferItem *it = o->items[i];
		const ProtobufCBinaryData *author = &it->author;

		/* The daemon names authors by index into the offer's table. */
		if (it->has_author_index && it->author_index < o->n_authors)
			author = &o->authors[it->author_index];
		if (it->id.len == TESS_ID_LEN && author->len == TESS_KEY_LEN &&
		    memcmp(author->data, opt.me->pub, TESS_KEY_LEN) != 0) {
			memcpy(c->found_id, it->id.data, TESS_ID_LEN);
			c->found_version = it->version;
			c->found = true;
		}
	}
	if (o->has_caught_up && o->caught_up)
		c->offers_done = true;
	env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
	env.want = &w;
	return conn_send(c, &env);
}

/* One message for the scenario to look at (*out), or NULL in *out when it
 * was one that is handled here: Hello, SyncRequest, Ping, Goodbye, the
 * daemon's offers and its answers to our empty wants. */
int
conn_recv(struct conn *c, uint64_t deadline, Tessera__Envelope **out)
{
	Tessera__Envelope *env;
	int rc;

	*out = NULL;
	if ((rc = conn_next(c, deadline, &env)) != 0)
		return rc;
	switch (env->msg_case) {
	case TESSERA__ENVELOPE__MSG_HELLO:
		c->got_hello = true;
		c->max_frame = env->hello->has_max_frame ? env->hello->max_frame : TESS_MAX_FRAME;
		c->max_batch = env->hello->has_max_batch ? env->hello->max_batch : 1;
		if (env->hello->epoch.len == TESS_EPOCH_LEN)
			memcpy(c->epoch, env->hello->epoch.data, TESS_EPOCH_LEN);
		snprintf(c->name, sizeof(c->name), "%s", env->hello->name ? env->hello->name : "");
		break;
	case TESSERA__ENVELOPE__MSG_SYNC:
		c->got_sync = true;
		c->sync_reconcile = env->sync->has_reconcile && env->sync->reconcile;
		break;
	case TESSERA__ENVELOPE__MSG_GOODBYE:
		c->got_goodbye = true;
		snprintf(c->goodbye, sizeof(c->goodbye), "%s",
		    env->goodbye->reason ? env->goodbye->reason : "");
		break;
	case TESSERA__ENVELOPE__MSG_OFFER:
		rc = answer_offer(c, env->offer);
		break;
	case TESSERA__ENVELOPE__MSG_PING:
	case TESSERA__ENVELOPE__MSG_RECORDS:
	case TESSERA__ENVELOPE__MSG__NOT_SET:
		break;
	default:
		*out = env;
		return 0;
	}
	tessera__envelope__free_unpacked(env, NULL);
	return rc < 0 ? rc : 0;
}

/* Waits for a message of one type; anything else the scenario would have to
 * handle is -ENOMSG (c->why says which). */
int
conn_expect(struct conn *c, int want, Tessera__Envelope **out)
{
	uint64_t deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	int rc;

	for (;;) {
		if ((rc = conn_recv(c, deadline, out)) != 0)
			return rc;
		if (*out == NULL)
			continue;
		if ((int)(*out)->msg_case == want)
			return 0;
		snprintf(c->why, sizeof(c->why), "unexpected %s while waiting for %s",
		    msg_name((*out)->msg_case), msg_name(want));
		tessera__envelope__free_unpacked(*out, NULL);
		*out = NULL;
		return -ENOMSG;
	}
}

/* Waits until *flag is set by a handled message. */
static int
conn_until(struct conn *c, const bool *flag)
{
	uint64_t deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	Tessera__Envelope *env;
	int rc;

	while (!*flag) {
		if ((rc = conn_recv(c, deadline, &env)) != 0)
			return rc;
		if (env != NULL) {
			snprintf(c->why, sizeof(c->why), "unexpected %s", msg_name(env->msg_case));
			tessera__envelope__free_unpacked(env, NULL);
			return -ENOMSG;
		}
	}
	return 0;
}

/* Reads until the daemon closes: 0, or -ETIMEDOUT if it keeps the link. */
int
conn_wait_close(struct conn *c)
{
	uint64_t deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	Tessera__Envelope *env;
	int rc;

	for (;;) {
		rc = conn_recv(c, deadline, &env);
		if (env != NULL)
			tessera__envelope__free_unpacked(env, NULL);
		if (rc == -ETIMEDOUT)
			return rc;
		if (c->dead != 0 && c->head == NULL)
			return 0;
	}
}

/* A short description of how the daemon ended the link. */
const char *
conn_how(const struct conn *c, char *buf, size_t len)
{
	if (c->got_goodbye)
		snprintf(buf, len, "goodbye \"%.120s\", then %.120s", c->goodbye, c->why);
	else
		snprintf(buf, len, "%s", c->why);
	return buf;
}

static int
pin_daemon(void *arg, const uint8_t pub[TESS_KEY_LEN])
{
	return memcmp(pub, opt.daemon, TESS_KEY_LEN) == 0 ? 0 : -1;
}

/* TCP and TLS. */
enum outcome
conn_dial(struct conn *c)
{
	uint64_t deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	struct timeval tv = { opt.timeout_ms / 1000, (opt.timeout_ms % 1000) * 1000 };
	int one = 1, rc;

	memset(c, 0, sizeof(*c));
	c->tail = &c->head;
	wire_reader_init(&c->rd, TESS_MAX_FRAME);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		conn_die(c, -EIO, "socket: %s", strerror(errno));
		return OUT_LOCAL;
	}
	if (connect(c->fd, (struct sockaddr *)&opt.sa, sizeof(opt.sa)) != 0) {
		conn_die(c, -EIO, "connect to %s: %s", opt.addr, strerror(errno));
		return OUT_NET;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A daemon that stops reading must not block us forever. */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((c->tls = tls_engine_new(opt.ctx, false, pin_daemon, NULL)) == NULL) {
		conn_die(c, -ENOMEM, "cannot create a TLS engine");
		return OUT_LOCAL;
	}
	if (tls_start(c->tls) != 0) {
		conn_die(c, -EPROTO, "TLS: %s", tls_error(c->tls));
		return OUT_TLS;
	}
	if (conn_flush(c) != 0)
		return OUT_NET;
	while (!tls_handshake_done(c->tls)) {
		if ((rc = conn_fill(c, deadline)) == -ETIMEDOUT) {
			conn_die(c, -ETIMEDOUT, "the daemon did not complete the TLS handshake "
			    "within %d ms", opt.timeout_ms);
			return OUT_BAD;
		}
		if (rc < 0)
			return c->dead == -EPROTO ? OUT_TLS : OUT_NET;
	}
	return OUT_OK;
}

int
send_hello(struct conn *c, uint32_t protocol)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Hello h = TESSERA__HELLO__INIT;
	uint8_t epoch[TESS_EPOCH_LEN];

	memset(epoch, 0xe5, sizeof(epoch));
	h.has_protocol = h.has_max_frame = h.has_max_batch = h.has_epoch = h.has_seq = 1;
	h.protocol = protocol;
	h.name = "evil_peer";
	h.max_frame = TESS_MAX_FRAME;
	h.max_batch = 512;
	h.epoch = (ProtobufCBinaryData){ sizeof(epoch), epoch };
	h.seq = 0;
	h.has_features = opt.features != 0;
	h.features = opt.features;
	env.msg_case = TESSERA__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	return conn_send(c, &env);
}

/* Dials, completes TLS, says Hello and waits for the daemon's Hello and
 * SyncRequest, so that the link is established on both sides. */
enum outcome
session_open(struct conn *c)
{
	enum outcome o;
	int rc;

	if ((o = conn_dial(c)) != OUT_OK)
		return o;
	send_hello(c, TESS_PROTOCOL_VERSION);
	rc = conn_until(c, &c->got_hello);
	if (rc == 0)
		rc = conn_until(c, &c->got_sync);
	if (rc == 0)
		return OUT_OK;
	if (c->dead == -EPROTO)
		return OUT_TLS;
	/* Messages queued before the close: a Goodbye among them says why. */
	while (c->head != NULL) {
		Tessera__Envelope *env = NULL;

		if (conn_recv(c, mono_ms(), &env) != 0)
			break;
		if (env != NULL)
			tessera__envelope__free_unpacked(env, NULL);
	}
	/* A node that does not pin us but let the handshake through (to list
	 * us as pending) refuses with a Goodbye instead of its Hello: a
	 * refusal of our key all the same. */
	if (!c->got_hello && c->got_goodbye) {
		snprintf(c->why, sizeof(c->why), "refused after the handshake (goodbye: %.150s)",
		    c->goodbye);
		return OUT_TLS;
	}
	if (rc == -ETIMEDOUT)
		snprintf(c->why, sizeof(c->why), "no hello and sync request within %d ms",
		    opt.timeout_ms);
	else if (rc != -ENOMSG && c->got_goodbye)
		snprintf(c->why + strlen(c->why), sizeof(c->why) - strlen(c->why),
		    " (goodbye: %s)", c->goodbye);
	return OUT_BAD;
}

/* Says goodbye if the link is still up, then frees everything. */
void
conn_close(struct conn *c)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Goodbye bye = TESSERA__GOODBYE__INIT;

	if (c->tls != NULL && c->dead == 0 && tls_handshake_done(c->tls)) {
		bye.reason = "evil_peer is done";
		env.msg_case = TESSERA__ENVELOPE__MSG_GOODBYE;
		env.goodbye = &bye;
		if (conn_send(c, &env) == 0 && tls_shutdown(c->tls) == 0)
			conn_flush(c);
	}
	while (c->head != NULL) {
		struct msg *m = c->head;

		c->head = m->next;
		tessera__envelope__free_unpacked(m->env, NULL);
		free(m);
	}
	if (c->fd > 0)
		close(c->fd);
	tls_engine_free(c->tls);
	wire_reader_free(&c->rd);
	memset(c, 0, sizeof(*c));
}

int
open_or_say(struct conn *c)
{
	enum outcome o;

	if ((o = session_open(c)) != OUT_OK) {
		result(o, "%s", c->why);
		conn_close(c);
	}
	return o;
}

/* After the link was closed: a new plain link still gets answers. */
int
closed_and_alive(struct conn *c, const char *what)
{
	char how[320];
	struct conn c2;
	int o;

	if (conn_wait_close(c) != 0) {
		conn_close(c);
		return result(OUT_BAD, "the daemon kept the link after %s", what);
	}
	conn_how(c, how, sizeof(how));
	conn_close(c);
	opt.features = 0;
	if ((o = session_open(&c2)) != OUT_OK || probe(&c2) != 0) {
		conn_close(&c2);
		return result(OUT_BAD, "the daemon does not answer after %s", what);
	}
	conn_close(&c2);
	return result(OUT_OK, "%s: closed (%s); the daemon answers a new link", what, how);
}
