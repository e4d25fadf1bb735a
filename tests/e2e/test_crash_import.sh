#!/usr/bin/env bash
# kill -9 of a node during a local import. An import is one transaction
# (docs/cli.md): after a kill the node holds either nothing of it or all of
# it, and all of it if `tessera import` had returned success. Each of CYCLES
# cycles (10; 100 in the durability-long variant; fewer under the sanitizers,
# see crashlib.sh) starts from the node's empty database, imports IMPORT_N
# records and kills the daemon at a random moment of the import (calibrated
# on the last import that was left to finish). With the node stopped: integrity_check
# is ok and the record count is all-or-nothing. The node then restarts and
# the same file is imported again, which must complete.
set -euo pipefail
. "$(dirname "$0")/crashlib.sh"

IMPORT_N=$((NRECORDS / 5))   # 2,000: long enough to be hit mid-way
INTERRUPTED=0                # kills that hit an unfinished import
COMMITTED=0                  # imports that committed before the kill

setup() {
	sync_node a
	node_conf a
	cp -a "$T/a/data" "$T/a/pristine"
	gen_file "$IMPORT_N" "$T/records.jsonl"
	node_start a
	local t0
	t0=$(now_ms)
	cli a import "$T/records.jsonl" >/dev/null || fail "calibration import failed"
	IMPORT_MS=$(($(now_ms) - t0))
	say "an import of $IMPORT_N records takes $IMPORT_MS ms"
	node_stop a
}

reset_a() {
	rm -rf "$T/a/data"
	cp -a "$T/a/pristine" "$T/a/data"
}

one_cycle() {
	local i=$1 t0 t1 before delay imp rc after
	t0=$(now_ms)
	reset_a
	node_start a
	before=$(status_records a)
	cli a import "$T/records.jsonl" >"$T/import.out" 2>&1 &
	imp=$!
	# Inside the import: between 5% and 100% of its usual time.
	delay=$(rand_ms $((IMPORT_MS / 20)) "$IMPORT_MS")
	sleep_ms "$delay"
	kill9 a
	rc=0
	wait "$imp" || rc=$?
	offline_check a
	after=$HELD
	if ((rc == 0)); then
		COMMITTED=$((COMMITTED + 1))
		check "cycle $i: the acknowledged import is all there ($before + $IMPORT_N, has $after)" \
			test "$after" -eq $((before + IMPORT_N))
		if ((after != before + IMPORT_N)); then
			LOST=$((LOST + before + IMPORT_N - after))
		fi
	else
		INTERRUPTED=$((INTERRUPTED + 1))
		check "cycle $i: nothing half-imported ($before or $((before + IMPORT_N)), has $after)" \
			test "$after" -eq "$before" -o "$after" -eq $((before + IMPORT_N))
	fi
	node_start a
	t1=$(now_ms)
	assert_exit 0 cli a import "$T/records.jsonl" || true
	# The next kill aims at the time this uninterrupted import took.
	IMPORT_MS=$(($(now_ms) - t1))
	assert_contains "$OUT" "imported $IMPORT_N records" "cycle $i: the re-import completes"
	check "cycle $i: the re-import added $IMPORT_N records" \
		test "$(status_records a)" -eq $((after + IMPORT_N))
	node_stop a
	say "cycle $i: killed after $delay ms: import $([[ $rc == 0 ]] && echo acknowledged || echo "interrupted (exit $rc)"), $((after - before)) of its records kept"
	cycle_done "$t0"
}

test_kills() {
	local i
	for ((i = 1; i <= CYCLES; i++)); do
		one_cycle "$i"
	done
	offline_check a --verify
	say "kills during an import: $INTERRUPTED, after it was acknowledged: $COMMITTED"
	check "at least one kill hit an import in progress" test "$INTERRUPTED" -gt 0
	figures "import kill -9"
}

setup
test_kills
finish
