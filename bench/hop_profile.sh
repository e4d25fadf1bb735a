#!/usr/bin/env bash
# Where one hop's time goes: the 3-node chain of push_bench.sh (push on),
# warmed up, then BENCH_REPS records per probe (default 200; the ~1 ms
# poller and the held-at stamps alternate, so twice that) published on a while the
# relay b runs under `perf record --call-graph dwarf` (its CPU time by
# function) and `perf trace` (the wall time of its fsync/fdatasync calls).
# Prints the probe's a -> c figures, b's syscall wait per record and its
# top functions (self time, and with children for the hop's stages).
#
#   bench/hop_profile.sh
#
# Environment: TESSERAD, TESSERA (a RelWithDebInfo build is best: symbols),
# BENCH_REPS, BENCH_KEEP=1 (keeps perf.data and the reports in the bench
# directory).
set -euo pipefail
case ${1:-} in
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
REPS=${BENCH_REPS:-200}
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v perf >/dev/null || die "perf is required"
say "machine: $(machine); load $(cut -d' ' -f1-3 /proc/loadavg); $REPS records"
chain_probe 5 a b c -- "$(printf '[limits]\npush_max_records = 16')"
pid=${NODE_PID[b]}
perf trace -p "$pid" -e fsync,fdatasync -o "$B/trace.txt" &
trace_pid=$!
perf record -q --call-graph dwarf,16384 -F 1999 -p "$pid" -o "$B/perf.data" 2>"$B/record.err" &
rec_pid=$!
sleep 1
"$PY" "$TOOL" chain --src "$B/a/ctl.sock" --dst "$B/c/ctl.sock" --tessera "$TESSERA" \
	--reps "$REPS" >"$B/chain.txt" || die "chain probe failed"
kill -INT "$rec_pid" "$trace_pid"
wait "$rec_pid" "$trace_pid" 2>/dev/null || true
chain_split "$B/chain.txt"
read -r _ p50 p99 max _ < <(percentiles "$B/chain.ms")
say "a -> c (2 hops, under perf on b, poller) p50 $p50 ms, p99 $p99 ms, max $max ms"
read -r _ p50 p99 max _ < <(percentiles "$B/chain.held.ms")
say "a -> c (2 hops, under perf on b, held-at stamps) p50 $p50 ms, p99 $p99 ms, max $max ms"
# perf trace lines: " 0.123 ( 1.234 ms): tesserad/PID fdatasync(fd: 7) = 0"
awk -v reps="$REPS" '/sync\(/ { gsub(/[()]/, "", $2); n++; sum += $2; if ($2 > mx) mx = $2 }
	END { if (n) printf "b: %d fsync/fdatasync calls (%.2f per record), %.3f ms each on average, max %.3f ms\n", n, n / reps / 2, sum / n, mx }' \
	"$B/trace.txt" | sed "s/^/$BENCH_NAME: /"
perf report -i "$B/perf.data" --no-children --sort sym --stdio -g none --percent-limit 1.5 \
	2>"$B/report.err" | grep -v '^#' | grep -v '^$' | head -30 >"$B/self.txt" || true
perf report -i "$B/perf.data" --children --sort sym --stdio -g none --percent-limit 3 \
	2>>"$B/report.err" | grep -v '^#' | grep -v '^$' | head -45 >"$B/children.txt" || true
[[ -s $B/self.txt ]] || say "perf report printed nothing: $(tail -n 3 "$B/report.err")"
say "b's CPU by function, self time:"
cat "$B/self.txt"
say "b's CPU by function, with children:"
cat "$B/children.txt"
for n in a b c; do
	node_stop "$n"
done
