/* A stranger's session (session_start_stranger): nothing is sent until the
 * peer's Hello was accepted by env.on_hello, which sees the joiner's invite
 * proof (session_start_join); a refusal reaches the joiner as a Goodbye
 * with the reason, before it ever saw our Hello, so it cannot take the link
 * for accepted; an acceptance goes on to sync. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sessionfix.h"

static struct {
	int calls;
	bool accept, had_proof;
	struct session_join seen;
} hook;

static int
on_hello(void *arg, struct session *s, const struct session_join *join, char *why, size_t n)
{
	hook.calls++;
	hook.had_proof = join != NULL;
	if (join != NULL)
		hook.seen = *join;
	if (hook.accept)
		return 0;
	snprintf(why, n, "unknown invite");
	return -1;
}

/* b is the inviter, which does not know a; a joins with a proof. */
static void
start(struct pair *p, bool accept, const struct session_join *join)
{
	memset(&hook, 0, sizeof(hook));
	hook.accept = accept;
	p->b.env.on_hello = on_hello;
	assert_int_equal(session_start_stranger(&p->b.s, &p->b.env, &sessionfix_io, &p->b,
	    p->fx->a->pub, "stranger", "B", p->now), 0);
	assert_null(p->b.q);     /* nothing said to a stranger before its Hello */
	assert_int_equal(session_start_join(&p->a.s, &p->a.env, &sessionfix_io, &p->a,
	    p->fx->b->pub, "b", "A", p->now, join), 0);
}

static void
test_refused(void **state)
{
	struct pair *p = *state;
	struct session_join join;

	memset(join.invite, 0x11, sizeof(join.invite));
	memset(join.mac, 0x22, sizeof(join.mac));
	start(p, false, &join);
	sessionfix_run(p, 1000);
	assert_int_equal(hook.calls, 1);
	assert_true(hook.had_proof);
	assert_memory_equal(&hook.seen, &join, sizeof(join));
	assert_int_equal(p->a.established, 0);
	assert_int_equal(p->b.established, 0);
	assert_true(p->a.closed && p->b.closed);
	assert_int_equal(p->a.why, SESSION_END_GOODBYE);
	assert_non_null(strstr(p->a.detail, "unknown invite"));
}

static void
test_accepted(void **state)
{
	struct pair *p = *state;
	uint8_t id[TESS_ID_LEN];

	assert_int_equal(storefix_put_new(p->b.st, p->fx->b, "b's", 1, id), STORE_STORED);
	start(p, true, NULL);
	sessionfix_run(p, 1000);
	assert_int_equal(hook.calls, 1);
	assert_false(hook.had_proof);
	assert_int_equal(p->a.established, 1);
	assert_int_equal(p->b.established, 1);
	assert_false(p->a.closed || p->b.closed);
	assert_int_equal(sessionfix_count(p->a.st), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused, sessionfix_setup, sessionfix_teardown),
		cmocka_unit_test_setup_teardown(test_accepted, sessionfix_setup, sessionfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
