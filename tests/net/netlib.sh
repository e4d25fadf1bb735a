# shellcheck shell=bash
# Network-namespace harness for the partition tests; source it from bash after
# `set -euo pipefail` (and after setting TEST_BUDGET if the default is short).
#
# Layout: one hub namespace holding a Linux bridge, and one namespace per node
# joined to the bridge by a veth pair created inside the namespaces (nothing is
# added to the host's own network namespace). Node i has 10.77.0.(10+i)/24
# and listens on port 7070; the hub has 10.77.0.1 (where the delaying proxy
# listens). Every node namespace holds one nft table, "tessnet":
#   set cut    peer addresses this node cannot reach (both directions dropped)
#   chain in   the loss rule (numgen random) for packets from the bridge
# Cutting A-B puts B in A's set and A in B's set; healing removes them.
#
# The CLI reaches each daemon through its control socket, a plain file.
# Everything (daemons by PID, proxy by PID, namespaces with their veths and
# nft tables) is removed on every exit path.

# shellcheck source=../e2e/synclib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/synclib.sh"

NET_PORT=7070
# Unique per run so that parallel ctest runs never collide.
NET_PREFIX="tsn$$r$RANDOM"
NET_HUB="$NET_PREFIX-hub"
declare -a NET_NSES=()       # namespaces we created, in creation order
declare -A NODE_NS=()        # NAME -> namespace
declare -A NODE_ADDR=()      # NAME -> 10.77.0.x
declare -A NODE_DIAL=()      # NAME -> HOST:PORT the other nodes dial
declare -A CUT=()            # "A B" (sorted) -> 1 while the link is cut
NET_PROXY_PID=""

# --- preconditions ---------------------------------------------------------

# net_require: fails the test (exit 1) with the reason when this environment
# cannot run it: not root, no iproute2 netns, no nft. Never a silent skip.
net_require() {
	local why="" probe="$NET_PREFIX-probe"
	if [[ $(id -u) -ne 0 ]]; then
		why="needs root to create network namespaces (running as uid $(id -u))"
	elif ! command -v ip >/dev/null; then
		why="needs iproute2 (ip) for network namespaces"
	elif ! command -v ethtool >/dev/null; then
		why="needs ethtool to turn off segmentation offloads (Debian package ethtool)"
	elif ! command -v nft >/dev/null; then
		why="needs nftables (nft) to cut links and drop packets (Debian package nftables)"
	elif ! ip netns add "$probe" 2>"$T/netns.err"; then
		why="cannot create a network namespace: $(cat "$T/netns.err")"
	else
		if ! ip netns exec "$probe" nft add table inet probe 2>"$T/netns.err"; then
			why="nft does not work inside a network namespace: $(cat "$T/netns.err")"
		fi
		ip netns del "$probe" 2>/dev/null || true
	fi
	if [[ -n $why ]]; then
		echo "$TEST_NAME: FAIL: this test $why" >&2
		exit 1
	fi
}

# --- cleanup ---------------------------------------------------------------

