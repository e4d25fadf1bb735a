#!/usr/bin/env bash
# The unit's SystemCallFilter= only bites under systemd, which these tests do
# not run. Instead a daemon is traced (strace -f) through a session: start-up,
# sync with a peer, every kind of CLI request, a SIGHUP reload, shutdown;
# every system call it made must be allowed by the filter lines of
# deploy/systemd/tesserad.service.in (groups expanded by systemd-analyze).
# A call outside the filter would kill the service (EPERM, for ours).
set -euo pipefail
. "$(dirname "$0")/../e2e/synclib.sh"

if [[ ${TESSERA_SANITIZE:-0} == 1 ]]; then
	echo "$TEST_NAME: skipped: the sanitizer runtime makes system calls the packaged daemon does not"
	exit 77
fi
command -v strace >/dev/null || fail "strace is missing (deploy/build.sh installs it)"
if ! strace -f -o /dev/null true 2>/dev/null; then
	echo "$TEST_NAME: skipped: ptrace is not permitted here"
	exit 77
fi

UNIT=$TESSERA_SRC/deploy/systemd/tesserad.service.in
sed -n 's/^SystemCallFilter=//p' "$UNIT" >"$T/filters"
[[ -s $T/filters ]] || fail "no SystemCallFilter= in $UNIT"

# The allowed set: the union of the allow lines minus every ~ line.
python3 - "$T/filters" >"$T/allowed" <<'PY'
import subprocess, sys

def expand(group, seen):
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager", group],
                         check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        w = line.strip()
        if not w or w.startswith("#"):
            continue
        if w.startswith("@"):
            if w not in seen:
                seen.add(w)
                names |= expand(w, seen)
        else:
            names.add(w)
    return names

allow, deny = set(), set()
for line in open(sys.argv[1]):
    line = line.strip()
    target = deny if line.startswith("~") else allow
    for item in line.lstrip("~").split():
        target |= expand(item, {item}) if item.startswith("@") else {item}
print("\n".join(sorted(allow - deny)))
PY
echo "$TEST_NAME: the unit allows $(wc -l <"$T/allowed") system calls"

sync_node a
sync_node b
link a b
write_linked_confs a b
# The metrics endpoint too, once the daemon knows metrics_listen.
mport=$(free_port)
printf '[node]\nmetrics_listen = 127.0.0.1:%s\n' "$mport" >"$T/probe.conf"
if "$TESSERAD" -n -c "$T/probe.conf" >/dev/null 2>&1; then
	sed -i "/^\[node\]/a metrics_listen = 127.0.0.1:$mport" "$T/a/tesserad.conf"
else
	mport=
	echo "$TEST_NAME: this tesserad has no metrics_listen; metrics not traced"
fi
# And the web view, with enough requests at once that some wait for their
# share of the loop (suspended and resumed: MHD's inter-thread channel).
wport=$(free_port)
sed -i "/^\[node\]/a web_listen = 127.0.0.1:$wport" "$T/a/tesserad.conf"

# a runs under strace; NODE_PID holds the daemon itself (strace's child), so
# that the usual cleanup stops it and strace then ends on its own. As root,
# a runs as nobody, as the unit runs it as tessera: some calls depend on it
# (SQLite gives its files the database's owner with fchown only as root).
asuser=()
group=$(id -gn)
if [[ $(id -u) -eq 0 ]]; then
	chmod 711 "$T"
	chown -R nobody: "$T/a"
	asuser=(-u nobody)
	group=$(id -gn nobody)
fi
# An operator naming the daemon's own group (the package's `tessera`) in
# control_group: the filter denies the chown family, so that must not chown.
sed -i "/^\[node\]/a control_group = $group" "$T/a/tesserad.conf"
strace -f -qq "${asuser[@]}" -o "$T/a.trace" "$TESSERAD" -c "$T/a/tesserad.conf" \
	2>>"$T/a/log" &
spid=$!
trap 'set +e; _cleanup; wait "$spid" 2>/dev/null' EXIT
for _ in $(seq 100); do
	dpid=$(pgrep -P "$spid" || true)
	[[ -n $dpid ]] && break
	sleep 0.1
done
[[ -n $dpid ]] || fail "strace did not start tesserad"
NODE_PID[a]=$dpid
for _ in $(seq 300); do
	cli a status >/dev/null 2>&1 && break
	kill -0 "$dpid" 2>/dev/null || fail "traced tesserad exited: $(tail -n 5 "$T/a/log")"
	sleep 0.1
done
node_start b

import_sample a evora
import_sample b nagykovacsi
converge "a and b" "$(total_own a b)" a b || fail "no sync"
id=$(add_record a "Traced record")
cli a edit "$id" --lang pt --title "Registo" >/dev/null
cli a show "$id" >/dev/null
cli a --json list --limit 5 >/dev/null
cli a search kozosseg >/dev/null
cli a communities >/dev/null
cli a peers >/dev/null
cli a export -o "$T/export.jsonl" >/dev/null
cli a block "${NODE_ID[b]}" >/dev/null
cli a unblock "${NODE_ID[b]}" >/dev/null
cli a delete "$id" >/dev/null
if [[ -n $mport ]]; then
	python3 -c 'import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read()' "$mport" ||
		_bad "no metrics from 127.0.0.1:$mport/metrics"
fi
python3 "$TESSERA_SRC/bench/webload.py" "$wport" --clients 4 --seconds 3 --max 200 \
	--out "$T/web.ms" >"$T/web.out" || _bad "the web load failed"
[[ $(cut -d' ' -f1 "$T/web.out") -gt 0 && $(cut -d' ' -f2 "$T/web.out") == 0 ]] ||
	_bad "web pages from 127.0.0.1:$wport: $(cat "$T/web.out") (requests, errors, pages/s)"
kill -HUP "$dpid"
sleep 0.5
cli a status >/dev/null || _bad "a does not answer after SIGHUP"
# SIGTERM to the daemon; strace ends with it and returns its exit status.
kill -TERM "$dpid"
rc=0
wait "$spid" || rc=$?
unset "NODE_PID[a]"
assert_eq "$rc" 0 "exit status of the traced tesserad after SIGTERM"

sed -n 's/^[0-9]\+ \+\([a-z_][a-z0-9_]*\)(.*/\1/p' "$T/a.trace" | sort -u >"$T/used"
echo "$TEST_NAME: tesserad made $(wc -l <"$T/used") distinct system calls: $(tr '\n' ' ' <"$T/used")"
for must in bind listen accept4 connect fdatasync epoll_wait; do
	grep -qx "$must" "$T/used" || _bad "the trace lacks $must: was the session traced?"
done
outside=$(comm -23 "$T/used" "$T/allowed" | tr '\n' ' ')
assert_eq "$outside" "" "system calls outside the unit's SystemCallFilter"
finish
