/* Identity and records: key files, signing, sealing, opening, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "nodeid.h"
#include "record.h"
#include "util.h"

#define SIG_CONTEXT "tessera-record-v1"

struct fixture {
	char dir_a[64], dir_b[64];
	struct identity *a, *b;
};

/* A record under construction, with storage for everything it points to. */
struct draft {
	Tessera__Record r;
	Tessera__Text text[3], *texts[3];
	Tessera__Link link, *links[1];
	Tessera__Profile profile;
	char *tags[2];
	char *langs[2];
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN];
};

static void
make_dir(char *dir, size_t sz)
{
	assert_int_equal(testdir_make(dir, sz, "test_record"), 0);
}

static void
remove_dir(const char *dir)
{
	assert_int_equal(testdir_remove(dir), 0);
}

static int
group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *cause = NULL;

	if (fx == NULL)
		return -1;
	make_dir(fx->dir_a, sizeof(fx->dir_a));
	make_dir(fx->dir_b, sizeof(fx->dir_b));
	if (identity_create(fx->dir_a, &fx->a, &cause) != 0 ||
	    identity_create(fx->dir_b, &fx->b, &cause) != 0) {
		fprintf(stderr, "identity_create: %s\n", cause);
		free(cause);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *fx = *state;

	identity_free(fx->a);
	identity_free(fx->b);
	remove_dir(fx->dir_a);
	remove_dir(fx->dir_b);
	free(fx);
	return 0;
}

/* A valid resource by me, in Romanian and Hungarian, with tags and a link. */
static void
draft_init(struct draft *d, const struct identity *me)
{
	memset(d, 0, sizeof(*d));
	tessera__record__init(&d->r);
	assert_int_equal(record_new_id(me->pub, d->nonce, d->id), 0);
	d->r.has_id = d->r.has_nonce = d->r.has_author = 1;
	d->r.id = (ProtobufCBinaryData){ TESS_ID_LEN, d->id };
	d->r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, d->nonce };
	d->r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me->pub };
	d->r.has_version = d->r.has_timestamp = d->r.has_kind = 1;
	d->r.version = 1700000000000000ULL;
	d->r.timestamp = 1700000000000LL;
	d->r.kind = TESSERA__KIND__KIND_RESOURCE;
	for (int i = 0; i < 3; i++) {
		tessera__text__init(&d->text[i]);
		d->texts[i] = &d->text[i];
	}
	d->text[0].lang = "ro";
	d->text[0].title = "Ghidul comunității de învățare";
	d->text[0].summary = "Să devii o comunitate de învățare – știință și țară.";
	d->text[1].lang = "hu";
	d->text[1].title = "Tanulói közösség";
	d->text[1].body = "Őszintén, hűséggel: közösségi együttműködés.";
	d->text[2].lang = "ru";
	d->text[2].title = "Обучающееся сообщество";
	d->r.n_texts = 3;
	d->r.texts = d->texts;
	d->tags[0] = "guide";
	d->tags[1] = "learning-community";
	d->r.n_tags = 2;
	d->r.tags = d->tags;
	tessera__link__init(&d->link);
	d->link.url = "http://www.learningcommunities.eu";
	d->link.title = "learningcommunities.eu";
	d->links[0] = &d->link;
	d->r.n_links = 1;
	d->r.links = d->links;
}

/* The smallest valid record: one text with a title. */
static void
draft_small(struct draft *d, const struct identity *me)
{
	draft_init(d, me);
	d->text[0].title = "Ș";
	d->text[0].summary = NULL;
	d->r.n_texts = 1;
	d->r.n_tags = 0;
	d->r.n_links = 0;
}

/* Packs and signs r without validating it, as a hostile author would. */
static void
sign_raw(const struct identity *me, const Tessera__Record *r, uint8_t **body, size_t *len,
    uint8_t sig[TESS_SIG_LEN])
{
	size_t n = tessera__record__get_packed_size(r), ctx = sizeof(SIG_CONTEXT) - 1;
	uint8_t *buf = malloc(n + 1), *msg = malloc(ctx + n + 1);

	assert_non_null(buf);
	assert_non_null(msg);
	assert_int_equal(tessera__record__pack(r, buf), n);
	memcpy(msg, SIG_CONTEXT, ctx);
	memcpy(msg + ctx, buf, n);
	assert_int_equal(identity_sign(me, msg, ctx + n, sig), 0);
	free(msg);
	*body = buf;
	*len = n;
}

