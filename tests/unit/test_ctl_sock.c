/* The control socket's file: mode 0660 and its group before its path
 * exists, even when an attacker who may write in its directory swaps the
 * path for a symlink right after bind (the race of chmod/chown by path). */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "core/config.h"
#include "ctl/ctl.h"
#include "ops/ops.h"

/* What ctl_start is given: a loop and the configuration, nothing else. */
struct fx {
	uv_loop_t *loop;
	struct ops_env ops;
	struct ctl_env env;
};

static char dir[64], sock[96], victim[PATH_MAX];
static bool attack;
static int attacks;

/* Interposes libc's bind for libuv (the executable's definition wins):
 * when the socket appears at its public path, the attacker renames it away
 * and puts a symlink to a file of ours in its place. */
int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
	long rc = syscall(SYS_bind, fd, sa, len);
	char moved[PATH_MAX + 8];

	if (rc == 0 && attack && sa->sa_family == AF_UNIX && strcmp(un->sun_path, sock) == 0) {
		snprintf(moved, sizeof(moved), "%s.moved", sock);
		assert_int_equal(rename(sock, moved), 0);
		assert_int_equal(symlink(victim, sock), 0);
		attacks++;
	}
	return (int)rc;
}

/* A group other than our primary one, if we may give files to it. */
static const char *
other_group(void)
{
	struct group *gr;

	if (geteuid() != 0)
		return NULL;
	gr = getgrgid(getgid() == 1 ? 2 : 1);
	return gr != NULL ? gr->gr_name : NULL;
}

/* What a crash leaves behind: a socket file nobody listens on. */
static void
stale_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
}

static int
start(struct fx *n, struct config *c, const char *group, struct ctl **ctl, char **cause)
{
	memset(c, 0, sizeof(*c));
	c->control_group = (char *)group;
	n->ops = (struct ops_env){ .loop = n->loop, .conf = c };
	n->env = (struct ctl_env){ .ops = &n->ops };
	return ctl_start(&n->env, sock, ctl, cause);
}

static void
stop(struct fx *n, struct ctl *ctl)
{
	ctl_stop(ctl);
	uv_run(n->loop, UV_RUN_DEFAULT);
}

static void
test_mode_and_group(void **state)
{
	const char *group = other_group();
	struct group *gr = group != NULL ? getgrnam(group) : NULL;
	uv_loop_t loop;
	struct fx n = { .loop = &loop };
	struct config c;
	struct ctl *ctl = NULL;
	char *cause = NULL;
	struct stat sb;
	FILE *f;

	uv_loop_init(&loop);
	snprintf(dir, sizeof(dir), "/tmp/test_ctl_sock.XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* The directory others may write in, as /tmp is. */
	assert_int_equal(chmod(dir, 01777), 0);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(victim, sizeof(victim), "%s/secret", dir);
	assert_non_null(f = fopen(victim, "w"));
	fclose(f);
	assert_int_equal(chmod(victim, 0600), 0);

	/* Plain start: 0660 and the group. */
	assert_int_equal(start(&n, &c, group, &ctl, &cause), 0);
	assert_null(cause);
	assert_int_equal(lstat(sock, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0660);
	if (gr != NULL)
		assert_int_equal(sb.st_gid, gr->gr_gid);
	print_message("  group %s\n", group != NULL ? group : "(ours)");
	stop(&n, ctl);
	assert_int_equal(lstat(sock, &sb), -1);
	stale_socket();

	/* A stale socket is replaced. The attacker swaps the path after
	 * bind: the socket has its mode and group, and the file the symlink
	 * points to is never changed. */
	attack = true;
	assert_int_equal(start(&n, &c, group, &ctl, &cause), 0);
	attack = false;
	free(cause);
	cause = NULL;
	assert_int_equal(stat(victim, &sb), 0);
	print_message("  attacks at the public path: %d; victim mode %04o\n", attacks,
	    (unsigned)(sb.st_mode & 07777));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_gid, getgid());
	assert_int_equal(lstat(sock, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0660);
	stop(&n, ctl);

	/* Anything but a socket at the path is left alone, with a reason. */
	assert_int_equal(symlink(victim, sock), 0);
	assert_true(start(&n, &c, NULL, &ctl, &cause) < 0);
	assert_non_null(cause);
	print_message("  %s\n", cause);
	assert_non_null(strstr(cause, "exists and is not a socket"));
	free(cause);
	cause = NULL;
	stop(&n, ctl);
	assert_int_equal(lstat(sock, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_int_equal(unlink(sock), 0);

	/* An unknown group fails before any file is made. */
	assert_true(start(&n, &c, "no-such-group-here", &ctl, &cause) < 0);
	assert_non_null(strstr(cause, "no-such-group-here"));
	free(cause);
	stop(&n, ctl);
	assert_int_equal(lstat(sock, &sb), -1);

	assert_int_equal(uv_loop_close(&loop), 0);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_and_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
