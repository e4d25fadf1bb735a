#!/usr/bin/env bash
# A silent first address does not hold the dial: it gives up after its share
# of handshake_timeout and the next address is tried. Regression test for the
# dialer that tried only the first resolved address (the peer was never
# reached), and a check of the time sharing of the fallback.
#
# One network namespace holds both nodes. Node a listens on 127.0.0.1:7070;
# node b runs with a test hosts file (bind-mounted over /etc/hosts in a
# private mount namespace) in which multi.tessera.test is ::1 then 127.0.0.1,
# and an nft rule drops every packet to [::1]:7070 on input, so b's SYNs to
# ::1 go unanswered (no refusal). With handshake_timeout = 4s and two
# addresses, ::1 gets 2 s, then 127.0.0.1 connects at once.
set -euo pipefail
# shellcheck disable=SC2034 # read by synclib.sh
TEST_BUDGET=90
. "$(dirname "$0")/netlib.sh"
TEST_NAME=dial-silent
NAME=multi.tessera.test
HANDSHAKE_MS=4000
IN_HOSTS=(unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh)

net_require
ns="$NET_PREFIX-d"
_ns_add "$ns"
NODE_NS[a]=$ns
NODE_NS[b]=$ns
printf '::1 %s\n127.0.0.1 %s\n' "$NAME" "$NAME" >"$T/hosts"
order=$(in_ns "$ns" "${IN_HOSTS[@]}" "$T/hosts" python3 -c 'import socket, sys
print(" ".join(a[4][0] for a in socket.getaddrinfo(sys.argv[1], 7070, 0, socket.SOCK_STREAM)))' \
	"$NAME") || fail "cannot resolve $NAME in the namespace"
say "$NAME resolves to: $order"
[[ $order == "::1 127.0.0.1" ]] || fail "$NAME must resolve to ::1 then 127.0.0.1, got: $order"
in_ns "$ns" nft -f - <<NFT || fail "cannot add the nft rule in $ns"
table inet tessnet {
	chain in {
		type filter hook input priority 0;
		ip6 daddr ::1 tcp dport $NET_PORT drop
	}
}
NFT

node_init a
node_init b
node_conf a "listen = 127.0.0.1:$NET_PORT" "" "[peer \"b\"]" "id = ${NODE_ID[b]}"
node_conf b "" "[limits]" "handshake_timeout = ${HANDSHAKE_MS}ms" "backoff_min = 100ms" \
	"backoff_max = 1s" "" "[peer \"a\"]" "address = $NAME:$NET_PORT" "id = ${NODE_ID[a]}"
net_start a
t0=$(now_ms)
node_start_with b ip netns exec "$ns" "${IN_HOSTS[@]}" "$T/hosts" "$TESSERAD" -v -c \
	"$T/b/tesserad.conf"
# log_gap FROM TO: milliseconds between the first lines of b's log matching
# the two patterns (the log's own timestamps: the test's polling and a slow
# sanitized start-up do not count).
log_gap() {
	python3 - "$(log_of b)" "$1" "$2" <<'PY'
import datetime, re, sys
def at(pat):
    for line in open(sys.argv[1]):
        if re.search(pat, line):
            t = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
            return t.timestamp() * 1000
    sys.exit(1)
print(int(at(sys.argv[3]) - at(sys.argv[2])))
PY
}

if wait_for 20 has_connected b 1; then
	say "b reached a through 127.0.0.1 after $(($(now_ms) - t0)) ms, start-up included"
	pass
else
	diagnose a b
	_bad "b never reached a: the dial did not move on from the silent ::1"
fi
fallback="connect to \[::1\]:$NET_PORT failed: timed out; trying the next address"
check "b logged the silent first address and the fallback" grep -q "$fallback" "$(log_of b)"
if gap=$(log_gap "info: node .* started" "$fallback"); then
	say "::1 held the dial for $gap ms of handshake_timeout $HANDSHAKE_MS ms"
	check "the silent ::1 held the dial about half of handshake_timeout ($gap ms)" \
		test "$gap" -ge $((HANDSHAKE_MS / 2 - 100)) -a "$gap" -lt $((HANDSHAKE_MS / 2 + 700))
	gap=$(log_gap "$fallback" "peer a .*: connected \(to 127\.0\.0\.1:$NET_PORT\)") ||
		gap=unknown
	say "then 127.0.0.1 connected (TLS and Hello included) in $gap ms"
fi
finish
