/* Attachment data: a content-addressed store of blobs under DATA/blobs/.
 *
 * A blob is named by its root (core/merkle.h). A complete blob is the file
 * blobs/<hex root> and its tree blobs/<hex root>.tree (every level of the
 * hash tree, so that proofs are served without rehashing). A blob being
 * fetched is blobs/<hex root>.part plus its leaf hashes in the .tree file
 * and, in the blobs table, a bitmap of the chunks verified and on disk: a
 * bit is set only after the chunk's bytes were synced, so a node killed
 * mid-transfer resumes from what it holds and never fetches a verified
 * chunk twice. A partial blob is never shown complete nor exported; its
 * verified chunks are served (with proofs assembled from the sibling
 * hashes received with them, kept in its tree file), so that a file moves
 * along a chain of nodes without waiting at each hop.
 *
 * Records reference blobs (table attach_refs, kept by store_put in the
 * record's transaction). A tombstone purges the blobs its record held that
 * no live record references any more: they are marked purged and never
 * fetched or served again (until this node's operator attaches the same
 * file), and their files go at the next blob_gc. Identical files are held
 * once, whoever attached them. */
#ifndef BLOB_H
#define BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "core/merkle.h"

struct store;

enum blob_state {
	BLOB_ABSENT,     /* referenced, no chunk here */
	BLOB_PARTIAL,    /* some chunks verified */
	BLOB_COMPLETE,
	BLOB_PURGED,     /* withdrawn by a tombstone: never fetched or served */
};

struct blob_info {
	uint8_t root[MERKLE_HASH];
	uint64_t size;
	enum blob_state state;
	uint64_t chunks, have;   /* leaves, leaves verified here */
	bool want;               /* fetch asked for on demand (tessera get) */
	uint32_t refs;           /* live records referencing it */
};

/* Opens the blob store of the store in dir (creating dir/blobs). Called by
 * store_open; 0 or negative with *cause. */
int blob_open(struct store *st, const char *dir, char **cause);
/* Syncs and closes what is open (store_close). */
void blob_close(struct store *st);

/* Copies size bytes of fd into the store (one leaf in memory at a time),
 * computing its root and tree; stores nothing new if the blob is complete
 * already. Clears a purge of that root (the operator attached it again). */
int blob_add_fd(struct store *st, int fd, uint64_t size, uint8_t root[MERKLE_HASH],
    char **cause);

/* The state of root: 0, or -ENOENT if no record references it and it is
 * not here. */
int blob_get_info(struct store *st, const uint8_t root[MERKLE_HASH], struct blob_info *bi);
/* Marks root wanted (fetched whatever the auto-fetch policy). */
int blob_set_want(struct store *st, const uint8_t root[MERKLE_HASH], bool want);
/* Blobs referenced by a live record, not complete, not purged: up to max,
 * the oldest first. */
int blob_list_missing(struct store *st, struct blob_info *out, size_t max, size_t *n);
/* Bytes of complete and partial blobs held (the budget's use), and of
 * referenced blobs not held. */
int blob_usage(struct store *st, uint64_t *held, uint64_t *missing);

/* Serving: leaf index of root into buf (MERKLE_LEAF bytes) and its proof
 * (MERKLE_MAX_DEPTH hashes; proof NULL: the data only, for a peer that
 * holds the leaf hashes). -ENOENT if root is not here (purged, unknown,
 * nothing held), -ERANGE for an index past the end, -ENODATA for a chunk
 * a partial blob does not hold (yet). */
int blob_chunk_read(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index,
    uint8_t *buf, size_t *len, uint8_t *proof, size_t *proof_len);

/* Receiving: whether leaf index of root is needed (referenced, not purged,
 * not yet verified here). */
bool blob_chunk_needed(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index);
/* Writes a verified chunk (merkle_verify passed). When it completes the
 * blob, the file is checked whole against its root, synced and renamed into
 * place, and *complete is set. The chunk counts as held once blob_sync ran
 * (at the latest here, on completion). */
int blob_chunk_write(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index,
    const uint8_t *data, size_t len, bool *complete);
/* blob_chunk_write for a chunk merkle_verify_hashed passed: leaf is its
 * hash (not computed again) and proof its sibling hashes, kept so that the
 * chunk can be served before the blob is complete. When the chunk's block
 * of leaf hashes is held (blob_leaves_put) neither is written again.
 * finish NULL: a last chunk completes the blob at once (*complete). Else a
 * last chunk gives *finish, a completion job (below) to run; *complete
 * stays false until its end. */
