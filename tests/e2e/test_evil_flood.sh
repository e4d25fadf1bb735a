#!/usr/bin/env bash
# Strangers before authentication (docs/hostile-peers.md): an idle
# connection is closed after first_byte_timeout, then 2,000 idle connections
# from 40 loopback addresses are held against a, whose open files limit is
# the systemd default of 1,024. a keeps at most max_unauthenticated of them
# (the rest are closed at once), answers the CLI throughout, dials its
# honest peer b, which starts during the flood, and records cross both ways
# during the flood; a's descriptor count stays bounded and its log short.
set -euo pipefail
. "$(dirname "$0")/evillib.sh"

N=${FLOOD:-2000}
ADDRS=40
CAP=64
PER_ADDR=8
evil_budget 90
command -v curl >/dev/null || fail "curl is required (deploy/build.sh installs it)"
command -v prlimit >/dev/null || fail "prlimit (util-linux) is required"

sync_node a
sync_node b
SYNC_LIMITS+=("max_unauthenticated = $CAP" "max_unauthenticated_per_address = $PER_ADDR")
# a dials b; b only waits for a, so every session is one a dialled out.
sync_conf a b
node_conf b "listen = 127.0.0.1:${NODE_PORT[b]}" "" "${SYNC_LIMITS[@]}" "" '[peer "a"]' \
	"id = $(node_id a)"
mport=$(free_port)
sed -i "s|^\[node\]$|[node]\nmetrics_listen = 127.0.0.1:$mport|" "$T/a/tesserad.conf"
node_start a
apid=${NODE_PID[a]}
# What LimitNOFILE would be without the unit's setting.
prlimit --pid "$apid" --nofile=1024:1024
metric() { curl -sf --max-time 5 "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
fds() { metric process_open_fds; }
base=$(fds) || fail "cannot scrape a's metrics"
say "a holds $base descriptors before the flood; open files limit $(metric process_max_fds)"

# A connection that sends nothing is closed after first_byte_timeout (2 s),
# well before handshake_timeout (10 s).
idle=$(python3 - "${NODE_PORT[a]}" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
s.settimeout(15)
try:
    s.recv(1)
except OSError:
    pass
print(f"{time.monotonic() - t0:.1f}")
PY
)
say "an idle connection was closed after $idle s"
check "an idle connection is closed after first_byte_timeout (${idle}s)" \
	python3 -c "import sys; sys.exit(not 1.8 <= $idle <= 4)"

logl=$(wc -l <"$(log_of a)")
python3 "$(dirname "$0")/flood.py" 127.0.0.1 "${NODE_PORT[a]}" "$N" "$ADDRS" 20 >"$T/flood.out" &
fpid=$!
sleep 3
maxfds=0
maxheld=0
# sample: a's descriptors and strangers now; keeps the highest seen.
sample() {
	local f h
	f=$(fds) && h=$(metric tessera_unauthenticated_connections) || return 1
	((f > maxfds)) && maxfds=$f
	((h > maxheld)) && maxheld=$h
	return 0
}
check "a's metrics answer during the flood" sample
check "tessera status answers during the flood" answers a
node_start b
say "b started during the flood"
check "a dialled b during the flood" wait_for 15 has_connected a 1
sample || true
idb=$(add_record b "Published on b during the flood") || fail "add on b failed"
ida=$(add_record a "Published on a during the flood") || fail "add on a failed"
check "b's record reached a during the flood" wait_for 15 has_record a "$idb"
check "a's record reached b during the flood" wait_for 15 has_record b "$ida"
for _ in $(seq 10); do
	sample || true
	check "tessera status answers during the flood" answers a
	sleep 0.3
done
refused=$(curl -sf "http://127.0.0.1:$mport/metrics" | awk '/^tessera_connections_refused_total/ {s += $2} END {print s + 0}')
say "during the flood: a held at most $maxheld unauthenticated connections and $maxfds descriptors ($base before), refused $refused connections"
check "a held strangers, at most $CAP ($maxheld)" test "$maxheld" -gt 0 -a "$maxheld" -le "$CAP"
check "a refused connections over the caps ($refused)" test "$refused" -gt 0
check "a's descriptors stay bounded ($maxfds, $base before, cap $CAP)" \
	test "$maxfds" -le $((base + CAP + 16))
check "the flood is still running" kill -0 "$fpid"
wait "$fpid" || fail "flood.py failed"
say "flood: $(cat "$T/flood.out")"
opened=$(jq .opened "$T/flood.out")
check "the flood opened more than $N connections ($opened)" test "$opened" -gt "$N"
# Once the strangers are gone, so are their slots and descriptors.
gone() { [[ $(metric tessera_unauthenticated_connections) == 0 ]]; }
check "a holds no stranger after the flood" wait_for 10 gone
new=$(($(wc -l <"$(log_of a)") - logl))
say "a wrote $new log lines for $opened connections"
check "a's log grew by fewer than 100 lines ($new)" test "$new" -lt 100
grep -q "refused: .*unauthenticated connections" "$(log_of a)" && pass ||
	_bad "a never logged why it refused a connection"
check "a is still running" kill -0 "$apid"
finish
