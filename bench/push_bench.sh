#!/usr/bin/env bash
# Eager push against offers first, in one run: a 3-node chain a - b - c of
# real daemons on 127.0.0.1, BENCH_REPS records (default 40; --smoke 5)
# published on a, the time from each record's arrival in a's store to its
# arrival in c's store (two hops), polled over the control sockets every
# ~1 ms (benchtool.py chain). Alternates push_max_records = 0 (every record
# offered, wanted, then sent) and the default 16 (pushed once the peer is
# caught up), BENCH_ROUNDS times each (default 2), each round on fresh
# daemons, and prints p50/p99/max per setting over all its rounds.
#
#   bench/push_bench.sh [--smoke]
#
# Environment: TESSERAD, TESSERA (see bench/lib.sh), BENCH_REPS,
# BENCH_ROUNDS, BENCH_KEEP=1.
set -euo pipefail
SMOKE=0
case ${1:-} in
--smoke) SMOKE=1 ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
'') ;;
*) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac
if ((SMOKE)); then
	REPS=${BENCH_REPS:-5} ROUNDS=${BENCH_ROUNDS:-1}
else
	REPS=${BENCH_REPS:-40} ROUNDS=${BENCH_ROUNDS:-2}
fi

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
say "machine: $(machine); load $(cut -d' ' -f1-3 /proc/loadavg); $REPS records x $ROUNDS rounds"
for push in 0 16; do
	: >"$B/push$push.ms"
done
for ((r = 1; r <= ROUNDS; r++)); do
	for push in 0 16; do
		names=("a$push$r" "b$push$r" "c$push$r")
		chain_probe "$REPS" "${names[@]}" -- "$(printf '[limits]\npush_max_records = %s' "$push")"
		cat "$B/chain.ms" >>"$B/push$push.ms"
		for n in "${names[@]}"; do
			node_stop "$n"
		done
	done
done
for push in 0 16; do
	read -r _ p50 p99 max _ < <(percentiles "$B/push$push.ms")
	say "push_max_records $push: a -> c (2 hops) p50 $p50 ms, p99 $p99 ms, max $max ms over $((REPS * ROUNDS)) records"
done
say "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
