#!/usr/bin/env bash
# Disk full during an attachment transfer. b's data directory is a small
# tmpfs with room for part of a 24 MB file that a publishes and b fetches by
# itself. When the disk fills mid-transfer:
#   - b stays up, answers status, list and show, and shows the file as
#     partial, never as here;
#   - b does not spin asking for chunks it cannot write: its CPU time and
#     its log stay quiet while the disk is full;
#   - a record published on a meanwhile arrives once there is space again;
#   - once the space is back (the filler deleted), the same process finishes
#     the file by itself, writing every chunk once: what was verified and
#     written before the disk filled is never fetched again; the bytes equal
#     the original.
#
# Needs root (mount -t tmpfs), as in CI; without it the test fails.
set -euo pipefail
TEST_BUDGET=${TEST_BUDGET:-300}
. "$(dirname "$0")/synclib.sh"

SIZE=$((24 << 20))
CHUNKS=$((SIZE / 65536))
mount_tmpfs "$T/b/data" 48m

state_of() { cli "$1" --json show "$2" | jq -r '.attachments[0].state // empty'; }
have_of() { cli "$1" --json show "$2" | jq -r '.attachments[0].have // 0'; }
is_here() { [[ $(state_of "$1" "$2") == here ]]; }
has_record() { [[ -n $(version_of "$1" "$2") ]]; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
write_fail_lines() { grep -c "attachment.*\(cannot write\|storage full\)" "$(log_of b)" || true; }
# stalled NAME ID: what NAME holds of ID stays the same for two seconds.
stalled() {
	local h0 h1
	h0=$(have_of "$1" "$2")
	sleep 2
	h1=$(have_of "$1" "$2")
	[[ $h0 == "$h1" ]]
}

sync_node a
sync_node b
link a b
SYNC_LIMITS+=("attach_auto_fetch = 64M")
write_linked_confs a b
start_all a b
import_sample a evora
converge "a and b before the transfer" "$(total_own a b)" a b || fail "a and b never synced"
head -c "$SIZE" /dev/urandom >"$T/big.bin"

# Leave b about 10 MB: room for part of the file, not all of it.
avail_kb=$(df -k --output=avail "$T/b/data" | tail -n 1)
dd if=/dev/zero of="$T/b/data/filler" bs=1k count=$((avail_kb - 10240)) status=none
say "b's data directory before the transfer: $(df -h --output=size,used,avail "$T/b/data" | tail -n 1)"

id=$(cli a add resource --title "A guide too big for b's disk" --attach "$T/big.bin") ||
	fail "add --attach on a failed"
wait_for 30 has_record b "$id" || fail "the record did not reach b"
check "b's transfer stalls on the full disk" wait_for 60 stalled b "$id"
held=$(have_of b "$id")
say "b stalled holding $held of $SIZE bytes; $(df -h --output=avail "$T/b/data" | tail -n 1) free"
check "b holds part of the file ($held bytes)" test "$held" -gt 0 -a "$held" -lt "$SIZE"
check "b shows the file as partial, not here" test "$(state_of b "$id")" = partial

pid=${NODE_PID[b]}
check "b is still running" kill -0 "$pid"
assert_exit 0 cli b status || true
assert_exit 0 cli b list --limit 3 || true
assert_contains "$(cli b show "$id")" "partial" "show on the full disk"
lines0=$(write_fail_lines)
c0=$(cpu_ticks "$pid")
sleep 5
c1=$(cpu_ticks "$pid")
lines1=$(write_fail_lines)
say "b while full: $((c1 - c0)) CPU ticks in 5 s, $lines1 log lines about failed writes ($((lines1 - lines0)) in those 5 s)"
check "b does not spin on the full disk ($((c1 - c0)) ticks in 5 s)" test $((c1 - c0)) -le 100
check "b's log stays quiet while full ($lines1 lines in all)" test "$lines1" -le 10
cli b get "$id" -o "$T/partial.out" >/dev/null 2>&1 && _bad "get served a partial file" || pass

# A record published meanwhile, and then the space back.
rid=$(cli a add initiative --title "Published while b was full" --lang en) || fail "add on a failed"
rm -f "$T/b/data/filler"
check "b finishes the file by itself once there is space" wait_for 120 is_here b "$id"
check "the record published meanwhile reaches b" wait_for "$SYNC_TIMEOUT" has_record b "$rid"
written=$(grep -o "complete: $SIZE bytes, [0-9]* of $CHUNKS chunks" "$(log_of b)" |
	tail -n 1 | awk '{print $4}')
check "every chunk written once: ${written:-?} of $CHUNKS written by this process" \
	test "${written:-x}" = "$CHUNKS"
cli b get "$id" -o "$T/big.out" >/dev/null || fail "get on b failed"
check "the same bytes" cmp -s "$T/big.out" "$T/big.bin"
finish
