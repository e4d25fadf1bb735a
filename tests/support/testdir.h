/* Temporary directories for unit tests. */
#ifndef TESTDIR_H
#define TESTDIR_H

#include <stddef.h>

/* Creates /tmp/NAME.XXXXXX into dir; returns 0 or -1. */
int testdir_make(char *dir, size_t sz, const char *name);
/* Removes dir and the plain files in it; returns 0 or -1. */
int testdir_remove(const char *dir);

#endif