/* Expects record_open to refuse body/sig with rc; returns why. */
static const char *
open_fails(const uint8_t *body, size_t len, const uint8_t *sig, int want)
{
	Tessera__Record *out = NULL;
	const char *why = NULL;
	int rc = record_open(body, len, sig, TESS_SIG_LEN, &out, &why);

	if (rc == 0) {
		record_free(out);
		fail_msg("record_open accepted a bad record");
	}
	if (want != 0)
		assert_int_equal(rc, want);
	assert_null(out);
	assert_non_null(why);
	return why;
}

static void
test_identity_files(void **state)
{
	struct identity *id = NULL, *again = NULL, *loaded = NULL;
	char dir[64], path[PATH_MAX], *cause = NULL;
	uint8_t key[TESS_KEY_LEN], certpub[TESS_KEY_LEN];
	struct stat sb;
	mode_t old;
	FILE *f;
	char before[4096], after[4096];
	size_t nb, na;

	make_dir(dir, sizeof(dir));
	/* Even with a permissive umask the private key is 0600. */
	old = umask(0);
	assert_int_equal(identity_create(dir, &id, &cause), 0);
	umask(old);
	assert_null(cause);
	assert_non_null(id);
	snprintf(path, sizeof(path), "%s/%s", dir, IDENTITY_KEY_FILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	nb = fread(before, 1, sizeof(before), f);
	fclose(f);
	assert_true(nb > 0);
	snprintf(path, sizeof(path), "%s/%s", dir, IDENTITY_CERT_FILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);    /* the certificate is public */

	/* The ID is the public key's text form; the certificate carries the key. */
	assert_int_equal(strlen(id->id), NODEID_STRLEN);
	assert_int_equal(nodeid_decode(id->id, key, NULL), 0);
	assert_memory_equal(key, id->pub, TESS_KEY_LEN);
	assert_int_equal(identity_cert_pubkey(id->cert, certpub), 0);
	assert_memory_equal(certpub, id->pub, TESS_KEY_LEN);

	/* Load round trip. */
	assert_int_equal(identity_load(dir, &loaded, &cause), 0);
	assert_null(cause);
	assert_memory_equal(loaded->pub, id->pub, TESS_KEY_LEN);
	assert_string_equal(loaded->id, id->id);
	{
		uint8_t sig[TESS_SIG_LEN];

		assert_int_equal(identity_sign(loaded, "hello", 5, sig), 0);
		assert_int_equal(identity_verify(id->pub, "hello", 5, sig), 0);
	}

	/* Creating over an existing identity fails and keeps the old key. */
	assert_true(identity_create(dir, &again, &cause) < 0);
	assert_null(again);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, IDENTITY_KEY_FILE);
	f = fopen(path, "r");
	assert_non_null(f);
	na = fread(after, 1, sizeof(after), f);
	fclose(f);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	identity_free(loaded);
	loaded = NULL;
	assert_int_equal(identity_load(dir, &loaded, &cause), 0);
	assert_memory_equal(loaded->pub, id->pub, TESS_KEY_LEN);
	identity_free(loaded);

	/* A half-made identity (certificate without key) is not completed over:
	 * the new key file does not stay behind. */
	snprintf(path, sizeof(path), "%s/%s", dir, IDENTITY_KEY_FILE);
	assert_int_equal(unlink(path), 0);
	assert_true(identity_create(dir, &again, &cause) < 0);
	assert_null(again);
	free(cause);
	cause = NULL;
	assert_int_equal(access(path, F_OK), -1);
	identity_free(id);
	identity_free(NULL);
	remove_dir(dir);
}

