/* tessera-sim: many nodes in one process, the real session engine and SQLite
 * stores over simulated links, one simulated clock and one event queue, all
 * driven by one seed (docs/simulator.md).
 *
 * Time is in microseconds of simulated time; sessions are given
 * milliseconds, as tesserad gives them. Nothing here reads a real clock or
 * draws from an unseeded source, so a seed replays the same run: every
 * delivered frame and every store's final set go into a SHA-256 trace hash
 * that two runs of one seed must share. */
#ifndef SIM_H
#define SIM_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "core/tessera.h"
#include "sync/session.h"

/* Draws from the seeded source (core/rng.h) that the simulator needs. */
/* Uniform in [lo, hi]. */
uint64_t sim_rand_range(struct rng *r, uint64_t lo, uint64_t hi);
/* True with probability permille / 1000. */
bool sim_rand_chance(struct rng *r, unsigned permille);
void sim_rand_bytes(struct rng *r, void *buf, size_t n);

/* The event queue: a binary heap ordered by (time, sequence number), so
 * that events at the same time run in the order they were scheduled. */
enum sim_ev {
	EV_DELIVER,     /* a: the sending side; the head of its queue arrives */
	EV_VERIFY,      /* a: struct sim_sess, b: struct sync_job */
	EV_DIAL,        /* a: struct sim_edge */
	EV_TEARDOWN,    /* a: struct sim_conn (gen checked) */
	EV_TICK,        /* a: struct sim_node */
	EV_RESUME,      /* a: struct sim_node: storage writable, drain */
	EV_AUTHOR,      /* a: struct sim_node (may be NULL: a random honest node) */
	EV_FAULT,       /* a: struct sim_fault, arg: 0 start, 1 end */
	EV_EVIL,        /* a: the evil node's side (gen checked) */
	EV_CRASH,       /* a: struct sim_node: crashed between forward and commit */
	EV_COUNT
};

struct sim_event {
	uint64_t t;
	uint64_t seq;
	enum sim_ev kind;
	void *a, *b;
	uint64_t gen;
	uint64_t arg;
};

struct sim_queue {
	struct sim_event *heap;
	size_t n, cap;
	uint64_t next_seq;
	size_t busy;            /* queued events other than EV_TICK */
};
int simq_push(struct sim_queue *q, struct sim_event *e);   /* sets e->seq */
bool simq_pop(struct sim_queue *q, struct sim_event *out);
void simq_free(struct sim_queue *q);

/* Graphs: n nodes, every node of degree in [dmin, dmax] where the draw
 * allows, always connected; edges[k] = {lower, higher}, deg[i] = degree of i. */
struct sim_graph {
	size_t n, n_edges;
	size_t (*edges)[2];
	size_t *deg;
};
int graph_make(struct sim_graph *g, struct rng *r, size_t n, size_t dmin, size_t dmax);
bool graph_connected(const struct sim_graph *g, const bool *skip);
void graph_free(struct sim_graph *g);

/* Record ids acknowledged (committed by an honest node) with the highest
 * version and its signature: what every honest node must end up holding. */
struct sim_ack {
	uint8_t id[TESS_ID_LEN];
	uint64_t version;
	uint8_t sig[TESS_SIG_LEN];
	int author;             /* node index */
	uint64_t at;            /* when committed */
	bool used, lost;        /* lost: only on a disk restored from before it */
};
struct sim_ledger {
	struct sim_ack *tab;
	size_t cap, n;
};
struct sim_ack *ledger_get(struct sim_ledger *l, const uint8_t id[TESS_ID_LEN], bool add);
void ledger_free(struct sim_ledger *l);

struct sim;
struct sim_conn;

/* One end of a connection: the session_io link pointer of its session. The
 * frames this side sent travel in its queue to the other side. */
struct sim_frame {
	struct sim_frame *next;
	uint64_t at;            /* arrival time */
	size_t len;             /* frame bytes, prefix included */
	uint8_t data[];
};

struct sim_sess {
	struct session s;
	struct sim_node *node;
	bool zombie;            /* link gone: freed once its jobs are done */
	struct sim_sess *next_zombie;
};

