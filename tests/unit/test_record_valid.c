/* Records: ids bound to authors, tombstones, size limits, UTF-8, future
 * kinds, structural validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "recordfix.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/identity.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "core/util.h"

static void
test_id_not_bound(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d, other;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	const char *why = NULL;

	/* A random id. */
	recordfix_draft_init(&d, fx->a);
	d.id[0] ^= 0x80;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), -EINVAL);
	assert_null(body);
	recordfix_sign_raw(fx->a, &d.r, &body, &len, sig);
	recordfix_open_fails(body, len, sig, -EINVAL);
	free(body);

	/* B's record id and nonce claimed by A: the id is bound to B. */
	recordfix_draft_init(&other, fx->b);
	recordfix_draft_init(&d, fx->a);
	memcpy(d.id, other.id, TESS_ID_LEN);
	memcpy(d.nonce, other.nonce, TESS_NONCE_LEN);
	why = NULL;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_non_null(why);
	recordfix_sign_raw(fx->a, &d.r, &body, &len, sig);
	recordfix_open_fails(body, len, sig, -EINVAL);
	free(body);

	/* record_make_id is deterministic and depends on both inputs. */
	{
		uint8_t id1[TESS_ID_LEN], id2[TESS_ID_LEN];

		record_make_id(fx->a->pub, other.nonce, id1);
		record_make_id(fx->a->pub, other.nonce, id2);
		assert_memory_equal(id1, id2, TESS_ID_LEN);
		assert_memory_not_equal(id1, other.id, TESS_ID_LEN);
		record_make_id(fx->b->pub, other.nonce, id2);
		assert_memory_equal(id2, other.id, TESS_ID_LEN);
	}
}

static void
test_tombstone(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	Tessera__Record *r = NULL;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	const char *why = NULL;

	/* A tombstone carries nothing but who, what and when. */
	recordfix_draft_init(&d, fx->a);
	d.r.has_deleted = 1;
	d.r.deleted = 1;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), -EINVAL);
	recordfix_sign_raw(fx->a, &d.r, &body, &len, sig);
	recordfix_open_fails(body, len, sig, -EINVAL);
	free(body);

	/* Texts only, tags only, links only. */
	d.r.n_tags = d.r.n_links = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.r.n_texts = 0;
	d.r.n_tags = 1;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.r.n_tags = 0;
	d.r.n_links = 1;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);

	/* Empty: valid, and it round-trips. */
	d.r.n_links = 0;
	assert_int_equal(record_validate(&d.r, NULL), 0);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	assert_int_equal(record_open(body, len, sig, TESS_SIG_LEN, &r, &why), 0);
	assert_true(r->deleted);
	assert_int_equal(r->n_texts, 0);
	record_free(r);
	free(body);
}