static void
test_identity_load_errors(void **state)
{
	struct fixture *fx = *state;
	struct identity *id = NULL;
	char dir[64], src[PATH_MAX], dst[PATH_MAX], *cause = NULL;
	FILE *in, *out;
	char buf[4096];
	size_t n;

	/* Empty directory. */
	make_dir(dir, sizeof(dir));
	assert_true(identity_load(dir, &id, &cause) < 0);
	assert_null(id);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	/* A's key with B's certificate. */
	snprintf(src, sizeof(src), "%s/%s", fx->dir_a, IDENTITY_KEY_FILE);
	snprintf(dst, sizeof(dst), "%s/%s", dir, IDENTITY_KEY_FILE);
	in = fopen(src, "r");
	out = fopen(dst, "w");
	assert_non_null(in);
	assert_non_null(out);
	n = fread(buf, 1, sizeof(buf), in);
	assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	assert_true(identity_load(dir, &id, &cause) < 0);   /* no certificate */
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	snprintf(src, sizeof(src), "%s/%s", fx->dir_b, IDENTITY_CERT_FILE);
	snprintf(dst, sizeof(dst), "%s/%s", dir, IDENTITY_CERT_FILE);
	in = fopen(src, "r");
	out = fopen(dst, "w");
	assert_non_null(in);
	assert_non_null(out);
	n = fread(buf, 1, sizeof(buf), in);
	assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	assert_int_equal(identity_load(dir, &id, &cause), -EINVAL);
	assert_null(id);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	/* A key of another type. */
	{
		EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		assert_non_null(ec);
		snprintf(dst, sizeof(dst), "%s/%s", dir, IDENTITY_KEY_FILE);
		out = fopen(dst, "w");
		assert_non_null(out);
		assert_int_equal(PEM_write_PrivateKey(out, ec, NULL, NULL, 0, NULL, NULL), 1);
		fclose(out);
		EVP_PKEY_free(ec);
		assert_int_equal(identity_load(dir, &id, &cause), -EINVAL);
		assert_null(id);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}

	/* A key file that is not a key. */
	snprintf(dst, sizeof(dst), "%s/%s", dir, IDENTITY_KEY_FILE);
	out = fopen(dst, "w");
	assert_non_null(out);
	fputs("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n", out);
	fclose(out);
	assert_int_equal(identity_load(dir, &id, &cause), -EINVAL);
	assert_null(id);
	free(cause);
	remove_dir(dir);
}

static void
test_sign_verify(void **state)
{
	struct fixture *fx = *state;
	uint8_t sig[TESS_SIG_LEN];
	const char msg[] = "Comunitatea de învățare";

	assert_int_equal(identity_sign(fx->a, msg, sizeof(msg), sig), 0);
	assert_int_equal(identity_verify(fx->a->pub, msg, sizeof(msg), sig), 0);
	assert_int_equal(identity_verify(fx->b->pub, msg, sizeof(msg), sig), -EBADMSG);
	assert_int_equal(identity_verify(fx->a->pub, msg, sizeof(msg) - 1, sig), -EBADMSG);
	sig[0] ^= 1;
	assert_int_equal(identity_verify(fx->a->pub, msg, sizeof(msg), sig), -EBADMSG);
	/* An empty message can be signed too. */
	assert_int_equal(identity_sign(fx->a, "", 0, sig), 0);
	assert_int_equal(identity_verify(fx->a->pub, "", 0, sig), 0);
}

static void
test_seal_open(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	Tessera__Record *r = NULL;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	const char *why = NULL;
	size_t len = 0;

	draft_init(&d, fx->a);
	assert_int_equal(record_validate(&d.r, &why), 0);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	assert_non_null(body);
	assert_true(len > 0 && len <= TESS_MAX_RECORD);
	assert_int_equal(record_verify_sig(fx->a->pub, body, len, sig), 0);
	assert_int_equal(record_verify_sig(fx->b->pub, body, len, sig), -EBADMSG);
	assert_int_equal(record_open(body, len, sig, TESS_SIG_LEN, &r, &why), 0);
	assert_non_null(r);
	assert_memory_equal(r->id.data, d.id, TESS_ID_LEN);
	assert_memory_equal(r->nonce.data, d.nonce, TESS_NONCE_LEN);
	assert_memory_equal(r->author.data, fx->a->pub, TESS_KEY_LEN);
	assert_true(r->version == d.r.version);
	assert_true(r->timestamp == d.r.timestamp);
	assert_int_equal(r->kind, TESSERA__KIND__KIND_RESOURCE);
	assert_false(r->deleted);
	assert_int_equal(r->n_texts, 3);
	assert_string_equal(r->texts[0]->title, "Ghidul comunității de învățare");
	assert_string_equal(r->texts[1]->body, "Őszintén, hűséggel: közösségi együttműködés.");
	assert_string_equal(r->texts[2]->title, "Обучающееся сообщество");
	assert_int_equal(r->n_tags, 2);
	assert_string_equal(r->tags[1], "learning-community");
	assert_int_equal(r->n_links, 1);
	assert_string_equal(r->links[0]->url, "http://www.learningcommunities.eu");
	/* record_text picks a language, or falls back to the first. */
	assert_string_equal(record_text(r, "hu")->lang, "hu");
	assert_string_equal(record_text(r, "ru")->lang, "ru");
	assert_string_equal(record_text(r, "de")->lang, "ro");
	assert_string_equal(record_text(r, NULL)->lang, "ro");
	record_free(r);
	record_free(NULL);

	/* A wrong signature length or a missing signature. */
	r = NULL;
	assert_int_equal(record_open(body, len, sig, TESS_SIG_LEN - 1, &r, &why), -EBADMSG);
	assert_int_equal(record_open(body, len, NULL, 0, &r, &why), -EBADMSG);
	assert_null(r);
	free(body);
}

