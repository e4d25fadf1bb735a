#!/usr/bin/env bash
# Black-box control-socket robustness: garbage, oversized length prefixes and
# truncated frames drop that client only; the daemon keeps answering.
. "$(dirname "$0")/lib.sh"

node_init a
node_conf a
node_start a

# raw BYTES_HEX: sends raw bytes, then reports how the daemon reacted:
# "closed" (EOF within 5 s), "reply" (it answered and then closed), or
# "open" (still connected after 5 s).
raw() {
	python3 - "$T/a/ctl.sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
try:
    s.sendall(bytes.fromhex(sys.argv[2]))
except (BrokenPipeError, ConnectionResetError):
    print("closed")
    sys.exit(0)
s.settimeout(5)
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            print("reply" if got else "closed")
            break
        got += b
except socket.timeout:
    print("open")
except ConnectionResetError:
    print("closed")
PY
}

# Not a protobuf Request.
assert_contains "closed reply" "$(raw 00000004ffffffff)" "garbage frame drops the client"
assert_exit 0 cli a status
# Length prefix over the frame limit: refused before any allocation.
assert_eq "$(raw ffffffff)" closed "oversized length prefix"
assert_exit 0 cli a status
assert_eq "$(raw 01000001)" closed "length prefix one past 1 MiB"
assert_exit 0 cli a status
# Plain text, as from a confused client.
assert_contains "closed reply" "$(raw "$(printf 'GET / HTTP/1.0\r\n\r\n' | od -An -tx1 | tr -d ' \n')")" \
	"HTTP request"
assert_exit 0 cli a status

# A truncated frame: the client goes away mid-frame.
python3 - "$T/a/ctl.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(bytes.fromhex("00010000") + b"x" * 100)
s.close()
PY
assert_exit 0 cli a status

# Many idle connections do not lock out the CLI.
python3 - "$T/a/ctl.sock" <<'PY' &
import socket, sys, time
socks = []
for i in range(50):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    socks.append(s)
time.sleep(3)
PY
holder=$!
sleep 0.5
assert_exit 0 cli a status
wait "$holder"

# Streamed replies (list, export) release their connection: more of them
# than the daemon's 64-client limit all succeed.
stream_fail=0
for i in $(seq 1 80); do
	cli a list >/dev/null 2>&1 || stream_fail=$((stream_fail + 1))
	cli a export >/dev/null 2>&1 || stream_fail=$((stream_fail + 1))
done
assert_eq "$stream_fail" 0 "160 streamed replies in a row all succeed"
assert_exit 0 cli a status

# A valid request after garbage on another connection still works end to end.
assert_exit 0 cli a add resource --title "Still here"
assert_exit 0 cli a --json list
assert_eq "$(echo "$OUT" | json 'len([r for r in d if r["kind"] == "resource"])')" 1 \
	"daemon state intact"

finish
