/* Flap suppression: a peer that keeps failing the same way is logged once,
 * then as "still failing" at growing intervals, and once when it recovers.
 * Pure bookkeeping on a caller-supplied monotonic clock, for unit tests. */
#ifndef FLAP_H
#define FLAP_H

#include <stdint.h>

#define FLAP_FIRST_MS (60 * 1000)          /* first "still failing" after this */
#define FLAP_MAX_MS (60 * 60 * 1000)       /* then doubling up to this */
#define FLAP_CHANGE_MS (10 * 1000)         /* a recent reason again: at most one line per */
#define FLAP_REASONS 4                     /* reasons remembered per run */

enum flap_verdict {
	FLAP_QUIET,        /* a repeat inside the interval: say nothing */
	FLAP_FIRST,        /* the first failure of a run */
	FLAP_CHANGED,      /* the reason differs from the last failure's */
	FLAP_STILL,        /* a repeat due for a "still failing (N attempts)" line */
};

struct flap {
	uint32_t failures;         /* consecutive failures in this run */
	uint64_t first_ms;         /* when the run began */
	uint64_t next_ms;          /* no "still failing" line before this */
	uint64_t interval_ms;
	uint64_t last_log_ms;      /* when a line was last due */
	char reason[192];          /* the last failure's reason */
	/* Reasons already logged in this run: one seen before only comes back
	 * after FLAP_CHANGE_MS, so reasons alternating fast cannot flood. */
	char logged[FLAP_REASONS][192];
	unsigned int next_logged;
};

/* Counts one failure at now and says whether and how to log it. */
enum flap_verdict flap_fail(struct flap *f, const char *reason, uint64_t now);
/* A success: returns how many failures the run had (0: none, nothing to say)
 * with its length in *down_ms, and starts afresh. */
uint32_t flap_recover(struct flap *f, uint64_t now, uint64_t *down_ms);

#endif
