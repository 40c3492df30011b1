#!/usr/bin/env bash
# ingestctl tail against a real ingestd: a pcapgen capture replayed once through
# net_pcap must reach `ingestctl tail --json` as exactly one NDJSON object per record,
# and the text mode must print readable lines; both exit 0 on their own.
set -euo pipefail
ingestd=node/ingestd
ingestctl=controlplane/ingestctl/ingestctl
pcapgen=tools/pcapgen/pcapgen
dir=${TEST_TMPDIR:-$(mktemp -d)}
prefix="fh-tail-$$"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

packets=300
lines=3
"$pcapgen" --out="$dir/s.pcap" --packets=$packets --lines_per_packet=$lines --names=100 2>/dev/null
expected=$((packets * lines))

start_node() {
  cat >"$dir/node.yaml" <<YAML
node_id: tail-node
eal:
  file_prefix: $prefix
  args: [--no-huge, --no-shconf, -m, "256", --no-pci, --no-telemetry]
ports:
  - device: net_pcap0,rx_pcap=$dir/s.pcap
batch:
  max_records: 100
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: ""
YAML
  rm -f "$dir/ready"
  mkfifo "$dir/ready"
  "$ingestd" --config="$dir/node.yaml" --wait_for_subscribers=1 >"$dir/ready" 2>"$dir/ingestd.log" &
  pid=$!
  read -r -t 30 ready <"$dir/ready"
  [[ "$ready" == READY* ]] || { cat "$dir/ingestd.log"; exit 1; }
  grpc=$(sed -E 's/.*grpc=([^ ]+).*/\1/' <<<"$ready")
}
stop_node() {
  kill -TERM "$pid"
  wait "$pid"
  pid=""
}

# NDJSON: one object per record, every field present, nothing else on stdout.
start_node
"$ingestctl" tail "$grpc" --json --max-records=$expected --duration=30 >"$dir/out.ndjson" 2>"$dir/tail.err"
stop_node
/usr/bin/python3 - "$dir/out.ndjson" "$expected" <<'PY'
import json, sys
path, expected = sys.argv[1], int(sys.argv[2])
rows = [json.loads(line) for line in open(path)]
assert len(rows) == expected, f"{len(rows)} records, want {expected}"
required = {"node_id", "epoch", "seq", "time", "source", "name", "value", "type", "sample_rate", "tags"}
seqs = []
for row in rows:
    missing = required - row.keys()
    assert not missing, f"missing {missing} in {row}"
    assert row["node_id"] == "tail-node" and row["epoch"] == 1, row
    assert row["type"] in {"c", "g", "ms", "h", "s", "d"}, row
    assert 0 < row["sample_rate"] <= 1, row
    assert isinstance(row["tags"], list), row
    assert (row["type"] == "s") == ("member" in row), row
    seqs.append(row["seq"])
assert seqs == sorted(seqs) and seqs[0] == 1, "batches arrive in seq order from 1"
assert len({r["name"] for r in rows}) <= 100, "pcapgen was asked for 100 names"
print(f"ok: {len(rows)} NDJSON records, seq 1..{seqs[-1]}")
PY
grep -q "records decoded $expected, malformed 0" "$dir/ingestd.log"

# Text mode with sampling: every 10th record printed, all of them counted.
start_node
"$ingestctl" tail "$grpc" --sample=10 --max-records=$expected --duration=30 >"$dir/out.txt" 2>"$dir/tail.err"
stop_node
printed=$(wc -l <"$dir/out.txt")
[[ "$printed" -eq $((expected / 10)) ]] || { echo "printed $printed lines"; exit 1; }
grep -qE '^[0-9T:.-]+Z tail-node #[0-9]+ 10\.[0-9.]+:[0-9]+ [^ ]+:[^ ]+\|(c|g|ms|h|s|d)' "$dir/out.txt"
grep -q "$expected records" "$dir/tail.err"
echo "1 passed, 0 failed"
