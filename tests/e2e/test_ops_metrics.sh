#!/usr/bin/env bash
# The Prometheus endpoint (metrics_listen) of a live daemon after a real sync.
#
# a (metrics on, run with -vv) and b sync each other's records; we scrape a
# with curl, validate the text with `promtool check metrics`, and check the
# figures against the CLI: peers connected, records by kind and community,
# records and bytes per peer, sync lag. Then SIGHUP moves the endpoint to a
# new port (the old one closes) and a reload without the key turns it off.
# Also: -vv traces every peer message while b (no -v) logs no debug lines.
# shellcheck disable=SC2317 # helpers run indirectly, through check and wait_for
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

command -v curl >/dev/null || fail "curl is required (deploy/build.sh installs it)"
command -v promtool >/dev/null || fail "promtool is required (Debian package prometheus)"

sync_node a
sync_node b
M1=$(free_port)
sync_conf a b
sync_conf b a
sed -i "s|^\[node\]$|[node]\nmetrics_listen = 127.0.0.1:$M1|" "$T/a/tesserad.conf"
"$TESSERAD" -n -c "$T/a/tesserad.conf" >/dev/null || fail "a's config is refused"

"$TESSERAD" -vv -c "$T/a/tesserad.conf" 2>>"$(log_of a)" &
NODE_PID[a]=$!
node_start b
wait_for 10 bash -c "\"$TESSERA\" -s \"$T/a/ctl.sock\" status" >/dev/null || fail "a did not start"

import_sample a evora
import_sample b wales
# A community name that needs escaping in a label value.
printf '%s\n' '{"kind": "profile", "name": "B \"quoted\" back\\slash", "texts": [{"lang": "en", "title": "B"}]}' >"$T/b-profile.jsonl"
cli b import "$T/b-profile.jsonl" >/dev/null || fail "import of b's profile failed"
add_record b "Published on b" >/dev/null
converge "a and b sync" "$(total_own a b)" a b

scrape() { curl -sf --max-time 10 "http://127.0.0.1:$1/metrics"; }
# metric TEXT NAME{LABELS}: the value of one sample.
metric() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }

# The sync counters are stored when a batch is applied: wait until the
# figures a's CLI shows are in place, then scrape.
synced() { [[ $(peer_field a b records_received) -ge 1 && $(peer_field a b records_sent) -ge 1 ]]; }
check "a counted its exchange with b" wait_for 10 synced
M=$(scrape "$M1") || fail "cannot scrape a on port $M1"
printf '%s\n' "$M" >"$T/metrics.txt"
say "scraped $(wc -l <"$T/metrics.txt") lines, $(grep -c '^# TYPE' "$T/metrics.txt") metrics"
if promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1; then
	pass
else
	_bad "promtool check metrics: $(cat "$T/promtool.out")"
fi

B=$(node_id b | cut -c1-7)
A=$(node_id a | cut -c1-7)
PB="{peer=\"b\",peer_id=\"$B\"}"
assert_eq "$(metric "$M" tessera_peers_connected)" 1 "peers connected"
assert_eq "$(metric "$M" tessera_peers_configured)" 1 "peers configured"
assert_eq "$(metric "$M" "tessera_peer_up$PB")" 1 "b is up"
assert_eq "$(metric "$M" "tessera_build_info{version=\"$("$TESSERAD" --version | cut -d' ' -f2)\"}")" 1 \
	"build info"
S=$(cli a --json status)
kinds=$(awk '$1 ~ /^tessera_records\{kind="(profile|initiative|resource|unknown)"\}$/ { s += $2 } END { print s }' <<<"$M")
assert_eq "$kinds" "$(jq -r '.records' <<<"$S")" "records by kind add up to status' records"
assert_eq "$(metric "$M" 'tessera_records{kind="profile"}')" \
	"$(jq -r '.communities | length' <<<"$S")" "one profile per community"
assert_eq "$(metric "$M" tessera_communities)" "$(jq -r '.communities | length' <<<"$S")" \
	"communities"
own=$(jq -r --arg a "$A" '.communities[] | select(.community | startswith($a)) | .records' <<<"$S")
assert_eq "$(metric "$M" "tessera_community_records{community=\"$A\",name=\"Évora\"}")" "$own" \
	"a's own records"
