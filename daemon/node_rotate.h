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
#include "core/rotation.h"
#include "core/tessera.h"
#include "store/store_rotate.h"

struct config;
struct store;

struct node_rotate {
	/* Given by the composition root (node.c). */
	struct store *store;
	const struct config *conf;   /* kept current by node_reload */
	const bool *store_held;      /* an import holds the store's transaction */
	void (*on_stored)(void *arg);     /* a peer's rotations stored: relay them */
	void (*on_repinned)(void *arg);   /* drop-ins rewritten: load the config again */
	void *hook_arg;
	/* The rotations that lead to our key, shown in every Hello; how many
	 * rotations the store held when the pins were last brought up to date. */
	struct store_signed chain[ROTATION_CHAIN_MAX];
	size_t n_chain;
	uint64_t seen;
	bool pins_rotated;           /* a configured peer's key was rotated */
};

/* Loads the rotations that lead to our key for our Hello (node_open). */
int node_rotate_open(struct node_rotate *r, const uint8_t our_key[TESS_KEY_LEN], char **cause);
void node_rotate_close(struct node_rotate *r);
/* A stranger's Hello came with rotations: verifies, stores, re-pins; 0 or
 * negative with why. */
int node_rotate_hello(struct node_rotate *r, const uint8_t key[TESS_KEY_LEN],
    Tessera__SignedRecord *const *v, size_t nv, char *why, size_t whylen);
/* The store holds rotations from pinned to key. */
bool node_rotate_leads(struct node_rotate *r, const uint8_t pinned[TESS_KEY_LEN],
    const uint8_t key[TESS_KEY_LEN]);
/* Re-pins the configured peers whose key was rotated, if the store holds
 * rotations it did not at the last call (tell: log the peers pinned in the
 * operator's own file too, which are followed but not rewritten). */
void node_rotate_follow(struct node_rotate *r, bool tell);

#endif