static void
test_size_limits(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	uint8_t *body = NULL, sig[TESS_SIG_LEN] = { 0 };
	Tessera__Record *r = NULL;
	size_t len;
	char *big1, *big2;
	const char *why = NULL;

	/* record_open refuses an oversized body before decoding it. */
	body = calloc(1, TESS_MAX_RECORD + 1);
	assert_non_null(body);
	why = recordfix_open_fails(body, TESS_MAX_RECORD + 1, sig, -EMSGSIZE);
	free(body);
	body = NULL;

	/* A body within the size limit that would decode into 32k empty texts
	 * is refused before decoding (a protobuf bomb). */
	body = malloc(TESS_MAX_RECORD);
	assert_non_null(body);
	for (size_t i = 0; i < TESS_MAX_RECORD; i += 2) {
		body[i] = 0x42;      /* Record.texts */
		body[i + 1] = 0x00;  /* empty */
	}
	why = recordfix_open_fails(body, TESS_MAX_RECORD, sig, -EMSGSIZE);
	assert_string_equal(why, "record with too many fields");
	free(body);
	body = NULL;

	/* Two fields at their own limit make a record over the record limit. */
	big1 = malloc(TESS_MAX_FIELD + 1);
	big2 = malloc(TESS_MAX_FIELD + 1);
	assert_non_null(big1);
	assert_non_null(big2);
	memset(big1, 'a', TESS_MAX_FIELD);
	memset(big2, 'b', TESS_MAX_FIELD);
	big1[TESS_MAX_FIELD] = big2[TESS_MAX_FIELD] = '\0';
	recordfix_draft_small(&d, fx->a);
	d.text[0].summary = big1;
	d.text[0].body = big2;
	assert_int_equal(record_validate(&d.r, NULL), 0);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), -EMSGSIZE);
	assert_null(body);

	/* One byte over a field limit is invalid. */
	d.text[0].body = NULL;
	{
		char *over = malloc(TESS_MAX_FIELD + 2);

		assert_non_null(over);
		memset(over, 'c', TESS_MAX_FIELD + 1);
		over[TESS_MAX_FIELD + 1] = '\0';
		d.text[0].summary = over;
		assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
		free(over);
	}

	/* A record of exactly TESS_MAX_RECORD bytes seals and opens. */
	d.text[0].summary = big1;
	d.text[0].body = big2;
	{
		size_t n = tessera__record__get_packed_size(&d.r), bl = TESS_MAX_FIELD;

		/* Shrink the body until the whole record fits exactly. */
		while (n > TESS_MAX_RECORD) {
			bl -= n - TESS_MAX_RECORD;
			big2[bl] = '\0';
			n = tessera__record__get_packed_size(&d.r);
		}
		while (n < TESS_MAX_RECORD) {
			big2[bl++] = 'b';
			big2[bl] = '\0';
			n = tessera__record__get_packed_size(&d.r);
		}
		assert_int_equal(n, TESS_MAX_RECORD);
	}
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	assert_int_equal(len, TESS_MAX_RECORD);
	assert_int_equal(record_open(body, len, sig, TESS_SIG_LEN, &r, &why), 0);
	record_free(r);
	free(body);
	free(big1);
	free(big2);
}

static void
test_invalid_utf8(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	static const char *bad[] = {
		"Comunit\xc3",              /* truncated */
		"\xc0\x80",                 /* overlong */
		"\xed\xa0\x80",             /* surrogate */
		"\xf4\x90\x80\x80",         /* past U+10FFFF */
		"k\x80z",                   /* lone continuation */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		recordfix_draft_init(&d, fx->a);
		d.text[1].title = (char *)bad[i];
		assert_int_equal(record_validate(&d.r, &why), -EINVAL);
		assert_non_null(why);
		body = NULL;
		assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), -EINVAL);
		assert_null(body);
		recordfix_sign_raw(fx->a, &d.r, &body, &len, sig);
		recordfix_open_fails(body, len, sig, -EINVAL);
		free(body);
	}
	/* In a tag, a summary, a link, a language. */
	recordfix_draft_init(&d, fx->a);
	d.tags[0] = "\xff";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	recordfix_draft_init(&d, fx->a);
	d.text[0].summary = "\xe2\x82";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	recordfix_draft_init(&d, fx->a);
	d.link.title = "\xc1\xbf";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	recordfix_draft_init(&d, fx->a);
	d.text[2].lang = "r\xc3";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
}

static void
test_future_kind(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	Tessera__Record *r = NULL;
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len;
	const char *why = NULL;

	recordfix_draft_init(&d, fx->a);
	d.r.kind = (Tessera__Kind)9;
	assert_int_equal(record_validate(&d.r, &why), 0);
	assert_false(record_kind_known(9));
	assert_string_equal(record_kind_name(9), "unknown");
	/* Nodes forward kinds newer than they are: sealing and opening keep it. */
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	assert_int_equal(record_open(body, len, sig, TESS_SIG_LEN, &r, &why), 0);
	assert_int_equal((int)r->kind, 9);
	record_free(r);
	free(body);

	assert_false(record_kind_known(0));
	assert_true(record_kind_known(TESSERA__KIND__KIND_PROFILE));
	assert_true(record_kind_known(TESSERA__KIND__KIND_INITIATIVE));
	assert_true(record_kind_known(TESSERA__KIND__KIND_RESOURCE));
	assert_true(record_kind_known(TESSERA__KIND__KIND_ADOPTION));
	assert_false(record_kind_known(5));
	assert_false(record_kind_known(-1));
	assert_string_equal(record_kind_name(TESSERA__KIND__KIND_INITIATIVE), "initiative");
	assert_string_equal(record_kind_name(-3), "unknown");
	assert_int_equal(record_kind_parse("resource"), TESSERA__KIND__KIND_RESOURCE);
	assert_int_equal(record_kind_parse("Profile"), TESSERA__KIND__KIND_PROFILE);
	assert_int_equal(record_kind_parse("INITIATIVE"), TESSERA__KIND__KIND_INITIATIVE);
	assert_int_equal(record_kind_parse("unspecified"), -EINVAL);
	assert_int_equal(record_kind_parse("adoption"), TESSERA__KIND__KIND_ADOPTION);
	assert_int_equal(record_kind_parse("frobnication"), -EINVAL);
	assert_int_equal(record_kind_parse(""), -EINVAL);

	/* Kind 0 or absent is not a kind. */
	d.r.kind = TESSERA__KIND__KIND_UNSPECIFIED;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.r.kind = TESSERA__KIND__KIND_RESOURCE;
	d.r.has_kind = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
}

