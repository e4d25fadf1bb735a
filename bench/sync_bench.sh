#!/usr/bin/env bash
# Sync benchmark: two nodes, then a 6-node chain, on 127.0.0.1 only.
#
#   bench/sync_bench.sh [--smoke] [N]
#
# 1. Initial sync: node a holds N records (default 100000, --smoke: 1000,
#    imported with tessera import, and indexed for search before b starts);
#    node b, empty, dials a through a byte-counting TCP relay (benchtool.py
#    relay). Reports the time until b holds
#    everything (records/s) and the bytes that crossed the relay (TLS
#    included, both directions) per byte of signed record (body + signature,
#    summed from `tessera --json export`).
# 2. Idle: CPU (utime + stime from /proc/PID/stat) of both nodes over
#    BENCH_IDLE_S seconds (30; smoke 3) once in sync, and their RSS.
# 3. Catch-up: b stops, a gets M new records (1000; smoke 100), b restarts
#    and catches up: time, and relay bytes per new record (reconnection,
#    TLS handshake and hello included).
# 4. Propagation: six nodes n1 - n2 - ... - n6 in a chain (each peered with
#    its neighbours only); BENCH_REPS (20; smoke 5) times a record published
#    on n1 with tessera add, and the time from its arrival in n1's store to
#    its arrival in n6's store, both seen by polling the daemons' status over
#    the control socket every ~1 ms (benchtool.py chain): p50/p99/max.
#
# Environment: TESSERAD, TESSERA (see bench/lib.sh), BENCH_N, BENCH_M,
# BENCH_IDLE_S, BENCH_REPS, BENCH_SEED, BENCH_KEEP=1.
set -euo pipefail

# shellcheck source=bench/args.sh
. "$(dirname "${BASH_SOURCE[0]}")/args.sh"
if ((SMOKE)); then
	M=${BENCH_M:-100} IDLE_S=${BENCH_IDLE_S:-3} REPS=${BENCH_REPS:-5}
else
	M=${BENCH_M:-1000} IDLE_S=${BENCH_IDLE_S:-30} REPS=${BENCH_REPS:-20}
fi
SEED=${BENCH_SEED:-1}
# Seconds a sync may take before the benchmark gives up.
SYNC_TIMEOUT=$((120 + N / 100))

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMMAND="TESSERAD=$TESSERAD TESSERA=$TESSERA BENCH_M=$M BENCH_IDLE_S=$IDLE_S"
COMMAND+=" BENCH_REPS=$REPS BENCH_SEED=$SEED bench/$(basename "$0")"
if ((SMOKE)); then
	COMMAND+=" --smoke"
fi
COMMAND+=" $N"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "machine: $(machine); load $LOAD_START"
say "records: $N, catch-up: $M, idle: $IDLE_S s, chain reps: $REPS, temp dir: $B"

relay_bytes() { jq -r '.up + .down' "$B/relay.json"; }

quota() { printf '[limits]\nmax_records_per_author = %d\n' $((N + M + 1000)); }

# --- data -----------------------------------------------------------------
"$PY" "$BENCH_SRC/bench/gen_records.py" $((N + M)) --seed "$SEED" -o "$B/all.jsonl"
head -n "$N" "$B/all.jsonl" >"$B/base.jsonl"
tail -n "$M" "$B/all.jsonl" >"$B/new.jsonl"
rm "$B/all.jsonl"

# --- 1. initial sync through the relay --------------------------------------
node_init a
node_init b
NODE_PORT["a"]=$(free_port)
node_conf a "listen = 127.0.0.1:${NODE_PORT[a]}" "$(quota)" \
	"$(printf '[peer "b"]\nid = %s' "${NODE_ID[b]}")"
node_start a
t0=$(now_s)
cli a --json import "$B/base.jsonl" >/dev/null 2>"$B/import.err" ||
	die "import on a failed: $(cat "$B/import.err")"
