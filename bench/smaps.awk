#!/usr/bin/awk -f
# bench/smaps.awk /proc/PID/smaps: resident kB (Rss) by kind of mapping, the
# largest first. Anonymous mappings are told apart by their size and place:
# [heap] is the main arena (brk), [stack] the loop thread's stack, an
# anonymous mapping of 64 MB alignment (size a multiple of 1 MB up to 64 MB,
# often split into a rw part and a PROT_NONE reserve) is a glibc arena of
# another thread, 8 MB + guard a thread stack. Shared libraries are
# named by their file (libicudata, libsqlite3...), all their mappings
# together; the database files are named as such.
function kind(name, perm, size_kb,   b) {
	if (name == "[heap]") return "heap (main arena, brk)"
	if (name == "[stack]") return "stack (loop thread)"
	if (name ~ /^\[(vdso|vvar|vsyscall)\]$/) return "vdso/vvar"
	if (name ~ /\.db(-wal|-shm)?$/ || name ~ /-shm$/) return "db file mmap: " gsub_base(name)
	if (name ~ /^\//) {
		b = gsub_base(name)
		sub(/\.so.*/, "", b)
		return "lib " b
	}
	if (name != "") return "other " name
	if (size_kb == 8192 || size_kb == 8188 || size_kb == 8196) return "thread stacks (8 MB each)"
	if (size_kb >= 1024 && size_kb <= 65536 && perm ~ /rw/) return "anon rw >= 1 MB (thread arenas, big mallocs, SQLite cache)"
	if (perm !~ /r/) return "anon reserve (PROT_NONE)"
	return "anon rw < 1 MB (mmap'd mallocs, misc)"
}
function gsub_base(p,   n, a) { n = split(p, a, "/"); return a[n] }
/^[0-9a-f]+-[0-9a-f]+ / {
	split($1, r, "-")
	cur_perm = $2
	cur_name = (NF >= 6) ? $6 : ""
	for (i = 7; i <= NF; i++) cur_name = cur_name " " $i
	have = 1
	next
}
$1 == "Size:" { cur_size = $2; next }
$1 == "Rss:" && have {
	k = kind(cur_name, cur_perm, cur_size)
	rss[k] += $2; total += $2
	have = 0
}
END {
	for (k in rss) {
		if (k ~ /^lib / && rss[k] < 200) { small += rss[k]; nsmall++; continue }
		if (k ~ /^lib /) libs += rss[k]
		if (rss[k] > 0) printf "%8d kB  %s\n", rss[k], k | "sort -rn"
	}
	printf "%8d kB  %d other libraries (< 200 kB each)\n", small, nsmall | "sort -rn"
	close("sort -rn")
	printf "%8d kB  all shared libraries and the executable\n", libs + small
	printf "%8d kB  total\n", total
}
