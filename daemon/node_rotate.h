/* The node's part of key rotation (docs/protocol.md, "Key rotation"): our
 * own rotations in every Hello, a stranger's rotations checked and stored,
 * and the pins of configured peers following the rotations the store holds
 * (managed drop-ins rewritten; the operator's own file never). */
#ifndef NODE_ROTATE_H
#define NODE_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer.pb-c.h"
#include "core/tessera.h"

struct node;

/* Loads the rotations that lead to our key for our Hello (node_open). */
int node_rotate_open(struct node *n, char **cause);
void node_rotate_close(struct node *n);
/* peers_env.on_rotate: verifies, stores, re-pins; 0 or negative with why. */
int node_rotate_hello(void *arg, const uint8_t key[TESS_KEY_LEN],
    Tessera__SignedRecord *const *v, size_t nv, char *why, size_t whylen);
/* peers_env.rotated: the store holds rotations from pinned to key. */
bool node_rotate_leads(void *arg, const uint8_t pinned[TESS_KEY_LEN],
    const uint8_t key[TESS_KEY_LEN]);
/* Re-pins the configured peers whose key was rotated, if the store holds
 * rotations it did not at the last call (tell: log the peers pinned in the
 * operator's own file too, which are followed but not rewritten). */
void node_rotate_follow(struct node *n, bool tell);

#endif
