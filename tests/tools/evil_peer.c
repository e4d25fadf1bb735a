/* evil_peer: a hostile peer for the end-to-end tests.
 *
 * Dials a running tesserad with an identity made by `tesserad init`, speaks
 * the peer protocol over a plain blocking socket with the sans-IO TLS engine
 * in between (tls.c never sees the socket), and then misbehaves in the one
 * way the scenario names. It prints one line saying what the daemon did and
 * exits with:
 *   0  the daemon did what a correct daemon does, as far as the wire shows
 *   1  the daemon misbehaved (stored a bad record, hung, kept a bad link)
 *   2  usage or local failure
 *   3  TLS failed (for instance our key is not pinned by the daemon)
 *   4  the daemon could not be reached
 * Whether a record was stored is seen on the wire: offered again after
 * being sent, a record the daemon stored is not wanted a second time.
 * docs/hostile-peers.md lists the scenarios. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "identity.h"
#include "nodeid.h"
#include "peer.pb-c.h"
#include "record.h"
#include "tls.h"
#include "util.h"
#include "wire.h"

#define SIG_CONTEXT "tessera-record-v1"   /* as record.c signs */
#define MAX_HONEST 100000

enum outcome {
	OUT_OK = 0,
	OUT_BAD = 1,
	OUT_LOCAL = 2,
	OUT_TLS = 3,
	OUT_NET = 4,
};

struct msg {
	Tessera__Envelope *env;
	struct msg *next;
};

struct conn {
	int fd;
	struct tls_engine *tls;
	struct wire_reader rd;
	struct msg *head, **tail;
	int dead;                       /* 0 while open, else why it ended */
	char why[256];
	unsigned seen[8];               /* messages received, by msg_case */
	bool got_hello, got_sync, got_goodbye;
	char goodbye[256];
	char name[65];                  /* from the daemon's Hello */
	uint32_t max_frame, max_batch;
	uint8_t epoch[TESS_EPOCH_LEN];
	uint64_t seq;                   /* our made-up sequence numbers */
	bool offers_done;               /* the daemon's offers to us caught up */
	bool found;                     /* a record of another author it offered */
	uint8_t found_id[TESS_ID_LEN];
	uint64_t found_version;
};

struct rec {
	uint8_t id[TESS_ID_LEN];
	uint8_t author[TESS_KEY_LEN];
	uint64_t version;
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
};

static struct {
	const char *scenario;
	const char *addr;
	const char *ids_out;
	int timeout_ms;
	unsigned seed;
	int verbose;
	struct sockaddr_in sa;
	struct identity *me;
	struct tls_ctx *ctx;
	uint8_t daemon[TESS_KEY_LEN];
	uint8_t victim[TESS_KEY_LEN];
	bool has_target;
	uint8_t target[TESS_ID_LEN];
	uint64_t version;               /* next version of our records */
} opt;

static const char *msg_names[] = { "empty", "hello", "sync", "offer", "want", "records",
	"goodbye", "ping" };

static const char *
msg_name(int c)
{
	return c >= 0 && (size_t)c < sizeof(msg_names) / sizeof(msg_names[0]) ? msg_names[c] :
	    "unknown";
}

static void
debug(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "evil_peer: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* The one line of output; returns its outcome as the exit status. */
static int
result(enum outcome o, const char *fmt, ...)
{
	static const char *words[] = { "ok", "DAEMON MISBEHAVED", "error", "TLS failed",
		"unreachable" };
	va_list ap;

	printf("%s: %s: ", opt.scenario, words[o]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return o;
}

/* --- the connection ------------------------------------------------------ */

static int
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
static int
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
static int
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
static int
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

static int
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
static int
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
static int
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
static int
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
static int
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
static const char *
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
static enum outcome
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

static int
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
	env.msg_case = TESSERA__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	return conn_send(c, &env);
}

/* Dials, completes TLS, says Hello and waits for the daemon's Hello and
 * SyncRequest, so that the link is established on both sides. */
static enum outcome
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
	if (rc == -ETIMEDOUT)
		snprintf(c->why, sizeof(c->why), "no hello and sync request within %d ms",
		    opt.timeout_ms);
	else if (rc != -ENOMSG && c->got_goodbye)
		snprintf(c->why + strlen(c->why), sizeof(c->why) - strlen(c->why),
		    " (goodbye: %s)", c->goodbye);
	return OUT_BAD;
}

/* Says goodbye if the link is still up, then frees everything. */
static void
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

/* --- records --------------------------------------------------------------- */

