/* systemd notification: READY/RELOADING/STOPPING and a periodic STATUS=.
 * The datagram protocol of sd_notify(3) is spoken here rather than through
 * libsystemd: that library and the six it pulls in (libgcrypt, libzstd,
 * liblzma...) cost every node about 0.8 MB of resident memory for one
 * sendto() (docs/benchmarks.md, "Idle RSS"). */
#include "ops/notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "core/config.h"
#include "core/log.h"
#include "net/peers.h"
#include "ops/ops.h"
#include "store/store.h"

#define NOTIFY_STATUS_MS 30000

/* One per node (several can share a process): the STATUS= refresh. */
struct notify {
	const struct ops_env *env;
	uv_timer_t timer;
};

static bool
enabled(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	return s != NULL && *s != '\0';
}

/* Sends one notification to $NOTIFY_SOCKET (a path, or "@name" in the
 * abstract namespace): 0, or negative errno. */
static int
notify_send(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[512];
	size_t plen;
	socklen_t salen;
	va_list ap;
	int fd, n, rc = 0;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (plen = strlen(path)) >= sizeof(sa.sun_path))
		return -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';   /* abstract: no NUL terminator counted */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* "3/5 peers up, 12345 records" */
static void
send_status(const struct ops_env *env, const char *extra)
{
	struct store_stats st;
	int rc;

	if (store_stats(env->store, &st) != 0)
		st.records = 0;
	rc = notify_send("%s%sSTATUS=%u/%zu peers up, %" PRIu64 " records", extra ? extra : "",
	    extra ? "\n" : "", peers_connected(env->peers), env->conf->n_peers, st.records);
	if (rc < 0)
		log_debug("notify: %s", strerror(-rc));
}

static void
on_status_timer(uv_timer_t *t)
{
	struct notify *nt = t->data;

	send_status(nt->env, NULL);
}

void
notify_ready(const struct ops_env *env, struct notify **out)
{
	struct notify *nt;

	*out = NULL;
	if (!enabled())
		return;
	send_status(env, "READY=1");
	if ((nt = calloc(1, sizeof(*nt))) == NULL) {
		log_warnx("notify: out of memory; STATUS= is not refreshed");
		return;
	}
	nt->env = env;
	if (uv_timer_init(env->loop, &nt->timer) != 0) {
		free(nt);
		return;
	}
	nt->timer.data = nt;
	uv_timer_start(&nt->timer, on_status_timer, NOTIFY_STATUS_MS, NOTIFY_STATUS_MS);
	*out = nt;
}

void
notify_reloading(void)
{
	struct timespec ts;

	if (!enabled())
		return;
	/* systemd 253+ matches MONOTONIC_USEC against its own reload request;
	 * older versions ignore the unknown field. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading configuration",
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

void
notify_reloaded(struct notify *nt)
{
	/* Without a refresher (no memory at start-up) READY=1 goes alone. */
	if (nt != NULL)
		send_status(nt->env, "READY=1");
	else if (enabled())
		notify_send("READY=1");
}

static void
timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void
notify_stopping(struct notify *nt)
{
	if (nt != NULL)
		uv_close((uv_handle_t *)&nt->timer, timer_closed);
	if (enabled())
		notify_send("STOPPING=1\nSTATUS=stopping");
}
