#!/usr/bin/env bash
# A pinned peer that lies about whose record is whose (docs/hostile-peers.md):
# an update and tombstones of another author's record, the replay of an old
# version, two different records with one author, id and version (sent to two
# nodes in opposite orders), records with invalid UTF-8, and a record body
# that decodes into 32k objects. For each: a stays up, stores nothing bad
# (checked through the CLI and evil_peer's --ids), counts what it refused,
# and a record published on the honest peer b still reaches it.
# shellcheck disable=SC2317 # helpers run indirectly, through check and wait_for
set -euo pipefail
. "$(dirname "$0")/evillib.sh"

EVIL_TIMEOUT_MS=5000
evil_budget 100

setup() {
	sync_node a
	sync_node b
	sync_node evil --no-listen
	sync_conf a b evil
	sync_conf b a evil
	start_all a b
	import_sample b wales
	converge "a and b before the attacks" "$(total_own a b)" a b ||
		fail "a and b do not sync; nothing to test"
}

show_field() { cli "$1" --json show "$2" | jq -r "$3"; }
has_version() { [[ $(version_of "$1" "$2") == "$3" ]]; }

# An update and two tombstones of one of b's records, on a.
test_hijack() {
	local target tver
	target=$(records a | jq -r --arg b "$(norm_id "$(node_id b)")" \
		'[.[] | select((.community | gsub("[- ]"; "") | ascii_upcase) == $b)][0].id')
	tver=$(version_of a "$target")
	[[ -n $target && -n $tver ]] || fail "a holds no record of b's to target"
	run_case hijack 3 --target "$target"
	check "hijack: b's record $target is still at version $tver and not deleted on a ($(version_of a "$target"))" \
		has_version a "$target" "$tver"
	check "hijack: its title is still b's" \
		test "$(show_field a "$target" '.texts[0].title')" != "evil_peer: hijacked"
}

# evil_peer saves version 1 of a record of b's, b edits it, evil_peer sends
# version 1 again (offered as newer): a must keep version 2.
test_replay() {
	local id v1 v2
	id=$(add_record b "Replay target, version 1") || fail "add on b failed"
	wait_for 10 has_record a "$id" || fail "b's new record did not reach a"
	v1=$(version_of a "$id")
	evil evil grab --target "$id" --record "$T/replay.rec"
	check "grab: evil_peer saved version 1 of $id (exit $EVIL_RC)" test "$EVIL_RC" -eq 0
	cli b edit "$id" --title "Replay target, version 2" >/dev/null || fail "edit on b failed"
	v2=$(version_of b "$id")
	wait_for 10 has_version a "$id" "$v2" || fail "version 2 did not reach a"
	say "replay: $id version 1 is $v1, version 2 is $v2"
	run_case replay 0 --record "$T/replay.rec"
	check "replay: a still holds version 2 of $id ($(version_of a "$id"))" has_version a "$id" "$v2"
	check "replay: a still shows version 2's title" \
		test "$(show_field a "$id" '.texts[0].title')" = "Replay target, version 2"
	check "replay: b still holds version 2" has_version b "$id" "$v2"
}

conflict_logged() { grep -q "conflict: record $2 " "$(log_of "$1")"; }

# Both twins to a, the one with the larger signature first (a node keeping
# the first would keep it); both to b in the other order. Each must keep the
# one with the smaller signature, whatever the order.
test_equivocation() {
	local id ta tb na nb win
	na=$(count a)
	nb=$(count b)
	EVIL_AT=a evil evil equivocate 1 --record "$T/twins.rec"
	check "equivocate on a: evil_peer saw the expected behaviour (exit $EVIL_RC)" test "$EVIL_RC" -eq 0
	EVIL_AT=b evil evil equivocate 2 --record "$T/twins.rec"
	check "equivocate on b: evil_peer saw the expected behaviour (exit $EVIL_RC)" test "$EVIL_RC" -eq 0
	id=$(grep -o '[0-9a-f]\{32\}' <<<"$EVIL_OUT" | head -n 1)
	[[ -n $id ]] || fail "equivocate: no record id in evil_peer's output"
	win=$(sed -n 's/.*twin \([AB]\) has the smaller signature.*/evil_peer twin \1/p' <<<"$EVIL_OUT")
	check "equivocation: a and b are still running" kill -0 "${NODE_PID[a]}" "${NODE_PID[b]}"
	wait_for 5 has_record a "$id" || true
	wait_for 5 has_record b "$id" || true
	ta=$(show_field a "$id" '.texts[0].title') || ta=""
	tb=$(show_field b "$id" '.texts[0].title') || tb=""
	say "equivocation: $id is \"$ta\" on a and \"$tb\" on b"
	check "equivocation: a keeps the twin with the smaller signature ($win; a: $ta)" \
		test "$ta" = "$win"
	check "equivocation: a and b keep the same twin (a: $ta, b: $tb)" test "$ta" = "$tb"
	check "equivocation: a and b hold the same bytes" \
		test "$(cli a --json show "$id" | jq -c .)" = "$(cli b --json show "$id" | jq -c .)"
	check "equivocation: a logs the conflict" conflict_logged a "$id"
	check "equivocation: b logs the conflict" conflict_logged b "$id"
	check "equivocation: a holds one record more ($na before, $(count a) after)" \
		test "$(count a)" -eq $((na + 1))
	check "equivocation: b holds one record more ($nb before, $(count b) after)" \
		test "$(count b)" -eq $((nb + 1))
	still_converges equivocation
}

setup
test_hijack
test_replay
run_case bad-utf8 4
run_case record-bomb 1
test_equivocation
converge "a and b at the end" "$(count a)" a b || true
finish
