#!/usr/bin/env bash
# Builds the fuzz targets (build-fuzz) and fuzzes them, two at a time.
#   fuzz/run.sh [--seconds N] [--keep] [target ...]
# Default: 60 seconds for each of the six targets. --keep continues from the
# corpus an earlier run found (in build-fuzz/fuzz-work/<target>/corpus).
# Prints executions and coverage per target; fails on any finding, whose
# input is then in build-fuzz/fuzz-work/<target>/ (see docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=60
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--keep) export FUZZ_KEEP=1; shift ;;
	-h|--help) sed -n '2,7p' "$0"; exit 0 ;;
	*) targets+=("$1"); shift ;;
	esac
done
[ ${#targets[@]} -gt 0 ] || targets=(frame record ctl config jsonl nodeid)
fuzz/build.sh build-fuzz >/dev/null
export FUZZ_WORK=$PWD/build-fuzz/fuzz-work
fail=0
for t in "${targets[@]}"; do
	[ -x "build-fuzz/fuzz/fuzz_$t" ] || { echo "no such target: $t" >&2; exit 2; }
	bash fuzz/one.sh replay "build-fuzz/fuzz/fuzz_$t" "$t" || fail=1
done
[ $fail -eq 0 ] || exit 1
printf '%s\n' "${targets[@]}" |
	xargs -P2 -I{} nice bash fuzz/one.sh run build-fuzz/fuzz/fuzz_{} {} "$secs" || fail=1
exit $fail
