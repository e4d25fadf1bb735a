#!/usr/bin/env bash
# Tessera as the network grows: N daemons on 127.0.0.1 for each size given,
# peered along a random connected graph of degree 3-4 (benchtool.py graph,
# seeded; the lower-numbered end of each edge dials).
#
#   bench/scale.sh [--smoke] [--reps R] [--idle S] [--out DIR] N...
#
# For each N (default 10 25 50; --smoke: 4):
#  - start-up: time from starting the first daemon until every daemon holds
#    every daemon's profile record (N records each); the daemons are started
#    one after the other, so this grows with N by itself;
#  - propagation: R times per probe (default 20; smoke 3) a record is
#    published with `tessera add` on a daemon drawn at random
#    (benchtool.py spread, the two probes alternating). Poller: every
#    daemon's status polled every ~1 ms; latency = its arrival at a daemon,
#    over all daemons and repetitions (p50, p99); convergence = its arrival
#    at the last daemon (p50, p99, max over the repetitions); times from
#    just before `tessera add` starts, and convergence also from the
#    record's arrival in the source daemon's store. Held-at: each daemon's
#    own commit time of the record (HELD) minus the source's, read after a
#    20 ms poll (and on the poller's records too, for comparison);
#    duplicate pushes per record per node (Status.push_duplicates);
#  - after 2 s of rest, RSS and CPU % of every daemon over S seconds (default
#    30; smoke 2): mean and max.
# Appends one line per N to DIR/scale.dat (columns named in its header line)
# and keeps the raw samples in DIR/scale-N.txt and the graph in
# DIR/graph-N.txt. Environment: TESSERAD, TESSERA (bench/lib.sh),
# BENCH_SEED (1), BENCH_KEEP=1.
set -euo pipefail

SMOKE=0 REPS='' IDLE_S='' OUT='' SIZES=()
while (($# > 0)); do
	case $1 in
	--smoke) SMOKE=1 ;;
	--reps) REPS=$2; shift ;;
	--idle) IDLE_S=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	[0-9]*) SIZES+=("$1") ;;
	*) echo "usage: $0 [--smoke] [--reps R] [--idle S] [--out DIR] N..." >&2; exit 2 ;;
	esac
	shift
