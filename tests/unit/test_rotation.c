/* Key rotation: the statement built and checked (core/rotation.h), and the
 * store's rules: first rotation wins, a second is a dispute, chains
 * resolve, a block settles a dispute, the migration runs again cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/record.h"
#include "core/rotation.h"
#include "core/util.h"
#include "storefix.h"
#include "store/store.h"
#include "store/store_rotate.h"

#define RECORD_CONTEXT "tessera-record-v1"

struct fx {
	struct identity *k[4];          /* old, new, newer, other */
	char dir[64];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char *cause = NULL;

	for (int i = 0; i < 4; i++) {
		uint8_t seed[IDENTITY_SEED_LEN];

		memset(seed, 'a' + i, sizeof(seed));
		if (identity_from_seed(seed, &fx->k[i], &cause) != 0)
			return -1;
	}
	storefix_make_dir(fx->dir, sizeof(fx->dir));
	if (store_open(fx->dir, true, &fx->st, &cause) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	storefix_remove_dir(fx->dir);
	for (int i = 0; i < 4; i++)
		identity_free(fx->k[i]);
	free(fx);
	return 0;
}

/* Signed bytes of a rotation by from to key to (the new key's signature
 * made by signer): sealed without record_seal's validation, as a forger
 * would. */
struct raw {
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
};

static void
raw_rotation(const struct identity *from, const struct identity *to,
    const struct identity *signer, struct raw *out)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Rotation ro = TESSERA__ROTATION__INIT;
	uint8_t nonce[TESS_NONCE_LEN], id[TESS_ID_LEN], nsig[TESS_SIG_LEN], *msg;
	size_t ctx = sizeof(RECORD_CONTEXT) - 1;

	assert_int_equal(record_new_id(from->pub, nonce, id), 0);
	assert_int_equal(rotation_sign(signer, from->pub, nsig), 0);
	ro.has_new_key = ro.has_new_sig = 1;
	ro.new_key = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)to->pub };
	ro.new_sig = (ProtobufCBinaryData){ TESS_SIG_LEN, nsig };
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)from->pub };
	r.version = 1;
	r.timestamp = now_ms();
	r.kind = TESSERA__KIND__KIND_ROTATION;
	r.rotation = &ro;
	out->len = tessera__record__get_packed_size(&r);
	out->body = malloc(out->len);
	tessera__record__pack(&r, out->body);
	msg = malloc(ctx + out->len);
	memcpy(msg, RECORD_CONTEXT, ctx);
	memcpy(msg + ctx, out->body, out->len);
	assert_int_equal(identity_sign(from, msg, ctx + out->len, out->sig), 0);
	free(msg);
}

/* Seals the rotation from -> to properly and stores it: the put result. */
static enum store_put_result
put_rotation(struct store *st, const struct identity *from, const struct identity *to)
{
	enum store_put_result res;
	Tessera__Record *r;
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len;
	const char *why;

	assert_int_equal(rotation_seal(from, to, 1, now_ms(), &body, &len, sig), 0);
	assert_int_equal(rotation_open(body, len, sig, TESS_SIG_LEN, &r, &why), 0);
	assert_int_equal(store_put(st, body, len, sig, r, &res), 0);
	record_free(r);
	free(body);
	return res;
}

static void
test_build_verify(void **state)
{
	struct fx *fx = *state;
	Tessera__Record *r;
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len;
	const char *why = NULL;

	assert_int_equal(rotation_seal(fx->k[0], fx->k[1], 7, now_ms(), &body, &len, sig), 0);
	assert_int_equal(rotation_open(body, len, sig, TESS_SIG_LEN, &r, &why), 0);
	assert_int_equal(r->kind, TESSERA__KIND__KIND_ROTATION);
	assert_memory_equal(r->author.data, fx->k[0]->pub, TESS_KEY_LEN);
	assert_memory_equal(r->rotation->new_key.data, fx->k[1]->pub, TESS_KEY_LEN);
	assert_string_equal(record_kind_name((int)r->kind), "rotation");
	record_free(r);
	/* One bit of the body changed: the old key's signature fails. */
	body[len - 1] ^= 1;
	assert_int_not_equal(rotation_open(body, len, sig, TESS_SIG_LEN, &r, &why), 0);
	free(body);
}

