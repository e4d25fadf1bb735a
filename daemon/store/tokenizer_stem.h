/* Snowball stemmers by language, created on first use and kept. */
#ifndef TOKENIZER_STEM_H
#define TOKENIZER_STEM_H

#include <stdbool.h>

#define STEM_CACHE_MAX 64

struct stem_entry {
	char lang[24];            /* primary language subtag or Snowball name */
	struct sb_stemmer *sb;    /* NULL: no stemmer for this language */
};

struct stem_cache {
	struct stem_entry e[STEM_CACHE_MAX];
	int n;
};

/* The stem of w[0..len) (a surface word) under lang, folded and prefixed
 * with the language ("ro:comun"), packed into continuation bytes (see
 * stem_with), into out; its length, or -1 if lang has no stemmer or it
 * does not fit. */
int stem_word(struct stem_cache *c, const char *lang, const char *w, int len, char *out,
    int cap);
/* The stemmer for lang, or NULL if it has none. */
struct stem_entry *stem_lookup(struct stem_cache *c, const char *lang);
/* stem_word with a stemmer already looked up (NULL: -1). */
int stem_with(const struct stem_entry *e, const char *w, int len, char *out, int cap);
/* Packs in[0..len) into continuation bytes (0x80 | 6 bits), 3 bytes into
 * 4, and a NUL: the packed length, or -1 if it does not fit in cap. */
int stem_pack(const unsigned char *in, int len, char *out, int cap);
void stem_cache_free(struct stem_cache *c);


#endif
