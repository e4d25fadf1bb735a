/* The configuration parser (config.c, endpoint.c, libinih), as tesserad
 * runs it at start-up and on SIGHUP: the input is the whole file, written to
 * a private temporary directory and read by config_load().
 *
 * Oracles besides the sanitizers: a refused file always has a cause of the
 * form "path..."; an accepted one keeps the invariants the daemon relies
 * on (limits within their bounds and in order, absolute paths, every peer
 * named and findable by its pinned key). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "fuzz.h"

static char dir[64], path[96];

static void
remove_dir(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzzconf.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/tesserad.conf", dir);
	atexit(remove_dir);
	return 0;
}

static void
check(const struct config *c)
{
	if (c->data_dir == NULL || c->data_dir[0] != '/' || c->control_socket == NULL ||
	    c->control_socket[0] != '/')
		abort();
	if (c->max_frame == 0 || c->max_frame > TESS_MAX_FRAME || c->max_batch == 0 ||
	    c->send_soft_limit > c->send_hard_limit ||
	    c->keepalive_ms >= c->idle_timeout_ms || c->backoff_min_ms > c->backoff_max_ms)
		abort();
	for (size_t i = 0; i < c->n_listen; i++)
		if (c->listen[i].host == NULL)
			abort();
	for (size_t i = 0; i < c->n_peers; i++) {
		if (config_find_peer(c, c->peers[i].id) == NULL || c->peers[i].name == NULL)
			abort();
		if (c->peers[i].address != NULL && c->peers[i].ep.host == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char *cause = NULL;
	int fd, rc;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	rc = config_load(path, &c, &cause);
	if (rc == 0) {
		check(c);
		config_free(c);
	} else if (cause == NULL || strncmp(cause, path, strlen(path)) != 0) {
		abort();
	}
	free(cause);
	return 0;
}
