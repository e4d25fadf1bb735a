#!/usr/bin/env bash
# Range reconciliation in the simulator (issue 11): a new link between two
# nodes that already hold the same 1,000 records costs a few hundred bytes,
# not the offer path's tens of KB, and with 20 records different on each
# side it still costs less than the offer path. The figures are simulated
# bytes, the same on every machine, so they can be asserted.
set -uo pipefail
sim=$1
out=$("$sim" --newlink 1000 --diff 20 --nodes 8 --seed 5 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAILED: tessera-sim --newlink exit $rc" >&2; exit 1; }
bytes() { awk -v n="$1" '/ bytes / { k++; for (i = 1; i <= NF; i++) if ($(i+1) == "bytes" && k == n) print $i }' <<<"$out"; }
eq_recon=$(bytes 1) eq_offer=$(bytes 2) d_recon=$(bytes 3) d_offer=$(bytes 4)
echo "equal: $eq_recon against $eq_offer bytes; 20 each way: $d_recon against $d_offer bytes"
fail=0
[ "$eq_recon" -le 2048 ] || { echo "FAILED: equal sets cost $eq_recon bytes (at most 2048)" >&2; fail=1; }
[ $((eq_recon * 20)) -le "$eq_offer" ] ||
	{ echo "FAILED: reconciling equal sets is not 20x cheaper than offering" >&2; fail=1; }
[ "$d_recon" -lt "$d_offer" ] ||
	{ echo "FAILED: with differences reconciliation costs more than offering" >&2; fail=1; }
exit $fail
