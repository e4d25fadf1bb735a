/* A small seeded pseudo-random generator (xoshiro256**, seeded through
 * splitmix64). Its state lives in a struct the caller owns, never in a
 * global, so that each owner (a peer manager, a simulated node) draws its
 * own sequence and a seed replays it. Not for secrets: keys and nonces come
 * from OpenSSL's RAND_bytes. */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Any seed, 0 included, gives a usable state; the same seed, the same sequence. */
void rng_seed(struct rng *r, uint64_t seed);
/* The next 64 uniformly distributed bits. */
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n), without modulo bias; 0 when n is 0. */
uint64_t rng_uniform(struct rng *r, uint64_t n);
/* Uniform in [0, 1), on a grid of 2^-53. */
double rng_double(struct rng *r);

#endif
