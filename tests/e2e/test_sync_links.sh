#!/usr/bin/env bash
# Links between peers: two nodes that dial each other at the same moment end
# with exactly one connection; SIGHUP that removes a peer drops that link and
# leaves the session with an unchanged peer alone.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

# tcp_of NAME: established TCP sockets owned by NAME's daemon (its control
# socket is a Unix socket, so these are its peer links).
tcp_of() {
	ss -Htnp state established 2>/dev/null | grep -c "pid=${NODE_PID[$1]}," || true
}

sync_node a
sync_node b
link a b
write_linked_confs a b

# start_together A B: both daemons at once (node_start waits for each in
# turn, and the first would then dial a port nobody listens on yet).
start_together() {
	local n
	for n in "$@"; do
		"$TESSERAD" -c "$T/$n/tesserad.conf" 2>>"$T/$n/log" &
		NODE_PID[$n]=$!
	done
	for n in "$@"; do
		wait_for 10 cli "$n" status || fail "node $n did not start"
	done
}

# Three times: a and b start together, so both dial at once.
for round in 1 2 3; do
	start_together a b
	if wait_for 10 has_connected a 1; then pass; else _bad "round $round: no session"; fi
	sleep 1.5   # a duplicate, if any, is closed by now
	assert_eq "$(tcp_of a) $(tcp_of b)" "1 1" "round $round: exactly one connection between a and b"
	node_stop a
	node_stop b
done

# a peers with b and c; a SIGHUP without c drops c and leaves b alone.
sync_node c
link a c
write_linked_confs a b c
start_all a b c
wait_for 10 has_connected a 2 || fail "a never had both sessions"
since_b=$(peer_field a b connected_since)
sync_conf a b
kill -HUP "${NODE_PID[a]}"
if wait_for 10 test "$(cli a --json peers | jq length)" -eq 1; then pass; else _bad "c still configured on a"; fi
if wait_for 10 test "$(peer_field c a state)" != up; then pass; else _bad "c still connected to a"; fi
assert_eq "$(peer_field a b connected_since)" "$since_b" "the session with b was not disturbed"
assert_eq "$(peer_field a b state)" up "b still up"
assert_contains "$(cat "$(log_of a)")" "peer c ($(node_id c | cut -c1-7)): removed from the configuration" "a logs the removal"

# Moving the listener to another port (same number of addresses) cannot be
# applied live: the reload says so instead of pretending it took effect.
NODE_PORT[a]=$(free_port)
sync_conf a b
kill -HUP "${NODE_PID[a]}"
if wait_for 10 grep -q "reload: listen changes take effect after a restart" "$(log_of a)"; then
	pass
else
	_bad "a did not warn that its new listen address needs a restart"
fi
assert_eq "$(peer_field a b state)" up "b still up after the second reload"
finish
