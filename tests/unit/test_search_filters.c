/* Search over the demo data: filters, and hostile or empty query text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "searchfix.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "store/publish.h"
#include "core/record.h"
#include "store/search.h"
#include "store/store.h"
#include "core/util.h"

/* True if record r satisfies filter f (lang checked on the hit instead). */
static bool
matches(const Tessera__Record *r, const struct search_filter *f)
{
	bool tag = f->tag == NULL;

	if (f->kind > 0 && (int)r->kind != f->kind)
		return false;
	if (f->has_author && memcmp(r->author.data, f->author, TESS_KEY_LEN) != 0)
		return false;
	for (size_t i = 0; i < r->n_tags && !tag; i++)
		tag = strcmp(r->tags[i], f->tag) == 0;
	return tag;
}

/* The filtered result is exactly the unfiltered one restricted to the filter. */
static size_t
check_filter(struct searchfix *fx, const char *q, struct search_filter *f)
{
	struct search_hit *all, *some;
	size_t nall, nsome, want = 0;

	f->limit = 100;
	all = searchfix_query(fx->st, q, &(struct search_filter){ .limit = 100 }, &nall);
	some = searchfix_query(fx->st, q, f, &nsome);
	for (size_t i = 0; i < nsome; i++) {
		Tessera__Record *r = searchfix_load_seq(fx->st, some[i].seq);

		if (!matches(r, f))
			fail_msg("\"%s\": hit %llu does not match the filter", q,
			    (unsigned long long)some[i].seq);
		if (f->lang != NULL) {
			assert_non_null(some[i].lang);
			assert_string_equal(some[i].lang, f->lang);
			assert_string_equal(record_text(r, f->lang)->lang, f->lang);
		}
		assert_true(searchfix_has_hit(all, nall, some[i].seq));
		record_free(r);
	}
	for (size_t i = 0; i < nall && f->lang == NULL; i++) {
		Tessera__Record *r = searchfix_load_seq(fx->st, all[i].seq);

		if (matches(r, f)) {
			want++;
			if (!searchfix_has_hit(some, nsome, all[i].seq))
				fail_msg("\"%s\": filter loses %llu", q,
				    (unsigned long long)all[i].seq);
		}
		record_free(r);
	}
	if (f->lang == NULL)
		assert_int_equal(nsome, want);
	assert_true(nsome <= nall);
	search_hits_free(all, nall);
	search_hits_free(some, nsome);
	return nsome;
}

static void
test_filters(void **state)
{
	struct searchfix *fx = *state;
	struct search_filter f;
	size_t n, nall;
	struct search_hit *hits;

	hits = searchfix_query(fx->st, "xploit", &(struct search_filter){ .limit = 100 }, &nall);
	search_hits_free(hits, nall);
	assert_true(nall >= 10);

	/* Kind. */
	f = (struct search_filter){ .kind = TESSERA__KIND__KIND_RESOURCE };
	n = check_filter(fx, "xploit", &f);
	assert_true(n > 0 && n < nall);
	f = (struct search_filter){ .kind = TESSERA__KIND__KIND_INITIATIVE };
	n = check_filter(fx, "xploit", &f);
	assert_int_equal(n, 1);        /* evora:2 ("Xploit in Évora") */
	f = (struct search_filter){ .kind = TESSERA__KIND__KIND_PROFILE };
	n = check_filter(fx, "xploit", &f);
	assert_int_equal(n, 1);        /* wales:1 */
	f = (struct search_filter){ .kind = 9 };
	assert_int_equal(check_filter(fx, "xploit", &f), 0);

	/* Author. */
	f = (struct search_filter){ .has_author = true };
	memcpy(f.author, fx->id[NAGYKOVACSI]->pub, TESS_KEY_LEN);
	n = check_filter(fx, "xploit", &f);
	assert_int_equal(n, 4);
	memcpy(f.author, fx->id[ROMANIA]->pub, TESS_KEY_LEN);
	assert_int_equal(check_filter(fx, "xploit", &f), 2);
	memcpy(f.author, fx->id[ITALY]->pub, TESS_KEY_LEN);
	assert_int_equal(check_filter(fx, "xploit", &f), 0);

	/* Tag. */
	f = (struct search_filter){ .tag = "innovation" };
	hits = searchfix_query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, 2);
	assert_true(searchfix_has_hit(hits, n, searchfix_by_line(fx, CATALONIA, 3)->seq));
	assert_true(searchfix_has_hit(hits, n, searchfix_by_line(fx, ROMANIA, 3)->seq));
	search_hits_free(hits, n);
	assert_int_equal(check_filter(fx, "xploit", &f), 2);
	f = (struct search_filter){ .tag = "learning-community" };
	assert_int_equal(check_filter(fx, "xploit", &f), 2);   /* romania:2, wales:2 */
	f = (struct search_filter){ .tag = "learning" };       /* not a tag, only a word */
	assert_int_equal(check_filter(fx, "xploit", &f), 0);

	/* Language: the hit is the text in that language. */
	f = (struct search_filter){ .lang = "ru" };
	hits = searchfix_query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].seq, searchfix_by_line(fx, CATALONIA, 2)->seq);
	assert_string_equal(hits[0].lang, "ru");
	search_hits_free(hits, n);
	f = (struct search_filter){ .lang = "hu" };
	n = check_filter(fx, "xploit", &f);
	assert_int_equal(n, 4);
	f = (struct search_filter){ .lang = "en" };
	n = check_filter(fx, "xploit", &f);
	assert_true(n >= 4);
	f = (struct search_filter){ .lang = "de" };
	assert_int_equal(check_filter(fx, "xploit", &f), 0);

	/* Combined. */
	f = (struct search_filter){ .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "hu",
		.tag = "results", .has_author = true };
	memcpy(f.author, fx->id[NAGYKOVACSI]->pub, TESS_KEY_LEN);
	hits = searchfix_query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].seq, searchfix_by_line(fx, NAGYKOVACSI, 4)->seq);
	search_hits_free(hits, n);
	f.kind = TESSERA__KIND__KIND_INITIATIVE;
	hits = searchfix_query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
}

