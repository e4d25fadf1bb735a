# shellcheck shell=bash
# Helpers for the hostile-peer tests (test_evil_*.sh); source it after
# `set -euo pipefail`. It sources synclib.sh and adds: running evil_peer,
# one hostile case with its checks (node up, nothing bad stored, rejections
# counted, an honest peer still syncing), and memory figures.
# Node a is the target; b is an honest peer of a; evil is the identity
# evil_peer uses. docs/hostile-peers.md lists the cases.
# shellcheck disable=SC2317 # helpers run indirectly, through check and wait_for

# shellcheck source=synclib.sh
. "$(dirname "${BASH_SOURCE[0]}")/synclib.sh"

: "${TESSERA_BUILD:=$TESSERA_SRC/build}"
EVIL_PEER=${EVIL_PEER:-$TESSERA_BUILD/tests/tools/evil_peer}
EVIL_TIMEOUT_MS=${EVIL_TIMEOUT_MS:-3000}
SYNC_TIMEOUT=15 # used by synclib's converge
export SYNC_TIMEOUT
BUDGET=${BUDGET:-110} # seconds; each check is bounded, this bounds the sum

[[ -x $EVIL_PEER ]] || fail "$EVIL_PEER is not built (target evil_peer, tests/tools)"

# evil DATA_NAME SCENARIO [ARGS...]: runs evil_peer as DATA_NAME against
# node $EVIL_AT (a unless set); its one line goes to $EVIL_OUT, its exit
# status to $EVIL_RC.
EVIL_AT=a
evil() {
	local who=$1
	shift
	EVIL_RC=0
	EVIL_OUT=$(timeout 120 "$EVIL_PEER" --data "$T/$who/data" \
		--connect "127.0.0.1:${NODE_PORT[$EVIL_AT]}" --id "$(node_id "$EVIL_AT")" \
		--timeout "$EVIL_TIMEOUT_MS" --seed 7 "$@" 2>"$T/evil.err") || EVIL_RC=$?
	say "evil_peer $*: $EVIL_OUT (exit $EVIL_RC)"
}

rejected() {
	local r
	r=$(peer_field a evil records_rejected)
	printf '%s' "${r:-0}"
}

has_record() { [[ -n $(version_of "$1" "$2") ]]; }
answers() { cli "$1" status >/dev/null; }
rejected_at_least() { (($(rejected) >= $1)); }

# Every line of FILE (a record id) is absent from (present on) a.
ids_absent() {
	local id bad=0
	while read -r id; do
		if has_record a "$id"; then
			_bad "$1: record $id sent by evil_peer is stored on a"
			bad=1
		fi
	done <"$2"
	((bad == 0)) && pass
	return 0
}

ids_present() {
	local node=$1 file=$2 id missing=0
	while read -r id; do
		has_record "$node" "$id" || missing=$((missing + 1))
	done <"$file"
	check "all $(wc -l <"$file") honest records from evil_peer are on $node ($missing missing)" \
		test "$missing" -eq 0
}

# b publishes a record that must still reach a, and a one that must reach b.
still_converges() {
	local id back
	id=$(add_record b "Published on b after $1") || fail "add on b failed"
	back=$(add_record a "Published on a after $1") || fail "add on a failed"
	if wait_for 10 has_record a "$id"; then
		pass
	else
		_bad "after $1, a record published on b did not reach a within 10 s"
		diagnose a b
	fi
	if wait_for 10 has_record b "$back"; then
		pass
	else
		_bad "after $1, a record published on a did not reach b within 10 s"
		diagnose a b
	fi
}

over_budget() {
	if ((SECONDS > BUDGET)); then
		_bad "time budget of ${BUDGET}s used up before $1"
		finish
	fi
}

# run_case SCENARIO EXPECTED_REJECTS [EVIL ARGS...]: one hostile scenario.
run_case() {
	local scn=$1 want_rej=$2 before_n before_rej ids
	shift 2
	over_budget "$scn"
	ids="$T/ids.$scn"
	: >"$ids"
	before_n=$(count a) || before_n=unknown
	before_rej=$(rejected) || before_rej=0
	evil evil "$scn" --ids "$ids" "$@"
	check "$scn: evil_peer saw the expected behaviour (exit $EVIL_RC: $EVIL_OUT $(cat "$T/evil.err"))" \
		test "$EVIL_RC" -eq 0
	check "$scn: a is still running" kill -0 "${NODE_PID[a]}"
	check "$scn: a still answers status" answers a
	if [[ $scn == honest ]]; then
		check "honest: a holds $1 more records ($before_n before, $(count a) after)" \
			test "$(count a)" -eq $((before_n + $1))
		still_converges "$scn"
		return 0
	fi
	check "$scn: a's record count unchanged ($before_n before, $(count a) after)" \
		test "$(count a)" -eq "$before_n"
	ids_absent "$scn" "$ids"
	if ((want_rej > 0)); then
		if wait_for 3 rejected_at_least $((before_rej + want_rej)); then
			pass
		else
			_bad "$scn: a's records_rejected for evil went from $before_rej to $(rejected), expected +$want_rej"
		fi
	fi
	still_converges "$scn"
}

ids_present_quiet() {
	local id
	while read -r id; do
		has_record "$1" "$id" || return 1
	done <"$2"
}

# evil_budget SECONDS: the time this test may take (over_budget, wait_for);
# doubled in a sanitizer build, which runs several times slower.
evil_budget() {
	local f=1
	[[ ${TESSERA_SANITIZE:-0} == 1 ]] && f=2
	BUDGET=$(($1 * f))
	TEST_BUDGET=$((($1 + 20) * f))
	_TEST_END=$(($(now_ms) + TEST_BUDGET * 1000))
}

# rss_kb PID, hwm_kb PID: resident memory now, and its peak (kB).
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# rss_bound DESC BEFORE_KB AFTER_KB LIMIT_KB: growth within LIMIT_KB.
# Under AddressSanitizer RSS follows what was ever allocated (freed memory
# waits in its quarantine), not what is live: the bound is checked in the
# plain build, which the test suite always runs too.
rss_bound() {
	say "$1: RSS ${2} kB before, ${3} kB after (+$(($3 - $2)) kB)"
	if [[ ${TESSERA_SANITIZE:-0} == 1 ]]; then
		say "$1: RSS bound not checked in a sanitizer build (ASan quarantine)"
	elif (($3 - $2 < $4)); then
		pass
	else
		_bad "$1: RSS grew by $(($3 - $2)) kB (limit $4 kB)"
	fi
}
