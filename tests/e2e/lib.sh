# Shared helpers for the end-to-end tests; source it from bash.
#
# Environment: TESSERAD and TESSERA (binaries), TESSERA_SRC (repo root).
# Each test gets a private directory $T, removed on exit together with every
# daemon the test started (stopped by PID, never by name).

set -u

: "${TESSERA_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${TESSERAD:=$TESSERA_SRC/build/daemon/tesserad}"
: "${TESSERA:=$TESSERA_SRC/build/client/tessera}"
export TESSERA_SRC TESSERAD TESSERA

TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test_}
T=$(mktemp -d "${TMPDIR:-/tmp}/tessera-e2e.XXXXXX") || exit 1
PASSED=0
FAILED=0
declare -A NODE_PID=()
declare -A NODE_ID=()

for bin in "$TESSERAD" "$TESSERA"; do
	if [ ! -x "$bin" ]; then
		echo "$TEST_NAME: $bin is not an executable" >&2
		exit 1
	fi
done

# Stops one daemon: TERM, up to 5 s of grace, then KILL.
_stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "$TEST_NAME: daemon $pid ignored SIGTERM for 5 s, killed" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	# A process that exits non-zero on SIGTERM (a sanitizer report, say)
	# fails the test, with a line saying which one. 143 is "ended by the
	# SIGTERM we sent", what helper processes without a handler report.
	local rc=0
	wait "$pid" 2>/dev/null || rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 143 ] || {
		echo "$TEST_NAME: process $pid exited with status $rc" >&2
		return $rc
	}
	return 0
}

_cleanup() {
	local rc=$? name bad=0 m
	for name in "${!NODE_PID[@]}"; do
		_stop_pid "${NODE_PID[$name]}" || bad=1
	done
	for m in "${_MOUNTS[@]}"; do
		umount "$m" || echo "$TEST_NAME: cannot unmount $m" >&2
	done
	if [ -n "${KEEP_T:-}" ]; then
		echo "$TEST_NAME: kept $T" >&2
	else
		rm -rf "$T"
	fi
	[ $bad -eq 0 ] || [ $rc -ne 0 ] || exit 1
}
_MOUNTS=()
trap _cleanup EXIT

# mount_tmpfs DIR SIZE: a tmpfs of SIZE (e.g. 32m) on DIR, created, for a
# data directory that fills up; unmounted at exit. Needs root (CI runs as
# root); without it, or if the mount fails, the test fails saying why.
mount_tmpfs() {
	local err
	[[ $(id -u) == 0 ]] ||
		fail "needs root to mount a tmpfs as a data directory (mount -t tmpfs); run it as root, as CI does"
	mkdir -p "$1"
	err=$(mount -t tmpfs -o "size=$2,mode=0700" tessera-test "$1" 2>&1) ||
		fail "cannot mount a $2 tmpfs on $1: $err"
	_MOUNTS+=("$1")
}
trap 'exit 130' INT TERM

# --- assertions --------------------------------------------------------------

pass() {
	PASSED=$((PASSED + 1))
}

# A failed check: counted, and the test carries on so that one run reports
# every problem.
_bad() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $*" >&2
}

# fail MSG: prints MSG and ends the test (exit 1) when going on is pointless.
fail() {
	_bad "$@"
	finish
}

assert_eq() {
	if [ "$1" = "$2" ]; then
		pass
	else
		_bad "${3:-values differ}: expected '$2', got '$1'"
	fi
}

assert_contains() {
	case "$1" in
	*"$2"*) pass ;;
	*) _bad "${3:-missing text}: '$2' not in '$1'" ;;
	esac
}

assert_not_contains() {
	case "$1" in
	*"$2"*) _bad "${3:-unexpected text}: '$2' in '$1'" ;;
	*) pass ;;
	esac
}

# assert_exit CODE CMD...: runs CMD, checks its exit status. Its stdout and
# stderr are kept in $OUT and $ERR for further checks.
assert_exit() {
	local want=$1 got
	shift
	"$@" >"$T/.out" 2>"$T/.err"
	got=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
	if [ "$got" -eq "$want" ]; then
		pass
	else
		_bad "exit $got (want $want): $*${ERR:+ -- stderr: $ERR}"
	fi
}

# Prints the summary line and exits non-zero on any failure.
finish() {
	echo "$TEST_NAME: $PASSED passed, $FAILED failed"
	if [ "$FAILED" -ne 0 ]; then
		exit 1
	fi
	exit 0
}

# --- nodes -------------------------------------------------------------------

# node_init NAME [init args...]: creates a node; its ID is then `node_id NAME`.
node_init() {
	local name=$1 id
	shift
	mkdir -p "$T/$name"
	id=$("$TESSERAD" init --data "$T/$name/data" --name "$name" "$@" 2>"$T/$name/init.err") ||
		fail "tesserad init $name failed: $(cat "$T/$name/init.err")"
	NODE_ID[$name]=$id
}

node_id() {
	echo "${NODE_ID[$1]}"
}

# node_conf NAME [extra lines...]: writes $T/NAME/tesserad.conf.
node_conf() {
	local name=$1 line
	shift
	mkdir -p "$T/$name"
	{
		printf '[node]\ndata = %s\ncontrol_socket = %s\n' "$T/$name/data" "$T/$name/ctl.sock"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$T/$name/tesserad.conf"
}

# node_start NAME: runs the daemon in the background and waits until it
# answers status (10 s at most).
node_start() {
	node_start_with "$1" "$TESSERAD" -c "$T/$1/tesserad.conf"
}

# node_start_with NAME CMD...: node_start with the daemon's own command line,
# possibly behind wrappers (ip netns exec, unshare, sh -c '... exec') that
# exec it, so that the PID recorded for the cleanup is the daemon's.
node_start_with() {
	local name=$1 i
	shift
	"$@" 2>>"$T/$name/log" &
	NODE_PID[$name]=$!
	for i in $(seq 100); do
		if "$TESSERA" -s "$T/$name/ctl.sock" status >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "${NODE_PID[$name]}" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	fail "node $name did not start; log tail:
$(tail -n 20 "$T/$name/log" 2>/dev/null)"
}

node_stop() {
	local name=$1
	if [ -n "${NODE_PID[$name]:-}" ]; then
		_stop_pid "${NODE_PID[$name]}"
		unset "NODE_PID[$name]"
	fi
}

# cli NAME ARGS...: the CLI against NAME's daemon.
cli() {
	local name=$1
	shift
	"$TESSERA" -s "$T/$name/ctl.sock" "$@"
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# json EXPR: evaluates a Python expression over the JSON document on stdin,
# bound to d, and prints the result.
json() {
	python3 -c "import json, sys
d = json.load(sys.stdin)
r = $1
print(r if not isinstance(r, (list, dict)) else json.dumps(r, ensure_ascii=False))"
}
