#!/usr/bin/env bash
# Start-up failures name their cause, init never overwrites, and the peer
# port survives plain TCP garbage and a TLS 1.2 client.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# run_fail NAME NEEDLE CMD...: CMD exits non-zero and says NEEDLE on stderr.
run_fail() {
	local name=$1 needle=$2 out rc
	shift 2
	out=$("$@" 2>&1 >/dev/null) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ]; then pass; else _bad "$name: exit 0"; fi
	assert_contains "$out" "$needle" "$name"
}

node_init a
node_conf a
conf=$T/a/tesserad.conf

# A corrupt config: -n and a real start both name file and line.
cp "$conf" "$T/bad.conf"
printf 'this line is not a key = value pair\n[nowhere]\n' >>"$T/bad.conf"
run_fail "config check" "$T/bad.conf:" "$TESSERAD" -n -c "$T/bad.conf"
run_fail "config start" "$T/bad.conf:" "$TESSERAD" -c "$T/bad.conf"
printf '\x00\x01\x02binary' >"$T/binary.conf"
run_fail "binary config" "$T/binary.conf" "$TESSERAD" -n -c "$T/binary.conf"
run_fail "missing config" "$T/none.conf" "$TESSERAD" -n -c "$T/none.conf"
assert_exit 0 "$TESSERAD" -n -c "$conf"

# init refuses an existing node and changes nothing.
before=$(sha256sum "$T/a/data/key.pem" "$T/a/data/cert.pem" "$T/a/data/tessera.db")
run_fail "init over a node" "already holds a node" "$TESSERAD" init --data "$T/a/data" --name Other
assert_eq "$(sha256sum "$T/a/data/key.pem" "$T/a/data/cert.pem" "$T/a/data/tessera.db")" \
	"$before" "init over a node changed nothing"
assert_eq "$(stat -c %a "$T/a/data/key.pem")" 600 "key.pem is 0600"

# A missing key file and a damaged database are named.
mv "$T/a/data/key.pem" "$T/key.pem"
run_fail "missing key" "key.pem" "$TESSERAD" -c "$conf"
mv "$T/key.pem" "$T/a/data/key.pem"

# A key that group or others may read is refused, naming the file and the
# chmod to run (as ssh does); tesserad check reports the key file's mode.
chmod 640 "$T/a/data/key.pem"
run_fail "key readable by its group" "run: chmod 600 $T/a/data/key.pem" "$TESSERAD" -c "$conf"
out=$("$TESSERAD" check --data "$T/a/data") && rc=0 || rc=$?
assert_eq "$rc" 1 "check fails on a key readable by its group"
assert_contains "$out" "permissions 0640 are too open" "check names the key's mode"
chmod 604 "$T/a/data/key.pem"
run_fail "key readable by others" "run: chmod 600 $T/a/data/key.pem" "$TESSERAD" id --data "$T/a/data"
chmod 600 "$T/a/data/key.pem"
out=$("$TESSERAD" check --data "$T/a/data") && rc=0 || rc=$?
assert_eq "$rc" 0 "check passes on a 0600 key"
assert_contains "$out" "key.pem: mode 0600 (owner only)" "check reports the key's mode"
cp "$T/a/data/tessera.db" "$T/db.bak"
printf 'garbage, not SQLite' >"$T/a/data/tessera.db"
run_fail "damaged database" "tessera.db" "$TESSERAD" -c "$conf"
cp "$T/db.bak" "$T/a/data/tessera.db"

# An unusable data directory. Root writes anywhere, so as root the test
# uses a missing directory; otherwise a read-only one.
mkdir -p "$T/ro"
if [ "$(id -u)" -ne 0 ]; then
	cp -a "$T/a/data" "$T/ro/data" && chmod 500 "$T/ro/data"
else
	mkdir -p "$T/ro/gone"
fi
sed "s|^data = .*|data = $T/ro/$([ "$(id -u)" -ne 0 ] && echo data || echo gone/data)|" \
	"$conf" >"$T/ro.conf"
run_fail "unusable data directory" "$T/ro/" "$TESSERAD" -c "$T/ro.conf"

# The peer port: plain TCP garbage and a TLS 1.2 client are refused,
# logged with their address, and the node goes on.
port=$(free_port)
node_conf a "listen = 127.0.0.1:$port"
node_start a
# No core dumps (a core would hold the private key); the descriptor limit
# is logged at start-up.
assert_eq "$(awk '/^Max core file size/ {print $5, $6}' "/proc/${NODE_PID[a]}/limits")" "0 0" \
	"core dumps are off"
assert_contains "$(cat "$T/a/log")" "open files limit: " "the open files limit is logged"
python3 - "$port" <<'PY'
import socket, ssl, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(range(256)) * 64)
s.settimeout(5)
try:
    s.recv(4096)
except OSError:
    pass
s.close()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
try:
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw) as t:
            print("TLS 1.2 accepted", file=sys.stderr)
            sys.exit(1)
except (ssl.SSLError, OSError):
    pass
PY
assert_eq "$?" 0 "a TLS 1.2 client is refused"
sleep 0.5
assert_exit 0 cli a status
log=$(cat "$T/a/log")
assert_contains "$log" "connection from 127.0.0.1:" "refused connections are logged with the address"
refused=$(grep -c "refused" "$T/a/log" || true)
if [ "$refused" -eq 2 ]; then pass; else _bad "expected 2 refusal lines, got $refused"; fi
finish
