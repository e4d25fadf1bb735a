#!/usr/bin/env bash
# Memory given back at rest (daemon/node_idle.h): b syncs N records from a;
# once both have been quiet for a tick, SQLite's share of the heap
# (tessera_sqlite_memory_bytes) is back under a small bound on both and, in
# a plain build, b's resident memory (VmRSS) is well under its peak and a's
# and b's under a generous absolute bound. Then
# the released caches fill again: a new record crosses and b finds it by a
# word only it holds. No timing is asserted; every wait is bounded.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

SQLITE_MAX=$((3 * 1024 * 1024))
RSS_MAX=$((26 * 1024 * 1024))     # measured: 16.8 MB at 10,000 records, 34 MB before
command -v curl >/dev/null || fail "curl is required (deploy/build.sh installs it)"
# A sanitizer's shadow memory and quarantine make RSS figures meaningless:
# there the release and the refill run (for their memory safety) on fewer
# records, and only SQLite's own accounting is checked.
# CTest says whether this build is sanitized (TESSERA_SANITIZE); run by hand,
# ldd says. (Not `ldd | grep -q`: grep leaving early made ldd die of SIGPIPE,
# and under pipefail an ASan build then counted as plain.)
SANITIZED=${TESSERA_SANITIZE:-}
if [ -z "$SANITIZED" ]; then
	SANITIZED=0
	if [[ $(ldd "$TESSERAD" 2>/dev/null) =~ libasan|libubsan ]]; then SANITIZED=1; fi
fi
N=${IDLE_RSS_RECORDS:-$((SANITIZED ? 2000 : 5000))}

sync_node a
sync_node b --no-listen
SYNC_LIMITS+=("max_records_per_author = $((N + 1000))")
sync_conf a b
sync_conf b a
declare -A MPORT=()
for n in a b; do
	MPORT[$n]=$(free_port)
	sed -i "s|^\[node\]$|[node]\nmetrics_listen = 127.0.0.1:${MPORT[$n]}|" "$T/$n/tesserad.conf"
done
start_all a b

metric() { curl -sf --max-time 5 "http://127.0.0.1:${MPORT[$1]}/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
vm() { awk -v f="$2:" '$1 == f { print $2 * 1024 }' "/proc/${NODE_PID[$1]}/status"; }

python3 "$TESSERA_SRC/bench/gen_records.py" "$N" --seed 5 -o "$T/items.jsonl"
cli a import "$T/items.jsonl" >/dev/null || fail "import of $N records on a failed"
want=$(status_records a)
b_holds_all() { (($(status_records b) >= want)); }
wait_for 60 b_holds_all || { diagnose a b; fail "b holds $(status_records b) of $want records"; }
peak=$(vm b VmHWM)
say "b holds a's $want records; b's peak RSS $((peak / 1024)) kB, SQLite $(metric b tessera_sqlite_memory_bytes) bytes"

# At rest: two ticks of NODE_IDLE_TICK_MS (2 s) after the last change.
sqlite_small() { local m; m=$(metric "$1" tessera_sqlite_memory_bytes) && ((m > 0 && m <= SQLITE_MAX)); }
for n in a b; do
	if wait_for 30 sqlite_small "$n"; then
		pass
	else
		_bad "$n: SQLite holds $(metric "$n" tessera_sqlite_memory_bytes) bytes at rest (> $SQLITE_MAX)"
	fi
done
rss=$(metric b process_resident_memory_bytes || true); rss=${rss:-0}
vmrss=$(vm b VmRSS)
say "b at rest: process_resident_memory_bytes $((rss / 1024)) kB, VmRSS $((vmrss / 1024)) kB (peak $((peak / 1024)) kB), SQLite $(metric b tessera_sqlite_memory_bytes) bytes"
check "b's resident memory metric is a plausible RSS" test "$rss" -gt $((4 * 1024 * 1024))
if ((SANITIZED)); then
	say "sanitizer build: the RSS bounds are not checked"
else
	check "b gave back at least 4 MB of its peak ($((peak / 1024)) -> $((vmrss / 1024)) kB)" \
		test $((peak - vmrss)) -ge $((4 * 1024 * 1024))
	check "b's RSS at rest $((vmrss / 1024)) kB <= $((RSS_MAX / 1024)) kB" test "$vmrss" -le "$RSS_MAX"
	arss=$(vm a VmRSS)
	check "a's RSS at rest $((arss / 1024)) kB <= $((RSS_MAX / 1024)) kB" test "$arss" -le "$RSS_MAX"
fi

# The caches come back: a new record is indexed on both after the release.
cli a add initiative --title "Zwiebelkuchenfest idlememory" >/dev/null || fail "add on a failed"
found() { [[ $(cli b --json search idlememory | jq 'length') -ge 1 ]]; }
check "b finds the record added after the release" wait_for 30 found
check "a finds it too" test "$(cli a --json search idlememory | jq 'length')" -ge 1
finish
