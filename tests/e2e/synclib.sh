# shellcheck shell=bash
# Helpers for the peer-sync end-to-end tests; source it from bash after
# `set -euo pipefail`. It sources lib.sh (nodes, cli, assertions, cleanup)
# and adds: peered configs, digests, bounded waits and diagnostics.
#
# Every wait is bounded; on timeout it prints what each node holds, its peer
# table and the tail of its log, so that a failure explains itself.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# lib.sh's cleanup is written for scripts without errexit: run it with
# errexit off so that one daemon's exit status cannot cut it short.
trap 'set +e; _cleanup' EXIT

SAMPLES=$TESSERA_SRC/deploy/demo/data
# shellcheck disable=SC2034 # used by the tests that source this file
SAMPLE_FILES=(evora nagykovacsi wales romania catalonia italy)
# Seconds a sync is allowed to take before a wait gives up.
SYNC_TIMEOUT=${SYNC_TIMEOUT:-30}
# [limits] for every test node: quick redials, so that a restarted peer is
# reached again in about a second rather than after a long backoff.
SYNC_LIMITS=("[limits]" "backoff_min = 100ms" "backoff_max = 1s")

declare -A NODE_PORT=()     # NAME -> listen port ("" for a dial-out-only node)

command -v jq >/dev/null || { echo "$TEST_NAME: jq is required" >&2; exit 1; }

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }

# check DESC CMD...: one assertion; CMD's exit status decides. Safe under
# errexit (CMD runs inside an if).
check() {
	local desc=$1
	shift
	if "$@"; then
		pass
	else
		_bad "$desc"
	fi
}

# expect CODE CMD...: assert_exit for a command meant to fail, with errexit
# off around it.
expect() {
	set +e
	assert_exit "$@"
	set -e
}

# --- nodes and configs ---------------------------------------------------

# sync_node NAME [--no-listen] [init args...]: creates a node and reserves a
# listen port for it (none with --no-listen).
sync_node() {
	local name=$1
	shift
	NODE_PORT[$name]=""
	if [[ ${1:-} == --no-listen ]]; then
		shift
	else
		NODE_PORT[$name]=$(free_port)
	fi
	node_init "$name" "$@"
}

# peer_section NAME [ID]: the config lines that pin NAME (with its address if
# it listens). ID overrides the pinned ID (to pin a wrong one).
peer_section() {
	local name=$1 id=${2:-${NODE_ID[$1]}}
	printf '\n[peer "%s"]\n' "$name"
	if [[ -n ${NODE_PORT[$name]} ]]; then
		printf 'address = 127.0.0.1:%s\n' "${NODE_PORT[$name]}"
	fi
	printf 'id = %s\n' "$id"
}

# sync_conf NAME PEER...: writes NAME's config with a listener (unless it is
# dial-out only) and one section per peer.
sync_conf() {
	local name=$1 p lines=()
	shift
	if [[ -n ${NODE_PORT[$name]} ]]; then
		lines+=("listen = 127.0.0.1:${NODE_PORT[$name]}")
	fi
	lines+=("" "${SYNC_LIMITS[@]}")
	for p in "$@"; do
		lines+=("$(peer_section "$p")")
	done
	node_conf "$name" "${lines[@]}"
}

# link A B: records that A and B peer with each other (used by the shape
# helpers below, which then write every config at once).
declare -A _LINKS=()
link() {
	_LINKS[$1]="${_LINKS[$1]:-} $2"
	_LINKS[$2]="${_LINKS[$2]:-} $1"
}

# write_linked_confs NAME...: one sync_conf per node from the links.
write_linked_confs() {
	local n
	for n in "$@"; do
		# shellcheck disable=SC2086
		sync_conf "$n" ${_LINKS[$n]:-}
	done
}

# chain_abc: nodes a - b - c linked in a chain (a and c not peers), started.
chain_abc() {
	sync_node a
	sync_node b
	sync_node c
	link a b
	link b c
	write_linked_confs a b c
	start_all a b c
}

# start_all NAME...: starts the nodes (node_start fails the test on error).
start_all() {
	local n
	for n in "$@"; do
		node_start "$n"
	done
}

log_of() { printf '%s/%s/log' "$T" "$1"; }

# --- reading a node ------------------------------------------------------

# records NAME: the node's live records as a JSON array.
records() {
	cli "$1" --json list --limit 100000
}

# count NAME: number of live records (empty output if the node fails).
count() {
	records "$1" | jq 'length'
}

# digest NAME: sha256 of the sorted "id:version" lines of its live records.
digest() {
	records "$1" | jq -r '.[] | "\(.id):\(.version)"' | LC_ALL=C sort | sha256sum | cut -c1-64
}

# norm_id ID: a node ID without dashes or blanks, upper case.
norm_id() {
	printf '%s' "$1" | tr -d ' -' | tr '[:lower:]' '[:upper:]'
}

# authored_by NAME AUTHOR: live records on NAME authored by node AUTHOR
# (from `communities`, which counts them per author).
authored_by() {
	local who
	who=$(norm_id "${NODE_ID[$2]}")
	cli "$1" --json communities |
		jq --arg who "$who" '[.[] | select((.id | gsub("[- ]"; "") | ascii_upcase) == $who) | .records] | add // 0'
}