t1=$(now_s)
IMPORT_S=$(elapsed "$t0" "$t1")
A_RECORDS=$(records a)
say "a: imported $N records in $IMPORT_S s; a holds $A_RECORDS"
# A node that has held its records a while has indexed them for search:
# without this wait, a indexed its N new texts during the initial sync, on
# the same two cores (runs before 2026-12-06 17:45 UTC did; sync_ab.sh setup
# waits the same way).
wait_indexed a 0.25 || die "a never finished indexing"
say "a: all searchable $(elapsed "$t1" "$(now_s)") s after the import returned"

"$PY" "$TOOL" relay --target "${NODE_PORT[a]}" --port-file "$B/relay.port" \
	--stats "$B/relay.json" &
HELPER_PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	[[ -s $B/relay.port ]] && break
	sleep 0.05
done
[[ -s $B/relay.port ]] || die "the relay did not start"
RELAY_PORT=$(<"$B/relay.port")
# b's own records (its profile), counted before it has any peer.
node_conf b
node_start b
B_OWN=$(records b)
node_stop b
node_conf b "$(quota)" \
	"$(printf '[peer "a"]\naddress = 127.0.0.1:%s\nid = %s' "$RELAY_PORT" "${NODE_ID[a]}")"

t0=$(now_s)
node_start b
wait_records b $((A_RECORDS + B_OWN)) "$SYNC_TIMEOUT" || die "initial sync did not finish"
t1=$(now_s)
SYNC_S=$(elapsed "$t0" "$t1")
SYNC_RATE=$(awk -v n="$A_RECORDS" -v s="$SYNC_S" 'BEGIN { printf "%.0f", n / s }')
# a gets b's profile in return; then let the last acknowledgements through.
wait_records a $((A_RECORDS + B_OWN)) 30 || die "a did not get b's records"
sleep 1
SYNC_BYTES=$(relay_bytes)
cli a --json export >"$B/export1.jsonl"
read -r SIGNED_N SIGNED_BYTES < <("$PY" "$TOOL" signed-bytes "$B/export1.jsonl")
SYNC_RATIO=$(awk -v w="$SYNC_BYTES" -v s="$SIGNED_BYTES" 'BEGIN { printf "%.3f", w / s }')
PEER_BYTES=$(cli b --json peers | jq -r '[.[] | (.bytes_in // 0) + (.bytes_out // 0)] | add // 0')
say "initial sync: $A_RECORDS records in $SYNC_S s = $SYNC_RATE records/s"
say "relay bytes: $SYNC_BYTES for $SIGNED_BYTES signed bytes in $SIGNED_N records = $SYNC_RATIO wire bytes per record byte (b reports $PEER_BYTES)"

