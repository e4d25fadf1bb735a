#!/usr/bin/env bash
# Range reconciliation between real daemons (docs/protocol.md,
# "Reconciliation"): b and c each hold the same N records (20,000, 5,000 under the sanitizers; imported
# on a and synced to both), have never peered, and are then linked through a
# byte-counting relay (bench/benchtool.py relay). The new link must cost a
# few KB both ways, not the ~1 MB of offers the plain path sends for 20,000
# records; both still hold the same set, and a record published afterwards
# crosses the new link.
set -euo pipefail
TEST_BUDGET=${TEST_BUDGET:-400}
. "$(dirname "$0")/synclib.sh"

# Under the sanitizers 5,000 records: the same paths, a quarter of the time;
# the offer path would still cost ~250 KB against the limit of 64 KiB.
if [[ ${TESSERA_SANITIZE:-0} == 1 ]]; then N=${RECON_N:-5000}; else N=${RECON_N:-20000}; fi
LIMIT=${RECON_BYTES_LIMIT:-65536}
TOOL=$TESSERA_SRC/bench/benchtool.py
SYNC_TIMEOUT=120
SYNC_LIMITS+=("max_records_per_author = $((N + 1000))")

has_rec() { [[ -n $(version_of "$1" "$2") ]]; }

sync_node a
sync_node b
sync_node c
# a serves both; b and c do not know each other yet.
sync_conf a b c
sync_conf b a
sync_conf c a
start_all a b c
python3 "$TESSERA_SRC/bench/gen_records.py" "$N" --seed 11 --size 300 -o "$T/items.jsonl"
cli a import "$T/items.jsonl" >/dev/null || fail "import of $N records on a failed"
converge "a, b and c before b and c meet" "$(total_own a b c)" a b c ||
	fail "a, b and c did not converge; nothing to test"
want=$(count b)
say "b and c hold the same $want records"

# Link b and c: c dials b through the relay; b knows c's key only.
node_stop b
node_stop c
python3 "$TOOL" relay --target "${NODE_PORT[b]}" --port-file "$T/relay.port" \
	--stats "$T/relay.json" &
NODE_PID[relay]=$!
wait_for 5 test -s "$T/relay.port" || fail "the relay did not start"
node_conf b "listen = 127.0.0.1:${NODE_PORT[b]}" "${SYNC_LIMITS[@]}" \
	"$(peer_section a)" "$(printf '\n[peer "c"]\nid = %s' "${NODE_ID[c]}")"
node_conf c "listen = 127.0.0.1:${NODE_PORT[c]}" "${SYNC_LIMITS[@]}" \
	"$(peer_section a)" \
	"$(printf '\n[peer "b"]\naddress = 127.0.0.1:%s\nid = %s' "$(<"$T/relay.port")" "${NODE_ID[b]}")"
node_stop a   # only the new link carries anything
start_all b c
wait_for 20 has_connected c 1 || fail "c did not connect to b through the relay"
# Settled: the relay has seen no new bytes for a second.
last=-1
for _ in $(seq 60); do
	sleep 1
	now=$(jq '.up + .down' "$T/relay.json" 2>/dev/null || echo 0)
	[[ $now == "$last" ]] && break
	last=$now
done
up=$(jq .up "$T/relay.json")
down=$(jq .down "$T/relay.json")
say "new link between two holders of $want records: $up bytes c->b, $down bytes b->c (TLS included)"
check "the new link cost $((up + down)) bytes (limit $LIMIT)" test $((up + down)) -le "$LIMIT"
check "b still holds $want records" test "$(count b)" -eq "$want"
check "c still holds $want records" test "$(count c)" -eq "$want"

# The link works after it: a record published on b reaches c, and back.
id=$(add_record b "Published on b after reconciling") || fail "add on b failed"
check "a record published on b reaches c" wait_for 15 has_rec c "$id"
id=$(add_record c "Published on c after reconciling") || fail "add on c failed"
check "a record published on c reaches b" wait_for 15 has_rec b "$id"
finish
