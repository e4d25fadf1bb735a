#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test
# through CTest, then again under AddressSanitizer + UndefinedBehaviorSanitizer,
# then the libFuzzer targets (corpus replay + 30 s each), then the unit tests
# under valgrind. Long variants (net-long, durability-long, sim-long) are left out;
# docs/partitions.md (net-long), docs/durability.md (durability-long) and
# docs/simulator.md (sim-long) say how to run them and what they cost.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

deploy/build.sh build
# net-long (50 partition cycles, 10,000 records under loss and latency) takes
# far longer than CI allows: run it with `ctest --test-dir build -L net-long`.
# durability-long (100 kill -9 cycles per crash test): `ctest -L durability-long`.
# sim-long (4,000 simulator seeds): `ctest -L sim-long`.
(cd build && ctest --output-on-failure -j2 --timeout 300 -LE '^(net-long|durability-long|sim-long)$')

BUILD_TYPE=Debug CMAKE_ARGS="-DTESSERA_SANITIZE=ON" deploy/build.sh build-asan
# Under the sanitizers the partition and shutdown net tests run (they drive
# the reconnect and close paths hardest); the loss and latency tests
# (net-impair) do not: they run the same code paths as the plain build's,
# only slower, and five sanitized daemons moving 1,000 records each would
# cost minutes of the CI budget for no new coverage.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j2 --timeout 600 -LE '^(bench|net-impair|net-long|durability-long|sim-long)$')

# Fuzzing (docs/fuzzing.md): clang-14 build, corpus replay and 30 s per
# target, two targets at a time (longer campaigns: FUZZ_SECONDS, docs/fuzzing.md).
FUZZ_CMAKE_ARGS="-DFUZZ_SECONDS=${FUZZ_SECONDS:-30}" fuzz/build.sh build-fuzz
(cd build-fuzz && ctest --output-on-failure -j2 -L fuzz)
cat build-fuzz/fuzz-work/*/summary

# Every unit test program under valgrind, two at a time (one per core).
# test_recon's 100,000-record case takes 20 s natively, 15 min here: the same
# code paths with 20,000 records.
vg_one() {
	local t=$1 log=build/valgrind-$(basename "$1").log
	if TESSERA_RECON_SHARED=20000 valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$t" >/dev/null 2>"$log"; then
		echo "valgrind: $(basename "$t") clean"
	else
		echo "valgrind: $(basename "$t") FAILED"; head -40 "$log"; return 1
	fi
}
export -f vg_one
vg_fail=0
# test_recon (about 6 minutes here) goes first, so the others run beside it.
{ printf '%s\0' build/tests/test_recon
  find build/tests -maxdepth 1 -name 'test_*' ! -name test_recon -type f -executable -print0 | sort -z
} | xargs -0 -n1 -P2 bash -c 'vg_one "$0"' || vg_fail=1
[ $vg_fail -eq 0 ] || exit 1

echo "test suite finished in $(( $(date +%s) - start ))s"
