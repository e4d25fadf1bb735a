/* The control socket's file: bound in a private directory, given its mode
 * and group there, then renamed into place. chmod and chown on the final
 * path would follow a symlink an attacker put there between bind and
 * chmod, and Linux ignores fchmod on a socket descriptor for connect(). */
#define _GNU_SOURCE   /* renameat2 */
#include "ctl/ctl_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"

#define SOCK_NAME "s"

/* group's id in *gid; -1 (unchanged) for NULL. */
static int
group_id(const char *group, gid_t *gid, char **cause)
{
	struct group *gr;

	*gid = (gid_t)-1;
	if (group == NULL)
		return 0;
	errno = 0;
	if ((gr = getgrnam(group)) == NULL)
		return set_cause(cause, errno ? -errno : -ENOENT, "control_group %s: %s", group,
		    errno ? strerror(errno) : "no such group");
	*gid = gr->gr_gid;
	return 0;
}

/* Whether the socket in dfd already has group gid. The packaged unit's
 * seccomp filter denies the chown family (@privileged), and its user
 * namespace maps no group but the daemon's own, so naming that group in
 * control_group must not need a chown at all. */
static bool
has_group(int dfd, gid_t gid)
{
	struct stat sb;

	return fstatat(dfd, SOCK_NAME, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sb.st_gid == gid;
}

/* Binds h at tmp (mode 0600 by umask: nobody else can connect yet), then
 * sets the group and 0660 on the entry in the private directory dfd. */
static int
bind_private(uv_pipe_t *h, int dfd, const char *tmp, gid_t gid, char **cause)
{
	mode_t old = umask(0177);
	int rc = uv_pipe_bind(h, tmp);

	umask(old);
	if (rc != 0)
		return set_cause(cause, rc, "control socket: bind %s: %s", tmp, uv_strerror(rc));
	if (gid != (gid_t)-1 && !has_group(dfd, gid) &&
	    fchownat(dfd, SOCK_NAME, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) != 0)
		return set_cause(cause, -errno, "control socket: group %u: %s (the daemon must "
		    "belong to control_group; see tesserad.conf(5))", (unsigned)gid, strerror(errno));
	if (fchmodat(dfd, SOCK_NAME, 0660, 0) != 0)
		return set_cause(cause, -errno, "control socket: chmod: %s", strerror(errno));
	return 0;
}

/* Moves the socket to path; only a stale socket there may be replaced. */
static int
move_into_place(const char *tmp, const char *path, char **cause)
{
	struct stat sb;

	/* The data directory lock guarantees we are the only tesserad with
	 * this configuration, so a socket left by a crash can go. */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0)
		return set_cause(cause, -errno, "control socket %s: %s", path,
		    errno == EEXIST ? "exists and is not a socket" : strerror(errno));
	return 0;
}

int
ctl_sock_bind(uv_pipe_t *h, const char *path, const char *group, char **cause)
{
	struct sockaddr_un sun;
	char *copy = strdup(path), *dir = NULL, *tmp = NULL;
	gid_t gid;
	int dfd = -1, rc;

	if (copy == NULL || (dir = strfmt("%s/.tesserad-XXXXXX", dirname(copy))) == NULL) {
		rc = set_cause(cause, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = group_id(group, &gid, cause)) != 0)
		goto out;
	if (mkdtemp(dir) == NULL) {
		rc = set_cause(cause, -errno, "control socket %s: %s", path, strerror(errno));
		free(dir);
		dir = NULL;
		goto out;
	}
	/* libuv truncates a long path silently: refuse it instead. */
	if ((tmp = strfmt("%s/%s", dir, SOCK_NAME)) == NULL) {
		rc = set_cause(cause, -ENOMEM, "out of memory");
		goto out;
	}
	if (strlen(tmp) >= sizeof(sun.sun_path) || strlen(path) >= sizeof(sun.sun_path)) {
		rc = set_cause(cause, -ENAMETOOLONG, "control socket %s: path too long (the "
		    "socket is first bound as %s)", path, tmp);
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = set_cause(cause, -errno, "control socket: %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((rc = bind_private(h, dfd, tmp, gid, cause)) == 0)
		rc = move_into_place(tmp, path, cause);
out:
	if (tmp != NULL && rc != 0)
		unlink(tmp);
	if (dfd >= 0)
		close(dfd);
	if (dir != NULL)
		rmdir(dir);
	free(tmp);
	free(dir);
	free(copy);
	return rc;
}
