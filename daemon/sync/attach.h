/* Attachment transfer: the Blob* messages of one session, sans-IO.
 *
 * A node fetches every blob that a live record references, that is not
 * here, not purged and allowed by its policy, from any connected peer that
 * holds it complete, several peers at once:
 *   - BlobQuery {roots} asks a peer which of the blobs we miss it holds;
 *     BlobHave {roots} answers (and announces a blob completed later);
 *   - BlobRequest {root, first, count} asks for a run of chunks; at most
 *     ATTACH_WINDOW chunks are requested from one peer and not received,
 *     and one chunk is requested from one peer at a time, node-wide;
 *   - BlobChunk {root, index, data, proof} is verified against the signed
 *     root before it is written (merkle_verify); a chunk that does not
 *     verify is refused, counted against the peer (SYNC_REJECT_CHUNK), and
 *     fetched from another peer; BlobMissing {root} says a peer no longer
 *     serves root.
 * Partial blobs (Hello.features bit 4, ATTACH_PARTIAL_FEATURE): a node
 * serves the verified chunks of a blob it is still fetching, and tells a
 * peer that asked for the blob which (BlobRanges {root, runs}) as it grows,
 * so a file crosses a chain of nodes without waiting at each hop; the
 * fetcher asks a peer only for chunks in the runs it announced (runs past
 * the end, malformed, or more than ATTACH_RUNS_MAX close the link; a chunk
 * it then does not serve comes back as BlobMissing).
 * Leaf hashes by block (Hello.features bit 9, ATTACH_LEAVES_FEATURE,
 * attach_leaves.c): a fetcher asks a peer for the leaf hashes of a block of
 * MERKLE_BLOCK chunks (BlobLeavesRequest {root, block}), checks them once
 * against the signed root (BlobLeaves {root, block, hashes, proof}) and
 * then asks for the block's chunks bare (BlobRequest.bare): no proof is
 * sent, and a chunk costs one SHA-256 compared with its leaf hash. Until
 * the hashes are here, or from a peer that does not hold them (BlobLeaves
 * without hashes), chunks come with proofs as before.
 * Chunks are sent only with the link's room left after records and offers,
 * and while less than ATTACH_QUEUE bytes are queued on the link, so that a
 * record never waits behind more than that. A chunk solicited by our own
 * window does not count against the peer's message rate limit.
 * Hostile peers: a request past the end, for more than ATTACH_SERVE_MAX
 * chunks at once, ATTACH_BAD_MAX chunks that do not verify, or a malformed
 * message closes the session. */
#ifndef ATTACH_H
#define ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer.pb-c.h"
#include "core/merkle.h"

#define ATTACH_FEATURE 2u            /* Hello.features bit 1 */
#define ATTACH_PARTIAL_FEATURE 16u   /* Hello.features bit 4: BlobRanges */
#define ATTACH_LEAVES_FEATURE 512u   /* Hello.features bit 9: BlobLeaves, bare chunks */
#define ATTACH_LEAVES_ASK 2          /* blocks of leaf hashes asked of one peer at once */
#define ATTACH_LEAVES_SERVE 4        /* ... that a peer may ask for before the answers */
#define ATTACH_LEAVES_REFUSED 8      /* blocks a peer said it lacks, remembered */
#define ATTACH_RUNS_MAX 256          /* runs in one BlobRanges */
#define ATTACH_RANGES_STEP 8         /* chunks grown before a peer is told again */
#define ATTACH_ASKERS_MAX 64         /* sessions told of partial blobs as they grow */
#define ATTACH_WINDOW 32             /* chunks requested from one peer, not received */
#define ATTACH_REFILL (ATTACH_WINDOW / 2)  /* ask again once this many arrived */
#define ATTACH_SERVE_MAX 128         /* chunks a peer may ask for before receiving them */
#define ATTACH_QUEUE (256 * 1024)    /* bytes queued on a link beyond which no chunk is sent */
#define ATTACH_WANTED_MAX 64         /* blobs fetched at once (and queried) */
#define ATTACH_HAS_MAX 4096          /* roots remembered per peer */
#define ATTACH_SYNC_CHUNKS 256       /* chunks written between two syncs (16 MiB) */
#define ATTACH_BAD_MAX 4             /* bad chunks from one peer before the link closes */
#define ATTACH_FLIGHT_MS 30000       /* a chunk not received by then is asked of others */

struct session;
struct blob_sync_job;

