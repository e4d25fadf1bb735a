/* Admission of inbound connections before authentication: the set of
 * connections that have not yet passed the TLS pin check, with caps on how
 * many are held at once, globally and per source address.
 *
 * Pure bookkeeping: no sockets and no clock (times are passed in), so it
 * runs alone in unit tests. Connections are opaque pointers. */
#ifndef ADMIT_H
#define ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Why a connection was refused, for logs and counters. */
enum admit_refusal {
	ADMIT_FULL,        /* max connections held */
	ADMIT_ADDRESS,     /* max connections held from its address */
	ADMIT_REFUSALS,
};

struct admit_entry {
	void *conn;
	uint8_t source[9];             /* 4 + IPv4 address, or 6 + IPv6 /64 prefix */
	uint64_t since;                /* when admitted, mono ms */
};

struct admit {
	struct admit_entry *e;         /* unordered */
	size_t n, cap;
	uint64_t refused[ADMIT_REFUSALS];
};

/* Admits conn from sa unless max connections are held, or per_source from
 * sa's address (IPv4 address; IPv6 /64, as one host commonly holds one).
 * Returns 0, -EMFILE (full), -EBUSY (its address is at its cap) or -ENOMEM;
 * a refusal is counted in refused[]. */
int admit_add(struct admit *a, void *conn, const struct sockaddr *sa, uint64_t now,
    uint32_t max, uint32_t per_source);
/* Forgets conn (authenticated, or gone). Returns whether it was held. */
bool admit_remove(struct admit *a, const void *conn);
/* Connections held from sa's address. */
size_t admit_count_source(const struct admit *a, const struct sockaddr *sa);
/* Frees the table (the connections are not the table's). */
void admit_free(struct admit *a);

#endif
