#!/usr/bin/env bash
# The .deb: cpack builds it from the build tree, dpkg -x unpacks it into a
# scratch root (no container, nothing written outside $T), and the installed
# files are checked where they land: layout and modes, the maintainer data,
# the configuration (tesserad -n, then a real start of the packaged daemon
# with the data paths moved into $T), the systemd unit (systemd-analyze
# verify and security), sysusers/tmpfiles (run with --root), man pages
# (groff without warnings, every command, option and key of the code
# documented) and bash completion.
set -u
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/deblib.sh"

deb_skip_sanitized
R=$T/root
UNIT=$R/usr/lib/systemd/system/tesserad.service
MAN=$R/usr/share/man

for tool in cpack dpkg-deb dpkg systemd-analyze systemd-sysusers systemd-tmpfiles groff lintian \
    dpkg-parsechangelog; do
	command -v "$tool" >/dev/null || fail "$tool is missing (deploy/build.sh installs it)"
done

# --- build and unpack ----------------------------------------------------------

deb_build
deb=$DEB
mkdir "$R"
dpkg -x "$deb" "$R" || fail "dpkg -x failed"

# --- control data --------------------------------------------------------------

info=$(dpkg-deb -f "$deb" Package Depends Section)
assert_contains "$info" "Package: tessera" "package name"
for lib in libuv1 libssl3 libsqlite3-0 libinih1 libprotobuf-c1 libjansson4 libc6 systemd libmicrohttpd12; do
	assert_contains "$(dpkg-deb -f "$deb" Depends)" "$lib" "Depends"
done
mkdir "$T/control"
dpkg-deb -e "$deb" "$T/control"
assert_eq "$(cat "$T/control/conffiles")" "/etc/tessera/tesserad.conf" "conffiles"
for s in postinst prerm postrm; do
	assert_eq "$(stat -c %a "$T/control/$s")" 755 "mode of $s"
	assert_exit 0 sh -n "$T/control/$s"
done

# The Maintainer is the role address README.md documents, not a placeholder.
maint=$(dpkg-deb -f "$deb" Maintainer)
assert_contains "$(cat "$TESSERA_SRC/README.md")" "$maint" "Maintainer documented in README.md"
assert_not_contains "$maint" ".invalid" "Maintainer is a real address"
assert_contains "$maint" "Tessera" "Maintainer names the project"

# --- lintian, copyright, changelog ---------------------------------------------

# No error and no warning; info tags are explained in docs/packaging.md, and
# overridden tags carry their reason in the package.
lintian --pedantic --display-info --show-overrides "$deb" >"$T/lintian.out" 2>&1
rc=$?
grep -v '^N:\|running with root privileges' "$T/lintian.out" | sed "s/^/lintian: /"
assert_eq "$rc:$(grep -E '^(E|W):' "$T/lintian.out")" "0:" "lintian errors and warnings"
assert_eq "$(grep -c '^O:' "$T/lintian.out")" 2 "lintian overrides in use"
# Every info tag is one docs/packaging.md explains.
for tag in $(sed -n 's/^[IP]: tessera: \([a-z0-9.-]*\).*/\1/p' "$T/lintian.out" | sort -u); do
	assert_contains "$(cat "$TESSERA_SRC/docs/packaging.md")" "\`$tag\`" \
		"lintian tag explained in docs/packaging.md"
done
# DEP-5: the format line, and a License paragraph for every license named.
cr=$R/usr/share/doc/tessera/copyright
assert_eq "$(head -n 1 "$cr")" \
	"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" "copyright format"
# (named in a Files paragraph, then given with its text in its own).
for l in $(sed -n 's/^License: \(.*\)/\1/p' "$cr" | sort -u); do
	n=$(grep -c "^License: $l\$" "$cr")
	[ "$n" -ge 2 ] && pass || _bad "copyright: license $l is named but its text is not given"
done
# Policy 12.7: gzip -9n (no name, no time stamp); a Debian changelog whose
# top entry is this version and whose trailer names the Maintainer.
cl=$R/usr/share/doc/tessera/changelog.gz
assert_eq "$(od -An -tu4 -j4 -N4 "$cl" | tr -d ' ')" 0 "changelog.gz has no time stamp"
gzip -dc "$cl" >"$T/changelog"
assert_eq "$(dpkg-parsechangelog -l "$T/changelog" -S Version)" \
	"$(dpkg-deb -f "$deb" Version)" "changelog version"
