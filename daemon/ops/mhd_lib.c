/* libmicrohttpd loaded on first use (see mhd_lib.h). The functions below
 * have the prototypes of microhttpd.h; an unloaded library makes them fail
 * as the real ones fail (NULL, MHD_NO), though only MHD_start_daemon can be
 * reached before mhd_lib_load succeeded. Loop thread only. */
#include "ops/mhd_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "core/util.h"

static struct {
	void *handle;
	struct MHD_Daemon *(*start_va)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
	    MHD_AccessHandlerCallback, void *, va_list);
	void (*stop)(struct MHD_Daemon *);
	const union MHD_DaemonInfo *(*daemon_info)(struct MHD_Daemon *, enum MHD_DaemonInfoType,
	    ...);
	enum MHD_Result (*get_timeout)(struct MHD_Daemon *, MHD_UNSIGNED_LONG_LONG *);
	enum MHD_Result (*run)(struct MHD_Daemon *);
	const char *(*lookup)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
	enum MHD_Result (*queue)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	void (*suspend)(struct MHD_Connection *);
	void (*resume)(struct MHD_Connection *);
	struct MHD_Response *(*from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
	struct MHD_Response *(*from_fd64)(uint64_t, int);
	enum MHD_Result (*add_header)(struct MHD_Response *, const char *, const char *);
	void (*destroy)(struct MHD_Response *);
} lib;

/* One symbol into *slot (a function pointer's storage): 0 or -1. */
static int
sym(void *slot, const char *name)
{
	void *p = dlsym(lib.handle, name);

	if (p == NULL)
		return -1;
	/* POSIX guarantees a function pointer round-trips through void *. */
	memcpy(slot, &p, sizeof(p));
	return 0;
}

int
mhd_lib_load(char **cause)
{
	void *h;

	if (lib.start_va != NULL)
		return 0;
	if ((h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return set_cause(cause, -ENOENT, "%s", dlerror());
	lib.handle = h;
	if (sym(&lib.stop, "MHD_stop_daemon") != 0 ||
	    sym(&lib.daemon_info, "MHD_get_daemon_info") != 0 ||
	    sym(&lib.get_timeout, "MHD_get_timeout") != 0 || sym(&lib.run, "MHD_run") != 0 ||
	    sym(&lib.lookup, "MHD_lookup_connection_value") != 0 ||
	    sym(&lib.queue, "MHD_queue_response") != 0 ||
	    sym(&lib.suspend, "MHD_suspend_connection") != 0 ||
	    sym(&lib.resume, "MHD_resume_connection") != 0 ||
	    sym(&lib.from_buffer, "MHD_create_response_from_buffer") != 0 ||
	    sym(&lib.from_fd64, "MHD_create_response_from_fd64") != 0 ||
	    sym(&lib.add_header, "MHD_add_response_header") != 0 ||
	    sym(&lib.destroy, "MHD_destroy_response") != 0 ||
	    /* Last: its being set means everything is. */
	    sym(&lib.start_va, "MHD_start_daemon_va") != 0) {
		int rc = set_cause(cause, -ENOSYS, "%s: %s", MHD_SONAME, dlerror());

		dlclose(h);
		lib.handle = NULL;
		lib.start_va = NULL;
		return rc;
	}
	return 0;
}

struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	if (lib.start_va == NULL) {
		errno = ENOSYS;
		return NULL;
	}
	va_start(ap, dh_cls);
	d = lib.start_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void
MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	if (lib.stop != NULL)
		lib.stop(daemon);
}

/* The variadic arguments served only info types removed long ago: none is
 * passed on. */
const union MHD_DaemonInfo *
MHD_get_daemon_info(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
	return lib.daemon_info != NULL ? lib.daemon_info(daemon, info_type) : NULL;
}

enum MHD_Result
MHD_get_timeout(struct MHD_Daemon *daemon, MHD_UNSIGNED_LONG_LONG *timeout)
{
	return lib.get_timeout != NULL ? lib.get_timeout(daemon, timeout) : MHD_NO;
}

enum MHD_Result
MHD_run(struct MHD_Daemon *daemon)
{
	return lib.run != NULL ? lib.run(daemon) : MHD_NO;
}

const char *
MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
    const char *key)
{
	return lib.lookup != NULL ? lib.lookup(connection, kind, key) : NULL;
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
    struct MHD_Response *response)
{
	return lib.queue != NULL ? lib.queue(connection, status_code, response) : MHD_NO;
}

void
MHD_suspend_connection(struct MHD_Connection *connection)
{
	if (lib.suspend != NULL)
		lib.suspend(connection);
}

void
MHD_resume_connection(struct MHD_Connection *connection)
{
	if (lib.resume != NULL)
		lib.resume(connection);
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	return lib.from_buffer != NULL ? lib.from_buffer(size, buffer, mode) : NULL;
}

struct MHD_Response *
MHD_create_response_from_fd64(uint64_t size, int fd)
{
	return lib.from_fd64 != NULL ? lib.from_fd64(size, fd) : NULL;
}

enum MHD_Result
MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
	return lib.add_header != NULL ? lib.add_header(response, header, content) : MHD_NO;
}

void
MHD_destroy_response(struct MHD_Response *response)
{
	if (lib.destroy != NULL)
		lib.destroy(response);
}
