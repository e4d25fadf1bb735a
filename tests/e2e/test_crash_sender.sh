#!/usr/bin/env bash
# kill -9 of a sender mid-sync. A holds NRECORDS (10,000) imported records
# and publishes more all the while (`tessera add` in a loop); B, empty, syncs
# from A. A is killed with SIGKILL at a random moment, CYCLES times (10; 100
# in the durability-long variant; fewer under the sanitizers, see
# crashlib.sh). After every kill, with A stopped: its database passes
# integrity_check and holds every record it acknowledged (the import, and
# each add that returned success). A restarts and B syncs on. When B has
# everything, B goes back to its empty database (a new round), so that every
# kill lands mid-sync. At the end both nodes converge to the same record set,
# with every acknowledged record on both, and both databases pass
# integrity_check and verification of every record (tesserad check).
set -euo pipefail
. "$(dirname "$0")/crashlib.sh"

ROUNDS=1
KILLED_AT=()    # records B held when A was killed

setup() {
	sync_node a
	sync_node b
	link a b
	write_linked_confs a b
	cp -a "$T/b/data" "$T/b/pristine"   # B as init made it: empty
	gen_file "$NRECORDS" "$T/records.jsonl"
	start_all a
	local t0
	t0=$(now_ms)
	cli a import "$T/records.jsonl" >/dev/null || fail "import of $NRECORDS records into a failed"
	say "a imported $NRECORDS records in $(($(now_ms) - t0)) ms"
	# The import was acknowledged: its records are listed from the stopped A.
	node_stop a
	ids_file a "$T/acked.import"
	check "a holds its $NRECORDS records (+ its profile)" \
		test "$(wc -l <"$T/acked.import")" -eq $((NRECORDS + 1))
	start_all b
}

# new_round: B has everything A held at the last kill: B starts over empty.
new_round() {
	node_stop b
	offline_check b --verify
	rm -rf "$T/b/data"
	cp -a "$T/b/pristine" "$T/b/data"
	node_start b
	ROUNDS=$((ROUNDS + 1))
}

one_cycle() {
	local i=$1 t0 delay got
	t0=$(now_ms)
	node_start a
	delay=$(rand_ms 200 1500)
	sleep_ms "$delay"
	kill9 a
	got=$(status_records b || echo '?')
	KILLED_AT+=("$got")
	offline_check a
	ids_file a "$T/a.ids"
	check_acked "cycle $i: a killed (import)" "$T/acked.import" "$T/a.ids"
	check_acked "cycle $i: a killed (adds)" "$T/acked.a" "$T/a.ids"
	say "cycle $i: a killed after $delay ms holding $HELD records; b held $got"
	if [[ $got =~ ^[0-9]+$ ]] && ((got >= HELD)); then
		new_round
	fi
	cycle_done "$t0"
}

test_kills() {
	local i
	writer_start a
	for ((i = 1; i <= CYCLES; i++)); do
		one_cycle "$i"
	done
	node_start a
}

test_end_state() {
	writer_stop
	cat "$T/acked.import" "$T/acked.a" >"$T/acked.all"
	converge_pair "after $CYCLES kills of a (rounds: $ROUNDS)" a b \
		$((1 + $(sort -u "$T/acked.all" | wc -l))) || true
	cut -d' ' -f1 "$T/a.list" >"$T/a.live"
	cut -d' ' -f1 "$T/b.list" >"$T/b.live"
	check_acked "at the end, on a" "$T/acked.all" "$T/a.live"
	check_acked "at the end, on b" "$T/acked.all" "$T/b.live"
	say "acknowledged adds on a: $(wc -l <"$T/acked.a"); records b held at the kills: ${KILLED_AT[*]}"
	node_stop a
	node_stop b
	offline_check a --verify
	offline_check b --verify
	figures "sender kill -9"
}

setup
test_kills
test_end_state
finish
