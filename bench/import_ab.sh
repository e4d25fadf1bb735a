#!/usr/bin/env bash
# bench/import_ab.sh LABEL [N]: `tessera import` of gen_records.py N --seed 1
# (default 20,000: the file sync_ab.sh setup made; other sizes are generated
# into the same place on first use) into a fresh node run by TESSERAD; times
# until the import returns (stored) and until status index_behind is 0
# (stored and indexed), and the daemon's CPU time at each (and its loop
# thread's). The status is
# polled every 0.25 s once the import has returned (each poll costs the
# daemon a little; a daemon that indexes inside the import is done at the
# first). BENCH_INDEXED=0 stops the node once the import has returned
# (the indexed figures are then those of that moment).
set -euo pipefail
LABEL=$1
N=${2:-20000}
BENCH_NAME=import_ab
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REC=${BENCH_STORES:-${TMPDIR:-/tmp}/tessera-syncab}/p$N/base.jsonl
if [[ ! -s $REC ]]; then
	[[ $N != 20000 ]] || die "$REC: run BENCH_N=20000 bench/sync_ab.sh setup first"
	mkdir -p "$(dirname "$REC")"
	"$PY" "$BENCH_SRC/bench/gen_records.py" "$N" --seed 1 -o "$REC.tmp"
	mv "$REC.tmp" "$REC"
fi
node_init n
node_conf n "$(printf '[limits]\nmax_records_per_author = %d' $((N + 10000)))"
node_start n
load=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(now_s)
cli n --json import "$REC" >/dev/null
t1=$(now_s)
c1=$(cpu_ticks "${NODE_PID[n]}")
l1=$(loop_ticks "${NODE_PID[n]}")
[[ ${BENCH_INDEXED:-1} == 0 ]] || wait_indexed n 0.25 || die "n never finished indexing"
t2=$(now_s)
c2=$(cpu_ticks "${NODE_PID[n]}")
l2=$(loop_ticks "${NODE_PID[n]}")
HZ=$(getconf CLK_TCK)
echo "$LABEL: import $N stored in $(elapsed "$t0" "$t1") s ($(awk -v n="$N" -v s="$(elapsed "$t0" "$t1")" 'BEGIN{printf "%.0f", n/s}') records/s), stored and indexed $(elapsed "$t0" "$t2") s; CPU daemon $(awk -v c=$c1 -v h=$HZ 'BEGIN{printf "%.2f", c/h}') / $(awk -v c=$c2 -v h=$HZ 'BEGIN{printf "%.2f", c/h}') s (loop thread $(awk -v c=$l1 -v h=$HZ 'BEGIN{printf "%.2f", c/h}') / $(awk -v c=$l2 -v h=$HZ 'BEGIN{printf "%.2f", c/h}') s); load $load -> $(cut -d' ' -f1-3 /proc/loadavg)"
node_stop n