# own_count NAME: live records authored by NAME itself.
own_count() {
	authored_by "$1" "$1"
}

# version_of NAME RECORD_ID: the version of the live record NAME holds (""
# if it has none, or only a tombstone).
version_of() {
	local out
	out=$(cli "$1" --json show "$2" 2>/dev/null) || return 0
	jq -r 'if .deleted then empty else .version end' <<<"$out"
}

# status_records NAME: the record count from status (cheaper than a list).
status_records() {
	cli "$1" --json status | jq -r '.records'
}

# max_version NAME AUTHOR: highest version of AUTHOR's live records on NAME.
max_version() {
	local who
	who=$(norm_id "${NODE_ID[$2]}")
	records "$1" | jq --arg who "$who" \
		'[.[] | select((.community | gsub("[- ]"; "") | ascii_upcase) == $who) | .version] | max // 0'
}

# peer_field NAME PEER FIELD: one field of NAME's view of configured PEER.
peer_field() {
	cli "$1" --json peers | jq -r --arg p "$2" --arg f "$3" \
		'[.[] | select(.name == $p)][0][$f] // empty'
}

# connected NAME: peers_connected from status.
connected() {
	cli "$1" --json status | jq -r '.peers_connected'
}

# --- waiting -------------------------------------------------------------

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The whole test must end well within CTest's patience (120 s): every wait is
# also capped by this budget, and a test that exhausts it ends there.
TEST_BUDGET=${TEST_BUDGET:-105}
_TEST_END=$(($(now_ms) + TEST_BUDGET * 1000))

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds; returns
# 1 when SECONDS have passed. Ends the test if its time budget runs out.
wait_for() {
	local secs=$1 deadline capped=0
	shift
	deadline=$(($(now_ms) + secs * 1000))
	if ((deadline > _TEST_END)); then
		deadline=$_TEST_END
		capped=1
	fi
	while :; do
		if "$@" 2>/dev/null; then
			return 0
		fi
		if (($(now_ms) >= deadline)); then
			if ((capped)); then
				fail "the test's ${TEST_BUDGET}s budget ran out waiting for: $*"
			fi
			return 1
		fi
		sleep 0.2
	done
}

# same_set WANT NAME...: every node holds WANT records, all with one digest.
# The status counts must agree first; only then are the full lists compared.
same_set() {
	local want=$1 n first="" d c
	shift
	for n in "$@"; do
		c=$(status_records "$n") || return 1
		if [[ -z $first ]]; then first=$c; fi
		[[ $c == "$first" ]] || return 1
	done
	first=""
	for n in "$@"; do
		c=$(count "$n") || return 1
		[[ $c == "$want" ]] || return 1
		d=$(digest "$n") || return 1
		if [[ -z $first ]]; then first=$d; fi
		[[ $d == "$first" ]] || return 1
	done
	return 0
}

# has_connected NAME WANT: NAME reports at least WANT established peers.
has_connected() {
	local c
	c=$(connected "$1") || return 1
	[[ $c =~ ^[0-9]+$ ]] && ((c >= $2))
}

# diagnose NAME...: what each node holds and sees, and its log tail.
diagnose() {
	local n
	for n in "$@"; do
		{
			echo "--- $n: $(count "$n" 2>/dev/null || echo '?') records, digest $(digest "$n" 2>/dev/null | cut -c1-12)"
			cli "$n" peers 2>&1 | sed 's/^/    /'
			echo "    log tail ($(log_of "$n")):"
			tail -n 12 "$(log_of "$n")" 2>/dev/null | sed 's/^/      /'
		} >&2
	done
}

# converge DESC WANT NAME...: asserts that the nodes reach the same WANT
# records within SYNC_TIMEOUT; prints the time it took.
converge() {
	local desc=$1 want=$2 t0
	shift 2
	t0=$(now_ms)
	if wait_for "$SYNC_TIMEOUT" same_set "$want" "$@"; then
		pass
		say "$desc: $want records everywhere after $(($(now_ms) - t0)) ms"
		return 0
	fi
	_bad "$desc: nodes $* did not converge to the same $want records within ${SYNC_TIMEOUT}s"
	diagnose "$@"
	return 1
}

# --- writing -------------------------------------------------------------

# import_sample NAME FILE: imports deploy/demo/data/FILE.jsonl into NAME.
import_sample() {
	cli "$1" import "$SAMPLES/$2.jsonl" >/dev/null ||
		fail "import of $2.jsonl into $1 failed"
}

# add_record NAME TITLE: publishes an initiative; prints its ID.
add_record() {
	cli "$1" add initiative --title "$2" --lang en
}

# add_many NAME N PREFIX: N initiatives titled "PREFIX i".
add_many() {
	local name=$1 n=$2 prefix=$3 i
	for ((i = 1; i <= n; i++)); do
		add_record "$name" "$prefix $i" >/dev/null || return 1
	done
}

# total_own NAME...: sum of the records each node authored itself: the set
# every node must converge to.
total_own() {
	local n sum=0 c
	for n in "$@"; do
		c=$(own_count "$n")
		sum=$((sum + c))
	done
	printf '%s' "$sum"
}
