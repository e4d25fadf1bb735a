/* Two real stores and two session engines joined by an in-memory link that
 * carries frames, verification run in line: the harness of the session
 * unit tests (test_session.c, test_recon.c). */
#ifndef SESSIONFIX_H
#define SESSIONFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storefix.h"
#include "store/store.h"
#include "sync/session.h"

struct frame {
	struct frame *next;
	size_t len;
	uint8_t data[];
};

/* One side of the link: what its session sent, waiting for the other. */
struct side {
	struct session s;
	struct session_env env;
	struct store *st;
	char dir[64];
	struct side *other;
	struct frame *q, *q_tail;
	size_t queued, room;
	bool paused, closed;
	enum session_end why;
	char detail[192];
	struct sync_job *jobs[64];
	size_t n_jobs;
	size_t stored, rejected[SYNC_REJECT_COUNT], established;
	uint64_t bytes_sent;         /* frames sent, headers included */
	uint64_t record_bytes;       /* of which Records messages */
	size_t recon_frames;         /* Recon messages sent */
};

struct pair {
	struct side a, b;
	struct storefix *fx;
	uint64_t now;
};

extern const struct session_io sessionfix_io;

/* Opens one side with a fresh store (room: 1 MiB, max_batch 512). */
void sessionfix_side_open(struct side *d, struct side *other);
/* cmocka setup/teardown: identities, two sides, the clock at 1000. */
int sessionfix_setup(void **state);
int sessionfix_teardown(void **state);
/* Starts both sessions (a talks to b's key and b to a's). */
void sessionfix_start(struct pair *p);
/* Delivers what d sent to the other side while it reads, runs d's
 * verification jobs, pumps d. Returns true when anything happened. */
bool sessionfix_step(struct pair *p, struct side *d);
/* Runs the link until nothing moves; fails after max steps. */
size_t sessionfix_run(struct pair *p, size_t max);
/* Live records in st. */
uint64_t sessionfix_count(struct store *st);

#endif
