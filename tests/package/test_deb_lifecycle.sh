#!/usr/bin/env bash
# The .deb through its life, as dpkg runs it: install, upgrade (to the same
# package repacked as a higher version), remove, purge and install again,
# in a scratch root ($T/root) with its own dpkg database. dpkg --root runs
# the maintainer scripts chrootless with DPKG_ROOT set, so they act on the
# scratch root only (nothing is written outside $T, no service is touched).
# Every step must exit 0 with no warning from dpkg or a script, and leave
# the user, the data directory, the unit's enablement, the configuration and
# the node's key as deploy/OPERATORS.md promises.
set -u
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/deblib.sh"

deb_skip_sanitized
for tool in cpack dpkg dpkg-deb deb-systemd-helper systemd-sysusers systemd-tmpfiles; do
	command -v "$tool" >/dev/null || fail "$tool is missing (deploy/build.sh installs it)"
done
R=$T/root
ADMIN=$R/var/lib/dpkg
WANTS=$R/etc/systemd/system/multi-user.target.wants/tesserad.service
MASK=$R/etc/systemd/system/tesserad.service
STATE=$R/var/lib/systemd/deb-systemd-helper-enabled

deb_build
# Version 0.1.0 -> 0.1.0+1: the same files, a higher version.
mkdir "$T/next"
dpkg-deb -R "$DEB" "$T/next/tree"
v1=$(dpkg-deb -f "$DEB" Version)
v2="$v1+1"
sed -i "s/^Version: .*/Version: $v2/" "$T/next/tree/DEBIAN/control"
NEXT=$T/next/tessera_${v2}_amd64.deb
dpkg-deb --root-owner-group -b "$T/next/tree" "$NEXT" >/dev/null || fail "cannot repack as $v2"

# An empty dpkg database in the root, with stand-ins recorded as installed:
# the package's dependencies (libraries of the host, not of the root: nothing
# in the root runs them), and base-files owning the shared directories
# (/etc, /usr/share/man...), as the packages of a real system do.
mkdir -p "$ADMIN/info" "$ADMIN/updates" "$ADMIN/triggers" "$R/etc"
: >"$ADMIN/available"
standin() {
	printf 'Package: %s\nStatus: install ok installed\nVersion: 9999\nArchitecture: all\nMaintainer: none\nDescription: stand-in\n\n' \
		"$1" >>"$ADMIN/status"
	: >"$ADMIN/info/$1.list"
}
for dep in $(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | sed '/^$/d'); do
	standin "${dep%%:*}"
done
standin base-files
# (and a file of its own: a package of shared directories only would count
# as completely replaced by tessera, and dpkg would forget it)
echo 12 >"$R/etc/debian_version"
{
	dpkg-deb -c "$DEB" | awk '$1 ~ /^d/ { sub("^\\./", "/", $6); sub("/$", "", $6); print $6 }' |
		grep -v tessera | sed 's|^$|/.|'
	echo /etc/debian_version
} >"$ADMIN/info/base-files.list"

# step NAME DPKG_ARGS...: one dpkg run in the root; its output in $STEP_OUT.
step() {
	local name=$1 rc=0
	shift
	dpkg --root="$R" --force-script-chrootless --log="$T/dpkg.log" "$@" \
		</dev/null >"$T/$name.out" 2>&1 || rc=$?
	STEP_OUT=$(cat "$T/$name.out")
	assert_eq "$rc" 0 "$name: dpkg $* exits 0 ($(tail -n 5 "$T/$name.out"))"
	assert_not_contains "$STEP_OUT" "warning" "$name: no warning"
	assert_not_contains "$STEP_OUT" "error" "$name: no error"
}
status_of() { dpkg-query --admindir="$ADMIN" -W -f='${Status} ${Version}' tessera 2>/dev/null; }

# --- install -------------------------------------------------------------------

step install -i "$DEB"
assert_eq "$(status_of)" "install ok installed $v1" "install: installed"
assert_contains "$STEP_OUT" "tessera: no node yet. Create it" "install: tells how to create the node"
assert_eq "$(cut -d: -f1,6,7 "$R/etc/passwd")" "tessera:/var/lib/tessera:/usr/sbin/nologin" \
	"install: the tessera system user"
