#!/usr/bin/env bash
# Loopback HTTP load benchmark for crochet-sync-http (see BENCHMARKS.md,
# "crochet-sync-http: HTTP load"), unpinned and pinned, through the
# workspace's tests/load_bench.sh (which installs wrk if it is missing).
# Pinned runs cover throughput and overload only.
#
# Usage: bash crochet-sync-http/benches/http_load.sh [unpinned|pinned|both]
# (default both, about 9 minutes on 2 vCPUs plus the build). The HTTP_LOAD_*
# variables described at the top of http_load.rs pass through.
set -euo pipefail
export HTTP_LOAD_PINNED_ONLY="${HTTP_LOAD_PINNED_ONLY:-throughput,overload}"
exec bash "$(dirname "$0")/../../tests/load_bench.sh" crochet-sync-http http_load HTTP_LOAD "$@"
