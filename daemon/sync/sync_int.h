/* Private to the session engine: session.c, sync.c and sync_apply.c. */
#ifndef SYNC_INT_H
#define SYNC_INT_H

#include <stdbool.h>

#include "peer.pb-c.h"

struct session;
enum session_end;

/* Packs and hands one message to the link. 0 or negative. */
int session_send(struct session *s, const Tessera__Envelope *env);
/* Ends the session for a reason formatted like printf (no Goodbye);
 * returns -EPROTO, for handlers to return. */
int session_fail(struct session *s, enum session_end why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reading pauses while SYNC_JOBS_MAX Records messages are being verified. */
void session_work_paused(struct session *s, bool paused);
/* After verified jobs were applied or dropped: resume reading, handle the
 * messages held behind them, send what may be sent. */
void session_after_jobs(struct session *s);

#endif
