/* Scale figures from the simulator (bench/sim_scale.sh). */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct sim_opts;

/* Builds n nodes on a random graph (degree from o), lets it go idle, then
 * measures the convergence of one new record and the catch-up of a node
 * that was offline while catchup records were written. Prints the figures;
 * returns 0, 1 if a figure shows a failure (a node never got the record),
 * 2 if the network could not be built. */
int sim_bench(size_t n, uint64_t seed, const struct sim_opts *o, size_t catchup);

#endif
