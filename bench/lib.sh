# shellcheck shell=bash disable=SC2034
# Shared helpers for the benchmark scripts; source it from bash after
# `set -euo pipefail`.
#
# Environment: TESSERAD, TESSERA (binaries; default: $TESSERA_BUILD, then
# build-bench/, build-rel/ and build/ of the source tree), SEARCH_BENCH
# (optional), PY (default /usr/bin/python3, else python3), BENCH_KEEP=1 keeps
# the temporary directory, TMPDIR.
#
# Every daemon started here is recorded by PID and stopped by PID (TERM, 5 s
# of grace, then KILL) when the script exits; the temporary directory $B is
# removed then too. Every wait is bounded.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=$(basename "$0" .sh)
TOOL=$BENCH_SRC/bench/benchtool.py

# The first build directory holding both binaries, unless given.
_default_build() {
	local d
	for d in "${TESSERA_BUILD:-}" "$BENCH_SRC/build-bench" "$BENCH_SRC/build-rel" "$BENCH_SRC/build"; do
		if [[ -n $d && -x $d/daemon/tesserad && -x $d/client/tessera ]]; then
			echo "$d"
			return
		fi
	done
	echo "$BENCH_SRC/build"
}
BENCH_BUILD=$(_default_build)
: "${TESSERAD:=$BENCH_BUILD/daemon/tesserad}"
: "${TESSERA:=$BENCH_BUILD/client/tessera}"
: "${SEARCH_BENCH:=$BENCH_BUILD/bench/search_bench}"
export TESSERAD TESSERA

for _bin in "$TESSERAD" "$TESSERA"; do
	if [[ ! -x $_bin ]]; then
		echo "$BENCH_NAME: $_bin is not an executable (set TESSERAD/TESSERA)" >&2
		exit 1
	fi
done
unset _bin
# The system Python when there is one: a version manager's shim (pyenv) costs
# a second or more per start on a busy machine, and the scripts start many.
if [[ -z ${PY:-} ]]; then
	if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=python3; fi
fi
for _tool in jq "$PY" awk; do
	command -v "$_tool" >/dev/null || { echo "$BENCH_NAME: $_tool is required" >&2; exit 1; }
done
unset _tool

B=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
declare -A NODE_PID=()
declare -A NODE_ID=()
declare -A NODE_PORT=()
declare -a HELPER_PIDS=()

say() { printf '%s: %s\n' "$BENCH_NAME" "$*"; }
die() {
	printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2
	exit 1
}

# stop_pid PID: TERM, up to 5 s of grace, then KILL; reaps it.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "$BENCH_NAME: PID $pid ignored SIGTERM for 5 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

_bench_cleanup() {
	local name pid
	set +e
	for name in "${!NODE_PID[@]}"; do
		stop_pid "${NODE_PID[$name]}"
	done
	for pid in "${HELPER_PIDS[@]}"; do
		stop_pid "$pid"
	done
	if [[ -n ${BENCH_KEEP:-} ]]; then
		echo "$BENCH_NAME: kept $B" >&2
	else
		rm -rf "$B"
	fi
}
trap _bench_cleanup EXIT
trap 'exit 130' INT TERM

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# node_init NAME [init args...]
node_init() {
	local name=$1 id
	shift
	mkdir -p "$B/$name"
	id=$("$TESSERAD" init --data "$B/$name/data" --name "$name" "$@" 2>"$B/$name/init.err") ||
		die "tesserad init $name failed: $(cat "$B/$name/init.err")"
	NODE_ID[$name]=$id
}

# node_conf NAME [extra lines...]: writes $B/NAME/tesserad.conf.
node_conf() {
	local name=$1 line
	shift
	{
		printf '[node]\ndata = %s\ncontrol_socket = %s\n' "$B/$name/data" "$B/$name/ctl.sock"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$B/$name/tesserad.conf"
}

# node_start NAME: runs the daemon (log in $B/NAME/log) and waits until it
# answers status (up to 30 s: opening a large store can take a moment).
node_start() {
	local name=$1 i
	"$TESSERAD" -c "$B/$name/tesserad.conf" 2>>"$B/$name/log" &
	NODE_PID[$name]=$!
	for ((i = 0; i < 300; i++)); do
		if "$TESSERA" -s "$B/$name/ctl.sock" status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "${NODE_PID[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	die "node $name did not start; log tail:
$(tail -n 20 "$B/$name/log" 2>/dev/null)"
}

node_stop() {
	local name=$1
	if [[ -n ${NODE_PID[$name]:-} ]]; then
		stop_pid "${NODE_PID[$name]}"
		unset "NODE_PID[$name]"
	fi
}

# cli NAME ARGS...: the CLI against NAME's daemon.
cli() {
	local name=$1
	shift
	"$TESSERA" -s "$B/$name/ctl.sock" "$@"
}

# status_field NAME FIELD: one field of `tessera --json status`.
status_field() {
	cli "$1" --json status | jq -r ".$2"
}

# rss_kb PID [FIELD]: VmRSS (or another /proc/PID/status field) in kB.
rss_kb() {
	awk -v f="${2:-VmRSS}:" '$1 == f { print $2 }' "/proc/$1/status"
}

# cpu_ticks PID: utime + stime of PID in clock ticks.
cpu_ticks() {
	# Fields after the parenthesised command name; utime and stime are the
	# 14th and 15th fields of the whole line.
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

# loop_ticks PID: cpu_ticks of the process's first thread only, which runs
# the daemon's event loop (the rest is the threadpool: verification,
# tokenizing ahead, attachment syncs).
loop_ticks() {
	cpu_ticks "$1/task/$1"
}

# now_s: wall clock with microseconds (bash 5).
now_s() { echo "$EPOCHREALTIME"; }

# elapsed T0 T1: seconds between two now_s readings.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# percentiles FILE: "n p50 p99 max mean" of the numbers in FILE (one a line,
# nearest rank).
percentiles() {
	sort -g "$1" | awk '
		{ v[NR] = $1; s += $1 }
		function rank(p,   k) { k = int(p / 100 * NR + 0.999999); if (k < 1) k = 1; return v[k] }
		END {
			if (NR == 0) { print "0 0 0 0 0"; exit }
			printf "%d %.3f %.3f %.3f %.3f\n", NR, rank(50), rank(99), v[NR], s / NR
		}'
}

# machine: one line about this machine.
machine() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	printf '%s, nproc %s, %s MB RAM, Linux %s' "${cpu:-unknown CPU}" "$(nproc)" \
		"$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)" "$(uname -r)"
}

# verdict OK: "met" or "NOT MET".
verdict() { if [[ $1 == 1 ]]; then echo "met"; else echo "NOT MET"; fi; }

# le A B: 1 if A <= B (decimals), else 0.
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }

