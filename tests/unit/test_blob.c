/* The attachment store: a file added is served chunk by chunk with proofs
 * that verify; a second store receiving those chunks out of order, closed
 * halfway (as after kill -9, past the last sync), keeps exactly what was
 * synced and completes into the same bytes; identical files are held once;
 * a tombstone purges, and GC removes the files. A partial blob serves the
 * chunks it received with their proofs (and no other), also after a
 * restart; one written without proofs serves none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "storefix.h"
#include "core/util.h"
#include "store/blob.h"
#include "store/store.h"

#define SIZE (5 * MERKLE_LEAF + 1234)

static int
temp_file(const uint8_t *d, size_t len)
{
	char path[] = "/tmp/test_blob.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, d, len), (ssize_t)len);
	return fd;
}

/* SIZE bytes of a pattern (i * mul + i / div) in d, added to st: root. */
static void
add_pattern(struct store *st, uint8_t *d, unsigned mul, unsigned div, uint8_t root[MERKLE_HASH])
{
	uint8_t again[MERKLE_HASH];
	char *cause = NULL;
	int fd;

	assert_non_null(d);
	for (size_t i = 0; i < SIZE; i++)
		d[i] = (uint8_t)(i * mul + i / div);
	fd = temp_file(d, SIZE);
	assert_int_equal(blob_add_fd(st, fd, SIZE, root, &cause), 0);
	assert_int_equal(blob_add_fd(st, fd, SIZE, again, &cause), 0);   /* held once */
	assert_memory_equal(root, again, MERKLE_HASH);
	close(fd);
}

/* A record by me attaching root under name, stored in st. */
static void
put_attached(struct store *st, const struct identity *me, const uint8_t root[MERKLE_HASH],
    uint64_t size, uint8_t id[TESS_ID_LEN + TESS_NONCE_LEN], bool deleted, uint64_t version)
{
	struct storefix_draft d;
	struct storefix_sealed s;
	Tessera__Attachment a = TESSERA__ATTACHMENT__INIT, *as[1] = { &a };

	storefix_draft_init(&d, me, "with a file", version);
	if (version > 1) {   /* a new version of the record in id: same id and nonce */
		memcpy(d.id, id, TESS_ID_LEN);
		memcpy(d.nonce, id + TESS_ID_LEN, TESS_NONCE_LEN);
	}
	a.name = "guide.txt";
	a.has_size = a.has_root = 1;
	a.size = size;
	a.root = (ProtobufCBinaryData){ MERKLE_HASH, (uint8_t *)root };
	d.r.n_attachments = 1;
	d.r.attachments = as;
	if (deleted) {
		d.r.n_texts = d.r.n_attachments = 0;
		d.r.deleted = d.r.has_deleted = 1;
	}
	storefix_seal(&s, me, &d.r);
	assert_int_equal(storefix_put(st, &s), STORE_STORED);
	memcpy(id, d.id, TESS_ID_LEN);
	memcpy(id + TESS_ID_LEN, d.nonce, TESS_NONCE_LEN);
	storefix_sealed_free(&s);
}

