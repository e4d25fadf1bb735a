/* The session engine: one peer link's protocol, sans-IO.
 *
 * A session starts once TLS has authenticated the peer's key. It eats whole
 * frames (session_on_frame) and the current time, and acts on the world only
 * through two small interfaces given by its owner:
 *   - struct session_io, the link below (net/peer.c over libuv and TLS; the
 *     simulator's in-memory links): send a frame, room left in the send
 *     queue, pause reading, run a verification job, close;
 *   - struct session_env, what all sessions of one node share: the store,
 *     the limits, and typed hooks through which news travels upward to the
 *     composition root (node.c, or the simulator): established, stored,
 *     synced, rejected.
 * It never reads a clock, draws a random number or touches a socket, so the
 * same code runs in tesserad and in tests/sim under a simulated clock.
 *
 * Messages are handled strictly in order. An Offer that arrives while earlier
 * Records are still being verified waits (it and everything after it is held,
 * and reading pauses), so that what it wants reflects them. */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"
#include "sync/attach.h"
#include "sync/sync.h"

enum session_state {
	SESSION_HELLO,         /* our Hello sent, waiting for the peer's */
	SESSION_ESTABLISHED,   /* syncing */
	SESSION_CLOSED,        /* ended: the link is closing */
};

/* Why a session ended: the peer manager's logs and flap counting. */
enum session_end {
	SESSION_END_LOCAL,         /* the owner closed it */
	SESSION_END_GOODBYE,       /* the peer said goodbye */
	SESSION_END_PROTOCOL,      /* a message not valid in this state or beyond limits */
	SESSION_END_UNDECODABLE,   /* a message that does not decode, or too many fields */
	SESSION_END_INCOMPATIBLE,  /* the peer's Hello: version or limits we cannot work with */
	SESSION_END_STORAGE,       /* the store failed (full storage waits instead) */
	SESSION_END_NOMEM,
	SESSION_END_COUNT
};

/* Why a record received from a peer was refused: a small fixed set, so that
 * they can be counted and be metric labels. */
enum sync_reject {
	SYNC_REJECT_INVALID,       /* malformed, oversized or failing validation */
	SYNC_REJECT_SIGNATURE,     /* bad or missing signature */
	SYNC_REJECT_UNSOLICITED,   /* sent without being asked for */
	SYNC_REJECT_CONFLICT,      /* same author and version, different record */
	SYNC_REJECT_QUOTA,         /* author over its record quota */
	SYNC_REJECT_NOT_AUTHOR,    /* record id belongs to another author */
	SYNC_REJECT_FUTURE,        /* timestamp beyond the allowed clock skew */
	SYNC_REJECT_BUDGET,        /* peer over its daily budget for new authors */
	SYNC_REJECT_CHUNK,         /* an attachment chunk that does not verify */
	SYNC_REJECT_COUNT
};

/* The protocol floor for max_frame (see tessera.h): a Hello announcing less
 * is refused as incompatible. */
#define SESSION_MIN_FRAME TESS_MIN_FRAME

struct session_limits {
	uint32_t max_frame;            /* largest frame we accept (announced in Hello) */
	uint32_t max_batch;            /* items per Offer, Want, Records */
	uint32_t max_inflight_wants;   /* records wanted from one peer and not yet received */
	uint32_t rate_limit;           /* messages per second from one peer (burst: one second) */
	uint32_t keepalive_ms;         /* a Ping after this long without sending */
	uint32_t push_max;             /* live records pushed unoffered at once; 0: never */
};

struct session;
struct store_signed;
struct sync_job;

/* A verified record about to be committed, forwarded before the commit
 * (session_forward). Points into the receiving session's job. */
struct session_fwd {
	const uint8_t *body;
	size_t len;
	const uint8_t *sig;            /* TESS_SIG_LEN bytes */
	const uint8_t *id;             /* TESS_ID_LEN bytes */
	uint64_t version;
};

/* A joiner's proof that it holds an invite (Hello.join, docs/protocol.md):
 * the invite's ID and HMAC-SHA256 keyed by the code's secret. */
#define SESSION_INVITE_LEN 8
#define SESSION_MAC_LEN 32
struct session_join {
	uint8_t invite[SESSION_INVITE_LEN];
	uint8_t mac[SESSION_MAC_LEN];
};

