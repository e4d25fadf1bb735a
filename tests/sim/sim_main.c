/* tessera-sim: runs one seed, or many, and says whether every invariant
 * held; a failing run prints the one command that reproduces it.
 *
 *   tessera-sim --seed S [--nodes N] [--degree D|LO-HI] [--records R]
 *               [--faults LIST] [--until MS] [--trace]
 *   tessera-sim --seeds A-B [same options]      many seeds, a summary
 *   tessera-sim --bench N [--degree LO-HI]     scale figures (sim_bench.c)
 *   tessera-sim --newlink R [--diff D]         cost of a new link (sim_newlink.c)
 *
 * Exit status: 0 every invariant held, 1 a violation, 2 usage or setup. */
#include "sim.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sim_bench.h"

#define SIM_DEFAULT_RECORDS 40
#define SIM_DEFAULT_UNTIL_MS 120000

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tessera-sim --seed S | --seeds A-B [--nodes N] [--degree D|LO-HI]\n"
	    "                   [--records R] [--faults all|none|LIST] [--until MS] [--trace]\n"
	    "                   [--hash] [--quiet] [--lose PERMILLE]\n"
	    "       tessera-sim --bench N [--degree LO-HI] [--seed S] [--catchup R] [--lean]\n"
	    "                   [--cache-kib K] [--tmp DIR]\n"
	    "       tessera-sim --newlink RECORDS [--diff D] [--nodes N] [--seed S]\n"
	    "       (any: --push N sets the eager push limit, 0 off; default drawn per seed;\n"
	    "       --no-forward: relays push on only after their commit)\n"
	    "faults: delay,cut,partition,crash,full,restore,evil\n");
	exit(2);
}

static int
parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	char *end;

	*lo = strtoull(s, &end, 10);
	if (end == s)
		return -1;
	if (*end == '\0') {
		*hi = *lo;
		return 0;
	}
	if (*end != '-')
		return -1;
	*hi = strtoull(end + 1, &end, 10);
	return *end == '\0' && *hi >= *lo ? 0 : -1;
}

static void
faults_text(uint32_t mask, char *buf, size_t sz)
{
	size_t off = 0;

	if (mask == SIM_FAULTS_ALL || mask == 0) {
		snprintf(buf, sz, "%s", mask ? "all" : "none");
		return;
	}
	buf[0] = '\0';
	for (int k = 0; k < F_COUNT; k++)
		if (mask & (1u << k))
			off += (size_t)snprintf(buf + off, sz - off, "%s%s", off ? "," : "",
			    fault_name((enum sim_fault_kind)k));
}

/* The network size of a seed when --nodes is not given: 5 to 20, drawn
 * from the seed apart from the run's own stream, so that the printed
 * command with an explicit --nodes replays the same run. */
static size_t
nodes_of(uint64_t seed)
{
	struct rng r;

	rng_seed(&r, seed ^ 0x5eed5eed5eed5eedULL);
	return (size_t)sim_rand_range(&r, 5, 20);
}

static void
print_repro(const struct sim_opts *o)
{
	char f[128], lose[32] = "";

	faults_text(o->faults, f, sizeof(f));
	if (o->lose_permille > 0)
		snprintf(lose, sizeof(lose), " --lose %u", o->lose_permille);
	if (o->push_max >= 0)
		snprintf(lose + strlen(lose), sizeof(lose) - strlen(lose), " --push %d", o->push_max);
	if (o->no_forward)
		snprintf(lose + strlen(lose), sizeof(lose) - strlen(lose), " --no-forward");
	printf("reproduce: tessera-sim --seed %" PRIu64 " --nodes %zu --degree %zu-%zu "
	    "--records %zu --faults %s --until %" PRIu64 "%s --trace\n", o->seed, o->nodes, o->dmin,
	    o->dmax, o->records, f, o->until_ms, lose);
}

