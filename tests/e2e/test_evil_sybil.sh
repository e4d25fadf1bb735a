#!/usr/bin/env bash
# A pinned peer turns hostile (docs/hostile-peers.md, "sybil"): evil_peer
# makes up 10,000 authors and sends 10 valid, correctly signed records of
# each. a stores what evil's budget for new authors allows (200 authors
# today, with their 2,000 records), refuses the other 98,000 and counts them
# against evil, names evil under "needs attention", keeps every record it
# held before, and meanwhile keeps receiving honest records from b: b's own,
# and those of c, a community new to a that reaches it through b (charged to
# b's budget, not evil's).
# shellcheck disable=SC2317 # helpers run indirectly, through check and wait_for
set -euo pipefail
. "$(dirname "$0")/evillib.sh"

AUTHORS=${SYBIL_AUTHORS:-10000}
PER=10          # records per made-up author (evil_scn_sybil.c)
ALLOWED=200     # max_new_authors_per_peer, the default
EVIL_TIMEOUT_MS=20000
evil_budget 240

sync_node a
sync_node b
sync_node c
sync_node evil --no-listen
sync_conf a b evil
sync_conf b a c
sync_conf c b
start_all a b
import_sample b wales
converge "a and b before the attack" "$(total_own a b)" a b ||
	fail "a and b do not sync; nothing to test"

records a | jq -r '.[] | "\(.id):\(.version)"' | LC_ALL=C sort >"$T/before"
n0=$(wc -l <"$T/before")
communities0=$(cli a --json communities | jq length)
apid=${NODE_PID[a]}
rss0=$(rss_kb "$apid")

# --- the attack, with honest traffic through b meanwhile ---------------------

t0=$(now_ms)
: >"$T/ids.sybil"
timeout 600 "$EVIL_PEER" --data "$T/evil/data" --connect "127.0.0.1:${NODE_PORT[a]}" \
	--id "$(node_id a)" --timeout "$EVIL_TIMEOUT_MS" --ids "$T/ids.sybil" \
	sybil "$AUTHORS" >"$T/sybil.out" 2>"$T/evil.err" &
epid=$!
# Once a is refusing evil's records (the flood is under way): a record of
# b's, and a whole community new to a (c, which only b pins).
flooding() { (($(peer_field a evil over_budget) > 0)); }
check "evil's flood reaches a's budget" wait_for 120 flooding
say "a refuses evil's records $(($(now_ms) - t0)) ms after evil_peer started"
id_b=$(add_record b "Published on b during the sybil attack") || fail "add on b failed"
start_all c
import_sample c romania
c_total=$(own_count c)
has_c() { [[ $(authored_by a c) == "$c_total" ]]; }
t1=$(now_ms)
check "b's record reaches a during the attack" wait_for 60 has_record a "$id_b"
check "c's $c_total records, new to a, reach it through b during the attack" wait_for 60 has_c
if kill -0 "$epid" 2>/dev/null; then
	pass
	say "b's and c's records reached a in $(($(now_ms) - t1)) ms, evil_peer still sending"
else
	_bad "evil_peer finished before the honest records arrived: not checked during the attack"
fi
rc=0
wait "$epid" || rc=$?
out=$(cat "$T/sybil.out")
say "evil_peer sybil $AUTHORS: $out (exit $rc) after $(($(now_ms) - t0)) ms"
check "evil_peer: a bounded what it stored and kept the link (exit $rc: $(cat "$T/evil.err"))" \
	test "$rc" -eq 0

# --- what a stored, refused and reports --------------------------------------

check "a is still running" kill -0 "$apid"
check "a still answers status" answers a
stored=$((ALLOWED * PER))
refused=$((AUTHORS * PER - stored))
assert_contains "$out" "$stored stored from $ALLOWED authors, $refused refused" \
	"evil_peer's view: only the budget's authors stored"
check "a holds exactly evil's $ALLOWED authors more, and c ($communities0 before, \
$(cli a --json communities | jq length) after)" \
	test "$(cli a --json communities | jq length)" -eq $((communities0 + ALLOWED + 1))
check "a holds $stored of evil's records more, plus b's and c's" \
	test "$(count a)" -eq $((n0 + stored + 1 + c_total))
# Nothing a held before the attack is gone or changed.
records a | jq -r '.[] | "\(.id):\(.version)"' | LC_ALL=C sort >"$T/after"
missing=$(LC_ALL=C comm -23 "$T/before" "$T/after" | wc -l)
check "every one of the $n0 records a held before the attack is still there ($missing missing)" \
	test "$missing" -eq 0
assert_eq "$(peer_field a evil new_authors)" "$ALLOWED" "evil's new authors today"
assert_eq "$(peer_field a evil over_budget)" "$refused" "evil's records refused over budget today"
check "records_rejected for evil counts the refusals ($(rejected))" test "$(rejected)" -ge "$refused"
assert_eq "$(peer_field a b over_budget)" "0" "b (which brought c) is within its budget"
assert_exit 0 cli a status
assert_contains "$OUT" "peer evil (" "status names evil under needs attention"
assert_contains "$OUT" "over its daily budget for new authors: $refused records refused today" \
	"status gives today's refusals"
assert_not_contains "$OUT" "peer b (" "status does not blame b"
assert_exit 0 cli a peers
assert_contains "$OUT" "over its budget for new authors: $refused records refused today" \
	"peers shows evil over budget"
if grep -q "record rejected: over the peer's daily budget for new authors" "$(log_of a)"; then
	pass
else
	_bad "a never logged why it refused evil's records"
fi
logged=$(grep -c "records\? rejected" "$(log_of a)" || true)
say "a logged $logged refusal lines for $refused refused records"
# Three lines per session, then one a minute (the flood lasts under two).
check "the refusals take a few log lines, not hundreds ($logged)" test "$logged" -le 12
rss_bound "the sybil attack" "$rss0" "$(rss_kb "$apid")" 65536
du -k "$T/a/data" | tail -n 1 | while read -r kb _; do say "a's data directory after the attack: $kb kB"; done
still_converges "the sybil attack"

# --- tessera block --peer: everything evil introduced, and its next authors ---

n1=$(count a)
assert_exit 0 cli a --json block --peer evil
assert_eq "$(jq -r '"\(.communities) \(.removed)"' <<<"$OUT")" "$ALLOWED $stored" \
	"block --peer evil: its $ALLOWED communities and their $stored records"
check "a holds $((n1 - stored)) records after block --peer ($(count a))" \
	test "$(count a)" -eq $((n1 - stored))
assert_eq "$(cli a --json communities | jq '[.[] | select(.blocked)] | length')" "$ALLOWED" \
	"evil's communities are listed as blocked"
check "b's and c's records stay" test "$(authored_by a c)" -eq "$c_total"
# New made-up authors from evil are refused now (not counted against it:
# the operator's decision); evil_peer sees every record wanted again.
evil evil sybil 5
check "after block --peer, evil's new authors are refused ($EVIL_OUT)" test "$EVIL_RC" -eq 0
assert_contains "$EVIL_OUT" "0 stored from 0 authors" "nothing of evil's new authors stored"
assert_eq "$(peer_field a evil over_budget)" "$refused" "the refusals are not charged to evil"
assert_exit 0 cli a unblock --peer evil
assert_contains "$OUT" "unblocked the $ALLOWED communities introduced by peer evil" "unblock --peer"
assert_eq "$(cli a --json communities | jq '[.[] | select(.blocked)] | length')" 0 \
	"nothing blocked after unblock --peer"
rc=0
cli a block --peer nosuch >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 4 "block --peer of a peer not configured: not found"
finish
