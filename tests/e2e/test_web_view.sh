#!/usr/bin/env bash
# The web view (web_listen) in a real browser: headless Chromium against a
# live daemon holding sample records.
#
# a (Évora, web view on) and b (Nagykovácsi) sync; a also publishes a record
# whose title, body, tag and links carry markup, attribute breakers, a
# javascript: link, a right-to-left override and a zero-width space. We dump
# the DOM Chromium builds of each page and check it: search in Portuguese,
# Hungarian and English (interface language from ?ui= and from
# Accept-Language), filters, the record page (language versions and switch,
# every hostile string shown as text, no script, no javascript: href),
# communities, health; then SIGHUP with web_expose = yes hides the
# operator's parts. curl checks what a browser does not show: 405, 414, 400,
# 404 and the security headers. Screenshots go to $T/shots, or to
# $TESSERA_WEB_SHOTS (docs/img for the README: TESSERA_WEB_SHOTS=docs/img).
#
# Fails, never skips, when Chromium cannot start: a browser that CI cannot
# run is a broken test machine, not a reason to pass.
# shellcheck disable=SC2317 # helpers run indirectly, through check
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

DOM=$TESSERA_SRC/tests/e2e/webdom.py
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is required (Debian package chromium; deploy/build.sh installs it)"
command -v curl >/dev/null || fail "curl is required (deploy/build.sh installs it)"
SHOTS=${TESSERA_WEB_SHOTS:-$T/shots}
mkdir -p "$SHOTS"

# A fresh profile per run (a profile keeps the first --accept-lang it saw),
# nothing from the user's; no sandbox (CI runs as root).
chrome() {
	local profile
	profile=$(mktemp -d "$T/chrome.XXXXXX")
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --disable-extensions --disable-background-networking \
		--user-data-dir="$profile" "$@" 2>>"$T/chrome.log"
	local rc=$?
	rm -rf "$profile"
	return $rc
}
if ! chrome --accept-lang=en --dump-dom about:blank >"$T/blank.html" ||
	! grep -q '<html' "$T/blank.html"; then
	tail -n 5 "$T/chrome.log" >&2
	fail "$CHROMIUM is installed but cannot start headless (its log above)"
fi

sync_node a
sync_node b
WEB=$(free_port)
sync_conf a b
sync_conf b a
: "${TESSERA_BUILD:=$TESSERA_SRC/build}"
sed -i "s|^\[node\]$|[node]\nweb_listen = 127.0.0.1:$WEB\nweb_catalogues = $TESSERA_BUILD/locale|" \
	"$T/a/tesserad.conf"
node_start a
node_start b
import_sample a evora
import_sample b nagykovacsi
converge "a and b sync" "$(total_own a b)" a b

TITLE='<script>alert("t")</script> "quoted" '"'"'single'"'"' >'
EVIL=$(cli a add initiative --title "$TITLE" --lang en \
	--summary $'Hidden \u202eevil\u200b here' \
	--body $'Body "><img src=x onerror=alert(1)>\nline two' \
	--tag '"><b>tag' --link 'javascript:alert(document.domain)' \
	--link 'https://example.org/?a=1&b="2"') || fail "cannot publish the hostile record"
BASE=http://127.0.0.1:$WEB

# dom NAME PATH [ACCEPT-LANGUAGE]: the page's DOM into $T/NAME.html.
dom() {
	chrome --accept-lang="${3:-en}" --dump-dom "$BASE$2" >"$T/$1.html" ||
		fail "chromium could not load $2"
}
q() { python3 "$DOM" "$T/$1.html" "${@:2}"; }
has() { grep -qxF -- "$2" <<<"$1"; }
no_scripts() { [ "$(q "$1" scripts)" = 0 ]; }
# Every href is ours (/...) or an http(s) link.
safe_hrefs() { ! q "$1" hrefs | grep -vE '^(/|https?://)' | grep -q .; }

# --- search, in three languages --------------------------------------------
dom pt "/?q=ferramenta"
check "pt search finds the Portuguese text" has "$(q pt text h3)" "Ferramenta de perfil da comunidade"
check "interface in English by default" has "$(q pt text h1)" "Search what the network holds"
check "search keeps the query in the form" has "$(q pt attr input value)" "ferramenta"

dom hu "/?q=k%C3%B6z%C3%B6ss%C3%A9g&ui=hu"
check "hu search finds Nagykovácsi's record" has "$(q hu text h3)" "Nagykovácsi tanulói közösség"
check "?ui=hu: Hungarian interface" has "$(q hu text h1)" "Keresés a hálózat tartalmában"
check "?ui=hu is carried in links" has "$(q hu attr a href)" "/communities?ui=hu"

dom en "/?q=platform" "pt-PT,pt"
check "en search finds the English text" has "$(q en text h3)" "Community Platforms"
check "Accept-Language pt: Portuguese interface" has "$(q en text h1)" "Pesquisar o que a rede guarda"
check "html lang follows the interface" has "$(q en attr html lang)" "pt"

