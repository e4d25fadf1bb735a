#!/usr/bin/env bash
# Builds the fuzz targets with clang-14, libFuzzer, ASan and UBSan into
# ./build-fuzz (or $1). The packages come from deploy/build.sh's list; the
# protobuf-c source is fetched when configuring (fuzz/protobuf-c.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
CC=clang-14 BUILD_TYPE=RelWithDebInfo \
	CMAKE_ARGS="-DTESSERA_FUZZ=ON -DTESSERA_TESTS=OFF ${FUZZ_CMAKE_ARGS:-}" \
	deploy/build.sh "$BUILD"
