#!/usr/bin/env bash
# Managed peers: `tessera peer add` / `peer remove` write drop-ins in
# peers.d next to the configuration and take effect without a restart:
#   - add on both sides (one with an address, one dial-in only) connects and
#     syncs; the operator's file is byte for byte unchanged; the drop-in is
#     mode 0640 and `tesserad -n` counts it;
#   - a corrupt drop-in is skipped with an error naming file:line, the other
#     peers stay up, and `tesserad -n` fails naming it;
#   - add refuses a taken name or ID and our own ID; remove refuses a peer of
#     the operator's file and an unknown name;
#   - remove closes the link and deletes the file, on both sides.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

setup() {
	sync_node a
	sync_node b
	sync_node c
	sync_conf a
	sync_conf b c        # b's hand-written file pins c
	sync_conf c b
	start_all a b c
	import_sample b wales
}

test_add() {
	local before
	before=$(sha256sum <"$T/a/tesserad.conf")
	expect 0 cli a peer add b "127.0.0.1:${NODE_PORT[b]}" "$(node_id b)"
	assert_contains "$OUT" "peer b added"
	expect 0 cli b peer add a "$(node_id a)"
	check "a connects to b without a restart" wait_for 20 has_connected a 1
	converge "a and b" "$(total_own a b c)" a b
	assert_eq "$(sha256sum <"$T/a/tesserad.conf")" "$before" "the operator's file is untouched"
	assert_eq "$(stat -c %a "$T/a/peers.d/b.conf")" 640 "drop-in mode"
	assert_eq "$(stat -c %a "$T/a/peers.d")" 750 "peers.d mode"
	assert_eq "$(peer_field a b managed)" true "a's view says b is managed"
	assert_contains "$(peer_field a b file)" "peers.d/b.conf" "a's view names the drop-in"
	expect 0 "$TESSERAD" -n -c "$T/a/tesserad.conf"
	assert_contains "$OUT" "(1 peers"
	assert_eq "$(grep -c '^id = ' "$T/b/peers.d/a.conf")" 1 "b's drop-in pins a"
	assert_not_contains "$(cat "$T/b/peers.d/a.conf")" "address" "a dial-in only peer has no address"
}

test_refusals() {
	expect 7 cli a peer add b "127.0.0.1:1" "$(node_id c)"
	assert_contains "$ERR" "exists already"
	expect 7 cli a peer add other "$(node_id b)"
	assert_contains "$ERR" "configured already, as peer 'b'"
	expect 7 cli a peer add me "$(node_id a)"
	assert_contains "$ERR" "own ID"
	expect 7 cli a peer add 'bad name' "$(node_id c)"
	local id typo
	id=$(node_id c)
	# One character mistyped: its group's check character catches it.
	if [[ ${id:0:1} == Q ]]; then typo=R${id:1}; else typo=Q${id:1}; fi
	expect 7 cli a peer add x "$typo"
	expect 6 cli b peer remove c
	assert_contains "$ERR" "tesserad.conf"
	expect 4 cli a peer remove nobody
	expect 2 cli a peer add onlyname
}

test_corrupt_dropin() {
	printf '[peer "broken"]\nid = not-an-id\n' >"$T/a/peers.d/broken.conf"
	printf '[limits]\nmax_batch = 1\n' >"$T/a/peers.d/sneaky.conf"
	kill -HUP "${NODE_PID[a]}"
	check "the reload names the broken drop-in and its line" \
		wait_for 10 grep -q 'peers.d/broken.conf:2: .*invalid id' "$(log_of a)"
	check "a section other than [peer] is refused in a drop-in" \
		wait_for 10 grep -q 'peers.d/sneaky.conf:1: only \[peer' "$(log_of a)"
	sleep 1
	assert_eq "$(peer_field a b state)" up "b stays connected through the reload"
	expect 1 "$TESSERAD" -n -c "$T/a/tesserad.conf"
	assert_contains "$ERR" "broken.conf:2"
	rm -f "$T/a/peers.d/broken.conf" "$T/a/peers.d/sneaky.conf"
}

test_remove() {
	expect 0 cli a peer remove b
	expect 0 cli b peer remove a
	check "the link is closed" wait_for 10 bash -c "[[ \$($TESSERA -s $T/a/ctl.sock --json status | jq .peers_connected) == 0 ]]"
	check "the drop-in is gone" test ! -e "$T/a/peers.d/b.conf"
	assert_eq "$(cli a --json peers | jq length)" 0 "a has no peers"
	assert_eq "$(peer_field b c state)" up "b keeps its hand-configured peer"
}

setup
test_add
test_refusals
test_corrupt_dropin
test_remove
finish
