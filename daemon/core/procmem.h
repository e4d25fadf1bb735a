/* The process's memory as the system sees it: resident bytes, and giving
 * freed heap back (glibc keeps it otherwise). */
#ifndef PROCMEM_H
#define PROCMEM_H

#include <stdint.h>

/* Caps glibc's malloc arenas (each thread that allocates otherwise gets
 * its own, and keeps its high-water mark): call before any thread starts. */
void procmem_tune(void);
/* Returns free heap pages of every arena to the system (malloc_trim). */
void procmem_trim(void);
/* Resident bytes (VmRSS, from /proc/self/statm): 0 with *bytes, or negative. */
int procmem_resident(uint64_t *bytes);

#endif
