/* JSON Lines import parsing and record views as JSON (client/jsonl.c,
 * client/recjson.c, client/b64.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jsonl.h"
#include "recjson.h"
#include "core/tessera.h"

/* Parses s expecting failure; returns the cause for further checks. */
static char *
parse_fails(const char *s)
{
	Tessera__ImportItem *item = NULL;
	char *cause = NULL;

	assert_int_equal(jsonl_parse(s, strlen(s), 1, &item, &cause), -EINVAL);
	assert_null(item);
	assert_non_null(cause);
	return cause;
}

static Tessera__ImportItem *
parse_ok(const char *s, uint32_t line)
{
	Tessera__ImportItem *item = NULL;
	char *cause = NULL;
	int rc = jsonl_parse(s, strlen(s), line, &item, &cause);

	if (rc != 0)
		fail_msg("line %u: %s", line, cause);
	assert_non_null(item);
	assert_null(cause);
	return item;
}

static void
test_demo_data(void **state)
{
	DIR *d = opendir(TESSERA_DATA_DIR);
	struct dirent *e;
	size_t files = 0, records = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[4096], *line = NULL, *cause = NULL;
		size_t cap = 0, n = strlen(e->d_name);
		uint32_t lineno = 0;
		ssize_t len;
		FILE *fp;

		if (n < 6 || strcmp(e->d_name + n - 6, ".jsonl") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", TESSERA_DATA_DIR, e->d_name);
		fp = fopen(path, "r");
		assert_non_null(fp);
		files++;
		while ((len = getline(&line, &cap, fp)) >= 0) {
			Tessera__ImportItem *item = NULL;

			lineno++;
			if (jsonl_parse(line, (size_t)len, lineno, &item, &cause) != 0)
				fail_msg("%s:%u: %s", path, lineno, cause);
			if (item == NULL)
				continue;
			assert_int_equal(item->line, lineno);
			assert_non_null(item->content);
			assert_true(item->content->has_kind);
			assert_true(item->content->n_texts > 0);
			if (item->content->kind == TESSERA__KIND__KIND_PROFILE)
				assert_non_null(item->content->profile);
			else
				assert_null(item->content->profile);
			records++;
			jsonl_item_free(item);
		}
		free(line);
		fclose(fp);
	}
	closedir(d);
	assert_true(files >= 1);
	assert_true(records >= files);
}

static void
test_blank(void **state)
{
	Tessera__ImportItem *item = (void *)1;
	char *cause = NULL;

	(void)state;
	assert_int_equal(jsonl_parse(" \t\r\n", 4, 3, &item, &cause), 0);
	assert_null(item);
	assert_int_equal(jsonl_parse("", 0, 4, &item, &cause), 0);
	assert_null(item);
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"{\"kind\": \"resource\"",
		"{\"kind\": \"resource\"} trailing",
		"[1, 2]",
		"\"just a string\"",
		"{\"kind\": \"resource\", \"kind\": \"initiative\"}",       /* duplicate key */
		"{\"kind\": \"resource\", \"tags\": [\"a\\u0000b\"]}",     /* NUL */
		"{\"kind\": \"resource\", \"texts\": [{\"lang\": \"\xc3\x28\"}]}", /* bad UTF-8 */
		"{\"kind\": \"resource\", \"tags\": \"one\"}",
		"{\"kind\": \"resource\", \"tags\": [1]}",
		"{\"kind\": \"resource\", \"texts\": {}}",
		"{\"kind\": \"resource\", \"texts\": [{\"title\": 5}]}",
		"{\"kind\": \"resource\", \"texts\": [{\"tilte\": \"x\"}]}",
		"{\"kind\": \"resource\", \"links\": [{\"href\": \"x\"}]}",
		"{\"kind\": \"resource\", \"links\": [7]}",
		"{\"kind\": \"resource\", \"deleted\": \"yes\"}",
		"{\"kind\": \"resource\", \"version\": -1}",
		"{\"kind\": \"resource\", \"signed\": {\"body\": \"AAAA\"}}",
		"{\"kind\": \"resource\", \"signed\": {\"body\": \"A\", \"sig\": \"AAAA\"}}",
		"{\"kind\": \"resource\", \"signed\": {\"body\": \"AA AA\", \"sig\": \"AAAA\"}}",
		"{\"kind\": \"resource\", \"name\": \"only profiles have names\"}",
		"{\"texts\": []}",
		"{\"kind\": 2}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = parse_fails(bad[i]);

		free(cause);
	}
}

