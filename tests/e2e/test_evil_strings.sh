#!/usr/bin/env bash
# What a stranger's strings and clock can do (issue 16), with records signed
# by throwaway keys:
# - control characters in a record's short fields (title, language tag,
#   country, languages, tag, name) and controls other than tab and newline
#   in its long texts are refused at validation; so is a title that hides
#   bytes behind a NUL (checked on the wire bytes);
# - what does reach the terminal (zero-width characters and bidi controls
#   in texts, the user's own arguments echoed in errors, the daemon's log)
#   is escaped, checked byte for byte, while --json stays exact;
# - a record dated beyond max_clock_skew is refused on import and from a
#   peer (counted as "future" in status and metrics); within it, accepted.
set -u
. "$(dirname "$0")/synclib.sh"
. "$(dirname "$0")/strangerlib.sh"

sync_node a
sync_node b
sync_conf a b
sync_conf b a
# b trusts clocks a month ahead; a keeps the default (24h).
sed -i '/^\[node\]$/a max_clock_skew = 720h' "$T/b/tesserad.conf"
start_all a b
mkdir -p "$T/keys"
base=$(count a)
has_record() { cli "$1" show "$2" >/dev/null 2>&1; }

# refused WHAT SIGNREC-ARGS...: a's import of that one record fails, naming
# the line, and stores nothing.
refused() {
	local what=$1
	shift
	signed x "$@" >"$T/bad.jsonl"
	assert_exit 7 cli a import "$T/bad.jsonl"
	assert_contains "$ERR" "bad.jsonl:1: " "$what: refused, naming the line"
	assert_eq "$(count a)" "$base" "$what: nothing stored"
}
refused "OSC 52 in a title" --title $'Notes \e]52;c;Y3VybCBldmlsfHNo\a'
refused "CSI in a language tag" --title "Fine" --lang $'pt\e[2J'
refused "C1 control in a tag" --title "Fine" --tag $'a\xc2\x9bb'
refused "newline in a title" --title $'two\nlines'
refused "bidi override in a title" --title $'evil\xe2\x80\xaeroot'
refused "concealing CSI in a country" --kind profile --name "Sneaky" --country $'\e[8mPT'
refused "escape in a profile language" --kind profile --name "Sneaky" --languages $'pt,\e[8m'
refused "bidi isolate in a name" --kind profile --name $'A\xe2\x81\xa6B'
refused "carriage return in a summary" --title "Fine" --summary $'a\rb'
refused "escape in a summary" --title "Fine" --summary $'a\e[2Jb'
# "Looks harmless", a NUL, then 300 bytes that are not UTF-8: strlen saw 14.
raw=$(printf 'Looks harmless\0' | od -An -v -tx1 | tr -d ' \n')$(printf '\xff\xfe%.0s' $(seq 150) |
	od -An -v -tx1 | tr -d ' \n')
refused "bytes hidden after a NUL in a title" --raw-title "$raw"
assert_contains "$ERR" "string field with a NUL, a control character or bytes that are not UTF-8" \
	"the NUL case says why"

# Long texts keep tab and newline; invisible characters are shown escaped.
ZW=$'Zero\xe2\x80\x8bwidth'                              # U+200B
SUMMARY=$'Line one\twith a tab\n\xe2\x80\xaeesrever\xe2\x80\xac done' # U+202E ... U+202C
signed y --lang en --title "$ZW" --summary "$SUMMARY" >"$T/ok.jsonl"
assert_exit 0 cli a import "$T/ok.jsonl"
id=$(cli a --json list | jq -r --arg t "$ZW" '.[] | select(.texts[0].title == $t) | .id')
[ -n "$id" ] || fail "the record with invisible characters was not stored"
cli a show "$id" | sed -n '/^\[en\]/,$p' >"$T/show.out"
same_bytes "$T/show.out" '[en] Zero\\u200bwidth\n    Line one with a tab\n    \\u202eesrever\\u202c done\n' \
	"show: invisible and bidi characters escaped, lines kept"
cli a list >"$T/list.out"
assert_contains "$(cat "$T/list.out")" 'Zero\u200bwidth' "list: the title cell escaped"
assert_eq "$(cli a --json show "$id" | jq -r '.texts[0].summary')" "$SUMMARY" "--json show stays exact"
assert_exit 4 cli a list --community $'\e]0;owned\a'
same_bytes "$T/.err" "tessera: no community '\\\\x1b]0;owned\\\\x07'\n" "an echoed argument is escaped"

# The daemon's log: a name with a zero-width space, logged when blocked.
community a $'Quiet\xe2\x80\x8bname' 1 z
assert_exit 0 cli a block "$(author_id z)"
assert_contains "$(grep 'blocked by operator' "$(log_of a)")" 'Quiet\u200bname' "log: the name escaped"
check "log: no raw zero-width space" bash -c "! grep -q $'\xe2\x80\x8b' '$(log_of a)'"
base=$(count a)

# Far-future timestamps: refused on import beyond the skew, taken within.
refused "a record dated in year 9999" --title "Pinned on top" --timestamp 253402300799000
assert_contains "$ERR" "timestamp too far in the future" "year 9999: says why"
signed y --title "Two hours ahead" --timestamp $(( $(date +%s) * 1000 + 7200000 )) >"$T/soon.jsonl"
assert_exit 0 cli a import "$T/soon.jsonl"
# From a peer: b (skew 720h) takes a record dated ten days ahead; a must
# refuse it from b, count it, and still take b's next honest record.
signed w --title "Ten days ahead" --timestamp $(( $(date +%s) * 1000 + 864000000 )) >"$T/far.jsonl"
assert_exit 0 cli b import "$T/far.jsonl"
honest=$(add_record b "Honest, after the far one") || fail "add on b failed"
wait_for 15 has_record a "$honest" || fail "b's honest record did not reach a"
assert_eq "$(cli a --json list | jq '[.[] | select(.texts[0].title == "Ten days ahead")] | length')" 0 \
	"a did not store the record from ten days ahead"
assert_eq "$(cli a --json status | jq -r '.records_rejected')" 1 "a counted one rejected record"
assert_contains "$(cli a --json status | jq -r '.last_reject')" "timestamp too far in the future" \
	"a's last rejection says why"
finish
