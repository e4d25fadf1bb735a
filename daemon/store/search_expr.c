/* The FTS5 expression of a query (see search_expr.h). Every phrase is a
 * token built here with the tokenizer's own functions and passed through
 * it verbatim, so user input is never read as FTS5 syntax. */
#include "store/search_expr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/search_typo.h"
#include "store/store_int.h"
#include "store/tokenizer_fold.h"
#include "store/tokenizer_stem.h"
#include "store/translit.h"

/* Distinct forms kept for one query word. */
#define FORMS_MAX 96

struct words_run {
	const char *query;
	int qlen;
	struct search_word *w;
	int n;
	int err;
};

static int
on_word(void *arg, const char *w, int len, int start, int end)
{
	struct words_run *r = arg;

	(void)start;
	if (r->n == SEARCH_WORDS_MAX) {
		r->err = -E2BIG;
		return 1;
	}
	if (len >= TOK_WORD_MAX)
		len = TOK_WORD_MAX;
	memcpy(r->w[r->n].surface, w, (size_t)len);
	r->w[r->n].surface[len] = '\0';
	/* unicode61 drops the '*': it is the byte after the word, if any. */
	r->w[r->n].prefix = end < r->qlen && r->query[end] == '*';
	r->n++;
	return 0;
}

static int
chars_of(const char *w)
{
	int n = 0;

	for (; *w; w++)
		n += ((unsigned char)*w & 0xC0) != 0x80;
	return n;
}

int
search_words(struct store *st, const char *query, struct search_word *w, int *n, char **cause)
{
	struct words_run r = { .query = query, .w = w };
	size_t qlen = strlen(query);

	*n = 0;
	if (qlen > SEARCH_QUERY_MAX)
		return set_cause(cause, -EINVAL, "query too long (%zu bytes, at most %d)", qlen,
		    SEARCH_QUERY_MAX);
	r.qlen = (int)qlen;
	if (tokenizer_words(st->tok, query, r.qlen, on_word, &r) != 0 && r.err == 0)
		return set_cause(cause, -ENOMEM, "out of memory");
	if (r.err == -E2BIG)
		return set_cause(cause, -EINVAL, "too many words in the query (at most %d)",
		    SEARCH_WORDS_MAX);
	if (r.n == 0)
		return set_cause(cause, -EINVAL, "empty query");
	for (int i = 0; i < r.n; i++)
		if (w[i].prefix && chars_of(w[i].surface) < SEARCH_PREFIX_MIN)
			return set_cause(cause, -EINVAL,
			    "'%s*': a prefix search needs at least %d letters", w[i].surface,
			    SEARCH_PREFIX_MIN);
	*n = r.n;
	return 0;
}

static void
put(struct search_expr *e, const char *s, size_t len)
{
	if (e->failed)
		return;
	if (e->len + len + 1 > e->cap) {
		size_t cap = e->cap ? e->cap : 1024;
		char *p;

		while (cap < e->len + len + 1)
			cap *= 2;
		if ((p = realloc(e->fts, cap)) == NULL) {
			e->failed = -ENOMEM;
			return;
		}
		e->fts = p;
		e->cap = cap;
	}
	memcpy(e->fts + e->len, s, len);
	e->len += len;
	e->fts[e->len] = '\0';
}

/* One word's group of phrases under construction. */
struct group {
	struct search_expr *e;
	int word;
	bool prefix;
	char forms[FORMS_MAX][TOK_FORM_CAP];
	int n;
};

/* Adds the phrase for token tok (namespace byte included) unless the
 * group has it already, in which case its earlier, better form stands. */
static void
phrase(struct group *g, const char *tok, enum search_match form)
{
	struct search_expr *e = g->e;
	size_t tl = strlen(tok);

	if (tl == 0 || tl >= TOK_FORM_CAP || g->n == FORMS_MAX)
		return;
	for (int i = 0; i < g->n; i++)
		if (strcmp(g->forms[i], tok) == 0)
			return;
	memcpy(g->forms[g->n++], tok, tl + 1);
	if (e->nphrase * 2 + 2 > e->mapcap) {
		size_t cap = e->mapcap ? e->mapcap * 2 : 256;
		unsigned char *m = realloc(e->map, cap);

		if (m == NULL) {
			e->failed = -ENOMEM;
			return;
		}
		e->map = m;
		e->mapcap = cap;
	}
	put(e, g->n > 1 ? " OR \"" : "\"", g->n > 1 ? 5 : 1);
	put(e, (const char[]){ TOK_VERBATIM }, 1);
	for (const char *p = tok; *p; p++) {
		put(e, p, 1);
		if (*p == '"')
			put(e, "\"", 1);
	}
	put(e, g->prefix ? "\"*" : "\"", g->prefix ? 2 : 1);
	e->map[e->nphrase * 2] = (unsigned char)g->word;
	e->map[e->nphrase * 2 + 1] = (unsigned char)form;
	e->nphrase++;
}

