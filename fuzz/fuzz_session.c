/* The fuzz targets' session link and store (see fuzz_session.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_session.h"
#include "core/tessera.h"
#include "core/wire.h"
#include "store/store.h"

static int
l_send(void *link, const uint8_t *frame, size_t len)
{
	struct fuzz_link *l = link;

	if (l->closes > 0)
		l->sent_after_close++;
	if (len < WIRE_HDR || wire_get_u32(frame) != len - WIRE_HDR)
		abort();   /* the session sent a malformed frame */
	fuzz_touch(frame, len);
	l->queued += len;
	return 0;
}

static size_t
l_room(void *link)
{
	struct fuzz_link *l = link;

	/* A bounded queue, so that the "no room" paths run too. */
	return l->queued < (1u << 20) ? (1u << 20) - l->queued : 0;
}

static void
l_pause(void *link, bool paused)
{
	((struct fuzz_link *)link)->paused = paused;
}

static int
l_verify(void *link, struct sync_job *j)
{
	struct fuzz_link *l = link;

	session_job_verify(j);
	session_job_done(&l->s, j);
	return 0;
}

static void
l_close(void *link, enum session_end why, const char *detail)
{
	struct fuzz_link *l = link;

	if (why >= SESSION_END_COUNT)
		abort();
	fuzz_touch_str(detail);
	l->closes++;
}

const struct session_io fuzz_session_io = { l_send, l_room, l_pause, l_verify, l_close, NULL };

static char store_dir[64];
static struct store *store;

static void
remove_store(void)
{
	char path[128];
	static const char *const files[] = { STORE_DB_FILE, STORE_DB_FILE "-wal",
		STORE_DB_FILE "-shm" };

	store_close(store);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", store_dir, files[i]);
		unlink(path);
	}
	rmdir(store_dir);
}

void
fuzz_session_store(struct session_env *env, const char *name)
{
	char *cause = NULL;

	snprintf(store_dir, sizeof(store_dir), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(store_dir) == NULL || store_open(store_dir, true, &store, &cause) != 0) {
		fprintf(stderr, "%s: store: %s\n", name, cause ? cause : "mkdtemp failed");
		abort();
	}
	env->store = store;
	atexit(remove_store);
}
