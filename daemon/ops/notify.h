/* systemd service notification (sd_notify): readiness, reload, stop and a
 * one-line status. Every call is a no-op when NOTIFY_SOCKET is not set. */
#ifndef NOTIFY_H
#define NOTIFY_H

struct node;

/* The store is open, listeners are bound, the control socket exists. Also
 * starts refreshing STATUS= every NOTIFY_STATUS_MS. */
void notify_ready(struct node *n);
/* A SIGHUP reload begins (RELOADING=1 with MONOTONIC_USEC, systemd 253+). */
void notify_reloading(void);
/* The reload is over, applied or not: READY=1 and a fresh STATUS=. */
void notify_reloaded(struct node *n);
/* Shutdown begins: STOPPING=1, and the status timer is closed. */
void notify_stopping(struct node *n);

#endif
