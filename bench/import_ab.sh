#!/usr/bin/env bash
# bench/import_ab.sh LABEL: `tessera import` of gen_records.py 20000 --seed 1 (the file
# sync_ab.sh setup made) into a fresh node run by TESSERAD; times until the import
# returns (stored) and until status index_behind is 0 (stored and indexed).
set -euo pipefail
LABEL=$1
BENCH_NAME=import_ab
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REC=${BENCH_STORES:-${TMPDIR:-/tmp}/tessera-syncab}/p20000/base.jsonl
[[ -s $REC ]] || die "$REC: run BENCH_N=20000 bench/sync_ab.sh setup first"
node_init n
node_conf n "$(printf '[limits]\nmax_records_per_author = 30000')"
node_start n
load=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(now_s)
cli n --json import "$REC" >/dev/null
t1=$(now_s)
c1=$(cpu_ticks "${NODE_PID[n]}")
wait_indexed n
t2=$(now_s)
c2=$(cpu_ticks "${NODE_PID[n]}")
HZ=$(getconf CLK_TCK)
echo "$LABEL: import 20000 stored in $(elapsed "$t0" "$t1") s ($(awk -v s="$(elapsed "$t0" "$t1")" 'BEGIN{printf "%.0f", 20000/s}') records/s), stored and indexed $(elapsed "$t0" "$t2") s; CPU daemon $(awk -v c=$c1 -v h=$HZ 'BEGIN{printf "%.2f", c/h}') / $(awk -v c=$c2 -v h=$HZ 'BEGIN{printf "%.2f", c/h}') s; load $load -> $(cut -d' ' -f1-3 /proc/loadavg)"
node_stop n