static void
test_unknown_kind(void **state)
{
	char *cause;

	(void)state;
	cause = parse_fails("{\"kind\": \"frobnication\", \"texts\": []}");
	assert_non_null(strstr(cause, "unknown kind"));
	free(cause);
	cause = parse_fails("{\"kind\": \"unspecified\"}");
	free(cause);
	/* An adoption names its source: only its signed export is imported. */
	cause = parse_fails("{\"kind\": \"adoption\", \"texts\": []}");
	assert_non_null(strstr(cause, "tessera adopt"));
	free(cause);
	cause = parse_fails("{\"kind\": \"initiative\", \"adoption\": 3}");
	assert_non_null(strstr(cause, "adoption"));
	free(cause);
}

/* A newer node's export: a kind this version does not know, signed, is
 * read (and stored as it is by the daemon). */
static void
test_unknown_kind_signed(void **state)
{
	static const char line[] = "{\"kind\": \"unknown\", \"adoption\": {},"
	    " \"signed\": {\"body\": \"CAE=\", \"sig\": \"AAAA\"}}";
	Tessera__ImportItem *item = NULL;
	char *cause = NULL;

	(void)state;
	assert_int_equal(jsonl_parse(line, strlen(line), 1, &item, &cause), 0);
	assert_non_null(item);
	assert_non_null(item->signed_);
	assert_false(item->content->has_kind);
	jsonl_item_free(item);
}

static void
test_unknown_key(void **state)
{
	char *cause;

	(void)state;
	cause = parse_fails("{\"kind\": \"initiative\", \"titel\": \"x\"}");
	assert_non_null(strstr(cause, "titel"));
	free(cause);
}

static void
test_bad_id(void **state)
{
	static const char *bad[] = {
		"{\"kind\": \"initiative\", \"id\": \"0123\"}",
		"{\"kind\": \"initiative\", \"id\": \"0123456789abcdef0123456789abcdeg\"}",
		"{\"kind\": \"initiative\", \"id\": \"0123456789abcdef0123456789abcdef00\"}",
		"{\"kind\": \"initiative\", \"id\": 12}",
	};
	Tessera__ImportItem *item;
	static const uint8_t want[TESS_ID_LEN] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
		0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = parse_fails(bad[i]);

		assert_non_null(strstr(cause, "id"));
		free(cause);
	}
	item = parse_ok("{\"kind\": \"initiative\", \"id\": \"0123456789ABCDEF0123456789abcdef\"}",
	    9);
	assert_true(item->has_id);
	assert_int_equal(item->id.len, TESS_ID_LEN);
	assert_memory_equal(item->id.data, want, TESS_ID_LEN);
	jsonl_item_free(item);
}

static void
test_base64(void **state)
{
	static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
		"Zm9vYmFy" };
	uint8_t *out, all[256];
	size_t len;
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		assert_int_equal(b64_decode(enc[i], &out, &len), 0);
		assert_int_equal(len, i);
		assert_memory_equal(out, "foobar", len);
		s = b64_encode(out, len);
		assert_string_equal(s, enc[i]);
		free(s);
		free(out);
	}
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)(255 - i);
	for (size_t n = 0; n <= sizeof(all); n += 17) {
		s = b64_encode(all, n);
		assert_int_equal(b64_decode(s, &out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, all, n);
		free(out);
		free(s);
	}
	/* Unpadded input is accepted; stray characters and bits are not. */
	assert_int_equal(b64_decode("Zg", &out, &len), 0);
	assert_int_equal(len, 1);
	free(out);
	assert_int_equal(b64_decode("Zh==", &out, &len), -EINVAL);
	assert_int_equal(b64_decode("Z===", &out, &len), -EINVAL);
	assert_int_equal(b64_decode("Zm9v\n", &out, &len), -EINVAL);
	assert_int_equal(b64_decode("Zm=v", &out, &len), -EINVAL);
	assert_int_equal(b64_decode("Z", &out, &len), -EINVAL);
}

