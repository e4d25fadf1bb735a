#!/usr/bin/env bash
# Five nodes in a full mesh, each in its own network namespace. For CYCLES
# cycles (argument, default 5; the long variant runs 50), random links are cut
# with nftables, every node publishes records (add and import) while they are
# down, and a random part of the cut links is healed again. After the last
# heal every node must hold every acknowledged record within one reconnect
# backoff (backoff_max) plus 30 s.
#
#   SEED=N tests/net/test_partition.sh [CYCLES]    reproduces a run
set -euo pipefail
CYCLES=${1:-5}
# shellcheck disable=SC2034 # read by synclib.sh
TEST_BUDGET=$((180 + CYCLES * 40))
. "$(dirname "$0")/netlib.sh"
TEST_NAME="partition-$CYCLES"

SEED=${SEED:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$SEED
NODES=(n1 n2 n3 n4 n5)
BACKOFF_MAX_S=2
# A dead link is noticed within idle_timeout (keepalives every second), so a
# connection cut for long is closed and redialled with backoff after the heal.
LIMITS="backoff_min = 100ms
backoff_max = ${BACKOFF_MAX_S}s
keepalive = 1s
idle_timeout = 5s
handshake_timeout = 5s"

declare -A ACKED=()     # NAME -> records it acknowledged (add + import)
declare -A BASE=()      # NAME -> records it held of its own before the cycles
WRITE_FAILS=0
CUTS=0
HEALS=0

setup() {
	local n
	net_require
	net_setup "${NODES[@]}"
	for n in "${NODES[@]}"; do
		node_init "$n"
		ACKED[$n]=0
		: >"$T/$n.ids"
	done
	net_confs "$LIMITS" "${NODES[@]}"
	for n in "${NODES[@]}"; do
		net_start "$n"
	done
	wait_for 30 all_connected 4 || fail "the mesh did not come up"
	for n in "${NODES[@]}"; do
		BASE[$n]=$(own_count "$n")
	done
}

all_connected() {
	local n
	for n in "${NODES[@]}"; do
		has_connected "$n" "$1" || return 1
	done
}

# write_all CYCLE STEP: one add on every node, and every third cycle an
# import of 5 lines; acknowledged records are counted (add IDs kept).
write_all() {
	local n id
	for n in "${NODES[@]}"; do
		if id=$(add_record "$n" "cycle $1.$2 on $n" 2>>"$T/writes.err"); then
			echo "$id" >>"$T/$n.ids"
			ACKED[$n]=$((ACKED[$n] + 1))
		else
			WRITE_FAILS=$((WRITE_FAILS + 1))
		fi
		if (($2 == 1 && $1 % 3 == 0)); then
			gen_jsonl 5 "import $1 on $n" >"$T/$n.imp.jsonl"
			if cli "$n" import "$T/$n.imp.jsonl" >/dev/null 2>>"$T/writes.err"; then
				ACKED[$n]=$((ACKED[$n] + 5))
			else
				WRITE_FAILS=$((WRITE_FAILS + 1))
			fi
		fi
	done
}

# The ten links of the mesh, "A B".
LINKS=()
for ((i = 0; i < ${#NODES[@]}; i++)); do
	for ((j = i + 1; j < ${#NODES[@]}; j++)); do
		LINKS+=("${NODES[i]} ${NODES[j]}")
	done
done

cycle() {
	local c=$1 k l n_cut hold
	n_cut=$((1 + RANDOM % 4))
	for ((k = 0; k < n_cut; k++)); do
		l=${LINKS[RANDOM % ${#LINKS[@]}]}
		# shellcheck disable=SC2086 # "A B"
		if [[ -z ${CUT[$(_pair $l)]:-} ]]; then
			cut_link $l
			CUTS=$((CUTS + 1))
		fi
	done
	write_all "$c" 1
	# Hold the partition 0.5 to 6 s: sometimes shorter than idle_timeout (the
	# connection survives on TCP retransmits), sometimes longer (it is closed
	# and redialled).
	hold=$((5 + RANDOM % 56))
	sleep "$((hold / 10)).$((hold % 10))"
	write_all "$c" 2
	for l in "${!CUT[@]}"; do
		if ((RANDOM % 2)); then
			# shellcheck disable=SC2086
			heal_link $l
			HEALS=$((HEALS + 1))
		fi
	done
	say "cycle $c: ${#CUT[@]} links still cut after ${hold}00 ms"
}

# missing_on NAME: acknowledged add IDs that NAME does not hold.
missing_on() {
	records "$1" | jq -r '.[].id' | LC_ALL=C sort >"$T/have.$1"
	cat "$T"/n?.ids | LC_ALL=C sort | comm -23 - "$T/have.$1" | wc -l
}

test_partitions() {
	local c n total ms lost m
	say "seed $SEED (rerun: SEED=$SEED $0 $CYCLES), $CYCLES cycles"
	for ((c = 1; c <= CYCLES; c++)); do
		cycle "$c"
	done
	HEALS=$((HEALS + ${#CUT[@]}))
	heal_all
	total=0
	for n in "${NODES[@]}"; do
		total=$((total + BASE[$n] + ACKED[$n]))
	done
	ACKED_SUM=0
	for n in "${NODES[@]}"; do
		ACKED_SUM=$((ACKED_SUM + ACKED[$n]))
	done
	net_converge "after the last heal" "$total" $((BACKOFF_MAX_S + 30)) "${NODES[@]}" || true
	ms=$CONVERGE_MS
	for n in "${NODES[@]}"; do
		m=$(missing_on "$n")
		check "$n holds every acknowledged add ($m missing)" test "$m" -eq 0
	done
	for n in "${NODES[@]}"; do
		WANT[$n]=$((BASE[$n] + ACKED[$n]))
	done
	lost=$(lost_records "${NODES[@]}")
	for n in "${NODES[@]}"; do
		check "$n holds exactly its own acknowledged records" \
			test "$(own_count "$n")" -eq "$((BASE[$n] + ACKED[$n]))"
	done
	check "every write was acknowledged ($WRITE_FAILS failed)" test "$WRITE_FAILS" -eq 0
	say "figures: seed $SEED, cycles $CYCLES, cuts $CUTS, heals $HEALS," \
		"records acknowledged $ACKED_SUM, records lost $lost," \
		"convergence ${ms} ms after the last heal (limit $(((BACKOFF_MAX_S + 30) * 1000)) ms)"
	check "no record lost" test "$lost" -eq 0
}

setup
test_partitions
stop_all_checked "${NODES[@]}"
finish
