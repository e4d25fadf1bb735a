#!/usr/bin/env bash
# Tessera side by side with Syncthing (and Tessera's scale figures), on
# 127.0.0.1 only, in one run:
#
#   bench/compare.sh [--smoke] [--items N] [--reps R] [--idle S]
#                    [--sizes "10 25 50"] [--out DIR]
#
# The same N items (default 10000; --smoke: 50) of ~1 KB from
# gen_records.py: Tessera imports them as records (tessera import), Syncthing
# gets one file per record with the same bytes. Each system runs alone.
#  1. Initial sync a -> empty b (once a has indexed what it imported, as
#     Syncthing's a has scanned its folder), b dialling a through benchtool.py's
#     byte-counting relay: time until b holds all N, bytes through the relay
#     (both directions, TLS included), CPU seconds of a and b over that time
#     (utime + stime from /proc/PID/stat).
#  2. Chain a - b2 - c (b2 and c empty, a as before): time until c holds all.
#  4. After a settling pause, RSS and idle CPU of a, b2 and c over S seconds
#     (default 30; smoke 2).
#  3. Propagation of one new item a -> c over the chain, R times (default 20;
#     smoke 3): from just before the item is written (Tessera: `tessera add`
#     starts; Syncthing: the file is written, then /rest/db/scan for just that
#     file) until it is in c (Tessera: c's status; Syncthing: the file exists).
# Then bench/scale.sh for each size in --sizes (default "10 25 50"; smoke
# "4"), and bench/report.sh writes results.md and the PNG plots.
#
# Syncthing (Debian package syncthing, installed with apt-get if missing) is
# set up by bench/sttool.py: config generated, then listening on 127.0.0.1
# only with discovery, relays, NAT, usage and crash reporting and upgrades
# off (written before its first start, then checked over REST); devices and
# folders are added through the REST API. It runs as one process
# (STMONITORED=yes: no restart monitor) at normal priority.
#
# Results go to --out (default bench/results/YYYYmmdd-HHMMSS; smoke: a
# temporary directory). Environment: TESSERAD, TESSERA (bench/lib.sh),
# BENCH_SEED (1), BENCH_KEEP=1.
set -euo pipefail

SMOKE=0 ITEMS='' REPS='' IDLE_S='' SIZES='' OUT=''
while (($# > 0)); do
	case $1 in
	--smoke) SMOKE=1 ;;
	--items) ITEMS=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--idle) IDLE_S=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--smoke] [--items N] [--reps R] [--idle S] [--sizes LIST] [--out DIR]" >&2; exit 2 ;;
	esac
	shift
done
if ((SMOKE)); then
	: "${ITEMS:=50}" "${REPS:=3}" "${IDLE_S:=2}" "${SIZES:=4}"
	SETTLE=1
else
	: "${ITEMS:=10000}" "${REPS:=20}" "${IDLE_S:=30}" "${SIZES:=10 25 50}"
	SETTLE=5
fi
SEED=${BENCH_SEED:-1}
SYNC_TIMEOUT=$((120 + ITEMS / 20))

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ST=$BENCH_SRC/bench/sttool.py
if [[ -z $OUT ]]; then
	if ((SMOKE)); then
		OUT=$B/results
	else
		OUT=$BENCH_SRC/bench/results/$(date -u +%Y%m%d-%H%M%S)
	fi
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# need_pkg COMMAND PACKAGE: installs PACKAGE with apt-get if COMMAND is missing.
need_pkg() {
	command -v "$1" >/dev/null && return 0
	local sudo=
	[[ $(id -u) -ne 0 ]] && sudo=sudo
	say "installing $2 (apt-get)"
	if ! $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null ||
		! DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 \
			install -y -qq "$2" >/dev/null; then
		die "could not install $2"
	fi
	command -v "$1" >/dev/null || die "$2 installed but $1 not found"
}
need_pkg syncthing syncthing
need_pkg gnuplot gnuplot-nox

HZ=$(getconf CLK_TCK)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A R=() # results: KEY -> value, written to $OUT/compare.env

# cpu_s PID...: CPU seconds (utime + stime) of the PIDs together.
cpu_s() {
	local t=0 p
	for p in "$@"; do
		t=$((t + $(cpu_ticks "$p")))
	done
	awk -v t="$t" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }'
}

