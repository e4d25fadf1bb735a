#!/usr/bin/env bash
# A hostile peer against a running node (docs/hostile-peers.md).
#
# Node a listens and pins two peers: "evil", whose key evil_peer uses, and
# b, an honest node peered both ways. For each evil_peer scenario we check
# what evil_peer saw on the wire (its exit status) and then, from outside:
# a still answers, a stored nothing bad (record count unchanged, the hostile
# record ids absent, the hijacked record still at its version), a counted
# the rejected records against evil, and a record published on b still
# reaches a. Finally an outsider whose key a does not pin is refused (inside
# the TLS handshake, or, within the few strangers a minute that a lets
# through to list them as pending, with a Goodbye after its Hello), a logs
# that once with the address and lists it under peers --pending.
# shellcheck disable=SC2317 # helpers run indirectly, through check and wait_for
set -euo pipefail
. "$(dirname "$0")/evillib.sh"

EVIL_TIMEOUT_MS=3000
evil_budget 110

setup() {
	sync_node a
	sync_node b
	sync_node evil --no-listen      # only its identity: evil_peer uses it
	node_init outsider              # a key that nobody pins
	sync_conf a b evil
	sync_conf b a
	start_all a b
	import_sample b wales
	converge "a and b before the attacks" "$(total_own a b)" a b ||
		fail "a and b do not sync; nothing to test"
}

test_hostile() {
	local target tver

	run_case hello 0
	run_case forged-sig 1
	run_case forged-rotation 3
	# A record of b's on a, for evil_peer to claim a newer version of.
	target=$(records a | jq -r --arg b "$(norm_id "$(node_id b)")" \
		'[.[] | select((.community | gsub("[- ]"; "") | ascii_upcase) == $b)][0].id') || target=""
	tver=$(version_of a "$target") || tver=""
	[[ -n $target && -n $tver ]] || fail "a holds no record of b's to target"
	run_case other-author 2 --target "$target"
	check "other-author: b's record $target is still at version $tver on a ($(version_of a "$target"))" \
		test "$(version_of a "$target")" = "$tver"
	run_case big-record 1
	run_case unsolicited 1
	run_case oversize-frame 0
	run_case garbage-frame 0
	run_case before-hello 0
	assert_contains "$(peer_field a evil last_error)" "before hello" \
		"before-hello: a's last_error for evil"
	run_case bad-version 0
	# The reason must reach the operator: in the peer table and in the log.
	assert_contains "$(peer_field a evil last_error)" "protocol version 99" \
		"bad-version: a's last_error for evil"
	if grep -q 'incompatible protocol version 99' "$(log_of a)"; then
		pass
	else
		_bad "bad-version: a's log never says why it refused evil's hello with protocol 99 (last_error has it)"
	fi
	run_case offer-flood 0
	run_case unknown-type 0
	# The session engine's limits: the frame floor, a want repeating one id.
	run_case tiny-frame 0
	assert_contains "$(peer_field a evil last_error)" "protocol floor" \
		"tiny-frame: a's last_error for evil"
	run_case want-repeat 0
	# Eager push from a hostile peer: of the records it pushes only the
	# valid one, pushed 200 times, is stored, once.
	over_budget push
	local before
	before=$(count a) || before=unknown
	: >"$T/ids.push"
	evil evil push --ids "$T/ids.push"
	check "push: evil_peer saw the expected behaviour (exit $EVIL_RC: $EVIL_OUT $(cat "$T/evil.err"))" \
		test "$EVIL_RC" -eq 0
	check "push: a holds one more record ($before before, $(count a) after)" \
		test "$(count a)" -eq $((before + 1))
	ids_absent push "$T/ids.push"
}

test_honest() {
	over_budget honest
	run_case honest 0 25
	ids_present a "$T/ids.honest"
	# Valid records from evil travel on like any other.
	if wait_for 10 ids_present_quiet b "$T/ids.honest"; then
		pass
	else
		_bad "evil's valid records did not travel on from a to b"
	fi
	check "honest: evil's records_received on a is at least 25" \
		test "$(peer_field a evil records_received)" -ge 25
}

# refusal_logged LINES: a logged a refused connection after line LINES.
refusal_logged() {
	tail -n +"$(($1 + 1))" "$(log_of a)" | grep -qE 'connection from 127\.0\.0\.1:[0-9]+ refused'
}

test_outsider() {
	local lines new n before
	over_budget outsider
	before=$(count a) || before=unknown
	lines=$(wc -l <"$(log_of a)")
	evil outsider hello
	check "outsider: evil_peer is refused (exit $EVIL_RC, want 3)" test "$EVIL_RC" -eq 3
	assert_contains "$EVIL_OUT" "does not know your key" "outsider: evil_peer's error"
	# a logs the refusal once, with the outsider's address.
	wait_for 5 refusal_logged "$lines" || true
	sleep 0.5
	new=$(tail -n +"$((lines + 1))" "$(log_of a)")
	n=$(grep -cE 'connection from 127\.0\.0\.1:[0-9]+ refused: .*(pinned|does not know your key)' <<<"$new" || true)
	check "outsider: a logs the refusal once with the address (got $n lines: $new)" test "$n" -eq 1
	check "outsider: a is still running" kill -0 "${NODE_PID[a]}"
	check "outsider: nothing stored" test "$(count a)" -eq "$before"
	check "outsider: a lists the outsider as pending" \
		test -n "$(cli a --json peers --pending | jq -r --arg id "$(norm_id "$(node_id outsider)")" \
			'.[] | select((.id | gsub("[- ]"; "") | ascii_upcase) == $id) | .count')"
	check "outsider: a does not list the outsider as a peer" \
		test -z "$(cli a --json peers | jq -r --arg id "$(norm_id "$(node_id outsider)")" \
			'.[] | select((.id | gsub("[- ]"; "") | ascii_upcase) == $id) | .name')"
	# evil_peer pinning the wrong daemon key refuses the daemon itself.
	EVIL_RC=0
	EVIL_OUT=$(timeout 30 "$EVIL_PEER" --data "$T/evil/data" --connect "127.0.0.1:${NODE_PORT[a]}" \
		--id "$(node_id b)" --timeout "$EVIL_TIMEOUT_MS" hello 2>&1) || EVIL_RC=$?
	say "evil_peer pinning b's key at a's address: $EVIL_OUT"
	check "evil_peer refuses a daemon whose key it does not pin (exit $EVIL_RC)" test "$EVIL_RC" -eq 3
	still_converges "the outsider"
}

setup
test_hostile
test_honest
test_outsider
converge "a and b at the end" "$(count a)" a b || true
finish
