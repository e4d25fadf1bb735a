#!/usr/bin/env bash
# An export that ends early is an error. Regression test: the daemon stopped
# collecting records at the first failed sqlite3_step (or allocation) and
# skipped records it could not read, then streamed the rest as a complete
# export: the CLI exited 0 with records missing.
#
# Real failures, no mocks: (1) one page in the middle of the records table is
# damaged on disk while the daemon is stopped, so reading the table fails
# with SQLITE_CORRUPT after the restart; (2) one stored record's signature is
# damaged, so reading it back fails verification. And (3) a record edited
# while a long export is paused (its reader stalls) was left out of it: its
# old version was gone when its turn came, its new one past the list.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

N=300
say() { printf "%s: %s\n" "$TEST_NAME" "$*"; }
# check DESC CMD...: CMD succeeds (leaves $OUT and $ERR alone).
check() {
	local desc=$1
	shift
	if "$@"; then pass; else _bad "$desc"; fi
}
DB=$T/a/data/tessera.db

command -v sqlite3 >/dev/null || fail "needs the sqlite3 shell (Debian package sqlite3)"
command -v jq >/dev/null || fail "needs jq"

# gen_records N [PREFIX]: N initiatives titled "PREFIX i" with a body of about
# 1 KB each, as JSON Lines, so that the records table spans dozens of pages.
gen_records() {
	python3 -c 'import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"kind": "initiative", "texts": [{"lang": "en",
        "title": "%s %d" % (sys.argv[2], i), "body": ("paragraph %d " % i) * 80}]}))' \
		"$1" "${2:-Export check}"
}

# export_fails DESC NEEDLE ARGS...: export ARGS exits 1 and says NEEDLE.
export_fails() {
	local desc=$1 needle=$2
	shift 2
	assert_exit 1 cli a export "$@"
	assert_contains "$ERR" "$needle" "$desc: the error says why"
	assert_contains "$ERR" "export" "$desc: the error names the export"
}

node_init a
node_conf a
node_start a
gen_records $N >"$T/seed.jsonl"
assert_exit 0 cli a import "$T/seed.jsonl"
assert_exit 0 cli a export
total=$(wc -l <<<"$OUT")
((total > N)) || fail "export of a healthy node has $total lines, want more than $N"

# --- (1) a damaged page of the records table --------------------------------
node_stop a
cp "$DB" "$T/healthy.db"
# The leaf pages of the records table, in key order; damage the middle one
# (its b-tree page type byte becomes 0, which no valid page has).
mapfile -t leaves < <(sqlite3 "$DB" \
	"SELECT pageno FROM dbstat WHERE name = 'records' AND pagetype = 'leaf' ORDER BY path")
((${#leaves[@]} >= 10)) || fail "records table has only ${#leaves[@]} leaf pages"
page=${leaves[$((${#leaves[@]} / 2))]}
psize=$(sqlite3 "$DB" 'PRAGMA page_size')
printf '\0' | dd of="$DB" bs=1 seek=$(((page - 1) * psize)) conv=notrunc status=none
node_start a

export_fails "damaged page, stdout" "malformed"
got=$(printf '%s' "$OUT" | grep -c . || true)
say "damaged leaf page $page (the middle one of ${#leaves[@]}): stdout export ends after $got of $total lines"
check "damaged page: export is not complete ($got lines)" test "$got" -lt "$total"
export_fails "damaged page, -o" "malformed" -o "$T/out.jsonl"
assert_contains "$ERR" "$T/out.jsonl was not written" "-o: says the file was not written"
say "stderr: $ERR"
check "damaged page: -o leaves no file" test ! -e "$T/out.jsonl"
assert_exit 0 cli a status

# --- (2) a record whose stored signature is damaged -------------------------
# Near the end, past the first reply frame (at most 256 records): the export
# fails after records already went out.
node_stop a
cp "$T/healthy.db" "$DB"
sqlite3 "$DB" "UPDATE records SET sig = zeroblob(64)
	WHERE seq = (SELECT seq FROM records ORDER BY seq LIMIT 1 OFFSET $((N - 10)))"
node_start a
export_fails "damaged record" "fails verification"
got=$(printf '%s' "$OUT" | grep -c . || true)
say "damaged record: export ends after $got of $total lines; stderr: $ERR"
check "damaged record: records went out before the error" test "$got" -gt 0
assert_contains "$ERR" "only the $got records before the error were written" \
	"damaged record: says the output is incomplete"
assert_contains "$ERR" "tesserad check" "damaged record: points to tesserad check"
# list skips it (and logs it), as it always did: it shows, it does not back up.
assert_exit 0 cli a --json list --limit 1000
assert_eq "$(jq length <<<"$OUT")" "$((total - 1))" "list skips the damaged record"

# --- the healthy database again: a complete export, exit 0 -------------------
node_stop a
cp "$T/healthy.db" "$DB"
node_start a
assert_exit 0 cli a export -o "$T/out.jsonl"
assert_eq "$(wc -l <"$T/out.jsonl")" "$total" "healthy export is complete"

# --- (3) a record edited while the export is paused --------------------------
# 6,000 more records (about 15 MB of reply frames): the daemon stops producing
# at 4 MB queued, with the CLI blocked on a FIFO nobody reads yet. A record
# far down the list is edited meanwhile, then the FIFO is drained.
gen_records 6000 "Paused export" >"$T/more.jsonl"
assert_exit 0 cli a import "$T/more.jsonl"
total=$((total + 6000))
late=$(cli a --json list --limit 100000 |
	jq -r '.[] | select(.texts[0].title == "Paused export 5000") | .id')
[[ -n $late ]] || fail "record 'Paused export 5000' not found"
mkfifo "$T/fifo"
exec 3<>"$T/fifo"  # a reader that never reads: the CLI blocks on a full pipe
cli a export >"$T/fifo" 2>"$T/export.err" &
export_pid=$!
sleep 1.5
assert_exit 0 cli a edit "$late" --title "Edited during the export"
exec 4<"$T/fifo"
exec 3<&-
cat <&4 >"$T/paused.jsonl"
exec 4<&-
rc=0
wait "$export_pid" || rc=$?
assert_eq "$rc" 0 "paused export: exit status ($(cat "$T/export.err"))"
assert_eq "$(wc -l <"$T/paused.jsonl")" "$total" "paused export: every record"
assert_eq "$(jq -r --arg id "$late" 'select(.id == $id) | .texts[0].title' "$T/paused.jsonl")" \
	"Edited during the export" "paused export: the record edited meanwhile, new version"
finish
