# shellcheck shell=bash
# Shared by the package tests: source after tests/e2e/lib.sh.

# The package tests check the plain build's package; a sanitizer build's
# run skips them (exit 77), the e2e tests cover the daemon under sanitizers.
deb_skip_sanitized() {
	if [[ ${TESSERA_SANITIZE:-0} == 1 ]]; then
		echo "$TEST_NAME: skipped in the sanitizer build"
		exit 77
	fi
	: "${TESSERA_BUILD:?TESSERA_BUILD must name the build directory}"
}

# deb_build: cpack makes the .deb from the build tree into $T/cpack; sets DEB.
deb_build() {
	local t0
	t0=$(date +%s.%N)
	cpack --config "$TESSERA_BUILD/CPackConfig.cmake" -B "$T/cpack" >"$T/cpack.log" 2>&1 ||
		fail "cpack failed: $(tail -n 20 "$T/cpack.log")"
	DEB=$(ls "$T"/cpack/tessera_*.deb 2>/dev/null)
	[ -f "$DEB" ] || fail "cpack made no tessera_*.deb: $(ls "$T/cpack")"
	echo "cpack: $(basename "$DEB"), $(stat -c %s "$DEB") bytes, $(awk -v a="$t0" \
		-v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
}
