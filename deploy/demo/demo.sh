#!/usr/bin/env bash
# Tessera demo: six community nodes on 127.0.0.1, wired as a ring.
#
#   deploy/demo/demo.sh start   install missing packages and build (deploy/build.sh),
#                               stop any running demo, create six fresh nodes,
#                               import each community's records into its own
#                               node, wait until every node holds everything,
#                               print a summary and a multilingual search, then
#                               publish adoptions of Évora's Community Profile
#                               tool and show its lineage
#   deploy/demo/demo.sh stop    stop the demo's daemons (by their pid files)
#   deploy/demo/demo.sh status  show which demo daemons are running
#
# Environment:
#   TESSERAD, TESSERA  the binaries (default: build/daemon/tesserad and
#                      build/client/tessera under the repository root)
#   DEMO_RUN           state directory (default: demo-run/ under the root)
#   DEMO_TIMEOUT       seconds to wait for the ring to converge (default 60)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA_DIR=$HERE/data
RUN=${DEMO_RUN:-$ROOT/demo-run}
TIMEOUT=${DEMO_TIMEOUT:-60}

# Ring order: each community peers with the one before and the one after.
COMMUNITIES=(evora nagykovacsi wales romania catalonia italy)
N=${#COMMUNITIES[@]}
# The node whose search results the demo shows.
SHOWCASE=evora
QUERIES=(comunitatii kozosseg aprenentatge learning)

declare -A PORT ID NAME

# Column widths count characters, not bytes ("Évora"): use a UTF-8 locale.
for _l in C.UTF-8 C.utf8 en_US.UTF-8 en_US.utf8; do
	if locale -a 2>/dev/null | grep -qx "$_l"; then
		export LC_ALL=$_l
		break
	fi
done

say() { printf '%s\n' "$*"; }
warn() { printf 'demo: %s\n' "$*" >&2; }

# Resolves a binary from the environment or the default build directory.
resolve_bin() {
	local var=$1 default=$2 path
	path=${!var:-$ROOT/$default}
	case $path in /*) ;; *) path=$PWD/$path ;; esac
	if [[ ! -x $path ]]; then
		warn "$path not found or not executable"
		warn "build first: cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j"
		exit 1
	fi
	printf '%s' "$path"
}

dir_of() { printf '%s/%s' "$RUN" "$1"; }
sock_of() { printf '%s/data/ctl.sock' "$(dir_of "$1")"; }
log_of() { printf '%s/tesserad.log' "$(dir_of "$1")"; }
pid_file_of() { printf '%s/tesserad.pid' "$(dir_of "$1")"; }
cli() { local c=$1; shift; "$TESSERA" -s "$(sock_of "$c")" "$@"; }

# --- processes -----------------------------------------------------------

# True if pid is alive and runs a tesserad binary (not a recycled pid).
is_tesserad() {
	local pid=$1 exe comm
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null || ps -o comm= -p "$pid" 2>/dev/null || true)
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
	[[ $comm == tesserad* || $exe == */tesserad ]]
}

# Stops the daemon recorded in one pid file; bounded wait, then SIGKILL.
stop_one() {
	local pidfile=$1 pid i
	pid=$(cat "$pidfile" 2>/dev/null || true)
	if ! is_tesserad "$pid"; then
		rm -f "$pidfile"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		warn "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	say "stopped $(basename "$(dirname "$pidfile")") (pid $pid)"
	rm -f "$pidfile"
}

