#!/usr/bin/env bash
# Ingest and search benchmark of one node.
#
#   bench/ingest_search.sh [--smoke] [N]
#
# Generates N records (default 100000, --smoke: 1000) with gen_records.py,
# imports them into a fresh node through `tessera import` (records/s, signed
# and stored; then until every text is indexed for search), then times a mix
# of search queries twice:
#
#   - through the CLI, one `tessera search` process per query (this includes
#     process start-up and the socket round trip: compare with the CLI floor,
#     the time of a search for a word that occurs nowhere);
#   - in-process with search_bench (search_query() in a loop, no start-up),
#     over the same store once the daemon is stopped.
#
# and reads the daemon's RSS after the import and after the CLI search mix.
# Nothing is built here: binaries come from TESSERAD, TESSERA and
# SEARCH_BENCH (see bench/lib.sh for the defaults).
#
# Environment: BENCH_N (records), BENCH_QUERIES (query mix size, default
# 240), BENCH_PASSES (in-process passes, default 5), BENCH_SEED (1),
# BENCH_KEEP=1 (keep the temporary directory).
# --smoke checks that every step works and that the figures are sane; it
# does not compare against the targets. Exit status 0 on success.
set -euo pipefail

# shellcheck source=bench/args.sh
. "$(dirname "${BASH_SOURCE[0]}")/args.sh"
QUERIES=${BENCH_QUERIES:-240}
PASSES=${BENCH_PASSES:-5}
SEED=${BENCH_SEED:-1}
if ((SMOKE)); then
	PASSES=${BENCH_PASSES:-1}
fi
if ((QUERIES < 200)); then
	echo "BENCH_QUERIES must be at least 200" >&2
	exit 2
fi

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMMAND="TESSERAD=$TESSERAD TESSERA=$TESSERA SEARCH_BENCH=$SEARCH_BENCH"
COMMAND+=" BENCH_QUERIES=$QUERIES BENCH_PASSES=$PASSES BENCH_SEED=$SEED"
if ((SMOKE)); then
	COMMAND+=" bench/$(basename "$0") --smoke $N"
else
	COMMAND+=" bench/$(basename "$0") $N"
fi
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "machine: $(machine); load $LOAD_START"
say "records: $N, queries: $QUERIES, seed: $SEED, temp dir: $B"

# --- data -----------------------------------------------------------------
t0=$(now_s)
"$PY" "$BENCH_SRC/bench/gen_records.py" "$N" --seed "$SEED" -o "$B/records.jsonl"
"$PY" "$BENCH_SRC/bench/gen_records.py" --queries "$QUERIES" --seed "$SEED" \
	-o "$B/queries.tsv"
t1=$(now_s)
INPUT_BYTES=$(stat -c %s "$B/records.jsonl")
say "generated $N records, $INPUT_BYTES bytes of JSON Lines in $(elapsed "$t0" "$t1") s"

# --- node ---------------------------------------------------------------
node_init bench --country PT --languages en,pt,ro,hu,ca,ru
# The default quota (100000 records per author) counts the node's profile
# too, so 100k imported records would exceed it by one.
node_conf bench '[limits]' "max_records_per_author = $((N + 1000))"
node_start bench
PID=${NODE_PID[bench]}
RSS_EMPTY=$(rss_kb "$PID")
say "daemon PID $PID, RSS empty: $RSS_EMPTY kB"

# --- ingest -------------------------------------------------------------
t0=$(now_s)
cli bench --json import "$B/records.jsonl" >"$B/import.json" 2>"$B/import.err" ||
	die "import failed: $(cat "$B/import.err"); log tail: $(tail -n 5 "$B/bench/log")"
t1=$(now_s)
IMPORT_S=$(elapsed "$t0" "$t1")
CREATED=$(jq -r .created "$B/import.json")
STORED=$(status_field bench records)
[[ $CREATED == "$N" ]] || die "import created $CREATED records, expected $N"
[[ $STORED -ge $N ]] || die "status reports $STORED records, expected at least $N"
INGEST_RATE=$(awk -v n="$N" -v s="$IMPORT_S" 'BEGIN { printf "%.0f", n / s }')
RSS_IMPORT=$(rss_kb "$PID")
HWM_IMPORT=$(rss_kb "$PID" VmHWM)
say "import: $N records in $IMPORT_S s = $INGEST_RATE records/s"
say "RSS after import: $RSS_IMPORT kB (peak $HWM_IMPORT kB)"
# The daemon indexes the texts after the import's commit (docs/search.md,
# "When a record becomes searchable"): the searches below start once it is
# done, or the first of them would index as they go and time that. Polled
# every 0.25 s, as bench/import_ab.sh does.
wait_indexed bench 0.25 || die "indexing did not finish"
t2=$(now_s)
INDEXED_S=$(elapsed "$t0" "$t2")
INDEXED_RATE=$(awk -v n="$N" -v s="$INDEXED_S" 'BEGIN { printf "%.0f", n / s }')
DB_BYTES=$(status_field bench db_bytes)
RSS_INDEXED=$(rss_kb "$PID")
say "searchable: all $N records after $INDEXED_S s = $INDEXED_RATE records/s; db $DB_BYTES bytes"
say "RSS once indexed: $RSS_INDEXED kB (peak $(rss_kb "$PID" VmHWM) kB)"

