# Helpers for the tests of what a stranger's validly signed records can do
# (test_evil_names.sh, test_evil_strings.sh; docs/hostile-peers.md, "Hostile
# authors and strangers"). Source after lib.sh.
#
# Records come from tests/tools/signrec: one throwaway Ed25519 key per
# author (a directory under $T/keys), imported through the real CLI as the
# signed export lines a relaying node would have stored.

: "${TESSERA_BUILD:=$TESSERA_SRC/build}"
SIGNREC=${SIGNREC:-$TESSERA_BUILD/tests/tools/signrec}
[ -x "$SIGNREC" ] || fail "$SIGNREC is not built (target signrec, tests/tools)"

# signed AUTHOR [signrec options...]: one signed line on stdout.
signed() {
	local who=$1
	shift
	"$SIGNREC" "$T/keys/$who" "$@" || fail "signrec $who $* failed"
}

# author_id AUTHOR: the node ID of a throwaway author (after its first record).
author_id() {
	"$TESSERAD" id --data "$T/keys/$1"
}

# community NODE NAME COUNT AUTHOR: AUTHOR's profile named NAME and COUNT-1
# records, imported into NODE (COUNT live records in all).
community() {
	local node=$1 name=$2 n=$3 who=$4 i
	mkdir -p "$T/keys"
	{
		signed "$who" --kind profile --name "$name" --country PT --languages pt
		for ((i = 1; i < n; i++)); do
			signed "$who" --lang pt --title "$name: registo $i"
		done
	} >"$T/$who.jsonl"
	cli "$node" import "$T/$who.jsonl" >/dev/null || fail "importing $who's records failed"
}

# held NODE AUTHOR: live records of AUTHOR on NODE (0 if unknown).
held() {
	cli "$1" --json communities |
		jq --arg id "$(author_id "$2")" '[.[] | select(.id == $id) | .records] | add // 0'
}

# same_bytes FILE EXPECTED WHAT: FILE holds exactly the bytes of EXPECTED
# (a printf format without arguments: escapes such as \033 allowed).
same_bytes() {
	printf "$2" >"$1.want"
	if cmp -s "$1" "$1.want"; then
		pass
	else
		_bad "$3: bytes differ; got (cat -v):
$(cat -v "$1")
want:
$(cat -v "$1.want")"
	fi
}
