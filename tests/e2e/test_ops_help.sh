#!/usr/bin/env bash
# --help on every subcommand of tessera and tesserad: exit 0, a usage line on
# stdout naming the command, nothing on stderr. The list of tessera commands
# comes from `tessera --help` itself, so a new command is covered at once.
set -u
. "$(dirname "$0")/lib.sh"

# check_help WHO WANT CMD...: CMD --help-style call must exit 0 with a
# "usage: WANT" line on stdout and an empty stderr.
check_help() {
	local want=$1
	shift
	assert_exit 0 "$@"
	assert_contains "$OUT" "usage: $want" "$*: usage line"
	assert_eq "$ERR" "" "$*: stderr"
}

assert_exit 0 "$TESSERA" --help
cmds=$(awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' <<<"$OUT")
n=$(wc -w <<<"$cmds")
echo "$TEST_NAME: tessera commands: $(tr '\n' ' ' <<<"$cmds")"
if [ "$n" -lt 10 ]; then
	_bad "found only $n commands in tessera --help"
fi
for c in $cmds; do
	check_help "tessera $c" "$TESSERA" "$c" --help
	check_help "tessera $c" "$TESSERA" "$c" -h
done
check_help "tessera" "$TESSERA" help

check_help "tesserad" "$TESSERAD" --help
check_help "tesserad" "$TESSERAD" -h
for c in init id; do
	check_help "tesserad" "$TESSERAD" "$c" --help
	assert_contains "$OUT" "tesserad $c " "tesserad $c --help mentions $c"
done

# A wrong option is still a usage error (exit 2), not a help.
assert_exit 2 "$TESSERA" status --no-such-option
assert_exit 2 "$TESSERAD" id --no-such-option

finish
