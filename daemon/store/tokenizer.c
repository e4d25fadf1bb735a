/* The FTS5 tokenizer "tessera" (see tokenizer.h): unicode61 over the
 * normalised text, with the folded form and the stem of each word at the
 * same position, and the tessera_match() auxiliary function. */
#include "store/tokenizer.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/tokenizer_fold.h"
#include "store/tokenizer_prep.h"
#include "store/tokenizer_sink.h"
#include "store/tokenizer_stem.h"

/* Longest language tag read from a marker (BCP 47 tags fit in 35). */
#define LANG_MAX 35
/* The forms of recent words, by (stemmer, word): text is Zipfian, so most
 * words repeat, and folding and stemming were three quarters of the cost
 * of indexing. Words up to WC_WORD bytes; two ways per set, the most
 * recently used first, WC_SLOTS slots in all (about 2 MB: the 6 x 2,000
 * words of the benchmark's languages fit). Direct-mapped, a word's slot
 * was often taken by another frequent word, and each such miss cost a
 * Snowball call and a vocabulary insert (docs/search.md). */
#define WC_SLOTS 16384
#define WC_WAYS 2
#define WC_WORD 24
#define WC_OUT 96

struct wc_slot {
	uint32_t hash;                 /* 0: empty */
	const struct stem_entry *stem;
	unsigned char wl, n, len[3];
	char word[WC_WORD];
	char out[WC_OUT];              /* the n forms, back to back */
};

struct tokenizer {
	fts5_api *api;
	fts5_tokenizer u61;
	void *u61_ud;
	Fts5Tokenizer *words;      /* a unicode61 instance for tokenizer_words */
	struct stem_cache stems;
	/* WC_SLOTS, allocated on first use (and again after tokenizer_release),
	 * or NULL after an allocation failure (no caching) while wc_fail. */
	struct wc_slot *wc;
	bool wc_fail;
	struct tok_sink sink;      /* new words for the typo vocabulary */
	/* Tokenizing ahead (tokenizer_prep.h): the worker is a second
	 * tokenizer with caches of its own, for one pool thread at a time
	 * (worker_busy); prep is the batch replayed by document
	 * tokenizations, borrowed. */
	struct tokenizer *worker;
	bool worker_busy;
	struct tok_prep *prep;
};

struct tok_inst {
	struct tokenizer *t;
	Fts5Tokenizer *u61;
};

/* One call of xTokenize: where unicode61's tokens go. */
struct tok_run {
	struct tokenizer *t;
	int flags;
	const struct stem_entry *stem;  /* NULL: no stemming */
	const struct fold_text *ft;
	int skip;                  /* bytes of marker before the text */
	void *ctx;
	int (*emit)(void *, int, const char *, int, int, int);
};

static const char *u61_args[] = { "remove_diacritics", "0", "categories", "L* N* Co M*" };

int
tokenizer_sink_drain(struct tokenizer *t, int (*cb)(void *arg, const char *w), void *arg)
{
	return tok_sink_drain(&t->sink, cb, arg);
}

void
tokenizer_sink_forget(struct tokenizer *t)
{
	tok_sink_forget(&t->sink);
}

/* A word worth offering as a typo correction: three letters or more. */
static bool
vocab_worthy(const char *w, int len)
{
	int chars = 0;

	if (*w >= '0' && *w <= '9')
		return false;
	for (int i = 0; i < len; i++)
		chars += ((unsigned char)w[i] & 0xC0) != 0x80;
	return chars >= 3;
}

