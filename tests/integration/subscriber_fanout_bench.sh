#!/usr/bin/env bash
# Benchmark (manual, not a test): does fan-out to many filtered subscribers slow the
# lcore, and how fast does one subscriber receive? Now a mode of `make bench`
# (tools/bench/fanout.py: worker lcore alone on CPU 1, everything else pinned to CPU 0,
# packets per worker CPU-second with 0 and N filtered subscribers, median and range);
# this wrapper runs only that mode.
#
#   tests/integration/subscriber_fanout_bench.sh                 # N = 16, 3 runs of 10 s
#   SUBSCRIBERS=8 RUNS=5 WINDOW=5 tests/integration/subscriber_fanout_bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
exec tools/bench/bench.py --only fanout --fanout-subscribers "${SUBSCRIBERS:-16}" \
  --runs "${RUNS:-3}" --seconds "${WINDOW:-10}"
