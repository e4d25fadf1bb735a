# shellcheck shell=bash
# Helpers for the crash tests (test_crash_*.sh); source it after
# `set -euo pipefail`. It sources synclib.sh (nodes, sync, waits) and adds:
# kill -9, offline checks of a stopped node's database, lists of
# acknowledged records, and the figures each test prints.
#
# Environment:
#   TESSERA_CRASH_CYCLES  kill cycles (default 10; 3 under TESSERA_SANITIZE=1,
#                         whose daemons run several times slower)
#   TESSERA_CRASH_RECORDS records to sync (default 10000; 3000 under
#                         TESSERA_SANITIZE=1)
#   TESSERA_CRASH_SEED    seed of the kill times (default: random, printed)
# The long variant (100 cycles) is `ctest -L durability-long`.

if [[ ${TESSERA_SANITIZE:-0} == 1 || ${TESSERA_SANITIZE:-} == ON ]]; then
	CYCLES=${TESSERA_CRASH_CYCLES:-3}
	NRECORDS=${TESSERA_CRASH_RECORDS:-3000}
else
	CYCLES=${TESSERA_CRASH_CYCLES:-10}
	NRECORDS=${TESSERA_CRASH_RECORDS:-10000}
fi
SEED=${TESSERA_CRASH_SEED:-$((($(date +%s%N) / 1000) % 32768))}
# Every wait is bounded by the test's budget (synclib.sh): two minutes of
# fixed cost, then some seconds per cycle and per thousand records, within
# CTest's timeout (900 s; 7200 s for the long variant) on a loaded machine.
TEST_BUDGET=${TEST_BUDGET:-$((120 + CYCLES * 40 + NRECORDS / 50))}
# A sync of thousands of records on a loaded 2-core machine.
SYNC_TIMEOUT=${SYNC_TIMEOUT:-$((60 + NRECORDS / 100))}

# shellcheck source=synclib.sh
. "$(dirname "${BASH_SOURCE[0]}")/synclib.sh"

command -v sqlite3 >/dev/null || { echo "$TEST_NAME: sqlite3 is required (deploy/build.sh installs it)" >&2; exit 1; }

RANDOM=$SEED
LOST=0            # acknowledged records missing somewhere: must stay 0
CYCLE_MS=()       # time of each kill cycle

# gen_file N FILE: N records in the import format (bench/gen_records.py).
gen_file() {
	python3 "$TESSERA_SRC/bench/gen_records.py" "$1" --seed "$SEED" --size 400 -o "$2" ||
		fail "cannot generate $1 records"
}

# rand_ms LO HI: a random whole number of milliseconds in [LO, HI].
rand_ms() {
	echo $(($1 + RANDOM % ($2 - $1 + 1)))
}

sleep_ms() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# kill9 NAME: SIGKILL, no grace: the daemon has no chance to clean up.
kill9() {
	local pid=${NODE_PID[$1]:-}

	[[ -n $pid ]] || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "NODE_PID[$1]"
}

db_of() { printf '%s/%s/data/tessera.db' "$T" "$1"; }

# sql NAME QUERY: QUERY on a stopped node's database (sqlite3 CLI).
sql() {
	sqlite3 -batch -noheader "$(db_of "$1")" "$2"
}

# offline_check NAME [--verify]: a stopped node's database passes SQLite's
# integrity_check (sqlite3 CLI); with --verify also `tesserad check`, which
# runs integrity_check itself and verifies every stored record's signature
# (seconds for 10,000 records: done at the end of each round, not each
# cycle). Sets HELD to the number of records the database holds.
HELD=0
offline_check() {
	local name=$1 out ic

	ic=$(sql "$name" 'PRAGMA integrity_check' 2>&1) || true
	assert_eq "$ic" "ok" "sqlite3 integrity_check on $name"
	if [[ ${2:-} == --verify ]]; then
		if out=$("$TESSERAD" check --data "$T/$name/data" 2>&1); then
			pass
			VERIFIED=$((VERIFIED + 1))
		else
			_bad "tesserad check on $name failed: $out"
		fi
	fi
	# shellcheck disable=SC2034 # read by the tests that source this file
	HELD=$(sql "$name" 'SELECT count(*) FROM records' 2>/dev/null) || HELD=0
}
VERIFIED=0

# ids_file NAME FILE: the record IDs a stopped node holds, lower-case hex,
# sorted.
ids_file() {
	sql "$1" 'SELECT lower(hex(id)) FROM records' | LC_ALL=C sort >"$2"
}