/* Computes the other forms of a document word into forms[0..3). */
static int
word_forms(struct tok_run *r, const char *tok, int n, char forms[3][TOK_FORM_CAP], int *lens)
{
	int fl, sl, k = 0;
	bool differs;
	char *f = forms[0];

	if ((fl = fold_word(tok, n, f + 1, TOK_FORM_CAP - 1)) <= 0)
		return 0;
	differs = fl != n || memcmp(f + 1, tok, (size_t)n) != 0;
	if (vocab_worthy(f + 1, fl))
		tok_sink_add(&r->t->sink, f + 1);
	if (differs) {
		f[0] = TOK_FOLDED;
		lens[k++] = fl + 1;
	}
	/* Words of one or two bytes (one or two Latin letters): no other form
	 * worth indexing. */
	if (r->stem == NULL || n < 3 || (sl = stem_with(r->stem, tok, n, forms[k] + 1,
	    TOK_FORM_CAP - 1)) <= 0)
		return k;
	forms[k][0] = TOK_STEM;
	lens[k++] = sl + 1;
	/* Typed without accents, pt/ca words stem differently: index both. */
	if (differs) {
		int s2 = stem_with(r->stem, f + 1, fl, forms[k] + 1, TOK_FORM_CAP - 1);

		if (s2 > 0 && (s2 != sl || memcmp(forms[k] + 1, forms[k - 1] + 1, (size_t)sl) != 0)) {
			forms[k][0] = TOK_STEM;
			lens[k++] = s2 + 1;
		}
	}
	return k;
}

/* The other forms of one document word (the folded form first, when it
 * differs, then the stems) into *form and len: from the word cache, or
 * computed into buf and remembered. Their count. */
static int
word_lookup(struct tok_run *r, const char *tok, int n, char buf[3][TOK_FORM_CAP],
    const char *form[3], int len[3])
{
	struct wc_slot *w = NULL;
	uint32_t h = 0;
	int k;

	/* Allocated here rather than at registration: an idle node released it
	 * (tokenizer_release), and a node that never indexes never pays for it. */
	if (r->t->wc == NULL && !r->t->wc_fail &&
	    (r->t->wc = calloc(WC_SLOTS, sizeof(*r->t->wc))) == NULL)
		r->t->wc_fail = true;   /* without the cache indexing is slower, not wrong */
	if (r->t->wc != NULL && n <= WC_WORD) {
		struct wc_slot *set;

		h = (uint32_t)(uintptr_t)r->stem * 2654435761u;
		for (int i = 0; i < n; i++)
			h = (h ^ (unsigned char)tok[i]) * 16777619u;
		h |= 1;
		set = &r->t->wc[(h % (WC_SLOTS / WC_WAYS)) * WC_WAYS];
		for (int way = 0; way < WC_WAYS; way++) {
			w = &set[way];
			if (w->hash != h || w->stem != r->stem || w->wl != n ||
			    memcmp(w->word, tok, (size_t)n) != 0)
				continue;
			/* Most recently used first: the last way is evicted. */
			if (way > 0) {
				struct wc_slot hit = *w;

				memmove(&set[1], &set[0], (size_t)way * sizeof(*set));
				set[0] = hit;
				w = &set[0];
			}
			for (int i = 0, o = 0; i < w->n; o += w->len[i++]) {
				form[i] = w->out + o;
				len[i] = w->len[i];
			}
			return w->n;
		}
		memmove(&set[1], &set[0], (WC_WAYS - 1) * sizeof(*set));
		w = &set[0];
	}
	k = word_forms(r, tok, n, buf, len);
	for (int i = 0; i < k; i++)
		form[i] = buf[i];
	if (w != NULL) {
		int o = 0, i;

		for (i = 0; i < k && o + len[i] <= WC_OUT; o += len[i++]) {
			memcpy(w->out + o, buf[i], (size_t)len[i]);
			w->len[i] = (unsigned char)len[i];
		}
		/* Forms too long for the slot: the word is not cached. */
		w->hash = i == k ? h : 0;
		w->stem = r->stem;
		w->wl = (unsigned char)n;
		w->n = (unsigned char)k;
		memcpy(w->word, tok, (size_t)n);
	}
	return k;
}

/* w[0..len) behind TOK_SURFACE, packed as stems are (stem_pack): FTS5
 * counts the token as one character and writes no prefix entries for it.
 * The token's length, or -1 if it does not fit. */
static int
surface_pack(const char *w, int len, char *out, int cap)
{
	int pl;

	if (cap < 2 || (pl = stem_pack((const unsigned char *)w, len, out + 1, cap - 1)) < 0)
		return -1;
	out[0] = TOK_SURFACE;
	return pl + 1;
}