static void
test_transfer(void **state)
{
	struct storefix *fx = *state;
	uint8_t *d = malloc(SIZE), root[MERKLE_HASH], again[MERKLE_HASH];
	uint8_t buf[MERKLE_LEAF], proof[MERKLE_MAX_DEPTH * MERKLE_HASH];
	uint8_t id[TESS_ID_LEN + TESS_NONCE_LEN] = { 0 };
	uint64_t n = merkle_leaves(SIZE), order[] = { 3, 0, 5, 1, 4, 2 };
	char dir[64], *cause = NULL, *path;
	struct store *rx;
	struct blob_info bi;
	int fd;

	add_pattern(fx->st, d, 31, 7, root);
	put_attached(fx->st, fx->a, root, SIZE, id, false, 1);
	assert_int_equal(blob_get_info(fx->st, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_COMPLETE);
	assert_int_equal(bi.refs, 1);

	storefix_make_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, true, &rx, &cause), 0);
	put_attached(rx, fx->a, root, SIZE, id, false, 1);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_ABSENT);
	/* partial, its chunks written without their proofs: not served */
	for (size_t k = 0; k < n; k++) {
		size_t len, plen;
		const char *why;
		bool complete;

		assert_int_equal(blob_chunk_read(fx->st, root, order[k], buf, &len, proof, &plen), 0);
		assert_int_equal(merkle_verify(root, SIZE, order[k], buf, len, proof, plen, &why), 0);
		assert_true(blob_chunk_needed(rx, root, order[k]));
		assert_int_equal(blob_chunk_write(rx, root, order[k], buf, len, &complete), 0);
		assert_false(blob_chunk_needed(rx, root, order[k]));
		assert_int_equal(complete, k == n - 1);
		if (k == 2) {
			/* synced: kept across a close; chunk 3 after: lost as by kill -9 */
			assert_int_equal(blob_sync(rx), 0);
			assert_int_equal(blob_chunk_read(rx, root, 0, buf, &len, proof, &plen),
			    -ENODATA);
			assert_int_equal(blob_chunk_read(rx, root, 1, buf, &len, proof, &plen),
			    -ENODATA);
		}
		if (k == 3) {
			/* a clean close syncs what was written */
			store_close(rx);
			assert_int_equal(store_open(dir, false, &rx, &cause), 0);
			assert_int_equal(blob_get_info(rx, root, &bi), 0);
			assert_int_equal(bi.state, BLOB_PARTIAL);
			assert_int_equal(bi.have, 4);
			assert_false(blob_chunk_needed(rx, root, 5));
			assert_false(blob_chunk_needed(rx, root, order[3]));
			assert_true(blob_chunk_needed(rx, root, order[4]));
		}
	}
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_COMPLETE);
	path = blob_path(rx, root);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(merkle_root_fd(fd, SIZE, again, NULL), 0);
	assert_memory_equal(root, again, MERKLE_HASH);
	close(fd);

	/* a tombstone purges; GC removes the files; never served again */
	put_attached(rx, fx->a, root, SIZE, id, true, 2);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_PURGED);
	{
		uint64_t freed;
		size_t len, plen;
		struct stat sb;

		assert_int_equal(blob_gc(rx, NULL, NULL, &freed), 0);
		assert_true(freed >= SIZE);
		assert_int_not_equal(stat(path, &sb), 0);
		assert_int_equal(blob_chunk_read(rx, root, 0, buf, &len, proof, &plen), -ENOENT);
	}
	free(path);
	store_close(rx);
	storefix_remove_dir(dir);
	free(d);
}

/* Chunk index of root, read from st, checked, and put into rx with its
 * proof. */
static void
relay(struct store *st, struct store *rx, const uint8_t *root, uint64_t index, bool *complete)
{
	uint8_t buf[MERKLE_LEAF], proof[MERKLE_MAX_DEPTH * MERKLE_HASH], leaf[MERKLE_HASH];
	size_t len, plen;
	const char *why;

	assert_int_equal(blob_chunk_read(st, root, index, buf, &len, proof, &plen), 0);
	assert_int_equal(merkle_verify_hashed(root, SIZE, index, buf, len, proof, plen, leaf,
	    &why), 0);
	assert_int_equal(blob_chunk_put(rx, root, index, buf, len, leaf, proof, plen, complete,
	    NULL), 0);
}

/* What a partial blob serves: the chunks it holds, each with a proof that
 * verifies; -ENODATA for the others; its runs. */
