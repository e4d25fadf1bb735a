/* Records: build, sign, verify and validate the signed unit of data.
 *
 * The signature covers "tessera-record-v1" || body, where body is the
 * author's serialization of a tessera.Record. Verification never re-encodes. */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "core/tessera.h"

/* id = SHA-256("tessera-id" || author || nonce)[0..16] */
void record_make_id(const uint8_t author[TESS_KEY_LEN], const uint8_t nonce[TESS_NONCE_LEN],
    uint8_t id[TESS_ID_LEN]);
/* Fills nonce and id for a new record of author. */
int record_new_id(const uint8_t author[TESS_KEY_LEN], uint8_t nonce[TESS_NONCE_LEN],
    uint8_t id[TESS_ID_LEN]);

/* Structural checks: sizes, UTF-8, id bound to author, tombstone empty.
 * Any kind > 0 is accepted so that nodes forward kinds newer than they are. */
int record_validate(const Tessera__Record *r, const char **why);
/* True for the kinds this version knows how to create. */
int record_kind_known(int kind);
const char *record_kind_name(int kind);
int record_kind_parse(const char *name);
/* Adoption statuses: "planned", "running", "ended"; "unknown" for others. */
const char *record_status_name(int status);
int record_status_parse(const char *name);
/* A calendar date written YYYY-MM-DD (adoption dates). */
bool record_date_valid(const char *s);

/* Validates, serializes and signs r. *body is malloc'd. */
int record_seal(const struct identity *me, const Tessera__Record *r, uint8_t **body,
    size_t *len, uint8_t sig[TESS_SIG_LEN]);
/* Checks size, decodes, validates and verifies the author's signature.
 * On success *out must be freed with record_free. Fails with -EMSGSIZE (too
 * large), -EBADMSG (undecodable), -EINVAL (invalid) or -EPERM (the signature
 * does not verify), the reason in *why. */
int record_open(const uint8_t *body, size_t len, const uint8_t *sig, size_t siglen,
    Tessera__Record **out, const char **why);
/* Only the signature (body already decoded elsewhere). */
int record_verify_sig(const uint8_t author[TESS_KEY_LEN], const uint8_t *body, size_t len,
    const uint8_t *sig);
void record_free(Tessera__Record *r);

/* The text in lang, or the first text when lang is NULL or absent. */
const Tessera__Text *record_text(const Tessera__Record *r, const char *lang);

#endif
