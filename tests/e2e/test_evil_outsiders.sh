#!/usr/bin/env bash
# 1,000 TLS handshakes from an outsider whose key a does not pin
# (docs/hostile-peers.md): each is refused inside the handshake, but for the
# few a minute that a lets through to record it as pending (refused with a
# Goodbye after its Hello, docs/protocol.md); a keeps
# serving its honest peer b meanwhile (a record published on b during the
# run reaches a), stores nothing, does not keep the connections, and does not
# write a log line per refusal. Prints how long the handshakes took and a's
# RSS before and after.
set -euo pipefail
. "$(dirname "$0")/evillib.sh"

N=${OUTSIDERS:-1000}
evil_budget 150

sync_node a
sync_node b
node_init outsider
sync_conf a b
sync_conf b a
start_all a b
import_sample b wales
converge "a and b before the outsiders" "$(total_own a b)" a b ||
	fail "a and b do not sync; nothing to test"

apid=${NODE_PID[a]}
before=$(rss_kb "$apid")
n0=$(count a)
loglines=$(wc -l <"$(log_of a)")
t0=$(now_ms)
timeout 300 "$EVIL_PEER" --data "$T/outsider/data" --connect "127.0.0.1:${NODE_PORT[a]}" \
	--id "$(node_id a)" --timeout 10000 outsiders "$N" >"$T/out" 2>&1 &
epid=$!
sleep 1
id=$(add_record b "Published on b during the outsiders") || fail "add on b failed"
if wait_for 20 has_record a "$id"; then
	pass
	say "b's record reached a $(($(now_ms) - t0)) ms into the handshakes"
else
	_bad "a record published on b during the outsiders' handshakes did not reach a"
fi
rc=0
wait "$epid" || rc=$?
say "evil_peer outsiders $N: $(cat "$T/out") (exit $rc)"
check "all $N outsider handshakes were refused (exit $rc)" test "$rc" -eq 0
after=$(rss_kb "$apid")
rss_bound "$N outsider handshakes" "$before" "$after" 8192
check "a is still running" kill -0 "$apid"
check "a stored nothing but b's record ($n0 before, $(count a) after)" test "$(count a)" -eq $((n0 + 1))
# Connections refused are closed, not kept.
sleep 0.5
fds=$(find "/proc/$apid/fd" -mindepth 1 | wc -l)
say "a has $fds open file descriptors after the handshakes"
check "a does not keep the refused connections ($fds descriptors)" test "$fds" -lt 64
# One line per refusal would let anyone fill the disk: a logs a few, then
# a summary now and then.
new=$(($(wc -l <"$(log_of a)") - loglines))
say "a wrote $new log lines for $N refused handshakes"
check "a's log grew by fewer than 100 lines for $N refusals ($new)" test "$new" -lt 100
if grep -Eq "refused: (TLS handshake failed: peer key not pinned|this node does not know your key)" "$(log_of a)"; then
	pass
else
	_bad "a never logged why it refused the outsider"
fi
still_converges "the outsiders"
finish
