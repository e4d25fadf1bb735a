/* The draws the simulator makes from its one seeded source (core/rng.h:
 * xoshiro256** seeded through splitmix64). */
#include "sim.h"

#include <string.h>

uint64_t
sim_rand_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + rng_uniform(r, hi - lo + 1);
}

bool
sim_rand_chance(struct rng *r, unsigned permille)
{
	return rng_uniform(r, 1000) < permille;
}

void
sim_rand_bytes(struct rng *r, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		uint64_t x = rng_next(r);
		size_t k = n < 8 ? n : 8;

		memcpy(p, &x, k);
		p += k;
		n -= k;
	}
}
