#!/usr/bin/env bash
# Does the web view slow sync down? 1-hop record latency with and without a
# search-page load on the receiving node, on 127.0.0.1 only.
#
#   bench/web_bench.sh [--smoke] [N]
#
# Node a holds N records (default 20000, --smoke: 1000; bench/gen_records.py)
# and serves the web view; node b is its only peer. BENCH_REPS (30; smoke 10)
# times a record is published on b and its arrival in a's store is timed
# (benchtool.py chain, polling both control sockets every ~1 ms): first with
# the web view idle, then while bench/webload.py keeps BENCH_CLIENTS (4)
# clients requesting search pages (multilingual words, filters, deep pages,
# communities, health) from a, at most BENCH_WEB_MAX (200000) requests.
# Reports p50/p99/max of both latency series, the pages served per second
# and their latency, and the load average before and after.
#
# Environment: TESSERAD, TESSERA (see bench/lib.sh), BENCH_N, BENCH_REPS,
# BENCH_CLIENTS, BENCH_WEB_MAX, BENCH_SEED, BENCH_KEEP=1.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/args.sh"
if ((SMOKE)); then REPS=${BENCH_REPS:-10}; else REPS=${BENCH_REPS:-30}; fi
[[ -n ${BENCH_N:-} || $N != 100000 ]] || N=20000
CLIENTS=${BENCH_CLIENTS:-4}
WEB_MAX=${BENCH_WEB_MAX:-200000}
SEED=${BENCH_SEED:-1}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

say "machine: $(machine); load $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" "$BENCH_SRC/bench/gen_records.py" "$N" --seed "$SEED" -o "$B/base.jsonl"

node_init a
node_init b
NODE_PORT[a]=$(free_port)
WEB=$(free_port)
node_conf a "listen = 127.0.0.1:${NODE_PORT[a]}" "web_listen = 127.0.0.1:$WEB" \
	"web_catalogues = $BENCH_BUILD/locale" \
	"$(printf '[limits]\nmax_records_per_author = %d' $((N + 1000)))" \
	"$(printf '[peer "b"]\nid = %s' "${NODE_ID[b]}")"
node_conf b "$(printf '[peer "a"]\naddress = 127.0.0.1:%s\nid = %s' "${NODE_PORT[a]}" "${NODE_ID[a]}")"
node_start a
node_start b
cli a --json import "$B/base.jsonl" >/dev/null || die "import on a failed"
"$PY" "$TOOL" wait "$B/b/ctl.sock" "$N" $((120 + N / 100)) >/dev/null ||
	die "b did not receive a's $N records"
say "a holds $(records a) records, b $(records b)"

# probe FILE: REPS records published on b, ms until each is in a's store.
probe() {
	"$PY" "$TOOL" chain --src "$B/b/ctl.sock" --dst "$B/a/ctl.sock" --tessera "$TESSERA" \
		--reps "$REPS" --probe fast | awk '{ print $4 }' >"$1"
}

probe "$B/idle.ms"
read -r n1 p50a p99a maxa _ < <(percentiles "$B/idle.ms")
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

"$PY" "$BENCH_SRC/bench/webload.py" "$WEB" --clients "$CLIENTS" --seconds 600 \
	--max "$WEB_MAX" --out "$B/web.ms" --stop "$B/web.stop" >"$B/web.out" &
LOADER=$!
HELPER_PIDS+=("$LOADER")
sleep 2
probe "$B/busy.ms"
touch "$B/web.stop"
wait "$LOADER" || die "the web load failed"
read -r total errors rps <"$B/web.out"
read -r n2 p50b p99b maxb _ < <(percentiles "$B/busy.ms")
read -r nw p50w p99w maxw _ < <(percentiles "$B/web.ms")
LOAD2=$(cut -d' ' -f1-3 /proc/loadavg)
cli a status >/dev/null || die "a's control socket did not answer after the load"

say "1-hop latency, web idle:   n=$n1 p50 $p50a ms, p99 $p99a ms, max $maxa ms (load $LOAD1)"
say "1-hop latency, web loaded: n=$n2 p50 $p50b ms, p99 $p99b ms, max $maxb ms (load $LOAD2)"
say "web: $CLIENTS clients, $total requests, $errors errors, $rps pages/s;" \
	"page latency p50 $p50w ms, p99 $p99w ms, max $maxw ms"