static void
check_partial(struct store *rx, const uint8_t *root, const uint8_t *d)
{
	uint8_t buf[MERKLE_LEAF], proof[MERKLE_MAX_DEPTH * MERKLE_HASH];
	uint64_t runs[4][2], have;
	size_t len, plen, n;
	const char *why;

	for (uint64_t i = 0; i < merkle_leaves(SIZE); i++) {
		int rc = blob_chunk_read(rx, root, i, buf, &len, proof, &plen);

		if (i == 2 || i == 5) {
			assert_int_equal(rc, -ENODATA);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_memory_equal(buf, d + i * MERKLE_LEAF, len);
		assert_int_equal(merkle_verify(root, SIZE, i, buf, len, proof, plen, &why), 0);
	}
	assert_int_equal(blob_chunk_read(rx, root, 6, buf, &len, proof, &plen), -ERANGE);
	assert_int_equal(blob_ranges(rx, root, runs, 4, &n, &have), 0);
	assert_int_equal(n, 2);
	assert_int_equal(have, 4);
	assert_int_equal(runs[0][0], 0);
	assert_int_equal(runs[0][1], 2);
	assert_int_equal(runs[1][0], 3);
	assert_int_equal(runs[1][1], 2);
	/* only one run asked for: the first, and all chunks counted */
	assert_int_equal(blob_ranges(rx, root, runs, 1, &n, &have), 0);
	assert_int_equal(n, 1);
	assert_int_equal(have, 4);
}

/* A blob of SIZE bytes (pattern mul, div) attached on fx's store, and a
 * new store in dir (*rx) holding the record but none of its chunks. */
static void
receiver_open_id(struct storefix *fx, uint8_t *d, unsigned mul, unsigned div,
    uint8_t root[MERKLE_HASH], char dir[64], struct store **rx,
    uint8_t id[TESS_ID_LEN + TESS_NONCE_LEN])
{
	char *cause = NULL;

	add_pattern(fx->st, d, mul, div, root);
	put_attached(fx->st, fx->a, root, SIZE, id, false, 1);
	storefix_make_dir(dir, 64);
	assert_int_equal(store_open(dir, true, rx, &cause), 0);
	put_attached(*rx, fx->a, root, SIZE, id, false, 1);
}

static void
receiver_open(struct storefix *fx, uint8_t *d, unsigned mul, unsigned div,
    uint8_t root[MERKLE_HASH], char dir[64], struct store **rx)
{
	uint8_t id[TESS_ID_LEN + TESS_NONCE_LEN] = { 0 };

	receiver_open_id(fx, d, mul, div, root, dir, rx, id);
}

static void
test_partial(void **state)
{
	struct storefix *fx = *state;
	uint8_t *d = malloc(SIZE), root[MERKLE_HASH];
	uint64_t order[] = { 4, 0, 3, 1 }, runs[1][2], have;
	char dir[64], *cause = NULL;
	struct blob_info bi;
	struct store *rx;
	bool complete;
	size_t n;

	receiver_open(fx, d, 7, 3, root, dir, &rx);
	assert_int_equal(blob_ranges(rx, root, runs, 1, &n, &have), -ENOENT);   /* nothing yet */
	for (size_t k = 0; k < 4; k++) {
		relay(fx->st, rx, root, order[k], &complete);
		assert_false(complete);
	}
	check_partial(rx, root, d);   /* written, not synced: served */
	store_close(rx);
	assert_int_equal(store_open(dir, false, &rx, &cause), 0);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_PARTIAL);
	check_partial(rx, root, d);   /* proofs kept on disk */
	relay(fx->st, rx, root, 2, &complete);
	relay(fx->st, rx, root, 5, &complete);
	assert_true(complete);
	assert_int_equal(blob_ranges(rx, root, runs, 1, &n, &have), -ENOENT);   /* complete */
	store_close(rx);
	storefix_remove_dir(dir);
	free(d);
}

/* A completion renamed the file into place and the process ended before
 * its commit: the store still says partial and the ".part" file is gone.
 * Reopened, the blob takes its file back and carries on: what it held is
 * served and not fetched again, and it completes. */
