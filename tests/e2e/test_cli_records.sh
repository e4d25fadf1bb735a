#!/usr/bin/env bash
# CLI against one node: demo import, list counts, multilingual search,
# add/edit/show/delete, ID prefixes, exit codes.
. "$(dirname "$0")/lib.sh"

DATA=$TESSERA_SRC/deploy/demo/data

node_init a --country RO --languages ro,en
node_conf a
node_start a

# --- exit codes before anything is stored ------------------------------------
assert_exit 3 "$TESSERA" -s "$T/nowhere.sock" status
assert_contains "$ERR" "cannot connect to $T/nowhere.sock" "connect failure message"
assert_contains "$ERR" "is tesserad running?" "connect failure hint"
assert_exit 2 cli a list --no-such-option
assert_contains "$ERR" "see tessera list --help" "usage hint"
assert_eq "$(echo "$ERR" | wc -l)" 1 "one line per failure"
assert_exit 2 cli a show
assert_exit 2 cli a add poem --title x
assert_exit 0 cli a add --help
assert_contains "$OUT" "usage: tessera add" "command help"

# --- status --------------------------------------------------------------------
assert_exit 0 cli a status
assert_contains "$OUT" "$(node_id a)" "status shows the node ID"
assert_exit 0 cli a --json status
assert_eq "$(echo "$OUT" | json 'd["node_id"]')" "$(node_id a)" "status --json node_id"
assert_eq "$(echo "$OUT" | json 'd["name"]')" "a" "status --json name"

