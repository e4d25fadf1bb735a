#!/usr/bin/env bash
# Reconnect jitter differs from daemon to daemon. Regression test: the jitter
# came from random(), never seeded, so every daemon drew the same delays and
# a network restarted at once redialled in lockstep. Two daemons with the same
# configuration dial a port where nothing listens; their logged delays
# ("next dial in N ms", -v) must differ and stay within the backoff's jitter
# bounds (backoff x [0.5, 1.5)).
set -euo pipefail
# shellcheck disable=SC2034 # read by synclib.sh
TEST_BUDGET=60
. "$(dirname "$0")/synclib.sh"

BACKOFF_MS=200
DRAWS=4

# start_verbose NAME: node_start with -v (debug lines, the delays among them).
start_verbose() {
	node_start_with "$1" "$TESSERAD" -v -c "$T/$1/tesserad.conf"
}

# delays NAME: the first DRAWS delays NAME logged, one per line.
delays() {
	sed -nE 's/.*peer gone \([A-Z0-9]+\): next dial in ([0-9]+) ms.*/\1/p' "$T/$1/log" |
		head -n "$DRAWS"
}

has_draws() { (($(delays "$1" | wc -l) >= DRAWS)); }

node_init gone
closed=$(free_port)
for n in a b; do
	node_init "$n"
	node_conf "$n" "[limits]" "backoff_min = ${BACKOFF_MS}ms" "backoff_max = ${BACKOFF_MS}ms" \
		"" "[peer \"gone\"]" "address = 127.0.0.1:$closed" "id = ${NODE_ID[gone]}"
done
start_verbose a
start_verbose b
for n in a b; do
	wait_for 20 has_draws "$n" || fail "node $n logged fewer than $DRAWS delays; log tail: $(tail -n 8 "$T/$n/log")"
done
da=$(delays a | paste -sd' ')
db=$(delays b | paste -sd' ')
say "delays of a: $da ms; of b: $db ms (backoff ${BACKOFF_MS} ms)"
check "the two daemons draw different reconnect delays (a: $da, b: $db)" test "$da" != "$db"
for d in $da $db; do
	check "delay $d ms within [$((BACKOFF_MS / 2)), $((BACKOFF_MS * 3 / 2))) ms" \
		test "$d" -ge $((BACKOFF_MS / 2)) -a "$d" -lt $((BACKOFF_MS * 3 / 2))
done
finish
