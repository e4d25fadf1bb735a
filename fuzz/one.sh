#!/usr/bin/env bash
# One fuzz target, as CTest and fuzz/run.sh run it.
#   one.sh replay BIN NAME          runs every input of corpus/NAME and
#                                   regressions/NAME once
#   one.sh run BIN NAME SECONDS     fuzzes from those inputs for SECONDS and
#                                   prints executions and coverage
# The run works in $FUZZ_WORK/NAME (default: fuzz-work next to BIN's build
# dir), a copy: the committed corpus is never written. FUZZ_KEEP=1 keeps
# the corpus found by an earlier run there. A crash, leak, UBSan report or
# timeout fails the run and leaves the input in $FUZZ_WORK/NAME/.
set -euo pipefail
mode=$1 bin=$2 name=$3 secs=${4:-60}
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/corpus/$name
regress=$here/regressions/$name
case $name in
	nodeid) maxlen=256 ;;
	config) maxlen=8192 ;;
	record|jsonl) maxlen=16384 ;;
	*) maxlen=65536 ;;
esac
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

inputs() {
	find "$seeds" "$regress" -type f 2>/dev/null | sort
}

if [ "$mode" = replay ]; then
	mapfile -t files < <(inputs)
	if [ ${#files[@]} -eq 0 ]; then
		echo "fuzz $name: no inputs in $seeds"
		exit 1
	fi
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	if "$bin" -runs=1 "${files[@]}" >"$log" 2>&1; then
		echo "fuzz $name: replayed ${#files[@]} inputs, all passed"
		exit 0
	fi
	tail -n 60 "$log"
	echo "fuzz $name: replay FAILED"
	exit 1
fi

[ "$mode" = run ] || { echo "usage: one.sh replay|run BIN NAME [SECONDS]" >&2; exit 2; }
work=${FUZZ_WORK:-$(dirname "$bin")/../fuzz-work}/$name
if [ "${FUZZ_KEEP:-0}" != 1 ]; then
	rm -rf "$work"
fi
mkdir -p "$work/corpus"
while read -r f; do
	cp "$f" "$work/corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
done < <(inputs)
args=(-max_total_time="$secs" -print_final_stats=1 -max_len="$maxlen" -timeout=25
	-rss_limit_mb=2048 -artifact_prefix="$work/")
[ -f "$here/$name.dict" ] && args+=(-dict="$here/$name.dict")
rc=0
"$bin" "${args[@]}" "$work/corpus" >"$work/log" 2>&1 || rc=$?
stat() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$work/log" | tail -1; }
last=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -1 || true)
cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
echo "fuzz $name: ${secs}s, execs $(stat number_of_executed_units)" \
	"($(stat average_exec_per_sec)/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}," \
	"peak rss $(stat peak_rss_mb) MB" | tee "$work/summary"
if [ $rc -ne 0 ]; then
	grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$work/log" | head -20 || true
	tail -n 60 "$work/log"
	echo "fuzz $name: FAILED (exit $rc); log and input in $work/"
	exit 1
fi