# records NAME: live records of node NAME (over the control socket).
records() { "$PY" "$TOOL" status "$B/$1/ctl.sock" | cut -d' ' -f1; }

# wait_indexed NAME [EVERY_S]: polls (every EVERY_S seconds, default 0.02,
# up to about 10 minutes) until NAME's status says no stored text waits to
# be indexed for search (index_behind; a daemon without that field indexes
# in the commit); returns 1 on timeout.
wait_indexed() {
	local behind every=${2:-0.02} end=$((SECONDS + 600))
	while ((SECONDS < end)); do
		behind=$(cli "$1" --json status | jq '.index_behind // 0')
		((behind == 0)) && return 0
		sleep "$every"
	done
	say "$1: indexing did not finish"
	return 1
}

# wait_records NAME COUNT TIMEOUT_S: polls (every 20 ms) until NAME holds at
# least COUNT records; returns 1 on timeout.
wait_records() {
	"$PY" "$TOOL" wait "$B/$1/ctl.sock" "$2" "$3" || {
		say "$1: sync did not finish"
		return 1
	}
}

# chain_probe REPS NAME... [-- EXTRA_CONF_LINE...]: the named nodes peered
# in a chain (each with its neighbours only) and started; once every
# profile is everywhere, REPS records per probe published on the first one
# (benchtool.py chain --probe both: the ~1 ms status poller and the slow
# HELD poll alternating). Leaves one line per record in $B/chain.txt; in
# $B/chain.ms the poller's times from the record's arrival in the first
# store to its arrival in the last (as seen by the poller), in
# $B/chain.held.ms the daemons' own commit times (last - first) under the
# slow poll and in $B/chain.heldfast.ms the same under the fast poller
# (empty for a daemon without HELD); $B/chain.dups holds the duplicate
# pushes summed over the nodes (Status.push_duplicates; "-" when the
# daemon does not report it). Leaves the nodes running.
chain_probe() {
	local reps=$1 k j n p names=() extra=() lines dups=0 d
	shift
	while (($# > 0)) && [[ $1 != -- ]]; do names+=("$1"); shift; done
	(($# > 0)) && shift
	extra=("$@")
	for n in "${names[@]}"; do
		node_init "$n"
		NODE_PORT["$n"]=$(free_port)
	done
	for ((k = 0; k < ${#names[@]}; k++)); do
		n=${names[k]}
		lines=("listen = 127.0.0.1:${NODE_PORT[$n]}")
		for j in $((k - 1)) $((k + 1)); do
			((j >= 0 && j < ${#names[@]})) || continue
			p=${names[j]}
			lines+=("$(printf '[peer "%s"]\naddress = 127.0.0.1:%s\nid = %s' "$p" \
				"${NODE_PORT[$p]}" "${NODE_ID[$p]}")")
		done
		node_conf "$n" "${lines[@]}" "${extra[@]}"
	done
	for n in "${names[@]}"; do
		node_start "$n"
	done
	for n in "${names[@]}"; do
		wait_records "$n" ${#names[@]} 60 || die "the chain did not converge"
	done
	"$PY" "$TOOL" chain --src "$B/${names[0]}/ctl.sock" --dst "$B/${names[-1]}/ctl.sock" \
		--tessera "$TESSERA" --reps "$reps" >"$B/chain.txt" || die "chain probe failed"
	chain_split "$B/chain.txt"
	local total
	total=$(wc -l <"$B/chain.txt")
	wait_records "${names[-1]}" $((${#names[@]} + total)) 30 || die "${names[-1]} misses records"
	for n in "${names[@]}"; do
		d=$(status_field "$n" 'push_duplicates // "-"')
		if [[ $d == - ]]; then dups=-; break; fi
		dups=$((dups + d))
	done
	echo "$dups" >"$B/chain.dups"
}

# chain_split FILE: the columns of benchtool.py chain's output into
# $B/chain.ms (poller), $B/chain.held.ms (held-at, slow poll) and
# $B/chain.heldfast.ms (held-at, under the poller).
chain_split() {
	awk '$6 == "fast" { print $4 }' "$1" >"$B/chain.ms"
	awk '$6 == "slow" && $5 != "-" { print $5 }' "$1" >"$B/chain.held.ms"
	awk '$6 == "fast" && $5 != "-" { print $5 }' "$1" >"$B/chain.heldfast.ms"
}