stop_all() {
	local f
	[[ -d $RUN ]] || return 0
	for f in "$RUN"/*/tesserad.pid; do
		[[ -e $f ]] || continue
		stop_one "$f"
	done
	return 0
}

# --- setup ---------------------------------------------------------------

port_in_use() {
	local p=$1
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
	fi
}

# Picks N + 1 consecutive free ports in a random spot of 20000-59999: one
# per node, then the showcase node's web view (WEB_PORT).
pick_ports() {
	local try base i ok
	for ((try = 0; try < 50; try++)); do
		base=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		ok=1
		for ((i = 0; i <= N; i++)); do
			if port_in_use $((base + i)); then ok=0; break; fi
		done
		if ((ok)); then
			for ((i = 0; i < N; i++)); do PORT[${COMMUNITIES[i]}]=$((base + i)); done
			WEB_PORT=$((base + N))
			return 0
		fi
	done
	warn "no free range of $N ports found on 127.0.0.1"
	exit 1
}

profile_field() { head -n 1 "$DATA_DIR/$1.jsonl" | jq -r "$2"; }

init_node() {
	local c=$1 name country langs id dir
	dir=$(dir_of "$c")
	name=$(profile_field "$c" '.name')
	country=$(profile_field "$c" '.country // empty')
	langs=$(profile_field "$c" '(.languages // []) | join(",")')
	mkdir -p "$dir"
	local args=(init --data "$dir/data" --name "$name")
	[[ -n $country ]] && args+=(--country "$country")
	[[ -n $langs ]] && args+=(--languages "$langs")
	if ! id=$("$TESSERAD" "${args[@]}" 2>"$dir/init.err"); then
		warn "tesserad init failed for $c:"
		cat "$dir/init.err" >&2
		exit 1
	fi
	ID[$c]=$id
	NAME[$c]=$name
}

neighbour() { printf '%s' "${COMMUNITIES[(($1 + $2 + N) % N)]}"; }

write_config() {
	local i=$1 c=${COMMUNITIES[$1]} p dir
	dir=$(dir_of "$c")
	{
		printf '# Tessera demo node "%s" (generated by demo.sh)\n' "${NAME[$c]}"
		printf '[node]\ndata = %s/data\ncontrol_socket = %s\nlisten = 127.0.0.1:%s\n' \
			"$dir" "$(sock_of "$c")" "${PORT[$c]}"
		if [[ $c == "$SHOWCASE" ]]; then
			# The web view (docs/web.md), with the translations of this build.
			printf 'web_listen = 127.0.0.1:%s\n' "$WEB_PORT"
			if [[ -d $CATALOGUES ]]; then
				printf 'web_catalogues = %s\n' "$CATALOGUES"
			fi
		fi
		# Attachments travel on demand only, so that `tessera get` shows a
		# file pulled along the ring.
		printf '\n[limits]\nattach_auto_fetch = 0\n'
		for p in "$(neighbour "$i" -1)" "$(neighbour "$i" 1)"; do
			printf '\n[peer "%s"]\naddress = 127.0.0.1:%s\nid = %s\n' "$p" "${PORT[$p]}" "${ID[$p]}"
		done
	} >"$dir/tesserad.conf"
}

fail_node() {
	local c=$1; shift
	warn "$c: $*"
	warn "last lines of $(log_of "$c"):"
	tail -n 25 "$(log_of "$c")" >&2 2>/dev/null || true
	stop_all >/dev/null
	warn "the demo is stopped; state and logs remain in $RUN"
	exit 1
}

start_node() {
	local c=$1 dir pid i
	dir=$(dir_of "$c")
	# setsid: the daemons outlive this script and ignore its terminal's ^C.
	setsid "$TESSERAD" -c "$dir/tesserad.conf" </dev/null >>"$(log_of "$c")" 2>&1 &
	pid=$!
	echo "$pid" >"$(pid_file_of "$c")"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || fail_node "$c" "tesserad exited during start-up"
		cli "$c" status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail_node "$c" "control socket $(sock_of "$c") did not answer within 10 s"
}

import_node() {
	local c=$1 out
	if ! out=$(cli "$c" import "$DATA_DIR/$c.jsonl" 2>&1); then
		printf '%s\n' "$out" >&2
		fail_node "$c" "import of $DATA_DIR/$c.jsonl failed"
	fi
}

# Records every node must end up with: one per line of every data file (a
# file's profile line replaces the profile that init created).
expected_total() {
	local c n=0
	for c in "${COMMUNITIES[@]}"; do
		n=$((n + $(grep -c '[^[:space:]]' "$DATA_DIR/$c.jsonl")))
	done
	printf '%s' "$n"
}

# Number of live records a node holds; 0 if it does not answer.
held() {
	local n
	n=$(cli "$1" --json list --limit 1000 2>/dev/null | jq 'length' 2>/dev/null) || n=0
	[[ $n =~ ^[0-9]+$ ]] || n=0
	printf '%s' "$n"
}

wait_converged() {
	local want=$1 deadline c n lagging
	deadline=$((SECONDS + TIMEOUT))
	while :; do
		lagging=""
		for c in "${COMMUNITIES[@]}"; do
			kill -0 "$(cat "$(pid_file_of "$c")")" 2>/dev/null ||
				fail_node "$c" "tesserad is no longer running"
			n=$(held "$c")
			((n == want)) || lagging+=" $c($n)"
		done
		[[ -z $lagging ]] && return 0
		if ((SECONDS >= deadline)); then
			warn "not converged after $TIMEOUT s; want $want records, lagging:$lagging"
			for c in "${COMMUNITIES[@]}"; do
				warn "--- peers of $c"
				cli "$c" peers >&2 2>&1 || true
			done
			c=${lagging# }
			fail_node "${c%%(*}" "did not receive every record"
		fi
		sleep 0.5
	done
}

# --- output --------------------------------------------------------------

# pad TEXT WIDTH: TEXT cut or padded to WIDTH characters.
pad() {
	local t=${1:0:$2}
	printf '%s%*s' "$t" $(($2 - ${#t})) ''
}

summary() {
	local c s
	say ""
	printf '%s  %-8s  %7s  %s\n' "$(pad COMMUNITY 32)" "NODE ID" RECORDS "PEERS CONNECTED"
	for c in "${COMMUNITIES[@]}"; do
		s=$(cli "$c" --json status)
		printf '%s  %-8s  %7s  %s\n' "$(pad "$(jq -r .name <<<"$s")" 32)" "${ID[$c]%%-*}" \
			"$(held "$c")" "$(jq -r '"\(.peers_connected) of \(.peers_configured)"' <<<"$s")"
	done
}

# Ring distance between two communities, by their position.
hops() {
	local a=$1 b=$2 d
	d=$(((a - b + N) % N))
	if ((d > N - d)); then d=$((N - d)); fi
	printf '%s' "$d"
}

showcase() {
	local me=$SHOWCASE i mi=0 q results map=""
	for i in "${!COMMUNITIES[@]}"; do
		if [[ ${COMMUNITIES[i]} == "$me" ]]; then mi=$i; fi
	done
	# node ID -> "name<TAB>hops" for the annotation.
	for i in "${!COMMUNITIES[@]}"; do
		map+="${ID[${COMMUNITIES[i]}]}	$(hops "$mi" "$i")
"
	done
	say ""
	say "Search on ${NAME[$me]}'s node (its direct peers: ${NAME[$(neighbour "$mi" -1)]}, ${NAME[$(neighbour "$mi" 1)]})."
	say "Accents and case are ignored; '<- N hops' marks records authored by a community"
	say "that ${NAME[$me]} is NOT peered with: they travelled through the ring."
	for q in "${QUERIES[@]}"; do
		say ""
		say "\$ tessera search $q"
		results=$(cli "$me" --json search "$q" --limit 5) || fail_node "$me" "search '$q' failed"
		if [[ $(jq length <<<"$results") == 0 ]]; then
			say "  (no matches)"
			continue
		fi
		jq -r --arg map "$map" '
			($map | split("\n") | map(select(length > 0) | split("\t") | {(.[0]): (.[1] | tonumber)}) | add) as $hops
			| .[]
			| ($hops[.community] // -1) as $h
			| "  \(.community_name // "?" | .[0:32] | . + " " * (32 - length))  \((.snippet // .texts[0].title // "") | gsub("\n"; " ") | .[0:64])"
			  + (if $h > 1 then "   <- \($h) hops, not a direct peer" elif $h == 1 then "   (direct peer)" elif $h == 0 then "   (own record)" else "" end)
		' <<<"$results"
	done
}

# --- adoptions ------------------------------------------------------------

# record_id NODE AUTHOR TITLE: the ID of AUTHOR's record titled TITLE (in any
# language) as NODE holds it.
record_id() {
	cli "$1" --json list --community "${ID[$2]}" --limit 1000 |
		jq -r --arg t "$3" '[.[] | select(any(.texts[]; .title == $t))][0].id // empty'
}

# wait_record NODE ID: until NODE holds record ID (bounded by TIMEOUT).
wait_record() {
	local deadline=$((SECONDS + TIMEOUT))
	until cli "$1" show "$2" >/dev/null 2>&1; do
		((SECONDS < deadline)) || fail_node "$1" "record $2 did not arrive"
		sleep 0.2
	done
}

# adopt NODE SOURCE ARGS...: NODE's community adopts SOURCE; prints its ID.
adopt() {
	local c=$1 src=$2 id
	shift 2
	wait_record "$c" "$src"
	id=$(cli "$c" adopt "$src" "$@") || fail_node "$c" "tessera adopt $src failed"
	printf '%s' "$id"
}

# Évora's tool spreads: Nagykovácsi and Wales take it from Évora, Romania
# learns it from Nagykovácsi (adopting Nagykovácsi's adoption), Catalonia
# from Romania. Each adoption is published on its own node and travels the
# ring; the lineage is then shown on Évora's node.
lineage_demo() {
	local tool hu ro cat
	tool=$(record_id evora evora "Community Profile tool")
	[[ -n $tool ]] || fail_node evora "the Community Profile tool is missing"
	hu=$(adopt nagykovacsi "$tool" --lang hu --title "Közösségi profil Nagykovácsiban" \
		--summary "A közösségi profil eszköz helyi igényfelméréshez igazítva." \
		--status running --started 2019-03-01)
	adopt wales "$tool" --lang en --title "Community profile for Welsh valleys" \
		--status ended --started 2018-10-01 >/dev/null
	ro=$(adopt romania "$hu" --lang ro --title "Profilul comunității, adaptat" \
		--summary "Preluat de la Nagykovácsi, cu chestionare în limba română." \
		--status running --started 2020-09-15)
	cat=$(adopt catalonia "$ro" --lang ca --title "Perfil de la comunitat" \
		--status planned --started 2026-01-10)
	wait_record evora "$cat"
	say ""
	say "Adoptions: Nagykovácsi and Wales took Évora's Community Profile tool, Romania"
	say "learned it from Nagykovácsi, Catalonia from Romania (each published on its own"
	say "node). The lineage, asked on Évora's node from Catalonia's adoption:"
	say ""
	say "\$ tessera lineage ${cat:0:12}"
	cli evora lineage "${cat:0:12}" | sed 's/^/  /' || fail_node evora "tessera lineage failed"
	LINEAGE_ID=${cat:0:12}
}

# România publishes the Xploit guides as attachments; Évora, three hops
# away, fetches the Russian one on demand through the ring.
GUIDES=$ROOT/tests/data/guides
GUIDE=xploit-izmenyaem-roli.ru.txt
guides() {
	local args=() f id i
	for f in "$GUIDES"/*.txt; do args+=(--attach "$f"); done
	id=$(cli romania add resource --lang ro --title "Ghiduri Xploit / Xploit guides" \
		--summary "Ghidurile și paginile Xploit, ca fișiere atașate" "${args[@]}") ||
		fail_node romania "add --attach of the guides failed"
	for ((i = 0; i < TIMEOUT * 10; i++)); do
		cli "$SHOWCASE" show "$id" >/dev/null 2>&1 && break
		sleep 0.1
	done
	say ""
	say "România attached the Xploit guides to a record; on ${NAME[$SHOWCASE]}'s node (3 hops away):"
	say "\$ tessera show $id"
	cli "$SHOWCASE" show "$id" | sed -n '/^attached/,/^$/p' | sed '/^$/d; s/^/  /'
	say "\$ tessera get $id $GUIDE -o $RUN/$GUIDE"
	cli "$SHOWCASE" get "$id" "$GUIDE" -o "$RUN/$GUIDE" 2>&1 | sed 's/^/  /' ||
		fail_node "$SHOWCASE" "get of $GUIDE failed"
	if cmp -s "$RUN/$GUIDE" "$GUIDES/$GUIDE"; then
		say "  (the same bytes as România's file, every 64 KiB chunk checked against the signed hash)"
	else
		fail_node "$SHOWCASE" "$GUIDE differs from the original"
	fi
	GUIDES_ID=$id
}

howto() {
	local me=$SHOWCASE
	say ""
	say "Try it yourself:"
	say "  $TESSERA -s $(sock_of "$me") search 'comunitatii'"
	say "  $TESSERA -s $(sock_of "$me") list"
	say "  $TESSERA -s $(sock_of "$me") peers"
	say "  $TESSERA -s $(sock_of "$me") lineage ${LINEAGE_ID:-ID} --dot | dot -Tsvg > lineage.svg"
	say "  $TESSERA -s $(sock_of "$me") add initiative --title 'Reading circle' --lang en"
	say "  (then watch it appear on the far side of the ring:"
	say "   $TESSERA -s $(sock_of romania) search 'reading circle')"
	say "  $TESSERA -s $(sock_of "$me") get ${GUIDES_ID:-ID} xploit-a-learning-community.en.txt"
	say "In a browser (search, records, lineage, attached files, health): http://127.0.0.1:$WEB_PORT/"
	say "Logs and configs: $RUN/<community>/"
	say "Stop the demo:    $HERE/demo.sh stop"
}

# --- commands ------------------------------------------------------------

cmd_start() {
	local c i total
	# On a fresh machine: install the Debian packages and build (an
	# incremental no-op when nothing changed). Skipped when binaries are given.
	if [[ -z ${TESSERAD:-} || -z ${TESSERA:-} ]]; then
		"$ROOT/deploy/build.sh" build >/dev/null || { warn "build failed"; exit 1; }
	fi
	TESSERAD=$(resolve_bin TESSERAD build/daemon/tesserad)
	TESSERA=$(resolve_bin TESSERA build/client/tessera)
	CATALOGUES=$(cd "$(dirname "$TESSERAD")/.." && pwd)/locale
	command -v jq >/dev/null || { warn "jq is required"; exit 1; }
	command -v setsid >/dev/null || { warn "setsid (util-linux) is required"; exit 1; }

	stop_all
	for c in "${COMMUNITIES[@]}"; do rm -rf -- "$(dir_of "$c")"; done
	mkdir -p "$RUN"

	pick_ports
	for c in "${COMMUNITIES[@]}"; do init_node "$c"; done
	for i in "${!COMMUNITIES[@]}"; do write_config "$i"; done
	say "Starting ${N} nodes in a ring on 127.0.0.1:${PORT[${COMMUNITIES[0]}]}-$((PORT[${COMMUNITIES[0]}] + N - 1)):"
	say "  $(for c in "${COMMUNITIES[@]}"; do printf '%s - ' "$c"; done)${COMMUNITIES[0]}"
	for c in "${COMMUNITIES[@]}"; do start_node "$c"; done
	for c in "${COMMUNITIES[@]}"; do import_node "$c"; done

	total=$(expected_total)
	say "Imported each community's records into its own node; waiting (≤ ${TIMEOUT} s) until"
	say "every node holds all $total records..."
	local t0
	t0=$(date +%s%N)
	wait_converged "$total"
	say "Converged in $((($(date +%s%N) - t0) / 1000000)) ms."
	summary
	showcase
	lineage_demo
	guides
	howto
}

cmd_status() {
	local c pid
	for c in "${COMMUNITIES[@]}"; do
		pid=$(cat "$(pid_file_of "$c")" 2>/dev/null || true)
		if is_tesserad "$pid"; then say "$c: running (pid $pid)"; else say "$c: stopped"; fi
	done
}

case ${1:-} in
start) cmd_start ;;
stop) stop_all ;;
status) cmd_status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
