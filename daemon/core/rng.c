/* xoshiro256** by Blackman and Vigna (public domain reference code,
 * https://prng.di.unimi.it/), seeded with splitmix64 as its authors advise:
 * splitmix64 spreads any 64-bit seed over the 256-bit state, which must not
 * be all zero. */
#include "core/rng.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t
rng_uniform(struct rng *r, uint64_t n)
{
	uint64_t x, floor;

	if (n == 0)
		return 0;
	/* Draws below 2^64 mod n would make the small residues more likely:
	 * redraw them (fewer than half the draws, whatever n). */
	floor = -n % n;
	do
		x = rng_next(r);
	while (x < floor);
	return x % n;
}

double
rng_double(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}