/* The link below a session. Every function gets the link pointer given to
 * session_start. */
struct session_io {
	/* Queues one frame (4-byte length prefix and payload; copied). Returns
	 * 0, or negative when the link can take nothing more (it is closing). */
	int (*send)(void *link, const uint8_t *frame, size_t len);
	/* Bytes that may be queued before the link's soft limit; 0: stop
	 * producing until session_pump is called again. */
	size_t (*room)(void *link);
	/* Stop (true) or resume (false) reading frames from the peer. */
	void (*pause)(void *link, bool paused);
	/* Runs session_job_verify(j) (on any thread), then calls
	 * session_job_done(s, j) on the session's thread. Returns 0, or
	 * negative when the job could not be queued (it is not run then). */
	int (*verify)(void *link, struct sync_job *j);
	/* The session ended; called once. The link closes after sending what
	 * is queued (a Goodbye among it). */
	void (*close)(void *link, enum session_end why, const char *detail);
	/* Bytes queued and not yet written (may be NULL): attachment chunks
	 * are sent only while few are, so records never wait long behind
	 * them. */
	size_t (*queued)(void *link);
};

/* Shared by the sessions of one node; owned by the composition root. */
struct session_env {
	struct store *store;
	struct session_limits lim;
	/* An import holds the store's write transaction open across its
	 * chunks: nothing is offered (it could still be rolled back) and
	 * received records wait, in order, until session_drain. */
	bool store_held;
	/* Storage is full but a probe found space: received records may try
	 * to commit (set around session_drain by the owner's probe). */
	bool storage_retry;
	/* Do not announce range reconciliation (benchmarks and tests of the
	 * path older nodes take). */
	bool no_recon;
	/* Records pushed to this node that it already held, over all
	 * sessions (the cost of eager push). Written by the engine. */
	uint64_t duplicates;
	/* Records this node pushed on before its own commit, once per link
	 * (sync_forward.c). Written by the engine. */
	uint64_t forwarded;
	/* Attachment transfer (sync/attach.h); NULL: not spoken. */
	struct attach *attach;
	/* The rotations that lead to our key, oldest first (Hello.rotation,
	 * store/store_rotate.h); owned by the composition root. */
	const struct store_signed *rotation;
	size_t n_rotation;
	/* Upward news. Each may be NULL. */
	/* The peer's Hello arrived, before the session is established: return
	 * 0 to go on, or negative with a reason in why (sent to the peer in a
	 * Goodbye, then the session closes). join: its invite proof, or NULL. */
	int (*on_hello)(void *arg, struct session *s, const struct session_join *join,
	    char *why, size_t whylen);
	void (*on_established)(void *arg, struct session *s);
	/* A commit stored n new records received on s: offer them onward. */
	void (*on_stored)(void *arg, struct session *s, size_t n);
	/* Verified records received on s will be committed next: forward them
	 * now (session_forward on the other sessions), so that the next hop
	 * verifies while this node commits. Nothing is acknowledged or
	 * checkpointed before the commit. Returns 0; negative abandons the
	 * transaction as if the commit had failed (the simulator's crash
	 * between forward and commit). */
	int (*on_forward)(void *arg, struct session *s, const struct session_fwd *recs, size_t n);
	/* An offer of the peer's was fully applied: the checkpoint moved. */
	void (*on_synced)(void *arg, struct session *s, bool caught_up);
	void (*on_rejected)(void *arg, struct session *s, enum sync_reject why, const char *detail);
	void *hook_arg;
};

struct held_frame;

