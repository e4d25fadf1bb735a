/* Text normalisation for search: NFKC with case folding over a whole text
 * (keeping a map back to the original bytes, for snippets), and the folds
 * of one word that people make when they type. */
#ifndef TOKENIZER_FOLD_H
#define TOKENIZER_FOLD_H

#include <stdbool.h>
#include <stddef.h>

/* A normalised text: out[0..len) is UTF-8; map[k] is the byte offset in the
 * original text where the character producing out[k] starts, and
 * map[len] is the original length. */
struct fold_text {
	char *out;
	int *map;
	int len, cap;
};

/* NFKC + case folding of in[0..len) into ft (reused between calls): invalid
 * UTF-8 becomes a space, ş ţ become ș ț (one spelling of Romanian), and the
 * Catalan l·l (also typed l.l or with ŀ) becomes ll. 0 or -ENOMEM. */
int fold_text(struct fold_text *ft, const char *in, int len);
void fold_text_free(struct fold_text *ft);

/* A normalised word without its diacritics and with the letters that have
 * no decomposition spelled the way they are typed (ł l, ø o, đ d, æ ae,
 * þ th): ё becomes е and й becomes и. Writes at most cap - 1 bytes and a
 * NUL to out; returns the length, or -1 if it does not fit. */
int fold_word(const char *w, int len, char *out, int cap);

/* For the Snowball Romanian stemmer, which knows only ş and ţ: the word with
 * ș ț replaced by ş ţ (same byte length), in place. */
void fold_romanian_cedilla(char *w, int len);

/* Decodes one UTF-8 character at s[0..len): its code point and length, or
 * U+FFFD and 1 for an invalid byte. */
int fold_utf8_next(const unsigned char *s, int len, unsigned *cp);
/* Encodes cp (no surrogates) into out, which holds at least 4 bytes. */
int fold_utf8_put(unsigned cp, char *out);

#endif
