/* Whole-file writes that a crash cannot leave half done. */
#ifndef ATOMICFILE_H
#define ATOMICFILE_H

#include <sys/types.h>

/* Writes text to path through ".NAME.tmp" in the same directory: write,
 * fsync, rename over path, fsync of the directory. The file gets mode.
 * Returns 0, or negative with *cause "path: reason" (malloc'd). */
int atomicfile_write(const char *path, const char *text, mode_t mode, char **cause);
/* Removes path and syncs its directory. Returns 0 or negative with *cause. */
int atomicfile_remove(const char *path, char **cause);

#endif
