/* A session link and a store for the fuzz targets that drive the real
 * session engine (fuzz_frame, fuzz_recon). */
#ifndef FUZZ_SESSION_H
#define FUZZ_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "sync/session.h"

/* The link a session drives: counts and checks, verifies in line. */
struct fuzz_link {
	struct session s;
	int closes;
	size_t sent_after_close;
	size_t queued;
	bool paused;
};

/* send aborts on a malformed frame; room is a bounded queue of 1 MiB. */
extern const struct session_io fuzz_session_io;

/* Opens a store in a new directory /tmp/NAME.XXXXXX into env->store
 * (removed at exit); aborts on failure. */
void fuzz_session_store(struct session_env *env, const char *name);

#endif
