/* Frames: reassembly however the bytes are cut, size limits, packing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.pb-c.h"
#include "core/tessera.h"
#include "core/wire.h"

#define MAX_FRAMES 64

/* What the callback saw: a copy of every payload, and a count of calls. */
struct seen {
	size_t n;
	uint8_t *payload[MAX_FRAMES];
	size_t len[MAX_FRAMES];
	int stop_after;        /* return -ECANCELED after this many frames (0 = never) */
};

/* A stream of frames and the payloads it carries. */
struct stream {
	uint8_t *bytes;
	size_t len;
	size_t n;
	uint8_t *payload[MAX_FRAMES];
	size_t plen[MAX_FRAMES];
};

static int
collect(void *arg, const uint8_t *payload, size_t len)
{
	struct seen *s = arg;
	uint8_t *copy;

	assert_true(s->n < MAX_FRAMES);
	assert_non_null(payload);
	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, payload, len);
	s->payload[s->n] = copy;
	s->len[s->n] = len;
	s->n++;
	if (s->stop_after > 0 && s->n == (size_t)s->stop_after)
		return -ECANCELED;
	return 0;
}

static int
must_not_be_called(void *arg, const uint8_t *payload, size_t len)
{
	fail_msg("callback called for a frame of %zu bytes", len);
	return 0;
}

static void
seen_reset(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->payload[i]);
	memset(s, 0, sizeof(*s));
}

/* Appends a frame with a payload of len pseudo-random bytes. */
static void
stream_add(struct stream *st, size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint8_t *b = realloc(st->bytes, st->len + WIRE_HDR + len);

	assert_non_null(p);
	assert_non_null(b);
	assert_true(st->n < MAX_FRAMES);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	st->bytes = b;
	wire_put_u32(st->bytes + st->len, (uint32_t)len);
	if (len > 0)
		memcpy(st->bytes + st->len + WIRE_HDR, p, len);
	st->len += WIRE_HDR + len;
	st->payload[st->n] = p;
	st->plen[st->n] = len;
	st->n++;
}

static void
stream_free(struct stream *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->payload[i]);
	free(st->bytes);
	memset(st, 0, sizeof(*st));
}

/* Several frames of awkward sizes, including empty ones. */
static void
stream_sample(struct stream *st, size_t max)
{
	memset(st, 0, sizeof(*st));
	stream_add(st, 5, 1);
	stream_add(st, 0, 2);
	stream_add(st, 1, 3);
	stream_add(st, 300, 4);
	stream_add(st, 0, 5);
	stream_add(st, 3, 6);
	stream_add(st, 4, 7);
	stream_add(st, max, 8);
	stream_add(st, 17, 9);
}

static void
check_seen(const struct seen *s, const struct stream *st)
{
	assert_int_equal(s->n, st->n);
	for (size_t i = 0; i < st->n; i++) {
		assert_int_equal(s->len[i], st->plen[i]);
		if (st->plen[i] > 0)
			assert_memory_equal(s->payload[i], st->payload[i], st->plen[i]);
	}
}

static void
test_u32(void **state)
{
	uint8_t b[4];
	static const uint32_t v[] = { 0, 1, 255, 256, 0x01020304, 0x7fffffff, 0x80000000,
		0xffffffff };

	wire_put_u32(b, 0x01020304);
	assert_memory_equal(b, "\x01\x02\x03\x04", 4);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		wire_put_u32(b, v[i]);
		assert_true(wire_get_u32(b) == v[i]);
	}
}

static void
test_one_buffer(void **state)
{
	struct wire_reader r;
	struct stream st;
	struct seen s = { 0 };

	stream_sample(&st, 1000);
	wire_reader_init(&r, 1000);
	assert_int_equal(wire_reader_feed(&r, st.bytes, st.len, collect, &s), 0);
	check_seen(&s, &st);
	assert_int_equal(wire_reader_pending(&r), 0);
	assert_null(r.buf);
	/* Nothing to eat is fine. */
	assert_int_equal(wire_reader_feed(&r, st.bytes, 0, must_not_be_called, NULL), 0);
	wire_reader_free(&r);
	seen_reset(&s);
	stream_free(&st);
}

