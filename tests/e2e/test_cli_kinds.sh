#!/usr/bin/env bash
# Forward compatibility through the CLI (docs/protocol.md): records of a kind
# this version does not know (9), one with a title and one without, signed
# by a stranger and imported as a newer node's export lines, are listed,
# shown, searched and relayed to a peer byte for byte, beside known records
# that stay listed and found.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"
. "$(dirname "$0")/strangerlib.sh"

setup() {
	sync_node a
	sync_node b
	link a b
	write_linked_confs a b
	start_all a b
	mkdir -p "$T/keys"
}

# body_of NAME ID: the signed body of record ID in NAME's export.
body_of() {
	cli "$1" export | jq -r --arg id "$2" 'select(.id == $id) | .signed.body'
}

has() { [[ -n $(version_of "$1" "$2") ]]; }

test_unknown_kind() {
	local known titled bare out
	known=$(add_record a "Zukunftsplan") || fail "add on a failed"
	{
		signed future --kind 9 --lang de --title "Zukunftsarten"
		signed future --kind 9 --lang de
	} >"$T/future.jsonl"
	check "signrec writes the kind as unknown" \
		test "$(jq -r .kind "$T/future.jsonl" | sort -u)" = unknown
	cli a import "$T/future.jsonl" >/dev/null || fail "import of kind 9 records failed"
	out=$(cli a --json list)
	titled=$(jq -r '[.[] | select(.texts[0].title == "Zukunftsarten")][0].id' <<<"$out")
	bare=$(jq -r '[.[] | select(.kind == "unknown" and .texts[0].title == null)][0].id' <<<"$out")
	check "list shows both kind 9 records as unknown" test "$titled" != null -a "$bare" != null
	check "list still shows the known record" test "$(jq -r --arg id "$known" \
		'[.[] | select(.id == $id)] | length' <<<"$out")" = 1
	out=$(cli a list)
	assert_contains "$out" "unknown" "the table names the kind unknown"
	out=$(cli a show "$titled")
	assert_contains "$out" "kind       unknown" "show names the kind unknown"
	out=$(cli a --json search zukunftsarten | jq -r '.[].id')
	assert_eq "$out" "$titled" "search finds the kind 9 record"
	out=$(cli a --json search zukunftsplan | jq -r '.[].id')
	assert_eq "$out" "$known" "search still finds the known record"
	out=$(cli a --json list --kind initiative | jq -r '[.[] | select(.kind != "initiative")] | length')
	assert_eq "$out" 0 "a filter on a known kind leaves it out"
	wait_for "$SYNC_TIMEOUT" has b "$bare" || fail "the kind 9 records did not reach b"
	check "b holds the titled record's signed bytes unchanged" \
		test "$(body_of b "$titled")" = "$(jq -r 'select(.signed) | .signed.body' "$T/future.jsonl" | head -n 1)"
	check "b holds the bare record's signed bytes unchanged" \
		test "$(body_of b "$bare")" = "$(body_of a "$bare")"
	out=$(cli b --json lineage "$titled" | jq -r '.nodes | length')
	assert_eq "$out" 1 "lineage of an unknown kind is that record alone"
}

setup
test_unknown_kind
finish