static void
test_body_bit_flips(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len, flips = 0;

	draft_small(&d, fx->a);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	assert_true(len < 200);
	for (size_t bit = 0; bit < len * 8; bit++) {
		body[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		open_fails(body, len, sig, 0);
		body[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		flips++;
	}
	assert_int_equal(flips, len * 8);
	/* Truncations and an extension fail too. */
	for (size_t n = 0; n < len; n++)
		open_fails(body, n, sig, 0);
	{
		uint8_t *longer = malloc(len + 2);

		assert_non_null(longer);
		memcpy(longer, body, len);
		longer[len] = 0x78;     /* unknown field 15, varint 1: decodes fine */
		longer[len + 1] = 0x01;
		open_fails(longer, len + 2, sig, -EBADMSG);
		free(longer);
	}
	/* Untouched, it still opens. */
	{
		Tessera__Record *r = NULL;

		assert_int_equal(record_open(body, len, sig, TESS_SIG_LEN, &r, NULL), 0);
		record_free(r);
	}
	free(body);
}

static void
test_sig_bit_flips(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len;

	draft_small(&d, fx->a);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	for (size_t bit = 0; bit < TESS_SIG_LEN * 8; bit++) {
		const char *why;

		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		why = open_fails(body, len, sig, -EBADMSG);
		assert_string_equal(why, "bad signature");
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	{
		uint8_t zero[TESS_SIG_LEN] = { 0 };

		open_fails(body, len, zero, -EBADMSG);
	}
	free(body);
}

static void
test_wrong_signer(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	const char *why;

	/* A record claiming author A, signed by B. */
	draft_init(&d, fx->a);
	assert_int_equal(record_seal(fx->b, &d.r, &body, &len, sig), -EINVAL);
	assert_null(body);
	sign_raw(fx->b, &d.r, &body, &len, sig);
	why = open_fails(body, len, sig, -EBADMSG);
	assert_string_equal(why, "bad signature");
	free(body);

	/* A's genuine body with B's signature over it. */
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	{
		uint8_t *msg = malloc(sizeof(SIG_CONTEXT) - 1 + len);

		assert_non_null(msg);
		memcpy(msg, SIG_CONTEXT, sizeof(SIG_CONTEXT) - 1);
		memcpy(msg + sizeof(SIG_CONTEXT) - 1, body, len);
		assert_int_equal(identity_sign(fx->b, msg, sizeof(SIG_CONTEXT) - 1 + len, sig), 0);
		free(msg);
	}
	open_fails(body, len, sig, -EBADMSG);
	/* A signature without the context string does not verify either. */
	assert_int_equal(identity_sign(fx->a, body, len, sig), 0);
	open_fails(body, len, sig, -EBADMSG);
	free(body);
}

static void
test_id_not_bound(void **state)
{
	struct fixture *fx = *state;
	struct draft d, other;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	const char *why = NULL;

	/* A random id. */
	draft_init(&d, fx->a);
	d.id[0] ^= 0x80;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), -EINVAL);
	assert_null(body);
	sign_raw(fx->a, &d.r, &body, &len, sig);
	open_fails(body, len, sig, -EINVAL);
	free(body);

	/* B's record id and nonce claimed by A: the id is bound to B. */
	draft_init(&other, fx->b);
	draft_init(&d, fx->a);
	memcpy(d.id, other.id, TESS_ID_LEN);
	memcpy(d.nonce, other.nonce, TESS_NONCE_LEN);
	why = NULL;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_non_null(why);
	sign_raw(fx->a, &d.r, &body, &len, sig);
	open_fails(body, len, sig, -EINVAL);
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
	struct fixture *fx = *state;
	struct draft d;
	Tessera__Record *r = NULL;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	const char *why = NULL;

	/* A tombstone carries nothing but who, what and when. */
	draft_init(&d, fx->a);
	d.r.has_deleted = 1;
	d.r.deleted = 1;
	assert_int_equal(record_validate(&d.r, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), -EINVAL);
	sign_raw(fx->a, &d.r, &body, &len, sig);
	open_fails(body, len, sig, -EINVAL);
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
	struct fixture *fx = *state;
	struct draft d;
	uint8_t *body = NULL, sig[TESS_SIG_LEN] = { 0 };
	Tessera__Record *r = NULL;
	size_t len;
	char *big1, *big2;
	const char *why = NULL;

	/* record_open refuses an oversized body before decoding it. */
	body = calloc(1, TESS_MAX_RECORD + 1);
	assert_non_null(body);
	why = open_fails(body, TESS_MAX_RECORD + 1, sig, -EMSGSIZE);
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
	draft_small(&d, fx->a);
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
	struct fixture *fx = *state;
	struct draft d;
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

		draft_init(&d, fx->a);
		d.text[1].title = (char *)bad[i];
		assert_int_equal(record_validate(&d.r, &why), -EINVAL);
		assert_non_null(why);
		body = NULL;
		assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), -EINVAL);
		assert_null(body);
		sign_raw(fx->a, &d.r, &body, &len, sig);
		open_fails(body, len, sig, -EINVAL);
		free(body);
	}
	/* In a tag, a summary, a link, a language. */
	draft_init(&d, fx->a);
	d.tags[0] = "\xff";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	draft_init(&d, fx->a);
	d.text[0].summary = "\xe2\x82";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	draft_init(&d, fx->a);
	d.link.title = "\xc1\xbf";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	draft_init(&d, fx->a);
	d.text[2].lang = "r\xc3";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
}

