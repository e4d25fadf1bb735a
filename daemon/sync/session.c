/* The session engine: Hello, the state machine, held messages, keepalive
 * and the message rate limit of one peer link (see session.h). */
#include "sync/session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/msgscan.h"
#include "core/wire.h"
#include "core/rotation.h"
#include "store/store.h"
#include "store/store_rotate.h"
#include "sync/peer_check.h"
#include "sync/reconcile.h"
#include "sync/sync_int.h"

struct held_frame {
	struct held_frame *next;
	size_t len;
	uint8_t data[];
};

static const char *const state_names[] = {
	[SESSION_HELLO] = "hello",
	[SESSION_ESTABLISHED] = "established",
	[SESSION_CLOSED] = "closed",
};

static const char *const end_names[SESSION_END_COUNT] = {
	[SESSION_END_LOCAL] = "closed",
	[SESSION_END_GOODBYE] = "goodbye",
	[SESSION_END_PROTOCOL] = "protocol violation",
	[SESSION_END_UNDECODABLE] = "undecodable message",
	[SESSION_END_INCOMPATIBLE] = "incompatible peer",
	[SESSION_END_STORAGE] = "storage error",
	[SESSION_END_NOMEM] = "out of memory",
};

static const char *const reject_names[SYNC_REJECT_COUNT] = {
	[SYNC_REJECT_INVALID] = "invalid",
	[SYNC_REJECT_SIGNATURE] = "bad_signature",
	[SYNC_REJECT_UNSOLICITED] = "unsolicited",
	[SYNC_REJECT_CONFLICT] = "conflict",
	[SYNC_REJECT_QUOTA] = "quota",
	[SYNC_REJECT_NOT_AUTHOR] = "not_author",
	[SYNC_REJECT_FUTURE] = "future",
	[SYNC_REJECT_BUDGET] = "budget",
	[SYNC_REJECT_CHUNK] = "bad_chunk",
};

const char *
session_state_name(enum session_state st)
{
	return st <= SESSION_CLOSED ? state_names[st] : "?";
}

const char *
session_end_name(enum session_end e)
{
	return e < SESSION_END_COUNT ? end_names[e] : "?";
}

const char *
sync_reject_name(enum sync_reject r)
{
	return r < SYNC_REJECT_COUNT ? reject_names[r] : "invalid";
}

/* Logs "A -> B: why" at debug level. */
static void
change_state(struct session *s, enum session_state to, const char *why)
{
	log_debug("peer %s: %s -> %s: %s", s->label, state_names[s->state], state_names[to], why);
	s->state = to;
}

/* The message's field name ("offer", "records"), for -vv traces. */
static const char *
msg_name(const Tessera__Envelope *env)
{
	const ProtobufCFieldDescriptor *f;

	if (env->msg_case == TESSERA__ENVELOPE__MSG__NOT_SET)
		return "unknown message";
	f = protobuf_c_message_descriptor_get_field(env->base.descriptor, env->msg_case);
	return f != NULL ? f->name : "unknown message";
}

int
session_send(struct session *s, const Tessera__Envelope *env)
{
	uint8_t *frame;
	size_t len;
	uint32_t max = s->remote_max_frame ? s->remote_max_frame : TESS_MAX_FRAME;
	int rc;

	if (s->state == SESSION_CLOSED && env->msg_case != TESSERA__ENVELOPE__MSG_GOODBYE)
		return -EPIPE;
	if ((rc = wire_pack(&env->base, max, &frame, &len)) != 0) {
		log_warnx("peer %s: message of %zu bytes over the peer's frame limit", s->label,
		    protobuf_c_message_get_packed_size(&env->base));
		return rc;
	}
	if (log_verbose() >= 2)
		log_trace("peer %s: sending %s (%zu bytes)", s->label, msg_name(env), len);
	rc = s->io->send(s->link, frame, len);
	free(frame);
	if (rc == 0) {
		s->last_tx = s->now;
		s->frames_out++;
	}
	return rc;
}

