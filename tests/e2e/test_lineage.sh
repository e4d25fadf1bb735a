#!/usr/bin/env bash
# Adoption lineage across a chain a - b - c of real daemons (a and c are
# not peers), through the CLI:
# - source first: a publishes a practice, b adopts it, c adopts b's
#   adoption (learned via b); every node shows the same tree of depth 2.
# - adoption first: an adoption authored on a reaches b before its source,
#   authored on c: b shows the source "not arrived yet", and the tree links
#   up when c's record comes.
# - withdrawn: c deletes that practice; b keeps a's adoption and shows the
#   source as withdrawn.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

setup() {
	sync_node a --country PT
	sync_node b --country HU
	sync_node c --country RO
	link a b
	link b c
	write_linked_confs a b c
	start_all a b c
}

has() { [[ -n $(version_of "$1" "$2") ]]; }
gone() { [[ -z $(version_of "$1" "$2") ]]; }

# lineage_json NAME ID [JQ]: NAME's lineage of ID, through jq.
lineage_json() {
	cli "$1" --json lineage "$2" | jq -r "${3:-.}"
}

# origin_state NAME ID STATE: the origin of ID's tree on NAME is in STATE.
origin_state() {
	[[ $(lineage_json "$1" "$2" '.nodes[0].state') == "$3" ]]
}

test_source_first() {
	local p xb xc out n
	p=$(add_record a "Community profile tool") || fail "add on a failed"
	wait_for "$SYNC_TIMEOUT" has b "$p" || fail "the practice did not reach b"
	xb=$(cli b adopt "$p" --title "Közösségi profil" --lang hu --status running \
		--started 2024-03-01) || fail "adopt on b failed"
	wait_for "$SYNC_TIMEOUT" has c "$xb" || fail "b's adoption did not reach c"
	# Adopting an adoption: its practice, learned via the adopter (b).
	xc=$(cli c adopt "$xb" --title "Profil comunitar" --lang ro) || fail "adopt on c failed"
	check "c's adoption names a's practice as its source" \
		test "$(cli c --json show "$xc" | jq -r '.adoption.source')" = "$p"
	check "c's adoption was learned via b" \
		test "$(norm_id "$(cli c --json show "$xc" | jq -r '.adoption.via')")" = \
		"$(norm_id "$(node_id b)")"
	out=$(cli c show "$xc")
	assert_contains "$out" "from       a (" "show names the practice's community"
	assert_contains "$out" "via        b (" "show names the community it was learned from"
	wait_for "$SYNC_TIMEOUT" has a "$xc" || fail "c's adoption did not reach a"
	for n in a b c; do
		out=$(lineage_json "$n" "$xc" \
			'[(.nodes | length), .depth, .communities, .countries, .nodes[0].id,
			  ([.nodes[] | select(.id == "'"$xc"'") | .parent][0] as $p | .nodes[$p].id)] | @tsv')
		assert_eq "$out" "$(printf '3\t2\t3\t3\t%s\t%s' "$p" "$xb")" \
			"$n: 3 nodes, depth 2, 3 communities in 3 countries, c under b under a"
	done
	out=$(cli a lineage "${p:0:10}")
	assert_contains "$out" "origin  a (PT)" "the tree starts at the origin community"
	assert_contains "$out" "running, started 2024-03-01" "an adoption shows status and date"
	assert_contains "$out" "3 communities in 3 countries, depth 2" "the tree is counted"
	out=$(cli b lineage "$xc" --dot)
	assert_contains "$out" "digraph lineage" "--dot prints a Graphviz graph"
	assert_eq "$(grep -c -- '->' <<<"$out")" 2 "--dot draws one edge per adoption"
	# Graphviz is not a test dependency: where it is installed, it must parse the graph.
	if command -v dot >/dev/null; then
		check "Graphviz reads the --dot output" dot -Tsvg -o "$T/lineage-dot.svg" <<<"$out"
	fi
	cli c lineage "$p" --svg >"$T/lineage.svg" || fail "lineage --svg failed"
	out=$(python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
print(r.tag == ns + "svg", len(r.findall(ns + "g")), len(r.findall(ns + "path")))' "$T/lineage.svg")
	assert_eq "$out" "True 3 2" "--svg: a well-formed SVG, a box per record, an edge per adoption"
	out=$(cli a lineage ffffffffffffffff 2>&1) && n=0 || n=$?
	assert_eq "$n" 4 "lineage of an unknown ID exits 4"
	refused 7 "only an adoption has a status" b edit "$p" --status running
	refused 6 "belongs to community" c edit "$xb" --status ended
	refused 2 "tessera adopt" b add adoption --title x
	refused 2 "not a date" b adopt "$p" --title x --started 2024-02-30
	refused 4 "no community" b adopt "$p" --title x --via nowhere-at-all
}

# refused CODE TEXT NAME ARGS...: the CLI on NAME exits CODE saying TEXT.
refused() {
	local code=$1 text=$2 out rc
	shift 2
	out=$(cli "$@" 2>&1) && rc=0 || rc=$?
	assert_eq "$rc" "$code" "exit status of: $*"
	assert_contains "$out" "$text" "message of: $*"
}

test_adoption_first() {
	local q xa line
	node_stop b
	q=$(add_record c "Repair café") || fail "add on c failed"
	# a's operator got c's practice by hand (a signed export), adopts it,
	# then blocks c: a holds the adoption and not its source.
	line=$(cli c export | jq -c --arg id "$q" 'select(.id == $id)')
	[[ -n $line ]] || fail "c's export lacks $q"
	printf '%s\n' "$line" >"$T/q.jsonl"
	cli a import "$T/q.jsonl" >/dev/null || fail "import of c's practice on a failed"
	xa=$(cli a adopt "$q" --title "Repair café Évora" --status planned) ||
		fail "adopt on a failed"
	cli a block "$(node_id c)" >/dev/null || fail "block on a failed"
	check "a no longer holds c's practice" gone a "$q"
	node_stop c
	node_start b
	wait_for "$SYNC_TIMEOUT" has b "$xa" || fail "a's adoption did not reach b"
	check "b holds the adoption, not its source" gone b "$q"
	check "b shows the source as not arrived yet" origin_state b "$xa" missing
	assert_contains "$(cli b lineage "$xa")" "(not arrived yet)" "the tree says so"
	check "b shows the source under c's key" test \
		"$(norm_id "$(lineage_json b "$xa" '.nodes[0].community')")" = "$(norm_id "$(node_id c)")"
	node_start c
	if wait_for "$SYNC_TIMEOUT" origin_state b "$xa" present; then
		pass
	else
		_bad "c's practice arrived on b but the tree did not link up"
		diagnose a b c
	fi
	check "the linked tree has the practice's title" test \
		"$(lineage_json b "$xa" '.nodes[0].title')" = "Repair café"
	ADOPTED=$q ADOPTION=$xa
}

test_withdrawn() {
	cli c delete "$ADOPTED" >/dev/null || fail "delete on c failed"
	wait_for "$SYNC_TIMEOUT" gone b "$ADOPTED" || fail "the tombstone did not reach b"
	check "b shows the source as withdrawn" origin_state b "$ADOPTION" withdrawn
	check "b keeps a's adoption" has b "$ADOPTION"
	assert_contains "$(cli b lineage "$ADOPTION")" "(withdrawn)" "the tree says so"
}

setup
test_source_first
test_adoption_first
test_withdrawn
finish