/* An adoption names its source by id and author; nothing else has one. */
static void
test_adoption(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	Tessera__Adoption a = TESSERA__ADOPTION__INIT;
	uint8_t src[TESS_ID_LEN] = { 7 };
	const char *why = NULL;

	recordfix_draft_init(&d, fx->a);
	d.r.kind = TESSERA__KIND__KIND_ADOPTION;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_string_equal(why, "adoption record without its source");
	a.has_source_id = a.has_source_author = 1;
	a.source_id = (ProtobufCBinaryData){ TESS_ID_LEN, src };
	a.source_author = (ProtobufCBinaryData){ TESS_KEY_LEN, fx->b->pub };
	d.r.adoption = &a;
	assert_int_equal(record_validate(&d.r, &why), 0);
	/* An unknown status is kept for a newer version to read. */
	a.has_status = 1;
	a.status = (Tessera__Adoption__Status)7;
	assert_int_equal(record_validate(&d.r, &why), 0);
	assert_string_equal(record_status_name(7), "unknown");
	a.started = "2024-02-29";
	a.ended = "2025-12-31";
	assert_int_equal(record_validate(&d.r, &why), 0);
	for (const char *const *bad = (const char *const[]){ "2023-02-29", "2024-13-01",
		 "2024-1-01", "24-01-01x", "2024-04-31", "", NULL }; *bad; bad++) {
		a.started = (char *)*bad;
		assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	}
	a.started = NULL;
	a.source_author.len = 31;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	a.source_author.len = TESS_KEY_LEN;
	a.has_via = 1;
	a.via = (ProtobufCBinaryData){ 3, src };
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	a.has_via = 0;
	memcpy(src, d.id, TESS_ID_LEN);
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_string_equal(why, "adoption of itself");
	src[0] ^= 1;
	d.r.kind = TESSERA__KIND__KIND_RESOURCE;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_string_equal(why, "adoption fields in a record that is no adoption");
	/* A newer kind may have no title at all; a known one may not. */
	d.r.adoption = NULL;
	d.r.n_texts = 0;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	d.r.kind = (Tessera__Kind)9;
	assert_int_equal(record_validate(&d.r, &why), 0);
	assert_int_equal(record_status_parse("Running"), TESSERA__ADOPTION__STATUS__RUNNING);
	assert_int_equal(record_status_parse("paused"), -EINVAL);
}