/* A token in a namespace: ns then w, or for ns 0 the surface word w as
 * the index holds it (tokenizer_surface). */
static void
phrase_ns(struct group *g, char ns, const char *w, enum search_match form)
{
	char tok[TOK_FORM_CAP];
	size_t wl = strlen(w);

	if (wl + 2 > sizeof(tok))
		return;
	if (ns == 0) {
		if (tokenizer_surface(w, (int)wl, tok, sizeof(tok)) <= 0)
			return;
		/* A packed surface has no prefixes (FTS5 answers a prefix
		 * of one character from its 2-character index, which packed
		 * tokens are not in): a prefix with diacritics is looked for
		 * among the folded forms of the words that have diacritics,
		 * so közö* finds közösség and kőzó, not kozo. */
		if (tok[0] == TOK_SURFACE && g->prefix) {
			tok[0] = TOK_FOLDED;
			if (fold_word(w, (int)wl, tok + 1, (int)sizeof(tok) - 1) <= 0)
				return;
		}
		phrase(g, tok, form);
		return;
	}
	tok[0] = ns;
	memcpy(tok + 1, w, wl + 1);
	phrase(g, tok, form);
}

static void
stems(struct store *st, struct group *g, const char *lang, const char *w, enum search_match form)
{
	char s[TOK_FORM_CAP];

	if (tokenizer_stem(st->tok, lang, w, (int)strlen(w), s, sizeof(s)) > 0)
		phrase_ns(g, TOK_STEM, s, form);
}

static void
translit(struct store *st, struct group *g, const char *folded)
{
	char cyr[TRANSLIT_MAX][TRANSLIT_CAP], f[TOK_FORM_CAP];
	int n = translit_cyrillic(folded, (int)strlen(folded), cyr, TRANSLIT_MAX);

	for (int i = 0; i < n; i++) {
		phrase_ns(g, 0, cyr[i], SEARCH_TRANSLIT);
		if (fold_word(cyr[i], (int)strlen(cyr[i]), f, sizeof(f)) > 0) {
			phrase_ns(g, 0, f, SEARCH_TRANSLIT);
			phrase_ns(g, TOK_FOLDED, f, SEARCH_TRANSLIT);
		}
		if (!g->prefix)
			stems(st, g, "ru", cyr[i], SEARCH_TRANSLIT);
	}
}

static void
word_group(struct store *st, struct group *g, const struct search_word *w, bool exact, bool typos)
{
	char folded[TOK_FORM_CAP];
	const char *langs[STEM_CACHE_MAX];
	bool cyrillic;
	int nl;

	phrase_ns(g, 0, w->surface, SEARCH_EXACT);
	if (exact || fold_word(w->surface, (int)strlen(w->surface), folded, sizeof(folded)) <= 0)
		return;
	phrase_ns(g, 0, folded, SEARCH_FOLDED);
	phrase_ns(g, TOK_FOLDED, folded, SEARCH_FOLDED);
	/* The query's language is unknown: its stem in every language of the
	 * store that has a stemmer (stems only match their own language). */
	nl = tokenizer_languages(st->tok, langs, STEM_CACHE_MAX, &cyrillic);
	for (int i = 0; i < nl && !g->prefix; i++) {
		stems(st, g, langs[i], w->surface, SEARCH_STEMMED);
		if (strcmp(folded, w->surface) != 0)
			stems(st, g, langs[i], folded, SEARCH_STEMMED);
	}
	/* A Latin word that occurs in the texts is taken for what it is. */
	if (cyrillic && !typo_known_word(st, folded, (int)strlen(folded)))
		translit(st, g, folded);
	if (typos && !g->prefix) {
		char cand[TYPO_MAX][TOK_FORM_CAP];
		int n = typo_candidates(st, folded, (int)strlen(folded), cand, TYPO_MAX);

		for (int i = 0; i < n; i++) {
			phrase_ns(g, 0, cand[i], SEARCH_TYPO);
			phrase_ns(g, TOK_FOLDED, cand[i], SEARCH_TYPO);
		}
	}
}

int
search_expr_build(struct store *st, const struct search_word *w, int n, bool exact, bool typos,
    struct search_expr *e)
{
	struct group *g;

	memset(e, 0, sizeof(*e));
	if ((g = malloc(sizeof(*g))) == NULL)
		return -ENOMEM;
	for (int i = 0; i < n && !e->failed; i++) {
		g->e = e;
		g->word = i;
		g->prefix = w[i].prefix;
		g->n = 0;
		put(e, i ? " AND (" : "(", i ? 6 : 1);
		word_group(st, g, &w[i], exact, typos);
		put(e, ")", 1);
	}
	free(g);
	if (e->failed) {
		search_expr_free(e);
		return -ENOMEM;
	}
	return 0;
}

void
search_expr_free(struct search_expr *e)
{
	free(e->fts);
	free(e->map);
	memset(e, 0, sizeof(*e));
}
