/* The tokenizer's new-word sink (tokenizer_sink.h): a word is offered to
 * the typo vocabulary once, not again in every indexing slice; a failed
 * hand-over or a rollback (tok_sink_forget) offers it again; the sink's
 * bound holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "store/tokenizer.h"
#include "store/tokenizer_sink.h"

struct took {
	int n;
	int fail_at;   /* the call that fails (1-based), 0: none */
	char last[64];
};

static int
take(void *arg, const char *w)
{
	struct took *t = arg;

	t->n++;
	snprintf(t->last, sizeof(t->last), "%s", w);
	return t->n == t->fail_at ? -5 : 0;
}

static void
test_offered_once(void **state)
{
	struct tok_sink s = { 0 };
	struct took t = { 0 };

	(void)state;
	tok_sink_add(&s, "kozosseg");
	tok_sink_add(&s, "kozosseg");
	tok_sink_add(&s, "learning");
	assert_int_equal(tok_sink_drain(&s, take, &t), 0);
	assert_int_equal(t.n, 2);
	/* The next slice meets the same words: nothing to offer. */
	tok_sink_add(&s, "learning");
	tok_sink_add(&s, "kozosseg");
	tok_sink_add(&s, "comunitate");
	memset(&t, 0, sizeof(t));
	assert_int_equal(tok_sink_drain(&s, take, &t), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.last, "comunitate");
	/* Rolled back: offered again. */
	tok_sink_forget(&s);
	tok_sink_add(&s, "learning");
	memset(&t, 0, sizeof(t));
	assert_int_equal(tok_sink_drain(&s, take, &t), 0);
	assert_int_equal(t.n, 1);
	tok_sink_free(&s);
}

static void
test_failed_not_known(void **state)
{
	struct tok_sink s = { 0 };
	struct took t = { .fail_at = 1 };

	(void)state;
	tok_sink_add(&s, "ferramenta");
	assert_int_equal(tok_sink_drain(&s, take, &t), -5);
	/* The vocabulary did not take it: the next drain offers it. */
	tok_sink_add(&s, "ferramenta");
	memset(&t, 0, sizeof(t));
	assert_int_equal(tok_sink_drain(&s, take, &t), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.last, "ferramenta");
	tok_sink_free(&s);
}

static void
test_bounds(void **state)
{
	struct tok_sink s = { 0 };
	struct took t = { 0 };
	char w[32];

	(void)state;
	/* More than the sink holds between drains: the rest is dropped. */
	for (int i = 0; i < TOK_SINK_MAX + 100; i++) {
		snprintf(w, sizeof(w), "w%07d", i);
		tok_sink_add(&s, w);
	}
	assert_int_equal(s.n, TOK_SINK_MAX);
	assert_int_equal(tok_sink_drain(&s, take, &t), 0);
	assert_int_equal(t.n, TOK_SINK_MAX);
	assert_int_equal(s.n, 0);
	/* All known now; freeing gives the memory back and forgets them. */
	tok_sink_add(&s, "w0000001");
	assert_int_equal(s.n, 0);
	assert_true(tok_sink_free(&s) > 0);
	tok_sink_add(&s, "w0000001");
	assert_int_equal(s.n, 1);
	tok_sink_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offered_once),
		cmocka_unit_test(test_failed_not_known),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
