#!/usr/bin/env bash
# The layering rule of daemon/ (docs/architecture.md), read from the
# #include lines: each folder may include its own headers and those of the
# folders below it, never above; some system headers are kept out of layers
# that must not do I/O. Exits 1 listing every violation as file:line.
set -uo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src/daemon" || exit 2

# Folders from the bottom up; a folder may include itself and those before it.
order=(core store sync net ops ctl web)
# System headers a folder must not include (sans-IO layers).
declare -A forbid=(
	[core]="uv.h sqlite3.h microhttpd.h systemd/sd-daemon.h"
	[store]="uv.h microhttpd.h systemd/sd-daemon.h"
	[sync]="uv.h sqlite3.h microhttpd.h systemd/sd-daemon.h"
	[net]="sqlite3.h microhttpd.h systemd/sd-daemon.h"
	[ops]="sqlite3.h"
	[ctl]="sqlite3.h microhttpd.h systemd/sd-daemon.h"
	[web]="sqlite3.h systemd/sd-daemon.h"
)

declare -A ranks=()
for i in "${!order[@]}"; do ranks[${order[$i]}]=$i; done

bad=0
n=0
inc_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]+)[>"]'
for dir in "${order[@]}"; do
	for f in "$dir"/*.[ch]; do
		[ -e "$f" ] && n=$((n + 1))
	done
done
# One grep over every file; the rest is bash (no process per line).
while IFS= read -r hit; do
	f=${hit%%:*}
	rest=${hit#*:}
	line=${rest%%:*}
	inc=${rest#*:}
	[[ $inc =~ $inc_re ]] || continue
	quote=${BASH_REMATCH[1]}
	hdr=${BASH_REMATCH[2]}
	dir=${f%%/*}
	me=${ranks[$dir]:--1}
	if [ "$quote" = '"' ]; then
		if [[ $hdr != */* ]]; then
			# Generated protobuf headers live in the build tree.
			[[ $hdr == *.pb-c.h ]] && continue
			if [ -e "$dir/$hdr" ]; then
				echo "$f:$line: includes \"$hdr\" without its folder (write \"$dir/$hdr\")"
			else
				echo "$f:$line: includes \"$hdr\", which belongs to the composition root or no layer"
			fi
			bad=1
			continue
		fi
		to=${hdr%%/*}
		r=${ranks[$to]:--1}
		if [ "$r" -lt 0 ]; then
			echo "$f:$line: includes \"$hdr\" from no known layer"; bad=1
		elif [ "$r" -gt "$me" ]; then
			echo "$f:$line: $dir/ includes \"$hdr\" from $to/, a layer above it"; bad=1
		fi
	else
		for x in ${forbid[$dir]}; do
			if [ "$hdr" = "$x" ]; then
				echo "$f:$line: $dir/ must not include <$hdr>"; bad=1
			fi
		done
	fi
done < <(for dir in "${order[@]}"; do ls "$dir"/*.[ch] 2>/dev/null; done |
	xargs -r grep -HnE '^[[:space:]]*#[[:space:]]*include')
# The composition root's helpers (daemon/node_*.c, rotate_key.c) are given
# what they use (loop, store, hooks) by node.c: only node.c and main.c see
# struct node.
for f in *.[ch]; do
	case $f in node.c | node.h | main.c) continue ;; esac
	n=$((n + 1))
	while IFS=: read -r line _; do
		echo "$f:$line: includes \"node.h\"; only node.c and main.c see struct node (take what you use from node.c)"
		bad=1
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"node\.h"' "$f")
done
if [ $bad -ne 0 ]; then
	echo "layers: violations found in daemon/ (rules: docs/architecture.md)"
	exit 1
fi
echo "layers: $n files in ${#order[@]} layers, no violations"