static void
test_byte_by_byte(void **state)
{
	struct wire_reader r;
	struct stream st;
	struct seen s = { 0 };

	stream_sample(&st, 1000);
	wire_reader_init(&r, 1000);
	for (size_t i = 0; i < st.len; i++)
		assert_int_equal(wire_reader_feed(&r, st.bytes + i, 1, collect, &s), 0);
	check_seen(&s, &st);
	assert_int_equal(wire_reader_pending(&r), 0);
	wire_reader_free(&r);
	seen_reset(&s);
	stream_free(&st);
}

static void
test_split_everywhere(void **state)
{
	struct stream st;
	struct seen s = { 0 };

	stream_sample(&st, 400);
	for (size_t k = 0; k <= st.len; k++) {
		struct wire_reader r;

		wire_reader_init(&r, 400);
		assert_int_equal(wire_reader_feed(&r, st.bytes, k, collect, &s), 0);
		assert_int_equal(wire_reader_feed(&r, st.bytes + k, st.len - k, collect, &s), 0);
		check_seen(&s, &st);
		assert_int_equal(wire_reader_pending(&r), 0);
		wire_reader_free(&r);
		seen_reset(&s);
	}
	/* Three pieces, every pair of cut points (on a shorter stream). */
	stream_free(&st);
	memset(&st, 0, sizeof(st));
	stream_add(&st, 6, 11);
	stream_add(&st, 0, 12);
	stream_add(&st, 9, 13);
	for (size_t a = 0; a <= st.len; a++) {
		for (size_t b = a; b <= st.len; b++) {
			struct wire_reader r;

			wire_reader_init(&r, 64);
			assert_int_equal(wire_reader_feed(&r, st.bytes, a, collect, &s), 0);
			assert_int_equal(wire_reader_feed(&r, st.bytes + a, b - a, collect, &s), 0);
			assert_int_equal(wire_reader_feed(&r, st.bytes + b, st.len - b, collect, &s),
			    0);
			check_seen(&s, &st);
			wire_reader_free(&r);
			seen_reset(&s);
		}
	}
	stream_free(&st);
}

static void
test_pending(void **state)
{
	struct wire_reader r;
	struct stream st;
	struct seen s = { 0 };

	memset(&st, 0, sizeof(st));
	stream_add(&st, 100, 21);
	wire_reader_init(&r, 1000);
	assert_int_equal(wire_reader_feed(&r, st.bytes, 2, collect, &s), 0);
	assert_int_equal(wire_reader_pending(&r), 0);
	assert_int_equal(wire_reader_feed(&r, st.bytes + 2, 2 + 10, collect, &s), 0);
	assert_int_equal(wire_reader_pending(&r), 10);
	assert_int_equal(wire_reader_feed(&r, st.bytes + 14, 50, collect, &s), 0);
	assert_int_equal(wire_reader_pending(&r), 60);
	assert_int_equal(s.n, 0);
	/* Freeing a reader in the middle of a frame releases the partial payload. */
	wire_reader_free(&r);
	assert_null(r.buf);
	assert_int_equal(wire_reader_pending(&r), 0);
	wire_reader_free(&r);
	wire_reader_free(NULL);
	stream_free(&st);
}

static void
test_oversized_header(void **state)
{
	static const uint32_t sizes[] = { 1001, 1002, 65536, TESS_MAX_FRAME, 0x7fffffff,
		0x80000000, 0xffffffff };
	struct wire_reader r;
	uint8_t buf[WIRE_HDR + 16];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* Whole header at once, followed by some payload. */
		memset(buf, 0xab, sizeof(buf));
		wire_put_u32(buf, sizes[i]);
		wire_reader_init(&r, 1000);
		assert_int_equal(wire_reader_feed(&r, buf, sizeof(buf), must_not_be_called, NULL),
		    -EMSGSIZE);
		assert_null(r.buf);
		assert_int_equal(r.in_frame, 0);
		assert_int_equal(wire_reader_pending(&r), 0);
		wire_reader_free(&r);

		/* Header byte by byte: refused on its last byte. */
		wire_reader_init(&r, 1000);
		for (size_t k = 0; k < WIRE_HDR - 1; k++)
			assert_int_equal(wire_reader_feed(&r, buf + k, 1, must_not_be_called, NULL),
			    0);
		assert_int_equal(wire_reader_feed(&r, buf + WIRE_HDR - 1, 1, must_not_be_called,
		    NULL), -EMSGSIZE);
		assert_null(r.buf);
		wire_reader_free(&r);
	}
	/* max + 1 with the protocol's own limit, after a good frame in the same buffer. */
	{
		struct stream st;
		struct seen s = { 0 };
		uint8_t *both;

		memset(&st, 0, sizeof(st));
		stream_add(&st, 10, 31);
		both = malloc(st.len + WIRE_HDR);
		assert_non_null(both);
		memcpy(both, st.bytes, st.len);
		wire_put_u32(both + st.len, TESS_MAX_FRAME + 1);
		wire_reader_init(&r, TESS_MAX_FRAME);
		assert_int_equal(wire_reader_feed(&r, both, st.len + WIRE_HDR, collect, &s),
		    -EMSGSIZE);
		check_seen(&s, &st);
		assert_null(r.buf);
		wire_reader_free(&r);
		seen_reset(&s);
		free(both);
		stream_free(&st);
	}
}

