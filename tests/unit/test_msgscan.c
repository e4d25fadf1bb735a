/* msgscan: counting what a message decodes into, before decoding it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgscan.h"
#include "peer.pb-c.h"
#include "record.pb-c.h"
#include "core/tessera.h"

/* An offer of n items packed by protobuf-c counts 1 (envelope field) + 1
 * (upto) + n items of 3 fields plus the item itself. */
static void
offer_counts_every_field(void **state)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	Tessera__OfferItem items[10], *ptrs[10];
	uint8_t id[TESS_ID_LEN] = { 1 }, buf[1024];
	size_t len, fields;

	for (int i = 0; i < 10; i++) {
		tessera__offer_item__init(&items[i]);
		items[i].has_id = items[i].has_version = items[i].has_author_index = 1;
		items[i].id = (ProtobufCBinaryData){ sizeof(id), id };
		items[i].version = 7;
		ptrs[i] = &items[i];
	}
	o.items = ptrs;
	o.n_items = 10;
	o.has_upto = 1;
	o.upto = 99;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	len = tessera__envelope__pack(&env, buf);
	assert_int_equal(msgscan_envelope(buf, len, &fields), 0);
	assert_int_equal(fields, 1 + 1 + 10 * 4);
}

/* Packed indexes count one per element, however they are cut in bytes. */
static void
want_counts_packed_elements(void **state)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Want w = TESSERA__WANT__INIT;
	uint32_t idx[5] = { 0, 1, 300, 70000, 4000000000u };
	uint8_t buf[256];
	size_t len, fields;

	w.indexes = idx;
	w.n_indexes = 5;
	env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
	env.want = &w;
	len = tessera__envelope__pack(&env, buf);
	assert_int_equal(msgscan_envelope(buf, len, &fields), 0);
	assert_int_equal(fields, 1 + 1 + 5);
}

/* A frame of half a million empty SignedRecords: counted without decoding. */
static void
bomb_is_counted(void **state)
{
	size_t room = 1000000, len, fields;
	uint8_t *buf = malloc(room + 8);

	assert_non_null(buf);
	buf[0] = 0x2a;                     /* Envelope.records */
	buf[1] = 0xc0;                     /* varint 1000000 */
	buf[2] = 0x84;
	buf[3] = 0x3d;
	for (size_t i = 0; i < room; i += 2) {
		buf[4 + i] = 0x0a;         /* Records.records, empty */
		buf[5 + i] = 0x00;
	}
	len = 4 + room;
	assert_int_equal(msgscan_envelope(buf, len, &fields), 0);
	assert_int_equal(fields, 1 + room / 2);
	free(buf);
}

static void
malformed_is_refused(void **state)
{
	static const uint8_t cut_len[] = { 0x2a, 0x80, 0x80, 0x80, 0x80, 0x01, 0x0a, 0x00 };
	static const uint8_t group[] = { 0xa3, 0x01, 0xa4, 0x01 };
	static const uint8_t cut_varint[] = { 0x08, 0x80 };
	static const uint8_t field0[] = { 0x00, 0x01 };
	static const uint8_t cut_i64[] = { 0x09, 1, 2, 3 };
	size_t fields;

	assert_int_equal(msgscan_envelope(cut_len, sizeof(cut_len), &fields), -EBADMSG);
	assert_int_equal(msgscan_envelope(group, sizeof(group), &fields), -EBADMSG);
	assert_int_equal(msgscan_envelope(cut_varint, sizeof(cut_varint), &fields), -EBADMSG);
	assert_int_equal(msgscan_envelope(field0, sizeof(field0), &fields), -EBADMSG);
	assert_int_equal(msgscan_envelope(cut_i64, sizeof(cut_i64), &fields), -EBADMSG);
	assert_int_equal(msgscan_envelope((const uint8_t *)"", 0, &fields), 0);
	assert_int_equal(fields, 0);
}

/* A record at every limit stays within TESS_MAX_RECORD_FIELDS. */
static void
full_record_within_limit(void **state)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text t[TESS_MAX_TEXTS], *tp[TESS_MAX_TEXTS];
	Tessera__Link l[TESS_MAX_LINKS], *lp[TESS_MAX_LINKS];
	Tessera__Profile prof = TESSERA__PROFILE__INIT;
	Tessera__Attachment at[TESS_MAX_ATTACH], *atp[TESS_MAX_ATTACH];
	char *tags[TESS_MAX_TAGS], *langs[TESS_MAX_TEXTS];
	uint8_t b16[16] = { 0 }, b32[32] = { 0 }, *buf;
	size_t len, fields;

	for (int i = 0; i < TESS_MAX_TEXTS; i++) {
		tessera__text__init(&t[i]);
		t[i].lang = t[i].title = t[i].summary = t[i].body = "x";
		tp[i] = &t[i];
		langs[i] = "x";
	}
	for (int i = 0; i < TESS_MAX_LINKS; i++) {
		tessera__link__init(&l[i]);
		l[i].url = l[i].title = "x";
		lp[i] = &l[i];
	}
	for (int i = 0; i < TESS_MAX_TAGS; i++)
		tags[i] = "x";
	for (int i = 0; i < TESS_MAX_ATTACH; i++) {
		tessera__attachment__init(&at[i]);
		at[i].name = at[i].media_type = "x";
		at[i].has_size = at[i].has_root = 1;
		at[i].root = (ProtobufCBinaryData){ 32, b32 };
		atp[i] = &at[i];
	}
	r.attachments = atp;
	r.n_attachments = TESS_MAX_ATTACH;
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
	r.has_kind = r.has_deleted = 1;
	r.id = r.nonce = (ProtobufCBinaryData){ 16, b16 };
	r.author = (ProtobufCBinaryData){ 32, b32 };
	r.texts = tp;
	r.n_texts = TESS_MAX_TEXTS;
	r.links = lp;
	r.n_links = TESS_MAX_LINKS;
	r.tags = tags;
	r.n_tags = TESS_MAX_TAGS;
	prof.name = prof.country = "x";
	prof.languages = langs;
	prof.n_languages = TESS_MAX_TEXTS;
	r.profile = &prof;
	buf = malloc(tessera__record__get_packed_size(&r));
	assert_non_null(buf);
	len = tessera__record__pack(&r, buf);
	assert_int_equal(msgscan_record(buf, len, &fields), 0);
	assert_true(fields <= TESS_MAX_RECORD_FIELDS);
	assert_true(fields > TESS_MAX_RECORD_FIELDS - 20);
	free(buf);
}

/* An empty bytes field arrives as NULL with length 0 (protobuf-c): no
 * pointer arithmetic on it (found by fuzz_ctl, fuzz/regressions/ctl). */
static void
empty_body_is_empty(void **state)
{
	size_t n = 99;

	(void)state;
	assert_int_equal(msgscan_record(NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	n = 99;
	assert_int_equal(msgscan_envelope(NULL, 0, &n), 0);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(offer_counts_every_field),
		cmocka_unit_test(want_counts_packed_elements),
		cmocka_unit_test(bomb_is_counted),
		cmocka_unit_test(malformed_is_refused),
		cmocka_unit_test(full_record_within_limit),
		cmocka_unit_test(empty_body_is_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
