/* systemd service notification (sd_notify): readiness, reload, stop and a
 * one-line status. Every call is a no-op when NOTIFY_SOCKET is not set. */
#ifndef NOTIFY_H
#define NOTIFY_H

struct notify;
struct ops_env;

/* The store is open, listeners are bound, the control socket exists:
 * READY=1. *out is then a status refresher sending STATUS= every
 * NOTIFY_STATUS_MS from env's loop (env outlives it), or NULL (no
 * NOTIFY_SOCKET, or no memory: the refresh is skipped). */
void notify_ready(const struct ops_env *env, struct notify **out);
/* A SIGHUP reload begins (RELOADING=1 with MONOTONIC_USEC, systemd 253+). */
void notify_reloading(void);
/* The reload is over, applied or not: READY=1 and a fresh STATUS=. */
void notify_reloaded(struct notify *nt);
/* Shutdown begins: STOPPING=1; nt (may be NULL) stops and is freed once
 * its timer is closed. */
void notify_stopping(struct notify *nt);

#endif
