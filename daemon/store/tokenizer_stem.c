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

static struct sb_stemmer *
stem_get(struct stem_cache *c, const char *lang)
{
	char key[sizeof(c->e[0].lang)];

	lang_key(lang, key, sizeof(key));
	if (key[0] == '\0')
		return NULL;
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->e[i].lang, key) == 0)
			return c->e[i].sb;
	/* libstemmer takes ISO 639 codes and its own names alike. */
	struct sb_stemmer *sb = sb_stemmer_new(key, "UTF_8");

	if (c->n < STEM_CACHE_MAX) {
		memcpy(c->e[c->n].lang, key, sizeof(key));
		c->e[c->n++].sb = sb;
	} else if (sb != NULL) {
		/* Only odd tags get here; do without rather than grow. */
		sb_stemmer_delete(sb);
		sb = NULL;
	}
	return sb;
}

int
stem_word(struct stem_cache *c, const char *lang, const char *w, int len, char *out, int cap)
{
	struct sb_stemmer *sb;
	char buf[TOK_WORD_MAX + 1], sb_lang[sizeof(c->e[0].lang)];
	const sb_symbol *st;

	if (lang == NULL || len > TOK_WORD_MAX || (sb = stem_get(c, lang)) == NULL)
		return -1;
	lang_key(lang, sb_lang, sizeof(sb_lang));
	memcpy(buf, w, (size_t)len);
	buf[len] = '\0';
	if (strcmp(sb_lang, "ro") == 0 || strcmp(sb_lang, "romanian") == 0)
		fold_romanian_cedilla(buf, len);
	if ((st = sb_stemmer_stem(sb, (const sb_symbol *)buf, len)) == NULL)
		return -1;
	/* "ro:comun": a stem stands for a word of its own language only, so
	 * that a Catalan stem does not match a Romanian word by chance. */
	int kl = (int)strlen(sb_lang), fl;

	if (kl + 2 >= cap)
		return -1;
	memcpy(out, sb_lang, (size_t)kl);
	out[kl] = ':';
	/* In Portuguese and Catalan the stem depends on the accents: stem
	 * what was written, then fold, as the query side does. */
	fl = fold_word((const char *)st, sb_stemmer_length(sb), out + kl + 1, cap - kl - 1);
	return fl < 0 ? -1 : kl + 1 + fl;
}

/* The languages of libstemmer 2.2 by ISO 639-1 code (texts carry codes). */
static const char *codes[] = {
	"ar", "ca", "da", "de", "el", "en", "es", "eu", "fi", "fr", "ga", "hi", "hu", "hy", "id",
	"it", "lt", "ne", "nl", "no", "pt", "ro", "ru", "sr", "sv", "ta", "tr", "yi", NULL,
};

const char **
stem_languages(void)
{
	return codes;
}

void
stem_cache_free(struct stem_cache *c)
{
	for (int i = 0; i < c->n; i++)
		sb_stemmer_delete(c->e[i].sb);
	c->n = 0;
}
