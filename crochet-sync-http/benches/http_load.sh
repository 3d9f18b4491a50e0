#!/usr/bin/env bash
# Loopback HTTP load benchmark for crochet-sync-http (see BENCHMARKS.md,
# "crochet-sync-http: HTTP load").
#
# Installs wrk (Debian's package) if it is missing, raises the open-files
# limit for the overload runs (3,200 connections), then runs the bench:
#
#   unpinned  everything shares every CPU (wrk and all server threads)
#   pinned    the bench process (servers, and the keep-alive clients) on
#             CPU 0 with `taskset -c 0`, wrk on CPU 1 (HTTP_LOAD_WRK_CPUS=1);
#             throughput and overload only
#
# Usage: bash crochet-sync-http/benches/http_load.sh [unpinned|pinned|both]
# (default both, about 9 minutes on 2 vCPUs plus the build). The HTTP_LOAD_*
# variables described at the top of http_load.rs pass through.
set -euo pipefail

mode="${1:-both}"
case "$mode" in
unpinned | pinned | both) ;;
*)
    echo "usage: $0 [unpinned|pinned|both]" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null 2>&1; then
    echo "http_load.sh: installing wrk (apt-get)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update
        apt-get install -y wrk
    else
        sudo apt-get update
        sudo apt-get install -y wrk
    fi
fi

# Each overload connection is a socket in wrk and one in the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
echo "http_load.sh: open files limit $(ulimit -n); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

cargo bench -p crochet-sync-http --bench http_load --no-run

if [ "$mode" = unpinned ] || [ "$mode" = both ]; then
    echo "== unpinned" >&2
    cargo bench -p crochet-sync-http --bench http_load
fi

if [ "$mode" = pinned ] || [ "$mode" = both ]; then
    if [ "$(nproc)" -lt 2 ]; then
        echo "http_load.sh: pinned mode needs 2 CPUs; skipped" >&2
    else
        echo "== pinned: bench process on CPU 0, wrk on CPU 1" >&2
        HTTP_LOAD_WRK_CPUS=1 HTTP_LOAD_ONLY="${HTTP_LOAD_ONLY:-throughput,overload}" \
            taskset -c 0 cargo bench -p crochet-sync-http --bench http_load
    fi
fi