done
if ((SMOKE)); then
	: "${REPS:=3}" "${IDLE_S:=2}"
	((${#SIZES[@]})) || SIZES=(4)
else
	: "${REPS:=20}" "${IDLE_S:=30}"
	((${#SIZES[@]})) || SIZES=(10 25 50)
fi
SEED=${BENCH_SEED:-1}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${OUT:=$B/results}"
mkdir -p "$OUT"
HZ=$(getconf CLK_TCK)
DAT=$OUT/scale.dat
if [[ ! -s $DAT ]]; then
	echo "# n edges diameter lat_p50_ms lat_p99_ms conv_p50_ms conv_p99_ms conv_max_ms startup_s rss_mean_kb rss_max_kb cpu_mean_pct cpu_max_pct load1 store_conv_p50_ms store_conv_p99_ms held_conv_p50_ms held_conv_p99_ms held_poller_conv_p50_ms held_poller_conv_p99_ms dups_per_record_node" >"$DAT"
fi

# stats FILE: "mean max" of the numbers in FILE.
stats() {
	awk '{ s += $1; if (NR == 1 || $1 > m) m = $1 } END { printf "%.2f %.2f\n", s / NR, m }' "$1"
}

run_size() {
	local n=$1 i j k diam edges t0 t1 sockets=() dir
	dir=$B/n$n
	mkdir -p "$dir"
	"$PY" "$TOOL" graph "$n" --seed "$SEED" >"$OUT/graph-$n.txt"
	diam=$(awk 'NR == 1 { print $2 }' "$OUT/graph-$n.txt")
	edges=$(($(wc -l <"$OUT/graph-$n.txt") - 1))
	local ports=()
	read -r -a ports < <("$PY" "$TOOL" ports "$n")
	for ((i = 0; i < n; i++)); do
		node_init "s$n-$i"
		NODE_PORT[s$n-$i]=${ports[i]}
	done
	declare -A lines=()
	for ((i = 0; i < n; i++)); do
		lines[$i]=$(printf 'listen = 127.0.0.1:%s\n[limits]\nbackoff_min = 100ms\nbackoff_max = 1s' \
			"${NODE_PORT[s$n-$i]}")
	done
	while read -r i j; do
		lines[$i]+=$(printf '\n[peer "s%s"]\nid = %s\naddress = 127.0.0.1:%s' "$j" \
			"${NODE_ID[s$n-$j]}" "${NODE_PORT[s$n-$j]}")
		lines[$j]+=$(printf '\n[peer "s%s"]\nid = %s' "$i" "${NODE_ID[s$n-$i]}")
	done < <(tail -n +2 "$OUT/graph-$n.txt")
	for ((i = 0; i < n; i++)); do
		node_conf "s$n-$i" "${lines[$i]}"
		sockets+=("$B/s$n-$i/ctl.sock")
	done

	t0=$(now_s)
	for ((i = 0; i < n; i++)); do
		node_start "s$n-$i"
	done
	"$PY" "$TOOL" wait "${sockets[0]}" "$n" 300 "${sockets[@]:1}" ||
		die "N=$n: the profiles did not reach every daemon"
	t1=$(now_s)
	local startup
	startup=$(elapsed "$t0" "$t1")
	say "N=$n ($edges edges, diameter $diam): every daemon holds every profile after $startup s"

	"$PY" "$TOOL" spread --tessera "$TESSERA" --reps "$REPS" --seed "$SEED" "${sockets[@]}" \
		>"$OUT/scale-$n.txt" || die "N=$n: spread probe failed"
	# The poller's records (probe fast): column 4, from before `tessera add`.
	awk '$6 == "fast" { print $4 }' "$OUT/scale-$n.txt" >"$dir/lat.ms"
	awk '$6 == "fast" { if ($4 > m[$1]) m[$1] = $4 } END { for (r in m) print m[r] }' \
		"$OUT/scale-$n.txt" >"$dir/conv.ms"
	# The same convergence counted from the record's arrival in the source
	# daemon's store (the publishing CLI's own time left out).
	awk '$6 == "fast" && $2 == $3 { s[$1] = $4 } $6 == "fast" { if ($4 > m[$1]) m[$1] = $4 }
		END { for (r in m) print m[r] - s[r] }' "$OUT/scale-$n.txt" >"$dir/hop.ms"
	# The daemons' own commit times (column 5, from the source's commit):
	# under the slow poll, and under the poller for comparison.
	local probe
	for probe in slow fast; do
		awk -v p="$probe" '$6 == p && $5 != "-" { print $5 }' "$OUT/scale-$n.txt" \
			>"$dir/held-$probe.ms"
		awk -v p="$probe" '$6 == p && $5 != "-" { if (!($1 in m) || $5 > m[$1]) m[$1] = $5 }
			END { for (r in m) print m[r] }' "$OUT/scale-$n.txt" >"$dir/heldconv-$probe.ms"
	done
	# Duplicate pushes per record per node: column 7 is the record's total.
	local dups
	dups=$(awk -v n="$n" '!($1 in d) { d[$1] = $7; k++; s += $7 } END { printf "%.3f", k ? s / k / n : 0 }' \
		"$OUT/scale-$n.txt")
	local lp50 lp99 cp50 cp99 cmax hp50 hp99 sp50=- sp99=- fp50=- fp99=-
	read -r _ lp50 lp99 _ _ < <(percentiles "$dir/lat.ms")
	read -r _ cp50 cp99 cmax _ < <(percentiles "$dir/conv.ms")
	read -r _ hp50 hp99 _ _ < <(percentiles "$dir/hop.ms")
	say "N=$n: latency p50 $lp50 ms p99 $lp99 ms; all $n daemons: p50 $cp50 ms p99 $cp99 ms max $cmax ms ($hp50 / $hp99 ms from the source's store; poller)"
	if [[ -s $dir/heldconv-slow.ms ]]; then
		read -r _ sp50 sp99 _ _ < <(percentiles "$dir/heldconv-slow.ms")
		read -r _ fp50 fp99 _ _ < <(percentiles "$dir/heldconv-fast.ms")
		local ep50 ep99
		read -r _ ep50 ep99 _ _ < <(percentiles "$dir/held-slow.ms")
		say "N=$n: held-at stamps, from the source's commit: all $n daemons p50 $sp50 ms p99 $sp99 ms (each daemon p50 $ep50 p99 $ep99 ms); with the poller running $fp50 / $fp99 ms"
	fi
	say "N=$n: duplicate pushes per record per node $dups"

	sleep 2
	declare -A c0=()
	for ((i = 0; i < n; i++)); do c0[$i]=$(cpu_ticks "${NODE_PID[s$n-$i]}"); done
	t0=$(now_s)
	sleep "$IDLE_S"
	t1=$(now_s)
	: >"$dir/cpu" && : >"$dir/rss"
	for ((i = 0; i < n; i++)); do
		k=$(($(cpu_ticks "${NODE_PID[s$n-$i]}") - c0[$i]))
		awk -v c="$k" -v hz="$HZ" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", 100 * c / hz / (b - a) }' >>"$dir/cpu"
		rss_kb "${NODE_PID[s$n-$i]}" >>"$dir/rss"
	done
	local rss cpu
	rss=$(stats "$dir/rss")
	cpu=$(stats "$dir/cpu")
	say "N=$n: RSS mean/max $rss kB, idle CPU mean/max $cpu % over $IDLE_S s"
	echo "$n $edges $diam $lp50 $lp99 $cp50 $cp99 $cmax $startup $rss $cpu $(cut -d' ' -f1 /proc/loadavg) $hp50 $hp99 $sp50 $sp99 $fp50 $fp99 $dups" >>"$DAT"
	for ((i = 0; i < n; i++)); do
		node_stop "s$n-$i"
	done
}

for n in "${SIZES[@]}"; do
	((n >= 2)) || die "a network needs at least 2 daemons"
	run_size "$n"
done
