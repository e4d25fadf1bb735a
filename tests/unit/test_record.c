/* Identity and records: key files, signing, sealing, opening, tampering. */
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

	recordfix_make_dir(dir, sizeof(dir));
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
	recordfix_remove_dir(dir);
}

static void
test_identity_load_errors(void **state)
{
	struct recordfix *fx = *state;
	struct identity *id = NULL;
	char dir[64], src[PATH_MAX], dst[PATH_MAX], *cause = NULL;
	FILE *in, *out;
	char buf[4096];
	size_t n;

	/* Empty directory. */
	recordfix_make_dir(dir, sizeof(dir));
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
	assert_int_equal(chmod(dst, 0600), 0);
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
		assert_int_equal(chmod(dst, 0600), 0);
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
	assert_int_equal(chmod(dst, 0600), 0);
	assert_int_equal(identity_load(dir, &id, &cause), -EINVAL);
	assert_null(id);
	free(cause);
	recordfix_remove_dir(dir);
}

/* A key file that group or others may access is refused, naming the file
 * and the chmod to run, as ssh does; identity_key_mode reports the mode. */
static void
test_identity_key_mode(void **state)
{
	static const mode_t open_modes[] = { 0644, 0640, 0604, 0660, 0602, 0620, 0601 };
	struct identity *id = NULL;
	char dir[64], path[PATH_MAX], want[PATH_MAX + 32], *cause = NULL;
	mode_t mode;

	recordfix_make_dir(dir, sizeof(dir));
	assert_int_equal(identity_create(dir, &id, &cause), 0);
	identity_free(id);
	id = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, IDENTITY_KEY_FILE);
	snprintf(want, sizeof(want), "run: chmod 600 %s", path);
	for (size_t i = 0; i < sizeof(open_modes) / sizeof(open_modes[0]); i++) {
		assert_int_equal(chmod(path, open_modes[i]), 0);
		assert_int_equal(identity_load(dir, &id, &cause), -EACCES);
		assert_null(id);
		assert_non_null(cause);
		assert_non_null(strstr(cause, path));
		assert_non_null(strstr(cause, "too open"));
		assert_non_null(strstr(cause, want));
		free(cause);
		cause = NULL;
		assert_int_equal(identity_key_mode(dir, &mode, &cause), -EACCES);
		assert_int_equal(mode, open_modes[i]);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}
	/* Read-only for the owner is as good as 0600. */
	for (mode_t m = 0400; m <= 0600; m += 0200) {
		assert_int_equal(chmod(path, m), 0);
		assert_int_equal(identity_key_mode(dir, &mode, &cause), 0);
		assert_int_equal(mode, m);
		assert_int_equal(identity_load(dir, &id, &cause), 0);
		assert_null(cause);
		identity_free(id);
		id = NULL;
	}
	assert_int_equal(unlink(path), 0);
	assert_int_equal(identity_key_mode(dir, &mode, &cause), -ENOENT);
	assert_int_equal(mode, 0);
	free(cause);
	recordfix_remove_dir(dir);
}