struct blob_finish_job;
int blob_chunk_put(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index,
    const uint8_t *data, size_t len, const uint8_t leaf[MERKLE_HASH], const uint8_t *proof,
    size_t proof_len, bool *complete, struct blob_finish_job **finish);
/* Completing a blob whose chunks are all written, with its disk waits off
 * the caller's thread: run (any thread, touches only the job) checks the
 * leaf hashes against the root, syncs the file and writes the whole tree
 * beside it, synced; end (the caller's thread again) renames both into
 * place, records the blob complete (*complete) and frees the job. Until
 * the end the blob stays partial: its chunks are served as a partial
 * blob's, it is never shown here nor its bitmap saved (after a crash the
 * chunks written since the last sync are fetched again and the last one
 * completes it). A blob purged, collected or added meanwhile is left
 * alone by the end; a failed completion leaves it partial. 0 or negative.
 * Every job is ended before its store is closed. */
void blob_finish_run(struct blob_finish_job *job);
int blob_finish_end(struct store *st, struct blob_finish_job *job, bool *complete);
const uint8_t *blob_finish_root(const struct blob_finish_job *job);
/* The chunks held of partial blob root as runs (first, count), ascending:
 * up to max runs in runs[], *n of them, *have chunks in all (those
 * written, synced or not: they verified). -ENOENT unless root is partial
 * here. */
int blob_ranges(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t (*runs)[2],
    size_t max, size_t *n, uint64_t *have);
/* Chunks held of root while it is being written (open), synced or not:
 * cheap, no look-up; -ENOENT if it is not open. What `show` reports while
 * a transfer runs, or stands still on a full disk before its next sync. */
int blob_part_have(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t *have);
/* Leaf hashes by block (MERKLE_BLOCK leaves, BlobLeaves in
 * docs/protocol.md). Serving: the leaf hashes of block of root (room for
 * MERKLE_BLOCK hashes) and the sibling hashes of the block's node (room
 * for MERKLE_MAX_DEPTH), from a complete blob or a partial one that holds
 * them verified. -ENOENT if root is not here, -ERANGE for a block past the
 * end, -ENODATA if a partial blob does not hold them. */
int blob_leaves_read(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t block,
    uint8_t *hashes, size_t *n, uint8_t *proof, size_t *proof_len);
/* Receiving: checks len bytes of leaf hashes as block of partial root
 * (merkle_check_block) and keeps them in its tree file. 0; -EINVAL with
 * *why when they do not verify; -ENOENT when root is not fetched here;
 * -ENOSPC on a full disk. */
int blob_leaves_put(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t block,
    const uint8_t *hashes, size_t len, const uint8_t *proof, size_t proof_len,
    const char **why);
/* Whether the leaf hash of chunk index of partial root is held verified. */
bool blob_leaves_known(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index);
/* That leaf hash: 0, or -ENOENT when its block was not fetched. */
int blob_leaf_known(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index,
    uint8_t leaf[MERKLE_HASH]);
/* Syncs the partial files written since the last call and records their
 * verified chunks in the database, at once. */
int blob_sync(struct store *st);
/* The same in three steps, so that the fdatasync runs on another thread
 * while chunks keep being written: begin (caller's thread) snapshots the
 * bitmap of every partial blob written since its last sync, and gives a
 * job (*job NULL: nothing to sync); run (any thread, touches only the job)
 * syncs their files; end (caller's thread again) records held the chunks
 * of the snapshot only, never one written after it, and frees the job.
 * A blob closed, completed or synced at once meanwhile is left alone. A
 * blob is in at most one job at a time. 0 or negative (what failed is
 * tried again by the next sync). */
struct blob_sync_job;
int blob_sync_begin(struct store *st, struct blob_sync_job **job);
void blob_sync_run(struct blob_sync_job *job);
int blob_sync_end(struct store *st, struct blob_sync_job *job);

/* Record references, called by store_put in the record's transaction: the
 * attachments of r replace those of its previous version; a tombstone
 * purges the blobs no other live record references. */
int blob_refs_put(struct store *st, const Tessera__Record *r);
/* Removes the files of purged blobs and unreferenced blobs, unless busy
 * says a transfer still uses one (busy may be NULL). *freed: bytes. */
int blob_gc(struct store *st, bool (*busy)(void *arg, const uint8_t root[MERKLE_HASH]),
    void *arg, uint64_t *freed);

/* Whether a tombstone purged blobs since the last blob_gc (their files
 * wait for it). */
bool blob_gc_due(const struct store *st);

/* The path of a complete blob (malloc'd), for export. */
char *blob_path(struct store *st, const uint8_t root[MERKLE_HASH]);
const char *blob_state_name(enum blob_state s);

#endif
