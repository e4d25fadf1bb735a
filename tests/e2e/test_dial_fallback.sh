#!/usr/bin/env bash
# Dialing falls back to the next resolved address. Regression test: the
# dialer tried only the first address getaddrinfo returned, so a peer whose
# name resolves to ::1 and 127.0.0.1 while it listens on 127.0.0.1 only was
# never reached (every dial refused on ::1).
#
# Node b runs in a private mount namespace where a test-only hosts file is
# bind-mounted over /etc/hosts (the machine's own file is not touched): there
# multi.tessera.test is ::1 then 127.0.0.1, the resolver returning ::1 first.
# Node a listens on 127.0.0.1 only. Needs root (unshare -m, mount --bind).
set -euo pipefail
# shellcheck disable=SC2034 # read by synclib.sh
TEST_BUDGET=60
. "$(dirname "$0")/synclib.sh"

NAME=multi.tessera.test

# The command that runs the rest of its arguments with the test's hosts file
# as /etc/hosts, in the same process (unshare and sh exec).
IN_HOSTS=(unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh)
in_hosts() { "${IN_HOSTS[@]}" "$T/hosts" "$@"; }

# resolved: the addresses b's resolver gives for NAME, in order, one a line
# (AF_UNSPEC and SOCK_STREAM, as the daemon asks).
resolved() {
	in_hosts python3 -c 'import socket, sys
for a in socket.getaddrinfo(sys.argv[1], 7070, 0, socket.SOCK_STREAM):
    print(a[4][0])' "$NAME"
}

start_b() {
	node_start_with b "${IN_HOSTS[@]}" "$T/hosts" "$TESSERAD" -v -c "$T/b/tesserad.conf"
}

[[ $(id -u) -eq 0 ]] || fail "this test needs root for unshare -m and mount --bind (uid $(id -u))"
printf '::1 %s\n127.0.0.1 %s\n' "$NAME" "$NAME" >"$T/hosts"
order=$(resolved | paste -sd' ') || fail "cannot resolve $NAME in a private mount namespace"
say "$NAME resolves to: $order"
[[ $order == "::1 127.0.0.1" ]] ||
	fail "$NAME must resolve to ::1 then 127.0.0.1 for this test, got: $order"

sync_node a
sync_node b --no-listen
sync_conf a b
node_conf b "" "${SYNC_LIMITS[@]}" "" "[peer \"a\"]" "address = $NAME:${NODE_PORT[a]}" \
	"id = ${NODE_ID[a]}"
node_start a
start_b

t0=$(now_ms)
if wait_for 15 has_connected b 1; then
	pass
	say "b reached a through 127.0.0.1 in $(($(now_ms) - t0)) ms"
else
	diagnose a b
	_bad "b never reached a: the dial did not fall back from ::1 to 127.0.0.1"
fi
check "b logged the refused first address and the fallback" \
	grep -q "connect to \[::1\]:${NODE_PORT[a]} failed: connection refused; trying the next address" \
	"$(log_of b)"
check "b's session runs to 127.0.0.1" \
	grep -q "peer a ([A-Z0-9]*): connected (to 127.0.0.1:${NODE_PORT[a]})" "$(log_of b)"
import_sample a evora
converge "records flow over the fallback connection" "$(status_records a)" a b

# Every address refusing: one failure naming how many were tried.
node_stop a
lost() { grep -q "connect failed on all 2 addresses (last 127.0.0.1:${NODE_PORT[a]}: connection refused)" "$(log_of b)"; }
check "with a stopped, b logs that both addresses refused" wait_for 10 lost
finish
