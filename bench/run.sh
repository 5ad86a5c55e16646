#!/usr/bin/env bash
# Measures the tool against the curl + jq trigger users would run instead,
# on loopback against the fake Probe API. Prints Markdown for BENCHMARKS.md.
# Also: peak RSS with every destination on over -probes sizes (-samples
# runs each), the idle cost between polls (-gaps); bench/publish.sh writes
# the results into BENCHMARKS.md.
#   bench/run.sh [-n 50] [-probes 200,2000] [-samples 5] [-gaps 3] [-bin path] [-image splx-probe:e2e]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench "$@"
