/* Private to store/blob*.c. */
#ifndef BLOB_INT_H
#define BLOB_INT_H

#include "store/blob.h"
#include "store/store_int.h"

enum blob_stmt {
	BS_INFO, BS_HAVE, BS_SET_HAVE, BS_ENSURE, BS_WANT, BS_REF_ADD, BS_PURGE, BS_REF_DEL,
	BS_MISSING, BS_USAGE, BS_SET_COMPLETE, BS_GARBAGE, BS_FORGET, BS_SWEPT, BS_REF_STALE,
	BS_COUNT
};

#define PATH_LEN 4096

/* Partial blobs being written, kept open with their bitmap in memory. */
#define BLOB_OPEN_MAX 8
#define BLOB_KICK_CHUNKS 16     /* chunks written between two writeback starts (1 MiB) */

struct blob_part {
	uint8_t root[MERKLE_HASH];
	uint64_t size, chunks, have;
	uint64_t written;       /* chunks written by this process (a resume's cost) */
	uint64_t by_block;      /* ... of which checked against a block of leaf hashes */
	int fd, tfd;            /* .part and .tree */
	uint8_t *bits;          /* verified chunks (synced ones once clean) */
	bool dirty;             /* written since the last sync began */
	bool syncing;           /* a sync job (blob_sync_begin) holds its snapshot */
	bool finishing;         /* every chunk written, its completion job runs: served
	                         * still, never synced (a full bitmap in the database
	                         * would say held what is not completed) */
	uint64_t sync_gen;      /* changes at each opening and at-once sync: a job's
	                         * snapshot of an older one is not saved */
	unsigned unkicked;      /* chunks written since writeback was started */
	/* Tree slots of the proof siblings last written: consecutive chunks
	 * share most of them, written once. */
	uint64_t proof_slots[MERKLE_MAX_DEPTH];
	size_t n_proof_slots;
	uint64_t used;          /* for eviction: a counter, higher is newer */
	/* Blocks of leaf hashes (BlobLeaves) verified in the .tree file:
	 * one byte each, enum blob_block; and the block last looked at, its
	 * leaf hashes in memory (a chunk is checked against them). */
	uint8_t *blocks;
	uint8_t *leaves;        /* MERKLE_BLOCK hashes, or NULL */
	uint64_t leaves_block;  /* which block leaves holds */
};

/* What is known of a block of leaf hashes of a partial blob. Untried
 * blocks are checked from the .tree file when first asked about: the
 * hashes there either lead to the signed root or do not, so nothing
 * about them needs to be kept in the database. */
enum blob_block { BLOCK_UNTRIED, BLOCK_KNOWN, BLOCK_ABSENT };

struct blobs {
	char *dir;                       /* DATA/blobs */
	sqlite3_stmt *stmt[BS_COUNT];
	struct blob_part part[BLOB_OPEN_MAX];
	size_t n_part;
	uint64_t tick;
	uint64_t sync_gen;               /* last blob_part.sync_gen given */
	/* The complete blob last served, kept open: a transfer reads one blob
	 * chunk after chunk. */
	uint8_t serve_root[MERKLE_HASH];
	int serve_fd, serve_tfd;
	uint64_t serve_size;
	bool gc_due;                     /* a purge waits for blob_gc */
	struct blob_finish_job *finishing;   /* completions under way (blob_finish.c) */
};

/* DATA/blobs/<hex root><suffix> */
void blob_file(const struct blobs *b, const uint8_t root[MERKLE_HASH], const char *suffix,
    char path[PATH_LEN]);
int blob_write_all(int fd, const uint8_t *p, size_t len, uint64_t off);
int blob_read_all(int fd, uint8_t *p, size_t len, uint64_t off);
/* The tree (nodes hashes) written into the file tmp and synced. */
int blob_tree_write(const char *tmp, const uint8_t *tree, uint64_t nodes);
/* The tree file: written beside, synced, then renamed into place. */
int blob_tree_save(struct blobs *b, const uint8_t root[MERKLE_HASH], const uint8_t *tree,
    uint64_t nodes);
/* The partial blob root, open (files created, bitmap loaded), or NULL when
 * it is not wanted here (unknown, complete or purged). */
struct blob_part *blob_part_get(struct store *st, const uint8_t root[MERKLE_HASH]);
/* The partial blob root if it is open (no look-up, nothing created). */
struct blob_part *blob_part_open(struct blobs *b, const uint8_t root[MERKLE_HASH]);
void blob_part_close(struct blobs *b, size_t i);
/* Duplicates of p's two descriptors, a job's own (valid after p closes):
 * 0, or negative with neither open (*fd, *tfd -1). */
int blob_part_dup(const struct blob_part *p, int *fd, int *tfd);
/* Closes what blob_part_dup gave (-1: not open). */
void blob_dup_close(int fd, int tfd);
/* Serving a verified chunk of a partial blob (blob_chunk_read). */
int blob_part_read(struct store *st, struct blob_part *p, uint64_t index, uint8_t *buf,
    size_t *len, uint8_t *proof, size_t *proof_len);

/* p holds every chunk: completes it at once (out NULL, or no job could
 * be made: p is closed, *complete set on success), or gives a job in *out
 * (blob.h, blob_finish_run), p open and finishing until its end. */
int blob_finish_start(struct store *st, struct blob_part *p, bool *complete,
    struct blob_finish_job **out);
/* Whether a completion of root is under way (the blob is not reopened). */
bool blob_finishing(const struct blobs *b, const uint8_t root[MERKLE_HASH]);
/* A purge, GC or add of root: a completion under way leaves it alone. */
void blob_finish_cancel(struct blobs *b, const uint8_t root[MERKLE_HASH]);

/* Whether block of p is verified in its .tree file (checked there once
 * per opening when not known yet). */
bool blob_block_known(struct blob_part *p, uint64_t block);

/* Where root is served from: a partial blob, open (*p), or a complete
 * one (*p NULL; bi has its size and chunks). -ENOENT when neither. */
int blob_serve_find(struct store *st, const uint8_t root[MERKLE_HASH], struct blob_part **p,
    struct blob_info *bi);
/* Opens the complete blob root for serving (kept open for the next chunk). */
int blob_serve_open(struct blobs *b, const uint8_t root[MERKLE_HASH], uint64_t size);
/* Closes the blob kept open for serving (a purge: never served again). */
void blob_serve_close(struct blobs *b);
sqlite3_stmt *blob_stmt(struct store *st, enum blob_stmt which);
int blob_db_have(struct store *st, const uint8_t root[MERKLE_HASH], uint8_t *bits, size_t nbytes);
int blob_db_set_have(struct store *st, const uint8_t root[MERKLE_HASH], const uint8_t *bits,
    size_t nbytes, uint64_t have);
/* The same, committed without waiting for the disk (store_unsynced): the
 * bits name chunks whose bytes are durable already, so losing this commit
 * in a power cut only means fetching them again, never data shown held
 * that is not; the next synced commit or checkpoint makes it durable. */
int blob_db_set_have_unsynced(struct store *st, const uint8_t root[MERKLE_HASH],
    const uint8_t *bits, size_t nbytes, uint64_t have);
int blob_db_complete(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t size);
int blob_db_garbage(struct store *st, uint8_t (*roots)[MERKLE_HASH], bool *purged, size_t max,
    size_t *n);
int blob_db_forget(struct store *st, const uint8_t root[MERKLE_HASH]);

#endif