/* Tells the link whether to read, from the session's own reasons. */
static void
update_pause(struct session *s)
{
	bool want = s->state != SESSION_CLOSED &&
	    (s->paused_work || s->paused_rate || s->holding);

	if (want == s->paused)
		return;
	s->paused = want;
	s->io->pause(s->link, want);
}

void
session_close(struct session *s, enum session_end why, const char *detail, bool say)
{
	if (s->state == SESSION_CLOSED)
		return;
	if (say) {
		Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
		Tessera__Goodbye bye = TESSERA__GOODBYE__INIT;

		bye.reason = (char *)(detail ? detail : session_end_name(why));
		env.msg_case = TESSERA__ENVELOPE__MSG_GOODBYE;
		env.goodbye = &bye;
		session_send(s, &env);
	}
	change_state(s, SESSION_CLOSED, detail ? detail : session_end_name(why));
	attach_link_free(s);   /* its chunks in flight are asked of other peers */
	s->io->close(s->link, why, detail ? detail : session_end_name(why));
}

int
session_fail(struct session *s, enum session_end why, const char *fmt, ...)
{
	char detail[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	session_close(s, why, detail, false);
	return -EPROTO;
}

static int
send_hello(struct session *s, const char *name, const struct session_join *join)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Hello h = TESSERA__HELLO__INIT;
	Tessera__JoinProof jp = TESSERA__JOIN_PROOF__INIT;
	Tessera__SignedRecord rot[ROTATION_CHAIN_MAX], *rotp[ROTATION_CHAIN_MAX];
	const struct session_limits *l = &s->env->lim;

	h.has_protocol = h.has_max_frame = h.has_max_batch = h.has_epoch = h.has_seq = 1;
	h.protocol = TESS_PROTOCOL_VERSION;
	h.name = (char *)name;
	h.max_frame = l->max_frame;
	h.max_batch = l->max_batch;
	h.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, (uint8_t *)store_epoch(s->env->store) };
	h.seq = store_seq_mark(s->env->store);
	h.has_features = 1;
	h.features = (s->env->no_recon ? 0 : RECON_FEATURE) |
	    (s->env->lim.push_max > 0 ? SYNC_PUSH_FEATURE : 0) |
	    (s->env->attach != NULL ? ATTACH_FEATURE | ATTACH_PARTIAL_FEATURE |
	    ATTACH_LEAVES_FEATURE : 0);
	if (join != NULL) {
		jp.has_invite = jp.has_mac = 1;
		jp.invite = (ProtobufCBinaryData){ SESSION_INVITE_LEN, (uint8_t *)join->invite };
		jp.mac = (ProtobufCBinaryData){ SESSION_MAC_LEN, (uint8_t *)join->mac };
		h.join = &jp;
	}
	/* protobuf-c wants mutable pointers; the Hello only reads them. */
	for (size_t i = 0; i < s->env->n_rotation && i < ROTATION_CHAIN_MAX; i++) {
		const struct store_signed *v = &s->env->rotation[i];

		tessera__signed_record__init(&rot[i]);
		rot[i].has_body = rot[i].has_sig = 1;
		rot[i].body = (ProtobufCBinaryData){ v->len, v->body };
		rot[i].sig = (ProtobufCBinaryData){ TESS_SIG_LEN, (uint8_t *)v->sig };
		rotp[i] = &rot[i];
		h.n_rotation = i + 1;
	}
	h.rotation = rotp;
	env.msg_case = TESSERA__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	return session_send(s, &env);
}

/* Starts a session; with deferred, our Hello waits for the peer's. */
static int
session_begin(struct session *s, struct session_env *env, const struct session_io *io,
    void *link, const uint8_t key[TESS_KEY_LEN], const char *label, const char *name,
    uint64_t now, const struct session_join *join, bool deferred)
{
	memset(s, 0, sizeof(*s));
	s->env = env;
	s->io = io;
	s->link = link;
	s->state = SESSION_HELLO;
	memcpy(s->key, key, TESS_KEY_LEN);
	snprintf(s->label, sizeof(s->label), "%s", label ? label : "?");
	s->now = s->last_rx = s->last_tx = s->tokens_at = now;
	s->tokens = env->lim.rate_limit;
	if (deferred) {
		s->hello_deferred = true;
		snprintf(s->our_name, sizeof(s->our_name), "%s", name ? name : "");
		return 0;
	}
	return send_hello(s, name, join);
}