static void
test_forged(void **state)
{
	struct fx *fx = *state;
	Tessera__Record *r = NULL;
	struct raw raw;
	const char *why = NULL;

	/* New key k1, but its signature made by k3: k1 never agreed. */
	raw_rotation(fx->k[0], fx->k[1], fx->k[3], &raw);
	assert_int_equal(record_open(raw.body, raw.len, raw.sig, TESS_SIG_LEN, &r, &why), -EINVAL);
	assert_string_equal(why, "rotation not signed by its new key");
	free(raw.body);
	/* A rotation to the author's own key. */
	raw_rotation(fx->k[0], fx->k[0], fx->k[0], &raw);
	assert_int_equal(record_open(raw.body, raw.len, raw.sig, TESS_SIG_LEN, &r, &why), -EINVAL);
	assert_string_equal(why, "rotation to the same key");
	free(raw.body);
	/* A well-formed one passes the same path. */
	raw_rotation(fx->k[0], fx->k[1], fx->k[1], &raw);
	assert_int_equal(record_open(raw.body, raw.len, raw.sig, TESS_SIG_LEN, &r, &why), 0);
	record_free(r);
	free(raw.body);
}

static void
test_second_refused(void **state)
{
	struct fx *fx = *state;
	uint8_t next[TESS_KEY_LEN], last[TESS_KEY_LEN];
	uint64_t n;

	assert_int_equal(put_rotation(fx->st, fx->k[0], fx->k[1]), STORE_STORED);
	/* The same rotation again (another record): harmless. */
	assert_int_equal(put_rotation(fx->st, fx->k[0], fx->k[1]), STORE_STORED);
	assert_int_equal(store_rotation_disputes(fx->st, &n, last), 0);
	assert_int_equal(n, 0);
	/* Another rotation of the same key: refused, the first stays. */
	assert_int_equal(put_rotation(fx->st, fx->k[0], fx->k[2]), STORE_DISPUTED);
	assert_int_equal(put_rotation(fx->st, fx->k[0], fx->k[3]), STORE_DISPUTED);
	assert_int_equal(put_rotation(fx->st, fx->k[0], fx->k[3]), STORE_DISPUTED);
	assert_int_equal(store_rotation_next(fx->st, fx->k[0]->pub, next), 0);
	assert_memory_equal(next, fx->k[1]->pub, TESS_KEY_LEN);
	/* One dispute per key, however many rotations its holder signs. */
	assert_int_equal(store_rotation_disputes(fx->st, &n, last), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(last, fx->k[0]->pub, TESS_KEY_LEN);
	assert_true(store_rotation_leads(fx->st, fx->k[0]->pub, fx->k[1]->pub));
	assert_false(store_rotation_leads(fx->st, fx->k[0]->pub, fx->k[3]->pub));

	/* The operator blocks the key it was not meant to go to... here the
	 * first one: the other rotation may then win. */
	uint64_t removed;

	assert_int_equal(store_block(fx->st, fx->k[1]->pub, true, &removed), 0);
	assert_int_equal(store_rotation_next(fx->st, fx->k[0]->pub, next), -ENOENT);
	assert_int_equal(put_rotation(fx->st, fx->k[0], fx->k[3]), STORE_STORED);
	assert_int_equal(store_rotation_disputes(fx->st, &n, last), 0);
	assert_int_equal(n, 0);
}

static void
test_chain(void **state)
{
	struct fx *fx = *state;
	uint8_t final[TESS_KEY_LEN], keys[8][TESS_KEY_LEN];
	struct store_signed chain[ROTATION_CHAIN_MAX];
	Tessera__Record *r;
	const char *why;
	size_t n;

	assert_int_equal(put_rotation(fx->st, fx->k[0], fx->k[1]), STORE_STORED);
	assert_int_equal(put_rotation(fx->st, fx->k[1], fx->k[2]), STORE_STORED);
	assert_int_equal(store_rotation_final(fx->st, fx->k[0]->pub, final), 0);
	assert_memory_equal(final, fx->k[2]->pub, TESS_KEY_LEN);
	assert_int_equal(store_rotation_final(fx->st, fx->k[3]->pub, final), 0);
	assert_memory_equal(final, fx->k[3]->pub, TESS_KEY_LEN);
	assert_true(store_rotation_leads(fx->st, fx->k[0]->pub, fx->k[2]->pub));
	assert_false(store_rotation_leads(fx->st, fx->k[2]->pub, fx->k[0]->pub));
	assert_int_equal(store_rotation_keys(fx->st, fx->k[2]->pub, keys, 8, &n), 0);
	assert_int_equal(n, 3);
	/* The chain for a Hello: oldest first, each opening cleanly. */
	assert_int_equal(store_rotation_chain(fx->st, fx->k[2]->pub, chain, ROTATION_CHAIN_MAX,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rotation_open(chain[0].body, chain[0].len, chain[0].sig, TESS_SIG_LEN, &r,
	    &why), 0);
	assert_memory_equal(r->author.data, fx->k[0]->pub, TESS_KEY_LEN);
	record_free(r);
	store_rotation_chain_free(chain, n);
	/* Back to a key rotated away: a loop, refused. */
	assert_int_equal(put_rotation(fx->st, fx->k[2], fx->k[0]), STORE_DISPUTED);
}

static void
test_record_fixed(void **state)
{
	struct fx *fx = *state;
	enum store_put_result res;
	Tessera__Record *r, tomb = TESSERA__RECORD__INIT;
	uint8_t *body, sig[TESS_SIG_LEN], *tbody, tsig[TESS_SIG_LEN];
	size_t len, tlen;
	const char *why;

	assert_int_equal(rotation_seal(fx->k[0], fx->k[1], 1, now_ms(), &body, &len, sig), 0);
	assert_int_equal(rotation_open(body, len, sig, TESS_SIG_LEN, &r, &why), 0);
	assert_int_equal(store_put(fx->st, body, len, sig, r, &res), 0);
	assert_int_equal(res, STORE_STORED);
	/* Its author's own tombstone does not take a rotation back. */
	tomb.has_id = tomb.has_nonce = tomb.has_author = tomb.has_version = 1;
	tomb.has_timestamp = tomb.has_kind = tomb.has_deleted = 1;
	tomb.id = r->id;
	tomb.nonce = r->nonce;
	tomb.author = r->author;
	tomb.version = 2;
	tomb.timestamp = now_ms();
	tomb.kind = TESSERA__KIND__KIND_ROTATION;
	tomb.deleted = 1;
	assert_int_equal(record_seal(fx->k[0], &tomb, &tbody, &tlen, tsig), 0);
	assert_int_equal(store_put(fx->st, tbody, tlen, tsig, &tomb, &res), 0);
	assert_int_equal(res, STORE_DISPUTED);
	assert_true(store_rotation_leads(fx->st, fx->k[0]->pub, fx->k[1]->pub));
	free(tbody);
	record_free(r);
	free(body);
}

static void
test_migration_again(void **state)
{
	struct fx *fx = *state;
	char path[128], sql[160], *cause = NULL;
	sqlite3 *db;

	assert_int_equal(put_rotation(fx->st, fx->k[0], fx->k[1]), STORE_STORED);
	store_close(fx->st);
	fx->st = NULL;
	snprintf(path, sizeof(path), "%s/%s", fx->dir, STORE_DB_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* As a store whose rotations were relayed by an older version. */
	snprintf(sql, sizeof(sql), "DROP TABLE rotations; PRAGMA user_version = %d;",
	    STORE_SCHEMA_ROTATIONS - 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(fx->dir, false, &fx->st, &cause), 0);
	assert_true(store_rotation_leads(fx->st, fx->k[0]->pub, fx->k[1]->pub));
	/* And once more with the table still there: idempotent. */
	store_close(fx->st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", STORE_SCHEMA_ROTATIONS - 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(fx->dir, false, &fx->st, &cause), 0);
	assert_true(store_rotation_leads(fx->st, fx->k[0]->pub, fx->k[1]->pub));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_again, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