uid=$(cut -d: -f3 "$R/etc/passwd")
gid=$(cut -d: -f3 "$R/etc/group")
assert_eq "$(stat -c '%a %u %g' "$R/var/lib/tessera")" "700 $uid $gid" "install: /var/lib/tessera"
enabled() { [[ $(readlink "$WANTS") == */lib/systemd/system/tesserad.service ]]; }
enabled && pass || _bad "install: unit not enabled ($(readlink "$WANTS"))"
[ -x "$R/usr/sbin/tesserad" ] && pass || _bad "install: no /usr/sbin/tesserad"
"$R/usr/sbin/tesserad" -n -c "$R/etc/tessera/tesserad.conf" >/dev/null 2>&1 &&
	pass || _bad "install: the installed configuration does not check"

# The operator edits the configuration, makes the node (a key stands for
# it) and disables the unit: all three must survive the upgrade.
echo "# edited by the operator" >>"$R/etc/tessera/tesserad.conf"
echo "not a real key" >"$R/var/lib/tessera/key.pem"
DPKG_ROOT=$R deb-systemd-helper disable tesserad.service >/dev/null 2>&1
[ ! -e "$WANTS" ] && pass || _bad "disable did not remove the enablement link"

# --- upgrade -------------------------------------------------------------------

step upgrade -i "$NEXT"
assert_eq "$(status_of)" "install ok installed $v2" "upgrade: new version installed"
assert_eq "$(tail -n 1 "$R/etc/tessera/tesserad.conf")" "# edited by the operator" \
	"upgrade: the operator's configuration kept"
assert_not_contains "$STEP_OUT" "no node yet" "upgrade: no message once the node exists"
[ ! -e "$WANTS" ] && pass || _bad "upgrade: re-enabled a unit the administrator disabled"
assert_eq "$(cut -d: -f3 "$R/etc/passwd")" "$uid" "upgrade: the same user"
DPKG_ROOT=$R deb-systemd-helper enable tesserad.service >/dev/null 2>&1

# --- remove --------------------------------------------------------------------

step remove -r tessera
assert_eq "$(status_of)" "deinstall ok config-files $v2" "remove: configuration files kept"
[ ! -e "$R/usr/sbin/tesserad" ] && [ ! -e "$R/usr/bin/tessera" ] && pass ||
	_bad "remove: programs left behind"
[ -f "$R/etc/tessera/tesserad.conf" ] && pass || _bad "remove: configuration removed"
assert_eq "$(readlink "$MASK")" "/dev/null" "remove: unit masked (its file is gone)"
assert_eq "$(cat "$R/var/lib/tessera/key.pem")" "not a real key" "remove: the node's key kept"

# --- purge ---------------------------------------------------------------------

step purge -P tessera
assert_eq "$(status_of)" "" "purge: the package is gone"
[ ! -e "$R/etc/tessera" ] && pass || _bad "purge: /etc/tessera left behind: $(ls -A "$R/etc/tessera")"
[ ! -e "$MASK" ] && [ ! -e "$WANTS" ] && pass || _bad "purge: unit mask or enablement left"
assert_eq "$(find "$STATE" -name 'tesserad*' 2>/dev/null)" "" "purge: enablement state forgotten"
assert_eq "$(cat "$R/var/lib/tessera/key.pem")" "not a real key" \
	"purge: /var/lib/tessera and the node's key kept"
assert_eq "$(cut -d: -f1,3 "$R/etc/passwd")" "tessera:$uid" "purge: the system user stays"

# --- install again -------------------------------------------------------------

step reinstall -i "$DEB"
assert_eq "$(status_of)" "install ok installed $v1" "reinstall: installed"
enabled && pass || _bad "reinstall: unit not enabled ($(readlink "$WANTS"))"
assert_eq "$(grep -c '^tessera:' "$R/etc/passwd")" 1 "reinstall: the user reused, not doubled"
assert_eq "$(grep -c '^# edited by the operator' "$R/etc/tessera/tesserad.conf")" 0 \
	"reinstall: a fresh configuration after purge"
finish
