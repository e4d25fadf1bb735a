#!/usr/bin/env bash
# systemd readiness (sd_notify) against a notification socket the test owns.
#
# notify_recv.py plays systemd. It fills its queue so that tesserad's first
# notification blocks until read, and meanwhile checks that the control
# socket and the peer port accept connections: READY=1 must come after both. We then check RELOADING=1 (with MONOTONIC_USEC)
# -> READY=1 on SIGHUP, for a good and for a broken configuration, and
# STOPPING=1 on SIGTERM. The same daemon runs with JOURNAL_STREAM set: its
# log lines must carry <N> priority prefixes, one line per event.
# shellcheck disable=SC2317 # helpers run indirectly, through check and wait_for
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

sync_node a
sync_conf a
SOCK=$T/notify.sock
MSGS=$T/notify.jsonl

python3 "$TESSERA_SRC/tests/e2e/notify_recv.py" "$SOCK" "$MSGS" "$T/a/ctl.sock" \
	"${NODE_PORT[a]}" 90 &
# Registered with the daemons so that lib.sh's cleanup stops it by PID.
NODE_PID[notify_recv]=$!
receiver_up() { [[ -S $SOCK ]] && grep -q listening "$MSGS"; }
wait_for 30 receiver_up || fail "notify_recv.py did not start: $(cat "$MSGS" 2>&1)"
assert_eq "$(jq -s -r '.[0].filled' "$MSGS")" true "the receiver filled its queue"

# msgs KEY VALUE: how many datagrams carried KEY=VALUE.
msgs() { jq -s --arg k "$1" --arg v "$2" '[.[] | select(.fields[$k] == $v)] | length' "$MSGS"; }
at_least() { (($(msgs "$1" "$2") >= $3)); }

NOTIFY_SOCKET=$SOCK JOURNAL_STREAM=8:1234 "$TESSERAD" -c "$T/a/tesserad.conf" 2>>"$(log_of a)" &
NODE_PID[a]=$!

# --- start-up -------------------------------------------------------------------
check "READY=1 arrives" wait_for 20 at_least READY 1 1
first=$(jq -s -c '[.[] | select(.fields.READY == "1")][0]' "$MSGS")
say "first READY=1: $first"
assert_eq "$(jq -s -c '[.[] | select(.fields)][0].fields | keys' "$MSGS")" '["READY","STATUS"]' \
	"the first notification is READY=1"
assert_eq "$(jq -r '.checked_while_blocked' <<<"$first")" true "checked while tesserad was blocked in READY=1"
assert_eq "$(jq -r '.control_ok' <<<"$first")" true "the control socket answers at READY=1"
assert_eq "$(jq -r '.listen_ok' <<<"$first")" true "the peer port accepts at READY=1"
assert_contains "$(jq -r '.fields.STATUS' <<<"$first")" "0/0 peers up, 1 records" "STATUS= summary"
assert_eq "$(msgs RELOADING 1)" 0 "no RELOADING before a SIGHUP"

# --- SIGHUP: a good file, then a broken one (kept old config), both end READY ----
for round in good broken; do
	if [[ $round == broken ]]; then
		cp "$T/a/tesserad.conf" "$T/a/good.conf"
		echo "no_such_key = 1" >>"$T/a/tesserad.conf"
	fi
	want=$(($(msgs READY 1) + 1))
	kill -HUP "${NODE_PID[a]}"
	check "$round reload: READY=1 after the reload" wait_for 20 at_least READY 1 "$want"
	# The last RELOADING=1 comes before the last READY=1 and carries a
	# monotonic timestamp in microseconds.
	order=$(jq -s -c '[to_entries[] | select(.value.fields.RELOADING == "1" or .value.fields.READY == "1")
		| {i: .key, r: (.value.fields.RELOADING // "-"), m: (.value.fields.MONOTONIC_USEC // "-")}] | .[-2:]' "$MSGS")
	say "$round reload: $order"
	assert_eq "$(jq -r '.[0].r + "," + .[1].r' <<<"$order")" "1,-" "$round reload: RELOADING=1 then READY=1"
	assert_eq "$(jq -r '.[0].m | test("^[0-9]+$")' <<<"$order")" true "$round reload: MONOTONIC_USEC"
done
assert_contains "$(cat "$(log_of a)")" "keeping the running configuration" "the broken file was refused"
cp "$T/a/good.conf" "$T/a/tesserad.conf"
assert_exit 0 cli a status

# --- SIGTERM -----------------------------------------------------------------------
kill -TERM "${NODE_PID[a]}"
check "STOPPING=1 on SIGTERM" wait_for 20 at_least STOPPING 1 1
wait "${NODE_PID[a]}" || _bad "tesserad exited with status $?"
unset "NODE_PID[a]"
assert_eq "$(jq -s '[.[] | select(.fields.READY == "1")][-1].t < ([.[] | select(.fields.STOPPING == "1")][0].t)' "$MSGS")" \
	true "STOPPING=1 comes last"

# --- journald priority prefixes -------------------------------------------------------
bad=$(grep -vE '^<[0-7]>' "$(log_of a)" || true)
assert_eq "$bad" "" "every log line starts with a <N> priority under journald"
assert_contains "$(cat "$(log_of a)")" "<6>node $(node_id a) started" "info is <6>"
assert_contains "$(cat "$(log_of a)")" "<4>reload: " "warnings are <4>"

finish