static void
test_exact_max(void **state)
{
	struct wire_reader r;
	struct stream st;
	struct seen s = { 0 };

	/* A frame of exactly max bytes passes, whole or in pieces. */
	memset(&st, 0, sizeof(st));
	stream_add(&st, 4096, 41);
	wire_reader_init(&r, 4096);
	assert_int_equal(wire_reader_feed(&r, st.bytes, st.len, collect, &s), 0);
	check_seen(&s, &st);
	seen_reset(&s);
	for (size_t off = 0; off < st.len; off += 1000) {
		size_t n = st.len - off < 1000 ? st.len - off : 1000;

		assert_int_equal(wire_reader_feed(&r, st.bytes + off, n, collect, &s), 0);
	}
	check_seen(&s, &st);
	seen_reset(&s);
	wire_reader_free(&r);
	/* A reader accepting nothing but empty frames. */
	wire_reader_init(&r, 0);
	assert_int_equal(wire_reader_feed(&r, (const uint8_t *)"\0\0\0\0", 4, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.len[0], 0);
	assert_int_equal(wire_reader_feed(&r, (const uint8_t *)"\0\0\0\1x", 5, collect, &s),
	    -EMSGSIZE);
	wire_reader_free(&r);
	seen_reset(&s);
	stream_free(&st);
}

static void
test_zero_length(void **state)
{
	struct wire_reader r;
	struct stream st;
	struct seen s = { 0 };

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < 5; i++)
		stream_add(&st, 0, 50);
	wire_reader_init(&r, 16);
	assert_int_equal(wire_reader_feed(&r, st.bytes, st.len, collect, &s), 0);
	check_seen(&s, &st);
	assert_int_equal(s.n, 5);
	assert_null(r.buf);
	seen_reset(&s);
	for (size_t i = 0; i < st.len; i++)
		assert_int_equal(wire_reader_feed(&r, st.bytes + i, 1, collect, &s), 0);
	check_seen(&s, &st);
	wire_reader_free(&r);
	seen_reset(&s);
	stream_free(&st);
}

static void
test_callback_stops(void **state)
{
	struct stream st;
	struct seen s = { 0 };

	stream_sample(&st, 500);
	/* Stop after each possible frame, from one buffer and byte by byte. */
	for (size_t stop = 1; stop <= st.n; stop++) {
		struct wire_reader r;
		int rc = 0;

		wire_reader_init(&r, 500);
		s.stop_after = (int)stop;
		assert_int_equal(wire_reader_feed(&r, st.bytes, st.len, collect, &s), -ECANCELED);
		assert_int_equal(s.n, stop);
		wire_reader_free(&r);
		seen_reset(&s);

		wire_reader_init(&r, 500);
		s.stop_after = (int)stop;
		for (size_t i = 0; i < st.len && rc == 0; i++)
			rc = wire_reader_feed(&r, st.bytes + i, 1, collect, &s);
		assert_int_equal(rc, -ECANCELED);
		assert_int_equal(s.n, stop);
		assert_null(r.buf);
		wire_reader_free(&r);
		seen_reset(&s);
	}
	stream_free(&st);
}

