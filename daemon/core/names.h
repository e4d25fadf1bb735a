/* Community names compared as a reader sees them.
 *
 * Names are chosen by their authors, so two communities may carry names that
 * print the same: "Évora" in NFC and in NFD, with a zero-width space, with a
 * Cyrillic "а". A name's key folds all of these together: NFKC with case
 * folding, default-ignorable code points (zero-width characters, bidi
 * controls) and other controls removed, then the confusable skeleton of
 * Unicode TS #39 (ICU uspoof). Names with one key are look-alikes: a name
 * picks a community only when its key is unique. */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>

/* The key of a UTF-8 name: malloc'd UTF-8, "" for a name of nothing but
 * invisible characters; NULL on invalid UTF-8 or without memory. */
char *names_key(const char *name);

/* For each of n keys (NULL: no name), the index of the first other entry
 * with the same non-empty key, or NAMES_NONE: fills alike[0..n). Returns 0
 * or -ENOMEM. */
#define NAMES_NONE ((size_t)-1)
int names_alike(char *const *keys, size_t n, size_t *alike);

#endif
