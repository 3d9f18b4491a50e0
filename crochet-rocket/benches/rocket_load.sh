#!/usr/bin/env bash
# Loopback load benchmark for crochet-rocket (see BENCHMARKS.md,
# "crochet-rocket: synchronous routes"): unpinned, then pinned (the bench
# process, Rocket included, on CPU 0 with `taskset -c 0`, wrk on CPU 1),
# through the workspace's tests/load_bench.sh.
#
# Usage: bash crochet-rocket/benches/rocket_load.sh [unpinned|pinned|both]
# The ROCKET_LOAD_* variables described at the top of rocket_load.rs pass
# through.
set -euo pipefail
exec bash "$(dirname "$0")/../../tests/load_bench.sh" crochet-rocket rocket_load ROCKET_LOAD "$@"