static void
test_fts_syntax_is_inert(void **state)
{
	struct searchfix *fx = *state;
	static const char *with_words[] = {
		"\"xploit", "xploit\"", "\"xploit\"", "x\"ploit", "\"\"xploit\"\"",
		"(xploit", "xploit)", "(xploit)", "((xploit", "xploit))",
		"title:xploit", "title:", "title : xploit", "{title body}: xploit",
		"- xploit", "-xploit", "xploit -community", "xploit - community",
		"NEAR(xploit community)", "NEAR(", "NEAR(xploit", "NEAR/2", "xploit NEAR",
		"xploit AND", "AND xploit", "xploit OR", "OR xploit", "NOT xploit", "xploit NOT",
		"AND", "OR", "NOT", "AND OR NOT",
		"xploit*", "xploit *", "* xploit", "**xploit", "xploit**", "xp*loit",
		"^xploit", "xploit^", "+xploit", "xploit + community",
		"xploit;", "'; DROP TABLE records; --", "xploit' OR '1'='1", "%xploit%", "_xploit_",
		"comunității:", "közösség)", "(сообщество", "\\xploit", "xploit\\",
		"xploit – a learning community",
	};
	static const char *no_words[] = {
		"*", "**", "-", "--", "\"", "\"\"", "\"*\"", "(", ")", "()", ":", "^", "+",
		"( - * )", "\" \" \"", "NEAR(", "– … «»", "_", "😀", "\"–\"*",
	};

	for (size_t i = 0; i < sizeof(with_words) / sizeof(with_words[0]); i++) {
		struct search_hit *hits = NULL;
		char *cause = NULL;
		size_t n = 99;
		int rc = search_query(fx->st, with_words[i], &(struct search_filter){ 0 }, &hits,
		    &n, &cause);

		if (rc != 0)
			fail_msg("query '%s': %d %s", with_words[i], rc, cause ? cause : "");
		search_hits_free(hits, n);
	}
	/* Quoting keeps words words: a query with a quote finds what the
	 * word alone finds. */
	{
		struct search_hit *a, *b;
		size_t na, nb;

		a = searchfix_query(fx->st, "xploit", NULL, &na);
		b = searchfix_query(fx->st, "\"xploit\" (xploit) title:xploit*", NULL, &nb);
		assert_true(na > 0);
		search_hits_free(a, na);
		search_hits_free(b, nb);
		a = searchfix_query(fx->st, "NEAR(kozosseg", NULL, &na);
		assert_int_equal(na, 0);      /* "near" is not in the Hungarian texts */
		search_hits_free(a, na);
		b = searchfix_query(fx->st, "kozosseg", NULL, &nb);
		assert_true(nb >= 2);
		search_hits_free(b, nb);
		a = searchfix_query(fx->st, "(kozosseg)", NULL, &na);
		assert_int_equal(na, nb);
		search_hits_free(a, na);
		a = searchfix_query(fx->st, "-kozosseg", NULL, &na);
		assert_int_equal(na, nb);     /* not a negation */
		search_hits_free(a, na);
		a = searchfix_query(fx->st, "kozosseg*", NULL, &na);
		assert_true(na >= 4);
		search_hits_free(a, na);
	}
	/* Punctuation alone is either no result or "empty query", never an error. */
	for (size_t i = 0; i < sizeof(no_words) / sizeof(no_words[0]); i++) {
		struct search_hit *hits = NULL;
		char *cause = NULL;
		size_t n = 0;
		int rc = search_query(fx->st, no_words[i], &(struct search_filter){ 0 }, &hits, &n,
		    &cause);

		if (rc == -EINVAL) {
			assert_non_null(cause);
			assert_string_equal(cause, "empty query");
			assert_null(hits);
		} else if (rc != 0) {
			fail_msg("query '%s': %d %s", no_words[i], rc, cause ? cause : "");
		}
		free(cause);
		search_hits_free(hits, n);
	}
}

