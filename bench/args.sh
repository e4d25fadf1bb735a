# shellcheck shell=bash disable=SC2034
# The command line of the record benchmarks, `SCRIPT [--smoke] [N]`, shared
# by ingest_search.sh and sync_bench.sh. Sourced before bench/lib.sh, so that
# --help and usage errors start nothing. Sets SMOKE (0/1) and N (records:
# BENCH_N, else 1,000 with --smoke and 100,000 without, else the argument).
# --help prints the script's leading comment.
SMOKE=0
N=${BENCH_N:-100000}
while (($# > 0)); do
	case $1 in
	--smoke) SMOKE=1; N=${BENCH_N:-1000} ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	[0-9]*) N=$1 ;;
	*) echo "usage: $0 [--smoke] [N]" >&2; exit 2 ;;
	esac
	shift
done