# --- import the demo data, file by file ------------------------------------------
want_records=$(python3 -c 'import json, sys, glob
n = 0
for f in glob.glob(sys.argv[1] + "/*.jsonl"):
    for line in open(f, encoding="utf-8"):
        if line.strip() and json.loads(line)["kind"] != "profile":
            n += 1
print(n)' "$DATA")
for f in "$DATA"/*.jsonl; do
	assert_exit 0 cli a import "$f"
	assert_contains "$OUT" "imported" "import $(basename "$f")"
done
assert_exit 0 cli a --json list
assert_eq "$(echo "$OUT" | json 'len([r for r in d if r["kind"] != "profile"])')" \
	"$want_records" "records after import"
assert_eq "$(echo "$OUT" | json 'len([r for r in d if r["kind"] == "profile"])')" 1 \
	"profile lines update the one profile"
assert_eq "$(echo "$OUT" | json 'sorted({r["community"] for r in d})')" "[\"$(node_id a)\"]" \
	"imported lines belong to this node"
assert_exit 0 cli a list --kind initiative --json
assert_eq "$(echo "$OUT" | json 'len(d)')" 2 "list --kind initiative"
assert_exit 0 cli a list --limit 3 --json
assert_eq "$(echo "$OUT" | json 'len(d)')" 3 "list --limit"
assert_exit 0 cli a list --tag community-platform --json
assert_eq "$(echo "$OUT" | json 'all("community-platform" in r["tags"] for r in d) and len(d) > 0')" \
	True "list --tag"
assert_exit 0 cli a list
assert_contains "$OUT" "TITLE" "human list header"
assert_eq "$(echo "$OUT" | python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))' | \
	awk '{print ($1 <= 100)}')" 1 "human list fits 100 columns"

# --- search ------------------------------------------------------------------------
assert_exit 0 cli a --json search comunitatii
assert_contains "$(echo "$OUT" | json '[t.get("title", "") for r in d for t in r["texts"]]')" \
	"comunității" "comunitatii finds comunității"
assert_contains "$(echo "$OUT" | json '[r["snippet"].lower() for r in d]')" "[comunității]" \
	"snippet highlights the match"
assert_eq "$(echo "$OUT" | json 'd[0]["lang"]')" ro "snippet language"
assert_exit 0 cli a --json search kozosseg
assert_contains "$(echo "$OUT" | json '[t.get("title", "") + t.get("summary", "") for r in d for t in r["texts"]]')" \
	"közösség" "kozosseg finds közösség"
assert_exit 0 cli a --json search проект
assert_contains "$(echo "$OUT" | json '[r["snippet"] for r in d]')" "Проект" \
	"lower-case Cyrillic finds a capitalised word"
assert_exit 0 cli a search comunitatii
assert_contains "$OUT" "[" "human search shows the highlighted snippet"
assert_exit 0 cli a --json search zzyzxnotaword
assert_eq "$(echo "$OUT" | json 'len(d)')" 0 "no matches is an empty array"
# How each hit matched (docs/search.md), and --exact.
assert_exit 0 cli a --json search comunității
assert_eq "$(echo "$OUT" | json 'd[0]["matched"]')" exact "as typed ranks first"
assert_exit 0 cli a --json search comunitatii
assert_eq "$(echo "$OUT" | json 'd[0]["matched"]')" folded "without diacritics: folded"
assert_exit 0 cli a --json search sotrudnichestvo
assert_eq "$(echo "$OUT" | json 'sorted(set(r["matched"] for r in d))')" '["transliterated"]' \
	"Russian typed in Latin letters"
assert_exit 0 cli a --json search --exact comunitatii
assert_eq "$(echo "$OUT" | json 'len(d)')" 0 "--exact: no folding"
assert_exit 7 cli a search "k*"
assert_contains "$ERR" "at least 2" "a 1-letter prefix is refused, saying why"

# --- add / edit / show / delete ----------------------------------------------------
assert_exit 0 cli a add initiative --title "Repair café" --lang en --summary "Fix things" \
	--tag repair --tag circular --link https://example.org/repair
id=$OUT
assert_eq "${#id}" 32 "add prints the full ID"
assert_exit 0 cli a --json show "${id:0:12}"
assert_eq "$(echo "$OUT" | json 'd["id"]')" "$id" "show by 12-digit prefix"
v1=$(echo "$OUT" | json 'd["version"]')
assert_eq "$(echo "$OUT" | json 'd["tags"]')" '["repair", "circular"]' "tags stored"
assert_eq "$(echo "$OUT" | json 'd["links"][0]["url"]')" https://example.org/repair "link stored"
assert_exit 0 cli a edit "${id:0:12}" --lang ro --title "Atelier de reparații" --no-links
assert_exit 0 cli a show "$id" --json
v2=$(echo "$OUT" | json 'd["version"]')
assert_eq "$(echo "$OUT" | json '{t["lang"]: t["title"] for t in d["texts"]}')" \
	'{"en": "Repair café", "ro": "Atelier de reparații"}' "edit adds a language"
assert_eq "$(echo "$OUT" | json 'd["links"]')" '[]' "edit --no-links"
assert_eq "$(echo "$OUT" | json 'd["tags"]')" '["repair", "circular"]' "edit keeps tags"
assert_eq "$(python3 -c "print($v2 > $v1)")" True "edit increases the version"
assert_exit 0 cli a show "$id"
assert_contains "$OUT" "Atelier de reparații" "human show"
assert_contains "$OUT" "$(node_id a)" "human show names the community"
assert_exit 0 cli a delete "$id"
assert_exit 0 cli a --json list
assert_eq "$(echo "$OUT" | json "len([r for r in d if r['id'] == '$id'])")" 0 \
	"deleted record leaves list"

# --- ID prefixes -----------------------------------------------------------------
assert_exit 4 cli a show 00000000000000000000000000000000
assert_exit 4 cli a edit 00000000000000000000000000000000 --title x
assert_exit 4 cli a delete 00000000000000000000000000000000
# With more than sixteen records, two share their first hex digit.
for i in 1 2 3 4 5 6; do
	cli a add resource --title "Filler $i" >/dev/null || fail "add filler $i"
done
ids=$(cli a --json list | json '"\n".join(r["id"] for r in d)')
shared=$(echo "$ids" | cut -c1 | sort | uniq -d | head -n 1)
if [ -n "$shared" ]; then
	assert_exit 5 cli a show "$shared"
	assert_contains "$ERR" "ambiguous" "ambiguous prefix message"
	# The deleted record may be among them: only count and shape are known.
	assert_eq "$(echo "$ERR" | grep -cE "^  $shared[0-9a-f]{31}\$" | awk '{print ($1 >= 2)}')" 1 \
		"ambiguous prefix lists the candidates"
else
	_bad "no shared one-digit prefix among $(echo "$ids" | wc -l) records"
fi

# --- daemon gone --------------------------------------------------------------
node_stop a
assert_exit 3 cli a status

finish
