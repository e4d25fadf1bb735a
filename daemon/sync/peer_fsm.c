/* Messages on one peer connection: hello, the state machine, and messages
 * held back while earlier Records are being verified. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/msgscan.h"
#include "node.h"
#include "net/peer.h"
#include "sync/peer_check.h"
#include "net/peer_int.h"
#include "net/peers_int.h"
#include "store/store.h"
#include "net/tls.h"
#include "core/util.h"

struct held_frame {
	struct held_frame *next;
	size_t len;
	uint8_t data[];
};

static void
send_goodbye(struct peer *p, const char *reason)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Goodbye bye = TESSERA__GOODBYE__INIT;

	bye.reason = (char *)reason;
	env.msg_case = TESSERA__ENVELOPE__MSG_GOODBYE;
	env.goodbye = &bye;
	peer_send(p, &env);
}

static void
send_hello(struct peer *p)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Hello h = TESSERA__HELLO__INIT;
	const struct config *c = peers_conf(p->mgr);
	char *name = NULL;

	store_meta_get(p->node->store, "name", &name);
	h.has_protocol = h.has_max_frame = h.has_max_batch = h.has_epoch = h.has_seq = 1;
	h.protocol = TESS_PROTOCOL_VERSION;
	h.name = name;
	h.max_frame = c->max_frame;
	h.max_batch = c->max_batch;
	h.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, (uint8_t *)store_epoch(p->node->store) };
	h.seq = store_seq_mark(p->node->store);
	env.msg_case = TESSERA__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	peer_send(p, &env);
	free(name);
}

static int
on_hello(struct peer *p, const Tessera__Hello *h)
{
	char why[128];
	int rc;

	if ((rc = peer_check_hello(h, &p->remote_max_frame, &p->remote_max_batch, why,
	    sizeof(why))) != 0) {
		if (rc == -EPROTONOSUPPORT)
			send_goodbye(p, why);
		peer_close(p, "%s", why);
		return -EPROTO;
	}
	snprintf(p->remote_name, sizeof(p->remote_name), "%s", h->name ? h->name : "");
	peer_change_state(p, PEER_ESTABLISHED, "hello received");
	p->deadline = 0;
	peers_established(p->mgr, p);
	return sync_start(p, h);
}

/* The state machine: which messages are valid in which state. */
static int
peer_fsm(struct peer *p, const Tessera__Envelope *env)
{
	if (log_verbose() >= 2)
		log_trace("peer %s: received %s", p->label, peer_msg_name(env));
	if (env->msg_case == TESSERA__ENVELOPE__MSG_GOODBYE) {
		peer_close(p, "peer said goodbye: %s",
		    env->goodbye->reason ? env->goodbye->reason : "no reason");
		return -ECONNRESET;
	}
	switch (p->state) {
	case PEER_HELLO:
		if (env->msg_case == TESSERA__ENVELOPE__MSG_HELLO)
			return on_hello(p, env->hello);
		if (env->msg_case == TESSERA__ENVELOPE__MSG__NOT_SET)
			return 0;
		peer_close(p, "protocol violation: message before hello");
		return -EPROTO;
	case PEER_ESTABLISHED:
		switch (env->msg_case) {
		case TESSERA__ENVELOPE__MSG_SYNC: return sync_on_request(p, env->sync);
		case TESSERA__ENVELOPE__MSG_OFFER: return sync_on_offer(p, env->offer);
		case TESSERA__ENVELOPE__MSG_WANT: return sync_on_want(p, env->want);
		case TESSERA__ENVELOPE__MSG_RECORDS: return sync_on_records(p, env->records);
		case TESSERA__ENVELOPE__MSG_PING: return 0;
		case TESSERA__ENVELOPE__MSG__NOT_SET: return 0;   /* newer message type: skip */
		default:
			peer_close(p, "protocol violation: unexpected message %d", (int)env->msg_case);
			return -EPROTO;
		}
	default:
		return -EPROTO;
	}
}

static int
hold(struct peer *p, const uint8_t *payload, size_t len)
{
	struct held_frame *h = malloc(sizeof(*h) + len);

	if (h == NULL) {
		peer_close(p, "out of memory");
		return -ENOMEM;
	}
	h->next = NULL;
	h->len = len;
	memcpy(h->data, payload, len);
	if (p->held_tail != NULL)
		p->held_tail->next = h;
	else
		p->held = h;
	p->held_tail = h;
	return 0;
}

/* Decodes and handles one message: 0, SYNC_DEFER, or negative. */
static int
dispatch(struct peer *p, const uint8_t *payload, size_t len)
{
	Tessera__Envelope *env;
	size_t fields, max = 8 * (size_t)peers_conf(p->mgr)->max_batch + 256;
	int rc;

	/* Bounded decoding: protobuf-c makes one object per field, so a frame
	 * of tiny fields would decode into half a million of them. An honest
	 * message has at most max_batch items of a few fields each. */
	if ((rc = msgscan_envelope(payload, len, &fields)) == 0 && fields > max) {
		peer_close(p, "protocol violation: message of %zu fields (at most %zu)", fields, max);
		return -EPROTO;
	}
	if (rc != 0 || (env = tessera__envelope__unpack(NULL, len, payload)) == NULL) {
		peer_close(p, "undecodable message (%zu bytes)", len);
		return -EBADMSG;
	}
	rc = peer_fsm(p, env);
	tessera__envelope__free_unpacked(env, NULL);
	return rc;
}

int
peer_on_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct peer *p = arg;
	int rc;

	if (p->state == PEER_CLOSING)
		return -EPIPE;
	p->last_rx = mono_ms();   /* idle time counts from the last whole message */
	p->tokens -= 1;
	/* Once one message waits, every later one waits behind it. */
	if (p->holding)
		return hold(p, payload, len);
	rc = dispatch(p, payload, len);
	if (rc == SYNC_DEFER) {
		p->holding = true;
		peer_update_reading(p);
		return hold(p, payload, len);
	}
	return p->state == PEER_CLOSING ? -EPIPE : (rc < 0 ? rc : 0);
}

void
peer_release(struct peer *p)
{
	if (!p->holding)
		return;
	p->holding = false;
	while (p->held != NULL && p->state != PEER_CLOSING) {
		struct held_frame *h = p->held;
		int rc = dispatch(p, h->data, h->len);

		if (rc == SYNC_DEFER) {
			p->holding = true;   /* stays first in line */
			return;
		}
		p->held = h->next;
		if (p->held == NULL)
			p->held_tail = NULL;
		free(h);
		if (rc < 0)
			return;
	}
	if (p->state != PEER_CLOSING) {
		peer_update_reading(p);
		peer_flush(p);
	}
}

void
peer_after_tls(struct peer *p)
{
	if (p->state != PEER_TLS || !tls_handshake_done(p->tls))
		return;
	memcpy(p->key, tls_peer_key(p->tls), TESS_KEY_LEN);
	if (peers_attach(p->mgr, p) != 0)
		return;    /* closed as a duplicate */
	peer_change_state(p, PEER_HELLO, "TLS handshake done");
	send_hello(p);
}

void
peer_free_held(struct peer *p)
{
	for (struct held_frame *h = p->held, *next; h; h = next) {
		next = h->next;
		free(h);
	}
	p->held = p->held_tail = NULL;
}
