/* Test identities: two nodes' keys in their own temporary directories. */
#include "testid.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/identity.h"
#include "core/record.h"
#include "testdir.h"

int
testid_pair(const char *name, char *dir_a, char *dir_b, size_t dirsz, struct identity **a,
    struct identity **b)
{
	char *cause = NULL;

	if (testdir_make(dir_a, dirsz, name) != 0 || testdir_make(dir_b, dirsz, name) != 0) {
		fprintf(stderr, "%s: cannot make a temporary directory\n", name);
		return -1;
	}
	if (identity_create(dir_a, a, &cause) != 0 || identity_create(dir_b, b, &cause) != 0) {
		fprintf(stderr, "identity_create: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

int
testid_pair_free(const char *dir_a, const char *dir_b, struct identity *a, struct identity *b)
{
	int ra, rb;

	identity_free(a);
	identity_free(b);
	ra = testdir_remove(dir_a);
	rb = testdir_remove(dir_b);
	return ra == 0 && rb == 0 ? 0 : -1;
}

void
testid_record_init(Tessera__Record *r, uint8_t id[TESS_ID_LEN], uint8_t nonce[TESS_NONCE_LEN],
    const struct identity *me, uint64_t version, int64_t timestamp)
{
	tessera__record__init(r);
	assert_int_equal(record_new_id(me->pub, nonce, id), 0);
	r->has_id = r->has_nonce = r->has_author = 1;
	r->id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r->nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r->author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me->pub };
	r->has_version = r->has_timestamp = r->has_kind = 1;
	r->version = version;
	r->timestamp = timestamp;
	r->kind = TESSERA__KIND__KIND_RESOURCE;
}
