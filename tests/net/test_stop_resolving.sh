#!/usr/bin/env bash
# A node stopped while its dials are still resolving peer names exits
# cleanly. Regression test: the peer manager used to be freed while a
# getaddrinfo request was in flight; the callback then used it and freed it
# again (glibc abort, exit 134, on SIGTERM; heap-use-after-free under ASan).
#
# The node runs in a namespace of its own with a private mount namespace in
# which /etc/resolv.conf names a DNS server that never answers (a static
# neighbour on a veth whose other end has no address), so every resolve of
# its peers' names takes about a second. The node is stopped while they run.
set -euo pipefail
# shellcheck disable=SC2034 # read by synclib.sh
TEST_BUDGET=120
. "$(dirname "$0")/netlib.sh"
TEST_NAME=stop-resolving
ROUNDS=3

setup() {
	local ns="$NET_PREFIX-r" i lines=("[limits]" "backoff_min = 100ms" "backoff_max = 100ms")
	net_require
	_ns_add "$ns"
	ip -n "$ns" link add eth0 type veth peer name blackhole
	in_ns "$ns" ip addr add 10.77.9.1/24 dev eth0
	in_ns "$ns" ip link set eth0 up
	in_ns "$ns" ip link set blackhole up
	in_ns "$ns" ip neigh add 10.77.9.2 lladdr 02:00:00:00:00:02 dev eth0
	printf 'nameserver 10.77.9.2\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
	NODE_NS[a]=$ns
	node_init a
	for i in 1 2 3 4; do
		node_init "p$i"
		lines+=("" "[peer \"p$i\"]" "address = p$i.tessera.invalid:7070" "id = ${NODE_ID[p$i]}")
	done
	node_conf a "${lines[@]}"
}

# start_a: the daemon in its namespace, with the silent DNS server.
start_a() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	node_start_with a ip netns exec "${NODE_NS[a]}" unshare -m sh -c \
		'mount --bind "$1" /etc/resolv.conf && exec "$2" -c "$3"' sh \
		"$T/resolv.conf" "$TESSERAD" "$T/a/tesserad.conf"
}

test_stop_while_resolving() {
	local r pid rc t0
	for ((r = 1; r <= ROUNDS; r++)); do
		: >"$T/a/log"
		start_a
		sleep 0.3
		pid=${NODE_PID[a]}
		t0=$(now_ms)
		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		unset "NODE_PID[a]"
		say "round $r: exit status $rc after $(($(now_ms) - t0)) ms"
		check "round $r: the node exits with status 0 on SIGTERM (got $rc)" test "$rc" -eq 0
		if grep -qE 'Sanitizer|runtime error:|double free' "$T/a/log"; then
			_bad "round $r: $(grep -m1 -E 'Sanitizer|runtime error:|double free' "$T/a/log")"
		fi
	done
}

setup
test_stop_while_resolving
finish
