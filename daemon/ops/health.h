/* The node's health: rejected-record bookkeeping and the "needs attention"
 * items of `tessera status`, in plain words for a volunteer operator. */
#ifndef HEALTH_H
#define HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"
#include "sync/session.h"

struct ops_env;
struct store_author;
struct store_stats;

#define HEALTH_PEER_DOWN_MS (60 * 60 * 1000)    /* unreachable longer: attention */
#define HEALTH_DISK_MIN_BYTES (100ULL * 1024 * 1024)
#define HEALTH_DISK_MIN_PERCENT 5

/* Records refused from peers since start-up, by enum sync_reject (a small
 * fixed set, so that the reasons can be metric labels). */
struct health {
	uint64_t rejected[SYNC_REJECT_COUNT];
	char last_reject[256];         /* "peer (ID): detail" */
	int64_t last_reject_at;        /* wall ms */
};

/* Counts a record refused from peer (its log label) for reason why; detail
 * is the reason in words for status (NULL: the metric label). */
void health_rejected(struct health *h, const char *peer, enum sync_reject why,
    const char *detail);
/* The metric label of a reason ("bad_signature"); "invalid" if unknown. */
const char *health_reject_name(enum sync_reject why);

/* The attention items: owned strings. */
struct health_items {
	char **v;
	size_t n;
	/* What Status.rotation_dispute_key points to (health_status). */
	uint8_t dispute_key[TESS_KEY_LEN];
};

/* Pure: what needs attention given a filled Status, the peers' views and
 * the known communities (store_authors, with their look-alikes) at wall
 * time now (ms). Returns 0 or -ENOMEM. */
int health_attention(const Tessera__Status *s, Tessera__PeerView *const *peers,
    size_t n_peers, const struct store_author *authors, size_t n_authors, int64_t now,
    struct health_items *out);
void health_items_free(struct health_items *it);

/* Fills the health fields of s (disk, rejections, tombstones, attention)
 * from env and st, and attaches the peers' views to r. Call after every
 * other Status field is set; undo with health_status_free. */
int health_status(const struct ops_env *env, const struct store_stats *st, Tessera__Status *s,
    Tessera__Reply *r, struct health_items *keep);
void health_status_free(Tessera__Reply *r, struct health_items *keep);

#endif
