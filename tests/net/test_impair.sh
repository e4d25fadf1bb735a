#!/usr/bin/env bash
# Five nodes in a full mesh, each in its own network namespace, on an impaired
# network: every node imports its share of N records and all of them must
# reach every node.
#
#   tests/net/test_impair.sh loss PCT [N]     PCT % of the packets arriving
#                                             at each node dropped (nftables)
#   tests/net/test_impair.sh delay RTT_MS [N] every connection through a proxy
#                                             adding RTT_MS per round trip
#
# N defaults to 1,000 (the CI variant); the long variant runs 10,000.
set -euo pipefail
KIND=${1:?usage: test_impair.sh loss|delay VALUE [N]}
VALUE=${2:?usage: test_impair.sh loss|delay VALUE [N]}
N=${3:-1000}
# Generous: a bound on the test, not a performance assertion.
CONVERGE_S=${CONVERGE_S:-$((60 + N * 3 / 20))}
# shellcheck disable=SC2034 # read by synclib.sh
TEST_BUDGET=$((CONVERGE_S + 90))
. "$(dirname "$0")/netlib.sh"
TEST_NAME="impair-$KIND-$VALUE-$N"

NODES=(n1 n2 n3 n4 n5)
LIMITS="backoff_min = 100ms
backoff_max = 2s"

case $KIND in
loss | delay) ;;
*) echo "$TEST_NAME: unknown kind $KIND (loss or delay)" >&2; exit 1 ;;
esac
[[ $VALUE =~ ^[0-9]+$ && $N =~ ^[0-9]+$ ]] || { echo "$TEST_NAME: VALUE and N are numbers" >&2; exit 1; }

setup() {
	local n
	net_require
	net_setup "${NODES[@]}"
	for n in "${NODES[@]}"; do
		node_init "$n"
	done
	if [[ $KIND == delay ]]; then
		net_proxy $((VALUE / 2)) "${NODES[@]}"
	fi
	net_confs "$LIMITS" "${NODES[@]}"
	for n in "${NODES[@]}"; do
		net_start "$n"
	done
	if [[ $KIND == loss ]]; then
		set_loss "$VALUE" "${NODES[@]}"
	fi
}

test_converge() {
	local n lost i=0 share base=0 total t0 t1 ms pids=() dropped_sum=0 seen_sum=0 rtt loss_note=""
	if [[ $KIND == delay ]]; then
		rtt=$(rtt_ms n1 n2)
		say "measured round trip n1 -> proxy -> n2: $rtt ms"
		check "the proxy delays a round trip by at least ${VALUE} ms (got $rtt)" test "$rtt" -ge "$VALUE"
	fi
	for n in "${NODES[@]}"; do
		WANT[$n]=$(own_count "$n")
		base=$((base + WANT[$n]))
	done
	for n in "${NODES[@]}"; do
		i=$((i + 1))
		share=$((N / ${#NODES[@]}))
		if ((i == ${#NODES[@]})); then
			share=$((N - share * (${#NODES[@]} - 1)))
		fi
		WANT[$n]=$((WANT[$n] + share))
		gen_jsonl "$share" "$KIND $VALUE from $n" >"$T/$n.jsonl"
	done
	# All nodes import at once, while the network is impaired.
	t0=$(now_ms)
	for n in "${NODES[@]}"; do
		cli "$n" import "$T/$n.jsonl" >"$T/$n.import.out" 2>&1 &
		pids+=($!)
	done
	i=0
	for n in "${NODES[@]}"; do
		if wait "${pids[i]}"; then
			pass
		else
			fail "import on $n failed: $(cat "$T/$n.import.out")"
		fi
		i=$((i + 1))
	done
	t1=$(now_ms)
	total=$((base + N))
	net_converge "$N records with $KIND $VALUE" "$total" "$CONVERGE_S" "${NODES[@]}" || true
	ms=$((CONVERGE_MS < 0 ? -1 : t1 - t0 + CONVERGE_MS))
	check "the nodes acknowledged $N records" test "$(total_own "${NODES[@]}")" -eq "$total"
	lost=$(lost_records "${NODES[@]}")
	if [[ $KIND == loss ]]; then
		for n in "${NODES[@]}"; do
			dropped_sum=$((dropped_sum + $(dropped "$n")))
			seen_sum=$((seen_sum + $(seen "$n")))
		done
	fi
	check "no record lost ($lost missing)" test "$lost" -eq 0
	if [[ $KIND == loss ]]; then
		check "packets were really dropped ($dropped_sum of $seen_sum)" test "$dropped_sum" -gt 0
		loss_note=", packets dropped $dropped_sum of $seen_sum ($((dropped_sum * 1000 / (seen_sum + 1) / 10)).$((dropped_sum * 1000 / (seen_sum + 1) % 10)) %)"
	fi
	say "figures: $KIND $VALUE, records $N on ${#NODES[@]} nodes, records lost $lost," \
		"imports took $((t1 - t0)) ms, all nodes held every record $CONVERGE_MS ms after the imports" \
		"($ms ms after the first import)$loss_note"
}

setup
test_converge
stop_all_checked "${NODES[@]}"
finish