/* A record with everything set, as the daemon would send it in a view. */
static void
build_view(Tessera__RecordView *v, Tessera__Record *r, Tessera__SignedRecord *s, int kind,
    int deleted)
{
	static uint8_t id[TESS_ID_LEN], author[TESS_KEY_LEN], nonce[TESS_NONCE_LEN];
	static uint8_t sig[TESS_SIG_LEN];
	static Tessera__Text t1 = TESSERA__TEXT__INIT, t2 = TESSERA__TEXT__INIT;
	static Tessera__Text *texts[2] = { &t1, &t2 };
	static Tessera__Link l1 = TESSERA__LINK__INIT, l2 = TESSERA__LINK__INIT;
	static Tessera__Link *links[2] = { &l1, &l2 };
	static Tessera__Profile p = TESSERA__PROFILE__INIT;
	static char *tags[] = { "guide", "közösség" }, *langs[] = { "ro", "hu" };
	size_t len;

	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(author); i++)
		author[i] = (uint8_t)(7 * i + 1);
	for (size_t i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)(3 * i);
	t1.lang = "ro";
	t1.title = "Ghidul comunității";
	t1.summary = "Rezumat";
	t1.body = "Rând unu\nRând doi \"citat\"";
	t2.lang = "ru";
	t2.title = "Руководство";
	l1.url = "http://www.learningcommunities.eu";
	l1.title = "learningcommunities.eu";
	l2.url = "https://example.org/x?a=1&b=2";
	p.name = "Comunitatea";
	p.country = "RO";
	p.languages = langs;
	p.n_languages = 2;

	tessera__record__init(r);
	r->has_id = r->has_nonce = r->has_author = r->has_version = r->has_timestamp = 1;
	r->has_kind = 1;
	r->id = (ProtobufCBinaryData){ sizeof(id), id };
	r->nonce = (ProtobufCBinaryData){ sizeof(nonce), nonce };
	r->author = (ProtobufCBinaryData){ sizeof(author), author };
	r->version = 42;
	r->timestamp = 1714566896000LL;  /* 2024-05-01T12:34:56Z */
	r->kind = (Tessera__Kind)kind;
	if (deleted) {
		r->has_deleted = r->deleted = 1;
	} else {
		r->texts = texts;
		r->n_texts = 2;
		r->tags = tags;
		r->n_tags = 2;
		r->links = links;
		r->n_links = 2;
		if (kind == TESSERA__KIND__KIND_PROFILE)
			r->profile = &p;
	}
	tessera__signed_record__init(s);
	s->has_body = s->has_sig = 1;
	len = tessera__record__get_packed_size(r);
	s->body.data = malloc(len);
	s->body.len = tessera__record__pack(r, s->body.data);
	s->sig = (ProtobufCBinaryData){ sizeof(sig), sig };
	tessera__record_view__init(v);
	v->record = r;
	v->signed_ = s;
	v->author_name = "Comunitatea de învățare";
}