# Sanity: a frequent word finds something.
HITS=$(cli bench --json search the --limit 5 | jq 'if type == "array" then length else (.records // .results // []) | length end')
[[ $HITS -gt 0 ]] || die "search for 'the' found nothing"

# --- search through the CLI ---------------------------------------------
# The CLI floor: process start-up plus one round trip, for a search of a word
# that occurs nowhere (microseconds of work in the daemon).
: >"$B/floor.ms"
for ((i = 0; i < 20; i++)); do
	t0=$EPOCHREALTIME
	cli bench search zqxjzqxjzq >/dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$B/floor.ms"
done

# Fields are tab-separated and may be empty: split on \037, not on
# whitespace (read would merge adjacent tabs).
: >"$B/cli.ms"
n=0
while IFS=$'\037' read -r category query kind lang; do
	args=(search "$query" --limit 20)
	[[ -n $kind ]] && args+=(--kind "$kind")
	[[ -n $lang ]] && args+=(--lang "$lang")
	t0=$EPOCHREALTIME
	if ! cli bench "${args[@]}" >/dev/null 2>"$B/search.err"; then
		die "tessera ${args[*]} failed ($category): $(cat "$B/search.err")"
	fi
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$B/cli.ms"
	n=$((n + 1))
done < <(tr '\t' '\037' <"$B/queries.tsv")
((n == QUERIES)) || die "ran $n CLI queries, expected $QUERIES"
read -r _ FLOOR_P50 _ _ _ < <(percentiles "$B/floor.ms")
read -r _ CLI_P50 CLI_P99 CLI_MAX _ < <(percentiles "$B/cli.ms")
RSS_SEARCH=$(rss_kb "$PID")
HWM_SEARCH=$(rss_kb "$PID" VmHWM)
say "CLI search: p50 $CLI_P50 ms, p99 $CLI_P99 ms, max $CLI_MAX ms (CLI floor p50 $FLOOR_P50 ms)"
say "RSS after search mix: $RSS_SEARCH kB (peak $HWM_SEARCH kB)"

node_stop bench
grep -c -i -E 'error|warn' "$B/bench/log" >"$B/log.count" || true
say "daemon stopped; $(cat "$B/log.count") error/warning lines in its log"

# --- search in-process ----------------------------------------------------
IN_P50=n/a IN_P99=n/a IN_MAX=n/a
if [[ -x $SEARCH_BENCH ]]; then
	"$SEARCH_BENCH" -p "$PASSES" "$B/bench/data" "$B/queries.tsv" | tee "$B/inproc.txt"
	res=$(grep '^RESULT ' "$B/inproc.txt") || die "search_bench printed no RESULT line"
	IN_P50=$(sed -n 's/.* p50_ms=\([^ ]*\).*/\1/p' <<<"$res")
	IN_P99=$(sed -n 's/.* p99_ms=\([^ ]*\).*/\1/p' <<<"$res")
	IN_MAX=$(sed -n 's/.* max_ms=\([^ ]*\).*/\1/p' <<<"$res")
else
	say "no search_bench at $SEARCH_BENCH: in-process figures skipped"
fi
DISK_KB=$(du -sk "$B/bench/data" | awk '{ print $1 }')

# --- summary ----------------------------------------------------------------
ok_ingest=$(le 10000 "$INGEST_RATE")
ok_rss=$(le "$RSS_IMPORT" 30720)
if [[ $IN_P50 != n/a ]]; then
	ok_p50=$(le "$IN_P50" 2)
	ok_p99=$(le "$IN_P99" 20)
fi
cat <<EOF

==================== tessera ingest/search benchmark ====================
command:   $COMMAND
machine:   $(machine)
load:      $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end
binaries:  $TESSERAD
           $TESSERA
date:      $(date -u '+%Y-%m-%d %H:%M UTC')
records:   $N ($INPUT_BYTES bytes JSONL, $((INPUT_BYTES / (N > 0 ? N : 1))) bytes/record)
store:     $DB_BYTES bytes (status db_bytes), $DISK_KB kB on disk with WAL

ingest     $IMPORT_S s through tessera import = $INGEST_RATE records/s
           all searchable after $INDEXED_S s = $INDEXED_RATE records/s
search     $QUERIES queries: $(cut -f1 "$B/queries.tsv" | sort | uniq -c | awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " }')
  in-process (search_query, $PASSES warm passes):
           p50 $IN_P50 ms   p99 $IN_P99 ms   max $IN_MAX ms
  via CLI (one process per query):
           p50 $CLI_P50 ms   p99 $CLI_P99 ms   max $CLI_MAX ms   (CLI floor p50 $FLOOR_P50 ms)
RSS        empty $RSS_EMPTY kB; after import $RSS_IMPORT kB (peak $HWM_IMPORT kB);
           once indexed $RSS_INDEXED kB;
           after search mix $RSS_SEARCH kB (peak $HWM_SEARCH kB)
EOF
if ((SMOKE)); then
	echo "targets:   not compared in --smoke mode ($N records)"
else
	cat <<EOF
targets:   ingest >= 10000 records/s: $(verdict "$ok_ingest")
           search p50 <= 2 ms (in-process): $(verdict "${ok_p50:-0}")
           search p99 <= 20 ms (in-process): $(verdict "${ok_p99:-0}")
           daemon RSS <= 30 MB after import: $(verdict "$ok_rss")
EOF
fi
echo "========================================================================="
