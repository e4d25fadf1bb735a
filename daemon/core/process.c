/* Process-wide protections and limits, set once at start-up. */
#include "core/process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "core/log.h"
#include "core/util.h"

int
process_harden(char **cause)
{
	struct rlimit none = { 0, 0 };

	/* A core file would hold the private key in clear; a non-dumpable
	 * process also cannot be ptraced or have its memory read through
	 * /proc by other processes running as the same user. */
	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return set_cause(cause, -errno, "setrlimit(RLIMIT_CORE, 0): %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return set_cause(cause, -errno, "prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
	return 0;
}

void
process_nofile(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		return;
	}
	/* The soft limit of 1024 exists for select(); libuv uses epoll, so
	 * take all the hard limit allows. */
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_max != RLIM_INFINITY) {
		struct rlimit up = { rl.rlim_max, rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = rl.rlim_max;
		else
			log_warn("raising the open files limit to %llu",
			    (unsigned long long)rl.rlim_max);
	}
	log_info("open files limit: %llu (hard %llu); the connection caps may use %zu",
	    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, need);
	if (rl.rlim_cur < need)
		log_warnx("open files limit %llu is below the %zu descriptors the connection caps "
		    "may use: raise LimitNOFILE or lower max_unauthenticated",
		    (unsigned long long)rl.rlim_cur, need);
}

/* One tesserad per data directory: a second one would corrupt nothing
 * (SQLite locks) but would fight over the control socket. */
int
process_lock_dir(const char *dir, int *fd, char **cause)
{
	char *path = strfmt("%s/tesserad.lock", dir);

	if (path == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		int e = errno;

		set_cause(cause, -e, "%s: %s", path, strerror(e));
		free(path);
		return -e;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		set_cause(cause, -EBUSY, "%s: another tesserad is running with this data directory",
		    path);
		free(path);
		close(*fd);
		*fd = -1;
		return -EBUSY;
	}
	free(path);
	return 0;
}
