#!/usr/bin/env bash
# A pinned peer that abuses range reconciliation (docs/protocol.md,
# "Reconciliation"; docs/hostile-peers.md): children of the daemon's opening
# out of order, fingerprints that differ at every split, a split of a range
# the daemon listed and turns after the end, a list over 4096 items and a
# turn of 3000 ranges, a reconciliation nobody asked for. For each: the link
# is closed (or the made-up differences end within the depth bound), a stays
# up, stores nothing, and a record published on the honest peer b still
# reaches it.
set -euo pipefail
. "$(dirname "$0")/evillib.sh"

evil_budget 150

setup() {
	sync_node a
	sync_node b
	sync_node evil --no-listen
	sync_conf a b evil
	sync_conf b a
	start_all a b
	# a must hold records (and no checkpoint of evil) to ask to reconcile;
	# 2,000 of them make the made-up differences go several turns deep.
	import_sample b wales
	python3 "$TESSERA_SRC/bench/gen_records.py" 2000 --seed 3 --size 200 -o "$T/items.jsonl"
	cli b import "$T/items.jsonl" >/dev/null || fail "import of 2,000 records on b failed"
	converge "a and b before the attacks" "$(total_own a b)" a b ||
		fail "a and b do not sync; nothing to test"
}

closed_for() {
	if grep -qE "peer evil.*$2" "$(log_of a)"; then
		pass
	else
		_bad "$1: a's log never says \"$2\" for evil"
	fi
}

setup
run_case recon-order 0
closed_for recon-order "reconciliation ranges out of order"
run_case recon-inconsistent 0
run_case recon-endless 0
run_case recon-oversized 0
closed_for recon-oversized "malformed reconciliation list"
run_case recon-unasked 0
closed_for recon-unasked "unexpected reconciliation"
converge "a and b at the end" "$(count a)" a b || true
finish