/* Signs bytes that may claim any author: what record_seal refuses to do. */
static int
seal_any(const Tessera__Record *r, struct rec *out)
{
	size_t n = tessera__record__get_packed_size(r), mlen = sizeof(SIG_CONTEXT) - 1 + n;
	uint8_t *msg;
	int rc;

	if ((out->body = malloc(n)) == NULL || (msg = malloc(mlen)) == NULL)
		return -ENOMEM;
	out->len = tessera__record__pack(r, out->body);
	memcpy(msg, SIG_CONTEXT, sizeof(SIG_CONTEXT) - 1);
	memcpy(msg + sizeof(SIG_CONTEXT) - 1, out->body, out->len);
	rc = identity_sign(opt.me, msg, mlen, out->sig);
	free(msg);
	return rc;
}

/* A record with our signature. It is honest (sealed with record_seal) when
 * author is us, id is NULL and big is false; otherwise it claims another
 * author, an id that is not bound to its author, or is over the size limit. */
static int
make_record(struct rec *out, const uint8_t *author, const uint8_t *id, bool big,
    const char *title)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text t[2] = { TESSERA__TEXT__INIT, TESSERA__TEXT__INIT };
	Tessera__Text *texts[2] = { &t[0], &t[1] };
	uint8_t nonce[TESS_NONCE_LEN];
	char *filler = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memcpy(out->author, author, TESS_KEY_LEN);
	if (record_new_id(author, nonce, out->id) != 0)
		return -EIO;
	if (id != NULL)
		memcpy(out->id, id, TESS_ID_LEN);
	out->version = opt.version++;
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
	r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, out->id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, out->author };
	r.version = out->version;
	r.timestamp = now_ms();
	r.kind = TESSERA__KIND__KIND_INITIATIVE;
	r.texts = texts;
	r.n_texts = 1;
	t[0].lang = "en";
	t[0].title = (char *)title;
	t[0].summary = "Sent by evil_peer, the hostile test peer.";
	if (big) {
		/* Each field within its limit, the whole over TESS_MAX_RECORD. */
		if ((filler = malloc(40000 + 1)) == NULL)
			return -ENOMEM;
		memset(filler, 'x', 40000);
		filler[40000] = '\0';
		t[0].body = t[1].body = filler;
		t[1].lang = "ro";
		r.n_texts = 2;
	}
	if (!big && id == NULL && memcmp(author, opt.me->pub, TESS_KEY_LEN) == 0)
		rc = record_seal(opt.me, &r, &out->body, &out->len, out->sig);
	else
		rc = seal_any(&r, out);
	free(filler);
	return rc;
}

static void
recs_free(struct rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].body);
}

/* Appends the ids to --ids FILE, for the test to look for afterwards. */
static void
ids_note(const struct rec *r, size_t n)
{
	char hex[2 * TESS_ID_LEN + 1];
	FILE *f;

	if (opt.ids_out == NULL || (f = fopen(opt.ids_out, "a")) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		hex_encode(r[i].id, TESS_ID_LEN, hex);
		fprintf(f, "%s\n", hex);
	}
	fclose(f);
}

/* --- protocol steps -------------------------------------------------------- */

/* Offers n records (n may be 0) and waits for the Want: wanted[i] says which
 * ones it asked for, *upto is the offer's upto for the Records answer. */
static int
offer(struct conn *c, const struct rec *r, size_t n, bool *wanted, uint64_t *upto)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	Tessera__OfferItem *items, **ptrs;
	int rc;

	items = calloc(n + 1, sizeof(*items));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	if (items == NULL || ptrs == NULL) {
		free(items);
		free(ptrs);
		return conn_die(c, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		tessera__offer_item__init(&items[i]);
		items[i].has_id = items[i].has_author = items[i].has_version = 1;
		items[i].has_seq = 1;
		items[i].id = (ProtobufCBinaryData){ TESS_ID_LEN, (uint8_t *)r[i].id };
		items[i].author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)r[i].author };
		items[i].version = r[i].version;
		items[i].seq = ++c->seq;
		ptrs[i] = &items[i];
	}
	o.items = ptrs;
	o.n_items = n;
	o.has_upto = o.has_caught_up = 1;
	o.upto = *upto = ++c->seq;
	o.caught_up = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	rc = conn_send(c, &env);
	free(items);
	free(ptrs);
	if (rc != 0 || (rc = conn_expect(c, TESSERA__ENVELOPE__MSG_WANT, &in)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		wanted[i] = false;
		for (size_t k = 0; k < in->want->n_ids; k++)
			if (in->want->ids[k].len == TESS_ID_LEN &&
			    memcmp(in->want->ids[k].data, r[i].id, TESS_ID_LEN) == 0)
				wanted[i] = true;
		/* Compact form: indexes into the items of our offer. */
		for (size_t k = 0; k < in->want->n_indexes; k++)
			if (in->want->indexes[k] == i)
				wanted[i] = true;
	}
	tessera__envelope__free_unpacked(in, NULL);
	return 0;
}