assert_eq "$(dpkg-parsechangelog -l "$T/changelog" -S Maintainer)" "$maint" "changelog maintainer"

# --- files, owners, modes ------------------------------------------------------

listing=$(dpkg-deb -c "$deb")
assert_eq "$(awk '$2 != "root/root"' <<<"$listing")" "" "entries not owned by root/root"
assert_eq "$(awk 'substr($1, 6, 1) == "w" || substr($1, 9, 1) == "w"' <<<"$listing")" "" \
	"group- or world-writable entries"
want="
755 usr/sbin/tesserad
755 usr/bin/tessera
644 etc/tessera/tesserad.conf
644 usr/lib/systemd/system/tesserad.service
644 usr/lib/sysusers.d/tessera.conf
644 usr/lib/tmpfiles.d/tessera.conf
644 usr/share/bash-completion/completions/tessera
644 usr/share/bash-completion/completions/tesserad
644 usr/share/man/man8/tesserad.8.gz
644 usr/share/man/man1/tessera.1.gz
644 usr/share/man/man5/tesserad.conf.5.gz
644 usr/share/doc/tessera/tesserad.conf.example
644 usr/share/doc/tessera/OPERATORS.md
644 usr/share/tessera/locale/pt/LC_MESSAGES/tessera-web.mo
644 usr/share/tessera/locale/hu/LC_MESSAGES/tessera-web.mo
644 usr/share/tessera/locale/ro/LC_MESSAGES/tessera-web.mo
644 usr/share/doc/tessera/cli.md
644 usr/share/doc/tessera/copyright
644 usr/share/doc/tessera/changelog.gz
644 usr/share/lintian/overrides/tessera"
while read -r mode path; do
	[ -n "$path" ] || continue
	if [ -f "$R/$path" ]; then
		assert_eq "$(stat -c %a "$R/$path")" "$mode" "mode of /$path"
	else
		_bad "/$path is not in the package"
	fi
done <<<"$want"
assert_eq "$(ls "$R")" "$(printf 'etc\nusr')" "top-level directories"
file "$R/usr/sbin/tesserad" | grep -q "ELF.*stripped" && ! file "$R/usr/sbin/tesserad" | grep -q "not stripped"
assert_eq "$?" 0 "tesserad is a stripped ELF binary"

# --- configuration ---------------------------------------------------------------

TESSERAD=$R/usr/sbin/tesserad
TESSERA=$R/usr/bin/tessera
CONF=$R/etc/tessera/tesserad.conf
assert_exit 0 "$TESSERAD" -n -c "$CONF"
assert_eq "$OUT" "$CONF: ok (0 peers, 0 listeners)" "tesserad -n on the installed config"
assert_exit 0 "$TESSERAD" --version
assert_eq "$OUT" "tesserad $("$TESSERA" --version | cut -d' ' -f2)" "versions of tesserad and tessera"
# The installed file is the example with exactly these two settings enabled.
diff "$TESSERA_SRC/conf/tesserad.conf.example" "$CONF" | grep '^[<>]' >"$T/conf.diff"
assert_eq "$(cat "$T/conf.diff")" "< #data = /var/lib/tessera
> data = /var/lib/tessera
< #control_socket = /run/tessera/tesserad.sock
> control_socket = /run/tessera/tesserad.sock" "installed config against the example"

# A real start of the packaged programs on the installed file, with only the
# two paths moved into $T (the data directory is never /var/lib here).
mkdir -p "$T/node"
sed -e "s|^data = /var/lib/tessera\$|data = $T/node/data|" \
    -e "s|^control_socket = /run/tessera/tesserad.sock\$|control_socket = $T/node/ctl.sock|" \
    "$CONF" >"$T/node/tesserad.conf"
assert_eq "$(grep -c "^data = $T/node/data\$\|^control_socket = $T/node/ctl.sock\$" \
	"$T/node/tesserad.conf")" 2 "paths moved into the scratch directory"
node_init node --country PT --languages pt,en
node_start node
assert_exit 0 cli node status
assert_contains "$OUT" "$(node_id node)" "status of the packaged daemon"
assert_eq "$(stat -c %A "$T/node/ctl.sock")" "srw-rw----" "control socket mode"
assert_eq "$(stat -c %a "$T/node/data/key.pem")" 600 "key mode"
node_stop node

# --- sysusers, tmpfiles (applied to the scratch root) --------------------------

