#!/usr/bin/env bash
# Attachments, on 127.0.0.1 only, in one run:
#
#   bench/attach.sh [--size-mb N] [--small N] [--big-mb N] [--no-syncthing] [--out DIR]
#
#  1. One file of N MB (default 100) attached on a: the time `tessera add`
#     takes (copy and hash into a's store), then from the moment it returned
#     (the record is published) until b holds the verified file, with two
#     daemons only (as Syncthing's figure, 4.); then along the chain
#     a - b - c, until b and until c hold it (c fetches from b meanwhile).
#  2. --small files of 100 KB (default 1000; 16 per record) a -> b: from the
#     last add until b holds them all.
#  3. One file of --big-mb MB (default 1024; 0 skips) x -> y: while it moves,
#     a record added on x every 0.5 s and the time until y holds it (also
#     measured on the idle link first), and y's RSS before and at its peak.
#  4. Syncthing (bench/sttool.py, as bench/compare.sh sets it up) moving the
#     same N MB file a -> b, its scan triggered over REST right after the
#     write, in the same run: the time until b holds the file complete.
# Every figure is printed with `uptime` (2 cores shared: the load matters).
# Results go to --out (default bench/results/attach-YYYYmmdd-HHMMSS).
# Environment: TESSERAD, TESSERA (bench/lib.sh), BENCH_KEEP=1.
set -euo pipefail

SIZE_MB=100 SMALL=1000 BIG_MB=1024 ST_RUN=1 OUT=''
while (($# > 0)); do
	case $1 in
	--size-mb) SIZE_MB=$2; shift ;;
	--small) SMALL=$2; shift ;;
	--big-mb) BIG_MB=$2; shift ;;
	--no-syncthing) ST_RUN=0 ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--size-mb N] [--small N] [--big-mb N] [--no-syncthing] [--out DIR]" >&2; exit 2 ;;
	esac
	shift
