#!/usr/bin/env bash
# Attachments along a chain A - B - C (A and C are not peers): a record with
# the guides attached on A; B fetches them by itself (auto-fetch), verified
# chunk by chunk, then C fetches them from B; the bytes equal the originals;
# `show` says where each attachment stands; `get` writes the file; a file
# over the auto-fetch limit is fetched only on demand, through b (asked for
# it, b fetches it too); get fails with a cause when no connected peer has
# it; over its budget a node fetches nothing and says so; a tombstone
# purges the files on every node.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

GUIDES=$TESSERA_SRC/tests/data/guides

# state_of NAME ID FILE: the state NAME shows for attachment FILE of ID.
state_of() {
	cli "$1" --json show "$2" | jq -r --arg f "$3" '.attachments[] | select(.name == $f) | .state'
}
exits_with() {
	local want=$1 rc=0
	shift
	"$@" >/dev/null 2>&1 || rc=$?
	[[ $rc == "$want" ]]
}
is_here() { [[ $(state_of "$1" "$2" "$3") == here ]]; }
is_purged() { [[ $(state_of "$1" "$2" "$3") == purged ]]; }

setup() {
	sync_node a
	sync_node b
	sync_node c
	sync_node d   # no peers: export and import only
	link a b
	link b c
	SYNC_LIMITS+=("attach_auto_fetch = 1M")
	write_linked_confs a b c d
	start_all a b c d
	head -c 3000000 /dev/urandom >"$T/big.bin"   # over the auto-fetch limit
	cat "$GUIDES"/*.txt >"$T/all-guides.txt"
}

test_chain() {
	local id args=() f
	for f in "$GUIDES"/*.txt; do
		args+=(--attach "$f")
	done
	id=$(cli a add resource --title "Xploit guides" "${args[@]}" --attach "$T/big.bin") ||
		fail "add --attach failed"
	ID=$id
	check "a holds its own attachments" is_here a "$id" xploit-a-learning-community.en.txt
	check "a: 6 attachments listed" \
		test "$(cli a --json show "$id" | jq '.attachments | length')" = 6
	for f in "$GUIDES"/*.txt; do
		f=$(basename "$f")
		check "b fetched $f" wait_for "$SYNC_TIMEOUT" is_here b "$id" "$f"
		check "c fetched $f through b" wait_for "$SYNC_TIMEOUT" is_here c "$id" "$f"
	done
	check "c: the file over the auto-fetch limit is not fetched" \
		test "$(state_of c "$id" big.bin)" = "not fetched"
	assert_contains "$(cli c show "$id")" "big.bin (3000000 bytes, not fetched)" "show lists the state"
}

test_get() {
	local out
	(cd "$T" && cli c get "$ID" xploit-izmenyaem-roli.ru.txt -o "$T/ru.txt" >/dev/null) ||
		_bad "get of a fetched attachment failed"
	check "get writes the same bytes" cmp -s "$T/ru.txt" "$GUIDES/xploit-izmenyaem-roli.ru.txt"
	out=$(cli c get "$ID" big.bin -o "$T/big.out" 2>&1) || _bad "get on demand failed: $out"
	check "get on demand through b: the same bytes" cmp -s "$T/big.out" "$T/big.bin"
	check "b holds big.bin too (it fetched it for c)" is_here b "$ID" big.bin
	check "get of an unknown name: exit 4" exits_with 4 cli c get "$ID" nothing.pdf
}

has_record() { [[ -n $(version_of "$1" "$2") ]]; }
names_on() { cli "$1" --json show "$2" | jq -r '[.attachments[]?.name] | sort | join(",")'; }

# edit --attach adds (or replaces by name), --detach removes; b follows.
test_edit() {
	local id
	echo "first" >"$T/note.txt"
	echo "second" >"$T/other.txt"
	id=$(cli a add resource --title "Edited" --attach "$T/note.txt") || fail "add failed"
	cli a edit "$id" --attach "$T/other.txt" >/dev/null || fail "edit --attach failed"
	check "b sees both attachments" wait_for "$SYNC_TIMEOUT" \
		test "$(names_on b "$id")" = "note.txt,other.txt"
	cli a edit "$id" --detach note.txt >/dev/null || fail "edit --detach failed"
	check "b sees note.txt detached" wait_for "$SYNC_TIMEOUT" test "$(names_on b "$id")" = other.txt
	check "b fetched the one left" wait_for "$SYNC_TIMEOUT" is_here b "$id" other.txt
}

# c's budget shrinks (SIGHUP) below what it holds: a new attachment reaches
# b but not c, and c's status and show say why.
test_budget() {
	local id st
	sed -i 's/^attach_auto_fetch = 1M$/attach_auto_fetch = 1M\nattach_budget = 1M/' "$T/c/tesserad.conf"
	kill -HUP "${NODE_PID[c]}"
	head -c 500000 /dev/urandom >"$T/small.bin"
	id=$(cli a add resource --title "Small" --attach "$T/small.bin") || fail "add failed"
	check "b fetches the new attachment" wait_for "$SYNC_TIMEOUT" is_here b "$id" small.bin
	check "c shows it over budget" wait_for "$SYNC_TIMEOUT" \
		test "$(state_of c "$id" small.bin)" = "over budget"
	st=$(cli c status)
	assert_contains "$st" "1 attachment not fetched: over budget" "status on c"
	check "status --json counts it" \
		test "$(cli c --json status | jq .attach_over_budget)" = 1
	sed -i '/^attach_budget = 1M$/d' "$T/c/tesserad.conf"
	kill -HUP "${NODE_PID[c]}"
}

test_nobody_has_it() {
	local id out
	head -c 2000000 /dev/urandom >"$T/c-only.bin"
	id=$(cli c add resource --title "Only on c" --attach "$T/c-only.bin") || fail "add on c failed"
	check "the record reaches a" wait_for "$SYNC_TIMEOUT" has_record a "$id"
	node_stop c   # b never fetched it (over its auto-fetch limit): nobody connected has it
	check "get fails (exit 4) when no connected peer holds it" \
		exits_with 4 cli a get "$id" --timeout 3 -o "$T/never.bin"
	out=$(cli a get "$id" --timeout 2 -o "$T/never.bin" 2>&1 || true)
	assert_contains "$out" "no connected peer" "get says why"
	check "nothing written" test ! -e "$T/never.bin"
}

# b's records and files into d, which has no peer; and back out unchanged.
test_export_import() {
	local f n
	cli b export -o "$T/b.jsonl" --files "$T/files" >/dev/null 2>"$T/export.err" ||
		fail "export --files failed: $(cat "$T/export.err")"
	n=$(find "$T/files" -type f | wc -l)
	check "export wrote the 6 files b holds of the guides record ($n)" test "$n" -ge 6
	cli d import "$T/b.jsonl" --files "$T/files" >/dev/null 2>"$T/import.err" || fail "import --files failed: $(cat "$T/import.err")"
	for f in "$GUIDES"/*.txt; do
		check "d holds $(basename "$f") after the import" is_here d "$ID" "$(basename "$f")"
	done
	cli d get "$ID" big.bin -o "$T/d-big.bin" >/dev/null
	check "d's big.bin has the same bytes" cmp -s "$T/d-big.bin" "$T/big.bin"
	cli d export -o "$T/d.jsonl" >/dev/null
	check "d exports what it imported (round trip)" \
		test "$(grep -c "$ID" "$T/d.jsonl")" = 1 -a \
		"$(grep "$ID" "$T/d.jsonl")" = "$(grep "$ID" "$T/b.jsonl")"
	cp "$T/big.bin" "$T/files/$(printf '%064d' 0)"
	check "a file that does not match its name is refused" \
		exits_with 7 cli d import "$T/b.jsonl" --files "$T/files"
}

# blob_file NAME ROOT: NAME's file for the blob ROOT exists.
blob_file() { [[ -e $T/$1/data/blobs/$2 ]]; }
gone_on() { ! blob_file "$1" "$2"; }

test_purge() {
	local root
	root=$(cli a --json show "$ID" | jq -r '.attachments[] | select(.name == "big.bin") | .root')
	check "c holds big.bin before the delete (it is stopped)" blob_file c "$root"
	cli a delete "$ID" >/dev/null || fail "delete failed"
	check "a: purged file removed" wait_for "$SYNC_TIMEOUT" gone_on a "$root"
	check "b: purged file removed" wait_for "$SYNC_TIMEOUT" gone_on b "$root"
	node_start c
	check "c: purged file removed" wait_for "$SYNC_TIMEOUT" gone_on c "$root"
}

setup
test_chain
test_get
test_edit
test_budget
test_export_import
test_nobody_has_it
test_purge
finish
