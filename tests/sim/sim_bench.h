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

/* sim_newlink.c: n nodes, records written and spread, then four new links
 * between nodes that never met: equal sets, and diff records written on
 * each side while both were cut off, each with and without range
 * reconciliation. Prints bytes, messages and simulated time per link;
 * returns 0, 1 if a pair did not end equal (or a violation), 2 on a setup
 * failure. */
int sim_newlink(size_t n, uint64_t seed, const struct sim_opts *o, size_t records, size_t diff);

#endif