struct sim_side {
	struct sim_conn *conn;
	int i;                  /* 0 or 1 */
	struct sim_node *node;
	struct sim_sess *ss;    /* NULL on the evil node's side */
	struct evil_conn *evil;
	bool closed;            /* io->close was called (or the evil side hung up) */
	bool paused;            /* the session paused reading */
	bool paused_queue;      /* our send queue is over the soft limit */
	bool starved;           /* room() said 0: pump when the queue drains */
	bool deliver_scheduled;
	struct sim_frame *q, *q_tail;
	size_t queued;          /* bytes in q */
	uint64_t wire_free, last_at;
};

struct sim_conn {
	struct sim_edge *edge;
	struct sim_side side[2];
	uint64_t gen;
	uint64_t since;         /* established at */
	bool closing;           /* a teardown is scheduled */
};

struct sim_edge {
	size_t idx;
	struct sim_node *n[2];
	uint32_t delay_us, jitter_us;
	uint64_t bytes_per_s;
	uint32_t slow;          /* delay multiplier while a delay fault lasts */
	struct sim_conn *conn;
	uint64_t gen;
	unsigned cut;           /* cuts and partitions in force */
	uint32_t backoff_ms;
	bool dial_pending;
	bool parked;            /* sim_newlink.c: down, and not dialled, until unparked */
	struct sim_conn c;      /* the connection while up; kept so that stale
	                         * events can check its generation */
};

struct sim_node {
	struct sim *sim;
	int idx;
	bool evil;
	bool up;
	char dir[128];
	struct store *st;
	struct identity *id;
	uint8_t epoch[TESS_EPOCH_LEN];
	struct session_env env;
	struct sim_edge **edges;
	size_t n_edges;
	bool full;              /* a storage-full fault holds it */
	uint64_t seq_high;      /* highest seq committed before a restore */
	/* Own records, for updates and deletions. */
	struct { uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN]; bool deleted; } *own;
	size_t n_own, cap_own;
	uint64_t stored, rejected[SYNC_REJECT_COUNT];
	uint64_t frames_in, frames_out, bytes_in, bytes_out;
	unsigned down;          /* crashes in force */
	/* A crash fault waits for the node's next forward before commit and
	 * crashes it there (sim_node.c: on_forward). */
	bool crash_at_forward;
	/* Bench: first time and hop count at which the watched record arrived. */
	uint64_t got_at, last_stored_at;
	uint32_t hops;
	bool got;
};

struct sim_opts {
	uint64_t seed;
	size_t nodes, dmin, dmax, records;
	uint32_t faults;        /* 1 << enum sim_fault_kind */
	uint64_t until_ms;
	bool trace;
	bool quiet;
	bool lean;              /* journal in memory: one file descriptor per store */
	int cache_kib;          /* page cache per store (0: the store's default) */
	int push_max;           /* eager push limit; -1: drawn from the seed */
	bool no_forward;        /* relays push on only after their commit (A/B) */
	uint32_t keepalive_ms, tick_ms;
	unsigned lose_permille;  /* frames lost silently: a broken link, to show
	                          * that the invariants catch what it causes */
	const char *tmp;        /* where the stores live */
};

/* Simulated time left after the last fault ends, for the network to heal
 * (sim_fault.c); --until must leave room for it. */
#define SIM_SETTLE_MS 20000
#define SIM_MIN_UNTIL_MS (2 * SIM_SETTLE_MS)

enum sim_fault_kind {
	F_DELAY, F_CUT, F_PARTITION, F_CRASH, F_FULL, F_RESTORE, F_EVIL, F_COUNT
};
#define SIM_FAULTS_ALL ((1u << F_COUNT) - 1)
/* "all", "none" or a comma list of names: 0, or -1 for an unknown name. */
int fault_parse(const char *list, uint32_t *mask);
const char *fault_name(enum sim_fault_kind k);

struct sim_fault {
	enum sim_fault_kind kind;
	struct sim_node *node;
	struct sim_edge **edges;
	size_t n_edges;
	uint64_t start, end;
	struct sim_fault *next;
};

#define SIM_VIOLATIONS_MAX 16

struct sim_stats {
	uint64_t events, frames, bytes, established, closes[SESSION_END_COUNT];
	uint64_t rejected[SYNC_REJECT_COUNT], authored, lost, forged;
	uint64_t hard_closes;
	uint64_t forwarded;         /* records pushed on before their commit */
	uint64_t forward_crashes;   /* crashes between a forward and its commit */
};

