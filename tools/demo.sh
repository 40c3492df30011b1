#!/usr/bin/env bash
# make demo: builds firehose, generates a realistic statsd capture, runs ingestd on
# DPDK's net_pcap virtual device (no NIC, no hugepages), and shows the decoded records
# arriving at `ingestctl tail` with a running rate. Stops by itself after
# DEMO_SECONDS (default 10) or on Ctrl-C, and leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BAZEL=${BAZEL:-bazel}
DEMO_SECONDS=${DEMO_SECONDS:-10}
SAMPLE=${DEMO_SAMPLE:-50000}

work=build/demo
mkdir -p "$work"
prefix="fh-demo-$$"
ingestd_pid=""

cleanup() {
  if [[ -n "$ingestd_pid" ]] && kill -0 "$ingestd_pid" 2>/dev/null; then
    kill -TERM "$ingestd_pid" 2>/dev/null || true
    wait "$ingestd_pid" 2>/dev/null || true
  fi
  rm -rf "/var/run/dpdk/$prefix" "$work/ready.fifo"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building ingestd, ingestctl and pcapgen (optimised: --config=release)"
if ! $BAZEL build --config=release //node:ingestd //controlplane/ingestctl //tools/pcapgen \
    >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  exit 1
fi
bin=$($BAZEL info --config=release bazel-bin 2>/dev/null)

echo "== generating a statsd capture (4096 packets, 1500 metric names, tags, 3 lines each)"
"$bin/tools/pcapgen/pcapgen" --out="$work/statsd.pcap" --packets=4096 --names=1500

cat >"$work/ingestd.yaml" <<YAML
# Written by tools/demo.sh: replays the capture forever (infinite_rx=1) from memory.
node_id: demo-node
eal:
  file_prefix: $prefix
  args: [--no-huge, --no-shconf, -m, "512", --no-pci, --no-telemetry, --log-level, "lib.eal:error"]
ports:
  - device: net_pcap0,rx_pcap=$PWD/$work/statsd.pcap,infinite_rx=1
lcores:
  main: 0
  workers: [1]
decoders:
  "8125": statsd
batch:
  max_records: 4096
  max_bytes: 262144
  max_delay_us: 1000
mempool:
  mbufs_per_queue: 16383
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
YAML

echo "== starting ingestd on net_pcap (it waits for one subscriber before receiving)"
mkfifo "$work/ready.fifo"
"$bin/node/ingestd" --config="$work/ingestd.yaml" --wait_for_subscribers=1 \
  >"$work/ready.fifo" 2>"$work/ingestd.log" &
ingestd_pid=$!
ready=""
if ! read -r -t 30 ready <"$work/ready.fifo" || [[ "$ready" != READY* ]]; then
  echo "ingestd did not start; its log:" >&2
  cat "$work/ingestd.log" >&2
  exit 1
fi
grpc=$(sed -E 's/.*grpc=([^ ]+).*/\1/' <<<"$ready")
metrics=$(sed -E 's/.*metrics=([^ ]+).*/\1/' <<<"$ready")
echo "   $ready"

echo "== ingestctl tail $grpc  (every ${SAMPLE}th record shown; rate on stderr each second)"
"$bin/controlplane/ingestctl/ingestctl" tail "$grpc" --sample "$SAMPLE" --duration "$DEMO_SECONDS"

echo "== what the node counted (/metrics on $metrics)"
page=$(curl -fsS "http://$metrics/metrics" 2>/dev/null || wget -qO- "http://$metrics/metrics")
sum() { awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $NF} END {printf "%.0f", s}' <<<"$page"; }
received=$(sum firehose_rx_packets_total)
delivered=$(sum firehose_rx_delivered_packets_total)
dropped=$(sum firehose_rx_dropped_packets_total)
records=$(sum firehose_decoder_records_total)
malformed=$(sum firehose_decoder_errors_total)
published=$(sum firehose_published_records_total)
handoff=$(sum firehose_batch_dropped_records_total)
sub_dropped=$(sum firehose_subscriber_dropped_records_total)
echo "   packets received $received, delivered $delivered, dropped $dropped (live; exact totals at exit below)"
echo "   records decoded $records (malformed lines $malformed), published $published, dropped at hand-off $handoff"
echo "   records the tail's queue overflowed (it could not keep up; counted, not lost silently): $sub_dropped"

kill -TERM "$ingestd_pid"
wait "$ingestd_pid"
ingestd_pid=""
# The live scrape above races the worker; the summary ingestd logs after its workers
# stopped is exact, so the accounting identity is checked on it.
summary=$(grep -o 'packets received.*' "$work/ingestd.log" | tail -1)
echo "== ingestd stopped cleanly: $summary"
read -r final_received final_delivered final_answered final_dropped < <(
  sed -E 's/packets received ([0-9]+) = delivered ([0-9]+) \+ answered ([0-9]+) \+ dropped ([0-9]+).*/\1 \2 \3 \4/' <<<"$summary")
if [[ -z "$final_received" ||
      "$final_received" != "$((final_delivered + final_answered + final_dropped))" ]]; then
  echo "accounting identity broken: $summary" >&2
  exit 1
fi
echo "== received = delivered + answered + named drops: $final_received = $final_delivered + $final_answered + $final_dropped"
