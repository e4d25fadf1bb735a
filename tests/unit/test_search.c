/* Search over the demo data: diacritics and case folded in every language,
 * snippets, limits, listing the imported records. */
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

static void
test_import(void **state)
{
	struct searchfix *fx = *state;
	struct store_stats stats;
	struct store_author *a;
	size_t n, profiles = 0;

	assert_int_equal(fx->nrec, 17);
	searchfix_fts_ok(fx->st);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 17);
	for (size_t i = 0; i < fx->nrec; i++)
		profiles += fx->rec[i].kind == TESSERA__KIND__KIND_PROFILE;
	assert_int_equal(profiles, NFILES);
	assert_int_equal(store_authors(fx->st, &a, &n), 0);
	assert_int_equal(n, NFILES);
	for (size_t i = 0; i < n; i++)
		assert_non_null(a[i].name);
	store_authors_free(a, n);
}

static void
test_romanian(void **state)
{
	struct searchfix *fx = *state;
	static const int lines[] = { 1, 2, 0 };

	/* Without diacritics, with them, in capitals, with cedillas (ş ţ)
	 * instead of commas below (ș ț): all the same word. */
	searchfix_expect_hits(fx, "comunitatii", "ro", ROMANIA, lines);
	searchfix_expect_hits(fx, "comunității", "ro", ROMANIA, lines);
	searchfix_expect_hits(fx, "COMUNITĂȚII", "ro", ROMANIA, lines);
	searchfix_expect_hits(fx, "comunităţii", "ro", ROMANIA, lines);
	/* Words from the title: both must match. */
	{
		static const int two[] = { 2, 0 };

		searchfix_expect_hits(fx, "ghid comunitatii", "ro", ROMANIA, two);
	}
}

static void
test_hungarian(void **state)
{
	struct searchfix *fx = *state;
	static const int lines[] = { 1, 3, 0 }, prefixed[] = { 1, 3, 4, 5, 0 };

	/* Exactly the word; its longer forms ("közösségi", "közösségek") by prefix. */
	searchfix_expect_hits(fx, "kozosseg", "hu", NAGYKOVACSI, lines);
	searchfix_expect_hits(fx, "kozosseg*", "hu", NAGYKOVACSI, prefixed);
	searchfix_expect_hits(fx, "KÖZÖSSÉG*", "hu", NAGYKOVACSI, prefixed);
	searchfix_expect_hits(fx, "közösség", "hu", NAGYKOVACSI, lines);
	searchfix_expect_hits(fx, "KÖZÖSSÉG", "hu", NAGYKOVACSI, lines);
	/* ő and ű, typed with or without their accents. */
	{
		static const int one[] = { 1, 0 }, five[] = { 5, 0 };

		searchfix_expect_hits(fx, "egyuttmukodesehez", "hu", NAGYKOVACSI, one);
		searchfix_expect_hits(fx, "együttműködéséhez", "hu", NAGYKOVACSI, one);
		searchfix_expect_hits(fx, "segitoi", "hu", NAGYKOVACSI, five);
		searchfix_expect_hits(fx, "SEGÍTŐI", "hu", NAGYKOVACSI, five);
	}
	{
		struct search_hit *hits;
		size_t n;

		hits = searchfix_query(fx->st, "nagykovacsi", NULL, &n);
		assert_true(n >= 1);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(searchfix_by_seq(fx, hits[i].seq)->file, NAGYKOVACSI);
		search_hits_free(hits, n);
	}
}

static void
test_cyrillic(void **state)
{
	struct searchfix *fx = *state;
	static const int lines[] = { 2, 0 };

	/* "Традиционные" and "Когда" are capitalized in the data. */
	searchfix_expect_hits(fx, "традиционные", "ru", CATALONIA, lines);
	searchfix_expect_hits(fx, "ТРАДИЦИОННЫЕ", "ru", CATALONIA, lines);
	searchfix_expect_hits(fx, "когда", "ru", CATALONIA, lines);
	searchfix_expect_hits(fx, "изменяем роли", "ru", CATALONIA, lines);
	searchfix_expect_hits(fx, "сообществ*", "ru", CATALONIA, lines);
}

static void
test_catalan_portuguese(void **state)
{
	struct searchfix *fx = *state;
	static const int one[] = { 1, 0 }, three[] = { 3, 0 }, two[] = { 2, 0 };
	static const int both[] = { 1, 2, 0 };

	searchfix_expect_hits(fx, "historia", "ca", CATALONIA, one);
	searchfix_expect_hits(fx, "Història", "ca", CATALONIA, one);
	searchfix_expect_hits(fx, "comunitaria", "ca", CATALONIA, one);
	searchfix_expect_hits(fx, "innovacio", "ca", CATALONIA, three);
	searchfix_expect_hits(fx, "INNOVACIÓ", "ca", CATALONIA, three);
	searchfix_expect_hits(fx, "inovacao", "pt", EVORA, two);
	searchfix_expect_hits(fx, "inovação", "pt", EVORA, two);
	searchfix_expect_hits(fx, "evora", "en", EVORA, both);
	/* Tags are searchable words too ("partnership" is only a tag here). */
	searchfix_expect_hits(fx, "partnership", NULL, CATALONIA, two);
	searchfix_expect_hits(fx, "changing-roles", NULL, CATALONIA, two);
	searchfix_expect_hits(fx, "ÉVORA", "en", EVORA, both);
}

