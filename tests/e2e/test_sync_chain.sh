#!/usr/bin/env bash
# Chain A - B - C (A and C are not peers): records spread transitively.
# Sample data imported on A and on C reaches every node; an edit on A reaches
# C as a new version; a delete on C reaches A as a tombstone.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

setup() {
	chain_abc
	check "a and c must not be configured as peers" test -z "$(peer_field a c name)"
}

# The ID of one initiative or resource authored by NAME (not its profile).
own_content_id() {
	local me
	me=$(norm_id "$(node_id "$1")")
	records "$1" | jq -r --arg me "$me" \
		'[.[] | select(.kind != "profile" and (.community | gsub("[- ]"; "") | ascii_upcase) == $me)][0].id // empty'
}

# title_on NAME ID: the English title NAME holds for record ID.
title_on() {
	records "$1" | jq -r --arg id "$2" \
		'.[] | select(.id == $id) | [.texts[] | select(.lang == "en")][0].title // empty'
}

has_version() { [[ $(version_of "$1" "$2") == "$3" ]]; }
absent() { [[ -z $(version_of "$1" "$2") ]]; }

test_spread() {
	local total
	import_sample a evora
	import_sample c romania
	total=$(total_own a b c)
	say "a, b and c authored $total records between them"
	converge "import on a and c" "$total" a b c ||
		fail "no convergence; the remaining steps need it"
	check "c holds every record authored by a" \
		test "$(authored_by c a)" = "$(own_count a)"
	check "a holds every record authored by c" \
		test "$(authored_by a c)" = "$(own_count c)"
}

test_edit_travels() {
	local id old new
	id=$(own_content_id a)
	[[ -n $id ]] || fail "a has no initiative or resource to edit"
	old=$(version_of a "$id")
	new=$(cli a edit "$id" --lang en --title "Edited on A" | awk '{print $NF}') ||
		fail "tessera edit on a failed"
	check "edit on a raises the version ($old -> $new)" test "$new" -gt "$old"
	if wait_for "$SYNC_TIMEOUT" has_version c "$id" "$new"; then
		pass
	else
		_bad "edit of $id (version $new) did not reach c; c has version '$(version_of c "$id")'"
		diagnose a b c
	fi
	check "c shows the edited title" test "$(title_on c "$id")" = "Edited on A"
}

test_delete_travels() {
	local id total
	id=$(own_content_id c)
	[[ -n $id ]] || fail "c has no initiative or resource to delete"
	total=$(count a)
	cli c delete "$id" >/dev/null || fail "tessera delete on c failed"
	check "c no longer lists its deleted record" absent c "$id"
	if wait_for "$SYNC_TIMEOUT" absent a "$id"; then
		pass
	else
		_bad "tombstone of $id did not reach a: a still lists version $(version_of a "$id")"
		diagnose a b c
	fi
	converge "after the delete" $((total - 1)) a b c || true
}

# Only the author can change its records: c holds a's record but may not
# edit or delete it (exit 6, "belongs to community"), and nothing changes.
test_foreign_refused() {
	local id before out rc
	id=$(own_content_id a)
	[[ -n $id ]] || fail "a has no initiative or resource"
	before=$(version_of c "$id")
	out=$(cli c edit "$id" --title "Hijacked by C" 2>&1) && rc=0 || rc=$?
	assert_eq "$rc" 6 "edit of another community's record exits 6"
	assert_contains "$out" "belongs to community" "edit refusal says why"
	out=$(cli c delete "$id" 2>&1) && rc=0 || rc=$?
	assert_eq "$rc" 6 "delete of another community's record exits 6"
	assert_eq "$(version_of c "$id")" "$before" "the record is unchanged on c"
}

# held_at NAME ID: NAME's commit time of record ID (tessera held), or empty.
held_at() {
	cli "$1" held "$2" | awk 'NR == 1 { print $3 }'
}

# tessera held: each node stamps the commit of a record it receives; no
# node holds it before its author a (one machine, one clock). c may hold
# it before b: b forwards before its own commit.
test_held_stamps() {
	local id ha hb hc out rc
	id=$(add_record a "Held along the chain") || fail "tessera add on a failed"
	wait_for 20 test -n "$(held_at c "$id")" || fail "c never held $id"
	ha=$(held_at a "$id") hb=$(held_at b "$id") hc=$(held_at c "$id")
	check "a, b and c each stamped the record" test -n "$ha" -a -n "$hb" -a -n "$hc"
	check "b held it no earlier than a" test "$hb" -ge "$ha"
	check "c held it no earlier than a" test "$hc" -ge "$ha"
	assert_eq "$(cli c held "$id" | awk '{ print $1 }')" "$id" "held names the record"
	assert_eq "$(cli c held "$id" | awk '{ print $2 }')" "$(version_of c "$id")" \
		"held gives the version stored"
	assert_eq "$(cli c --json held "${id:0:8}" | jq -r '.[0].held_us')" "$hc" \
		"--json held by prefix gives the same time"
	out=$(cli c held zz 2>&1) && rc=0 || rc=$?
	assert_eq "$rc" 2 "held with a malformed ID is a usage error"
}

setup
test_spread
test_held_stamps
test_edit_travels
test_delete_travels
test_foreign_refused
finish