/* Sends the records marked in send (all when NULL) in messages that fit the
 * daemon's frame limit; the last one carries upto (none if has_upto false). */
static int
send_records(struct conn *c, const struct rec *r, size_t n, const bool *send, bool has_upto,
    uint64_t upto)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Records m = TESSERA__RECORDS__INIT;
	Tessera__SignedRecord *sr, **ptrs;
	size_t i = 0, k, bytes, limit = c->max_frame / 2;
	int rc = 0;

	sr = calloc(n + 1, sizeof(*sr));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	if (sr == NULL || ptrs == NULL) {
		free(sr);
		free(ptrs);
		return conn_die(c, -ENOMEM, "out of memory");
	}
	do {
		for (k = 0, bytes = 0; i < n && (k == 0 || bytes + r[i].len + 128 < limit); i++) {
			if (send != NULL && !send[i])
				continue;
			tessera__signed_record__init(&sr[k]);
			sr[k].has_body = sr[k].has_sig = 1;
			sr[k].body = (ProtobufCBinaryData){ r[i].len, r[i].body };
			sr[k].sig = (ProtobufCBinaryData){ TESS_SIG_LEN, (uint8_t *)r[i].sig };
			ptrs[k] = &sr[k];
			bytes += r[i].len + 128;
			k++;
		}
		m.records = ptrs;
		m.n_records = k;
		m.has_upto = has_upto && i >= n;
		m.upto = upto;
		env.msg_case = TESSERA__ENVELOPE__MSG_RECORDS;
		env.records = &m;
		rc = conn_send(c, &env);
	} while (rc == 0 && i < n);
	free(sr);
	free(ptrs);
	return rc;
}

static size_t
count_true(const bool *b, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += b[i];
	return k;
}

/* Offers bad records, sends those wanted, then offers them again: a daemon
 * that stored any would not want it a second time. Closing the link at any
 * point is also a correct answer to bad input. */
static int
push_bad(struct conn *c, const struct rec *r, size_t n, const char *what)
{
	bool wanted[8], again[8];
	char how[320];
	uint64_t upto = 0;
	size_t nw, na;
	int rc;

	if (n > 8)
		return result(OUT_LOCAL, "too many records");
	if ((rc = offer(c, r, n, wanted, &upto)) != 0) {
		if (c->dead != 0)
			return result(OUT_OK, "the daemon closed the link when offered %s: %s", what,
			    conn_how(c, how, sizeof(how)));
		return result(OUT_BAD, "the daemon did not answer the offer of %s: %s", what,
		    rc == -ETIMEDOUT ? "timed out" : c->why);
	}
	if ((nw = count_true(wanted, n)) == 0)
		return result(OUT_OK, "the daemon did not want %s; nothing sent", what);
	if (send_records(c, r, n, wanted, true, upto) != 0)
		return result(OUT_OK, "the daemon closed the link on %s: %s", what,
		    conn_how(c, how, sizeof(how)));
	if ((rc = offer(c, r, n, again, &upto)) != 0) {
		if (c->dead != 0)
			return result(OUT_OK, "the daemon closed the link after %s: %s", what,
			    conn_how(c, how, sizeof(how)));
		return result(OUT_BAD, "after %s the daemon stopped answering offers (%s)", what,
		    rc == -ETIMEDOUT ? "timed out" : c->why);
	}
	for (size_t i = 0; i < n; i++)
		if (wanted[i] && !again[i])
			return result(OUT_BAD, "the daemon stored %s: offered again, it no longer "
			    "wants it", what);
	na = count_true(again, n);
	send_records(c, r, 0, NULL, true, upto);
	return result(OUT_OK, "the daemon wanted %zu record(s) of %s, refused them (wanted %zu "
	    "again on re-offer) and kept the link", nw, what, na);
}

/* Liveness: an empty offer must get an (empty) Want. */
static int
probe(struct conn *c)
{
	bool none[1];
	uint64_t upto = 0;
	int rc;

	if ((rc = offer(c, NULL, 0, none, &upto)) != 0)
		return rc;
	return send_records(c, NULL, 0, NULL, true, upto);
}

/* --- scenarios --------------------------------------------------------------- */

static int
scn_hello(int arg)
{
	struct conn c;
	enum outcome o;
	char id[NODEID_STRLEN + 1];

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	nodeid_encode(opt.daemon, id);
	result(OUT_OK, "connected to \"%s\" (%s): max_frame %u, max_batch %u", c.name, id,
	    c.max_frame, c.max_batch);
	conn_close(&c);
	return OUT_OK;
}

