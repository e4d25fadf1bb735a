/* The process's memory as the system sees it: resident bytes, and giving
 * freed heap back (glibc keeps it otherwise). */
#ifndef PROCMEM_H
#define PROCMEM_H

#include <stdint.h>

/* Returns free heap pages of every arena to the system (malloc_trim). */
void procmem_trim(void);
/* Resident bytes (VmRSS, from /proc/self/statm): 0 with *bytes, or negative. */
int procmem_resident(uint64_t *bytes);

#endif
