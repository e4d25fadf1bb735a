#!/usr/bin/env bash
# Disk full. B's data directory is a small tmpfs; A, with room to spare,
# syncs with it. Once a filler file takes B's last byte:
#   - writes on B fail with a clear error (exit 1, "storage full") and B logs
#     the storage-full state once, however many writes fail;
#   - reads on B (list, search, show, status, communities) keep working and
#     status says that storage is full;
#   - records A publishes meanwhile wait on A: B neither loses them nor
#     advances its checkpoint past them, and it does not spin;
#   - when the filler is deleted, B (the same process, not restarted) finds
#     the space by itself, logs it once and syncs everything;
#   - nothing acknowledged is lost and B's database passes tesserad check.
# Then RLIMIT_FSIZE: C runs under `ulimit -f`; SQLite's writes beyond it get
# EFBIG (and SIGXFSZ, which must not kill the daemon): C stays up in the
# storage-full state, and without the limit it syncs everything.
#
# Needs root (mount -t tmpfs), as in CI; without it the test fails.
set -euo pipefail
# Generous bounds for a loaded machine (CTest allows 900 s).
TEST_BUDGET=${TEST_BUDGET:-600}
SYNC_TIMEOUT=${SYNC_TIMEOUT:-90}
. "$(dirname "$0")/synclib.sh"

TMPFS_SIZE=32m
FSIZE_KB=3072          # ulimit -f for C, in KiB
mount_tmpfs "$T/b/data" $TMPFS_SIZE