static int
scn_forged_sig(int arg)
{
	struct conn c;
	struct rec r;
	enum outcome o;

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if (make_record(&r, opt.me->pub, NULL, false, "evil_peer: forged signature") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make a record");
	}
	r.sig[TESS_SIG_LEN / 2] ^= 0x04;     /* one bit */
	ids_note(&r, 1);
	o = push_bad(&c, &r, 1, "a record with one signature bit flipped");
	recs_free(&r, 1);
	conn_close(&c);
	return o;
}

/* Finds a record of another author: --target, or the daemon's own offers. */
static int
find_target(struct conn *c, uint8_t id[TESS_ID_LEN])
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	uint64_t deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	Tessera__Envelope *in;
	int rc;

	if (opt.has_target) {
		memcpy(id, opt.target, TESS_ID_LEN);
		return 0;
	}
	req.has_epoch = req.has_since = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, c->epoch };
	req.since = 0;
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	if ((rc = conn_send(c, &env)) != 0)
		return rc;
	while (!c->found && !c->offers_done) {
		if ((rc = conn_recv(c, deadline, &in)) != 0)
			return rc;
		if (in != NULL)
			tessera__envelope__free_unpacked(in, NULL);
	}
	if (!c->found)
		return -ENOENT;
	memcpy(id, c->found_id, TESS_ID_LEN);
	if (opt.version <= c->found_version)
		opt.version = c->found_version + 1;
	return 0;
}

static int
scn_other_author(int arg)
{
	struct conn c;
	struct rec r[2];
	uint8_t target[TESS_ID_LEN];
	char hex[2 * TESS_ID_LEN + 1];
	enum outcome o;
	int rc;

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if ((rc = find_target(&c, target)) != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "no record of another author to update (%s); give "
		    "--target", rc == -ENOENT ? "the daemon offered none" : strerror(-rc));
	}
	/* 1: claims the victim as author (id bound to it), signed by us: the
	 * signature check fails. 2: a newer version of someone else's record
	 * with us as author: the id is not bound to us. */
	if (make_record(&r[0], opt.victim, NULL, false, "evil_peer: claims another author") != 0 ||
	    make_record(&r[1], opt.me->pub, target, false, "evil_peer: hijacked record") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make the records");
	}
	ids_note(&r[0], 1);
	hex_encode(target, TESS_ID_LEN, hex);
	debug("target record %s, our version %llu", hex, (unsigned long long)r[1].version);
	o = push_bad(&c, r, 2, "a record signed by us claiming another author and an update "
	    "of another author's record");
	recs_free(r, 2);
	conn_close(&c);
	return o;
}

static int
scn_big_record(int arg)
{
	struct conn c;
	struct rec r;
	enum outcome o;

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if (make_record(&r, opt.me->pub, NULL, true, "evil_peer: oversized record") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make a record");
	}
	ids_note(&r, 1);
	o = push_bad(&c, &r, 1, "a validly signed record over the size limit");
	recs_free(&r, 1);
	conn_close(&c);
	return o;
}

static int
scn_unsolicited(int arg)
{
	struct conn c;
	struct rec r;
	bool wanted[1];
	uint64_t upto = 0;
	enum outcome o;
	char how[320];
	int rc;

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if (make_record(&r, opt.me->pub, NULL, false, "evil_peer: never offered") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make a record");
	}
	ids_note(&r, 1);
	/* 1: a valid record answering an offer that did not include it. */
	if ((rc = offer(&c, NULL, 0, wanted, &upto)) != 0) {
		o = result(OUT_BAD, "the daemon did not answer an empty offer: %s", c.why);
		goto out;
	}
	if (send_records(&c, &r, 1, NULL, true, upto) != 0 ||
	    (rc = offer(&c, &r, 1, wanted, &upto)) != 0) {
		if (c.dead != 0)
			o = result(OUT_OK, "the daemon closed the link on a record it had not "
			    "asked for: %s", conn_how(&c, how, sizeof(how)));
		else
			o = result(OUT_BAD, "the daemon stopped answering after a record it had "
			    "not asked for (%s)", rc == -ETIMEDOUT ? "timed out" : c.why);
		goto out;
	}
	if (!wanted[0]) {
		o = result(OUT_BAD, "the daemon stored a record it had not asked for");
		goto out;
	}
	send_records(&c, NULL, 0, NULL, true, upto);
	/* 2: records with no offer pending at all: a protocol violation. */
	send_records(&c, &r, 1, NULL, true, ++c.seq);
	if (conn_wait_close(&c) != 0) {
		o = result(OUT_BAD, "the daemon refused an unasked-for record but kept the "
		    "link open after records with no offer pending");
		goto out;
	}
	o = result(OUT_OK, "the daemon refused a record it had not asked for (wanted it on "
	    "re-offer), then closed on records with no offer pending: %s",
	    conn_how(&c, how, sizeof(how)));
out:
	recs_free(&r, 1);
	conn_close(&c);
	return o;
}