/* What a node fetches by itself (conf [attachments]). */
struct attach_policy {
	bool auto_fetch;        /* false: only on demand (tessera get) */
	uint64_t max_file;      /* auto-fetch files up to this size */
	uint64_t budget;        /* bytes of attachments held here at most */
	uint64_t max_size;      /* a file claiming more is never fetched (0: no limit) */
};

struct attach_flight {
	uint8_t root[MERKLE_HASH];
	uint64_t index;
	struct session *from;
	uint64_t at;                   /* when requested: asked elsewhere after ATTACH_FLIGHT_MS */
};

/* Node-wide state, owned by the composition root. */
struct attach {
	struct store *store;
	struct attach_policy pol;
	/* Blobs to fetch now: missing, allowed by the policy; refreshed when
	 * gen moves (records stored, a get, a completion). */
	struct blob_want {
		uint8_t root[MERKLE_HASH];
		uint64_t size;
		uint64_t cursor;   /* chunks below are held or in flight */
	} wanted[ATTACH_WANTED_MAX];
	size_t n_wanted;
	uint64_t over_budget;          /* missing blobs not fetched for the budget */
	uint64_t gen, wanted_gen;
	/* Blobs completed here lately, announced to every peer (BlobHave). */
	uint8_t done[16][MERKLE_HASH];
	uint64_t n_done;               /* ever; done[] is a ring */
	struct attach_flight *fl;
	size_t n_fl, cap_fl;
	unsigned unsynced;             /* chunks written since the last sync began */
	uint64_t synced_at;
	/* The sync of written chunks in flight (blob_sync_begin), or NULL:
	 * one at a time, its fdatasync off the loop through offload. */
	struct blob_sync_job *sync_job;
	uint64_t chunks_in, chunks_out, bad_chunks;
	/* Sessions whose peer asked for blobs partial here: pumped as these
	 * grow (every ATTACH_RANGES_STEP chunks written), to tell them. */
	struct session *askers[ATTACH_ASKERS_MAX];
	size_t n_askers;
	uint64_t grown;
	/* A blob completed here, or a peer's query made us want one: every
	 * session should pump (announce, query). May be NULL. */
	void (*on_news)(void *arg);
	/* Runs run(job) off the event loop, then done(job) on it (tesserad:
	 * the libuv threadpool). 0, or negative when it could not be queued
	 * (nothing was run). NULL: both at once, here (tests, simulator). */
	int (*offload)(void *hook_arg, void (*run)(void *job), void (*done)(void *job),
	    void *job);
	void *hook_arg;
};

/* A session's part. */
struct attach_link {
	uint8_t (*has)[MERKLE_HASH];   /* roots the peer holds complete */
	size_t n_has;
	/* What the peer holds of blobs it is still fetching (BlobRanges). */
	struct attach_part_have {
		uint8_t root[MERKLE_HASH];
		uint64_t (*runs)[2];           /* first, count; ascending */
		size_t n_runs;
	} *parts;
	size_t n_parts;
	/* Roots of the peer's last query that are not complete here: what we
	 * hold of them is told as it grows. */
	struct attach_asked {
		uint8_t root[MERKLE_HASH];
		uint64_t told;                 /* chunks held when last told */
		bool fresh;                    /* not told since the query */
	} asked[ATTACH_WANTED_MAX];
	size_t n_asked;
	struct attach_serve {
		uint8_t root[MERKLE_HASH];
		uint64_t next, end;
		bool bare;                     /* without proofs */
	} serve[ATTACH_WINDOW];
	size_t n_serve;
	uint64_t serve_pending;        /* chunks asked for and not yet sent */
	size_t inflight;               /* our chunks requested from this peer */
	uint64_t query_gen, done_seen;
	unsigned bad;                  /* chunks from the peer that did not verify */
	bool on;                       /* both sides speak it */
	/* Blocks of leaf hashes (attach_leaves.c): asked of the peer, refused
	 * by it (until it tells of new chunks), asked by it and not answered. */
	bool leaves_on;                /* both sides speak bit 9 */
	struct attach_block {
		uint8_t root[MERKLE_HASH];
		uint64_t block;
	} leaves_asked[ATTACH_LEAVES_ASK], leaves_refused[ATTACH_LEAVES_REFUSED],
	    leaves_serve[ATTACH_LEAVES_SERVE];
	size_t n_leaves_asked, n_leaves_refused, n_leaves_serve;
};

