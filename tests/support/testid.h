/* Test identities: two nodes' keys in their own temporary directories. */
#ifndef TESTID_H
#define TESTID_H

#include <stddef.h>

struct identity;

/* Makes /tmp/NAME.XXXXXX twice and an identity in each. Returns 0 or -1
 * (the reason on stderr). */
int testid_pair(const char *name, char *dir_a, char *dir_b, size_t dirsz,
    struct identity **a, struct identity **b);
/* Frees both identities and removes their directories: 0, or -1 if a
 * directory could not be removed (a test left files behind). */
int testid_pair_free(const char *dir_a, const char *dir_b, struct identity *a,
    struct identity *b);

#endif
