#!/usr/bin/env bash
# /metrics of a running ingestd passes `promtool check metrics` (Debian's prometheus
# package): names, types, help texts and label syntax are what Prometheus expects. Both
# backends: DPDK (net_pcap) and the kernel socket backend, which adds its own gauges;
# the latter with a subscriber connected (`ingestctl tail`), whose per-subscriber series
# are checked too.
set -euo pipefail
dir=${TEST_TMPDIR:-$(mktemp -d)}
prefix="fh-promtool-$$"
pid=""
tail_pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
  [[ -n "$tail_pid" ]] && kill -KILL "$tail_pid" 2>/dev/null || true
  rm -rf "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

# start_node NAME: runs ingestd on $dir/NAME.yaml; sets pid, metrics and grpc (host:port).
start_node() {
  mkfifo "$dir/$1.ready"
  node/ingestd --config="$dir/$1.yaml" >"$dir/$1.ready" 2>"$dir/$1.log" &
  pid=$!
  local ready
  read -r -t 30 ready <"$dir/$1.ready"
  metrics=$(sed -E 's/.*metrics=([^ ]+).*/\1/' <<<"$ready")
  grpc=$(sed -E 's/.*grpc=([^ ]+).*/\1/' <<<"$ready")
}

# scrape_until_received N: scrapes into $page until the node counted N packets (so
# counters, histograms and gauges all have values); fails if it never does.
received() { awk '/^firehose_rx_packets_total\{/ {s += $2} END {print s + 0}' <<<"$page"; }
scrape_until_received() {
  for _ in $(seq 50); do
    page=$(curl -fsS "http://$metrics/metrics")
    [[ $(received) == "$1" ]] && return 0
    sleep 0.1
  done
  echo "the node counted $(received) packets, not $1" >&2
  return 1
}

stop_node() {
  kill -TERM "$pid"
  wait "$pid"
  pid=""
}

# DPDK backend over a capture.
tools/pcapgen/pcapgen --out="$dir/s.pcap" --packets=200 2>/dev/null
cat >"$dir/dpdk.yaml" <<YAML
node_id: promtool-node
eal:
  file_prefix: $prefix
  args: [--no-huge, --no-shconf, -m, "256", --no-pci, --no-telemetry]
ports:
  - device: net_pcap0,rx_pcap=$dir/s.pcap
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
YAML
start_node dpdk
scrape_until_received 200
promtool check metrics <<<"$page"
# A broken exposition must fail the same check, or this test proves nothing.
if printf 'bad metric name{ 1\n' | promtool check metrics 2>/dev/null; then
  echo "promtool accepted garbage" >&2
  exit 1
fi
stop_node

# Kernel socket backend, two workers sharing one UDP port.
udp_port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/kernel.yaml" <<YAML
node_id: promtool-kernel-node
backend: kernel
kernel:
  bind_address: 127.0.0.1
  workers: 2
  rcvbuf_bytes: 1048576
decoders:
  "$udp_port": statsd
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
YAML
start_node kernel
controlplane/ingestctl/ingestctl tail "$grpc" --name=promtool-sub --duration=60 \
  >/dev/null 2>"$dir/tail.log" &
tail_pid=$!
for _ in $(seq 100); do
  grep -q '^firehose_subscriber_lag_batches{subscriber="promtool-sub#' \
    <<<"$(curl -fsS "http://$metrics/metrics")" && break
  sleep 0.1
done
for i in $(seq 20); do echo "promtool.kernel:$i|c" >"/dev/udp/127.0.0.1/$udp_port"; done
scrape_until_received 20
promtool check metrics <<<"$page"
# One queue gauge and one limit gauge per worker socket; the limit is what the kernel
# applied for rcvbuf_bytes (doubled as root, or capped at net.core.rmem_max).
[[ $(grep -cE "^firehose_kernel_receive_queue_bytes\{queue=\"[01]\",udp_port=\"$udp_port\"\} " \
  <<<"$page") == 2 ]]
[[ $(grep -cE '^firehose_kernel_receive_queue_limit_bytes\{[^}]*\} [1-9]' <<<"$page") == 2 ]]
# One coalescing counter per kernel worker (none for a DPDK queue).
[[ $(grep -cE '^firehose_kernel_coalesce_waits_total\{port="kernel",queue="[01]"\} ' \
  <<<"$page") == 2 ]]
# Every per-subscriber series, for the one subscriber.
for name in lag_batches queued_batches queued_bytes stream_delivered_records_total \
  stream_dropped_records_total; do
  [[ $(grep -cE "^firehose_subscriber_${name}\{subscriber=\"promtool-sub#[0-9]+\"\} " \
    <<<"$page") == 1 ]] || { echo "no firehose_subscriber_$name for the subscriber" >&2; exit 1; }
done
kill -TERM "$tail_pid"
wait "$tail_pid" || true
tail_pid=""
stop_node
echo "2 passed, 0 failed"