int
tokenizer_surface(const char *w, int len, char *out, int cap)
{
	char f[TOK_FORM_CAP];
	int fl = len <= TOK_WORD_MAX ? fold_word(w, len, f, sizeof(f)) : -1;

	/* The test word_forms makes when it indexes the word. */
	if (fl > 0 && (fl != len || memcmp(f, w, (size_t)len) != 0))
		return surface_pack(w, len, out, cap);
	if (len + 1 > cap)
		return -1;
	memcpy(out, w, (size_t)len);
	out[len] = '\0';
	return len;
}

/* One document word and its other forms at the same position. A word
 * that folding changes is indexed under its folded form, which carries
 * the prefix entries (prefix searches fold the query), and its surface
 * form packed; any other word under itself. */
static int
tok_word(struct tok_run *r, const char *tok, int n, int s, int e)
{
	char buf[3][TOK_FORM_CAP], packed[TOK_FORM_CAP];
	const char *form[3];
	int len[3], k = word_lookup(r, tok, n, buf, form, len), i = 0, rc, pl;

	if (k > 0 && form[0][0] == TOK_FOLDED && (pl = surface_pack(tok, n, packed,
	    sizeof(packed))) > 0) {
		if ((rc = r->emit(r->ctx, 0, form[0], len[0], s, e)) == 0)
			rc = r->emit(r->ctx, FTS5_TOKEN_COLOCATED, packed, pl, s, e);
		i = 1;
	} else {
		rc = r->emit(r->ctx, 0, tok, n, s, e);
	}
	for (; i < k && rc == 0; i++)
		rc = r->emit(r->ctx, FTS5_TOKEN_COLOCATED, form[i], len[i], s, e);
	return rc;
}

/* A unicode61 token of the normalised text: mapped back to the original
 * bytes and emitted, in documents with its other forms. */
static int
tok_token(void *arg, int tflags, const char *tok, int n, int s, int e)
{
	struct tok_run *r = arg;
	int os = r->skip + r->ft->map[s], oe = r->skip + r->ft->map[e];

	(void)tflags;
	if (n <= 0)
		return 0;
	if (!(r->flags & FTS5_TOKENIZE_DOCUMENT) || n > TOK_WORD_MAX)
		return r->emit(r->ctx, 0, tok, n, os, oe);
	return tok_word(r, tok, n, os, oe);
}

/* Reads "\x1f lang \x1f" at the start of text into lang; its length. */
static int
read_marker(const char *text, int len, char *lang)
{
	int i;

	if (len < 2 || text[0] != TOK_LANG_MARK)
		return 0;
	for (i = 1; i < len && i <= LANG_MAX + 1 && text[i] != TOK_LANG_MARK; i++)
		;
	if (i >= len || text[i] != TOK_LANG_MARK || i > LANG_MAX + 1)
		return 0;
	memcpy(lang, text + 1, (size_t)(i - 1));
	lang[i - 1] = '\0';
	return i + 1;
}

static int
run_u61(struct tokenizer *t, Fts5Tokenizer *u61, struct tok_run *r, const char *text, int len)
{
	struct fold_text ft = { 0 };
	int rc;

	if (fold_text(&ft, text, len) != 0) {
		fold_text_free(&ft);
		return SQLITE_NOMEM;
	}
	r->ft = &ft;
	rc = t->u61.xTokenize(u61, r, r->flags, ft.out, ft.len, tok_token);
	fold_text_free(&ft);
	return rc;
}

/* A text as FTS5 gives it: the language marker read, then unicode61's
 * tokens with their other forms (documents) or alone (queries). */
static int
tok_text(struct tokenizer *t, Fts5Tokenizer *u61, int flags, const char *text, int len,
    void *ctx, int (*emit)(void *, int, const char *, int, int, int))
{
	struct tok_run r = { .t = t, .flags = flags, .ctx = ctx, .emit = emit };
	char lang[LANG_MAX + 1];

	if ((r.skip = read_marker(text, len, lang)) > 0 && lang[0] != '\0' &&
	    (flags & FTS5_TOKENIZE_DOCUMENT))
		r.stem = stem_lookup(&t->stems, lang);
	return run_u61(t, u61, &r, text + r.skip, len - r.skip);
}

