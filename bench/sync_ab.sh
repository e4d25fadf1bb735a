#!/usr/bin/env bash
# bench/sync_ab.sh setup | run LABEL [perf|dwarf]  (N records: BENCH_N, default 100000)
# Initial sync a -> b of N pre-imported records (direct, no relay), with the
# daemon given by TESSERAD: copies of stores made once (setup) by
# BENCH_STORES (default ${TMPDIR:-/tmp}/tessera-syncab), so that two builds
# are compared on the same data, alternating, in one session. perf: a -g
# profile of both daemons over the sync; dwarf: 25 s (BENCH_PERF_S) of b with call stacks
# (perf-LABEL.data in BENCH_STORES). SHOWPEERS=1 prints the peer counters.
# Times: until b holds every record (stored), and until b's status says no
# text waits to be indexed (stored and indexed). Make the stores (setup)
# with the oldest of the builds compared: a newer schema refuses an older
# daemon.
set -euo pipefail
MODE=$1; shift
N=${BENCH_N:-100000}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
P=${BENCH_STORES:-${TMPDIR:-/tmp}/tessera-syncab}/p$N
conf() { # name peername peerid [listen|address]
	node_conf "$1" "${@:2}" "$(printf '[limits]\nmax_records_per_author = %d' $((N + 1000)))"
}
if [[ $MODE == setup ]]; then
	rm -rf "$P"; mkdir -p "$P"
	"$PY" "$BENCH_SRC/bench/gen_records.py" "$N" --seed 1 -o "$P/base.jsonl"
	node_init a; node_init b
	echo "${NODE_ID[a]}" >"$P/a.id"; echo "${NODE_ID[b]}" >"$P/b.id"
	conf a "listen = 127.0.0.1:1"
	node_start a
	cli a --json import "$P/base.jsonl" >/dev/null
	# A node that has held its records a while has indexed them: without
	# this, a indexed its 100,000 new texts during every run's sync, on
	# the same two cores (runs before 2026-12-06 08:00 UTC did).
	wait_indexed a || die "a never finished indexing"
	node_stop a
	cp -a "$B/a/data" "$P/a"; cp -a "$B/b/data" "$P/b"
	exit 0
fi
LABEL=$1 PERF=${2:-}
mkdir -p "$B/a" "$B/b"
cp -a "$P/a" "$B/a/data"; cp -a "$P/b" "$B/b/data"
PORT=$(free_port)
conf a "listen = 127.0.0.1:$PORT" "$(printf '[peer "b"]\nid = %s' "$(cat "$P/b.id")")"
node_start a
AREC=$(records a)
conf b "$(printf '[peer "a"]\naddress = 127.0.0.1:%s\nid = %s' "$PORT" "$(cat "$P/a.id")")"
load=$(cut -d' ' -f1-3 /proc/loadavg)
ca0=$(cpu_ticks "${NODE_PID[a]}")
t0=$(now_s)
node_start b
if [[ -n $PERF ]]; then
	if [[ $PERF == dwarf ]]; then
	perf record --call-graph dwarf,16384 -F 250 -o "$P/perf-$LABEL.data" -p "${NODE_PID[b]}" -- sleep "${BENCH_PERF_S:-25}" 2>"$P/perf-$LABEL.err" &
	else
	perf record -g -o "$P/perf-$LABEL.data" -p "${NODE_PID[a]},${NODE_PID[b]}" 2>"$P/perf-$LABEL.err" &
	fi
	PERFPID=$!
fi
wait_records b $((AREC + 1)) 600
t1=$(now_s)
if [[ -n $PERF ]]; then kill -INT $PERFPID 2>/dev/null || true; wait $PERFPID || true; fi
S=$(elapsed "$t0" "$t1")
cbs=$(cpu_ticks "${NODE_PID[b]}")
wait_indexed b
SI=$(elapsed "$t0" "$(now_s)")
if [[ -n ${SHOWPEERS:-} ]]; then sleep 1; cli a --json peers | jq -c '.[] | {sent, received, bytes_out, bytes_in}' ; cli b --json peers | jq -c '.[]|{sent, received,bytes_out,bytes_in}'; grep -v "^$" "$B/b/log" | tail -5; fi
HZ=$(getconf CLK_TCK)
ca1=$(cpu_ticks "${NODE_PID[a]}"); cb=$(cpu_ticks "${NODE_PID[b]}")
echo "$LABEL: $AREC records a->b in $S s = $(awk -v n="$AREC" -v s="$S" 'BEGIN{printf "%.0f", n/s}') records/s (stored), $SI s stored and indexed; CPU a $(awk -v c=$((ca1-ca0)) -v h=$HZ 'BEGIN{printf "%.2f", c/h}') s, b $(awk -v c=$cbs -v h=$HZ 'BEGIN{printf "%.2f", c/h}') s until stored, $(awk -v c=$cb -v h=$HZ 'BEGIN{printf "%.2f", c/h}') s until indexed (b incl. start-up); load $load -> $(cut -d' ' -f1-3 /proc/loadavg)"