/* One oversize header per connection: the first one ends the link. */
static int
oversize_once(uint32_t len, char *out, size_t outlen)
{
	struct conn c;
	uint8_t hdr[WIRE_HDR];
	enum outcome o;
	char how[320];

	if ((o = session_open(&c)) != OUT_OK) {
		snprintf(out, outlen, "%s", c.why);
		conn_close(&c);
		return o;
	}
	if (len == 0)
		len = c.max_frame + 1;
	wire_put_u32(hdr, len);
	conn_send_raw(&c, hdr, sizeof(hdr));
	if (conn_wait_close(&c) != 0) {
		snprintf(out, outlen, "header of %u bytes: the daemon kept the link open "
		    "(waiting for the payload?)", len);
		o = OUT_BAD;
	} else {
		snprintf(out, outlen, "header of %u bytes: closed (%s)", len,
		    conn_how(&c, how, sizeof(how)));
	}
	conn_close(&c);
	return o;
}

static int
scn_oversize(int arg)
{
	char a[400], b[400];
	enum outcome oa, ob;

	oa = oversize_once(0, a, sizeof(a));
	ob = oversize_once(UINT32_MAX, b, sizeof(b));
	return result(oa != OUT_OK ? oa : ob, "%s; %s", a, b);
}

static int
scn_garbage(int arg)
{
	struct conn c;
	uint8_t frame[WIRE_HDR + 300];
	enum outcome o;
	char how[320], first[400];
	size_t len;
	int rc;

	/* 1: a valid length and an envelope no decoder accepts (field 1 with
	 * the invalid wire type 7), then random bytes. */
	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	wire_put_u32(frame, 64);
	frame[WIRE_HDR] = 0x0f;
	for (size_t i = 1; i < 64; i++)
		frame[WIRE_HDR + i] = (uint8_t)random();
	conn_send_raw(&c, frame, WIRE_HDR + 64);
	if (conn_wait_close(&c) != 0) {
		conn_close(&c);
		return result(OUT_BAD, "the daemon kept the link open after an undecodable "
		    "message");
	}
	snprintf(first, sizeof(first), "undecodable: closed (%s)", conn_how(&c, how, sizeof(how)));
	conn_close(&c);
	/* 2: purely random frames: it may close, or skip what decodes as an
	 * unknown message; either way it must still answer afterwards. */
	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	for (int i = 0; i < 3 && c.dead == 0; i++) {
		len = 1 + (size_t)random() % 256;
		wire_put_u32(frame, (uint32_t)len);
		for (size_t k = 0; k < len; k++)
			frame[WIRE_HDR + k] = (uint8_t)random();
		conn_send_raw(&c, frame, WIRE_HDR + len);
	}
	rc = probe(&c);
	if (rc != 0 && c.dead == 0)
		o = result(OUT_BAD, "%s; random (seed %u): the daemon neither closed nor "
		    "answered (%s)", first, opt.seed, rc == -ETIMEDOUT ? "timed out" : c.why);
	else if (rc != 0)
		o = result(OUT_OK, "%s; random (seed %u): closed (%s)", first, opt.seed,
		    conn_how(&c, how, sizeof(how)));
	else
		o = result(OUT_OK, "%s; random (seed %u): skipped, still answering", first,
		    opt.seed);
	conn_close(&c);
	return o;
}

static int
scn_before_hello(int arg)
{
	struct conn c;
	struct rec r;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	Tessera__OfferItem it = TESSERA__OFFER_ITEM__INIT, *items[1] = { &it };
	enum outcome res;
	char how[320];

	if ((res = conn_dial(&c)) != OUT_OK) {
		result(res, "%s", c.why);
		conn_close(&c);
		return res;
	}
	if (make_record(&r, opt.me->pub, NULL, false, "evil_peer: before hello") != 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "cannot make a record");
	}
	it.has_id = it.has_author = it.has_version = it.has_seq = 1;
	it.id = (ProtobufCBinaryData){ TESS_ID_LEN, r.id };
	it.author = (ProtobufCBinaryData){ TESS_KEY_LEN, r.author };
	it.version = r.version;
	it.seq = 1;
	o.items = items;
	o.n_items = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	conn_send(&c, &env);
	if (conn_wait_close(&c) != 0)
		res = result(OUT_BAD, "the daemon kept the link open after an offer before hello");
	else if (c.seen[TESSERA__ENVELOPE__MSG_WANT] > 0 || c.got_sync)
		res = result(OUT_BAD, "the daemon treated the link as established (%u want, %s)",
		    c.seen[TESSERA__ENVELOPE__MSG_WANT], c.got_sync ? "sync request" : "no sync");
	else
		res = result(OUT_OK, "the daemon closed the link: %s", conn_how(&c, how, sizeof(how)));
	recs_free(&r, 1);
	conn_close(&c);
	return res;
}