static void
test_pack(void **state)
{
	Tessera__SignedRecord m = TESSERA__SIGNED_RECORD__INIT, *back;
	struct wire_reader r;
	struct seen s = { 0 };
	uint8_t *frame = NULL, data[300];
	size_t len = 0, n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	m.has_body = 1;
	m.body = (ProtobufCBinaryData){ sizeof(data), data };
	n = protobuf_c_message_get_packed_size(&m.base);
	assert_int_equal(n, 1 + 2 + sizeof(data));

	/* Exactly max: packed; one byte less allowed: refused. */
	assert_int_equal(wire_pack(&m.base, n, &frame, &len), 0);
	assert_int_equal(len, WIRE_HDR + n);
	assert_int_equal(wire_get_u32(frame), n);
	wire_reader_init(&r, n);
	assert_int_equal(wire_reader_feed(&r, frame, len, collect, &s), 0);
	assert_int_equal(s.n, 1);
	back = tessera__signed_record__unpack(NULL, s.len[0], s.payload[0]);
	assert_non_null(back);
	assert_int_equal(back->body.len, sizeof(data));
	assert_memory_equal(back->body.data, data, sizeof(data));
	tessera__signed_record__free_unpacked(back, NULL);
	wire_reader_free(&r);
	seen_reset(&s);
	free(frame);
	frame = NULL;
	len = 0;
	assert_int_equal(wire_pack(&m.base, n - 1, &frame, &len), -EMSGSIZE);
	assert_null(frame);
	assert_int_equal(len, 0);
	assert_int_equal(wire_pack(&m.base, 0, &frame, &len), -EMSGSIZE);

	/* A message over the protocol limit. */
	{
		uint8_t *big = calloc(1, TESS_MAX_FRAME);

		assert_non_null(big);
		m.body = (ProtobufCBinaryData){ TESS_MAX_FRAME, big };
		assert_int_equal(wire_pack(&m.base, TESS_MAX_FRAME, &frame, &len), -EMSGSIZE);
		assert_null(frame);
		free(big);
	}

	/* An empty message is a zero-length frame. */
	{
		Tessera__SignedRecord empty = TESSERA__SIGNED_RECORD__INIT;

		assert_int_equal(wire_pack(&empty.base, 0, &frame, &len), 0);
		assert_int_equal(len, WIRE_HDR);
		assert_memory_equal(frame, "\0\0\0\0", 4);
		wire_reader_init(&r, 0);
		assert_int_equal(wire_reader_feed(&r, frame, len, collect, &s), 0);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.len[0], 0);
		back = tessera__signed_record__unpack(NULL, 0, s.payload[0]);
		assert_non_null(back);
		assert_false(back->has_body);
		tessera__signed_record__free_unpacked(back, NULL);
		wire_reader_free(&r);
		seen_reset(&s);
		free(frame);
	}
}

static void
test_pack_stream(void **state)
{
	uint8_t *all = NULL, body[64];
	size_t total = 0;
	struct seen s = { 0 };
	struct wire_reader r;
	uint32_t seed = 7;

	/* Twenty messages packed back to back, fed in ragged chunks. */
	for (int i = 0; i < 20; i++) {
		Tessera__SignedRecord m = TESSERA__SIGNED_RECORD__INIT;
		uint8_t *frame, *na;
		size_t len;

		memset(body, i, sizeof(body));
		m.has_body = 1;
		m.body = (ProtobufCBinaryData){ (size_t)i * 3, body };
		assert_int_equal(wire_pack(&m.base, TESS_MAX_FRAME, &frame, &len), 0);
		na = realloc(all, total + len);
		assert_non_null(na);
		all = na;
		memcpy(all + total, frame, len);
		total += len;
		free(frame);
	}
	wire_reader_init(&r, TESS_MAX_FRAME);
	for (size_t off = 0; off < total;) {
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 23;
		if (n > total - off)
			n = total - off;
		assert_int_equal(wire_reader_feed(&r, all + off, n, collect, &s), 0);
		off += n;
	}
	assert_int_equal(s.n, 20);
	for (size_t i = 0; i < 20; i++) {
		Tessera__SignedRecord *m = tessera__signed_record__unpack(NULL, s.len[i],
		    s.payload[i]);

		assert_non_null(m);
		assert_int_equal(m->body.len, i * 3);
		for (size_t k = 0; k < m->body.len; k++)
			assert_int_equal(m->body.data[k], i);
		tessera__signed_record__free_unpacked(m, NULL);
	}
	wire_reader_free(&r);
	seen_reset(&s);
	free(all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_one_buffer),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_oversized_header),
		cmocka_unit_test(test_exact_max),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_pack),
		cmocka_unit_test(test_pack_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
