#!/usr/bin/env bash
# Fetches Debian's protobuf-c source package (the version of the installed
# libprotobuf-c-dev) into DIR with apt-get source, using a private apt state
# in DIR (the system's sources are not changed), and applies the patches in
# fuzz/protobuf-c/ (undefined behaviour in its parser, upstream issue #506
# and one more; see docs/fuzzing.md). Prints the source directory.
# Called by CMake when configuring with -DTESSERA_FUZZ=ON; see docs/fuzzing.md.
set -euo pipefail
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
patches=("$here"/protobuf-c/*.patch)
# The mirror the system already uses for bookworm main, else deb.debian.org.
mirror=${TESSERA_DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(CODENAME)' \
	'Created-By: Packages' 2>/dev/null | awk '$2 == "bookworm" { print $1; exit }')}
mirror=${mirror:-http://deb.debian.org/debian}

fresh=1
for p in "${patches[@]}"; do
	[ -f "$dir/.ready" ] && [ "$dir/.ready" -nt "$p" ] || fresh=0
done
if [ $fresh -eq 1 ]; then
	cat "$dir/.ready"
	exit 0
fi
ver=$(dpkg-query -W -f='${source:Version}' libprotobuf-c-dev)
rm -rf "$dir"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" \
	>"$dir/apt/sources.list"
apt=(apt-get -q -o Dir::Etc::SourceList="$dir/apt/sources.list"
	-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$dir/apt/lists"
	-o Dir::Cache="$dir/apt/cache" -o APT::Sandbox::User=root)
echo "protobuf-c: fetching Debian source package protobuf-c=$ver" >&2
"${apt[@]}" update >&2
(cd "$dir/src" && "${apt[@]}" source "protobuf-c=$ver" >&2)
src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d -name 'protobuf-c-*' | head -1)
if [ -z "$src" ] || [ ! -f "$src/protobuf-c/protobuf-c.c" ]; then
	echo "protobuf-c: no source tree unpacked in $dir/src" >&2
	exit 1
fi
for p in "${patches[@]}"; do
	echo "protobuf-c: applying $(basename "$p")" >&2
	patch -p1 --forward -d "$src" <"$p" >&2
done
echo "$src" >"$dir/.ready"
echo "$src"
