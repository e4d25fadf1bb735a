#!/usr/bin/env bash
# bench/rss.sh [N] [IDLE_S]: what an idle daemon holding N records (default
# 10000) has resident. a imports N records of gen_records.py (tessera
# import), b starts empty and syncs them from a (b dials a); after IDLE_S
# seconds of rest (default 10) prints, for a (after the import and serving
# the sync) and b (after the initial sync): VmRSS, RssAnon/RssFile and the
# Rss of /proc/PID/smaps by kind of mapping (bench/smaps.awk).
# Environment: TESSERAD, TESSERA (bench/lib.sh), BENCH_KEEP=1.
set -euo pipefail
N=${1:-10000}
IDLE_S=${2:-10}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LIM=$(printf '[limits]\nmax_records_per_author = %d' $((N + 1000)))

"$PY" "$BENCH_SRC/bench/gen_records.py" "$N" --seed 1 -o "$B/items.jsonl"
node_init a; node_init b
PORT=$(free_port)
node_conf a "listen = 127.0.0.1:$PORT" "$LIM" "$(printf '[peer "b"]\nid = %s' "${NODE_ID[b]}")"
node_conf b "$LIM" "$(printf '[peer "a"]\naddress = 127.0.0.1:%s\nid = %s' "$PORT" "${NODE_ID[a]}")"
node_start a
cli a --json import "$B/items.jsonl" >/dev/null
want=$(status_field a records)
node_start b
for ((i = 0; i < 1200; i++)); do
	(($(status_field b records) > want)) && break
	sleep 0.1
done
(($(status_field b records) > want)) || die "b holds $(status_field b records) of $want records"
sleep "$IDLE_S"
say "$(machine); load $(cut -d' ' -f1-3 /proc/loadavg); $want records; idle $IDLE_S s; $TESSERAD"
for n in a b; do
	pid=${NODE_PID[$n]}
	say "$n: VmRSS $(rss_kb "$pid") kB (RssAnon $(rss_kb "$pid" RssAnon), RssFile $(rss_kb "$pid" RssFile), VmHWM $(rss_kb "$pid" VmHWM)), threads $(rss_kb "$pid" Threads)"
	awk -f "$BENCH_SRC/bench/smaps.awk" "/proc/$pid/smaps"
	[[ -n ${BENCH_KEEP:-} ]] && cp "/proc/$pid/smaps" "$B/$n.smaps"
done
# What the release costs: the first searches after the rest read their pages
# back (from the OS page cache) before the SQLite cache is warm again.
# RSS_SEARCH=1: times `tessera search` on b for a mix of words, cold (right
# after the rest) then the same mix again warm, in ms per query (CLI start-up
# included), and b's RSS after them.
if [[ -n ${RSS_SEARCH:-} ]]; then
	mix() {
		local w t0 t1 tot=0
		for w in community biblioteca joventut aprenentatge people cooperation voluntaris memòria the sostenible; do
			t0=$(now_s); cli b --json search "$w" --limit 20 >/dev/null; t1=$(now_s)
			tot=$(awk -v a="$tot" -v d="$(elapsed "$t0" "$t1")" 'BEGIN { print a + d }')
		done
		awk -v t="$tot" 'BEGIN { printf "%.1f", t * 100 }'   # 10 queries: ms each
	}
	cold=$(mix); warm=$(mix)
	say "b: search mix cold $cold ms/query, warm $warm ms/query; RSS after $(rss_kb "${NODE_PID[b]}") kB; load $(cut -d' ' -f1-3 /proc/loadavg)"
fi
