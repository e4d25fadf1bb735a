#!/usr/bin/env bash
# Writes DIR/results.md and the plots DIR/compare.png, DIR/scale-latency.png
# and DIR/scale-resources.png (gnuplot) from what bench/compare.sh and
# bench/scale.sh left in DIR: compare.env, machine.env, scale.dat.
#
#   bench/report.sh DIR
set -euo pipefail

DIR=${1:?usage: $0 DIR}
for f in compare.env machine.env scale.dat; do
	[[ -s $DIR/$f ]] || { echo "report: $DIR/$f is missing" >&2; exit 1; }
done
command -v gnuplot >/dev/null || { echo "report: gnuplot is required" >&2; exit 1; }
declare -A R=()
while IFS='=' read -r k v; do
	eval "R[$k]=$v"
done <"$DIR/compare.env"
date='' machine='' load_end='' command=''
# shellcheck disable=SC1091
. "$DIR/machine.env"

# ratio A B: A / B to two significant places, "n/a" if B is 0.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b + 0 == 0) { print "n/a"; exit }
		r = a / b
		printf (r < 0.1 ? "%.3f" : (r < 10 ? "%.2f" : "%.0f")) "\n", r }'
}
# goal RATIO LIMIT: "met" if RATIO <= LIMIT.
goal() { awk -v r="$1" -v l="$2" 'BEGIN { print (r != "n/a" && r + 0 <= l) ? "met" : "**not met**" }'; }
mean3() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { printf "%.2f", (a + b + c) / 3 }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

T_RSS=$(mean3 "${R[t_rss_a]}" "${R[t_rss_b2]}" "${R[t_rss_c]}")
S_RSS=$(mean3 "${R[s_rss_a]}" "${R[s_rss_b2]}" "${R[s_rss_c]}")
T_CPU=$(mean3 "${R[t_cpu_a]}" "${R[t_cpu_b2]}" "${R[t_cpu_c]}")
S_CPU=$(mean3 "${R[s_cpu_a]}" "${R[s_cpu_b2]}" "${R[s_cpu_c]}")
r_sync=$(ratio "${R[t_sync_s]}" "${R[s_sync_s]}")
r_bytes=$(ratio "${R[t_sync_bytes]}" "${R[s_sync_bytes]}")
r_cpu=$(ratio "${R[t_sync_cpu]}" "${R[s_sync_cpu]}")
r_chain=$(ratio "${R[t_chain_s]}" "${R[s_chain_s]}")
r_p50=$(ratio "${R[t_p50]}" "${R[s_p50]}")
r_p99=$(ratio "${R[t_p99]}" "${R[s_p99]}")
r_rss=$(ratio "$T_RSS" "$S_RSS")
r_idle=$(ratio "$T_CPU" "$S_CPU")

# The largest network's worst convergence against the 1 s goal.
read -r BIG BIG_MAX < <(awk '!/^#/ { n = $1; m = $8 } END { print n, m }' "$DIR/scale.dat")
BIG_GOAL=$(awk -v m="$BIG_MAX" 'BEGIN { print (m < 1000) ? "met" : "**not met**" }')

