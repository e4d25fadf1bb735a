/* Snowball stemmers by language, created on first use and kept. */
#include "store/tokenizer_stem.h"

#include <ctype.h>
#include <libstemmer.h>
#include <string.h>

#include "store/tokenizer.h"
#include "store/tokenizer_fold.h"

/* "pt-BR" -> "pt"; Snowball names ("portuguese") pass unchanged. */
static void
lang_key(const char *lang, char *key, size_t cap)
{
	size_t i = 0;

	for (; lang[i] != '\0' && lang[i] != '-' && lang[i] != '_' && i + 1 < cap; i++)
		key[i] = (char)tolower((unsigned char)lang[i]);
	key[i] = '\0';
}

/* Every language seen gets an entry, with or without a stemmer: the
 * entries are also the list of the store's languages (tokenizer.h). */
struct stem_entry *
stem_lookup(struct stem_cache *c, const char *lang)
{
	char key[sizeof(c->e[0].lang)];

	lang_key(lang, key, sizeof(key));
	if (key[0] == '\0')
		return NULL;
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->e[i].lang, key) == 0)
			return c->e[i].sb != NULL ? &c->e[i] : NULL;
	/* Only odd tags fill the cache; do without rather than grow. */
	if (c->n == STEM_CACHE_MAX)
		return NULL;
	memcpy(c->e[c->n].lang, key, sizeof(key));
	/* libstemmer takes ISO 639 codes and its own names alike. */
	c->e[c->n].sb = sb_stemmer_new(key, "UTF_8");
	c->n++;
	return c->e[c->n - 1].sb != NULL ? &c->e[c->n - 1] : NULL;
}

int
stem_pack(const unsigned char *in, int len, char *out, int cap)
{
	int o = 0;

	if ((len * 4 + 2) / 3 + 1 > cap)
		return -1;
	for (int i = 0; i < len; i += 3) {
		int left = len - i, nout = left >= 3 ? 4 : left + 1;
		unsigned v = (unsigned)in[i] << 16;

		v |= left > 1 ? (unsigned)in[i + 1] << 8 : 0;
		v |= left > 2 ? in[i + 2] : 0;
		for (int k = 0; k < nout; k++)
			out[o++] = (char)(0x80 | ((v >> (18 - 6 * k)) & 0x3F));
	}
	out[o] = '\0';
	return o;
}

int
stem_with(const struct stem_entry *e, const char *w, int len, char *out, int cap)
{
	char buf[TOK_WORD_MAX + 1], stem[TOK_FORM_CAP];
	const sb_symbol *st;
	int kl, fl;

	if (e == NULL || len > TOK_WORD_MAX)
		return -1;
	memcpy(buf, w, (size_t)len);
	buf[len] = '\0';
	if (strcmp(e->lang, "ro") == 0 || strcmp(e->lang, "romanian") == 0)
		fold_romanian_cedilla(buf, len);
	if ((st = sb_stemmer_stem(e->sb, (const sb_symbol *)buf, len)) == NULL)
		return -1;
	/* "ro:comun": a stem stands for a word of its own language only, so
	 * that a Catalan stem does not match a Romanian word by chance. */
	kl = (int)strlen(e->lang);
	memcpy(stem, e->lang, (size_t)kl);
	stem[kl] = ':';
	/* In Portuguese and Catalan the stem depends on the accents: stem
	 * what was written, then fold, as the query side does. */
	fl = fold_word((const char *)st, sb_stemmer_length(e->sb), stem + kl + 1,
	    (int)sizeof(stem) - kl - 1);
	if (fl < 0)
		return -1;
	/* Packed, the token after TOK_STEM is one UTF-8 "character" to FTS5,
	 * which then writes no prefix-index entries for it: stems are never
	 * searched by prefix, and those entries (every stem of a language
	 * under "en" and "en:") were a third of what stems cost to index. */
	return stem_pack((const unsigned char *)stem, kl + 1 + fl, out, cap);
}

int
stem_word(struct stem_cache *c, const char *lang, const char *w, int len, char *out, int cap)
{
	return lang == NULL ? -1 : stem_with(stem_lookup(c, lang), w, len, out, cap);
}

void
stem_cache_free(struct stem_cache *c)
{
	for (int i = 0; i < c->n; i++)
		sb_stemmer_delete(c->e[i].sb);
	c->n = 0;
}