struct session {
	struct session_env *env;
	const struct session_io *io;
	void *link;
	enum session_state state;
	uint8_t key[TESS_KEY_LEN];     /* the peer's key, verified by TLS */
	char label[96];                /* "name (SHORTID)" or the address, for logs */
	char remote_name[65];
	/* The peer's Hello, while env->on_hello runs only (NULL otherwise):
	 * what a stranger shows to be accepted (its rotations). */
	const struct Tessera__Hello *hello;
	/* A stranger's session: our Hello waits until the owner accepted the
	 * peer's (on_hello), so that it cannot take our Hello for acceptance. */
	bool hello_deferred;
	char our_name[65];
	uint32_t remote_max_frame, remote_max_batch;
	uint32_t remote_features;      /* Hello.features (RECON_FEATURE) */
	uint64_t last_rx;              /* time of the last whole message */
	uint64_t last_tx;              /* time of the last frame sent */
	uint64_t now;                  /* the latest time given to the session */
	double tokens;                 /* rate limit bucket (messages) */
	uint64_t tokens_at;
	bool paused_work, paused_rate, paused;   /* why reading is paused; as told to the link */
	bool dropped;                  /* the link is gone: verified jobs are discarded */
	/* Messages held back, in order, behind one that waits for earlier
	 * Records to be stored. */
	struct held_frame *held, *held_tail;
	bool holding;
	/* release() is dispatching held messages: a job done inside one of
	 * them (a link that verifies at once) must not release again. */
	bool releasing;
	struct sync sync;
	struct attach_link att;
	uint64_t frames_in, frames_out;
};

/* Starts a session on an authenticated link at time now and sends Hello
 * (name: our community's name, may be NULL). Returns 0 or negative (then
 * nothing needs freeing). */
int session_start(struct session *s, struct session_env *env, const struct session_io *io,
    void *link, const uint8_t key[TESS_KEY_LEN], const char *label, const char *name,
    uint64_t now);
/* session_start for a node joining with an invite: its Hello carries join. */
int session_start_join(struct session *s, struct session_env *env, const struct session_io *io,
    void *link, const uint8_t key[TESS_KEY_LEN], const char *label, const char *name,
    uint64_t now, const struct session_join *join);
/* session_start for a peer that is not configured (yet): nothing is sent
 * until its Hello was accepted by env->on_hello; then our Hello follows. */
int session_start_stranger(struct session *s, struct session_env *env,
    const struct session_io *io, void *link, const uint8_t key[TESS_KEY_LEN], const char *label,
    const char *name, uint64_t now);
/* Frees what the session holds. Jobs still being verified belong to the
 * link until session_job_done; call session_drop first. */
void session_free(struct session *s);

/* One whole frame's payload from the peer. Returns 0, or negative when the
 * session closed (io->close has been called). */
int session_on_frame(struct session *s, const uint8_t *payload, size_t len, uint64_t now);
/* A verification job finished (io->verify): stores what is ready, in
 * order, then handles the messages held behind it. */
void session_job_done(struct session *s, struct sync_job *j);
/* Runs on any thread: decode, validate and verify the job's records. */
void session_job_verify(struct sync_job *j);
/* Whether j is worth verifying at once on the session's thread (then
 * session_job_done from inside io->verify): a few pushed records, live
 * ones, whose signatures (~86 us each) cost less than a round trip through
 * a worker thread, two wake-ups that wait for a core on a busy machine. */
bool session_job_inline(const struct sync_job *j);
/* Sends what may be sent now (wanted records, then offers of our changes)
 * within the link's room. Called when the link drained, when new local
 * records were committed, and after an import. */
void session_pump(struct session *s);
/* Pushes records another session is about to commit, unoffered and
 * without a checkpoint (docs/protocol.md, "Forward before commit"), when
 * this link could push them now; the checkpoint follows once they are
 * committed, and they are not pushed again then. Returns how many were
 * sent (0: the link will offer them after the commit as usual). */
size_t session_forward(struct session *s, const struct session_fwd *recs, size_t n);
/* Stores verified records that wait (after an import or once storage is
 * writable again), then pumps. */
void session_drain(struct session *s);
/* Time passes: keepalive Ping, rate limit refill. */
void session_tick(struct session *s, uint64_t now);
/* Ends the session: a Goodbye with detail when said is true, then
 * io->close. Safe to call repeatedly. */
void session_close(struct session *s, enum session_end why, const char *detail, bool say);
/* The link is gone: jobs that finish later are freed unapplied. */
void session_drop(struct session *s);
/* Jobs queued with io->verify and not yet done. */
size_t session_jobs(const struct session *s);

const char *session_state_name(enum session_state st);
const char *session_end_name(enum session_end e);
const char *sync_reject_name(enum sync_reject r);

#endif
