/* The web view's request parsing (web/web_query.c) and catalogues
 * (web/web_i18n.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_i18n.h"
#include "web/web_query.h"

static int
parse(const char *target, struct web_query *q)
{
	const char *why;
	int rc = web_query_parse(target, strlen(target), q, &why);

	assert_non_null(why);
	return rc;
}

static void
test_parse(void **state)
{
	static struct web_query q;

	(void)state;
	assert_int_equal(parse("/", &q), 0);
	assert_string_equal(q.path, "/");
	assert_int_equal(q.n, 0);
	assert_int_equal(parse("/?q=community+profile&lang=pt&kind=&page=2#frag", &q), 0);
	assert_string_equal(q.path, "/");
	assert_int_equal(q.n, 4);
	assert_string_equal(web_query_get(&q, "q"), "community profile");
	assert_string_equal(web_query_get(&q, "lang"), "pt");
	assert_string_equal(web_query_get(&q, "kind"), "");
	assert_string_equal(web_query_get(&q, "page"), "2");
	assert_null(web_query_get(&q, "tag"));
	/* Percent escapes, UTF-8, a repeated key keeps its first value. */
	assert_int_equal(parse("/record/ab%20c?q=%C3%89vora%2B&q=second&&x", &q), 0);
	assert_string_equal(q.path, "/record/ab c");
	assert_string_equal(web_query_get(&q, "q"), "\xc3\x89vora+");
	assert_string_equal(web_query_get(&q, "x"), "");
	assert_int_equal(q.n, 2);
	/* '+' is a space only in the query. */
	assert_int_equal(parse("/a+b?c=d+e", &q), 0);
	assert_string_equal(q.path, "/a+b");
	assert_string_equal(web_query_get(&q, "c"), "d e");
}