static void
test_completion_cut(void **state)
{
	struct storefix *fx = *state;
	uint8_t *d = malloc(SIZE), root[MERKLE_HASH], buf[MERKLE_LEAF];
	uint8_t proof[MERKLE_MAX_DEPTH * MERKLE_HASH];
	uint64_t order[] = { 4, 0, 3, 1 };
	char dir[64], hex[2 * MERKLE_HASH + 1], part[PATH_MAX], done[PATH_MAX], *cause = NULL;
	struct blob_info bi;
	struct store *rx;
	size_t len, plen;
	bool complete;

	receiver_open(fx, d, 5, 7, root, dir, &rx);
	for (size_t k = 0; k < 4; k++)
		relay(fx->st, rx, root, order[k], &complete);
	store_close(rx);
	hex_encode(root, MERKLE_HASH, hex);
	snprintf(part, sizeof(part), "%s/blobs/%s.part", dir, hex);
	snprintf(done, sizeof(done), "%s/blobs/%s", dir, hex);
	assert_int_equal(rename(part, done), 0);
	assert_int_equal(store_open(dir, false, &rx, &cause), 0);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_PARTIAL);
	check_partial(rx, root, d);   /* the held chunks, from the file taken back */
	relay(fx->st, rx, root, 2, &complete);
	relay(fx->st, rx, root, 5, &complete);
	assert_true(complete);
	for (uint64_t i = 0; i < merkle_leaves(SIZE); i++) {
		assert_int_equal(blob_chunk_read(rx, root, i, buf, &len, proof, &plen), 0);
		assert_memory_equal(buf, d + i * MERKLE_LEAF, len);
	}
	store_close(rx);
	storefix_remove_dir(dir);
	free(d);
}

/* PRAGMA synchronous of st's connection (2: FULL, 0: OFF). */
static int
sync_level(struct store *st)
{
	sqlite3_stmt *s;
	int level;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "PRAGMA synchronous", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	level = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return level;
}

/* A sync job (blob_sync_begin/_run/_end, the fdatasync off the loop):
 * only the chunks of its snapshot are recorded held, never one written
 * while it ran; and a blob completed while it ran is not touched by its
 * end (its bitmap would turn the complete blob partial again). */
static void
test_sync_job(void **state)
{
	struct storefix *fx = *state;
	uint8_t *d = malloc(SIZE), root[MERKLE_HASH];
	char dir[64];
	struct blob_sync_job *job, *none;
	struct blob_info bi;
	struct store *rx;
	bool complete;

	receiver_open(fx, d, 5, 9, root, dir, &rx);
	relay(fx->st, rx, root, 0, &complete);
	relay(fx->st, rx, root, 1, &complete);
	assert_int_equal(blob_sync_begin(rx, &job), 0);
	assert_non_null(job);
	assert_int_equal(blob_sync_begin(rx, &none), 0);   /* one job per blob */
	assert_null(none);
	relay(fx->st, rx, root, 3, &complete);   /* written during the job */
	blob_sync_run(job);
	assert_int_equal(sync_level(rx), 2);
	assert_int_equal(blob_sync_end(rx, job), 0);
	/* its commit unsynced, the store's level restored after it */
	assert_int_equal(sync_level(rx), 2);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_PARTIAL);
	assert_int_equal(bi.have, 2);   /* the snapshot's, not chunk 3 */
	/* the next sync records chunk 3; a store run with synchronous = OFF
	 * (the simulator's) stays so */
	assert_int_equal(sqlite3_exec(store_db(rx), "PRAGMA synchronous = OFF", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(blob_sync_begin(rx, &job), 0);
	assert_non_null(job);
	blob_sync_run(job);
	assert_int_equal(blob_sync_end(rx, job), 0);
	assert_int_equal(sync_level(rx), 0);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.have, 3);

	relay(fx->st, rx, root, 4, &complete);
	assert_int_equal(blob_sync_begin(rx, &job), 0);
	assert_non_null(job);
	relay(fx->st, rx, root, 2, &complete);
	relay(fx->st, rx, root, 5, &complete);
	assert_true(complete);   /* the part is closed under the job */
	blob_sync_run(job);
	assert_int_equal(blob_sync_end(rx, job), 0);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_COMPLETE);

	store_close(rx);
	storefix_remove_dir(dir);
	free(d);
}

/* Chunks 0..4 of root relayed from st into rx and synced, then the last
 * one put with a completion job: returned in *job. */