static int
tok_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int len,
    int (*emit)(void *, int, const char *, int, int, int))
{
	struct tok_inst *in = (struct tok_inst *)p;
	char lang[LANG_MAX + 1];
	int rc;

	if (text == NULL || len <= 0)
		return SQLITE_OK;
	/* A query token search.c built, or the author column: taken as is.
	 * Never one with a NUL byte: SQLite 3.40's FTS5 keeps terms as C
	 * strings in places, and such a term corrupts the index (records and
	 * queries cannot hold a NUL; the fuzz target found this). */
	if (text[0] == TOK_VERBATIM) {
		if (len < 2 || len - 1 > TOK_FORM_CAP || memchr(text + 1, '\0', (size_t)(len - 1)))
			return SQLITE_OK;
		return emit(ctx, 0, text + 1, len - 1, 0, len);
	}
	if ((flags & FTS5_TOKENIZE_DOCUMENT) && in->t->prep != NULL &&
	    tok_prep_replay(in->t->prep, text, len, ctx, emit, &rc)) {
		/* The language becomes known to queries as tok_text makes it. */
		if (read_marker(text, len, lang) > 0 && lang[0] != '\0')
			stem_lookup(&in->t->stems, lang);
		return rc;
	}
	return tok_text(in->t, in->u61, flags, text, len, ctx, emit);
}

static int
tok_create(void *ud, const char **args, int nargs, Fts5Tokenizer **out)
{
	struct tokenizer *t = ud;
	struct tok_inst *in;
	int rc;

	(void)args;
	(void)nargs;
	if ((in = calloc(1, sizeof(*in))) == NULL)
		return SQLITE_NOMEM;
	in->t = t;
	rc = t->u61.xCreate(t->u61_ud, u61_args, 4, &in->u61);
	if (rc != SQLITE_OK) {
		free(in);
		return rc;
	}
	*out = (Fts5Tokenizer *)in;
	return SQLITE_OK;
}

static void
tok_delete(Fts5Tokenizer *p)
{
	struct tok_inst *in = (struct tok_inst *)p;

	if (in == NULL)
		return;
	in->t->u61.xDelete(in->u61);
	free(in);
}

static void
tokenizer_free(void *p)
{
	struct tokenizer *t = p;

	if (t == NULL)
		return;
	if (t->words != NULL)
		t->u61.xDelete(t->words);
	tokenizer_free(t->worker);
	stem_cache_free(&t->stems);
	free(t->wc);
	tok_sink_free(&t->sink);
	free(t);
}

size_t
tokenizer_release(struct tokenizer *t)
{
	size_t freed = t->wc != NULL ? WC_SLOTS * sizeof(*t->wc) : 0;

	/* The known words go too: they are offered to the vocabulary again. */
	freed += tok_sink_free(&t->sink);
	free(t->wc);
	t->wc = NULL;
	t->wc_fail = false;   /* the next indexing may try again */
	if (t->worker != NULL && !t->worker_busy)
		freed += tokenizer_release(t->worker);
	return freed;
}

struct tokenizer *
tokenizer_prep_claim(struct tokenizer *t)
{
	struct tokenizer *w = t->worker;

	if (t->worker_busy)
		return NULL;
	if (w == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return NULL;
		*w = (struct tokenizer){ .api = t->api, .u61 = t->u61, .u61_ud = t->u61_ud };
		if (w->u61.xCreate(w->u61_ud, u61_args, 4, &w->words) != SQLITE_OK) {
			free(w);
			return NULL;
		}
		t->worker = w;
	}
	/* The worker's word cache is allocated here, on the loop's thread: a
	 * pool thread's malloc arena keeps what it held at the top resident
	 * after it is freed (tokenizer_prep.c, grow_mapped). */
	if (w->wc == NULL && !w->wc_fail && (w->wc = calloc(WC_SLOTS, sizeof(*w->wc))) == NULL)
		w->wc_fail = true;   /* it runs without the cache */
	t->worker_busy = true;
	return w;
}

void
tokenizer_prep_unclaim(struct tokenizer *t)
{
	t->worker_busy = false;
}

