/* The process's memory (see procmem.h). */
#include "core/procmem.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

void
procmem_trim(void)
{
#ifdef __GLIBC__
	/* Since glibc 2.8 this also releases whole free pages inside every
	 * arena (madvise), not only the top of the main heap. */
	malloc_trim(0);
#endif
}

int
procmem_resident(uint64_t *bytes)
{
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (f == NULL)
		return -errno;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	if (n != 2 || page <= 0)
		return -EIO;
	*bytes = (uint64_t)resident * (uint64_t)page;
	return 0;
}