done
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${OUT:=$BENCH_SRC/bench/results/attach-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
RES=$OUT/attach.txt
: >"$RES"
ST=$BENCH_SRC/bench/sttool.py

report() {
	say "$* [load: $(uptime | sed 's/.*load average: //')]"
	printf '%s [load: %s]\n' "$*" "$(uptime | sed 's/.*load average: //')" >>"$RES"
}

LIMITS=("[limits]" "backoff_min = 100ms" "backoff_max = 1s" "attach_auto_fetch = 1T"
	"attach_budget = 1T")

# peer_lines NAME: the [peer] section pinning NAME.
peer_lines() {
	printf '[peer "%s"]\naddress = 127.0.0.1:%s\nid = %s\n' "$1" "${NODE_PORT[$1]}" "${NODE_ID[$1]}"
}

# nodes NAME... then links as "a:b b:c": initialises, configures, starts.
make_nodes() {
	local n l p
	for n in $1; do
		node_init "$n"
		NODE_PORT[$n]=$(free_port)
	done
	for n in $1; do
		local lines=("listen = 127.0.0.1:${NODE_PORT[$n]}" "" "${LIMITS[@]}")
		for l in $2; do
			[[ ${l%%:*} == "$n" ]] && lines+=("$(peer_lines "${l##*:}")")
			[[ ${l##*:} == "$n" ]] && lines+=("$(peer_lines "${l%%:*}")")
		done
		node_conf "$n" "${lines[@]}"
	done
	for n in $1; do node_start "$n"; done
	for p in $1; do
		wait_for_peers "$p"
	done
}

wait_for_peers() {
	local i
	for ((i = 0; i < 300; i++)); do
		if [[ $(status_field "$1" peers_connected) -ge 1 ]]; then return 0; fi
		sleep 0.1
	done
	die "$1 connected to no peer"
}

# here NAME ID: every attachment of ID is here on NAME. Matched in bash:
# jq took ~30 ms of CPU per call, so a probe every 20 ms spent over half a
# core of the two the daemons share (runs before 2026-12-06 09:00 UTC). Only
# attachments have a "state" in `show --json` (client/recjson.c).
here() {
	local out
	out=$(cli "$1" --json show "$2" 2>/dev/null) || return 1
	out=${out//[[:space:]]/}
	[[ $out == *'"state":"here"'* && $out != *'"state":"'[!h]* ]]
}

# wait_here NAME ID TIMEOUT_S: polls every 20 ms.
wait_here() {
	local end=$((SECONDS + $3))
	until here "$1" "$2"; do
		((SECONDS < end)) || die "$1 does not hold the attachments of $2 after $3 s"
		sleep 0.02
	done
}

# cpu_s NAME...: utime + stime of each node's daemon so far, in seconds.
cpu_s() {
	local n hz
	hz=$(getconf CLK_TCK)
	for n in "$@"; do
		awk -v t="$(cpu_ticks "${NODE_PID[$n]}")" -v hz="$hz" 'BEGIN { printf "%.2f ", t / hz }'
	done
}

# cpu_diff "BEFORE" "AFTER": the differences, "0.12 0.34 ...".
cpu_diff() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x); split(b, y)
		for (i = 1; i <= n; i++) printf "%.2f%s", y[i] - x[i], i < n ? " " : "" }'
}

# One hop between two daemons: what Syncthing's figure (4.) measures. In
# the chain below, b also serves c and c's daemon shares the two cores.
one_hop() {
	local id t1 t2 c1 c2
	make_nodes "pa pb" "pa:pb"
	head -c $((SIZE_MB << 20)) /dev/urandom >"$B/one.bin"
	sync
	id=$(cli pa add resource --title "One file" --attach "$B/one.bin")
	t1=$(now_s)
	c1=$(cpu_s pa pb)
	wait_here pb "$id" 600
	t2=$(now_s)
	c2=$(cpu_s pa pb)
	report "1. $SIZE_MB MB a -> b (two daemons), published -> verified on b: $(elapsed "$t1" "$t2") s" \
		"($(awk -v s="$(elapsed "$t1" "$t2")" -v m="$SIZE_MB" 'BEGIN { printf "%.0f", m / s }') MB/s);" \
		"CPU a b = $(cpu_diff "$c1" "$c2") s"
	for n in pa pb; do node_stop "$n"; done
}

one_file() {
	local id t0 t1 t2 t3 c1 c2 c3 d
	make_nodes "a b c" "a:b b:c"
	t0=$(now_s)
	id=$(cli a add resource --title "One file" --attach "$B/one.bin")
	t1=$(now_s)
	c1=$(cpu_s a b c)
	wait_here b "$id" 600
	t2=$(now_s)
	c2=$(cpu_s a b c)
	wait_here c "$id" 600
	t3=$(now_s)
	c3=$(cpu_s a b c)
	report "1. add --attach of $SIZE_MB MB on a (copy + hash): $(elapsed "$t0" "$t1") s"
	report "1. $SIZE_MB MB a -> b in the chain a - b - c, published -> verified on b: $(elapsed "$t1" "$t2") s" \
		"($(awk -v s="$(elapsed "$t1" "$t2")" -v m="$SIZE_MB" 'BEGIN { printf "%.0f", m / s }') MB/s)"
	report "1. $SIZE_MB MB a -> b -> c, published -> verified on c: $(elapsed "$t1" "$t3") s"
	# a serves the file once, c receives it once, b does both (pipelined):
	# a's + c's CPU is what one hop costs.
	d=$(cpu_diff "$c1" "$c3")
	report "1. CPU (utime+stime) from publish until c verified: a b c = $d s;" \
		"one hop (a + c): $(awk -v d="$d" 'BEGIN { split(d, x); printf "%.2f", x[1] + x[3] }') s;" \
		"until b verified: a b = $(cpu_diff "$c1" "$c2" | cut -d' ' -f1-2) s"
	for n in a b c; do node_stop "$n"; done
}

small_files() {
	local i k args=() last t0 t1 ids=()
	((SMALL > 0)) || return 0
	make_nodes "d e" "d:e"
	mkdir -p "$B/small"
	for ((i = 0; i < SMALL; i++)); do
		head -c 102400 /dev/urandom >"$B/small/f$i.bin"
	done
	t0=$(now_s)
	for ((i = 0; i < SMALL; i += 16)); do
		args=()
		for ((k = i; k < i + 16 && k < SMALL; k++)); do args+=(--attach "$B/small/f$k.bin"); done
		ids+=("$(cli d add resource --title "Small files $i" "${args[@]}")")
	done
	t1=$(now_s)
	report "2. $SMALL x 100 KB added on d in $((${#ids[@]})) records: $(elapsed "$t0" "$t1") s"
	for last in "${ids[@]}"; do
		wait_here e "$last" 600
	done
	report "2. $SMALL x 100 KB d -> e, last add -> all verified on e: $(elapsed "$t1" "$(now_s)") s"
	for n in d e; do node_stop "$n"; done
}

# latency FROM TO LABEL COUNT: adds COUNT records on FROM, each timed until
# TO holds it; "p50 p99 max" in ms on stdout.
latency() {
	local i id t0 f=$B/lat.$3
	: >"$f"
	for ((i = 0; i < $4; i++)); do
		t0=$(now_s)
		id=$(cli "$1" add resource --title "Latency $3 $i")
		until cli "$2" show "$id" >/dev/null 2>&1; do sleep 0.005; done
		awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >>"$f"
		sleep 0.5
	done
	percentiles "$f" | awk '{ print $2, $3, $4 }'
}

busy_link() {
	local id rss0 peak=0 r lat idle pid
	((BIG_MB > 0)) || return 0
	make_nodes "x y" "x:y"
	idle=$(latency x y idle 10)
	report "3. record latency x -> y, idle link: p50/p99/max $idle ms"
	head -c $((BIG_MB << 20)) /dev/urandom >"$B/big.bin"
	rss0=$(rss_kb "${NODE_PID[y]}")
	id=$(cli x add resource --title "Big" --attach "$B/big.bin")
	(
		while ! here y "$id"; do
			rss_kb "${NODE_PID[y]}"
			sleep 0.2
		done
	) >"$B/rss.y" &
	pid=$!
	lat=$(latency x y busy 20)
	here y "$id" && say "warning: the transfer ended before the 20 latency probes did"
	report "3. record latency x -> y during the $BIG_MB MB transfer: p50/p99/max $lat ms"
	wait_here y "$id" 1800
	wait "$pid" || true
	while read -r r; do ((r > peak)) && peak=$r; done <"$B/rss.y"
	report "3. y RSS before $rss0 kB, peak during the $BIG_MB MB transfer $peak kB (+$(((peak - rss0) / 1024)) MB)"
	for n in x y; do node_stop "$n"; done
}

syncthing_one() {
	local t0 t1 ida idb
	((ST_RUN)) || return 0
	command -v syncthing >/dev/null || { say "syncthing not installed: skipped"; return 0; }
	mkdir -p "$B/st-a/data" "$B/st-b/data"
	for n in a b; do
		ST_PORT[$n]=$(free_port)
		ST_ID[$n]=$("$PY" "$ST" init "$B/st-$n/home" --listen "${ST_PORT[$n]}" --gui "$(free_port)")
	done
	for n in a b; do
		HOME=$B/st-$n STMONITORED=yes STNOUPGRADE=1 syncthing serve --home "$B/st-$n/home" \
			--no-browser --no-restart --logflags=3 >>"$B/st-$n/log" 2>&1 &
		NODE_PID[st-$n]=$!
		"$PY" "$ST" wait-up "$B/st-$n/home" 60 || die "syncthing $n did not start"
	done
	ida=${ST_ID[a]} idb=${ST_ID[b]}
	"$PY" "$ST" device "$B/st-a/home" "$idb" b "tcp://127.0.0.1:${ST_PORT[b]}"
	"$PY" "$ST" device "$B/st-b/home" "$ida" a "tcp://127.0.0.1:${ST_PORT[a]}"
	"$PY" "$ST" folder "$B/st-a/home" bench "$B/st-a/data" "$ida" "$idb"
	"$PY" "$ST" folder "$B/st-b/home" bench "$B/st-b/data" "$ida" "$idb"
	sleep 5   # connected and folders agreed
	cp "$B/one.bin" "$B/st-a/data/one.bin.part"
	sync
	mv "$B/st-a/data/one.bin.part" "$B/st-a/data/one.bin"
	t0=$(now_s)
	"$PY" "$ST" api "$B/st-a/home" POST "/rest/db/scan?folder=bench&sub=one.bin" >/dev/null
	until [[ -f $B/st-b/data/one.bin && $(stat -c %s "$B/st-b/data/one.bin") == $((SIZE_MB << 20)) ]]; do
		sleep 0.01
	done
	t1=$(now_s)
	report "4. syncthing $(syncthing --version | awk '{print $2}'): $SIZE_MB MB a -> b, write + REST scan -> complete on b: $(elapsed "$t0" "$t1") s"
	node_stop st-a
	node_stop st-b
}

declare -A ST_ID=() ST_PORT=()
report "machine: $(machine)"
one_hop
one_file
syncthing_one
small_files
busy_link
say "results in $RES"
