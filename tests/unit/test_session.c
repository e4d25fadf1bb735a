/* The session engine without sockets: two real stores, two sessions joined
 * by an in-memory link that carries frames, verification run in line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/identity.h"
#include "core/wire.h"
#include "sessionfix.h"
#include "storefix.h"
#include "store/store.h"
#include "sync/session.h"

/* Records flow both ways; each side stores what the other held. */
static void
test_sync_both_ways(void **state)
{
	struct pair *p = *state;
	uint8_t id[TESS_ID_LEN];
	char title[32];

	for (int i = 0; i < 50; i++) {
		snprintf(title, sizeof(title), "a %d", i);
		assert_int_equal(storefix_put_new(p->a.st, p->fx->a, title, 1, id), STORE_STORED);
	}
	for (int i = 0; i < 30; i++) {
		snprintf(title, sizeof(title), "b %d", i);
		assert_int_equal(storefix_put_new(p->b.st, p->fx->b, title, 1, id), STORE_STORED);
	}
	sessionfix_start(p);
	sessionfix_run(p, 10000);
	assert_int_equal(p->a.established, 1);
	assert_int_equal(p->b.established, 1);
	assert_int_equal(sessionfix_count(p->a.st), 80);
	assert_int_equal(sessionfix_count(p->b.st), 80);
	assert_int_equal(p->a.stored, 30);
	assert_int_equal(p->b.stored, 50);
	assert_false(p->a.closed || p->b.closed);
	/* A record published later travels live. */
	assert_int_equal(storefix_put_new(p->a.st, p->fx->a, "late", 1, id), STORE_STORED);
	session_pump(&p->a.s);
	sessionfix_run(p, 1000);
	assert_int_equal(sessionfix_count(p->b.st), 81);
}

/* Stores a record by me whose text body has len bytes. */
static void
put_large(struct store *st, const struct identity *me, size_t len)
{
	struct storefix_draft d;
	struct storefix_sealed s;
	char *body = malloc(len + 1);

	assert_non_null(body);
	memset(body, 'x', len);
	body[len] = '\0';
	storefix_draft_init(&d, me, "large", 1);
	d.text.body = body;
	storefix_seal(&s, me, &d.r);
	assert_int_equal(storefix_put(st, &s), STORE_STORED);
	storefix_sealed_free(&s);
	free(body);
}

/* Regression: a peer announcing a max_frame under ~128 KiB was sent empty
 * Records messages for ever (serve_records kept half a frame for the
 * largest possible record and never made progress). At the protocol floor,
 * records of 40 KB each still travel, one or more per message. */
static void
test_small_max_frame(void **state)
{
	struct pair *p = *state;

	for (int i = 0; i < 5; i++)
		put_large(p->a.st, p->fx->a, 40 * 1024);
	p->b.env.lim.max_frame = SESSION_MIN_FRAME;
	sessionfix_start(p);
	sessionfix_run(p, 1000);
	assert_int_equal(sessionfix_count(p->b.st), 5);
	assert_false(p->a.closed || p->b.closed);
	assert_true(p->a.s.remote_max_frame == SESSION_MIN_FRAME);
}

/* A Hello announcing a frame smaller than the protocol floor is refused
 * with a Goodbye that says why. */
static void
test_frame_floor(void **state)
{
	struct pair *p = *state;

	p->b.env.lim.max_frame = 1024;
	sessionfix_start(p);
	sessionfix_run(p, 100);
	assert_true(p->a.closed);
	assert_int_equal(p->a.why, SESSION_END_INCOMPATIBLE);
	assert_non_null(strstr(p->a.detail, "below the protocol floor"));
	assert_true(p->b.closed);
	assert_int_equal(p->b.why, SESSION_END_GOODBYE);
	assert_non_null(strstr(p->b.detail, "below the protocol floor"));
}

/* Hands one hand-made message to the other side's session, as if d had
 * sent it. Returns what session_on_frame returned. */
