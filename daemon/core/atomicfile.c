/* Whole-file writes that a crash cannot leave half done (atomicfile.h). */
#include "core/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

/* The rename is durable only once the directory entry is on disk. */
static int
sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
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

static char *
tmp_path(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strfmt(".%s.tmp", path);
	return strfmt("%.*s/.%s.tmp", (int)(slash - path), path, slash + 1);
}

int
atomicfile_write(const char *path, const char *text, mode_t mode, char **cause)
{
	char *tmp = tmp_path(path);
	int fd, rc;

	if (tmp == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	/* A stale temporary file of a crashed write is ours to replace. */
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
		rc = set_cause(cause, -errno, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	if ((rc = write_all(fd, text, strlen(text))) == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		set_cause(cause, rc, "%s: %s", path, strerror(-rc));
		unlink(tmp);
	} else if ((rc = sync_dir_of(path)) != 0) {
		set_cause(cause, rc, "%s: %s", path, strerror(-rc));
	}
	free(tmp);
	return rc;
}

int
atomicfile_remove(const char *path, char **cause)
{
	int rc;

	if (unlink(path) != 0)
		return set_cause(cause, -errno, "%s: %s", path, strerror(errno));
	if ((rc = sync_dir_of(path)) != 0)
		set_cause(cause, rc, "%s: %s", path, strerror(-rc));
	return rc;
}