static void
check_round_trip(int kind, int deleted)
{
	Tessera__RecordView v;
	Tessera__Record r;
	Tessera__SignedRecord s;
	Tessera__ImportItem *item;
	Tessera__Record *c;
	json_t *o;
	char *line;

	build_view(&v, &r, &s, kind, deleted);
	o = recjson_from_view(&v, RECJSON_EXPORT);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "updated")),
	    "2024-05-01T12:34:56Z");
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 42);
	assert_string_equal(json_string_value(json_object_get(o, "id")),
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
	assert_true(deleted ? json_is_true(json_object_get(o, "deleted")) :
	    json_object_get(o, "deleted") == NULL);
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));     /* one record, one line */

	item = parse_ok(line, 5);
	free(line);
	assert_int_equal(item->line, 5);
	assert_true(item->has_id);
	assert_memory_equal(item->id.data, r.id.data, TESS_ID_LEN);
	assert_non_null(item->signed_);
	assert_int_equal(item->signed_->body.len, s.body.len);
	assert_memory_equal(item->signed_->body.data, s.body.data, s.body.len);
	assert_int_equal(item->signed_->sig.len, TESS_SIG_LEN);
	assert_memory_equal(item->signed_->sig.data, s.sig.data, TESS_SIG_LEN);
	c = item->content;
	assert_int_equal(c->kind, kind);
	assert_int_equal(c->deleted, deleted);
	assert_int_equal(c->n_texts, r.n_texts);
	for (size_t i = 0; i < r.n_texts; i++) {
		assert_string_equal(c->texts[i]->lang, r.texts[i]->lang);
		assert_string_equal(c->texts[i]->title, r.texts[i]->title);
		if (r.texts[i]->body != NULL)
			assert_string_equal(c->texts[i]->body, r.texts[i]->body);
		else
			assert_null(c->texts[i]->body);
	}
	assert_int_equal(c->n_tags, r.n_tags);
	for (size_t i = 0; i < r.n_tags; i++)
		assert_string_equal(c->tags[i], r.tags[i]);
	assert_int_equal(c->n_links, r.n_links);
	for (size_t i = 0; i < r.n_links; i++) {
		assert_string_equal(c->links[i]->url, r.links[i]->url);
		if (r.links[i]->title != NULL)
			assert_string_equal(c->links[i]->title, r.links[i]->title);
		else
			assert_null(c->links[i]->title);
	}
	if (r.profile != NULL) {
		assert_non_null(c->profile);
		assert_string_equal(c->profile->name, r.profile->name);
		assert_string_equal(c->profile->country, r.profile->country);
		assert_int_equal(c->profile->n_languages, 2);
		assert_string_equal(c->profile->languages[1], "hu");
	} else {
		assert_null(c->profile);
	}
	jsonl_item_free(item);
	free(s.body.data);
}

static void
test_round_trip(void **state)
{
	(void)state;
	check_round_trip(TESSERA__KIND__KIND_RESOURCE, 0);
	check_round_trip(TESSERA__KIND__KIND_INITIATIVE, 0);
	check_round_trip(TESSERA__KIND__KIND_PROFILE, 0);
	check_round_trip(TESSERA__KIND__KIND_INITIATIVE, 1);
}

/* --json views: every documented key, and the signed-only fallback. */
static void
test_view_json(void **state)
{
	Tessera__RecordView v;
	Tessera__Record r;
	Tessera__SignedRecord s;
	json_t *o;

	(void)state;
	build_view(&v, &r, &s, TESSERA__KIND__KIND_RESOURCE, 0);
	v.snippet = "[comunității] de";
	v.snippet_lang = "ro";
	v.has_score = 1;
	v.score = 1.5;
	o = recjson_from_view(&v, RECJSON_SEARCH);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "resource");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "community"))), 63);
	assert_true(json_is_false(json_object_get(o, "deleted")));
	assert_string_equal(json_string_value(json_object_get(o, "lang")), "ro");
	assert_string_equal(json_string_value(json_object_get(o, "snippet")),
	    "[comunității] de");
	assert_true(json_real_value(json_object_get(o, "score")) == 1.5);
	assert_null(json_object_get(o, "signed"));
	assert_int_equal(json_array_size(json_object_get(o, "texts")), 2);
	json_decref(o);

	/* Without the decoded record, the signed body is decoded locally. */
	v.record = NULL;
	o = recjson_from_view(&v, 0);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "id")),
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
	json_decref(o);
	v.signed_ = NULL;
	assert_null(recjson_from_view(&v, 0));
	free(s.body.data);
}

/* Times round down to the second, also before 1970 and at INT64_MIN, which
 * any author may sign (it once overflowed: fuzz/regressions/record). */
static void
test_time(void **state)
{
	char buf[32];

	(void)state;
	recjson_time(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	recjson_time(-1, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	recjson_time(-1000, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	recjson_time(-1001, buf);
	assert_string_equal(buf, "1969-12-31T23:59:58Z");
	/* Far outside any calendar: a year or the bare number, never UB. */
	recjson_time(INT64_MIN, buf);
	assert_true(buf[0] == '-' && strlen(buf) > 1);
	recjson_time(INT64_MAX, buf);
	assert_true(strlen(buf) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_data),
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_unknown_kind_signed),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_id),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_view_json),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
