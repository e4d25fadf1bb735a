#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test
# through CTest, then again under AddressSanitizer + UndefinedBehaviorSanitizer,
# then the unit tests under valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

deploy/build.sh build
(cd build && ctest --output-on-failure -j2 --timeout 300 -LE durability-long)

BUILD_TYPE=Debug CMAKE_ARGS="-DTESSERA_SANITIZE=ON" deploy/build.sh build-asan
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j2 --timeout 600 -LE 'bench|durability-long')

vg_fail=0
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	if valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$t" >/dev/null 2>build/valgrind.log; then
		echo "valgrind: $(basename "$t") clean"
	else
		echo "valgrind: $(basename "$t") FAILED"; cat build/valgrind.log | head -40; vg_fail=1
	fi
done
[ $vg_fail -eq 0 ] || exit 1

echo "test suite finished in $(( $(date +%s) - start ))s"
