#!/usr/bin/env bash
# Measures the tool against the curl + jq trigger users would run instead,
# on loopback against the fake Probe API. Prints Markdown for BENCHMARKS.md.
#   bench/run.sh [-n 50] [-probes 2000] [-image splx-probe:e2e]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench "$@"
