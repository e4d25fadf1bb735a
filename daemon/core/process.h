/* Process-wide protections and limits, set once at start-up. */
#ifndef PROCESS_H
#define PROCESS_H

#include <stddef.h>

/* Keeps the private key out of core dumps and away from other processes of
 * the same user: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0. Returns 0 or negative
 * with *cause saying which call failed. */
int process_harden(char **cause);
/* Raises the soft open-files limit to the hard one and logs both; warns
 * when they are below need, the descriptors the configured caps may use. */
void process_nofile(size_t need);
/* Takes DIR/tesserad.lock (one tesserad per data directory; tesserad
 * rotate-key takes it too, so that it never runs beside the daemon): 0 with
 * *fd held open, or -EBUSY with *cause saying that another one runs. */
int process_lock_dir(const char *dir, int *fd, char **cause);

#endif
