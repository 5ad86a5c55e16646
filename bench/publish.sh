#!/usr/bin/env bash
# Regenerates the measured blocks of BENCHMARKS.md: bench/run.sh's table
# (every destination, several samples, peak RSS of the binary itself, the
# idle cost between polls) and the Go benchmarks, with the machine and the
# date, and marks stale any block whose sources changed since it was
# measured (hand-measured ones included).
#   bench/publish.sh [-n 50] [-probes 200,2000,20000] [-samples 5]
#   bench/publish.sh -stale BENCHMARKS.md     # only mark stale blocks
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "-stale" ]; then
  exec go run ./bench "$@"
fi
exec go run ./bench -probes 200,2000,20000 "$@" -publish BENCHMARKS.md
