/* The process's memory (see procmem.h). */
#include "core/procmem.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

void
procmem_init(void)
{
#ifdef __GLIBC__
	/* glibc raises its mmap threshold (up to 32 MB) each time a mapped
	 * block is freed, so later large buffers come from the heaps; those
	 * of a threadpool thread's arena are never trimmed from the top
	 * (malloc_trim shrinks only the main heap's). The buffers of texts
	 * tokenized ahead on the pool then stayed resident at rest: 29 MB
	 * instead of 20 MB after a 5,000-record sync (e2e test_ops_idle_rss).
	 * A fixed threshold also turns the adjustment off. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

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