static void
test_empty_query(void **state)
{
	struct searchfix *fx = *state;
	static const char *empty[] = { "", " ", "\t\n ", "*", "-" };

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct search_hit *hits = (struct search_hit *)1;
		char *cause = NULL;
		size_t n = 99;

		assert_int_equal(search_query(fx->st, empty[i], &(struct search_filter){ 0 }, &hits,
		    &n, &cause), -EINVAL);
		assert_null(hits);
		assert_int_equal(n, 0);
		assert_non_null(cause);
		free(cause);
	}
	/* The cause is optional. */
	{
		struct search_hit *hits;
		size_t n;

		assert_int_equal(search_query(fx->st, "", &(struct search_filter){ 0 }, &hits, &n,
		    NULL), -EINVAL);
	}
}

/* Any query string gives hits or a clear error: FTS5 syntax, quotes,
 * stars, control characters, invalid UTF-8, very long input. */
static void
test_hostile_queries(void **state)
{
	struct searchfix *fx = *state;
	static const char *cases[] = {
		"xploit", "  two   words ", "pre*", "a\"b", "title:x", "NEAR(a b)", "-", "*", "",
		"közösség", "\"\"\"x\"", "a OR b", "(((", "\"unbalanced", "x\x01\x1f\x1dy",
		"\xff\xfe\xc3", "\xe2\x82", "^title", "{title summary}: x", "\x1f" "ro" "\x1f" "x",
		"ab*", "é*", "*a", "a*b*c*", "\xd0\xb0*",
	};
	char big[100 * 1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct search_hit *hits;
		char *cause = NULL;
		size_t n;
		int rc = search_query(fx->st, cases[i], &(struct search_filter){ 0 }, &hits, &n,
		    &cause);

		if (rc != 0 && rc != -EINVAL)
			fail_msg("query '%s': %d", cases[i], rc);
		if (rc == -EINVAL)
			assert_non_null(cause);
		search_hits_free(hits, n);
		free(cause);
	}
	/* Worst cases for the expression buffer: quotes and stars everywhere,
	 * just under and far over the accepted length. */
	{
		const char *pats[] = { "a\" ", "a\"* ", "\"a\"\"\"* ", "é\" ", "a ", "\"*a\"* ",
			"\xd1\x91\xd0\xb9 " };

		for (size_t p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
			for (size_t max = 60; max <= sizeof(big); max = max == 60 ? sizeof(big) : max + 1) {
				size_t o = 0, pl = strlen(pats[p]);
				struct search_hit *hits;
				char *cause = NULL;
				size_t n;
				int rc;

				while (o + pl < max) {
					memcpy(big + o, pats[p], pl);
					o += pl;
				}
				big[o] = '\0';
				rc = search_query(fx->st, big, &(struct search_filter){ 0 }, &hits, &n,
				    &cause);
				assert_true(rc == 0 || rc == -EINVAL);
				search_hits_free(hits, n);
				free(cause);
			}
		}
	}
}

/* A one-letter prefix would walk a large part of the vocabulary: refused,
 * saying why; two letters are enough. */
static void
test_short_prefix(void **state)
{
	struct searchfix *fx = *state;
	struct search_hit *hits;
	char *cause = NULL;
	size_t n;

	assert_int_equal(search_query(fx->st, "k*", &(struct search_filter){ 0 }, &hits, &n,
	    &cause), -EINVAL);
	assert_non_null(strstr(cause, "at least 2"));
	free(cause);
	cause = NULL;
	assert_int_equal(search_query(fx->st, "ghid k*", &(struct search_filter){ 0 }, &hits,
	    &n, &cause), -EINVAL);
	free(cause);
	assert_int_equal(search_query(fx->st, "k\xc3\xb6*", &(struct search_filter){ 0 }, &hits,
	    &n, NULL), 0);
	assert_true(n > 0);
	search_hits_free(hits, n);
}

/* The shared store holds the demo data of the source tree. */
static int
demo_setup(void **state)
{
	return searchfix_group_setup(state, TESSERA_DATA_DIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_fts_syntax_is_inert),
		cmocka_unit_test(test_empty_query),
		cmocka_unit_test(test_hostile_queries),
		cmocka_unit_test(test_short_prefix),
	};

	return cmocka_run_group_tests(tests, demo_setup, searchfix_group_teardown);
}
