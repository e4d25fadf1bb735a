#!/usr/bin/env bash
# bench/ingest_insn.sh [N]: the daemon's instructions (callgrind) to import
# N generated records (default 3000; gen_records.py N --seed BENCH_SEED) and
# index them for search: a fresh node's tesserad runs under
# `valgrind --tool=callgrind`, `tessera import` sends the records, then the
# script waits until the node holds them all and its status says no text
# waits to be indexed (index_behind; a daemon without it indexes inside
# the import), and stops the daemon. Start-up and shutdown are included.
#
# Instructions do not depend on the machine's load, where wall and CPU time
# on a shared machine move by +-30 % (docs/search.md, "How it was measured").
# Under callgrind the import can outlast the CLI's 60 s reply timeout: the
# daemon carries on, and the script waits for the records (up to 20 min).
#
# Environment: TESSERAD, TESSERA (bench/lib.sh), BENCH_SEED (1), BENCH_KEEP=1
# keeps the callgrind output ($B/cg.out). Prints the total and the
# inclusive instructions of the indexing functions the daemon has.
set -euo pipefail
N=${1:-3000}
SEED=${BENCH_SEED:-1}
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v valgrind >/dev/null || die "valgrind is required"

"$PY" "$BENCH_SRC/bench/gen_records.py" "$N" --seed "$SEED" -o "$B/records.jsonl"
node_init n
node_conf n "$(printf '[limits]\nmax_records_per_author = %d' $((N + 1000)))"
REAL=$TESSERAD
printf '#!/bin/sh\nexec valgrind -q --tool=callgrind --callgrind-out-file=%s %s "$@"\n' \
	"$B/cg.out" "$REAL" >"$B/tesserad-cg"
chmod +x "$B/tesserad-cg"
TESSERAD=$B/tesserad-cg
load=$(cut -d' ' -f1-3 /proc/loadavg)
node_start n
cli n --json import "$B/records.jsonl" >"$B/import.json" 2>"$B/import.err" || true
# The profile is a record too. Polled every 0.5 s: each status the daemon
# answers adds its instructions to the count.
for ((i = 0; i < 2400; i++)); do
	got=$(cli n --json status 2>/dev/null | jq -r '"\(.records) \(.index_behind // 0)"') || got=""
	[[ $got == "$((N + 1)) 0" ]] && break
	sleep 0.5
done
[[ $got == "$((N + 1)) 0" ]] || die "records and index_behind: $got after 20 min"
node_stop n
total=$(awk '/^totals:/ { print $2 }' "$B/cg.out")
say "$REAL: $N records imported and indexed:" \
	"$(awk -v t="$total" 'BEGIN { printf "%.3f G", t / 1e9 }') instructions (load $load)"
# Inclusive instructions of the parts (those the daemon has: bb53b66
# indexes inside the import, in import_end).
callgrind_annotate --inclusive=yes --threshold=100 "$B/cg.out" 2>/dev/null |
	awk 'match($0, /:(store_fts_index|store_index_step|store_vocab_flush|tok_tokenize|fold_text|stem_with|store_put|seal_range|import_end|sqlite3Fts5IndexSync|fts5IndexMergeLevel|fts5FlushOneHash) \[/) {
		f = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", $1)
		if (!seen[f]++) printf "  %8.3f G  %s\n", $1 / 1e9, f }'
