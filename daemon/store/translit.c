/* Latin to Cyrillic candidates for a query word (see translit.h). Each
 * Latin spelling maps to its usual letter and a few alternatives; the
 * candidates using the fewest alternatives come first. */
#include "store/translit.h"

#include <stdbool.h>
#include <string.h>

/* Longest Latin word considered (letters); longer ones are not Russian
 * typed in Latin, or would cost too much to expand. */
#define LATIN_MAX 40
/* At most this many alternatives (not the usual letter) in one candidate. */
#define MAX_ALTS 2

struct rule {
	const char *latin;
	const char *cyr[3];        /* usual first; NULL-terminated */
};

/* Longer spellings before their prefixes: "shch" before "sh" before "s". */
static const struct rule rules[] = {
	{ "shch", { "щ", NULL } },
	{ "sch", { "щ", "ш", NULL } },
	{ "zh", { "ж", NULL } },
	{ "kh", { "х", NULL } },
	{ "ts", { "ц", "тс", NULL } },
	{ "tz", { "ц", NULL } },
	{ "ch", { "ч", NULL } },
	{ "sh", { "ш", NULL } },
	{ "yo", { "ё", "йо", NULL } },
	{ "yu", { "ю", NULL } },
	{ "ya", { "я", NULL } },
	{ "ye", { "е", "ье", NULL } },
	{ "jo", { "ё", NULL } },
	{ "ju", { "ю", NULL } },
	{ "ja", { "я", NULL } },
	{ "iy", { "ий", "ый", NULL } },
	{ "yy", { "ый", NULL } },
	{ "a", { "а", NULL } }, { "b", { "б", NULL } }, { "v", { "в", NULL } },
	{ "g", { "г", NULL } }, { "d", { "д", NULL } }, { "e", { "е", "э", NULL } },
	{ "z", { "з", NULL } }, { "i", { "и", "й", "і" } }, { "j", { "й", "ж", NULL } },
	{ "k", { "к", NULL } }, { "l", { "л", NULL } }, { "m", { "м", NULL } },
	{ "n", { "н", NULL } }, { "o", { "о", NULL } }, { "p", { "п", NULL } },
	{ "r", { "р", NULL } }, { "s", { "с", NULL } }, { "t", { "т", NULL } },
	{ "u", { "у", NULL } }, { "f", { "ф", NULL } }, { "h", { "х", "г", NULL } },
	{ "c", { "ц", "к", NULL } }, { "y", { "ы", "й", "и" } }, { "x", { "кс", "х", NULL } },
	{ "w", { "в", NULL } }, { "q", { "к", NULL } }, { "'", { "ь", "ъ", NULL } },
};

struct walk {
	const char *w;
	int len;
	char (*out)[TRANSLIT_CAP];
	int max, n;
	int alts;                   /* exactly this many alternatives per candidate */
	char buf[TRANSLIT_CAP];
};

static void
walk(struct walk *k, int pos, int o, int used)
{
	if (k->n >= k->max || used > k->alts)
		return;
	if (pos == k->len) {
		if (used != k->alts)
			return;
		k->buf[o] = '\0';
		memcpy(k->out[k->n++], k->buf, (size_t)o + 1);
		return;
	}
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		size_t ll = strlen(rules[r].latin);

		if ((int)ll > k->len - pos || memcmp(k->w + pos, rules[r].latin, ll) != 0)
			continue;
		for (int c = 0; c < 3 && rules[r].cyr[c] != NULL; c++) {
			size_t cl = strlen(rules[r].cyr[c]);

			if (o + (int)cl >= TRANSLIT_CAP)
				continue;
			memcpy(k->buf + o, rules[r].cyr[c], cl);
			walk(k, pos + (int)ll, o + (int)cl, used + (c > 0));
		}
		/* A shorter spelling of the same letters (s-h for sh) counts as
		 * one alternative: "skhema" is с-х, not ш. */
		if (ll > 1)
			used++;
	}
}

int
translit_cyrillic(const char *w, int len, char out[][TRANSLIT_CAP], int max)
{
	struct walk k = { .w = w, .len = len, .out = out, .max = max };

	if (len < 3 || len > LATIN_MAX)
		return 0;
	for (int i = 0; i < len; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || w[i] == '\''))
			return 0;
	for (k.alts = 0; k.alts <= MAX_ALTS && k.n < max; k.alts++)
		walk(&k, 0, 0, 0);
	return k.n;
}
