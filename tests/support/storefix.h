/* The store tests' fixture: two identities, a fresh store per test, and
 * hand-made records sealed and stored as a peer would. */
#ifndef STOREFIX_H
#define STOREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/identity.h"
#include "core/record.h"
#include "store/store.h"

struct storefix {
	char dir_a[64], dir_b[64];
	struct identity *a, *b;
	char dir[64];               /* this test's store */
	struct store *st;
};

/* A hand-made record with storage for what it points to. */
struct storefix_draft {
	Tessera__Record r;
	Tessera__Text text, *texts[1];
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN];
};

/* Signed bytes and their decoding, as a peer would hand them to the store. */
struct storefix_sealed {
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
	Tessera__Record *r;
};

struct storefix_change {
	uint64_t seq, version;
	uint8_t id[TESS_ID_LEN], author[TESS_KEY_LEN];
	bool has_origin;
	uint8_t origin[TESS_KEY_LEN];
};

struct storefix_changes {
	size_t n, cap;
	struct storefix_change c[64];
	int stop_at;         /* return -ECANCELED at this call (0 = never) */
};

/* Makes a temporary directory into dir. */
void storefix_make_dir(char *dir, size_t sz);
/* Removes a directory made by storefix_make_dir. */
void storefix_remove_dir(const char *dir);
/* Creates the two identities; the cmocka group setup. */
int storefix_group_setup(void **state);
/* Frees and removes the two identities. */
int storefix_group_teardown(void **state);
/* Opens a fresh store for one test. */
int storefix_setup(void **state);
/* Closes and removes the test's store. */
int storefix_teardown(void **state);
/* Closes the test's store and opens it again (the migrations run from its
 * version; an open transaction is rolled back); fails the test if it cannot. */
void storefix_reopen(struct storefix *fx);
/* A valid resource by me with the given title and version. */
void storefix_draft_init(struct storefix_draft *d, const struct identity *me,
    const char *title, uint64_t version);
/* Seals r and decodes the result, as sync would before store_put. */
void storefix_seal(struct storefix_sealed *s, const struct identity *me,
    const Tessera__Record *r);
/* Frees what s holds and zeroes it. */
void storefix_sealed_free(struct storefix_sealed *s);
/* Stores s, which must not fail; returns the result. */
enum store_put_result storefix_put(struct store *st, const struct storefix_sealed *s);
/* Seals a fresh record by me and stores it; returns the result. */
enum store_put_result storefix_put_new(struct store *st, const struct identity *me,
    const char *title, uint64_t version, uint8_t id[TESS_ID_LEN]);
/* The sequence number of the stored version of id. */
uint64_t storefix_seq_of(struct store *st, const uint8_t id[TESS_ID_LEN]);
/* Decodes the stored version of id. */
Tessera__Record *storefix_load(struct store *st, const uint8_t id[TESS_ID_LEN]);
/* A store_changes callback collecting into the struct storefix_changes arg. */
int storefix_on_change(void *arg, uint64_t seq, const uint8_t *id, const uint8_t *author,
    uint64_t version, const uint8_t *origin);
/* Collects the whole changes feed of st into ch. */
void storefix_changes_all(struct store *st, struct storefix_changes *ch);
/* The wall clock in microseconds. */
uint64_t storefix_now_us(void);

#endif