static void
test_validate_structure(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	char tag[130], *many[TESS_MAX_TAGS + 1];

	recordfix_draft_init(&d, fx->a);
	assert_int_equal(record_validate(&d.r, NULL), 0);
	d.r.version = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.r.version = (uint64_t)INT64_MAX + 1;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	recordfix_draft_init(&d, fx->a);
	d.r.has_timestamp = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	recordfix_draft_init(&d, fx->a);
	d.r.author.len = TESS_KEY_LEN - 1;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	recordfix_draft_init(&d, fx->a);
	d.r.has_nonce = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);

	/* A title is needed in some language. */
	recordfix_draft_init(&d, fx->a);
	d.text[0].title = d.text[1].title = d.text[2].title = NULL;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.text[2].title = "";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.text[2].title = "Титул";
	assert_int_equal(record_validate(&d.r, NULL), 0);

	/* Languages: present, short, distinct. */
	recordfix_draft_init(&d, fx->a);
	d.text[1].lang = "ro";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.text[1].lang = "";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.text[1].lang = NULL;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.text[1].lang = "abcdefghijklmnopqrstuvwxyzabcdefghij";    /* 36 */
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.text[1].lang = "abcdefghijklmnopqrstuvwxyzabcdefghi";     /* 35 */
	assert_int_equal(record_validate(&d.r, NULL), 0);

	/* Tags: non-empty, at most 128 bytes, at most TESS_MAX_TAGS. */
	recordfix_draft_init(&d, fx->a);
	memset(tag, 't', 129);
	tag[129] = '\0';
	d.tags[1] = tag;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	tag[128] = '\0';
	assert_int_equal(record_validate(&d.r, NULL), 0);
	d.tags[1] = "";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	for (size_t i = 0; i <= TESS_MAX_TAGS; i++)
		many[i] = "t";
	d.r.tags = many;
	d.r.n_tags = TESS_MAX_TAGS;
	assert_int_equal(record_validate(&d.r, NULL), 0);
	d.r.n_tags = TESS_MAX_TAGS + 1;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);

	/* At most TESS_MAX_TEXTS languages, TESS_MAX_LINKS links, short titles. */
	{
		Tessera__Text t[TESS_MAX_TEXTS + 1], *tp[TESS_MAX_TEXTS + 1];
		Tessera__Link *lp[TESS_MAX_LINKS + 1];
		char lang[TESS_MAX_TEXTS + 1][8], title[TESS_MAX_SHORT + 2];

		recordfix_draft_init(&d, fx->a);
		for (int i = 0; i <= TESS_MAX_TEXTS; i++) {
			tessera__text__init(&t[i]);
			snprintf(lang[i], sizeof(lang[i]), "x%d", i);
			t[i].lang = lang[i];
			t[i].title = "Titlu";
			tp[i] = &t[i];
		}
		d.r.texts = tp;
		d.r.n_texts = TESS_MAX_TEXTS;
		assert_int_equal(record_validate(&d.r, NULL), 0);
		d.r.n_texts = TESS_MAX_TEXTS + 1;
		assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
		d.r.n_texts = 1;
		memset(title, 'T', TESS_MAX_SHORT + 1);
		title[TESS_MAX_SHORT + 1] = '\0';
		t[0].title = title;
		assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
		title[TESS_MAX_SHORT] = '\0';
		assert_int_equal(record_validate(&d.r, NULL), 0);

		recordfix_draft_init(&d, fx->a);
		for (int i = 0; i <= TESS_MAX_LINKS; i++)
			lp[i] = &d.link;
		d.r.links = lp;
		d.r.n_links = TESS_MAX_LINKS;
		assert_int_equal(record_validate(&d.r, NULL), 0);
		d.r.n_links = TESS_MAX_LINKS + 1;
		assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	}

	/* Links need a URL. */
	recordfix_draft_init(&d, fx->a);
	d.link.url = NULL;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.link.url = "";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);

	/* Profiles: only on profile records, and profile records need one. */
	recordfix_draft_init(&d, fx->a);
	tessera__profile__init(&d.profile);
	d.profile.name = "Nagykovácsi";
	d.profile.country = "HU";
	d.langs[0] = "hu";
	d.langs[1] = "en";
	d.profile.languages = d.langs;
	d.profile.n_languages = 2;
	d.r.profile = &d.profile;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.r.kind = TESSERA__KIND__KIND_PROFILE;
	assert_int_equal(record_validate(&d.r, NULL), 0);
	d.profile.name = NULL;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.profile.name = "Nagykovácsi";
	d.r.profile = NULL;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	/* A profile record may go without a title. */
	d.r.profile = &d.profile;
	d.text[0].title = d.text[1].title = d.text[2].title = NULL;
	assert_int_equal(record_validate(&d.r, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_not_bound),
		cmocka_unit_test(test_tombstone),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_future_kind),
		cmocka_unit_test(test_adoption),
		cmocka_unit_test(test_validate_structure),
	};

	return cmocka_run_group_tests(tests, recordfix_group_setup,
	    recordfix_group_teardown);
}
