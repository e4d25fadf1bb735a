/* When each record became held here: a bounded in-memory ring of (record
 * id, version, commit time) for the latency probes (docs/benchmarks.md,
 * "Latency measured at the daemon"). A record counts as held once the
 * transaction that stored it committed; a rolled-back put leaves no entry.
 * The time is the store's wall clock (CLOCK_REALTIME in microseconds unless
 * store_open_opts gave another), the same on every daemon of one machine. */
#ifndef STORE_HELD_H
#define STORE_HELD_H

#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

struct store;

/* Entries kept: the newest replace the oldest. A probe publishes one
 * record at a time, and a backlog's batches are not what it measures. */
#define STORE_HELD_MAX 1024

struct store_held {
	uint8_t id[TESS_ID_LEN];
	uint64_t version;
	uint64_t at_us;            /* wall clock, microseconds, at the commit */
};

/* The i-th committed entry, newest first: 0, or -ENOENT past the oldest. */
int store_held_get(const struct store *st, size_t i, struct store_held *out);

#endif
