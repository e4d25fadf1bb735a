/* The attachment transfer between two session engines over the in-memory
 * link (sessionfix): a record with a file on a, and b, which auto-fetches,
 * ends up with the same bytes; a chunk damaged on a's disk is refused by b
 * (bad_chunk, counted), never written, and the other chunks are kept. A
 * holds only some chunks of a blob (partial): b asks for exactly those (a's
 * BlobRanges), gets them verified, and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sessionfix.h"
#include "store/blob.h"
#include "sync/attach.h"

#define SIZE (4 * MERKLE_LEAF + 999)   /* 5 chunks */

static const struct attach_policy pol = { true, 1ULL << 30, 1ULL << 32, 1ULL << 30 };
/* The sessions point at them until the teardown frees the sessions: freed
 * (their flights, a last sync) while the stores are still open, before. */
static struct attach aa, ab;

static int
teardown(void **state)
{
	attach_free(&aa);
	attach_free(&ab);
	return sessionfix_teardown(state);
}

/* a attaches SIZE bytes of pattern to a new record; returns its root. With
 * hold false, a stores the record but not the file. */
static void
publish_as(struct pair *p, uint8_t root[MERKLE_HASH], uint8_t *d, bool hold)
{
	char path[] = "/tmp/test_attach.XXXXXX", *cause = NULL;
	struct storefix_draft dr;
	struct storefix_sealed s;
	Tessera__Attachment a = TESSERA__ATTACHMENT__INIT, *as[1] = { &a };
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	for (size_t i = 0; i < SIZE; i++)
		d[i] = (uint8_t)(i * 13 + i / 251);
	assert_int_equal(write(fd, d, SIZE), SIZE);
	if (hold)
		assert_int_equal(blob_add_fd(p->a.st, fd, SIZE, root, &cause), 0);
	else
		assert_int_equal(merkle_root_fd(fd, SIZE, root, NULL), 0);
	close(fd);
	storefix_draft_init(&dr, p->fx->a, "A guide", 1);
	a.name = "guide.bin";
	a.has_size = a.has_root = 1;
	a.size = SIZE;
	a.root = (ProtobufCBinaryData){ MERKLE_HASH, root };
	dr.r.attachments = as;
	dr.r.n_attachments = 1;
	storefix_seal(&s, p->fx->a, &dr.r);
	assert_int_equal(storefix_put(p->a.st, &s), STORE_STORED);
	storefix_sealed_free(&s);
}

static void
publish(struct pair *p, uint8_t root[MERKLE_HASH], uint8_t *d)
{
	publish_as(p, root, d, true);
}

static void
start_with(struct pair *p, const struct attach_policy *pol_b)
{
	attach_init(&aa, p->a.st, &pol);
	attach_init(&ab, p->b.st, pol_b);
	p->a.env.attach = &aa;
	p->b.env.attach = &ab;
	sessionfix_start(p);
	sessionfix_run(p, 10000);
}

static void
start(struct pair *p)
{
	start_with(p, &pol);
}

static void
test_fetch(void **state)
{
	struct pair *p = *state;
	uint8_t root[MERKLE_HASH], *d = malloc(SIZE), *got = malloc(SIZE);
	struct blob_info bi;
	char *path;
	int fd;

	assert_non_null(d);
	assert_non_null(got);
	publish(p, root, d);
	start(p);
	assert_int_equal(sessionfix_count(p->b.st), 1);
	assert_int_equal(blob_get_info(p->b.st, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_COMPLETE);
	assert_int_equal(ab.chunks_in, 5);
	assert_int_equal(aa.chunks_out, 5);
	assert_int_equal(p->b.rejected[SYNC_REJECT_CHUNK], 0);
	path = blob_path(p->b.st, root);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, SIZE), SIZE);
	assert_memory_equal(got, d, SIZE);
	close(fd);
	free(path);
	free(d);
	free(got);
}

