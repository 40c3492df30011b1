#!/usr/bin/env bash
# /metrics of a running ingestd passes `promtool check metrics` (Debian's prometheus
# package): names, types, help texts and label syntax are what Prometheus expects.
set -euo pipefail
dir=${TEST_TMPDIR:-$(mktemp -d)}
prefix="fh-promtool-$$"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "/var/run/dpdk/$prefix"
}
trap cleanup EXIT
tools/pcapgen/pcapgen --out="$dir/s.pcap" --packets=200 2>/dev/null
cat >"$dir/node.yaml" <<YAML
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
mkfifo "$dir/ready"
node/ingestd --config="$dir/node.yaml" >"$dir/ready" 2>"$dir/ingestd.log" &
pid=$!
read -r -t 30 ready <"$dir/ready"
metrics=$(sed -E 's/.*metrics=([^ ]+).*/\1/' <<<"$ready")
# Let the capture go through so counters, histograms and gauges all have values.
for _ in $(seq 50); do
  page=$(curl -fsS "http://$metrics/metrics")
  grep -qE '^firehose_rx_packets_total\{[^}]*\} 200$' <<<"$page" && break
  sleep 0.1
done
grep -qE '^firehose_rx_packets_total\{[^}]*\} 200$' <<<"$page"
promtool check metrics <<<"$page"
# A broken exposition must fail the same check, or this test proves nothing.
if printf 'bad metric name{ 1\n' | promtool check metrics 2>/dev/null; then
  echo "promtool accepted garbage" >&2
  exit 1
fi
kill -TERM "$pid"
wait "$pid"
pid=""
echo "1 passed, 0 failed"