dom kind "/?kind=profile"
check "kind filter: the two profiles only" [ "$(q kind text li.hit | wc -l)" = 2 ]
dom comm "/?community=Nagykov%C3%A1csi&lang=hu"
check "community and language filters: Hungarian records only" \
	[ "$(q comm attr li.hit lang | sort -u | tr '\n' ' ')" = "hu " ]
check "community filter: Nagykovácsi's records only" \
	[ "$(q comm text p.meta | grep -vc ' · Nagykovácsi · ')" = 0 ]

# --- the hostile record ------------------------------------------------------
dom evil "/record/$EVIL"
check "record page: no script element, no on* attribute" no_scripts evil
check "record page: hrefs are ours or http(s)" safe_hrefs evil
check "the title is shown as text" has "$(q evil text h1)" "$TITLE"
check "the javascript: link is text, not a link" has "$(q evil text span.nolink)" \
	"javascript:alert(document.domain)"
check "the https link is a link" has "$(q evil attr a href)" 'https://example.org/?a=1&b="2"'
check "the bidi override is shown escaped" has "$(q evil text code.esc)" '\u202e'
check "the zero-width space is shown escaped" has "$(q evil text code.esc)" '\u200b'
check "no raw override or zero-width character in the DOM" \
	bash -c "! grep -q \$'\\u202e\\|\\u200b' '$T/evil.html'"
check "the body's markup is text" grep -qF 'Body "&gt;&lt;img src=x onerror=alert(1)&gt;' "$T/evil.html"
dom evils "/?q=quoted"
check "search result: the title as text" has "$(q evils text h3)" "$TITLE"
check "search result: no script" no_scripts evils

# --- a record in two languages ---------------------------------------------
REC=$(q pt link "Ferramenta de perfil da comunidade")
dom rec "$REC?text=pt"
check "language switch lists both versions" [ "$(q rec hrefs | grep 'text=' | grep -vc 'ui=')" = 2 ]
check "both language versions shown" [ "$(q rec attr article lang | tr '\n' ' ')" = "pt en " ]
check "?text=pt puts Portuguese first" has "$(q rec text h1)" "Ferramenta de perfil da comunidade"
check "the sample's link is a link" has "$(q rec attr a href)" "http://www.learningcommunities.eu"