static void
test_bad_chunk(void **state)
{
	struct pair *p = *state;
	uint8_t root[MERKLE_HASH], *d = malloc(SIZE), byte;
	struct blob_info bi;
	char *path;
	int fd;

	assert_non_null(d);
	publish(p, root, d);
	/* chunk 2 damaged on a's disk after it was hashed */
	path = blob_path(p->a.st, root);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	byte = (uint8_t)(d[2 * MERKLE_LEAF + 7] ^ 0x40);
	assert_int_equal(pwrite(fd, &byte, 1, 2 * MERKLE_LEAF + 7), 1);
	close(fd);
	free(path);
	start(p);
	assert_int_equal(p->b.rejected[SYNC_REJECT_CHUNK], 1);
	assert_int_equal(ab.bad_chunks, 1);
	assert_false(p->b.closed);   /* one bad chunk: refused, the link stays */
	assert_int_equal(blob_get_info(p->b.st, root, &bi), 0);
	assert_int_not_equal(bi.state, BLOB_COMPLETE);
	assert_true(blob_chunk_needed(p->b.st, root, 2));
	for (uint64_t i = 0; i < 5; i++)
		if (i != 2)
			assert_false(blob_chunk_needed(p->b.st, root, i));
	free(d);
}

/* a's tree file damaged at leaf hash 4 (a liar's block of leaf hashes):
 * b refuses the block (counted, like a bad chunk), asks a for no more bare
 * chunks, and the chunks already asked for come with their proofs, which
 * do not use that slot: b still ends with the right file. */
static void
test_bad_leaves(void **state)
{
	struct pair *p = *state;
	uint8_t root[MERKLE_HASH], *d = malloc(SIZE), hash[MERKLE_HASH];
	struct blob_info bi;
	char *path, tree[4096];
	int fd;

	assert_non_null(d);
	publish(p, root, d);
	path = blob_path(p->a.st, root);
	snprintf(tree, sizeof(tree), "%s.tree", path);
	fd = open(tree, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, hash, MERKLE_HASH, 4 * MERKLE_HASH), MERKLE_HASH);
	hash[0] ^= 1;
	assert_int_equal(pwrite(fd, hash, MERKLE_HASH, 4 * MERKLE_HASH), MERKLE_HASH);
	close(fd);
	free(path);
	start(p);
	assert_int_equal(p->b.rejected[SYNC_REJECT_CHUNK], 1);
	assert_int_equal(ab.bad_chunks, 1);
	assert_false(p->b.closed);
	assert_int_equal(blob_get_info(p->b.st, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_COMPLETE);
	free(d);
}

/* a holds chunks 0, 1 and 3 of 5 (written with their proofs, from the
 * tree of the whole file): b fetches those three from it, and no other. */
