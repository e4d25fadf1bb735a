/* Sync: what to offer, want, send and apply on one peer link.
 *
 * Each side serves the other a stream of offers (id, author, version) for
 * its changes after the peer's checkpoint, in order of its local sequence.
 * The receiver answers every offer with a Want (possibly empty); the server
 * answers with Records, the last of which carries the offer's upto. The
 * receiver verifies, stores in one transaction with its new checkpoint, and
 * only then counts upto as applied. After the backlog the same stream carries
 * live offers for new arrivals, so gossip is the same mechanism.
 * Sync never touches a socket: it runs inside a session (session.h) and
 * sends through the session's link. */
#ifndef SYNC_H
#define SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer.pb-c.h"
#include "core/tessera.h"
#include "sync/wanted.h"

#define SYNC_OFFERS_INFLIGHT 4      /* offers sent and not yet answered */
/* Offers answered whose records are not stored yet: offers are answered
 * while earlier records are verified and stored (the pipeline), up to
 * this many; beyond it an offer waits. */
#define SYNC_PENDING_MAX 8
#define SYNC_DEFER 1                /* handler return: hold the message, retry later */
/* Hello.features bit: takes pushed Records (live records without an offer). */
#define SYNC_PUSH_FEATURE 8u
#define SYNC_JOBS_MAX 8             /* Records messages being verified: read pauses beyond */
/* Verified Records messages stored in one transaction, up to this many
 * records (group commit; sync_apply.c). */
#define SYNC_GROUP_RECORDS 4096
/* Records forwarded before their commit and not yet covered by an offer or
 * push of our changes, remembered per link (not to send them twice). */
#define SYNC_FWD_MAX 64
/* Pushed records per message verified on the session's thread at once
 * (session_job_inline). */
#define SYNC_VERIFY_INLINE 2

struct sync_job;
struct session;

struct sync {
	/* Serving: we offer our changes to the peer. */
	bool serving;
	uint64_t session_seq;           /* our seq when this session began */
	uint64_t offer_pos;             /* our seq up to which offers were sent */
	uint64_t offer_upto[SYNC_OFFERS_INFLIGHT];
	/* Ids of each outstanding offer: a Want names items by index. */
	uint8_t (*offer_ids[SYNC_OFFERS_INFLIGHT])[TESS_ID_LEN];
	size_t offer_n[SYNC_OFFERS_INFLIGHT];
	size_t offers_inflight;
	bool caught_up_sent;
	uint8_t (*serve_ids)[TESS_ID_LEN];  /* a Want being answered */
	size_t serve_n, serve_pos;
	uint64_t serve_upto;
	bool serving_want;
	bool pushing;                   /* serve_ids are pushed, not wanted */
	/* Forwarded before commit (session_forward): (id, version) skipped
	 * once when our changes stream reaches them. A bounded set, oldest
	 * first: when full the oldest goes (an entry whose commit failed
	 * leaves so in time). */
	struct {
		uint8_t id[TESS_ID_LEN];
		uint64_t version;
	} fwd[SYNC_FWD_MAX];
	size_t fwd_n;
	/* Receiving: the peer offers, we want. */
	uint8_t epoch[TESS_EPOCH_LEN];  /* the peer's store epoch */
	uint64_t applied;               /* checkpoint: peer seq fully applied */
	struct {
		uint64_t upto;
		bool caught_up;
		uint32_t gen;           /* the ids it wanted carry this */
	} pending[SYNC_PENDING_MAX + 2];
	uint32_t want_gen;              /* the last offer answered */
	size_t n_pending;
	size_t uptos_queued;            /* Records with upto received, not yet applied */
	/* Received Records, verified by the link's worker, applied in order. */
	struct sync_job *jobs, *jobs_tail;
	size_t n_jobs;
	struct wanted wanted;           /* solicited and not yet received */
	/* Range reconciliation, when either side had no checkpoint. */
	struct recon *recon;
	bool recon_asked;               /* we asked (our SyncRequest) */
	/* Counters for this session; pushed: records sent without an offer;
	 * duplicates: records pushed to us that we already held. */
	uint64_t sent, received, rejected, pushed, duplicates;
	uint64_t forwarded;             /* of pushed: forwarded before our commit */
	/* Rejections logged one by one, then those only summed up (sync_apply.c). */
	uint64_t reject_logged, reject_quiet, reject_quiet_since;
};

/* Starts both directions once Hello is exchanged: asks for the peer's changes
 * after our checkpoint (or from zero if its epoch changed). */
int sync_start(struct session *s, const Tessera__Hello *hello);
void sync_free(struct sync *y);
/* Message handlers: 0, SYNC_DEFER (hold the message and every later one
 * until session_job_done), or negative after closing the session. */
int sync_on_request(struct session *s, const Tessera__SyncRequest *m);
int sync_on_offer(struct session *s, const Tessera__Offer *m);
int sync_on_want(struct session *s, const Tessera__Want *m);
int sync_on_records(struct session *s, const Tessera__Records *m);
/* Stores verified records that are ready, in order, unless an import holds
 * the store or storage is full. */
void sync_drain(struct session *s);
/* Sends what may be sent now (wanted records, then offers) within the
 * link's room. */
void sync_pump(struct session *s);
/* Frees the jobs that finished (when the link is gone). */
void sync_jobs_free(struct sync *y);

#endif