static void
test_future_kind(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	Tessera__Record *r = NULL;
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len;
	const char *why = NULL;

	draft_init(&d, fx->a);
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
	assert_false(record_kind_known(4));
	assert_false(record_kind_known(-1));
	assert_string_equal(record_kind_name(TESSERA__KIND__KIND_INITIATIVE), "initiative");
	assert_string_equal(record_kind_name(-3), "unknown");
	assert_int_equal(record_kind_parse("resource"), TESSERA__KIND__KIND_RESOURCE);
	assert_int_equal(record_kind_parse("Profile"), TESSERA__KIND__KIND_PROFILE);
	assert_int_equal(record_kind_parse("INITIATIVE"), TESSERA__KIND__KIND_INITIATIVE);
	assert_int_equal(record_kind_parse("unspecified"), -EINVAL);
	assert_int_equal(record_kind_parse("adoption"), -EINVAL);
	assert_int_equal(record_kind_parse(""), -EINVAL);

	/* Kind 0 or absent is not a kind. */
	d.r.kind = TESSERA__KIND__KIND_UNSPECIFIED;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.r.kind = TESSERA__KIND__KIND_RESOURCE;
	d.r.has_kind = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
}

static void
test_validate_structure(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	char tag[130], *many[TESS_MAX_TAGS + 1];

	draft_init(&d, fx->a);
	assert_int_equal(record_validate(&d.r, NULL), 0);
	d.r.version = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.r.version = (uint64_t)INT64_MAX + 1;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	draft_init(&d, fx->a);
	d.r.has_timestamp = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	draft_init(&d, fx->a);
	d.r.author.len = TESS_KEY_LEN - 1;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	draft_init(&d, fx->a);
	d.r.has_nonce = 0;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);

	/* A title is needed in some language. */
	draft_init(&d, fx->a);
	d.text[0].title = d.text[1].title = d.text[2].title = NULL;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.text[2].title = "";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.text[2].title = "Титул";
	assert_int_equal(record_validate(&d.r, NULL), 0);

	/* Languages: present, short, distinct. */
	draft_init(&d, fx->a);
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
	draft_init(&d, fx->a);
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

		draft_init(&d, fx->a);
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

		draft_init(&d, fx->a);
		for (int i = 0; i <= TESS_MAX_LINKS; i++)
			lp[i] = &d.link;
		d.r.links = lp;
		d.r.n_links = TESS_MAX_LINKS;
		assert_int_equal(record_validate(&d.r, NULL), 0);
		d.r.n_links = TESS_MAX_LINKS + 1;
		assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	}

	/* Links need a URL. */
	draft_init(&d, fx->a);
	d.link.url = NULL;
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);
	d.link.url = "";
	assert_int_equal(record_validate(&d.r, NULL), -EINVAL);

	/* Profiles: only on profile records, and profile records need one. */
	draft_init(&d, fx->a);
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
		cmocka_unit_test(test_identity_files),
		cmocka_unit_test(test_identity_load_errors),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_body_bit_flips),
		cmocka_unit_test(test_sig_bit_flips),
		cmocka_unit_test(test_wrong_signer),
		cmocka_unit_test(test_id_not_bound),
		cmocka_unit_test(test_tombstone),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_future_kind),
		cmocka_unit_test(test_validate_structure),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
