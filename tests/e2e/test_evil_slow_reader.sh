#!/usr/bin/env bash
# A pinned peer that asks for everything and then stops reading: the node
# keeps what it queues for that peer within its send limits (its memory does
# not grow with the data asked for), drops the link once nothing moves for an
# idle period, logs why, and keeps serving.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

: "${TESSERA_BUILD:=$TESSERA_SRC/build}"
EVIL_PEER=${EVIL_PEER:-$TESSERA_BUILD/tests/tools/evil_peer}
[[ -x $EVIL_PEER ]] || fail "$EVIL_PEER is not built (target evil_peer, tests/tools)"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# 300 records of ~40 KB: 12 MB that the reader asks for and never takes.
python3 - "$T/big.jsonl" <<'PY'
import json, random, sys
random.seed(3)
words = "comunitate közösség aprenentatge learning comunidade сообщество".split()
with open(sys.argv[1], "w") as f:
    for i in range(300):
        body = " ".join(random.choice(words) for _ in range(5000))[:40000]
        f.write(json.dumps({"kind": "resource", "texts": [{"lang": "en",
            "title": "Large guide %d" % i, "body": body}]}) + "\n")
PY

node_init a
mkdir -p "$T/evil"
"$TESSERAD" init --data "$T/evil/data" --name Evil >"$T/evil.id"
port=$(free_port)
node_conf a "listen = 127.0.0.1:$port" "[limits]" "send_soft_limit = 64K" \
	"send_hard_limit = 2M" "idle_timeout = 3s" "keepalive = 1s" \
	"[peer \"evil\"]" "id = $(cat "$T/evil.id")"
node_start a
assert_exit 0 cli a import "$T/big.jsonl"
pid=${NODE_PID[a]}
before=$(rss_kb "$pid")

out=$(timeout 60 "$EVIL_PEER" --data "$T/evil/data" --connect "127.0.0.1:$port" \
	--id "$(node_id a)" --timeout 5000 stop-reading 8 2>&1) && rc=0 || rc=$?
echo "evil_peer stop-reading: $out (exit $rc)"
assert_eq "$rc" 0 "the node dropped the peer that stopped reading"
after=$(rss_kb "$pid")
echo "RSS before ${before} kB, after ${after} kB"
# 12 MB were asked for; the send limits allow 64 KB plus one message.
# Under AddressSanitizer RSS follows what was ever allocated (freed memory
# waits in its quarantine), not what is live: the bound is checked in the
# plain build, which the test suite always runs too.
if [ "${TESSERA_SANITIZE:-0}" = 1 ]; then
	echo "RSS bound not checked in a sanitizer build (ASan quarantine)"
elif [ $((after - before)) -lt 6144 ]; then
	pass
else
	_bad "RSS grew by $((after - before)) kB (limit 6 MB)"
fi
assert_contains "$(cat "$T/a/log")" "peer stopped reading" "the log says why the peer was dropped"
assert_exit 0 cli a status
finish
