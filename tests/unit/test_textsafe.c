/* Terminal-safe text and the character rules of records (core/textsafe.c),
 * and record strings checked on their wire bytes (msgscan_record). */
#define _GNU_SOURCE     /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "recordfix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgscan.h"
#include "core/textsafe.h"

static void
escaped(const char *in, size_t len, const char *want)
{
	char *out = textsafe_escape(in, len);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void
test_escape(void **state)
{
	(void)state;
	/* OSC 52 (clipboard), CSI (clear screen): every control shown. */
	escaped("\x1b]52;c;Y3VybA==\x07", 16, "\\x1b]52;c;Y3VybA==\\x07");
	escaped("a\x1b[2Jb", 6, "a\\x1b[2Jb");
	escaped("tab\there\nnl\x7f", 12, "tab\\x09here\\x0anl\\x7f");
	escaped("c1 \xc2\x9b" "31m", 8, "c1 \\u009b31m");                  /* C1 CSI */
	escaped("\xe2\x80\xae" "evil", 7, "\\u202eevil");                  /* RLO */
	escaped("\xe2\x81\xa6x\xe2\x81\xa9", 7, "\\u2066x\\u2069");        /* isolates */
	escaped("a\xe2\x80\x8b" "b\xef\xbb\xbf", 8, "a\\u200bb\\ufeff");   /* zero-width */
	escaped("bad \xff\xc3(", 7, "bad \\xff\\xc3(");                    /* not UTF-8 */
	escaped("nul\0after", 9, "nul\\x00after");
	/* What a reader should see as written. */
	escaped("\xc3\x89vora, N\xc4\x83v\xc3\xa1lie \xe4\xb8\xad", 21,
	    "\xc3\x89vora, N\xc4\x83v\xc3\xa1lie \xe4\xb8\xad");
	escaped("", 0, "");
}

static void
test_escape_cp(void **state)
{
	char esc[TEXTSAFE_ESC_MAX];

	(void)state;
	assert_int_equal(textsafe_escape_cp('\n', true, esc), 0);
	assert_int_equal(textsafe_escape_cp('\t', true, esc), 0);
	assert_int_equal(textsafe_escape_cp('\n', false, esc), 4);
	assert_string_equal(esc, "\\x0a");
	assert_int_equal(textsafe_escape_cp('\r', true, esc), 4);
	assert_int_equal(textsafe_escape_cp(0x2028, true, esc), 6);
	assert_string_equal(esc, "\\u2028");
	assert_int_equal(textsafe_escape_cp(0xe9, false, esc), 0);
	assert_string_equal(esc, "");
}

static void
test_check(void **state)
{
	(void)state;
	assert_int_equal(textsafe_check("Horta comunit\xc3\xa1ria", 18, false), 0);
	assert_int_equal(textsafe_check("a\xe2\x80\x8b" "b", 5, false), 0);   /* ZWSP: a name may */
	assert_int_equal(textsafe_check("\xd7\xa9\xe2\x80\x8f" "1", 6, false), 0);  /* RLM */
	assert_int_equal(textsafe_check("two\nlines\tok", 12, true), 0);
	assert_int_equal(textsafe_check("\xe2\x80\xae" "rtl", 6, true), 0);   /* long text */
	/* Refused everywhere: NUL, C0 but tab and newline, DEL, C1, not UTF-8. */
	assert_int_equal(textsafe_check("nul\0x", 5, true), -1);
	assert_int_equal(textsafe_check("a\rb", 3, true), -1);
	assert_int_equal(textsafe_check("a\x1b[2J", 5, true), -1);
	assert_int_equal(textsafe_check("del\x7f", 4, true), -1);
	assert_int_equal(textsafe_check("\xc2\x9b", 2, true), -1);
	assert_int_equal(textsafe_check("\xe2\x80\xa8", 3, true), -1);        /* U+2028 */
	assert_int_equal(textsafe_check("\xc0\xaf", 2, true), -1);            /* overlong */
	assert_int_equal(textsafe_check("\xed\xa0\x80", 3, true), -1);        /* surrogate */
	assert_int_equal(textsafe_check("\xe2\x80", 2, true), -1);            /* cut short */
	/* Refused in short fields only. */
	assert_int_equal(textsafe_check("a\tb", 3, false), -1);
	assert_int_equal(textsafe_check("a\nb", 3, false), -1);
	assert_int_equal(textsafe_check("\xe2\x80\xae" "rtl", 6, false), -1);
	assert_int_equal(textsafe_check("\xe2\x81\xa7" "x", 4, false), -1);   /* U+2067 */
}

/* A title "Looks harmless" + NUL + 300 bytes that are not UTF-8, validly
 * signed: protobuf-c's copy ends at the NUL, so only the wire bytes tell. */
static void
test_nul_on_the_wire(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	char title[316];
	uint8_t *body, *at, sig[TESS_SIG_LEN];
	size_t len, fields;
	const char *why;

	memset(title, 'Q', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	recordfix_draft_small(&d, fx->a);
	d.r.texts[0]->title = title;
	recordfix_sign_raw(fx->a, &d.r, &body, &len, sig);
	assert_int_equal(msgscan_record(body, len, &fields), 0);
	at = memmem(body, len, title, sizeof(title) - 1);
	assert_non_null(at);
	memcpy(at, "Looks harmless", 14);
	at[14] = '\0';
	memset(at + 15, 0xff, sizeof(title) - 1 - 15);
	recordfix_sign_bytes(fx->a, body, len, sig);
	assert_int_equal(msgscan_record(body, len, &fields), -EILSEQ);
	why = recordfix_open_fails(body, len, sig, -EINVAL);
	assert_non_null(strstr(why, "NUL"));
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_cp),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_nul_on_the_wire),
	};

	return cmocka_run_group_tests(tests, recordfix_group_setup, recordfix_group_teardown);
}