# idle PREFIX NAME...: settles, then RSS (kB) and CPU % of each daemon over
# IDLE_S seconds: R[PREFIX_rss_NAME], R[PREFIX_cpu_NAME].
idle() {
	local pre=$1 n t0 t1
	shift
	declare -A c0=()
	sleep "$SETTLE"
	for n in "$@"; do c0[$n]=$(cpu_ticks "${NODE_PID[$n]}"); done
	t0=$(now_s)
	sleep "$IDLE_S"
	t1=$(now_s)
	for n in "$@"; do
		R[${pre}_cpu_${n#st-}]=$(awk -v c=$(($(cpu_ticks "${NODE_PID[$n]}") - c0[$n])) \
			-v hz="$HZ" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", 100 * c / hz / (b - a) }')
		R[${pre}_rss_${n#st-}]=$(rss_kb "${NODE_PID[$n]}")
	done
}

# start_relay TARGET_PORT STATS: relay in the background; prints its port.
start_relay() {
	local i
	rm -f "$B/relay.port"
	"$PY" "$TOOL" relay --target "$1" --port-file "$B/relay.port" --stats "$2" &
	HELPER_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[[ -s $B/relay.port ]] && break
		sleep 0.05
	done
	[[ -s $B/relay.port ]] || die "the relay did not start"
}

"$PY" "$BENCH_SRC/bench/gen_records.py" "$ITEMS" --seed "$SEED" -o "$B/items.jsonl"
say "machine: $(machine); load $LOAD_START"
say "items: $ITEMS ($(wc -c <"$B/items.jsonl") bytes), reps: $REPS, idle: $IDLE_S s, sizes: $SIZES, out: $OUT"

# --- Tessera -------------------------------------------------------------------
tessera_run() {
	local n lim t0 t1 c0 want
	for n in a b b2 c; do
		node_init "$n"
		NODE_PORT[$n]=$(free_port)
	done
	lim=$(printf '[limits]\nmax_records_per_author = %d\nbackoff_min = 100ms\nbackoff_max = 1s' \
		$((ITEMS + 1000)))
	peer() { printf '[peer "%s"]\nid = %s%s' "$1" "${NODE_ID[$1]}" \
		"${2:+$(printf '\naddress = 127.0.0.1:%s' "$2")}"; }
	node_conf a "listen = 127.0.0.1:${NODE_PORT[a]}" "$lim" "$(peer b)" "$(peer b2)"
	node_start a
	cli a --json import "$B/items.jsonl" >/dev/null 2>"$B/import.err" ||
		die "import on a failed: $(cat "$B/import.err")"
	R[t_a_records]=$(records a)
	# Both senders start done with their own indexing: Syncthing's a has
	# scanned its folder (st_scanned), Tessera's a has indexed its records
	# for search (before 2026-12-06 17:55 UTC it indexed them during the
	# sync, on the same two cores).
	wait_indexed a 0.25 || die "tessera: a never finished indexing"

	# 1. a -> b through the relay.
	start_relay "${NODE_PORT[a]}" "$B/t-relay.json"
	node_conf b "$lim" "$(peer a "$(<"$B/relay.port")")"
	want=$((R[t_a_records] + 1)) # and b's own profile
	c0=$(cpu_ticks "${NODE_PID[a]}")
	t0=$(now_s)
	node_start b
	wait_records b "$want" "$SYNC_TIMEOUT" || die "tessera: initial sync did not finish"
	t1=$(now_s)
	R[t_sync_s]=$(elapsed "$t0" "$t1")
	R[t_sync_cpu_a]=$(awk -v t=$(($(cpu_ticks "${NODE_PID[a]}") - c0)) -v hz="$HZ" \
		'BEGIN { printf "%.2f", t / hz }')
	R[t_sync_cpu_b]=$(cpu_s "${NODE_PID[b]}")
	sleep 1
	R[t_sync_bytes]=$(jq -r '.up + .down' "$B/t-relay.json")
	say "tessera 1: ${R[t_a_records]} records a -> b in ${R[t_sync_s]} s, ${R[t_sync_bytes]} bytes, CPU a ${R[t_sync_cpu_a]} s b ${R[t_sync_cpu_b]} s"
	node_stop b

	# 2. chain a - b2 - c.
	node_conf b2 "listen = 127.0.0.1:${NODE_PORT[b2]}" "$lim" \
		"$(peer a "${NODE_PORT[a]}")" "$(peer c)"
	node_conf c "$lim" "$(peer b2 "${NODE_PORT[b2]}")"
	t0=$(now_s)
	node_start b2
	node_start c
	wait_records c $((R[t_a_records] + 2)) "$SYNC_TIMEOUT" || die "tessera: chain sync did not finish"
	t1=$(now_s)
	R[t_chain_s]=$(elapsed "$t0" "$t1")
	say "tessera 2: c holds everything after ${R[t_chain_s]} s"

	# 4. idle.
	idle t a b2 c
	say "tessera 4: RSS a ${R[t_rss_a]} b2 ${R[t_rss_b2]} c ${R[t_rss_c]} kB; CPU % a ${R[t_cpu_a]} b2 ${R[t_cpu_b2]} c ${R[t_cpu_c]}"

	# 3. one new record a -> c.
	"$PY" "$TOOL" chain --src "$B/a/ctl.sock" --dst "$B/c/ctl.sock" --tessera "$TESSERA" \
		--reps "$REPS" --probe fast >"$B/t-prop.txt" || die "tessera: propagation probe failed"
	awk '{ print $3 }' "$B/t-prop.txt" >"$OUT/tessera-prop.ms"
	awk '{ print $4 }' "$B/t-prop.txt" >"$OUT/tessera-prop-store.ms"
	read -r _ "R[t_p50]" "R[t_p99]" "R[t_pmax]" _ < <(percentiles "$OUT/tessera-prop.ms")
	read -r _ "R[t_store_p50]" "R[t_store_p99]" _ _ < <(percentiles "$OUT/tessera-prop-store.ms")
	say "tessera 3: a -> c p50 ${R[t_p50]} ms, p99 ${R[t_p99]} ms (from a's store: ${R[t_store_p50]} / ${R[t_store_p99]} ms)"
	for n in a b2 c; do node_stop "$n"; done
	stop_pid "${HELPER_PIDS[0]}"
	HELPER_PIDS=()
	R[tessera_version]=$("$TESSERAD" --version 2>&1 | head -n 1 || true)
}

# --- Syncthing -------------------------------------------------------------------
declare -A ST_ID=() ST_PORT=()

st_init() {
	local n=$1 h=$B/st-$1
	mkdir -p "$h/data"
	ST_PORT[$n]=$(free_port)
	ST_ID[$n]=$("$PY" "$ST" init "$h/home" --listen "${ST_PORT[$n]}" --gui "$(free_port)") ||
		die "syncthing generate for $n failed"
}

st_start() {
	local n=$1 h=$B/st-$1
	HOME=$h STMONITORED=yes STNOUPGRADE=1 syncthing serve --home "$h/home" --no-browser \
		--no-restart --logflags=3 >>"$h/log" 2>&1 &
	NODE_PID[st-$n]=$!
	"$PY" "$ST" wait-up "$h/home" 60 || die "syncthing $n did not start: $(tail -n 5 "$h/log")"
	"$PY" "$ST" check "$h/home" || die "syncthing $n is not set up for loopback only"
}

st() { "$PY" "$ST" "$1" "$B/st-$2/home" "${@:3}"; }

# st_scanned NAME COUNT: waits until NAME's folder is idle with COUNT files.
st_scanned() {
	local i s
	for ((i = 0; i < SYNC_TIMEOUT * 5; i++)); do
		s=$(st api "$1" GET "/rest/db/status?folder=bench" | jq -r '"\(.state) \(.localFiles)"')
		[[ $s == "idle $2" ]] && return 0
		sleep 0.2
	done
	die "syncthing $1: folder not scanned ($s)"
}

syncthing_run() {
	local n t0 t1 c0 c0b
	for n in a b b2 c; do st_init "$n"; done
	"$PY" "$ST" files "$B/items.jsonl" "$B/st-a/data"
	st_start a
	st folder a bench "$B/st-a/data" "${ST_ID[a]}"
	st_scanned a "$ITEMS"
	st device a "${ST_ID[b]}" b dynamic
	st device a "${ST_ID[b2]}" b2 dynamic
	st folder a bench "$B/st-a/data" "${ST_ID[a]}" "${ST_ID[b]}" "${ST_ID[b2]}"

	# 1. a -> b through the relay.
	start_relay "${ST_PORT[a]}" "$B/s-relay.json"
	st_start b
	c0=$(cpu_ticks "${NODE_PID[st-a]}")
	c0b=$(cpu_ticks "${NODE_PID[st-b]}")
	t0=$(now_s)
	st device b "${ST_ID[a]}" a "tcp://127.0.0.1:$(<"$B/relay.port")"
	st folder b bench "$B/st-b/data" "${ST_ID[a]}" "${ST_ID[b]}"
	"$PY" "$ST" wait-files "$B/st-b/data" "$ITEMS" "$SYNC_TIMEOUT" ||
		die "syncthing: initial sync did not finish"
	t1=$(now_s)
	R[s_sync_s]=$(elapsed "$t0" "$t1")
	R[s_sync_cpu_a]=$(awk -v t=$(($(cpu_ticks "${NODE_PID[st-a]}") - c0)) -v hz="$HZ" \
		'BEGIN { printf "%.2f", t / hz }')
	R[s_sync_cpu_b]=$(awk -v t=$(($(cpu_ticks "${NODE_PID[st-b]}") - c0b)) -v hz="$HZ" \
		'BEGIN { printf "%.2f", t / hz }')
	sleep 1
	R[s_sync_bytes]=$(jq -r '.up + .down' "$B/s-relay.json")
	say "syncthing 1: $ITEMS files a -> b in ${R[s_sync_s]} s, ${R[s_sync_bytes]} bytes"
	node_stop st-b

	# 2. chain a - b2 - c.
	st_start b2
	st_start c
	t0=$(now_s)
	st device b2 "${ST_ID[a]}" a "tcp://127.0.0.1:${ST_PORT[a]}"
	st device b2 "${ST_ID[c]}" c dynamic
	st device c "${ST_ID[b2]}" b2 "tcp://127.0.0.1:${ST_PORT[b2]}"
	st folder b2 bench "$B/st-b2/data" "${ST_ID[a]}" "${ST_ID[b2]}" "${ST_ID[c]}"
	st folder c bench "$B/st-c/data" "${ST_ID[b2]}" "${ST_ID[c]}"
	"$PY" "$ST" wait-files "$B/st-c/data" "$ITEMS" "$SYNC_TIMEOUT" ||
		die "syncthing: chain sync did not finish"
	t1=$(now_s)
	R[s_chain_s]=$(elapsed "$t0" "$t1")
	say "syncthing 2: c holds everything after ${R[s_chain_s]} s"

	# 4. idle.
	idle s st-a st-b2 st-c
	say "syncthing 4: RSS a ${R[s_rss_a]} b2 ${R[s_rss_b2]} c ${R[s_rss_c]} kB; CPU % a ${R[s_cpu_a]} b2 ${R[s_cpu_b2]} c ${R[s_cpu_c]}"

	# 3. one new file a -> c.
	"$PY" "$ST" probe --home "$B/st-a/home" --folder bench --src "$B/st-a/data" \
		--dst "$B/st-c/data" --reps "$REPS" >"$B/s-prop.txt" ||
		die "syncthing: propagation probe failed"
	awk '{ print $3 }' "$B/s-prop.txt" >"$OUT/syncthing-prop.ms"
	read -r _ "R[s_p50]" "R[s_p99]" "R[s_pmax]" _ < <(percentiles "$OUT/syncthing-prop.ms")
	say "syncthing 3: a -> c p50 ${R[s_p50]} ms, p99 ${R[s_p99]} ms"
	for n in a b2 c; do node_stop "st-$n"; done
	stop_pid "${HELPER_PIDS[0]}"
	HELPER_PIDS=()
	R[syncthing_version]=$(syncthing --version | head -n 1)
}

tessera_run
syncthing_run
R[t_sync_cpu]=$(awk -v a="${R[t_sync_cpu_a]}" -v b="${R[t_sync_cpu_b]}" 'BEGIN { printf "%.2f", a + b }')
R[s_sync_cpu]=$(awk -v a="${R[s_sync_cpu_a]}" -v b="${R[s_sync_cpu_b]}" 'BEGIN { printf "%.2f", a + b }')
R[items]=$ITEMS R[reps]=$REPS R[idle_s]=$IDLE_S R[seed]=$SEED
R[item_bytes]=$(wc -c <"$B/items.jsonl")
R[load_compare]="$LOAD_START -> $(cut -d' ' -f1-3 /proc/loadavg)"
for k in "${!R[@]}"; do
	printf '%s=%q\n' "$k" "${R[$k]}"
done | sort >"$OUT/compare.env"

# --- scale, report ---------------------------------------------------------------
scale_args=(--reps "$REPS" --idle "$IDLE_S" --out "$OUT")
((SMOKE)) && scale_args+=(--smoke)
read -r -a sizes <<<"$SIZES"
bash "$BENCH_SRC/bench/scale.sh" "${scale_args[@]}" "${sizes[@]}" || die "scale benchmark failed"
{
	printf 'date=%q\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'machine=%q\n' "$(machine)"
	printf 'load_end=%q\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'command=%q\n' "TESSERAD=$TESSERAD TESSERA=$TESSERA bench/compare.sh$( ((SMOKE)) && echo ' --smoke') --items $ITEMS --reps $REPS --idle $IDLE_S --sizes '$SIZES'"
} >"$OUT/machine.env"
bash "$BENCH_SRC/bench/report.sh" "$OUT" || die "report failed"
say "results in $OUT"
cat "$OUT/results.md"
