#!/usr/bin/env bash
# Forward before commit, A/B in one run: the 3-node chain of push_bench.sh
# (push_max_records = 16), BENCH_REPS records (default 40) per round, a -> c
# time from the record's arrival in a's store to c's (benchtool.py chain,
# ~1 ms polling), alternating the daemon binaries BASE (before) and NEW
# (this build) round by round, BENCH_ROUNDS rounds each (default 3), fresh
# daemons each round. Prints p50/p99/max per binary over all its rounds.
#
#   bench/forward_ab.sh BASE_TESSERAD [NEW_TESSERAD]
#
# Environment: TESSERA (the CLI, see bench/lib.sh), BENCH_REPS,
# BENCH_ROUNDS, BENCH_KEEP=1.
set -euo pipefail
case ${1:-} in
-h | --help | '') sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
BASE_BIN=$1
REPS=${BENCH_REPS:-40} ROUNDS=${BENCH_ROUNDS:-3}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NEW_BIN=${2:-$TESSERAD}
say "machine: $(machine); load $(cut -d' ' -f1-3 /proc/loadavg); $REPS records x $ROUNDS rounds"
: >"$B/base.ms"
: >"$B/new.ms"
for ((r = 1; r <= ROUNDS; r++)); do
	for which in base new; do
		if [[ $which == base ]]; then TESSERAD=$BASE_BIN; else TESSERAD=$NEW_BIN; fi
		names=("a$which$r" "b$which$r" "c$which$r")
		chain_probe "$REPS" "${names[@]}" -- "$(printf '[limits]\npush_max_records = 16')"
		cat "$B/chain.ms" >>"$B/$which.ms"
		for n in "${names[@]}"; do
			node_stop "$n"
		done
	done
done
for which in base new; do
	read -r _ p50 p99 max _ < <(percentiles "$B/$which.ms")
	say "$which: a -> c (2 hops) p50 $p50 ms, p99 $p99 ms, max $max ms over $((REPS * ROUNDS)) records"
done
say "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