{
	cat <<EOF
### Tessera and Syncthing side by side ($date)

${R[items]} items of ~1 KB (${R[item_bytes]} bytes of JSON Lines from \`gen_records.py --seed ${R[seed]}\`):
Tessera imports them as records, Syncthing gets one file per record with the same bytes.
One run, each system alone on the machine's two vCPUs; ratios are Tessera/Syncthing (below 1: Tessera is better).

| Measure | Tessera | Syncthing | Ratio | Goal | |
|---------|---------|-----------|-------|------|-|
| 1. Initial sync a → empty b: time until b holds all | ${R[t_sync_s]} s | ${R[s_sync_s]} s | $r_sync | ≤ 0.1 | $(goal "$r_sync" 0.1) |
| 1. Bytes on the wire (relay, both directions, TLS included) | ${R[t_sync_bytes]} | ${R[s_sync_bytes]} | $r_bytes | | |
| 1. CPU seconds, a + b | ${R[t_sync_cpu_a]} + ${R[t_sync_cpu_b]} = ${R[t_sync_cpu]} | ${R[s_sync_cpu_a]} + ${R[s_sync_cpu_b]} = ${R[s_sync_cpu]} | $r_cpu | | |
| 2. Chain a - b2 - c (both empty): time until c holds all | ${R[t_chain_s]} s | ${R[s_chain_s]} s | $r_chain | ≤ 0.1 | $(goal "$r_chain" 0.1) |
| 3. One new item a → c, p50 (${R[reps]} items) | ${R[t_p50]} ms | ${R[s_p50]} ms | $r_p50 | | |
| 3. One new item a → c, p99 (max ${R[t_pmax]} / ${R[s_pmax]} ms) | ${R[t_p99]} ms | ${R[s_p99]} ms | $r_p99 | ≤ 0.1 | $(goal "$r_p99" 0.1) |
| 4. RSS per daemon after sync, mean of a, b2, c | $(mb "$T_RSS") MB | $(mb "$S_RSS") MB | $r_rss | ≤ 0.33 | $(goal "$r_rss" 0.334) |
| 4. Idle CPU per daemon over ${R[idle_s]} s, mean of a, b2, c | $T_CPU % | $S_CPU % | $r_idle | | |

Item 3 counts from just before the item is published: Tessera's includes starting \`tessera add\`
(a new process: connect, sign, store); Syncthing's the file write and the REST scan request from
the already running probe. Counted from the record's arrival in a's store, Tessera's a → c is
p50 ${R[t_store_p50]} ms, p99 ${R[t_store_p99]} ms.

RSS a / b2 / c: Tessera $(mb "${R[t_rss_a]}") / $(mb "${R[t_rss_b2]}") / $(mb "${R[t_rss_c]}") MB,
Syncthing $(mb "${R[s_rss_a]}") / $(mb "${R[s_rss_b2]}") / $(mb "${R[s_rss_c]}") MB.
Idle CPU a / b2 / c: Tessera ${R[t_cpu_a]} / ${R[t_cpu_b2]} / ${R[t_cpu_c]} %, Syncthing ${R[s_cpu_a]} / ${R[s_cpu_b2]} / ${R[s_cpu_c]} %.

### Tessera as the network grows

N daemons on a random connected graph of degree 3–4 (seeded); ${R[reps]} new records, each published on
a daemon drawn at random. Latency: arrival at a daemon, over all daemons and records. Convergence:
arrival at the last daemon. Both from the start of \`tessera add\`; "from store" leaves out the CLI
(from the record's arrival in the publishing daemon's store). RSS and CPU after ${R[idle_s]} s idle.

| N | Edges | Diameter | Latency p50 / p99 | Convergence p50 / p99 / max | From store p50 / p99 | Start-up (all profiles everywhere) | RSS per daemon mean / max | Idle CPU per daemon mean / max |
|---|-------|----------|-------------------|-----------------------------|----------------------|------------------------------------|---------------------------|--------------------------------|
EOF
	awk '!/^#/ {
		printf "| %d | %d | %d | %.1f / %.1f ms | %.1f / %.1f / %.1f ms | %.1f / %.1f ms | %.1f s | %.1f / %.1f MB | %.2f / %.2f %% |\n",
			$1, $2, $3, $4, $5, $6, $7, $8, $15, $16, $9, $10 / 1024, $11 / 1024, $12, $13 }' "$DIR/scale.dat"
	cat <<EOF

Goal: $BIG daemons converge on one new record in under 1 s (worst of ${R[reps]}: $BIG_MAX ms): $BIG_GOAL.

![Tessera/Syncthing ratios](compare.png)
![Propagation against N](scale-latency.png)
![Memory and idle CPU against N](scale-resources.png)

Machine: $machine; load average (1, 5, 15 min) ${R[load_compare]} during the comparison,
$load_end at the end. $(echo "${R[tessera_version]}" | head -n 1), ${R[syncthing_version]}.

    $command
EOF
} >"$DIR/results.md"

# --- plots -------------------------------------------------------------------------
cat >"$DIR/compare.dat" <<EOF
"initial sync\ntime" $r_sync
"initial sync\nbytes" $r_bytes
"initial sync\nCPU s" $r_cpu
"chain\ntime" $r_chain
"new item\np50" $r_p50
"new item\np99" $r_p99
"RSS" $r_rss
EOF
sed -i '/n\/a/d' "$DIR/compare.dat"
gnuplot <<EOF
set terminal pngcairo size 900,500 font "DejaVu Sans,11"
set output "$DIR/compare.png"
set termoption noenhanced
set bmargin 4
set title "Tessera / Syncthing, ${R[items]} items of about 1 KB (log scale; below 1: Tessera better)"
set logscale y
set yrange [0.001:10]
set grid ytics
set style fill solid 0.7
set boxwidth 0.6
set xtics nomirror
set key top right
set ylabel "ratio Tessera / Syncthing"
plot "$DIR/compare.dat" using 0:2:xtic(1) with boxes lc rgb "#3060a0" title "ratio", \
     "" using 0:2:2 with labels offset 0,0.8 notitle, \
     1 with lines lc rgb "black" dt 2 title "equal", \
     0.1 with lines lc rgb "#c03030" dt 3 title "goal for time and p99 (0.1)"
EOF
gnuplot <<EOF
set terminal pngcairo size 900,500 font "DejaVu Sans,11"
set output "$DIR/scale-latency.png"
set termoption noenhanced
set title "Tessera: one new record, ${R[reps]} records per N"
set xlabel "daemons (N)"
set ylabel "milliseconds"
set y2label "graph diameter (hops)"
set ytics nomirror
set y2tics
set y2range [0:*]
set yrange [0:*]
set grid
set key below horizontal
set xtics ($(awk '!/^#/ { printf "%s\"%d\" %d", sep, $1, $1; sep = ", " }' "$DIR/scale.dat"))
plot "$DIR/scale.dat" using 1:4 with linespoints lw 2 title "latency p50", \
     "" using 1:5 with linespoints lw 2 title "latency p99", \
     "" using 1:6 with linespoints lw 2 title "convergence p50", \
     "" using 1:7 with linespoints lw 2 title "convergence p99", \
     "" using 1:15 with linespoints lw 2 dt 2 title "convergence p50 from store", \
     "" using 1:3 axes x1y2 with points pt 7 ps 2 lc rgb "black" title "diameter (right axis)"
EOF
gnuplot <<EOF
set terminal pngcairo size 900,500 font "DejaVu Sans,11"
set output "$DIR/scale-resources.png"
set termoption noenhanced
set title "Tessera: memory and idle CPU per daemon, after ${R[idle_s]} s idle"
set xlabel "daemons (N)"
set ylabel "RSS per daemon (MB)"
set y2label "idle CPU per daemon (%)"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid
set key below horizontal
set xtics ($(awk '!/^#/ { printf "%s\"%d\" %d", sep, $1, $1; sep = ", " }' "$DIR/scale.dat"))
plot "$DIR/scale.dat" using 1:(\$10/1024) with linespoints lw 2 title "RSS mean", \
     "" using 1:(\$11/1024) with linespoints lw 2 title "RSS max", \
     "" using 1:12 axes x1y2 with linespoints lw 2 title "CPU mean (right axis)", \
     "" using 1:13 axes x1y2 with linespoints lw 2 title "CPU max (right axis)"
EOF
for f in compare scale-latency scale-resources; do
	[[ -s $DIR/$f.png ]] || { echo "report: gnuplot did not write $f.png" >&2; exit 1; }
done
