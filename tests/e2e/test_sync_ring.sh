#!/usr/bin/env bash
# Six nodes in a ring, one per sample community, each peered with its two
# neighbours only. All sample data converges everywhere; then every node
# publishes records at the same time and all six still end up identical.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

NODES=("${SAMPLE_FILES[@]}")
N=${#NODES[@]}
PER_NODE=20

setup() {
	local i
	for i in "${!NODES[@]}"; do
		sync_node "${NODES[i]}"
	done
	for i in "${!NODES[@]}"; do
		link "${NODES[i]}" "${NODES[((i + 1) % N)]}"
	done
	write_linked_confs "${NODES[@]}"
	start_all "${NODES[@]}"
}

test_samples_converge() {
	local n total
	for n in "${NODES[@]}"; do
		import_sample "$n" "$n"
	done
	total=$(total_own "${NODES[@]}")
	check "every sample line became a record (got $total)" \
		test "$total" -eq "$(cat "$SAMPLES"/*.jsonl | grep -c '[^[:space:]]')"
	converge "all sample data" "$total" "${NODES[@]}" ||
		fail "the ring did not converge; skipping the concurrent phase"
}

test_concurrent_adds() {
	local n before pids=() names=() i
	before=$(count "${NODES[0]}")
	for n in "${NODES[@]}"; do
		add_many "$n" "$PER_NODE" "concurrent from $n" >"$T/$n/adds.out" 2>&1 &
		pids+=($!)
		names+=("$n")
	done
	for i in "${!pids[@]}"; do
		if wait "${pids[i]}"; then
			pass
		else
			_bad "adding $PER_NODE records on ${names[i]} failed: $(tail -n 3 "$T/${names[i]}/adds.out")"
		fi
	done
	converge "after $PER_NODE concurrent adds on each node" \
		$((before + N * PER_NODE)) "${NODES[@]}" || true
	for n in "${NODES[@]}"; do
		check "$n authored $PER_NODE + its samples" \
			test "$(authored_by "${NODES[0]}" "$n")" -eq "$(own_count "$n")"
	done
}

setup
test_samples_converge
test_concurrent_adds
finish
