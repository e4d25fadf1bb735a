/* Test identities: two nodes' keys in their own temporary directories. */
#include "testid.h"

#include <stdio.h>
#include <stdlib.h>

#include "identity.h"
#include "testdir.h"

int
testid_pair(const char *name, char *dir_a, char *dir_b, size_t dirsz, struct identity **a,
    struct identity **b)
{
	char *cause = NULL;

	if (testdir_make(dir_a, dirsz, name) != 0 || testdir_make(dir_b, dirsz, name) != 0) {
		fprintf(stderr, "%s: cannot make a temporary directory\n", name);
		return -1;
	}
	if (identity_create(dir_a, a, &cause) != 0 || identity_create(dir_b, b, &cause) != 0) {
		fprintf(stderr, "identity_create: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

int
testid_pair_free(const char *dir_a, const char *dir_b, struct identity *a, struct identity *b)
{
	int ra, rb;

	identity_free(a);
	identity_free(b);
	ra = testdir_remove(dir_a);
	rb = testdir_remove(dir_b);
	return ra == 0 && rb == 0 ? 0 : -1;
}