/* The bracketed words of a snippet, checked against a list of spellings. */
static void
check_snippet(const char *snippet, const char *const *spellings)
{
	const char *p = snippet;
	int marks = 0;

	assert_non_null(snippet);
	while ((p = strchr(p, '[')) != NULL) {
		const char *end = strchr(p, ']');
		bool known = false;

		assert_non_null(end);
		for (const char *const *s = spellings; *s && !known; s++)
			known = strlen(*s) == (size_t)(end - p - 1) &&
			    memcmp(*s, p + 1, strlen(*s)) == 0;
		if (!known)
			fail_msg("unexpected match in snippet: %.*s", (int)(end - p + 1), p);
		marks++;
		p = end + 1;
	}
	assert_true(marks > 0);
}

static void
test_snippets(void **state)
{
	struct searchfix *fx = *state;
	/* With the other forms of the word that the stem matched. */
	static const char *const ro[] = { "comunității", "Comunității", "COMUNITĂȚII",
		"comunitate", "Comunitate", "comunitatea", "Comunitatea", "comunităţii", NULL };
	static const char *const hu[] = { "közösség", "Közösség", "KÖZÖSSÉG", "közösségi",
		"Közösségi", "közösségek", "Közösségek", "közösséget", NULL };
	static const char *const ru[] = { "Традиционные", "традиционные", "традиционное",
		"Традиционное", NULL };
	struct search_hit *hits;
	size_t n;

	/* The exact and folded hits highlight the word in its spellings. */
	hits = searchfix_query(fx->st, "comunitatii", NULL, &n);
	assert_true(n > 0);
	for (size_t i = 0; i < n && hits[i].match <= SEARCH_FOLDED; i++)
		check_snippet(hits[i].snippet, ro);
	search_hits_free(hits, n);
	hits = searchfix_query(fx->st, "kozosseg", NULL, &n);
	for (size_t i = 0; i < n && hits[i].match <= SEARCH_FOLDED; i++)
		check_snippet(hits[i].snippet, hu);
	search_hits_free(hits, n);
	hits = searchfix_query(fx->st, "традиционные", NULL, &n);
	assert_int_equal(n, 1);
	check_snippet(hits[0].snippet, ru);
	search_hits_free(hits, n);
}

static void
test_limit_and_one_hit_per_record(void **state)
{
	struct searchfix *fx = *state;
	struct search_filter f = { 0 };
	struct search_hit *hits;
	size_t n, nall;

	/* catalonia:2 matches "xploit" in two languages: one hit. */
	hits = searchfix_query(fx->st, "xploit", &(struct search_filter){ .limit = 100 }, &nall);
	assert_true(searchfix_has_hit(hits, nall, searchfix_by_line(fx, CATALONIA, 2)->seq));
	for (size_t i = 1; i < nall; i++)
		assert_true(hits[i - 1].match < hits[i].match || hits[i - 1].score <= hits[i].score);
	search_hits_free(hits, nall);
	for (uint32_t lim = 1; lim <= 3; lim++) {
		f.limit = lim;
		hits = searchfix_query(fx->st, "xploit", &f, &n);
		assert_int_equal(n, lim);
		search_hits_free(hits, n);
	}
	/* The default limit. */
	f.limit = 0;
	hits = searchfix_query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, nall < SEARCH_DEFAULT_LIMIT ? nall : SEARCH_DEFAULT_LIMIT);
	search_hits_free(hits, n);
	/* A word nobody used. */
	hits = searchfix_query(fx->st, "zzyzx", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
}

static void
test_list_imported(void **state)
{
	struct searchfix *fx = *state;
	uint64_t *seqs;
	size_t n;
	int64_t prev = INT64_MAX;

	assert_int_equal(search_list(fx->st, &(struct search_filter){ 0 }, &seqs, &n), 0);
	assert_int_equal(n, fx->nrec);
	for (size_t i = 0; i < n; i++) {
		Tessera__Record *r = searchfix_load_seq(fx->st, seqs[i]);

		assert_true(r->timestamp <= prev);
		if (i > 0 && r->timestamp == prev)
			assert_true(seqs[i] < seqs[i - 1]);
		prev = r->timestamp;
		record_free(r);
	}
	free(seqs);
	for (uint32_t lim = 1; lim < 5; lim++) {
		assert_int_equal(search_list(fx->st, &(struct search_filter){ .limit = lim }, &seqs,
		    &n), 0);
		assert_int_equal(n, lim);
		free(seqs);
	}
	assert_int_equal(search_list(fx->st, &(struct search_filter){ .tag = "innovation" },
	    &seqs, &n), 0);
	assert_int_equal(n, 2);
	free(seqs);
	assert_int_equal(search_list(fx->st, &(struct search_filter){ .kind =
	    TESSERA__KIND__KIND_PROFILE }, &seqs, &n), 0);
	assert_int_equal(n, NFILES);
	free(seqs);
	assert_int_equal(search_list(fx->st, &(struct search_filter){ .lang = "ru" }, &seqs, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], searchfix_by_line(fx, CATALONIA, 2)->seq);
	free(seqs);
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
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_romanian),
		cmocka_unit_test(test_hungarian),
		cmocka_unit_test(test_cyrillic),
		cmocka_unit_test(test_catalan_portuguese),
		cmocka_unit_test(test_snippets),
		cmocka_unit_test(test_limit_and_one_hit_per_record),
		cmocka_unit_test(test_list_imported),
	};

	return cmocka_run_group_tests(tests, demo_setup, searchfix_group_teardown);
}