static int
scn_bad_version(int arg)
{
	struct conn c;
	enum outcome o;

	if ((o = conn_dial(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	send_hello(&c, 99);
	if (conn_wait_close(&c) != 0)
		o = result(OUT_BAD, "the daemon kept the link open after hello with protocol 99");
	else if (c.got_sync)
		o = result(OUT_BAD, "the daemon accepted protocol 99 (sent a sync request)");
	else if (!c.got_goodbye)
		o = result(OUT_BAD, "the daemon closed without a goodbye saying why (%s)", c.why);
	else if (strstr(c.goodbye, "version") == NULL)
		o = result(OUT_BAD, "the daemon's goodbye does not mention the version: \"%s\"",
		    c.goodbye);
	else
		o = result(OUT_OK, "the daemon said goodbye \"%s\" and closed", c.goodbye);
	conn_close(&c);
	return o;
}

/* More offers than flow control allows (none of them answered by Records). */
static int
scn_offer_flood(int arg)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	struct conn c;
	enum outcome res;
	char how[320];

	if ((res = session_open(&c)) != OUT_OK) {
		result(res, "%s", c.why);
		conn_close(&c);
		return res;
	}
	o.has_upto = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	for (int i = 0; i < 16 && c.dead == 0; i++) {
		o.upto = ++c.seq;
		conn_send(&c, &env);
	}
	if (conn_wait_close(&c) != 0)
		res = result(OUT_BAD, "the daemon kept the link open after 16 unanswered offers "
		    "(%u wants sent)", c.seen[TESSERA__ENVELOPE__MSG_WANT]);
	else
		res = result(OUT_OK, "the daemon answered %u offer(s), then closed: %s",
		    c.seen[TESSERA__ENVELOPE__MSG_WANT], conn_how(&c, how, sizeof(how)));
	conn_close(&c);
	return res;
}

static int
scn_honest(int n)
{
	struct conn c;
	struct rec *r;
	bool *wanted;
	uint64_t upto = 0;
	size_t batch, nw, again = 0, sent = 0;
	enum outcome o;
	char title[96];

	if ((o = session_open(&c)) != OUT_OK) {
		result(o, "%s", c.why);
		conn_close(&c);
		return o;
	}
	r = calloc((size_t)n, sizeof(*r));
	wanted = calloc((size_t)n, sizeof(*wanted));
	if (r == NULL || wanted == NULL) {
		free(r);
		free(wanted);
		conn_close(&c);
		return result(OUT_LOCAL, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		snprintf(title, sizeof(title), "evil_peer honest record %d of %d (%llu)", i + 1, n,
		    (unsigned long long)opt.version);
		if (make_record(&r[i], opt.me->pub, NULL, false, title) != 0) {
			o = result(OUT_LOCAL, "cannot make record %d", i + 1);
			goto out;
		}
	}
	ids_note(r, (size_t)n);
	batch = c.max_batch > 0 && c.max_batch < 512 ? c.max_batch : 512;
	for (size_t i = 0; i < (size_t)n; i += batch) {
		size_t k = (size_t)n - i < batch ? (size_t)n - i : batch;

		if (offer(&c, r + i, k, wanted + i, &upto) != 0 ||
		    send_records(&c, r + i, k, wanted + i, true, upto) != 0) {
			o = result(OUT_BAD, "the daemon failed on honest records after %zu sent: %s",
			    sent, c.why);
			goto out;
		}
		nw = count_true(wanted + i, k);
		sent += nw;
		if (nw != k) {
			o = result(OUT_BAD, "the daemon did not want %zu of %zu new valid records",
			    k - nw, k);
			goto out;
		}
	}
	/* Offered again, stored records are not wanted. */
	for (size_t i = 0; i < (size_t)n; i += batch) {
		size_t k = (size_t)n - i < batch ? (size_t)n - i : batch;

		if (offer(&c, r + i, k, wanted + i, &upto) != 0 ||
		    send_records(&c, NULL, 0, NULL, true, upto) != 0) {
			o = result(OUT_BAD, "the daemon failed when offered the records again: %s",
			    c.why);
			goto out;
		}
		again += count_true(wanted + i, k);
	}
	if (again > 0)
		o = result(OUT_BAD, "the daemon wanted %zu of %d records again: not stored", again,
		    n);
	else
		o = result(OUT_OK, "the daemon accepted %d valid record(s) (none wanted again)", n);
out:
	recs_free(r, (size_t)n);
	free(r);
	free(wanted);
	conn_close(&c);
	return o;
}

/* Wants everything the daemon holds, then stops reading: the daemon must
 * bound what it queues for us and drop the link once nothing moves. */
static int
scn_stop_reading(int seconds)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	uint64_t deadline;
	uint8_t buf[16 * 1024];
	size_t drained = 0;
	struct conn c;
	enum outcome res;
	int wants = 0;

	if ((res = session_open(&c)) != OUT_OK) {
		result(res, "%s", c.why);
		conn_close(&c);
		return res;
	}
	req.has_epoch = req.has_since = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, c.epoch };
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	conn_send(&c, &env);
	deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	/* Answer the first two offers with "all of it". */
	while (wants < 2 && conn_next(&c, deadline, &in) == 0) {
		if (in->msg_case == TESSERA__ENVELOPE__MSG_OFFER && in->offer->n_items > 0) {
			Tessera__Envelope out = TESSERA__ENVELOPE__INIT;
			Tessera__Want w = TESSERA__WANT__INIT;
			uint32_t *idx = calloc(in->offer->n_items, sizeof(*idx));

			for (size_t i = 0; idx != NULL && i < in->offer->n_items; i++)
				idx[w.n_indexes++] = (uint32_t)i;
			w.indexes = idx;
			out.msg_case = TESSERA__ENVELOPE__MSG_WANT;
			out.want = &w;
			conn_send(&c, &out);
			free(idx);
			wants++;
			/* An offer that covers everything: nothing more to ask for,
			 * and reading on would take the records we asked for. */
			if (in->offer->has_caught_up && in->offer->caught_up) {
				tessera__envelope__free_unpacked(in, NULL);
				break;
			}
		}
		tessera__envelope__free_unpacked(in, NULL);
	}
	if (wants == 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "the daemon offered nothing to ask for");
	}
	/* Read nothing for a while; the daemon's queue is its own problem. */
	sleep((unsigned)seconds);
	/* Then drain what the kernel holds: a daemon that dropped us ends with
	 * EOF or a reset; one that kept us keeps the link open. */
	deadline = mono_ms() + 5000;
	for (;;) {
		struct pollfd pfd = { .fd = c.fd, .events = POLLIN };
		ssize_t got;

		if (mono_ms() >= deadline) {
			res = result(OUT_BAD, "the daemon kept the link open after %d s without reads "
			    "(%zu bytes drained)", seconds, drained);
			break;
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		got = read(c.fd, buf, sizeof(buf));
		if (got <= 0) {
			res = result(OUT_OK, "the daemon dropped the link (%zu bytes were in flight)",
			    drained);
			break;
		}
		drained += (size_t)got;
	}
	c.dead = -EPIPE;   /* nothing more to say on this link */
	conn_close(&c);
	return res;
}

/* A message type from a newer protocol (envelope field 15), then an offer:
 * the daemon must skip the first and answer the second on the same link. */
static int
scn_unknown_type(int arg)
{
	static const uint8_t frame[] = { 0, 0, 0, 2, 0x78, 0x01 };
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in = NULL;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	struct conn c;
	enum outcome res;

	if ((res = session_open(&c)) != OUT_OK) {
		result(res, "%s", c.why);
		conn_close(&c);
		return res;
	}
	conn_send_raw(&c, frame, sizeof(frame));
	o.has_upto = 1;
	o.upto = ++c.seq;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	conn_send(&c, &env);
	if (conn_expect(&c, TESSERA__ENVELOPE__MSG_WANT, &in) == 0)
		res = result(OUT_OK, "the daemon skipped the unknown message and answered the offer");
	else
		res = result(OUT_BAD, "no answer to an offer after an unknown message: %s", c.why);
	if (in != NULL)
		tessera__envelope__free_unpacked(in, NULL);
	conn_close(&c);
	return res;
}

static const struct {
	const char *name;
	int (*fn)(int);
	const char *help;
} scenarios[] = {
	{ "hello", scn_hello, "TLS and hello only" },
	{ "forged-sig", scn_forged_sig, "a record with one signature bit flipped" },
	{ "other-author", scn_other_author,
	    "a record claiming --victim as author; an update of another's record (--target)" },
	{ "big-record", scn_big_record, "a signed record over the 64 KiB limit" },
	{ "unsolicited", scn_unsolicited, "records not wanted, then with no offer pending" },
	{ "oversize-frame", scn_oversize, "frame headers of max+1 and 0xFFFFFFFF bytes" },
	{ "garbage-frame", scn_garbage, "an undecodable frame; random frames" },
	{ "before-hello", scn_before_hello, "an offer before hello" },
	{ "bad-version", scn_bad_version, "hello with protocol 99" },
	{ "offer-flood", scn_offer_flood, "offers beyond flow control" },
	{ "honest", scn_honest, "N valid records (honest N)" },
	{ "unknown-type", scn_unknown_type, "a message type from a newer protocol, then an offer" },
	{ "stop-reading", scn_stop_reading, "want everything, then read nothing for N seconds" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: evil_peer --data DIR --connect 127.0.0.1:PORT --id DAEMON_ID\n"
	    "                 [--victim ID] [--target RECORD_ID] [--ids FILE]\n"
	    "                 [--timeout MS] [--seed N] [-v] SCENARIO [N]\n"
	    "scenarios:\n");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(f, "  %-15s %s\n", scenarios[i].name, scenarios[i].help);
}

static int
parse_addr(const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return -EINVAL;
	memset(&opt.sa, 0, sizeof(opt.sa));
	opt.sa.sin_family = AF_INET;
	opt.sa.sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &opt.sa.sin_addr) == 1 ? 0 : -EINVAL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' }, { "connect", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' }, { "victim", required_argument, NULL, 'V' },
		{ "target", required_argument, NULL, 't' }, { "ids", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 'T' }, { "seed", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *data = NULL, *daemon_id = NULL, *victim_id = NULL, *why;
	char *cause = NULL;
	int ch, arg = 0, rc;

	opt.timeout_ms = 5000;
	opt.seed = (unsigned)getpid();
	opt.scenario = "evil_peer";
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'c': opt.addr = optarg; break;
		case 'i': daemon_id = optarg; break;
		case 'V': victim_id = optarg; break;
		case 'o': opt.ids_out = optarg; break;
		case 'T': opt.timeout_ms = atoi(optarg); break;
		case 's': opt.seed = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'v': opt.verbose++; break;
		case 't':
			if (hex_decode(optarg, opt.target, TESS_ID_LEN) != 0) {
				fprintf(stderr, "evil_peer: --target: expected 32 hex digits\n");
				return OUT_LOCAL;
			}
			opt.has_target = true;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return OUT_LOCAL;
		}
	}
	if (data == NULL || opt.addr == NULL || daemon_id == NULL || optind >= argc ||
	    optind + 2 < argc || opt.timeout_ms <= 0) {
		usage(stderr);
		return OUT_LOCAL;
	}
	opt.scenario = argv[optind];
	if (optind + 1 < argc && ((arg = atoi(argv[optind + 1])) <= 0 || arg > MAX_HONEST)) {
		fprintf(stderr, "evil_peer: N must be 1..%d\n", MAX_HONEST);
		return OUT_LOCAL;
	}
	if (parse_addr(opt.addr) != 0) {
		fprintf(stderr, "evil_peer: --connect: expected IPv4:PORT, got %s\n", opt.addr);
		return OUT_LOCAL;
	}
	if (nodeid_decode(daemon_id, opt.daemon, &why) != 0 ||
	    (victim_id != NULL && nodeid_decode(victim_id, opt.victim, &why) != 0)) {
		fprintf(stderr, "evil_peer: bad node ID: %s\n", why);
		return OUT_LOCAL;
	}
	if (victim_id == NULL)
		memcpy(opt.victim, opt.daemon, TESS_KEY_LEN);
	if (identity_load(data, &opt.me, &cause) != 0 || tls_ctx_new(opt.me, &opt.ctx, &cause) != 0) {
		fprintf(stderr, "evil_peer: %s\n", cause ? cause : "cannot load the identity");
		free(cause);
		return OUT_LOCAL;
	}
	srandom(opt.seed);
	/* Versions above any this identity used before, run after run. */
	opt.version = (uint64_t)now_ms() * 1000;
	rc = -1;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(scenarios[i].name, opt.scenario) == 0)
			rc = scenarios[i].fn(arg > 0 ? arg : 1);
	if (rc < 0) {
		fprintf(stderr, "evil_peer: unknown scenario %s\n", opt.scenario);
		usage(stderr);
		rc = OUT_LOCAL;
	}
	tls_ctx_free(opt.ctx);
	identity_free(opt.me);
	return rc;
}
