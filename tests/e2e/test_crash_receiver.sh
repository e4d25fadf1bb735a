#!/usr/bin/env bash
# kill -9 of a receiver mid-sync. A holds NRECORDS (10,000) imported records;
# B, empty, syncs them from A and is killed with SIGKILL at a random moment,
# CYCLES times (10; 100 in the durability-long variant; fewer under the
# sanitizers, see crashlib.sh). B also publishes records of its own all the
# while. After every kill, with B stopped: its database passes integrity_check
# and every record B had acknowledged is in it. B then restarts and syncs on
# from its checkpoint. When B has everything, every record in it is verified
# (tesserad check) and it goes back to its empty database (a new round), so
# that every kill lands mid-sync. At the end both nodes converge to the same
# record set, with every acknowledged record on both, and both databases
# pass integrity_check and verification.
set -euo pipefail
. "$(dirname "$0")/crashlib.sh"

ROUNDS=1
KILLED_AT=()    # records B held at each kill

setup() {
	sync_node a
	sync_node b
	link a b
	write_linked_confs a b
	cp -a "$T/b/data" "$T/b/pristine"   # B as init made it: empty
	A_AUTHOR=$(sql a 'SELECT hex(author) FROM records LIMIT 1')
	gen_file "$NRECORDS" "$T/records.jsonl"
	start_all a
	local t0
	t0=$(now_ms)
	cli a import "$T/records.jsonl" >/dev/null || fail "import of $NRECORDS records into a failed"
	say "a imported $NRECORDS records in $(($(now_ms) - t0)) ms"
	A_TOTAL=$(status_records a)
	check "a holds its $NRECORDS records (+ its profile): $A_TOTAL" test "$A_TOTAL" -eq $((NRECORDS + 1))
	: >"$T/acked.prev"
}

# b_had_all: the stopped B holds every record of A.
b_had_all() {
	[[ -e $(db_of b) ]] &&
		(($(sql b "SELECT count(*) FROM records WHERE author = X'$A_AUTHOR'") > NRECORDS))
}

a_has_b_own() { [[ $(authored_by a b) == "$(own_count b)" ]]; }

# new_round: B has everything. With B's writer paused, once A holds every
# record B published, B starts over empty (its records come back from A).
new_round() {
	writer_stop
	node_start b
	if ! wait_for "$SYNC_TIMEOUT" a_has_b_own; then
		diagnose a b
		fail "a did not get b's own records: a holds $(authored_by a b), b $(own_count b)"
	fi
	node_stop b
	offline_check b --verify
	cat "$T/acked.b" >>"$T/acked.prev"
	rm -rf "$T/b/data"
	cp -a "$T/b/pristine" "$T/b/data"
	ROUNDS=$((ROUNDS + 1))
	writer_start b
}

one_cycle() {
	local i=$1 t0 delay
	t0=$(now_ms)
	node_start b
	delay=$(rand_ms 200 1500)
	sleep_ms "$delay"
	kill9 b
	offline_check b
	KILLED_AT+=("$HELD")
	ids_file b "$T/b.ids"
	check_acked "cycle $i: b killed" "$T/acked.b" "$T/b.ids"
	say "cycle $i: b killed after $delay ms holding $HELD records"
	cycle_done "$t0"
}

test_kills() {
	local i
	writer_start b
	for ((i = 1; i <= CYCLES; i++)); do
		# Not mid-sync any more: start over from an empty store.
		if b_had_all; then
			new_round
		fi
		one_cycle "$i"
	done
	node_start b
}

test_end_state() {
	writer_stop
	cat "$T/acked.prev" "$T/acked.b" >"$T/acked.all"
	# Both nodes hold the same set: A's records, both profiles and every
	# record B acknowledged (and perhaps some it stored but was killed
	# before acknowledging).
	converge_pair "after $CYCLES kills of b (rounds: $ROUNDS)" a b \
		$((NRECORDS + 2 + $(sort -u "$T/acked.all" | wc -l))) || true
	cut -d' ' -f1 "$T/a.list" >"$T/a.live"
	cut -d' ' -f1 "$T/b.list" >"$T/b.live"
	check_acked "at the end, on a" "$T/acked.all" "$T/a.live"
	check_acked "at the end, on b" "$T/acked.all" "$T/b.live"
	say "acknowledged writes on b: $(wc -l <"$T/acked.all"); records b held at the kills: ${KILLED_AT[*]}"
	node_stop a
	node_stop b
	offline_check a --verify
	offline_check b --verify
	figures "receiver kill -9"
}

setup
test_kills
test_end_state
finish