static void
test_sign_verify(void **state)
{
	struct recordfix *fx = *state;
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

/* libsodium signs (identity.c); the bytes are OpenSSL's, as RFC 8032's
 * signatures are deterministic, and what is accepted is what OpenSSL
 * accepts: libsodium refuses a small-order key and R, OpenSSL does not. */
static void
test_sign_like_openssl(void **state)
{
	struct recordfix *fx = *state;
	uint8_t sig[TESS_SIG_LEN], ref[TESS_SIG_LEN];
	/* A = the identity point (small order), R = the identity, S = 0:
	 * [0]B = R + [k]A holds for every message. */
	uint8_t small_pub[TESS_KEY_LEN] = { 1 }, small_sig[TESS_SIG_LEN] = { 1 };
	const char msg[] = "Közösségi tanulás";

	assert_true(fx->a->has_sk);
	for (size_t n = 0; n <= sizeof(msg); n += 5) {
		assert_int_equal(identity_sign(fx->a, msg, n, sig), 0);
		assert_int_equal(identity_openssl_sign(fx->a, msg, n, ref), 0);
		assert_memory_equal(sig, ref, TESS_SIG_LEN);
	}
	assert_int_equal(identity_verify(small_pub, msg, sizeof(msg), small_sig), 0);
	assert_int_equal(identity_openssl_verify(small_pub, msg, sizeof(msg), small_sig), 0);
	assert_int_equal(identity_verify(small_pub, "", 0, small_sig), 0);
	/* S >= L is refused by both. */
	memset(small_sig + 32, 0xff, 32);
	assert_int_equal(identity_verify(small_pub, msg, sizeof(msg), small_sig), -EBADMSG);
	/* Without libsodium's copy of the key, OpenSSL signs the same bytes. */
	fx->a->has_sk = false;
	assert_int_equal(identity_sign(fx->a, msg, sizeof(msg), sig), 0);
	fx->a->has_sk = true;
	assert_int_equal(identity_openssl_sign(fx->a, msg, sizeof(msg), ref), 0);
	assert_memory_equal(sig, ref, TESS_SIG_LEN);
}

static void
test_seal_open(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	Tessera__Record *r = NULL;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	const char *why = NULL;
	size_t len = 0;

	recordfix_draft_init(&d, fx->a);
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
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len, flips = 0;

	recordfix_draft_small(&d, fx->a);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	assert_true(len < 200);
	for (size_t bit = 0; bit < len * 8; bit++) {
		body[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		recordfix_open_fails(body, len, sig, 0);
		body[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		flips++;
	}
	assert_int_equal(flips, len * 8);
	/* Truncations and an extension fail too. */
	for (size_t n = 0; n < len; n++)
		recordfix_open_fails(body, n, sig, 0);
	{
		uint8_t *longer = malloc(len + 2);

		assert_non_null(longer);
		memcpy(longer, body, len);
		longer[len] = 0x78;     /* unknown field 15, varint 1: decodes fine */
		longer[len + 1] = 0x01;
		recordfix_open_fails(longer, len + 2, sig, -EPERM);
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
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len;

	recordfix_draft_small(&d, fx->a);
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	for (size_t bit = 0; bit < TESS_SIG_LEN * 8; bit++) {
		const char *why;

		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		why = recordfix_open_fails(body, len, sig, -EPERM);
		assert_string_equal(why, "bad signature");
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	{
		uint8_t zero[TESS_SIG_LEN] = { 0 };

		recordfix_open_fails(body, len, zero, -EPERM);
	}
	free(body);
}

static void
test_wrong_signer(void **state)
{
	struct recordfix *fx = *state;
	struct recordfix_draft d;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	const char *why;

	/* A record claiming author A, signed by B. */
	recordfix_draft_init(&d, fx->a);
	assert_int_equal(record_seal(fx->b, &d.r, &body, &len, sig), -EINVAL);
	assert_null(body);
	recordfix_sign_raw(fx->b, &d.r, &body, &len, sig);
	why = recordfix_open_fails(body, len, sig, -EPERM);
	assert_string_equal(why, "bad signature");
	free(body);

	/* A's genuine body with B's signature over it. */
	assert_int_equal(record_seal(fx->a, &d.r, &body, &len, sig), 0);
	{
		uint8_t *msg = malloc(sizeof(RECORDFIX_SIG_CONTEXT) - 1 + len);

		assert_non_null(msg);
		memcpy(msg, RECORDFIX_SIG_CONTEXT, sizeof(RECORDFIX_SIG_CONTEXT) - 1);
		memcpy(msg + sizeof(RECORDFIX_SIG_CONTEXT) - 1, body, len);
		assert_int_equal(identity_sign(fx->b, msg, sizeof(RECORDFIX_SIG_CONTEXT) - 1 + len,
		    sig), 0);
		free(msg);
	}
	recordfix_open_fails(body, len, sig, -EPERM);
	/* A signature without the context string does not verify either. */
	assert_int_equal(identity_sign(fx->a, body, len, sig), 0);
	recordfix_open_fails(body, len, sig, -EPERM);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_files),
		cmocka_unit_test(test_identity_load_errors),
		cmocka_unit_test(test_identity_key_mode),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_sign_like_openssl),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_body_bit_flips),
		cmocka_unit_test(test_sig_bit_flips),
		cmocka_unit_test(test_wrong_signer),
	};

	return cmocka_run_group_tests(tests, recordfix_group_setup,
	    recordfix_group_teardown);
}
