#!/usr/bin/env bash
# Names never override identities (issue 16). Strangers' validly signed
# profiles copy a community's name (a Cyrillic "а", NFD, a zero-width space,
# other case), or name themselves after another community's short ID. For
# each command that takes a community: an ID or ID prefix wins, a name
# matches only when no other name looks like it, an ambiguous one fails
# listing every candidate by full ID and changes nothing; block given a
# name shows the full ID and the record count and needs --yes. Look-alikes
# are flagged in `tessera communities` and `tessera status`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/strangerlib.sh"

node_init a --country PT --languages pt
node_conf a
node_start a

EVORA=$'\xc3\x89vora'                     # NFC, as the real one writes it
FAKE=$'\xc3\x89vor\xd0\xb0'              # Cyrillic "а" at the end
community a "$EVORA" 4 real
real=$(author_id real)

# Alone, the name is unique: block by name only shows what it would do.
assert_exit 7 cli a block "$EVORA"
same_bytes "$T/.err" "tessera: '$EVORA' is a name: blocking community $real ($EVORA) removes its 4 records; give its ID, or add --yes to confirm\n" \
	"block by name without --yes: full ID and record count"
assert_eq "$(held a real)" 4 "block by name without --yes removes nothing"

community a "$FAKE" 2 fake
fake=$(author_id fake)
ambiguous() {
	local what=$1
	shift
	assert_exit 5 cli a "$@"
	assert_contains "$ERR" "ambiguous community" "$what: ambiguous"
	assert_contains "$ERR" "  $real  $EVORA (4 records)" "$what: the real one by full ID"
	assert_contains "$ERR" "  $fake  $FAKE (2 records)" "$what: the impostor by full ID"
}
# The attack of the issue: typed to get rid of the impostor, this blocked
# the real community and deleted its records.
ambiguous "block by name" block "$EVORA"
ambiguous "block --yes by name" block --yes "$EVORA"
ambiguous "unblock by name" unblock "$EVORA"
ambiguous "list by name" list --community "$EVORA"
ambiguous "search by name" search registo --community "$EVORA"
ambiguous "export by name" export --community "$EVORA"
ambiguous "NFD form" list --community $'E\xcc\x81vora'
ambiguous "upper case" list --community $'\xc3\x89VORA'
ambiguous "zero-width space" list --community $'\xc3\x89v\xe2\x80\x8bora'
ambiguous "the impostor's own spelling" block "$FAKE"
assert_eq "$(held a real)" 4 "ambiguous names removed nothing of the real one"
assert_eq "$(held a fake)" 2 "ambiguous names removed nothing of the impostor"

# Flagged where the operator looks.
cli a communities >"$T/communities.out" || fail "communities failed"
assert_contains "$(cat "$T/communities.out")" "looks like $EVORA (${real:0:7}"$'\xe2\x80\xa6'")" \
	"communities flags the impostor"
assert_contains "$(cat "$T/communities.out")" "looks like $FAKE (${fake:0:7}"$'\xe2\x80\xa6'")" \
	"communities flags the original too"
assert_eq "$(cli a --json communities | jq -r --arg id "$fake" '.[] | select(.id == $id) | .looks_like')" \
	"$real" "communities --json: looks_like"
assert_contains "$(cli a status)" "community \"$FAKE\" ($fake) has a name that looks like \"$EVORA\" ($real)" \
	"status needs attention: the look-alike"

# IDs and ID prefixes always work, and nothing else is touched.
assert_exit 0 cli a list --community "${real:0:7}"
assert_eq "$(cli a --json list --community "${real:0:7}" | jq length)" 4 "list by short ID"
assert_exit 0 cli a block "$fake"
same_bytes "$T/.out" "blocked $FAKE ($fake): 2 records removed\n" "block by full ID names what it blocked"
assert_eq "$(held a real)" 4 "blocking the impostor by ID keeps the real one"
assert_eq "$(held a fake)" 0 "the impostor's records are gone"
assert_exit 0 cli a unblock "${fake:0:7}"

# A profile named after another community's short ID takes nothing over.
community a "${real:0:7}" 3 squat
assert_eq "$(cli a --json list --community "${real:0:7}" | jq -r '[.[].community] | unique | .[]')" \
	"$real" "list by short ID: the ID's records, not the squatter's"
assert_exit 0 cli a unblock "${real:0:7}"
same_bytes "$T/.out" "unblocked $EVORA ($real)\n" "unblock by short ID: the ID's community"
assert_exit 0 cli a export --community "${real:0:7}"
assert_eq "$(jq -s -r '[.[].community] | unique | .[]' <<<"$OUT")" "$real" \
	"export by short ID: the ID's records, not the squatter's"
assert_eq "$(held a squat)" 3 "the squatter's records are there, just not named by that ID"

# A unique name still works, with --yes for block.
community a "Wales" 2 wales
wales=$(author_id wales)
assert_exit 0 cli a --json list --community wales
assert_exit 0 cli a block --yes Wales
same_bytes "$T/.out" "blocked Wales ($wales): 2 records removed\n" "block --yes by unique name"
assert_eq "$(held a wales)" 0 "block --yes by name removed its records"
finish
