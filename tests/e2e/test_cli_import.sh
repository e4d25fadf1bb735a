#!/usr/bin/env bash
# Import is all or nothing (local and daemon-side rejections, across chunks);
# export from one node imports into another with the same records.
. "$(dirname "$0")/lib.sh"

DATA=$TESSERA_SRC/deploy/demo/data

node_init a
node_conf a
node_start a
cat "$DATA"/romania.jsonl "$DATA"/nagykovacsi.jsonl >"$T/seed.jsonl"
assert_exit 0 cli a import "$T/seed.jsonl"

# Fingerprint of everything node a holds: sorted id + version (tombstones too).
state() {
	cli a export | python3 -c 'import json, sys
for r in sorted((json.loads(l)["id"], json.loads(l)["version"]) for l in sys.stdin):
    print(*r)'
}
before=$(state)
[ -n "$before" ] || fail "seed import stored nothing"

good='{"kind": "resource", "texts": [{"lang": "en", "title": "Fine"}]}'

# rejected FILE CODE LINE WHAT: import FILE must fail with CODE naming LINE,
# and store nothing.
rejected() {
	assert_exit "$2" cli a import "$1"
	assert_contains "$ERR" "$1:$3:" "$4: error names line $3"
	assert_eq "$(echo "$ERR" | wc -l)" 1 "$4: one error line"
	assert_eq "$(state)" "$before" "$4: nothing stored"
}

printf '%s\n%s\n%s\n%s\n' "$good" "$good" '{"kind": "resource", "texts": [' "$good" >"$T/malformed.jsonl"
rejected "$T/malformed.jsonl" 7 3 "malformed JSON"

printf '%s\n\n{"kind": "resource", "texts": [{"lang": "en", "title": "bad \xc3\x28 utf8"}]}\n' \
	"$good" >"$T/utf8.jsonl"
rejected "$T/utf8.jsonl" 7 3 "invalid UTF-8"

printf '%s\n{"kind": "poem", "texts": [{"lang": "en", "title": "x"}]}\n' "$good" >"$T/kind.jsonl"
rejected "$T/kind.jsonl" 7 2 "unknown kind"

printf '%s\n{"kind": "resource", "title": "x"}\n' "$good" >"$T/key.jsonl"
rejected "$T/key.jsonl" 7 2 "unknown key"

# Oversize: fields within their own limit, the record over 64 KiB. The CLI
# cannot know the signed size, so this one is the daemon's verdict.
python3 - "$T/oversize.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"kind": "resource", "texts": [{"lang": "en", "title": "ok"}]}) + "\n")
    f.write(json.dumps({"kind": "resource", "texts": [{"lang": "en", "title": "big",
        "summary": "s" * 30000, "body": "b" * 50000}]}) + "\n")
PY
rejected "$T/oversize.jsonl" 7 2 "record over 64 KiB"

python3 - "$T/field.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"kind": "resource", "texts": [{"lang": "en", "title": "big",
        "body": "é" * 40000}]}) + "\n")
PY
rejected "$T/field.jsonl" 7 1 "body over the field limit"

# Several chunks (~1.2 MiB): a bad last line, found locally or by the daemon,
# still leaves nothing behind.
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
lines = [json.dumps({"kind": "resource", "tags": ["bulk"], "texts": [{"lang": "en",
    "title": "Bulk %d" % i, "body": ("line %d " % i) * 3000}]}) for i in range(40)]
open(t + "/bulk.jsonl", "w").write("\n".join(lines) + "\n")
open(t + "/bulk-local.jsonl", "w").write("\n".join(lines) + "\n{\"kind\": \"poem\"}\n")
big = json.dumps({"kind": "resource", "texts": [{"lang": "en", "title": "big",
    "summary": "s" * 30000, "body": "b" * 50000}]})
open(t + "/bulk-daemon.jsonl", "w").write("\n".join(lines) + "\n" + big + "\n")
# One chunk of 300 small records, signed on two threads (ctl_import.c): a
# record too large to sign in the middle names its line.
small = [json.dumps({"kind": "initiative", "texts": [{"lang": "ro",
    "title": "Mic %d" % i}]}) for i in range(300)]
small[149] = big
open(t + "/batches.jsonl", "w").write("\n".join(small) + "\n")
PY
rejected "$T/batches.jsonl" 7 150 "a record too large to sign among 300, line 150"
assert_exit 0 cli a --json list --lang ro
assert_not_contains "$OUT" "Mic " "nothing of the failed batched import is stored"
rejected "$T/bulk-local.jsonl" 7 41 "multi-chunk, bad last line (local)"
rejected "$T/bulk-daemon.jsonl" 7 41 "multi-chunk, bad last line (daemon)"
assert_exit 0 cli a import "$T/bulk.jsonl"
assert_contains "$OUT" "imported 40 records (40 created, 0 updated, 0 unchanged)" "multi-chunk import"
assert_exit 0 cli a --json list --tag bulk
assert_eq "$(echo "$OUT" | json 'len(d)')" 40 "multi-chunk records listed"

assert_exit 7 cli a import "$T/does-not-exist.jsonl"
assert_exit 0 cli a import - <"$DATA/italy.jsonl"
assert_exit 0 cli a --json import /dev/null
assert_eq "$(echo "$OUT" | json 'd["imported"]')" 0 "empty import"

# An "id" line updates that record.
assert_exit 0 cli a add resource --title "Before"
rid=$OUT
printf '{"kind": "resource", "id": "%s", "texts": [{"lang": "en", "title": "After"}]}\n' "$rid" \
	>"$T/update.jsonl"
assert_exit 0 cli a import "$T/update.jsonl"
assert_contains "$OUT" "1 updated" "import with id updates"
assert_eq "$(cli a --json show "$rid" | json 'd["texts"][0]["title"]')" After "updated title"

# --- export -> import into a fresh node ------------------------------------------
cli a delete "$rid" >/dev/null || fail "delete before export"
assert_exit 0 cli a export -o "$T/a.jsonl"
assert_contains "$OUT" "exported" "export -o summary"
assert_eq "$(wc -l <"$T/a.jsonl")" "$(cli a export | wc -l)" "export -o and stdout agree"
assert_eq "$(grep -c '"deleted":true' "$T/a.jsonl")" 1 "export keeps the tombstone"

# Importing a node's own export changes nothing.
assert_exit 0 cli a import "$T/a.jsonl"
assert_contains "$OUT" "(0 created, 0 updated," "own export reimports unchanged"

node_init b
node_conf b
node_start b
assert_exit 0 cli b import "$T/a.jsonl"
fingerprint='import json, sys
rows = []
for l in sys.stdin:
    r = json.loads(l)
    rows.append((r["id"], r["version"], r["signed"]["body"], r["signed"]["sig"]))
for r in sorted(rows):
    print(*r)'
assert_eq "$(cli b export --community "$(node_id a)" | python3 -c "$fingerprint")" \
	"$(python3 -c "$fingerprint" <"$T/a.jsonl")" "b holds a's records byte for byte"
assert_eq "$(cli b --json list --community "$(node_id a)" | json 'sorted(r["id"] for r in d)')" \
	"$(cli a --json list | json 'sorted(r["id"] for r in d)')" "b lists a's live records"
assert_exit 0 cli b --json communities
assert_eq "$(echo "$OUT" | json "[c['records'] > 0 for c in d if c['id'] == '$(node_id a)']")" \
	'[true]' "b knows community a"

finish
