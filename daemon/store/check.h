/* tesserad check: offline consistency check of a stopped node's store. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

/* Reports the key file's mode, runs PRAGMA integrity_check on DIR's
 * database and verifies every stored record (signature, and the columns it
 * is indexed by). Writes findings and a summary to out. Returns 0 if all is
 * well, negative otherwise (-EBUSY: a tesserad is running with DIR; -EACCES:
 * group or others may read the key). */
int check_store(const char *dir, FILE *out);

#endif