# live_ids_file NAME FILE: same, from a running node (list --json).
live_ids_file() {
	cli "$1" --json list --limit 1000000 | jq -r '.[].id' | tr '[:upper:]' '[:lower:]' |
		LC_ALL=C sort >"$2"
}

# check_acked DESC ACKED HELD: asserts that every ID in file ACKED is in the
# sorted file HELD; the missing ones are listed on stderr and added to LOST.
check_acked() {
	local desc=$1 acked=$2 held=$3 miss n

	LC_ALL=C sort -u "$acked" >"$acked.sorted"
	miss=$(LC_ALL=C comm -23 "$acked.sorted" "$held")
	n=0
	if [[ -n $miss ]]; then
		n=$(wc -l <<<"$miss")
		echo "$TEST_NAME: acknowledged records missing:" >&2
		head -n 5 <<<"$miss" | sed 's/^/    /' >&2
	fi
	LOST=$((LOST + n))
	if ((n == 0)); then
		pass
	else
		_bad "$desc: $n of $(wc -l <"$acked.sorted") acknowledged records missing"
	fi
}

# id_versions NAME FILE: "id version" of every record on a running node
# (list --json), sorted.
id_versions() {
	cli "$1" --json list --limit 1000000 | jq -r '.[] | "\(.id | ascii_downcase) \(.version)"' |
		LC_ALL=C sort >"$2"
}

# _same_records A B: both running nodes list the same records and versions.
_same_records() {
	local ca cb
	ca=$(status_records "$1") && cb=$(status_records "$2") || return 1
	[[ $ca == "$cb" && $ca -ge $_MIN_RECORDS ]] || return 1
	id_versions "$1" "$T/$1.list" && id_versions "$2" "$T/$2.list" || return 1
	cmp -s "$T/$1.list" "$T/$2.list"
}

# converge_pair DESC A B MIN: waits until A and B hold the same set of at
# least MIN records (compared as `list --json` id and version); prints the
# time it took. The lists are left in $T/A.list and $T/B.list.
converge_pair() {
	local desc=$1 t0
	_MIN_RECORDS=$4
	t0=$(now_ms)
	if wait_for "$SYNC_TIMEOUT" _same_records "$2" "$3"; then
		pass
		say "$desc: $2 and $3 hold the same $(wc -l <"$T/$2.list") records after $(($(now_ms) - t0)) ms"
		return 0
	fi
	_bad "$desc: $2 and $3 did not converge to the same records (at least $4) within ${SYNC_TIMEOUT}s"
	diagnose "$2" "$3"
	return 1
}

# Writer: `tessera add` on a node in a loop; each ID the CLI printed after a
# successful call (the daemon acknowledged it) goes into $T/acked.NAME.
WRITER_PID=""
writer_start() {
	local name=$1
	: >"$T/acked.$name"
	(
		trap - EXIT
		i=0
		while [[ ! -e $T/writer.stop ]]; do
			i=$((i + 1))
			if id=$(cli "$name" add initiative --title "acknowledged $i" --lang en 2>/dev/null); then
				printf '%s\n' "$id" | tr '[:upper:]' '[:lower:]' >>"$T/acked.$name"
			else
				sleep 0.05
			fi
			sleep 0.02
		done
	) &
	WRITER_PID=$!
}

writer_stop() {
	[[ -n $WRITER_PID ]] || return 0
	touch "$T/writer.stop"
	wait "$WRITER_PID" 2>/dev/null || true
	WRITER_PID=""
	rm -f "$T/writer.stop"
}
trap 'set +e; writer_stop; _cleanup' EXIT

# cycle_done T0_MS: notes one cycle's duration.
cycle_done() {
	CYCLE_MS+=($(($(now_ms) - $1)))
}

# figures WHAT: the closing figures (cycles, records lost, time per cycle).
figures() {
	local n=${#CYCLE_MS[@]} sum=0 max=0 ms

	for ms in "${CYCLE_MS[@]}"; do
		sum=$((sum + ms))
		((ms > max)) && max=$ms
	done
	say "FIGURES $1: cycles run $n, records lost $LOST, time per cycle avg $((n ? sum / n : 0)) ms, max $max ms (records $NRECORDS, full verifications $VERIFIED, seed $SEED)"
	assert_eq "$LOST" 0 "acknowledged records lost"
}
