#!/usr/bin/env bash
# Runs one of the workspace's wrk load benches, unpinned and/or pinned; the
# per-crate wrappers (crochet-sync-http/benches/http_load.sh,
# crochet-rocket/benches/rocket_load.sh) call it.
#
# Installs wrk (Debian's package) if it is missing and raises the
# open-files limit (each overload connection is a socket in wrk and one in
# the server), then:
#
#   unpinned  everything shares every CPU (wrk and all server threads)
#   pinned    the bench process on CPU 0 with `taskset -c 0`, wrk on CPU 1
#             (<PREFIX>_WRK_CPUS=1); with <PREFIX>_PINNED_ONLY set and
#             <PREFIX>_ONLY unset, only those parts
#
# Usage: bash tests/load_bench.sh PACKAGE BENCH PREFIX [unpinned|pinned|both]
# e.g.   bash tests/load_bench.sh crochet-rocket rocket_load ROCKET_LOAD both
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 PACKAGE BENCH PREFIX [unpinned|pinned|both]" >&2
    exit 2
fi
package="$1"
bench="$2"
prefix="$3"
mode="${4:-both}"
case "$mode" in
unpinned | pinned | both) ;;
*)
    echo "usage: $0 PACKAGE BENCH PREFIX [unpinned|pinned|both]" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
    echo "$bench: installing wrk (apt-get)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update
        apt-get install -y wrk
    else
        sudo apt-get update
        sudo apt-get install -y wrk
    fi
fi

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
echo "$bench: open files limit $(ulimit -n); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

cargo bench -p "$package" --bench "$bench" --no-run

if [ "$mode" = unpinned ] || [ "$mode" = both ]; then
    echo "== unpinned" >&2
    cargo bench -p "$package" --bench "$bench"
fi

if [ "$mode" = pinned ] || [ "$mode" = both ]; then
    if [ "$(nproc)" -lt 2 ]; then
        echo "$bench: pinned mode needs 2 CPUs; skipped" >&2
    else
        echo "== pinned: bench process on CPU 0, wrk on CPU 1" >&2
        only_var="${prefix}_ONLY"
        pinned_only_var="${prefix}_PINNED_ONLY"
        if [ -z "${!only_var:-}" ] && [ -n "${!pinned_only_var:-}" ]; then
            export "$only_var=${!pinned_only_var}"
        fi
        env "${prefix}_WRK_CPUS=1" taskset -c 0 cargo bench -p "$package" --bench "$bench"
    fi
fi
