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
#include "node.h"
#include "net/peers.h"
#include "store/store.h"

#define NOTIFY_STATUS_MS 30000

/* One node per process, so one status timer. */
static uv_timer_t status_timer;
static bool timer_on;

static bool
enabled(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	return s != NULL && *s != '\0';
}

/* "3/5 peers up, 12345 records" */
static void
send_status(struct node *n, const char *extra)
{
	struct store_stats st;
	int rc;

	if (store_stats(n->store, &st) != 0)
		st.records = 0;
	rc = sd_notifyf(0, "%s%sSTATUS=%u/%zu peers up, %" PRIu64 " records", extra ? extra : "",
	    extra ? "\n" : "", peers_connected(n->peers), n->conf->n_peers, st.records);
	if (rc < 0)
		log_debug("sd_notify: %s", strerror(-rc));
}

static void
on_status_timer(uv_timer_t *t)
{
	send_status(t->data, NULL);
}

void
notify_ready(struct node *n)
{
	if (!enabled())
		return;
	send_status(n, "READY=1");
	if (!timer_on && uv_timer_init(n->loop, &status_timer) == 0) {
		status_timer.data = n;
		uv_timer_start(&status_timer, on_status_timer, NOTIFY_STATUS_MS, NOTIFY_STATUS_MS);
		timer_on = true;
	}
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
notify_reloaded(struct node *n)
{
	if (enabled())
		send_status(n, "READY=1");
}

void
notify_stopping(struct node *n)
{
	if (timer_on) {
		uv_close((uv_handle_t *)&status_timer, NULL);
		timer_on = false;
	}
	if (enabled())
		sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
