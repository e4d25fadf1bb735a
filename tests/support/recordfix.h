/* The record tests' fixture: two identities and records under construction. */
#ifndef RECORDFIX_H
#define RECORDFIX_H

#include <stddef.h>
#include <stdint.h>

#include "core/identity.h"
#include "core/record.h"

/* What an author signs ahead of the packed record. */
#define RECORDFIX_SIG_CONTEXT "tessera-record-v1"

struct recordfix {
	char dir_a[64], dir_b[64];
	struct identity *a, *b;
};

/* A record under construction, with storage for everything it points to. */
struct recordfix_draft {
	Tessera__Record r;
	Tessera__Text text[3], *texts[3];
	Tessera__Link link, *links[1];
	Tessera__Profile profile;
	char *tags[2];
	char *langs[2];
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN];
};

/* Makes a temporary directory into dir. */
void recordfix_make_dir(char *dir, size_t sz);
/* Removes a directory made by recordfix_make_dir. */
void recordfix_remove_dir(const char *dir);
/* Creates the two identities; the cmocka group setup. */
int recordfix_group_setup(void **state);
/* Frees and removes the two identities. */
int recordfix_group_teardown(void **state);
/* A valid resource by me, in Romanian and Hungarian, with tags and a link. */
void recordfix_draft_init(struct recordfix_draft *d, const struct identity *me);
/* The smallest valid record: one text with a title. */
void recordfix_draft_small(struct recordfix_draft *d, const struct identity *me);
/* Packs and signs r without validating it, as a hostile author would. */
void recordfix_sign_raw(const struct identity *me, const Tessera__Record *r, uint8_t **body,
    size_t *len, uint8_t sig[TESS_SIG_LEN]);
/* Signs body as its author would (bytes edited after packing). */
void recordfix_sign_bytes(const struct identity *me, const uint8_t *body, size_t len,
    uint8_t sig[TESS_SIG_LEN]);
/* Expects record_open to refuse body/sig with rc; returns why. */
const char *recordfix_open_fails(const uint8_t *body, size_t len, const uint8_t *sig,
    int want);

#endif