static void
all_but_finish(struct store *st, struct store *rx, const uint8_t *root,
    struct blob_finish_job **job)
{
	uint8_t buf[MERKLE_LEAF], proof[MERKLE_MAX_DEPTH * MERKLE_HASH], leaf[MERKLE_HASH];
	uint64_t last = merkle_leaves(SIZE) - 1;
	size_t len, plen;
	const char *why;
	bool complete;

	for (uint64_t i = 0; i < last; i++)
		relay(st, rx, root, i, &complete);
	assert_int_equal(blob_sync(rx), 0);
	assert_int_equal(blob_chunk_read(st, root, last, buf, &len, proof, &plen), 0);
	assert_int_equal(merkle_verify_hashed(root, SIZE, last, buf, len, proof, plen, leaf,
	    &why), 0);
	*job = NULL;
	assert_int_equal(blob_chunk_put(rx, root, last, buf, len, leaf, proof, plen, &complete,
	    job), 0);
	assert_false(complete);
	assert_non_null(*job);
}

/* A completion job (the last chunk's syncs and tree off the loop): until
 * its end the blob is partial, served as such, needs no chunk, and its
 * bitmap is never saved full (a crash then would leave a blob shown held
 * and never completed); its end completes it. A blob purged while its
 * job runs is left alone by the end: purged, no file, no tree. */
static void
test_finish_job(void **state)
{
	struct storefix *fx = *state;
	uint8_t *d = malloc(SIZE), root[MERKLE_HASH], again[MERKLE_HASH];
	uint8_t id[TESS_ID_LEN + TESS_NONCE_LEN] = { 0 };
	uint8_t buf[MERKLE_LEAF], proof[MERKLE_MAX_DEPTH * MERKLE_HASH];
	uint64_t n = merkle_leaves(SIZE);
	char dir[64], tmp[PATH_MAX], *path;
	struct blob_finish_job *job;
	struct blob_info bi;
	struct store *rx;
	struct stat sb;
	size_t len, plen;
	bool complete;
	int fd;

	receiver_open(fx, d, 11, 5, root, dir, &rx);
	all_but_finish(fx->st, rx, root, &job);
	assert_memory_equal(blob_finish_root(job), root, MERKLE_HASH);
	for (uint64_t i = 0; i < n; i++) {
		assert_false(blob_chunk_needed(rx, root, i));
		assert_int_equal(blob_chunk_read(rx, root, i, buf, &len, proof, &plen), 0);
	}
	assert_int_equal(blob_sync(rx), 0);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_PARTIAL);
	assert_int_equal(bi.have, n - 1);   /* the last chunk waits for the job */
	blob_finish_run(job);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_PARTIAL);   /* synced, not yet in place */
	assert_int_equal(blob_finish_end(rx, job, &complete), 0);
	assert_true(complete);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_COMPLETE);
	path = blob_path(rx, root);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(merkle_root_fd(fd, SIZE, again, NULL), 0);
	assert_memory_equal(root, again, MERKLE_HASH);
	close(fd);
	free(path);
	store_close(rx);
	storefix_remove_dir(dir);

	/* purged under the job */
	receiver_open_id(fx, d, 13, 3, root, dir, &rx, id);
	all_but_finish(fx->st, rx, root, &job);
	put_attached(rx, fx->a, root, SIZE, id, true, 2);
	blob_finish_run(job);
	assert_int_equal(blob_finish_end(rx, job, &complete), 0);
	assert_false(complete);
	assert_int_equal(blob_get_info(rx, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_PURGED);
	path = blob_path(rx, root);
	assert_int_not_equal(stat(path, &sb), 0);
	snprintf(tmp, sizeof(tmp), "%s.tree.tmp", path);
	assert_int_not_equal(stat(tmp, &sb), 0);
	free(path);
	assert_false(blob_chunk_needed(rx, root, 0));
	assert_int_equal(blob_chunk_read(rx, root, 0, buf, &len, proof, &plen), -ENOENT);
	store_close(rx);
	storefix_remove_dir(dir);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transfer, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_partial, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_completion_cut, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_sync_job, storefix_setup, storefix_teardown),
		cmocka_unit_test_setup_teardown(test_finish_job, storefix_setup, storefix_teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}
