/* Cyrillic typed in Latin letters: the Cyrillic words a Latin query word
 * may stand for ("soobshchestvo" сообщество, "sotrudnichestvo"
 * сотрудничество). ICU's Any-Latin goes the other way and does not produce
 * what people type; this follows the common informal spellings instead. */
#ifndef TRANSLIT_H
#define TRANSLIT_H

#define TRANSLIT_MAX 8
#define TRANSLIT_CAP 256

/* Fills out with up to TRANSLIT_MAX Cyrillic spellings of the folded Latin
 * word w (lowercase ASCII letters and '), likeliest first; the count, 0 if
 * w is not such a word or is too short or too long. */
int translit_cyrillic(const char *w, int len, char out[][TRANSLIT_CAP], int max);

#endif
