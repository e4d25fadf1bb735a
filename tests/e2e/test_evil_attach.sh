#!/usr/bin/env bash
# A pinned peer that abuses the attachment transfer (docs/protocol.md,
# "Attachments"; docs/hostile-peers.md): it claims every blob a asks about
# and sends chunks that do not verify; a refuses them (counted as
# bad_chunk), closes the link after a few, writes nothing and fetches the
# file from the honest peer b once it is back. Requests past the end of a
# blob and beyond the window close the link; a goes on serving. The same
# liar claiming ranges of partial blobs (BlobRanges) it does not hold is
# contained the same way, and ranges past the end of a blob or malformed
# close the link. A liar speaking leaf hashes by block (feature bit 9)
# sends leaf hashes that do not lead to the root: refused and counted like
# bad chunks; leaf-block requests past the end or malformed close the link.
set -euo pipefail
. "$(dirname "$0")/evillib.sh"

setup() {
	sync_node a
	sync_node b
	sync_node evil --no-listen
	SYNC_LIMITS+=("attach_auto_fetch = 0")   # a fetches only on demand
	sync_conf a b evil
	sync_conf b a
	start_all a b
	head -c 300000 /dev/urandom >"$T/doc.bin"   # 5 chunks
	head -c 300000 /dev/urandom >"$T/doc2.bin"
	head -c 300000 /dev/urandom >"$T/doc3.bin"
	ID=$(cli b add resource --title "A document" --attach "$T/doc.bin") || fail "add on b failed"
	ID2=$(cli b add resource --title "Another" --attach "$T/doc2.bin") || fail "add on b failed"
	wait_for 15 has_record a "$ID" || fail "the record did not reach a"
	ID3=$(cli b add resource --title "A third" --attach "$T/doc3.bin") || fail "add on b failed"
	wait_for 15 has_record a "$ID2" || fail "the second record did not reach a"
	wait_for 15 has_record a "$ID3" || fail "the third record did not reach a"
	ROOT=$(cli a --json show "$ID" | jq -r '.attachments[0].root')
}

status_field() { cli a --json status | jq -r ".$1 // empty"; }
state_on_a() { cli a --json show "$ID" | jq -r '.attachments[0].state'; }
get_done() { ! kill -0 "$GET_PID" 2>/dev/null; }

test_liar() {
	local before
	node_stop b   # only the liar is left to ask
	before=$(status_field records_rejected)
	cli a get "$ID" -o "$T/doc.out" --timeout 40 >"$T/get.out" 2>&1 &
	GET_PID=$!
	evil evil blob-liar 4
	check "blob-liar: evil_peer saw its chunks requested ($EVIL_OUT)" test "$EVIL_RC" -eq 0
	check "blob-liar: a is still running" kill -0 "${NODE_PID[a]}"
	check "blob-liar: bad chunks counted ($before before, $(status_field records_rejected) after)" \
		test "$(status_field records_rejected)" -gt "${before:-0}"
	assert_contains "$(status_field last_reject)" "attachment chunk refused" "last_reject"
	check "blob-liar: the link was closed for it" grep -q "peer evil.*chunks that do not verify" "$(log_of a)"
	check "blob-liar: nothing shown complete" test "$(state_on_a)" != here
	node_start b
	check "get completes from the honest peer" wait_for 30 get_done
	wait "$GET_PID" || _bad "get failed: $(cat "$T/get.out")"
	check "the bytes are b's" cmp -s "$T/doc.out" "$T/doc.bin"
}

closed_for_bad_chunks() { grep -c "peer evil.*chunks that do not verify" "$(log_of a)" || true; }

# liar_case SCENARIO ID N ARGS...: with b stopped, a gets ID (doc N) while
# only evil_peer SCENARIO claims it: what it sends is refused and counted,
# the link closed for it, nothing shown as here; with b back the get ends
# with b's bytes.
liar_case() {
	local scn=$1 id=$2 n=$3 before closed
	shift 3
	node_stop b
	before=$(status_field records_rejected)
	closed=$(closed_for_bad_chunks)
	cli a get "$id" -o "$T/doc$n.out" --timeout 40 >"$T/get$n.out" 2>&1 &
	GET_PID=$!
	evil evil "$scn" 4 "$@"
	check "$scn: a asked for what it claimed ($EVIL_OUT)" test "$EVIL_RC" -eq 0
	check "$scn: a is still running" kill -0 "${NODE_PID[a]}"
	check "$scn: bad chunks counted ($before before, $(status_field records_rejected) after)" \
		test "$(status_field records_rejected)" -gt "${before:-0}"
	check "$scn: the link was closed for it" test "$(closed_for_bad_chunks)" -gt "$closed"
	check "$scn: nothing shown complete" \
		test "$(cli a --json show "$id" | jq -r '.attachments[0].state')" != here
	node_start b
	check "get completes from the honest peer" wait_for 30 get_done
	wait "$GET_PID" || _bad "get failed: $(cat "$T/get$n.out")"
	check "the bytes are b's" cmp -s "$T/doc$n.out" "$T/doc$n.bin"
}

test_ranges_liar() {
	liar_case blob-ranges-liar "$ID2" 2 --chunks 5
}

test_leaves_liar() {
	liar_case blob-leaves-liar "$ID3" 3 --chunks 5
	check "blob-leaves-liar: its leaf hashes refused as not leading to the root" \
		grep -q "peer evil.*attachment chunk refused: leaf block 0: leaf hashes do not lead to" "$(log_of a)"
}

test_leaves_bad() {
	local n
	for n in 1 2; do
		evil evil blob-leaves-bad --root "$ROOT" "$n"
		check "blob-leaves-bad $n: $EVIL_OUT" test "$EVIL_RC" -eq 0
	done
	check "blob-leaves-bad: logged" grep -q "peer evil.*leaf block .* past the end" "$(log_of a)"
	check "a still answers" answers a
}

test_ranges_bad() {
	local n
	for n in 1 2 3 4; do
		evil evil blob-ranges-bad --root "$ROOT" --chunks 5 "$n"
		check "blob-ranges-bad $n: $EVIL_OUT" test "$EVIL_RC" -eq 0
	done
	check "blob-ranges-bad: logged" grep -q "peer evil.*blob ranges: a run past the end" "$(log_of a)"
	check "a still answers" answers a
}

test_requests() {
	evil evil blob-past-end --root "$ROOT"
	check "blob-past-end: $EVIL_OUT" test "$EVIL_RC" -eq 0
	check "blob-past-end: logged" grep -q "peer evil.*requested of a blob of" "$(log_of a)"
	evil evil blob-flood --root "$ROOT"
	check "blob-flood: $EVIL_OUT" test "$EVIL_RC" -eq 0
	check "a still answers" answers a
}

setup
test_liar
test_ranges_liar
test_leaves_liar
test_ranges_bad
test_leaves_bad
test_requests
finish