mkdir -p "$R/etc"
assert_exit 0 systemd-sysusers --root="$R" "$R/usr/lib/sysusers.d/tessera.conf"
assert_eq "$(cut -d: -f1,6,7 "$R/etc/passwd")" "tessera:/var/lib/tessera:/usr/sbin/nologin" \
	"system user"
uid=$(cut -d: -f3 "$R/etc/passwd")
[ "$uid" -lt 1000 ]
assert_eq "$?" 0 "tessera is a system user (uid $uid)"
assert_eq "$(cut -d: -f1 "$R/etc/group")" "tessera" "group"
assert_exit 0 systemd-tmpfiles --root="$R" --create "$R/usr/lib/tmpfiles.d/tessera.conf"
assert_eq "$(stat -c '%a %u %g' "$R/var/lib/tessera")" "700 $uid $(cut -d: -f3 "$R/etc/group")" \
	"/var/lib/tessera"

# --- the systemd unit ----------------------------------------------------------

assert_eq "$(grep '^ExecStart=' "$UNIT")" \
	"ExecStart=/usr/sbin/tesserad -c /etc/tessera/tesserad.conf" "ExecStart"
for line in Type=notify User=tessera Group=tessera StateDirectory=tessera \
    RuntimeDirectory=tessera RuntimeDirectoryMode=0750 ConfigurationDirectory=tessera \
    UMask=0027 'ExecReload=/bin/kill -HUP $MAINPID' Restart=on-failure \
    CapabilityBoundingSet= AmbientCapabilities= ProtectSystem=strict; do
	assert_eq "$(grep -cxF "$line" "$UNIT")" 1 "unit line $line"
done
# verify resolves the unit and what it needs inside the root: the host's
# own units (targets) are copied in; ExecStart must exist there, and the
# Documentation= man pages must be found in the root's man pages.
for d in /usr/lib/systemd/system /lib/systemd/system; do
	[ -d "$d" ] && cp -an "$d/." "$R/usr/lib/systemd/system/"
done
MANPATH=$MAN systemd-analyze verify --root="$R" tesserad.service >"$T/verify.out" 2>&1
rc=$?
assert_eq "$rc:$(cat "$T/verify.out")" "0:" "systemd-analyze verify"
systemd-analyze security --offline=true --root="$R" --threshold=49 "$UNIT" >"$T/security.out" 2>&1
rc=$?
level=$(sed -n 's/.*Overall exposure level for tesserad.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' \
	"$T/security.out")
echo "systemd-analyze security: exposure $level (OK is below 5.0)"
assert_eq "$rc" 0 "systemd-analyze security --threshold=49"
case ${level#* } in
PERFECT|SAFE|OK) pass ;;
*) _bad "exposure level '$level' is worse than OK: $(grep '✗' "$T/security.out")" ;;
esac
awk -v e="${level%% *}" 'BEGIN { exit !(e != "" && e < 5.0) }'
assert_eq "$?" 0 "exposure ${level%% *} below 5.0"

# --- man pages -----------------------------------------------------------------

for page in man8/tesserad.8 man1/tessera.1 man5/tesserad.conf.5; do
	gzip -dc "$MAN/$page.gz" >"$T/$(basename "$page")"
	groff -man -Tutf8 -ww -z "$T/$(basename "$page")" >"$T/groff.out" 2>&1
	assert_eq "$?:$(cat "$T/groff.out")" "0:" "groff warnings on $page"