# --- 2. idle CPU and RSS ---------------------------------------------------
PA=${NODE_PID[a]} PB=${NODE_PID[b]}
RSS_A=$(rss_kb "$PA") RSS_B=$(rss_kb "$PB")
HWM_A=$(rss_kb "$PA" VmHWM) HWM_B=$(rss_kb "$PB" VmHWM)
ca0=$(cpu_ticks "$PA") cb0=$(cpu_ticks "$PB") t0=$(now_s)
sleep "$IDLE_S"
ca1=$(cpu_ticks "$PA") cb1=$(cpu_ticks "$PB") t1=$(now_s)
HZ=$(getconf CLK_TCK)
IDLE_A=$(awk -v c=$((ca1 - ca0)) -v hz="$HZ" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", 100 * c / hz / (b - a) }')
IDLE_B=$(awk -v c=$((cb1 - cb0)) -v hz="$HZ" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", 100 * c / hz / (b - a) }')
say "idle over $IDLE_S s: a $IDLE_A % CPU, b $IDLE_B % CPU; RSS a $RSS_A kB (peak $HWM_A), b $RSS_B kB (peak $HWM_B)"

# --- 3. catch-up after a restart ----------------------------------------------
node_stop b
cli a --json import "$B/new.jsonl" >/dev/null 2>"$B/import.err" ||
	die "import of the new records on a failed: $(cat "$B/import.err")"
A_RECORDS2=$(records a)
cli a --json export >"$B/export2.jsonl"
read -r NEW_N NEW_SIGNED < <("$PY" "$TOOL" signed-bytes "$B/export2.jsonl" "$B/export1.jsonl")
BYTES0=$(relay_bytes)
t0=$(now_s)
node_start b
wait_records b "$A_RECORDS2" "$SYNC_TIMEOUT" || die "catch-up did not finish"
t1=$(now_s)
sleep 1
BYTES1=$(relay_bytes)
CATCHUP_S=$(elapsed "$t0" "$t1")
CATCHUP_BYTES=$((BYTES1 - BYTES0))
PER_NEW=$(awk -v b="$CATCHUP_BYTES" -v n="$NEW_N" 'BEGIN { printf "%.0f", b / n }')
NEW_AVG=$(awk -v b="$NEW_SIGNED" -v n="$NEW_N" 'BEGIN { printf "%.0f", b / n }')
CATCHUP_RATIO=$(awk -v w="$CATCHUP_BYTES" -v s="$NEW_SIGNED" 'BEGIN { printf "%.3f", w / s }')
say "catch-up: $NEW_N new records in $CATCHUP_S s (b restart included); $CATCHUP_BYTES relay bytes = $PER_NEW per new record ($NEW_AVG signed bytes each, ratio $CATCHUP_RATIO)"
RSS_A2=$(rss_kb "$PA")
RSS_B2=$(rss_kb "${NODE_PID[b]}")
node_stop b
node_stop a
for pid in "${HELPER_PIDS[@]}"; do
	stop_pid "$pid"
done
HELPER_PIDS=()

# --- 4. propagation along a 6-node chain --------------------------------------
CHAIN=(n1 n2 n3 n4 n5 n6)
chain_probe "$REPS" "${CHAIN[@]}"
read -r _ CH_P50 CH_P99 CH_MAX CH_MEAN < <(percentiles "$B/chain.ms")
say "chain n1 -> n6: p50 $CH_P50 ms, p99 $CH_P99 ms, max $CH_MAX ms over $REPS records"
for n in "${CHAIN[@]}"; do
	node_stop "$n"
done
# Nodes starting and stopping log refused connections and closed sessions;
# anything else is worth a look.
BENIGN='connect failed: connection refused|peer closed the TLS session'
ERRS=$(cat "$B"/*/log | grep -i -E ' (error|warn)' | grep -c -v -E "$BENIGN" || true)
NBENIGN=$(cat "$B"/*/log | grep -i -E ' (error|warn)' | grep -c -E "$BENIGN" || true)
if ((ERRS > 0)); then
	say "unexpected errors or warnings in the logs:"
	cat "$B"/*/log | grep -i -E ' (error|warn)' | grep -v -E "$BENIGN" | head -n 10
fi

cat <<EOF

======================== tessera sync benchmark ========================
command:   $COMMAND
machine:   $(machine)
load:      $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end
date:      $(date -u '+%Y-%m-%d %H:%M UTC')
records:   $N imported on a in $IMPORT_S s; $SIGNED_N records, $SIGNED_BYTES signed bytes ($((SIGNED_BYTES / (SIGNED_N > 0 ? SIGNED_N : 1))) per record)

initial    $A_RECORDS records a -> b in $SYNC_S s = $SYNC_RATE records/s
  wire     $SYNC_BYTES bytes through the relay = $SYNC_RATIO bytes per signed byte
           (daemon's own count on b: $PEER_BYTES)
idle CPU   a $IDLE_A %, b $IDLE_B % over $IDLE_S s
RSS        a $RSS_A kB (peak $HWM_A kB), b $RSS_B kB (peak $HWM_B kB) after the initial sync;
           a $RSS_A2 kB, b $RSS_B2 kB after the catch-up
catch-up   $NEW_N new records after b's restart in $CATCHUP_S s (start-up included)
  wire     $CATCHUP_BYTES bytes = $PER_NEW bytes per new record ($NEW_AVG signed bytes each; ratio $CATCHUP_RATIO)
chain      n1 -> n6 (5 hops): p50 $CH_P50 ms, p99 $CH_P99 ms, max $CH_MAX ms, mean $CH_MEAN ms ($REPS records)
logs       $ERRS unexpected error/warning lines ($NBENIGN refused connections or closed sessions while nodes start and stop)
=========================================================================
EOF
