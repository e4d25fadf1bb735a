#!/usr/bin/env bash
# `tessera status` as a health view, through the real CLI and real daemons.
#
# Node a pins three peers: b (an honest node, up), gone (configured at a
# port where nothing listens: down, with its connect error) and evil (whose
# key evil_peer uses to send a record with a forged signature). We check the
# text and --json views: peers up/down with last sync and last error, the
# rejected record with its reason as an attention item, storage figures, and
# that a's log reports gone's repeated connect failures once (flap
# suppression). The control socket is mode 0660, owned by control_group.
# shellcheck disable=SC2317 # helpers run indirectly, through check and wait_for
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

: "${TESSERA_BUILD:=$TESSERA_SRC/build}"
EVIL_PEER=${EVIL_PEER:-$TESSERA_BUILD/tests/tools/evil_peer}
[[ -x $EVIL_PEER ]] || fail "$EVIL_PEER is not built (target evil_peer, tests/tools)"

sync_node a
sync_node b
sync_node evil --no-listen
sync_node gone
# A group other than ours when we may use one (root in CI), else our own.
GROUP=$(id -gn)
if [[ $(id -u) -eq 0 ]] && getent group adm >/dev/null; then
	GROUP=adm
fi
sync_conf a b evil gone
sed -i "s|^\[node\]$|[node]\ncontrol_group = $GROUP|" "$T/a/tesserad.conf"
sync_conf b a
node_start a
node_start b

# --- the control socket ---------------------------------------------------
assert_eq "$(stat -c '%a %G' "$T/a/ctl.sock")" "660 $GROUP" "control socket mode and group"

# --- peers up and down ------------------------------------------------------
import_sample b evora
converge "b's records reach a" "$(count b)" a b
wait_for 10 has_connected a 1 || _bad "a never connected to b"
gone_failed() { [[ -n $(peer_field a gone last_error) ]]; }
check "gone has a last error" wait_for 10 gone_failed

# --- a rejected record --------------------------------------------------------
out=$(timeout 60 "$EVIL_PEER" --data "$T/evil/data" --connect "127.0.0.1:${NODE_PORT[a]}" \
	--id "$(node_id a)" --timeout 3000 --seed 7 forged-sig 2>"$T/evil.err") ||
	_bad "evil_peer forged-sig failed: $out $(cat "$T/evil.err")"
say "evil_peer forged-sig: $out"
has_rejected() { [[ $(cli a --json status | jq -r '.records_rejected') -ge 1 ]]; }
check "a counts the forged record" wait_for 10 has_rejected

# --- the text view -----------------------------------------------------------
# Let gone fail a few more times (backoff_max is 1 s) before reading the log.
sleep 3
assert_exit 0 cli a status
say "tessera status on a:"
printf '%s\n' "$OUT" | sed 's/^/    /'
assert_contains "$OUT" "name      a"
assert_contains "$OUT" "node ID   $(node_id a)"
assert_contains "$OUT" "uptime    "
assert_contains "$OUT" "storage   " "storage line"
assert_contains "$OUT" " free of " "storage line"
assert_contains "$OUT" "peers     1 connected, 3 configured"
b_short=$(node_id b | cut -c1-7)
g_short=$(node_id gone | cut -c1-7)
line_b=$(grep -F "b ($b_short)" <<<"$OUT" || true)
assert_contains "$line_b" "up" "b's line"
assert_contains "$line_b" "last sync" "b's line"
assert_not_contains "$line_b" "never synced" "b's line"
line_g=$(grep -F -A1 "gone ($g_short)" <<<"$OUT" || true)
assert_contains "$line_g" "not connected for" "gone's line"
assert_contains "$line_g" "never synced" "gone's line"
assert_contains "$line_g" "last error: connect failed" "gone's line"
assert_contains "$OUT" "rejected  1 record from peers since start-up; last: evil (" "rejected line"
assert_contains "$OUT" "signature" "rejected line names the reason"
assert_contains "$OUT" "needs attention:" "attention header"
assert_contains "$OUT" "  - 1 record from peers was rejected since start-up; last: evil (" \
	"attention item for the rejected record"
assert_not_contains "$OUT" "unreachable" "gone has been down for seconds, not an hour"
assert_contains "$OUT" "records by community:"

# --- the JSON view -------------------------------------------------------------
assert_exit 0 cli a --json status
J=$OUT
assert_eq "$(jq -r '.peers | length' <<<"$J")" 3 "json: three peers"
assert_eq "$(jq -r '.peers[] | select(.name == "b") | .state' <<<"$J")" up "json: b up"
assert_eq "$(jq -r '.peers[] | select(.name == "b") | .last_sync != null' <<<"$J")" true \
	"json: b has a last sync"
assert_eq "$(jq -r '.peers[] | select(.name == "gone") | .state' <<<"$J")" down "json: gone down"
assert_eq "$(jq -r '.peers[] | select(.name == "gone") | .down_since != null' <<<"$J")" true \
	"json: gone has down_since"
assert_contains "$(jq -r '.peers[] | select(.name == "gone") | .last_error' <<<"$J")" \
	"connect failed" "json: gone's last error"
assert_eq "$(jq -r '.records_rejected' <<<"$J")" 1 "json: records_rejected"
assert_contains "$(jq -r '.last_reject' <<<"$J")" "signature" "json: last_reject"
assert_eq "$(jq -r '.attention | length' <<<"$J")" 1 "json: one attention item"
assert_eq "$(jq -r '.disk_total > 0 and .disk_free > 0 and .disk_free <= .disk_total' <<<"$J")" \
	true "json: disk figures"
assert_eq "$(jq -r '[.communities[].records] | add' <<<"$J")" "$(jq -r '.records' <<<"$J")" \
	"json: records by community add up"

# b has nothing to complain about.
assert_exit 0 cli b status
assert_contains "$OUT" "needs attention: nothing"

# --- logs ------------------------------------------------------------------------
# gone failed every ~1 s for several seconds: one line, then quiet (the next
# "still failing" is due after a minute). Every peer line names the peer and
# its short ID.
n_gone=$(grep -c "peer gone ($g_short) at 127.0.0.1:${NODE_PORT[gone]}: connect failed" "$(log_of a)" || true)
attempts=$(grep -c "" "$(log_of a)")
say "a's log: $n_gone line(s) for gone's connect failures ($attempts lines in all)"
assert_eq "$n_gone" 1 "gone's repeated connect failures are logged once"
# a dialed b before b was started: when they connected, a said so once.
assert_contains "$(cat "$(log_of a)")" "peer b ($b_short): connected (" "b's connection is logged"
assert_contains "$(grep -F "peer b ($b_short): connected (" "$(log_of a)")" ", reachable again after " \
	"the recovery line counts the failed attempts"
bad_lines=$(grep -E 'peer [^ ]+:' "$(log_of a)" | grep -vE 'peer [A-Za-z0-9._-]+ \([A-Z2-7]{7}\)' || true)
assert_eq "$bad_lines" "" "every peer line carries the peer's name and short ID"

finish
