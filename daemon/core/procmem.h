/* The process's memory as the system sees it: resident bytes, and giving
 * freed heap back (glibc keeps it otherwise). */
#ifndef PROCMEM_H
#define PROCMEM_H

#include <stdint.h>

/* Allocations of 128 KiB and more get pages of their own, given back
 * when freed, whichever thread allocated them (a daemon's start). */
void procmem_init(void);
/* Returns free heap pages of every arena to the system (malloc_trim). */
void procmem_trim(void);
/* Resident bytes (VmRSS, from /proc/self/statm): 0 with *bytes, or negative. */
int procmem_resident(uint64_t *bytes);

#endif
