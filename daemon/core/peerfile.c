/* Managed peer drop-ins, written atomically (peerfile.h). */
#include "core/peerfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/nodeid.h"
#include "core/util.h"

char *
peerfile_path(const char *dir, const char *name)
{
	return strfmt("%s/%s.conf", dir, name);
}

/* The rename is durable only once the directory entry is on disk. */
static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int
peerfile_write(const char *dir, const char *name, const char *address,
    const uint8_t id[TESS_KEY_LEN], const char *why, char **cause)
{
	char idtext[NODEID_STRLEN + 1], stamp[32];
	char *path = NULL, *tmp = NULL, *text = NULL;
	time_t t = time(NULL);
	struct tm tm;
	int fd = -1, rc;

	if (!config_peer_name_ok(name))
		return set_cause(cause, -EINVAL, "invalid peer name '%s' (1-64 of A-Z a-z 0-9 . _ -)",
		    name);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return set_cause(cause, -errno, "%s: %s", dir, strerror(errno));
	nodeid_encode(id, idtext);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm);
	path = peerfile_path(dir, name);
	tmp = strfmt("%s/.%s.conf.tmp", dir, name);
	text = strfmt("# Managed by tesserad: %s on %s.\n"
	    "# Change it with `tessera peer add` and `tessera peer remove`.\n"
	    "[peer \"%s\"]\n%s%s%sid = %s\n", why, stamp, name, address ? "address = " : "",
	    address ? address : "", address ? "\n" : "", idtext);
	if (path == NULL || tmp == NULL || text == NULL) {
		rc = set_cause(cause, -ENOMEM, "out of memory");
		goto out;
	}
	/* A stale temporary file of a crashed write is ours to replace. */
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0) {
		rc = set_cause(cause, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = write_all(fd, text, strlen(text))) != 0 || (fsync(fd) != 0 && (rc = -errno))) {
		set_cause(cause, rc, "%s: %s", tmp, strerror(-rc));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = set_cause(cause, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = set_cause(cause, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((rc = sync_dir(dir)) != 0)
		set_cause(cause, rc, "%s: %s", dir, strerror(-rc));
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp != NULL)
		unlink(tmp);
	free(path);
	free(tmp);
	free(text);
	return rc;
}

int
peerfile_remove(const char *path, char **cause)
{
	char *copy;
	int rc = 0;

	if (unlink(path) != 0)
		return set_cause(cause, -errno, "%s: %s", path, strerror(errno));
	if ((copy = strdup(path)) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	if ((rc = sync_dir(dirname(copy))) != 0)
		set_cause(cause, rc, "%s: %s", path, strerror(-rc));
	free(copy);
	return rc;
}