static int
inject(struct pair *p, struct side *d, const Tessera__Envelope *env)
{
	uint8_t *frame;
	size_t len;
	int rc;

	assert_int_equal(wire_pack(&env->base, TESS_MAX_FRAME, &frame, &len), 0);
	rc = session_on_frame(&d->other->s, frame + WIRE_HDR, len - WIRE_HDR, ++p->now);
	free(frame);
	return rc;
}

/* A long-form Want naming one record many times is refused (it would make
 * the server read and send the record again and again). */
static void
test_want_repeats(void **state)
{
	struct pair *p = *state;
	uint8_t id[TESS_ID_LEN];
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Want want = TESSERA__WANT__INIT;
	ProtobufCBinaryData ids[3];

	assert_int_equal(storefix_put_new(p->a.st, p->fx->a, "one", 1, id), STORE_STORED);
	sessionfix_start(p);
	sessionfix_step(p, &p->a);   /* a's Hello: b answers with its sync request */
	sessionfix_step(p, &p->b);   /* b's Hello and request: a offers its record */
	assert_int_equal(p->a.s.sync.offers_inflight, 1);
	for (int i = 0; i < 3; i++)
		ids[i] = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	want.ids = ids;
	want.n_ids = 3;
	env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
	env.want = &want;
	assert_true(inject(p, &p->b, &env) < 0);
	assert_true(p->a.closed);
	assert_int_equal(p->a.why, SESSION_END_PROTOCOL);
	assert_non_null(strstr(p->a.detail, "names a record twice"));
}

/* Regression: a handler that failed without closing (a storage error while
 * answering an offer) left the link open with its frame stream cut short.
 * Every failure now ends the session, through the link's close. */
static void
test_failure_closes(void **state)
{
	struct pair *p = *state;
	uint8_t id[TESS_ID_LEN];
	char *err = NULL;

	assert_int_equal(storefix_put_new(p->a.st, p->fx->a, "one", 1, id), STORE_STORED);
	sessionfix_start(p);
	/* Hellos cross, b asks; then b's store breaks for real. */
	sessionfix_step(p, &p->a);
	sessionfix_step(p, &p->b);
	assert_int_equal(sqlite3_exec(store_db(p->b.st), "DROP TABLE records", NULL, NULL, &err),
	    SQLITE_OK);
	sessionfix_run(p, 100);
	assert_true(p->b.closed);
	assert_int_equal(p->b.why, SESSION_END_STORAGE);
}

/* Records nobody asked for are refused and counted as unsolicited. */
static void
test_unsolicited(void **state)
{
	struct pair *p = *state;
	struct storefix_draft d;
	struct storefix_sealed s;
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Records msg = TESSERA__RECORDS__INIT;
	Tessera__SignedRecord sr = TESSERA__SIGNED_RECORD__INIT, *srp = &sr;

	sessionfix_start(p);
	sessionfix_run(p, 100);
	storefix_draft_init(&d, p->fx->a, "unasked", 1);
	storefix_seal(&s, p->fx->a, &d.r);
	sr.has_body = sr.has_sig = 1;
	sr.body = (ProtobufCBinaryData){ s.len, s.body };
	sr.sig = (ProtobufCBinaryData){ TESS_SIG_LEN, s.sig };
	msg.records = &srp;
	msg.n_records = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_RECORDS;
	env.records = &msg;
	/* No offer is outstanding: records without an offer close the link. */
	assert_true(inject(p, &p->a, &env) < 0);
	assert_true(p->b.closed);
	assert_int_equal(p->b.why, SESSION_END_PROTOCOL);
	assert_int_equal(sessionfix_count(p->b.st), 0);
	storefix_sealed_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_both_ways, sessionfix_setup, sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_small_max_frame, sessionfix_setup, sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_frame_floor, sessionfix_setup, sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_want_repeats, sessionfix_setup, sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_failure_closes, sessionfix_setup, sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited, sessionfix_setup, sessionfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
