#!/usr/bin/env bash
# Forward before commit, A/B in one run: the 3-node chain of push_bench.sh
# (push_max_records = 16), BENCH_REPS records (default 40) per round and
# probe, a -> c time from the record's arrival in a's store to c's,
# alternating the daemon binaries BASE (before) and NEW (this build) round
# by round, BENCH_ROUNDS rounds each (default 3), fresh daemons each round.
# Two probes alternate record by record (benchtool.py chain): the ~1 ms
# status poller ("poller") and, where the daemon has HELD, its own commit
# times read after a slow 20 ms poll ("held"; "held, poller running" is the
# same stamp on the poller's records). Prints p50/p99/max per binary and
# probe over all its rounds, and duplicate pushes per record per node.
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
for which in base new; do
	: >"$B/$which.ms"
	: >"$B/$which.held.ms"
	: >"$B/$which.heldfast.ms"
	echo 0 >"$B/$which.dups"
done
for ((r = 1; r <= ROUNDS; r++)); do
	for which in base new; do
		if [[ $which == base ]]; then TESSERAD=$BASE_BIN; else TESSERAD=$NEW_BIN; fi
		names=("a$which$r" "b$which$r" "c$which$r")
		chain_probe "$REPS" "${names[@]}" -- "$(printf '[limits]\npush_max_records = 16')"
		cat "$B/chain.ms" >>"$B/$which.ms"
		cat "$B/chain.held.ms" >>"$B/$which.held.ms"
		cat "$B/chain.heldfast.ms" >>"$B/$which.heldfast.ms"
		d=$(<"$B/chain.dups") t=$(<"$B/$which.dups")
		if [[ $d == - || $t == - ]]; then echo - >"$B/$which.dups"; else echo $((d + t)) >"$B/$which.dups"; fi
		for n in "${names[@]}"; do
			node_stop "$n"
		done
	done
done
for which in base new; do
	for probe in "" .held .heldfast; do
		f=$B/$which$probe.ms
		[[ -s $f ]] || continue
		case $probe in
		'') what=poller ;; .held) what=held ;; *) what="held, poller running" ;;
		esac
		read -r n p50 p99 max _ < <(percentiles "$f")
		say "$which ($what): a -> c (2 hops) p50 $p50 ms, p99 $p99 ms, max $max ms over $n records"
	done
	d=$(<"$B/$which.dups")
	if [[ $d != - ]]; then
		d=$(awk -v d="$d" -v r="$((2 * REPS * ROUNDS))" 'BEGIN { printf "%.3f", d / r / 3 }')
	fi
	say "$which: duplicate pushes per record per node $d"
done
say "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
