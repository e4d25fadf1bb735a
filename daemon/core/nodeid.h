/* Node IDs: the Ed25519 public key as copy-paste-friendly text.
 *
 * 32 key bytes -> 52 base32 characters (RFC 4648 alphabet), split into four
 * groups of 13, each followed by a Luhn mod 32 check character (56 in all),
 * shown as eight dash-separated groups of seven:
 *   MFZWI3D-BONSGYC-...
 * A single mistyped character or a swap of two neighbours is detected. */
#ifndef NODEID_H
#define NODEID_H

#include <stddef.h>
#include <stdint.h>

#define NODEID_COMPACT 56            /* characters without dashes */
#define NODEID_STRLEN 63             /* with dashes, without the NUL */
#define NODEID_SHORT 7               /* first group, for logs and tables */

/* RFC 4648 base32 of len bytes, upper case, no padding (the alphabet of
 * node IDs, also used by invite codes); out holds (len * 8 + 4) / 5 + 1. */
void nodeid_base32(const uint8_t *in, size_t len, char *out);
void nodeid_encode(const uint8_t key[32], char out[NODEID_STRLEN + 1]);
void nodeid_short(const uint8_t key[32], char out[NODEID_SHORT + 1]);
/* Parses any spelling (case, dashes, spaces, 0/1/8 for O/I/B). Returns 0, or
 * -EINVAL with a human-readable reason in *why (static string). */
int nodeid_decode(const char *text, uint8_t key[32], const char **why);
/* Normalizes a possibly partial ID into compact upper-case form for prefix
 * matching. Returns the length, or -EINVAL if it cannot be part of an ID. */
int nodeid_normalize(const char *text, char *out, size_t outsz);

#endif
