/* systemd notification: READY/RELOADING/STOPPING and a periodic STATUS=. */
#include "ops/notify.h"

#include <inttypes.h>
#include <string.h>
#include <stdbool.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>
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

/* "3/5 peers up, 12345 records" */
static void
send_status(const struct ops_env *env, const char *extra)
{
	struct store_stats st;
	int rc;

	if (store_stats(env->store, &st) != 0)
		st.records = 0;
	rc = sd_notifyf(0, "%s%sSTATUS=%u/%zu peers up, %" PRIu64 " records", extra ? extra : "",
	    extra ? "\n" : "", peers_connected(env->peers), env->conf->n_peers, st.records);
	if (rc < 0)
		log_debug("sd_notify: %s", strerror(-rc));
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
		log_warnx("sd_notify: out of memory; STATUS= is not refreshed");
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
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading configuration",
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

void
notify_reloaded(struct notify *nt)
{
	/* Without a refresher (no memory at start-up) READY=1 goes alone. */
	if (nt != NULL)
		send_status(nt->env, "READY=1");
	else if (enabled())
		sd_notify(0, "READY=1");
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
		sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