/* One run: 0 every invariant held, 1 violations, 2 setup failed. */
static int
run_one(const struct sim_opts *o, bool print_hash)
{
	struct sim sim;
	uint8_t hash[32];
	char *cause = NULL, hex[65];
	int rc = 0;

	if (sim_init(&sim, o, &cause) != 0) {
		fprintf(stderr, "tessera-sim: seed %" PRIu64 ": %s\n", o->seed, cause ? cause : "?");
		free(cause);
		sim_free(&sim);
		return 2;
	}
	sim_run_until(&sim, o->until_ms * 1000, false);
	check_final(&sim);
	if (check_trace(&sim, hash) != 0)
		sim_violation(&sim, "cannot compute the trace hash");
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	if (sim.n_violations > 0) {
		printf("seed %" PRIu64 ": FAILED, %zu violation%s:\n", o->seed, sim.n_violations,
		    sim.n_violations == 1 ? "" : "s");
		for (size_t i = 0; i < sim.n_violations && i < SIM_VIOLATIONS_MAX; i++)
			printf("  %s\n", sim.violation[i]);
		print_repro(o);
		rc = 1;
	} else if (!o->quiet) {
		printf("seed %" PRIu64 ": ok: %zu nodes%s, %zu links, %" PRIu64 " records (%" PRIu64
		    " lost in a restore), %" PRIu64 " forged, %" PRIu64 " rejected, %" PRIu64
		    " frames, %" PRIu64 " bytes, %" PRIu64 " sessions, %" PRIu64 " events, %"
		    PRIu64 " forwarded before commit, %" PRIu64 " crashes between forward and "
		    "commit\n",
		    o->seed, sim.n_honest, sim.n_nodes > sim.n_honest ? " and a misbehaving one" : "",
		    sim.n_edges, sim.st.authored, sim.st.lost, sim.st.forged,
		    sim.st.rejected[SYNC_REJECT_SIGNATURE] + sim.st.rejected[SYNC_REJECT_UNSOLICITED] +
		    sim.st.rejected[SYNC_REJECT_INVALID], sim.st.frames, sim.st.bytes,
		    sim.st.established, sim.st.events, sim.st.forwarded, sim.st.forward_crashes);
	}
	if (print_hash || rc != 0)
		printf("trace %s\n", hex);
	sim_free(&sim);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' }, { "seeds", required_argument, NULL, 'S' },
		{ "nodes", required_argument, NULL, 'n' }, { "degree", required_argument, NULL, 'd' },
		{ "records", required_argument, NULL, 'r' }, { "faults", required_argument, NULL, 'f' },
		{ "until", required_argument, NULL, 'u' }, { "trace", no_argument, NULL, 't' },
		{ "hash", no_argument, NULL, 'H' }, { "quiet", no_argument, NULL, 'q' },
		{ "bench", required_argument, NULL, 'b' }, { "catchup", required_argument, NULL, 'c' },
		{ "lean", no_argument, NULL, 'l' }, { "cache-kib", required_argument, NULL, 'k' },
		{ "tmp", required_argument, NULL, 'T' }, { "lose", required_argument, NULL, 'L' },
		{ "newlink", required_argument, NULL, 'N' }, { "diff", required_argument, NULL, 'D' },
		{ "push", required_argument, NULL, 'P' }, { "no-forward", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_opts o = {
		.dmin = 2, .dmax = 4, .records = SIM_DEFAULT_RECORDS, .faults = SIM_FAULTS_ALL,
		.until_ms = SIM_DEFAULT_UNTIL_MS, .keepalive_ms = 30000, .tick_ms = 1000, .push_max = -1,
	};
	uint64_t lo = 0, hi = 0, bench = 0, catchup = 100, newlink = 0, diff = 100, v1, v2;
	bool have_seed = false, many = false, hash = false;
	size_t nodes = 0;
	int c, failed = 0, errors = 0;

	/* Line by line: a failure is on record even if a long run is cut off. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': if (parse_range(optarg, &lo, &hi) != 0 || lo != hi) usage();
			have_seed = true; break;
		case 'S': if (parse_range(optarg, &lo, &hi) != 0) usage();
			have_seed = many = true; break;
		case 'n': nodes = strtoul(optarg, NULL, 10); if (nodes < 1) usage(); break;
		case 'd': if (parse_range(optarg, &v1, &v2) != 0 || v1 < 1) usage();
			o.dmin = v1; o.dmax = v2; break;
		case 'r': o.records = strtoul(optarg, NULL, 10); break;
		case 'f': if (fault_parse(optarg, &o.faults) != 0) usage(); break;
		case 'u': o.until_ms = strtoull(optarg, NULL, 10); if (o.until_ms < 1000) usage(); break;
		case 't': o.trace = true; break;
		case 'H': hash = true; break;
		case 'q': o.quiet = true; break;
		case 'b': bench = strtoull(optarg, NULL, 10); if (bench < 2) usage(); break;
		case 'c': catchup = strtoull(optarg, NULL, 10); break;
		case 'l': o.lean = true; break;
		case 'k': o.cache_kib = atoi(optarg); break;
		case 'T': o.tmp = optarg; break;
		case 'L': o.lose_permille = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'N': newlink = strtoull(optarg, NULL, 10); if (newlink < 1) usage(); break;
		case 'D': diff = strtoull(optarg, NULL, 10); break;
		case 'P': o.push_max = atoi(optarg); if (o.push_max < 0 || o.push_max > 64) usage(); break;
		case 'F': o.no_forward = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	/* Faults need time after them for the network to heal. */
	if ((o.faults & ~(1u << F_EVIL)) != 0 && o.until_ms < SIM_MIN_UNTIL_MS && bench == 0 &&
	    newlink == 0) {
		fprintf(stderr, "tessera-sim: --until %" PRIu64 " leaves too little time after the "
		    "faults; at least %d, or --faults none\n", o.until_ms, SIM_MIN_UNTIL_MS);
		return 2;
	}
	/* The engine logs to stderr; a run of thousands of sessions says only
	 * what the simulator finds. */
	log_init(o.trace ? 1 : 0, "tessera-sim");
	if (newlink > 0)
		return sim_newlink(nodes > 0 ? nodes : 10, have_seed ? lo : 1, &o, (size_t)newlink,
		    (size_t)diff);
	if (bench > 0)
		return sim_bench((size_t)bench, have_seed ? lo : 1, &o, (size_t)catchup);
	if (!have_seed)
		usage();
	for (uint64_t seed = lo; seed <= hi; seed++) {
		int rc;

		o.seed = seed;
		o.nodes = nodes > 0 ? nodes : nodes_of(seed);
		rc = run_one(&o, hash || (!many && !o.quiet));
		failed += rc == 1;
		errors += rc == 2;
		if (seed == UINT64_MAX)
			break;
	}
	if (many)
		printf("seeds %" PRIu64 "-%" PRIu64 ": %" PRIu64 " run, %d failed, %d could not run\n",
		    lo, hi, hi - lo + 1, failed, errors);
	return errors > 0 ? 2 : failed > 0 ? 1 : 0;
}