int
session_start(struct session *s, struct session_env *env, const struct session_io *io,
    void *link, const uint8_t key[TESS_KEY_LEN], const char *label, const char *name,
    uint64_t now)
{
	return session_begin(s, env, io, link, key, label, name, now, NULL, false);
}

int
session_start_join(struct session *s, struct session_env *env, const struct session_io *io,
    void *link, const uint8_t key[TESS_KEY_LEN], const char *label, const char *name,
    uint64_t now, const struct session_join *join)
{
	return session_begin(s, env, io, link, key, label, name, now, join, false);
}

int
session_start_stranger(struct session *s, struct session_env *env,
    const struct session_io *io, void *link, const uint8_t key[TESS_KEY_LEN], const char *label,
    const char *name, uint64_t now)
{
	return session_begin(s, env, io, link, key, label, name, now, NULL, true);
}

static int
on_hello(struct session *s, const Tessera__Hello *h)
{
	char why[128];
	int rc;

	if ((rc = peer_check_hello(h, &s->remote_max_frame, &s->remote_max_batch, why,
	    sizeof(why))) != 0) {
		session_close(s, SESSION_END_INCOMPATIBLE, why, rc == -EPROTONOSUPPORT);
		return -EPROTO;
	}
	snprintf(s->remote_name, sizeof(s->remote_name), "%s", h->name ? h->name : "");
	s->remote_features = h->has_features ? h->features : 0;
	if (s->env->on_hello != NULL) {
		struct session_join join, *jp = NULL;

		/* A proof of the wrong shape is no proof: the owner refuses it as
		 * it refuses a stranger without one. */
		if (h->join != NULL && h->join->has_invite && h->join->has_mac &&
		    h->join->invite.len == SESSION_INVITE_LEN &&
		    h->join->mac.len == SESSION_MAC_LEN) {
			memcpy(join.invite, h->join->invite.data, SESSION_INVITE_LEN);
			memcpy(join.mac, h->join->mac.data, SESSION_MAC_LEN);
			jp = &join;
		}
		why[0] = '\0';
		s->hello = h;
		rc = s->env->on_hello(s->env->hook_arg, s, jp, why, sizeof(why));
		s->hello = NULL;
		if (rc != 0) {
			session_close(s, SESSION_END_LOCAL, why[0] ? why : "refused", true);
			return -EPIPE;
		}
	}
	if (s->hello_deferred) {
		s->hello_deferred = false;
		if (send_hello(s, s->our_name, NULL) != 0)
			return -EPIPE;
	}
	change_state(s, SESSION_ESTABLISHED, "hello received");
	if (s->env->on_established != NULL)
		s->env->on_established(s->env->hook_arg, s);
	if (s->state != SESSION_ESTABLISHED)
		return -EPIPE;   /* the owner closed it (a duplicate) */
	attach_start(s);
	return sync_start(s, h);
}

