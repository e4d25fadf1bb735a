/* Admission of inbound connections before authentication: caps in total and
 * per source address. Tables are small (max_unauthenticated entries), so a
 * linear scan costs less than keeping a hash up to date. */
#include "net/admit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE_LEN sizeof(((struct admit_entry *)0)->source)

/* The part of sa that names a source: the family, then an IPv4 address
 * (also when mapped into IPv6) or the /64 prefix of an IPv6 address. */
static void
source_of(const struct sockaddr *sa, uint8_t out[SOURCE_LEN])
{
	memset(out, 0, SOURCE_LEN);
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			out[0] = 4;
			memcpy(&out[1], &a6->s6_addr[12], 4);
		} else {
			out[0] = 6;
			memcpy(&out[1], a6->s6_addr, 8);
		}
	} else if (sa->sa_family == AF_INET) {
		out[0] = 4;
		memcpy(&out[1], &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

static size_t
count_source(const struct admit *a, const uint8_t source[SOURCE_LEN])
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->e[i].source, source, SOURCE_LEN) == 0)
			n++;
	return n;
}

size_t
admit_count_source(const struct admit *a, const struct sockaddr *sa)
{
	uint8_t source[SOURCE_LEN];

	source_of(sa, source);
	return count_source(a, source);
}

int
admit_add(struct admit *a, void *conn, const struct sockaddr *sa, uint64_t now, uint32_t max,
    uint32_t per_source)
{
	uint8_t source[SOURCE_LEN];
	struct admit_entry *e;

	if (a->n >= max) {
		a->refused[ADMIT_FULL]++;
		return -EMFILE;
	}
	source_of(sa, source);
	if (count_source(a, source) >= per_source) {
		a->refused[ADMIT_ADDRESS]++;
		return -EBUSY;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;

		if ((e = realloc(a->e, cap * sizeof(*e))) == NULL)
			return -ENOMEM;
		a->e = e;
		a->cap = cap;
	}
	e = &a->e[a->n++];
	e->conn = conn;
	memcpy(e->source, source, SOURCE_LEN);
	e->since = now;
	return 0;
}

bool
admit_remove(struct admit *a, const void *conn)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].conn == conn) {
			a->e[i] = a->e[--a->n];
			return true;
		}
	return false;
}

void
admit_free(struct admit *a)
{
	free(a->e);
	memset(a, 0, sizeof(*a));
}