int
tokenizer_prep_run(struct tokenizer *w, struct tok_prep *b)
{
	size_t n = tok_prep_count(b);
	int rc = 0;

	for (size_t i = 0; i < n && rc != SQLITE_NOMEM; i++) {
		int len;
		const char *text = tok_prep_text(b, i, &len);

		tok_prep_open(b, i);
		rc = tok_text(w, w->words, FTS5_TOKENIZE_DOCUMENT, text, len, b, tok_prep_emit);
		tok_prep_close(b, i, rc == SQLITE_OK);
	}
	/* The words it offered the vocabulary travel with the batch. */
	tok_sink_free(tok_prep_words(b));
	*tok_prep_words(b) = w->sink;
	memset(&w->sink, 0, sizeof(w->sink));
	return rc == SQLITE_OK ? 0 : -ENOMEM;
}

static int
sink_add(void *arg, const char *w)
{
	tok_sink_add(arg, w);
	return 0;
}

void
tokenizer_prep_use(struct tokenizer *t, struct tok_prep *b)
{
	if (t->prep != NULL)
		tok_sink_drain(tok_prep_words(t->prep), sink_add, &t->sink);
	t->prep = b;
}

/* Words of a query: the same normalisation and splitting as documents. */
struct words_run {
	tokenizer_word_cb cb;
	void *arg;
};

static int
words_emit(void *ctx, int tflags, const char *tok, int n, int s, int e)
{
	struct words_run *w = ctx;

	(void)tflags;
	return w->cb(w->arg, tok, n, s, e);
}

int
tokenizer_words(struct tokenizer *t, const char *text, int len, tokenizer_word_cb cb, void *arg)
{
	struct words_run w = { .cb = cb, .arg = arg };
	struct tok_run r = { .t = t, .flags = FTS5_TOKENIZE_AUX, .ctx = &w, .emit = words_emit };

	return run_u61(t, t->words, &r, text, len);
}

int
tokenizer_stem(struct tokenizer *t, const char *lang, const char *w, int len, char *out, int cap)
{
	return stem_word(&t->stems, lang, w, len, out, cap);
}

void
tokenizer_note_language(struct tokenizer *t, const char *lang)
{
	stem_lookup(&t->stems, lang);
}

int
tokenizer_languages(struct tokenizer *t, const char **langs, int max, bool *cyrillic)
{
	static const char *cyr[] = { "ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn" };
	int n = 0;

	*cyrillic = false;
	for (int i = 0; i < t->stems.n; i++) {
		for (size_t k = 0; k < sizeof(cyr) / sizeof(cyr[0]); k++)
			*cyrillic |= strcmp(t->stems.e[i].lang, cyr[k]) == 0;
		if (t->stems.e[i].sb != NULL && n < max)
			langs[n++] = t->stems.e[i].lang;
	}
	return n;
}

static fts5_api *
fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	sqlite3_finalize(s);
	return api;
}

int
tokenizer_register(sqlite3 *db, struct tokenizer **out, char **cause)
{
	fts5_tokenizer mod = { tok_create, tok_delete, tok_tokenize };
	struct tokenizer *t;
	fts5_api *api;

	if ((api = fts5_api_of(db)) == NULL || api->iVersion < 2)
		return set_cause(cause, -ENOSYS, "SQLite has no FTS5");
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	t->api = api;
	if (api->xFindTokenizer(api, "unicode61", &t->u61_ud, &t->u61) != SQLITE_OK ||
	    t->u61.xCreate(t->u61_ud, u61_args, 4, &t->words) != SQLITE_OK) {
		free(t);
		return set_cause(cause, -ENOSYS, "FTS5 has no unicode61 tokenizer");
	}
	/* Once registered, db owns t (tokenizer_free when it closes); a failed
	 * registration leaves it to us. */
	if (api->xCreateTokenizer(api, TOK_NAME, t, &mod, tokenizer_free) != SQLITE_OK) {
		tokenizer_free(t);
		return set_cause(cause, -EIO, "cannot register the search tokenizer");
	}
	if (tokenizer_match_register(api) != 0)
		return set_cause(cause, -EIO, "cannot register %s()", TOK_MATCH_FN);
	*out = t;
	return 0;
}
