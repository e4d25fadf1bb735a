#!/usr/bin/env bash
# A file crosses a chain A - B - C without waiting at each hop: B serves the
# verified chunks of the file it is still fetching (BlobRanges), so C
# receives chunks while B does not hold the whole file yet. C is never
# shown the file as here before it holds all of it, and the bytes equal the
# original. The times from the add to B, and to C, are printed (a
# store-and-forward chain takes about twice as long to C as to B).
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

SIZE_MB=96

setup() {
	chain_abc
	head -c $((SIZE_MB << 20)) /dev/urandom >"$T/big.bin"
}

state_of() { cli "$1" --json show "$2" | jq -r '.attachments[0].state // empty'; }
chunks_in() { cli "$1" --json status | jq -r '.attach_chunks_in // 0'; }
served() { cli "$1" --json status | jq -r '.attach_chunks_out // 0'; }
has_record() { [[ -n $(version_of "$1" "$2") ]]; }

test_chain() {
	local id t0 tb='' tc='' c_in b_state early=0 i
	wait_for 20 connected b c || fail "b and c did not connect"
	t0=$(now_ms)
	id=$(cli a add resource --title "A big guide" --attach "$T/big.bin") || fail "add failed"
	# Every 20 ms for up to 120 s: c's chunks are read before b's state, so
	# chunks at c with b still partial mean c got them before b was done.
	for ((i = 0; i < 6000; i++)); do
		c_in=$(chunks_in c)
		b_state=$(state_of b "$id")
		[[ -z $tb && $b_state == here ]] && tb=$(now_ms)
		if [[ $b_state != here && $c_in -gt 0 ]]; then
			early=$c_in
		fi
		[[ $(state_of c "$id") == here ]] && { tc=$(now_ms); break; }
		sleep 0.02
	done
	[[ -n $tc ]] || fail "c did not get the file ($(state_of c "$id"))"
	[[ -n $tb ]] || tb=$tc
	say "add to b: $((tb - t0)) ms, add to c: $((tc - t0)) ms (${SIZE_MB} MiB; load $(cut -d' ' -f1-3 /proc/loadavg))"
	check "c received chunks ($early) while b did not hold the whole file" test "$early" -gt 0
	check "b served chunks to c: $(served b)" test "$(served b)" -ge $((SIZE_MB * 16))
	check "c received every chunk once: $(chunks_in c)" test "$(chunks_in c)" -eq $((SIZE_MB * 16))
	(cd "$T" && cli c get "$id" -o "$T/got.bin" >/dev/null) || _bad "get on c failed"
	check "c: the same bytes" cmp -s "$T/got.bin" "$T/big.bin"
	# Leaf hashes by block (Hello.features bit 9): b fetched them from a,
	# c from b while b was partial, so no chunk needed its proof checked.
	for n in b c; do
		blk=$(grep -o "complete: $((SIZE_MB << 20)) bytes, .* under leaf blocks" "$(log_of "$n")" |
			tail -n 1 | awk '{print $(NF-5)}')
		check "$n: every chunk checked against a block of leaf hashes (${blk:-?})" \
			test "${blk:-0}" -eq $((SIZE_MB * 16))
	done
	check "c: no chunk refused" \
		test "$(cli c --json status | jq -r '.records_rejected // 0')" -eq 0
}

setup
test_chain
finish
