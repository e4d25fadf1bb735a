#!/usr/bin/env bash
# Scale figures from the simulator (tests/sim, docs/simulator.md): N
# simulated nodes in one process, each with the real session engine and a
# real SQLite store, on a random connected graph of degree 3-6 (seeded).
#
#   bench/sim_scale.sh [--smoke] [--seed S] [N...]
#
# For each N (default 100 1000 10000; --smoke: 30):
#  - start: every link dials, sessions exchange Hello and empty offers, until
#    nothing but timers is left (simulated time to idle);
#  - convergence of one new record written on a random node: simulated time
#    until the last node stores it, the hops it took (the longest path it
#    travelled, and the mean), and messages and bytes per node;
#  - catch-up: a random node goes down, 100 records (20 above 2,000 nodes,
#    where spreading each to every node dominates the wall time) are written
#    on others and spread, the node restarts: simulated time until it holds
#    them all, and the messages and bytes it received and sent.
# Simulated time counts link delay (0.5-20 ms one way, jitter up to half of
# it, 1-50 MB/s, drawn per link) and verification (50-450 us per Records
# message); the stores' own CPU time is not simulated (docs/benchmarks.md).
# The stores live in /dev/shm. Above 2,000 nodes each store keeps its journal
# in memory (--lean: one file descriptor per store instead of two, so that
# 10,000 fit under the 20,000 descriptors allowed here) and a 64 KiB page
# cache. Environment: TESSERA_SIM (default build/tests/sim/tessera-sim).
set -euo pipefail
cd "$(dirname "$0")/.."
SIM=${TESSERA_SIM:-build/tests/sim/tessera-sim}
SEED=1 SIZES=() SMOKE=0
while (($# > 0)); do
	case $1 in
	--smoke) SMOKE=1 ;;
	--seed) SEED=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	[0-9]*) SIZES+=("$1") ;;
	*) echo "usage: $0 [--smoke] [--seed S] [N...]" >&2; exit 2 ;;
	esac
	shift
done
if ((${#SIZES[@]} == 0)); then
	if ((SMOKE)); then SIZES=(30); else SIZES=(100 1000 10000); fi
fi
[ -x "$SIM" ] || { echo "sim_scale: $SIM not built (cmake --build build)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
echo "tessera-sim $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC')," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), nproc $(nproc)"
for n in "${SIZES[@]}"; do
	extra=(--catchup 100)
	if ((n > 2000)); then extra=(--catchup 20 --lean --cache-kib 64); fi
	echo
	echo "== $SIM --bench $n --degree 3-6 --seed $SEED ${extra[*]}"
	"$SIM" --bench "$n" --degree 3-6 --seed "$SEED" "${extra[@]}"
done