/* The state machine: which messages are valid in which state. */
static int
fsm(struct session *s, const Tessera__Envelope *env)
{
	if (log_verbose() >= 2)
		log_trace("peer %s: received %s", s->label, msg_name(env));
	if (env->msg_case == TESSERA__ENVELOPE__MSG_GOODBYE)
		return session_fail(s, SESSION_END_GOODBYE, "peer said goodbye: %s",
		    env->goodbye->reason ? env->goodbye->reason : "no reason");
	switch (s->state) {
	case SESSION_HELLO:
		if (env->msg_case == TESSERA__ENVELOPE__MSG_HELLO)
			return on_hello(s, env->hello);
		if (env->msg_case == TESSERA__ENVELOPE__MSG__NOT_SET)
			return 0;
		return session_fail(s, SESSION_END_PROTOCOL, "protocol violation: message before hello");
	case SESSION_ESTABLISHED:
		switch (env->msg_case) {
		case TESSERA__ENVELOPE__MSG_SYNC: return sync_on_request(s, env->sync);
		case TESSERA__ENVELOPE__MSG_OFFER: return sync_on_offer(s, env->offer);
		case TESSERA__ENVELOPE__MSG_WANT: return sync_on_want(s, env->want);
		case TESSERA__ENVELOPE__MSG_RECORDS: return sync_on_records(s, env->records);
		case TESSERA__ENVELOPE__MSG_RECON: return recon_on_msg(s, env->recon);
		case TESSERA__ENVELOPE__MSG_BLOB_QUERY: return attach_on_query(s, env->blob_query);
		case TESSERA__ENVELOPE__MSG_BLOB_HAVE: return attach_on_have(s, env->blob_have);
		case TESSERA__ENVELOPE__MSG_BLOB_REQUEST:
			return attach_on_request(s, env->blob_request);
		case TESSERA__ENVELOPE__MSG_BLOB_CHUNK: return attach_on_chunk(s, env->blob_chunk);
		case TESSERA__ENVELOPE__MSG_BLOB_MISSING:
			return attach_on_missing(s, env->blob_missing);
		case TESSERA__ENVELOPE__MSG_BLOB_RANGES: return attach_on_ranges(s, env->blob_ranges);
		case TESSERA__ENVELOPE__MSG_BLOB_LEAVES_REQUEST:
			return attach_on_leaves_request(s, env->blob_leaves_request);
		case TESSERA__ENVELOPE__MSG_BLOB_LEAVES: return attach_on_leaves(s, env->blob_leaves);
		case TESSERA__ENVELOPE__MSG_PING: return 0;
		case TESSERA__ENVELOPE__MSG__NOT_SET: return 0;   /* newer message type: skip */
		default:
			return session_fail(s, SESSION_END_PROTOCOL,
			    "protocol violation: unexpected message %d", (int)env->msg_case);
		}
	case SESSION_CLOSED:
		break;
	}
	return -EPIPE;
}

/* Decodes and handles one message: 0, SYNC_DEFER, or negative. */
static int
dispatch(struct session *s, const uint8_t *payload, size_t len)
{
	Tessera__Envelope *env;
	size_t fields, max = 8 * (size_t)s->env->lim.max_batch + 256;
	int rc;

	/* Bounded decoding: protobuf-c makes one object per field, so a frame
	 * of tiny fields would decode into half a million of them. An honest
	 * message has at most max_batch items of a few fields each. */
	if ((rc = msgscan_envelope(payload, len, &fields)) == 0 && fields > max)
		return session_fail(s, SESSION_END_UNDECODABLE,
		    "protocol violation: message of %zu fields (at most %zu)", fields, max);
	if (rc != 0 || (env = tessera__envelope__unpack(NULL, len, payload)) == NULL)
		return session_fail(s, SESSION_END_UNDECODABLE, "undecodable message (%zu bytes)", len);
	rc = fsm(s, env);
	tessera__envelope__free_unpacked(env, NULL);
	return rc;
}

static int
hold(struct session *s, const uint8_t *payload, size_t len)
{
	struct held_frame *h = malloc(sizeof(*h) + len);

	if (h == NULL) {
		session_close(s, SESSION_END_NOMEM, "out of memory", false);
		return -ENOMEM;
	}
	h->next = NULL;
	h->len = len;
	memcpy(h->data, payload, len);
	if (s->held_tail != NULL)
		s->held_tail->next = h;
	else
		s->held = h;
	s->held_tail = h;
	return 0;
}