void attach_init(struct attach *a, struct store *st, const struct attach_policy *pol);
void attach_free(struct attach *a);
/* Records were stored, a get asked for a blob, or the policy changed:
 * the wanted list is refreshed and peers are asked again. */
void attach_changed(struct attach *a);
/* Syncs written chunks if some wait for longer than 500 ms, and gives up
 * on chunks requested ATTACH_FLIGHT_MS ago (call from a tick with the
 * current time). */
void attach_tick(struct attach *a, uint64_t now);
/* Whether root is being fetched (GC keeps it). */
bool attach_busy(void *a, const uint8_t root[MERKLE_HASH]);
/* The policy's verdict on a missing blob: fetch it? held is the bytes of
 * attachments held here. */
bool attach_too_large(const struct attach_policy *pol, uint64_t size);
bool attach_allowed(const struct attach_policy *pol, uint64_t size, bool want, uint64_t held);

/* The session's side (session.c, sync.c). */
void attach_start(struct session *s);
void attach_link_free(struct session *s);
int attach_on_query(struct session *s, const Tessera__BlobQuery *m);
int attach_on_have(struct session *s, const Tessera__BlobHave *m);
int attach_on_request(struct session *s, const Tessera__BlobRequest *m);
int attach_on_chunk(struct session *s, const Tessera__BlobChunk *m);
int attach_on_missing(struct session *s, const Tessera__BlobMissing *m);
/* Sends chunks asked for, requests, queries and announcements, within the
 * link's room. */
void attach_pump(struct session *s);
int attach_on_ranges(struct session *s, const Tessera__BlobRanges *m);
/* The serving part of attach_pump (attach_serve.c): 0 or negative. */
int attach_serve_pump(struct session *s);

/* Partial blobs (attach_ranges.c). Whether runs (n_values numbers: pairs
 * first, count) are well formed for a blob of chunks leaves: 0, or -EINVAL
 * with *why. */
int attach_runs_check(const uint64_t *runs, size_t n_values, uint64_t chunks, const char **why);
/* Whether run list (n runs) holds chunk index. */
bool attach_runs_hold(const uint64_t (*runs)[2], size_t n, uint64_t index);
/* What the peer of l said it holds of partial root, or NULL. */
const struct attach_part_have *attach_part_find(const struct attach_link *l,
    const uint8_t root[MERKLE_HASH]);
/* Forgets what the peer said of partial root (NULL: of all). */
void attach_part_drop(struct attach_link *l, const uint8_t *root);
/* The peer queried root, not complete here: it is told what we hold. */
int attach_asked_add(struct session *s, const uint8_t root[MERKLE_HASH]);
void attach_asked_clear(struct session *s);
/* Sends BlobRanges for asked roots that grew (part of attach_pump). */
int attach_tell_ranges(struct session *s);
/* Leaf hashes by block (attach_leaves.c). */
int attach_on_leaves_request(struct session *s, const Tessera__BlobLeavesRequest *m);
int attach_on_leaves(struct session *s, const Tessera__BlobLeaves *m);
/* Asks s for the leaf hashes of block of root unless asked, refused or
 * held already: 0 or negative. */
int attach_leaves_ask(struct session *s, const uint8_t root[MERKLE_HASH], uint64_t block);
/* Answers the peer's BlobLeavesRequests while the link has room (part of
 * attach_pump): 0 or negative. */
int attach_leaves_serve(struct session *s);
/* A chunk that failed: refused, counted against the peer, fetched from
 * another; the session closes after ATTACH_BAD_MAX. */
int attach_bad(struct session *s, const uint8_t *root, const char *why);
/* A chunk was written here: sessions waiting for news of it are pumped. */
void attach_grew(struct attach *a, struct session *from);
/* The disk work (attach_disk.c). Syncs the chunks written since the last
 * sync began, unless a sync runs: the bitmap is snapshotted now, the
 * fdatasync runs through offload, and only the snapshot's chunks are then
 * recorded held. */
void attach_sync_now(struct attach *a, uint64_t now);
/* Runs the completion job of a blob whose last chunk was written (its
 * syncs off the loop); at its end the blob is announced complete. */
struct blob_finish_job;
void attach_finish(struct attach *a, struct blob_finish_job *job);
/* A blob became complete here: every peer hears of it (BlobHave). */
void attach_completed(struct attach *a, const uint8_t root[MERKLE_HASH]);

#endif
