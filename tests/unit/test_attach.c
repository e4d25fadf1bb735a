/* The attachment transfer between two session engines over the in-memory
 * link (sessionfix): a record with a file on a, and b, which auto-fetches,
 * ends up with the same bytes; a chunk damaged on a's disk is refused by b
 * (bad_chunk, counted), never written, and the other chunks are kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sessionfix.h"
#include "store/blob.h"
#include "sync/attach.h"

#define SIZE (4 * MERKLE_LEAF + 999)   /* 5 chunks */

static const struct attach_policy pol = { true, 1ULL << 30, 1ULL << 32 };
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

/* a attaches SIZE bytes of pattern to a new record; returns its root. */
static void
publish(struct pair *p, uint8_t root[MERKLE_HASH], uint8_t *d)
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
	assert_int_equal(blob_add_fd(p->a.st, fd, SIZE, root, &cause), 0);
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
start(struct pair *p)
{
	attach_init(&aa, p->a.st, &pol);
	attach_init(&ab, p->b.st, &pol);
	p->a.env.attach = &aa;
	p->b.env.attach = &ab;
	sessionfix_start(p);
	sessionfix_run(p, 10000);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetch, sessionfix_setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_chunk, sessionfix_setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