# --- a practice's lineage -----------------------------------------------------
# Nagykovácsi (b) adopts Évora's tool with a hostile title; a draws the tree.
TOOL=${REC#/record/}
ATITLE='Adopted <svg onload=alert(1)> "here"'
ADOPT=$(cli b adopt "$TOOL" --title "$ATITLE" --lang hu --status running --started 2019-03-01) ||
	fail "b cannot adopt $TOOL"
arrived() { cli a show "$ADOPT" >/dev/null 2>&1; }
check "the adoption reaches a" wait_for 30 arrived
check "the record page links to its lineage" has "$(q rec hrefs)" "/lineage/$TOOL"
dom lin "/lineage/$ADOPT"
check "lineage page: no script element, no on* attribute" no_scripts lin
check "lineage page: the tree is drawn (inline SVG)" has "$(q lin attr svg role)" "img"
check "lineage page: the adoption's title is text" bash -c "python3 '$DOM' '$T/lin.html' text li |
	grep -qF -- '$ATITLE'"
check "lineage page: two communities in two countries" bash -c "python3 '$DOM' '$T/lin.html' text p |
	grep -qF '2 communities in 2 countries'"
check "lineage page: links to both records" bash -c "python3 '$DOM' '$T/lin.html' hrefs |
	grep -c '^/record/' | grep -qx 2"
chrome --accept-lang=en --window-size=900,700 --screenshot="$SHOTS/web-lineage.png" \
	"$BASE/lineage/$ADOPT" >/dev/null || fail "no lineage screenshot"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/lineage/00000000000000000000000000000000")" \
	404 "unknown lineage"

# --- attachments: listed on the record page, downloaded as opaque bytes ------
GUIDE=$TESSERA_SRC/tests/data/guides/xploit-izmenyaem-roli.ru.txt
GREC=$(cli a add resource --title "Xploit guide" --lang en --attach "$GUIDE") ||
	fail "cannot publish a record with an attachment"
dom att "/record/$GREC"
check "record page lists the attached file" has "$(q att text li)" \
	"xploit-izmenyaem-roli.ru.txt · $(awk -v n="$(stat -c %s "$GUIDE")" 'BEGIN { printf "%.0f", n / 1000 }') kB"
check "the attached file is a download link" has "$(q att hrefs)" "/attachment/$GREC-0"
curl -s -D "$T/att.headers" -o "$T/att.bin" "$BASE/attachment/$GREC-0"
check "the download is the file, byte for byte" cmp -s "$T/att.bin" "$GUIDE"
check "served as opaque bytes" grep -qi '^content-type: application/octet-stream' "$T/att.headers"
check "saved under its name" grep -qi "^content-disposition: attachment; filename\*=UTF-8''xploit-izmenyaem-roli.ru.txt" \
	"$T/att.headers"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/attachment/$GREC-1")" 404 \
	"no second attachment: 404"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/attachment/$GREC-x")" 404 \
	"a malformed index: 404"

# --- communities and health --------------------------------------------------
dom communities "/communities"
check "communities: Évora listed" has "$(q communities text h3)" "Évora"
check "communities: Nagykovácsi listed" has "$(q communities text h3)" "Nagykovácsi"
dom community "$(q communities link Nagykovácsi)"
check "a community's page lists what it published" has "$(q community text h3)" "Community Platforms"

dom health "/health"
check "health: plain words about peers" has "$(q health text p.peers)" "Connected to 1 of 1 peers."
check "health: attention section" has "$(q health text h2)" "Needs attention"
dom peers "/peers"
check "peers: addresses for the operator" has "$(q peers text td.address)" \
	"127.0.0.1:${NODE_PORT[b]}"
check "peers: in the navigation" has "$(q peers attr a href)" "/peers"

chrome --accept-lang=en --window-size=412,915 --hide-scrollbars --screenshot="$SHOTS/web-search.png" \
	"$BASE/?q=community" >/dev/null
chrome --accept-lang=pt --window-size=412,915 --hide-scrollbars --screenshot="$SHOTS/web-record.png" \
	"$BASE$REC?text=pt" >/dev/null
chrome --accept-lang=en --window-size=1000,760 --hide-scrollbars \
	--screenshot="$SHOTS/web-communities.png" "$BASE/communities" >/dev/null
chrome --accept-lang=hu --window-size=1000,760 --hide-scrollbars \
	--screenshot="$SHOTS/web-health.png" "$BASE/health" >/dev/null
for s in search record communities health lineage; do
	check "screenshot of $s" bash -c "file '$SHOTS/web-$s.png' | grep -q 'PNG image data'"
done

# --- exposed: the operator's parts are gone ----------------------------------
sed -i "s|^\[node\]$|[node]\nweb_expose = yes|" "$T/a/tesserad.conf"
kill -HUP "${NODE_PID[a]}"
wait_for 10 bash -c "grep -q 'reloaded' '$(log_of a)'" >/dev/null || fail "a did not reload"
dom exposed "/health"
check "exposed: no link to the peers' page" bash -c "! python3 '$DOM' '$T/exposed.html' hrefs | grep -q '^/peers'"
check "exposed: no peer address" bash -c "! grep -q '127.0.0.1:${NODE_PORT[b]}' '$T/exposed.html'"
check "exposed: no attention details" [ -z "$(q exposed text ul.attention)" ]
check "exposed: says the details stay on the machine" grep -q 'class="exposed"' "$T/exposed.html"
check "exposed: the public summary stays" has "$(q exposed text p.peers)" "Connected to 1 of 1 peers."
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/peers")" 404 "exposed: no peers' page"

# --- what a browser does not show -------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
assert_eq "$(code -X POST "$BASE/")" 405 "POST is refused"
assert_eq "$(code -X DELETE "$BASE/health")" 405 "DELETE is refused"
assert_eq "$(code -I "$BASE/health")" 200 "HEAD works"
assert_eq "$(code "$BASE/?q=$(head -c 3000 /dev/zero | tr '\0' a)")" 414 "a long target is refused"
assert_eq "$(code "$BASE/?q=$(head -c 300 /dev/zero | tr '\0' a)")" 400 "a long search is refused"
assert_eq "$(code "$BASE/?q=%zz")" 400 "a bad escape is refused"
assert_eq "$(code "$BASE/no/such/page")" 404 "unknown page"
assert_eq "$(code "$BASE/record/00000000000000000000000000000000")" 404 "unknown record"
H=$(curl -sI "$BASE/")
assert_contains "$H" "script-src 'none'" "CSP forbids scripts"
assert_contains "$H" "X-Content-Type-Options: nosniff" "nosniff"
assert_contains "$H" "Referrer-Policy: no-referrer" "no referrer"
# Eight clients at once: some pages wait for their share of the loop
# (suspended, then resumed); every one must still be answered, and the
# control socket must answer meanwhile.
python3 "$TESSERA_SRC/bench/webload.py" "$WEB" --clients 8 --seconds 4 --max 400 \
	--out "$T/load.ms" >"$T/load.out" &
LOADER=$!
sleep 1
check "the control socket answers during a page load" cli a status
wait "$LOADER" || fail "the page load failed"
read -r LOAD_N LOAD_ERR LOAD_RPS <"$T/load.out"
say "page load: $LOAD_N requests, $LOAD_ERR errors, $LOAD_RPS pages/s"
check "pages under load: all answered" test "$LOAD_N" -gt 0 -a "$LOAD_ERR" = 0
finish