full_lines() { grep -c "storage full" "$(log_of "$1")" || true; }
again_lines() { grep -c "storage writable again" "$(log_of "$1")" || true; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
acked_on() {
	local name=$1 file=$2 id missing=0
	for id in $(cat "$file"); do
		[[ -n $(version_of "$name" "$id") ]] || missing=$((missing + 1))
	done
	echo "$missing"
}

# add_until_full NAME ACKED: publishes on NAME until a write fails (400 at
# most); FITTED is left with how many went through. A write transaction
# begun with less than 64 KiB left is refused (store_space.c), however much
# slack SQLite's files have (the write-ahead log keeps its size after a
# checkpoint: megabytes after a search-indexing slice), so on a full file
# system the first write fails; under RLIMIT_FSIZE a few may fit before the
# store's files come within 64 KiB of it. Those that succeed were
# acknowledged and go into ACKED. The failed call's stderr is left in
# $T/add.err.
FITTED=0
add_until_full() {
	local i id
	for ((i = 1; i <= 400; i++)); do
		if id=$(cli "$1" add initiative --title "while filling $i" --lang en 2>"$T/add.err"); then
			echo "$id" >>"$2"
		else
			FITTED=$((i - 1))
			say "$1: $FITTED writes fit before one failed"
			return 0
		fi
	done
	return 1
}

# storage_log NAME: NAME's log lines about the storage state.
storage_log() {
	grep -E "storage (full|writable)" "$(log_of "$1")" | sed 's/^/    /' >&2 || true
}

setup() {
	sync_node a
	sync_node b
	link a b
	write_linked_confs a b
	start_all a b
	python3 "$TESSERA_SRC/bench/gen_records.py" 2000 --seed 5 --size 400 -o "$T/gen.jsonl"
	cli a import "$T/gen.jsonl" >/dev/null || fail "import into a failed"
	import_sample b evora
	converge "initial sync" "$(total_own a b)" a b || fail "a and b never synced"
	: >"$T/acked.b"
}

# fill B's tmpfs to the last byte.
fill() {
	dd if=/dev/zero of="$T/b/data/filler" bs=64k status=none 2>/dev/null || true
	say "b's data directory: $(df -h --output=size,used,avail "$T/b/data" | tail -n 1)"
}

test_full() {
	local id before pid=${NODE_PID[b]} t0 c0 c1 conn0 conn1
	fill
	if add_until_full b "$T/acked.b"; then
		pass
	else
		_bad "no write on the full b failed"
	fi
	assert_eq "$FITTED" "0" "the first write on a full file system is refused"
	assert_contains "$(cat "$T/add.err")" "storage full" "the CLI says why the write failed"
	assert_exit 1 cli b add resource --title "another" --lang en || true
	assert_contains "$ERR" "storage full" "add on a full disk"
	assert_exit 1 cli b import "$SAMPLES/wales.jsonl" || true
	assert_contains "$ERR" "storage full" "import on a full disk"

	# Reads go on.
	before=$(status_records b)
	assert_exit 0 cli b list --limit 5 || true
	assert_exit 0 cli b search comunidade || true
	id=$(records b | jq -r '.[0].id')
	assert_exit 0 cli b show "$id" || true
	assert_exit 0 cli b communities || true
	assert_exit 0 cli b export || true
	assert_eq "$(wc -l <<<"$OUT")" "$before" "export on a full disk lists every record"
	assert_exit 0 cli b status || true
	assert_contains "$OUT" "storage   FULL" "status shows the full state"
	assert_contains "$OUT" "storage is full" "status lists the full state under needs attention"
	assert_eq "$(cli b --json status | jq -r .storage_full)" "true" "status --json storage_full"
	say "status: $(grep storage <<<"$OUT")"

	# A publishes; B cannot store it and must not spin meanwhile.
	add_many a 30 "while b is full" || fail "adding records on a failed"
	conn0=$(grep -c "connected" "$(log_of a)" || true)
	c0=$(cpu_ticks "$pid")
	t0=$(now_ms)
	sleep 6
	c1=$(cpu_ticks "$pid")
	conn1=$(grep -c "connected" "$(log_of a)" || true)
	say "b while full: $((c1 - c0)) CPU ticks in $(($(now_ms) - t0)) ms; a's new connections: $((conn1 - conn0))"
	check "b is still running" kill -0 "$pid"
	check "b keeps its session with a while full (no reconnections)" test "$conn1" -eq "$conn0"
	assert_eq "$(status_records b)" "$before" "b stored nothing while full"
	assert_eq "$(full_lines b)" "1" "b logged the storage-full state once"
	assert_eq "$(again_lines b)" "0" "b did not report space it does not have"
	storage_log b
}

test_freed() {
	local pid=${NODE_PID[b]} want
	rm -f "$T/b/data/filler"
	want=$(( $(own_count a) + $(own_count b) ))
	converge "b syncs once space is freed" "$want" a b || true
	check "b was not restarted" kill -0 "$pid"
	assert_eq "${NODE_PID[b]}" "$pid" "same b process"
	assert_eq "$(again_lines b)" "1" "b logged once that storage is writable again"
	assert_eq "$(full_lines b)" "1" "the full state was logged once in all"
	assert_exit 0 cli b status || true
	assert_not_contains "$OUT" "FULL" "status after space was freed"
	assert_eq "$(cli b --json status | jq -r .storage_full)" "false" "storage_full after space was freed"
	assert_exit 0 cli b add initiative --title "after the disk was freed" --lang en || true
	echo "$OUT" >>"$T/acked.b"
	assert_eq "$(acked_on b "$T/acked.b")" "0" "acknowledged records of b missing on b"
	converge "b's new record reaches a" $((want + 1)) a b || true
	assert_eq "$(acked_on a "$T/acked.b")" "0" "acknowledged records of b missing on a"
	node_stop b
	assert_exit 0 "$TESSERAD" check --data "$T/b/data" || true
	say "$OUT"
	node_start b
}

# RLIMIT_FSIZE: C's files may not grow beyond FSIZE_KB.
test_fsize() {
	local pid
	sync_node c
	_LINKS[a]+=" c"
	_LINKS[c]=" a"
	sync_conf a ${_LINKS[a]}
	sync_conf c a
	kill -HUP "${NODE_PID[a]}"
	(
		ulimit -f "$FSIZE_KB"
		exec "$TESSERAD" -c "$T/c/tesserad.conf"
	) 2>>"$(log_of c)" &
	pid=$!
	NODE_PID[c]=$pid
	wait_for 20 cli c status >/dev/null || fail "c did not start under ulimit -f $FSIZE_KB"
	if wait_for "$SYNC_TIMEOUT" grep -q "storage full" "$(log_of c)"; then
		pass
	else
		_bad "c never reached its file size limit"
		diagnose a c
	fi
	sleep 1
	check "c survives writes beyond RLIMIT_FSIZE (SIGXFSZ)" kill -0 "$pid"
	assert_exit 0 cli c status || true
	assert_contains "$OUT" "storage   FULL" "c's status shows the full state"
	say "c: $(grep storage <<<"$OUT"); holds $(status_records c) records"
	# A few small writes may still fit below the limit.
	if add_until_full c "$T/acked.c"; then
		pass
	else
		_bad "no write on c failed beyond RLIMIT_FSIZE"
	fi
	assert_contains "$(cat "$T/add.err")" "storage full" "add beyond RLIMIT_FSIZE"
	node_stop c
	assert_exit 0 "$TESSERAD" check --data "$T/c/data" || true
	# Without the limit, C gets everything.
	node_start c
	converge "c syncs once the limit is gone" "$(total_own a b c)" a c || true
}

setup
test_full
test_freed
test_fsize
finish
