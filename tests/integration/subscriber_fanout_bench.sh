#!/usr/bin/env bash
# Benchmark (manual, not a test): does fan-out to many filtered subscribers slow the
# lcore? Runs ingestd (release build) on net_pcap with infinite_rx=1 and one worker,
# with N subscribers (`ingestctl tail --prefix` whose filter matches nothing, so the
# clients themselves cost little), and reports the worker's packets per CPU-second
# over a window: delta firehose_rx_packets_total / delta firehose_worker_cpu_seconds_total.
#
#   tests/integration/subscriber_fanout_bench.sh            # N = 0 and 16, 3 runs each
#   SUBSCRIBERS="0 1 16" RUNS=5 WINDOW=5 tests/integration/subscriber_fanout_bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SUBSCRIBERS=${SUBSCRIBERS:-"0 16"}
RUNS=${RUNS:-3}
WINDOW=${WINDOW:-4}
work=${TMPDIR:-/tmp}/fh-fanout-$$
mkdir -p "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "/var/run/dpdk/fh-fanout-$$" "$work"
}
trap cleanup EXIT

bazel build --config=release //node:ingestd //controlplane/ingestctl //tools/pcapgen >/dev/null 2>&1
bin=$(bazel info --config=release bazel-bin 2>/dev/null)
"$bin/tools/pcapgen/pcapgen" --out="$work/s.pcap" --packets=4096 --names=1500 2>/dev/null

metric() {  # metric NAME: the sum of its samples on the node's /metrics
  curl -s "http://$metrics/metrics" | awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {printf "%.6f", s}'
}

for n in $SUBSCRIBERS; do
  for run in $(seq 1 "$RUNS"); do
    cat >"$work/node.yaml" <<YAML
node_id: fanout
eal:
  file_prefix: fh-fanout-$$
  args: [--no-huge, --no-shconf, -m, "512", --no-pci, --no-telemetry, --log-level, "lib.eal:error"]
ports:
  - device: net_pcap0,rx_pcap=$work/s.pcap,infinite_rx=1
mempool:
  mbufs_per_queue: 16383
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
YAML
    "$bin/node/ingestd" --config="$work/node.yaml" >"$work/out" 2>"$work/log" &
    pids=($!)
    for _ in $(seq 1 300); do grep -q '^READY' "$work/out" && break; sleep 0.1; done
    grpc=$(sed -n 's/^READY grpc=\([^ ]*\) .*/\1/p' "$work/out")
    metrics=$(sed -n 's/.* metrics=\([^ ]*\)$/\1/p' "$work/out")
    for i in $(seq 1 "$n"); do
      "$bin/controlplane/ingestctl/ingestctl" tail "$grpc" --prefix "no.such.metric." \
        --name "fanout$i" >/dev/null 2>&1 &
      pids+=($!)
    done
    sleep 1
    p0=$(metric firehose_rx_packets_total); c0=$(metric firehose_worker_cpu_seconds_total)
    sleep "$WINDOW"
    p1=$(metric firehose_rx_packets_total); c1=$(metric firehose_worker_cpu_seconds_total)
    subs=$(metric firehose_subscribers)
    awk -v n="$n" -v r="$run" -v p="$((${p1%.*} - ${p0%.*}))" -v c0="$c0" -v c1="$c1" -v s="$subs" \
      'BEGIN {printf "subscribers=%d (connected %d) run=%d packets_per_worker_cpu_second=%.0f\n", n, s, r, p / (c1 - c0)}'
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
  done
done