check "label values are escaped" grep -qF "name=\"B \\\"quoted\\\" back\\\\slash\"}" "$T/metrics.txt"
assert_eq "$(metric "$M" "tessera_peer_records_received_total$PB")" \
	"$(peer_field a b records_received)" "records received from b"
assert_eq "$(metric "$M" "tessera_peer_records_sent_total$PB")" \
	"$(peer_field a b records_sent)" "records sent to b"
check "bytes in and out are counted" test "$(metric "$M" "tessera_peer_received_bytes_total$PB")" -gt 1000
check "bytes out" test "$(metric "$M" "tessera_peer_sent_bytes_total$PB")" -gt 1000
lag=$(metric "$M" "tessera_peer_sync_lag_seconds$PB")
say "sync lag for b: ${lag}s"
check "sync lag is a small number of seconds" awk -v l="$lag" 'BEGIN { exit !(l >= 0 && l < 60) }'
assert_eq "$(metric "$M" 'tessera_records_rejected_total{reason="bad_signature"}')" 0 \
	"no rejected records"
check "store size" test "$(metric "$M" tessera_store_size_bytes)" -gt 0
# a has one peer: nothing pushed to it can have come over another link first.
assert_eq "$(metric "$M" tessera_push_duplicates_total)" 0 "no duplicate pushes on a single link"
# ...and has no other link to forward a record to before its commit.
assert_eq "$(metric "$M" tessera_push_forwarded_total)" 0 "nothing forwarded with a single link"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$M1/other")" 404 \
	"other paths: 404"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$M1/metrics")" 405 \
	"POST: 405"

# --- reload: rebind, then off ---------------------------------------------------
M2=$(free_port)
sed -i "s|^metrics_listen = .*|metrics_listen = 127.0.0.1:$M2|" "$T/a/tesserad.conf"
kill -HUP "${NODE_PID[a]}"
moved() { scrape "$M2" >/dev/null && ! scrape "$M1" >/dev/null; }
check "SIGHUP moves the endpoint from $M1 to $M2" wait_for 10 moved
sed -i "/^metrics_listen = /d" "$T/a/tesserad.conf"
kill -HUP "${NODE_PID[a]}"
off() { ! scrape "$M2" >/dev/null; }
check "SIGHUP without metrics_listen turns it off" wait_for 10 off
assert_exit 0 cli a status

# --- refusals ------------------------------------------------------------------
# A name is refused (the endpoint binds an address, not whatever a resolver
# says), and a port in use stops start-up with the address in the message.
cp "$T/a/tesserad.conf" "$T/bad.conf"
sed -i "s|^\[node\]$|[node]\nmetrics_listen = localhost:$M1|" "$T/bad.conf"
rc=0
"$TESSERAD" -n -c "$T/bad.conf" >/dev/null 2>"$T/err" || rc=$?
ERR=$(cat "$T/err")
assert_eq "$rc" 1 "tesserad -n refuses a host name"
assert_contains "$ERR" "metrics_listen: invalid address 'localhost:$M1': expected an IP address" \
	"a host name is refused"
sync_node c
sync_conf c
B1=$(free_port)
sed -i "s|^\[node\]$|[node]\nmetrics_listen = 127.0.0.1:$B1|" "$T/c/tesserad.conf"
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$B1" &
NODE_PID[blocker]=$!
port_taken() { ss -ltn | grep -q "127.0.0.1:$B1 "; }
wait_for 10 port_taken || _bad "the blocking listener did not start"
rc=0
timeout 60 "$TESSERAD" -c "$T/c/tesserad.conf" 2>"$T/err" || rc=$?
ERR=$(cat "$T/err")
assert_eq "$rc" 1 "tesserad stops when metrics_listen cannot be bound"
assert_contains "$ERR" "metrics_listen 127.0.0.1:$B1: Address already in use" "a port in use stops start-up"
check "no control socket is left behind" test ! -e "$T/c/ctl.sock"

# --- verbosity -----------------------------------------------------------------
assert_contains "$(cat "$(log_of a)")" "debug: peer b ($B): received offer" "-vv traces messages"
assert_contains "$(cat "$(log_of a)")" "debug: peer b ($B): sending records" "-vv traces messages"
assert_not_contains "$(cat "$(log_of b)")" " debug: " "no debug lines without -v"

finish