int
session_on_frame(struct session *s, const uint8_t *payload, size_t len, uint64_t now)
{
	int rc;

	if (s->state == SESSION_CLOSED)
		return -EPIPE;
	s->now = s->last_rx = now;   /* idle time counts from the last whole message */
	s->frames_in++;
	s->tokens -= 1;
	/* Once one message waits, every later one waits behind it. */
	if (s->holding)
		rc = hold(s, payload, len);
	else if ((rc = dispatch(s, payload, len)) == SYNC_DEFER) {
		s->holding = true;
		rc = hold(s, payload, len);
	}
	/* Rate limit: a peer over its message budget waits for the next tick. */
	if (s->tokens < 0)
		s->paused_rate = true;
	update_pause(s);
	if (rc < 0 && s->state != SESSION_CLOSED)   /* every failure ends the session */
		session_close(s, rc == -ENOMEM ? SESSION_END_NOMEM : SESSION_END_STORAGE,
		    rc == -ENOMEM ? "out of memory" : "cannot handle message", false);
	return s->state == SESSION_CLOSED ? -EPIPE : 0;
}

/* Handles the messages held back, in order, now that the work they waited
 * for is done. */
static void
release(struct session *s)
{
	if (!s->holding || s->releasing)
		return;
	s->holding = false;
	s->releasing = true;
	while (s->held != NULL && s->state != SESSION_CLOSED) {
		struct held_frame *h = s->held;
		int rc = dispatch(s, h->data, h->len);

		if (rc == SYNC_DEFER) {
			s->holding = true;   /* stays first in line */
			break;
		}
		s->held = h->next;
		if (s->held == NULL)
			s->held_tail = NULL;
		free(h);
		if (rc < 0 && s->state != SESSION_CLOSED)
			session_close(s, rc == -ENOMEM ? SESSION_END_NOMEM : SESSION_END_STORAGE,
			    rc == -ENOMEM ? "out of memory" : "cannot handle message", false);
	}
	s->releasing = false;
	update_pause(s);
}

static void
free_held(struct session *s)
{
	for (struct held_frame *h = s->held, *next; h; h = next) {
		next = h->next;
		free(h);
	}
	s->held = s->held_tail = NULL;
}

void
session_work_paused(struct session *s, bool paused)
{
	s->paused_work = paused;
	update_pause(s);
}

void
session_after_jobs(struct session *s)
{
	if (s->state != SESSION_ESTABLISHED)
		return;
	if (s->paused_work && s->sync.n_jobs < SYNC_JOBS_MAX)
		session_work_paused(s, false);
	release(s);
	if (s->state == SESSION_ESTABLISHED)
		sync_pump(s);
	if (s->state == SESSION_ESTABLISHED)
		attach_pump(s);
}

void
session_pump(struct session *s)
{
	if (s->state == SESSION_ESTABLISHED)
		sync_pump(s);
	/* Attachment chunks only with the room records and offers left. */
	if (s->state == SESSION_ESTABLISHED)
		attach_pump(s);
}

void
session_drain(struct session *s)
{
	sync_drain(s);
}

void
session_tick(struct session *s, uint64_t now)
{
	const struct session_limits *l = &s->env->lim;

	if (now < s->now)
		now = s->now;   /* time never runs backwards for the engine */
	if (s->state == SESSION_ESTABLISHED && now - s->last_tx >= l->keepalive_ms) {
		Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
		Tessera__Ping ping = TESSERA__PING__INIT;

		s->now = now;
		env.msg_case = TESSERA__ENVELOPE__MSG_PING;
		env.ping = &ping;
		session_send(s, &env);
	}
	/* Refill the message bucket; burst up to one second's worth. */
	s->tokens += (double)(now - s->tokens_at) * l->rate_limit / 1000.0;
	if (s->tokens > l->rate_limit)
		s->tokens = l->rate_limit;
	s->tokens_at = s->now = now;
	if (s->env->attach != NULL)
		attach_tick(s->env->attach, now);
	if (s->paused_rate && s->tokens > 0) {
		s->paused_rate = false;
		update_pause(s);
	}
}

void
session_drop(struct session *s)
{
	s->dropped = true;
	if (s->state != SESSION_CLOSED)
		change_state(s, SESSION_CLOSED, "link gone");
	attach_link_free(s);
	sync_jobs_free(&s->sync);
}

size_t
session_jobs(const struct session *s)
{
	return s->sync.n_jobs;
}

void
session_free(struct session *s)
{
	free_held(s);
	attach_link_free(s);
	sync_free(&s->sync);
}