static void
test_refused(void **state)
{
	static struct web_query q;
	static char big[WEB_MAX_URI + 2];
	char many[512];
	size_t o = 0;

	(void)state;
	assert_int_equal(parse("", &q), -EINVAL);
	assert_int_equal(parse("record", &q), -EINVAL);
	assert_int_equal(parse("http://x/", &q), -EINVAL);
	assert_int_equal(parse("/?q=%zz", &q), -EINVAL);
	assert_int_equal(parse("/?q=%4", &q), -EINVAL);
	assert_int_equal(parse("/?q=%", &q), -EINVAL);
	assert_int_equal(parse("/?q=a%00b", &q), -EINVAL);       /* NUL */
	assert_int_equal(parse("/?q=a%1bb", &q), -EINVAL);       /* ESC */
	assert_int_equal(parse("/?q=%ff", &q), -EINVAL);         /* not UTF-8 */
	assert_int_equal(parse("/%c3(", &q), -EINVAL);
	assert_int_equal(parse("/?=x", &q), -EINVAL);
	assert_int_equal(parse("/?abcdefghijklmnop=1", &q), -EINVAL);   /* key of 16 */
	assert_int_equal(parse("/?abcdefghijklmno=1", &q), 0);          /* key of 15 */
	for (int i = 0; i <= WEB_MAX_PARAMS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%sk%d=v", i ? "&" : "/?", i);
	assert_int_equal(parse(many, &q), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	assert_int_equal(web_query_parse(big, WEB_MAX_URI + 1, &q, &(const char *){ NULL }),
	    -E2BIG);
	assert_int_equal(web_query_parse(big, WEB_MAX_URI, &q, &(const char *){ NULL }), 0);
	assert_int_equal(strlen(q.path), WEB_MAX_URI);
}

static void
test_lang(void **state)
{
	const char *have[] = { "en", "pt", "hu", "ro" };

	(void)state;
	assert_int_equal(web_lang_pick("pt-PT,pt;q=0.9,en;q=0.8", have, 4), 1);
	assert_int_equal(web_lang_pick("de-DE, hu;q=0.7, en;q=0.9", have, 4), 0);
	assert_int_equal(web_lang_pick("de, ro;q=0.2", have, 4), 3);
	assert_int_equal(web_lang_pick("RO", have, 4), 3);
	assert_int_equal(web_lang_pick("hu;q=0, en;q=0.1", have, 4), 0);
	assert_int_equal(web_lang_pick("hu;q=0", have, 4), -1);
	assert_int_equal(web_lang_pick("de, fr", have, 4), -1);
	assert_int_equal(web_lang_pick("*", have, 4), -1);
	assert_int_equal(web_lang_pick("", have, 4), -1);
	assert_int_equal(web_lang_pick(NULL, have, 4), -1);
	assert_int_equal(web_lang_pick("pt;q=bad", have, 4), -1);
	assert_int_equal(web_lang_pick("pt;q=1.5", have, 4), -1);
	assert_int_equal(web_lang_pick(",,;;", have, 4), -1);
	/* Equal weights: the first listed wins. */
	assert_int_equal(web_lang_pick("hu, pt", have, 4), 2);
}

/* A .mo image of n (id, str) pairs, sorted by the caller. */
static uint8_t *
mo_build(const char *const *pairs, uint32_t n, size_t *len)
{
	size_t strings = 0, off;
	uint32_t hdr[7] = { 0x950412de, 0, n, 28, 28 + 8 * n, 0, 0 };
	uint8_t *b;

	for (uint32_t i = 0; i < 2 * n; i++)
		strings += strlen(pairs[i]) + 1;
	*len = 28 + 16 * (size_t)n + strings;
	b = calloc(1, *len);
	assert_non_null(b);
	memcpy(b, hdr, sizeof(hdr));
	off = 28 + 16 * (size_t)n;
	for (uint32_t i = 0; i < 2 * n; i++) {
		uint32_t table = i % 2 ? 28 + 8 * n : 28, k = i / 2;
		uint32_t ent[2] = { (uint32_t)strlen(pairs[i]), (uint32_t)off };

		memcpy(b + table + 8 * k, ent, 8);
		memcpy(b + off, pairs[i], strlen(pairs[i]) + 1);
		off += strlen(pairs[i]) + 1;
	}
	return b;
}

static void
test_catalogue(void **state)
{
	const char *pairs[] = {
		"", "Content-Type: text/plain; charset=UTF-8\n",
		"Connected to %u of %u peers.", "Ligado a %u de %u parceiros.",
		"Search", "Pesquisar",
		"Untranslated", "",
		"Wrong %s", "Errado %n %s",       /* conversions differ: dropped */
	};
	struct i18n *c;
	const char *why;
	uint8_t *mo;
	size_t len;

	(void)state;
	mo = mo_build(pairs, 5, &len);
	assert_int_equal(i18n_parse(mo, len, &c, &why), 0);
	assert_int_equal(i18n_count(c), 2);
	assert_string_equal(i18n_get(c, "Search"), "Pesquisar");
	assert_string_equal(i18n_get(c, "Connected to %u of %u peers."),
	    "Ligado a %u de %u parceiros.");
	assert_string_equal(i18n_get(c, "Untranslated"), "Untranslated");
	assert_string_equal(i18n_get(c, "Wrong %s"), "Wrong %s");
	assert_string_equal(i18n_get(c, "Absent"), "Absent");
	assert_string_equal(i18n_get(NULL, "Search"), "Search");
	i18n_free(c);
	/* Damaged images: refused with a reason, never read out of bounds. */
	assert_int_equal(i18n_parse(mo, 19, &c, &why), -EINVAL);
	mo[0] ^= 1;
	assert_int_equal(i18n_parse(mo, len, &c, &why), -EINVAL);
	mo[0] ^= 1;
	mo[len - 1] = 'x';              /* last string loses its NUL */
	assert_int_equal(i18n_parse(mo, len, &c, &why), -EINVAL);
	mo[len - 1] = '\0';
	mo[8] = 0xff;                   /* count beyond the file */
	assert_int_equal(i18n_parse(mo, len, &c, &why), -EINVAL);
	assert_null(c);
	free(mo);
}

static void
test_catalogue_unsorted(void **state)
{
	const char *pairs[] = { "b", "B", "a", "A" };
	struct i18n *c;
	const char *why;
	uint8_t *mo;
	size_t len;

	(void)state;
	mo = mo_build(pairs, 2, &len);
	assert_int_equal(i18n_parse(mo, len, &c, &why), -EINVAL);
	assert_string_equal(why, "messages not sorted");
	free(mo);
}

/* The catalogues the build compiled from po/: every one loads and
 * translates the search page's title. */
static void
test_built(void **state)
{
	static const char *want[] = { NULL, "Pesquisar", "Keresés", "Căutare" };

	(void)state;
	for (size_t i = 1; i < i18n_nlangs; i++) {
		struct i18n *c;
		char *cause = NULL;

		assert_int_equal(i18n_load(TESSERA_BUILD_DIR "/locale", i18n_langs[i].tag, &c,
		    &cause), 0);
		assert_true(i18n_count(c) > 60);
		assert_string_equal(i18n_get(c, "Search"), want[i]);
		i18n_free(c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_catalogue_unsorted),
		cmocka_unit_test(test_built),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