struct sim {
	struct sim_opts o;
	struct rng rng;
	struct sim_queue q;
	uint64_t now;           /* µs */
	struct sim_node *nodes;
	size_t n_nodes, n_honest;
	struct sim_edge *edges;
	size_t n_edges, cap_edges;
	struct sim_fault *faults;
	struct sim_ledger acks;
	/* What the misbehaving node made and nobody may store: (id, sig). */
	struct { uint8_t id[TESS_ID_LEN], sig[TESS_SIG_LEN]; } *forged;
	size_t n_forged, cap_forged;
	struct evil_state *evil;
	struct sim_sess *zombies;
	struct session_limits lim;
	uint32_t soft_limit, hard_limit;
	uint64_t heal_at;       /* every fault is over by then */
	EVP_MD_CTX *trace;
	struct sim_stats st;
	char violation[SIM_VIOLATIONS_MAX][256];
	size_t n_violations;
	char base[96];          /* temporary directory of the run */
	/* Bench: a record being watched. */
	uint8_t watch[TESS_ID_LEN];
	bool watching;
};

/* sim_run.c: the world. */
int sim_init(struct sim *sim, const struct sim_opts *o, char **cause);
/* Links two nodes (not dialled yet); NULL when the SIM_SPARE_EDGES spare
 * slots are used up or out of memory. Edges never move in memory. */
#define SIM_SPARE_EDGES 8
struct sim_edge *sim_add_edge(struct sim *sim, struct sim_node *a, struct sim_node *b);
/* Runs events up to until (µs); stops early when quiet is set and only
 * ticks remain. Returns the number of events run. */
uint64_t sim_run_until(struct sim *sim, uint64_t until, bool stop_when_quiet);
void sim_schedule(struct sim *sim, uint64_t at, enum sim_ev kind, void *a, void *b,
    uint64_t gen, uint64_t arg);
void sim_violation(struct sim *sim, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sim_free(struct sim *sim);
uint64_t sim_now_ms(const struct sim *sim);

/* sim_node.c: a node's store, identity, hooks and life. */
int node_init(struct sim *sim, struct sim_node *n, int idx, bool evil, char **cause);
int node_open(struct sim_node *n, bool create, char **cause);
void node_close(struct sim_node *n);
void node_crash(struct sim_node *n);
int node_restart(struct sim_node *n, char **cause);
void node_tick(struct sim_node *n);
void node_resume(struct sim_node *n);
/* Sessions of n other than except: session_pump (news to offer). */
void node_pump(struct sim_node *n, struct session *except);
void node_free(struct sim_node *n);

/* sim_link.c: connections between two nodes. */
extern const struct session_io sim_link_io;
void link_dial(struct sim *sim, struct sim_edge *e);
void link_schedule_dial(struct sim *sim, struct sim_edge *e, uint64_t after_ms);
void link_deliver(struct sim *sim, struct sim_side *from, uint64_t gen);
/* Tears a connection down now: both sessions end, frames in flight are
 * lost; the lower node dials again after a backoff. */
void link_teardown(struct sim *sim, struct sim_conn *c, const char *why);
int link_send(struct sim_side *sd, const uint8_t *frame, size_t len);
void link_verify_done(struct sim *sim, struct sim_sess *ss, struct sync_job *j);
void link_reap(struct sim *sim);
struct sim_side *link_other(struct sim_side *sd);

/* sim_records.c: authoring records under the seed. */
int records_author(struct sim *sim, struct sim_node *n);
int records_set(struct store *st, EVP_MD_CTX *md, uint64_t *count);

/* sim_fault.c: the fault schedule. */
int faults_plan(struct sim *sim);
void fault_fire(struct sim *sim, struct sim_fault *f, bool start);
void faults_free(struct sim *sim);

/* sim_evil.c: the misbehaving node (not a session: it crafts frames). */
int evil_init(struct sim *sim, struct sim_node *n);
void evil_connect(struct sim *sim, struct sim_side *sd);
void evil_on_frame(struct sim *sim, struct sim_side *sd, const uint8_t *payload, size_t len);
void evil_event(struct sim *sim, struct sim_side *sd);
void evil_disconnect(struct sim_side *sd);
void evil_free(struct sim *sim);

/* sim_check.c: invariants. */
void check_bounds(struct sim *sim, struct sim_node *n);
int check_final(struct sim *sim);
int check_trace(struct sim *sim, uint8_t hash[32]);

#endif
