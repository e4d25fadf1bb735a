#!/usr/bin/env bash
# Reconciliation benchmark: the session engine of two nodes over real stores
# (SQLite, WAL) joined by an in-memory link, so that bytes and engine time are
# measured without TLS or sockets; each case on a new link, first with the
# offer path (what peers without reconciliation do), then with range
# reconciliation, in one run:
#   1. equal sets of 100,000 records;
#   2. 100 records only on one side, 100 only on the other;
#   3. one side restored from a week-old backup: 5,000 records (5%) behind.
# Bytes are the frames both ways (Records messages counted apart); times are
# from the start of the sessions until both have settled (wall clock).
#
#   bench/recon_bench.sh [BUILD_DIR]      (default ./build; needs test_recon)
#
# It runs tests/unit/test_recon.c's figures test and prints its figure lines.
set -euo pipefail
BUILD=${1:-${TESSERA_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}}
BIN=$BUILD/tests/test_recon
[[ -x $BIN ]] || { echo "recon_bench: $BIN is not built (make test_recon)" >&2; exit 1; }
echo "recon_bench: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
out=$("$BIN" 2>&1) || { printf '%s\n' "$out" >&2; echo "recon_bench: test_recon failed" >&2; exit 1; }
grep -E "offer path .* reconciliation " <<<"$out" | sed 's/^/recon_bench: /'
