#!/usr/bin/env bash
# Installs the Debian packages Tessera needs (only those missing) and builds
# into ./build (or $1). Used by the demo, the test runner and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
TYPE=${BUILD_TYPE:-RelWithDebInfo}

PKGS=(build-essential cmake pkg-config libuv1-dev libssl-dev libprotobuf-c-dev
      protobuf-c-compiler libsqlite3-dev libinih-dev libjansson-dev libcmocka-dev
      python3 jq curl valgrind iproute2 procps strace file sqlite3 nftables ethtool
      libmicrohttpd-dev libicu-dev libstemmer-dev libsodium-dev systemd scdoc groff-base lintian
      prometheus syncthing gnuplot-nox clang-14 libclang-rt-14-dev gettext chromium)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE="$TYPE" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
