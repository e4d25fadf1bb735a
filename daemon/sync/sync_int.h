/* Private to the session engine: session.c, sync*.c. */
#ifndef SYNC_INT_H
#define SYNC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer.pb-c.h"
#include "core/tessera.h"
#include "sync/session.h"

struct session;
struct sync;
enum session_end;

/* Largest record pushed without an offer: a peer that already holds it
 * (it came over another link too) paid for it for nothing. */
#define PUSH_RECORD_MAX 8192
/* Bytes a signed record adds to a Records message beyond its body: the
 * signature and the protobuf tags and lengths. */
#define RECORD_OVERHEAD (TESS_SIG_LEN + 16)
/* The Records message and its envelope around the records (upto, tags). */
#define RECORDS_OVERHEAD 64

/* Whether n records may go out pushed on this link now: the peer is caught
 * up (live records), both sides push, nothing of ours is outstanding (so
 * that the peer applies them after every earlier offer), and n is within
 * push_max_records (sync.c). */
bool sync_push_ready(const struct session *s, size_t n);
/* The forwarded set (sync_forward.c): (id, version) pushed before our
 * commit, oldest first, at most SYNC_FWD_MAX (the oldest goes). take
 * removes it and says whether it was there. */
bool sync_fwd_take(struct sync *y, const uint8_t *id, uint64_t version);
void sync_fwd_remember(struct sync *y, const uint8_t *id, uint64_t version);
/* A signed record pointing at body and sig (not copied). */
void sync_record_init(Tessera__SignedRecord *sr, const uint8_t *body, size_t len,
    const uint8_t *sig);
/* Sends one Records message of n records (pushed: without an offer; upto:
 * the offer's end, or NULL) and counts them sent (and pushed) for this
 * session and the peer's row. 0 or negative (nothing counted). */
int sync_records_send(struct session *s, Tessera__SignedRecord **recs, size_t n, bool pushed,
    const uint64_t *upto);

/* One received record, from its arrival (sync_receive.c) through its
 * verification to its storing (sync_apply.c). */
struct verify_item {
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
	Tessera__Record *r;          /* decoded and verified, or NULL */
	const char *why;             /* why not */
	enum sync_reject reason;
	uint8_t id[TESS_ID_LEN];     /* when r is NULL but the id could be read */
	bool has_id;
	bool taken;                  /* removed from the wanted set when applied */
	uint32_t gen;                /* the generation it was wanted under, if taken */
	bool fresh;                  /* stored new by this transaction: forwarded */
};

struct sync_job {
	struct verify_item *items;
	size_t n;
	bool has_upto, done;
	bool pushed;            /* sent unoffered (eager push): nothing was wanted */
	size_t stored;          /* records stored new by job_put */
	uint32_t gen;           /* the offer it answers (pushed: any offer so far) */
	uint64_t upto;
	struct sync_job *next;
};

/* Frees a job and everything its items hold. */
void sync_job_free(struct sync_job *j);

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
