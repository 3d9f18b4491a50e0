#!/usr/bin/env bash
# Loopback load benchmark for crochet-rocket (see BENCHMARKS.md,
# "crochet-rocket: synchronous routes"): unpinned, then pinned (the bench
# process, Rocket included, on CPU 0 with `taskset -c 0`, wrk on CPU 1).
#
# Usage: bash crochet-rocket/benches/rocket_load.sh [unpinned|pinned|both]
# The ROCKET_LOAD_* variables described at the top of rocket_load.rs pass
# through.
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
command -v wrk >/dev/null 2>&1 || { echo "rocket_load.sh: wrk is required (apt-get install wrk)" >&2; exit 1; }
echo "rocket_load.sh: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

cargo bench -p crochet-rocket --bench rocket_load --no-run

if [ "$mode" = unpinned ] || [ "$mode" = both ]; then
    echo "== unpinned" >&2
    cargo bench -p crochet-rocket --bench rocket_load
fi

if [ "$mode" = pinned ] || [ "$mode" = both ]; then
    if [ "$(nproc)" -lt 2 ]; then
        echo "rocket_load.sh: pinned mode needs 2 CPUs; skipped" >&2
    else
        echo "== pinned: bench process on CPU 0, wrk on CPU 1" >&2
        ROCKET_LOAD_WRK_CPUS=1 taskset -c 0 cargo bench -p crochet-rocket --bench rocket_load
    fi
fi