_net_cleanup() {
	local ns
	set +e
	_cleanup # daemons by PID, then $T
	if [[ -n $NET_PROXY_PID ]]; then
		_stop_pid "$NET_PROXY_PID"
	fi
	for ns in "${NET_NSES[@]}"; do
		ip netns exec "$ns" nft delete table inet tessnet 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
trap '_net_cleanup' EXIT

# in_ns NS CMD...: runs CMD inside namespace NS.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# --- topology --------------------------------------------------------------

_ns_add() {
	ip netns add "$1" || fail "ip netns add $1 failed"
	NET_NSES+=("$1")
	in_ns "$1" ip link set lo up
}

# net_setup NAME...: the hub, then one namespace per node with its veth, its
# address and its nft table.
net_setup() {
	local i=0 name ns addr
	_ns_add "$NET_HUB"
	in_ns "$NET_HUB" ip link add br0 type bridge
	in_ns "$NET_HUB" ip addr add 10.77.0.1/24 dev br0
	in_ns "$NET_HUB" ip link set br0 up
	for name in "$@"; do
		i=$((i + 1))
		ns="$NET_PREFIX-$i"
		addr="10.77.0.$((10 + i))"
		_ns_add "$ns"
		# Both ends are created directly inside their namespaces.
		ip -n "$ns" link add eth0 type veth peer name "p$i" netns "$NET_HUB" ||
			fail "veth for $name failed"
		in_ns "$NET_HUB" ip link set "p$i" master br0
		in_ns "$NET_HUB" ip link set "p$i" up
		in_ns "$ns" ip addr add "$addr/24" dev eth0
		in_ns "$ns" ip link set eth0 up
		# No segmentation offloads: every packet nft sees (and may drop) is
		# one wire-sized TCP segment, not a 64 KB super-packet.
		in_ns "$ns" ethtool -K eth0 tso off gso off gro off >/dev/null ||
			fail "ethtool -K in $ns failed"
		in_ns "$NET_HUB" ethtool -K "p$i" tso off gso off gro off >/dev/null ||
			fail "ethtool -K p$i failed"
		in_ns "$ns" nft -f - <<-EOF || fail "nft table in $ns failed"
			table inet tessnet {
				set cut { type ipv4_addr; }
				chain in {
					type filter hook input priority 0; policy accept;
					ip saddr @cut drop
				}
				chain out {
					type filter hook output priority 0; policy accept;
					ip daddr @cut drop
				}
			}
		EOF
		NODE_NS[$name]=$ns
		NODE_ADDR[$name]=$addr
		NODE_DIAL[$name]="$addr:$NET_PORT"
	done
}

# --- nodes -------------------------------------------------------------------

# net_confs EXTRA_LIMITS NAME...: full mesh; every node listens on its own
# address and pins every other node, dialled at NODE_DIAL. EXTRA_LIMITS is a
# newline-separated list of [limits] lines.
net_confs() {
	local limits=$1 n p l lines
	shift
	for n in "$@"; do
		lines=("listen = ${NODE_ADDR[$n]}:$NET_PORT" "" "[limits]")
		while IFS= read -r l; do
			if [[ -n $l ]]; then
				lines+=("$l")
			fi
		done <<<"$limits"
		for p in "$@"; do
			[[ $p == "$n" ]] && continue
			lines+=("$(printf '\n[peer "%s"]\naddress = %s\nid = %s' \
				"$p" "${NODE_DIAL[$p]}" "${NODE_ID[$p]}")")
		done
		node_conf "$n" "${lines[@]}"
	done
}

# net_start NAME: node_start, but the daemon runs inside NAME's namespace
# (`ip netns exec` execs it, so the PID is the daemon's own).
net_start() {
	node_start_with "$1" ip netns exec "${NODE_NS[$1]}" "$TESSERAD" -c "$T/$1/tesserad.conf"
}

# --- links -------------------------------------------------------------------

_pair() { if [[ $1 < $2 ]]; then echo "$1 $2"; else echo "$2 $1"; fi; }

# cut_link A B / heal_link A B: drops (or lets through again) every packet between A
# and B, in both directions, on both sides.
cut_link() {
	in_ns "${NODE_NS[$1]}" nft add element inet tessnet cut "{ ${NODE_ADDR[$2]} }"
	in_ns "${NODE_NS[$2]}" nft add element inet tessnet cut "{ ${NODE_ADDR[$1]} }"
	CUT[$(_pair "$1" "$2")]=1
}

heal_link() {
	in_ns "${NODE_NS[$1]}" nft delete element inet tessnet cut "{ ${NODE_ADDR[$2]} }"
	in_ns "${NODE_NS[$2]}" nft delete element inet tessnet cut "{ ${NODE_ADDR[$1]} }"
	unset "CUT[$(_pair "$1" "$2")]"
}

heal_all() {
	local k
	for k in "${!CUT[@]}"; do
		# shellcheck disable=SC2086 # "A B"
		heal_link $k
	done
}

# set_loss PCT NAME...: every packet arriving at these nodes from the bridge
# is dropped with probability PCT % (0 removes the rule).
set_loss() {
	local pct=$1 n
	shift
	for n in "$@"; do
		in_ns "${NODE_NS[$n]}" nft flush chain inet tessnet in
		in_ns "${NODE_NS[$n]}" nft add rule inet tessnet in ip saddr @cut drop
		in_ns "${NODE_NS[$n]}" nft add rule inet tessnet in iifname eth0 counter comment '"seen"'
		if ((pct > 0)); then
			in_ns "${NODE_NS[$n]}" nft add rule inet tessnet in \
				iifname eth0 numgen random mod 100 "<" "$pct" counter drop
		fi
	done
}

# dropped NAME / seen NAME: packets the loss rule has dropped on NAME so
# far, and packets that arrived from the bridge before that rule.
dropped() {
	in_ns "${NODE_NS[$1]}" nft list chain inet tessnet in |
		sed -n 's/.*numgen random.*packets \([0-9]*\).*/\1/p' | head -n 1
}

seen() {
	in_ns "${NODE_NS[$1]}" nft list chain inet tessnet in |
		sed -n 's/.*packets \([0-9]*\).*comment "seen".*/\1/p' | head -n 1
}

# net_proxy DELAY_MS NAME...: starts the delaying proxy in the hub: port
# 7100+i on 10.77.0.1 forwards to node i, each direction held DELAY_MS. The
# nodes then dial each other through it (call before net_confs).
net_proxy() {
	local delay=$1 n i=0 maps=()
	shift
	for n in "$@"; do
		i=$((i + 1))
		maps+=("10.77.0.1:$((7100 + i))=${NODE_ADDR[$n]}:$NET_PORT")
		NODE_DIAL[$n]="10.77.0.1:$((7100 + i))"
	done
	# Not through in_ns: a function in the background is a subshell, and
	# its PID is not the proxy's. `ip netns exec` execs python itself.
	ip netns exec "$NET_HUB" python3 "$(dirname "${BASH_SOURCE[0]}")/delayproxy.py" \
		--delay-ms "$delay" "${maps[@]}" 2>"$T/proxy.log" &
	NET_PROXY_PID=$!
	for i in $(seq 50); do
		grep -q '^ready' "$T/proxy.log" 2>/dev/null && return 0
		kill -0 "$NET_PROXY_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "the delaying proxy did not start: $(cat "$T/proxy.log")"
}

# rtt_ms FROM TO: one TCP connect round trip from FROM's namespace to TO's
# dial address, in ms (measures what the nodes see).
rtt_ms() {
	local host=${NODE_DIAL[$2]%:*} port=${NODE_DIAL[$2]#*:}
	in_ns "${NODE_NS[$1]}" python3 -c "import socket, sys, time
s = socket.create_connection(('$host', $port), timeout=10)
s.settimeout(10)
t0 = time.monotonic()
try:
    s.sendall(b'x' * 8)   # not TLS: the daemon answers by closing
    s.recv(1)
except OSError:
    pass
print(round((time.monotonic() - t0) * 1000))"
}

# --- writing -----------------------------------------------------------------

# gen_jsonl N TAG: N small initiatives in the import format, titles "TAG i".
gen_jsonl() {
	python3 -c "import json, sys
n, tag = int(sys.argv[1]), sys.argv[2]
for i in range(1, n + 1):
    print(json.dumps({'kind': 'initiative', 'tags': ['nettest'],
        'texts': [{'lang': 'en', 'title': '%s %d' % (tag, i),
                   'summary': 'partition test record %d of %s, padded to a few hundred bytes '
                              'so that a batch spans several TCP segments.' % (i, tag)}]}))" "$1" "$2"
}

# --- checking ----------------------------------------------------------------

# lost_records NAME...: how many acknowledged records are missing, summed over
# every node and author: WANT[AUTHOR] (set by the caller) against the count
# of AUTHOR's records each node lists in `communities` (one call per node).
declare -A WANT=()
lost_records() {
	local n a want="" lost=0 m
	for a in "$@"; do
		want+="$(norm_id "${NODE_ID[$a]}") ${WANT[$a]} $a"$'\n'
	done
	for n in "$@"; do
		m=$(cli "$n" --json communities | jq -r --arg want "$want" '
			(map({key: (.id | gsub("[- ]"; "") | ascii_upcase), value: .records}) | from_entries) as $have
			| [$want | split("\n")[] | select(length > 0) | split(" ")
			   | (.[1] | tonumber) - ($have[.[0]] // 0) | select(. > 0)] | add // 0') || m=999999
		if ((m > 0)); then
			echo "$TEST_NAME: $n misses $m acknowledged records" >&2
		fi
		lost=$((lost + m))
	done
	echo "$lost"
}

# stop_all_checked NAME...: stops every daemon (TERM, 10 s of grace) and
# checks that each exits with status 0 and logged no sanitizer report, so
# that a crash or leak on the way out fails the test.
stop_all_checked() {
	local n pid rc i
	for n in "$@"; do
		pid=${NODE_PID[$n]:-}
		[[ -n $pid ]] || continue
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			_bad "$n did not stop within 10 s of SIGTERM"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		rc=0
		wait "$pid" || rc=$?
		unset "NODE_PID[$n]"
		check "$n exited with status 0 (got $rc)" test "$rc" -eq 0
		if grep -qE 'Sanitizer|runtime error:' "$T/$n/log"; then
			_bad "$n logged a sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error:' "$T/$n/log")"
		fi
	done
}

# counts_reach WANT NAME...: every node's status reports WANT records (one
# cheap status call per node, so the poll does not blur the time measured).
counts_reach() {
	local want=$1 n
	shift
	for n in "$@"; do
		[[ $(status_records "$n") == "$want" ]] || return 1
	done
}

# net_converge DESC WANT SECONDS NAME...: waits until every node counts WANT
# records and sets CONVERGE_MS to the time that took (-1 if it did not
# within SECONDS); then checks that the nodes hold one identical set.
CONVERGE_MS=-1
net_converge() {
	local desc=$1 want=$2 secs=$3 t0
	shift 3
	t0=$(now_ms)
	CONVERGE_MS=-1
	if wait_for "$secs" counts_reach "$want" "$@"; then
		CONVERGE_MS=$(($(now_ms) - t0))
		pass
		say "$desc: $want records on every node after $CONVERGE_MS ms"
	else
		_bad "$desc: nodes $* did not all reach $want records within ${secs}s"
		diagnose "$@"
		return 1
	fi
	check "$desc: every node holds the same $want records" same_set "$want" "$@"
}
