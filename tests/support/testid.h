/* Test identities: two nodes' keys in their own temporary directories. */
#ifndef TESTID_H
#define TESTID_H

#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "core/tessera.h"

struct identity;

/* Makes /tmp/NAME.XXXXXX twice and an identity in each. Returns 0 or -1
 * (the reason on stderr). */
int testid_pair(const char *name, char *dir_a, char *dir_b, size_t dirsz,
    struct identity **a, struct identity **b);
/* Frees both identities and removes their directories: 0, or -1 if a
 * directory could not be removed (a test left files behind). */
int testid_pair_free(const char *dir_a, const char *dir_b, struct identity *a,
    struct identity *b);

/* Initializes r as a resource by me with a fresh id bound to me: id, nonce,
 * author, version, timestamp and kind set; id and nonce are the caller's
 * buffers that r points into. Aborts the test if the id cannot be made. */
void testid_record_init(Tessera__Record *r, uint8_t id[TESS_ID_LEN],
    uint8_t nonce[TESS_NONCE_LEN], const struct identity *me, uint64_t version,
    int64_t timestamp);

#endif
