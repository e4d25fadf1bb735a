#!/usr/bin/env bash
# Forward before commit (docs/protocol.md): with eager push on, nodes push
# verified records on before committing them, and crash faults land between
# a forward and its commit. Every invariant must hold (every acknowledged
# record everywhere, nothing else), and such crashes must really happen in
# these seeds (else the test proves nothing). And a forwarded record is not
# pushed again over the same link after its commit: one new record over 20
# nodes makes exactly as many duplicate deliveries with forwarding as
# without (--no-forward).
set -uo pipefail
sim=$1
seeds=${2:-1-8}
fails=0 crashes=0 forwarded=0
IFS=- read -r first last <<<"$seeds"
for ((s = first; s <= last; s++)); do
	out=$("$sim" --seed "$s" --push 16 --faults crash,delay,cut 2>&1)
	rc=$?
	line=$(grep "^seed $s:" <<<"$out")
	echo "$line"
	if [ $rc -ne 0 ]; then
		echo "$out" | tail -n 12
		fails=$((fails + 1))
		continue
	fi
	f=$(sed -n 's/.* \([0-9]*\) forwarded before commit.*/\1/p' <<<"$line")
	c=$(sed -n 's/.* \([0-9]*\) crashes between forward and commit.*/\1/p' <<<"$line")
	forwarded=$((forwarded + ${f:-0}))
	crashes=$((crashes + ${c:-0}))
done
dups() {
	"$sim" --bench 20 --degree 3-4 --push 16 --seed 1 "$@" 2>&1 |
		sed -n 's/.*duplicate deliveries per node (\([0-9]*\) in all).*/\1/p'
}
d_fwd=$(dups)
d_plain=$(dups --no-forward)
echo "one record over 20 nodes: $d_fwd duplicate deliveries forwarding, $d_plain without"
if [ -z "$d_fwd" ] || [ "$d_fwd" != "$d_plain" ]; then
	echo "FAILED: forwarding changed the duplicates (pushed twice over a link?)" >&2
	fails=$((fails + 1))
fi
echo "seeds $seeds: $fails failed, $forwarded records forwarded before commit, $crashes crashes between forward and commit"
if [ $fails -ne 0 ] || [ $forwarded -eq 0 ] || [ $crashes -eq 0 ]; then
	echo "FAILED" >&2
	exit 1
fi