done
# The pages as text, for the checks against the code below.
# No hyphenation, long lines: words stay whole.
text() { groff -man -Tutf8 -rHY=0 -rLL=300n -P-cbou "$T/$1" 2>/dev/null | tr -s ' \n' ' '; }
# documented TEXT WORD WHAT: WORD appears in the page TEXT.
documented() {
	case "$1" in
	*"$2"*) pass ;;
	*) _bad "$3: '$2' is not documented" ;;
	esac
}
m8=$(text tesserad.8); m1=$(text tessera.1); m5=$(text tesserad.conf.5)
documented "$m8" "tesserad - Tessera community sync daemon" "tesserad(8) NAME"
# Every tessera command and long option in the client source is documented.
cmds=$(sed -n 's/^\t{ "\([a-z]*\)", cmd_[a-z]*,.*/\1/p' "$TESSERA_SRC/client/main.c")
[ -n "$cmds" ] || _bad "no commands found in client/main.c"
for c in $cmds; do documented "$m1" "$c" "tessera(1) command"; done
for o in $(sed -n 's/^\t*{ "\([a-z-]*\)", \(no\|required\)_argument.*/\1/p' \
    "$TESSERA_SRC"/client/*.c | sort -u); do
	documented "$m1" "--$o" "tessera(1) option"
done
for o in $(sed -n 's/.*{ "\([a-z-]*\)", \(no\|required\)_argument.*/\1/p' \
    "$TESSERA_SRC/daemon/main.c" "$TESSERA_SRC/daemon/rotate_key.c" | sort -u); do
	documented "$m8" "--$o" "tesserad(8) option"
done
# Every tesserad subcommand (strcmp(argv[1], "...") in main.c) is documented.
for c in $(sed -n 's/.*strcmp(argv\[1\], "\([a-z-]*\)").*/\1/p' "$TESSERA_SRC/daemon/main.c"); do
	documented "$m8" "tesserad $c" "tesserad(8) command"
done
codes=$(sed -n 's/^[[:space:]]*"  \([0-9]\)  .*/\1/p' "$TESSERA_SRC/client/main.c")
[ -n "$codes" ] || _bad "no exit codes found in client/main.c"
exits=${m1#*EXIT STATUS}
exits=${exits%%ENVIRONMENT*}
for c in $codes; do
	documented "$exits" " $c " "tessera(1) exit status"
done
# Every configuration key the daemon accepts has its entry in tesserad.conf(5).
keys=$(sed -n 's/.*{ SECT_[A-Z]*, "\([a-z_]*\)",.*/\1/p' "$TESSERA_SRC/daemon/core/config_keys.c")
[ -n "$keys" ] || _bad "no keys found in daemon/core/config_keys.c"
for k in $keys metrics_listen; do documented "$m5" "$k = " "tesserad.conf(5) key"; done
# The example in tesserad.conf(5) is a valid configuration.
sed -n '/^# EXAMPLE/,/^# /p' "$TESSERA_SRC/docs/man/tesserad.conf.5.scd" |
	sed -n '/^```/,/^```/p' | grep -v '^```' >"$T/man-example.conf"
assert_exit 0 "$TESSERAD" -n -c "$T/man-example.conf"
assert_contains "$OUT" "ok (2 peers, 1 listeners)" "tesserad.conf(5) example"

# --- bash completion -----------------------------------------------------------

complete_test() {
	bash --norc --noprofile -c '
		. "$1/tessera" && . "$1/tesserad" || exit 1
		fn=$2; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
		$fn
		echo "${COMPREPLY[*]}"' _ "$R/usr/share/bash-completion/completions" "$@"
}
assert_exit 0 bash --norc --noprofile -n "$R/usr/share/bash-completion/completions/tessera"
assert_exit 0 bash --norc --noprofile -n "$R/usr/share/bash-completion/completions/tesserad"
assert_eq "$(complete_test _tessera tessera st)" "status" "completion of a command"
assert_eq "$(complete_test _tessera tessera -s /x add '')" "initiative resource" "completion of add"
assert_eq "$(complete_test _tessera tessera list --kind r)" "resource" "completion of --kind"
assert_eq "$(complete_test _tessera tessera search q --t)" "" "search has no --tag"
assert_eq "$(complete_test _tessera tessera block --p)" "--peer" "completion of block --peer"
assert_eq "$(complete_test _tesserad tesserad init --l)" "--languages" "completion of init"
assert_eq "$(bash --norc --noprofile -c ". $R/usr/share/bash-completion/completions/tessera \
	&& complete -p tessera")" "complete -F _tessera tessera" "complete -p tessera"

# --- cmake --install into a staging directory ------------------------------------

DESTDIR=$T/dest cmake --install "$TESSERA_BUILD" --prefix /usr/local >"$T/install.log" 2>&1 ||
	_bad "cmake --install failed: $(tail -n 5 "$T/install.log")"
assert_eq "$(grep '^ExecStart=' "$T/dest/usr/local/lib/systemd/system/tesserad.service")" \
	"ExecStart=/usr/local/sbin/tesserad -c /etc/tessera/tesserad.conf" "unit of a /usr/local install"
for f in usr/local/sbin/tesserad usr/local/bin/tessera etc/tessera/tesserad.conf \
    usr/local/share/man/man5/tesserad.conf.5.gz; do
	[ -f "$T/dest/$f" ] && pass || _bad "cmake --install: /$f missing"
done

finish
