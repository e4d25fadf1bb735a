#!/usr/bin/env bash
# Key rotation across a chain A - B - C (docs/protocol.md, "Key rotation"):
#   - tesserad rotate-key refuses to run beside the daemon; stopped, it
#     makes a new key and keeps the old one (0600);
#   - B, which pins A's old ID in a managed drop-in, accepts A's new key
#     when A reconnects, with no edit by the operator: its drop-in then pins
#     the new ID, and its log says so;
#   - D, which pins A in the operator's own file and is the only one of
#     the two that dials, follows too: A's Hello shows the rotation, the
#     link comes up under the new key (again after a restart, through the
#     TLS pin check), and D's file is not edited;
#   - C, which does not peer with A, gets the statement through B and shows
#     A's old and new records as one community; a record A writes after the
#     rotation reaches C;
#   - a second rotation of A's old key (a copy of its data made before: a
#     stolen key) is refused by B, flagged under "needs attention", and the
#     operator's block of the thief's key clears the dispute.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

setup() {
	sync_node a
	sync_node b
	sync_node c
	sync_node d --no-listen    # only d dials: a must answer d's dial under its new key
	sync_conf a b d
	sync_conf b c            # the operator's file pins c; a comes as a drop-in
	sync_conf c b
	sync_conf d a            # d's own file pins a
	start_all a b c d
	expect 0 cli b peer add a "127.0.0.1:${NODE_PORT[a]}" "$(node_id a)"
	check "a and b connect" wait_for 20 has_connected b 2
	check "a and d connect" wait_for 20 has_connected d 1
	import_sample a evora
	converge "a's records everywhere" "$(total_own a b c d)" a b c d ||
		fail "no convergence before the rotation"
}

# community_of NAME ID: the community entry NAME lists for node ID.
community_of() {
	cli "$1" --json communities |
		jq -c --arg who "$(norm_id "$2")" '[.[] | select((.id | gsub("[- ]"; "") | ascii_upcase) == $who)][0] // empty'
}

# listed NAME ID COMMUNITY: NAME's list of COMMUNITY holds record ID.
listed() {
	cli "$1" --json list --community "$3" --limit 100000 | jq -e --arg id "$2" 'any(.[]; .id == $id)' >/dev/null
}

has_rotation() {
	cli "$1" --json list --limit 100000 | jq -e 'any(.[]; .kind == "rotation")' >/dev/null
}

test_rotate() {
	local old new old_rec name
	old=$(node_id a)
	name=$(community_of c "$old" | jq -r .name)
	old_rec=$(records a | jq -r '[.[] | select(.kind != "profile")][0].id')
	expect 1 "$TESSERAD" rotate-key --data "$T/a/data"
	assert_contains "$ERR" "stop it first"
	node_stop a
	# What a thief who copied the data directory before the rotation holds.
	mkdir -p "$T/thief"
	cp -a "$T/a/data" "$T/thief/data"
	rm -f "$T/thief/data/tesserad.lock"
	expect 0 "$TESSERAD" rotate-key --data "$T/a/data"
	assert_contains "$OUT" "new ID"
	new=$("$TESSERAD" id --data "$T/a/data")
	NODE_ID[a]=$new
	check "the new ID differs" test "$(norm_id "$new")" != "$(norm_id "$old")"
	local kept="$T/a/data/key-${old:0:7}.pem"
	assert_eq "$(stat -c %a "$kept")" 600 "the old key is kept, owner only"
	assert_eq "$(stat -c %a "$T/a/data/key.pem")" 600 "the new key is owner only"
	expect 1 "$TESSERAD" rotate-key --data "$T/a/data/nowhere"

	node_start a
	check "b accepts a's new key and the link comes up" \
		wait_for 30 bash -c "[[ \$($TESSERA -s $T/b/ctl.sock --json peers | jq -r '.[] | select(.name == \"a\") | .state') == up ]]"
	check "b's drop-in pins the new ID" grep -q "$new" "$T/b/peers.d/a.conf"
	check "b's drop-in no longer pins the old ID" bash -c "! grep -q '$old' '$T/b/peers.d/a.conf'"
	check "b logs the rotation" grep -q "peer a rotated its key from $old to $new" "$(log_of b)"
	check "the operator's file of b is untouched" bash -c "! grep -q '$new' '$T/b/tesserad.conf'"
	local dconf
	dconf=$(sha256sum <"$T/d/tesserad.conf")
	check "d, pinning a in its own file, follows the rotation" \
		wait_for 30 bash -c "[[ \$($TESSERA -s $T/d/ctl.sock --json peers | jq -r '.[] | select(.name == \"a\") | .state') == up ]]"
	check "d says its file still names the old ID" \
		grep -q "peer a rotated its key from $old to $new; it is pinned in $T/d/tesserad.conf" "$(log_of d)"
	assert_eq "$(sha256sum <"$T/d/tesserad.conf")" "$dconf" "d's own file is not edited"
	# d dials a again under the old pin: the TLS pin check now follows the
	# rotation it holds.
	node_stop a
	node_start a
	check "the link a-d comes back under the new key" \
		wait_for 30 bash -c "[[ \$($TESSERA -s $T/d/ctl.sock --json peers | jq -r '.[] | select(.name == \"a\") | .state') == up ]]"

	check "c gets the statement through b" wait_for 30 has_rotation c
	local id
	id=$(add_record a "Written after the rotation")
	check "a record written after the rotation reaches c" wait_for 30 listed c "$id" "$new"
	check "c lists a's old record under its new ID" listed c "$old_rec" "$new"
	check "c lists a's old record under its old ID too" listed c "$old_rec" "$old"
	local entry
	entry=$(community_of c "$new")
	check "c shows one community for a, under its new ID" test -n "$entry"
	check "c shows no community under a's old ID" test -z "$(community_of c "$old")"
	assert_eq "$(jq -r .name <<<"$entry")" "$name" "the community keeps its name"
	assert_eq "$(cli c --json show "$old_rec" | jq -r .community_name)" "$name" \
		"an old record shows the community's name"
	assert_eq "$(cli c --json show "$id" | jq -r .community_name)" "$name" \
		"a new record shows the same name"
	OLD_A=$old
}

test_stolen_key() {
	local tport thief
	tport=$(free_port)
	expect 0 "$TESSERAD" rotate-key --data "$T/thief/data"
	thief=$("$TESSERAD" id --data "$T/thief/data")
	node_conf thief "listen = 127.0.0.1:$tport" "" "${SYNC_LIMITS[@]}" "$(peer_section b)"
	node_start thief
	check "b refuses the second rotation of a's old key" \
		wait_for 30 grep -q "refused a second rotation of key ${OLD_A:0:7}" "$(log_of b)"
	check "b flags the dispute" \
		wait_for 10 bash -c "[[ \$($TESSERA -s $T/b/ctl.sock --json status | jq .rotation_disputes) -ge 1 ]]"
	assert_contains "$(cli b --json status | jq -r '.attention[]')" "disputed key rotation"
	check "b's drop-in still pins a's real new key" grep -q "$(node_id a)" "$T/b/peers.d/a.conf"
	assert_eq "$(peer_field b a state)" up "a stays connected"
	node_stop thief
	expect 0 cli b block "$thief"
	assert_eq "$(cli b --json status | jq .rotation_disputes)" 0 "the block settles the dispute"
}

setup
test_rotate
test_stolen_key
finish
