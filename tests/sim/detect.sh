#!/usr/bin/env bash
# The invariants can fail against the real engine: a link that silently loses
# one frame in fifty (which no TCP connection does) leaves offers unanswered
# and records missing, and tessera-sim must say so (exit 1, FAILED and the
# command that reproduces it), not crash and not pass.
set -uo pipefail
sim=$1
out=$("$sim" --seed 3 --faults none --lose 20 2>/dev/null)
rc=$?
echo "$out" | head -8
if [ $rc -ne 1 ] || ! grep -q '^seed 3: FAILED' <<<"$out" ||
	! grep -q '^reproduce: tessera-sim --seed 3 .* --lose 20' <<<"$out"; then
	echo "FAILED: a lossy link went unnoticed (exit $rc)" >&2
	exit 1
fi
echo "ok: the lossy link was caught"
