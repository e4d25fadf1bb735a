/* The FTS5 tokenizer "tessera": wraps unicode61 and indexes every word in
 * up to three forms at the same position (FTS5_TOKEN_COLOCATED):
 *
 *	közösségek      the surface form: NFKC, case folded (ş ţ as ș ț, l·l as ll)
 *	\1kozossegek    the folded form, when it differs: no diacritics, ё е, й и
 *	\xFD...         instead of the surface form when the folded form
 *	                differs: the surface packed as stems are
 *	\xFE hu:kozosseg the stem in the text's own language, folded (Snowball),
 *	                packed into bytes 0x80-0xBF so that FTS5 takes the whole
 *	                token for one character and indexes no prefixes of it
 *
 * A word is indexed under the folded form, with its 2-character prefix
 * entry, and its other forms without one: FTS5 writes every token of 2
 * characters or more into the prefix index too, and those writes were
 * most of what indexing cost (docs/search.md).
 *
 * Texts reach it with their language in front, TOK_LANG_MARK lang
 * TOK_LANG_MARK (SQLite 3.40 has no per-value locale); the marker is read,
 * not indexed. Queries are built by search.c from the same functions: a
 * string starting with TOK_VERBATIM is one token, taken as is (query
 * phrases, and the author column: TOK_AUTHOR + hex key). */
#ifndef TOKENIZER_H
#define TOKENIZER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#define TOK_NAME "tessera"
#define TOK_FOLDED '\x01'
#define TOK_STEM '\xFE'     /* never in UTF-8: no surface word starts so */
#define TOK_SURFACE '\xFD'  /* a packed surface form (never in UTF-8 either) */
#define TOK_AUTHOR '\x03'
#define TOK_VERBATIM '\x1d'
#define TOK_LANG_MARK '\x1f'
/* Words longer than this (bytes) are indexed in their surface form only. */
#define TOK_WORD_MAX 96
/* Room for one form of a word, its namespace byte and a NUL. */
#define TOK_FORM_CAP (TOK_WORD_MAX * 3 + 8)
/* The vocabulary of new words collected between two drains (bounded). */
#define TOK_SINK_MAX 65536

struct tokenizer;

/* Registers the tokenizer and the tessera_match() auxiliary function with
 * db. The tokenizer belongs to db (freed when it closes); *out is borrowed
 * for the calls below. */
int tokenizer_register(sqlite3 *db, struct tokenizer **out, char **cause);

/* Splits text into surface words as texts are split; cb gets each word
 * and its byte range in text. A non-zero return from cb stops and is
 * returned. */
typedef int (*tokenizer_word_cb)(void *arg, const char *w, int len, int start, int end);
int tokenizer_words(struct tokenizer *t, const char *text, int len, tokenizer_word_cb cb,
    void *arg);

/* The folded stem of a surface word under language lang (a tag such as
 * "pt-BR"), prefixed with the language ("pt:inov") and packed as the index
 * packs it (the token after TOK_STEM), into out; its length, or -1 if lang
 * has no stemmer or the result does not fit. */
int tokenizer_stem(struct tokenizer *t, const char *lang, const char *w, int len, char *out,
    int cap);
/* The token under which the index holds the surface word w[0..len): w
 * itself when folding leaves it unchanged, else TOK_SURFACE and w packed.
 * Into out (NUL-terminated); its length, or -1 if it does not fit. */
int tokenizer_surface(const char *w, int len, char *out, int cap);
/* Makes lang known as a language of the indexed texts (the store does it
 * for every language it holds when it opens; indexing a text does it). */
void tokenizer_note_language(struct tokenizer *t, const char *lang);
/* The known languages that have a stemmer (codes, borrowed until the next
 * call) into langs: a query is stemmed in each, as stems only match words
 * of their own language. *cyrillic: one of them is written in Cyrillic.
 * Returns the count. */
int tokenizer_languages(struct tokenizer *t, const char **langs, int max, bool *cyrillic);

/* Frees the word cache (about 2 MB once filled; built again on the next
 * indexing) and the list of words known to the vocabulary: for an idle
 * node. The bytes they held. */
size_t tokenizer_release(struct tokenizer *t);

/* Hands every folded word indexed since the last drain to cb, then
 * forgets them. Stops at and returns cb's first non-zero result. */
int tokenizer_sink_drain(struct tokenizer *t, int (*cb)(void *arg, const char *w), void *arg);
/* Forgets which words were drained: after a rollback that took them out
 * of the vocabulary, they are offered again. */
void tokenizer_sink_forget(struct tokenizer *t);

/* The auxiliary function tessera_match(texts_fts, map): map holds two bytes
 * per phrase of the MATCH expression, (query word, form); it returns the
 * worst over query words of the best form that matched in this row as the
 * integer part, and the row's score as the fraction (below 0.5, lower is
 * better: column-weighted term frequency, shorter columns first). */
#define TOK_MATCH_FN "tessera_match"
/* Registers it (tokenizer_match.c); 0 or -1. */
int tokenizer_match_register(fts5_api *api);

/* Tokenizing ahead (tokenizer_prep.h). The worker, a second tokenizer
 * with caches of its own for one pool thread, or NULL while it is claimed
 * (or out of memory); given back with tokenizer_prep_unclaim once the
 * thread is done with it. Both on the loop's thread. */
struct tok_prep;
struct tokenizer *tokenizer_prep_claim(struct tokenizer *t);
void tokenizer_prep_unclaim(struct tokenizer *t);
/* On the claiming thread: tokenizes b's texts as documents, recording
 * their tokens and new words in b. 0, or -ENOMEM (texts not recorded whole
 * are tokenized again when indexed). */
int tokenizer_prep_run(struct tokenizer *w, struct tok_prep *b);
/* Document tokenizations replay b (borrowed until the next call; NULL:
 * none); b's new words join the vocabulary's sink when it is replaced. */
void tokenizer_prep_use(struct tokenizer *t, struct tok_prep *b);

#endif
