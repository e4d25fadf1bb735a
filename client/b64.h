/* Base64 (RFC 4648, standard alphabet) for the signed bytes in JSONL. */
#ifndef B64_H
#define B64_H

#include <stddef.h>
#include <stdint.h>

/* Padded base64 of in; malloc'd, NULL on allocation failure. */
char *b64_encode(const uint8_t *in, size_t len);
/* Decodes s strictly: standard alphabet, padding optional but correct, no
 * whitespace. *out is malloc'd (non-NULL even when empty). Returns 0,
 * -EINVAL or -ENOMEM. */
int b64_decode(const char *s, uint8_t **out, size_t *len);

#endif