static void
test_from_partial(void **state)
{
	struct pair *p = *state;
	uint8_t root[MERKLE_HASH], *d = malloc(SIZE), *tree = NULL, leaf[MERKLE_HASH];
	uint8_t proof[MERKLE_MAX_DEPTH * MERKLE_HASH];
	uint64_t held[] = { 0, 1, 3 }, slots[MERKLE_MAX_DEPTH];
	struct blob_info bi;
	char path[] = "/tmp/test_attach.XXXXXX";
	int fd = mkstemp(path);

	assert_non_null(d);
	assert_true(fd >= 0);
	unlink(path);
	publish_as(p, root, d, false);
	assert_int_equal(write(fd, d, SIZE), SIZE);
	assert_int_equal(merkle_root_fd(fd, SIZE, leaf, &tree), 0);
	close(fd);
	for (size_t k = 0; k < 3; k++) {
		uint64_t i = held[k];
		size_t n = merkle_proof_slots(merkle_leaves(SIZE), i, slots);
		bool complete;

		for (size_t j = 0; j < n; j++)
			memcpy(proof + j * MERKLE_HASH, tree + slots[j] * MERKLE_HASH, MERKLE_HASH);
		assert_int_equal(blob_chunk_put(p->a.st, root, i, d + i * MERKLE_LEAF,
		    merkle_leaf_len(SIZE, i), tree + i * MERKLE_HASH, proof, n * MERKLE_HASH,
		    &complete, NULL), 0);
		assert_false(complete);
	}
	start(p);
	assert_int_equal(ab.chunks_in, 3);
	assert_int_equal(aa.chunks_out, 3);
	assert_int_equal(p->b.rejected[SYNC_REJECT_CHUNK], 0);
	assert_false(p->b.closed);
	assert_int_equal(blob_sync(p->b.st), 0);
	assert_int_equal(blob_get_info(p->b.st, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_PARTIAL);   /* never shown complete */
	assert_int_equal(bi.have, 3);
	for (uint64_t i = 0; i < 5; i++)
		assert_int_equal(blob_chunk_needed(p->b.st, root, i), i == 2 || i == 4);
	free(tree);
	free(d);
}

/* b takes files of at most SIZE - 1 bytes: the record is stored, its file
 * not fetched, not even asked for on demand. */
static void
test_too_large(void **state)
{
	struct pair *p = *state;
	struct attach_policy small = pol;
	uint8_t root[MERKLE_HASH], *d = malloc(SIZE);
	struct blob_info bi;

	assert_non_null(d);
	small.max_size = SIZE - 1;
	publish(p, root, d);
	start_with(p, &small);
	assert_int_equal(sessionfix_count(p->b.st), 1);
	assert_int_equal(blob_set_want(p->b.st, root, true), 0);
	attach_changed(&ab);
	sessionfix_run(p, 10000);
	assert_int_equal(ab.chunks_in, 0);
	assert_int_equal(aa.chunks_out, 0);
	assert_int_equal(blob_get_info(p->b.st, root, &bi), 0);
	assert_int_equal(bi.state, BLOB_ABSENT);
	assert_true(attach_too_large(&small, SIZE));
	assert_false(attach_too_large(&small, SIZE - 1));
	small.max_size = 0;   /* no limit */
	assert_false(attach_too_large(&small, 1ULL << 40));
	free(d);
}

/* The runs a BlobRanges may carry, and the look-up in them. */
static void
test_runs(void **state)
{
	const uint64_t ok[] = { 0, 2, 3, 1, 9, 1 };
	const uint64_t runs[][2] = { { 0, 2 }, { 3, 1 }, { 9, 1 } };
	const uint64_t odd[] = { 0, 2, 5 }, empty[] = { 0, 0 }, touch[] = { 0, 2, 2, 1 };
	const uint64_t back[] = { 4, 1, 0, 1 }, past[] = { 8, 3 }, wrap[] = { 1, UINT64_MAX };
	const uint64_t start_past[] = { 10, 1 };
	uint64_t *many = calloc(2 * (ATTACH_RUNS_MAX + 1), sizeof(*many));
	const char *why;

	(void)state;
	assert_non_null(many);
	assert_int_equal(attach_runs_check(ok, 6, 10, &why), 0);
	assert_int_equal(attach_runs_check(ok, 0, 10, &why), 0);
	assert_int_equal(attach_runs_check(odd, 3, 10, &why), -EINVAL);
	assert_int_equal(attach_runs_check(empty, 2, 10, &why), -EINVAL);
	assert_int_equal(attach_runs_check(touch, 4, 10, &why), -EINVAL);
	assert_int_equal(attach_runs_check(back, 4, 10, &why), -EINVAL);
	assert_int_equal(attach_runs_check(past, 2, 10, &why), -EINVAL);
	assert_string_equal(why, "a run past the end of the blob");
	assert_int_equal(attach_runs_check(wrap, 2, 10, &why), -EINVAL);
	assert_int_equal(attach_runs_check(start_past, 2, 10, &why), -EINVAL);
	for (size_t i = 0; i <= ATTACH_RUNS_MAX; i++) {
		many[2 * i] = 2 * i;
		many[2 * i + 1] = 1;
	}
	assert_int_equal(attach_runs_check(many, 2 * ATTACH_RUNS_MAX, 1 << 20, &why), 0);
	assert_int_equal(attach_runs_check(many, 2 * (ATTACH_RUNS_MAX + 1), 1 << 20, &why),
	    -EINVAL);
	for (uint64_t i = 0; i < 12; i++)
		assert_int_equal(attach_runs_hold(runs, 3, i), i <= 1 || i == 3 || i == 9);
	assert_false(attach_runs_hold(runs, 0, 0));
	free(many);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetch, sessionfix_setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_chunk, sessionfix_setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_leaves, sessionfix_setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_partial, sessionfix_setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, sessionfix_setup, teardown),
		cmocka_unit_test(test_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
