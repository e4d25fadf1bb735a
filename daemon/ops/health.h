/* The node's health: rejected-record bookkeeping and the "needs attention"
 * items of `tessera status`, in plain words for a volunteer operator. */
#ifndef HEALTH_H
#define HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"

struct node;
struct store_author;
struct store_stats;

#define HEALTH_PEER_DOWN_MS (60 * 60 * 1000)    /* unreachable longer: attention */
#define HEALTH_DISK_MIN_BYTES (100ULL * 1024 * 1024)
#define HEALTH_DISK_MIN_PERCENT 5

/* Why records from peers were refused: a small fixed set, so that they can
 * be metric labels. */
enum health_reject {
	HR_INVALID,         /* malformed, oversized or failing validation */
	HR_SIGNATURE,       /* bad or missing signature */
	HR_UNSOLICITED,     /* sent without being asked for */
	HR_CONFLICT,        /* same author and version, different record */
	HR_QUOTA,           /* author over its record quota */
	HR_NOT_AUTHOR,      /* record id belongs to another author */
	HR_FUTURE,          /* timestamp beyond max_clock_skew ahead (STORE_FUTURE) */
	HR_COUNT
};

struct health {
	uint64_t rejected[HR_COUNT];   /* since start-up */
	char last_reject[256];         /* "peer (ID): reason" */
	int64_t last_reject_at;        /* wall ms */
};

/* Counts a record refused from peer (its log label) for reason why. */
void health_rejected(struct health *h, const char *peer, const char *why);
enum health_reject health_reject_class(const char *why);
const char *health_reject_name(enum health_reject r);

/* The attention items: owned strings. */
struct health_items {
	char **v;
	size_t n;
};

/* Pure: what needs attention given a filled Status, the peers' views and
 * the known communities (store_authors, with their look-alikes) at wall
 * time now (ms). Returns 0 or -ENOMEM. */
int health_attention(const Tessera__Status *s, Tessera__PeerView *const *peers,
    size_t n_peers, const struct store_author *authors, size_t n_authors, int64_t now,
    struct health_items *out);
void health_items_free(struct health_items *it);

/* Fills the health fields of s (disk, rejections, tombstones, attention)
 * and attaches the peers' views to r. Call after every other Status field
 * is set; undo with health_status_free. */
int health_status(struct node *n, const struct store_stats *st, Tessera__Status *s,
    Tessera__Reply *r, struct health_items *keep);
void health_status_free(Tessera__Reply *r, struct health_items *keep);

#endif
